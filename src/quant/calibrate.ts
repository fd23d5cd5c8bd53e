/**
 * Calibration: run the float model on representative rows and record the values and the range of every
 * tensor (the standardised input, each layer's output and the tensor before a layer's own activation),
 * by name. The ops of the lowered model read their tensors by these names. A range comes from one of:
 *   - search: by the error a range causes, rather than a fixed rule. First, per tensor, the range whose
 *     grid quantizes its values with the least squared error, clipping included (as PyTorch's histogram
 *     observer does). Then, tensor after tensor in graph order, the candidate range (that one, min/max,
 *     percentiles, and between them) under which the float model, each quantized tensor rounded to its
 *     grid ("fake quantization"), gives outputs closest to the float model's on the calibration rows;
 *     two passes.
 *   - minmax: the smallest and largest values;
 *   - percentile: the (100 - p)th and pth percentiles.
 */
import { standardize } from "../data/dataset.js";
import { UsageError } from "../errors.js";
import { toModel } from "../model/io.js";
import type { ModelFile } from "../model/schema.js";

export const CALIBRATION_METHODS = ["search", "minmax", "percentile"] as const;

/**
 * The default calibration: search for int8 (`npm run bench:quant`: it changes the fewest predictions);
 * min/max for int16, whose ranges are widened 4× and whose grid has steps to spare.
 */
export function defaultCalibration(precision: "int8" | "int16"): CalibrationOptions {
  return { method: precision === "int8" ? "search" : "minmax" };
}

export interface CalibrationOptions {
  method: (typeof CALIBRATION_METHODS)[number];
  /** e.g. 99.99: the range runs from the (100 - p)th to the pth percentile */
  percentile?: number;
}

export interface Calibration {
  rows: number;
  /** the model input's tensor name */
  inputName: string;
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
  /** the codes of the grid a range is searched for (int8: 256) */
  levels = 256,
  /** the tensors the integer program quantizes (search: their ranges are chosen together) */
  quantized: string[] = [],
): Calibration {
  if (rows < MIN_CALIBRATION_ROWS) {
    throw new UsageError(
      `${file}: ${rows} rows; calibration needs at least ${MIN_CALIBRATION_ROWS} representative rows`,
    );
  }
  const cols = model.inputs.names.length;
  checkVaried(model, x, rows, file);
  const z = standardize(x, cols, model.inputs);
  const net = toModel(model).network(rows);
  net.acts[0].set(z);
  net.forward(rows);
  const values = new Map<string, Float32Array>();
  const ranges = new Map<string, [number, number]>();
  net.names.forEach((name, k) => {
    const v = net.acts[k].slice(0, rows * net.sizes[k]);
    values.set(name, v);
    ranges.set(name, range(v, options, levels));
  });
  if (options.method === "search") searchJointly(net, z, rows, values, ranges, levels, quantized);
  return { rows, inputName: net.names[0], values, ranges };
}

/**
 * Refuses a column that holds one value in every calibration row where the training data varied (nn2c
 * records a feature constant in training as std 1 around that value): its range would be a guess.
 */
function checkVaried(model: ModelFile, x: Float32Array, rows: number, file: string): void {
  const { names, mean, std } = model.inputs;
  const cols = names.length;
  for (let c = 0; c < cols; c++) {
    const v = x[c];
    let r = 1;
    while (r < rows && x[r * cols + c] === v) r++;
    if (r < rows) continue;
    if (std[c] === 1 && Math.fround(mean[c]) === v) continue;
    // the value as the file wrote it: the fewest digits that read back as the same float32
    let digits = 1;
    while (digits < 9 && Math.fround(Number(v.toPrecision(digits))) !== v) digits++;
    throw new UsageError(
      `${file}: column '${names[c]}' holds ${Number(v.toPrecision(digits))} in all ${rows} rows, where the training data varied (mean ${mean[c].toPrecision(4)}, std ${std[c].toPrecision(4)}): calibration rows must vary as the data the model will see`,
    );
  }
}

