import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  clampS8,
  clampS16,
  floorDiv,
  INT32_MAX,
  INT32_MIN,
  quantizeMultiplier,
  reducedMultiplier,
  requantize,
  requantize64,
  roundHalfAwayFromZero,
  roundingDivideByPOT,
  roundingMulShiftU,
  srdhm,
} from "../../src/quant/fixedpoint.js";

// Independent BigInt definitions of each primitive, written from the documented rounding.
const big = BigInt;
const I32_MAX = big(INT32_MAX);
const I32_MIN = big(INT32_MIN);

function srdhmRef(a: number, b: number): number {
  const ab = big(a) * big(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  const r = (ab + nudge) / (1n << 31n); // BigInt division truncates toward zero
  return Number(r > I32_MAX ? I32_MAX : r);
}

/** sign(x) · floor((|x| + 2^(n-1)) / 2^n): round half away from zero. */
function roundShiftRef(x: bigint, n: bigint): bigint {
  if (n === 0n) return x;
  const magnitude = x < 0n ? -x : x;
  const r = (magnitude + (1n << (n - 1n))) >> n;
  return x < 0n ? -r : r;
}

function requantizeRef(acc: number, mult: number, shift: number): number {
  const left = big(Math.max(shift, 0));
  const right = big(Math.max(-shift, 0));
  return Number(roundShiftRef(big(srdhmRef(Number(big(acc) << left), mult)), right));
}

function requantize64Ref(acc: number, mult: number, shift: number): number {
  const r = roundShiftRef(big(acc) * big(mult), big(16 - shift));
  if (r > I32_MAX) return INT32_MAX;
  if (r < I32_MIN) return INT32_MIN;
  return Number(r);
}

const int32 = fc.oneof(
  fc.integer({ min: INT32_MIN, max: INT32_MAX }),
  fc.constantFrom(INT32_MIN, INT32_MIN + 1, -(2 ** 30), -1, 0, 1, 2 ** 30, INT32_MAX - 1, INT32_MAX),
);
const mult32 = fc.oneof(fc.integer({ min: 2 ** 30, max: INT32_MAX }), fc.constantFrom(0, 2 ** 30, INT32_MAX));
const mult16 = fc.oneof(
  fc.integer({ min: 2 ** 15, max: 2 ** 16 - 1 }),
  fc.constantFrom(0, 2 ** 15, 2 ** 16 - 1),
);
const acc47 = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
  fc.integer({ min: -(2 ** 47) + 1, max: 2 ** 47 - 1 }),
  fc.constantFrom(-(2 ** 47) + 1, 2 ** 47 - 1, INT32_MIN, INT32_MAX, -1, 0, 1),
);

describe("roundHalfAwayFromZero", () => {
  it("rounds ties away from zero and never returns -0", () => {
    expect([2.5, -2.5, 0.5, -0.5, 1.49, -1.51].map(roundHalfAwayFromZero)).toEqual([3, -3, 1, -1, 1, -2]);
    expect(Object.is(roundHalfAwayFromZero(-0.2), 0)).toBe(true);
  });
});

describe("clampS8 / clampS16", () => {
  it("saturate to the integer ranges", () => {
    expect([-1000, -128, 0, 127, 1000].map(clampS8)).toEqual([-128, -128, 0, 127, 127]);
    expect([-40000, 32767, 40000].map(clampS16)).toEqual([-32768, 32767, 32767]);
  });
});

describe("floorDiv", () => {
  it("equals BigInt floor division for operands below 2^53", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
        fc.integer({ min: 1, max: 2 ** 53 - 1 }),
        (num, den) => {
          const q = big(num) / big(den);
          const floor = big(num) % big(den) < 0n ? q - 1n : q;
          expect(floorDiv(num, den)).toBe(Number(floor));
        },
      ),
    );
  });
});

