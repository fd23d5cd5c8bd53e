/** Running and describing a model file: standardisation, target scaling, scores, and its cost. */
import { describe, expect, it } from "vitest";
import { parseCsv } from "../../src/data/csv.js";
import { datasetFromTable } from "../../src/data/dataset.js";
import { inspectModel } from "../../src/model/inspect.js";
import { datasetSchema, evaluateModel, predictModel, scoreOutputs } from "../../src/model/predict.js";
import { MODEL_FORMAT, MODEL_VERSION, type ModelFile } from "../../src/model/schema.js";

const training: ModelFile["training"] = {
  loss: "mse",
  optimizer: { name: "adam" },
  epochs: 1,
  epochsRun: 1,
  batchSize: 1,
  validationSplit: 0,
  seed: 0,
  history: {},
  metrics: { train: {} },
};

/** y = 2 z + 1 on z = (x - 10) / 2, in label units y * 3 + 5. */
const regression: ModelFile = {
  format: MODEL_FORMAT,
  version: MODEL_VERSION,
  generator: "test",
  task: "regression",
  inputs: { names: ["x"], mean: [10], std: [2] },
  output: { label: "y", mean: 5, std: 3 },
  layers: [{ kind: "dense", units: 1, activation: "linear", weights: [[2]], bias: [1] }],
  training,
};

/** One sigmoid output: class "yes" when x > 0 (z = x), "no" below. */
const binary: ModelFile = {
  ...regression,
  task: "classification",
  inputs: { names: ["x"], mean: [0], std: [1] },
  output: { label: "y", classes: ["no", "yes"] },
  layers: [{ kind: "dense", units: 1, activation: "sigmoid", weights: [[4]], bias: [0] }],
};

/** 4 inputs → 6 relu → 3 softmax. */
const mlp: ModelFile = {
  ...regression,
  task: "classification",
  inputs: { names: ["a", "b", "c", "d"], mean: [0, 0, 0, 0], std: [1, 1, 1, 1] },
  output: { label: "y", classes: ["u", "v", "w"] },
  layers: [
    {
      kind: "dense",
      units: 6,
      activation: "relu",
      weights: Array(6).fill([0, 0, 0, 0]),
      bias: Array(6).fill(0),
    },
    {
      kind: "dense",
      units: 3,
      activation: "linear",
      weights: Array(3).fill(Array(6).fill(0)),
      bias: [0, 0, 0],
    },
    { kind: "activation", activation: "softmax" },
  ],
};

describe("predictModel", () => {
  it("standardises raw features and scales regression outputs back to label units", () => {
    // x = 14: z = 2, y = 5, label 5 * 3 + 5 = 20;  x = 6: z = -2, y = -3, label -4
    const out = predictModel(regression, { rows: 2, cols: 1, data: Float32Array.from([14, 6]) });
    expect(Array.from(out.data)).toEqual([20, -4]);
  });

  it("gives probabilities for a classifier", () => {
    const out = predictModel(mlp, { rows: 1, cols: 4, data: Float32Array.from([1, 2, 3, 4]) });
    expect(Array.from(out.data, (v) => v.toFixed(6))).toEqual(["0.333333", "0.333333", "0.333333"]);
  });
});

describe("evaluateModel and scoreOutputs", () => {
  it("computes rmse in label units for regression", () => {
    const ds = datasetFromTable(parseCsv("x,y\n14,21.5\n6,-4\n"), { schema: datasetSchema(regression) });
    // errors 1.5 and 0: rmse sqrt(2.25 / 2)
    expect(evaluateModel(regression, ds)).toEqual({
      samples: 2,
      precision: "float32",
      rmse: Math.sqrt(1.125),
    });
  });

  it("thresholds a single sigmoid output at 0.5 for accuracy", () => {
    const ds = datasetFromTable(parseCsv("x,y\n1,yes\n-1,no\n0.5,no\n0,yes\n"), {
      schema: datasetSchema(binary),
    });
    // outputs sigmoid(4x): 0.98, 0.02, 0.88 (wrong), 0.5 (class 1: right)
    expect(evaluateModel(binary, ds)).toEqual({ samples: 4, precision: "float32", accuracy: 0.75 });
  });

  it("takes the first of tied outputs as the predicted class", () => {
    const ds = datasetFromTable(parseCsv("a,b,c,d,y\n0,0,0,0,u\n0,0,0,0,v\n"), {
      schema: datasetSchema(mlp),
    });
    expect(
      scoreOutputs(ds, { rows: 2, cols: 3, data: Float32Array.from([0.4, 0.4, 0.2, 0.4, 0.4, 0.2]) }, "x"),
    ).toEqual({ samples: 2, precision: "x", accuracy: 0.5 });
  });
});

describe("inspectModel", () => {
  it("counts parameters, MACs and weight bytes per layer and in total", () => {
    const info = inspectModel(mlp);
    expect(info).toMatchObject({ task: "classification", inputs: 4, outputs: 3, classes: ["u", "v", "w"] });
    expect(info.layers).toEqual([
      { index: 0, kind: "dense", activation: "relu", inputs: 4, outputs: 6, params: 30, macs: 24 },
      { index: 1, kind: "dense", activation: "linear", inputs: 6, outputs: 3, params: 21, macs: 18 },
      { index: 2, kind: "activation", activation: "softmax", inputs: 3, outputs: 3, params: 0, macs: 0 },
    ]);
    expect(info.params).toBe(51);
    expect(info.macs).toBe(42);
    // float32: 4 bytes per parameter; int8: weights + 12 bytes per output; int16: weights + 16 per output
    expect(info.weightBytes).toEqual({ float32: 204, int8: 24 + 72 + 18 + 36, int16: 24 + 96 + 18 + 48 });
  });
});
