/** `nn2c train DATA -o MODEL`: trains a model on a CSV file and writes the model file. */
import type { Command } from "commander";
import { Option } from "commander";
import { checkOutputs, hasJsonFormat, writeFilesAtomic } from "../files.js";
import { serializeModel } from "../model/io.js";
import { kerasClasses } from "../model/keras.js";
import { type SplitMetrics, trainFromCsv } from "../model/pipeline.js";
import { isPreset } from "../model/presets.js";
import { MODEL_FORMAT } from "../model/schema.js";
import { asciiCurves, isSvgReport, svgCurves } from "../report/curves.js";
import { action, fmt, intArg, layersArg, numberArg, printJson, shapeArg } from "./common.js";
import { epochProgress } from "./progress.js";

interface TrainFlags {
  output: string;
  label?: string;
  task?: "classification" | "regression";
  layers?: number[];
  architecture?: string;
  inputShape?: number[];
  activation?: string;
  alpha?: number;
  epochs: number;
  batchSize: number;
  optimizer: "adam" | "sgd";
  lr?: number;
  momentum?: number;
  seed: number;
  validationSplit: number;
  l2?: number;
  patience?: number;
  test?: string;
  report?: string;
  force: boolean;
  json: boolean;
  quiet: boolean;
}

function describeSplit(name: string, m: SplitMetrics | null): string {
  if (!m) return "";
  const metric = "accuracy" in m ? `accuracy ${fmt(m.accuracy)}` : `rmse ${m.rmse.toPrecision(4)}`;
  return `${name.padEnd(11)} loss ${m.loss.toFixed(4)}  ${metric}\n`;
}

