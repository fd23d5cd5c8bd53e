/** `nn2c inspect MODEL`: a float model's layers, parameters, MACs and weight bytes, or an integer program's ops. */
import type { Command } from "commander";
import { openModel } from "../import/index.js";
import { inspectModel, type ModelInfo } from "../model/inspect.js";
import { inspectQModel, type QModelInfo } from "../quant/inspect.js";
import { action, printJson } from "./common.js";

/** Columns padded to their widest cell; the columns from `right` on are right-aligned. */
export function table(rows: string[][], right: number): string {
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c >= right ? cell.padStart(w[c]) : cell.padEnd(w[c])))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

const shape = (s: readonly number[]) => `[${s.join(", ")}]`;

function floatText(info: ModelInfo): string {
  const chain = info.layers.every(
    (l, k) => l.from.length === 1 && l.from[0] === (k === 0 ? "input" : info.layers[k - 1].name),
  );
  const rows = [
    ["#", "layer (kind)", "activation", "output shape", "params", "MACs", ...(chain ? [] : ["inputs"])],
  ];
  for (const l of info.layers) {
    rows.push([
      String(l.index),
      `${l.name} (${l.kind})`,
      l.activation,
      shape(l.outputShape),
      String(l.params),
      String(l.macs),
      ...(chain ? [] : [l.from.join(", ")]),
    ]);
  }
  const b = info.weightBytes;
  return (
    `${info.task} model: input ${shape(info.inputShape)} (${info.inputs} values) -> ${info.outputs} outputs` +
    (info.classes ? ` (classes: ${info.classes.join(", ")})` : "") +
    `\n${table(rows, 4)}\n` +
    `params ${info.params}, MACs per inference ${info.macs}\n` +
    `weight bytes: float32 ${b.float32}, int8 ${b.int8}, int16 ${b.int16}\n` +
    (info.lowering.length ? `before export: ${info.lowering.join("; ")}\n` : "") +
    `float32 arena: ${info.plan.arenaBytes} bytes (${info.plan.tensors.map((t) => `${t.name} ${shape(t.shape)} at ${t.offset}`).join(", ")})\n`
  );
}

const quant = (q: { scale: number; zeroPoint: number }) => `${q.scale.toPrecision(4)} / ${q.zeroPoint}`;

function integerText(info: QModelInfo): string {
  const rows = [["#", "op", "output shape", "in scale / zp", "out scale / zp", "acc", "MACs", "bytes"]];
  for (const op of info.ops) {
    rows.push([
      String(op.index),
      `${op.name}: ${op.label}`,
      shape(op.outputShape),
      quant(op.input),
      quant(op.output),
      op.accumulator ?? (op.table === undefined ? "-" : `table ${op.table}`),
      String(op.macs),
      String(op.bytes),
    ]);
  }
  const tables = info.tables.map(
    (t) =>
      `table ${t.index}: ${t.kind} (${t.activation}), ${t.entries} entries, ${t.bytes} bytes, max error ${t.maxErrorLsb.toFixed(3)} LSB, mean ${t.meanErrorLsb.toFixed(3)} LSB`,
  );
  const b = info.bytes;
  return (
    `${info.precision} integer program, ${info.task}: input ${shape(info.inputShape)} (${info.inputs} values) -> ${info.outputs} outputs (${info.outputKind})` +
    (info.classes ? ` (classes: ${info.classes.join(", ")})` : "") +
    `\ninput quantization: scale ${info.input.scale.toPrecision(6)}, zero point ${info.input.zeroPoint}; output: scale ${info.outputQuant.scale.toPrecision(6)}, zero point ${info.outputQuant.zeroPoint}` +
    `\n${table(rows, 2)}\n` +
    (tables.length ? `${tables.join("\n")}\n` : "") +
    `params ${info.params}, MACs per inference ${info.macs}\n` +
    `constant bytes: weights ${b.weights}, biases ${b.bias}, requantization ${b.requantization}, tables ${b.table}, parameter structs ${b.parameters}; total ${b.total}\n` +
    `activation arena: ${info.arenaBytes} bytes (${info.plan.map((t) => `${t.name} ${shape(t.shape)} at ${t.offset}`).join(", ")})\n`
  );
}

export function registerInspect(program: Command): void {
  program
    .command("inspect")
    .description("show a float model's layers, or an integer program's ops, tables and bytes")
    .argument(
      "<model>",
      "model file: nn2c's float or quantized model, or a Keras .h5 or int8 .tflite file, imported as nn2c import does",
    )
    .option(
      "--json",
      "print one JSON object: float: layers (with shapes), params, macs, weightBytes, lowering, plan; quantized: ops, tables, params, macs, bytes, arenaBytes, plan",
      false,
    )
    .action(
      action(async (modelFile: string, flags: { json: boolean }) => {
        const any = await openModel(modelFile);
        const info = any.kind === "float" ? inspectModel(any.model) : inspectQModel(any.model);
        if (flags.json) return printJson(info);
        process.stdout.write(
          any.kind === "float" ? floatText(info as ModelInfo) : integerText(info as QModelInfo),
        );
      }),
    );
}
