/**
 * Test vectors for verification, and what the TypeScript reference says each must give.
 *
 * Two kinds: codes fed to <name>_predict (quantized values; standardised floats for float32 exports)
 * and raw feature rows fed to <name>_predict_float. Random vectors include the extremes: the smallest
 * and largest codes, alternating extremes, and raw values far outside the calibration range, plus NaN
 * and infinite inputs, which must give status 2.
 */

import type { Exportable } from "../core/exportable.js";
import { CODE_RANGE } from "../core/quant.js";
import type { Dataset } from "../data/dataset.js";
import { UsageError } from "../errors.js";
import { inputQuant } from "../quant/schema.js";
import { predictFloat32, runFloat32 } from "../reference/float32.js";
import { dequantizeOutput, inputOf, quantizeInput, runOutput } from "../reference/integer.js";
import { Rng } from "../rng.js";

export const STATUS_OK = 0;
export const STATUS_INPUT = 2;

export interface Expected {
  status: number;
  /** integer codes (integer exports) or float values */
  values: number[];
}

export interface VectorSet {
  inputSize: number;
  outputSize: number;
  integer: boolean;
  codes: number[][];
  raw: number[][];
  expectedCodes: Expected[];
  expectedRaw: Expected[];
  /** labels of the raw rows that came from a labelled CSV (the first rows of `raw`) */
  labels: number[];
  /** regression targets of those rows, in the label's units */
  targets: number[];
  labelled: Dataset | null;
}

export function makeVectors(
  m: Exportable,
  options: { data?: Dataset; random: number; seed?: number },
): VectorSet {
  const rng = new Rng(options.seed ?? 1);
  const inputs = m.model.inputs;
  const n = inputs.names.length;
  const integer = m.kind === "quantized";
  const codes: number[][] = [];
  const raw: number[][] = [];

  // Codes for <name>_predict.
  if (m.kind === "quantized") {
    const { lo, hi } = CODE_RANGE[m.model.precision];
    const zp = inputQuant(m.model).zeroPoint;
    codes.push(
      Array(n).fill(lo),
      Array(n).fill(hi),
      Array(n).fill(zp),
      Array.from({ length: n }, (_, i) => (i % 2 ? hi : lo)),
    );
    for (let k = 0; k < options.random; k++)
      codes.push(Array.from({ length: n }, () => lo + rng.int(hi - lo + 1)));
  } else {
    codes.push(Array(n).fill(0), Array(n).fill(1e3), Array(n).fill(-1e3));
    for (let k = 0; k < options.random; k++)
      codes.push(Array.from({ length: n }, () => Math.fround(rng.normal() * 2)));
  }

  // Raw rows for <name>_predict_float: the data first, then random rows near and far from the training range.
  const labels: number[] = [];
  const targets: number[] = [];
  if (options.data) {
    const d = options.data;
    for (let r = 0; r < d.rows; r++) {
      raw.push(Array.from(d.x.subarray(r * d.cols, (r + 1) * d.cols)));
      if (d.labels.length) labels.push(d.labels[r]);
      if (d.targets.length) targets.push(d.targets[r]);
    }
  }
  const around = (spread: number) =>
    Array.from({ length: n }, (_, i) =>
      Math.fround(inputs.mean[i] + inputs.std[i] * spread * (2 * rng.next() - 1)),
    );
  for (let k = 0; k < options.random; k++) raw.push(around(k % 4 === 3 ? 1000 : 3));
  raw.push(around(1e6));
  if (integer) raw.push(Array(n).fill(3e38), Array(n).fill(-3e38));
  raw.push(Array.from({ length: n }, (_, i) => (i === n - 1 ? Number.NaN : inputs.mean[i])));
  raw.push(Array.from({ length: n }, (_, i) => (i === 0 ? Number.POSITIVE_INFINITY : inputs.mean[i])));

  const set: VectorSet = {
    inputSize: n,
    outputSize: 0,
    integer,
    codes,
    raw,
    expectedCodes: [],
    expectedRaw: [],
    labels,
    targets,
    labelled: options.data ?? null,
  };
  expect(m, set);
  return set;
}

/** Fills in what the TypeScript reference gives for every vector. */
function expect(m: Exportable, set: VectorSet): void {
  if (m.kind === "quantized") {
    const q = m.model;
    const input = inputOf(q);
    for (const c of set.codes) {
      const out = runOutput(q, Int32Array.from(c));
      set.outputSize = out.length;
      set.expectedCodes.push({ status: STATUS_OK, values: Array.from(out) });
    }
    const qin = new Int32Array(set.inputSize);
    for (const x of set.raw) {
      try {
        quantizeInput(input, x, qin);
      } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        set.expectedRaw.push({ status: STATUS_INPUT, values: [] });
        continue;
      }
      set.expectedRaw.push({ status: STATUS_OK, values: Array.from(dequantizeOutput(q, runOutput(q, qin))) });
    }
    return;
  }
  // float32 exports: the float32 reference, in the C's order of operations (floatref.ts)
  const model = m.model;
  set.outputSize = runFloat32(model, set.codes[0]).length;
  for (const c of set.codes)
    set.expectedCodes.push({ status: STATUS_OK, values: Array.from(runFloat32(model, c)) });
  for (const x of set.raw) {
    if (x.some((v) => !Number.isFinite(v))) {
      set.expectedRaw.push({ status: STATUS_INPUT, values: [] });
      continue;
    }
    set.expectedRaw.push({ status: STATUS_OK, values: Array.from(predictFloat32(model, x)) });
  }
}
