/**
 * The functional API (Input, apply, Model) with the layers that need no convolution (Add, BatchNormalization,
 * Dropout, Flatten, Reshape, activation layers): training, the model file of the graph (version 2) and
 * back, the lowering (a folded model computes what the unfolded one does), export and verification; and
 * bad graphs in model files through the CLI, one line each.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Activation,
  Add,
  BatchNormalization,
  Dense,
  Dropout,
  Flatten,
  Input,
  LeakyReLU,
  Model,
  ReLU,
  ReLU6,
  Reshape,
  Sequential,
} from "../../src/index.js";
import {
  layerRecords,
  loadModel,
  lowerModel,
  saveModel,
  serializeModel,
  toModel,
} from "../../src/model/io.js";
import { MODEL_FORMAT, MODEL_VERSION, type ModelFile } from "../../src/model/schema.js";
import { quantizeModel } from "../../src/quant/quantize.js";
import { runFloat32 } from "../../src/reference/float32.js";
import { Rng } from "../../src/rng.js";
import { verifyModel } from "../../src/verify/verify.js";
import { ensureBuilt, expectUsageError, nn2c } from "../cli/run.js";
import { tempDir } from "../codegen/helpers.js";
import { requireTools } from "../toolchain/available.js";
import { usageError } from "../usage.js";

const dir = tempDir("functional");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const host = await requireTools("functional models: C on the host", ["gcc"]);

/** Two classes on 6 features: the sign of x0 + x1 - x2, and noise features. */
function data(seed: number, rows: number) {
  const rng = new Rng(seed);
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < rows; i++) {
    const r = Array.from({ length: 6 }, () => rng.uniform(-2, 2));
    x.push(r);
    y.push(r[0] + r[1] - r[2] > 0 ? 1 : 0);
  }
  return { x, y };
}

/** A model file around a trained model (inputs already standardised). */
function fileOf(model: Model): ModelFile {
  const names = Array.from({ length: 6 }, (_, i) => `x${i}`);
  return {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    generator: "test",
    task: "classification",
    inputs: { names, mean: names.map(() => 0), std: names.map(() => 1) },
    output: { label: "y", classes: ["no", "yes"] },
    layers: layerRecords(model),
    outputs: [model.definitionOf.output],
    training: {
      loss: "sparse_categorical_crossentropy",
      optimizer: { name: "adam", lr: 0.01 },
      epochs: 30,
      epochsRun: 30,
      batchSize: 32,
      validationSplit: 0,
      seed: 1,
      history: {},
      metrics: { train: {} },
    },
  };
}

/** A residual block with batch normalization, dropout and a reshape on the way. */
function residual(): Model {
  const x = Input({ shape: [6] });
  const h = Dense({ units: 12 }).apply(x);
  const b = BatchNormalization().apply(h);
  const r = ReLU().apply(b);
  const d = Dropout({ rate: 0.1 }).apply(r);
  const h2 = Dense({ units: 12, activation: "relu" }).apply(d);
  const sum = Add().apply([d, h2]);
  const grid = Reshape({ targetShape: [3, 4] }).apply(sum);
  const flat = Flatten().apply(grid);
  const out = Dense({ units: 2, activation: "softmax" }).apply(flat);
  return new Model({ inputs: x, outputs: out });
}

