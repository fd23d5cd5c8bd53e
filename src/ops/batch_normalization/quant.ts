/**
 * A BatchNormalization kept as an op, in integers: per channel c an int8 weight (±127, or 0 for a zero
 * scale) whose scale carries |scale[c]| exactly, a bias with the shift and the input zero point folded in,
 * and the output stage the ops with weights share (src/ops/requant.ts):
 *
 *   acc   = bias[c] + q_in · w[c]            (int32; int16 programs may need int64, as Dense)
 *   q_out = output stage of acc              (mult/shift, leaky relu's negMult/negShift, clamp)
 *
 * Mirrored by nn_scale_shift_s8.c, nn_scale_shift_s16.c and nn_scale_shift_s16_s64.c.
 */
import { z } from "zod";
import { CODE_RANGE, type QuantParams } from "../../core/quant.js";
import { channelsOf } from "../../core/shape.js";
import { UsageError } from "../../errors.js";
import { roundHalfAwayFromZero } from "../../quant/fixedpoint.js";
import { finite, int, qopFields } from "../common.js";
import type { CheckContext, FloatOp, QuantizeContext, RunContext } from "../registry.js";
import { checkOutputStage, outputCode, outputStage, outputStageFields, S64_BOUND } from "../requant.js";
import type { BatchNormalizationConfig } from "./index.js";

export const batchNormQSchema = z.strictObject({
  ...qopFields("batch_normalization", { min: 1, max: 1 }),
  /** the activation fused into the output stage */
  activation: z.string(),
  channels: int.positive(),
  /** [channels] int8: ±127 (the sign of the scale) or 0 */
  weights: z.array(int.min(-127).max(127)),
  /** per channel: the integer weight times this is the float scale */
  weightScales: z.array(finite.refine((v) => v > 0, "expected a positive scale")),
  /** in accumulator units (input scale × weight scale), the input zero point folded in */
  bias: z.array(int),
  ...outputStageFields,
});

export type BatchNormQOp = z.infer<typeof batchNormQSchema>;

export function quantizeBatchNorm(
  op: FloatOp<BatchNormalizationConfig>,
  ctx: QuantizeContext,
): { op: BatchNormQOp; output: QuantParams } {
  const input = ctx.input(0);
  const output = ctx.calibratedOutput();
  const C = channelsOf(op.outputShape);
  const { scale, shift } = op.weights;
  const maxAbsCode = -CODE_RANGE[ctx.precision].lo;
  const weights: number[] = [];
  const weightScales: number[] = [];
  const bias: number[] = [];
  const bounds: number[] = [];
  for (let c = 0; c < C; c++) {
    const w = scale[c] === 0 ? 0 : Math.sign(scale[c]) * 127;
    const sw = scale[c] === 0 ? 1 : Math.abs(scale[c]) / 127;
    const b = roundHalfAwayFromZero(shift[c] / (input.scale * sw)) - input.zeroPoint * w;
    const bound = Math.abs(b) + maxAbsCode * Math.abs(w);
    if (!Number.isSafeInteger(b) || bound > S64_BOUND) {
      throw new UsageError(
        `${ctx.where}: channel ${c} could reach an accumulator of ${bound.toExponential(3)}, beyond what 64-bit requantization takes (2^47): its shift is far larger than its scale`,
      );
    }
    weights.push(w);
    weightScales.push(sw);
    bias.push(b);
    bounds.push(bound);
  }
  const reals = weightScales.map((sw) => (input.scale * sw) / output.scale);
  const q: BatchNormQOp = {
    kind: "batch_normalization",
    name: op.name,
    inputs: [...op.inputs],
    output: op.output,
    activation: op.activation.name,
    channels: C,
    weights,
    weightScales,
    bias,
    ...outputStage(reals, bounds, op.activation, output, ctx.precision, ctx.where),
  };
  return { op: q, output };
}

/** Every value through its channel's affine map and the output stage, as nn_scale_shift_* compute it. */
export function runBatchNorm(op: BatchNormQOp, [x]: Int32Array[], out: Int32Array, ctx: RunContext): void {
  const zp = ctx.quant(op.output).zeroPoint;
  for (let i = 0; i < out.length; i++) {
    const c = i % op.channels;
    out[i] = outputCode(op, c, op.bias[c] + x[i] * op.weights[c], zp);
  }
}

/** Channels that divide the tensor, one weight, scale and bias per channel, and the output stage. */
export function checkBatchNorm(op: BatchNormQOp, ctx: CheckContext): void {
  const { lo } = CODE_RANGE[ctx.precision];
  const n = ctx.size(op.output);
  if (ctx.size(op.inputs[0]) !== n)
    ctx.fail("inputs", `'${op.inputs[0]}' holds ${ctx.size(op.inputs[0])} values: the output holds ${n}`);
  if (n % op.channels !== 0) ctx.fail("channels", `is ${op.channels}: it does not divide the ${n} values`);
  for (const [field, values] of [
    ["weights", op.weights],
    ["weightScales", op.weightScales],
    ["bias", op.bias],
  ] as const) {
    if (values.length !== op.channels)
      ctx.fail(field, `has ${values.length} values: expected ${op.channels}, one per channel`);
  }
  const bounds = op.weights.map((w, c) => Math.abs(op.bias[c]) + -lo * Math.abs(w));
  checkOutputStage(op, op.channels, bounds, ctx);
}
