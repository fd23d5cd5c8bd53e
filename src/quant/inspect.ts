/**
 * What an integer program holds: per op its kind, shapes, quantizations and the bytes of its constant
 * data as the export writes them; per table its kind, size and error; the bytes per section (weights,
 * biases, requantization, tables, parameter structs) and the memory plan of the activation arena.
 */
import { arrayBytes, arrayElements, emitQuantized, type PlannedTensorView } from "../codegen/emit.js";
import type { QuantParams } from "../core/quant.js";
import { opSummaries } from "../graph/summary.js";
import type { ArrayView } from "../ops/registry.js";
import { inputQuant, outputQuant, type QModel, tensorOf } from "./schema.js";

export interface QOpInfo {
  index: number;
  name: string;
  kind: string;
  /** "dense 64 -> 32 relu", "softmax" */
  label: string;
  inputShapes: number[][];
  outputShape: number[];
  input: QuantParams;
  output: QuantParams;
  /** dense: int32 or 64-bit accumulation */
  accumulator?: string;
  /** the table an activation reads */
  table?: number;
  macs: number;
  /** constant bytes of this op in the export (a shared table counts once, at its first op) */
  bytes: number;
}

export interface QTableInfo {
  index: number;
  kind: string;
  activation: string;
  entries: number;
  bytes: number;
  maxErrorLsb: number;
  meanErrorLsb: number;
}

export interface QModelInfo {
  precision: string;
  task: string;
  inputs: number;
  inputShape: number[];
  outputs: number;
  classes?: string[];
  outputKind: string;
  input: QuantParams;
  outputQuant: QuantParams;
  ops: QOpInfo[];
  tables: QTableInfo[];
  params: number;
  macs: number;
  /** constant bytes per section, as the export writes them */
  bytes: Record<ArrayView["section"] | "parameters" | "total", number>;
  /** the activation arena */
  arenaBytes: number;
  /** where each tensor lives in the arena */
  plan: PlannedTensorView[];
}

export function inspectQModel(q: QModel): QModelInfo {
  const view = emitQuantized(q, "model", "");
  const bytes: QModelInfo["bytes"] = {
    weights: 0,
    bias: 0,
    requantization: 0,
    table: 0,
    parameters: 0,
    total: 0,
  };
  const summaries = opSummaries({ kind: "quantized", model: q });
  const ops = q.ops.map((op, index): QOpInfo => {
    let opBytes = view.ops[index].params?.bytes ?? 0;
    bytes.parameters += opBytes;
    for (const a of view.ops[index].arrays) {
      bytes[a.section] += arrayBytes(a);
      opBytes += arrayBytes(a);
    }
    const s = summaries[index];
    const { scale, zeroPoint } = tensorOf(q, op.inputs[0]);
    const out = tensorOf(q, op.output);
    return {
      index,
      name: op.name,
      kind: op.kind,
      label: s.label,
      inputShapes: s.inputs.map((x) => [...x]),
      outputShape: [...s.output],
      input: { scale, zeroPoint },
      output: { scale: out.scale, zeroPoint: out.zeroPoint },
      ...(typeof op.accumulator === "string" ? { accumulator: op.accumulator } : {}),
      ...(typeof op.table === "number" ? { table: op.table } : {}),
      macs: s.macs,
      bytes: opBytes,
    };
  });
  bytes.total = bytes.weights + bytes.bias + bytes.requantization + bytes.table + bytes.parameters;
  const tables = q.tables.map((t, index): QTableInfo => {
    const lut = q.luts.find((l) => l.table === index);
    return {
      index,
      kind: t.kind,
      activation: lut?.activation ?? "",
      entries: "entries" in t ? t.entries.length : 0,
      bytes:
        "entries" in t ? t.entries.length * (t.kind === "table_s8" ? 1 : t.kind === "table_s16" ? 2 : 4) : 0,
      maxErrorLsb: lut?.maxErrorLsb ?? Number.NaN,
      meanErrorLsb: lut?.meanErrorLsb ?? Number.NaN,
    };
  });
  const weights = view.ops.flatMap((op) =>
    op.arrays.filter((a) => a.section === "weights" || a.section === "bias"),
  );
  return {
    precision: q.precision,
    task: q.task,
    inputs: q.inputs.names.length,
    inputShape: [...tensorOf(q, "input").shape],
    outputs: view.outputSize,
    classes: q.output.classes,
    outputKind: q.output.kind,
    input: inputQuant(q),
    outputQuant: outputQuant(q),
    ops,
    tables,
    params: weights.reduce((s, a) => s + arrayElements(a), 0),
    macs: ops.reduce((s, op) => s + op.macs, 0),
    bytes,
    arenaBytes: view.arenaBytes,
    plan: view.plan,
  };
}
