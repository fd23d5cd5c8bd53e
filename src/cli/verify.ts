/** `nn2c verify MODEL -t TARGET`: compiles the generated C, runs it, compares with the TypeScript reference. */
import type { Command } from "commander";
import { loadDataset } from "../data/dataset.js";
import { JobError } from "../errors.js";
import { checkModelInputs, loadFeatures } from "../features/definition.js";
import { readRawSamples } from "../features/windows.js";
import { checkOutputFolder } from "../files.js";
import { datasetSchema } from "../model/predict.js";
import { getCortexTarget, parseTargets, TARGET_NAMES } from "../toolchain/targets.js";
import { type VerifyResult, verifyModel } from "../verify/verify.js";
import { action, fmt, intArg, printJson } from "./common.js";
import { type PrecisionFlags, precisionOption, resolveExportable } from "./export.js";

interface VerifyFlags extends PrecisionFlags {
  target: string;
  data?: string;
  random?: number;
  sanitize: boolean;
  templates?: string;
  keep?: string;
  force: boolean;
  features?: string;
  json: boolean;
}

const defaultBoard = (target: string) => (target === "host" ? "" : getCortexTarget(target).machine);

function describe(r: VerifyResult): string {
  return (
    `${r.precision} on ${r.target}${r.board && r.board !== defaultBoard(r.target) ? ` (on ${r.board}: its own board is too small)` : ""}: ${r.vectors} vectors${r.windows !== undefined ? ` (${r.windows} windows through the features)` : ""}, ${r.mismatches} mismatches, max |difference| ${r.maxAbsDiff}` +
    (r.accuracy !== undefined
      ? `, accuracy ${fmt(r.accuracy)} on ${r.samples} labelled ${r.windows !== undefined ? "windows" : "rows"}`
      : "") +
    (r.rmse !== undefined ? `, rmse ${r.rmse.toPrecision(4)} on ${r.samples} labelled rows` : "")
  );
}

export function registerVerify(program: Command): void {
  program
    .command("verify")
    .description(
      "compile the generated C, run it (host or QEMU), and compare every output with the TypeScript reference",
    )
    .argument(
      "<model>",
      "model file: nn2c's float or quantized model, or a Keras .h5 or int8 .tflite file, imported as nn2c import does",
    )
    .option(
      "-t, --target <target>",
      `where to run: ${TARGET_NAMES.join(", ")}, a comma-separated list, or all`,
      "host",
    )
    .option(
      "--data <file>",
      "CSV rows to run (labelled: accuracy is reported too); with --features, raw samples to cut windows from",
    )
    .option(
      "--features <file>",
      "a feature definition: also verify <name>_features and <name>_predict_window on windows of samples",
    )
    .option(
      "--random <n>",
      "random vectors of each kind besides the extremes (default 100 on host, 20 on Cortex-M)",
      intArg(0),
    )
    .addOption(precisionOption())
    .option("--calibration <data>", "calibration CSV, to quantize a float model on the fly")
    .option("--no-sanitize", "compile the host harness without AddressSanitizer and UBSan")
    .option("--templates <dir>", "render from a modified copy of the templates folder")
    .option("--keep <dir>", "keep the generated C and harness in this folder")
    .option("--force", "with --keep: write into a folder that holds files nn2c did not write", false)
    .option(
      "--json",
      "print one JSON object: target, vectors, mismatches, maxAbsDiff, accuracy (and windows with --features)",
      false,
    )
    .action(
      action(async (modelFile: string, flags: VerifyFlags) => {
        const targets = parseTargets([flags.target], { allowHost: true });
        if (flags.keep !== undefined) checkOutputFolder(flags.keep, flags.force, "--keep");
        const features = flags.features === undefined ? undefined : loadFeatures(flags.features);
        const m = await resolveExportable(modelFile, flags);
        if (features) checkModelInputs(features, m.model.inputs.names, modelFile);
        const raw = features && flags.data ? readRawSamples(features, flags.data) : undefined;
        const data =
          flags.data && !features
            ? loadDataset(flags.data, { schema: datasetSchema(m.model), labelOptional: true })
            : undefined;
        const results: VerifyResult[] = [];
        for (const target of targets) {
          const r = await verifyModel(m, {
            target,
            data,
            random: flags.random ?? (target === "host" ? 100 : 20),
            sanitize: flags.sanitize,
            templates: flags.templates,
            keepDir: flags.keep,
            features,
            raw,
          });
          results.push(r);
          if (!flags.json) process.stdout.write(`${describe(r)}\n`);
        }
        if (flags.json) {
          const out = results.map(({ first, compileCommand: _c, ...rest }) => ({
            ...rest,
            firstMismatches: first,
          }));
          printJson(
            out.length === 1
              ? out[0]
              : { targets: out, mismatches: out.reduce((s, r) => s + r.mismatches, 0) },
          );
        }
        const failed = results.filter((r) => r.mismatches > 0);
        if (failed.length > 0) {
          const lines = failed.flatMap((r) =>
            r.first.map(
              (mm) =>
                `  ${r.target} ${mm.kind} vector ${mm.vector}: expected status ${mm.expected.status} [${mm.expected.values.slice(0, 8).join(", ")}], got status ${mm.actual.status} [${mm.actual.values.slice(0, 8).join(", ")}]`,
            ),
          );
          const total = failed.reduce((s, r) => s + r.mismatches, 0);
          throw new JobError(
            `${total} outputs differ from the TypeScript reference; the first:\n${lines.join("\n")}`,
          );
        }
      }),
    );
}
