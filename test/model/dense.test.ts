/**
 * The dense layer: its three matrix products (TypeScript and WebAssembly kernels) against a naive
 * reference, forward and backward on hand-computed numbers, L2, and He / Glorot initialisation.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { Dense } from "../../src/model/layers.js";
import type { Network } from "../../src/model/network.js";
import { Sequential } from "../../src/model/sequential.js";
import { type DenseStep, initDense } from "../../src/ops/dense/train.js";
import { Rng } from "../../src/rng.js";
import { Arena, type Kernels, useJsKernels } from "../../src/train/kernels/index.js";
import * as js from "../../src/train/kernels/js.js";

// Naive references, in double precision: C = bias + A B^T, C = A^T B, C = A B.
function refABt(A: Float32Array, B: Float32Array, M: number, P: number, K: number, bias: Float32Array) {
  const C = new Float64Array(M * P);
  const mag = new Float64Array(M * P);
  for (let m = 0; m < M; m++)
    for (let p = 0; p < P; p++) {
      let s = bias[p];
      let a = Math.abs(bias[p]);
      for (let k = 0; k < K; k++) {
        s += A[m * K + k] * B[p * K + k];
        a += Math.abs(A[m * K + k] * B[p * K + k]);
      }
      C[m * P + p] = s;
      mag[m * P + p] = a;
    }
  return { C, mag };
}

function refAtB(A: Float32Array, B: Float32Array, P: number, Q: number, N: number) {
  const C = new Float64Array(P * Q);
  const mag = new Float64Array(P * Q);
  for (let p = 0; p < P; p++)
    for (let q = 0; q < Q; q++) {
      let s = 0;
      let a = 0;
      for (let n = 0; n < N; n++) {
        s += A[n * P + p] * B[n * Q + q];
        a += Math.abs(A[n * P + p] * B[n * Q + q]);
      }
      C[p * Q + q] = s;
      mag[p * Q + q] = a;
    }
  return { C, mag };
}

function refAB(A: Float32Array, B: Float32Array, N: number, Q: number, P: number) {
  const C = new Float64Array(N * Q);
  const mag = new Float64Array(N * Q);
  for (let n = 0; n < N; n++)
    for (let q = 0; q < Q; q++) {
      let s = 0;
      let a = 0;
      for (let p = 0; p < P; p++) {
        s += A[n * P + p] * B[p * Q + q];
        a += Math.abs(A[n * P + p] * B[p * Q + q]);
      }
      C[n * Q + q] = s;
      mag[n * Q + q] = a;
    }
  return { C, mag };
}

/**
 * Compares a float32 result with the double reference: each value within float32 rounding of a sum of
 * `terms` products (terms * 2^-23 times the sum of magnitudes, plus one rounding of the result).
 * Reports the first differences and a count.
 */
function expectClose(got: Float32Array, ref: { C: Float64Array; mag: Float64Array }, terms: number): void {
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < ref.C.length; i++) {
    const tol = (terms + 2) * 2 ** -23 * ref.mag[i] + 1e-30;
    if (!(Math.abs(got[i] - ref.C[i]) <= tol)) {
      count++;
      if (bad.length < 5)
        bad.push(`[${i}] got ${got[i]}, expected ${ref.C[i]} (tolerance ${tol.toExponential(2)})`);
    }
  }
  expect(count === 0 ? "" : `${count} of ${ref.C.length} values differ: ${bad.join("; ")}`).toBe("");
}

function randomArray(rng: Rng, a: Float32Array): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = rng.uniform(-2, 2);
  return a;
}

/** Buffers from an Arena, so that the WebAssembly kernels can reach them. */
function arena(kind: "js" | "wasm", lengths: number[]): { arrays: Float32Array[]; kernels: Kernels } {
  useJsKernels(kind === "js");
  try {
    return new Arena(lengths);
  } finally {
    useJsKernels(false);
  }
}

const SIZES = [1, 2, 3, 5, 7, 16, 17];
const SHAPES = SIZES.flatMap((a) => SIZES.flatMap((b) => [1, 3, 16, 17].map((c) => [a, b, c] as const)));

