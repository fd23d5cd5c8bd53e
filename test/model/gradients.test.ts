/**
 * Gradients ↔ finite differences: every layer kind (Dense, Activation, and a convolutional network on
 * both kernel sets), every activation (built in and registered), every loss, fused or not, and L2;
 * parameter gradients (dW, db) and input gradients.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerActivation, unregisterActivation } from "../../src/core/activations.js";
import {
  Activation,
  AveragePooling2D,
  Conv2D,
  Dense,
  DepthwiseConv2D,
  GlobalAveragePooling2D,
  type Layer,
  MaxPooling2D,
} from "../../src/model/layers.js";
import { Sequential } from "../../src/model/sequential.js";
import { Rng } from "../../src/rng.js";
import { useJsKernels } from "../../src/train/kernels/index.js";
import { checkNetwork, expectAwayFrom, expectGradientsMatch, gradientMismatches } from "./gradcheck.js";

const swish = (x: number) => x / (1 + Math.exp(-x));
const swishGrad = (x: number, y: number) => {
  const s = 1 / (1 + Math.exp(-x));
  return s + y * (1 - s);
};

beforeAll(() => {
  registerActivation("swish", swish, swishGrad);
  // deliberately wrong derivatives, to show that the check catches them
  registerActivation("tanh_twice", Math.tanh, (_x, y) => 2 * (1 - y * y));
  registerActivation("tanh_negated", Math.tanh, (_x, y) => -(1 - y * y));
});

afterAll(() => {
  for (const name of ["swish", "tanh_twice", "tanh_negated"]) unregisterActivation(name);
});

/** A built model with seeded weights and non-zero biases. */
function model(layers: Layer[], inputSize: number | number[], seed = 1): Sequential {
  const seq = new Sequential(layers).build(inputSize, seed);
  const rng = new Rng(seed + 100);
  const weights = seq.getWeights();
  for (let j = 1; j < weights.length; j += 2)
    for (let i = 0; i < weights[j].length; i++) weights[j][i] = rng.uniform(-0.5, 0.5);
  return seq;
}

function rows(N: number, width: number, seed: number, lo = -1.5, hi = 1.5): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: N }, () => Array.from({ length: width }, () => rng.uniform(lo, hi)));
}

function targets(count: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => rng.uniform(-1, 1));
}

/** The kinks of each activation: where its derivative jumps. */
const KINKS: Record<string, number[]> = { relu: [0], relu6: [0, 6], leaky_relu: [0] };

describe("Network.backward ↔ finite differences, per hidden activation", () => {
  const cases: [string, number | undefined][] = [
    ["relu", undefined],
    ["relu6", undefined],
    ["leaky_relu", 0.3],
    ["sigmoid", undefined],
    ["tanh", undefined],
    ["linear", undefined],
    ["swish", undefined],
  ];

  it.each(cases)("Dense(%s) → Dense: dW, db and input gradients", (activation, alpha) => {
    const seq = model([Dense({ units: 5, activation, alpha, inputShape: [3] }), Dense({ units: 2 })], 3, 2);
    const check = checkNetwork(seq, "mse", rows(4, 3, 2), targets(8, 3));
    if (KINKS[activation]) expectAwayFrom(check.net.acts[1].subarray(0, 4 * 5), KINKS[activation]);
    expectGradientsMatch([...check.params, ...check.acts]);
  });

  it("Dense(leaky_relu) uses its alpha below zero", () => {
    const seq = model([Dense({ units: 5, activation: "leaky_relu", alpha: 0.3, inputShape: [3] })], 3);
    const check = checkNetwork(seq, "mse", rows(4, 3, 2), targets(20, 3));
    const z = check.net.acts[1].subarray(0, 20);
    const y = check.net.acts[2].subarray(0, 20);
    expect(z.some((v) => v < 0)).toBe(true);
    for (let i = 0; i < 20; i++) expect(y[i]).toBeCloseTo(z[i] >= 0 ? z[i] : 0.3 * z[i], 6);
    expectGradientsMatch([...check.params, ...check.acts]);
  });
});

