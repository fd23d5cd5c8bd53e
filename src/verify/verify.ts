/**
 * `verifyModel`: generates the C and a test harness, compiles and runs it on a target, and compares
 * every output with the TypeScript reference: bit for bit on the integer path (and for the float outputs
 * of integer exports, which the reference reproduces in float32 steps), within 1e-5 (relative or absolute,
 * whichever is larger) for float32 exports.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cFloat } from "../codegen/cnames.js";
import { renderModel } from "../codegen/export.js";
import { loadTemplates } from "../codegen/render.js";
import { predictedClass } from "../core/classes.js";
import type { Exportable } from "../core/exportable.js";
import type { Dataset } from "../data/dataset.js";
import type { FeatureDefinition } from "../features/definition.js";
import type { RawSamples } from "../features/windows.js";
import { makeFolder } from "../files.js";
import { type CortexTarget, getCortexTarget } from "../toolchain/targets.js";
import { runCortexHarness, runHostHarness } from "./host.js";
import { type Expected, makeVectors, STATUS_OK, type VectorSet } from "./vectors.js";
import { makeWindowVectors, type WindowSet } from "./windows.js";

export const FLOAT_TOLERANCE = 1e-5;

export interface VerifyOptions {
  target: string;
  data?: Dataset;
  /** random vectors of each kind, besides the fixed extremes */
  random: number;
  seed?: number;
  sanitize?: boolean;
  templates?: string;
  /** keep the generated files in this folder instead of a temporary one */
  keepDir?: string;
  /** also verify the window features of this definition (and <name>_predict_window) */
  features?: FeatureDefinition;
  /** with features: raw samples to cut windows from (labelled: accuracy is over these windows) */
  raw?: RawSamples;
}

export interface Mismatch {
  kind: "predict" | "predict_float" | "features" | "predict_window";
  vector: number;
  expected: Expected;
  actual: Expected;
}

export interface VerifyResult {
  target: string;
  precision: string;
  vectors: number;
  mismatches: number;
  maxAbsDiff: number;
  accuracy?: number;
  /** regression: root mean square error of the C's outputs against the labels */
  rmse?: number;
  samples?: number;
  /** with features: the windows run through <name>_features and <name>_predict_window */
  windows?: number;
  first: Mismatch[];
  compileCommand: string;
  /** the QEMU machine of a Cortex-M target (MPS2 AN385 for an M0 program too large for the micro:bit) */
  board?: string;
}

const HARNESS_NAME = "model";

/** Floats for a C initializer: NaN and infinities through math.h's macros. */
function cValue(v: number): string {
  if (Number.isNaN(v)) return "NAN";
  if (v === Number.POSITIVE_INFINITY) return "INFINITY";
  if (v === Number.NEGATIVE_INFINITY) return "-INFINITY";
  return cFloat(v);
}

/** A float the harness printed as the hex of its bits. */
export function bitsToFloat(hex: string): number {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(Number.parseInt(hex, 16) >>> 0);
  return b.readFloatBE(0);
}

const windowRows = (w: WindowSet | undefined) => (w ? w.rings.map((r) => [...r].join(", ")) : []);

export function harnessSource(set: VectorSet, board: boolean, windows?: WindowSet): string {
  const t = loadTemplates();
  return t.render("harness/main.c", {
    name: HARNESS_NAME,
    NAME: HARNESS_NAME.toUpperCase(),
    host: !board,
    board,
    integer: set.integer,
    codeCount: set.codes.length,
    rawCount: set.raw.length,
    codes: set.codes.map((c) => c.map((v) => (set.integer ? String(v) : cValue(v))).join(", ")),
    raw: set.raw.map((x) => x.map(cValue).join(", ")),
    windowCount: windows?.rings.length ?? 0,
    windowFirsts: windows?.firsts.join(", ") ?? "",
    windows: windowRows(windows),
  });
}

/**
 * Bytes of test vectors one harness carries on a board: the vectors are compiled into the image, and the
 * smallest board (the micro:bit: 256 KB of flash) must hold them with the model. Larger sets run as
 * several harnesses, one after the other, and their results are added up.
 */
export const BOARD_BYTES = 65536;

/** Bytes of one input value in the harness: a code of the program's type, or a float. */
const VALUE_BYTES: Record<string, number> = { int8: 1, int16: 2, float32: 4 };

