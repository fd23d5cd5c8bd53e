/**
 * The int8 operators MLPerf Tiny's models lack (ADD, MEAN, LEAKY_RELU, LOGISTIC, TANH, and QUANTIZE
 * between two int8 quantizations), on small models TensorFlow 2.21 converted, against the output codes
 * of TensorFlow Lite's reference kernels (test/fixtures/tflite-ops, made by
 * scripts/tflite-ops-fixtures.py): the TypeScript integer reference bit for bit, and the C on the host
 * (ASan and UBSan) equal to it. The element-wise models' first vector holds every int8 code.
 *
 * One case differs between the two runtimes: a MEAN whose output shares its input's quantization
 * truncates in TensorFlow Lite Micro and rounds in TensorFlow Lite's interpreter. nn2c follows the
 * microcontroller's runtime; that case is checked against its definition, and its disagreement with the
 * interpreter's goldens is measured.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { importModel } from "../../src/import/index.js";
import { tfliteProgram } from "../../src/import/tflite/program.js";
import { readTflite } from "../../src/import/tflite/read.js";
import { predictModel } from "../../src/model/predict.js";
import { quantizeModel } from "../../src/quant/quantize.js";
import type { QModel } from "../../src/quant/schema.js";
import { predictInteger, runProgram } from "../../src/reference/integer.js";
import { verifyModel } from "../../src/verify/verify.js";
import { ROOT } from "../cli/run.js";
import { QEMU, requireTools } from "../toolchain/available.js";
import { usageError } from "../usage.js";

const FIXTURES = join(ROOT, "test/fixtures/tflite-ops");

interface Fixture {
  count: number;
  input: { shape: number[] };
  output: { shape: number[] };
  operators: string[];
}

const index = JSON.parse(readFileSync(join(FIXTURES, "models.json"), "utf8")) as {
  models: Record<string, Fixture>;
};

/** The nn2c ops each fixture's operators become. */
const OPS: Record<string, Record<string, number>> = {
  logistic: { activation: 1 },
  tanh: { activation: 1 },
  leaky_relu: { activation: 1 },
  quantize: { activation: 1 },
  quantize_down: { activation: 1 },
  mean: { conv2d: 1, global_average_pooling2d: 1 },
  mean_keepdims: { conv2d: 1, global_average_pooling2d: 1 },
  mean_wide: { conv2d: 1, global_average_pooling2d: 1 },
  add: { conv2d: 1, add: 1 },
  mixed: { conv2d: 2, activation: 3, add: 1, global_average_pooling2d: 1, dense: 2 },
};

const host = await requireTools("the imported models' C on the host", ["gcc"]);
const qemu = await requireTools("the imported models on Cortex-M4 and M55", QEMU);

/** The test that the program's C on the host (ASan, UBSan) equals the TypeScript reference. */
function hostAgrees(program: () => QModel): void {
  it.skipIf(host.missing.length > 0)(
    `exports C that the host runs as the reference does${host.note}`,
    async () => {
      const r = await verifyModel(
        { kind: "quantized", model: program() },
        { target: "host", random: 4, sanitize: true },
      );
      expect(r.mismatches).toBe(0);
      expect(r.maxAbsDiff).toBe(0);
    },
    120_000,
  );
}

describe.each(Object.keys(OPS))("the TensorFlow Lite model %s", (name) => {
  const fixture = index.models[name];
  const file = join(FIXTURES, `${name}.tflite`);
  const q = tfliteProgram(readTflite(readFileSync(file), file), file, "sha");

  it("imports each operator as the nn2c op that computes it", () => {
    const counts: Record<string, number> = {};
    for (const op of q.ops) counts[op.kind] = (counts[op.kind] ?? 0) + 1;
    expect(counts).toEqual(OPS[name]);
  });

  it("computes TensorFlow Lite's output codes for every input vector, bit for bit", () => {
    const inputs = new Int8Array(readFileSync(join(FIXTURES, `${name}.inputs.bin`)));
    const outputs = new Int8Array(readFileSync(join(FIXTURES, `${name}.outputs.bin`)));
    const n = inputs.length / fixture.count;
    const k = outputs.length / fixture.count;
    expect(n).toBe(fixture.input.shape.reduce((a, b) => a * b, 1));
    let mismatches = 0;
    const distinct = new Set<number>();
    for (let v = 0; v < fixture.count; v++) {
      const got = runProgram(q, Int32Array.from(inputs.subarray(v * n, (v + 1) * n))).get(q.outputs[0])!;
      expect(got).toHaveLength(k);
      for (let i = 0; i < k; i++) {
        if (got[i] !== outputs[v * k + i]) mismatches++;
        distinct.add(got[i]);
      }
    }
    expect(mismatches).toBe(0);
    expect(distinct.size).toBeGreaterThan(20);
  });

  hostAgrees(() => q);
});

