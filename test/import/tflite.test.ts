/**
 * The TensorFlow Lite reader on MLPerf Tiny's int8 reference models (test/fixtures/mlperf-tiny): every
 * operator, its tensors' shapes, and the input and output quantization as TensorFlow Lite Micro
 * reported them; and the refusals of files that are not, or no longer, TensorFlow Lite models.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tfliteFloatModel } from "../../src/import/tflite/float.js";
import { TFLITE_OPERATORS, tfliteProgram } from "../../src/import/tflite/program.js";
import { readTflite, type TfliteModel } from "../../src/import/tflite/read.js";
import { predictModel } from "../../src/model/predict.js";
import { INPUT_TENSOR } from "../../src/quant/schema.js";
import { runProgram } from "../../src/reference/integer.js";
import { verifyModel } from "../../src/verify/verify.js";
import { ROOT } from "../cli/run.js";
import { requireTools } from "../toolchain/available.js";
import { usageError } from "../usage.js";

const FIXTURES = join(ROOT, "test/fixtures/mlperf-tiny");

interface Golden {
  input: { shape: number[]; type: string; scale: number; zero_point: number };
  output: { shape: number[]; type: string; scale: number; zero_point: number };
  op_counts: Record<string, number>;
  operators: { index: number; op: string; inputs: number[][]; outputs: number[][] }[];
}

const MODELS = ["ad01_int8", "kws_ref_model", "vww_96_int8"];

describe.each(MODELS)("readTflite(%s.tflite)", (name) => {
  const golden = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), "utf8")) as Golden;
  const file = join(FIXTURES, `${name}.tflite`);
  const m = readTflite(readFileSync(file), file);

  it("reads every operator with its input and output shapes, as TensorFlow Lite Micro did", () => {
    const shapes = (ids: number[]) => ids.filter((i) => i >= 0).map((i) => m.tensors[i].shape);
    expect(
      m.operators.map((op) => ({
        index: op.index,
        op: op.op,
        inputs: shapes(op.inputs),
        outputs: shapes(op.outputs),
      })),
    ).toEqual(golden.operators.map(({ index, op, inputs, outputs }) => ({ index, op, inputs, outputs })));
    const counts: Record<string, number> = {};
    for (const op of m.operators) counts[op.op] = (counts[op.op] ?? 0) + 1;
    expect(counts).toEqual(golden.op_counts);
  });

  it("reads the input and output tensors' types and quantization", () => {
    for (const [ids, want] of [
      [m.inputs, golden.input],
      [m.outputs, golden.output],
    ] as const) {
      expect(ids).toHaveLength(1);
      const t = m.tensors[ids[0]];
      expect(t.shape).toEqual(want.shape);
      expect(t.type).toBe(want.type);
      expect(t.data).toBeNull();
      expect(t.quantization!.scale[0]).toBeCloseTo(want.scale, 8);
      expect(t.quantization!.zeroPoint).toEqual([want.zero_point]);
    }
  });

  it("reads constant weights whose sizes are their shapes, and per-channel scales for convolutions", () => {
    for (const op of m.operators) {
      const weights = m.tensors[op.inputs[1]];
      if (!["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"].includes(op.op)) continue;
      expect(weights.type).toBe("int8");
      expect(weights.data!.length).toBe(weights.shape.reduce((a, b) => a * b, 1));
      const channels = op.op === "DEPTHWISE_CONV_2D" ? weights.shape[3] : weights.shape[0];
      expect([1, channels]).toContain(weights.quantization!.scale.length);
      const bias = m.tensors[op.inputs[2]];
      expect(bias.type).toBe("int32");
      expect(bias.data!.length).toBe(4 * bias.shape[0]);
    }
  });
});

describe("readTflite's options", () => {
  it("reads the keyword spotter's convolution, pooling and softmax options", () => {
    const file = join(FIXTURES, "kws_ref_model.tflite");
    const m = readTflite(readFileSync(file), file);
    const [conv, depthwise] = m.operators;
    expect(conv.options).toEqual({
      kind: "conv",
      padding: "same",
      strides: [2, 2],
      dilation: [1, 1],
      activation: "RELU",
    });
    expect(depthwise.options).toMatchObject({ kind: "conv", depthMultiplier: 1, activation: "RELU" });
    const pool = m.operators.find((o) => o.op === "AVERAGE_POOL_2D")!;
    expect(pool.options).toMatchObject({ kind: "pool", padding: "valid", filter: [25, 5] });
    expect(m.operators.at(-1)!.options).toEqual({ kind: "softmax", beta: 1 });
    expect(m.operatorCodes.map((c) => c.op)).toEqual([
      "CONV_2D",
      "DEPTHWISE_CONV_2D",
      "AVERAGE_POOL_2D",
      "RESHAPE",
      "FULLY_CONNECTED",
      "SOFTMAX",
    ]);
  });
});

describe("readTflite refuses, in one line naming the file", () => {
  const file = join(FIXTURES, "ad01_int8.tflite");
  const bytes = readFileSync(file);

  it("a file that is not a TensorFlow Lite model", () => {
    expect(usageError(() => readTflite(new TextEncoder().encode("a,b\n1,2\n"), "x.tflite"))).toBe(
      'x.tflite: not a TensorFlow Lite model: expected the FlatBuffer identifier "TFL3" at bytes 4 to 7',
    );
  });

  it("a truncated file, at any length", () => {
    for (const n of [8, 64, 1000, bytes.length >> 1, bytes.length - 100]) {
      const message = usageError(() => readTflite(bytes.subarray(0, n), "cut.tflite"));
      expect(message).toMatch(
        /^cut\.tflite: a truncated or corrupt TensorFlow Lite file: .* lies outside the file/,
      );
      expect(message.split("\n")).toHaveLength(1);
    }
  });

  it("a corrupt offset", () => {
    const bad = Uint8Array.from(bytes);
    new DataView(bad.buffer).setUint32(0, 0x7fffffff, true);
    expect(usageError(() => readTflite(bad, "bad.tflite"))).toMatch(
      /^bad\.tflite: a truncated or corrupt TensorFlow Lite file: the model at byte \d+ lies outside the file/,
    );
  });
});

const host = await requireTools("the imported models' C on the host", ["gcc"]);

/** Inserts an operator (no options) at position `at` of m's operators, and renumbers them. */
function insertOperator(m: TfliteModel, at: number, op: string, inputs: number[], outputs: number[]): void {
  m.operators.splice(at, 0, { index: at, op, version: 1, inputs, outputs, options: { kind: "none" } });
  m.operators.forEach((o, k) => {
    o.index = k;
  });
}

