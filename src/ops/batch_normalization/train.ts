/**
 * BatchNormalization in training, per channel c (the last dimension) over the M = N · positions values
 * of the batch:
 *   training:  μ, σ² the batch mean and (biased) variance; x̂ = (x - μ) / sqrt(σ² + ε);  y = γ x̂ + β;
 *              moving_mean ← momentum · moving_mean + (1 - momentum) · μ, and the same for the variance
 *   inference: y = γ (x - moving_mean) / sqrt(moving_variance + ε) + β
 * Backward: dβ = Σ dy;  dγ = Σ dy x̂;  in training dx = γ / sqrt(σ² + ε) · (dy - mean(dy) - x̂ mean(dy x̂)),
 * at inference (constant statistics) dx = γ / sqrt(moving_variance + ε) · dy.
 */
import type { StepArgs, TrainStep } from "../registry.js";
import type { BatchNormalizationConfig } from "./index.js";

export class BatchNormStep implements TrainStep {
  private readonly gamma: Float32Array | null;
  private readonly beta: Float32Array | null;
  private readonly dGamma: Float32Array | null;
  private readonly dBeta: Float32Array | null;
  private readonly movingMean: Float32Array;
  private readonly movingVariance: Float32Array;
  /** x̂ of the last training forward, and 1 / sqrt(σ² + ε) per channel */
  private readonly xHat: Float32Array;
  private readonly invStd: Float64Array;
  /** per-channel sums, allocated once */
  private readonly mean: Float64Array;
  private readonly variance: Float64Array;
  private readonly momentum: number;
  private readonly epsilon: number;
  /** the mode of the last forward, which backward differentiates */
  private training = false;

  constructor(
    /** values per row, and channels (the last dimension) */
    private readonly size: number,
    private readonly channels: number,
    args: Pick<StepArgs<BatchNormalizationConfig>, "config" | "tensors" | "grads" | "scratch">,
  ) {
    this.gamma = args.tensors.gamma ?? null;
    this.beta = args.tensors.beta ?? null;
    this.dGamma = args.grads.gamma ?? null;
    this.dBeta = args.grads.beta ?? null;
    this.movingMean = args.tensors.movingMean;
    this.movingVariance = args.tensors.movingVariance;
    this.xHat = args.scratch[0];
    this.invStd = new Float64Array(channels);
    this.mean = new Float64Array(channels);
    this.variance = new Float64Array(channels);
    this.momentum = args.config.momentum;
    this.epsilon = args.config.epsilon;
  }

  forward(x: Float32Array[], y: Float32Array, N: number, training: boolean): void {
    this.training = training;
    const C = this.channels;
    const n = N * this.size;
    const M = n / C;
    const input = x[0];
    if (training) {
      const { mean, variance } = this;
      mean.fill(0);
      variance.fill(0);
      for (let i = 0; i < n; i++) mean[i % C] += input[i];
      for (let c = 0; c < C; c++) mean[c] /= M;
      for (let i = 0; i < n; i++) variance[i % C] += (input[i] - mean[i % C]) ** 2;
      for (let c = 0; c < C; c++) {
        variance[c] /= M;
        this.invStd[c] = 1 / Math.sqrt(variance[c] + this.epsilon);
        this.movingMean[c] = this.momentum * this.movingMean[c] + (1 - this.momentum) * mean[c];
        this.movingVariance[c] = this.momentum * this.movingVariance[c] + (1 - this.momentum) * variance[c];
      }
      for (let i = 0; i < n; i++) {
        const c = i % C;
        const h = (input[i] - mean[c]) * this.invStd[c];
        this.xHat[i] = h;
        y[i] = (this.gamma?.[c] ?? 1) * h + (this.beta?.[c] ?? 0);
      }
      return;
    }
    for (let c = 0; c < C; c++) this.invStd[c] = 1 / Math.sqrt(this.movingVariance[c] + this.epsilon);
    for (let i = 0; i < n; i++) {
      const c = i % C;
      const h = (input[i] - this.movingMean[c]) * this.invStd[c];
      this.xHat[i] = h;
      y[i] = (this.gamma?.[c] ?? 1) * h + (this.beta?.[c] ?? 0);
    }
  }

  backward(
    _x: Float32Array[],
    _y: Float32Array,
    dy: Float32Array,
    dx: (Float32Array | null)[],
    N: number,
  ): void {
    const C = this.channels;
    const n = N * this.size;
    const M = n / C;
    // the training forward's sums are done with: reuse them
    const sumDy = this.mean.fill(0);
    const sumDyXHat = this.variance.fill(0);
    for (let i = 0; i < n; i++) {
      sumDy[i % C] += dy[i];
      sumDyXHat[i % C] += dy[i] * this.xHat[i];
    }
    if (this.dBeta) for (let c = 0; c < C; c++) this.dBeta[c] = sumDy[c];
    if (this.dGamma) for (let c = 0; c < C; c++) this.dGamma[c] = sumDyXHat[c];
    const d = dx[0];
    if (!d) return;
    for (let i = 0; i < n; i++) {
      const c = i % C;
      const g = (this.gamma?.[c] ?? 1) * this.invStd[c];
      // at inference mean and variance are constants: the map is affine in x
      d[i] = this.training ? g * (dy[i] - sumDy[c] / M - this.xHat[i] * (sumDyXHat[c] / M)) : g * dy[i];
    }
  }
}
