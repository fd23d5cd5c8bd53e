/**
 * Convolutional models: the window geometry against TensorFlow's rule, a small image task trained with
 * the library, the digits images through `nn2c train --architecture conv2d --input-shape 8,8,1` to C
 * that verifies bit-exact, Keras' Conv2D/Conv1D/pooling configs, and the refusals (one line, exit 2).
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Conv1D,
  Conv2D,
  Dense,
  DepthwiseConv2D,
  Flatten,
  GlobalAveragePooling1D,
  GlobalAveragePooling2D,
  GlobalMaxPooling2D,
  MaxPooling1D,
  MaxPooling2D,
  SeparableConv2D,
  Sequential,
  ZeroPadding2D,
} from "../../src/index.js";
import { readKerasArchitecture } from "../../src/model/keras.js";
import { geometry, validTaps } from "../../src/ops/conv2d/geometry.js";
import { Rng } from "../../src/rng.js";
import { ensureBuilt, expectUsageError, json, nn2c, ROOT } from "../cli/run.js";
import { tempDir } from "../codegen/helpers.js";
import { QEMU, requireTools } from "../toolchain/available.js";
import { usageError } from "../usage.js";

const dir = tempDir("conv");
const qemu = await requireTools("the digits conv example on every core", QEMU);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const DIGITS_TRAIN = join(ROOT, "examples/digits/train.csv");
const DIGITS_TEST = join(ROOT, "examples/digits/test.csv");

describe("window geometry (TensorFlow's rule)", () => {
  it("valid: only the windows that fit", () => {
    expect(
      geometry(7, 7, 1, { kernel: [3, 3], strides: [2, 2], dilation: [1, 1], padding: "valid" }),
    ).toMatchObject({
      Ho: 3,
      Wo: 3,
      padTop: 0,
      padLeft: 0,
    });
    // dilation 2 spans 5 inputs with a 3-tap kernel
    expect(
      geometry(9, 5, 1, { kernel: [3, 1], strides: [1, 1], dilation: [2, 1], padding: "valid" }).Ho,
    ).toBe(5);
  });

  it("same: ceil(size / stride) outputs, the odd padding pixel at the end", () => {
    // 5 inputs, kernel 2, stride 2: 3 outputs, 1 pixel of padding, at the bottom
    expect(
      geometry(5, 7, 1, { kernel: [2, 3], strides: [2, 2], dilation: [1, 1], padding: "same" }),
    ).toMatchObject({
      Ho: 3,
      Wo: 4,
      padTop: 0,
      padLeft: 1,
    });
    expect(
      geometry(8, 8, 1, { kernel: [3, 3], strides: [1, 1], dilation: [1, 1], padding: "same" }),
    ).toMatchObject({
      Ho: 8,
      padTop: 1,
    });
  });

  it("refuses a window larger than the input without padding", () => {
    expect(() =>
      geometry(4, 4, 1, { kernel: [5, 1], strides: [1, 1], dilation: [1, 1], padding: "valid" }),
    ).toThrow(
      'the window spans 5 rows, the input has 4: expected a window no larger than the input, or padding "same"',
    );
  });

  it("refuses a span or stride beyond 2^20, which would overflow the kernels' indices", () => {
    expect(() =>
      geometry(3, 3, 1, { kernel: [2, 2], strides: [1, 1], dilation: [2 ** 31, 1], padding: "same" }),
    ).toThrow(
      "the window spans 2147483649 rows (dilated) with stride 1: expected a span and stride of at most 1048576",
    );
    expect(() =>
      geometry(3, 3, 1, { kernel: [1, 1], strides: [1, 2 ** 21], dilation: [1, 1], padding: "valid" }),
    ).toThrow("with stride 2097152");
  });

  it("counts the taps inside the input as a loop over every tap does (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        (size, k, s, d, same) => {
          fc.pre(same || (k - 1) * d < size);
          const g = geometry(1, size, 1, {
            kernel: [1, k],
            strides: [1, s],
            dilation: [1, d],
            padding: same ? "same" : "valid",
          });
          let loop = 0;
          for (let o = 0; o < g.Wo; o++)
            for (let j = 0; j < k; j++) {
              const i = o * s - g.padLeft + j * d;
              if (i >= 0 && i < size) loop++;
            }
          expect(validTaps(size, g.Wo, k, s, d, g.padLeft)).toBe(loop);
        },
      ),
    );
  });
});

/** 6x6 images of a vertical or a horizontal bar, with noise: class 0 or 1. */
function bars(seed: number, n: number) {
  const rng = new Rng(seed);
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const at = 1 + rng.int(4);
    const img = Array.from({ length: 36 }, () => rng.uniform(-0.3, 0.3));
    for (let k = 0; k < 6; k++) img[label ? at * 6 + k : k * 6 + at] += 1;
    x.push(img);
    y.push(label);
  }
  return { x, y };
}