/** The input and output codes of a model's golden vectors. */
function goldens(name: string): { inputs: Int8Array; outputs: Int8Array; count: number } {
  const inputs = new Int8Array(readFileSync(join(FIXTURES, `${name}.inputs.bin`)));
  const outputs = new Int8Array(readFileSync(join(FIXTURES, `${name}.outputs.bin`)));
  return { inputs, outputs, count: 20 };
}

describe.each([
  { name: "ad01_int8", ops: { dense: 10 } },
  {
    name: "kws_ref_model",
    ops: { conv2d: 5, depthwise_conv2d: 4, average_pooling2d: 1, dense: 1, activation: 1 },
  },
  {
    name: "vww_96_int8",
    ops: { conv2d: 14, depthwise_conv2d: 13, average_pooling2d: 1, dense: 1, activation: 1 },
  },
])("the int8 TensorFlow Lite model $name as an integer program", ({ name, ops }) => {
  const file = join(FIXTURES, `${name}.tflite`);
  const m = readTflite(readFileSync(file), file);
  const q = tfliteProgram(m, file, "sha");

  it("keeps TensorFlow Lite's quantization and operators (RESHAPE becomes no op)", () => {
    const counts: Record<string, number> = {};
    for (const op of q.ops) counts[op.kind] = (counts[op.kind] ?? 0) + 1;
    expect(counts).toEqual(ops);
    const input = m.tensors[m.inputs[0]];
    expect(q.tensors[0]).toEqual({
      name: INPUT_TENSOR,
      shape: input.shape.slice(1),
      scale: input.quantization!.scale[0],
      zeroPoint: input.quantization!.zeroPoint[0],
    });
    expect(q.source).toEqual({ format: "tflite", operators: m.operatorCodes });
  });

  it("computes TensorFlow Lite Micro's output codes for every golden input, bit for bit", () => {
    const { inputs, outputs, count } = goldens(name);
    const n = inputs.length / count;
    const k = outputs.length / count;
    let mismatches = 0;
    let distinct = new Set<number>();
    for (let v = 0; v < count; v++) {
      const got = runProgram(q, Int32Array.from(inputs.subarray(v * n, (v + 1) * n))).get(q.outputs[0])!;
      expect(got).toHaveLength(k);
      const want = outputs.subarray(v * k, (v + 1) * k);
      for (let i = 0; i < k; i++) if (got[i] !== want[i]) mismatches++;
      distinct = new Set([...distinct, ...got]);
    }
    expect(mismatches).toBe(0);
    // outputs that vary: the goldens exercise more than saturation
    expect(distinct.size).toBeGreaterThan(5);
  });

  it.skipIf(host.missing.length > 0)(
    `exports C that the host runs as the reference does${host.note}`,
    async () => {
      const r = await verifyModel({ kind: "quantized", model: q }, { target: "host", random: 4 });
      expect(r.mismatches).toBe(0);
      expect(r.maxAbsDiff).toBe(0);
    },
    120_000,
  );
});

