/**
 * From a CSV table to numbers a model can use: the feature matrix, the label as class indices or
 * regression targets, and the standardisation every later stage applies to raw features.
 */
import { UsageError } from "../errors.js";
import { Rng } from "../rng.js";
import { clip, clipList } from "../values.js";
import { type CsvTable, parseNumberCell, readCsv } from "./csv.js";

export type Task = "classification" | "regression";

/** Integer labels with at most this many distinct values are taken as classes. */
export const MAX_INFERRED_CLASSES = 20;

export interface Dataset {
  file: string;
  featureNames: string[];
  labelName: string;
  task: Task;
  /** class names, index = class id (classification only) */
  classes: string[];
  rows: number;
  cols: number;
  /** raw features, row-major [rows][cols] */
  x: Float32Array;
  /** class index per row (classification) */
  labels: Int32Array;
  /** target value per row (regression) */
  targets: Float32Array;
}

/** What a dataset must look like to be used with an existing model (evaluate, quantize, verify). */
export interface DatasetSchema {
  featureNames: string[];
  labelName: string;
  task: Task;
  classes: string[];
}

export interface LoadOptions {
  /** label column name; default the last column */
  label?: string;
  /** override the inferred task */
  task?: Task;
  /** an existing model's schema: columns are matched by name, classes must be known */
  schema?: DatasetSchema;
  /** with a schema: accept a file without the label column (features only) */
  labelOptional?: boolean;
  /** with a schema: refuse a column that is neither a feature nor the label (calibration data) */
  exactColumns?: boolean;
}

export function loadDataset(file: string, options: LoadOptions = {}): Dataset {
  return datasetFromTable(readCsv(file), options);
}

export function datasetFromTable(table: CsvTable, options: LoadOptions = {}): Dataset {
  const { schema } = options;
  const labelName = schema?.labelName ?? options.label ?? table.header[table.header.length - 1];
  let labelCol = table.header.indexOf(labelName);
  if (labelCol < 0 && !(schema && options.labelOptional)) {
    throw new UsageError(
      `${table.file}: line 1: no label column '${clip(labelName, 40)}' (columns: ${clipList(table.header)})`,
    );
  }
  const featureNames = schema ? schema.featureNames : table.header.filter((_, i) => i !== labelCol);
  if (featureNames.length === 0) {
    throw new UsageError(
      `${table.file}: line 1: no feature columns besides the label '${clip(labelName, 40)}'`,
    );
  }
  if (schema && options.exactColumns) {
    const other = table.header.find((name) => name !== labelName && !featureNames.includes(name));
    if (other !== undefined)
      throw new UsageError(
        `${table.file}: line 1: column '${clip(other, 40)}' is none of the model's ${featureNames.length} feature columns nor its label '${clip(labelName, 40)}': expected the columns the model was trained on`,
      );
  }
  const featureCols = featureNames.map((name) => {
    const c = table.header.indexOf(name);
    if (c < 0)
      throw new UsageError(
        `${table.file}: line 1: missing feature column '${clip(name, 40)}' that the model expects`,
      );
    return c;
  });
  const rows = table.rows.length;
  const cols = featureCols.length;
  const x = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) x[r * cols + c] = parseNumberCell(table, r, featureCols[c]);
  }
  if (labelCol < 0) labelCol = -1;
  const task = schema?.task ?? options.task ?? (labelCol >= 0 ? inferTask(table, labelCol) : "regression");
  const labels = new Int32Array(labelCol >= 0 && task === "classification" ? rows : 0);
  const targets = new Float32Array(labelCol >= 0 && task === "regression" ? rows : 0);
  let classes: string[] = [];
  if (labelCol >= 0 && task === "classification") {
    classes = schema ? schema.classes : classNames(table, labelCol);
    const index = new Map(classes.map((name, i) => [name, i]));
    for (let r = 0; r < rows; r++) {
      const cell = table.rows[r][labelCol];
      if (cell === "") {
        throw new UsageError(
          `${table.file}: line ${table.lines[r]}, column '${clip(labelName, 40)}': empty label cell: expected a class`,
        );
      }
      const k = index.get(cell) ?? index.get(canonicalNumber(cell));
      if (k === undefined) {
        throw new UsageError(
          `${table.file}: line ${table.lines[r]}, column '${clip(labelName, 40)}': unknown class '${clip(cell, 40)}' (known: ${clipList(classes)})`,
        );
      }
      labels[r] = k;
    }
    if (!schema && classes.length < 2) {
      throw new UsageError(
        `${table.file}: column '${clip(labelName, 40)}': a single class '${clip(classes[0], 40)}': classification needs at least two`,
      );
    }
  } else if (labelCol >= 0) {
    for (let r = 0; r < rows; r++) targets[r] = parseNumberCell(table, r, labelCol);
  }
  return { file: table.file, featureNames, labelName, task, classes, rows, cols, x, labels, targets };
}