describe("convolutional models in the library", () => {
  it("a Conv2D network learns bars on 6x6 images", () => {
    const train = bars(1, 200);
    const test = bars(2, 100);
    const model = new Sequential([
      Conv2D({ filters: 4, kernelSize: 3, padding: "same", activation: "relu", inputShape: [6, 6, 1] }),
      MaxPooling2D({ poolSize: 2 }),
      Conv2D({ filters: 4, kernelSize: [1, 3], activation: "relu" }),
      GlobalAveragePooling2D(),
      Dense({ units: 2, activation: "softmax" }),
    ]);
    model.compile({
      optimizer: { name: "adam", lr: 0.02 },
      loss: "sparse_categorical_crossentropy",
      metrics: ["accuracy"],
    });
    model.fit(train.x, train.y, { epochs: 30, batchSize: 16, seed: 1 });
    expect(model.evaluate(test.x, test.y).accuracy).toBeGreaterThan(0.9);
    expect(model.summary()).toContain("(None, 3, 1, 4)");
  });

  it("a separable, depthwise and zero-padded network trains", () => {
    const train = bars(3, 200);
    const test = bars(4, 100);
    const model = new Sequential([
      ZeroPadding2D({ padding: 1, inputShape: [6, 6, 1] }),
      SeparableConv2D({ filters: 4, kernelSize: 3, activation: "relu", depthMultiplier: 2 }),
      DepthwiseConv2D({ kernelSize: 2, strides: 2, activation: "relu" }),
      GlobalMaxPooling2D(),
      Dense({ units: 2, activation: "softmax" }),
    ]);
    model.compile({
      optimizer: { name: "adam", lr: 0.02 },
      loss: "sparse_categorical_crossentropy",
      metrics: ["accuracy"],
    });
    model.fit(train.x, train.y, { epochs: 30, batchSize: 16, seed: 1 });
    expect(model.evaluate(test.x, test.y).accuracy).toBeGreaterThan(0.9);
    const s = model.summary();
    expect(s).toContain("(None, 8, 8, 1)");
    expect(s).toContain("separable_conv2d (separable_conv2d, relu)");
    expect(s).toContain("(None, 6, 6, 4)");
  });

  it("a Conv1D network builds with the shapes Keras gives", () => {
    const model = new Sequential([
      Conv1D({ filters: 8, kernelSize: 3, padding: "same", activation: "relu", inputShape: [20, 3] }),
      MaxPooling1D({ poolSize: 2 }),
      Conv1D({ filters: 4, kernelSize: 5, strides: 2 }),
      GlobalAveragePooling1D(),
      Dense({ units: 3, activation: "softmax" }),
    ]).build([20, 3], 1);
    expect(model.summary()).toContain("(None, 10, 8)");
    expect(model.summary()).toContain("(None, 3, 4)");
  });

  it("names the layer whose shapes do not fit", () => {
    expect(() =>
      new Sequential([Conv2D({ filters: 2, kernelSize: 5, inputShape: [4, 4, 1] })]).build([4, 4, 1]),
    ).toThrow(/layers\[0\] 'conv2d': .*the window spans 5 rows, the input has 4/);
    expect(usageError(() => Conv2D({ filters: 0, kernelSize: 3 }))).toMatch(/^conv2d filters: /);
    expect(usageError(() => MaxPooling2D({ poolSize: 0 }))).toMatch(/^max_pooling2d poolSize/);
    expect(() =>
      new Sequential([Dense({ units: 4, inputShape: [4] }), Conv1D({ filters: 2, kernelSize: 2 })]).build([
        4,
      ]),
    ).toThrow(/takes an input of \[steps, channels\], got \[4\]/);
    expect(() => new Sequential([Flatten({ inputShape: [4, 4, 1] })]).build([4, 4, 1])).not.toThrow();
  });
});

describe("Keras' convolution configs", () => {
  it("reads Conv2D, MaxPooling2D and GlobalAveragePooling2D as Keras 2 writes them", () => {
    const file = join(dir, "keras-conv.json");
    writeFileSync(
      file,
      JSON.stringify({
        class_name: "Sequential",
        config: {
          layers: [
            { class_name: "InputLayer", config: { batch_input_shape: [null, 8, 8, 1], name: "in" } },
            {
              class_name: "Conv2D",
              config: {
                name: "c",
                filters: 8,
                kernel_size: [3, 3],
                strides: [1, 1],
                padding: "same",
                data_format: "channels_last",
                dilation_rate: [1, 1],
                groups: 1,
                activation: "relu",
                use_bias: true,
                kernel_initializer: { class_name: "GlorotUniform", config: { seed: null } },
                bias_initializer: { class_name: "Zeros", config: {} },
                kernel_regularizer: null,
                bias_regularizer: null,
                activity_regularizer: null,
                kernel_constraint: null,
                bias_constraint: null,
              },
            },
            {
              class_name: "MaxPooling2D",
              config: {
                name: "p",
                pool_size: [2, 2],
                padding: "valid",
                strides: [2, 2],
                data_format: "channels_last",
              },
            },
            {
              class_name: "GlobalAveragePooling2D",
              config: { name: "g", data_format: "channels_last", keepdims: false },
            },
            { class_name: "Dense", config: { name: "d", units: 10, activation: "softmax" } },
          ],
        },
      }),
    );
    const arch = readKerasArchitecture(file);
    expect(arch.inputShape).toEqual([8, 8, 1]);
    expect(arch.layers.map((l) => l.config)).toEqual([
      {
        filters: 8,
        kernelSize: [3, 3],
        strides: [1, 1],
        dilationRate: [1, 1],
        padding: "same",
        activation: "relu",
        kernelInitializer: "glorot_uniform",
      },
      { poolSize: [2, 2], strides: [2, 2], padding: "valid" },
      {},
      { units: 10, activation: "softmax" },
    ]);
  });
});

