/** Accuracy or rmse of the integer reference on labelled raw data. */

import { predictedClass } from "../core/classes.js";
import type { Dataset } from "../data/dataset.js";
import { type Evaluation, predictModel, scoreOutputs } from "../model/predict.js";
import type { ModelFile } from "../model/schema.js";
import { predictInteger } from "../reference/integer.js";
import type { QModel } from "./schema.js";

export function evaluateQModel(q: QModel, ds: Dataset): Evaluation {
  const p = predictInteger(q, ds.x, ds.rows);
  return scoreOutputs(ds, { rows: ds.rows, cols: p.outputs, data: p.values }, q.precision);
}

export interface Fidelity {
  /** rows compared */
  samples: number;
  /** root mean square difference between integer and float outputs (label units for regression) */
  rmse: number;
  /** range of the float model's outputs over the rows */
  outputRange: number;
  /** rmse as a percentage of that range */
  rmsePercentOfRange: number;
  /** classification: the share of rows where both give the same class */
  agreement?: number;
}

/** How closely the integer model follows the float model on the same raw rows. */
export function compareWithFloat(model: ModelFile, q: QModel, ds: Dataset): Fidelity {
  const f = predictModel(model, { rows: ds.rows, cols: ds.cols, data: ds.x });
  const p = predictInteger(q, ds.x, ds.rows);
  let s = 0;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  let same = 0;
  const n = f.cols;
  for (let r = 0; r < ds.rows; r++) {
    for (let j = 0; j < n; j++) {
      const a = f.data[r * n + j];
      s += (a - p.values[r * p.outputs + j]) ** 2;
      lo = Math.min(lo, a);
      hi = Math.max(hi, a);
    }
    if (predictedClass(f.data, r * n, n) === predictedClass(p.values, r * p.outputs, p.outputs)) same++;
  }
  const rmse = Math.sqrt(s / (ds.rows * n));
  const outputRange = hi - lo;
  const result: Fidelity = {
    samples: ds.rows,
    rmse,
    outputRange,
    rmsePercentOfRange: outputRange > 0 ? (100 * rmse) / outputRange : 0,
  };
  if (model.task === "classification" && q.output.kind !== "logits") result.agreement = same / ds.rows;
  return result;
}