describe("srdhm", () => {
  it("equals the BigInt definition on all int32 pairs", () => {
    fc.assert(
      fc.property(int32, int32, (a, b) => {
        expect(srdhm(a, b)).toBe(srdhmRef(a, b));
      }),
      { numRuns: 20_000 },
    );
  });

  it("saturates only INT32_MIN × INT32_MIN", () => {
    expect(srdhm(INT32_MIN, INT32_MIN)).toBe(INT32_MAX);
    expect(srdhm(INT32_MIN, INT32_MIN + 1)).toBe(INT32_MAX);
    expect(srdhm(INT32_MIN, INT32_MAX)).toBe(INT32_MIN + 1);
  });
});

describe("roundingDivideByPOT", () => {
  it("rounds half away from zero for every exponent 0..31", () => {
    fc.assert(
      fc.property(int32, fc.integer({ min: 0, max: 31 }), (x, e) => {
        expect(roundingDivideByPOT(x, e)).toBe(Number(roundShiftRef(big(x), big(e))));
      }),
      { numRuns: 20_000 },
    );
  });

  it("rounds exact ties away from zero", () => {
    expect([5, -5, 6, -6, 7, -7].map((x) => roundingDivideByPOT(x, 1))).toEqual([3, -3, 3, -3, 4, -4]);
    expect(roundingDivideByPOT(INT32_MIN, 31)).toBe(-1);
    expect(roundingDivideByPOT(-(2 ** 30), 31)).toBe(-1);
    expect(roundingDivideByPOT(2 ** 30 - 1, 31)).toBe(0);
  });
});

describe("requantize", () => {
  it("equals the BigInt definition wherever acc · 2^left fits int32", () => {
    fc.assert(
      fc.property(int32, mult32, fc.integer({ min: -31, max: 30 }), (acc, mult, shift) => {
        const left = Math.max(shift, 0);
        const a = Math.trunc(acc / 2 ** left); // keep the precondition
        expect(requantize(a, mult, shift)).toBe(requantizeRef(a, mult, shift));
      }),
      { numRuns: 20_000 },
    );
  });

  it("handles extreme accumulators at the ends of the shift range", () => {
    for (const acc of [INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX]) {
      for (const mult of [0, 2 ** 30, INT32_MAX]) {
        for (const shift of [-31, -1, 0]) {
          expect(requantize(acc, mult, shift)).toBe(requantizeRef(acc, mult, shift));
        }
      }
    }
    expect(requantize(INT32_MAX, INT32_MAX, 0)).toBe(INT32_MAX - 1);
    expect(requantize(INT32_MIN, INT32_MAX, -31)).toBe(-1);
    expect(requantize(1, 2 ** 30, 30)).toBe(2 ** 29);
  });

  it("rejects accumulators that overflow the left shift", () => {
    expect(() => requantize(2 ** 20, 2 ** 30, 12)).toThrow(RangeError);
    expect(() => requantize(-(2 ** 20) - 1, 2 ** 30, 11)).toThrow(RangeError);
    expect(() => requantize(1, 2 ** 30, 31)).toThrow(RangeError);
  });
});

describe("roundingMulShiftU", () => {
  it("equals (a·b + 2^(n-1)) >> n in BigInt", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 47 - 1 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 1, max: 63 }),
        (a, b, n) => {
          const exact = (big(a) * big(b) + (1n << big(n - 1))) >> big(n);
          if (exact < 2n ** 52n) expect(roundingMulShiftU(a, b, n)).toBe(Number(exact));
          else expect(roundingMulShiftU(a, b, n)).toBeGreaterThanOrEqual(2 ** 52);
        },
      ),
      { numRuns: 20_000 },
    );
  });
});

