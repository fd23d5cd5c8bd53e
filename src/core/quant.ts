/**
 * What every stage of the integer path shares: the precisions, the range of their codes, and the affine
 * quantization of a tensor (`real = scale · (code - zeroPoint)`).
 */

export type Precision = "int8" | "int16";

/** Affine quantization of a tensor: `real = scale · (code - zeroPoint)`. */
export interface QuantParams {
  scale: number;
  zeroPoint: number;
}

export const CODE_RANGE: Record<Precision, { lo: number; hi: number }> = {
  int8: { lo: -128, hi: 127 },
  int16: { lo: -32768, hi: 32767 },
};

/** The C element type and runtime suffix of each precision. */
export const CTYPE: Record<Precision, { ctype: string; dtype: string; bytes: number }> = {
  int8: { ctype: "int8_t", dtype: "s8", bytes: 1 },
  int16: { ctype: "int16_t", dtype: "s16", bytes: 2 },
};

/** "scale 0.0155119 zp 1", as comments in the generated C show a quantization. */
export function describeQuant(q: QuantParams): string {
  return `scale ${q.scale.toPrecision(6)} zp ${q.zeroPoint}`;
}
