/**
 * Dense layers in integers (src/ops/dense/quant.ts). runDense against a BigInt evaluation of the op's
 * definition, by hand and on random ops (int8 and int16 codes, s32 and s64 accumulators, leaky relu,
 * extreme inputs); quantizeDense's choices (s64 wherever int32 could overflow, a proved accumulator
 * bound, fused clamps, multipliers) and its failure case; quantizeRow's error-compensating rounding and
 * the bias correction.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CODE_RANGE, type Precision, type QuantParams } from "../../src/core/quant.js";
import { UsageError } from "../../src/errors.js";
import type { DenseConfig } from "../../src/ops/dense/index.js";
import {
  type DenseQOp,
  inputMoments,
  quantizeDense,
  quantizeRow,
  runDense,
} from "../../src/ops/dense/quant.js";
import type { FloatOp, QuantizeContext } from "../../src/ops/registry.js";
import { INT32_MAX, INT32_MIN, quantizeMultiplier } from "../../src/quant/fixedpoint.js";
import { Rng } from "../../src/rng.js";

const big = BigInt;
const I32_MAX = big(INT32_MAX);
const I32_MIN = big(INT32_MIN);
const PRECISIONS: Precision[] = ["int8", "int16"];

/** x / 2^n rounded to nearest, ties away from zero. */
function roundShift(x: bigint, n: number): bigint {
  if (n === 0) return x;
  const magnitude = x < 0n ? -x : x;
  const r = (magnitude + (1n << big(n - 1))) >> big(n);
  return x < 0n ? -r : r;
}

/** A dense op with its input count and the quantizations of its input and output tensors. */
type TestOp = DenseQOp & { inputCount: number; inQuant: QuantParams; outQuant: QuantParams };

/**
 * The op's definition in BigInt, written from the comment of src/ops/dense/quant.ts and the two
 * requantizations it names. s32 (TFLite): `x = acc·2^left`, the high multiply `trunc((x·mult + nudge)
 * / 2^31)` with nudge 2^30, or 1 - 2^30 below zero, then a right shift rounding half away from zero.
 * s64 (16x8): one rounding, half away from zero, of `acc·mult / 2^(16 - shift)`, saturated to int32.
 * Then the output zero point and the clamp.
 */
function denseRef(op: TestOp, q: readonly number[]): number[] {
  return op.weights.map((w, o) => {
    let acc = big(op.bias[o]);
    for (let i = 0; i < op.inputCount; i++) acc += big(q[i]) * big(w[i]);
    const neg = acc < 0n && op.negMult !== undefined;
    const mult = big(neg ? op.negMult![o] : op.mult[o]);
    const shift = neg ? op.negShift![o] : op.shift[o];
    let r: bigint;
    if (op.accumulator === "s32") {
      const x = acc << big(Math.max(shift, 0));
      if (x < I32_MIN || x > I32_MAX) throw new Error(`unit ${o}: acc ${acc} << ${shift} overflows int32`);
      const ab = x * mult;
      const high = (ab + (ab >= 0n ? 1n << 30n : 1n - (1n << 30n))) / (1n << 31n);
      r = roundShift(high, Math.max(-shift, 0));
    } else {
      if ((acc < 0n ? -acc : acc) >= 1n << 47n) throw new Error(`unit ${o}: |acc| ${acc} is not below 2^47`);
      r = roundShift(acc * mult, 16 - shift);
      r = r > I32_MAX ? I32_MAX : r < I32_MIN ? I32_MIN : r;
    }
    const out = r + big(op.outQuant.zeroPoint);
    return Number(out < big(op.clampLo) ? big(op.clampLo) : out > big(op.clampHi) ? big(op.clampHi) : out);
  });
}

function run(op: TestOp, q: readonly number[]): number[] {
  const out = new Int32Array(op.units);
  runDense(op, q, out, op.outQuant.zeroPoint);
  return Array.from(out);
}