describe("requantize64", () => {
  it("equals the BigInt definition for |acc| < 2^47", () => {
    fc.assert(
      fc.property(acc47, mult16, fc.integer({ min: -47, max: 15 }), (acc, mult, shift) => {
        expect(requantize64(acc, mult, shift)).toBe(requantize64Ref(acc, mult, shift));
      }),
      { numRuns: 20_000 },
    );
  });

  it("saturates to int32 and rounds ties away from zero", () => {
    expect(requantize64(2 ** 47 - 1, 2 ** 16 - 1, 15)).toBe(INT32_MAX);
    expect(requantize64(-(2 ** 47) + 1, 2 ** 16 - 1, 15)).toBe(INT32_MIN);
    expect(requantize64(3, 2 ** 15, 0)).toBe(2); // 1.5 → 2
    expect(requantize64(-3, 2 ** 15, 0)).toBe(-2); // -1.5 → -2
    expect(Object.is(requantize64(-1, 2 ** 15, -2), 0)).toBe(true);
  });

  it("rejects accumulators of 2^47 or more", () => {
    expect(() => requantize64(2 ** 47, 2 ** 15, 0)).toThrow(RangeError);
    expect(() => requantize64(0, 2 ** 15, 16)).toThrow(RangeError);
  });
});

describe("quantizeMultiplier", () => {
  it("rounds the significand to nearest within [2^30, 2^31)", () => {
    fc.assert(
      fc.property(fc.double({ min: 2 ** -32, max: 2 ** 29, noNaN: true }), (real) => {
        const { mult, shift } = quantizeMultiplier(real);
        expect(mult).toBeGreaterThanOrEqual(2 ** 30);
        expect(mult).toBeLessThan(2 ** 31);
        expect(shift).toBeGreaterThanOrEqual(-31);
        expect(shift).toBeLessThanOrEqual(30);
        expect(Math.abs(mult * 2 ** (shift - 31) - real)).toBeLessThanOrEqual(2 ** (shift - 32));
      }),
    );
  });

  it("renormalises a significand that rounds up to 2^31", () => {
    expect(quantizeMultiplier(1 - 2 ** -40)).toEqual({ mult: 2 ** 30, shift: 1 });
    expect(quantizeMultiplier(0.5)).toEqual({ mult: 2 ** 30, shift: 0 });
  });

  it("flushes reals below 2^-32 to zero and rejects huge or negative ones", () => {
    expect(quantizeMultiplier(0)).toEqual({ mult: 0, shift: 0 });
    expect(quantizeMultiplier(2 ** -33)).toEqual({ mult: 0, shift: 0 });
    expect(() => quantizeMultiplier(2 ** 31)).toThrow(RangeError);
    expect(() => quantizeMultiplier(-1)).toThrow(RangeError);
    expect(() => quantizeMultiplier(Number.NaN)).toThrow(RangeError);
  });

  it("makes requantize agree with the real product within one rounding", () => {
    fc.assert(
      fc.property(int32, fc.double({ min: 2 ** -20, max: 0.99, noNaN: true }), (acc, real) => {
        const { mult, shift } = quantizeMultiplier(real);
        expect(Math.abs(requantize(acc, mult, shift) - acc * real)).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe("reducedMultiplier", () => {
  it("rounds the significand to nearest within [2^15, 2^16)", () => {
    fc.assert(
      fc.property(fc.double({ min: 2 ** -48, max: 2 ** 14, noNaN: true }), (real) => {
        const { mult, shift } = reducedMultiplier(real);
        expect(mult).toBeGreaterThanOrEqual(2 ** 15);
        expect(mult).toBeLessThan(2 ** 16);
        expect(shift).toBeGreaterThanOrEqual(-47);
        expect(shift).toBeLessThanOrEqual(15);
        expect(Math.abs(mult * 2 ** (shift - 16) - real)).toBeLessThanOrEqual(2 ** (shift - 17));
      }),
    );
  });

  it("flushes reals below 2^-48 and rejects reals of 2^15", () => {
    expect(reducedMultiplier(2 ** -49)).toEqual({ mult: 0, shift: 0 });
    expect(reducedMultiplier(1 - 2 ** -20)).toEqual({ mult: 2 ** 15, shift: 1 });
    expect(() => reducedMultiplier(2 ** 15)).toThrow(RangeError);
  });
});
