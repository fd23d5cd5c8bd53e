/**
 * The ONNX import on graphs built here (test/import/onnx-build.ts), checked against ONNX's semantics
 * computed directly in channels-first order: the flattening of a channels-first tensor absorbed by the
 * Gemm after it, Transposes between layouts, constants folded into the layer before them, grouped
 * convolutions; and every refusal the import makes (one line naming the file and the node).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { importModel } from "../../src/import/index.js";
import { inModelOrder, lowerOnnx, ONNX_OPERATORS } from "../../src/import/onnx/lower.js";
import { readOnnx } from "../../src/import/onnx/read.js";
import { runFloat32 } from "../../src/reference/float32.js";
import { Rng } from "../../src/rng.js";
import { externalBytes, type ModelSpec, onnxBytes, onnxRuntime } from "./onnx-build.js";

const dir = mkdtempSync(join(tmpdir(), "nn2c-onnx-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rng = new Rng(12);
const random = (n: number) => Array.from({ length: n }, () => Math.fround(rng.normal() * 0.5));

function lower(spec: ModelSpec, options = {}) {
  const file = "test.onnx";
  return lowerOnnx(readOnnx(onnxBytes(spec), file, false), file, options);
}

/** ONNX's Conv on one [C, H, W] sample: pads [top, left, bottom, right], `group` groups. */
function convNCHW(
  x: number[],
  [C, H, W]: number[],
  w: number[],
  [F, , kh, kw]: number[],
  bias: number[],
  pads: number[],
  strides: number[],
  group = 1,
): { y: number[]; dims: number[] } {
  const Ho = Math.floor((H + pads[0] + pads[2] - kh) / strides[0]) + 1;
  const Wo = Math.floor((W + pads[1] + pads[3] - kw) / strides[1]) + 1;
  const Cg = C / group;
  const y: number[] = [];
  for (let f = 0; f < F; f++)
    for (let oy = 0; oy < Ho; oy++)
      for (let ox = 0; ox < Wo; ox++) {
        let acc = bias[f];
        const g = Math.floor(f / (F / group));
        for (let c = 0; c < Cg; c++)
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const iy = oy * strides[0] - pads[0] + ky;
              const ix = ox * strides[1] - pads[1] + kx;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              acc += x[((g * Cg + c) * H + iy) * W + ix] * w[((f * Cg + c) * kh + ky) * kw + kx];
            }
        y.push(acc);
      }
  return { y, dims: [F, Ho, Wo] };
}

/** [C, ...spatial] values in channels-last order. */
const channelsLast = (x: number[], dims: number[]) => inModelOrder(x, dims, true);

function expectClose(actual: ArrayLike<number>, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++)
    expect(Math.abs(actual[i] - expected[i]), `value ${i}`).toBeLessThanOrEqual(
      1e-5 * Math.max(1, Math.abs(expected[i])),
    );
}

describe("an ONNX Conv, Relu, Flatten and Gemm", () => {
  const [C, H, W, F, M] = [2, 5, 4, 3, 4];
  const w = random(F * C * 9);
  const b = random(F);
  const gw = random(M * F * H * W);
  const gb = random(M);
  const spec: ModelSpec = {
    inputs: [{ name: "x", shape: [1, C, H, W] }],
    outputs: [{ name: "y", shape: [1, M] }],
    initializers: [
      { name: "w", dims: [F, C, 3, 3], values: w },
      { name: "b", dims: [F], values: b },
      { name: "gw", dims: [M, F * H * W], values: gw },
      { name: "gb", dims: [M], values: gb },
    ],
    nodes: [
      {
        op: "Conv",
        inputs: ["x", "w", "b"],
        outputs: ["c"],
        attributes: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] },
      },
      { op: "Relu", inputs: ["c"], outputs: ["r"] },
      { op: "Flatten", inputs: ["r"], outputs: ["f"] },
      { op: "Gemm", inputs: ["f", "gw", "gb"], outputs: ["y"], attributes: { transB: 1 } },
    ],
  };
  const { model, report } = lower(spec);

  it("reads the input channels-last, with the flattening's order in the Gemm's columns", () => {
    expect(report.layout.inputChannelsLast).toBe(true);
    expect(model.inputs.shape).toEqual([H, W, C]);
    expect(model.source?.layout).toContain("channels-last, as [5, 4, 2]");
    expect(report.nodes.map((n) => n.layers)).toEqual([["conv_0"], ["relu_1"], ["flatten_2"], ["gemm_3"]]);
  });

  it("computes what ONNX's operators compute, within 1e-5", () => {
    for (let s = 0; s < 3; s++) {
      const x = random(C * H * W);
      const conv = convNCHW(x, [C, H, W], w, [F, C, 3, 3], b, [1, 1, 1, 1], [1, 1]);
      const flat = conv.y.map((v) => Math.max(v, 0));
      const y = Array.from(
        { length: M },
        (_, u) => gb[u] + flat.reduce((a, v, i) => a + v * gw[u * flat.length + i], 0),
      );
      expectClose(runFloat32(model, channelsLast(x, [C, H, W])), y);
    }
  });

  it("gives onnxruntime's outputs within 1e-5", async () => {
    const x = random(C * H * W);
    const ours = runFloat32(model, channelsLast(x, [C, H, W]));
    expectClose(ours, Array.from(await onnxRuntime(onnxBytes(spec), x, [1, C, H, W])));
  });
});