describe("the functional API", () => {
  const train = data(1, 400);
  const test = data(2, 200);
  const model = residual();
  model.compile({
    optimizer: { name: "adam", lr: 0.01 },
    loss: "sparse_categorical_crossentropy",
    metrics: ["accuracy"],
  });
  const history = model.fit(train.x, train.y, { epochs: 30, batchSize: 32, seed: 1 });

  it("trains a residual graph with compile, fit, evaluate and predict", () => {
    expect(history.history.loss[29]).toBeLessThan(history.history.loss[0]);
    expect(model.evaluate(test.x, test.y).accuracy).toBeGreaterThan(0.9);
    const p = model.predict(test.x.slice(0, 3));
    for (const row of p) expect(row[0] + row[1]).toBeCloseTo(1, 5);
  });

  it("summarises the graph as Keras does, with non-trainable parameters", () => {
    const s = model.summary();
    expect(s).toContain("batch_normalization (batch_normalization)");
    expect(s).toContain("(None, 3, 4)");
    expect(s).toContain("Total params: 314 (trainable 290, non-trainable 24)");
  });

  it("saves the graph and the moving statistics, and loads them to the same predictions", () => {
    const file = join(dir, "residual.json");
    saveModel(file, fileOf(model));
    const loaded = loadModel(file);
    expect(loaded.layers.find((l) => l.kind === "add")?.inputs).toEqual(["dropout", "dense_1"]);
    const bn = loaded.layers.find((l) => l.kind === "batch_normalization")!;
    expect(Object.keys(bn.weights!)).toEqual(["gamma", "beta", "movingMean", "movingVariance"]);
    expect(toModel(loaded).predict(test.x)).toEqual(model.predict(test.x));
    expect(serializeModel(loaded)).toBe(serializeModel(fileOf(model)));
  });

  it("lowers to fewer ops computing what the layers compute (within float rounding)", () => {
    const file = fileOf(model);
    const g = lowerModel(file);
    expect(g.ops.map((op) => op.kind)).toEqual(["dense", "dense", "add", "dense", "activation"]);
    expect(g.notes).toContain("folded batch_normalization 'batch_normalization' into dense 'dense'");
    const trained = model.predict(test.x);
    test.x.forEach((row, r) => {
      const ref = runFloat32(file, row);
      for (let i = 0; i < 2; i++) expect(Math.abs(ref[i] - trained[r][i])).toBeLessThan(1e-5);
    });
  });

  it.skipIf(host.missing.length > 0)(
    `exports to C that verifies bit-exact, int8 and float32${host.note}`,
    async () => {
      const file = fileOf(model);
      const x = Float32Array.from(train.x.flat());
      const q = quantizeModel(file, x, train.x.length, {
        precision: "int8",
        calibration: { method: "minmax" },
      });
      for (const m of [
        { kind: "quantized" as const, model: q },
        { kind: "float" as const, model: file },
      ]) {
        const res = await verifyModel(m, { target: "host", random: 20, seed: 3 });
        expect(res.mismatches).toBe(0);
      }
    },
    60_000,
  );

  it("keeps a BatchNormalization that nothing can absorb as a scale-and-shift op", () => {
    const x = Input({ shape: [6] });
    const b = BatchNormalization().apply(x);
    const l = LeakyReLU({ alpha: 0.2 }).apply(b);
    const out = Dense({ units: 2, activation: "softmax" }).apply(l);
    const m = new Model({ inputs: x, outputs: out });
    m.compile({ optimizer: "adam", loss: "sparse_categorical_crossentropy" });
    m.fit(train.x, train.y, { epochs: 2, seed: 1 });
    const g = lowerModel(fileOf(m));
    expect(g.ops.map((op) => [op.kind, op.activation.name])).toEqual([
      ["batch_normalization", "leaky_relu"],
      ["dense", "linear"],
      ["activation", "linear"],
    ]);
  });

  it("refuses what Keras refuses: shapes that do not fit, a layer applied twice, a second input", () => {
    const x = Input({ shape: [32] });
    const y = Input({ shape: [16] });
    expect(usageError(() => Add().apply([x, y]))).toBe(
      "add layer of [32] and [16]: every input must have the same shape",
    );
    const grid = Input({ shape: [4, 4] });
    expect(usageError(() => Dense({ units: 3 }).apply(grid))).toBe(
      "dense layer of [4, 4]: takes a 1-D input, got [4, 4]: add a Flatten layer before it",
    );
    expect(usageError(() => Reshape({ targetShape: [5, -1] }).apply(x))).toBe(
      "reshape layer of [32]: holds 32 values: the target shape [5, -1] holds no whole multiple of them",
    );
    const d = Dense({ units: 4 });
    d.apply(x);
    expect(usageError(() => d.apply(x))).toMatch(/applied twice/);
    const h = Dense({ units: 4 }).apply(y);
    expect(usageError(() => new Model({ inputs: x, outputs: h }))).toBe(
      "Model: the output depends on an Input other than the model's",
    );
    expect(usageError(() => Dropout({ rate: 1 }))).toMatch(/^dropout rate: /);
    expect(usageError(() => BatchNormalization({ epsilon: 0 }))).toMatch(/^batch_normalization epsilon: /);
  });

  it("builds the same layers as a Sequential", () => {
    const seq = new Sequential([
      Dense({ units: 8, inputShape: [6] }),
      BatchNormalization(),
      ReLU6(),
      Dropout({ rate: 0.2 }),
      Reshape({ targetShape: [2, 4] }),
      Flatten(),
      Activation("tanh"),
      Dense({ units: 2, activation: "softmax" }),
    ]);
    seq.compile({ optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"] });
    seq.fit(train.x, train.y, { epochs: 20, seed: 2 });
    expect(seq.evaluate(test.x, test.y).accuracy).toBeGreaterThan(0.85);
  });
});

describe.concurrent("bad graphs in model files, through the CLI", () => {
  let base: ModelFile;
  beforeAll(async () => {
    await ensureBuilt();
    base = fileOf(residual().build());
  });
  let n = 0;
  // biome-ignore lint/suspicious/noExplicitAny: the tests edit the file's JSON at will
  const variant = (edit: (m: any) => void): string => {
    const m = JSON.parse(serializeModel(base));
    edit(m);
    const folder = join(dir, `v${++n}`);
    mkdirSync(folder);
    const file = join(folder, "model.json");
    writeFileSync(file, JSON.stringify(m));
    return file;
  };
  const refused = async (file: string, ...fragments: string[]) => {
    for (const args of [
      ["inspect", file],
      ["export", file, "--name", "m", "-o", join(dir, `out${++n}`)],
    ]) {
      const run = await nn2c(args);
      expectUsageError(run, `${file}: `, ...fragments);
    }
  };
  // biome-ignore lint/suspicious/noExplicitAny: as above
  const index = (m: any, kind: string) => m.layers.findIndex((l: { kind: string }) => l.kind === kind);

  it("a cycle", async () => {
    const file = variant((m) => {
      m.layers[0].inputs = ["dense_1"];
    });
    await refused(file, "is part of a cycle: a model is a graph without cycles");
  });

  it("an unknown op kind, naming the kinds nn2c has", async () => {
    const file = variant((m) => {
      m.layers[0].kind = "conv9d";
    });
    await refused(file, "layers[0].kind", "add", "batch_normalization", "dense");
  });

  it("an Add of [6] and [12]", async () => {
    const file = variant((m) => {
      m.layers[index(m, "add")].inputs = ["input", "dense_1"];
    });
    await refused(file, "'add': ", "of [6] and [12]: every input must have the same shape");
  });

  it("a Flatten into a Dense of the wrong width", async () => {
    const file = variant((m) => {
      m.layers[index(m, "reshape")].config.targetShape = [2, 6];
      const last = m.layers[m.layers.length - 1];
      last.weights.kernel = last.weights.kernel.map((row: number[]) => row.slice(0, 10));
    });
    await refused(file, "'dense_2': weights.kernel[0]: expected 12 values");
  });

  it("a BatchNormalization with a non-positive variance", async () => {
    const file = variant((m) => {
      m.layers[index(m, "batch_normalization")].weights.movingVariance[3] = -0.5;
    });
    await refused(file, "'batch_normalization': movingVariance[3] is -0.5: expected a variance of 0 or more");
  });

  it("a model file of an unknown version, naming it", async () => {
    const file = variant((m) => {
      m.version = 7;
    });
    await refused(file, "model file version 7 is not supported (this nn2c reads versions 1 and 2)");
  });
});
