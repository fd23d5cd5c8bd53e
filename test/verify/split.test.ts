/** Vector sets split for boards: every raw row in exactly one part, labels and targets with their rows. */
import { describe, expect, it } from "vitest";
import type { VectorSet } from "../../src/verify/vectors.js";
import { splitVectors } from "../../src/verify/verify.js";

const set = (rows: number, labelled: number): VectorSet => ({
  inputSize: 10,
  outputSize: 2,
  integer: true,
  codes: [[1], [2]],
  raw: Array.from({ length: rows }, (_, r) => Array(10).fill(r)),
  expectedCodes: [],
  expectedRaw: Array.from({ length: rows }, (_, r) => ({ status: 0, values: [r] })),
  labels: Array.from({ length: labelled }, (_, r) => r % 3),
  targets: [],
  labelled: null,
});

describe("splitVectors", () => {
  it("keeps a set that fits whole", () => {
    const s = set(5, 5);
    expect(splitVectors(s, 50)).toEqual([{ set: s, offset: 0 }]);
  });

  it("splits the raw rows in order, each part with the code vectors and its rows' labels", () => {
    const s = set(23, 17);
    const parts = splitVectors(s, 50);
    expect(parts.map((p) => p.offset)).toEqual([0, 5, 10, 15, 20]);
    expect(parts.flatMap((p) => p.set.raw)).toEqual(s.raw);
    expect(parts.flatMap((p) => p.set.expectedRaw)).toEqual(s.expectedRaw);
    expect(parts.flatMap((p) => p.set.labels)).toEqual(s.labels);
    for (const p of parts) {
      expect(p.set.codes).toEqual(s.codes);
      expect(p.set.labels.length).toBeLessThanOrEqual(p.set.raw.length);
    }
  });
});
