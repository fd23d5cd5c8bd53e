/**
 * TensorFlow Lite's fixed-point transcendental functions (gemmlowp's fixedpoint.h, as TensorFlow Lite's
 * reference kernels call them) and its int8 softmax, so that a softmax imported from a `.tflite` file
 * computes what TensorFlow Lite Micro computes, bit for bit. Mirrored by firmware/nn/src/nn_softmax_s8_tfl.c.
 *
 * A value with `I` integer bits is an int32 raw of scale 2^-(31-I). Products of two such values are
 * `srdhm` of their raws (integer bits add up); sums are plain int32 additions, which the ranges below keep
 * from wrapping. Every step is exact in double precision.
 *
 * Softmax over int8 codes q with input scale s and beta (TensorFlow Lite's `Softmax` for int8 in and out):
 *   multiplier, leftShift = QuantizeMultiplier(min(beta · s · 2^26, 2^31 - 1))   (leftShift ≥ 0)
 *   diffMin   = -floor(31 · 2^26 / 2^leftShift)
 *   d_i       = q_i - max(q)            (codes with d_i < diffMin give -128 and add nothing)
 *   e_i       = exp_on_negative_values<5>(srdhm(d_i · 2^leftShift, multiplier))            (Q0.31)
 *   sum       = Σ rdbpot(e_i, 12)                                                          (Q12.19)
 *   recip, k  = GetReciprocal(sum, 12)        (1 / sum as a Q0.31 significand and k bits above one)
 *   out_i     = clamp(rdbpot(srdhm(recip, e_i), k + 23) - 128, -128, 127)
 */
import { INT32_MAX, INT32_MIN, roundingDivideByPOT, splitReal, srdhm } from "./fixedpoint.js";

/** x · 2^exponent for exponent > 0, saturated to int32 (gemmlowp's SaturatingRoundingMultiplyByPOT). */
export function saturatingMulByPOT(x: number, exponent: number): number {
  const threshold = 2 ** (31 - exponent) - 1;
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return x * 2 ** exponent;
}

/** exp(a) for a Q0.31 raw a in [-1/4, 0): a Taylor expansion around -1/8, in Q0.31. */
function expOnIntervalNegativeQuarter(a: number): number {
  const constantTerm = 1895147668; // exp(-1/8)
  const oneThird = 715827883;
  const x = a + 2 ** 28;
  const x2 = srdhm(x, x);
  const x3 = srdhm(x2, x);
  const x4 = srdhm(x2, x2);
  const x4Over4 = roundingDivideByPOT(x4, 2);
  const poly = roundingDivideByPOT(srdhm(x4Over4 + x3, oneThird) + x2, 1);
  return constantTerm + srdhm(constantTerm, x + poly);
}

/** Q0.31 exp(-2^k) for k = -2..4: the barrel shifter's factors. */
const EXP_FACTORS = [1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242];

/**
 * exp(a) for a raw `a ≤ 0` with `integerBits` integer bits (gemmlowp's exp_on_negative_values), in
 * Q0.31: exp of a mod 1/4 by the polynomial, then a factor exp(-2^k) for each bit of the rest.
 */
export function expOnNegativeValues(a: number, integerBits: number): number {
  const fractionalBits = 31 - integerBits;
  const quarter = 2 ** (fractionalBits - 2);
  const aModQuarter = (a & (quarter - 1)) - quarter;
  let result = expOnIntervalNegativeQuarter(
    integerBits === 0 ? aModQuarter : saturatingMulByPOT(aModQuarter, integerBits),
  );
  const remainder = (aModQuarter - a) | 0;
  EXP_FACTORS.forEach((factor, i) => {
    const exponent = i - 2;
    if (integerBits > exponent && remainder & (1 << (fractionalBits + exponent))) {
      result = srdhm(result, factor);
    }
  });
  if (integerBits > 5 && a < -(2 ** (36 - integerBits))) result = 0;
  return a === 0 ? INT32_MAX : result;
}

