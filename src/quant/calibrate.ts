/**
 * Calibration: run the float model on representative rows and record the range of every tensor (the
 * standardised input and the output of every step), by min/max or by percentiles.
 */
import { standardize } from "../data/dataset.js";
import { UsageError } from "../errors.js";
import { toSequential } from "../model/io.js";
import type { ModelFile } from "../model/schema.js";

export interface CalibrationOptions {
  method: "minmax" | "percentile";
  /** e.g. 99.99: the range runs from the (100 - p)th to the pth percentile */
  percentile?: number;
}

export interface Calibration {
  rows: number;
  /** per network tensor (acts[0] = standardised input, acts[k + 1] = output of step k): [lo, hi] */
  ranges: [number, number][];
  /** float values of every tensor over the calibration rows, [rows][width] each */
  values: Float32Array[];
  widths: number[];
  /** the network steps' kinds and activations, to map tensors to ops */
  steps: { kind: "dense" | "activation"; activation: string; layer: number }[];
}

export const MIN_CALIBRATION_ROWS = 10;

export function calibrate(
  model: ModelFile,
  x: Float32Array,
  rows: number,
  options: CalibrationOptions,
  file = "calibration data",
): Calibration {
  if (rows < MIN_CALIBRATION_ROWS) {
    throw new UsageError(
      `${file}: ${rows} rows; calibration needs at least ${MIN_CALIBRATION_ROWS} representative rows`,
    );
  }
  const cols = model.inputs.names.length;
  const z = standardize(x, cols, model.inputs);
  const seq = toSequential(model);
  const net = seq.network(rows);
  net.acts[0].set(z);
  net.forward(rows);
  const values = net.acts.map((a, k) => a.slice(0, rows * net.widths[k]));
  const ranges = values.map((v) => range(v, options));
  const steps: Calibration["steps"] = [];
  let layer = 0;
  for (const l of model.layers) {
    if (l.kind === "dense") steps.push({ kind: "dense", activation: l.activation, layer });
    if (l.activation !== "linear") steps.push({ kind: "activation", activation: l.activation, layer });
    layer++;
  }
  return { rows, ranges, values, widths: net.widths, steps };
}

function range(v: Float32Array, options: CalibrationOptions): [number, number] {
  if (options.method === "minmax") {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const x of v) {
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    return [lo, hi];
  }
  const p = options.percentile ?? 99.99;
  const sorted = Float64Array.from(v).sort();
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((q / 100) * (sorted.length - 1))))];
  return [at(100 - p), at(p)];
}
