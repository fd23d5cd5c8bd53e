/**
 * The memory planner against an exhaustive search on small random graphs, and its plans checked for
 * what the C relies on: aligned offsets, and no two buffers alive at the same time sharing a byte.
 *
 * The exhaustive search places the buffers lowest-fit in every order: that finds the smallest arena, since
 * any plan can be pushed down buffer by buffer (in the order of its offsets) to one that lowest-fit
 * placement in that order gives, without growing.
 */
import { describe, expect, it } from "vitest";
import { type PlanRequest, type PlanTensor, planMemory } from "../../src/graph/plan.js";
import { Rng } from "../../src/rng.js";

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

interface Interval {
  bytes: number;
  first: number;
  last: number;
}

const overlapsInTime = (a: Interval, b: Interval) => a.first <= b.last && b.first <= a.last;

/** The smallest arena over every placement order (lowest aligned offset free for the buffer's lifetime). */
function exhaustive(buffers: Interval[], alignment: number): number {
  let best = Number.POSITIVE_INFINITY;
  const offsets = new Array<number>(buffers.length);
  const used = new Array<boolean>(buffers.length).fill(false);
  const placed: number[] = [];
  const search = (size: number) => {
    if (size >= best) return;
    if (placed.length === buffers.length) {
      best = size;
      return;
    }
    for (let k = 0; k < buffers.length; k++) {
      if (used[k]) continue;
      const b = buffers[k];
      const live = placed
        .filter((p) => overlapsInTime(buffers[p], b) && buffers[p].bytes > 0)
        .sort((x, y) => offsets[x] - offsets[y]);
      let offset = 0;
      for (const p of live) {
        if (offset + b.bytes <= offsets[p]) break;
        offset = Math.max(offset, alignUp(offsets[p] + buffers[p].bytes, alignment));
      }
      offsets[k] = offset;
      used[k] = true;
      placed.push(k);
      search(Math.max(size, offset + b.bytes));
      placed.pop();
      used[k] = false;
    }
  };
  search(0);
  return best;
}

/** A random graph of `ops` ops, each reading one or two earlier tensors: the tensors' sizes and lifetimes. */
function randomGraph(rng: Rng, ops: number): PlanTensor[] {
  const tensors: PlanTensor[] = [{ name: "input", bytes: 4 * (1 + rng.int(64)), first: -1, last: -1 }];
  for (let k = 0; k < ops; k++) {
    const reads = new Set([rng.int(tensors.length), rng.int(tensors.length)].slice(0, 1 + rng.int(2)));
    for (const r of reads) tensors[r].last = Math.max(tensors[r].last, k);
    tensors.push({ name: `t${k}`, bytes: 1 + rng.int(256), first: k, last: k });
  }
  tensors[tensors.length - 1].last = ops;
  return tensors;
}

function checkPlan(req: PlanRequest, plan: ReturnType<typeof planMemory>): void {
  const { buffers } = plan;
  for (const b of buffers) {
    expect(b.offset % req.alignment).toBe(0);
    expect(b.offset + b.bytes).toBeLessThanOrEqual(plan.size);
  }
  for (let i = 0; i < buffers.length; i++)
    for (let j = i + 1; j < buffers.length; j++) {
      const [a, b] = [buffers[i], buffers[j]];
      if (!overlapsInTime(a, b) || a.bytes === 0 || b.bytes === 0) continue;
      const apart = a.offset + a.bytes <= b.offset || b.offset + b.bytes <= a.offset;
      expect(apart, `${a.names} and ${b.names} share bytes while both alive`).toBe(true);
    }
  for (const t of req.tensors) expect(plan.offsets.has(t.name)).toBe(true);
}

describe("planMemory", () => {
  it("is never more than 1.25 times the smallest arena on 400 small random graphs", () => {
    const rng = new Rng(7);
    let worst = 1;
    let optimal = 0;
    for (let g = 0; g < 400; g++) {
      const ops = 2 + rng.int(5);
      const tensors = randomGraph(rng, ops);
      const scratch = rng.next() < 0.3 ? [{ op: rng.int(ops), bytes: 1 + rng.int(128) }] : [];
      const alignment = rng.next() < 0.5 ? 4 : 16;
      const req: PlanRequest = { tensors, inPlace: [], scratch, alignment };
      const plan = planMemory(req);
      checkPlan(req, plan);
      const best = exhaustive(
        [...tensors, ...scratch.map((s) => ({ bytes: s.bytes, first: s.op, last: s.op }))],
        alignment,
      );
      expect(plan.size, `graph ${g}`).toBeGreaterThanOrEqual(best);
      expect(plan.size / best, `graph ${g}: ${JSON.stringify(req)}`).toBeLessThanOrEqual(1.25);
      worst = Math.max(worst, plan.size / best);
      if (plan.size === best) optimal++;
    }
    // most plans are the best there is (251 of 400 with this seed; the worst 1.19 times the best)
    expect(optimal).toBeGreaterThan(200);
    expect(worst).toBeLessThanOrEqual(1.25);
  });

  it("on a chain, takes the largest pair of neighbouring tensors: the least any plan can", () => {
    const rng = new Rng(3);
    for (let g = 0; g < 200; g++) {
      const n = 2 + rng.int(8);
      const sizes = Array.from({ length: n + 1 }, () => 4 * (1 + rng.int(64)));
      const tensors = sizes.map((bytes, k) => ({
        name: `t${k}`,
        bytes,
        first: k - 1,
        last: k === n ? n : k,
      }));
      const plan = planMemory({ tensors, inPlace: [], scratch: [], alignment: 4 });
      const pairs = sizes.slice(1).map((s, k) => s + sizes[k]);
      expect(plan.size).toBe(Math.max(...pairs));
    }
  });

  it("writes an in-place op's output over its input when nothing reads the input later", () => {
    const tensors = [
      { name: "input", bytes: 64, first: -1, last: 0 },
      { name: "a", bytes: 32, first: 0, last: 1 },
      { name: "b", bytes: 32, first: 1, last: 2 },
      { name: "c", bytes: 32, first: 2, last: 3 },
    ];
    const plan = planMemory({
      tensors,
      inPlace: [{ op: 1, input: "a", output: "b" }],
      scratch: [],
      alignment: 4,
    });
    expect(plan.offsets.get("a")).toBe(plan.offsets.get("b"));
    expect(plan.size).toBe(96);
    // not when a later op still reads the input
    const read = tensors.map((t) => (t.name === "a" ? { ...t, last: 2 } : t));
    const kept = planMemory({
      tensors: read,
      inPlace: [{ op: 1, input: "a", output: "b" }],
      scratch: [],
      alignment: 4,
    });
    expect(kept.offsets.get("a")).not.toBe(kept.offsets.get("b"));
    // and never over the model input, which belongs to the caller
    const overInput = planMemory({
      tensors,
      inPlace: [{ op: 0, input: "input", output: "a" }],
      scratch: [],
      alignment: 4,
    });
    expect(overInput.offsets.get("input")).not.toBe(overInput.offsets.get("a"));
  });
});
