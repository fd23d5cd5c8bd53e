/**
 * Tensors in JSON files: nested arrays of their shape (a [2][3] kernel as [[a, b, c], [d, e, f]]), row-major
 * like the flat float32 arrays nn2c computes with.
 */
import { FLT_MAX } from "../values.js";
import type { Shape } from "./shape.js";

export type Nested = number[] | Nested[];

/**
 * The flat float32 values of a nested array of `shape`; a wrong length or a value that is not a finite
 * float32 gives a message naming the place (`kernel[3]: expected 64 values`).
 */
export function flattenNested(value: unknown, shape: Shape, path: string): Float64Array | string {
  // the values as the file gives them (float32 values printed with 9 digits read back as doubles)
  const out = new Float64Array(shape.reduce((a, b) => a * b, 1));
  let k = 0;
  const walk = (v: unknown, depth: number, at: string): string | undefined => {
    if (!Array.isArray(v) || v.length !== shape[depth])
      return `${at}: expected ${depth === shape.length - 1 ? `${shape[depth]} values` : `${shape[depth]} arrays`}`;
    if (depth === shape.length - 1) {
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (typeof x !== "number" || !Number.isFinite(x) || Math.abs(x) > FLT_MAX)
          return `${at}[${i}]: expected a finite float32 number`;
        out[k++] = x;
      }
      return undefined;
    }
    for (let i = 0; i < v.length; i++) {
      const e = walk(v[i], depth + 1, `${at}[${i}]`);
      if (e) return e;
    }
    return undefined;
  };
  return walk(value, 0, path) ?? out;
}

/** A flat row-major array as nested arrays of `shape`, each value mapped by `fmt`. */
export function toNested(
  flat: ArrayLike<number>,
  shape: Shape,
  fmt: (v: number) => number = (v) => v,
): Nested {
  const build = (depth: number, offset: number): Nested => {
    const stride = shape.slice(depth + 1).reduce((a, b) => a * b, 1);
    if (depth === shape.length - 1)
      return Array.from({ length: shape[depth] }, (_, i) => fmt(flat[offset + i]));
    return Array.from({ length: shape[depth] }, (_, i) => build(depth + 1, offset + i * stride)) as Nested;
  };
  return build(0, 0);
}
