/**
 * The integer reference (src/reference/integer.ts): quantizeInput reproduces the C's float32 steps (ties,
 * float32 rounding of the division, saturation, clamping of huge values, rejection of NaN and
 * infinities); runProgram, predictInteger and dequantizeOutput on a hand-made program computed by hand.
 */
import { describe, expect, it } from "vitest";
import type { QuantParams } from "../../src/core/quant.js";
import { UsageError } from "../../src/errors.js";
import { buildTableS8 } from "../../src/quant/lut.js";
import type { Precision, QModel } from "../../src/quant/schema.js";
import {
  dequantizeOutput,
  inputOf,
  predictInteger,
  quantizeInput,
  runProgram,
} from "../../src/reference/integer.js";

/** The codes of single-feature rows x under standardisation (mean, std) and input quantization. */
function codes(
  precision: Precision,
  input: QuantParams,
  xs: number[],
  norm: { mean: number; std: number } = { mean: 0, std: 1 },
): number[] {
  const model = { precision, inputs: { names: ["x"], mean: [norm.mean], std: [norm.std] }, input };
  const out = new Int32Array(1);
  return xs.map((x) => {
    quantizeInput(model, [x], out);
    return out[0];
  });
}

describe("quantizeInput", () => {
  it("rounds ties away from zero on both sides", () => {
    const half = { scale: 0.5, zeroPoint: 0 };
    expect(codes("int8", half, [0.25, -0.25, 0.75, -0.75, 1.25, -1.25, 0, -0])).toEqual([
      1, -1, 2, -2, 3, -3, 0, 0,
    ]);
    expect(codes("int16", half, [0.25, -0.25, 1.25, -1.25])).toEqual([1, -1, 3, -3]);
  });

  it("rounds the largest float32 below one half to 0, not to 1 (no float32 t + 0.5)", () => {
    const justBelow = Math.fround(0.49999997);
    expect(justBelow).toBeLessThan(0.5);
    expect(codes("int8", { scale: 1, zeroPoint: 0 }, [justBelow, -justBelow])).toEqual([0, 0]);
  });

  it("divides in float32: 0.25 / 0.1f is 2.4999999627 in double but 2.5f in float32, so it rounds to 3", () => {
    const scale = Math.fround(0.1);
    expect(Math.round(0.25 / scale)).toBe(2); // what double arithmetic would give
    expect(codes("int8", { scale, zeroPoint: 0 }, [0.25, -0.25])).toEqual([3, -3]);
  });

  it("standardises in float32 steps with the stored mean and std", () => {
    // z = (x - 1) / 4; t = z / 0.25 = x - 1
    const input = { scale: 0.25, zeroPoint: 0 };
    expect(codes("int8", input, [1, 3.5, -0.5, 1.5], { mean: 1, std: 4 })).toEqual([0, 3, -2, 1]);
    // (x - mean) rounds to float32 before the division: 1 + 2^-30 - 1 is 0 in float32
    expect(codes("int8", { scale: 2 ** -40, zeroPoint: 0 }, [1 + 2 ** -30], { mean: 1, std: 1 })).toEqual([
      0,
    ]);
  });

  it("adds the zero point after rounding and saturates to the code range", () => {
    const input = { scale: 0.5, zeroPoint: -10 };
    expect(codes("int8", input, [0.25, -0.25, 68.5, 68.75, -59, -59.25, 100, -100])).toEqual([
      -9, -11, 127, 127, -128, -128, 127, -128,
    ]);
    const s16 = { scale: 1 / 4096, zeroPoint: 0 };
    // t = x · 4096: ±32768 saturate; ±32766.5 round to ±32767; -32767.5 rounds to -32768, which fits
    const xs = [32768, -32768, 32766.5, -32766.5, -32767.5].map((t) => t / 4096);
    expect(codes("int16", s16, xs)).toEqual([32767, -32768, 32767, -32767, -32768]);
  });

  it("clamps huge values, even those whose difference from the mean overflows float32", () => {
    const input = { scale: 0.01, zeroPoint: 5 };
    expect(codes("int8", input, [1e30, -1e30, 3e38, -3e38], { mean: 0, std: 1 })).toEqual([
      127, -128, 127, -128,
    ]);
    // x - mean = ±6e38 is infinite in float32
    expect(codes("int8", input, [3e38], { mean: -3e38, std: 1 })).toEqual([127]);
    expect(codes("int8", input, [-3e38], { mean: 3e38, std: 1 })).toEqual([-128]);
    expect(codes("int8", input, [1], { mean: 0, std: 1e-30 })).toEqual([127]);
    expect(codes("int16", { scale: 1e-6, zeroPoint: 0 }, [1e30, -1e30])).toEqual([32767, -32768]);
  });

  it("rejects NaN and infinities (also a double beyond the float32 range), naming the input", () => {
    const model = {
      precision: "int8" as const,
      inputs: { names: ["a", "b"], mean: [0, 0], std: [1, 1] },
      input: { scale: 1, zeroPoint: 0 },
    };
    const out = new Int32Array(2);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e39]) {
      expect(() => quantizeInput(model, [0, bad], out)).toThrow(UsageError);
      expect(() => quantizeInput(model, [0, bad], out)).toThrow(`input 1: ${bad} is not a finite number`);
    }
  });
});

