/**
 * The activation registry: values of the built-in activations, each derivative against finite differences
 * on inputs chosen on both sides of (and away from) every kink, softmax as a vector activation, and
 * user-registered activations.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  activationNames,
  DEFAULT_LEAKY_ALPHA,
  getActivation,
  hasActivation,
  registerActivation,
  unregisterActivation,
} from "../../src/core/activations.js";
import { UsageError } from "../../src/errors.js";
import { Activation, Dense } from "../../src/model/layers.js";
import { ActivationStep } from "../../src/ops/activation/train.js";
import { jsKernels } from "../../src/train/kernels/index.js";
import { expectGradientsMatch, numericGradient } from "./gradcheck.js";

afterEach(() => unregisterActivation("swish"));

/** An activation step over rows of `width` values. */
function step(width: number, name: string, options: { alpha?: number }): ActivationStep {
  return new ActivationStep(width, width, name, options, jsKernels);
}

function apply(name: string, xs: number[], alpha?: number): number[] {
  const op = step(xs.length, name, alpha === undefined ? {} : { alpha });
  const y = new Float32Array(xs.length);
  op.forward([Float32Array.from(xs)], y, 1);
  return Array.from(y);
}

describe("built-in activations", () => {
  it("relu clamps below zero", () => {
    expect(apply("relu", [-2, -0.5, 0, 0.5, 7])).toEqual([0, 0, 0, 0.5, 7]);
  });

  it("relu6 clamps to [0, 6]", () => {
    expect(apply("relu6", [-2, 0.5, 5.5, 6, 9])).toEqual([0, 0.5, 5.5, 6, 6]);
  });

  it(`leaky_relu scales negatives by alpha (default ${DEFAULT_LEAKY_ALPHA})`, () => {
    expect(apply("leaky_relu", [-2, 0, 3], 0.25)).toEqual([-0.5, 0, 3]);
    expect(apply("leaky_relu", [-2])[0]).toBeCloseTo(-2 * DEFAULT_LEAKY_ALPHA, 7);
  });

  it("sigmoid is 1/2 at 0, symmetric, and finite far out", () => {
    const [a, b, c, d, e] = apply("sigmoid", [0, 2, -2, 800, -800]);
    expect(a).toBe(0.5);
    expect(b + c).toBeCloseTo(1, 7);
    expect(b).toBeCloseTo(1 / (1 + Math.exp(-2)), 7);
    expect([d, e]).toEqual([1, 0]);
  });

  it("tanh and linear", () => {
    expect(apply("tanh", [0.5])[0]).toBeCloseTo(Math.tanh(0.5), 7);
    expect(apply("linear", [-3.25, 4])).toEqual([-3.25, 4]);
  });

  it("softmax gives each row probabilities summing to 1", () => {
    const op = step(3, "softmax", {});
    const y = new Float32Array(6);
    op.forward([Float32Array.from([0, Math.log(2), Math.log(5), 1, 1, 1])], y, 2);
    expect(Array.from(y, (v) => Number(v.toFixed(6)))).toEqual([
      0.125, 0.25, 0.625, 0.333333, 0.333333, 0.333333,
    ]);
  });

  it("softmax does not overflow on large logits and ignores a common shift", () => {
    const op = step(3, "softmax", {});
    const a = new Float32Array(3);
    const b = new Float32Array(3);
    op.forward([Float32Array.from([1000, 1001, 999])], a, 1);
    op.forward([Float32Array.from([0, 1, -1])], b, 1);
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it("declare He for the relu family, Glorot for the rest", () => {
    expect(["relu", "relu6", "leaky_relu"].map((n) => getActivation(n).init)).toEqual(["he", "he", "he"]);
    expect(["sigmoid", "tanh", "linear", "softmax"].map((n) => getActivation(n).init)).toEqual([
      "glorot",
      "glorot",
      "glorot",
      "glorot",
    ]);
  });
});

describe("ActivationStep.backward ↔ finite differences", () => {
  // inputs on both sides of every kink (0 for the relu family, 6 for relu6), none within 0.1 of one
  const Z = [-3.1, -1.7, -0.6, -0.15, 0.2, 0.9, 1.6, 2.8, 5.4, 6.3, 7.5, -4.4];
  const cases: [string, number | undefined][] = [
    ["relu", undefined],
    ["relu6", undefined],
    ["leaky_relu", undefined],
    ["leaky_relu", 0.05],
    ["sigmoid", undefined],
    ["tanh", undefined],
    ["linear", undefined],
    ["softmax", undefined],
    ["swish", undefined],
  ];

  it.each(cases)("%s (alpha %s): dz = dy * f'(z) for L = sum(c * f(z))", (name, alpha) => {
    registerActivation(
      "swish",
      (x) => x / (1 + Math.exp(-x)),
      (x, y) => {
        const s = 1 / (1 + Math.exp(-x));
        return s + y * (1 - s);
      },
    );
    const width = name === "softmax" ? 4 : Z.length;
    const N = Z.length / width;
    const op = step(width, name, alpha === undefined ? {} : { alpha });
    const z = Float32Array.from(Z);
    const y = new Float32Array(Z.length);
    // weights c with both signs, so that a sign error cannot cancel
    const c = Float32Array.from(Z, (_, i) => ((i * 7) % 5) - 1.7);
    const L = () => {
      op.forward([z], y, N);
      let s = 0;
      for (let i = 0; i < y.length; i++) s += c[i] * y[i];
      return s;
    };
    L();
    const dz = new Float32Array(Z.length);
    op.backward([z], y, c, [dz], N);
    expectGradientsMatch([{ name, analytic: dz, numeric: numericGradient(z, z.length, L) }]);
  });

  it("leaky_relu's gradient below zero is its alpha", () => {
    const op = step(2, "leaky_relu", { alpha: 0.05 });
    const z = Float32Array.from([-1, 1]);
    const y = new Float32Array(2);
    const dz = new Float32Array(2);
    op.forward([z], y, 1);
    op.backward([z], y, Float32Array.from([1, 1]), [dz], 1);
    expect(Array.from(dz)).toEqual([Math.fround(0.05), 1]);
  });

  it("relu6's gradient is 0 above 6", () => {
    const op = step(3, "relu6", {});
    const z = Float32Array.from([-1, 3, 7]);
    const y = new Float32Array(3);
    const dz = new Float32Array(3);
    op.forward([z], y, 1);
    op.backward([z], y, Float32Array.from([2, 2, 2]), [dz], 1);
    expect(Array.from(dz)).toEqual([0, 2, 0]);
  });
});

describe("registerActivation", () => {
  it("adds an elementwise activation usable by Dense and Activation layers", () => {
    registerActivation(
      "swish",
      (x) => x / (1 + Math.exp(-x)),
      () => 1,
      { init: "he" },
    );
    expect(hasActivation("swish")).toBe(true);
    expect(activationNames()).toContain("swish");
    expect(getActivation("swish")).toMatchObject({ builtin: false, elementwise: true, init: "he" });
    expect((Dense({ units: 2, activation: "swish" }).config as { activation: string }).activation).toBe(
      "swish",
    );
    expect(Activation("swish").config).toEqual({ activation: "swish" });
    expect(apply("swish", [0, 2])).toEqual([0, Math.fround(2 / (1 + Math.exp(-2)))]);
  });

  it("defaults to Glorot initialisation and may be registered again", () => {
    registerActivation(
      "swish",
      (x) => x,
      () => 1,
    );
    registerActivation(
      "swish",
      (x) => 2 * x,
      () => 2,
    );
    expect(getActivation("swish").init).toBe("glorot");
    expect(apply("swish", [3])).toEqual([6]);
  });

  it("is removed by unregisterActivation, which leaves built-ins alone", () => {
    registerActivation(
      "swish",
      (x) => x,
      () => 1,
    );
    unregisterActivation("swish");
    unregisterActivation("relu");
    expect(hasActivation("swish")).toBe(false);
    expect(hasActivation("relu")).toBe(true);
  });

  it.each(["Swish", "1swish", "swish-2", "", "a".repeat(33)])("rejects the name '%s'", (name) => {
    expect(() =>
      registerActivation(
        name,
        (x) => x,
        () => 1,
      ),
    ).toThrow(UsageError);
  });

  it("refuses to replace a built-in activation", () => {
    expect(() =>
      registerActivation(
        "relu",
        (x) => x,
        () => 1,
      ),
    ).toThrow(/built in/);
  });
});

describe("getActivation", () => {
  it("rejects an unknown name, listing the known ones", () => {
    expect(() => getActivation("foo")).toThrow(UsageError);
    expect(() => getActivation("foo")).toThrow(
      /unknown activation 'foo': expected one of relu, relu6, leaky_relu/,
    );
  });

  it("rejects an unknown activation in a layer", () => {
    expect(() => Dense({ units: 3, activation: "foo" })).toThrow(/unknown activation 'foo'/);
    expect(() => Activation("foo")).toThrow(/unknown activation 'foo'/);
  });
});
