/**
 * TensorFlow Lite's fixed-point exp, reciprocal and int8 softmax (src/quant/gemmlowp.ts) against their
 * real-valued definitions. Bit-exactness with TensorFlow Lite itself is shown on MLPerf Tiny's models,
 * whose golden outputs came from TensorFlow Lite Micro (test/import/tflite.test.ts); the C kernel's
 * equality with this code, in test/quant/c_kernels.test.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  expOnNegativeValues,
  oneOverOnePlusX,
  reciprocal,
  runTfliteSoftmax,
  TFLITE_SOFTMAX_MAX_LENGTH,
  tfliteSoftmaxParams,
} from "../../src/quant/gemmlowp.js";

const Q31 = 2 ** 31;

describe("gemmlowp's fixed point", () => {
  it("exp of a Q5.26 value ≤ 0 within 2^-22 of exp, and exactly 1 (INT32_MAX) at 0", () => {
    expect(expOnNegativeValues(0, 5)).toBe(Q31 - 1);
    let worst = 0;
    for (const a of fc.sample(fc.integer({ min: -(2 ** 31) + 1, max: 0 }), { seed: 7, numRuns: 5000 })) {
      worst = Math.max(worst, Math.abs(expOnNegativeValues(a, 5) / Q31 - Math.exp(a / 2 ** 26)));
    }
    expect(worst).toBeLessThan(2 ** -22);
  });

  it("1 / (1 + x) for x in [0, 1) within 2^-28", () => {
    let worst = 0;
    for (const a of fc.sample(fc.integer({ min: 0, max: Q31 - 1 }), { seed: 8, numRuns: 5000 })) {
      worst = Math.max(worst, Math.abs(oneOverOnePlusX(a) / Q31 - 1 / (1 + a / Q31)));
    }
    expect(worst).toBeLessThan(2 ** -28);
  });

  it("the reciprocal of a Q12.19 sum: significand and bits above one give 1 / x", () => {
    for (const x of [2 ** 19, 3 * 2 ** 19, 2 ** 27 - 5, 12345678]) {
      const { scale, bitsOverUnit } = reciprocal(x, 12);
      expect((scale / Q31) * 2 ** -bitsOverUnit).toBeCloseTo(2 ** 19 / x, 7);
    }
  });
});

describe("TensorFlow Lite's int8 softmax", () => {
  it("derives the multiplier, shift and smallest difference from beta and the input scale", () => {
    const p = tfliteSoftmaxParams(1, Math.fround(0.144720658))!;
    expect(p.multiplier * 2 ** (p.leftShift - 31)).toBeCloseTo(Math.fround(0.144720658) * 2 ** 26, 0);
    expect(p.multiplier).toBeGreaterThanOrEqual(2 ** 30);
    expect(p.diffMin).toBe(-Math.floor((31 * 2 ** 26) / 2 ** p.leftShift));
    // the multiplier is capped at 2^31 - 1, and scales below 2^-26 are refused as TensorFlow Lite does
    expect(tfliteSoftmaxParams(1, 100)).toEqual({ multiplier: Q31 - 1, leftShift: 31, diffMin: 0 });
    expect(tfliteSoftmaxParams(1, 2 ** -27)).toBeNull();
  });

  it("gives the probabilities within 1/256 (one output code) of softmax", () => {
    const cases = fc.sample(
      fc.record({
        scale: fc.double({ min: 0.002, max: 0.5, noNaN: true }),
        codes: fc.array(fc.integer({ min: -128, max: 127 }), { minLength: 1, maxLength: 40 }),
      }),
      { seed: 9, numRuns: 400 },
    );
    for (const { scale, codes } of [
      ...cases,
      { scale: 0.1, codes: Array(TFLITE_SOFTMAX_MAX_LENGTH).fill(5) },
    ]) {
      const s = Math.fround(scale);
      const p = tfliteSoftmaxParams(1, s)!;
      const out = new Array<number>(codes.length);
      runTfliteSoftmax(p, codes, codes.length, out);
      const max = Math.max(...codes);
      const e = codes.map((q) => Math.exp(s * (q - max)));
      const sum = e.reduce((a, b) => a + b, 0);
      codes.forEach((_, i) => {
        const ideal = Math.min(127, (e[i] / sum) * 256 - 128);
        expect(Math.abs(out[i] - ideal), `scale ${s}, codes [${codes}], [${i}]`).toBeLessThanOrEqual(1);
      });
    }
  });
});
