/** The C of a convolution: nn_conv2d_s8 / _s16 / _s16_s64 with a parameter struct, or nn_conv2d_f32. */
import { cComment, cFloat } from "../../codegen/cnames.js";
import { CTYPE, describeQuant } from "../../core/quant.js";
import { floatActivationCall } from "../activation/emit.js";
import { matrixRows, rows, valueRange } from "../common.js";
import { blockedWeightRows } from "../dense/emit.js";
import type { EmittedOp, FloatEmitContext, FloatOp, IntegerEmitContext } from "../registry.js";
import { weightedOpArrays } from "../requant.js";
import type { Geometry } from "./geometry.js";
import type { ConvQOp } from "./quant.js";
import { foldedBias, qGeometry } from "./quant.js";

/** The geometry fields every window struct of nn.h starts with (nn_window_t). */
export function windowInitializer(g: Geometry): string {
  return `{ ${g.H}, ${g.W}, ${g.C}, ${g.Ho}, ${g.Wo}, ${g.kernel[0]}, ${g.kernel[1]}, ${g.strides[0]}, ${g.strides[1]}, ${g.dilation[0]}, ${g.dilation[1]}, ${g.padTop}, ${g.padLeft} }`;
}

/** "3x3 stride 1 same, [8, 8, 1] -> [8, 8, 8]" */
export function describeWindow(g: Geometry, outC: number): string {
  const dil = g.dilation[0] > 1 || g.dilation[1] > 1 ? ` dilation ${g.dilation.join("x")}` : "";
  return `${g.kernel.join("x")} stride ${g.strides.join("x")}${dil} ${g.padding}, [${g.H}, ${g.W}, ${g.C}] -> [${g.Ho}, ${g.Wo}, ${outC}]`;
}

/** The window's taps rounded up to a multiple of 8 (NN_CONV_TAPS in nn.h): whole 8-byte weight loads. */
export function paddedTaps(K: number): number {
  return Math.ceil(K / 8) * 8;
}

/**
 * The int8 convolution: nn_conv2d_s8 runs nn_dense_s8 per output position over the window (read in
 * place when it is one run of the input, else gathered into scratch with the input zero point for the
 * padding), so its weights are in the dense blocked layout over the K = kh · kw · C taps padded with
 * zero weights to a multiple of 8 (whole 8-byte loads of weights, no remainder of odd taps), and its bias has the input zero
 * point folded in: bias - zp · sum(w), plus zp · w for each padded tap, is the reference's sum of
 * (q - zp) · w over the taps inside.
 */
function emitConvS8(op: ConvQOp, ctx: IntegerEmitContext): EmittedOp {
  const { id } = ctx;
  const g = qGeometry(op);
  const input = ctx.quant(op.inputs[0]);
  const output = ctx.quant(op.output);
  const K = g.kernel[0] * g.kernel[1] * g.C;
  const padded = paddedTaps(K);
  const folded = foldedBias(op, input.zeroPoint);
  const { arrays, fields } = weightedOpArrays(
    { ...op, bias: folded },
    id,
    {
      comment: `weights: s8 [${op.filters}][${g.kernel[0]} * ${g.kernel[1]} * ${g.C}${padded > K ? ` + ${padded - K} zeros` : ""}] (filter; row, column, channel) in the blocked layout of nn.h (nn_dense_weight_index over ${padded} inputs), per filter scales ${valueRange(op.weightScales)}`,
      dims: `[${op.filters} * ${padded}] NN_WEIGHTS_ALIGNED`,
      rows: blockedWeightRows(op.weights.map((row) => [...row, ...Array(padded - K).fill(0)])),
    },
    `, input zero point ${input.zeroPoint} folded in`,
  );
  // the DSP path's 16-bit window, 4-byte aligned (nn_conv2d_s8.c), which it extends for every position
  // (even one it could read in place: the extension serves all filters); the other paths gather the
  // windows they cannot read in place into `padded` bytes of it
  const scratchBytes = 2 * padded + 3;
  return {
    comment: cComment(
      `${ctx.title}: convolution ${describeWindow(g, op.filters)}, ${op.activation}${op.activation === "linear" ? "" : " fused"}; in s8 ${describeQuant(input)}, out s8 ${describeQuant(output)}, clamp [${op.clampLo}, ${op.clampHi}]${scratchBytes ? `; ${scratchBytes} bytes of scratch` : ""}`,
    ),
    arrays,
    params: {
      type: "nn_conv2d_s8_params_t",
      name: `${id}_params`,
      fields: [
        windowInitializer(g),
        `${op.filters}`,
        ...fields,
        `${input.zeroPoint}, ${output.zeroPoint}, ${op.clampLo}, ${op.clampHi}`,
      ],
      bytes: 13 * 4 + 4 + 6 * 4 + 16,
    },
    calls: ([src], dst, scratch) => [`nn_conv2d_s8(&${id}_params, ${src}, ${dst}, ${scratch})`],
    scratchBytes,
    runtime: ["nn_conv2d_s8.c", "nn_dense_s8.c", "nn_dense_internal.h"],
  };
}

