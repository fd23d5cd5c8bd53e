/**
 * Raw sample files and the windows cut from them. A raw CSV has a header, one row per sample, a column
 * per axis (int16 integers), and optionally a label and a group (recording) column. Windows follow the
 * device's rule: a window ends at every `stride`-th sample once `window` samples have arrived, and for
 * training no window spans a change of group or label.
 */
import { type CsvTable, cellPlace, readCsv, shownCell } from "../data/csv.js";
import { UsageError } from "../errors.js";
import { clip, clipList } from "../values.js";
import { featureExtractor } from "./compute.js";
import type { FeatureDefinition } from "./definition.js";

export interface RawSamples {
  file: string;
  /** samples × axes, interleaved */
  samples: Int16Array;
  count: number;
  /** per sample, when the file has the label column */
  labels?: string[];
  /** runs of consecutive samples with one group and one label: [start, end) */
  runs: { start: number; end: number; label?: string }[];
}

export function readRawSamples(def: FeatureDefinition, file: string): RawSamples {
  return rawFromTable(def, readCsv(file));
}

export function rawFromTable(def: FeatureDefinition, table: CsvTable): RawSamples {
  const column = (name: string, what: string, required: boolean): number => {
    const c = table.header.indexOf(name);
    if (c < 0 && required) {
      throw new UsageError(
        `${table.file}: line 1: no column '${clip(name, 40)}' (${what} in ${def.file}); the columns are ${clipList(table.header)}`,
      );
    }
    return c;
  };
  const axisCols = def.axes.map((a, k) => column(a, `axes[${k}]`, true));
  const labelCol = column(def.label ?? "label", "the label", def.label !== undefined);
  const groupCol = def.group === undefined ? -1 : column(def.group, "the group", true);
  const count = table.rows.length;
  const samples = new Int16Array(count * axisCols.length);
  for (let r = 0; r < count; r++) {
    axisCols.forEach((c, a) => {
      samples[r * axisCols.length + a] = parseSample(table, r, c);
    });
  }
  const labels = labelCol < 0 ? undefined : table.rows.map((row) => row[labelCol]);
  const runs: RawSamples["runs"] = [];
  const key = (i: number) => `${groupCol < 0 ? "" : table.rows[i][groupCol]}\u0000${labels?.[i] ?? ""}`;
  for (let r = 0; r < count; r++) {
    if (r === 0 || key(r) !== key(r - 1)) runs.push({ start: r, end: r + 1, label: labels?.[r] });
    else runs[runs.length - 1].end = r + 1;
  }
  return { file: table.file, samples, count, labels, runs };
}

function parseSample(table: CsvTable, row: number, col: number): number {
  const cell = table.rows[row][col];
  const v = /^[+-]?\d+$/.test(cell) ? Number(cell) : Number.NaN;
  if (!(v >= -32768 && v <= 32767)) {
    throw new UsageError(
      `${cellPlace(table, row, col)}: expected an integer sample from -32768 to 32767, got ${shownCell(cell)}`,
    );
  }
  return v;
}

/** The first sample of every window in a stream of `count` samples (the device's rule). */
export function windowStarts(count: number, window: number, stride: number): number[] {
  const starts: number[] = [];
  for (let s = 0; s + window <= count; s += stride) starts.push(s);
  return starts;
}

export interface FeatureRows {
  /** one row per window, the features as integers */
  rows: Int32Array[];
  labels: (string | undefined)[];
  /** the first sample of each window */
  starts: number[];
  /** runs shorter than one window, which gave no window */
  shortRuns: number;
}

/**
 * Features of the windows of each run (training), or of the whole stream as the device sees it
 * (`stream: true`, windows may span runs). Fewer samples than one window is an error.
 */
export function windowFeatures(
  def: FeatureDefinition,
  raw: RawSamples,
  stream = false,
  samples = false,
): FeatureRows {
  const longest = stream ? raw.count : Math.max(...raw.runs.map((r) => r.end - r.start));
  if (longest < def.window) {
    throw new UsageError(
      `${raw.file}: ${stream || raw.runs.length === 1 ? `${raw.count} samples` : `the longest recording has ${longest} samples`}, fewer than one window of ${def.window} (${def.file}): expected at least ${def.window}`,
    );
  }
  // raw mode: the window's samples themselves, [steps][axes] (for a Conv1D model on the raw signal)
  const extract = samples ? (w: Int16Array) => Int32Array.from(w) : featureExtractor(def);
  const axes = def.axes.length;
  const out: FeatureRows = { rows: [], labels: [], starts: [], shortRuns: 0 };
  const runs = stream ? [{ start: 0, end: raw.count, label: undefined }] : raw.runs;
  for (const run of runs) {
    const starts = windowStarts(run.end - run.start, def.window, def.stride);
    if (starts.length === 0) out.shortRuns++;
    for (const s of starts) {
      const first = run.start + s;
      out.rows.push(extract(raw.samples.subarray(first * axes, (first + def.window) * axes)));
      out.labels.push(run.label);
      out.starts.push(first);
    }
  }
  return out;
}

/** Column names of raw windows: each sample's axes in turn (`ax_0, ay_0, az_0, ax_1, ...`), channels last. */
export function sampleNames(def: FeatureDefinition): string[] {
  const names: string[] = [];
  for (let t = 0; t < def.window; t++) for (const a of def.axes) names.push(`${a}_${t}`);
  return names;
}

/** The training CSV of the features (or raw windows): a header of column names and the label, one row per window. */
export function featuresCsv(def: FeatureDefinition, f: FeatureRows, names = def.names): string {
  const label = def.label ?? "label";
  const hasLabel = f.labels.some((l) => l !== undefined);
  const lines = [[...names, ...(hasLabel ? [label] : [])].map(csvCell).join(",")];
  f.rows.forEach((row, i) => {
    lines.push([...row, ...(hasLabel ? [csvCell(f.labels[i] ?? "")] : [])].join(","));
  });
  return `${lines.join("\n")}\n`;
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
