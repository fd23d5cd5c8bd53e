/**
 * Activations in integers: an elementwise activation becomes a table (int8: 256 correctly rounded
 * entries; int16: an interpolated table), softmax an integer softmax with an exp table. The op's record
 * names the table; the table's kind says how to read it.
 */
import { z } from "zod";
import { getActivation } from "../../core/activations.js";
import { CODE_RANGE, type Precision, type QuantParams } from "../../core/quant.js";
import { UsageError } from "../../errors.js";
import { roundingMulShiftU } from "../../quant/fixedpoint.js";
import { runTfliteSoftmax, TFLITE_SOFTMAX_MAX_LENGTH, tfliteSoftmaxParams } from "../../quant/gemmlowp.js";
import { applyTableS8, buildTableS8, buildTableS16, evalTableS16, type TableS16 } from "../../quant/lut.js";
import { rangeQuant } from "../../quant/range.js";
import {
  buildSoftmaxTable,
  runSoftmax,
  SOFTMAX_S8_MAX_LENGTH,
  SOFTMAX_S16_MAX_LENGTH,
  softmaxOutputQuant,
} from "../../quant/softmax.js";
import type { QTable, SoftmaxTfliteS8 } from "../../quant/tables.js";
import { int, qopFields } from "../common.js";
import type { CheckContext, FloatOp, QuantizeContext, RunContext } from "../registry.js";
import type { ActivationConfig } from "./index.js";

export const activationQSchema = z.strictObject({
  ...qopFields("activation", { min: 1, max: 1 }),
  activation: z.string(),
  /**
   * index into the model's tables: table_s8 / table_s16, or softmax_s8 / softmax_s16 for softmax
   * (softmax_tfl_s8: TensorFlow Lite's int8 softmax, in imported programs)
   */
  table: int.nonnegative(),
});

export type ActivationQOp = z.infer<typeof activationQSchema>;

/** Fixed output quantization of the bounded activations, as TFLite and CMSIS-NN use them. */
const FIXED_OUTPUT: Record<string, Record<Precision, QuantParams>> = {
  sigmoid: { int8: { scale: 1 / 256, zeroPoint: -128 }, int16: { scale: 1 / 32768, zeroPoint: 0 } },
  tanh: { int8: { scale: 1 / 128, zeroPoint: 0 }, int16: { scale: 1 / 32768, zeroPoint: 0 } },
};

/** Point symmetry of the int16 tables: f(-x) = 2·centre - f(x). */
const SYMMETRY: Record<string, { centre: number }> = { sigmoid: { centre: 0.5 }, tanh: { centre: 0 } };

export function quantizeActivation(
  op: FloatOp<ActivationConfig>,
  ctx: QuantizeContext,
): { op: ActivationQOp; output: QuantParams } {
  const { precision } = ctx;
  const input = ctx.input(0);
  const name = op.config.activation;
  const alpha = op.config.alpha;
  const record = (table: number): ActivationQOp => ({
    kind: "activation",
    name: op.name,
    inputs: [...op.inputs],
    output: op.output,
    activation: name,
    table,
  });
  const act = getActivation(name);
  if (act.quant({ alpha }).kind === "softmax") {
    const table = buildSoftmaxTable(precision, input.scale);
    return { op: record(ctx.addTable(table, "softmax(exp)", null)), output: softmaxOutputQuant(precision) };
  }
  const fx = (v: number) => act.f(v, { alpha });
  const output = FIXED_OUTPUT[name]?.[precision] ?? tabulatedRange(fx, input, precision, ctx.where);
  let table: QTable;
  try {
    table =
      precision === "int8"
        ? buildTableS8(fx, input, output)
        : buildTableS16(fx, input, output, { symmetry: SYMMETRY[name] });
  } catch (e) {
    throw new UsageError(`${ctx.where}: activation '${name}' cannot be tabulated (${(e as Error).message})`);
  }
  return { op: record(ctx.addTable(table, name, fx)), output };
}

/** Output quantization of a tabulated function: the range of f over every input code. */
function tabulatedRange(
  f: (x: number) => number,
  input: QuantParams,
  precision: Precision,
  where: string,
): QuantParams {
  const { lo, hi } = CODE_RANGE[precision];
  let a = Number.POSITIVE_INFINITY;
  let b = Number.NEGATIVE_INFINITY;
  for (let c = lo; c <= hi; c++) {
    const y = f(input.scale * (c - input.zeroPoint));
    if (!Number.isFinite(y))
      throw new UsageError(`${where}: f(${input.scale * (c - input.zeroPoint)}) = ${y}: cannot be tabulated`);
    a = Math.min(a, y);
    b = Math.max(b, y);
  }
  return rangeQuant(a, b, precision, where);
}

