/** `nn2c export MODEL -o DIR --name NAME`: renders the model into a self-contained C folder. */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { Option } from "commander";
import { renderModel, writeOutputs } from "../codegen/export.js";
import type { Exportable } from "../core/exportable.js";
import { loadDataset } from "../data/dataset.js";
import { UsageError } from "../errors.js";
import { loadFeatures } from "../features/definition.js";
import { openModel } from "../import/index.js";
import { datasetSchema } from "../model/predict.js";
import { quantizeModel } from "../quant/quantize.js";
import { action, printJson } from "./common.js";

export interface PrecisionFlags {
  precision?: "float32" | "int8" | "int16";
  calibration?: string;
}

/**
 * The model to export at the precision asked for: a quantized model file as it is; a float model as
 * float32, or quantized on the fly with --calibration.
 */
export async function resolveExportable(file: string, flags: PrecisionFlags): Promise<Exportable> {
  const any = await openModel(file);
  if (any.kind === "quantized") {
    if (flags.precision && flags.precision !== any.model.precision) {
      throw new UsageError(
        `${file}: is an ${any.model.precision} model; --precision ${flags.precision} needs the float model`,
      );
    }
    return any;
  }
  const precision = flags.precision ?? "float32";
  if (precision === "float32") return any;
  if (!flags.calibration) {
    throw new UsageError(
      `--precision ${precision} with a float model needs --calibration DATA (or quantize it first)`,
    );
  }
  const cal = loadDataset(flags.calibration, {
    schema: datasetSchema(any.model),
    labelOptional: true,
    exactColumns: true,
  });
  const q = quantizeModel(
    any.model,
    cal.x,
    cal.rows,
    { precision, sourceBytes: readFileSync(file) },
    flags.calibration,
  );
  return { kind: "quantized", model: q };
}

export const precisionOption = () =>
  new Option(
    "--precision <p>",
    "float32 for a float model; int8/int16 quantizes it with --calibration",
  ).choices(["float32", "int8", "int16"]);

export function registerExport(program: Command): void {
  program
    .command("export")
    .description("generate self-contained C99 (model + runtime) from a float or quantized model")
    .argument(
      "<model>",
      "model file: nn2c's float or quantized model, or a Keras .h5 or int8 .tflite file, imported as nn2c import does",
    )
    .requiredOption("-o, --output <dir>", "folder to write the C files into")
    .requiredOption("--name <name>", "C identifier prefixing every symbol (e.g. digits → digits_predict)")
    .addOption(precisionOption())
    .option("--calibration <data>", "calibration CSV, to quantize a float model on the fly")
    .option("--templates <dir>", "render from a modified copy of the templates folder")
    .option(
      "--features <file>",
      "a feature definition (nn2c features): also generate <name>_features.h/.c, window → features → model",
    )
    .option("--force", "write into a folder that holds files nn2c did not generate", false)
    .option("--json", "print one JSON object: files, flashBytes, ramBytes", false)
    .action(
      action(
        async (
          modelFile: string,
          flags: PrecisionFlags & {
            output: string;
            name: string;
            templates?: string;
            features?: string;
            force: boolean;
            json: boolean;
          },
        ) => {
          const features = flags.features === undefined ? undefined : loadFeatures(flags.features);
          const m = await resolveExportable(modelFile, flags);
          const summary = writeOutputs(
            renderModel(m, { name: flags.name, templates: flags.templates, features }, modelFile),
            flags.output,
            flags.force,
          );
          if (flags.json) return printJson(summary);
          process.stdout.write(
            `${summary.precision} C for '${flags.name}' in ${summary.dir}: ${summary.files.join(", ")}\n` +
              `flash ${summary.flashBytes} bytes of constant data (plus code), RAM ${summary.ramBytes} bytes of arena\n`,
          );
        },
      ),
    );
}
