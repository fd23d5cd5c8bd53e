/** The C of an Add op: nn_add_s8 / nn_add_s16 with a parameter struct, or nn_add_f32. */
import { cComment } from "../../codegen/cnames.js";
import { CTYPE, describeQuant } from "../../core/quant.js";
import { floatActivationCall } from "../activation/emit.js";
import type { EmittedOp, FloatEmitContext, FloatOp, IntegerEmitContext } from "../registry.js";
import { type AddQOp, MAX_ADD_INPUTS } from "./quant.js";

/** `(const int8_t *const[2]){ a, b }`: the inputs as a C99 compound literal. */
const inputList = (ctype: string, inputs: string[]) =>
  `(const ${ctype} *const[${inputs.length}]){ ${inputs.join(", ")} }`;

export function emitAdd(op: AddQOp, ctx: IntegerEmitContext): EmittedOp {
  const { ctype, dtype } = CTYPE[ctx.precision];
  const kernel = `nn_add_${dtype}`;
  const n = ctx.size(op.output);
  const pad = (xs: number[]) => `{ ${[...xs, ...Array(MAX_ADD_INPUTS - xs.length).fill(0)].join(", ")} }`;
  const output = ctx.quant(op.output);
  return {
    comment: cComment(
      `${ctx.title}: add of ${op.inputs.length} tensors of ${n} values${op.activation === "linear" ? "" : `, ${op.activation} fused`}; in ${op.inputs.map((t) => `${dtype} ${describeQuant(ctx.quant(t))}`).join(" + ")}, out ${dtype} ${describeQuant(output)}, clamp [${op.clampLo}, ${op.clampHi}]`,
    ),
    arrays: [],
    params: {
      type: `${kernel}_params_t`,
      name: `${ctx.id}_params`,
      fields: [
        `${op.inputs.length}, ${op.leftShift}`,
        pad(op.inputs.map((t) => ctx.quant(t).zeroPoint)),
        pad(op.mult),
        pad(op.shift),
        `${op.outMult}, ${op.outShift}, ${output.zeroPoint}, ${op.clampLo}, ${op.clampHi}`,
      ],
      bytes: 4 * (7 + 3 * MAX_ADD_INPUTS),
    },
    calls: (inputs, out) => [`${kernel}(&${ctx.id}_params, ${inputList(ctype, inputs)}, ${out}, ${n}u)`],
    runtime: [`${kernel}.c`, "nn_add_body.h"],
  };
}

export function emitAddFloat(op: FloatOp, ctx: FloatEmitContext): EmittedOp {
  const n = op.outputShape.reduce((a, b) => a * b, 1);
  const act = op.activation;
  const fused = act.name === "linear" ? null : floatActivationCall(act.name, act.alpha, n, ctx.title);
  return {
    comment: cComment(
      `${ctx.title}: add of ${op.inputs.length} tensors of ${n} values${fused ? `, ${act.name} in place` : ""}, f32`,
    ),
    arrays: [],
    params: null,
    calls: (inputs, out) => [
      `nn_add_f32(${inputList("float", inputs)}, ${inputs.length}, ${out}, ${n}u)`,
      ...(fused ? [fused.call(out, out)] : []),
    ],
    runtime: ["nn_add_f32.c", ...(fused ? fused.runtime : [])],
  };
}