describe.each(["js", "wasm"] as const)("%s kernels", (kind) => {
  afterEach(() => useJsKernels(false));

  it("are the kind asked for", () => {
    expect(arena(kind, [4]).kernels.name).toBe(kind === "js" ? "js" : "wasm-simd");
  });

  it("matmulABt equals the naive reference on awkward sizes", () => {
    const rng = new Rng(1);
    for (const [M, P, K] of SHAPES) {
      const { arrays, kernels } = arena(kind, [M * K, P * K, M * P, P]);
      const [A, B, C, bias] = arrays.map((a) => randomArray(rng, a));
      kernels.matmulABt(A, B, C, M, P, K, bias);
      expectClose(C, refABt(A, B, M, P, K, bias), K);
    }
  });

  it("matmulAtB equals the naive reference on awkward sizes", () => {
    const rng = new Rng(2);
    for (const [P, Q, N] of SHAPES) {
      const { arrays, kernels } = arena(kind, [N * P, N * Q, P * Q]);
      const [A, B, C] = arrays.map((a) => randomArray(rng, a));
      kernels.matmulAtB(A, B, C, P, Q, N);
      expectClose(C, refAtB(A, B, P, Q, N), N);
    }
  });

  it("matmulAB equals the naive reference on awkward sizes", () => {
    const rng = new Rng(3);
    for (const [N, Q, P] of SHAPES) {
      const { arrays, kernels } = arena(kind, [N * P, P * Q, N * Q]);
      const [A, B, C] = arrays.map((a) => randomArray(rng, a));
      kernels.matmulAB(A, B, C, N, Q, P);
      expectClose(C, refAB(A, B, N, Q, P), P);
    }
  });

  it("all three equal the reference for any size up to 20 (property)", () => {
    const dim = fc.integer({ min: 1, max: 20 });
    fc.assert(
      fc.property(dim, dim, dim, fc.integer({ min: 0, max: 2 ** 31 }), (a, b, c, seed) => {
        const rng = new Rng(seed);
        const { arrays, kernels } = arena(kind, [a * c, b * c, a * b, b, c * a, c * b, a * b, a * c, c * b]);
        const [A, B, C, bias, G, X, dW, D, W] = arrays.map((x) => randomArray(rng, x));
        kernels.matmulABt(A, B, C, a, b, c, bias);
        expectClose(C, refABt(A, B, a, b, c, bias), c);
        kernels.matmulAtB(G, X, dW, a, b, c);
        expectClose(dW, refAtB(G, X, a, b, c), c);
        kernels.matmulAB(D, W, C, a, b, c);
        expectClose(C, refAB(D, W, a, b, c), c);
      }),
      { numRuns: 60 },
    );
  });

  it("adamStep equals the TypeScript reference", () => {
    const rng = new Rng(4);
    const n = 23;
    const { arrays, kernels } = arena(kind, [n, n, n, n]);
    const [w, g, m, v] = arrays.map((a) => randomArray(rng, a));
    for (let j = 0; j < n; j++) v[j] = Math.abs(v[j]);
    const [w2, g2, m2, v2] = [w, g, m, v].map((a) => a.slice());
    kernels.adamStep(w, g, m, v, n, 0.01, 0.9, 0.999, 1e-7);
    js.adamStep(w2, g2, m2, v2, n, 0.01, 0.9, 0.999, 1e-7);
    for (let j = 0; j < n; j++) {
      expect(w[j]).toBeCloseTo(w2[j], 6);
      expect(m[j]).toBeCloseTo(m2[j], 6);
      expect(v[j]).toBeCloseTo(v2[j], 6);
    }
  });
});

/** A network of the given layers with the given weights (W row-major [out][in], then b, per Dense). */
function networkOf(layers: ReturnType<typeof Dense>[], inputSize: number, weights: number[][], N: number) {
  const seq = new Sequential(layers).build(inputSize);
  seq.setWeights(weights);
  return seq.network(N);
}

