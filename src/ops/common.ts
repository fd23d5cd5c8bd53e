/** What the op folders share: zod pieces of the file schemas, and number formatting for the C. */
import { z } from "zod";
import { cInt } from "../codegen/cnames.js";

export const int = z.number().int();
export const finite = z.number().refine(Number.isFinite, "expected a finite number");
export const positive = finite.refine((v) => v > 0, "expected a positive number");

/** The fields every op of a quantized model has: its kind, name, input tensors and output tensor. */
export function qopFields<K extends string>(kind: K, inputs: { min: number; max: number }) {
  return {
    kind: z.literal(kind),
    name: z.string().min(1),
    inputs: z.array(z.string().min(1)).min(inputs.min).max(inputs.max),
    output: z.string().min(1),
  };
}

const VALUES_PER_LINE = 16;

/** Values in rows of at most `perLine`, right-aligned to the widest. */
export function rows(values: string[], perLine = VALUES_PER_LINE): string[] {
  const w = values.reduce((m, v) => Math.max(m, v.length), 0);
  const out: string[] = [];
  for (let k = 0; k < values.length; k += perLine) {
    out.push(
      `${values
        .slice(k, k + perLine)
        .map((v) => v.padStart(w))
        .join(", ")},`,
    );
  }
  return out;
}

/** A 2-D array: one group per row, each wrapped at 16 values. */
export function matrixRows(m: ArrayLike<number>[], fmt: (v: number) => string): string[] {
  const all = m.flatMap((row) => Array.from(row, fmt));
  const w = all.reduce((widest, v) => Math.max(widest, v.length), 0);
  const out: string[] = [];
  for (const row of m) {
    const vals = Array.from(row, (v) => fmt(v).padStart(w));
    for (let k = 0; k < vals.length; k += VALUES_PER_LINE) {
      const open = k === 0 ? "{ " : "  ";
      const close = k + VALUES_PER_LINE >= vals.length ? " }," : ",";
      out.push(`${open}${vals.slice(k, k + VALUES_PER_LINE).join(", ")}${close}`);
    }
  }
  return out;
}

/** "[min, max]" of any number of values (no argument spreading: weight arrays can be large). */
export function valueRange(vs: ArrayLike<number>): string {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < vs.length; i++) {
    lo = Math.min(lo, vs[i]);
    hi = Math.max(hi, vs[i]);
  }
  return `[${lo.toPrecision(4)}, ${hi.toPrecision(4)}]`;
}

export const int32 = (v: number) => cInt(v);

/** The rows of a flat [rows][cols] array. */
export function rowsOf<T extends ArrayLike<number>>(
  flat: T & { subarray(a: number, b: number): T },
  cols: number,
): T[] {
  const out: T[] = [];
  for (let r = 0; r < flat.length / cols; r++) out.push(flat.subarray(r * cols, (r + 1) * cols));
  return out;
}