describe("tfliteProgram refuses, naming the operator", () => {
  const file = join(FIXTURES, "kws_ref_model.tflite");
  const read = () => readTflite(readFileSync(file), file);

  it("an operator nn2c does not import, listing those it does", () => {
    const m = read();
    m.operators[10].op = "SQUARED_DIFFERENCE";
    expect(usageError(() => tfliteProgram(m, file, "sha"))).toBe(
      `${file}: operators[10] (SQUARED_DIFFERENCE): nn2c imports ${TFLITE_OPERATORS.join(", ")}`,
    );
  });

  it("a fused activation other than NONE, RELU and RELU6", () => {
    const m = read();
    const options = m.operators[1].options;
    if (options.kind === "conv") options.activation = "TANH";
    expect(usageError(() => tfliteProgram(m, file, "sha"))).toBe(
      `${file}: operators[1] (DEPTHWISE_CONV_2D): fused activation TANH: expected NONE, RELU or RELU6`,
    );
  });

  it("weights with a zero point, and a uint8 tensor", () => {
    const m = read();
    m.tensors[m.operators[2].inputs[1]].quantization!.zeroPoint[3] = 1;
    expect(usageError(() => tfliteProgram(m, file, "sha"))).toMatch(
      /operators\[2\] \(CONV_2D\): weights '.*' have a zero point: expected symmetric int8$/,
    );
    const u = read();
    u.tensors[u.operators[4].outputs[0]].type = "uint8";
    expect(usageError(() => tfliteProgram(u, file, "sha"))).toMatch(
      /operators\[4\] \(CONV_2D\): tensor '.*' is uint8: expected int8$/,
    );
  });

  it("a tampered scale or zero point, of a tensor or of weights", () => {
    const zero = read();
    zero.tensors[zero.operators[3].outputs[0]].quantization!.scale[0] = 0;
    expect(usageError(() => tfliteProgram(zero, file, "sha"))).toMatch(
      /operators\[3\] \(DEPTHWISE_CONV_2D\): tensor '.*' has scale 0: expected a finite positive scale$/,
    );
    const zp = read();
    zp.tensors[zp.operators[3].outputs[0]].quantization!.zeroPoint[0] = 300;
    expect(usageError(() => tfliteProgram(zp, file, "sha"))).toMatch(
      /tensor '.*' has zero point 300: expected one in \[-128, 127\]$/,
    );
    const weights = read();
    weights.tensors[weights.operators[2].inputs[1]].quantization!.scale[5] = Number.NaN;
    expect(usageError(() => tfliteProgram(weights, file, "sha"))).toMatch(
      /operators\[2\] \(CONV_2D\): weights '.*' have a scale that is not finite and positive$/,
    );
  });

  it("a softmax whose output is not quantized as TensorFlow Lite's int8 softmax writes it", () => {
    const m = read();
    m.tensors[m.operators[12].outputs[0]].quantization!.zeroPoint[0] = 0;
    expect(usageError(() => tfliteProgram(m, file, "sha"))).toBe(
      `${file}: operators[12] (SOFTMAX): output scale 0.00390625 zero point 0: expected scale 1/256 and zero point -128`,
    );
  });
});

