/**
 * Metrics over predictions: accuracy for classification, mse / mae / rmse for regression.
 * Each returns the value over the N rows given (not a running mean).
 */
import { argmax, predictedClass } from "../core/classes.js";
import { UsageError } from "../errors.js";

export interface MetricInput {
  y: Float32Array;
  target: Float32Array;
  /** targets are class indices */
  sparse: boolean;
  N: number;
  width: number;
}

/**
 * A metric is a per-row quantity summed over rows, then finalised from its mean: this lets the trainer
 * accumulate it over batches and still report the exact value over the epoch (rmse = sqrt(mean)).
 */
export interface Metric {
  name: string;
  sum(input: MetricInput): number;
  finalize(mean: number): number;
}

/** The metric's value over the N rows of one input. */
export function computeMetric(metric: Metric, input: MetricInput): number {
  return metric.finalize(metric.sum(input) / input.N);
}

function targetClass(input: MetricInput, n: number): number {
  const { target, sparse, width } = input;
  if (sparse) return target[n];
  return width === 1 ? (target[n] >= 0.5 ? 1 : 0) : argmax(target, n * width, width);
}

const identity = (v: number) => v;

function squaredErrorSum({ y, target, N, width }: MetricInput): number {
  let s = 0;
  for (let k = 0; k < N * width; k++) s += (y[k] - target[k]) ** 2;
  return s / width;
}

const metrics: Record<string, Metric> = {
  accuracy: {
    name: "accuracy",
    sum(input) {
      let hits = 0;
      for (let n = 0; n < input.N; n++) {
        if (predictedClass(input.y, n * input.width, input.width) === targetClass(input, n)) hits++;
      }
      return hits;
    },
    finalize: identity,
  },
  mse: { name: "mse", sum: squaredErrorSum, finalize: identity },
  rmse: { name: "rmse", sum: squaredErrorSum, finalize: Math.sqrt },
  mae: {
    name: "mae",
    sum({ y, target, N, width }) {
      let s = 0;
      for (let k = 0; k < N * width; k++) s += Math.abs(y[k] - target[k]);
      return s / width;
    },
    finalize: identity,
  },
};

export const METRIC_NAMES = Object.keys(metrics);

export function getMetric(name: string): Metric {
  const m = metrics[name];
  if (!m) throw new UsageError(`unknown metric '${name}': expected one of ${METRIC_NAMES.join(", ")}`);
  return m;
}
