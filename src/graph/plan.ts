/**
 * The memory plan: where every tensor and every op's scratch buffer lives in one static arena.
 *
 * A tensor is alive from the op that writes it (the model input: from before the first op) to the last
 * op that reads it (the model output: to after the last op); a scratch buffer only during its op. An op
 * whose kernel may write over its input (elementwise ops) shares that input's buffer when nothing reads
 * the input afterwards. The buffers are then placed greedily, each at the lowest aligned offset where it
 * overlaps no buffer alive at the same time, in the orders that do best on different graphs (largest
 * first, as TensorFlow Lite Micro's greedy planner does; first used first; last used first; even ops'
 * outputs before odd ones'), and the smallest of these plans is kept: on a chain, the largest sum of two
 * neighbouring buffers, the least any plan can do. test/graph/plan.test.ts holds it to an exhaustive
 * search on small random graphs.
 */

export interface PlanTensor {
  name: string;
  bytes: number;
  /** index of the op that writes it; -1 for the model input */
  first: number;
  /** index of the last op that reads it; the op count for the model output */
  last: number;
}

export interface PlanRequest {
  tensors: PlanTensor[];
  /** op `op` may write `output` over `input` (its kernel allows it) */
  inPlace: { op: number; input: string; output: string }[];
  /** scratch bytes of op `op` */
  scratch: { op: number; bytes: number }[];
  /** every offset is a multiple of this many bytes */
  alignment: number;
}

export interface PlannedBuffer {
  /** the tensors sharing this buffer (one, or a chain of in-place ops), or `scratch <op>` */
  names: string[];
  offset: number;
  bytes: number;
  first: number;
  last: number;
}

export interface MemoryPlan {
  /** byte offset of every tensor */
  offsets: Map<string, number>;
  /** byte offset of each op's scratch buffer */
  scratch: Map<number, number>;
  buffers: PlannedBuffer[];
  /** arena bytes */
  size: number;
}

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

/** Places every buffer greedily, largest first (ties: the earliest first), at the lowest fitting offset. */
export function planMemory(req: PlanRequest): MemoryPlan {
  // buffers: tensors merged along in-place ops
  const bufferOf = new Map<string, PlannedBuffer>();
  const buffers: PlannedBuffer[] = [];
  for (const t of req.tensors) {
    const b: PlannedBuffer = { names: [t.name], offset: 0, bytes: t.bytes, first: t.first, last: t.last };
    bufferOf.set(t.name, b);
    buffers.push(b);
  }
  const byName = new Map(req.tensors.map((t) => [t.name, t]));
  for (const { op, input, output } of req.inPlace) {
    const src = bufferOf.get(input);
    const dst = bufferOf.get(output);
    const t = byName.get(input);
    // only when nothing reads the input after this op, and never over the model input (the caller's)
    if (!src || !dst || !t || src === dst || src.last !== op || src.first < 0 || t.last !== op) continue;
    src.names.push(...dst.names);
    src.bytes = Math.max(src.bytes, dst.bytes);
    src.last = dst.last;
    for (const name of dst.names) bufferOf.set(name, src);
    buffers.splice(buffers.indexOf(dst), 1);
  }
  const scratchBuffers = req.scratch
    .filter((s) => s.bytes > 0)
    .map((s) => ({ names: [`scratch ${s.op}`], offset: 0, bytes: s.bytes, first: s.op, last: s.op }));
  const all = [...buffers, ...scratchBuffers];
  const orders: ((a: PlannedBuffer, b: PlannedBuffer) => number)[] = [
    (a, b) => b.bytes - a.bytes || a.first - b.first,
    (a, b) => a.first - b.first || b.bytes - a.bytes,
    (a, b) => b.last - a.last || b.bytes - a.bytes,
    // buffers written by even ops first, then odd: on a chain the even ones share offset 0 and each odd
    // one sits on its two neighbours, the largest neighbouring pair, the least any plan can do
    (a, b) => (a.first & 1) - (b.first & 1) || b.bytes - a.bytes || a.first - b.first,
  ];
  let best: number[] | null = null;
  let bestSize = Number.POSITIVE_INFINITY;
  for (const order of orders) {
    const placed: PlannedBuffer[] = [];
    for (const b of [...all].sort(order)) {
      b.offset = lowestOffset(b, placed, req.alignment);
      placed.push(b);
    }
    const size = all.reduce((m, b) => Math.max(m, b.offset + b.bytes), 0);
    if (size < bestSize) {
      bestSize = size;
      best = all.map((b) => b.offset);
    }
  }
  all.forEach((b, k) => {
    b.offset = best?.[k] ?? 0;
  });
  const offsets = new Map<string, number>();
  for (const b of buffers) for (const name of b.names) offsets.set(name, b.offset);
  const scratch = new Map(scratchBuffers.map((b) => [b.first, b.offset]));
  const size = all.reduce((m, b) => Math.max(m, b.offset + b.bytes), 0);
  return { offsets, scratch, buffers: all.sort((a, b) => a.offset - b.offset || a.first - b.first), size };
}

/** The lowest aligned offset where `b` overlaps no placed buffer alive at the same time. */
function lowestOffset(b: PlannedBuffer, placed: PlannedBuffer[], alignment: number): number {
  const live = placed
    .filter((p) => p.first <= b.last && b.first <= p.last && p.bytes > 0)
    .sort((x, y) => x.offset - y.offset);
  let offset = 0;
  for (const p of live) {
    if (offset + b.bytes <= p.offset) break;
    offset = Math.max(offset, alignUp(p.offset + p.bytes, alignment));
  }
  return offset;
}