export async function verifyModel(m: Exportable, options: VerifyOptions): Promise<VerifyResult> {
  const set = makeVectors(m, { data: options.data, random: options.random, seed: options.seed });
  const rendered = renderModel(m, {
    name: HARNESS_NAME,
    templates: options.templates,
    features: options.features,
  });
  const windows = options.features
    ? makeWindowVectors(m, options.features, { raw: options.raw, random: options.random, seed: options.seed })
    : undefined;
  const dir = options.keepDir ?? mkdtempSync(join(tmpdir(), "nn2c-verify-"));
  if (options.keepDir) makeFolder(options.keepDir);
  const board = options.target !== "host";
  try {
    for (const [file, content] of rendered.files) writeFileSync(join(dir, file), content);
    const sources = [...rendered.files.keys()].filter((f) => f.endsWith(".c")).concat("harness.c");
    const results: { result: VerifyResult; offset: number; codeOffset: number }[] = [];
    // boards with more flash than the micro:bit take more vectors per harness (an eighth of the flash)
    const budget = board
      ? Math.max(BOARD_BYTES, getCortexTarget(options.target).flash.size / 8)
      : Number.POSITIVE_INFINITY;
    let cortex: CortexTarget | undefined;
    const parts = splitVectors(set, budget, VALUE_BYTES[rendered.view.precision] ?? 4);
    for (const [index, part] of parts.entries()) {
      // the windows (features) go with the first harness only
      const w = index === 0 ? windows : undefined;
      writeFileSync(join(dir, "harness.c"), harnessSource(part.set, board, w));
      // the board one part needed serves the later ones: no failed link per part
      const run = board
        ? await runCortexHarness(cortex ?? options.target, dir, sources)
        : await runHostHarness(dir, sources, { sanitize: options.sanitize ?? true });
      cortex = run.target ?? cortex;
      results.push({
        result: compare(part.set, run.stdout, options.target, rendered.view.precision, run.command, w),
        offset: part.offset,
        codeOffset: part.codeOffset,
      });
    }
    const merged = mergeResults(results);
    return cortex ? { ...merged, board: cortex.machine } : merged;
  } finally {
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
  }
}

/** A vector set of no vectors, for a caller to fill with its own inputs and expected outputs. */
export function emptyVectorSet(inputSize: number, outputSize: number, integer: boolean): VectorSet {
  return {
    inputSize,
    outputSize,
    integer,
    codes: [],
    raw: [],
    expectedCodes: [],
    expectedRaw: [],
    labels: [],
    targets: [],
    labelled: null,
  };
}

/**
 * Runs the C of `m` with the harness of `set` on the host (no sanitizers: for many quick runs, where
 * `verifyModel` is the thorough check) and compares its outputs with the set's expected ones; the
 * harness's output lines come back too.
 */