describe.concurrent("nn2c train --architecture conv2d --input-shape 8,8,1", () => {
  beforeAll(ensureBuilt);

  it("runs examples/digits/README.md's commands: about the dense model's accuracy, bit-exact in C", async () => {
    // the README's commands, word for word but the paths
    const out = join(dir, "digits-conv.json");
    const run = await nn2c([
      "train",
      DIGITS_TRAIN,
      "--test",
      DIGITS_TEST,
      "-o",
      out,
      "--architecture",
      "conv2d",
      "--input-shape",
      "8,8,1",
      "--epochs",
      "50",
      "--lr",
      "0.01",
      "--json",
    ]);
    // the README's table: 0.9499 with seed 0
    expect(json<{ test: { accuracy: number } }>(run).test.accuracy).toBeGreaterThan(0.93);
    const q = join(dir, "digits-conv.int8.json");
    const quantize = ["quantize", out, "--calibration", DIGITS_TRAIN, "--precision", "int8", "-o", q];
    expect((await nn2c(quantize)).exitCode).toBe(0);
    // every core in npm run test:examples (CI), the host in npm test
    const targets = qemu.missing.length === 0 && process.env.NN2C_EXAMPLES === "full" ? "all" : "host";
    const verify = await nn2c(["verify", q, "-t", targets, "--data", DIGITS_TEST, "--json"]);
    type Result = { mismatches: number; accuracy: number };
    const results = json<{ targets?: Result[] } & Result>(verify);
    for (const r of results.targets ?? [results]) {
      expect(r.mismatches).toBe(0);
      expect(r.accuracy).toBeGreaterThan(0.93);
    }
    const inspect = await nn2c(["inspect", out]);
    expect(inspect.stdout).toContain("[8, 8, 8]");
  }, 120_000);

  const refused = async (args: string[], ...fragments: string[]) => {
    const out = join(dir, `bad${Math.random().toString(36).slice(2)}.json`);
    const run = await nn2c(["train", DIGITS_TRAIN, "--epochs", "1", "-q", "-o", out, ...args]);
    expectUsageError(run, ...fragments);
    expect(existsSync(out)).toBe(false);
  };

  it("refuses an input shape that is not the CSV's columns, and a preset without one", async () => {
    await refused(
      ["--architecture", "conv2d", "--input-shape", "8,7,1"],
      "--input-shape: the input shape [8, 7, 1] holds 56 values: ",
      "has 64 feature columns",
    );
    await refused(["--architecture", "conv2d"], "--architecture conv2d: needs --input-shape H,W,C");
    await refused(
      ["--architecture", "conv1d", "--input-shape", "8,8,1"],
      "--architecture conv1d: needs --input-shape STEPS,AXES",
    );
    await refused(
      ["--input-shape", "8,8,1"],
      "the default layers are Dense on the flat features: give --architecture too",
    );
    await refused(
      ["--architecture", "conv2d", "--input-shape", "8,0,1"],
      "--input-shape",
      "expected 1 to 4 comma-separated positive integers",
    );
  });

  it("refuses a kernel larger than the input, zero filters and a pooling window of zero, naming the layer", async () => {
    const arch = (layers: unknown[]) => {
      const folder = join(dir, `arch${Math.random().toString(36).slice(2)}`);
      mkdirSync(folder);
      const file = join(folder, "arch.json");
      writeFileSync(
        file,
        JSON.stringify({
          class_name: "Sequential",
          config: {
            layers: [
              { class_name: "InputLayer", config: { batch_input_shape: [null, 8, 8, 1] } },
              ...layers,
              { class_name: "Flatten", config: { name: "f" } },
              { class_name: "Dense", config: { name: "out", units: 10, activation: "softmax" } },
            ],
          },
        }),
      );
      return file;
    };
    const big = arch([{ class_name: "Conv2D", config: { name: "big", filters: 4, kernel_size: [9, 9] } }]);
    await refused(["--architecture", big], "'big'", "the window spans 9 rows, the input has 8");
    const none = arch([{ class_name: "Conv2D", config: { name: "none", filters: 0, kernel_size: 3 } }]);
    await refused(
      ["--architecture", none],
      `${none}: layers[1] 'none' (Conv2D): filters is 0: expected a positive integer`,
    );
    const pool = arch([{ class_name: "MaxPooling2D", config: { name: "p", pool_size: [0, 2] } }]);
    await refused(
      ["--architecture", pool],
      `${pool}: layers[1] 'p' (MaxPooling2D): pool_size is [0,2]: expected 2 positive integers`,
    );
  });
});
