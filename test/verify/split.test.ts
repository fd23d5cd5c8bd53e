/**
 * Vector sets split for boards: every code vector and raw row in exactly one part, in order, labels and
 * targets with their rows, no part over the budget unless it holds a single vector.
 */
import { describe, expect, it } from "vitest";
import type { VectorSet } from "../../src/verify/vectors.js";
import { splitVectors } from "../../src/verify/verify.js";

const set = (rows: number, labelled: number, codes = 2): VectorSet => ({
  inputSize: 10,
  outputSize: 2,
  integer: true,
  codes: Array.from({ length: codes }, (_, c) => Array(10).fill(c)),
  expectedCodes: Array.from({ length: codes }, (_, c) => ({ status: 0, values: [c] })),
  raw: Array.from({ length: rows }, (_, r) => Array(10).fill(r)),
  expectedRaw: Array.from({ length: rows }, (_, r) => ({ status: 0, values: [r] })),
  labels: Array.from({ length: labelled }, (_, r) => r % 3),
  targets: [],
  labelled: null,
});

describe("splitVectors", () => {
  it("keeps a set that fits whole", () => {
    const s = set(5, 5);
    expect(splitVectors(s, 220, 1)).toEqual([{ set: s, offset: 0, codeOffset: 0 }]);
  });

  it("splits the code vectors, then the raw rows, in order, each raw row with its label", () => {
    const s = set(23, 17, 7);
    const parts = splitVectors(s, 200, 2);
    // 10 codes of 2 bytes: 10 code vectors a part; 10 floats: 5 raw rows a part
    expect(parts.map((p) => [p.codeOffset, p.set.codes.length, p.offset, p.set.raw.length])).toEqual([
      [0, 7, 0, 0],
      [0, 0, 0, 5],
      [0, 0, 5, 5],
      [0, 0, 10, 5],
      [0, 0, 15, 5],
      [0, 0, 20, 3],
    ]);
    expect(parts.flatMap((p) => p.set.codes)).toEqual(s.codes);
    expect(parts.flatMap((p) => p.set.expectedCodes)).toEqual(s.expectedCodes);
    expect(parts.flatMap((p) => p.set.raw)).toEqual(s.raw);
    expect(parts.flatMap((p) => p.set.expectedRaw)).toEqual(s.expectedRaw);
    expect(parts.flatMap((p) => p.set.labels)).toEqual(s.labels);
    for (const p of parts) expect(p.set.labels.length).toBeLessThanOrEqual(p.set.raw.length);
  });

  it("puts one vector in a part when a single one exceeds the budget", () => {
    const parts = splitVectors(set(2, 0, 3), 8, 1);
    expect(parts.map((p) => p.set.codes.length + p.set.raw.length)).toEqual([1, 1, 1, 1, 1]);
    expect(parts.map((p) => p.codeOffset)).toEqual([0, 1, 2, 0, 0]);
  });
});
