/**
 * TensorFlow.js Layers as the oracle of the importer tests: seeded random weights for a model it built,
 * and the largest difference between its predictions and nn2c's float32 reference.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import type * as tfl from "@tensorflow/tfjs-layers";
import { predictModel } from "../../src/model/predict.js";
import type { ModelFile } from "../../src/model/schema.js";
import { Rng } from "../../src/rng.js";

/** Gives every weight of `model` seeded normal values (0.5 σ); moving variances are in [0.5, 1.5). */
export function randomizeWeights(model: tfl.LayersModel, seed: number): void {
  const rng = new Rng(seed);
  model.setWeights(
    model.weights.map((w) => {
      const n = w.shape.reduce((a: number, b) => a * (b ?? 1), 1);
      const variance = w.name.includes("moving_variance");
      const values = Float32Array.from({ length: n }, () =>
        variance ? 0.5 + rng.next() : 0.5 * rng.normal(),
      );
      return tf.tensor(values, w.shape as number[]);
    }),
  );
}

/** The largest |tfjs' prediction - nn2c's| over `rows` seeded normal inputs. */
export function largestDifference(
  model: tfl.LayersModel,
  imported: ModelFile,
  rows: number,
  seed: number,
): number {
  const shape = model.inputs[0].shape.slice(1) as number[];
  const cols = shape.reduce((a, b) => a * b, 1);
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: rows * cols }, () => rng.normal());
  const want = (model.predict(tf.tensor(x, [rows, ...shape])) as tf.Tensor).dataSync();
  const got = predictModel(imported, { rows, cols, data: x }).data;
  if (got.length !== want.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(got[i] - want[i]));
  return max;
}
