/**
 * Optimizers: one and two steps of sgd (plain, momentum, Nesterov) and adam against hand-computed values,
 * on a network of one Dense layer (W = [1, -2], b = 0.5) whose gradients are set by hand.
 */
import { afterEach, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { Dense } from "../../src/model/layers.js";
import type { Network } from "../../src/model/network.js";
import { Sequential } from "../../src/model/sequential.js";
import { useJsKernels } from "../../src/train/kernels/index.js";
import { createOptimizer, type OptimizerSpec, resolveOptimizer } from "../../src/train/optimizers.js";

afterEach(() => useJsKernels(false));

/** Runs the optimizer for one step per gradient (dW then db, concatenated); returns [W0, W1, b]. */
function steps(spec: OptimizerSpec, gradients: number[][], network?: Network): number[][] {
  const optimizer = createOptimizer(spec);
  const seq = new Sequential([Dense({ units: 1, inputShape: [2] })]).build(2);
  seq.setWeights([[1, -2], [0.5]]);
  const net = network ?? seq.network(1, optimizer.slots);
  const out: number[][] = [];
  for (const g of gradients) {
    const [dW, db] = net.paramGrads();
    dW.set(g.slice(0, 2));
    db.set(g.slice(2));
    optimizer.step(net);
    const [W, b] = net.params();
    out.push([W[0], W[1], b[0]]);
  }
  return out;
}

function expectClose(got: number[][], expected: number[][], digits = 6): void {
  expect(got).toHaveLength(expected.length);
  got.forEach((row, t) => {
    row.forEach((v, j) => {
      expect(v, `step ${t + 1}, parameter ${j}`).toBeCloseTo(expected[t][j], digits);
    });
  });
}

const g = [0.5, -1, 2];

describe("sgd", () => {
  it("plain: w -= lr g", () => {
    // lr 0.1: [1, -2, 0.5] - 0.1 [0.5, -1, 2] = [0.95, -1.9, 0.3], then [0.9, -1.8, 0.1]
    expectClose(steps({ name: "sgd", lr: 0.1 }, [g, g]), [
      [0.95, -1.9, 0.3],
      [0.9, -1.8, 0.1],
    ]);
  });

  it("momentum: v = m v - lr g; w += v", () => {
    // m 0.9, lr 0.1: v1 = -0.1 g, w1 = w0 - 0.1 g;  v2 = -0.09 g - 0.1 g = -0.19 g, w2 = w0 - 0.29 g
    expectClose(steps({ name: "sgd", lr: 0.1, momentum: 0.9 }, [g, g]), [
      [0.95, -1.9, 0.3],
      [1 - 0.145, -2 + 0.29, 0.5 - 0.58],
    ]);
  });

  it("Nesterov: v = m v - lr g; w += m v - lr g", () => {
    // w1 = w0 + 0.9 (-0.1 g) - 0.1 g = w0 - 0.19 g;  v2 = -0.19 g, w2 = w1 + 0.9 (-0.19 g) - 0.1 g = w0 - 0.461 g
    expectClose(steps({ name: "sgd", lr: 0.1, momentum: 0.9, nesterov: true }, [g, g]), [
      [1 - 0.095, -2 + 0.19, 0.5 - 0.38],
      [1 - 0.2305, -2 + 0.461, 0.5 - 0.922],
    ]);
  });

  it("defaults to lr 0.01 without momentum", () => {
    expect(resolveOptimizer("sgd")).toEqual({ name: "sgd", lr: 0.01, momentum: 0, nesterov: false });
    expect(createOptimizer("sgd").slots).toBe(0);
    expect(createOptimizer({ name: "sgd", momentum: 0.5 }).slots).toBe(1);
  });
});

describe.each(["wasm", "js"] as const)("adam (%s kernels)", (kind) => {
  // lr 0.1, beta1 0.9, beta2 0.999, epsilon 1e-7; gradients g1 = [0.5, -1, 2], then g2 = [-0.25, -1, 1].
  // Step 1: m = 0.1 g, v = 0.001 g^2, mhat = g, vhat = g^2: each weight moves by lr against sign(g).
  // Step 2, weight 0: m = 0.045 - 0.025 = 0.02, v = 0.999 * 0.00025 + 0.001 * 0.0625 = 0.00031225,
  //   mhat = 0.02 / 0.19 = 0.105263, vhat = 0.00031225 / 0.001999 = 0.156203, step 0.1 * 0.105263 / 0.395225
  //   = 0.026634: 0.9 - 0.026634 = 0.873366.
  // Weight 1 (constant gradient): another 0.1, to -1.8.
  // Weight 2 (bias): m = 0.18 + 0.1 = 0.28, v = 0.003996 + 0.001 = 0.004996, mhat = 1.473684,
  //   vhat = 2.499250, step 0.1 * 1.473684 / 1.580902 = 0.093218: 0.4 - 0.093218 = 0.306782.
  // The folded form adds epsilon to sqrt(v) before bias correction ("epsilon hat"), which moves these values
  // by up to 1e-6: hence 5 digits.
  it("takes the bias-corrected steps of Kingma and Ba", () => {
    useJsKernels(kind === "js");
    const seq = new Sequential([Dense({ units: 1, inputShape: [2] })]).build(2);
    seq.setWeights([[1, -2], [0.5]]);
    const net = seq.network(1, 2);
    expect(net.kernels.name).toBe(kind === "js" ? "js" : "wasm-simd");
    expectClose(
      steps({ name: "adam", lr: 0.1 }, [g, [-0.25, -1, 1]], net),
      [
        [0.9, -1.9, 0.4],
        [0.873366, -1.8, 0.306782],
      ],
      5,
    );
  });
});

describe("adam", () => {
  it("has the Keras defaults", () => {
    expect(resolveOptimizer("adam")).toEqual({
      name: "adam",
      lr: 0.001,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
    });
    expect(createOptimizer("adam").slots).toBe(2);
  });

  it("restarts its step count on a new network (a new fit)", () => {
    const optimizer = createOptimizer({ name: "adam", lr: 0.1 });
    const seq = new Sequential([Dense({ units: 1, inputShape: [2] })]).build(2);
    for (let run = 0; run < 2; run++) {
      seq.setWeights([[1, -2], [0.5]]);
      const net = seq.network(1, optimizer.slots);
      net.paramGrads()[0].set([0.5, -1]);
      optimizer.step(net);
      expect(net.params()[0][0]).toBeCloseTo(0.9, 6);
    }
  });
});

describe("createOptimizer", () => {
  it.each([0, -0.1, Number.NaN, Number.POSITIVE_INFINITY])("rejects the learning rate %s", (lr) => {
    expect(() => createOptimizer({ name: "adam", lr })).toThrow(UsageError);
    expect(() => createOptimizer({ name: "sgd", lr })).toThrow(/learning rate/);
  });

  it("rejects an unknown optimizer, listing the known ones", () => {
    expect(() => createOptimizer("rmsprop")).toThrow(
      "unknown optimizer 'rmsprop': expected one of sgd, adam",
    );
  });
});
