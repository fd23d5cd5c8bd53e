/**
 * Calibration: run the float model on representative rows and record the values and the range of every
 * tensor (the standardised input, each layer's output and the tensor before a layer's own activation),
 * by name, by min/max or by percentiles. The ops of the lowered model read their tensors by these names.
 */
import { standardize } from "../data/dataset.js";
import { UsageError } from "../errors.js";
import { toModel } from "../model/io.js";
import type { ModelFile } from "../model/schema.js";

export interface CalibrationOptions {
  method: "minmax" | "percentile";
  /** e.g. 99.99: the range runs from the (100 - p)th to the pth percentile */
  percentile?: number;
}

export interface Calibration {
  rows: number;
  /** float values of every tensor over the calibration rows, [rows][size] each, by tensor name */
  values: Map<string, Float32Array>;
  /** [lo, hi] of every tensor */
  ranges: Map<string, [number, number]>;
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
  const net = toModel(model).network(rows);
  net.acts[0].set(z);
  net.forward(rows);
  const values = new Map<string, Float32Array>();
  const ranges = new Map<string, [number, number]>();
  net.names.forEach((name, k) => {
    const v = net.acts[k].slice(0, rows * net.sizes[k]);
    values.set(name, v);
    ranges.set(name, range(v, options));
  });
  return { rows, values, ranges };
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