export function runActivation(op: ActivationQOp, [x]: Int32Array[], out: Int32Array, ctx: RunContext): void {
  // the loader checked that the table is of the kind the activation and the precision need
  const table = ctx.tables[op.table];
  if (table.kind === "softmax_tfl_s8") runTfliteSoftmax(table, x, x.length, out);
  else if (table.kind === "softmax_s8" || table.kind === "softmax_s16") runSoftmax(table, x, x.length, out);
  else if (table.kind === "table_s8") for (let i = 0; i < x.length; i++) out[i] = applyTableS8(table, x[i]);
  else for (let i = 0; i < x.length; i++) out[i] = evalTableS16(table, x[i]);
}

/** The table kind an activation needs at a precision. */
export function tableKind(activation: string, precision: Precision): string {
  const softmax = activation === "softmax";
  return precision === "int8" ? (softmax ? "softmax_s8" : "table_s8") : softmax ? "softmax_s16" : "table_s16";
}

/**
 * The op's table: one that exists, of the kind the activation and the precision need, describing the
 * quantizations the op's tensors have, with every value in the range where the kernel's arithmetic is
 * exact and every index it can produce inside the entries.
 */
export function checkActivation(op: ActivationQOp, ctx: CheckContext): void {
  const width = ctx.size(op.inputs[0]);
  if (ctx.size(op.output) !== width)
    ctx.fail("output", `'${op.output}' holds ${ctx.size(op.output)} values: the input holds ${width}`);
  const n = ctx.tables.length;
  if (!(Number.isInteger(op.table) && op.table >= 0 && op.table < n))
    ctx.fail("table", `is ${op.table}: expected the index of one of the ${n} tables`);
  const table = ctx.tables[op.table];
  const kind = tableKind(op.activation, ctx.precision);
  if (table.kind === "softmax_tfl_s8" && op.activation === "softmax" && ctx.precision === "int8") {
    checkTfliteSoftmax(op, table, width, ctx);
    return;
  }
  if (table.kind !== kind || table.kind === "softmax_tfl_s8")
    ctx.fail(
      "table",
      `${op.table} is a ${table.kind} table: a ${ctx.precision} ${op.activation} needs ${kind}`,
    );
  const input = ctx.quant(op.inputs[0]);
  const output = ctx.quant(op.output);
  const fail = (field: string, message: string): never => ctx.failTable(op.table, field, message);
  const values = (field: string, v: readonly number[], length: number, lo: number, hi: number) => {
    if (v.length !== length) fail(field, `has ${v.length} values: expected ${length}`);
    v.forEach((x, i) => {
      if (!(Number.isInteger(x) && x >= lo && x <= hi))
        fail(`${field}[${i}]`, `is ${x}: expected an integer in [${lo}, ${hi}]`);
    });
  };
  if (table.kind === "softmax_s8" || table.kind === "softmax_s16") {
    const t = table;
    const int8 = table.kind === "softmax_s8";
    const max = int8 ? SOFTMAX_S8_MAX_LENGTH : SOFTMAX_S16_MAX_LENGTH;
    if (width > max)
      ctx.fail("inputs", `'${op.inputs[0]}' holds ${width} values: softmax takes at most ${max}`);
    checkSoftmaxOutput(op, output, ctx);
    if (t.inputScale !== input.scale)
      fail("inputScale", `is ${t.inputScale}: the op's input scale is ${input.scale}`);
    // Each term at most 2^20 (int8: the uint32 sum of 4095 terms cannot wrap) or 2^31 (int16, Q31); the
    // largest input's own term is positive, so the sum a division takes is never 0.
    if (int8) {
      values("entries", t.entries, 256, 0, 2 ** 20);
      if (t.entries[0] < 1) fail("entries[0]", "is 0: exp(0) must be positive");
    } else {
      values("entries", t.entries, 512, 0, 2 ** 31);
      if (roundingMulShiftU(t.entries[0], t.entries[256], 31) < 1)
        fail("entries[0]", "and entries[256] give exp(0) = 0: it must be positive");
    }
    return;
  }
  const same = (a: QuantParams, b: QuantParams) => a.scale === b.scale && a.zeroPoint === b.zeroPoint;
  if (!same(table.input, input))
    ctx.fail("inputs", `'${op.inputs[0]}' is not quantized as the table's input`);
  if (!same(table.output, output))
    ctx.fail("output", `'${op.output}' is not quantized as the table's output`);
  if (table.kind === "table_s8") values("entries", table.entries, 256, -128, 127);
  else checkTableS16(table, fail, values);
}

