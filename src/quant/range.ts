/** The quantization of a tensor from the range of its values. */
import type { Precision, QuantParams } from "../core/quant.js";
import { UsageError } from "../errors.js";

/**
 * Quantization of a tensor whose values span [lo, hi] (the range always includes 0): int8 asymmetric,
 * 255 steps over the range with the zero point saturated to int8; int16 symmetric, zero point 0.
 */
export function rangeQuant(lo: number, hi: number, precision: Precision, where: string): QuantParams {
  const a = Math.min(lo, 0);
  const b = Math.max(hi, 0);
  if (!(b - a > 1e-30) || !Number.isFinite(b - a)) {
    throw new UsageError(
      `${where}: the calibration rows give a zero range (every value is ${lo}): use more varied calibration rows`,
    );
  }
  if (precision === "int16") return { scale: Math.fround(Math.max(-a, b) / 32767), zeroPoint: 0 };
  const scale = Math.fround((b - a) / 255);
  const zeroPoint = Math.max(-128, Math.min(127, Math.round(-128 - a / scale)));
  return { scale, zeroPoint };
}