/** Exact accumulators of an op on one input (BigInt), and the sign-matched extreme inputs of a unit. */
function accumulators(op: TestOp, q: readonly number[]): bigint[] {
  return op.weights.map((w, o) => w.reduce((acc, wi, i) => acc + big(q[i]) * big(wi), big(op.bias[o])));
}

function extremeInputs(op: TestOp, precision: Precision): number[][] {
  const { lo, hi } = CODE_RANGE[precision];
  const n = op.inputCount;
  const inputs: number[][] = [Array(n).fill(lo), Array(n).fill(hi), Array(n).fill(0)];
  for (const w of op.weights) {
    inputs.push(w.map((v) => (v >= 0 ? hi : lo)));
    inputs.push(w.map((v) => (v >= 0 ? lo : hi)));
  }
  return inputs;
}

/** A dense op with every field the schema needs; the integer fields are what the test is about. */
function op(fields: Partial<TestOp> & Pick<TestOp, "weights" | "bias" | "mult" | "shift">): TestOp {
  return {
    kind: "dense",
    name: "dense",
    inputs: ["input"],
    output: "dense",
    activation: "linear",
    inputCount: fields.weights[0].length,
    units: fields.weights.length,
    inQuant: { scale: 1, zeroPoint: 0 },
    outQuant: { scale: 1, zeroPoint: 0 },
    weightScales: fields.weights.map(() => 1),
    accumulator: "s32",
    accumulatorBound: 0,
    clampLo: -128,
    clampHi: 127,
    ...fields,
  };
}

/** Random ops of one precision whose multipliers and shifts meet the requantizations' preconditions. */
function randomOp(precision: Precision): fc.Arbitrary<{ op: TestOp; codes: number[] }> {
  const { lo, hi } = CODE_RANGE[precision];
  const maxAbsCode = -lo;
  return fc
    .record({
      inputs: fc.integer({ min: 1, max: 12 }),
      units: fc.integer({ min: 1, max: 4 }),
      s64: fc.boolean(),
      leaky: fc.boolean(),
    })
    .chain(({ inputs, units, s64, leaky }) => {
      const perUnit = <T>(a: fc.Arbitrary<T>) => fc.array(a, { minLength: units, maxLength: units });
      const weight = fc.oneof(fc.integer({ min: -127, max: 127 }), fc.constantFrom(-127, 127));
      const code = fc.oneof(fc.integer({ min: lo, max: hi }), fc.constantFrom(lo, hi));
      const biasMax = s64 ? 2 ** 40 : 2 ** 24;
      const mult = s64
        ? fc.oneof(fc.integer({ min: 2 ** 15, max: 2 ** 16 - 1 }), fc.constant(0))
        : fc.oneof(fc.integer({ min: 2 ** 30, max: INT32_MAX }), fc.constant(0));
      const shift = s64 ? fc.integer({ min: -47, max: 15 }) : fc.integer({ min: -31, max: 30 });
      return fc.record({
        weights: perUnit(fc.array(weight, { minLength: inputs, maxLength: inputs })),
        bias: perUnit(fc.integer({ min: -biasMax, max: biasMax })),
        mult: perUnit(mult),
        shift: perUnit(shift),
        negMult: perUnit(mult),
        negShift: perUnit(shift),
        zeroPoint: fc.integer({ min: lo, max: hi }),
        clamp: fc.tuple(code, code).map(([a, b]) => [Math.min(a, b), Math.max(a, b)]),
        codes: fc.array(code, { minLength: inputs, maxLength: inputs }),
        accumulator: fc.constant<"s32" | "s64">(s64 ? "s64" : "s32"),
        leaky: fc.constant(leaky),
      });
    })
    .map((r) => {
      const bounds = r.weights.map(
        (w, o) => Math.abs(r.bias[o]) + maxAbsCode * w.reduce((s, v) => s + Math.abs(v), 0),
      );
      // s32: the left shift of the accumulator must fit int32, as quantizeDense guarantees
      const capShift = (shift: number, o: number) =>
        r.accumulator === "s64"
          ? shift
          : Math.min(shift, Math.floor(Math.log2(INT32_MAX / Math.max(bounds[o], 1))));
      const dense = op({
        weights: r.weights,
        bias: r.bias,
        accumulator: r.accumulator,
        accumulatorBound: Math.max(...bounds),
        mult: r.mult,
        shift: r.shift.map(capShift),
        outQuant: { scale: 1, zeroPoint: r.zeroPoint },
        clampLo: r.clamp[0],
        clampHi: r.clamp[1],
        ...(r.leaky ? { negMult: r.negMult, negShift: r.negShift.map(capShift) } : {}),
      });
      return { op: dense, codes: r.codes };
    });
}

