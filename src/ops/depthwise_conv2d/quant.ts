/**
 * DepthwiseConv2D in integers, as TensorFlow Lite computes it: int8 weights symmetric per output channel
 * (o = c · M + m), the input zero point subtracted from every code the window reads, and the output
 * stage of the ops with weights (src/ops/requant.ts):
 *
 *   acc[o] = bias[o] + sum over the window's taps inside the input of (q_in[c] - zp_in) · w[o][ky][kx]
 *
 * Mirrored by nn_depthwise_conv2d_s8.c, _s16.c and _s16_s64.c; weights are [C · M][kh][kw] here. The
 * int8 C kernel reads them channel-fastest ([kh][kw][C · M], TensorFlow Lite's 1HWC) and its bias with
 * the input zero point folded in (foldedBias in conv2d/quant.ts): it adds in[c] · w at every tap, the taps outside
 * the input reading the code zp_in, which computes the same integers with other partial sums.
 */
import { z } from "zod";
import type { QuantParams } from "../../core/quant.js";
import { finite, int, qopFields } from "../common.js";
import { forEachTap, type Geometry } from "../conv2d/geometry.js";
import {
  channelBounds,
  checkedGeometry,
  checkFoldedBounds,
  maxInputDelta,
  qGeometry,
  quantizeChannels,
  windowFields,
} from "../conv2d/quant.js";
import type { CheckContext, FloatOp, QuantizeContext, RunContext } from "../registry.js";
import { checkOutputStage, outputCode, outputStageFields } from "../requant.js";

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
  // Keras' [kh][kw][C][M]: output channel o's weights are every (C * M)-th value
  const channels = Array.from({ length: CM }, (_, o) =>
    Array.from({ length: taps }, (_, t) => op.weights.kernel[t * CM + o]),
  );
  const quantized = quantizeChannels(channels, op.weights.bias, input, output, op.activation, ctx, "channel");
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
      ...quantized,
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
  const zpIn = ctx.quant(op.inputs[0]).zeroPoint;
  // the int8 kernel adds x · w from the folded bias (foldedBias): its partial sums must fit int32
  if (ctx.precision === "int8") checkFoldedBounds(op, ctx);
  const delta = maxInputDelta(ctx.precision, zpIn);
  checkOutputStage(op, CM, channelBounds(op.weights, op.bias, delta), ctx);
}
