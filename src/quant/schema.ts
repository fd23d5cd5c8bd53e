/**
 * The quantized model (`model.q.json`): an integer program. Its tensors with their shapes and
 * quantizations, its ops (each kind's record: integer weights, biases, multipliers, shifts, clamps, the
 * tables it reads), its tables, the input standardisation and the output's meaning. It is the single
 * source that both the TypeScript integer reference and the C generator read, so the two cannot drift
 * apart. The op records are built from the op registry; check.ts checks the program by value.
 *
 * Version 2 is a graph over named tensors; version 1 (a chain of dense, table and softmax ops) still
 * loads (io.ts).
 */
import { z } from "zod";
import type { Precision, QuantParams } from "../core/quant.js";
import { shapeSchema } from "../core/shape.js";
import { opKinds } from "../ops/index.js";
import type { QOpRecord } from "../ops/registry.js";
import { float32, positiveFloat32 } from "../values.js";
import { type QTable, tableSchema } from "./tables.js";

export const QMODEL_FORMAT = "nn2c-qmodel";
export const QMODEL_VERSION = 2;

export { CODE_RANGE } from "../core/quant.js";
export type { Precision };

const int = z.number().int();
const finite = z.number().refine(Number.isFinite, "expected a finite number");
const quant = z.strictObject({ scale: positiveFloat32, zeroPoint: int });

const tensorSchema = z.strictObject({
  name: z.string().min(1),
  shape: shapeSchema,
  scale: positiveFloat32,
  zeroPoint: int,
});

const inputsSchema = z.strictObject({
  names: z.array(z.string()).min(1),
  mean: z.array(float32),
  std: z.array(positiveFloat32),
  shape: shapeSchema.optional(),
});

const outputSchema = z.strictObject({
  label: z.string(),
  classes: z.array(z.string()).optional(),
  mean: float32.optional(),
  std: positiveFloat32.optional(),
  /** probabilities (softmax or sigmoid), logits (argmax-only mode), or regression values */
  kind: z.enum(["probabilities", "logits", "values"]),
});

/** What calibration gave a tensor: the range its grid covers, and how its calibration values fit it. */
const calibratedTensor = z.strictObject({
  name: z.string(),
  lo: finite,
  hi: finite,
  /** the fraction of its calibration values outside [lo, hi] */
  clipped: finite,
  /** the RMS difference between its calibration values and their grid points, in LSB */
  rmsErrorLsb: finite,
});

const calibrationSchema = z.strictObject({
  rows: int.positive(),
  method: z.enum(["search", "minmax", "percentile"]),
  percentile: finite.optional(),
  tensors: z.array(calibratedTensor).optional(),
});

const sourceSchema = z.strictObject({
  format: z.literal("tflite"),
  operators: z.array(z.strictObject({ op: z.string(), version: int })),
});

const lutSchema = z.strictObject({
  table: int,
  activation: z.string(),
  entries: int,
  bytes: int,
  maxErrorLsb: finite,
  meanErrorLsb: finite,
});

const errorStat = z.strictObject({
  op: int,
  name: z.string(),
  maxAbsError: finite,
  rmsError: finite,
  maxErrorLsb: finite,
});

let schema: z.ZodType | undefined;

/** The version-2 schema, with an op record per registered kind that lowers to an op. */
export function qmodelSchema(): z.ZodType {
  if (schema) return schema;
  const ops = opKinds().flatMap((k) => (k.op ? [k.op.quant.schema] : []));
  schema = z.strictObject({
    format: z.literal(QMODEL_FORMAT),
    version: z.literal(QMODEL_VERSION),
    generator: z.string(),
    precision: z.enum(["int8", "int16"]),
    /** sha256 of the float model file's bytes */
    sourceHash: z.string(),
    task: z.enum(["classification", "regression"]),
    inputs: inputsSchema,
    output: outputSchema,
    /** every tensor of the program: "input" (the standardised, quantized input) and each op's output */
    tensors: z.array(tensorSchema).min(2),
    ops: z.array(z.discriminatedUnion("kind", ops as unknown as [z.ZodObject, ...z.ZodObject[]])).min(1),
    /** the tensor the program returns (dequantized by its tensor's quantization) */
    outputs: z.array(z.string().min(1)).length(1),
    tables: z.array(tableSchema),
    /** how nn2c quantized the float model (absent from an imported integer model) */
    calibration: calibrationSchema.optional(),
    /** an integer model imported with its quantization: the format and the operators it had */
    source: sourceSchema.optional(),
    luts: z.array(lutSchema),
    layerErrors: z.array(errorStat),
  });
  return schema;
}

