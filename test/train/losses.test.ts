/**
 * Losses: values and gradients on small hand-computed examples, and each gradient against finite
 * differences of its value (wrt the logits for crossentropies, wrt the outputs otherwise).
 */
import { describe, expect, it } from "vitest";
import { sigmoidFn } from "../../src/core/activations.js";
import { UsageError } from "../../src/errors.js";
import { getLoss, LOSS_NAMES, type LossInput } from "../../src/train/losses.js";
import { expectGradientsMatch, numericGradient } from "../model/gradcheck.js";

function softmaxRows(z: number[], width: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < z.length; r += width) {
    const row = z.slice(r, r + width);
    const max = Math.max(...row);
    const e = row.map((v) => Math.exp(v - max));
    const s = e.reduce((a, b) => a + b, 0);
    out.push(...e.map((v) => v / s));
  }
  return out;
}

function input(z: number[], y: number[], target: number[], N: number, width: number): LossInput {
  return { z: Float32Array.from(z), y: Float32Array.from(y), target: Float32Array.from(target), N, width };
}

function gradient(name: string, inp: LossInput): number[] {
  const d = new Float32Array(inp.z.length);
  getLoss(name).gradient(inp, d);
  return Array.from(d);
}

function expectAllClose(got: number[], expected: number[], digits = 6): void {
  expect(got).toHaveLength(expected.length);
  got.forEach((v, i) => {
    expect(v, `[${i}]`).toBeCloseTo(expected[i], digits);
  });
}

describe("sparse and dense categorical crossentropy (fused with softmax)", () => {
  // row 0: z = [0, ln 3] → p = [1/4, 3/4], class 1: loss ln(4/3);  row 1: z = [0, 0] → p = [1/2, 1/2], class 0: ln 2
  const z = [0, Math.log(3), 0, 0];
  const y = softmaxRows(z, 2);
  const mean = (Math.log(4 / 3) + Math.log(2)) / 2;

  it("sparse: value is the mean of -log p[class]", () => {
    expect(getLoss("sparse_categorical_crossentropy").value(input(z, y, [1, 0], 2, 2))).toBeCloseTo(mean, 6);
  });

  it("sparse: gradient wrt the logits is (p - onehot) / N", () => {
    expectAllClose(gradient("sparse_categorical_crossentropy", input(z, y, [1, 0], 2, 2)), [
      0.25 / 2,
      -0.25 / 2,
      -0.5 / 2,
      0.5 / 2,
    ]);
  });

  it("dense with one-hot targets equals sparse", () => {
    expect(getLoss("categorical_crossentropy").value(input(z, y, [0, 1, 1, 0], 2, 2))).toBeCloseTo(mean, 6);
  });

  it("dense with soft targets: -sum t log p", () => {
    // t = [1/2, 1/2] on p = [1/4, 3/4]: (ln 4 + ln 4/3) / 2;  second row t = [1, 0]: ln 2
    const inp = input(z, y, [0.5, 0.5, 1, 0], 2, 2);
    expect(getLoss("categorical_crossentropy").value(inp)).toBeCloseTo(
      ((Math.log(4) + Math.log(4 / 3)) / 2 + Math.log(2)) / 2,
      6,
    );
    expectAllClose(gradient("categorical_crossentropy", inp), [
      (0.25 - 0.5) / 2,
      (0.75 - 0.5) / 2,
      -0.25,
      0.25,
    ]);
  });

  it("stays finite for large logits", () => {
    const big = [1000, -1000];
    const v = getLoss("sparse_categorical_crossentropy").value(input(big, softmaxRows(big, 2), [1], 1, 2));
    expect(v).toBeCloseTo(2000, 3);
  });
});

describe("binary crossentropy (fused with sigmoid)", () => {
  // z = 0 → p = 1/2, t = 1: ln 2;  z = ln 3 → p = 3/4, t = 0: -ln(1/4) = ln 4.  Mean 1.5 ln 2.
  const z = [0, Math.log(3)];
  const y = z.map(sigmoidFn);

  it("value is the mean of -t log p - (1 - t) log(1 - p)", () => {
    expect(getLoss("binary_crossentropy").value(input(z, y, [1, 0], 2, 1))).toBeCloseTo(1.5 * Math.log(2), 6);
  });

  it("gradient wrt the logits is (p - t) / (N * width)", () => {
    expectAllClose(gradient("binary_crossentropy", input(z, y, [1, 0], 2, 1)), [-0.25, 0.375]);
  });

  it("stays finite for large logits", () => {
    const big = [800, -800];
    const v = getLoss("binary_crossentropy").value(input(big, big.map(sigmoidFn), [0, 1], 2, 1));
    expect(v).toBeCloseTo(800, 3);
  });
});

