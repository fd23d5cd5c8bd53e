/** Loading and saving quantized models, and loading either kind of model file by its format field. */
import { UsageError } from "../errors.js";
import { readJsonFile, stringifyJson, validate } from "../files.js";
import { parseModel } from "../model/io.js";
import { MODEL_FORMAT, type ModelFile } from "../model/schema.js";
import { checkQModel } from "./check.js";
import { QMODEL_FORMAT, QMODEL_VERSION, type QModel, qmodelSchema } from "./schema.js";

export function parseQModel(data: unknown, file = "<qmodel>"): QModel {
  const head = (data ?? {}) as { format?: unknown; version?: unknown };
  if (head.format !== QMODEL_FORMAT) {
    const got = head.format === undefined ? "no format field" : `format '${String(head.format)}'`;
    throw new UsageError(`${file}: not an nn2c quantized model (${got}, expected '${QMODEL_FORMAT}')`);
  }
  if (head.version !== QMODEL_VERSION) {
    throw new UsageError(
      `${file}: quantized model version ${String(head.version)} is not supported (this nn2c reads version ${QMODEL_VERSION})`,
    );
  }
  return checkQModel(validate(qmodelSchema, data, file), file);
}

export function loadQModel(file: string): QModel {
  return parseQModel(readJsonFile(file, "quantized model"), file);
}

export function serializeQModel(q: QModel): string {
  return stringifyJson(q);
}

export type AnyModel = { kind: "float"; model: ModelFile } | { kind: "quantized"; model: QModel };

/** Loads a float or a quantized model file, told apart by its `format` field. */
export function loadAnyModel(file: string): AnyModel {
  const data = readJsonFile(file, "model file");
  const format = (data as { format?: unknown } | null)?.format;
  if (format === QMODEL_FORMAT) return { kind: "quantized", model: parseQModel(data, file) };
  if (format === MODEL_FORMAT) return { kind: "float", model: parseModel(data, file) };
  throw new UsageError(
    `${file}: not an nn2c model (format ${format === undefined ? "missing" : `'${String(format)}'`}, expected '${MODEL_FORMAT}' or '${QMODEL_FORMAT}')`,
  );
}