describe("runDense", () => {
  it("matches a hand computation (s32): ties of the high multiply round up, the final shift away from zero", () => {
    // acc = 3 + q0 - 2 q1; real multiplier 0.5 (2^30 · 2^-31); output zero point -5
    const half = op({
      weights: [[1, -2]],
      bias: [3],
      mult: [2 ** 30],
      shift: [0],
      outQuant: { scale: 1, zeroPoint: -5 },
    });
    expect(run(half, [10, 4])).toEqual([-2]); // acc 5 → 2.5 → 3
    expect(run(half, [-10, 4])).toEqual([-12]); // acc -15 → -7.5 → -7 (SaturatingRoundingDoublingHighMul)
    expect(run(half, [127, -128])).toEqual([127]); // acc 386 → 193, saturated by the clamp
    // leaky relu: negative accumulators use 0.125 (2^30 · 2^(-2-31)): -15 → -7 in the high multiply → -1.75 → -2
    const leaky = { ...half, negMult: [2 ** 30], negShift: [-2] };
    expect(run(leaky, [-10, 4])).toEqual([-7]);
    expect(run(leaky, [10, 4])).toEqual([-2]); // positive accumulators keep mult/shift
  });

  it("matches a hand computation (s64): one rounding, ties away from zero, saturated", () => {
    // real multiplier 0.5 (2^15 · 2^-16), int16 codes
    const half = op({
      weights: [[127]],
      bias: [0],
      mult: [2 ** 15],
      shift: [0],
      accumulator: "s64",
      clampLo: -32768,
      clampHi: 32767,
    });
    expect(run(half, [3])).toEqual([191]); // 381 → 190.5 → 191
    expect(run(half, [-3])).toEqual([-191]); // -381 → -190.5 → -191
    expect(run(half, [-32768])).toEqual([-32768]); // -2080768 saturates at the clamp
    const clamped = { ...half, outQuant: { scale: 1, zeroPoint: 100 }, clampLo: 0, clampHi: 1000 };
    expect(run(clamped, [-3, 0])).toEqual([0]); // clamp in output codes, zero point included
    expect(run(clamped, [3])).toEqual([291]);
  });

  for (const precision of PRECISIONS) {
    it(`equals the BigInt definition on random ${precision} ops (s32, s64, leaky relu, extreme codes)`, () => {
      fc.assert(
        fc.property(randomOp(precision), ({ op, codes }) => {
          expect(run(op, codes)).toEqual(denseRef(op, codes));
        }),
        { numRuns: 3000 },
      );
    });
  }
});

/** A float dense layer: weights [units][inputs], biases, the activation fused into it. */
interface Source {
  weights: number[][];
  bias: number[];
  activation: string;
  alpha: number;
  /** calibration rows: the float inputs and the integer program's codes of them */
  calibration?: { xf: Float32Array; codes: Int32Array; rows: number };
}

const src = (weights: number[][], bias: number[], fields: Partial<Source> = {}): Source => ({
  activation: "linear",
  alpha: 0,
  weights,
  bias,
  ...fields,
});

