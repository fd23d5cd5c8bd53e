/**
 * Convolutions in integers (Conv2D, and Conv1D as Conv2D with a height of 1), as TensorFlow Lite
 * computes them: int8 weights symmetric per output channel; the input zero point subtracted from every
 * code the window reads, so that the padding (which holds the zero point) adds nothing; the output stage
 * the ops with weights share (src/ops/requant.ts):
 *
 *   acc[f] = bias[f] + sum over the window's taps inside the input of (q_in - zp_in) · w[f][ky][kx][c]
 *   q_out  = output stage of acc                       (int32; int16 programs may need int64, as Dense)
 *
 * Mirrored by nn_conv2d_s8.c, nn_conv2d_s16.c and nn_conv2d_s16_s64.c. Weights are [F][kh][kw][C]
 * (TensorFlow Lite's OHWI): each filter's weights in one run, in the order the window reads the input.
 */
import { z } from "zod";
import { CODE_RANGE, type QuantParams } from "../../core/quant.js";
import { UsageError } from "../../errors.js";
import { INT32_MAX, roundHalfAwayFromZero } from "../../quant/fixedpoint.js";
import { finite, int, qopFields } from "../common.js";
import { quantizeRow } from "../dense/quant.js";
import type { CheckContext, FloatOp, QuantizeContext, RunContext } from "../registry.js";
import {
  checkOutputStage,
  type OutputStage,
  outputCode,
  outputStage,
  outputStageFields,
  S64_BOUND,
} from "../requant.js";
import { type Geometry, geometry } from "./geometry.js";

const positive = int.positive();
const pair = z.tuple([positive, positive]);

/** The window fields of a quantized convolution or pooling op. */
export const windowFields = {
  /** the input tensor as [H, W, C] (a 1-D op: H = 1) */
  input: z.tuple([positive, positive, positive]),
  kernel: pair,
  strides: pair,
  dilation: pair,
  padding: z.enum(["valid", "same"]),
};

export function convQSchema<K extends string>(kind: K) {
  return z.strictObject({
    ...qopFields(kind, { min: 1, max: 1 }),
    activation: z.string(),
    ...windowFields,
    filters: positive,
    /** [F][kh · kw · C] int8, symmetric per output channel */
    weights: z.array(z.array(int.min(-127).max(127))),
    weightScales: z.array(finite.refine((v) => v > 0, "expected a positive scale")),
    /** in accumulator units (input scale × weight scale) */
    bias: z.array(int),
    ...outputStageFields,
  });
}

export type ConvQOp = z.infer<ReturnType<typeof convQSchema<string>>>;

/** The geometry of a quantized op's window. */
export function qGeometry(
  op: Pick<ConvQOp, "input" | "kernel" | "strides" | "dilation" | "padding">,
): Geometry {
  const [H, W, C] = op.input;
  return geometry(H, W, C, op);
}

/** The geometry of a record's window, or a refusal naming its kernel field. */
export function checkedGeometry(
  op: Pick<ConvQOp, "input" | "kernel" | "strides" | "dilation" | "padding">,
  ctx: CheckContext,
): Geometry {
  try {
    return qGeometry(op);
  } catch (e) {
    return ctx.fail("kernel", `is ${op.kernel.join("x")}: ${(e as Error).message}`);
  }
}

/** The largest |q_in - zp_in| over the codes of the type. */
export function maxInputDelta(precision: "int8" | "int16", zp: number): number {
  const { lo, hi } = CODE_RANGE[precision];
  return Math.max(Math.abs(lo - zp), Math.abs(hi - zp));
}

/**
 * The weights and output stage of an op that subtracts the input zero point at every tap (the
 * convolutions): per output channel int8 weights at the scale max|w| / 127, rounded to nearest; the bias
 * in accumulator units (input scale x weight scale); the worst-case accumulator over every input code,
 * refused beyond what 64-bit requantization takes; and the output stage with the fused activation.
 */