/** x rounded to the grid of `levels` codes over [lo, hi] (lo <= 0 <= hi) and back, clamped to it. */
function fakeQuantize(x: Float32Array, n: number, lo: number, hi: number, levels: number): void {
  const a = Math.min(lo, 0);
  const b = Math.max(hi, 0);
  if (!(b - a > 0)) return;
  const step = (b - a) / (levels - 1);
  const zero = Math.round(-a / step);
  for (let i = 0; i < n; i++) {
    const q = Math.min(levels - 1, Math.max(0, Math.round(x[i] / step) + zero));
    x[i] = (q - zero) * step;
  }
}

/** Candidate ranges of a tensor: its least-error range, min/max, percentiles, and points between. */
function candidates(v: Float32Array, searched: [number, number]): [number, number][] {
  const [lo, hi] = range(v, { method: "minmax" }, 0);
  const out: [number, number][] = [searched, [lo, hi]];
  for (const p of [99.9, 99.99, 99.999]) out.push(range(v, { method: "percentile", percentile: p }, 0));
  for (const t of [0.25, 0.5, 0.75])
    out.push([searched[0] + t * (lo - searched[0]), searched[1] + t * (hi - searched[1])]);
  for (const t of [0.5, 0.7, 0.85]) out.push([searched[0] * t, searched[1] * t]);
  return out;
}

/** How much more output error a classifier's logits range may cost to resolve more decisions. */
const OUTPUT_SLACK = 0.25;

/** At most this many calibration rows drive the joint search (the float model runs once per candidate). */
const SEARCH_ROWS = 1024;

/**
 * Chooses the quantized tensors' ranges together, by the model's output error: see the file's comment.
 * The model's output is compared before its own quantization (softmax's is fixed by the op).
 */
function searchJointly(
  net: ReturnType<ReturnType<typeof toModel>["network"]>,
  z: Float32Array,
  rows: number,
  values: Map<string, Float32Array>,
  ranges: Map<string, [number, number]>,
  levels: number,
  quantized: string[],
): void {
  const N = Math.min(rows, SEARCH_ROWS);
  const last = net.names.length - 1;
  const tensors = quantized
    .map((name) => net.names.indexOf(name))
    .filter((k) => k >= 0 && k !== last)
    .sort((a, b) => a - b);
  if (tensors.length === 0) return;
  const want = values.get(net.names[last])!.subarray(0, N * net.sizes[last]);
  const choice = new Map(tensors.map((k) => [k, ranges.get(net.names[k])!]));
  const error = (): number => {
    net.acts[0].set(z.subarray(0, N * net.sizes[0]));
    const quantize = (k: number) => {
      const r = choice.get(k);
      if (r) fakeQuantize(net.acts[k], N * net.sizes[k], r[0], r[1], levels);
    };
    quantize(0);
    for (const s of net.steps) {
      s.step.forward(
        s.inputs.map((i) => net.acts[i]),
        net.acts[s.output],
        N,
        false,
      );
      quantize(s.output);
    }
    let e = 0;
    for (let i = 0; i < want.length; i++) e += (net.acts[last][i] - want[i]) ** 2;
    return e;
  };
  const options = new Map(
    tensors.map((k) => [k, candidates(values.get(net.names[k])!, ranges.get(net.names[k])!)]),
  );
  for (let pass = 0; pass < 2; pass++) {
    for (const k of tensors) {
      let best = error();
      let bestRange = choice.get(k)!;
      for (const r of options.get(k)!) {
        choice.set(k, r);
        const e = error();
        if (e < best) {
          best = e;
          bestRange = r;
        }
      }
      choice.set(k, bestRange);
    }
  }
  // A classifier's logits: the grid that resolves its decisions. Of the ranges whose output error is at
  // most OUTPUT_SLACK above the least-error one's, the one with the fewest expected class changes on the
  // calibration rows; of equal risks, the finest grid (calibration rows rarely sit near a boundary,
  // rows in the field do).
  const final = net.steps[net.steps.length - 1];
  const logits = final.inputs[0];
  if (final.activation === "softmax" && choice.has(logits)) {
    const current = choice.get(logits)!;
    const allowed = error() * (1 + OUTPUT_SLACK);
    choice.delete(logits);
    error();
    const simulated = net.acts[logits].slice(0, N * net.sizes[logits]);
    const float = values.get(net.names[logits])!;
    const scaled = Array.from({ length: 15 }, (_, j): [number, number] => {
      const t = 1 - j * 0.05;
      return [current[0] * t, current[1] * t];
    });
    let best = decisionRisk(float, simulated, N, net.sizes[logits], current, levels);
    let bestRange = current;
    const span = (r: [number, number]) => Math.max(r[1], 0) - Math.min(r[0], 0);
    for (const r of [...options.get(logits)!, ...scaled]) {
      const risk = decisionRisk(float, simulated, N, net.sizes[logits], r, levels);
      if (risk > best || (risk === best && span(r) >= span(bestRange))) continue;
      choice.set(logits, r);
      if (error() <= allowed) {
        best = risk;
        bestRange = r;
      }
    }
    choice.set(logits, bestRange);
  }
  for (const [k, r] of choice) ranges.set(net.names[k], r);
}

