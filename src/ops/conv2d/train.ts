/**
 * A convolution in training, through im2col: the windows of every output position become the rows of a
 * matrix cols [N·Ho·Wo][K] (K = kh·kw·C, zeros where the window hangs over the padding), so that the
 * forward pass is one product Y = cols · W + b with W Keras' kernel [kh][kw][C][F] read as [K][F], and
 * the backward pass two (dW = colsᵀ · dY, dcols = dY · Wᵀ) and a scatter of dcols back onto the input
 * (col2im). A 1×1 convolution with unit strides and no padding reads its input as cols directly. Every
 * step runs in the arena's kernels (WebAssembly SIMD, or their TypeScript references).
 */
import type { Kernels } from "../../train/kernels/index.js";
import type { StepArgs, TrainStep } from "../registry.js";
import type { Geometry } from "./geometry.js";

/** A 1×1 window with unit strides and no padding: each output position reads one input position. */
function pointwise(g: Geometry): boolean {
  return g.kernel[0] === 1 && g.kernel[1] === 1 && g.strides[0] === 1 && g.strides[1] === 1;
}

/** Scratch lengths: Wᵀ ([F][K]), then (unless pointwise) cols and dcols ([N·Ho·Wo][K]). */
export function convScratch(g: Geometry, F: number, capacity: number): number[] {
  const K = g.kernel[0] * g.kernel[1] * g.C;
  const rows = capacity * g.Ho * g.Wo;
  return [F * K, ...(pointwise(g) ? [] : [rows * K, rows * K])];
}

export class ConvStep implements TrainStep {
  private readonly K: number;
  private readonly F: number;
  private readonly kernel: Float32Array;
  private readonly bias: Float32Array | null;
  private readonly dKernel: Float32Array;
  private readonly dBias: Float32Array | null;
  private readonly Wt: Float32Array;
  private readonly cols: Float32Array | null;
  private readonly dcols: Float32Array | null;
  private readonly kernels: Kernels;
  private readonly l2: number;

  constructor(
    private readonly g: Geometry,
    F: number,
    args: Pick<StepArgs<{ l2?: number }>, "config" | "tensors" | "grads" | "scratch" | "kernels">,
  ) {
    this.F = F;
    this.K = g.kernel[0] * g.kernel[1] * g.C;
    this.kernel = args.tensors.kernel;
    this.bias = args.tensors.bias ?? null;
    this.dKernel = args.grads.kernel;
    this.dBias = args.grads.bias ?? null;
    this.Wt = args.scratch[0];
    this.cols = args.scratch[1] ?? null;
    this.dcols = args.scratch[2] ?? null;
    this.kernels = args.kernels;
    this.l2 = args.config.l2 ?? 0;
  }

  forward(x: Float32Array[], y: Float32Array, N: number): void {
    const { g, K, F, cols } = this;
    const rows = N * g.Ho * g.Wo;
    if (cols) this.kernels.im2col(x[0], cols, N, g);
    this.kernels.matmulAB(cols ?? x[0], this.kernel, y, rows, F, K, this.bias);
  }

  backward(
    x: Float32Array[],
    _y: Float32Array,
    dY: Float32Array,
    dx: (Float32Array | null)[],
    N: number,
  ): void {
    const { K, F, g, kernels } = this;
    const rows = N * g.Ho * g.Wo;
    // forward left this batch's cols
    kernels.matmulAtB(this.cols ?? x[0], dY, this.dKernel, K, F, rows);
    if (this.l2 > 0)
      for (let j = 0; j < this.kernel.length; j++) this.dKernel[j] += 2 * this.l2 * this.kernel[j];
    if (this.dBias) kernels.colSums(dY, this.dBias, rows, F);
    const d = dx[0];
    if (!d) return;
    kernels.transpose(this.kernel, this.Wt, K, F);
    if (!this.dcols) {
      kernels.matmulAB(dY, this.Wt, d, rows, K, F);
      return;
    }
    kernels.matmulAB(dY, this.Wt, this.dcols, rows, K, F);
    kernels.col2im(this.dcols, d, N, g);
  }

  penalty(): number {
    if (this.l2 === 0) return 0;
    let s = 0;
    for (const w of this.kernel) s += w * w;
    return this.l2 * s;
  }
}