export function quantizeChannels(
  channels: number[][],
  floatBias: ArrayLike<number> | undefined,
  input: QuantParams,
  output: QuantParams,
  activation: { name: string; alpha: number },
  ctx: Pick<QuantizeContext, "precision" | "where">,
  what: string,
): { weights: number[][]; weightScales: number[]; bias: number[] } & OutputStage {
  const delta = maxInputDelta(ctx.precision, input.zeroPoint);
  const weights: number[][] = [];
  const weightScales: number[] = [];
  const bias: number[] = [];
  const limit = ctx.precision === "int8" ? INT32_MAX : S64_BOUND;
  channels.forEach((row, c) => {
    const fb = floatBias?.[c] ?? 0;
    let { sw, wq } = quantizeRow(row, null);
    let b = roundHalfAwayFromZero(fb / (input.scale * sw));
    const tooLarge = (wq: number[], b: number) =>
      Math.abs(b) + delta * wq.reduce((s, w) => s + Math.abs(w), 0) > limit ||
      (ctx.precision === "int8" && foldedBounds([wq], [b], input.zeroPoint)[0] > INT32_MAX);
    if (tooLarge(wq, b)) {
      // A channel whose bias dwarfs its weights (a dead filter after a folded batch normalization):
      // the weight scale grows until the bias is 2^24 units, and the weights, tiny beside it, round
      // to few levels or none. The output is the bias, as in float.
      sw = Math.abs(fb) / (input.scale * BIAS_DOMINATED_UNITS);
      wq = row.map((w) => Math.max(-127, Math.min(127, roundHalfAwayFromZero(w / sw))));
      b = roundHalfAwayFromZero(fb / (input.scale * sw));
    }
    const bound = Math.abs(b) + delta * wq.reduce((s, w) => s + Math.abs(w), 0);
    if (!Number.isSafeInteger(b) || bound > S64_BOUND) {
      throw new UsageError(
        `${ctx.where}: ${what} ${c} could reach an accumulator of ${bound.toExponential(3)}, beyond what 64-bit requantization takes (2^47): the bias is far larger than the weights`,
      );
    }
    weights.push(wq);
    weightScales.push(sw);
    bias.push(b);
  });
  const bounds = channelBounds(weights, bias, delta);
  const reals = weightScales.map((sw) => (input.scale * sw) / output.scale);
  return {
    weights,
    weightScales,
    bias,
    ...outputStage(reals, bounds, activation, output, ctx.precision, ctx.where),
  };
}

/** The bias of a channel whose bias dwarfs its weights, in accumulator units (see quantizeChannels). */
const BIAS_DOMINATED_UNITS = 2 ** 24;

/** The bias of an int8 kernel that adds q · w over every tap, the padding reading zp: bias - zp · sum(w). */
export function foldedBias(op: { weights: number[][]; bias: number[] }, zp: number): number[] {
  return op.weights.map((row, c) => op.bias[c] - zp * row.reduce((s, w) => s + w, 0));
}

/**
 * The worst-case |partial sum| of each channel in that form, whatever the order of the taps:
 * |bias - zp · sum(w)| + 128 · sum |w|.
 */
export function foldedBounds(weights: number[][], bias: number[], zp: number): number[] {
  const folded = foldedBias({ weights, bias }, zp);
  return weights.map((row, c) => Math.abs(folded[c]) + 128 * row.reduce((s, w) => s + Math.abs(w), 0));
}

/** The worst-case |accumulator| of each channel: |bias| + the largest |q_in - zp_in| times sum |w|. */
export function channelBounds(weights: number[][], bias: number[], delta: number): number[] {
  return weights.map((row, c) => Math.abs(bias[c]) + delta * row.reduce((s, w) => s + Math.abs(w), 0));
}

/**
 * The integer op of a float convolution: per filter the int8 weights at the scale max|w| / 127 (rounded
 * to nearest), the bias in accumulator units, the worst-case accumulator, and the output stage.
 */