export interface QTensor {
  name: string;
  shape: number[];
  scale: number;
  zeroPoint: number;
}

/** An op of the program: its kind's record (see that kind's quant.ts). */
export type QOp = QOpRecord & Record<string, unknown>;

export interface QModel {
  format: typeof QMODEL_FORMAT;
  version: typeof QMODEL_VERSION;
  generator: string;
  precision: Precision;
  sourceHash: string;
  task: "classification" | "regression";
  inputs: z.infer<typeof inputsSchema>;
  output: z.infer<typeof outputSchema>;
  tensors: QTensor[];
  ops: QOp[];
  outputs: string[];
  tables: QTable[];
  calibration?: z.infer<typeof calibrationSchema>;
  source?: z.infer<typeof sourceSchema>;
  luts: z.infer<typeof lutSchema>[];
  layerErrors: z.infer<typeof errorStat>[];
}

/** The program's input tensor: the standardised raw features, quantized. */
export const INPUT_TENSOR = "input";

/** The quantization of a program's input and of its output. */
export function inputQuant(q: Pick<QModel, "tensors">): QuantParams {
  return tensorOf(q, INPUT_TENSOR);
}

export function outputQuant(q: Pick<QModel, "tensors" | "outputs">): QuantParams {
  return tensorOf(q, q.outputs[0]);
}

export function tensorOf(q: Pick<QModel, "tensors">, name: string): QTensor {
  const t = q.tensors.find((x) => x.name === name);
  if (!t) throw new Error(`no tensor '${name}' in the program`);
  return t;
}

/** Version 1: a chain of dense, table and softmax ops, each with its input and output quantization. */
const denseV1 = z.strictObject({
  kind: z.literal("dense"),
  layer: int,
  activation: z.string(),
  inputs: int.positive(),
  units: int.positive(),
  input: quant,
  output: quant,
  weights: z.array(z.array(int.min(-127).max(127))),
  weightScales: z.array(finite.refine((v) => v > 0, "expected a positive scale")),
  bias: z.array(int),
  accumulator: z.enum(["s32", "s64"]),
  accumulatorBound: int.nonnegative(),
  mult: z.array(int.nonnegative()),
  shift: z.array(int),
  negMult: z.array(int.nonnegative()).optional(),
  negShift: z.array(int).optional(),
  clampLo: int,
  clampHi: int,
});

const tableV1 = z.strictObject({
  kind: z.enum(["table", "softmax"]),
  layer: int,
  activation: z.string(),
  width: int.positive(),
  input: quant,
  output: quant,
  table: int.nonnegative(),
});

export const qmodelSchemaV1 = z.strictObject({
  format: z.literal(QMODEL_FORMAT),
  version: z.literal(1),
  generator: z.string(),
  precision: z.enum(["int8", "int16"]),
  sourceHash: z.string(),
  task: z.enum(["classification", "regression"]),
  inputs: inputsSchema.omit({ shape: true }),
  output: outputSchema,
  input: quant,
  outputQuant: quant,
  ops: z.array(z.union([denseV1, tableV1])).min(1),
  tables: z.array(tableSchema),
  calibration: calibrationSchema,
  luts: z.array(lutSchema),
  layerErrors: z.array(errorStat),
});

export type QModelV1 = z.infer<typeof qmodelSchemaV1>;
