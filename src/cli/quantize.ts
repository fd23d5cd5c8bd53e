/** `nn2c quantize MODEL --calibration DATA --precision int8|int16 -o QMODEL`: post-training quantization. */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { Option } from "commander";
import { loadDataset } from "../data/dataset.js";
import { UsageError } from "../errors.js";
import { checkOutputs, hasJsonFormat, writeFileAtomic } from "../files.js";
import { openModel } from "../import/index.js";
import { datasetSchema, evaluateModel } from "../model/predict.js";
import { defaultCalibration } from "../quant/calibrate.js";
import { compareWithFloat, evaluateQModel } from "../quant/evaluate.js";
import { serializeQModel } from "../quant/io.js";
import { quantizeModel } from "../quant/quantize.js";
import { QMODEL_FORMAT } from "../quant/schema.js";
import { action, fmt, numberArg, printJson } from "./common.js";

interface QuantizeFlags {
  calibration: string;
  precision: "int8" | "int16";
  output: string;
  method?: "search" | "minmax" | "percentile";
  percentile?: number;
  argmax: boolean;
  test?: string;
  force: boolean;
  json: boolean;
}

export function registerQuantize(program: Command): void {
  program
    .command("quantize")
    .description("post-training quantization to an integer program (int8 or int16)")
    .argument("<model>", "float model file (from nn2c train or nn2c import), or a Keras .h5 file")
    .requiredOption("--calibration <data>", "representative rows (CSV with the model's feature columns)")
    .addOption(new Option("--precision <p>", "integer precision").choices(["int8", "int16"]).default("int8"))
    .requiredOption("-o, --output <qmodel>", "quantized model file to write (JSON)")
    .addOption(
      new Option(
        "--method <m>",
        "calibration range: search (the ranges that change the model's outputs least), min/max or percentiles (default: search for int8, minmax for int16)",
      ).choices(["search", "minmax", "percentile"]),
    )
    .option(
      "--percentile <p>",
      "with --method percentile: keep the values between the (100-p)th and pth percentile",
      numberArg((v) => v > 50 && v <= 100, "a number in (50, 100]"),
    )
    .option("--argmax", "argmax-only output: skip the final softmax, output logits", false)
    .option("--test <file>", "labelled CSV to compare float and integer accuracy on")
    .option("--force", "replace an output file that nn2c did not write", false)
    .option(
      "--json",
      "print one JSON object: precision, calibration (method, and per tensor its range, the share of calibration values clipped and the rms error in LSB), ops, luts, layerErrors, test",
      false,
    )
    .action(
      action(async (modelFile: string, flags: QuantizeFlags) => {
        checkOutputs([{ file: flags.output, flag: "-o", isOurs: (t) => hasJsonFormat(t, QMODEL_FORMAT) }], {
          force: flags.force,
          inputs: [
            { file: modelFile, what: "float model" },
            { file: flags.calibration, what: "calibration data" },
            ...(flags.test === undefined ? [] : [{ file: flags.test, what: "test data" }]),
          ],
        });
        const any = await openModel(modelFile);
        if (any.kind !== "float")
          throw new UsageError(
            `${modelFile}: is already an ${any.model.precision} integer program: quantize takes a float model`,
          );
        const model = any.model;
        const schema = datasetSchema(model);
        const cal = loadDataset(flags.calibration, { schema, labelOptional: true, exactColumns: true });
        const q = quantizeModel(
          model,
          cal.x,
          cal.rows,
          {
            precision: flags.precision,
            // --percentile alone means the percentile method
            calibration:
              flags.percentile !== undefined || flags.method === "percentile"
                ? { method: "percentile", percentile: flags.percentile }
                : flags.method
                  ? { method: flags.method }
                  : defaultCalibration(flags.precision),
            argmax: flags.argmax,
            sourceBytes: readFileSync(modelFile),
          },
          flags.calibration,
        );
        let comparison: {
          float: ReturnType<typeof evaluateModel>;
          integer: ReturnType<typeof evaluateQModel>;
          vsFloat: ReturnType<typeof compareWithFloat>;
        } | null = null;
        if (flags.test) {
          const test = loadDataset(flags.test, { schema });
          comparison = {
            float: evaluateModel(model, test),
            integer: evaluateQModel(q, test),
            vsFloat: compareWithFloat(model, q, test),
          };
        }
        writeFileAtomic(flags.output, serializeQModel(q));
        const luts = q.luts.map(({ table: _t, ...l }) => l);
        if (flags.json) {
          printJson({
            output: flags.output,
            precision: q.precision,
            calibrationRows: q.calibration!.rows,
            calibration: q.calibration,
            ops: q.ops.map((op) => ({
              kind: op.kind,
              activation: op.activation,
              ...(op.kind === "dense" ? { accumulator: op.accumulator } : {}),
            })),
            luts,
            layerErrors: q.layerErrors,
            test: comparison,
          });
          return;
        }
        const out = process.stdout;
        out.write(
          `${q.precision} integer program, calibrated on ${q.calibration!.rows} rows of ${flags.calibration}\n`,
        );
        const how =
          q.calibration!.method === "percentile"
            ? `percentile ${q.calibration!.percentile}`
            : q.calibration!.method === "search"
              ? "search (the least output error)"
              : "min/max";
        out.write(
          `tensor ranges by ${how}; on the calibration rows, the values clipped and the rms rounding error:\n`,
        );
        for (const t of q.calibration!.tensors ?? []) {
          out.write(
            `  ${t.name.padEnd(28)} [${t.lo.toPrecision(4)}, ${t.hi.toPrecision(4)}]  clipped ${(100 * t.clipped).toFixed(2)}%  rms ${t.rmsErrorLsb.toFixed(2)} LSB\n`,
          );
        }
        out.write("per-layer error on the calibration rows (float vs dequantized integer):\n");
        for (const e of q.layerErrors) {
          out.write(
            `  ${e.name.padEnd(28)} max ${e.maxAbsError.toPrecision(3)} (${e.maxErrorLsb.toFixed(2)} LSB), rms ${e.rmsError.toPrecision(3)}\n`,
          );
        }
        for (const l of luts) {
          out.write(
            `table ${l.activation}: ${l.entries} entries, ${l.bytes} bytes, max error ${l.maxErrorLsb.toFixed(3)} LSB, mean ${l.meanErrorLsb.toFixed(3)} LSB\n`,
          );
        }
        if (comparison) {
          const score = (e: { accuracy?: number; rmse?: number }) =>
            e.accuracy !== undefined ? `accuracy ${fmt(e.accuracy)}` : `rmse ${e.rmse!.toPrecision(4)}`;
          const v = comparison.vsFloat;
          out.write(
            `on ${flags.test}: float32 ${score(comparison.float)}, ${q.precision} ${score(comparison.integer)}; ` +
              `${q.precision} vs float32 outputs: rmse ${v.rmse.toPrecision(3)} (${v.rmsePercentOfRange.toFixed(2)}% of their range)` +
              (v.agreement !== undefined
                ? `, same class on ${(100 * v.agreement).toFixed(1)}% of rows`
                : "") +
              "\n",
          );
        }
        out.write(`wrote ${flags.output}\n`);
      }),
    );
}