describe("Network.backward ↔ finite differences, per layer kind and loss", () => {
  it("separate Activation layers (tanh, leaky_relu) between Dense layers", () => {
    const seq = model(
      [
        Dense({ units: 4, inputShape: [3] }),
        Activation("tanh"),
        Dense({ units: 3 }),
        Activation("leaky_relu", { alpha: 0.1 }),
      ],
      3,
    );
    const check = checkNetwork(seq, "mse", rows(3, 3, 4), targets(9, 5));
    expectAwayFrom(check.net.acts[3].subarray(0, 9), [0]);
    expect(check.acts).toHaveLength(5);
    expectGradientsMatch([...check.params, ...check.acts]);
  });

  it("softmax output with mse (softmax backward, not fused)", () => {
    const seq = model(
      [Dense({ units: 4, activation: "tanh", inputShape: [3] }), Dense({ units: 3, activation: "softmax" })],
      3,
    );
    const check = checkNetwork(seq, "mse", rows(4, 3, 6, -3, 3), [1, 0, 0, 0, 1, 0, 0, 0, 1, 0.2, 0.3, 0.5]);
    expectGradientsMatch([...check.params, ...check.acts]);
  });

  it.each(["sparse_categorical_crossentropy", "categorical_crossentropy"])(
    "softmax output with %s (fused: the gradient starts at the logits)",
    (loss) => {
      const seq = model(
        [
          Dense({ units: 4, activation: "tanh", inputShape: [3] }),
          Dense({ units: 3, activation: "softmax" }),
        ],
        3,
      );
      const target = loss.startsWith("sparse")
        ? [0, 2, 1, 2]
        : [1, 0, 0, 0, 0, 1, 0.5, 0.5, 0, 0, 0.25, 0.75];
      const check = checkNetwork(seq, loss, rows(4, 3, 7, -2, 2), target);
      expect(check.net.lossStart("softmax")).toBe(check.net.acts.length - 2);
      expectGradientsMatch([...check.params, ...check.acts]);
    },
  );

  it.each([1, 2])("sigmoid output of width %i with binary_crossentropy (fused)", (width) => {
    const seq = model(
      [
        Dense({ units: 4, activation: "tanh", inputShape: [3] }),
        Dense({ units: width, activation: "sigmoid" }),
      ],
      3,
    );
    const check = checkNetwork(
      seq,
      "binary_crossentropy",
      rows(4, 3, 8, -2, 2),
      [1, 0, 0, 1, 1, 1, 0, 0].slice(0, 4 * width),
    );
    expectGradientsMatch([...check.params, ...check.acts]);
  });

  it.each(["sparse_categorical_crossentropy", "categorical_crossentropy"])(
    "linear output (logits) with %s: the gradient matches the value",
    (loss) => {
      const seq = model([Dense({ units: 4, activation: "tanh", inputShape: [3] }), Dense({ units: 3 })], 3);
      const target = loss.startsWith("sparse")
        ? [0, 2, 1, 2]
        : [1, 0, 0, 0, 0, 1, 0.5, 0.5, 0, 0, 0.25, 0.75];
      const check = checkNetwork(seq, loss, rows(4, 3, 9, -2, 2), target);
      expectGradientsMatch([...check.params, ...check.acts]);
    },
  );

  it("linear output (logit) with binary_crossentropy: the gradient matches the value", () => {
    const seq = model([Dense({ units: 4, activation: "tanh", inputShape: [3] }), Dense({ units: 1 })], 3);
    const check = checkNetwork(seq, "binary_crossentropy", rows(4, 3, 10, -2, 2), [1, 0, 0, 1]);
    expectGradientsMatch([...check.params, ...check.acts]);
  });

  it("mae on a linear output", () => {
    const seq = model([Dense({ units: 4, activation: "tanh", inputShape: [3] }), Dense({ units: 2 })], 3);
    const target = targets(8, 11);
    const check = checkNetwork(seq, "mae", rows(4, 3, 12), target);
    const residuals = Array.from(check.net.output.subarray(0, 8), (y, i) => y - target[i]);
    expectAwayFrom(residuals, [0]);
    expectGradientsMatch([...check.params, ...check.acts]);
  });

  it("L2 on two Dense layers: dW includes 2 * l2 * W, the loss includes the penalty", () => {
    const seq = model(
      [Dense({ units: 4, activation: "tanh", l2: 0.05, inputShape: [3] }), Dense({ units: 2, l2: 0.1 })],
      3,
    );
    const check = checkNetwork(seq, "mse", rows(4, 3, 13), targets(8, 14));
    expect(check.net.penalty()).toBeGreaterThan(0);
    expectGradientsMatch([...check.params, ...check.acts]);
  });
});

describe.each(["wasm", "js"] as const)("a convolutional network on the %s kernels", (kind) => {
  // max pooling after a relu would see windows of zeros: ties, where the derivative is not defined
  it("Conv2D tanh, MaxPooling2D, DepthwiseConv2D leaky_relu, AveragePooling2D, 1×1 Conv2D relu, GlobalAveragePooling2D, Dense", () => {
    useJsKernels(kind === "js");
    try {
      const seq = model(
        [
          Conv2D({ filters: 4, kernelSize: 3, padding: "same", activation: "tanh", inputShape: [6, 6, 2] }),
          MaxPooling2D({ poolSize: 2 }),
          DepthwiseConv2D({ kernelSize: 2, depthMultiplier: 2, activation: "leaky_relu" }),
          AveragePooling2D({ poolSize: 2, strides: 1, padding: "same" }),
          Conv2D({ filters: 3, kernelSize: 1, activation: "relu" }),
          GlobalAveragePooling2D(),
          Dense({ units: 2 }),
        ],
        [6, 6, 2],
      );
      const check = checkNetwork(seq, "mse", rows(3, 72, 15), targets(6, 16));
      expect(check.net.kernels.name).toBe(kind === "js" ? "js" : "wasm-simd");
      expectGradientsMatch([...check.params, ...check.acts]);
    } finally {
      useJsKernels(false);
    }
  });
});

describe("the gradient check itself", () => {
  it.each(["tanh_twice", "tanh_negated"])("catches a wrong derivative (%s)", (activation) => {
    const seq = model([Dense({ units: 5, activation, inputShape: [3] }), Dense({ units: 2 })], 3);
    const check = checkNetwork(seq, "mse", rows(4, 3, 2), targets(8, 3));
    // the second layer's gradients do not depend on the activation's derivative; the first layer's do
    expect(gradientMismatches(check.params.slice(2))).toEqual([]);
    expect(gradientMismatches(check.params.slice(0, 2)).length).toBeGreaterThan(10);
  });
});
