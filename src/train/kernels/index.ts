/**
 * Where a network's buffers live and which kernels run on them.
 *
 * An `Arena` holds every float32 buffer of one network (activations, gradients, a copy of the parameters,
 * optimizer state, the steps' scratch). With WebAssembly SIMD (every Node.js >= 16) the arena is the
 * memory of its own instance of the kernels in assembly/ and the kernels take the buffers' byte offsets;
 * otherwise it is plain Float32Arrays and the TypeScript kernels in ./js.ts and ./window.ts run. Both
 * sets compute the same functions (the tests hold them to float32 rounding of each other).
 */

import type { Geometry as Window } from "../../ops/conv2d/geometry.js";
import * as js from "./js.js";
import { TRAIN_WASM_BASE64 } from "./wasm-binary.js";
import * as windowJs from "./window.js";

export interface Kernels {
  readonly name: "wasm-simd" | "js";
  /** C[m][p] = bias[p] + sum_k A[m][k] B[p][k]   (A: [M][K], B: [P][K], C: [M][P]) */
  matmulABt(
    A: Float32Array,
    B: Float32Array,
    C: Float32Array,
    M: number,
    P: number,
    K: number,
    bias: Float32Array,
  ): void;
  /** C[p][q] = sum_n A[n][p] B[n][q]   (A: [N][P], B: [N][Q], C: [P][Q]) */
  matmulAtB(A: Float32Array, B: Float32Array, C: Float32Array, P: number, Q: number, N: number): void;
  /** C[n][q] = bias[q] + sum_p A[n][p] B[p][q]   (A: [N][P], B: [P][Q], C: [N][Q]; bias optional) */
  matmulAB(
    A: Float32Array,
    B: Float32Array,
    C: Float32Array,
    N: number,
    Q: number,
    P: number,
    bias?: Float32Array | null,
  ): void;
  adamStep(
    w: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    n: number,
    a: number,
    beta1: number,
    beta2: number,
    eps: number,
  ): void;
  clampForward(z: Float32Array, y: Float32Array, n: number, lo: number, hi: number): void;
  clampBackward(z: Float32Array, dy: Float32Array, dz: Float32Array, n: number, lo: number, hi: number): void;
  leakyForward(z: Float32Array, y: Float32Array, n: number, alpha: number): void;
  leakyBackward(z: Float32Array, dy: Float32Array, dz: Float32Array, n: number, alpha: number): void;
  colSums(A: Float32Array, out: Float32Array, N: number, Q: number): void;
  transpose(A: Float32Array, B: Float32Array, R: number, C: number): void;
  im2col(x: Float32Array, cols: Float32Array, N: number, w: Window): void;
  col2im(dcols: Float32Array, dx: Float32Array, N: number, w: Window): void;
  depthwiseForward(
    x: Float32Array,
    kernel: Float32Array,
    bias: Float32Array | null,
    y: Float32Array,
    N: number,
    M: number,
    w: Window,
  ): void;
  depthwiseBackward(
    x: Float32Array,
    kernel: Float32Array,
    dy: Float32Array,
    dKernel: Float32Array,
    dBias: Float32Array | null,
    dx: Float32Array | null,
    N: number,
    M: number,
    w: Window,
  ): void;
  maxPoolForward(x: Float32Array, y: Float32Array, arg: Float32Array, N: number, w: Window): void;
  maxPoolBackward(
    dy: Float32Array,
    arg: Float32Array,
    dx: Float32Array,
    N: number,
    inSize: number,
    outSize: number,
  ): void;
  avgPoolForward(x: Float32Array, y: Float32Array, N: number, w: Window): void;
  avgPoolBackward(dy: Float32Array, dx: Float32Array, N: number, w: Window): void;
}

export const jsKernels: Kernels = { name: "js", ...js, ...windowJs };

/** A window's geometry as the WebAssembly kernels take it (assembly/window.ts). */
type Geometry = [
  H: number,
  W: number,
  C: number,
  Ho: number,
  Wo: number,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  dh: number,
  dw: number,
  pt: number,
  pl: number,
];
type Pointer = number;

interface WasmExports {
  matmulABt(a: Pointer, b: Pointer, c: Pointer, M: number, P: number, K: number, bias: Pointer): void;
  matmulAtB(a: Pointer, b: Pointer, c: Pointer, P: number, Q: number, N: number): void;
  matmulAB(a: Pointer, b: Pointer, c: Pointer, N: number, Q: number, P: number, bias: Pointer): void;
  adamStep(
    w: Pointer,
    g: Pointer,
    m: Pointer,
    v: Pointer,
    n: number,
    a: number,
    b1: number,
    b2: number,
    e: number,
  ): void;
  clampForward(z: Pointer, y: Pointer, n: number, lo: number, hi: number): void;
  clampBackward(z: Pointer, dy: Pointer, dz: Pointer, n: number, lo: number, hi: number): void;
  leakyForward(z: Pointer, y: Pointer, n: number, alpha: number): void;
  leakyBackward(z: Pointer, dy: Pointer, dz: Pointer, n: number, alpha: number): void;
  colSums(a: Pointer, out: Pointer, N: number, Q: number): void;
  transpose(a: Pointer, b: Pointer, R: number, C: number): void;
  im2col(x: Pointer, cols: Pointer, N: number, ...g: Geometry): void;
  col2im(dcols: Pointer, dx: Pointer, N: number, ...g: Geometry): void;
  depthwiseForward(
    x: Pointer,
    kernel: Pointer,
    bias: Pointer,
    y: Pointer,
    N: number,
    M: number,
    ...g: Geometry
  ): void;
  depthwiseBackward(
    x: Pointer,
    kernel: Pointer,
    dy: Pointer,
    dKernel: Pointer,
    dBias: Pointer,
    dx: Pointer,
    N: number,
    M: number,
    ...g: Geometry
  ): void;
  maxPoolForward(x: Pointer, y: Pointer, arg: Pointer, N: number, ...g: Geometry): void;
  maxPoolBackward(dy: Pointer, arg: Pointer, dx: Pointer, N: number, inSize: number, outSize: number): void;
  avgPoolForward(x: Pointer, y: Pointer, N: number, ...g: Geometry): void;
  avgPoolBackward(dy: Pointer, dx: Pointer, N: number, ...g: Geometry): void;
}