/** quantizeDense on a float op made of `s`, with the given input and output quantizations. */
function quantize(
  s: Source,
  input: QuantParams,
  output: QuantParams,
  precision: Precision,
  where: string,
): TestOp {
  const I = s.weights[0].length;
  const O = s.weights.length;
  const f: FloatOp<DenseConfig> = {
    kind: "dense",
    name: "dense",
    inputs: ["input"],
    output: "dense",
    inputShapes: [[I]],
    outputShape: [O],
    config: { units: O, activation: s.activation },
    weights: { kernel: Float64Array.from(s.weights.flat()), bias: Float64Array.from(s.bias) },
    activation: { name: s.activation, alpha: s.alpha },
  };
  const cal = s.calibration;
  const ctx: QuantizeContext = {
    precision,
    where,
    input: () => input,
    calibratedOutput: () => output,
    rows: cal?.rows ?? 0,
    floatInput: () => cal!.xf,
    codes: () => cal!.codes,
    optimizeRounding: cal !== undefined,
    addTable: () => 0,
  };
  return { ...quantizeDense(f, ctx).op, inputCount: I, inQuant: input, outQuant: output };
}

/** The real multiplier of unit o: input scale · weight scale / output scale. */
const realOf = (op: TestOp, o: number) => (op.inQuant.scale * op.weightScales[o]) / op.outQuant.scale;