describe.each([
  { name: "ad01_fp32", inputs: "ad01_h5.inputs.bin", size: 640, layers: 10 },
  { name: "vww_96_float", inputs: "vww_96_int8.inputs.bin", size: 96 * 96 * 3, layers: 29 },
])("the float32 TensorFlow Lite model $name as a float model", ({ name, inputs, size, layers }) => {
  const file = join(FIXTURES, `${name}.tflite`);
  const model = tfliteFloatModel(readTflite(readFileSync(file), file), file);
  // vww_96_float's goldens ran the int8 model's inputs, dequantized (scale 1/255, zero point -128)
  const bytes = readFileSync(join(FIXTURES, inputs));
  const x = inputs.endsWith("int8.inputs.bin")
    ? Float32Array.from(new Int8Array(bytes), (c) => Math.fround((c + 128) * Math.fround(1 / 255)))
    : new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  const out = readFileSync(join(FIXTURES, `${name}.outputs.bin`));
  const golden = new Float32Array(out.buffer, out.byteOffset, out.length / 4);

  it("writes each operator as the Keras layer it computes, fused activations as layers after it", () => {
    expect(model.source).toEqual({ format: "tflite" });
    expect(model.layers.filter((l) => l.kind !== "activation" && l.kind !== "flatten")).toHaveLength(layers);
  });

  it("computes TensorFlow Lite Micro's float outputs within 1e-4 of their range", () => {
    const p = predictModel(model, { rows: 20, cols: size, data: x });
    let max = 0;
    golden.forEach((g, i) => {
      max = Math.max(max, Math.abs(p.data[i] - g));
    });
    const range = Math.max(...golden) - Math.min(...golden);
    expect(golden.length).toBe(p.data.length);
    expect(max / range).toBeLessThan(1e-4);
  });
});

describe("TensorFlow Lite's PAD as zero_padding2d", () => {
  it("pads height and width with the zero point, and the C agrees", async () => {
    const file = join(FIXTURES, "kws_ref_model.tflite");
    const m = readTflite(readFileSync(file), file);
    // a PAD of [[0, 0], [1, 1], [0, 2], [0, 0]] between the last convolution and the average pool
    const conv = m.tensors[m.operators[8].outputs[0]];
    const paddings = Int32Array.from([0, 0, 1, 1, 0, 2, 0, 0]);
    const constant = {
      index: m.tensors.length,
      name: "paddings",
      shape: [4, 2],
      type: "int32" as const,
      data: new Uint8Array(paddings.buffer),
      quantization: null,
    };
    const padded = { ...conv, index: m.tensors.length + 1, name: "padded", shape: [1, 27, 7, 64] };
    m.tensors.push(constant, padded);
    m.operators[9].inputs[0] = padded.index;
    insertOperator(m, 9, "PAD", [conv.index, constant.index], [padded.index]);
    const q = tfliteProgram(m, file, "sha");
    const op = q.ops.find((o) => o.kind === "zero_padding2d") as unknown as {
      pads: number[];
      output: string;
    };
    expect(op.pads).toEqual([1, 1, 0, 2]);
    const zp = conv.quantization!.zeroPoint[0];
    const x = Int32Array.from(
      new Int8Array(readFileSync(join(FIXTURES, "kws_ref_model.inputs.bin"))).subarray(0, 490),
    );
    const values = runProgram(q, x);
    const before = values.get(q.ops[8].output)!;
    const after = values.get(op.output)!;
    for (let y = 0; y < 27; y++)
      for (let xx = 0; xx < 7; xx++)
        for (let c = 0; c < 64; c++) {
          const inside = y >= 1 && y < 26 && xx < 5;
          expect(after[(y * 7 + xx) * 64 + c]).toBe(inside ? before[((y - 1) * 5 + xx) * 64 + c] : zp);
        }
    if (host.missing.length > 0) return;
    const r = await verifyModel({ kind: "quantized", model: q }, { target: "host", random: 2 });
    expect(r.mismatches).toBe(0);
  }, 120_000);
});