describe("a MEAN whose output shares its input's quantization (mean_same)", () => {
  const name = "mean_same";
  const file = join(FIXTURES, `${name}.tflite`);
  const q = tfliteProgram(readTflite(readFileSync(file), file), file, "sha");
  const [conv, mean] = q.ops as unknown as { output: string; input: number[]; mean?: unknown }[];

  it("truncates the sum of the codes over the count, as TensorFlow Lite Micro does", () => {
    expect(mean.mean).toEqual({ rounding: "truncate" });
    const inputs = new Int8Array(readFileSync(join(FIXTURES, `${name}.inputs.bin`)));
    const golden = new Int8Array(readFileSync(join(FIXTURES, `${name}.outputs.bin`)));
    const [H, W, C] = mean.input;
    const n = inputs.length / 20;
    let disagreements = 0;
    for (let v = 0; v < 20; v++) {
      const tensors = runProgram(q, Int32Array.from(inputs.subarray(v * n, (v + 1) * n)));
      const codes = tensors.get(conv.output)!;
      const got = tensors.get(q.outputs[0])!;
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let p = 0; p < H * W; p++) sum += codes[p * C + c];
        // C's integer division: toward zero
        expect(got[c]).toBe((sum < 0 ? -Math.floor(-sum / (H * W)) : Math.floor(sum / (H * W))) | 0);
        // TensorFlow Lite's interpreter rounds the same mean: at most one code apart
        const interpreter = golden[v * C + c];
        expect(Math.abs(got[c] - interpreter)).toBeLessThanOrEqual(1);
        if (got[c] !== interpreter) disagreements++;
      }
    }
    // the two runtimes do disagree on these inputs, so the branch is the one exercised
    expect(disagreements).toBeGreaterThan(10);
  });

  hostAgrees(() => q);
});

// the mixed model's Keras graph (a residual Add) as Keras 3 writes it (.keras and the legacy .h5) and as
// float32 TensorFlow Lite, against Keras' own outputs
describe.each(["mixed.keras", "mixed.h5", "mixed_float.tflite"])("the Functional graph of %s", (name) => {
  const floats = (file: string) => {
    const b = readFileSync(join(FIXTURES, file));
    return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
  };
  const x = floats("mixed_float.inputs.bin");
  const golden = floats("mixed_float.outputs.bin");
  const load = async () => {
    const r = await importModel(join(FIXTURES, name), readFileSync(join(FIXTURES, name)));
    if (r.kind !== "float") throw new Error(`${name}: imported as ${r.kind}`);
    return r.model;
  };

  it("reads the branch and computes Keras' outputs within 1e-5 of their range", async () => {
    const model = await load();
    const add = model.layers.find((l) => l.kind === "add")!;
    expect(add.inputs).toHaveLength(2);
    expect(model.layers.map((l) => l.kind)).toContain("global_average_pooling2d");
    const p = predictModel(model, { rows: 20, cols: 8 * 8 * 3, data: x });
    let max = 0;
    golden.forEach((g, i) => {
      max = Math.max(max, Math.abs(p.data[i] - g));
    });
    const range = Math.max(...golden) - Math.min(...golden);
    expect(golden.length).toBe(20 * 4);
    expect(max / range).toBeLessThan(1e-5);
  });

  it("quantizes to int8 on those inputs, within 2% of the range, and its C agrees", async () => {
    const model = await load();
    const q = quantizeModel(model, x, 20, { precision: "int8", calibration: { method: "minmax" } });
    expect(q.ops.map((op) => op.kind)).toContain("add");
    const f = predictModel(model, { rows: 20, cols: 8 * 8 * 3, data: x });
    const p = predictInteger(q, x, 20);
    const rms = Math.sqrt(p.values.reduce((s, v, i) => s + (v - f.data[i]) ** 2, 0) / p.values.length);
    expect(rms / (Math.max(...f.data) - Math.min(...f.data))).toBeLessThan(0.02);
    if (host.missing.length > 0) return;
    const r = await verifyModel({ kind: "quantized", model: q }, { target: "host", random: 2 });
    expect(r.mismatches).toBe(0);
  }, 120_000);
});

