/**
 * An integer program checked by value, not only by type: the C executes these numbers without looking
 * at them, so everything its safety or its meaning depends on is checked when the file is loaded, in
 * every command. Multipliers and shifts in the ranges the kernels take, zero points and clamps inside
 * the element type, arrays of the declared shapes, tables of the declared kind and length with every
 * index they can produce inside them, op inputs that chain. The worst-case accumulator of every dense
 * op is recomputed from its integer weights and biases, never taken from the file, and must fit the
 * accumulator the op declares, as the quantizer requires. Each refusal is one line naming the file, the
 * op and the field.
 */
import { UsageError } from "../errors.js";
import { clip, repeated, repeatedMessage } from "../values.js";
import { INT32_MAX, roundingMulShiftU } from "./fixedpoint.js";
import type { QuantParams } from "./lut.js";
import {
  CODE_RANGE,
  type DenseQOp,
  type Precision,
  type QModel,
  type QOp,
  type QTable,
  type SoftmaxQOp,
  type TableQOp,
} from "./schema.js";
import { SOFTMAX_S8_MAX_LENGTH, SOFTMAX_S16_MAX_LENGTH, softmaxOutputQuant } from "./softmax.js";

/** Largest worst-case accumulator of the 64-bit requantization (requantize64 takes |acc| < 2^47). */
export const S64_BOUND = 2 ** 47 - 1;

/** Refuses with one line: `<file>: <where>: <field> <what>`. */
class Refusal {
  constructor(
    private readonly file: string,
    private readonly where: string,
  ) {}

  /** The same file, another place. */
  other(where: string): Refusal {
    return new Refusal(this.file, where);
  }

  fail(field: string, message: string): never {
    throw new UsageError(`${this.file}: ${this.where}: ${field} ${message}`);
  }

  /** An integer in [lo, hi]. */
  range(field: string, v: number, lo: number, hi: number, what = `an integer in [${lo}, ${hi}]`): void {
    if (!(Number.isInteger(v) && v >= lo && v <= hi))
      this.fail(field, `is ${clip(String(v))}: expected ${what}`);
  }

  /** Every value of an array in [lo, hi], and the array of the given length. */
  each(
    field: string,
    values: readonly number[],
    length: number,
    lo: number,
    hi: number,
    what?: string,
  ): void {
    this.length(field, values, length);
    values.forEach((v, i) => {
      this.range(`${field}[${i}]`, v, lo, hi, what);
    });
  }

  length(field: string, values: readonly unknown[], length: number): void {
    if (values.length !== length) this.fail(field, `has ${values.length} values: expected ${length}`);
  }

  sameQuant(field: string, got: QuantParams, want: QuantParams, of: string): void {
    if (got.scale !== want.scale || got.zeroPoint !== want.zeroPoint) {
      this.fail(
        field,
        `(scale ${got.scale}, zero point ${got.zeroPoint}) differs from ${of} (scale ${want.scale}, zero point ${want.zeroPoint})`,
      );
    }
  }
}

/** Checks a parsed integer program by value; returns it unchanged, or throws a UsageError. */
export function checkQModel(q: QModel, file: string): QModel {
  const top = new Refusal(file, "the model");
  const { lo, hi } = CODE_RANGE[q.precision];
  const n = q.inputs.names.length;
  top.length("inputs.mean", q.inputs.mean, n);
  top.length("inputs.std", q.inputs.std, n);
  top.range("input.zeroPoint", q.input.zeroPoint, lo, hi);
  let width = n;
  let quant: QuantParams = q.input;
  let from = "the model's input quantization";
  q.ops.forEach((op, k) => {
    const at = new Refusal(file, `ops[${k}] (${op.kind})`);
    at.sameQuant("input", op.input, quant, from);
    at.range("output.zeroPoint", op.output.zeroPoint, lo, hi);
    width = checkOp(q, op, width, at);
    quant = op.output;
    from = `the output of ops[${k}]`;
  });
  top.sameQuant("outputQuant", q.outputQuant, quant, from);
  const classes = q.output.classes;
  if (q.task === "classification") {
    const expected = width === 1 ? 2 : width;
    if (classes?.length !== expected)
      top.fail(
        "output.classes",
        `has ${classes?.length ?? 0} names: expected ${expected} for ${width} outputs`,
      );
  }
  const twice = repeated(classes ?? []);
  if (twice !== undefined) top.fail("output.classes", repeatedMessage(twice, classes ?? []));
  q.luts.forEach((l, i) => {
    top.range(`luts[${i}].table`, l.table, 0, q.tables.length - 1, "the index of a table");
  });
  q.layerErrors.forEach((e, i) => {
    top.range(`layerErrors[${i}].op`, e.op, 0, q.ops.length - 1, "the index of an op");
  });
  return q;
}

