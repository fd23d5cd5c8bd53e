/**
 * DepthwiseConv2D in integers, as TensorFlow Lite computes it: int8 weights symmetric per output channel
 * (o = c · M + m), the input zero point subtracted from every code the window reads, and the output
 * stage of the ops with weights (src/ops/requant.ts):
 *
 *   acc[o] = bias[o] + sum over the window's taps inside the input of (q_in[c] - zp_in) · w[o][ky][kx]
 *
 * Mirrored by nn_depthwise_conv2d_s8.c, _s16.c and _s16_s64.c; weights are [C · M][kh][kw].
 */
import { z } from "zod";
import type { QuantParams } from "../../core/quant.js";
import { UsageError } from "../../errors.js";
import { roundHalfAwayFromZero } from "../../quant/fixedpoint.js";
import { finite, int, qopFields } from "../common.js";
import type { Geometry } from "../conv2d/geometry.js";
import { checkedGeometry, maxInputDelta, qGeometry, windowFields } from "../conv2d/quant.js";
import { quantizeRow } from "../dense/quant.js";
import type { CheckContext, FloatOp, QuantizeContext, RunContext } from "../registry.js";
import { checkOutputStage, outputCode, outputStage, outputStageFields, S64_BOUND } from "../requant.js";
import { forEachTap } from "./kernel.js";

export const depthwiseQSchema = z.strictObject({
  ...qopFields("depthwise_conv2d", { min: 1, max: 1 }),
  activation: z.string(),
  ...windowFields,
  depthMultiplier: int.positive(),
  /** [C · M][kh · kw] int8, symmetric per output channel */
  weights: z.array(z.array(int.min(-127).max(127))),
  weightScales: z.array(finite.refine((v) => v > 0, "expected a positive scale")),
  bias: z.array(int),
  ...outputStageFields,
});

export type DepthwiseQOp = z.infer<typeof depthwiseQSchema>;

export function quantizeDepthwise(
  op: FloatOp,
  g: Geometry,
  M: number,
  ctx: QuantizeContext,
): { op: DepthwiseQOp; output: QuantParams } {
  const input = ctx.input(0);
  const output = ctx.calibratedOutput();
  const CM = g.C * M;
  const taps = g.kernel[0] * g.kernel[1];
  const delta = maxInputDelta(ctx.precision, input.zeroPoint);
  const weights: number[][] = [];
  const weightScales: number[] = [];
  const bias: number[] = [];
  const bounds: number[] = [];
  for (let o = 0; o < CM; o++) {
    const row = Array.from({ length: taps }, (_, t) => op.weights.kernel[t * CM + o]);
    const { sw, wq } = quantizeRow(row, null);
    const b = roundHalfAwayFromZero((op.weights.bias?.[o] ?? 0) / (input.scale * sw));
    const bound = Math.abs(b) + delta * wq.reduce((s, w) => s + Math.abs(w), 0);
    if (!Number.isSafeInteger(b) || bound > S64_BOUND)
      throw new UsageError(
        `${ctx.where}: channel ${o} could reach an accumulator of ${bound.toExponential(3)}, beyond what 64-bit requantization takes (2^47): the bias is far larger than the weights`,
      );
    weights.push(wq);
    weightScales.push(sw);
    bias.push(b);
    bounds.push(bound);
  }
  const reals = weightScales.map((sw) => (input.scale * sw) / output.scale);
  return {
    op: {
      kind: "depthwise_conv2d",
      name: op.name,
      inputs: [...op.inputs],
      output: op.output,
      activation: op.activation.name,
      input: [g.H, g.W, g.C],
      kernel: [...g.kernel],
      strides: [...g.strides],
      dilation: [...g.dilation],
      padding: g.padding,
      depthMultiplier: M,
      weights,
      weightScales,
      bias,
      ...outputStage(reals, bounds, op.activation, output, ctx.precision, ctx.where),
    },
    output,
  };
}

export function runDepthwise(op: DepthwiseQOp, [x]: Int32Array[], out: Int32Array, ctx: RunContext): void {
  const g = qGeometry(op);
  const M = op.depthMultiplier;
  const CM = g.C * M;
  const zpIn = ctx.quant(op.inputs[0]).zeroPoint;
  const zpOut = ctx.quant(op.output).zeroPoint;
  const acc = new Array<number>(CM);
  let yo = 0;
  for (let oy = 0; oy < g.Ho; oy++)
    for (let ox = 0; ox < g.Wo; ox++, yo += CM) {
      for (let o = 0; o < CM; o++) acc[o] = op.bias[o];
      forEachTap(g, oy, ox, (t, tap) => {
        for (let o = 0; o < CM; o++) acc[o] += (x[t + Math.floor(o / M)] - zpIn) * op.weights[o][tap];
      });
      for (let o = 0; o < CM; o++) out[yo + o] = outputCode(op, o, acc[o], zpOut);
    }
}

export function checkDepthwise(op: DepthwiseQOp, ctx: CheckContext): void {
  const g = checkedGeometry(op, ctx);
  const [H, W, C] = op.input;
  const CM = C * op.depthMultiplier;
  if (ctx.size(op.inputs[0]) !== H * W * C)
    ctx.fail(
      "input",
      `is [${op.input.join(", ")}]: its tensor '${op.inputs[0]}' holds ${ctx.size(op.inputs[0])} values`,
    );
  if (ctx.size(op.output) !== g.Ho * g.Wo * CM)
    ctx.fail(
      "depthMultiplier",
      `gives ${g.Ho * g.Wo * CM} output values: the output tensor holds ${ctx.size(op.output)}`,
    );
  const taps = g.kernel[0] * g.kernel[1];
  const length = (field: string, values: readonly unknown[], n: number) => {
    if (values.length !== n) ctx.fail(field, `has ${values.length} values: expected ${n}`);
  };
  length("weights", op.weights, CM);
  op.weights.forEach((row, o) => {
    length(`weights[${o}]`, row, taps);
  });
  length("weightScales", op.weightScales, CM);
  length("bias", op.bias, CM);
  const delta = maxInputDelta(ctx.precision, ctx.quant(op.inputs[0]).zeroPoint);
  const bounds = op.weights.map(
    (row, o) => Math.abs(op.bias[o]) + delta * row.reduce((s, w) => s + Math.abs(w), 0),
  );
  checkOutputStage(op, CM, bounds, ctx);
}
