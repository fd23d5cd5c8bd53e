/**
 * The buffer plan: where every tensor of a chain of ops lives in one static arena.
 *
 * Ops that may run in place (elementwise tables, activations, softmax) write over their input, so
 * their output shares its buffer. The remaining buffers form a chain in which only neighbours are alive
 * together; buffers at even positions start at the beginning of the arena and odd ones end at its end,
 * so the arena needs exactly the largest sum of two neighbouring buffers: the minimum for a chain.
 */
export interface PlannedTensor {
  /** offset in elements from the start of the arena */
  offset: number;
  width: number;
  /** index of the buffer in the chain */
  buffer: number;
}

export interface BufferPlan {
  tensors: PlannedTensor[];
  /** arena size in elements */
  size: number;
}

/**
 * @param widths width of tensor k (k = 0 is the input, k + 1 the output of op k)
 * @param inPlace inPlace[k]: op k may write its output over its input
 */
export function planBuffers(widths: number[], inPlace: boolean[]): BufferPlan {
  const bufferOf: number[] = [0];
  const bufferWidth: number[] = [widths[0]];
  for (let k = 0; k < inPlace.length; k++) {
    if (inPlace[k] && widths[k + 1] === widths[k]) {
      bufferOf.push(bufferOf[k]);
    } else {
      bufferOf.push(bufferWidth.length);
      bufferWidth.push(widths[k + 1]);
    }
  }
  let size = bufferWidth[0];
  for (let b = 0; b + 1 < bufferWidth.length; b++) size = Math.max(size, bufferWidth[b] + bufferWidth[b + 1]);
  const offsetOf = (b: number) => (b % 2 === 0 ? 0 : size - bufferWidth[b]);
  return {
    tensors: widths.map((width, k) => ({ offset: offsetOf(bufferOf[k]), width, buffer: bufferOf[k] })),
    size,
  };
}