const geometryOf = (w: Window): Geometry => [
  w.H,
  w.W,
  w.C,
  w.Ho,
  w.Wo,
  w.kernel[0],
  w.kernel[1],
  w.strides[0],
  w.strides[1],
  w.dilation[0],
  w.dilation[1],
  w.padTop,
  w.padLeft,
];

let wasmModule: WebAssembly.Module | null | undefined;

function compiledModule(): WebAssembly.Module | null {
  if (wasmModule === undefined) {
    try {
      wasmModule = new WebAssembly.Module(Buffer.from(TRAIN_WASM_BASE64, "base64"));
    } catch {
      wasmModule = null;
    }
  }
  return wasmModule ?? null;
}

let preferJs = false;

/** Forces the TypeScript kernels (for tests that compare both). */
export function useJsKernels(on: boolean): void {
  preferJs = on;
}

/** The kernels of one WebAssembly instance, on buffers in its memory (0 stands for a missing buffer). */
function wasmKernels(ex: WasmExports): Kernels {
  const at = (a: Float32Array | null | undefined): Pointer => (a ? a.byteOffset : 0);
  return {
    name: "wasm-simd",
    matmulABt: (A, B, C, M, P, K, bias) => ex.matmulABt(at(A), at(B), at(C), M, P, K, at(bias)),
    matmulAtB: (A, B, C, P, Q, N) => ex.matmulAtB(at(A), at(B), at(C), P, Q, N),
    matmulAB: (A, B, C, N, Q, P, bias) => ex.matmulAB(at(A), at(B), at(C), N, Q, P, at(bias)),
    adamStep: (w, g, m, v, n, a, b1, b2, e) => ex.adamStep(at(w), at(g), at(m), at(v), n, a, b1, b2, e),
    clampForward: (z, y, n, lo, hi) => ex.clampForward(at(z), at(y), n, lo, hi),
    clampBackward: (z, dy, dz, n, lo, hi) => ex.clampBackward(at(z), at(dy), at(dz), n, lo, hi),
    leakyForward: (z, y, n, alpha) => ex.leakyForward(at(z), at(y), n, alpha),
    leakyBackward: (z, dy, dz, n, alpha) => ex.leakyBackward(at(z), at(dy), at(dz), n, alpha),
    colSums: (A, out, N, Q) => ex.colSums(at(A), at(out), N, Q),
    transpose: (A, B, R, C) => ex.transpose(at(A), at(B), R, C),
    im2col: (x, cols, N, w) => ex.im2col(at(x), at(cols), N, ...geometryOf(w)),
    col2im: (dcols, dx, N, w) => ex.col2im(at(dcols), at(dx), N, ...geometryOf(w)),
    depthwiseForward: (x, kernel, bias, y, N, M, w) =>
      ex.depthwiseForward(at(x), at(kernel), at(bias), at(y), N, M, ...geometryOf(w)),
    depthwiseBackward: (x, kernel, dy, dKernel, dBias, dx, N, M, w) =>
      ex.depthwiseBackward(at(x), at(kernel), at(dy), at(dKernel), at(dBias), at(dx), N, M, ...geometryOf(w)),
    maxPoolForward: (x, y, arg, N, w) => ex.maxPoolForward(at(x), at(y), at(arg), N, ...geometryOf(w)),
    maxPoolBackward: (dy, arg, dx, N, inSize, outSize) =>
      ex.maxPoolBackward(at(dy), at(arg), at(dx), N, inSize, outSize),
    avgPoolForward: (x, y, N, w) => ex.avgPoolForward(at(x), at(y), N, ...geometryOf(w)),
    avgPoolBackward: (dy, dx, N, w) => ex.avgPoolBackward(at(dy), at(dx), N, ...geometryOf(w)),
  };
}

/** Bytes kept free at the start of a WebAssembly arena, so that no buffer sits at offset 0 ("none"). */
const RESERVED = 16;

export class Arena {
  readonly arrays: Float32Array[];
  readonly kernels: Kernels;

  /** Allocates one float32 buffer per requested length, each 16-byte aligned. */
  constructor(lengths: number[]) {
    const offsets: number[] = [];
    let floats = RESERVED / 4;
    for (const n of lengths) {
      offsets.push(floats);
      floats += (n + 3) & ~3;
    }
    const module = preferJs ? null : compiledModule();
    if (!module) {
      this.arrays = lengths.map((n) => new Float32Array(n));
      this.kernels = jsKernels;
      return;
    }
    const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil((floats * 4) / 65536)) });
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    this.arrays = lengths.map((n, k) => new Float32Array(memory.buffer, offsets[k] * 4, n));
    this.kernels = wasmKernels(instance.exports as unknown as WasmExports);
  }
}
