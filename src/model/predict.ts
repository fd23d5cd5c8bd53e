/**
 * Running a float model file on raw features: standardise, run the network, undo the target scaling of
 * regression models. This is what the generated float32 C computes too.
 */

import { predictedClass } from "../core/classes.js";
import type { Matrix } from "../core/matrix.js";
import type { Dataset, DatasetSchema } from "../data/dataset.js";
import { standardize } from "../data/dataset.js";
import { toModel } from "./io.js";
import type { ModelFile } from "./schema.js";

/** The columns and classes data must have to be used with a model (float or quantized). */
export function datasetSchema(model: Pick<ModelFile, "inputs" | "output" | "task">): DatasetSchema {
  return {
    featureNames: model.inputs.names,
    labelName: model.output.label,
    task: model.task,
    classes: model.output.classes ?? [],
  };
}

/** Model outputs for raw feature rows: probabilities for classifiers, values in label units for regression. */
export function predictModel(model: ModelFile, x: Matrix): Matrix {
  const z = standardize(x.data, x.cols, model.inputs);
  const out = toModel(model).predictMatrix({ rows: x.rows, cols: x.cols, data: z });
  const { mean, std } = model.output;
  if (model.task === "regression" && mean !== undefined && std !== undefined) {
    for (let k = 0; k < out.data.length; k++) out.data[k] = Math.fround(out.data[k] * std + mean);
  }
  return out;
}

export interface Evaluation {
  samples: number;
  precision: string;
  accuracy?: number;
  rmse?: number;
}

/** Accuracy (classification) or rmse in label units (regression) of outputs against a labelled dataset. */
export function scoreOutputs(ds: Dataset, out: Matrix, precision: string): Evaluation {
  if (ds.task === "classification") {
    let hits = 0;
    for (let r = 0; r < ds.rows; r++)
      if (predictedClass(out.data, r * out.cols, out.cols) === ds.labels[r]) hits++;
    return { samples: ds.rows, precision, accuracy: hits / ds.rows };
  }
  let s = 0;
  for (let r = 0; r < ds.rows; r++) s += (out.data[r * out.cols] - ds.targets[r]) ** 2;
  return { samples: ds.rows, precision, rmse: Math.sqrt(s / ds.rows) };
}

export function evaluateModel(model: ModelFile, ds: Dataset): Evaluation {
  return scoreOutputs(ds, predictModel(model, { rows: ds.rows, cols: ds.cols, data: ds.x }), "float32");
}
