/**
 * The TensorFlow Lite reader on MLPerf Tiny's int8 reference models (test/fixtures/mlperf-tiny): every
 * operator, its tensors' shapes, and the input and output quantization as TensorFlow Lite Micro
 * reported them; and the refusals of files that are not, or no longer, TensorFlow Lite models.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tfliteProgram } from "../../src/import/tflite/program.js";
import { readTflite } from "../../src/import/tflite/read.js";
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

const host = await requireTools("the imported anomaly detector's C on the host", ["gcc"]);

describe("an int8 TensorFlow Lite model of FULLY_CONNECTED operators as an integer program", () => {
  const file = join(FIXTURES, "ad01_int8.tflite");
  const bytes = readFileSync(file);
  const q = tfliteProgram(readTflite(bytes, file), file, "sha");
  const inputs = new Int8Array(readFileSync(join(FIXTURES, "ad01_int8.inputs.bin")));
  const outputs = new Int8Array(readFileSync(join(FIXTURES, "ad01_int8.outputs.bin")));

  it("keeps TensorFlow Lite's quantization and operators", () => {
    expect(q.ops).toHaveLength(10);
    expect(q.ops.every((op) => op.kind === "dense")).toBe(true);
    expect(q.tensors[0]).toEqual({
      name: INPUT_TENSOR,
      shape: [640],
      scale: expect.any(Number),
      zeroPoint: 89,
    });
    expect(q.source).toEqual({ format: "tflite", operators: [{ op: "FULLY_CONNECTED", version: 4 }] });
  });

  it("computes TensorFlow Lite Micro's output codes for every golden input, bit for bit", () => {
    const n = 640;
    let mismatches = 0;
    for (let v = 0; v < inputs.length / n; v++) {
      const got = runProgram(q, Int32Array.from(inputs.subarray(v * n, (v + 1) * n))).get(q.outputs[0])!;
      const want = outputs.subarray(v * n, (v + 1) * n);
      for (let i = 0; i < n; i++) if (got[i] !== want[i]) mismatches++;
    }
    expect(inputs.length / n).toBe(20);
    expect(mismatches).toBe(0);
  });

  it.skipIf(host.missing.length > 0)(
    `exports C that the host runs as the reference does${host.note}`,
    async () => {
      const r = await verifyModel({ kind: "quantized", model: q }, { target: "host", random: 8 });
      expect(r.mismatches).toBe(0);
      expect(r.maxAbsDiff).toBe(0);
    },
  );
});
