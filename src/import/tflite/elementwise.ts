/**
 * TensorFlow Lite's int8 element-wise operators as 256-entry tables: each entry is what TensorFlow Lite's
 * reference kernel computes for that input code, with the parameters its Prepare derives from the
 * scales, so a table lookup (nn_table_s8) gives its outputs bit for bit.
 *
 *   - LOGISTIC, TANH: the input less its zero point, outside ±radius saturated; inside, rescaled to a
 *     Q4.27 raw by a multiplier from frexp(double(scale) · 2^27) and shift, then gemmlowp's fixed-point
 *     logistic (Q0.31, rounded to 2^-8, less 128) or tanh (rounded to 2^-7).
 *   - LEAKY_RELU: two multipliers from float32 products (scale_in · alpha / scale_out and
 *     scale_in / scale_out), one for each sign of the input less its zero point.
 *   - QUANTIZE from int8 to int8: one multiplier from double(scale_in) / double(scale_out).
 */
import type { QuantParams } from "../../core/quant.js";
import {
  clampS8,
  quantizeMultiplier,
  requantize,
  roundingDivideByPOT,
  splitReal,
} from "../../quant/fixedpoint.js";
import { fixedLogistic, fixedTanh } from "../../quant/gemmlowp.js";

type Fail = (message: string) => never;

/** The 256 int8 codes, -128 first. */
export const INT8_CODES = Array.from({ length: 256 }, (_, i) => i - 128);

/** Integer bits of the fixed-point input of LOGISTIC and TANH. */
const INPUT_INTEGER_BITS = 4;

/**
 * The Q4.27 rescaling of LOGISTIC's and TANH's input (CalculateArithmeticData): frexp of
 * double(scale) · 2^27 into a significand rounded to 31 bits and an exponent, and the radius
 * floor(15 · 2^27 / 2^exponent) beyond which the output saturates.
 */
function fixedPointInput(scale: number, fail: Fail): { mult: number; shift: number; radius: number } {
  const real = scale * 2 ** (31 - INPUT_INTEGER_BITS);
  const { mult, shift } = splitReal(real, 31);
  // TensorFlow Lite casts a significand that rounds up to 2^31 to int32, which overflows (splitReal
  // renormalises it to 2^30 with one more shift, below the frexp significand's half)
  if (real / 2 ** shift < 0.5) fail(`input scale ${scale}: its multiplier rounds to 2^31, beyond int32`);
  if (shift < -31 || shift > 30)
    fail(`input scale ${scale}: expected one in [2^-58, 2^3] for the fixed-point input`);
  const radius = Math.floor((((1 << INPUT_INTEGER_BITS) - 1) * 2 ** (31 - INPUT_INTEGER_BITS)) / 2 ** shift);
  return { mult, shift, radius };
}

/** The table of LOGISTIC (output scale 1/256, zero point -128) or TANH (1/128, 0). */
export function sigmoidOrTanhTable(
  op: "LOGISTIC" | "TANH",
  input: QuantParams,
  output: QuantParams,
  fail: Fail,
): number[] {
  const fixed =
    op === "LOGISTIC"
      ? { scale: 1 / 256, zeroPoint: -128, f: fixedLogistic, bits: 31 - 8 }
      : { scale: 1 / 128, zeroPoint: 0, f: fixedTanh, bits: 31 - 7 };
  if (output.scale !== fixed.scale || output.zeroPoint !== fixed.zeroPoint)
    fail(
      `output scale ${output.scale} zero point ${output.zeroPoint}: expected scale 1/${1 / fixed.scale} and zero point ${fixed.zeroPoint}`,
    );
  const { mult, shift, radius } = fixedPointInput(input.scale, fail);
  return INT8_CODES.map((q) => {
    const v = q - input.zeroPoint;
    if (v <= -radius) return -128;
    if (v >= radius) return 127;
    const raw = fixed.f(requantize(v, mult, shift), INPUT_INTEGER_BITS);
    return clampS8(roundingDivideByPOT(raw, fixed.bits) + fixed.zeroPoint);
  });
}

/** A multiplier of at most 2^22, so that |q - zero point| < 2^9 shifted left stays inside int32. */
function boundedMultiplier(real: number, what: string, fail: Fail) {
  if (!(Number.isFinite(real) && real < 2 ** 22))
    fail(`${what} is ${real}: expected a finite ratio under 2^22`);
  return quantizeMultiplier(Math.abs(real));
}

/** zp_out + the rescaled (q - zp_in), in int8. */
const rescaled = (v: number, m: { mult: number; shift: number }, zp: number) =>
  clampS8(zp + requantize(v, m.mult, m.shift));

/** LEAKY_RELU's table: the products in float32, as TensorFlow Lite's Prepare computes them. */
export function leakyReluTable(alpha: number, input: QuantParams, output: QuantParams, fail: Fail): number[] {
  if (!(Number.isFinite(alpha) && alpha >= 0)) fail(`alpha ${alpha}: expected a finite alpha of 0 or more`);
  const f = Math.fround;
  const alphaReal = f(f(f(input.scale) * f(alpha)) / f(output.scale));
  const identityReal = f(f(input.scale) / f(output.scale));
  const negative = boundedMultiplier(alphaReal, "the input scale times alpha over the output scale", fail);
  const positive = boundedMultiplier(identityReal, "the input scale over the output scale", fail);
  return INT8_CODES.map((q) => {
    const v = q - input.zeroPoint;
    return rescaled(v, v >= 0 ? positive : negative, output.zeroPoint);
  });
}

/** QUANTIZE from int8 to int8 (TensorFlow Lite's Requantize): the ratio of the scales in double. */
export function requantizeTable(input: QuantParams, output: QuantParams, fail: Fail): number[] {
  const m = boundedMultiplier(input.scale / output.scale, "the input scale over the output scale", fail);
  return INT8_CODES.map((q) => rescaled(q - input.zeroPoint, m, output.zeroPoint));
}