describe("quantizeDense", () => {
  it("chooses s64 for an int16 layer whose worst-case accumulator exceeds int32, s32 for the same int8 layer", () => {
    const wide = src([Array(600).fill(0.5), Array(600).fill(-0.25)], [1, -1]);
    const input: QuantParams = { scale: 1e-3, zeroPoint: 0 };
    const output: QuantParams = { scale: 10, zeroPoint: 0 };
    const s16 = quantize(wide, input, output, "int16", "wide");
    expect(s16.accumulator).toBe("s64");
    expect(s16.accumulatorBound).toBeGreaterThan(INT32_MAX);
    expect(s16.accumulatorBound).toBe(Math.max(...s16.bias.map(Math.abs)) + 32768 * 127 * 600);
    for (let o = 0; o < 2; o++) {
      expect(s16.mult[o]).toBeGreaterThanOrEqual(2 ** 15);
      expect(s16.mult[o]).toBeLessThan(2 ** 16);
      expect(s16.shift[o]).toBeGreaterThanOrEqual(-47);
      expect(s16.shift[o]).toBeLessThanOrEqual(15);
    }
    // the extreme accumulators requantize to within half a code of acc · real (plus the 16-bit multiplier's error)
    for (const q of extremeInputs(s16, "int16")) {
      const out = run(s16, q);
      expect(out).toEqual(denseRef(s16, q));
      accumulators(s16, q).forEach((acc, o) => {
        const ideal = Number(acc) * realOf(s16, o);
        expect(Math.abs(out[o] - ideal)).toBeLessThanOrEqual(0.5 + Math.abs(ideal) * 2 ** -15);
      });
    }
    const s8 = quantize(wide, input, output, "int8", "wide");
    expect(s8.accumulator).toBe("s32");
    expect(s8.accumulatorBound).toBeLessThanOrEqual(INT32_MAX);
    for (const q of extremeInputs(s8, "int8")) expect(run(s8, q)).toEqual(denseRef(s8, q));
  });

  it("chooses s64 when the accumulator fits int32 but the multiplier's left shift would overflow it", () => {
    const layer = src([Array(16).fill(1)], [0]);
    const input: QuantParams = { scale: 1, zeroPoint: 0 };
    // real 8192 / 127 ≈ 64.5: shift 7, and 32768 · 127 · 16 · 2^7 > 2^31
    const shifted = quantize(layer, input, { scale: 1 / 8192, zeroPoint: 0 }, "int16", "shifted");
    expect(shifted.accumulatorBound).toBeLessThanOrEqual(INT32_MAX);
    expect(quantizeMultiplier(realOf(shifted, 0)).shift).toBe(7);
    expect(shifted.accumulator).toBe("s64");
    for (const q of extremeInputs(shifted, "int16")) expect(run(shifted, q)).toEqual(denseRef(shifted, q));
    // real 64 / 127 ≈ 0.5: no left shift, int32 suffices
    const plain = quantize(layer, input, { scale: 1 / 64, zeroPoint: 0 }, "int16", "plain");
    expect(plain.accumulator).toBe("s32");
    for (const q of extremeInputs(plain, "int16")) expect(run(plain, q)).toEqual(denseRef(plain, q));
  });

  it("proves an upper bound of |acc| over random and extreme inputs, loose by at most one code per weight", () => {
    const grid = (n: number, d: number) => fc.integer({ min: -n, max: n }).map((v) => v / d);
    const layerArb = fc
      .record({ inputs: fc.integer({ min: 1, max: 16 }), units: fc.integer({ min: 1, max: 4 }) })
      .chain(({ inputs, units }) =>
        fc.record({
          precision: fc.constantFrom<Precision>("int8", "int16"),
          weights: fc.array(fc.array(grid(1000, 250), { minLength: inputs, maxLength: inputs }), {
            minLength: units,
            maxLength: units,
          }),
          bias: fc.array(grid(1000, 100), { minLength: units, maxLength: units }),
          inScale: fc.double({ min: 1e-4, max: 1, noNaN: true }),
          zeroPoint: fc.integer({ min: -128, max: 127 }),
          outScale: fc.double({ min: 1e-3, max: 10, noNaN: true }),
          seed: fc.integer(),
        }),
      );
    fc.assert(
      fc.property(layerArb, (l) => {
        const input = { scale: l.inScale, zeroPoint: l.precision === "int8" ? l.zeroPoint : 0 };
        let op: TestOp;
        try {
          op = quantize(src(l.weights, l.bias), input, { scale: l.outScale, zeroPoint: 0 }, l.precision, "l");
        } catch (e) {
          // int8 has no 64-bit accumulators: a bias that needs one is refused (tested below)
          expect(e).toBeInstanceOf(UsageError);
          expect(l.precision).toBe("int8");
          fc.pre(false);
          return;
        }
        const { lo, hi } = CODE_RANGE[l.precision];
        const rng = new Rng(l.seed);
        const randomInputs = Array.from({ length: 8 }, () =>
          Array.from({ length: op.inputCount }, () => lo + rng.int(hi - lo + 1)),
        );
        let reached = 0n;
        for (const q of [...extremeInputs(op, l.precision), ...randomInputs]) {
          for (const acc of accumulators(op, q)) {
            const magnitude = acc < 0n ? -acc : acc;
            expect(magnitude <= big(op.accumulatorBound)).toBe(true);
            if (magnitude > reached) reached = magnitude;
          }
          expect(run(op, q)).toEqual(denseRef(op, q));
        }
        const slack = Math.max(...op.weights.map((w) => w.reduce((s, v) => s + Math.abs(v), 0)));
        expect(op.accumulatorBound - Number(reached)).toBeLessThanOrEqual(slack);
      }),
      { numRuns: 300 },
    );
  });

  const layer = src(
    [
      [0.5, -0.25],
      [1, 0.75],
    ],
    [0.1, -0.2],
  );
  const input: QuantParams = { scale: 0.02, zeroPoint: 5 };
  const relu = { activation: "relu" };
  const relu6 = { activation: "relu6" };

  it("fuses relu as a lower clamp at the output zero point", () => {
    const s8 = quantize({ ...layer, ...relu }, input, { scale: 0.02, zeroPoint: -128 }, "int8", "r");
    expect([s8.clampLo, s8.clampHi]).toEqual([-128, 127]);
    const shifted = quantize({ ...layer, ...relu }, input, { scale: 0.02, zeroPoint: -100 }, "int8", "r");
    expect([shifted.clampLo, shifted.clampHi]).toEqual([-100, 127]);
    const s16 = quantize({ ...layer, ...relu }, input, { scale: 1e-4, zeroPoint: 0 }, "int16", "r");
    expect([s16.clampLo, s16.clampHi]).toEqual([0, 32767]);
    expect(s16.negMult).toBeUndefined();
  });

  it("fuses relu6 as an upper clamp at the code of 6, when 6 is inside the output range", () => {
    const s8 = quantize({ ...layer, ...relu6 }, input, { scale: 0.03, zeroPoint: -128 }, "int8", "r6");
    expect([s8.clampLo, s8.clampHi]).toEqual([-128, -128 + 200]);
    const s16 = quantize({ ...layer, ...relu6 }, input, { scale: 24 / 32767, zeroPoint: 0 }, "int16", "r6");
    expect([s16.clampLo, s16.clampHi]).toEqual([0, 8192]); // 6 · 32767 / 24 = 8191.75
    const beyond = quantize({ ...layer, ...relu6 }, input, { scale: 0.02, zeroPoint: -128 }, "int8", "r6");
    expect(beyond.clampHi).toBe(127); // 6 is code 172: saturation is the clamp
  });

  it("gives linear the full code range and leaky relu a second multiplier of alpha times the first", () => {
    const output = { scale: 0.01, zeroPoint: 3 };
    const linear = quantize(layer, input, output, "int8", "lin");
    expect([linear.clampLo, linear.clampHi, linear.negMult]).toEqual([-128, 127, undefined]);
    const leaky = quantize(
      { ...layer, activation: "leaky_relu", alpha: 0.1 },
      input,
      output,
      "int8",
      "leaky",
    );
    expect([leaky.clampLo, leaky.clampHi]).toEqual([-128, 127]);
    for (let o = 0; o < 2; o++) {
      const pos = quantizeMultiplier(realOf(leaky, o));
      const neg = quantizeMultiplier(realOf(leaky, o) * 0.1);
      expect([leaky.mult[o], leaky.shift[o]]).toEqual([pos.mult, pos.shift]);
      expect([leaky.negMult![o], leaky.negShift![o]]).toEqual([neg.mult, neg.shift]);
      expect(leaky.mult[o] * 2 ** (leaky.shift[o] - 31)).toBeCloseTo(realOf(leaky, o), 9);
    }
  });

  it("refuses an int8 layer whose accumulator needs more than int32, pointing to int16", () => {
    const big = src([[1e-3, -1e-3]], [5]);
    expect(() =>
      quantize(big, { scale: 1e-4, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 }, "int8", "layer 'd'"),
    ).toThrow(
      /^layer 'd': an accumulator could reach .* beyond int32, and int8 programs have no 64-bit accumulators: quantize to int16$/,
    );
    expect(
      quantize(big, { scale: 1e-4, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 }, "int16", "d").accumulator,
    ).toBe("s64");
  });

  it("rejects a bias far larger than the weights, naming the layer and the unit", () => {
    const huge = src([[1e-6, 2e-6]], [1e9]);
    expect(() =>
      quantize(huge, { scale: 1e-3, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 }, "int16", "layers[4]"),
    ).toThrow(UsageError);
    expect(() =>
      quantize(huge, { scale: 1e-3, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 }, "int16", "layers[4]"),
    ).toThrow(/^layers\[4\]: unit 0 could reach an accumulator of .*beyond what 64-bit requantization takes/);
  });
});

