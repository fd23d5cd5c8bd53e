/**
 * Window vectors for `verify --features`: windows of raw samples fed to <name>_features and
 * <name>_predict_window, and what the TypeScript reference says each must give. The windows come from
 * the user's raw CSV (evenly spaced over it, up to MAX_DATA_WINDOWS), then the extremes (every sample
 * at -32768, at 32767, full-scale square waves across samples and across axes) and seeded random
 * windows at random levels and spreads. Each is stored as a ring starting at a different slot, so the
 * wrap-around is exercised too.
 */
import type { Exportable } from "../core/exportable.js";
import { featureExtractor } from "../features/compute.js";
import type { FeatureDefinition } from "../features/definition.js";
import { type RawSamples, windowFeatures } from "../features/windows.js";
import { predictFloat32 } from "../reference/float32.js";
import { predictInteger } from "../reference/integer.js";
import { Rng } from "../rng.js";
import { type Expected, STATUS_OK } from "./vectors.js";

/** Windows taken from the data at most: enough to cover a file, small enough for a micro:bit's flash. */
export const MAX_DATA_WINDOWS = 128;

export interface WindowSet {
  /** rings of window × axes samples, and the slot of each ring's oldest sample */
  rings: Int16Array[];
  firsts: number[];
  expectedFeatures: Expected[];
  expectedOutputs: Expected[];
  /** class index of the windows from a labelled file (the first ones) */
  labels: number[];
}

export function makeWindowVectors(
  m: Exportable,
  def: FeatureDefinition,
  options: { raw?: RawSamples; random: number; seed?: number },
): WindowSet {
  const rng = new Rng(options.seed ?? 1);
  const n = def.window;
  const axes = def.axes.length;
  const windows: Int16Array[] = [];
  const labels: number[] = [];
  if (options.raw) {
    const f = windowFeatures(def, options.raw);
    const take = Math.min(MAX_DATA_WINDOWS, f.starts.length);
    const classes = m.model.output.classes ?? [];
    for (let k = 0; k < take; k++) {
      const w = Math.floor((k * f.starts.length) / take);
      const s = f.starts[w];
      windows.push(options.raw.samples.slice(s * axes, (s + n) * axes));
      const label = f.labels[w];
      if (label !== undefined && classes.includes(label)) labels.push(classes.indexOf(label));
    }
    if (labels.length !== windows.length) labels.length = 0;
  }
  const size = n * axes;
  windows.push(
    new Int16Array(size).fill(-32768),
    new Int16Array(size).fill(32767),
    Int16Array.from({ length: size }, (_, i) => (Math.floor(i / axes) % 2 ? 32767 : -32768)),
    Int16Array.from({ length: size }, (_, i) => (i % 2 ? 32767 : -32768)),
  );
  for (let k = 0; k < options.random; k++) {
    const level = rng.int(65536) - 32768;
    const spread = 2 ** rng.int(17);
    windows.push(
      Int16Array.from({ length: size }, () =>
        Math.max(-32768, Math.min(32767, level + Math.round((2 * rng.next() - 1) * spread))),
      ),
    );
  }

  const extract = featureExtractor(def);
  const set: WindowSet = { rings: [], firsts: [], expectedFeatures: [], expectedOutputs: [], labels };
  windows.forEach((w, k) => {
    const first = (k * 7) % n;
    const ring = new Int16Array(size);
    for (let i = 0; i < n; i++) ring.set(w.subarray(i * axes, (i + 1) * axes), ((first + i) % n) * axes);
    const features = extract(ring, first);
    const x = Float32Array.from(features);
    const out = m.kind === "quantized" ? predictInteger(m.model, x, 1).values : predictFloat32(m.model, x);
    set.rings.push(ring);
    set.firsts.push(first);
    set.expectedFeatures.push({ status: STATUS_OK, values: [...features] });
    set.expectedOutputs.push({ status: STATUS_OK, values: [...out] });
  });
  return set;
}
