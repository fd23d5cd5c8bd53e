/**
 * The training kernels of the relu family, the bias gradient and the sliding-window layers: the
 * WebAssembly SIMD kernels (assembly/) against their TypeScript references (src/train/kernels/), on random
 * shapes, windows, strides, dilations and paddings. Copies, maxima and the sums both compute in the same
 * order in float32 (col2im) are compared exactly; other sums within float32 rounding of a sum of their
 * terms (the references add in double). Each adjoint pair (im2col and col2im, the poolings' forward and
 * backward) is also checked as one: <forward(x), y> = <x, backward(y)>. The references themselves are
 * gradient-checked by test/ops/contract.test.ts and test/model/gradients.test.ts.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { type Geometry, geometry } from "../../src/ops/conv2d/geometry.js";
import { Rng } from "../../src/rng.js";
import { Arena, jsKernels, type Kernels, useJsKernels } from "../../src/train/kernels/index.js";

afterEach(() => useJsKernels(false));

/** Buffers of the given lengths in a WebAssembly arena, filled with values in [-2, 2]. */
function wasmArena(lengths: number[], rng: Rng): { arrays: Float32Array[]; kernels: Kernels } {
  const arena = new Arena(lengths);
  expect(arena.kernels.name).toBe("wasm-simd");
  for (const a of arena.arrays) for (let i = 0; i < a.length; i++) a[i] = rng.uniform(-2, 2);
  return arena;
}

/** Every value equal, naming the first differences. */
function expectSame(got: Float32Array, want: Float32Array, what: string): void {
  const bad: string[] = [];
  for (let i = 0; i < want.length; i++)
    if (!Object.is(got[i], want[i]) && bad.length < 4) bad.push(`[${i}] ${got[i]} vs ${want[i]}`);
  expect(bad.join("; "), what).toBe("");
}

/**
 * Every value within float32 rounding of a sum of `terms` terms whose magnitudes sum to mag[i] (the
 * reference run on the absolute values of its inputs).
 */
function expectClose(got: Float32Array, want: Float32Array, mag: Float32Array, terms: number, what: string) {
  const bad: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const tol = (terms + 2) * 2 ** -23 * mag[i] + 1e-30;
    if (!(Math.abs(got[i] - want[i]) <= tol) && bad.length < 4)
      bad.push(`[${i}] ${got[i]} vs ${want[i]} (tolerance ${tol.toExponential(2)})`);
  }
  expect(bad.join("; "), what).toBe("");
}

const abs = (a: Float32Array) => Float32Array.from(a, Math.abs);
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0);

/** A random window over a random input, by TensorFlow's rule (both paddings). */
const windows = fc
  .record({
    H: fc.integer({ min: 1, max: 7 }),
    W: fc.integer({ min: 1, max: 7 }),
    C: fc.integer({ min: 1, max: 9 }),
    kh: fc.integer({ min: 1, max: 3 }),
    kw: fc.integer({ min: 1, max: 3 }),
    sh: fc.integer({ min: 1, max: 3 }),
    sw: fc.integer({ min: 1, max: 3 }),
    dh: fc.integer({ min: 1, max: 2 }),
    dw: fc.integer({ min: 1, max: 2 }),
    same: fc.boolean(),
    N: fc.integer({ min: 1, max: 3 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 }),
  })
  .filter((r) => r.same || ((r.kh - 1) * r.dh < r.H && (r.kw - 1) * r.dw < r.W));

type WindowCase = typeof windows extends fc.Arbitrary<infer T> ? T : never;

/** The case's geometry; pooling has no dilation. */
function windowOf(r: WindowCase, pool = false): Geometry {
  return geometry(r.H, r.W, r.C, {
    kernel: [r.kh, r.kw],
    strides: [r.sh, r.sw],
    dilation: pool ? [1, 1] : [r.dh, r.dw],
    padding: r.same ? "same" : "valid",
  });
}