/**
 * A two-op int8 program: dense 2 → 1 (weights [2, -3], bias 5, real multiplier 0.5, output scale 0.25
 * zero point 10), then the table of x² (output scale 1/16, zero point -128); regression output
 * y · 10 + 100. Inputs standardised with mean [1, 2], std [2, 4], quantized with scale 0.5.
 */
function handProgram(): QModel {
  const denseOut = { scale: 0.25, zeroPoint: 10 };
  const tableOut = { scale: 1 / 16, zeroPoint: -128 };
  return {
    format: "nn2c-qmodel",
    version: 2,
    generator: "test",
    precision: "int8",
    sourceHash: "",
    task: "regression",
    inputs: { names: ["a", "b"], mean: [1, 2], std: [2, 4] },
    output: { label: "y", mean: 100, std: 10, kind: "values" },
    tensors: [
      { name: "input", shape: [2], scale: 0.5, zeroPoint: 0 },
      { name: "dense", shape: [1], ...denseOut },
      { name: "square", shape: [1], ...tableOut },
    ],
    ops: [
      {
        kind: "dense",
        name: "dense",
        inputs: ["input"],
        output: "dense",
        activation: "linear",
        units: 1,
        weights: [[2, -3]],
        weightScales: [0.25],
        bias: [5],
        accumulator: "s32",
        accumulatorBound: 5 + 128 * 5,
        mult: [2 ** 30],
        shift: [0],
        clampLo: -128,
        clampHi: 127,
      },
      {
        kind: "activation",
        name: "square",
        inputs: ["dense"],
        output: "square",
        activation: "square",
        table: 0,
      },
    ],
    outputs: ["square"],
    tables: [buildTableS8((x) => x * x, denseOut, tableOut)],
    calibration: { rows: 10, method: "minmax" },
    luts: [],
    layerErrors: [],
  };
}

describe("runProgram and predictInteger", () => {
  // x = [3, 6]:    z = [1, 1],     q = [2, 2]:   acc = 5 + 4 - 6 = 3 → 1.5 → 2 → code 12 (0.5) → 0.25 → code -124
  // x = [3, 10]:   z = [1, 2],     q = [2, 4]:   acc = -3 → -1.5 → -1 (the high multiply rounds ties up) → 9 (-0.25)
  //                                                → 0.0625 → code -127
  // x = [1000, 2]: z = [499.5, 0], q = [127, 0]: acc = 259 → 129.5 → 130 → saturated at 127 (29.25) → code 127
  const rows = [
    [3, 6],
    [3, 10],
    [1000, 2],
  ];

  it("runs every op and returns each op's output codes", () => {
    const q = handProgram();
    const qin = new Int32Array(2);
    const outs = rows.map((x) => {
      quantizeInput(inputOf(q), x, qin);
      const values = runProgram(q, qin);
      return ["dense", "square"].map((t) => Array.from(values.get(t)!));
    });
    expect(outs).toEqual([
      [[12], [-124]],
      [[9], [-127]],
      [[127], [127]],
    ]);
  });

  it("predicts codes and dequantized, de-standardised values row by row", () => {
    const p = predictInteger(handProgram(), Float32Array.from(rows.flat()), 3);
    expect(p.outputs).toBe(1);
    expect(Array.from(p.codes)).toEqual([-124, -127, 127]);
    // (code + 128) / 16 · 10 + 100
    expect(Array.from(p.values)).toEqual([102.5, 100.625, 259.375]);
  });

  it("rejects a row with a NaN feature", () => {
    expect(() => predictInteger(handProgram(), Float32Array.from([3, 6, Number.NaN, 1]), 2)).toThrow(
      "input 0: NaN is not a finite number",
    );
  });
});

describe("dequantizeOutput", () => {
  it("gives (code - zero point) · scale for probabilities", () => {
    const q = {
      ...handProgram(),
      output: { label: "y", classes: ["a", "b", "c"], kind: "probabilities" as const },
    };
    q.tensors[2] = { ...q.tensors[2], scale: 1 / 256, zeroPoint: -128 };
    expect(Array.from(dequantizeOutput(q, [-128, 0, 127]))).toEqual([0, 0.5, 255 / 256]);
  });

  it("computes in float32 steps: (float)(q - zp) · scale, then · std + mean", () => {
    const q = handProgram();
    q.tensors[2] = { ...q.tensors[2], scale: 0.1, zeroPoint: 0 };
    q.output = { label: "y", mean: 0.2, std: 3, kind: "values" };
    const f = Math.fround;
    // 11 · 0.1f, · 3, + 0.2f, each rounded to float32, is 3.5000002; double arithmetic gives 3.5
    expect(dequantizeOutput(q, [11])[0]).toBe(f(f(f(11 * f(0.1)) * 3) + f(0.2)));
    expect(dequantizeOutput(q, [11])[0]).toBe(3.500000238418579);
    expect(f(11 * 0.1 * 3 + 0.2)).toBe(3.5);
  });
});
