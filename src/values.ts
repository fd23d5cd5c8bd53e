/**
 * Number domains shared by every file format: float32 values (the C stores every float parameter as a
 * `float`, so a value beyond float32's range would become an infinity there) and the zod schemas for them.
 */
import { z } from "zod";

/** Largest finite float32. */
export const FLT_MAX = 3.4028234663852886e38;
/** Smallest positive normal float32: a divisor or scale below it loses precision or becomes 0 in C. */
export const FLT_MIN = 1.1754943508222875e-38;

/** A number the C can store as a finite float. */
export const float32 = z
  .number()
  .refine((v) => Number.isFinite(v) && Math.abs(v) <= FLT_MAX, "expected a finite float32 number");

/** A positive float32 the C can divide by: a normal float32 (at least 1.18e-38). */
export const positiveFloat32 = z
  .number()
  .refine((v) => v >= FLT_MIN && v <= FLT_MAX, "expected a positive float32 number (at least 1.18e-38)");

/** The text of a value for a message: long texts are cut, so that an error stays one readable line. */
export function clip(text: string, max = 80): string {
  const oneLine = text.replace(/\s+/g, " ");
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}… (${oneLine.length} characters)`;
}

/** A list for a message: at most `max` items, then how many more. */
export function clipList(items: readonly string[], max = 10): string {
  const shown = items.slice(0, max).map((item) => clip(item, 40));
  return items.length > max ? `${shown.join(", ")}, ... (${items.length} in all)` : shown.join(", ");
}

/** The first name that appears twice, or undefined. */
export function repeated(names: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}

/** The message for a list of names with a repeated one (names index the outputs, the columns). */
export function repeatedMessage(name: string, names: readonly string[]): string {
  return `'${clip(name, 40)}' appears twice (${clipList(names)}): expected distinct names`;
}
