/**
 * Exact fixed-point primitives shared by the TypeScript integer reference and the C runtime.
 *
 * Every function here is mirrored bit for bit by a `static inline` helper in
 * firmware/nn/include/nn_support.h; the doc comment of each states its pinned rounding. Values are
 * JS numbers holding integers (int32 unless stated otherwise). No float is ever used to approximate an
 * integer result: products wider than 53 bits are split into exact limbs.
 */

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

const TWO_24 = 2 ** 24;
const TWO_30 = 2 ** 30;
const TWO_31 = 2 ** 31;

/** A multiplier `mult` and power-of-two exponent `shift` approximating a real scale factor. */
export interface QuantizedMultiplier {
  mult: number;
  shift: number;
}

/** Rounds to the nearest integer, ties away from zero (2.5 → 3, -2.5 → -3). Never returns -0. */
export function roundHalfAwayFromZero(x: number): number {
  const r = x < 0 ? -Math.round(-x) : Math.round(x);
  return r === 0 ? 0 : r;
}

/** Saturates an integer to [lo, hi]. */
export function clamp(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}

/** Saturates an integer to the int8 range [-128, 127]. */
export function clampS8(x: number): number {
  return clamp(x, -128, 127);
}

/** Saturates an integer to the int16 range [-32768, 32767]. */
export function clampS16(x: number): number {
  return clamp(x, -32768, 32767);
}

/** Saturates an integer to the int32 range. */
export function clampS32(x: number): number {
  return clamp(x, INT32_MIN, INT32_MAX);
}

/**
 * `floor(num / den)` for integers with |num| < 2^53 and 0 < den < 2^53, exact (the float quotient is
 * corrected by its remainder). C: `/` on non-negative operands.
 */
export function floorDiv(num: number, den: number): number {
  let q = Math.floor(num / den);
  let r = num - q * den;
  while (r < 0) {
    q -= 1;
    r += den;
  }
  while (r >= den) {
    q += 1;
    r -= den;
  }
  return q;
}

/**
 * SaturatingRoundingDoublingHighMul (gemmlowp, TFLite): the high 32 bits of `2·a·b`, rounded to
 * nearest with ties toward +infinity (0.5 → 1, -0.5 → 0, -1.5 → -1: gemmlowp's nudge), i.e. `trunc((a·b + nudge) / 2^31)` with `nudge = 2^30` when
 * `a·b ≥ 0` and `1 - 2^30` otherwise (C's `/` truncates toward zero). Exact for all int32 inputs;
 * the only saturating case is `a = b = INT32_MIN`, which returns INT32_MAX.
 */
export function srdhm(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  // a·b = p2·2^32 + p1·2^16 + p0 with unsigned low limbs: each partial product is exact.
  const aLo = a & 0xffff;
  const aHi = a >> 16;
  const bLo = b & 0xffff;
  const bHi = b >> 16;
  const p0 = aLo * bLo; // [0, 2^32)
  const p1 = aHi * bLo + aLo * bHi; // |p1| < 2^32
  const p2 = aHi * bHi; // |p2| ≤ 2^30
  const nudge = a * b >= 0 ? TWO_30 : 1 - TWO_30;
  // Write p1 = p1Hi·2^15 + p1Lo (0 ≤ p1Lo < 2^15) so that a·b + nudge = q·2^31 + low exactly.
  const p1Hi = Math.floor(p1 / 32768);
  const p1Lo = p1 - p1Hi * 32768;
  const low = p1Lo * 65536 + p0 + nudge; // (-2^30, 2^33)
  const lowQ = Math.floor(low / TWO_31);
  const q = 2 * p2 + p1Hi + lowQ; // floor((a·b + nudge) / 2^31)
  const remainder = low - lowQ * TWO_31;
  return (q < 0 && remainder !== 0 ? q + 1 : q) | 0; // truncate toward zero
}

/**
 * RoundingDivideByPOT (gemmlowp): `x / 2^exponent` rounded to nearest, ties away from zero, for
 * int32 `x` and `exponent` in [0, 31]. Computed as the arithmetic shift plus one when the discarded
 * bits exceed half (half plus one ulp for negative x).
 */
