/**
 * The quantized model (`model.q.json`): an integer program. Per op the integer weights, biases,
 * multipliers, shifts, zero points, clamps and tables, plus the input quantization and the output
 * dequantization. It is the single source that both the TypeScript integer reference (intref.ts) and
 * the C generator read, so the two cannot drift apart.
 */
import { z } from "zod";
import { float32, positiveFloat32 } from "../values.js";

export const QMODEL_FORMAT = "nn2c-qmodel";
export const QMODEL_VERSION = 1;

export type Precision = "int8" | "int16";

const int = z.number().int();
const finite = z.number().refine(Number.isFinite, "expected a finite number");
const quant = z.strictObject({ scale: positiveFloat32, zeroPoint: int });

const denseOp = z.strictObject({
  kind: z.literal("dense"),
  /** the float layer it comes from, and the activation fused into its output clamp or multipliers */
  layer: int,
  activation: z.string(),
  inputs: int.positive(),
  units: int.positive(),
  input: quant,
  output: quant,
  /** [units][inputs] int8, symmetric per output channel */
  weights: z.array(z.array(int.min(-127).max(127))),
  /** per-channel weight scales (documentation: the integers above times these are the float weights) */
  weightScales: z.array(finite.refine((v) => v > 0, "expected a positive scale")),
  /** bias in accumulator units (input scale × weight scale), input zero point folded in */
  bias: z.array(int),
  /** s32: requantize with a 31-bit multiplier; s64: 64-bit accumulator and a 16-bit multiplier */
  accumulator: z.enum(["s32", "s64"]),
  /** the largest |accumulator| any input can produce, proved from the integer weights */
  accumulatorBound: int.nonnegative(),
  mult: z.array(int.nonnegative()),
  shift: z.array(int),
  /** leaky relu: the multiplier and shift for negative accumulators */
  negMult: z.array(int.nonnegative()).optional(),
  negShift: z.array(int).optional(),
  clampLo: int,
  clampHi: int,
});

const tableOp = z.strictObject({
  kind: z.literal("table"),
  layer: int,
  activation: z.string(),
  width: int.positive(),
  input: quant,
  output: quant,
  /** index into `tables` */
  table: int.nonnegative(),
});

const softmaxOp = z.strictObject({
  kind: z.literal("softmax"),
  layer: int,
  activation: z.literal("softmax"),
  width: int.positive(),
  input: quant,
  output: quant,
  table: int.nonnegative(),
});

/** The tables, field for field (src/quant/lut.ts and softmax.ts); their values are checked in check.ts. */
const tableS8 = z.strictObject({
  kind: z.literal("table_s8"),
  input: quant,
  output: quant,
  entries: z.array(int),
});
const tableS16 = z.strictObject({
  kind: z.literal("table_s16"),
  input: quant,
  output: quant,
  symmetric: z.boolean(),
  mirror: int,
  codeLo: int,
  codeHi: int,
  lowOut: int,
  highOut: int,
  zoneStart: z.array(int),
  zoneKnot: z.array(int),
  zoneLog2: z.array(int),
  shift: int,
  rounding: int,
  outBase: int,
  entries: z.array(int),
});
const softmaxS8 = z.strictObject({
  kind: z.literal("softmax_s8"),
  inputScale: positiveFloat32,
  entries: z.array(int),
});
const softmaxS16 = z.strictObject({
  kind: z.literal("softmax_s16"),
  inputScale: positiveFloat32,
  entries: z.array(int),
});
const table = z.discriminatedUnion("kind", [tableS8, tableS16, softmaxS8, softmaxS16]);

const errorStat = z.strictObject({
  op: int,
  name: z.string(),
  maxAbsError: finite,
  rmsError: finite,
  maxErrorLsb: finite,
});

export const qmodelSchema = z.strictObject({
  format: z.literal(QMODEL_FORMAT),
  version: z.literal(QMODEL_VERSION),
  generator: z.string(),
  precision: z.enum(["int8", "int16"]),
  /** sha256 of the float model file's bytes */
  sourceHash: z.string(),
  task: z.enum(["classification", "regression"]),
  inputs: z.strictObject({
    names: z.array(z.string()).min(1),
    mean: z.array(float32),
    std: z.array(positiveFloat32),
  }),
  output: z.strictObject({
    label: z.string(),
    classes: z.array(z.string()).optional(),
    mean: float32.optional(),
    std: positiveFloat32.optional(),
    /** probabilities (softmax or sigmoid), logits (argmax-only mode), or regression values */
    kind: z.enum(["probabilities", "logits", "values"]),
  }),
  /** quantization of the standardised input */
  input: quant,
  /** dequantization of the last op's output */
  outputQuant: quant,
  ops: z.array(z.discriminatedUnion("kind", [denseOp, tableOp, softmaxOp])).min(1),
  tables: z.array(table),
  calibration: z.strictObject({
    rows: int.positive(),
    method: z.enum(["minmax", "percentile"]),
    percentile: finite.optional(),
  }),
  luts: z.array(
    z.strictObject({
      table: int,
      activation: z.string(),
      entries: int,
      bytes: int,
      maxErrorLsb: finite,
      meanErrorLsb: finite,
    }),
  ),
  layerErrors: z.array(errorStat),
});

export type QModel = z.infer<typeof qmodelSchema>;
export type QOp = QModel["ops"][number];
export type DenseQOp = Extract<QOp, { kind: "dense" }>;
export type TableQOp = Extract<QOp, { kind: "table" }>;
export type SoftmaxQOp = Extract<QOp, { kind: "softmax" }>;
export type QTable = QModel["tables"][number];

export const CODE_RANGE: Record<Precision, { lo: number; hi: number }> = {
  int8: { lo: -128, hi: 127 },
  int16: { lo: -32768, hi: 32767 },
};