describe("an ONNX graph that takes NHWC and transposes it", () => {
  const [H, W, C, F] = [4, 6, 3, 2];
  const w = random(F * C * 3);
  const spec: ModelSpec = {
    inputs: [{ name: "x", shape: ["batch", H, W, C] }],
    outputs: [{ name: "y", shape: ["batch", H, W - 2, F] }],
    initializers: [
      { name: "w", dims: [F, C, 1, 3], values: w },
      { name: "b", dims: [F], values: [0.5, -0.25] },
    ],
    nodes: [
      { op: "Transpose", inputs: ["x"], outputs: ["t"], attributes: { perm: [0, 3, 1, 2] } },
      { op: "Conv", inputs: ["t", "w", "b"], outputs: ["c"] },
      { op: "Transpose", inputs: ["c"], outputs: ["y"], attributes: { perm: [0, 2, 3, 1] } },
    ],
  };
  const { model, report } = lower(spec);

  it("keeps the input and the output in the model's own order: the Transposes are no ops (onnxruntime agrees)", () => {
    expect(report.layout).toMatchObject({
      inputShape: [1, H, W, C],
      inputChannelsLast: false,
      outputChannelsLast: false,
    });
    expect(report.nodes[0].note).toContain("no op");
    expect(report.nodes[2].note).toContain("no op");
    const x = random(H * W * C);
    // ONNX: NHWC → NCHW, the convolution, NCHW → NHWC
    const nchw = Array.from({ length: x.length }, (_, i) => x[(i % (H * W)) * C + Math.floor(i / (H * W))]);
    const conv = convNCHW(nchw, [C, H, W], w, [F, C, 1, 3], [0.5, -0.25], [0, 0, 0, 0], [1, 1]);
    expectClose(runFloat32(model, x), channelsLast(conv.y, conv.dims));
    return onnxRuntime(onnxBytes(spec), x, [1, H, W, C]).then((y) =>
      expectClose(runFloat32(model, x), Array.from(y)),
    );
  });
});