export function quantizeConv<K extends string>(
  kind: K,
  op: FloatOp,
  g: Geometry,
  ctx: QuantizeContext,
): { op: ConvQOp; output: QuantParams } {
  const input = ctx.input(0);
  const output = ctx.calibratedOutput();
  const F = op.outputShape[op.outputShape.length - 1];
  const K = g.kernel[0] * g.kernel[1] * g.C;
  const kernel = op.weights.kernel;
  // Keras' [kh][kw][C][F]: filter f's weights are every F-th value
  const filters = Array.from({ length: F }, (_, f) => Array.from({ length: K }, (_, k) => kernel[k * F + f]));
  const quantized = quantizeChannels(filters, op.weights.bias, input, output, op.activation, ctx, "filter");
  const q: ConvQOp = {
    kind,
    name: op.name,
    inputs: [...op.inputs],
    output: op.output,
    activation: op.activation.name,
    input: [g.H, g.W, g.C],
    kernel: [...g.kernel],
    strides: [...g.strides],
    dilation: [...g.dilation],
    padding: g.padding,
    filters: F,
    ...quantized,
  };
  return { op: q, output };
}

/** Every output position and filter, as nn_conv2d_s8 / _s16 / _s16_s64 compute them. */
export function runConv(op: ConvQOp, [x]: Int32Array[], out: Int32Array, ctx: RunContext): void {
  const g = qGeometry(op);
  const zpIn = ctx.quant(op.inputs[0]).zeroPoint;
  const zpOut = ctx.quant(op.output).zeroPoint;
  const [kh, kw] = g.kernel;
  const { W, C, Ho, Wo } = g;
  for (let oy = 0; oy < Ho; oy++)
    for (let ox = 0; ox < Wo; ox++)
      for (let f = 0; f < op.filters; f++) {
        const w = op.weights[f];
        let acc = op.bias[f];
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * g.strides[0] - g.padTop + ky * g.dilation[0];
          if (iy < 0 || iy >= g.H) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * g.strides[1] - g.padLeft + kx * g.dilation[1];
            if (ix < 0 || ix >= W) continue;
            const xo = (iy * W + ix) * C;
            const wo = (ky * kw + kx) * C;
            for (let c = 0; c < C; c++) acc += (x[xo + c] - zpIn) * w[wo + c];
          }
        }
        out[(oy * Wo + ox) * op.filters + f] = outputCode(op, f, acc, zpOut);
      }
}

/** Geometry that fits the tensors, weights of the declared shape, and the output stage. */
export function checkConv(op: ConvQOp, ctx: CheckContext): void {
  const g = checkedGeometry(op, ctx);
  const [H, W, C] = op.input;
  if (ctx.size(op.inputs[0]) !== H * W * C)
    ctx.fail(
      "input",
      `is [${op.input.join(", ")}]: its tensor '${op.inputs[0]}' holds ${ctx.size(op.inputs[0])} values`,
    );
  const n = g.Ho * g.Wo * op.filters;
  if (ctx.size(op.output) !== n)
    ctx.fail("filters", `give ${n} output values: the output tensor holds ${ctx.size(op.output)}`);
  const K = g.kernel[0] * g.kernel[1] * C;
  const length = (field: string, values: readonly unknown[], expected: number) => {
    if (values.length !== expected) ctx.fail(field, `has ${values.length} values: expected ${expected}`);
  };
  length("weights", op.weights, op.filters);
  op.weights.forEach((row, f) => {
    length(`weights[${f}]`, row, K);
  });
  length("weightScales", op.weightScales, op.filters);
  length("bias", op.bias, op.filters);
  const delta = maxInputDelta(ctx.precision, ctx.quant(op.inputs[0]).zeroPoint);
  checkOutputStage(op, op.filters, channelBounds(op.weights, op.bias, delta), ctx);
  if (ctx.precision === "int8") checkFoldedBounds(op, ctx);
}

/**
 * int8 kernels that fold the input zero point into the bias (nn_conv2d_s8, nn_depthwise_conv2d_s8)
 * add q · w over every tap: each channel's partial sums must fit int32 whatever the order.
 */
export function checkFoldedBounds(
  op: { inputs: string[]; weights: number[][]; bias: number[] },
  ctx: CheckContext,
): void {
  const bounds = foldedBounds(op.weights, op.bias, ctx.quant(op.inputs[0]).zeroPoint);
  const c = bounds.findIndex((b) => b > INT32_MAX);
  if (c >= 0)
    ctx.fail(
      `bias[${c}]`,
      `with the input zero point folded in could take a partial sum to ${bounds[c].toExponential(3)}: expected at most 2^31 - 1`,
    );
}
