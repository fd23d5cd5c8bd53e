/**
 * The float32 reference that float32 exports are verified against: the model's ops (after the lowering
 * pass) run in float32 steps, in the order the generated C takes them (standardisation, then each op as
 * its float kernel computes it, then the regression rescaling). Training sums in double precision; far
 * from the training range, where the terms of a sum nearly cancel, the two differ by more than any
 * tolerance relative to the output, while this reference and the C agree to the last bit wherever no
 * libm function (exp, tanh) is involved.
 */
import { sizeOf } from "../core/shape.js";
import { standardize } from "../data/dataset.js";
import { lowerModel } from "../model/io.js";
import type { ModelFile } from "../model/schema.js";
import { getOpFacet } from "../ops/index.js";

const f = Math.fround;

/** Raw outputs (before any regression rescaling) for standardised inputs, as <name>_predict computes them. */
export function runFloat32(model: ModelFile, z: ArrayLike<number>): Float32Array {
  const g = lowerModel(model);
  const values = new Map<string, Float32Array>([[g.input.name, Float32Array.from(z)]]);
  for (const op of g.ops) {
    const out = new Float32Array(sizeOf(op.outputShape));
    getOpFacet(op.kind).runFloat32(
      op,
      op.inputs.map((t) => values.get(t)!),
      out,
    );
    values.set(op.output, out);
  }
  return values.get(g.output)!;
}

/** Outputs for one row of raw features, as <name>_predict_float computes them (finite inputs only). */
export function predictFloat32(model: ModelFile, raw: ArrayLike<number>): Float32Array {
  const z = standardize(Float32Array.from(raw), raw.length, model.inputs);
  const out = runFloat32(model, z);
  const { mean, std } = model.output;
  if (model.task === "regression" && mean !== undefined && std !== undefined) {
    for (let k = 0; k < out.length; k++) out[k] = f(f(out[k] * f(std)) + f(mean));
  }
  return out;
}