describe("constants after a layer", () => {
  const [I, M] = [5, 3];
  const gw = random(I * M);
  const scale = [2, -0.5, 0.25];
  const spec = (between: boolean): ModelSpec => ({
    inputs: [{ name: "x", shape: [1, I] }],
    outputs: [{ name: "y", shape: [1, M] }],
    initializers: [
      { name: "gw", dims: [I, M], values: gw },
      { name: "s", dims: [M], values: scale },
      { name: "k", dims: [], values: [0.75] },
    ],
    nodes: [
      { op: "MatMul", inputs: ["x", "gw"], outputs: ["m"] },
      ...(between ? [{ op: "Sigmoid", inputs: ["m"], outputs: ["m2"] }] : []),
      { op: "Mul", inputs: [between ? "m2" : "m", "s"], outputs: ["p"] },
      { op: "Sub", inputs: ["p", "k"], outputs: ["y"] },
    ],
  });
  const expected = (x: number[], sigmoid: boolean) =>
    Array.from({ length: M }, (_, u) => {
      const m = x.reduce((a, v, i) => a + v * gw[i * M + u], 0);
      return (sigmoid ? 1 / (1 + Math.exp(-m)) : m) * scale[u] - 0.75;
    });

  it("fold into the Dense before them when nothing else reads it", () => {
    const { model, report } = lower(spec(false));
    expect(report.nodes.map((n) => n.note)).toEqual([
      undefined,
      "folded into matmul_0",
      "folded into matmul_0",
    ]);
    expect(model.layers.map((l) => l.kind)).toEqual(["dense"]);
    const x = random(I);
    expectClose(runFloat32(model, x), expected(x, false));
  });

  it("stay apart when the layer's output is also read under another name", () => {
    const spec: ModelSpec = {
      inputs: [{ name: "x", shape: [1, I] }],
      outputs: [{ name: "y", shape: [1, M] }],
      initializers: [
        { name: "gw", dims: [I, M], values: gw },
        { name: "s", dims: [M], values: scale },
      ],
      nodes: [
        { op: "MatMul", inputs: ["x", "gw"], outputs: ["m"] },
        { op: "Identity", inputs: ["m"], outputs: ["a"] },
        { op: "Dropout", inputs: ["m"], outputs: ["b"] },
        { op: "Mul", inputs: ["a", "s"], outputs: ["p"] },
        { op: "Add", inputs: ["p", "b"], outputs: ["y"] },
      ],
    };
    const { model, report } = lower(spec);
    expect(report.nodes[3].note).toBeUndefined();
    const x = random(I);
    const m = Array.from({ length: M }, (_, u) => x.reduce((a, v, i) => a + v * gw[i * M + u], 0));
    expectClose(
      runFloat32(model, x),
      m.map((v, u) => v * scale[u] + v),
    );
  });

  it("are a scale and a shift per channel after an activation", () => {
    const { model } = lower(spec(true));
    expect(model.layers.map((l) => l.kind)).toEqual([
      "dense",
      "activation",
      "batch_normalization",
      "batch_normalization",
    ]);
    const x = random(I);
    expectClose(runFloat32(model, x), expected(x, true));
  });
});

describe("a grouped convolution (2 groups of 2 channels)", () => {
  const w = random(4 * 2 * 3 * 3);
  const b = random(4);
  const spec: ModelSpec = {
    inputs: [{ name: "x", shape: [1, 4, 5, 5] }],
    outputs: [{ name: "y", shape: [1, 4, 3, 3] }],
    initializers: [
      { name: "w", dims: [4, 2, 3, 3], values: w },
      { name: "b", dims: [4], values: b },
    ],
    nodes: [
      {
        op: "Conv",
        inputs: ["x", "w", "b"],
        outputs: ["y"],
        attributes: { group: 2, strides: [2, 2], pads: [1, 1, 1, 1] },
      },
    ],
  };

  it("is one convolution with zero weights between the groups, as onnxruntime computes it", async () => {
    const { model, report } = lower(spec);
    expect(report.nodes[0].note).toContain("2 groups as one convolution");
    const x = random(100);
    const conv = convNCHW(x, [4, 5, 5], w, [4, 2, 3, 3], b, [1, 1, 1, 1], [2, 2], 2);
    expectClose(runFloat32(model, channelsLast(x, [4, 5, 5])), channelsLast(conv.y, conv.dims));
    const y = await onnxRuntime(onnxBytes(spec), x, [1, 4, 5, 5]);
    expectClose(runFloat32(model, channelsLast(x, [4, 5, 5])), channelsLast(Array.from(y), [4, 3, 3]));
  });
});

