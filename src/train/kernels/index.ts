/**
 * Where a network's buffers live and which kernels run on them.
 *
 * An `Arena` holds every float32 buffer of one network (activations, gradients, a copy of the parameters,
 * optimizer state). With WebAssembly SIMD (every Node.js >= 16) the arena is the memory of its own
 * instance of the kernels in assembly/dense.ts and the kernels take the buffers' byte offsets; otherwise
 * it is plain Float32Arrays and the TypeScript kernels in ./js.ts run.
 */
import * as js from "./js.js";
import { DENSE_WASM_BASE64 } from "./wasm-binary.js";

export interface Kernels {
  readonly name: "wasm-simd" | "js";
  matmulABt(
    A: Float32Array,
    B: Float32Array,
    C: Float32Array,
    M: number,
    P: number,
    K: number,
    bias: Float32Array,
  ): void;
  matmulAtB(A: Float32Array, B: Float32Array, C: Float32Array, P: number, Q: number, N: number): void;
  matmulAB(A: Float32Array, B: Float32Array, C: Float32Array, N: number, Q: number, P: number): void;
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
}

export const jsKernels: Kernels = { name: "js", ...js };

interface WasmExports {
  matmulABt(a: number, b: number, c: number, M: number, P: number, K: number, bias: number): void;
  matmulAtB(a: number, b: number, c: number, P: number, Q: number, N: number): void;
  matmulAB(a: number, b: number, c: number, N: number, Q: number, P: number): void;
  adamStep(
    w: number,
    g: number,
    m: number,
    v: number,
    n: number,
    a: number,
    b1: number,
    b2: number,
    e: number,
  ): void;
}

let wasmModule: WebAssembly.Module | null | undefined;

function compiledModule(): WebAssembly.Module | null {
  if (wasmModule === undefined) {
    try {
      wasmModule = new WebAssembly.Module(Buffer.from(DENSE_WASM_BASE64, "base64"));
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

export class Arena {
  readonly arrays: Float32Array[];
  readonly kernels: Kernels;

  /** Allocates one float32 buffer per requested length, each 16-byte aligned. */
  constructor(lengths: number[]) {
    const offsets: number[] = [];
    let floats = 0;
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
    const ex = instance.exports as unknown as WasmExports;
    this.arrays = lengths.map((n, k) => new Float32Array(memory.buffer, offsets[k] * 4, n));
    this.kernels = {
      name: "wasm-simd",
      matmulABt: (A, B, C, M, P, K, bias) =>
        ex.matmulABt(A.byteOffset, B.byteOffset, C.byteOffset, M, P, K, bias.byteOffset),
      matmulAtB: (A, B, C, P, Q, N) => ex.matmulAtB(A.byteOffset, B.byteOffset, C.byteOffset, P, Q, N),
      matmulAB: (A, B, C, N, Q, P) => ex.matmulAB(A.byteOffset, B.byteOffset, C.byteOffset, N, Q, P),
      adamStep: (w, g, m, v, n, a, b1, b2, e) =>
        ex.adamStep(w.byteOffset, g.byteOffset, m.byteOffset, v.byteOffset, n, a, b1, b2, e),
    };
  }
}
