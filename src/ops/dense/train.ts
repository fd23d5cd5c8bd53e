/**
 * Dense (fully connected) layer in training: y[n][o] = b[o] + sum_i x[n][i] · W[o][i].
 *
 * Dimension letters: N batch rows, I inputs, O outputs. W is row-major [O][I], as the model file and
 * float32 exports store it (integer exports rearrange it into blocks, see nn.h). Forward and backward
 * sit side by side; backward writes dW and db and, unless this is the first layer, dX.
 */
import type { Rng } from "../../rng.js";
import type { Kernels } from "../../train/kernels/index.js";
import type { LayerTensors, StepArgs, TrainStep } from "../registry.js";
import type { DenseConfig } from "./index.js";

export class DenseStep implements TrainStep {
  private readonly W: Float32Array;
  private readonly b: Float32Array;
  /** the gradients of the kernel and the bias (null without a bias) */
  readonly dW: Float32Array;
  readonly db: Float32Array | null;
  private readonly kernels: Kernels;
  /** L2 factor: the loss gains l2 · sum(W^2) */
  private readonly l2: number;

  constructor(
    readonly I: number,
    readonly O: number,
    args: Pick<StepArgs<DenseConfig>, "config" | "tensors" | "grads" | "scratch" | "kernels">,
  ) {
    this.W = args.tensors.kernel;
    this.dW = args.grads.kernel;
    // without a bias (useBias false) the products add a constant zero vector
    this.b = args.tensors.bias ?? args.scratch[0];
    this.db = args.grads.bias ?? null;
    this.kernels = args.kernels;
    this.l2 = args.config.l2 ?? 0;
  }

  forward(x: Float32Array[], y: Float32Array, N: number): void {
    this.kernels.matmulABt(x[0], this.W, y, N, this.O, this.I, this.b);
  }

  /** dY: [N][O] gradient of the loss wrt Y. dX may be null for the first layer. */
  backward(
    x: Float32Array[],
    _y: Float32Array,
    dY: Float32Array,
    dx: (Float32Array | null)[],
    N: number,
  ): void {
    const { I, O, dW, db, kernels, W } = this;
    // db[o] = sum_n dY[n][o];  dW = dY^T X  ([O][N] x [N][I]);  dX = dY W  ([N][O] x [O][I])
    if (db) {
      db.fill(0);
      for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) db[o] += dY[n * O + o];
    }
    kernels.matmulAtB(dY, x[0], dW, O, I, N);
    if (dx[0]) kernels.matmulAB(dY, W, dx[0], N, I, O);
    if (this.l2 > 0) {
      const k = 2 * this.l2;
      for (let j = 0; j < dW.length; j++) dW[j] += k * W[j];
    }
  }

  penalty(): number {
    if (this.l2 === 0) return 0;
    let s = 0;
    for (const w of this.W) s += w * w;
    return this.l2 * s;
  }
}

/**
 * He uniform (relu family) or Glorot uniform (others) kernels; biases start at zero, or uniform within
 * the kernel's limit (`uniform`, scikit-learn's choice).
 */
export function initDense(
  I: number,
  O: number,
  init: "he" | "glorot",
  rng: Rng,
  bias: "zeros" | "uniform" | "none",
): LayerTensors {
  const limit = init === "he" ? Math.sqrt(6 / I) : Math.sqrt(6 / (I + O));
  const kernel = new Float32Array(I * O);
  for (let j = 0; j < kernel.length; j++) kernel[j] = rng.uniform(-limit, limit);
  if (bias === "none") return { kernel };
  const b = new Float32Array(O);
  if (bias === "uniform") for (let j = 0; j < O; j++) b[j] = rng.uniform(-limit, limit);
  return { kernel, bias: b };
}
