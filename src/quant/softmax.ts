/**
 * Integer softmax over one vector of codes, and argmax. Mirrored bit for bit by
 * firmware/nn/src/nn_softmax_s8.c and nn_softmax_s16.c.
 *
 * Only differences of input codes matter, so the input zero point is irrelevant: with
 * `d_i = max(q) - q_i ≥ 0`, `e_i ≈ 2^P · exp(-s_in · d_i)` comes from a table (P = 20 for int8 input;
 * for int16 input `d` spans 0..65535 and `exp(-s·d) = exp(-s·256·(d >> 8)) · exp(-s·(d & 255))` uses two
 * 256-entry Q31 tables whose product is rounded back to Q31). The outputs are
 * `round(e_i · 2^B / Σe)` with one integer division, rounding half up, where 2^B is the inverse output
 * scale: int8 output scale 1/256, zero point -128 (B = 8, then -128 and saturation to 127); int16
 * output scale 1/32768, zero point 0 (B = 15, saturated to 32767).
 *
 * Accuracy: each table entry is within half a unit of the real value, so the computed probability is
 * within `(n + 1) · 2^(B-1-P)` LSB of the real one (int8: (n + 1) / 2^13; int16, with its product
 * rounding: 3(n + 1) / 2^17), at most 0.5 LSB for the supported lengths; the output is therefore at
 * most 1 LSB from the correctly rounded ideal, except where it saturates.
 */
import { clampS8, floorDiv, roundHalfAwayFromZero, roundingMulShiftU } from "./fixedpoint.js";
import type { QuantParams } from "./lut.js";

/** Longest vector nn_softmax_s8 accepts: the uint32 sum of Q20 terms cannot overflow. */
export const SOFTMAX_S8_MAX_LENGTH = 4095;
/** Longest vector nn_softmax_s16 accepts, keeping the accuracy bound within 0.5 LSB. */
export const SOFTMAX_S16_MAX_LENGTH = 16384;

/** int8 softmax: `entries[d] = round(2^20 · exp(-inputScale · d))`, d = 0..255 (uint32). */
export interface SoftmaxTableS8 {
  kind: "softmax_s8";
  inputScale: number;
  entries: number[];
}

/**
 * int16 softmax: 512 uint32 Q31 entries; `entries[j] = round(2^31 · exp(-inputScale · 256 · j))` and
 * `entries[256 + i] = round(2^31 · exp(-inputScale · i))` for j, i = 0..255.
 */
export interface SoftmaxTableS16 {
  kind: "softmax_s16";
  inputScale: number;
  entries: number[];
}

export type SoftmaxTable = SoftmaxTableS8 | SoftmaxTableS16;

/** The fixed output quantization of softmax: int8 scale 1/256 zero point -128, int16 scale 1/32768. */
export function softmaxOutputQuant(precision: "int8" | "int16"): QuantParams {
  return precision === "int8" ? { scale: 1 / 256, zeroPoint: -128 } : { scale: 1 / 32768, zeroPoint: 0 };
}

/** The exp table(s) of a softmax over codes of scale `inputScale`; entries round half up. */
export function buildSoftmaxTable(precision: "int8" | "int16", inputScale: number): SoftmaxTable {
  if (!(Number.isFinite(inputScale) && inputScale > 0)) {
    throw new RangeError(`buildSoftmaxTable: input scale ${inputScale} must be finite and positive`);
  }
  const range = Array.from({ length: 256 }, (_, i) => i);
  if (precision === "int8") {
    const entries = range.map((d) => roundHalfAwayFromZero(2 ** 20 * Math.exp(-inputScale * d)));
    return { kind: "softmax_s8", inputScale, entries };
  }
  const high = range.map((j) => roundHalfAwayFromZero(2 ** 31 * Math.exp(-inputScale * 256 * j)));
  const low = range.map((i) => roundHalfAwayFromZero(2 ** 31 * Math.exp(-inputScale * i)));
  return { kind: "softmax_s16", inputScale, entries: [...high, ...low] };
}

/**
 * Error of a softmax exp table against its definition in double precision, over every entry, in units
 * of the table's last place (Q20 for int8, Q31 for int16): at most 0.5 by construction.
 */
export function measureSoftmaxTable(table: SoftmaxTable): {
  maxErrorLsb: number;
  meanErrorLsb: number;
  entries: number;
  bytes: number;
} {
  const s = table.inputScale;
  const exact = (k: number) =>
    table.kind === "softmax_s8"
      ? 2 ** 20 * Math.exp(-s * k)
      : 2 ** 31 * Math.exp(k < 256 ? -s * 256 * k : -s * (k - 256));
  let max = 0;
  let sum = 0;
  table.entries.forEach((e, k) => {
    const err = Math.abs(e - exact(k));
    max = Math.max(max, err);
    sum += err;
  });
  return {
    maxErrorLsb: max,
    meanErrorLsb: sum / table.entries.length,
    entries: table.entries.length,
    bytes: 4 * table.entries.length,
  };
}

/**
 * Softmax of `input[0..length)` into `output[0..length)` (codes), exactly as the C kernels compute it:
 * `out_i = floor((e_i · 2^B + floor(Σe / 2)) / Σe)`, then the output zero point and saturation.
 * Throws for a length of 0 or above the kernel's maximum.
 */
export function runSoftmax(
  table: SoftmaxTable,
  input: ArrayLike<number>,
  length: number,
  output: { [i: number]: number },
): void {
  const maxLength = table.kind === "softmax_s8" ? SOFTMAX_S8_MAX_LENGTH : SOFTMAX_S16_MAX_LENGTH;
  if (!Number.isInteger(length) || length < 1 || length > maxLength) {
    throw new RangeError(`runSoftmax: length ${length} outside [1, ${maxLength}]`);
  }
  let max = input[0];
  for (let i = 1; i < length; i++) max = Math.max(max, input[i]);
  const e = (q: number): number => {
    const d = max - q;
    return table.kind === "softmax_s8"
      ? table.entries[d]
      : roundingMulShiftU(table.entries[d >> 8], table.entries[256 + (d & 255)], 31);
  };
  let sum = 0;
  for (let i = 0; i < length; i++) sum += e(input[i]);
  const half = Math.floor(sum / 2);
  for (let i = 0; i < length; i++) {
    output[i] =
      table.kind === "softmax_s8"
        ? clampS8(floorDiv(e(input[i]) * 256 + half, sum) - 128)
        : Math.min(floorDiv(e(input[i]) * 32768 + half, sum), 32767);
  }
}

/** Index of the largest of `values[0..length)`; the first one wins a tie. Throws for length 0. */
export function argmax(values: ArrayLike<number>, length: number = values.length): number {
  if (length < 1) throw new RangeError("argmax: empty vector");
  let best = 0;
  for (let i = 1; i < length; i++) if (values[i] > values[best]) best = i;
  return best;
}
