/** `nn2c features DEF RAW.csv -o OUT.csv`: cuts raw samples into windows and writes their features. */
import type { Command } from "commander";
import { loadFeatures, STATISTICS } from "../features/definition.js";
import { featuresCsv, readRawSamples, sampleNames, windowFeatures } from "../features/windows.js";
import { checkOutputs, writeFileAtomic } from "../files.js";
import { action, printJson } from "./common.js";

export function registerFeatures(program: Command): void {
  program
    .command("features")
    .description(
      "compute window features of raw sensor samples (a CSV row per sample) into a training CSV (a row per window)",
    )
    .argument("<definition>", "feature definition (.features.json: axes, window, stride, statistics, bands)")
    .argument(
      "<raw>",
      "CSV of raw samples: a column per axis (int16 integers), the label, optionally a group",
    )
    .requiredOption("-o, --output <csv>", "the features CSV to write")
    .option(
      "--stream",
      "window the file as one stream, as the device does (windows may span recordings; no labels)",
      false,
    )
    .option(
      "--raw",
      "write each window's samples as one row (steps x axes, channels last) instead of its features, for a Conv1D model (train with --input-shape WINDOW,AXES)",
      false,
    )
    .option("--force", "replace an output file nn2c did not write", false)
    .addHelpText(
      "after",
      "\nA definition (examples/motion/motion.features.json):\n" +
        '  {"format": "nn2c-features", "version": 1, "axes": ["ax", "ay", "az"], "group": "recording",\n' +
        '   "sampleRate": 50, "window": 100, "stride": 25, "statistics": ["mean", "rms", "std", "ptp"],\n' +
        '   "bands": [[0.5, 1], [1.5, 2.5], [3, 4], [4.5, 8]]}\n' +
        `statistics: ${STATISTICS.join(", ")}; bands in Hz. Samples are int16 integers. The same\n` +
        "integer code runs on the device: nn2c export MODEL --features DEF adds <name>_features.h/.c.",
    )
    .option(
      "--json",
      "print one JSON object: samples, windows, featureCount, perClass, shortRecordings",
      false,
    )
    .action(
      action(
        (
          defFile: string,
          rawFile: string,
          flags: { output: string; stream: boolean; raw: boolean; force: boolean; json: boolean },
        ) => {
          const def = loadFeatures(defFile);
          const names = flags.raw ? sampleNames(def) : def.names;
          // ours: a CSV whose header row is this definition's feature names
          checkOutputs(
            [
              {
                file: flags.output,
                flag: "-o",
                isOurs: (t) => t.startsWith(`${names.join(",")},`) || t.startsWith(`${names.join(",")}\n`),
              },
            ],
            {
              force: flags.force,
              inputs: [
                { file: defFile, what: "feature definition" },
                { file: rawFile, what: "raw samples" },
              ],
            },
          );
          const raw = readRawSamples(def, rawFile);
          const f = windowFeatures(def, raw, flags.stream, flags.raw);
          if (flags.stream) f.labels.fill(undefined);
          writeFileAtomic(flags.output, featuresCsv(def, f, names));
          const counts = new Map<string, number>();
          for (const l of f.labels) if (l !== undefined) counts.set(l, (counts.get(l) ?? 0) + 1);
          const perClass = Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
          const summary = {
            output: flags.output,
            samples: raw.count,
            windows: f.rows.length,
            featureCount: names.length,
            perClass,
            shortRecordings: f.shortRuns,
          };
          if (flags.json) return printJson(summary);
          const classes = Object.entries(perClass)
            .map(([k, v]) => `${k} ${v}`)
            .join(", ");
          process.stdout.write(
            `${f.rows.length} windows of ${def.window} samples (stride ${def.stride}) from ${raw.count} samples → ${flags.raw ? `${names.length} samples (${def.window} x ${def.axes.length})` : `${names.length} features`} each in ${flags.output}\n` +
              (classes ? `per class: ${classes}\n` : "") +
              (f.shortRuns ? `skipped ${f.shortRuns} recordings shorter than one window\n` : ""),
          );
        },
      ),
    );
}
