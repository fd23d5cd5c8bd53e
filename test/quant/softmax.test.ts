import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  argmax,
  buildSoftmaxTable,
  runSoftmax,
  SOFTMAX_S8_MAX_LENGTH,
  SOFTMAX_S16_MAX_LENGTH,
  softmaxOutputQuant,
} from "../../src/quant/softmax.js";

type Precision = "int8" | "int16";
const RANGE: Record<Precision, [number, number]> = { int8: [-128, 127], int16: [-32768, 32767] };

/** Double-precision softmax of the dequantized codes, quantized to the output codes and clamped. */
function idealCodes(precision: Precision, scale: number, q: number[]): number[] {
  const max = Math.max(...q);
  const e = q.map((v) => Math.exp(scale * (v - max)));
  const sum = e.reduce((a, b) => a + b, 0);
  const { scale: outScale, zeroPoint } = softmaxOutputQuant(precision);
  const [lo, hi] = RANGE[precision];
  return e.map((v) => Math.min(hi, Math.max(lo, Math.round(v / sum / outScale) + zeroPoint)));
}

function run(precision: Precision, scale: number, q: number[]): number[] {
  const out = new Array<number>(q.length);
  runSoftmax(buildSoftmaxTable(precision, scale), q, q.length, out);
  return out;
}

function expectWithinOneLsb(precision: Precision, scale: number, q: number[]): void {
  const got = run(precision, scale, q);
  const ideal = idealCodes(precision, scale, q);
  for (let i = 0; i < q.length; i++) expect(Math.abs(got[i] - ideal[i])).toBeLessThanOrEqual(1);
}

describe("runSoftmax", () => {
  for (const precision of ["int8", "int16"] as const) {
    const [lo, hi] = RANGE[precision];
    const scales = precision === "int8" ? [0.01, 0.0625, 0.2, 1.5] : [2 ** -12, 0.0003, 0.01, 0.5];

    it(`${precision} is within 1 LSB of the ideal quantized softmax on random vectors`, () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...scales),
          fc.array(fc.integer({ min: lo, max: hi }), { minLength: 1, maxLength: 64 }),
          (scale, q) => expectWithinOneLsb(precision, scale, q),
        ),
        { numRuns: 400 },
      );
    });

    it(`${precision} is within 1 LSB on extreme vectors`, () => {
      const long = Array.from({ length: 1000 }, (_, i) => ((i * 7919) % (hi - lo + 1)) + lo);
      const vectors = [
        [0],
        [lo, hi],
        [hi, hi, hi, hi],
        [lo, lo, lo],
        [hi, lo, lo, lo, lo],
        long,
        [...long].fill(hi - 1),
      ];
      for (const scale of scales) for (const q of vectors) expectWithinOneLsb(precision, scale, q);
    });
  }

  it("saturates a certain class to the top code", () => {
    expect(run("int8", 1, [127, -128])).toEqual([127, -128]);
    expect(run("int16", 1, [100, -20000])).toEqual([32767, 0]);
  });

  it("ignores the input zero point: shifting every code changes nothing", () => {
    expect(run("int8", 0.1, [10, 20, 30])).toEqual(run("int8", 0.1, [-50, -40, -30]));
    expect(run("int16", 0.001, [10, 2000, 3000])).toEqual(run("int16", 0.001, [-9990, -8000, -7000]));
  });

  it("rejects length 0 and lengths above the kernel maximum", () => {
    const s8 = buildSoftmaxTable("int8", 0.1);
    const s16 = buildSoftmaxTable("int16", 0.1);
    expect(() => runSoftmax(s8, [], 0, [])).toThrow(RangeError);
    expect(() => runSoftmax(s8, [], SOFTMAX_S8_MAX_LENGTH + 1, [])).toThrow(RangeError);
    expect(() => runSoftmax(s16, [], SOFTMAX_S16_MAX_LENGTH + 1, [])).toThrow(RangeError);
    expect(() => buildSoftmaxTable("int8", 0)).toThrow(RangeError);
  });

  it("builds 256 Q20 entries for int8 and 512 Q31 entries for int16", () => {
    const s8 = buildSoftmaxTable("int8", 0.1);
    const s16 = buildSoftmaxTable("int16", 0.1);
    expect(s8.entries).toHaveLength(256);
    expect(s8.entries[0]).toBe(2 ** 20);
    expect(s16.entries).toHaveLength(512);
    expect([s16.entries[0], s16.entries[256]]).toEqual([2 ** 31, 2 ** 31]);
  });
});

describe("argmax", () => {
  it("returns the first maximum", () => {
    expect(argmax([1, 5, 5, 2])).toBe(1);
    expect(argmax([-128, -128])).toBe(0);
    expect(argmax([3, 9, 9], 2)).toBe(1);
  });

  it("rejects an empty vector", () => {
    expect(() => argmax([])).toThrow(RangeError);
  });
});