describe("mse and mae", () => {
  // y - t = [1, 0, -2, -0.5] over N = 2 rows of width 2
  const y = [1, 2, 3, 4];
  const t = [0, 2, 5, 4.5];

  it("mse: mean of squared errors, gradient 2 (y - t) / (N * width)", () => {
    const inp = input(y, y, t, 2, 2);
    expect(getLoss("mse").value(inp)).toBe(5.25 / 4);
    expectAllClose(gradient("mse", inp), [0.5, 0, -1, -0.25]);
  });

  it("mae: mean of absolute errors, gradient sign(y - t) / (N * width)", () => {
    const inp = input(y, y, t, 2, 2);
    expect(getLoss("mae").value(inp)).toBe(3.5 / 4);
    expectAllClose(gradient("mae", inp), [0.25, 0, -0.25, -0.25]);
  });

  it("have long-name aliases", () => {
    expect(getLoss("mean_squared_error")).toBe(getLoss("mse"));
    expect(getLoss("mean_absolute_error")).toBe(getLoss("mae"));
  });
});

describe("loss gradients ↔ finite differences", () => {
  const N = 3;
  const width = 4;
  const z = [0.3, -1.2, 2.1, 0.5, -0.7, 0.1, 1.4, -2.2, 0.9, 0.2, -0.4, 1.7];
  const dense = [0.1, 0.2, 0.3, 0.4, 1, 0, 0, 0, 0, 0.5, 0, 0.5];
  const cases: [string, number[], ((v: number[]) => number[]) | null][] = [
    ["sparse_categorical_crossentropy", [2, 0, 3], (v) => softmaxRows(v, width)],
    ["categorical_crossentropy", dense, (v) => softmaxRows(v, width)],
    ["binary_crossentropy", [1, 0, 1, 0, 0, 1, 1, 0, 0.3, 0.8, 1, 0], (v) => v.map(sigmoidFn)],
    // unfused: the loss reads the output itself (z = y), as on a linear output layer
    ["sparse_categorical_crossentropy", [2, 0, 3], null],
    ["categorical_crossentropy", dense, null],
    ["binary_crossentropy", [1, 0, 1, 0, 0, 1, 1, 0, 0.3, 0.8, 1, 0], null],
    ["mse", [1, -1, 0.5, 0, 2, 0.3, -0.6, 1, 0, 0, 1, 1], null],
    ["mae", [1, -1, 0.5, 0, 2, 0.3, -0.6, 1, 0, 0, 1, 1], null],
  ];

  it.each(cases)("%s (target %j, fused: %s)", (name, target, activation) => {
    const loss = getLoss(name);
    const zs = Float32Array.from(z);
    const ys = activation ? new Float32Array(z.length) : zs;
    const inp: LossInput = { z: zs, y: ys, target: Float32Array.from(target), N, width };
    const value = () => {
      if (activation) ys.set(activation(Array.from(zs)));
      return loss.value(inp);
    };
    value();
    const analytic = new Float32Array(z.length);
    loss.gradient(inp, analytic);
    expectGradientsMatch([{ name, analytic, numeric: numericGradient(zs, zs.length, value) }]);
  });
});

describe("getLoss", () => {
  it("knows the crossentropies and the regression losses", () => {
    expect(LOSS_NAMES).toEqual([
      "categorical_crossentropy",
      "sparse_categorical_crossentropy",
      "binary_crossentropy",
      "mse",
      "mean_squared_error",
      "mae",
      "mean_absolute_error",
    ]);
  });

  it("fuses the crossentropies with their activation", () => {
    expect(getLoss("sparse_categorical_crossentropy")).toMatchObject({ sparse: true, fusedWith: "softmax" });
    expect(getLoss("categorical_crossentropy")).toMatchObject({ sparse: false, fusedWith: "softmax" });
    expect(getLoss("binary_crossentropy")).toMatchObject({ sparse: false, fusedWith: "sigmoid" });
    expect(getLoss("mse").fusedWith).toBeUndefined();
  });

  it("rejects an unknown loss", () => {
    expect(() => getLoss("hinge")).toThrow(UsageError);
    expect(() => getLoss("hinge")).toThrow(/^unknown loss 'hinge': expected one of categorical_crossentropy/);
  });
});
