import { describe, expect, it } from "vitest";
import {
  applyTableS8,
  buildTableS8,
  buildTableS16,
  evalTableS16,
  measureTableError,
  type QuantParams,
  type TableS16,
  tableKey,
} from "../../src/quant/lut.js";
import { ACTIVATIONS, Q15_OUT, sigmoid } from "./functions.js";

const S16_SCALES = [
  2 ** -15,
  2 ** -14,
  2 ** -13,
  2 ** -12,
  2 ** -11,
  2 ** -10,
  2 ** -9,
  2 ** -8,
  2 ** -7,
  2 ** -6,
  2 ** -5,
  2 ** -4,
  0.00037,
  0.0123,
  0.7,
];

describe("buildTableS8", () => {
  const cases: [string, (x: number) => number, QuantParams, QuantParams][] = [
    ["sigmoid", sigmoid, { scale: 0.0625, zeroPoint: 0 }, { scale: 1 / 256, zeroPoint: -128 }],
    ["sigmoid", sigmoid, { scale: 0.0123, zeroPoint: 17 }, { scale: 1 / 256, zeroPoint: -128 }],
    ["tanh", Math.tanh, { scale: 0.03, zeroPoint: -5 }, { scale: 1 / 128, zeroPoint: 0 }],
    ["gelu", ACTIVATIONS.gelu, { scale: 0.05, zeroPoint: 3 }, { scale: 0.04, zeroPoint: -120 }],
  ];

  it.each(cases)("%s is within 0.5 LSB of the real output at every code (case %#)", (_name, f, inQ, outQ) => {
    const table = buildTableS8(f, inQ, outQ);
    expect(table.entries).toHaveLength(256);
    for (let q = -128; q <= 127; q++) {
      const ideal = f(inQ.scale * (q - inQ.zeroPoint)) / outQ.scale + outQ.zeroPoint;
      const out = applyTableS8(table, q);
      expect(out).toBe(Math.min(127, Math.max(-128, out)));
      if (ideal > -128.5 && ideal < 127.5) expect(Math.abs(out - ideal)).toBeLessThanOrEqual(0.5);
    }
    const err = measureTableError(table, f);
    expect(err.maxErrorLsb).toBeLessThanOrEqual(0.5);
    expect(err).toMatchObject({ entries: 256, bytes: 256 });
  });

  it("rounds ties away from zero and saturates", () => {
    const table = buildTableS8((x) => x, { scale: 0.5, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 });
    expect([-3, -1, 1, 3].map((q) => applyTableS8(table, q))).toEqual([-2, -1, 1, 2]);
    const wide = buildTableS8((x) => x, { scale: 4, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 });
    expect([applyTableS8(wide, -128), applyTableS8(wide, 127)]).toEqual([-128, 127]);
  });

  it("rejects a non-positive scale and a non-finite f", () => {
    expect(() => buildTableS8(sigmoid, { scale: 0, zeroPoint: 0 }, Q15_OUT)).toThrow(RangeError);
    expect(() => buildTableS8(Math.log, { scale: 0.1, zeroPoint: 0 }, Q15_OUT)).toThrow(/not finite/);
  });
});

function buildSymmetric(name: "sigmoid" | "tanh", scale: number): TableS16 {
  return buildTableS16(ACTIVATIONS[name], { scale, zeroPoint: 0 }, Q15_OUT, {
    symmetry: { centre: name === "sigmoid" ? 0.5 : 0 },
  });
}