// every operator on the DSP and Helium cores: the long suite (npm run test:mlperf)
describe.skipIf(process.env.NN2C_MLPERF !== "full")("the mixed and mean_same models on Cortex-M", () => {
  it.skipIf(qemu.missing.length > 0).each(["cortex-m4", "cortex-m55"])(
    `%s runs the C as the reference does${qemu.note}`,
    async (target) => {
      for (const name of ["mixed", "mean_same", "logistic", "tanh"]) {
        const file = join(FIXTURES, `${name}.tflite`);
        const q = tfliteProgram(readTflite(readFileSync(file), file), file, "sha");
        const r = await verifyModel({ kind: "quantized", model: q }, { target, random: 4 });
        expect(r.mismatches, name).toBe(0);
      }
    },
    600_000,
  );
});

describe("the element-wise operators refuse, naming the operator", () => {
  const read = (name: string) => {
    const file = join(FIXTURES, `${name}.tflite`);
    return { file, m: readTflite(readFileSync(file), file) };
  };

  it("a LOGISTIC or TANH output not quantized as TensorFlow Lite's kernels write it", () => {
    for (const [name, op, want] of [
      ["logistic", "LOGISTIC", "expected scale 1/256 and zero point -128"],
      ["tanh", "TANH", "expected scale 1/128 and zero point 0"],
    ]) {
      const { file, m } = read(name);
      m.tensors[m.operators[0].outputs[0]].quantization!.scale[0] = 0.01;
      expect(usageError(() => tfliteProgram(m, file, "sha"))).toMatch(
        new RegExp(`^${file}: operators\\[0\\] \\(${op}\\): output scale 0\\.01 zero point -?\\d+: ${want}$`),
      );
    }
  });

  it("a LEAKY_RELU with a negative or NaN alpha", () => {
    for (const alpha of [-0.5, Number.NaN]) {
      const { file, m } = read("leaky_relu");
      const options = m.operators[0].options;
      if (options.kind === "leaky_relu") options.alpha = alpha;
      expect(usageError(() => tfliteProgram(m, file, "sha"))).toBe(
        `${file}: operators[0] (LEAKY_RELU): alpha ${alpha}: expected a finite alpha of 0 or more`,
      );
    }
  });

  it("a requantizing QUANTIZE whose output scale is too small next to the input's", () => {
    const { file, m } = read("quantize");
    m.tensors[m.operators[0].outputs[0]].quantization!.scale[0] = 1e-9;
    expect(usageError(() => tfliteProgram(m, file, "sha"))).toMatch(
      /operators\[0\] \(QUANTIZE\): the input scale over the output scale is [\d.e+]+: expected a finite ratio under 2\^22$/,
    );
  });

  it("an ADD that broadcasts", () => {
    const { file, m } = read("add");
    const add = m.operators.find((o) => o.op === "ADD")!;
    m.tensors[add.outputs[0]].shape = [1, 4, 4, 16];
    expect(usageError(() => tfliteProgram(m, file, "sha"))).toMatch(
      /operators\[1\] \(ADD\): input '.*' of shape \[1,4,4,8\]: expected the output's \[1,4,4,16\] \(no broadcasting\)$/,
    );
  });
});