export function registerTrain(program: Command): void {
  program
    .command("train")
    .description("train a dense network on a CSV file (header row, one label column)")
    .argument("<data>", "training data: CSV with a header row")
    .requiredOption("-o, --output <model>", "model file to write (JSON)")
    .option("--label <name>", "label column (default: the last column)")
    .addOption(
      new Option("--task <task>", "override the task inferred from the label").choices([
        "classification",
        "regression",
      ]),
    )
    .option("--layers <widths>", "hidden layer widths, comma-separated, or none", layersArg)
    .option(
      "--architecture <file|preset>",
      "the layers of a Keras Sequential model, as model.to_json() writes them, or a preset: conv1d (windows of sensor samples), conv2d (small images); instead of --layers, --activation, --alpha, --l2",
    )
    .option(
      "--input-shape <dims>",
      "the shape of one example, channels last, e.g. 8,8,1 (each CSV row holds it flattened); default: the architecture's input, else one dimension of the feature columns",
      shapeArg,
    )
    .option("--activation <name>", "hidden layer activation (relu, relu6, leaky_relu, sigmoid, tanh, linear)")
    .option(
      "--alpha <slope>",
      "negative slope of leaky_relu",
      numberArg((v) => v >= 0 && v < 1, "a number in [0, 1)"),
    )
    .option("--epochs <n>", "training epochs", intArg(), 50)
    .option("--batch-size <n>", "rows per gradient step", intArg(), 32)
    .addOption(new Option("--optimizer <name>", "optimizer").choices(["adam", "sgd"]).default("adam"))
    .option(
      "--lr <rate>",
      "learning rate (default: adam 0.001, sgd 0.01)",
      numberArg((v) => v > 0, "a positive number"),
    )
    .option(
      "--momentum <m>",
      "sgd momentum (default 0.9)",
      numberArg((v) => v >= 0 && v < 1, "a number in [0, 1)"),
    )
    .option("--seed <n>", "seed for initialisation, shuffling and the validation split", intArg(0), 0)
    .option(
      "--validation-split <f>",
      "fraction of rows held out for validation (stratified)",
      numberArg((v) => v >= 0 && v < 1, "a fraction in [0, 1)"),
      0.2,
    )
    .option(
      "--l2 <factor>",
      "L2 regularisation of the weights",
      numberArg((v) => v >= 0, "a number >= 0"),
    )
    .option("--patience <epochs>", "early stopping on validation loss, restoring the best weights", intArg())
    .option("--test <file>", "held-out test CSV to report on (same columns)")
    .option("--report <file>", "write training curves as an SVG file")
    .option("--force", "replace an output file that nn2c did not write", false)
    .option("--json", "print one JSON object with the results on stdout", false)
    .option("-q, --quiet", "no progress or chart", false)
    .addHelpText(
      "after",
      `
Defaults follow the task: relu hidden layers; softmax + crossentropy for several classes, one sigmoid +
binary crossentropy for two, linear + mse for regression. Text labels or a few distinct integers are
classes; other numbers are a regression target.

With --architecture, the layers are those of a Keras Sequential model (model.to_json(), Keras 2 or 3:
${kerasLayerList()}); its last layer must fit the task (softmax over the classes, one sigmoid
for two classes, one linear unit for a regression), and settings nn2c does not have are refused by name.
The presets, as Edge Impulse's defaults: conv2d (Conv2D 8 3x3 relu, MaxPooling2D 2, Conv2D 16 3x3 relu,
GlobalAveragePooling2D, then the task's output layer; --input-shape H,W,C) and conv1d (Conv1D 8 3 relu,
MaxPooling1D 2, Dropout 0.25, Conv1D 16 3 relu, MaxPooling1D 2, Dropout 0.25, Flatten, then the output
layer; --input-shape STEPS,AXES).

Examples:
  nn2c train examples/digits/train.csv --test examples/digits/test.csv -o out/digits.json --report out/digits.svg
  nn2c train examples/digits/train.csv --architecture examples/digits/keras-architecture.json -o out/digits.json
  nn2c train examples/digits/train.csv --architecture conv2d --input-shape 8,8,1 -o out/digits-conv.json`,
    )
    .action(
      action((data: string, flags: TrainFlags) => {
        checkOutputs(
          [
            { file: flags.output, flag: "-o", isOurs: (t) => hasJsonFormat(t, MODEL_FORMAT) },
            ...(flags.report === undefined
              ? []
              : [{ file: flags.report, flag: "--report", isOurs: isSvgReport }]),
          ],
          {
            force: flags.force,
            inputs: [
              { file: data, what: "training data" },
              ...(flags.architecture === undefined || isPreset(flags.architecture)
                ? []
                : [{ file: flags.architecture, what: "architecture" }]),
              ...(flags.test === undefined ? [] : [{ file: flags.test, what: "test data" }]),
            ],
          },
        );
        const progress = epochProgress(flags.quiet || (flags.json && !process.stderr.isTTY));
        let result: ReturnType<typeof trainFromCsv>;
        try {
          result = trainFromCsv({ data, ...flags, onEpoch: progress.onEpoch });
        } finally {
          progress.stop();
        }
        writeFilesAtomic([
          { file: flags.output, content: serializeModel(result.model) },
          ...(flags.report === undefined
            ? []
            : [{ file: flags.report, content: svgCurves(result.history, `nn2c train ${data}`) }]),
        ]);
        if (flags.json) {
          printJson({
            model: flags.output,
            task: result.model.task,
            classes: result.model.output.classes,
            epochs: result.epochsRun,
            trainSamples: result.trainSamples,
            trainSeconds: result.trainSeconds,
            samplesPerSecond: result.samplesPerSecond,
            train: result.train,
            validation: result.validation,
            test: result.test,
            report: flags.report,
          });
          return;
        }
        const out = process.stdout;
        out.write(`${result.summary}\n\n`);
        if (!flags.quiet) out.write(`${asciiCurves(result.history, { color: out.isTTY })}\n\n`);
        out.write(
          `trained ${result.epochsRun} epochs on ${result.trainSamples} rows in ${result.trainSeconds.toFixed(2)} s ` +
            `(${Math.round(result.samplesPerSecond)} samples/s)\n`,
        );
        out.write(describeSplit("train", result.train));
        out.write(describeSplit("validation", result.validation));
        out.write(describeSplit("test", result.test));
        out.write(`wrote ${flags.output}${flags.report ? ` and ${flags.report}` : ""}\n`);
      }),
    );
}

/** The Keras classes nn2c reads, wrapped for the help text. */
function kerasLayerList(): string {
  return [...kerasClasses().keys()].sort().join(", ");
}