/** Checks one op whose input has `width` values; returns its output width. */
function checkOp(q: QModel, op: QOp, width: number, at: Refusal): number {
  switch (op.kind) {
    case "dense":
      checkDense(op, q.precision, width, at);
      return op.units;
    case "table":
      checkTableOp(q, op, width, at);
      return op.width;
    case "softmax":
      checkSoftmaxOp(q, op, width, at);
      return op.width;
  }
}

function checkDense(op: DenseQOp, precision: Precision, width: number, at: Refusal): void {
  const { lo, hi } = CODE_RANGE[precision];
  if (op.inputs !== width) at.fail("inputs", `is ${op.inputs}: the op before gives ${width} values`);
  const units = op.units;
  at.length("weights", op.weights, units);
  op.weights.forEach((row, o) => {
    at.length(`weights[${o}]`, row, op.inputs);
  });
  at.length("weightScales", op.weightScales, units);
  at.length("bias", op.bias, units);
  at.range("clampLo", op.clampLo, lo, hi);
  at.range("clampHi", op.clampHi, op.clampLo, hi, `an integer in [clampLo ${op.clampLo}, ${hi}]`);
  // The worst case over every input code, from the integers themselves (codes reach -lo in magnitude).
  const bounds = op.weights.map(
    (row, o) => Math.abs(op.bias[o]) + -lo * row.reduce((s, w) => s + Math.abs(w), 0),
  );
  const bound = Math.max(...bounds);
  if (op.accumulatorBound !== bound) {
    at.fail("accumulatorBound", `is ${op.accumulatorBound}: the weights and biases give ${bound}`);
  }
  const leaky = op.negMult !== undefined || op.negShift !== undefined;
  if (leaky && (op.negMult === undefined || op.negShift === undefined))
    at.fail(
      op.negMult === undefined ? "negMult" : "negShift",
      "is missing: leaky relu needs both negMult and negShift",
    );
  if (op.accumulator === "s64") {
    if (precision !== "int16") at.fail("accumulator", "is s64: only int16 programs have 64-bit accumulators");
    if (bound > S64_BOUND)
      at.fail(
        "bias",
        `and weights reach an accumulator of ${bound}, beyond what 64-bit requantization takes (2^47)`,
      );
    at.each("mult", op.mult, units, 0, 2 ** 16 - 1);
    op.mult.forEach((m, o) => {
      if (m !== 0 && m < 2 ** 15) at.fail(`mult[${o}]`, `is ${m}: expected 0 or an integer in [2^15, 2^16)`);
    });
    at.each("shift", op.shift, units, -47, 15);
    if (leaky) {
      at.each("negMult", op.negMult!, units, 0, 2 ** 16 - 1);
      op.negMult!.forEach((m, o) => {
        if (m !== 0 && m < 2 ** 15)
          at.fail(`negMult[${o}]`, `is ${m}: expected 0 or an integer in [2^15, 2^16)`);
      });
      at.each("negShift", op.negShift!, units, -47, 15);
    }
    return;
  }
  if (bound > INT32_MAX) {
    at.fail(
      "accumulator",
      `is s32, but the weights and biases reach an accumulator of ${bound}, beyond int32: quantize the model again`,
    );
  }
  const multipliers = (field: string, mult: number[], shift: number[]) => {
    at.length(field, mult, units);
    mult.forEach((m, o) => {
      if (!(m === 0 || (Number.isInteger(m) && m >= 2 ** 30 && m <= INT32_MAX)))
        at.fail(`${field}[${o}]`, `is ${m}: expected 0 or an integer in [2^30, 2^31)`);
    });
    const shiftField = field === "mult" ? "shift" : "negShift";
    at.each(shiftField, shift, units, -31, 30);
    // requantize shifts the accumulator left by max(shift, 0) before its high multiply: that must fit too
    shift.forEach((s, o) => {
      if (s > 0 && bounds[o] * 2 ** s > INT32_MAX) {
        at.fail(
          `${shiftField}[${o}]`,
          `is ${s}: an accumulator of up to ${bounds[o]} shifted left by ${s} overflows int32`,
        );
      }
    });
  };
  multipliers("mult", op.mult, op.shift);
  if (leaky) multipliers("negMult", op.negMult!, op.negShift!);
}

