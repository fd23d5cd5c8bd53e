/**
 * Add in integers, as TensorFlow Lite's ADD: each input's codes less their zero point, shifted left
 * (int8 by 20 bits, int16 by 15), rescaled to half the largest input scale, summed, and requantized to
 * the output, with a fused relu or relu6 as the output clamp. Mirrored by nn_add_s8.c and nn_add_s16.c.
 */
import { z } from "zod";
import { getActivation } from "../../core/activations.js";
import { CODE_RANGE, type Precision, type QuantParams } from "../../core/quant.js";
import { UsageError } from "../../errors.js";
import { INT32_MAX, quantizeMultiplier, requantize, roundHalfAwayFromZero } from "../../quant/fixedpoint.js";
import { int, qopFields } from "../common.js";
import type { CheckContext, FloatOp, QuantizeContext, RunContext } from "../registry.js";

/** Inputs of one integer Add at most (NN_ADD_MAX_INPUTS in nn.h). */
export const MAX_ADD_INPUTS = 8;

/** TensorFlow Lite's left shift of the inputs before rescaling. */
export const ADD_LEFT_SHIFT: Record<Precision, number> = { int8: 20, int16: 15 };

export const addQSchema = z.strictObject({
  ...qopFields("add", { min: 2, max: MAX_ADD_INPUTS }),
  /** the activation fused into the output clamp (linear, relu, relu6) */
  activation: z.string(),
  leftShift: int,
  /** per input: the multiplier and shift to half the largest input scale */
  mult: z.array(int),
  shift: z.array(int),
  outMult: int,
  outShift: int,
  clampLo: int,
  clampHi: int,
});

export type AddQOp = z.infer<typeof addQSchema>;

export function quantizeAdd(op: FloatOp, ctx: QuantizeContext): { op: AddQOp; output: QuantParams } {
  const { precision } = ctx;
  const inputs = op.inputs.map((_, i) => ctx.input(i));
  const output = ctx.calibratedOutput();
  const leftShift = ADD_LEFT_SHIFT[precision];
  const twiceMax = 2 * Math.max(...inputs.map((q) => q.scale));
  const multipliers = inputs.map((q) => quantizeMultiplier(q.scale / twiceMax));
  const out = quantizeMultiplier(twiceMax / (2 ** leftShift * output.scale));
  if (out.shift > 0) {
    throw new UsageError(
      `${ctx.where}: the output's range is ${2 ** out.shift} times too small next to the inputs' for an integer add: calibrate with rows where the sum varies`,
    );
  }
  const { lo, hi } = CODE_RANGE[precision];
  const hint = getActivation(op.activation.name).quant({ alpha: op.activation.alpha });
  let clampLo = lo;
  let clampHi = hi;
  if (hint.kind === "clamp") {
    clampLo = Math.max(lo, output.zeroPoint + roundHalfAwayFromZero(hint.lo / output.scale));
    if (Number.isFinite(hint.hi))
      clampHi = Math.min(hi, output.zeroPoint + roundHalfAwayFromZero(hint.hi / output.scale));
  }
  const q: AddQOp = {
    kind: "add",
    name: op.name,
    inputs: [...op.inputs],
    output: op.output,
    activation: op.activation.name,
    leftShift,
    mult: multipliers.map((m) => m.mult),
    shift: multipliers.map((m) => m.shift),
    outMult: out.mult,
    outShift: out.shift,
    clampLo,
    clampHi,
  };
  return { op: q, output };
}

/** The sum over every element, as nn_add_s8 / nn_add_s16 compute it. */
export function runAdd(op: AddQOp, inputs: Int32Array[], out: Int32Array, ctx: RunContext): void {
  const zps = op.inputs.map((t) => ctx.quant(t).zeroPoint);
  const zp = ctx.quant(op.output).zeroPoint;
  const scale = 2 ** op.leftShift;
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let k = 0; k < inputs.length; k++)
      sum += requantize((inputs[k][i] - zps[k]) * scale, op.mult[k], op.shift[k]);
    out[i] = Math.max(op.clampLo, Math.min(op.clampHi, requantize(sum, op.outMult, op.outShift) + zp));
  }
}

/**
 * Multipliers and shifts in the ranges nn_requantize takes without a left shift, the left shift of the
 * precision, and every intermediate inside int32: each shifted input, and the sum of the rescaled ones.
 */
export function checkAdd(op: AddQOp, ctx: CheckContext): void {
  const { lo, hi } = CODE_RANGE[ctx.precision];
  const n = ctx.size(op.output);
  op.inputs.forEach((t) => {
    if (ctx.size(t) !== n) ctx.fail("inputs", `'${t}' holds ${ctx.size(t)} values: the output holds ${n}`);
  });
  if (op.leftShift !== ADD_LEFT_SHIFT[ctx.precision])
    ctx.fail(
      "leftShift",
      `is ${op.leftShift}: a ${ctx.precision} add shifts by ${ADD_LEFT_SHIFT[ctx.precision]}`,
    );
  for (const [field, values] of [
    ["mult", op.mult],
    ["shift", op.shift],
  ] as const) {
    if (values.length !== op.inputs.length)
      ctx.fail(field, `has ${values.length} values: expected ${op.inputs.length}, one per input`);
  }
  const multiplier = (multField: string, m: number, shiftField: string, s: number) => {
    if (!(m === 0 || (Number.isInteger(m) && m >= 2 ** 30 && m <= INT32_MAX)))
      ctx.fail(multField, `is ${m}: expected 0 or an integer in [2^30, 2^31)`);
    if (!(Number.isInteger(s) && s >= -31 && s <= 0))
      ctx.fail(shiftField, `is ${s}: expected an integer in [-31, 0]`);
  };
  let sum = 0;
  op.inputs.forEach((t, k) => {
    multiplier(`mult[${k}]`, op.mult[k], `shift[${k}]`, op.shift[k]);
    const zp = ctx.quant(t).zeroPoint;
    const shifted = Math.max(Math.abs(lo - zp), Math.abs(hi - zp)) * 2 ** op.leftShift;
    if (shifted > INT32_MAX)
      ctx.fail(
        "inputs",
        `'${t}' has zero point ${zp}: its codes shifted left by ${op.leftShift} overflow int32`,
      );
    // |requantize(x, m, s)| <= |x| · m · 2^(s - 31), plus one for the roundings
    sum += Math.floor(shifted * (op.mult[k] / 2 ** 31) * 2 ** op.shift[k]) + 1;
  });
  if (sum > INT32_MAX) ctx.fail("inputs", `give a sum of up to ${sum}, beyond int32`);
  multiplier("outMult", op.outMult, "outShift", op.outShift);
  const zp = ctx.quant(op.output).zeroPoint;
  const requantized = Math.floor(sum * (op.outMult / 2 ** 31) * 2 ** op.outShift) + 1;
  if (requantized + Math.abs(zp) > INT32_MAX)
    ctx.fail(
      "outMult",
      `gives a requantized sum of up to ${requantized}: with the zero point ${zp} beyond int32`,
    );
  if (!(op.clampLo >= lo && op.clampLo <= op.clampHi && op.clampHi <= hi))
    ctx.fail(
      "clampLo",
      `and clampHi are [${op.clampLo}, ${op.clampHi}]: expected an ordered pair inside [${lo}, ${hi}]`,
    );
}