describe("refusals: one line naming the file, the node and what was expected", () => {
  const relu = (opset = 13): ModelSpec => ({
    opset,
    inputs: [{ name: "x", shape: [1, 4] }],
    outputs: [{ name: "y", shape: [1, 4] }],
    nodes: [{ op: "Relu", inputs: ["x"], outputs: ["y"], name: "act" }],
  });
  const refuses = async (bytes: Uint8Array, ...fragments: string[]) => {
    const file = join(dir, `case-${rng.int(1e9)}.onnx`);
    writeFileSync(file, bytes);
    const error = await importModel(file, Buffer.from(bytes)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message).not.toContain("\n");
    expect(message.startsWith(file)).toBe(true);
    for (const f of fragments) expect(message).toContain(f);
  };

  it("an operator nn2c does not import, with the node's name and the list", async () => {
    const spec = relu();
    spec.nodes[0] = { op: "Erf", inputs: ["x"], outputs: ["y"], name: "my_erf" };
    await refuses(onnxBytes(spec), "node 'my_erf' (Erf)", ONNX_OPERATORS.join(", "));
    // a line break in a name stays out of the message
    spec.nodes[0].name = "two\nlines";
    await refuses(onnxBytes(spec), "node 'two lines' (Erf)");
  });

  it("a dynamic dimension past the batch, naming the input and --input-shape", async () => {
    const spec = relu();
    spec.inputs[0].shape = ["N", "features"];
    await refuses(onnxBytes(spec), "input 'x'", "dynamic dimension 1 (features)", "--input-shape");
    const { model } = lower(spec, { inputShape: [1, 6] });
    expect(model.inputs.names).toHaveLength(6);
  });

  it("a truncated file", async () => {
    const bytes = onnxBytes(relu());
    await refuses(bytes.subarray(0, bytes.length - 5), "not a whole ONNX model");
  });

  it("an external data file that is missing; the same model reads it when it is there", async () => {
    const w = { name: "w", dims: [4, 2], values: random(8), external: "weights.bin" };
    const spec: ModelSpec = {
      inputs: [{ name: "x", shape: [1, 4] }],
      outputs: [{ name: "y", shape: [1, 2] }],
      initializers: [w],
      nodes: [{ op: "MatMul", inputs: ["x", "w"], outputs: ["y"] }],
    };
    const sub = mkdtempSync(join(dir, "external-"));
    const file = join(sub, "model.onnx");
    const bytes = onnxBytes(spec);
    writeFileSync(file, bytes);
    const error = await importModel(file, Buffer.from(bytes)).catch((e: Error) => e);
    expect((error as Error).message).toContain(`external data file '${join(sub, "weights.bin")}' is missing`);
    writeFileSync(join(sub, "weights.bin"), externalBytes(w));
    const imported = await importModel(file, Buffer.from(bytes));
    expect(imported.kind).toBe("float");
  });

  it("several outputs", async () => {
    const spec = relu();
    spec.outputs.push({ name: "x", shape: [1, 4] });
    await refuses(onnxBytes(spec), "2 graph outputs ('y', 'x'): expected one");
  });

  it("NaN weights, naming the tensor and the index", async () => {
    const spec: ModelSpec = {
      inputs: [{ name: "x", shape: [1, 2] }],
      outputs: [{ name: "y", shape: [1, 2] }],
      initializers: [{ name: "w", dims: [2, 2], values: [1, Number.NaN, 0, 1] }],
      nodes: [{ op: "MatMul", inputs: ["x", "w"], outputs: ["y"], name: "mm" }],
    };
    await refuses(onnxBytes(spec), "node 'mm' (MatMul)", "weights 'w'[1] is NaN");
  });

  it("shape arithmetic on a computed tensor", async () => {
    const spec: ModelSpec = {
      inputs: [{ name: "x", shape: [1, 4] }],
      outputs: [{ name: "y", shape: [1] }],
      initializers: [{ name: "i", dims: [], values: [1], type: "int64" }],
      nodes: [{ op: "Gather", inputs: ["x", "i"], outputs: ["y"], name: "pick" }],
    };
    await refuses(
      onnxBytes(spec),
      "node 'pick' (Gather)",
      "nn2c evaluates Gather at import, on constants only",
    );
  });

  it("an operator set beyond 18", async () => {
    await refuses(onnxBytes(relu(19)), "operator set 19: expected 6 to 18");
  });

  it("a Reshape that would move values between channels-first and channels-last", async () => {
    const spec: ModelSpec = {
      inputs: [{ name: "x", shape: [1, 12] }],
      outputs: [{ name: "y", shape: [1, 3, 2, 2] }],
      initializers: [{ name: "s", dims: [4], values: [1, 3, 2, 2], type: "int64" }],
      nodes: [
        { op: "Relu", inputs: ["x"], outputs: ["r"] },
        { op: "Reshape", inputs: ["r", "s"], outputs: ["y"], name: "to_chw" },
      ],
    };
    await refuses(onnxBytes(spec), "node 'to_chw' (Reshape)", "moves no value");
  });
});
