/**
 * The view of a feature definition for templates/features.{h,c}.hbs: the window, the statistic codes,
 * the bands' DFT bins and the Q15 tables, all computed here (the tables by the same function the
 * TypeScript features use).
 */
import { trigTables } from "../features/compute.js";
import { type FeatureDefinition, fmtHz as hz, STATISTICS } from "../features/definition.js";
import { cComment } from "./cnames.js";
import { banner } from "./emit.js";

export function emitFeatures(def: FeatureDefinition, name: string, NAME: string, hash: string) {
  const { cos, sin } = trigTables(def.window);
  const resolution = def.sampleRate / def.window;
  // eight {cos, sin} pairs per line
  const trig: string[] = [];
  for (let j = 0; j < def.window; j += 8) {
    const pairs: string[] = [];
    for (let i = j; i < Math.min(def.window, j + 8); i++) pairs.push(`{ ${cos[i]}, ${sin[i]} }`);
    trig.push(`${pairs.join(", ")},`);
  }
  return {
    name,
    NAME,
    banner: banner(name, hash, [
      cComment(
        `features: window ${def.window} samples, stride ${def.stride}, ${def.axes.length} axes, ${def.names.length} features`,
      ),
    ]),
    axisNames: cComment(def.axes.join(", ")),
    featureNames: cComment(def.names.join(", ")).slice(0, 400),
    sampleRate: hz(def.sampleRate),
    window: def.window,
    lastIndex: def.window - 1,
    stride: def.stride,
    axes: def.axes.length,
    featureCount: def.names.length,
    statisticNames: def.statistics.length ? def.statistics.join(", ") : "no statistics",
    statisticCount: def.statistics.length,
    statisticSlots: Math.max(1, def.statistics.length),
    statistics: def.statistics.length ? def.statistics.map((s) => STATISTICS.indexOf(s)).join(", ") : "0",
    resolution: hz(resolution),
    bandCount: def.bins.length,
    bands: def.bins.map(([first, last], k) => ({
      first,
      last,
      comment: cComment(
        `band${k}: [${def.bands[k][0]}, ${def.bands[k][1]}] Hz -> ${hz(first * resolution)}..${hz(last * resolution)} Hz`,
      ),
    })),
    trig,
    // constant data: the {cos, sin} table, the bins, the statistic codes and the parameter block
    flashBytes:
      (def.bins.length ? 4 * def.window + 4 * def.bins.length : 0) + Math.max(1, def.statistics.length) + 28,
  };
}