export function emitConv(op: ConvQOp, ctx: IntegerEmitContext): EmittedOp {
  if (ctx.precision === "int8") return emitConvS8(op, ctx);
  const { id } = ctx;
  const g = qGeometry(op);
  const dtype = CTYPE[ctx.precision].dtype;
  const s64 = op.accumulator === "s64";
  const kernel = s64 ? "nn_conv2d_s16_s64" : "nn_conv2d_s16";
  const input = ctx.quant(op.inputs[0]);
  const output = ctx.quant(op.output);
  const K = g.kernel[0] * g.kernel[1] * g.C;
  const { arrays, fields } = weightedOpArrays(op, id, {
    comment: `weights: s8 [${op.filters}][${g.kernel[0]}][${g.kernel[1]}][${g.C}] (filter, row, column, channel), per filter scales ${valueRange(op.weightScales)}`,
    dims: `[${op.filters} * ${K}] NN_WEIGHTS_ALIGNED`,
    rows: op.weights.flatMap((row, f) => [`/* filter ${f} */`, ...rows(row.map(String))]),
  });
  return {
    comment: cComment(
      `${ctx.title}: convolution ${describeWindow(g, op.filters)}, ${op.activation}${op.activation === "linear" ? "" : " fused"}; in ${dtype} ${describeQuant(input)}, out ${dtype} ${describeQuant(output)}, clamp [${op.clampLo}, ${op.clampHi}]`,
    ),
    arrays,
    params: {
      type: `${kernel}_params_t`,
      name: `${id}_params`,
      fields: [
        windowInitializer(g),
        `${op.filters}`,
        ...fields,
        `${input.zeroPoint}, ${output.zeroPoint}, ${op.clampLo}, ${op.clampHi}`,
      ],
      bytes: 13 * 4 + 4 + 6 * 4 + 16,
    },
    calls: ([src], dst) => [`${kernel}(&${id}_params, ${src}, ${dst})`],
    runtime: [`${kernel}.c`, "nn_conv2d_body.h"],
  };
}

/** The float convolution: nn_conv2d_f32 (weights [F][kh][kw][C]), then its fused activation in place. */
export function emitConvFloat(op: FloatOp, g: Geometry, ctx: FloatEmitContext): EmittedOp {
  const { id } = ctx;
  const F = op.outputShape[op.outputShape.length - 1];
  const K = g.kernel[0] * g.kernel[1] * g.C;
  const act = op.activation;
  const n = g.Ho * g.Wo * F;
  const fused = act.name === "linear" ? null : floatActivationCall(act.name, act.alpha, n, ctx.title);
  const kernel = op.weights.kernel;
  const filters = Array.from({ length: F }, (_, f) => Array.from({ length: K }, (_, k) => kernel[k * F + f]));
  const bias = op.weights.bias ?? new Float64Array(F);
  return {
    comment: cComment(
      `${ctx.title}: convolution ${describeWindow(g, F)}${fused ? `, ${act.name} in place` : ""}, f32`,
    ),
    arrays: [
      {
        section: "weights",
        comment: `weights: f32 [${F}][${g.kernel[0]} * ${g.kernel[1]} * ${g.C}] (filter, row, column, channel)`,
        ctype: "float",
        name: `${id}_weights`,
        dims: `[${F}][${K}]`,
        rows: matrixRows(filters, cFloat),
      },
      {
        section: "bias",
        comment: "bias: f32",
        ctype: "float",
        name: `${id}_bias`,
        dims: `[${F}]`,
        rows: rows(Array.from(bias, cFloat), 8),
      },
    ],
    params: {
      type: "nn_conv2d_f32_params_t",
      name: `${id}_params`,
      fields: [windowInitializer(g), `${F}`, `&${id}_weights[0][0]`, `${id}_bias`],
      bytes: 13 * 4 + 4 + 8,
    },
    calls: ([src], dst) => [
      `nn_conv2d_f32(&${id}_params, ${src}, ${dst})`,
      ...(fused ? [fused.call(dst, dst)] : []),
    ],
    runtime: ["nn_conv2d_f32.c", ...(fused ? fused.runtime : [])],
  };
}