describe("a float32 TensorFlow Lite model with a NaN weight", () => {
  it("is refused in one line naming the layer and the weight", () => {
    const file = join(FIXTURES, "ad01_fp32.tflite");
    const m = readTflite(readFileSync(file), file);
    const w = m.tensors[m.operators[0].inputs[1]];
    new DataView(w.data!.buffer, w.data!.byteOffset).setFloat32(4 * 7, Number.NaN, true);
    expect(usageError(() => tfliteFloatModel(m, file))).toMatch(
      /^.*ad01_fp32\.tflite: layer 'fully_connected_0' \(dense\): kernel\[\d+\] is NaN: expected finite weights$/,
    );
  });
});

describe("a float32 TensorFlow Lite PAD as ZeroPadding2D", () => {
  it("keeps the paddings of height and width, and a zero padding computes what the model did", () => {
    const file = join(FIXTURES, "vww_96_float.tflite");
    const withPad = (pads: number[]) => {
      const m = readTflite(readFileSync(file), file);
      const last = m.operators.findIndex((o) => o.op === "AVERAGE_POOL_2D");
      const before = m.tensors[m.operators[last - 1].outputs[0]];
      const [, H, W, C] = before.shape;
      const constant = {
        index: m.tensors.length,
        name: "paddings",
        shape: [4, 2],
        type: "int32" as const,
        data: new Uint8Array(Int32Array.from([0, 0, ...pads, 0, 0]).buffer),
        quantization: null,
      };
      const shape = [1, H + pads[0] + pads[1], W + pads[2] + pads[3], C];
      const padded = { ...before, index: m.tensors.length + 1, name: "padded", shape };
      m.tensors.push(constant, padded);
      m.operators[last].inputs[0] = padded.index;
      insertOperator(m, last, "PAD", [before.index, constant.index], [padded.index]);
      return tfliteFloatModel(m, file);
    };
    const unpadded = withPad([0, 0, 0, 0]);
    const layer = withPad([1, 2, 0, 3]).layers.find((l) => l.kind === "zero_padding2d")!;
    expect(layer.config).toMatchObject({
      padding: [
        [1, 2],
        [0, 3],
      ],
    });
    const plain = tfliteFloatModel(readTflite(readFileSync(file), file), file);
    const rng = Array.from({ length: 96 * 96 * 3 }, (_, i) => ((i * 7919) % 255) / 255);
    const x = { rows: 1, cols: 96 * 96 * 3, data: Float32Array.from(rng) };
    expect(Array.from(predictModel(unpadded, x).data)).toEqual(Array.from(predictModel(plain, x).data));
  });
});

