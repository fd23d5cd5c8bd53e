/**
 * trainFromCsv: the task defaults (output layer, loss, metric), the model file it produces, determinism,
 * and the errors of bad settings and data.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { registerActivation, unregisterActivation } from "../../src/core/activations.js";
import { loadModel, saveModel, serializeModel } from "../../src/model/io.js";
import { type TrainOptions, trainFromCsv } from "../../src/model/pipeline.js";
import { modelSchema } from "../../src/model/schema.js";
import { Rng } from "../../src/rng.js";
import { usageError } from "../usage.js";

const IRIS_TRAIN = new URL("../../examples/iris/train.csv", import.meta.url).pathname;
const IRIS_TEST = new URL("../../examples/iris/test.csv", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "nn2c-pipeline-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function csv(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** y = 3 a - 2 b + 10 on 200 rows, a and b uniform in [-1, 1]. */
const regressionCsv = (() => {
  const rng = new Rng(3);
  const lines = ["a,b,y"];
  for (let i = 0; i < 200; i++) {
    const a = rng.uniform(-1, 1);
    const b = rng.uniform(-1, 1);
    lines.push(`${a.toFixed(4)},${b.toFixed(4)},${(3 * a - 2 * b + 10).toFixed(4)}`);
  }
  return csv("regression.csv", `${lines.join("\n")}\n`);
})();

/** Two text classes split by a + b > 0. */
const binaryCsv = (() => {
  const rng = new Rng(4);
  const lines = ["a,b,side"];
  for (let i = 0; i < 120; i++) {
    const a = rng.uniform(-1, 1);
    const b = rng.uniform(-1, 1);
    lines.push(`${a.toFixed(3)},${b.toFixed(3)},${a + b > 0 ? "right" : "left"}`);
  }
  return csv("binary.csv", `${lines.join("\n")}\n`);
})();

function trainError(options: TrainOptions): string {
  return usageError(() => trainFromCsv(options));
}

describe("trainFromCsv", () => {
  it("trains several classes with softmax and sparse crossentropy, reporting accuracy", () => {
    const result = trainFromCsv({ data: IRIS_TRAIN, test: IRIS_TEST, epochs: 100, batchSize: 16, lr: 0.01 });
    const { model } = result;
    expect(model.task).toBe("classification");
    expect(model.output.classes).toEqual(["setosa", "versicolor", "virginica"]);
    expect(model.layers.map((l) => [l.name, l.kind, l.config.activation, l.config.units])).toEqual([
      ["dense", "dense", "relu", 32],
      ["dense_1", "dense", "relu", 16],
      ["dense_2", "dense", "softmax", 3],
    ]);
    expect(model.training!.loss).toBe("sparse_categorical_crossentropy");
    expect(result.test).toMatchObject({ accuracy: expect.any(Number), loss: expect.any(Number) });
    expect((result.test as { accuracy: number }).accuracy).toBeGreaterThanOrEqual(0.9);
    expect(result.trainSamples).toBe(96);
    expect(result.epochsRun).toBe(100);
    expect(result.samplesPerSecond).toBeGreaterThan(0);
    expect(modelSchema().safeParse(JSON.parse(serializeModel(model))).success).toBe(true);
  });

  it("stores standardisation from the training rows and the settings used", () => {
    const { model } = trainFromCsv({ data: IRIS_TRAIN, epochs: 2, seed: 5, layers: [4] });
    expect(model.inputs.names).toEqual([
      "sepal_length_cm",
      "sepal_width_cm",
      "petal_length_cm",
      "petal_width_cm",
    ]);
    expect(model.inputs.mean.every((v) => v > 0)).toBe(true);
    expect(model.training).toMatchObject({
      epochs: 2,
      epochsRun: 2,
      batchSize: 32,
      validationSplit: 0.2,
      seed: 5,
      optimizer: { name: "adam", lr: 0.001 },
    });
    expect(Object.keys(model.training!.history).sort()).toEqual([
      "accuracy",
      "loss",
      "val_accuracy",
      "val_loss",
    ]);
    expect(model.training!.metrics.validation).toBeDefined();
    expect(model.training!.metrics.test).toBeUndefined();
  });

  it("trains two classes with one sigmoid output and binary crossentropy", () => {
    const result = trainFromCsv({ data: binaryCsv, epochs: 60, batchSize: 16, lr: 0.01, layers: [8] });
    expect(result.model.output.classes).toEqual(["left", "right"]);
    expect(result.model.layers.at(-1)?.config).toMatchObject({ units: 1, activation: "sigmoid" });
    expect(result.model.training!.loss).toBe("binary_crossentropy");
    expect((result.train as { accuracy: number }).accuracy).toBeGreaterThanOrEqual(0.9);
  });

  it("trains a regression target with a linear output and mse, reporting rmse in label units", () => {
    const result = trainFromCsv({ data: regressionCsv, epochs: 60, batchSize: 16, lr: 0.01, layers: [8] });
    const { model } = result;
    expect(model.task).toBe("regression");
    expect(model.layers.at(-1)?.config).toMatchObject({ units: 1, activation: "linear" });
    expect(model.training!.loss).toBe("mse");
    expect(model.output.mean).toBeCloseTo(10, 0);
    expect(model.output.std).toBeGreaterThan(1);
    expect(Object.keys(result.train)).toEqual(["loss", "rmse"]);
    // the target's standard deviation is about 2.1: a fitted model does much better than the mean
    expect((result.train as { rmse: number }).rmse).toBeLessThan(0.3);
    expect(result.history.rmse.at(-1)).toBeCloseTo((result.train as { rmse: number }).rmse, 1);
  });

  it("is deterministic: the same data, settings and seed give the same model file, byte for byte", () => {
    const options: TrainOptions = { data: IRIS_TRAIN, epochs: 5, batchSize: 8, seed: 3 };
    const a = serializeModel(trainFromCsv(options).model);
    const b = serializeModel(trainFromCsv(options).model);
    expect(b).toBe(a);
    expect(serializeModel(trainFromCsv({ ...options, seed: 4 }).model)).not.toBe(a);
  });

  it("trains on every row without a validation split", () => {
    const result = trainFromCsv({ data: IRIS_TRAIN, epochs: 1, validationSplit: 0 });
    expect(result.trainSamples).toBe(120);
    expect(result.validation).toBeNull();
  });

  it("stops early with patience and records the best epoch", () => {
    const result = trainFromCsv({ data: IRIS_TRAIN, epochs: 300, patience: 3, lr: 0.05, batchSize: 8 });
    const { earlyStopping, epochsRun } = result.model.training!;
    expect(epochsRun).toBeLessThan(300);
    expect(earlyStopping).toEqual({ patience: 3, bestEpoch: epochsRun - 3 });
  });

  it("uses the hidden activation, alpha, L2 and sgd settings given", () => {
    const { model } = trainFromCsv({
      data: IRIS_TRAIN,
      epochs: 1,
      layers: [5, 4],
      activation: "leaky_relu",
      alpha: 0.1,
      l2: 0.001,
      optimizer: "sgd",
      lr: 0.05,
    });
    expect(model.layers[0].config).toMatchObject({
      units: 5,
      activation: "leaky_relu",
      alpha: 0.1,
      l2: 0.001,
    });
    expect(model.training!.optimizer).toEqual({ name: "sgd", lr: 0.05, momentum: 0.9, nesterov: false });
  });

  it("trains with a registered activation; its model file loads only while the activation is registered", () => {
    registerActivation(
      "swish",
      (x) => x / (1 + Math.exp(-x)),
      (x, y) => {
        const s = 1 / (1 + Math.exp(-x));
        return s + y * (1 - s);
      },
    );
    try {
      const result = trainFromCsv({
        data: IRIS_TRAIN,
        activation: "swish",
        layers: [8],
        epochs: 50,
        lr: 0.01,
      });
      expect(result.model.layers[0].config.activation).toBe("swish");
      expect((result.train as { accuracy: number }).accuracy).toBeGreaterThanOrEqual(0.9);
      const file = join(dir, "swish.json");
      saveModel(file, result.model);
      expect(loadModel(file)).toEqual(JSON.parse(serializeModel(result.model)));
      unregisterActivation("swish");
      expect(() => loadModel(file)).toThrow(
        `${file}: layers[0] 'dense': config.activation: unknown activation 'swish'`,
      );
    } finally {
      unregisterActivation("swish");
    }
  });

  it("accepts no hidden layer", () => {
    const { model } = trainFromCsv({ data: IRIS_TRAIN, epochs: 1, layers: [] });
    expect(model.layers).toHaveLength(1);
    expect(model.layers[0].config).toMatchObject({ units: 3, activation: "softmax" });
  });
});