describe("elementwise kernels: WebAssembly equals TypeScript", () => {
  it.each([
    ["relu", 0, Number.POSITIVE_INFINITY],
    ["relu6", 0, 6],
  ])("clamp (%s) forward and backward, exactly, with the kinks and -0 among the values", (_name, lo, hi) => {
    const rng = new Rng(1);
    const n = 37;
    const { arrays, kernels } = wasmArena([n, n, n, n], rng);
    const [z, y, dy, dz] = arrays;
    z.set([0, -0, 6, -6, 5.999999, 1e-30, Number.NaN]);
    for (let i = 7; i < n; i++) z[i] = rng.uniform(-8, 8);
    const want = new Float32Array(n);
    const wantD = new Float32Array(n);
    kernels.clampForward(z, y, n, lo, hi);
    jsKernels.clampForward(z, want, n, lo, hi);
    expectSame(y, want, "y");
    kernels.clampBackward(z, dy, dz, n, lo, hi);
    jsKernels.clampBackward(z, dy, wantD, n, lo, hi);
    expectSame(dz, wantD, "dz");
  });

  it("leaky forward and backward", () => {
    const rng = new Rng(2);
    const n = 23;
    const { arrays, kernels } = wasmArena([n, n, n, n], rng);
    const [z, y, dy, dz] = arrays;
    z[0] = 0;
    const want = new Float32Array(n);
    const wantD = new Float32Array(n);
    kernels.leakyForward(z, y, n, 0.2);
    jsKernels.leakyForward(z, want, n, Math.fround(0.2));
    expectSame(y, want, "y");
    kernels.leakyBackward(z, dy, dz, n, 0.2);
    jsKernels.leakyBackward(z, dy, wantD, n, Math.fround(0.2));
    expectSame(dz, wantD, "dz");
  });

  it("colSums and transpose, any shape up to 20 (property)", () => {
    const dim = fc.integer({ min: 1, max: 20 });
    fc.assert(
      fc.property(dim, dim, fc.integer({ min: 0, max: 2 ** 31 }), (R, C, seed) => {
        const { arrays, kernels } = wasmArena([R * C, C, C * R], new Rng(seed));
        const [A, sums, T] = arrays;
        kernels.colSums(A, sums, R, C);
        const want = new Float32Array(C);
        const mag = new Float32Array(C);
        jsKernels.colSums(A, want, R, C);
        jsKernels.colSums(abs(A), mag, R, C);
        expectClose(sums, want, mag, R, "sums");
        kernels.transpose(A, T, R, C);
        const wantT = new Float32Array(C * R);
        jsKernels.transpose(A, wantT, R, C);
        expectSame(T, wantT, "transpose");
      }),
      { numRuns: 60 },
    );
  });
});

