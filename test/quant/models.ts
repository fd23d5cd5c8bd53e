/**
 * Small float model files built by hand for the quantizer tests: every weight chosen or drawn from a seed.
 * Written as chains of version-1 layers and read as version-1 files are.
 */
import { parseModel } from "../../src/model/io.js";
import type { ModelFile, ModelFileV1 } from "../../src/model/schema.js";
import { Rng } from "../../src/rng.js";

/** A dense layer record from its weight rows ([units][inputs]) and biases. */
export function dense(
  weights: number[][],
  bias: number[],
  activation = "linear",
  alpha?: number,
): LayerRecord {
  return {
    kind: "dense",
    units: weights.length,
    activation,
    ...(alpha === undefined ? {} : { alpha }),
    weights,
    bias,
  };
}

/** A dense layer of `units` × `inputs` weights drawn uniformly from ±scale (biases from ±scale / 2). */
export function randomDense(
  rng: Rng,
  inputs: number,
  units: number,
  activation = "linear",
  scale = 1,
): LayerRecord {
  const weights = Array.from({ length: units }, () =>
    Array.from({ length: inputs }, () => Math.fround(rng.uniform(-scale, scale))),
  );
  const bias = Array.from({ length: units }, () => Math.fround(rng.uniform(-scale / 2, scale / 2)));
  return dense(weights, bias, activation);
}

type LayerRecord = ModelFileV1["layers"][number];

export interface ModelSpec {
  /** feature names; their standardisation is mean 0, std 1 unless given */
  names: string[];
  mean?: number[];
  std?: number[];
  layers: LayerRecord[];
  /** class names make a classifier; without them the model is a regression */
  classes?: string[];
}

/** A complete model file around the given layers (the training record is a placeholder). */
export function modelFile(spec: ModelSpec): ModelFile {
  const n = spec.names.length;
  return parseModel({
    format: "nn2c-model",
    version: 1,
    generator: "test",
    task: spec.classes ? "classification" : "regression",
    inputs: { names: spec.names, mean: spec.mean ?? Array(n).fill(0), std: spec.std ?? Array(n).fill(1) },
    output: spec.classes ? { label: "y", classes: spec.classes } : { label: "y", mean: 0, std: 1 },
    layers: spec.layers,
    training: {
      loss: spec.classes ? "crossentropy" : "mse",
      optimizer: { name: "adam" },
      epochs: 1,
      epochsRun: 1,
      batchSize: 1,
      validationSplit: 0,
      seed: 0,
      history: {},
      metrics: { train: {} },
    },
  } satisfies ModelFileV1);
}

/** `rows` rows of `cols` features drawn uniformly from ±spread, as float32. */
export function randomRows(seed: number, rows: number, cols: number, spread = 2): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: rows * cols }, () => rng.uniform(-spread, spread));
}
