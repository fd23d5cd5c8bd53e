/**
 * `nn2c demo`: the main job on bundled data, end to end: train the digits model, then each later stage
 * of the pipeline on it. Outputs go to out/demo (or --out).
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { type BenchResult, benchModel } from "../bench/bench.js";
import { renderModel, writeOutputs } from "../codegen/export.js";
import { loadDataset } from "../data/dataset.js";
import { JobError } from "../errors.js";
import { checkOutputFolder, writeFileAtomic, writeFilesAtomic } from "../files.js";
import { inspectModel } from "../model/inspect.js";
import { serializeModel } from "../model/io.js";
import { trainFromCsv } from "../model/pipeline.js";
import { datasetSchema, evaluateModel } from "../model/predict.js";
import { evaluateQModel } from "../quant/evaluate.js";
import { serializeQModel } from "../quant/io.js";
import { quantizeModel } from "../quant/quantize.js";
import { asciiCurves, svgCurves } from "../report/curves.js";
import { toolRuns } from "../toolchain/tools.js";
import { verifyModel } from "../verify/verify.js";
import { action, fmt, printJson } from "./common.js";
import { epochProgress } from "./progress.js";

const DEMO_TARGETS = ["cortex-m0", "cortex-m4", "cortex-m55"];

export const DIGITS_TRAIN = fileURLToPath(new URL("../../examples/digits/train.csv", import.meta.url));
export const DIGITS_TEST = fileURLToPath(new URL("../../examples/digits/test.csv", import.meta.url));

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("run the whole pipeline on the bundled digits data (8x8 handwritten digits, 10 classes)")
    .option("--out <dir>", "folder for the outputs", "out/demo")
    .option("--force", "write into a folder that holds files nn2c did not write", false)
    .option("--json", "print one JSON object with the summary", false)
    .option("-q, --quiet", "no progress or chart", false)
    .action(
      action(async (flags: { out: string; force: boolean; json: boolean; quiet: boolean }) => {
        checkOutputFolder(flags.out, flags.force, "--out");
        const modelFile = join(flags.out, "digits.json");
        const qmodelFile = join(flags.out, "digits.int8.json");
        const reportFile = join(flags.out, "digits-training.svg");
        const cDir = join(flags.out, "c");
        const say = (line: string) => {
          if (!flags.json) process.stdout.write(`${line}\n`);
        };
        // 1. train
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
        writeFilesAtomic([
          { file: modelFile, content: serializeModel(result.model) },
          { file: reportFile, content: svgCurves(result.history, "nn2c demo: digits") },
        ]);
        if (!flags.json) {
          process.stdout.write(`${result.summary}\n\n`);
          if (!flags.quiet)
            process.stdout.write(`${asciiCurves(result.history, { color: process.stdout.isTTY })}\n\n`);
        }
        say(
          `1. trained on ${result.trainSamples} rows x ${result.epochsRun} epochs in ${result.trainSeconds.toFixed(2)} s: ${modelFile}`,
        );
        // 2. quantize to int8, calibrated on the training rows
        const schema = datasetSchema(result.model);
        const train = loadDataset(DIGITS_TRAIN, { schema });
        const test = loadDataset(DIGITS_TEST, { schema });
        const q = quantizeModel(result.model, train.x, train.rows, { precision: "int8" }, DIGITS_TRAIN);
        writeFileAtomic(qmodelFile, serializeQModel(q));
        const floatAcc = evaluateModel(result.model, test).accuracy ?? 0;
        const intAcc = evaluateQModel(q, test).accuracy ?? 0;
        say(`2. quantized to int8: ${qmodelFile}`);
        // 3. export C (into --out, checked above)
        const exported = writeOutputs(
          renderModel({ kind: "quantized", model: q }, { name: "digits" }),
          cDir,
          true,
        );
        say(`3. exported C99 to ${cDir}: ${exported.files.length} files`);
        // 4. verify on the host: gcc, sanitizers, every output against the TypeScript reference
        const verified = await verifyModel(
          { kind: "quantized", model: q },
          { target: "host", data: test, random: 100 },
        );
        say(
          `4. verified on the host (gcc, ASan+UBSan): ${verified.vectors} vectors, ${verified.mismatches} mismatches`,
        );
        // 5. the same on Cortex-M cores under QEMU, and what it costs there (when the tools are installed)
        const mcu: { target: string; mismatches: number; vectors: number }[] = [];
        let cost: BenchResult | null = null;
        const m = { kind: "quantized" as const, model: q };
        if ((await toolRuns("arm-none-eabi-gcc")) && (await toolRuns("qemu-system-arm"))) {
          for (const target of DEMO_TARGETS) {
            const r = await verifyModel(m, { target, data: test, random: 20 });
            mcu.push({ target, mismatches: r.mismatches, vectors: r.vectors });
          }
          say(
            `5. verified on ${mcu.map((r) => r.target).join(", ")} under QEMU: ${mcu.map((r) => `${r.mismatches} mismatches in ${r.vectors}`).join("; ")}`,
          );
          cost = await benchModel(m, "cortex-m4");
        } else {
          say("5. skipped Cortex-M: install gcc-arm-none-eabi, libnewlib-arm-none-eabi and qemu-system-arm");
        }
        const info = inspectModel(result.model);
        const summary = {
          model: modelFile,
          qmodel: qmodelFile,
          report: reportFile,
          c: cDir,
          files: exported.files,
          trainSeconds: result.trainSeconds,
          samplesPerSecond: result.samplesPerSecond,
          float32: { testAccuracy: floatAcc },
          int8: { testAccuracy: intAcc, cTestAccuracy: verified.accuracy ?? null },
          flashBytes: exported.flashBytes,
          ramBytes: exported.ramBytes,
          params: info.params,
          macs: info.macs,
          verify: [
            { target: verified.target, vectors: verified.vectors, mismatches: verified.mismatches },
            ...mcu,
          ],
          cortexM4: cost,
        };
        if (flags.json) return printJson(summary);
        say("");
        say(
          `test accuracy (${test.rows} rows): float32 ${fmt(floatAcc)}, int8 ${fmt(intAcc)} (the C on the host: ${fmt(verified.accuracy ?? 0)})`,
        );
        say(`params ${info.params}, MACs per inference ${info.macs}`);
        if (!cost) {
          say(
            `flash about ${exported.flashBytes} bytes of weights and constants (plus the code), RAM ${exported.ramBytes} bytes of arena`,
          );
        } else {
          const instructions =
            cost.instructions === null || cost.instructionsPerMac === null
              ? "instructions not counted"
              : `${cost.instructions} instructions per inference (${cost.instructionsPerMac.toFixed(2)} per MAC)`;
          say(
            `on a Cortex-M4 (gcc -O2): ${cost.codeBytes} B code + ${cost.weightBytes} B weights in flash, ${cost.ramBytes} B RAM, ` +
              `${cost.stackBytes} B stack, ${instructions}`,
          );
          if (cost.notice) say(`note: ${cost.notice}`);
        }
        say(`C files: ${cDir}/ (digits.h declares digits_predict_float and digits_classify)`);
        const mismatches = verified.mismatches + mcu.reduce((n, r) => n + r.mismatches, 0);
        if (mismatches > 0)
          throw new JobError(`${mismatches} outputs of the C differ from the TypeScript reference`);
      }),
    );
}
