/**
 * What an integer program holds: per op its kind, widths, quantization, accumulator and the bytes of
 * its constant data as the export writes them; per table its kind, size and error; the bytes per
 * section (weights, biases, requantization, tables, parameter structs) and the activation arena.
 */
import { arrayBytes, emitQuantized, paramsBytes, type Section } from "../codegen/emit.js";
import type { QuantParams } from "./lut.js";
import type { QModel } from "./schema.js";

export interface QOpInfo {
  index: number;
  kind: string;
  activation: string;
  inputs: number;
  outputs: number;
  input: QuantParams;
  output: QuantParams;
  /** dense: int32 or 64-bit accumulation */
  accumulator?: "s32" | "s64";
  /** the table an elementwise op or softmax reads */
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
  bytes: Record<Section | "parameters" | "total", number>;
  /** the activation arena */
  arenaBytes: number;
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
  let width = q.inputs.names.length;
  const ops = q.ops.map((op, index): QOpInfo => {
    const inputs = width;
    width = op.kind === "dense" ? op.units : op.width;
    let opBytes = paramsBytes(view.ops[index]);
    bytes.parameters += opBytes;
    for (const a of view.ops[index].arrays) {
      bytes[a.section] += arrayBytes(a);
      opBytes += arrayBytes(a);
    }
    return {
      index,
      kind: op.kind,
      activation: op.activation,
      inputs,
      outputs: width,
      input: op.input,
      output: op.output,
      ...(op.kind === "dense" ? { accumulator: op.accumulator } : { table: op.table }),
      macs: op.kind === "dense" ? op.inputs * op.units : 0,
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
      entries: t.entries.length,
      bytes: t.entries.length * (t.kind === "table_s8" ? 1 : t.kind === "table_s16" ? 2 : 4),
      maxErrorLsb: lut?.maxErrorLsb ?? Number.NaN,
      meanErrorLsb: lut?.meanErrorLsb ?? Number.NaN,
    };
  });
  return {
    precision: q.precision,
    task: q.task,
    inputs: q.inputs.names.length,
    outputs: width,
    classes: q.output.classes,
    outputKind: q.output.kind,
    input: q.input,
    outputQuant: q.outputQuant,
    ops,
    tables,
    params: q.ops.reduce((s, op) => s + (op.kind === "dense" ? (op.inputs + 1) * op.units : 0), 0),
    macs: ops.reduce((s, op) => s + op.macs, 0),
    bytes,
    arenaBytes: view.arenaBytes,
  };
}
