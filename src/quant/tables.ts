/**
 * The tables of an integer program, as the quantized model file stores them: the activation tables of
 * lut.ts (table_s8, table_s16), the softmax exp tables of softmax.ts (softmax_s8, softmax_s16) and
 * TensorFlow Lite's softmax parameters (softmax_tfl_s8). The
 * schemas check types and shapes; the op that reads a table checks its values (src/ops/activation).
 */
import { z } from "zod";
import { positiveFloat32 } from "../values.js";

const int = z.number().int();
const quant = z.strictObject({ scale: positiveFloat32, zeroPoint: int });

export const tableS8Schema = z.strictObject({
  kind: z.literal("table_s8"),
  input: quant,
  output: quant,
  entries: z.array(int),
});

export const tableS16Schema = z.strictObject({
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

export const softmaxS8Schema = z.strictObject({
  kind: z.literal("softmax_s8"),
  inputScale: positiveFloat32,
  entries: z.array(int),
});

export const softmaxS16Schema = z.strictObject({
  kind: z.literal("softmax_s16"),
  inputScale: positiveFloat32,
  entries: z.array(int),
});

/**
 * TensorFlow Lite's int8 softmax (gemmlowp.ts), kept by programs imported from `.tflite` files: beta and
 * the input scale as the file gives them, and what TensorFlow Lite derives from them (the loader derives
 * them again and refuses any other values).
 */
export const softmaxTfliteS8Schema = z.strictObject({
  kind: z.literal("softmax_tfl_s8"),
  inputScale: positiveFloat32,
  beta: positiveFloat32,
  multiplier: int,
  leftShift: int,
  diffMin: int,
});

export const tableSchema = z.discriminatedUnion("kind", [
  tableS8Schema,
  tableS16Schema,
  softmaxS8Schema,
  softmaxS16Schema,
  softmaxTfliteS8Schema,
]);

export type QTable = z.infer<typeof tableSchema>;

export type SoftmaxTfliteS8 = z.infer<typeof softmaxTfliteS8Schema>;
