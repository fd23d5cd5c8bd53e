/**
 * Tensor shapes: channels last, batch excluded (`[64]`, `[49, 10]`, `[8, 8, 1]`), as Keras and TensorFlow
 * Lite store them. A tensor's values are laid out row-major in that order, so a shape only tells how
 * to read a flat buffer: a reshape moves no data.
 */
import { z } from "zod";

export type Shape = readonly number[];

/** A shape in a file: 1 to 4 positive integer dimensions. */
export const shapeSchema = z.array(z.number().int().positive()).min(1).max(4);

/** Values in a tensor of this shape. */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** `[8, 8, 1]`, as messages and summaries show shapes. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

/** Keras' summary form: `(None, 8, 8, 1)`. */
export function kerasShape(shape: Shape): string {
  return `(None, ${shape.join(", ")})`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The last dimension (channels, or units of a 1-D tensor). */
export function channelsOf(shape: Shape): number {
  return shape[shape.length - 1];
}

/** A shape does not fit what a layer needs: the message says what was expected. */
export class ShapeError extends Error {}
