/**
 * A convolution in training, through im2col: the windows of every output position become the rows of a
 * matrix cols [N·Ho·Wo][K] (K = kh·kw·C, zeros where the window hangs over the padding), so that the
 * forward pass is one product Y = cols · Wᵀ + b, and the backward pass two (dW = dYᵀ · cols,
 * dcols = dY · W) and a scatter of dcols back onto the input. W is the kernel as [F][K], a transposed
 * copy of Keras' [kh][kw][C][F] layout kept in the arena (the products run in the WebAssembly kernels).
 */
import type { Kernels } from "../../train/kernels/index.js";
import type { StepArgs, TrainStep } from "../registry.js";
import type { Geometry } from "./geometry.js";

/** Scratch lengths: cols, W, dW (both [F][K]), dcols, and a zero bias when the layer has none. */
export function convScratch(g: Geometry, F: number, capacity: number, bias: boolean): number[] {
  const K = g.kernel[0] * g.kernel[1] * g.C;
  const rows = capacity * g.Ho * g.Wo;
  return [rows * K, F * K, F * K, rows * K, ...(bias ? [] : [F])];
}

/** For every output position and window value (ky, kx, c), the offset it reads in one input, or -1. */
export function gatherTable(g: Geometry): Int32Array {
  const { H, W, C, Ho, Wo, kernel, strides, dilation, padTop, padLeft } = g;
  const out = new Int32Array(Ho * Wo * kernel[0] * kernel[1] * C);
  let k = 0;
  for (let oy = 0; oy < Ho; oy++)
    for (let ox = 0; ox < Wo; ox++)
      for (let ky = 0; ky < kernel[0]; ky++) {
        const iy = oy * strides[0] - padTop + ky * dilation[0];
        for (let kx = 0; kx < kernel[1]; kx++) {
          const ix = ox * strides[1] - padLeft + kx * dilation[1];
          const inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
          for (let c = 0; c < C; c++) out[k++] = inside ? (iy * W + ix) * C + c : -1;
        }
      }
  return out;
}

export class ConvStep implements TrainStep {
  private readonly K: number;
  private readonly F: number;
  private readonly kernel: Float32Array;
  private readonly bias: Float32Array;
  private readonly dKernel: Float32Array;
  private readonly dBias: Float32Array | null;
  private readonly cols: Float32Array;
  private readonly Wt: Float32Array;
  private readonly dWt: Float32Array;
  private readonly dcols: Float32Array;
  private readonly kernels: Kernels;
  private readonly l2: number;
  /** per output position and window value (ky, kx, c): its offset in one input row, or -1 over the padding */
  private readonly gather: Int32Array;

  constructor(
    private readonly g: Geometry,
    F: number,
    args: Pick<StepArgs<{ l2?: number }>, "config" | "tensors" | "grads" | "scratch" | "kernels">,
  ) {
    this.F = F;
    this.K = g.kernel[0] * g.kernel[1] * g.C;
    this.kernel = args.tensors.kernel;
    this.dKernel = args.grads.kernel;
    [this.cols, this.Wt, this.dWt, this.dcols] = args.scratch;
    this.bias = args.tensors.bias ?? args.scratch[4];
    this.dBias = args.grads.bias ?? null;
    this.kernels = args.kernels;
    this.l2 = args.config.l2 ?? 0;
    this.gather = gatherTable(g);
  }

  /** cols[(n, oy, ox)][(ky, kx, c)] = x[n][iy][ix][c], or 0 over the padding. */
  private im2col(x: Float32Array, N: number): void {
    const { gather, cols } = this;
    const inSize = this.g.H * this.g.W * this.g.C;
    const J = gather.length;
    let k = 0;
    for (let n = 0; n < N; n++) {
      const base = n * inSize;
      for (let j = 0; j < J; j++) {
        const at = gather[j];
        cols[k++] = at >= 0 ? x[base + at] : 0;
      }
    }
  }

  forward(x: Float32Array[], y: Float32Array, N: number): void {
    const { K, F } = this;
    // W[f][k] from Keras' kernel[k][f]
    for (let k = 0; k < K; k++) for (let f = 0; f < F; f++) this.Wt[f * K + k] = this.kernel[k * F + f];
    this.im2col(x[0], N);
    this.kernels.matmulABt(this.cols, this.Wt, y, N * this.g.Ho * this.g.Wo, F, K, this.bias);
  }

  backward(
    _x: Float32Array[],
    _y: Float32Array,
    dY: Float32Array,
    dx: (Float32Array | null)[],
    N: number,
  ): void {
    const { K, F, g } = this;
    const M = N * g.Ho * g.Wo;
    // forward left cols and Wt as this batch's: dW = dYᵀ cols, then back to Keras' layout
    this.kernels.matmulAtB(dY, this.cols, this.dWt, F, K, M);
    for (let k = 0; k < K; k++) for (let f = 0; f < F; f++) this.dKernel[k * F + f] = this.dWt[f * K + k];
    if (this.l2 > 0)
      for (let j = 0; j < this.kernel.length; j++) this.dKernel[j] += 2 * this.l2 * this.kernel[j];
    if (this.dBias) {
      this.dBias.fill(0);
      for (let m = 0; m < M; m++) for (let f = 0; f < F; f++) this.dBias[f] += dY[m * F + f];
    }
    const d = dx[0];
    if (!d) return;
    this.kernels.matmulAB(dY, this.Wt, this.dcols, M, K, F);
    this.col2im(d, N);
  }

  /** dx[n][iy][ix][c] = the sum of dcols over the windows that read it. */
  private col2im(d: Float32Array, N: number): void {
    const { gather, dcols } = this;
    const inSize = this.g.H * this.g.W * this.g.C;
    const J = gather.length;
    d.fill(0, 0, N * inSize);
    let k = 0;
    for (let n = 0; n < N; n++) {
      const base = n * inSize;
      for (let j = 0; j < J; j++, k++) {
        const at = gather[j];
        if (at >= 0) d[base + at] += dcols[k];
      }
    }
  }

  penalty(): number {
    if (this.l2 === 0) return 0;
    let s = 0;
    for (const w of this.kernel) s += w * w;
    return this.l2 * s;
  }
}
