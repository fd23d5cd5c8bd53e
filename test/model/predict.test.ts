/** Running and describing a model file: standardisation, target scaling, scores, and its cost. */
import { describe, expect, it } from "vitest";
import { parseCsv } from "../../src/data/csv.js";
import { datasetFromTable } from "../../src/data/dataset.js";
import { inspectModel } from "../../src/model/inspect.js";
import { parseModel } from "../../src/model/io.js";
import { datasetSchema, evaluateModel, predictModel, scoreOutputs } from "../../src/model/predict.js";
import { MODEL_FORMAT, type ModelFileV1 } from "../../src/model/schema.js";

const training: ModelFileV1["training"] = {
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

/** y = 2 z + 1 on z = (x - 10) / 2, in label units y * 3 + 5 (written as version-1 files, read as they are). */
const regressionV1: ModelFileV1 = {
  format: MODEL_FORMAT,
  version: 1,
  generator: "test",
  task: "regression",
  inputs: { names: ["x"], mean: [10], std: [2] },
  output: { label: "y", mean: 5, std: 3 },
  layers: [{ kind: "dense", units: 1, activation: "linear", weights: [[2]], bias: [1] }],
  training,
};

const regression = parseModel(regressionV1);

/** One sigmoid output: class "yes" when x > 0 (z = x), "no" below. */
const binary = parseModel({
  ...regressionV1,
  task: "classification",
  inputs: { names: ["x"], mean: [0], std: [1] },
  output: { label: "y", classes: ["no", "yes"] },
  layers: [{ kind: "dense", units: 1, activation: "sigmoid", weights: [[4]], bias: [0] }],
} satisfies ModelFileV1);

/** 4 inputs → 6 relu → 3 softmax. */
const mlp = parseModel({
  ...regressionV1,
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
} satisfies ModelFileV1);

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
    const layer = (
      index: number,
      name: string,
      kind: string,
      activation: string,
      from: string,
      n: number,
      out: number,
      params: number,
      macs: number,
    ) => ({
      index,
      name,
      kind,
      activation,
      from: [from],
      inputShapes: [[n]],
      outputShape: [out],
      inputs: n,
      outputs: out,
      params,
      macs,
    });
    expect(info.layers).toEqual([
      layer(0, "dense", "dense", "relu", "input", 4, 6, 30, 24),
      layer(1, "dense_1", "dense", "linear", "dense", 6, 3, 21, 18),
      layer(2, "activation", "activation", "softmax", "dense_1", 3, 3, 0, 0),
    ]);
    expect(info.params).toBe(51);
    expect(info.macs).toBe(42);
    // float32: 4 bytes per parameter; int8 and int16 ("16x8"): int8 weights + a 32-bit bias, multiplier
    // and shift per output (a 64-bit bias only where a layer needs it)
    expect(info.weightBytes).toEqual({ float32: 204, int8: 24 + 72 + 18 + 36, int16: 24 + 72 + 18 + 36 });
    expect(info.lowering).toEqual([]);
  });
});