describe("trainFromCsv rejects", () => {
  it("fewer training rows than the batch size", () => {
    expect(trainError({ data: IRIS_TRAIN, batchSize: 100 })).toBe(
      `${IRIS_TRAIN}: 96 training rows, fewer than the batch size 100: lower --batch-size`,
    );
  });

  it.each([
    [{ epochs: 0 }, "--epochs 0: expected a positive integer"],
    [{ batchSize: -1 }, "--batch-size -1: expected a positive integer"],
    [{ layers: [8, 0] }, "--layers width 0: expected a positive integer"],
    [{ seed: -1 }, "--seed -1: expected a non-negative integer"],
    [{ validationSplit: 1 }, "--validation-split 1: expected a fraction in [0, 1)"],
    [{ activation: "softmax" }, "--activation softmax: hidden layers need an elementwise activation"],
  ] as [Partial<TrainOptions>, string][])("the setting %j", (setting, message) => {
    expect(trainError({ data: IRIS_TRAIN, ...setting })).toBe(message);
  });

  it("an unknown activation or optimizer", () => {
    expect(trainError({ data: IRIS_TRAIN, activation: "foo" })).toMatch(/^unknown activation 'foo'/);
    expect(trainError({ data: IRIS_TRAIN, optimizer: "rmsprop" as "adam" })).toMatch(
      /^unknown optimizer 'rmsprop'/,
    );
  });

  it("a class left without training rows by the validation split", () => {
    const file = csv("rare.csv", "a,y\n1,u\n2,u\n3,u\n4,v\n");
    expect(trainError({ data: file, batchSize: 1, validationSplit: 0.5 })).toBe(
      `${file}: class 'v' has no training rows after the validation split`,
    );
  });

  it("a test file with a class the training data does not have", () => {
    const test = csv(
      "test-unknown.csv",
      "sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,species\n1,2,3,4,rosa\n",
    );
    expect(trainError({ data: IRIS_TRAIN, test, epochs: 1 })).toBe(
      `${test}: line 2, column 'species': unknown class 'rosa' (known: setosa, versicolor, virginica)`,
    );
  });

  it("training that diverges", () => {
    expect(trainError({ data: regressionCsv, optimizer: "sgd", lr: 1e6, momentum: 0.9, epochs: 50 })).toMatch(
      /^training diverged at epoch \d+/,
    );
  });
});
