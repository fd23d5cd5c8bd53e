/**
 * Losses, each the mean over the batch of a per-row loss.
 *
 * Targets are a Float32Array: [N][width] for dense targets (one-hot, 0/1, regression values), or [N] class
 * indices for sparse categorical crossentropy. Crossentropies are fused with the activation they belong to
 * (softmax, sigmoid) and computed from the logits z, which keeps them finite for any z.
 */

import { sigmoidFn } from "../core/activations.js";
import { UsageError } from "../errors.js";

export interface LossInput {
  /** pre-activation outputs (logits) of the last layer */
  z: Float32Array;
  /** outputs after the last activation */
  y: Float32Array;
  target: Float32Array;
  N: number;
  width: number;
}

export interface Loss {
  name: string;
  /** the target holds one class index per row */
  sparse: boolean;
  /** the activation the loss is fused with: the gradient is then taken wrt the logits */
  fusedWith?: string;
  value(input: LossInput): number;
  /** writes dL/dy (or dL/dz when fused) into d */
  gradient(input: LossInput, d: Float32Array): void;
  /** value and gradient in one pass (the training loop's hot path); same results as the two above */
  valueAndGradient?(input: LossInput, d: Float32Array): number;
}

function logSumExp(z: Float32Array, off: number, width: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < width; j++) max = Math.max(max, z[off + j]);
  let s = 0;
  for (let j = 0; j < width; j++) s += Math.exp(z[off + j] - max);
  return max + Math.log(s);
}

/** log(1 + exp(x)) without overflow */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

function categorical(sparse: boolean): Loss {
  return {
    name: sparse ? "sparse_categorical_crossentropy" : "categorical_crossentropy",
    sparse,
    fusedWith: "softmax",
    value({ z, target, N, width }) {
      let s = 0;
      for (let n = 0; n < N; n++) {
        const off = n * width;
        const lse = logSumExp(z, off, width);
        if (sparse) s += lse - z[off + target[n]];
        else for (let j = 0; j < width; j++) s += target[off + j] * (lse - z[off + j]);
      }
      return s / N;
    },
    gradient(input, d) {
      this.valueAndGradient!(input, d);
    },
    valueAndGradient({ z, target, N, width }, d) {
      // d(CE(softmax(z)))/dz = (p - t) / N, with p = softmax(z) from the logits as in the value (y is p only
      // when the loss is fused with a softmax output); one log-sum-exp per row serves both
      let s = 0;
      for (let n = 0; n < N; n++) {
        const off = n * width;
        const lse = logSumExp(z, off, width);
        for (let j = 0; j < width; j++) {
          const t = sparse ? (target[n] === j ? 1 : 0) : target[off + j];
          s += t * (lse - z[off + j]);
          d[off + j] = (Math.exp(z[off + j] - lse) - t) / N;
        }
      }
      return s / N;
    },
  };
}

const binaryCrossentropy: Loss = {
  name: "binary_crossentropy",
  sparse: false,
  fusedWith: "sigmoid",
  value({ z, target, N, width }) {
    // -t log(sigmoid(z)) - (1-t) log(1-sigmoid(z)) = softplus(z) - t z
    let s = 0;
    for (let k = 0; k < N * width; k++) s += softplus(z[k]) - target[k] * z[k];
    return s / (N * width);
  },
  gradient({ z, target, N, width }, d) {
    // (sigmoid(z) - t) / m from the logits, as the value (y is sigmoid(z) only when fused)
    const m = N * width;
    for (let k = 0; k < m; k++) d[k] = (sigmoidFn(z[k]) - target[k]) / m;
  },
};

const mse: Loss = {
  name: "mse",
  sparse: false,
  value({ y, target, N, width }) {
    let s = 0;
    for (let k = 0; k < N * width; k++) s += (y[k] - target[k]) ** 2;
    return s / (N * width);
  },
  gradient({ y, target, N, width }, d) {
    const m = N * width;
    for (let k = 0; k < m; k++) d[k] = (2 * (y[k] - target[k])) / m;
  },
};

const mae: Loss = {
  name: "mae",
  sparse: false,
  value({ y, target, N, width }) {
    let s = 0;
    for (let k = 0; k < N * width; k++) s += Math.abs(y[k] - target[k]);
    return s / (N * width);
  },
  gradient({ y, target, N, width }, d) {
    const m = N * width;
    for (let k = 0; k < m; k++) d[k] = Math.sign(y[k] - target[k]) / m;
  },
};

const losses: Record<string, Loss> = {
  categorical_crossentropy: categorical(false),
  sparse_categorical_crossentropy: categorical(true),
  binary_crossentropy: binaryCrossentropy,
  mse,
  mean_squared_error: mse,
  mae,
  mean_absolute_error: mae,
};

export const LOSS_NAMES = Object.keys(losses);

export function getLoss(name: string): Loss {
  const loss = losses[name];
  if (!loss) throw new UsageError(`unknown loss '${name}': expected one of ${LOSS_NAMES.join(", ")}`);
  return loss;
}
