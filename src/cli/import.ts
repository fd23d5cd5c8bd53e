/** `nn2c import FILE -o MODEL`: a model trained elsewhere as an nn2c model file. */
import type { Command } from "commander";
import { UsageError } from "../errors.js";
import { checkOutputs, hasJsonFormat, readBinaryFile, writeFileAtomic } from "../files.js";
import { importModel } from "../import/index.js";
import { ONNX_OPERATORS, ONNX_OPSETS } from "../import/onnx/lower.js";
import { TFLITE_FLOAT_OPERATORS } from "../import/tflite/float.js";
import { inspectModel } from "../model/inspect.js";
import { serializeModel } from "../model/io.js";
import { MODEL_FORMAT } from "../model/schema.js";
import { inspectQModel } from "../quant/inspect.js";
import { serializeQModel } from "../quant/io.js";
import { QMODEL_FORMAT } from "../quant/schema.js";
import { action, printJson } from "./common.js";

/** `--input-shape 1,3,32,32` as sizes. */
function sizesOf(text: string): number[] {
  const sizes = text.split(",").map((s) => Number(s.trim()));
  if (sizes.length < 2 || !sizes.every((n) => Number.isInteger(n) && n > 0))
    throw new UsageError(
      `--input-shape ${text}: expected positive integers separated by commas, batch first (e.g. 1,3,32,32)`,
    );
  return sizes;
}

export function registerImport(program: Command): void {
  program
    .command("import")
    .description(
      "import a model trained elsewhere: a Keras .h5 or .keras, TensorFlow.js model.json, ONNX or float32 TensorFlow Lite file becomes a float model; an int8 TensorFlow Lite file an integer program that keeps its quantization",
    )
    .argument(
      "<file>",
      `model file: Keras 2 .h5, Keras 3 .keras or TensorFlow.js Layers model.json (Sequential, or a Functional graph), float32 or int8 .tflite (${TFLITE_FLOAT_OPERATORS.join(", ")}), or .onnx (opsets ${ONNX_OPSETS.min} to ${ONNX_OPSETS.max}: ${ONNX_OPERATORS.join(", ")}; channels-first converted to channels-last)`,
    )
    .requiredOption("-o, --output <model>", "nn2c model file to write (JSON)")
    .option("--force", "replace an output file that nn2c did not write", false)
    .option(
      "--input-shape <sizes>",
      "ONNX: the input's shape, batch first, comma-separated (e.g. 1,3,32,32), where the file's is symbolic",
    )
    .option(
      "--json",
      "print one JSON object: output, format, operators (TensorFlow Lite's, with versions); float: layers (shapes, params, MACs), lowering (what folds or fuses); int8: ops (shapes, MACs, bytes), input and output quantization",
      false,
    )
    .action(
      action(
        async (
          file: string,
          flags: { output: string; force: boolean; json: boolean; inputShape?: string },
        ) => {
          checkOutputs(
            [
              {
                file: flags.output,
                flag: "-o",
                isOurs: (t) => hasJsonFormat(t, QMODEL_FORMAT) || hasJsonFormat(t, MODEL_FORMAT),
              },
            ],
            { force: flags.force, inputs: [{ file, what: "model to import" }] },
          );
          const imported = await importModel(file, readBinaryFile(file, "model to import"), {
            inputShape: flags.inputShape === undefined ? undefined : sizesOf(flags.inputShape),
          });
          if (imported.kind === "float") {
            const model = imported.model;
            writeFileAtomic(flags.output, serializeModel(model));
            const info = inspectModel(model);
            const layers = info.layers.map((l) => ({
              name: l.name,
              kind: l.kind,
              activation: l.activation,
              inputShapes: l.inputShapes,
              outputShape: l.outputShape,
              params: l.params,
              macs: l.macs,
            }));
            const operators = imported.tflite?.operatorCodes;
            const onnx = imported.onnx;
            if (flags.json)
              return printJson({
                output: flags.output,
                format: imported.format,
                source: model.source,
                ...(operators ? { operators } : {}),
                // ONNX: each node and what it became (a layer, folded into one, a constant, no op), the layout
                ...(onnx ? { onnx } : {}),
                layers,
                params: info.params,
                macs: info.macs,
                // what the lowering will fold, fuse or drop (batch normalizations, activations, dropout)
                lowering: info.lowering,
              });
            const what = onnx
              ? `ONNX (opset ${onnx.opset}${onnx.producer ? `, from ${onnx.producer}` : ""}), ${onnx.nodes.length} nodes (${[...new Set(onnx.nodes.map((n) => n.op))].join(", ")}) as`
              : imported.format === "tflite"
                ? `float32 TensorFlow Lite, ${imported.tflite!.operators.length} operators (${operators!.map((c) => `${c.op} v${c.version}`).join(", ")}) as`
                : imported.format === "tfjs"
                  ? `TensorFlow.js Layers model (${model.source?.kerasVersion ?? ""}),`
                  : imported.format === "keras"
                    ? `Keras ${model.source?.kerasVersion ?? ""} archive (.keras),`
                    : `Keras ${model.source?.kerasVersion ?? ""} HDF5,`;
            process.stdout.write(
              `${file}: ${what} ${layers.length} layers (${[...new Set(layers.map((l) => l.kind))].join(", ")})\n` +
                (onnx ? `${onnx.conversion}\n` : "") +
                `float model with input [${model.inputs.shape ?? [model.inputs.names.length]}] (taken as it is: mean 0, std 1); quantize it with nn2c quantize\n` +
                `wrote ${flags.output}\n`,
            );
            return;
          }
          const q = imported.model;
          const tflite = imported.tflite!;
          writeFileAtomic(flags.output, serializeQModel(q));
          const tensor = (name: string) => q.tensors.find((t) => t.name === name)!;
          const input = tensor("input");
          const output = tensor(q.outputs[0]);
          const info = inspectQModel(q);
          const ops = q.ops.map((op, k) => ({
            kind: op.kind,
            name: op.name,
            activation: op.activation,
            output: tensor(op.output).shape,
            inputShapes: info.ops[k].inputShapes,
            macs: info.ops[k].macs,
            bytes: info.ops[k].bytes,
          }));
          if (flags.json) {
            return printJson({
              output: flags.output,
              format: "tflite",
              operators: tflite.operatorCodes,
              ops,
              // RESHAPE operators become no op: the next op reads the same values
              reshapes: tflite.operators.filter((o) => o.op === "RESHAPE").length,
              macs: info.macs,
              bytes: info.bytes,
              input,
              outputTensor: output,
            });
          }
          const codes = tflite.operatorCodes.map((c) => `${c.op} v${c.version}`).join(", ");
          process.stdout.write(
            `${file}: TensorFlow Lite, ${tflite.operators.length} operators (${codes})\n` +
              `${q.precision} integer program of ${q.ops.length} ops, with TensorFlow Lite's scales, zero points, multipliers and shifts:\n` +
              ops
                .map((op) => `  ${op.name}: ${op.kind} → [${op.output.join(", ")}] ${op.activation}\n`)
                .join("") +
              `input [${input.shape.join(", ")}] scale ${input.scale} zero point ${input.zeroPoint}; output [${output.shape.join(", ")}] scale ${output.scale} zero point ${output.zeroPoint}\n` +
              `wrote ${flags.output}\n`,
          );
        },
      ),
    );
}