function tableOf(q: QModel, index: number, kind: QTable["kind"], at: Refusal): QTable {
  at.range("table", index, 0, q.tables.length - 1, `the index of one of the ${q.tables.length} tables`);
  const table = q.tables[index];
  if (table.kind !== kind)
    at.fail("table", `${index} is a ${table.kind} table: a ${q.precision} op needs ${kind}`);
  return table;
}

function checkTableOp(q: QModel, op: TableQOp, width: number, at: Refusal): void {
  if (op.width !== width) at.fail("width", `is ${op.width}: the op before gives ${width} values`);
  const table = tableOf(q, op.table, q.precision === "int8" ? "table_s8" : "table_s16", at);
  if (table.kind !== "table_s8" && table.kind !== "table_s16") return;
  at.sameQuant("input", op.input, table.input, `its table's input`);
  at.sameQuant("output", op.output, table.output, `its table's output`);
  const t = at.other(`tables[${op.table}] (${table.kind})`);
  if (table.kind === "table_s8") {
    t.each("entries", table.entries, 256, -128, 127);
    return;
  }
  checkTableS16(table, t);
}

/**
 * The parameters of an int16 interpolated table (see lut.ts and nn_table_s16.c) in the ranges where the
 * kernel's uint32 and int32 arithmetic is exact, with every knot index it can reach inside the entries.
 */
function checkTableS16(t: Extract<QTable, { kind: "table_s16" }>, at: Refusal): void {
  const dMin = t.symmetric ? 0 : -32768;
  const dMax = t.symmetric ? 32768 : 32767;
  at.range("codeLo", t.codeLo, dMin, dMax);
  at.range("codeHi", t.codeHi, t.codeLo, dMax, `an integer in [codeLo ${t.codeLo}, ${dMax}]`);
  // outputs before saturation stay far inside int32: out_base + 2^17 and mirror - out cannot overflow
  for (const field of ["lowOut", "highOut", "outBase", "mirror"] as const)
    at.range(field, t[field], -(2 ** 30), 2 ** 30);
  at.range("shift", t.shift, 15, 30);
  at.range("rounding", t.rounding, 0, 2 ** 31 - 1);
  const zones = t.zoneStart.length;
  at.range("zoneStart.length", zones, 1, 8, "1 to 8 zones");
  at.length("zoneKnot", t.zoneKnot, zones);
  at.length("zoneLog2", t.zoneLog2, zones);
  at.range("zoneStart[0]", t.zoneStart[0], 0, 0, "0");
  at.each("zoneLog2", t.zoneLog2, zones, 0, 15);
  at.each("zoneKnot", t.zoneKnot, zones, 0, 511);
  at.range("entries.length", t.entries.length, 2, 512, "2 to 512 entries");
  at.each("entries", t.entries, t.entries.length, 0, 65535);
  const span = t.codeHi - t.codeLo;
  for (let z = 0; z < zones; z++) {
    if (z > 0)
      at.range(
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
      at.fail(
        `zoneKnot[${z}]`,
        `is ${t.zoneKnot[z]}: offset ${last} reads entry ${k + 1} of ${t.entries.length}`,
      );
    }
  }
}

function checkSoftmaxOp(q: QModel, op: SoftmaxQOp, width: number, at: Refusal): void {
  if (op.width !== width) at.fail("width", `is ${op.width}: the op before gives ${width} values`);
  const int8 = q.precision === "int8";
  at.range("width", op.width, 1, int8 ? SOFTMAX_S8_MAX_LENGTH : SOFTMAX_S16_MAX_LENGTH);
  at.sameQuant("output", op.output, softmaxOutputQuant(q.precision), "the fixed output of softmax");
  const table = tableOf(q, op.table, int8 ? "softmax_s8" : "softmax_s16", at);
  if (table.kind !== "softmax_s8" && table.kind !== "softmax_s16") return;
  const t = at.other(`tables[${op.table}] (${table.kind})`);
  if (table.inputScale !== op.input.scale) {
    t.fail("inputScale", `is ${table.inputScale}: the op's input scale is ${op.input.scale}`);
  }
  // Each term at most 2^20 (int8: the uint32 sum of 4095 terms cannot wrap) or 2^31 (int16, Q31); the
  // largest input's own term is positive, so the sum a division takes is never 0.
  if (table.kind === "softmax_s8") {
    t.each("entries", table.entries, 256, 0, 2 ** 20);
    if (table.entries[0] < 1) t.fail("entries[0]", "is 0: exp(0) must be positive");
  } else {
    t.each("entries", table.entries, 512, 0, 2 ** 31);
    if (roundingMulShiftU(table.entries[0], table.entries[256], 31) < 1)
      t.fail("entries[0]", `and entries[256] give exp(0) = 0: it must be positive`);
  }
}
