/** `nn2c verify MODEL -t TARGET`: compiles the generated C, runs it, compares with the TypeScript reference. */
import type { Command } from "commander";
import { loadDataset } from "../data/dataset.js";
import { JobError, UsageError } from "../errors.js";
import { datasetSchema } from "../model/predict.js";
import { verifyModel } from "../verify/verify.js";
import { action, fmt, intArg, printJson } from "./common.js";
import { type PrecisionFlags, precisionOption, resolveExportable } from "./export.js";

const TARGETS = ["host"];

export function registerVerify(program: Command): void {
  program
    .command("verify")
    .description("compile the generated C, run it, and compare every output with the TypeScript reference")
    .argument("<model>", "model file (float or quantized)")
    .option("-t, --target <target>", `where to run: ${TARGETS.join(", ")}`, "host")
    .option("--data <file>", "CSV rows to run (labelled: accuracy is reported too)")
    .option("--random <n>", "random vectors of each kind besides the extremes", intArg(0), 100)
    .addOption(precisionOption())
    .option("--calibration <data>", "calibration CSV, to quantize a float model on the fly")
    .option("--no-sanitize", "compile the host harness without AddressSanitizer and UBSan")
    .option("--templates <dir>", "render from a modified copy of the templates folder")
    .option("--keep <dir>", "keep the generated C and harness in this folder")
    .option("--json", "print one JSON object: target, vectors, mismatches, maxAbsDiff, accuracy", false)
    .action(
      action(
        async (
          modelFile: string,
          flags: PrecisionFlags & {
            target: string;
            data?: string;
            random: number;
            sanitize: boolean;
            templates?: string;
            keep?: string;
            json: boolean;
          },
        ) => {
          if (!TARGETS.includes(flags.target)) {
            throw new UsageError(`unknown target '${flags.target}': expected one of ${TARGETS.join(", ")}`);
          }
          const m = resolveExportable(modelFile, flags);
          const data = flags.data
            ? loadDataset(flags.data, { schema: datasetSchema(m.model), labelOptional: true })
            : undefined;
          const r = await verifyModel(m, {
            target: flags.target,
            data,
            random: flags.random,
            sanitize: flags.sanitize,
            templates: flags.templates,
            keepDir: flags.keep,
          });
          if (flags.json) {
            const { first, compileCommand: _c, ...rest } = r;
            printJson({ ...rest, firstMismatches: first });
          } else {
            process.stdout.write(
              `${r.precision} on ${r.target}: ${r.vectors} vectors, ${r.mismatches} mismatches, max |difference| ${r.maxAbsDiff}` +
                (r.accuracy !== undefined
                  ? `, accuracy ${fmt(r.accuracy)} on ${r.samples} labelled rows`
                  : "") +
                "\n",
            );
          }
          if (r.mismatches > 0) {
            const lines = r.first.map(
              (mm) =>
                `  ${mm.kind} vector ${mm.vector}: expected status ${mm.expected.status} [${mm.expected.values.slice(0, 8).join(", ")}], got status ${mm.actual.status} [${mm.actual.values.slice(0, 8).join(", ")}]`,
            );
            throw new JobError(
              `${r.mismatches} outputs differ from the TypeScript reference; the first:\n${lines.join("\n")}`,
            );
          }
        },
      ),
    );
}