describe("buildTableS16", () => {
  for (const name of ["sigmoid", "tanh"] as const) {
    it.each(S16_SCALES)(
      `${name} stays within 1.0 LSB max and 0.3 LSB mean over all 65536 codes at input scale %f`,
      (scale) => {
        const table = buildSymmetric(name, scale);
        const err = measureTableError(table, ACTIVATIONS[name]);
        expect(err.maxErrorLsb).toBeLessThanOrEqual(1);
        expect(err.meanErrorLsb).toBeLessThanOrEqual(0.3);
        expect(err.bytes).toBeLessThanOrEqual(1024);
        expect(err.bytes).toBe(2 * table.entries.length);
      },
    );
  }

  it("mirrors symmetric tables exactly: tanh is odd and sigmoid(-x) = 1 - sigmoid(x) in codes", () => {
    const tanh = buildSymmetric("tanh", 2 ** -12);
    const sig = buildSymmetric("sigmoid", 2 ** -12);
    for (let q = 1; q <= 32767; q++) {
      const t = evalTableS16(tanh, q); // the positive half saturates at 32767, the negative one at -32768
      if (t < 32767) expect(evalTableS16(tanh, -q)).toBe(-t);
      else expect(evalTableS16(tanh, -q)).toBeLessThanOrEqual(-32767);
      const up = evalTableS16(sig, q);
      if (up < 32767) expect(evalTableS16(sig, -q)).toBe(32768 - up);
      else expect(evalTableS16(sig, -q)).toBeLessThanOrEqual(1);
    }
    expect(evalTableS16(sig, 0)).toBe(16384);
    expect([evalTableS16(tanh, -32768), evalTableS16(tanh, 32767)]).toEqual([-32768, 32767]);
  });

  it("stores every code exactly when the unsaturated codes fit the table", () => {
    const table = buildSymmetric("tanh", 0.0123);
    expect(table.zoneLog2).toEqual([0]);
    expect(measureTableError(table, Math.tanh).maxErrorLsb).toBeLessThanOrEqual(0.5);
  });

  it.each(Object.keys(ACTIVATIONS))("builds %s without symmetry and measures its error", (name) => {
    const f = ACTIVATIONS[name];
    for (const scale of [2 ** -12, 0.01]) {
      let hi = 0;
      for (let q = -32768; q <= 32767; q += 16) hi = Math.max(hi, Math.abs(f(scale * q)));
      const table = buildTableS16(f, { scale, zeroPoint: 0 }, { scale: hi / 32767, zeroPoint: 0 });
      const err = measureTableError(table, f);
      expect(table.entries.length).toBeLessThanOrEqual(512);
      expect(table.zoneStart.length).toBeLessThanOrEqual(8);
      expect(err.maxErrorLsb).toBeLessThan(1.5);
      expect(err.meanErrorLsb).toBeLessThan(0.4);
    }
  });

  it("uses input and output zero points of a generic table", () => {
    const inQ = { scale: 0.001, zeroPoint: 1000 };
    const outQ = { scale: 0.0005, zeroPoint: -2000 };
    const table = buildTableS16(ACTIVATIONS.swish, inQ, outQ);
    expect(measureTableError(table, ACTIVATIONS.swish).maxErrorLsb).toBeLessThan(1.5);
  });

  it("is deterministic, JSON-serialisable, and keyed by what it computes", () => {
    const a = buildSymmetric("sigmoid", 0.00037);
    const b = buildSymmetric("sigmoid", 0.00037);
    expect(b).toEqual(a);
    const copy = JSON.parse(JSON.stringify(a)) as TableS16;
    for (let q = -32768; q <= 32767; q += 7) expect(evalTableS16(copy, q)).toBe(evalTableS16(a, q));
    expect(tableKey(b)).toBe(tableKey(a));
    expect(tableKey({ ...a, input: { scale: 1, zeroPoint: 0 } })).toBe(tableKey(a));
    expect(tableKey(buildSymmetric("sigmoid", 0.00038))).not.toBe(tableKey(a));
    expect(tableKey(a)).toMatch(/^table_s16_[0-9a-f]{16}$/);
  });

  it("rejects a false symmetry claim, a symmetric table with an input zero point, and a bad budget", () => {
    const inQ = { scale: 0.001, zeroPoint: 0 };
    expect(() => buildTableS16(ACTIVATIONS.gelu, inQ, Q15_OUT, { symmetry: { centre: 0 } })).toThrow(
      /symmetric/,
    );
    expect(() =>
      buildTableS16(Math.tanh, { scale: 0.001, zeroPoint: 3 }, Q15_OUT, { symmetry: { centre: 0 } }),
    ).toThrow(/zero point/);
    expect(() => buildTableS16(Math.tanh, inQ, Q15_OUT, { maxEntries: 1000 })).toThrow(/maxEntries/);
  });
});