describe("DenseStep", () => {
  // X [2][3], W [2][3], b [2]:
  //   Y[0] = [1 - 3 + 0.5, 0.5 + 2 + 6 - 1] = [-1.5, 7.5];  Y[1] = [4 - 6 + 0.5, 2 + 5 + 12 - 1] = [-1.5, 18]
  // with dY = [[1, 2], [3, -1]]:
  //   db = [1 + 3, 2 - 1] = [4, 1]
  //   dW = dY^T X = [[1*1 + 3*4, 1*2 + 3*5, 1*3 + 3*6], [2*1 - 4, 2*2 - 5, 2*3 - 6]] = [[13, 17, 21], [-2, -1, 0]]
  //   dX = dY W = [[1 + 1, 0 + 2, -1 + 4], [3 - 0.5, 0 - 1, -3 - 2]] = [[2, 2, 3], [2.5, -1, -5]]
  const X = [1, 2, 3, 4, 5, 6];
  const W = [1, 0, -1, 0.5, 1, 2];
  const b = [0.5, -1];
  const dY = [1, 2, 3, -1];

  function tiny(l2 = 0): { net: Network; op: DenseStep } {
    const net = networkOf([Dense({ units: 2, inputShape: [3], l2 })], 3, [W, b], 2);
    net.acts[0].set(X);
    return { net, op: net.steps[0].step as DenseStep };
  }

  it("forward computes b + X W^T on a 2x3 input", () => {
    const { net } = tiny();
    net.forward(2);
    expect(Array.from(net.output.subarray(0, 4))).toEqual([-1.5, 7.5, -1.5, 18]);
  });

  it("backward computes db, dW and dX on a 2x3 input", () => {
    const { net, op } = tiny();
    net.forward(2);
    net.grads[1].set(dY);
    op.backward([net.acts[0]], net.acts[1], net.grads[1], [net.grads[0]], 2);
    expect(Array.from(op.db!)).toEqual([4, 1]);
    expect(Array.from(op.dW)).toEqual([13, 17, 21, -2, -1, 0]);
    expect(Array.from(net.grads[0].subarray(0, 6))).toEqual([2, 2, 3, 2.5, -1, -5]);
  });

  it("backward of the first layer through the network leaves the input gradient alone", () => {
    const { net, op } = tiny();
    net.forward(2);
    net.grads[0].fill(7);
    net.grads[1].set(dY);
    net.backward(2, 1);
    expect(Array.from(op.dW)).toEqual([13, 17, 21, -2, -1, 0]);
    expect(net.grads[0].every((v) => v === 7)).toBe(true);
  });

  it("uses only the first N rows of a larger buffer", () => {
    const net = networkOf([Dense({ units: 2, inputShape: [3] })], 3, [W, b], 4);
    net.acts[0].set([...X, 100, 100, 100, 100, 100, 100]);
    net.forward(1);
    net.grads[1].set([1, 2, 99, 99, 99, 99, 99, 99]);
    net.backward(1, 1);
    const op = net.steps[0].step as DenseStep;
    expect(Array.from(op.db!)).toEqual([1, 2]);
    expect(Array.from(op.dW)).toEqual([1, 2, 3, 2, 4, 6]);
  });

  it("L2 adds l2 * sum(W^2) to the penalty and 2 * l2 * W to dW", () => {
    const { net, op } = tiny(0.5);
    // sum(W^2) = 1 + 0 + 1 + 0.25 + 1 + 4 = 7.25
    expect(net.penalty()).toBe(0.5 * 7.25);
    net.forward(2);
    net.grads[1].set(dY);
    net.backward(2, 1);
    expect(Array.from(op.dW)).toEqual([13 + 1, 17, 21 - 1, -2 + 0.5, -1 + 1, 0 + 2]);
    expect(Array.from(op.db!)).toEqual([4, 1]);
  });

  it("works on its own copy of the weights until commit", () => {
    const seq = new Sequential([Dense({ units: 2, inputShape: [3] })]).build(3);
    seq.setWeights([W, b]);
    const net = seq.network(1);
    net.params()[0][0] = 42;
    expect(seq.getWeights()[0][0]).toBe(1);
    net.commit();
    expect(seq.getWeights()[0][0]).toBe(42);
  });
});

describe("initDense", () => {
  it("draws He uniform weights within sqrt(6 / inputs) and zero biases", () => {
    const { kernel: W, bias: b } = initDense(50, 40, "he", new Rng(1), "zeros");
    const limit = Math.sqrt(6 / 50);
    const max = W.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(max).toBeLessThanOrEqual(limit);
    expect(max).toBeGreaterThan(0.98 * limit);
    expect(b).toEqual(new Float32Array(40));
  });

  it("draws Glorot uniform weights within sqrt(6 / (inputs + outputs))", () => {
    const { kernel: W } = initDense(50, 40, "glorot", new Rng(1), "zeros");
    const limit = Math.sqrt(6 / 90);
    const max = W.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(max).toBeLessThanOrEqual(limit);
    expect(max).toBeGreaterThan(0.98 * limit);
  });

  it("draws weights centred on zero with the variance of a uniform distribution", () => {
    const { kernel: W } = initDense(100, 100, "he", new Rng(5), "zeros");
    const limit = Math.sqrt(6 / 100);
    const mean = W.reduce((s, v) => s + v, 0) / W.length;
    const variance = W.reduce((s, v) => s + v * v, 0) / W.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(variance).toBeCloseTo(limit ** 2 / 3, 2);
  });

  it("is deterministic for a seed", () => {
    expect(initDense(4, 3, "he", new Rng(9), "zeros").kernel).toEqual(
      initDense(4, 3, "he", new Rng(9), "zeros").kernel,
    );
    expect(initDense(4, 3, "he", new Rng(9), "zeros").kernel).not.toEqual(
      initDense(4, 3, "he", new Rng(10), "zeros").kernel,
    );
  });

  it("is chosen by the activation when a Sequential is built: He for relu, Glorot for sigmoid", () => {
    const seq = new Sequential([
      Dense({ units: 64, activation: "relu", inputShape: [30] }),
      Dense({ units: 66, activation: "sigmoid" }),
    ]).build(30, 3);
    const [W0, , W1] = seq.getWeights();
    const max = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(max(W0)).toBeLessThanOrEqual(Math.sqrt(6 / 30));
    expect(max(W0)).toBeGreaterThan(Math.sqrt(6 / 94));
    expect(max(W1)).toBeLessThanOrEqual(Math.sqrt(6 / 130));
  });
});
