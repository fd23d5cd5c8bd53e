/**
 * `nn2c import FILE.onnx` through the built CLI: the --json report (nodes, what each became, the layout
 * conversion), a model that `verify` then checks in C, --input-shape for a symbolic input, and the
 * refusals (exit code 2, one line, nothing written).
 */
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../codegen/helpers.js";
import { type ModelSpec, onnxBytes } from "../import/onnx-build.js";
import { requireTools } from "../toolchain/available.js";
import { ensureBuilt, expectUsageError, json, nn2c } from "./run.js";

const dir = tempDir("import-onnx");
const host = await requireTools("the imported ONNX model's C on the host", ["gcc"]);
beforeAll(ensureBuilt);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A small channels-first classifier: Conv, BatchNormalization, Relu, MaxPool, Flatten, Gemm, Softmax. */
function classifier(batch: number | string = 1): ModelSpec {
  const seq = (n: number, k: number) =>
    Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * k) * 0.5));
  return {
    opset: 15,
    inputs: [{ name: "image", shape: [batch, 2, 6, 6] }],
    outputs: [{ name: "probs", shape: [batch, 3] }],
    initializers: [
      { name: "w", dims: [4, 2, 3, 3], values: seq(72, 0.7) },
      { name: "b", dims: [4], values: seq(4, 1.3) },
      { name: "gamma", dims: [4], values: [1, 0.5, 2, 1.5] },
      { name: "beta", dims: [4], values: [0.1, -0.1, 0, 0.2] },
      { name: "mean", dims: [4], values: [0.2, -0.3, 0.1, 0] },
      { name: "var", dims: [4], values: [1.5, 0.7, 1, 2] },
      { name: "fc", dims: [3, 36], values: seq(108, 0.3) },
      { name: "fcb", dims: [3], values: [0, 0.1, -0.1] },
    ],
    nodes: [
      {
        op: "Conv",
        name: "conv",
        inputs: ["image", "w", "b"],
        outputs: ["c"],
        attributes: { pads: [1, 1, 1, 1] },
      },
      { op: "BatchNormalization", name: "bn", inputs: ["c", "gamma", "beta", "mean", "var"], outputs: ["n"] },
      { op: "Relu", name: "relu", inputs: ["n"], outputs: ["r"] },
      {
        op: "MaxPool",
        name: "pool",
        inputs: ["r"],
        outputs: ["p"],
        attributes: { kernel_shape: [2, 2], strides: [2, 2] },
      },
      { op: "Flatten", name: "flat", inputs: ["p"], outputs: ["f"] },
      { op: "Gemm", name: "fc", inputs: ["f", "fc", "fcb"], outputs: ["logits"], attributes: { transB: 1 } },
      { op: "Softmax", name: "softmax", inputs: ["logits"], outputs: ["probs"], attributes: { axis: 1 } },
    ],
  };
}

describe("nn2c import FILE.onnx", () => {
  const file = join(dir, "classifier.onnx");
  const out = join(dir, "classifier.json");
  beforeAll(() => writeFileSync(file, onnxBytes(classifier())));

  it("--json lists each node, the layers it became and the layout conversion", async () => {
    const run = await nn2c(["import", file, "-o", out, "--force", "--json"]);
    expect(run.exitCode, String(run.stderr)).toBe(0);
    const report = json<{
      format: string;
      source: { layout: string };
      onnx: {
        opset: number;
        nodes: { name: string; op: string; layers: string[] }[];
        layout: Record<string, unknown>;
      };
      layers: { kind: string }[];
    }>(run);
    expect(report.format).toBe("onnx");
    expect(report.onnx.opset).toBe(15);
    expect(report.onnx.nodes.map((n) => [n.name, n.layers.length])).toEqual([
      ["conv", 1],
      ["bn", 1],
      ["relu", 1],
      ["pool", 1],
      ["flat", 1],
      ["fc", 1],
      ["softmax", 1],
    ]);
    expect(report.onnx.layout).toMatchObject({ inputShape: [1, 2, 6, 6], inputChannelsLast: true });
    expect(report.source.layout).toBe(
      "the C reads the ONNX input [1, 2, 6, 6] channels-last, as [6, 6, 2]; it writes the output [1, 3] in its own order",
    );
    expect(report.layers.map((l) => l.kind)).toEqual([
      "conv2d",
      "batch_normalization",
      "activation",
      "max_pooling2d",
      "flatten",
      "dense",
      "activation",
    ]);
  });

  it.skipIf(host.missing.length > 0)(
    `verify runs the imported model's float32 C as the reference${host.note}`,
    async () => {
      const run = await nn2c(["verify", file, "-t", "host", "--random", "4", "--json"]);
      expect(run.exitCode, String(run.stderr)).toBe(0);
      expect(json<{ mismatches: number }>(run).mismatches).toBe(0);
    },
    120_000,
  );

  it("a symbolic dimension needs --input-shape; with it the import works", async () => {
    const spec = classifier("N");
    spec.inputs[0].shape = ["N", 2, "H", 6];
    const symbolic = join(dir, "symbolic.onnx");
    writeFileSync(symbolic, onnxBytes(spec));
    const target = join(dir, "symbolic.json");
    expectUsageError(
      await nn2c(["import", symbolic, "-o", target]),
      symbolic,
      "input 'image' has the dynamic dimension 2 (H): pass --input-shape",
    );
    expect(existsSync(target)).toBe(false);
    expectUsageError(
      await nn2c(["import", symbolic, "-o", target, "--input-shape", "1,2,six,6"]),
      "--input-shape 1,2,six,6",
    );
    const run = await nn2c(["import", symbolic, "-o", target, "--input-shape", "1,2,6,6"]);
    expect(run.exitCode, String(run.stderr)).toBe(0);
    expect(existsSync(target)).toBe(true);
  });

  it("refuses an unsupported operator and a truncated file in one line, writing nothing", async () => {
    const spec = classifier();
    spec.nodes[2] = { op: "Selu", name: "selu", inputs: ["n"], outputs: ["r"] };
    const unsupported = join(dir, "selu.onnx");
    writeFileSync(unsupported, onnxBytes(spec));
    const target = join(dir, "refused.json");
    expectUsageError(
      await nn2c(["import", unsupported, "-o", target]),
      "node 'selu' (Selu)",
      "Conv, Div, Dropout",
    );
    const bytes = onnxBytes(classifier());
    const truncated = join(dir, "truncated.onnx");
    writeFileSync(truncated, bytes.subarray(0, bytes.length >> 1));
    expectUsageError(await nn2c(["import", truncated, "-o", target]), truncated, "not a whole ONNX model");
    expect(existsSync(target)).toBe(false);
  });
});