describe("an int8 TensorFlow Lite model between a QUANTIZE and a DEQUANTIZE (float input and output)", () => {
  it("is the same integer program: nn2c's float entry point quantizes and dequantizes as they do", async () => {
    const file = join(FIXTURES, "kws_ref_model.tflite");
    const plain = tfliteProgram(readTflite(readFileSync(file), file), file, "sha");
    const m = readTflite(readFileSync(file), file);
    const codesIn = m.tensors[m.inputs[0]];
    const codesOut = m.tensors[m.outputs[0]];
    const floatIn = {
      ...codesIn,
      index: m.tensors.length,
      name: "float_input",
      type: "float32" as const,
      quantization: null,
    };
    const floatOut = {
      ...codesOut,
      index: m.tensors.length + 1,
      name: "float_output",
      type: "float32" as const,
      quantization: null,
    };
    m.tensors.push(floatIn, floatOut);
    insertOperator(m, 0, "QUANTIZE", [floatIn.index], [codesIn.index]);
    insertOperator(m, m.operators.length, "DEQUANTIZE", [codesOut.index], [floatOut.index]);
    m.inputs = [floatIn.index];
    m.outputs = [floatOut.index];
    const q = tfliteProgram(m, file, "sha");
    // the same ops (named after their operator's index in the file, one further on)
    const unnamed = (ops: typeof q.ops) => ops.map(({ name: _, ...rest }) => rest);
    expect(unnamed(q.ops)).toEqual(unnamed(plain.ops));
    expect(q.ops[0].name).toBe("conv_2d_1");
    expect(q.tensors).toEqual(plain.tensors);
    expect(q.outputs).toEqual(plain.outputs);
    // a QUANTIZE inside the graph requantizes from one int8 quantization to the other, as a table
    const inner = readTflite(readFileSync(file), file);
    inner.operators[5].op = "QUANTIZE";
    const requantized = tfliteProgram(inner, file, "sha");
    expect(requantized.ops[5]).toMatchObject({
      kind: "activation",
      name: "quantize_5",
      activation: "linear",
    });
    expect(requantized.tables).toHaveLength(2);
  });
});

describe("TensorFlow Lite's RELU and RELU6 as int8 tables", () => {
  /** kws with `op` inserted after its operator `at`, writing a tensor quantized as `out` (or as its input). */
  function withActivation(
    op: "RELU" | "RELU6",
    out?: { scale: number; zeroPoint: number },
    at = "AVERAGE_POOL_2D",
  ) {
    const file = join(FIXTURES, "kws_ref_model.tflite");
    const m = readTflite(readFileSync(file), file);
    const pool = m.operators.findIndex((o) => o.op === at);
    const x = m.tensors[m.operators[pool].outputs[0]];
    const quantization = out
      ? { scale: [out.scale], zeroPoint: [out.zeroPoint], dimension: 0 }
      : x.quantization;
    const y = { ...x, index: m.tensors.length, name: "activated", quantization };
    m.tensors.push(y);
    m.operators[pool + 1].inputs[0] = y.index;
    insertOperator(m, pool + 1, op, [x.index], [y.index]);
    const q = tfliteProgram(m, file, "sha");
    const codes = Int32Array.from(
      new Int8Array(readFileSync(join(FIXTURES, "kws_ref_model.inputs.bin"))).subarray(0, 490),
    );
    const values = runProgram(q, codes);
    // ops are named after their operator's index (RESHAPE makes none, so indices differ)
    const k = q.ops.findIndex((o) => o.name === `${at.toLowerCase()}_${pool}`);
    const before = values.get(q.ops[k].output)!;
    const after = values.get(q.ops[k + 1].output)!;
    return { q, before, after, zp: x.quantization!.zeroPoint[0], scale: x.quantization!.scale[0] };
  }

  it("RELU at the input's quantization is max(q, zero point); RELU6 also clamps at the code of 6", () => {
    const relu = withActivation("RELU");
    expect(Array.from(relu.after)).toEqual(Array.from(relu.before, (v) => Math.max(v, relu.zp)));
    const relu6 = withActivation("RELU6");
    const six = relu6.zp + Math.round(6 / relu6.scale);
    expect(Array.from(relu6.after)).toEqual(
      Array.from(relu6.before, (v) => Math.min(six, Math.max(v, relu6.zp))),
    );
  });

  it("RELU to another quantization requantizes: within one code of max(0, x) at the new scale", () => {
    // after the fully connected layer: the softmax takes the new scale
    const r = withActivation("RELU", { scale: 0.05, zeroPoint: -100 }, "FULLY_CONNECTED");
    r.before.forEach((v, i) => {
      const real = Math.max(0, r.scale * (v - r.zp));
      const ideal = Math.min(127, Math.round(real / 0.05) - 100);
      expect(Math.abs(r.after[i] - ideal)).toBeLessThanOrEqual(1);
    });
    expect(r.q.ops.find((o) => o.kind === "activation" && o.activation === "relu")).toBeDefined();
  });
});
