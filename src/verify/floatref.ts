/**
 * The float32 reference that float32 exports are verified against: the float model run in float32
 * steps, in the order the generated C takes them (standardisation, then each dense sum from the bias
 * over the inputs in order, each product and sum rounded to float, then the activation, then the
 * regression rescaling). Training sums in double precision; far from the training range, where the
 * terms of a sum nearly cancel, the two differ by more than any tolerance relative to the output, while
 * this reference and the C agree to the last bit wherever no libm function (exp, tanh) is involved.
 */
import { standardize } from "../data/dataset.js";
import { DEFAULT_LEAKY_ALPHA, getActivation } from "../model/activations.js";
import type { ModelFile } from "../model/schema.js";

const f = Math.fround;

/** Raw outputs (before any regression rescaling) for standardised inputs, as <name>_predict computes them. */
export function runFloat32(model: ModelFile, z: ArrayLike<number>): Float32Array {
  let x = Float32Array.from(z);
  for (const layer of model.layers) {
    if (layer.kind === "dense") {
      const y = new Float32Array(layer.units);
      for (let o = 0; o < layer.units; o++) {
        const w = layer.weights[o];
        // C: float acc = bias[o]; acc += in[i] * w[i]; each product and sum rounded to float (no FMA)
        let acc = f(layer.bias[o]);
        for (let i = 0; i < x.length; i++) acc = f(acc + f(x[i] * f(w[i])));
        y[o] = acc;
      }
      x = y;
    }
    if (layer.activation === "linear") continue;
    // the C kernel takes alpha as a float constant
    const options = { alpha: f(layer.alpha ?? DEFAULT_LEAKY_ALPHA) };
    getActivation(layer.activation).forward(x, x, x.length, x.length, options);
  }
  return x;
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