/** Softmax writes the fixed output quantization of its precision (int8: scale 1/256, zero point -128). */
function checkSoftmaxOutput(op: ActivationQOp, output: QuantParams, ctx: CheckContext): void {
  const fixed = softmaxOutputQuant(ctx.precision);
  if (output.scale !== fixed.scale || output.zeroPoint !== fixed.zeroPoint)
    ctx.fail(
      "output",
      `'${op.output}' has scale ${output.scale} zero point ${output.zeroPoint}: softmax outputs scale ${fixed.scale} zero point ${fixed.zeroPoint}`,
    );
}

/**
 * TensorFlow Lite's int8 softmax: its parameters exactly as TensorFlow Lite derives them from beta and
 * the input scale (which bounds every shift and product of the kernel), its fixed output quantization,
 * and a vector short enough for its final shift.
 */
function checkTfliteSoftmax(
  op: ActivationQOp,
  table: SoftmaxTfliteS8,
  width: number,
  ctx: CheckContext,
): void {
  if (width > TFLITE_SOFTMAX_MAX_LENGTH)
    ctx.fail(
      "inputs",
      `'${op.inputs[0]}' holds ${width} values: TensorFlow Lite's softmax takes at most ${TFLITE_SOFTMAX_MAX_LENGTH}`,
    );
  const input = ctx.quant(op.inputs[0]);
  const output = ctx.quant(op.output);
  checkSoftmaxOutput(op, output, ctx);
  if (table.inputScale !== input.scale)
    ctx.failTable(op.table, "inputScale", `is ${table.inputScale}: the op's input scale is ${input.scale}`);
  const p = tfliteSoftmaxParams(table.beta, table.inputScale);
  if (!p)
    ctx.failTable(op.table, "beta", `is ${table.beta}: beta times the input scale must be at least 2^-26`);
  for (const field of ["multiplier", "leftShift", "diffMin"] as const)
    if (table[field] !== p[field])
      ctx.failTable(op.table, field, `is ${table[field]}: beta and the input scale give ${p[field]}`);
}

/**
 * The parameters of an int16 interpolated table (see lut.ts and nn_table_s16.c) in the ranges where the
 * kernel's uint32 and int32 arithmetic is exact, with every knot index it can reach inside the entries.
 */
function checkTableS16(
  t: TableS16,
  fail: (field: string, message: string) => never,
  values: (field: string, v: readonly number[], length: number, lo: number, hi: number) => void,
): void {
  const range = (field: string, v: number, lo: number, hi: number, what = `an integer in [${lo}, ${hi}]`) => {
    if (!(Number.isInteger(v) && v >= lo && v <= hi)) fail(field, `is ${v}: expected ${what}`);
  };
  const dMin = t.symmetric ? 0 : -32768;
  const dMax = t.symmetric ? 32768 : 32767;
  range("codeLo", t.codeLo, dMin, dMax);
  range("codeHi", t.codeHi, t.codeLo, dMax, `an integer in [codeLo ${t.codeLo}, ${dMax}]`);
  // outputs before saturation stay far inside int32: out_base + 2^17 and mirror - out cannot overflow
  for (const field of ["lowOut", "highOut", "outBase", "mirror"] as const)
    range(field, t[field], -(2 ** 30), 2 ** 30);
  range("shift", t.shift, 15, 30);
  range("rounding", t.rounding, 0, 2 ** 31 - 1);
  const zones = t.zoneStart.length;
  range("zoneStart.length", zones, 1, 8, "1 to 8 zones");
  if (t.zoneKnot.length !== zones) fail("zoneKnot", `has ${t.zoneKnot.length} values: expected ${zones}`);
  if (t.zoneLog2.length !== zones) fail("zoneLog2", `has ${t.zoneLog2.length} values: expected ${zones}`);
  range("zoneStart[0]", t.zoneStart[0], 0, 0, "0");
  values("zoneLog2", t.zoneLog2, zones, 0, 15);
  values("zoneKnot", t.zoneKnot, zones, 0, 511);
  range("entries.length", t.entries.length, 2, 512, "2 to 512 entries");
  values("entries", t.entries, t.entries.length, 0, 65535);
  const span = t.codeHi - t.codeLo;
  for (let z = 0; z < zones; z++) {
    if (z > 0)
      range(
        `zoneStart[${z}]`,
        t.zoneStart[z],
        t.zoneStart[z - 1] + 1,
        65536,
        "an integer above the zone before",
      );
    // the last offset r this zone serves, and the knot k + 1 it reads there (k grows with r)
    const first = t.zoneStart[z];
    const last = Math.min(z + 1 < zones ? t.zoneStart[z + 1] - 1 : span, span);
    if (last < first) continue;
    const k = t.zoneKnot[z] + Math.floor((last - first) / 2 ** t.zoneLog2[z]);
    if (k + 1 >= t.entries.length) {
      fail(
        `zoneKnot[${z}]`,
        `is ${t.zoneKnot[z]}: offset ${last} reads entry ${k + 1} of ${t.entries.length}`,
      );
    }
  }
}