/**
 * The expected number of rows whose class changes when the logits are clipped to r and rounded to its
 * grid: a row whose winning logit (the float model's class) leads every other by a margin m, after
 * clipping, risks max(0, 1 - m / step); a tie or a lead lost to clipping counts 1.
 */
function decisionRisk(
  float: Float32Array,
  logits: Float32Array,
  rows: number,
  width: number,
  r: [number, number],
  levels: number,
): number {
  const [lo, hi] = [Math.min(r[0], 0), Math.max(r[1], 0)];
  const step = (hi - lo) / (levels - 1);
  if (!(step > 0)) return rows;
  const clip = (v: number) => Math.min(hi, Math.max(lo, v));
  let risk = 0;
  for (let row = 0; row < rows; row++) {
    const at = row * width;
    let c = 0;
    for (let j = 1; j < width; j++) if (float[at + j] > float[at + c]) c = j;
    let margin = Number.POSITIVE_INFINITY;
    for (let j = 0; j < width; j++)
      if (j !== c) margin = Math.min(margin, clip(logits[at + c]) - clip(logits[at + j]));
    risk += margin <= 0 ? 1 : Math.max(0, 1 - margin / step);
  }
  return risk;
}

function range(v: Float32Array, options: CalibrationOptions, levels: number): [number, number] {
  if (options.method === "search") return searchRange(v, levels);
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

const BINS = 2048;

/**
 * The range [lo, hi] (lo <= 0 <= hi) whose grid of `levels` codes quantizes the values with the least
 * squared error: rounding (step² / 12 per value inside) plus clipping ((x - edge)² per value outside).
 * Every pair of edges of a 2048-bin histogram over [min(v, 0), max(v, 0)] is tried, with the clipping
 * error summed exactly from per-bin counts, sums and sums of squares.
 */
export function searchRange(v: Float32Array, levels: number): [number, number] {
  let min = 0;
  let max = 0;
  for (const x of v) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  if (!(max - min > 0)) return [min, max];
  const width = (max - min) / BINS;
  // prefix sums over the bins: count, sum and sum of squares of the values below each edge
  const n = new Float64Array(BINS + 1);
  const s = new Float64Array(BINS + 1);
  const ss = new Float64Array(BINS + 1);
  for (const x of v) {
    const b = Math.min(BINS - 1, Math.floor((x - min) / width)) + 1;
    n[b]++;
    s[b] += x;
    ss[b] += x * x;
  }
  for (let b = 1; b <= BINS; b++) {
    n[b] += n[b - 1];
    s[b] += s[b - 1];
    ss[b] += ss[b - 1];
  }
  const edge = (e: number) => (e === BINS ? max : min + e * width);
  // the edges at or below zero, and at or above it
  const zero = Math.min(BINS, Math.max(0, Math.round(-min / width)));
  let best = Number.POSITIVE_INFINITY;
  let lo = min;
  let hi = max;
  for (let i = 0; i <= zero; i++) {
    const a = Math.min(edge(i), 0);
    // values below a: sum (x - a)² = ss - 2 a s + n a²
    const below = ss[i] - 2 * a * s[i] + n[i] * a * a;
    for (let j = BINS; j >= zero; j--) {
      const b = Math.max(edge(j), 0);
      const cnt = n[BINS] - n[j];
      const above = ss[BINS] - ss[j] - 2 * b * (s[BINS] - s[j]) + cnt * b * b;
      const step = (b - a) / (levels - 1);
      const err = below + above + ((n[j] - n[i]) * step * step) / 12;
      if (err < best) {
        best = err;
        lo = a;
        hi = b;
      }
    }
  }
  return [lo, hi];
}