export function roundingDivideByPOT(x: number, exponent: number): number {
  const mask = 2 ** exponent - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/**
 * TFLite MultiplyByQuantizedMultiplier: `roundingDivideByPOT(srdhm(acc · 2^max(shift, 0), mult),
 * max(-shift, 0))`, approximating `acc · mult · 2^(shift - 31)`. Two roundings: the high
 * multiply's ties go toward +infinity, the final right shift's away from zero.
 *
 * @param acc int32 accumulator; `acc · 2^max(shift, 0)` must fit int32 (throws otherwise: C would
 *   overflow, so the quantizer must prove the bound at generation time).
 * @param mult in [2^30, 2^31), or 0.
 * @param shift in [-31, 30].
 */
export function requantize(acc: number, mult: number, shift: number): number {
  if (!Number.isInteger(shift) || shift < -31 || shift > 30) {
    throw new RangeError(`requantize: shift ${shift} outside [-31, 30]`);
  }
  const left = Math.max(shift, 0);
  const scaled = acc * 2 ** left;
  if (!Number.isInteger(scaled) || scaled < INT32_MIN || scaled > INT32_MAX) {
    throw new RangeError(`requantize: acc ${acc} << ${left} does not fit int32`);
  }
  return roundingDivideByPOT(srdhm(scaled, mult), Math.max(-shift, 0));
}

/**
 * `floor((a·b + 2^(n-1)) / 2^n)`: an unsigned product shifted right by `n` with rounding half up, as C
 * computes `((uint64_t)a * b + ((uint64_t)1 << (n - 1))) >> n`. Requires integers 0 ≤ a < 2^48,
 * 0 ≤ b < 2^32, a·b < 2^63 and n in [1, 63]; exact whenever the result is below 2^52 (larger
 * results are only ever saturated by callers).
 */
export function roundingMulShiftU(a: number, b: number, n: number): number {
  // a·b = d2·2^48 + d1·2^24 + d0 with 24-bit limbs; every partial product is exact.
  const a1 = Math.floor(a / TWO_24);
  const a0 = a - a1 * TWO_24;
  const b1 = Math.floor(b / TWO_24);
  const b0 = b - b1 * TWO_24;
  const low = a0 * b0;
  const mid = a1 * b0 + a0 * b1 + Math.floor(low / TWO_24);
  const d0 = low % TWO_24;
  const d1 = mid % TWO_24;
  const d2 = a1 * b1 + Math.floor(mid / TWO_24);
  // u = floor(a·b / 2^m); then floor((a·b + 2^m) / 2^(m+1)) = floor((u + 1) / 2).
  const m = n - 1;
  let u: number;
  if (m >= 48) u = Math.floor(d2 / 2 ** (m - 48));
  else if (m >= 24) u = d2 * 2 ** (48 - m) + Math.floor(d1 / 2 ** (m - 24));
  else u = d2 * 2 ** (48 - m) + d1 * 2 ** (24 - m) + Math.floor(d0 / 2 ** m);
  return Math.floor((u + 1) / 2);
}

/**
 * Requantization of a 64-bit accumulator (16x8: int16 activations × int8 weights), approximating
 * `acc · mult · 2^(shift - 16)` with a single rounding, ties away from zero, saturated to int32:
 * `sign(acc) · floor((|acc| · mult + 2^(n-1)) / 2^n)` with `n = 16 - shift`. In C the product
 * `|acc| · mult` is formed in uint64 and cannot overflow (< 2^63).
 *
 * @param acc integer with |acc| < 2^47 (throws otherwise).
 * @param mult reduced multiplier in [2^15, 2^16), or 0 (see {@link reducedMultiplier}).
 * @param shift in [-47, 15].
 */
export function requantize64(acc: number, mult: number, shift: number): number {
  if (!Number.isInteger(acc) || Math.abs(acc) >= 2 ** 47) {
    throw new RangeError(`requantize64: |acc| = ${Math.abs(acc)} must be an integer below 2^47`);
  }
  if (!Number.isInteger(shift) || shift < -47 || shift > 15) {
    throw new RangeError(`requantize64: shift ${shift} outside [-47, 15]`);
  }
  const magnitude = roundingMulShiftU(Math.abs(acc), mult, 16 - shift);
  return acc < 0 ? Math.max(0 - magnitude, INT32_MIN) : Math.min(magnitude, INT32_MAX);
}

/**
 * Splits a finite real > 0 into `significand · 2^shift` with the significand rounded to `bits` bits
 * (ties away from zero) and renormalised when it rounds up to 2^bits.
 */
export function splitReal(real: number, bits: number): QuantizedMultiplier {
  let shift = Math.ceil(Math.log2(real));
  // log2 may be off by one near powers of two: normalise so that real / 2^shift is in [0.5, 1).
  while (real / 2 ** shift >= 1) shift += 1;
  while (real / 2 ** shift < 0.5) shift -= 1;
  let mult = Math.round((real / 2 ** shift) * 2 ** bits);
  if (mult === 2 ** bits) {
    mult /= 2;
    shift += 1;
  }
  return { mult, shift };
}

function checkReal(name: string, real: number): void {
  if (!Number.isFinite(real) || real < 0) {
    throw new RangeError(`${name}: multiplier ${real} must be finite and non-negative`);
  }
}

/**
 * The 32-bit multiplier of {@link requantize}: `real ≈ mult · 2^(shift - 31)` with `mult` in
 * [2^30, 2^31) rounded to nearest (ties away from zero; a significand rounding up to 2^31 becomes 2^30
 * with `shift + 1`), `shift` in [-31, 30]. Reals whose shift would fall below -31 (below 2^-32 after rounding) give `{mult: 0, shift: 0}`, which is
 * exact for int32 accumulators (|acc · real| < 0.5 rounds to 0). Throws for reals of 2^30 or more.
 */
export function quantizeMultiplier(real: number): QuantizedMultiplier {
  checkReal("quantizeMultiplier", real);
  if (real === 0) return { mult: 0, shift: 0 };
  const q = splitReal(real, 31);
  // TensorFlow Lite's rule, after the significand's rounding: a shift below -31 gives 0
  if (q.shift < -31) return { mult: 0, shift: 0 };
  if (q.shift > 30) throw new RangeError(`quantizeMultiplier: multiplier ${real} too large`);
  return q;
}

/**
 * The 16-bit multiplier of {@link requantize64}: `real ≈ mult · 2^(shift - 16)` with `mult` in
 * [2^15, 2^16) rounded to nearest (ties away from zero, renormalised like {@link quantizeMultiplier}),
 * `shift` in [-47, 15]. Reals below 2^-48 give `{mult: 0, shift: 0}`, exact for |acc| < 2^47. Throws
 * for reals of 2^15 or more.
 */
export function reducedMultiplier(real: number): QuantizedMultiplier {
  checkReal("reducedMultiplier", real);
  if (real < 2 ** -48) return { mult: 0, shift: 0 };
  const q = splitReal(real, 16);
  if (q.shift > 15) throw new RangeError(`reducedMultiplier: multiplier ${real} too large`);
  return q;
}
