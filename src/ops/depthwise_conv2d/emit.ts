/** The C of a depthwise convolution: nn_depthwise_conv2d_s8 / _s16 / _s16_s64, or _f32. */
import { cComment, cFloat } from "../../codegen/cnames.js";
import { CTYPE, describeQuant } from "../../core/quant.js";
import { floatActivationCall } from "../activation/emit.js";
import { matrixRows, rows, valueRange } from "../common.js";
import { describeWindow, windowInitializer } from "../conv2d/emit.js";
import type { Geometry } from "../conv2d/geometry.js";
import { foldedBias, qGeometry } from "../conv2d/quant.js";
import type { EmittedOp, FloatEmitContext, FloatOp, IntegerEmitContext } from "../registry.js";
import { weightedOpArrays } from "../requant.js";
import type { DepthwiseQOp } from "./quant.js";

export function emitDepthwise(op: DepthwiseQOp, ctx: IntegerEmitContext): EmittedOp {
  const { id } = ctx;
  const g = qGeometry(op);
  const CM = g.C * op.depthMultiplier;
  const dtype = CTYPE[ctx.precision].dtype;
  const s64 = op.accumulator === "s64";
  const kernel =
    ctx.precision === "int8"
      ? "nn_depthwise_conv2d_s8"
      : s64
        ? "nn_depthwise_conv2d_s16_s64"
        : "nn_depthwise_conv2d_s16";
  const input = ctx.quant(op.inputs[0]);
  const output = ctx.quant(op.output);
  const taps = g.kernel[0] * g.kernel[1];
  const int8 = ctx.precision === "int8";
  // int8: channel-fastest ([kh][kw][C * M]) and the bias with the input zero point folded in (see nn.h)
  const { arrays, fields } = weightedOpArrays(
    int8 ? { ...op, bias: foldedBias(op, input.zeroPoint) } : op,
    id,
    int8
      ? {
          comment: `weights: s8 [${g.kernel[0]}][${g.kernel[1]}][${CM}] (row, column, output channel), per channel scales ${valueRange(op.weightScales)}`,
          dims: `[${taps} * ${CM}] NN_WEIGHTS_ALIGNED`,
          rows: rows(
            Array.from({ length: taps * CM }, (_, i) => String(op.weights[i % CM][Math.floor(i / CM)])),
          ),
        }
      : {
          comment: `weights: s8 [${CM}][${g.kernel[0]}][${g.kernel[1]}] (output channel, row, column), per channel scales ${valueRange(op.weightScales)}`,
          dims: `[${CM} * ${taps}] NN_WEIGHTS_ALIGNED`,
          rows: rows(op.weights.flat().map(String)),
        },
    int8 ? `, input zero point ${input.zeroPoint} folded in` : "",
  );
  const scratchBytes = int8 ? depthwiseScratchBytes(g, op.depthMultiplier) : 0;
  return {
    comment: cComment(
      `${ctx.title}: depthwise convolution ${describeWindow(g, CM)}, depth multiplier ${op.depthMultiplier}, ${op.activation}${op.activation === "linear" ? "" : " fused"}; in ${dtype} ${describeQuant(input)}, out ${dtype} ${describeQuant(output)}, clamp [${op.clampLo}, ${op.clampHi}]${scratchBytes ? `; ${scratchBytes} bytes of scratch` : ""}`,
    ),
    arrays,
    params: {
      type: `${kernel}_params_t`,
      name: `${id}_params`,
      fields: [
        windowInitializer(g),
        `${op.depthMultiplier}`,
        ...fields,
        `${input.zeroPoint}, ${output.zeroPoint}, ${op.clampLo}, ${op.clampHi}`,
      ],
      bytes: 13 * 4 + 4 + 6 * 4 + 16,
    },
    calls: ([src], dst, scratch) => [
      int8
        ? `${kernel}(&${id}_params, ${src}, ${dst}, ${scratch})`
        : `${kernel}(&${id}_params, ${src}, ${dst})`,
    ],
    scratchBytes,
    runtime: [`${kernel}.c`, int8 ? "nn_dense_internal.h" : "nn_depthwise_conv2d_body.h"],
  };
}

/**
 * The scratch of nn_depthwise_conv2d_s8: its fast paths read a border pixel's window (a window 3 taps
 * wide without dilation across, depth multiplier 1) from a copy of k_h rows of 3 taps with the input
 * zero point outside the input, and one column more of in_zp (the Helium path keeps its edge columns of
 * in_zp for the whole call); none when every window lies inside the input or the kernel does not take
 * that path. Mirrors dw_fast in nn_depthwise_conv2d_s8.c.
 */
export function depthwiseScratchBytes(g: Geometry, depthMultiplier: number): number {
  const [kh, kw] = g.kernel;
  if (depthMultiplier !== 1 || kw !== 3 || g.dilation[1] !== 1) return 0;
  const inside = (o: number, s: number, pad: number, k: number, d: number, size: number) => {
    const i = o * s - pad;
    return i >= 0 && i + (k - 1) * d < size;
  };
  let border = false;
  for (let oy = 0; oy < g.Ho && !border; oy++) {
    border = !inside(oy, g.strides[0], g.padTop, kh, g.dilation[0], g.H);
  }
  for (let ox = 0; ox < g.Wo && !border; ox++) {
    border = !inside(ox, g.strides[1], g.padLeft, kw, g.dilation[1], g.W);
  }
  // k_h rows of 3 taps, and one more column of in_zp for the Helium path's right-edge rows (dw_pixel3_mve)
  return border ? (kh * kw + 1) * g.C : 0;
}

export function emitDepthwiseFloat(op: FloatOp, g: Geometry, M: number, ctx: FloatEmitContext): EmittedOp {
  const { id } = ctx;
  const CM = g.C * M;
  const taps = g.kernel[0] * g.kernel[1];
  const act = op.activation;
  const fused =
    act.name === "linear" ? null : floatActivationCall(act.name, act.alpha, g.Ho * g.Wo * CM, ctx.title);
  const channels = Array.from({ length: CM }, (_, o) =>
    Array.from({ length: taps }, (_, t) => op.weights.kernel[t * CM + o]),
  );
  const bias = op.weights.bias ?? new Float64Array(CM);
  return {
    comment: cComment(
      `${ctx.title}: depthwise convolution ${describeWindow(g, CM)}, depth multiplier ${M}${fused ? `, ${act.name} in place` : ""}, f32`,
    ),
    arrays: [
      {
        section: "weights",
        comment: `weights: f32 [${CM}][${g.kernel[0]} * ${g.kernel[1]}] (output channel, row, column)`,
        ctype: "float",
        name: `${id}_weights`,
        dims: `[${CM}][${taps}]`,
        rows: matrixRows(channels, cFloat),
      },
      {
        section: "bias",
        comment: "bias: f32",
        ctype: "float",
        name: `${id}_bias`,
        dims: `[${CM}]`,
        rows: rows(Array.from(bias, cFloat), 8),
      },
    ],
    params: {
      type: "nn_depthwise_conv2d_f32_params_t",
      name: `${id}_params`,
      fields: [windowInitializer(g), `${M}`, `&${id}_weights[0][0]`, `${id}_bias`],
      bytes: 13 * 4 + 4 + 8,
    },
    calls: ([src], dst) => [
      `nn_depthwise_conv2d_f32(&${id}_params, ${src}, ${dst})`,
      ...(fused ? [fused.call(dst, dst)] : []),
    ],
    runtime: ["nn_depthwise_conv2d_f32.c", ...(fused ? fused.runtime : [])],
  };
}