/** Text labels, or integers with few distinct values, are classes; other numbers are regression targets. */
export function inferTask(table: CsvTable, labelCol: number): Task {
  const distinct = new Set<string>();
  for (const row of table.rows) {
    const cell = row[labelCol];
    // an empty cell says nothing about the task; it is reported when the labels are read
    if (cell === "") continue;
    const v = Number(cell);
    if (!Number.isFinite(v)) return "classification";
    if (!Number.isInteger(v)) return "regression";
    distinct.add(cell);
  }
  return distinct.size <= MAX_INFERRED_CLASSES ? "classification" : "regression";
}

function canonicalNumber(cell: string): string {
  const v = Number(cell);
  return cell !== "" && Number.isFinite(v) ? String(v) : cell;
}

/** Class names in a stable order: numerically for numbers, by code point for text. */
function classNames(table: CsvTable, labelCol: number): string[] {
  const names = [...new Set(table.rows.map((row) => canonicalNumber(row[labelCol])))];
  const numeric = names.every((n) => Number.isFinite(Number(n)));
  return numeric
    ? names.sort((a, b) => Number(a) - Number(b))
    : names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export interface Standardization {
  mean: number[];
  std: number[];
}

/**
 * Per-feature mean and standard deviation (population), rounded to float32 because the generated C
 * stores them as float. A constant feature gets std 1 so that it standardises to 0.
 */
export function computeStandardization(x: Float32Array, rows: number, cols: number): Standardization {
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < cols; c++) {
    let s = 0;
    for (let r = 0; r < rows; r++) s += x[r * cols + c];
    const m = s / rows;
    let v = 0;
    for (let r = 0; r < rows; r++) v += (x[r * cols + c] - m) ** 2;
    const sd = Math.sqrt(v / rows);
    mean.push(Math.fround(m));
    std.push(sd > 1e-12 ? Math.fround(sd) : 1);
  }
  return { mean, std };
}

/**
 * z = (x - mean) / std in float32 steps, exactly as the generated C computes it, so that the integer
 * path quantizes the very same values on both sides.
 */
export function standardize(x: Float32Array, cols: number, norm: Standardization): Float32Array {
  const z = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = i % cols;
    // mean and std as the float constants the C holds (a model file prints them with 9 digits)
    z[i] = Math.fround(Math.fround(x[i] - Math.fround(norm.mean[c])) / Math.fround(norm.std[c]));
  }
  return z;
}

/** Selects rows (by index) of a dataset into a new one. */
export function subset(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const n = indices.length;
  const x = new Float32Array(n * ds.cols);
  const labels = new Int32Array(ds.labels.length ? n : 0);
  const targets = new Float32Array(ds.targets.length ? n : 0);
  for (let k = 0; k < n; k++) {
    const r = indices[k];
    x.set(ds.x.subarray(r * ds.cols, (r + 1) * ds.cols), k * ds.cols);
    if (labels.length) labels[k] = ds.labels[r];
    if (targets.length) targets[k] = ds.targets[r];
  }
  return { ...ds, rows: n, x, labels, targets };
}

/**
 * A seeded split into two parts; classification splits are stratified so that every class keeps its share.
 * Returns the row indices of each part, both in ascending order.
 */
export function splitIndices(
  ds: Dataset,
  fraction: number,
  seed: number,
): { keep: number[]; held: number[] } {
  const rng = new Rng(seed);
  const groups = new Map<number, number[]>();
  for (let r = 0; r < ds.rows; r++) {
    const key = ds.task === "classification" ? ds.labels[r] : 0;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  const keep: number[] = [];
  const held: number[] = [];
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const g = rng.shuffle(groups.get(key)!);
    const h = Math.round(g.length * fraction);
    held.push(...g.slice(0, h));
    keep.push(...g.slice(h));
  }
  return { keep: keep.sort((a, b) => a - b), held: held.sort((a, b) => a - b) };
}
