/**
 * Dense (fully connected) layer: y[n][o] = b[o] + sum_i x[n][i] * W[o][i].
 *
 * Dimension letters: N batch rows, I inputs, O outputs. W is row-major [O][I], as the model file and
 * float32 exports store it (integer exports rearrange it into blocks, see nn.h). Forward and backward
 * sit side by side; backward accumulates dW and db and, unless this is the first layer, writes dX.
 */
import type { Rng } from "../../rng.js";
import type { Kernels } from "../kernels/index.js";

export interface DenseParams {
  W: Float32Array;
  b: Float32Array;
}

/** The buffers a dense step works on, all from its network's arena. */
export interface DenseBuffers {
  params: DenseParams;
  dW: Float32Array;
  db: Float32Array;
}

export class DenseOp {
  readonly params: DenseParams;
  readonly dW: Float32Array;
  readonly db: Float32Array;

  constructor(
    readonly I: number,
    readonly O: number,
    buffers: DenseBuffers,
    /** L2 factor: the loss gains l2 * sum(W^2) */
    readonly l2: number,
    private readonly kernels: Kernels,
  ) {
    this.params = buffers.params;
    this.dW = buffers.dW;
    this.db = buffers.db;
  }

  /** The buffer lengths a dense step needs: W, b, dW, db. */
  static lengths(I: number, O: number): number[] {
    return [I * O, O, I * O, O];
  }

  forward(X: Float32Array, Y: Float32Array, N: number): void {
    this.kernels.matmulABt(X, this.params.W, Y, N, this.O, this.I, this.params.b);
  }

  /** dY: [N][O] gradient of the loss wrt Y. dX may be null for the first layer. */
  backward(X: Float32Array, _Y: Float32Array, dY: Float32Array, dX: Float32Array | null, N: number): void {
    const { I, O, dW, db, kernels } = this;
    const { W } = this.params;
    // db[o] = sum_n dY[n][o];  dW = dY^T X  ([O][N] x [N][I]);  dX = dY W  ([N][O] x [O][I])
    db.fill(0);
    for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) db[o] += dY[n * O + o];
    kernels.matmulAtB(dY, X, dW, O, I, N);
    if (dX) kernels.matmulAB(dY, W, dX, N, I, O);
    if (this.l2 > 0) {
      const k = 2 * this.l2;
      for (let j = 0; j < dW.length; j++) dW[j] += k * W[j];
    }
  }

  get trainable(): Float32Array[] {
    return [this.params.W, this.params.b];
  }

  get gradients(): Float32Array[] {
    return [this.dW, this.db];
  }

  penalty(): number {
    if (this.l2 === 0) return 0;
    let s = 0;
    for (const w of this.params.W) s += w * w;
    return this.l2 * s;
  }
}

/**
 * He uniform (relu family) or Glorot uniform (others); biases start at zero, or uniform within the
 * kernel's limit (`uniformBias`, scikit-learn's choice).
 */
export function initDense(
  I: number,
  O: number,
  init: "he" | "glorot",
  rng: Rng,
  uniformBias = false,
): DenseParams {
  const limit = init === "he" ? Math.sqrt(6 / I) : Math.sqrt(6 / (I + O));
  const W = new Float32Array(I * O);
  for (let j = 0; j < W.length; j++) W[j] = rng.uniform(-limit, limit);
  const b = new Float32Array(O);
  if (uniformBias) for (let j = 0; j < O; j++) b[j] = rng.uniform(-limit, limit);
  return { W, b };
}