describe("window kernels: WebAssembly equals TypeScript (property, random windows)", () => {
  it("im2col exactly, col2im exactly, and col2im is im2col's adjoint", () => {
    fc.assert(
      fc.property(windows, (r) => {
        const g = windowOf(r);
        const inLen = r.N * r.H * r.W * r.C;
        const colLen = r.N * g.Ho * g.Wo * g.kernel[0] * g.kernel[1] * r.C;
        const { arrays, kernels } = wasmArena([inLen, colLen, colLen, inLen], new Rng(r.seed));
        const [x, cols, dcols, dx] = arrays;
        kernels.im2col(x, cols, r.N, g);
        const want = new Float32Array(colLen);
        jsKernels.im2col(x, want, r.N, g);
        expectSame(cols, want, "cols");
        kernels.col2im(dcols, dx, r.N, g);
        const wantDx = new Float32Array(inLen);
        jsKernels.col2im(dcols, wantDx, r.N, g);
        expectSame(dx, wantDx, "dx");
        expect(dot(cols, dcols)).toBeCloseTo(dot(x, dx), 3);
      }),
      { numRuns: 150 },
    );
  });

  it("depthwise forward and backward, depth multipliers 1 to 3", () => {
    fc.assert(
      fc.property(windows, fc.integer({ min: 1, max: 3 }), fc.boolean(), (r, M, bias) => {
        const g = windowOf(r);
        const taps = g.kernel[0] * g.kernel[1];
        const CM = r.C * M;
        const inLen = r.N * r.H * r.W * r.C;
        const outLen = r.N * g.Ho * g.Wo * CM;
        const rng = new Rng(r.seed);
        const { arrays, kernels } = wasmArena(
          [inLen, taps * CM, CM, outLen, outLen, taps * CM, CM, inLen],
          rng,
        );
        const [x, k, b, y, dy, dk, db, dx] = arrays;
        kernels.depthwiseForward(x, k, bias ? b : null, y, r.N, M, g);
        const want = new Float32Array(outLen);
        const mag = new Float32Array(outLen);
        jsKernels.depthwiseForward(x, k, bias ? b : null, want, r.N, M, g);
        jsKernels.depthwiseForward(abs(x), abs(k), bias ? abs(b) : null, mag, r.N, M, g);
        expectClose(y, want, mag, taps + 1, "y");

        kernels.depthwiseBackward(x, k, dy, dk, bias ? db : null, dx, r.N, M, g);
        const wantDk = new Float32Array(taps * CM);
        const wantDb = new Float32Array(CM);
        const wantDx = new Float32Array(inLen);
        jsKernels.depthwiseBackward(x, k, dy, wantDk, bias ? wantDb : null, wantDx, r.N, M, g);
        const magDk = new Float32Array(taps * CM);
        const magDb = new Float32Array(CM);
        const magDx = new Float32Array(inLen);
        jsKernels.depthwiseBackward(abs(x), abs(k), abs(dy), magDk, magDb, magDx, r.N, M, g);
        const rows = r.N * g.Ho * g.Wo;
        expectClose(dk, wantDk, magDk, rows, "dKernel");
        if (bias) expectClose(db, wantDb, magDb, rows, "dBias");
        expectClose(dx, wantDx, magDx, taps * M, "dx");
      }),
      { numRuns: 150 },
    );
  });

  it("max pooling forward (values and arg) exactly, backward exactly, with ties", () => {
    fc.assert(
      fc.property(windows, fc.boolean(), (r, ties) => {
        const g = windowOf(r, true);
        const inLen = r.N * r.H * r.W * r.C;
        const outLen = r.N * g.Ho * g.Wo * r.C;
        const { arrays, kernels } = wasmArena([inLen, outLen, outLen, outLen, inLen], new Rng(r.seed));
        const [x, y, arg, dy, dx] = arrays;
        if (ties) for (let i = 0; i < inLen; i++) x[i] = Math.round(x[i]);
        kernels.maxPoolForward(x, y, arg, r.N, g);
        const want = new Float32Array(outLen);
        const wantArg = new Float32Array(outLen);
        jsKernels.maxPoolForward(x, want, wantArg, r.N, g);
        expectSame(y, want, "y");
        expectSame(arg, wantArg, "arg");
        const inSize = r.H * r.W * r.C;
        kernels.maxPoolBackward(dy, arg, dx, r.N, inSize, outLen / r.N);
        const wantDx = new Float32Array(inLen);
        jsKernels.maxPoolBackward(dy, wantArg, wantDx, r.N, inSize, outLen / r.N);
        expectSame(dx, wantDx, "dx");
        expect(dot(y, dy)).toBeCloseTo(dot(x, dx), 3);
      }),
      { numRuns: 150 },
    );
  });

  it("average pooling forward and backward, and backward is forward's adjoint", () => {
    fc.assert(
      fc.property(windows, (r) => {
        const g = windowOf(r, true);
        const taps = g.kernel[0] * g.kernel[1];
        const inLen = r.N * r.H * r.W * r.C;
        const outLen = r.N * g.Ho * g.Wo * r.C;
        const { arrays, kernels } = wasmArena([inLen, outLen, outLen, inLen], new Rng(r.seed));
        const [x, y, dy, dx] = arrays;
        kernels.avgPoolForward(x, y, r.N, g);
        const want = new Float32Array(outLen);
        const mag = new Float32Array(outLen);
        jsKernels.avgPoolForward(x, want, r.N, g);
        jsKernels.avgPoolForward(abs(x), mag, r.N, g);
        expectClose(y, want, mag, taps, "y");
        kernels.avgPoolBackward(dy, dx, r.N, g);
        const wantDx = new Float32Array(inLen);
        const magDx = new Float32Array(inLen);
        jsKernels.avgPoolBackward(dy, wantDx, r.N, g);
        jsKernels.avgPoolBackward(abs(dy), magDx, r.N, g);
        expectClose(dx, wantDx, magDx, taps, "dx");
        expect(dot(y, dy)).toBeCloseTo(dot(x, dx), 3);
      }),
      { numRuns: 150 },
    );
  });
});

describe("matmulAB with a bias", () => {
  it("adds the bias to every row, on both kernel sets", () => {
    const rng = new Rng(9);
    const [N, Q, P] = [5, 19, 7];
    for (const kind of ["js", "wasm"] as const) {
      useJsKernels(kind === "js");
      const { arrays, kernels } = new Arena([N * P, P * Q, N * Q, Q, N * Q]);
      useJsKernels(false);
      for (const a of arrays) for (let i = 0; i < a.length; i++) a[i] = rng.uniform(-2, 2);
      const [A, B, C, bias, D] = arrays;
      kernels.matmulAB(A, B, C, N, Q, P, bias);
      kernels.matmulAB(A, B, D, N, Q, P);
      for (let i = 0; i < N * Q; i++) expect(C[i], `${kind} [${i}]`).toBeCloseTo(D[i] + bias[i % Q], 5);
    }
  });
});
