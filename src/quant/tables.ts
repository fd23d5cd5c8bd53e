/**
 * The tables of an integer program, as the quantized model file stores them: the activation tables of
 * lut.ts (table_s8, table_s16) and the softmax exp tables of softmax.ts (softmax_s8, softmax_s16). The
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

export const tableSchema = z.discriminatedUnion("kind", [
  tableS8Schema,
  tableS16Schema,
  softmaxS8Schema,
  softmaxS16Schema,
]);

export type QTable = z.infer<typeof tableSchema>;