/** (a + b) / 2 rounded half away from zero, for int32 a and b (gemmlowp's RoundingHalfSum). */
function roundingHalfSum(a: number, b: number): number {
  const sum = a + b;
  return Math.trunc((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/** 1 / (1 + a) for a Q0.31 raw a in [0, 1): three Newton-Raphson steps in Q2.29, returned in Q0.31. */
export function oneOverOnePlusX(a: number): number {
  const halfDenominator = roundingHalfSum(a, INT32_MAX);
  const one = 2 ** 29; // 1.0 in Q2.29
  let x = 1515870810 + srdhm(halfDenominator, -1010580540); // 48/17 - 32/17 · d
  for (let i = 0; i < 3; i++) {
    const oneMinus = one - srdhm(halfDenominator, x);
    x += saturatingMulByPOT(srdhm(x, oneMinus), 2);
  }
  return saturatingMulByPOT(x, 1);
}

/** (1 - a) / (1 + a) for a Q0.31 raw a in [0, 1): oneOverOnePlusX's iteration, less one, in Q0.31. */
export function oneMinusXOverOnePlusX(a: number): number {
  const halfDenominator = roundingHalfSum(a, INT32_MAX);
  const one = 2 ** 29; // 1.0 in Q2.29
  let x = 1515870810 + srdhm(halfDenominator, -1010580540);
  for (let i = 0; i < 3; i++) {
    const oneMinus = one - srdhm(halfDenominator, x);
    x += saturatingMulByPOT(srdhm(x, oneMinus), 2);
  }
  return saturatingMulByPOT(x - one, 2);
}

/**
 * gemmlowp's logistic of a raw `a` with `integerBits` integer bits (|a| < 2^31), in Q0.31:
 * 1 / (1 + exp(-|a|)) for the magnitude, its complement to the largest Q0.31 raw for a negative a,
 * and exactly one half at 0.
 */
export function fixedLogistic(a: number, integerBits: number): number {
  if (a === 0) return 2 ** 30;
  const positive = oneOverOnePlusX(expOnNegativeValues(-Math.abs(a), integerBits));
  return a > 0 ? positive : INT32_MAX - positive;
}

/**
 * gemmlowp's tanh of a raw `a` with `integerBits` integer bits (|a| < 2^31), in Q0.31:
 * (1 - e) / (1 + e) with e = exp(-2|a|) (the raw -|a| read with one more integer bit), the sign of a
 * restored, and exactly 0 at 0.
 */
export function fixedTanh(a: number, integerBits: number): number {
  if (a === 0) return 0;
  const t = oneMinusXOverOnePlusX(expOnNegativeValues(-Math.abs(a), integerBits + 1));
  return a < 0 ? -t : t;
}

/**
 * 1 / x for a positive raw x with `integerBits` integer bits (TensorFlow Lite's GetReciprocal): the
 * Q0.31 significand of the reciprocal, and how many bits x reaches above 1.
 */
export function reciprocal(x: number, integerBits: number): { scale: number; bitsOverUnit: number } {
  const headroomPlusOne = Math.clz32(x);
  const shiftedMinusOne = ((x << headroomPlusOne) >>> 0) - 2 ** 31;
  return { scale: oneOverOnePlusX(shiftedMinusOne), bitsOverUnit: integerBits - headroomPlusOne };
}

/** What TensorFlow Lite's int8 softmax derives from beta and the input scale (PreprocessSoftmaxScaling). */
export interface TfliteSoftmaxParams {
  multiplier: number;
  leftShift: number;
  diffMin: number;
}

/** Integer bits of the scaled differences (Q5.26) and of the sum of exponentials (Q12.19). */
const DIFF_BITS = 5;
const SUM_BITS = 12;

/**
 * The multiplier, left shift and smallest difference of TensorFlow Lite's int8 softmax, from beta and
 * the input scale (both float32 values, as the file stores them); null where TensorFlow Lite itself
 * refuses (a multiplier below one: input scale · beta < 2^-26).
 */
export function tfliteSoftmaxParams(beta: number, inputScale: number): TfliteSoftmaxParams | null {
  const real = Math.min(beta * inputScale * 2 ** (31 - DIFF_BITS), 2 ** 31 - 1);
  if (!(real >= 1)) return null;
  const { mult, shift } = splitReal(real, 31);
  const radius = Math.floor(((2 ** DIFF_BITS - 1) * 2 ** (31 - DIFF_BITS)) / 2 ** shift);
  return { multiplier: mult, leftShift: shift, diffMin: 0 - radius };
}

/**
 * Longest vector: the Q12.19 sum of exp terms (each at most 2^19) stays below 2^28, so that the final
 * rounding shift (bits over unit + 23) stays within 31 bits, where C defines it.
 */
export const TFLITE_SOFTMAX_MAX_LENGTH = 511;

/** TensorFlow Lite's int8 softmax of `input[0..length)` into `output` (codes, output scale 1/256, zp -128). */
export function runTfliteSoftmax(
  p: TfliteSoftmaxParams,
  input: ArrayLike<number>,
  length: number,
  output: { [i: number]: number },
): void {
  let max = -128;
  for (let i = 0; i < length; i++) max = Math.max(max, input[i]);
  const exp = (d: number) => expOnNegativeValues(srdhm(d * 2 ** p.leftShift, p.multiplier), DIFF_BITS);
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const d = input[i] - max;
    if (d >= p.diffMin) sum += roundingDivideByPOT(exp(d), SUM_BITS);
  }
  const { scale, bitsOverUnit } = reciprocal(sum, SUM_BITS);
  for (let i = 0; i < length; i++) {
    const d = input[i] - max;
    if (d < p.diffMin) {
      output[i] = -128;
      continue;
    }
    const unsaturated = roundingDivideByPOT(srdhm(scale, exp(d)), bitsOverUnit + 31 - 8);
    output[i] = Math.max(-128, Math.min(127, unsaturated - 128));
  }
}