/** Calibration-like rows: float inputs xf, and the dequantized inputs xq an integer program gives. */
function calibrationRows(seed: number, rows: number, width: number, input: QuantParams, codeOffset: number) {
  const rng = new Rng(seed);
  const xf = Float32Array.from({ length: rows * width }, () => 1.5 * rng.normal());
  const codes = Int32Array.from(xf, (v) =>
    Math.max(-128, Math.min(127, Math.round(v / input.scale) + input.zeroPoint + codeOffset)),
  );
  const xq = Float64Array.from(codes, (c) => input.scale * (c - input.zeroPoint));
  return { xf, xq, codes };
}

/** Mean squared output error of one channel on the rows: E[(xf·w - xq·(sw·wq))^2]. */
function outputError(
  xf: Float32Array,
  xq: Float64Array,
  width: number,
  w: readonly number[],
  sw: number,
  wq: readonly number[],
) {
  let sum = 0;
  const rows = xf.length / width;
  for (let r = 0; r < rows; r++) {
    let e = 0;
    for (let i = 0; i < width; i++) e += xf[r * width + i] * w[i] - xq[r * width + i] * sw * wq[i];
    sum += e * e;
  }
  return sum / rows;
}

describe("quantizeRow", () => {
  it("without statistics: scale max|w| / 127, rounding to nearest with ties away from zero", () => {
    expect(quantizeRow([0.5, -1, 0.25, 0.004], null)).toEqual({ sw: 1 / 127, wq: [64, -127, 32, 1] });
    expect(quantizeRow([-0.5, 1], null)).toEqual({ sw: 1 / 127, wq: [-64, 127] }); // -63.5 → -64
    expect(quantizeRow([0, 0, 0], null)).toEqual({ sw: 1, wq: [0, 0, 0] });
  });

  it("with statistics: never a larger output error on the calibration rows than rounding to nearest", () => {
    const input = { scale: 0.04, zeroPoint: -7 };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer(),
        fc.constantFrom(-1, 0, 1),
        (width, seed, offset) => {
          const { xf, xq } = calibrationRows(seed, 40, width, input, offset);
          const rng = new Rng(seed ^ 0x5bd1e995);
          const w = Array.from({ length: width }, () => Math.fround(rng.uniform(-1, 1)));
          const stats = inputMoments(xf, xq, width, 40);
          const { sw, wq } = quantizeRow(w, stats);
          const nearest = quantizeRow(w, null);
          expect(wq.every((v) => Number.isInteger(v) && Math.abs(v) <= 127)).toBe(true);
          expect(sw).toBeLessThanOrEqual(nearest.sw);
          expect(sw).toBeGreaterThanOrEqual(0.8 * nearest.sw);
          const err = outputError(xf, xq, width, w, sw, wq);
          const baseline = outputError(xf, xq, width, w, nearest.sw, nearest.wq);
          expect(err).toBeLessThanOrEqual(baseline * (1 + 1e-9) + 1e-15);
          expect(quantizeRow(w, stats)).toEqual({ sw, wq }); // deterministic
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("quantizeDense bias correction", () => {
  it("leaves a mean output error on the calibration rows within half a bias step, where plain rounding does not", () => {
    const width = 6;
    const rows = 200;
    const input = { scale: 0.05, zeroPoint: 3 };
    // one code too high everywhere: the mean shift an earlier layer's rounding leaves
    const { xf, codes } = calibrationRows(11, rows, width, input, 1);
    const rng = new Rng(12);
    const weights = Array.from({ length: 3 }, () => Array.from({ length: width }, () => rng.uniform(-1, 1)));
    const bias = [0.3, -0.1, 0.05];
    const layer = src(weights, bias);
    const output = { scale: 0.05, zeroPoint: 0 };
    const corrected = quantize({ ...layer, calibration: { xf, codes, rows } }, input, output, "int8", "c");
    const plain = quantize(layer, input, output, "int8", "p");
    const meanResidual = (op: TestOp, o: number) => {
      let sum = 0;
      for (let r = 0; r < rows; r++) {
        let real = bias[o];
        let acc = op.bias[o];
        for (let i = 0; i < width; i++) {
          real += xf[r * width + i] * weights[o][i];
          acc += codes[r * width + i] * op.weights[o][i];
        }
        sum += real - input.scale * op.weightScales[o] * acc;
      }
      return sum / rows;
    };
    let plainTotal = 0;
    let correctedTotal = 0;
    for (let o = 0; o < 3; o++) {
      const step = input.scale * corrected.weightScales[o];
      expect(Math.abs(meanResidual(corrected, o))).toBeLessThanOrEqual(0.5 * step * (1 + 1e-9));
      correctedTotal += Math.abs(meanResidual(corrected, o));
      plainTotal += Math.abs(meanResidual(plain, o));
    }
    expect(correctedTotal).toBeLessThan(plainTotal / 10);
  });
});
