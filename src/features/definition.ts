/**
 * The feature definition file (`*.features.json`): how a window of raw sensor samples becomes the
 * inputs of a model. One definition drives both sides: `computeFeatures` in TypeScript (for training
 * and for the reference) and the C that `nn2c export --features` generates (for the device). Both are
 * integer arithmetic on int16 samples, so they agree bit for bit on every core.
 *
 * ```json
 * {
 *   "format": "nn2c-features", "version": 1,
 *   "axes": ["ax", "ay", "az"], "group": "recording", "label": "label",
 *   "sampleRate": 50, "window": 100, "stride": 25,
 *   "statistics": ["mean", "rms", "std", "ptp"],
 *   "bands": [[0.5, 1.5], [2, 3], [3.5, 5]]
 * }
 * ```
 */
import { z } from "zod";
import { UsageError } from "../errors.js";
import { readJsonFile, validate } from "../files.js";

export const FEATURES_FORMAT = "nn2c-features";
export const FEATURES_VERSION = 1;

/** Largest window: keeps every intermediate of the integer features inside 64 bits (see compute.ts). */
export const MAX_WINDOW = 1024;
export const MAX_AXES = 16;

/** The statistics a window can give per axis, in the order of their C codes (nn_features.h). */
export const STATISTICS = ["mean", "rms", "std", "ptp", "min", "max"] as const;
export type Statistic = (typeof STATISTICS)[number];

const columnName = z.string().min(1);

export const featuresSchema = z
  .strictObject({
    format: z.literal(FEATURES_FORMAT),
    version: z.literal(FEATURES_VERSION),
    /** the CSV columns holding the samples, one per axis (int16 values, e.g. milli-g) */
    axes: z.array(columnName).min(1).max(MAX_AXES),
    /** a column whose value changes between recordings: no window spans two recordings */
    group: columnName.optional(),
    /** the label column of the raw CSV (default "label") */
    label: columnName.optional(),
    /** samples per second, to place the bands */
    sampleRate: z.number().positive(),
    /** samples per window */
    window: z.number().int().min(2).max(MAX_WINDOW),
    /** samples between the starts of two windows */
    stride: z.number().int().positive(),
    statistics: z.array(z.enum(STATISTICS)),
    /** spectral bands [from, to] in Hz: each gives the amplitude of the DFT bins inside it */
    bands: z.array(z.tuple([z.number().nonnegative(), z.number().positive()])).default([]),
  })
  .superRefine((d, ctx) => {
    if (new Set(d.axes).size !== d.axes.length)
      ctx.addIssue({ code: "custom", path: ["axes"], message: "expected distinct column names" });
    if (new Set(d.statistics).size !== d.statistics.length)
      ctx.addIssue({ code: "custom", path: ["statistics"], message: "expected each statistic once" });
    if (d.stride > d.window)
      ctx.addIssue({
        code: "custom",
        path: ["stride"],
        message: `expected at most the window (${d.window})`,
      });
    if (d.statistics.length + d.bands.length === 0)
      ctx.addIssue({ code: "custom", path: ["statistics"], message: "expected a statistic or a band" });
  });

export type FeatureFile = z.infer<typeof featuresSchema>;

/** A definition with its bands resolved to DFT bins and its feature names laid out. */
export interface FeatureDefinition extends FeatureFile {
  file: string;
  /** [first, last] DFT bin of each band, inclusive; bin k is k * sampleRate / window Hz */
  bins: [number, number][];
  /** per axis: the statistics, then the bands ("ax_mean", ..., "ax_band0", ...) */
  names: string[];
}

export function loadFeatures(file: string): FeatureDefinition {
  return resolveFeatures(validate(featuresSchema, readJsonFile(file, "feature definition"), file), file);
}

/** Places the bands on the DFT bins of the window; a band with no bin inside it is an error. */
export function resolveFeatures(d: FeatureFile, file = "<features>"): FeatureDefinition {
  const resolution = d.sampleRate / d.window;
  const nyquistBin = Math.floor(d.window / 2);
  const bins = d.bands.map(([from, to], k): [number, number] => {
    // a small slack so that a band edge written as a bin's frequency includes that bin
    const first = Math.max(1, Math.ceil(from / resolution - 1e-9));
    const last = Math.min(nyquistBin, Math.floor(to / resolution + 1e-9));
    if (from > to || first > last) {
      throw new UsageError(
        `${file}: bands[${k}]: [${from}, ${to}] Hz holds no DFT bin: expected a band within ` +
          `${fmtHz(resolution)}..${fmtHz(nyquistBin * resolution)} Hz that spans a multiple of ${fmtHz(resolution)} Hz (sampleRate / window)`,
      );
    }
    return [first, last];
  });
  const names = d.axes.flatMap((axis) => [
    ...d.statistics.map((s) => `${axis}_${s}`),
    ...d.bands.map((_, k) => `${axis}_band${k}`),
  ]);
  return { ...d, file, bins, names };
}

/** A frequency in Hz for messages and comments: six significant digits, no trailing zeros. */
export function fmtHz(v: number): string {
  return String(Number(v.toPrecision(6)));
}

/** Refuses a model whose inputs are not this definition's features, in the same order. */
export function checkModelInputs(def: FeatureDefinition, inputs: string[], modelFile: string): void {
  const same = inputs.length === def.names.length && inputs.every((n, i) => n === def.names[i]);
  if (same) return;
  const first = def.names.findIndex((n, i) => inputs[i] !== n);
  const where =
    inputs.length !== def.names.length
      ? `it gives ${def.names.length} features (${def.axes.length} axes × ${def.statistics.length + def.bands.length}, window ${def.window}), the model takes ${inputs.length} inputs`
      : `feature ${first} is '${def.names[first]}', the model's input ${first} is '${inputs[first]}'`;
  throw new UsageError(
    `${def.file}: does not match the inputs of ${modelFile}: ${where}; expected a model trained on this definition's features`,
  );
}
