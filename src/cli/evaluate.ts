/** `nn2c evaluate MODEL DATA`: accuracy or rmse of a model on labelled data. */
import type { Command } from "commander";
import { loadDataset } from "../data/dataset.js";
import { openModel } from "../import/index.js";
import { datasetSchema, evaluateModel } from "../model/predict.js";
import { evaluateQModel } from "../quant/evaluate.js";
import { action, fmt, printJson } from "./common.js";

export function registerEvaluate(program: Command): void {
  program
    .command("evaluate")
    .description("evaluate a float or quantized model on labelled CSV data (raw features, as in training)")
    .argument(
      "<model>",
      "model file: nn2c's float or quantized model, or a Keras .h5 or int8 .tflite file, imported as nn2c import does",
    )
    .argument("<data>", "CSV with the model's feature columns and label")
    .option("--json", "print one JSON object: samples, precision, accuracy or rmse", false)
    .action(
      action(async (modelFile: string, data: string, flags: { json: boolean }) => {
        const any = await openModel(modelFile);
        const schema = datasetSchema(any.model);
        const ds = loadDataset(data, { schema });
        const result = any.kind === "float" ? evaluateModel(any.model, ds) : evaluateQModel(any.model, ds);
        if (flags.json) return printJson(result);
        const score =
          result.accuracy !== undefined
            ? `accuracy ${fmt(result.accuracy)}`
            : `rmse ${result.rmse!.toPrecision(5)}`;
        process.stdout.write(`${result.precision} model on ${result.samples} rows of ${data}: ${score}\n`);
      }),
    );
}