export async function runOnHost(m: Exportable, set: VectorSet): Promise<VerifyResult & { stdout: string }> {
  const dir = mkdtempSync(join(tmpdir(), "nn2c-run-"));
  try {
    const rendered = renderModel(m, { name: HARNESS_NAME });
    for (const [file, content] of rendered.files) writeFileSync(join(dir, file), content);
    writeFileSync(join(dir, "harness.c"), harnessSource(set, false));
    const sources = [...rendered.files.keys()].filter((f) => f.endsWith(".c")).concat("harness.c");
    const run = await runHostHarness(dir, sources, { sanitize: false });
    return { ...compare(set, run.stdout, "host", rendered.view.precision, run.command), stdout: run.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The vector set in parts of at most `bytes` bytes of vectors each (at least one vector per part): the
 * code vectors (`codeBytes` bytes a value) first, then the raw rows (float32), each in order and in
 * exactly one part; `offset` and `codeOffset` say where a part's raw rows and code vectors start.
 */
export function splitVectors(
  set: VectorSet,
  bytes: number,
  codeBytes: number,
): { set: VectorSet; offset: number; codeOffset: number }[] {
  const n = Math.max(1, set.inputSize);
  const codeRows = Math.max(1, Math.floor(bytes / (n * codeBytes)));
  const rawRows = Math.max(1, Math.floor(bytes / (n * 4)));
  if (set.codes.length * n * codeBytes + set.raw.length * n * 4 <= bytes)
    return [{ set, offset: 0, codeOffset: 0 }];
  const parts: { set: VectorSet; offset: number; codeOffset: number }[] = [];
  const none = { raw: [], expectedRaw: [], labels: [], targets: [] };
  for (let start = 0; start < set.codes.length; start += codeRows) {
    const end = Math.min(start + codeRows, set.codes.length);
    const codes = { codes: set.codes.slice(start, end), expectedCodes: set.expectedCodes.slice(start, end) };
    parts.push({ set: { ...set, ...codes, ...none }, offset: 0, codeOffset: start });
  }
  for (let start = 0; start < set.raw.length; start += rawRows) {
    const end = Math.min(start + rawRows, set.raw.length);
    parts.push({
      offset: start,
      codeOffset: 0,
      set: {
        ...set,
        codes: [],
        expectedCodes: [],
        raw: set.raw.slice(start, end),
        expectedRaw: set.expectedRaw.slice(start, end),
        labels: set.labels.slice(start, end),
        targets: set.targets.slice(start, end),
      },
    });
  }
  return parts;
}

/** The results of the parts of one verification as one: counts added, accuracy and rmse over all rows. */
function mergeResults(parts: { result: VerifyResult; offset: number; codeOffset: number }[]): VerifyResult {
  if (parts.length === 1) return parts[0].result;
  const [first] = parts;
  const merged: VerifyResult = {
    ...first.result,
    vectors: 0,
    mismatches: 0,
    maxAbsDiff: 0,
    first: [],
  };
  let samples = 0;
  let hits = 0;
  let squares = 0;
  for (const { result, offset, codeOffset } of parts) {
    merged.vectors += result.vectors;
    merged.mismatches += result.mismatches;
    merged.maxAbsDiff = Math.max(merged.maxAbsDiff, result.maxAbsDiff);
    for (const mm of result.first)
      merged.first.push(
        mm.kind === "predict_float"
          ? { ...mm, vector: mm.vector + offset }
          : mm.kind === "predict"
            ? { ...mm, vector: mm.vector + codeOffset }
            : mm,
      );
    const n = result.samples ?? 0;
    samples += n;
    if (result.accuracy !== undefined) hits += result.accuracy * n;
    if (result.rmse !== undefined) squares += result.rmse ** 2 * n;
  }
  merged.first = merged.first.slice(0, 5);
  // the parts of code vectors have no labelled rows: accuracy and rmse come from the parts that do
  if (parts.some((p) => p.result.accuracy !== undefined) && samples > 0) merged.accuracy = hits / samples;
  if (parts.some((p) => p.result.rmse !== undefined) && samples > 0)
    merged.rmse = Math.sqrt(squares / samples);
  if (samples > 0) merged.samples = samples;
  return merged;
}

/** Compares the harness output with the expected values. */
export function compare(
  set: VectorSet,
  stdout: string,
  target: string,
  precision: string,
  command: string,
  windows?: WindowSet,
): VerifyResult {
  const lines = stdout.split("\n").filter((l) => l.length > 0);
  const mismatches: Mismatch[] = [];
  let maxAbsDiff = 0;
  let hits = 0;
  let squares = 0;
  const check = (kind: Mismatch["kind"], vector: number, expected: Expected, line: string | undefined) => {
    const parts = (line ?? "").trim().split(/\s+/);
    const tag = { predict: "P", predict_float: "F", features: "W", predict_window: "X" }[kind];
    const status = parts[0] === tag ? Number(parts[1]) : Number.NaN;
    const raw = parts.slice(2);
    // integer exports are compared bit for bit, codes and floats alike; float32 exports within tolerance;
    // features (integers on every path) exactly
    const exact = set.integer || kind === "features";
    const integers = kind === "features" || (kind === "predict" && set.integer);
    const values = raw.map((v) => (integers ? Number(v) : bitsToFloat(v)));
    const actual: Expected = { status, values };
    let ok = status === expected.status;
    if (ok && status === STATUS_OK) {
      ok = values.length === expected.values.length;
      for (let j = 0; ok && j < values.length; j++) {
        const a = values[j];
        const e = expected.values[j];
        const diff = Math.abs(a - e);
        if (Number.isFinite(diff)) maxAbsDiff = Math.max(maxAbsDiff, diff);
        if (exact) {
          if (!(Object.is(a, e) || a === e)) ok = false;
        } else if (!(diff <= FLOAT_TOLERANCE * Math.max(1, Math.abs(e)))) {
          ok = false;
        }
      }
    }
    if (!ok) mismatches.push({ kind, vector, expected, actual });
    return actual;
  };
  set.codes.forEach((_, v) => {
    check("predict", v, set.expectedCodes[v], lines[v]);
  });
  set.raw.forEach((_, v) => {
    const actual = check("predict_float", v, set.expectedRaw[v], lines[set.codes.length + v]);
    if (v < set.labels.length && actual.status === STATUS_OK) {
      if (predictedClass(actual.values, 0, actual.values.length) === set.labels[v]) hits++;
    }
    if (v < set.targets.length && actual.status === STATUS_OK)
      squares += (actual.values[0] - set.targets[v]) ** 2;
  });
  const base = set.codes.length + set.raw.length;
  let windowHits = 0;
  windows?.rings.forEach((_, v) => {
    check("features", v, windows.expectedFeatures[v], lines[base + 2 * v]);
    const actual = check("predict_window", v, windows.expectedOutputs[v], lines[base + 2 * v + 1]);
    if (v < windows.labels.length && actual.status === STATUS_OK) {
      if (predictedClass(actual.values, 0, actual.values.length) === windows.labels[v]) windowHits++;
    }
  });
  const result: VerifyResult = {
    target,
    precision,
    vectors: base + 2 * (windows?.rings.length ?? 0),
    mismatches: mismatches.length,
    maxAbsDiff,
    first: mismatches.slice(0, 5),
    compileCommand: command,
  };
  if (set.targets.length) {
    result.rmse = Math.sqrt(squares / set.targets.length);
    result.samples = set.targets.length;
  }
  if (set.labels.length) {
    result.accuracy = hits / set.labels.length;
    result.samples = set.labels.length;
  }
  if (windows) {
    result.windows = windows.rings.length;
    if (windows.labels.length) {
      result.accuracy = windowHits / windows.labels.length;
      result.samples = windows.labels.length;
    }
  }
  return result;
}
