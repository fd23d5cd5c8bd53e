/** Reading a class from outputs: the one rule every stage (training metrics, references, verify) uses. */

/** Index of the largest of `v[off..off+width)`; the first one wins a tie. */
export function argmax(v: ArrayLike<number>, off = 0, width = v.length): number {
  let best = 0;
  for (let j = 1; j < width; j++) if (v[off + j] > v[off + best]) best = j;
  return best;
}

/** The predicted class of one row of outputs: one sigmoid output is class 1 when p >= 0.5. */
export function predictedClass(y: ArrayLike<number>, off: number, width: number): number {
  return width === 1 ? (y[off] >= 0.5 ? 1 : 0) : argmax(y, off, width);
}
