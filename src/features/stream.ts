/**
 * Continuous classification of a sample stream, as a device runs it (examples/motion/firmware): a
 * window every `stride` samples once `window` have arrived, its features, the model, and the class
 * with the largest output (the first on a tie; for one sigmoid output, class 1 when p >= 0.5) with
 * its confidence in per mille, truncated from the float32 output as the C's `(int32_t)(p * 1000.0f)`
 * does. For an integer model every number equals
 * the device's bit for bit.
 */
import type { Exportable } from "../core/exportable.js";
import { predictFloat32 } from "../reference/float32.js";
import { predictInteger } from "../reference/integer.js";
import type { FeatureDefinition } from "./definition.js";
import { type RawSamples, windowFeatures } from "./windows.js";

export interface WindowPrediction {
  window: number;
  /** first and last sample of the window */
  first: number;
  last: number;
  classIndex: number;
  className: string;
  /** the class's output × 1000, truncated (float32 arithmetic) */
  permille: number;
}

export function classifyStream(def: FeatureDefinition, m: Exportable, raw: RawSamples): WindowPrediction[] {
  const classes = m.model.output.classes ?? [];
  const f = windowFeatures(def, raw, true);
  return f.rows.map((row, window) => {
    const x = Float32Array.from(row);
    const out = m.kind === "quantized" ? predictInteger(m.model, x, 1).values : predictFloat32(m.model, x);
    // one sigmoid output: class 1 when p >= 0.5, with confidence p, else class 0 with 1 - p
    const scores = out.length === 1 ? [Math.fround(1 - out[0]), out[0]] : out;
    let best = 0;
    if (out.length === 1) best = out[0] >= 0.5 ? 1 : 0;
    else for (let c = 1; c < out.length; c++) if (out[c] > out[best]) best = c;
    const first = f.starts[window];
    return {
      window,
      first,
      last: first + def.window - 1,
      classIndex: best,
      className: classes[best] ?? String(best),
      permille: Math.trunc(Math.fround(scores[best] * 1000)),
    };
  });
}

/** The line examples/motion/firmware prints for a window. */
export function predictionLine(p: WindowPrediction): string {
  return `window ${p.window} samples ${p.first}..${p.last}: ${p.className} ${p.permille}`;
}
