/** Metrics on hand-computed examples: accuracy (argmax, ties, single sigmoid output), mse, mae, rmse. */
import { describe, expect, it } from "vitest";
import { argmax, predictedClass } from "../../src/core/classes.js";
import { UsageError } from "../../src/errors.js";
import { computeMetric, getMetric, METRIC_NAMES, type MetricInput } from "../../src/train/metrics.js";

function input(y: number[], target: number[], N: number, width: number, sparse = false): MetricInput {
  return { y: Float32Array.from(y), target: Float32Array.from(target), sparse, N, width };
}

const metric = (name: string, inp: MetricInput) => computeMetric(getMetric(name), inp);

describe("argmax and predictedClass", () => {
  it("finds the largest value, the first one on a tie", () => {
    expect(argmax([0.1, 0.7, 0.2])).toBe(1);
    expect(argmax([0.4, 0.4, 0.2])).toBe(0);
    expect(argmax([0.2, 0.4, 0.4])).toBe(1);
    expect(argmax([-3, -1, -2])).toBe(1);
  });

  it("works within a row of a larger array", () => {
    expect(argmax([9, 9, 1, 5, 5], 2, 3)).toBe(1);
  });

  it("thresholds a single output at 0.5 (0.5 itself is class 1)", () => {
    expect([0.49, 0.5, 0.51].map((v) => predictedClass([v], 0, 1))).toEqual([0, 1, 1]);
  });
});

describe("accuracy", () => {
  it("counts argmax hits against class indices", () => {
    // predictions 1, 0, 2, 0 (tie → first) against 1, 0, 1, 1
    const y = [0.1, 0.8, 0.1, 0.6, 0.3, 0.1, 0.2, 0.2, 0.6, 0.4, 0.4, 0.2];
    expect(metric("accuracy", input(y, [1, 0, 1, 1], 4, 3, true))).toBe(0.5);
  });

  it("breaks a tie in favour of the first class", () => {
    expect(metric("accuracy", input([0.4, 0.4, 0.2], [0], 1, 3, true))).toBe(1);
    expect(metric("accuracy", input([0.4, 0.4, 0.2], [1], 1, 3, true))).toBe(0);
  });

  it("compares argmaxes with one-hot targets", () => {
    expect(metric("accuracy", input([0.1, 0.9, 0.7, 0.3], [0, 1, 0, 1], 2, 2))).toBe(0.5);
  });

  it("thresholds a single sigmoid output and a 0/1 target at 0.5", () => {
    // predictions 1, 0, 1, 0 against 1, 0, 0, 0
    expect(metric("accuracy", input([0.5, 0.49, 0.9, 0.1], [1, 0, 0, 0], 4, 1))).toBe(0.75);
  });
});

describe("regression metrics", () => {
  // y - t = [1, 0, -2, -0.5] over N = 2 rows of width 2: squares sum 5.25, absolutes 3.5
  const inp = input([1, 2, 3, 4], [0, 2, 5, 4.5], 2, 2);

  it("mse is the mean squared error over rows and outputs", () => {
    expect(metric("mse", inp)).toBe(5.25 / 4);
  });

  it("mae is the mean absolute error", () => {
    expect(metric("mae", inp)).toBe(3.5 / 4);
  });

  it("rmse is the square root of mse", () => {
    expect(metric("rmse", inp)).toBe(Math.sqrt(5.25 / 4));
  });

  it("sums over batches to the value over all rows (rmse of the mean, not mean of rmses)", () => {
    const m = getMetric("rmse");
    const a = input([1, 2], [0, 2], 1, 2);
    const b = input([3, 4], [5, 4.5], 1, 2);
    expect(m.finalize((m.sum(a) + m.sum(b)) / 2)).toBe(metric("rmse", inp));
  });
});

describe("getMetric", () => {
  it("knows accuracy, mse, rmse and mae", () => {
    expect(METRIC_NAMES).toEqual(["accuracy", "mse", "rmse", "mae"]);
  });

  it("rejects an unknown metric", () => {
    expect(() => getMetric("f1")).toThrow(UsageError);
    expect(() => getMetric("f1")).toThrow("unknown metric 'f1': expected one of accuracy, mse, rmse, mae");
  });
});
