/**
 * PyTorch's models through the ONNX import: Conv1d, Conv2d, depthwise Conv2d, unfolded BatchNorm,
 * pooling (a MaxPool padded, and one in ceil mode, after a ReLU), Linear, the activations, a residual add
 * and scaling by constants, x.view(x.size(0), -1) with a dynamic batch, exported by Debian's
 * python3-torch at opsets 13 to 17 (scripts/pytorch-onnx.py). nn2c's float32 reference and the float32
 * C on the host give PyTorch's outputs within 1e-5; the int8 program of the convolutional model runs in
 * C exactly as nn2c's integer reference.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  comparePytorch,
  exportPytorchModels,
  type PytorchModel,
  pytorchOnHost,
} from "../../scripts/pytorch-clients.js";
import { quantizeModel } from "../../src/quant/quantize.js";
import { Rng } from "../../src/rng.js";
import { verifyModel } from "../../src/verify/verify.js";
import { DEBIAN_PYTHON, requireTools } from "../toolchain/available.js";

const torch = await requireTools("PyTorch's ONNX exports", ["python3-torch", "gcc"]);
const dir = mkdtempSync(join(tmpdir(), "nn2c-pytorch-"));
let models: PytorchModel[] = [];
beforeAll(async () => {
  if (torch.missing.length === 0) models = await exportPytorchModels(DEBIAN_PYTHON, dir);
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NAMES = ["conv1d", "conv2d", "mlp", "residual", "stem", "viewed", "scaled"];
const OPSETS = [13, 14, 15, 16, 17];

/** The layer kinds each model becomes (BatchNorm kept, the scaling folded into the Linear). */
const KINDS: Record<string, string[]> = {
  conv1d: [
    "conv1d",
    "batch_normalization",
    "activation",
    "max_pooling1d",
    "reshape",
    "depthwise_conv2d",
    "reshape",
    "activation",
    "global_average_pooling1d",
    "dense",
    "activation",
  ],
  conv2d: [
    "conv2d",
    "batch_normalization",
    "activation",
    "depthwise_conv2d",
    "batch_normalization",
    "activation",
    "zero_padding2d",
    "conv2d",
    "batch_normalization",
    "activation",
    "batch_normalization",
    "average_pooling2d",
    "conv2d",
    "activation",
    "flatten",
    "dense",
  ],
  mlp: ["dense", "batch_normalization", "activation", "batch_normalization", "dense", "activation", "dense"],
  residual: [
    "conv2d",
    "activation",
    "conv2d",
    "activation",
    "conv2d",
    "add",
    "activation",
    "global_average_pooling2d",
    "dense",
  ],
  stem: [
    "zero_padding2d",
    "conv2d",
    "batch_normalization",
    "activation",
    "zero_padding2d",
    "max_pooling2d",
    "zero_padding2d",
    "max_pooling2d",
    "flatten",
    "dense",
  ],
  viewed: ["conv2d", "activation", "flatten", "dense"],
  scaled: ["batch_normalization", "batch_normalization", "dense", "activation"],
};

describe.skipIf(torch.missing.length > 0)(`PyTorch 1.13's ONNX exports${torch.note}`, () => {
  const model = (name: string) => models.find((m) => m.name === name)!;

  it("exports every model at every opset", () => {
    expect(models.map((m) => m.name)).toEqual(NAMES);
    for (const m of models) expect(m.opsets).toEqual(OPSETS);
  });

  describe.each(NAMES)("%s", (name) => {
    it.each(OPSETS)(
      "opset %i: nn2c's float32 reference gives PyTorch's outputs within 1e-5",
      async (opset) => {
        const c = await comparePytorch(dir, model(name), opset);
        expect(c.model.layers.map((l) => l.kind)).toEqual(KINDS[name]);
        expect(c.maxRelDiff).toBeLessThanOrEqual(1e-5);
      },
    );

    it("opset 17: the float32 C on the host gives PyTorch's outputs within 1e-5", async () => {
      const c = await comparePytorch(dir, model(name), 17);
      const r = await pytorchOnHost(c);
      expect(r.mismatches).toBe(0);
    }, 60_000);
  });

  it("conv2d: the channels-first flattening before the Linear is absorbed in its weights", async () => {
    const c = await comparePytorch(dir, model("conv2d"), 13);
    expect(c.report.layout.inputChannelsLast).toBe(true);
    expect(c.report.nodes.find((n) => n.op === "BatchNormalization")?.layers).toHaveLength(1);
  });

  it("conv2d in int8: the C equals nn2c's integer reference on the host (ASan, UBSan)", async () => {
    const c = await comparePytorch(dir, model("conv2d"), 17);
    const rng = new Rng(3);
    const n = c.samples[0].x.length;
    const rows = 32;
    const x = Float32Array.from({ length: rows * n }, () => rng.normal());
    const q = quantizeModel(c.model, x, rows, { precision: "int8", calibration: { method: "minmax" } });
    const r = await verifyModel(
      { kind: "quantized", model: q },
      { target: "host", random: 8, sanitize: true },
    );
    expect(r.mismatches).toBe(0);
    expect(r.maxAbsDiff).toBe(0);
  }, 120_000);
});
