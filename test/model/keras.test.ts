/**
 * Keras architecture files (`nn2c train DATA --architecture ARCH.json`): Keras 2 and Keras 3 forms of
 * `model.to_json()` for a Sequential model, each class nn2c reads, and the refusals: one line naming the
 * file, the layer and the field, exit code 2, nothing written.
 */

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kerasArchitecture, readKerasArchitecture } from "../../src/model/keras.js";
import { ensureBuilt, expectUsageError, json, nn2c, ROOT } from "../cli/run.js";
import { tempDir } from "../codegen/helpers.js";

const dir = tempDir("keras");
beforeAll(ensureBuilt);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DIGITS = join(ROOT, "examples/digits/keras-architecture.json");
const DIGITS_TRAIN = join(ROOT, "examples/digits/train.csv");
const IRIS_TRAIN = join(ROOT, "examples/iris/train.csv");

let n = 0;
function write(content: unknown): string {
  const folder = join(dir, `a${++n}`);
  mkdirSync(folder);
  const file = join(folder, "arch.json");
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

/** A Keras 3 Sequential as to_json() writes it: modules, registered names, batch_shape, dtype policies. */
function keras3(layers: { class_name: string; config: Record<string, unknown> }[], input = [4]) {
  const dtype = {
    module: "keras",
    class_name: "DTypePolicy",
    config: { name: "float32" },
    registered_name: null,
  };
  return {
    module: "keras",
    class_name: "Sequential",
    config: {
      name: "sequential",
      trainable: true,
      dtype,
      layers: [
        {
          module: "keras.layers",
          class_name: "InputLayer",
          config: { batch_shape: [null, ...input], dtype: "float32", sparse: false, name: "input_layer" },
          registered_name: null,
        },
        ...layers.map((l) => ({
          module: "keras.layers",
          class_name: l.class_name,
          config: { trainable: true, dtype, ...l.config },
          registered_name: null,
          build_config: { input_shape: [null, ...input] },
        })),
      ],
      build_input_shape: [null, ...input],
    },
    registered_name: null,
  };
}

const keras3Dense = (
  name: string,
  units: number,
  activation: string,
  extra: Record<string, unknown> = {},
) => ({
  class_name: "Dense",
  config: {
    name,
    units,
    activation,
    use_bias: true,
    kernel_initializer: {
      module: "keras.initializers",
      class_name: "GlorotUniform",
      config: { seed: null },
      registered_name: null,
    },
    bias_initializer: {
      module: "keras.initializers",
      class_name: "Zeros",
      config: {},
      registered_name: null,
    },
    kernel_regularizer: null,
    bias_regularizer: null,
    kernel_constraint: null,
    bias_constraint: null,
    ...extra,
  },
});

describe("readKerasArchitecture", () => {
  it("reads Keras 2's form: InputLayer's batch_input_shape, BatchNormalization's built axis [1]", () => {
    const arch = readKerasArchitecture(DIGITS);
    expect(arch.inputShape).toEqual([64]);
    expect(arch.layers.map((l) => [l.kind, l.name])).toEqual([
      ["dense", "dense"],
      ["batch_normalization", "batch_normalization"],
      ["activation", "re_lu"],
      ["dropout", "dropout"],
      ["dense", "dense_1"],
    ]);
    expect(arch.layers[0].config).toEqual({
      units: 32,
      activation: "linear",
      useBias: false,
      kernelInitializer: "glorot_uniform",
    });
    expect(arch.layers[1].config).toEqual({
      momentum: 0.99,
      epsilon: 0.001,
      center: true,
      scale: true,
      axis: 1,
    });
  });

  it("reads Keras 3's form, and every class nn2c has", () => {
    const file = write(
      keras3([
        keras3Dense("d1", 8, "relu", { kernel_regularizer: { class_name: "L2", config: { l2: 0.001 } } }),
        { class_name: "LeakyReLU", config: { name: "lr", negative_slope: 0.1 } },
        { class_name: "ReLU", config: { name: "r6", max_value: 6, negative_slope: 0, threshold: 0 } },
        { class_name: "Reshape", config: { name: "rs", target_shape: [2, 4] } },
        { class_name: "Flatten", config: { name: "fl", data_format: "channels_last" } },
        { class_name: "Activation", config: { name: "t", activation: "tanh" } },
        { class_name: "Dropout", config: { name: "dr", rate: 0.5, seed: null, noise_shape: null } },
        keras3Dense("d2", 3, "linear"),
        { class_name: "Softmax", config: { name: "sm", axis: -1 } },
      ]),
    );
    const arch = readKerasArchitecture(file);
    expect(arch.layers.map((l) => l.kind)).toEqual([
      "dense",
      "activation",
      "activation",
      "reshape",
      "flatten",
      "activation",
      "dropout",
      "dense",
      "activation",
    ]);
    expect(arch.layers[0].config).toMatchObject({ units: 8, activation: "relu", l2: 0.001 });
    expect(arch.layers[1].config).toEqual({ activation: "leaky_relu", alpha: 0.1 });
    expect(arch.layers[2].config).toEqual({ activation: "relu6" });
    expect(arch.layers[8].config).toEqual({ activation: "softmax" });
  });
});

describe.concurrent("nn2c train --architecture", () => {
  it("trains the digits architecture; export folds the batch normalization and verifies bit-exact", async () => {
    const out = join(dir, "digits.json");
    const run = await nn2c([
      "train",
      DIGITS_TRAIN,
      "--architecture",
      DIGITS,
      "--epochs",
      "5",
      "-q",
      "--json",
      "-o",
      out,
    ]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(json<{ train: { accuracy: number } }>(run).train.accuracy).toBeGreaterThan(0.8);
    const model = JSON.parse(readFileSync(out, "utf8"));
    expect(model.layers.map((l: { kind: string }) => l.kind)).toEqual([
      "dense",
      "batch_normalization",
      "activation",
      "dropout",
      "dense",
    ]);
    // the moving statistics were learnt: not the initial mean 0 and variance 1
    const bn = model.layers[1].weights;
    expect(bn.movingMean.some((v: number) => v !== 0)).toBe(true);
    expect(bn.movingVariance.some((v: number) => v !== 1)).toBe(true);
    const inspect = await nn2c(["inspect", out]);
    expect(inspect.stdout).toContain("folded batch_normalization 'batch_normalization' into dense 'dense'");
    expect(inspect.stdout).toContain("dropped dropout 'dropout'");
    const q = join(dir, "digits.q.json");
    expect((await nn2c(["quantize", out, "--calibration", DIGITS_TRAIN, "-o", q])).exitCode).toBe(0);
    const verify = await nn2c(["verify", q, "--json"]);
    expect(verify.exitCode, verify.stderr).toBe(0);
    expect(json<{ mismatches: number }>(verify).mismatches).toBe(0);
  }, 60_000);

  const fails = async (arch: string, data: string, ...fragments: string[]) => {
    const out = join(dir, `out${++n}.json`);
    const run = await nn2c(["train", data, "--architecture", arch, "--epochs", "1", "-q", "-o", out]);
    expectUsageError(run, ...fragments);
    expect(existsSync(out)).toBe(false);
  };

  it("refuses a class nn2c does not have, naming the layer and listing the ones it has", async () => {
    const file = write(keras3([{ class_name: "LSTM", config: { name: "rnn", units: 8 } }]));
    await fails(
      file,
      IRIS_TRAIN,
      `${file}: layers[1] 'rnn' (LSTM): class LSTM is no layer nn2c has: expected one of Activation, Add,`,
    );
  });

  it("refuses a setting nn2c would ignore, by its field", async () => {
    const constraint = write(
      keras3([
        keras3Dense("d", 3, "softmax", {
          kernel_constraint: { class_name: "MaxNorm", config: { max_value: 2 } },
        }),
      ]),
    );
    await fails(
      constraint,
      IRIS_TRAIN,
      `${constraint}: layers[1] 'd' (Dense): kernel_constraint is {"class_name":"MaxNorm"`,
      "or null",
    );
    const seeded = write(
      keras3([
        keras3Dense("d", 3, "softmax", {
          kernel_initializer: { class_name: "GlorotUniform", config: { seed: 42 } },
        }),
      ]),
    );
    await fails(
      seeded,
      IRIS_TRAIN,
      "'d' (Dense): kernel_initializer.config.seed",
      "expected null (nn2c seeds with --seed)",
    );
    const frozen = write(
      keras3([
        {
          ...keras3Dense("d", 3, "softmax"),
          config: { ...keras3Dense("d", 3, "softmax").config, trainable: false },
        },
      ]),
    );
    await fails(frozen, IRIS_TRAIN, "'d' (Dense): trainable is false: expected true");
    const axis = write(keras3([{ class_name: "BatchNormalization", config: { name: "bn", axis: [1, 2] } }]));
    await fails(axis, IRIS_TRAIN, "'bn' (BatchNormalization): axis", "expected -1 or the last axis");
  });

  it("refuses an output that does not fit the task, and an input that does not fit the data", async () => {
    const three = write(keras3([keras3Dense("out", 2, "softmax")]));
    await fails(
      three,
      IRIS_TRAIN,
      `${three}: the last layer 'out' gives [2] with softmax: `,
      "has 3 classes: expected 3 units with softmax",
    );
    const relu = write(keras3([keras3Dense("out", 3, "relu")]));
    await fails(relu, IRIS_TRAIN, "gives [3] with relu", "expected 3 units with softmax");
    const wide = write(keras3([keras3Dense("out", 3, "softmax")], [5]));
    await fails(wide, IRIS_TRAIN, `${wide}: the input shape [5] holds 5 values: `, "has 4 feature columns");
  });

  it("refuses what is not a chain of layers, and --layers with it", async () => {
    const other = write({ class_name: "Subclassed", config: { layers: [] } });
    await fails(
      other,
      IRIS_TRAIN,
      `${other}: class_name is "Subclassed": expected "Sequential" or "Functional"`,
    );
    const branched = write({
      class_name: "Functional",
      config: {
        layers: [
          { class_name: "InputLayer", config: { name: "in", batch_input_shape: [null, 4] } },
          { class_name: "Dense", config: { name: "a", units: 3 }, inbound_nodes: [[["in", 0, 0, {}]]] },
          { class_name: "Dense", config: { name: "b", units: 3 }, inbound_nodes: [[["in", 0, 0, {}]]] },
        ],
      },
    });
    await fails(
      branched,
      IRIS_TRAIN,
      `${branched}: a Functional model whose layers branch: training reads chains of layers from architecture files`,
    );
    const text = write("not json");
    await fails(text, IRIS_TRAIN, `${text}: not JSON`);
    const noInput = write({ class_name: "Sequential", config: { layers: [keras3Dense("d", 3, "softmax")] } });
    await fails(
      noInput,
      IRIS_TRAIN,
      `${noInput}: no input shape: expected an InputLayer or a batch_input_shape`,
    );
    const out = join(dir, "layers.json");
    const run = await nn2c(["train", IRIS_TRAIN, "--architecture", DIGITS, "--layers", "8", "-o", out]);
    expectUsageError(run, "--layers with --architecture: the architecture file defines the layers");
  });
});

describe("a Keras 3 Functional chain (inbound_nodes with keras_history)", () => {
  const node = (from: string) => [
    {
      args: [
        {
          class_name: "__keras_tensor__",
          config: { shape: [null, 4], dtype: "float32", keras_history: [from, 0, 0] },
        },
      ],
      kwargs: {},
    },
  ];
  const model = (second: string) => ({
    module: "keras",
    class_name: "Functional",
    config: {
      name: "f",
      layers: [
        {
          module: "keras.layers",
          class_name: "InputLayer",
          name: "in",
          config: { name: "in", batch_shape: [null, 4] },
          inbound_nodes: [],
        },
        {
          module: "keras.layers",
          class_name: "Dense",
          name: "a",
          config: { name: "a", units: 5, activation: "relu" },
          inbound_nodes: node("in"),
        },
        {
          module: "keras.layers",
          class_name: "Dense",
          name: "b",
          config: { name: "b", units: 3, activation: "softmax" },
          inbound_nodes: node(second),
        },
      ],
    },
  });

  it("is read as the chain it is", () => {
    const arch = kerasArchitecture(model("a"), "f.json");
    expect(arch.inputShape).toEqual([4]);
    expect(arch.layers).toHaveLength(2);
  });

  it("reads a branch as a graph: the layers each one reads", () => {
    const arch = kerasArchitecture(model("in"), "f.json");
    expect(arch.layers).toHaveLength(2);
    expect(arch.graph).toEqual({ input: "in", inputs: [["in"], ["in"]], output: "b" });
  });

  it("refuses a model of two outputs", () => {
    const two = model("in") as { config: Record<string, unknown> };
    two.config.output_layers = [
      ["a", 0, 0],
      ["b", 0, 0],
    ];
    expect(() => kerasArchitecture(two, "f.json")).toThrow(
      /^f\.json: output_layers \[\["a",0,0\],\["b",0,0\]\]: expected one output \(nn2c models have one of each\)$/,
    );
  });

  it("refuses a layer that reads one after it or none, naming the layer", () => {
    for (const second of ["b", "nowhere"])
      expect(() => kerasArchitecture(model(second), "f.json")).toThrow(
        /^f\.json: layers\[2\] 'b' \(Dense\): inbound_nodes .*: expected the layers before it that it reads, each called once$/,
      );
  });
});
