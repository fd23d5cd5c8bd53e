/**
 * Keras 2 `.h5` files as nn2c float models, on MLPerf Tiny's anomaly detector (a Functional chain of
 * Dense, BatchNormalization and Activation layers: its outputs on the golden inputs against an
 * independent float64 forward pass) and person detector (MobileNetV1 0.25 at 96x96: Conv2D,
 * DepthwiseConv2D, 4-D BatchNormalization, AveragePooling2D; against TensorFlow Lite Micro's float
 * goldens), each also quantized to int8 on the golden inputs; and the refusals.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readKerasH5 } from "../../src/import/keras/h5.js";
import { parseModel, serializeModel } from "../../src/model/io.js";
import { predictModel } from "../../src/model/predict.js";
import { quantizeModel } from "../../src/quant/quantize.js";
import { predictInteger } from "../../src/reference/integer.js";
import { ROOT } from "../cli/run.js";
import { tempDir } from "../codegen/helpers.js";

const FIXTURES = join(ROOT, "test/fixtures/mlperf-tiny");
const floats = (file: string) => {
  const b = readFileSync(join(FIXTURES, file));
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
};

describe("readKerasH5(ad01.h5)", async () => {
  const model = parseModel(JSON.parse(serializeModel(await readKerasH5(join(FIXTURES, "ad01.h5")))));
  const x = floats("ad01_h5.inputs.bin");
  const golden = floats("ad01_h5.outputs.bin");

  it("reads the Functional chain's layers and its Keras version", () => {
    expect(model.layers.map((l) => l.kind)).toEqual([
      ...Array(9).fill(["dense", "batch_normalization", "activation"]).flat(),
      "dense",
    ]);
    expect(model.source).toEqual({ format: "keras-h5", kerasVersion: "2.4.0" });
    expect(model.inputs.names).toHaveLength(640);
  });

  it("computes the golden outputs within 1e-4 of their range", () => {
    const p = predictModel(model, { rows: 20, cols: 640, data: x });
    let max = 0;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    golden.forEach((g, i) => {
      max = Math.max(max, Math.abs(p.data[i] - g));
      lo = Math.min(lo, g);
      hi = Math.max(hi, g);
    });
    expect(golden.length).toBe(20 * 640);
    expect(max / (hi - lo)).toBeLessThan(1e-4);
  });

  it("quantizes to int8 on the golden inputs, its batch normalizations folded", () => {
    const q = quantizeModel(model, x, 20, { precision: "int8", calibration: { method: "minmax" } });
    expect(q.ops.map((op) => op.kind)).toEqual(Array(10).fill("dense"));
    const f = predictModel(model, { rows: 20, cols: 640, data: x });
    const p = predictInteger(q, x, 20);
    const rms = Math.sqrt(p.values.reduce((s, v, i) => s + (v - f.data[i]) ** 2, 0) / p.values.length);
    const range = Math.max(...f.data) - Math.min(...f.data);
    expect(rms / range).toBeLessThan(0.02);
  });
});

describe("readKerasH5(vww_96.h5)", async () => {
  const model = parseModel(JSON.parse(serializeModel(await readKerasH5(join(FIXTURES, "vww_96.h5")))));
  // TensorFlow Lite Micro's float goldens ran the int8 model's golden inputs, dequantized
  const codes = new Int8Array(readFileSync(join(FIXTURES, "vww_96_int8.inputs.bin")));
  const scale = Math.fround(0.003921568859368563);
  const x = Float32Array.from(codes, (c) => Math.fround((c + 128) * scale));
  const golden = floats("vww_96_float.outputs.bin");
  const n = 96 * 96 * 3;

  it("reads a MobileNet: convolutions, 4-D batch normalizations (one with a variance of 0), pooling", () => {
    const kinds = new Set(model.layers.map((l) => l.kind));
    expect([...kinds].sort()).toEqual([
      "activation",
      "average_pooling2d",
      "batch_normalization",
      "conv2d",
      "dense",
      "depthwise_conv2d",
      "flatten",
    ]);
    expect(model.inputs.shape).toEqual([96, 96, 3]);
  });

  it("computes TensorFlow Lite Micro's float outputs within 1e-4 of their range", () => {
    const p = predictModel(model, { rows: 20, cols: n, data: x });
    let max = 0;
    golden.forEach((g, i) => {
      max = Math.max(max, Math.abs(p.data[i] - g));
    });
    expect(golden.length).toBe(40);
    const range = Math.max(...golden) - Math.min(...golden);
    expect(max / range).toBeLessThan(1e-4);
  });

  it("quantizes to int8 on the golden inputs, dead filters' biases kept, with the float model's top-1", () => {
    const q = quantizeModel(model, x, 20, { precision: "int8", calibration: { method: "minmax" } });
    const f = predictModel(model, { rows: 20, cols: n, data: x });
    const p = predictInteger(q, x, 20);
    let agree = 0;
    for (let r = 0; r < 20; r++) {
      const top = (v: ArrayLike<number>) => (v[2 * r] >= v[2 * r + 1] ? 0 : 1);
      if (top(f.data) === top(p.values)) agree++;
      expect(Math.abs(p.values[2 * r] - f.data[2 * r])).toBeLessThan(4 / 256);
    }
    expect(agree).toBe(20);
  });
});

describe("readKerasH5 refuses, in one line naming the file", () => {
  const dir = tempDir("keras-h5");
  it("a truncated file", async () => {
    const cut = join(dir, "cut.h5");
    writeFileSync(cut, readFileSync(join(FIXTURES, "ad01.h5")).subarray(0, 100_000));
    await expect(readKerasH5(cut)).rejects.toThrow(
      `${cut}: not a readable Keras HDF5 file: the HDF5 library cannot open it (truncated or corrupt)`,
    );
  });
});
