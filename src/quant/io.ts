/** Loading and saving quantized models, and loading either kind of model file by its format field. */

import type { Exportable } from "../core/exportable.js";
import type { QuantParams } from "../core/quant.js";
import { UsageError } from "../errors.js";
import { readJsonFile, stringifyJson, validate } from "../files.js";
import { parseModel } from "../model/io.js";
import { MODEL_FORMAT } from "../model/schema.js";
import { clip } from "../values.js";
import { checkQModel } from "./check.js";
import {
  INPUT_TENSOR,
  QMODEL_FORMAT,
  QMODEL_VERSION,
  type QModel,
  type QModelV1,
  type QOp,
  type QTensor,
  qmodelSchema,
  qmodelSchemaV1,
} from "./schema.js";

export function parseQModel(data: unknown, file = "<qmodel>"): QModel {
  const head = (data ?? {}) as { format?: unknown; version?: unknown };
  if (head.format !== QMODEL_FORMAT) {
    const got = head.format === undefined ? "no format field" : `format '${clip(String(head.format), 40)}'`;
    throw new UsageError(`${file}: not an nn2c quantized model (${got}, expected '${QMODEL_FORMAT}')`);
  }
  let q: QModel;
  if (head.version === 1) q = upgradeV1(validate(qmodelSchemaV1, data, file), file);
  else if (head.version === QMODEL_VERSION) q = validate(qmodelSchema(), data, file) as QModel;
  else {
    throw new UsageError(
      `${file}: quantized model version ${clip(String(head.version), 20)} is not supported (this nn2c reads versions 1 and ${QMODEL_VERSION})`,
    );
  }
  return checkQModel(q, file);
}

export function loadQModel(file: string): QModel {
  return parseQModel(readJsonFile(file, "quantized model"), file);
}

export function serializeQModel(q: QModel): string {
  return stringifyJson(q);
}

export type AnyModel = Exportable;

/** Loads a float or a quantized model file, told apart by its `format` field. */
export function loadAnyModel(file: string): AnyModel {
  return anyModelOf(readJsonFile(file, "model file"), file);
}

/** A parsed model file (of `file`) as a float or a quantized model, told apart by its `format` field. */
export function anyModelOf(data: unknown, file: string): AnyModel {
  const format = (data as { format?: unknown } | null)?.format;
  if (format === QMODEL_FORMAT) return { kind: "quantized", model: parseQModel(data, file) };
  if (format === MODEL_FORMAT) return { kind: "float", model: parseModel(data, file) };
  throw new UsageError(
    `${file}: not an nn2c model (format ${format === undefined ? "missing" : `'${clip(String(format), 40)}'`}, expected '${MODEL_FORMAT}' or '${QMODEL_FORMAT}')`,
  );
}

/**
 * Version 1 → 2: the chain's tensors named after its ops as Keras names layers (dense, dense_1,
 * activation, ...), each with the quantization version 1 gave the op's output. Version 1 repeated each
 * op's input quantization; a copy that differs from the tensor it reads is refused, as are widths that
 * do not chain.
 */
function upgradeV1(v1: QModelV1, file: string): QModel {
  const same = (a: QuantParams, b: QuantParams) => a.scale === b.scale && a.zeroPoint === b.zeroPoint;
  const tensors: QTensor[] = [{ name: INPUT_TENSOR, shape: [v1.inputs.names.length], ...v1.input }];
  const counts = new Map<string, number>();
  let previous = tensors[0];
  const ops = v1.ops.map((op, k): QOp => {
    const where = `${file}: ops[${k}] (${op.kind})`;
    if (!same(op.input, previous)) {
      throw new UsageError(
        `${where}: input (scale ${op.input.scale}, zero point ${op.input.zeroPoint}) differs from the output of the op before (scale ${previous.scale}, zero point ${previous.zeroPoint})`,
      );
    }
    const width = op.kind === "dense" ? op.inputs : op.width;
    if (width !== previous.shape[0]) {
      throw new UsageError(
        `${where}: ${op.kind === "dense" ? "inputs" : "width"} is ${width}: the op before gives ${previous.shape[0]} values`,
      );
    }
    const kind = op.kind === "dense" ? "dense" : "activation";
    const n = counts.get(kind) ?? 0;
    counts.set(kind, n + 1);
    const name = n === 0 ? kind : `${kind}_${n}`;
    const tensor = { name, shape: [op.kind === "dense" ? op.units : op.width], ...op.output };
    const record: QOp =
      op.kind === "dense"
        ? (() => {
            const {
              layer: _layer,
              inputs: _inputs,
              input: _input,
              output: _output,
              kind: _kind,
              ...rest
            } = op;
            return { kind: "dense", name, inputs: [previous.name], output: name, ...rest };
          })()
        : {
            kind: "activation",
            name,
            inputs: [previous.name],
            output: name,
            activation: op.activation,
            table: op.table,
          };
    tensors.push(tensor);
    previous = tensor;
    return record;
  });
  if (!same(v1.outputQuant, previous)) {
    throw new UsageError(
      `${file}: the model: outputQuant (scale ${v1.outputQuant.scale}, zero point ${v1.outputQuant.zeroPoint}) differs from the output of the last op (scale ${previous.scale}, zero point ${previous.zeroPoint})`,
    );
  }
  const { input: _input, outputQuant: _outputQuant, ops: _ops, ...rest } = v1;
  return { ...rest, version: QMODEL_VERSION, tensors, ops, outputs: [previous.name] };
}
