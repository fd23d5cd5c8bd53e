/** Accuracy or rmse of the integer reference on labelled raw data. */
import type { Dataset } from "../data/dataset.js";
import { type Evaluation, scoreOutputs } from "../model/predict.js";
import { predictInteger } from "./intref.js";
import type { QModel } from "./schema.js";

export function evaluateQModel(q: QModel, ds: Dataset): Evaluation {
  const p = predictInteger(q, ds.x, ds.rows);
  return scoreOutputs(ds, { rows: ds.rows, cols: p.outputs, data: p.values }, q.precision);
}
