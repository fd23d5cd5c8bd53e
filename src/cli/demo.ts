/**
 * `nn2c demo`: the main job on bundled data, end to end: train the digits model, then each later stage
 * of the pipeline on it. Outputs go to out/demo (or --out).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { writeFileAtomic } from "../files.js";
import { inspectModel } from "../model/inspect.js";
import { serializeModel } from "../model/io.js";
import { asciiCurves, svgCurves } from "../report/curves.js";
import { trainFromCsv } from "../train/pipeline.js";
import { action, fmt, printJson } from "./common.js";
import { epochProgress } from "./progress.js";

export const DIGITS_TRAIN = fileURLToPath(new URL("../../examples/digits/train.csv", import.meta.url));
export const DIGITS_TEST = fileURLToPath(new URL("../../examples/digits/test.csv", import.meta.url));

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("run the whole pipeline on the bundled digits data (8x8 handwritten digits, 10 classes)")
    .option("--out <dir>", "folder for the outputs", "out/demo")
    .option("--json", "print one JSON object with the summary", false)
    .option("-q, --quiet", "no progress or chart", false)
    .action(
      action((flags: { out: string; json: boolean; quiet: boolean }) => {
        mkdirSync(flags.out, { recursive: true });
        const modelFile = join(flags.out, "digits.json");
        const reportFile = join(flags.out, "digits-training.svg");
        const progress = epochProgress(flags.quiet || flags.json);
        const result = (() => {
          try {
            return trainFromCsv({
              data: DIGITS_TRAIN,
              test: DIGITS_TEST,
              epochs: 50,
              seed: 0,
              onEpoch: progress.onEpoch,
            });
          } finally {
            progress.stop();
          }
        })();
        writeFileAtomic(modelFile, serializeModel(result.model));
        writeFileAtomic(reportFile, svgCurves(result.history, "nn2c demo: digits"));
        const info = inspectModel(result.model);
        const summary = {
          model: modelFile,
          report: reportFile,
          trainSeconds: result.trainSeconds,
          samplesPerSecond: result.samplesPerSecond,
          float32: { testAccuracy: "accuracy" in result.test! ? result.test.accuracy : null },
          params: info.params,
          macs: info.macs,
          weightBytes: info.weightBytes,
        };
        if (flags.json) return printJson(summary);
        const out = process.stdout;
        out.write(`${result.summary}\n\n`);
        if (!flags.quiet) out.write(`${asciiCurves(result.history, { color: out.isTTY })}\n\n`);
        out.write(
          `trained on ${result.trainSamples} rows x ${result.epochsRun} epochs in ${result.trainSeconds.toFixed(2)} s\n` +
            `float32 test accuracy: ${fmt(summary.float32.testAccuracy ?? 0)} (${DIGITS_TEST})\n` +
            `params ${info.params}, MACs per inference ${info.macs}, weights: float32 ${info.weightBytes.float32} B, int8 ${info.weightBytes.int8} B\n` +
            `wrote ${modelFile} and ${reportFile}\n`,
        );
      }),
    );
}
