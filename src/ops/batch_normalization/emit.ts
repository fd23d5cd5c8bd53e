/** The C of a BatchNormalization kept as an op: nn_scale_shift_s8 / _s16 / _s16_s64, or nn_scale_shift_f32. */
import { cComment, cFloat } from "../../codegen/cnames.js";
import { CTYPE, describeQuant } from "../../core/quant.js";
import { channelsOf, sizeOf } from "../../core/shape.js";
import { floatActivationCall } from "../activation/emit.js";
import { rows, valueRange } from "../common.js";
import type { EmittedOp, FloatEmitContext, FloatOp, IntegerEmitContext } from "../registry.js";
import { weightedOpArrays } from "../requant.js";
import type { BatchNormalizationConfig } from "./index.js";
import type { BatchNormQOp } from "./quant.js";

export function emitBatchNorm(op: BatchNormQOp, ctx: IntegerEmitContext): EmittedOp {
  const { id } = ctx;
  const dtype = CTYPE[ctx.precision].dtype;
  const s64 = op.accumulator === "s64";
  const kernel =
    ctx.precision === "int8" ? "nn_scale_shift_s8" : s64 ? "nn_scale_shift_s16_s64" : "nn_scale_shift_s16";
  const n = ctx.size(op.output);
  const input = ctx.quant(op.inputs[0]);
  const output = ctx.quant(op.output);
  const { arrays, fields } = weightedOpArrays(
    op,
    id,
    {
      comment: `weights: s8 [${op.channels}], per channel scales ${valueRange(op.weightScales)}`,
      dims: `[${op.channels}]`,
      rows: rows(op.weights.map(String)),
    },
    `, input zero point ${input.zeroPoint} folded in`,
  );
  return {
    comment: cComment(
      `${ctx.title}: batch normalization of ${op.channels} channels over ${n} values${op.activation === "linear" ? "" : `, ${op.activation} fused`}; in ${dtype} ${describeQuant(input)}, out ${dtype} ${describeQuant(output)}, clamp [${op.clampLo}, ${op.clampHi}]`,
    ),
    arrays,
    params: {
      type: `${kernel}_params_t`,
      name: `${id}_params`,
      fields: [`${op.channels}`, ...fields, `${output.zeroPoint}, ${op.clampLo}, ${op.clampHi}`],
      bytes: 40,
    },
    calls: ([src], dst) => [`${kernel}(&${id}_params, ${src}, ${dst}, ${n}u)`],
    runtime: [`${kernel}.c`, "nn_scale_shift_body.h"],
  };
}

export function emitBatchNormFloat(op: FloatOp<BatchNormalizationConfig>, ctx: FloatEmitContext): EmittedOp {
  const { id } = ctx;
  const C = channelsOf(op.outputShape);
  const n = sizeOf(op.outputShape);
  const act = op.activation;
  const fused = act.name === "linear" ? null : floatActivationCall(act.name, act.alpha, n, ctx.title);
  return {
    comment: cComment(
      `${ctx.title}: batch normalization of ${C} channels over ${n} values${fused ? `, ${act.name} in place` : ""}, f32`,
    ),
    arrays: [
      {
        section: "weights",
        comment: "scale per channel: gamma / sqrt(moving variance + epsilon)",
        ctype: "float",
        name: `${id}_scale`,
        dims: `[${C}]`,
        rows: rows(Array.from(op.weights.scale, cFloat), 8),
      },
      {
        section: "bias",
        comment: "shift per channel: beta - moving mean * scale",
        ctype: "float",
        name: `${id}_shift`,
        dims: `[${C}]`,
        rows: rows(Array.from(op.weights.shift, cFloat), 8),
      },
    ],
    params: null,
    calls: ([src], dst) => [
      `nn_scale_shift_f32(${src}, ${id}_scale, ${id}_shift, ${C}, ${dst}, ${n}u)`,
      ...(fused ? [fused.call(dst, dst)] : []),
    ],
    runtime: ["nn_scale_shift_f32.c", ...(fused ? fused.runtime : [])],
  };
}
