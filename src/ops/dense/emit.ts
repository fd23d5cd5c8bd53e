/**
 * The C of a dense op: the integer kernels (nn_dense_s8, nn_dense_s16, nn_dense_s16_s64) with their
 * weights in the blocked layout of nn.h, and the float kernel (nn_dense_f32, then the fused activation's
 * float kernel in place).
 */

import { cComment, cFloat, cInt } from "../../codegen/cnames.js";
import { CTYPE, describeQuant } from "../../core/quant.js";
import { floatActivationCall } from "../activation/emit.js";
import { matrixRows, rows, rowsOf, valueRange } from "../common.js";
import type { ArrayView, EmittedOp, FloatEmitContext, FloatOp, IntegerEmitContext } from "../registry.js";
import { outputStageArrays } from "../requant.js";
import type { DenseConfig } from "./index.js";
import type { DenseQOp } from "./quant.js";

/** Rows per group and inputs per chunk of the blocked dense weight layout (NN_DENSE_ROWS, NN_DENSE_CHUNK in nn.h). */
export const DENSE_ROWS = 4;
export const DENSE_CHUNK = 16;

/**
 * Position of weight [o][i] in the blocked layout of the integer dense kernels (nn_dense_weight_index in
 * nn.h): groups of 4 rows; within a group, chunks of 16 inputs holding the 4 rows one after the other,
 * then the group's n_in % 16 last inputs row after row; the n_out % 4 last rows row-major at the end.
 */
export function denseWeightIndex(nIn: number, nOut: number, o: number, i: number): number {
  const groupedRows = nOut - (nOut % DENSE_ROWS);
  const chunkedInputs = nIn - (nIn % DENSE_CHUNK);
  if (o >= groupedRows) return o * nIn + i;
  const row = o % DENSE_ROWS;
  const groupStart = (o - row) * nIn;
  if (i < chunkedInputs)
    return (
      groupStart +
      Math.floor(i / DENSE_CHUNK) * DENSE_ROWS * DENSE_CHUNK +
      row * DENSE_CHUNK +
      (i % DENSE_CHUNK)
    );
  return groupStart + DENSE_ROWS * chunkedInputs + row * (nIn - chunkedInputs) + (i - chunkedInputs);
}

/**
 * The lines of a dense weight array in the blocked layout: one line per row and run of (at most) 16
 * inputs, in memory order, each saying which row and inputs it holds, and a comment opening each group.
 */
export function blockedWeightRows(w: number[][]): string[] {
  const nOut = w.length;
  const nIn = w[0].length;
  const width = w.flat().reduce((m, v) => Math.max(m, String(v).length), 0);
  const run = (o: number, i0: number, i1: number) => {
    const vals = w[o].slice(i0, i1).map((v) => `${String(v).padStart(width)},`);
    const inputs = i1 - i0 === 1 ? `input ${i0}` : `inputs ${i0}-${i1 - 1}`;
    return `${vals.join(" ")} /* row ${o}, ${inputs} */`;
  };
  const lines: string[] = [];
  const groupedRows = nOut - (nOut % DENSE_ROWS);
  const chunkedInputs = nIn - (nIn % DENSE_CHUNK);
  for (let g = 0; g < groupedRows; g += DENSE_ROWS) {
    lines.push(`/* rows ${g}-${g + DENSE_ROWS - 1} */`);
    for (let c = 0; c < chunkedInputs; c += DENSE_CHUNK)
      for (let r = 0; r < DENSE_ROWS; r++) lines.push(run(g + r, c, c + DENSE_CHUNK));
    if (chunkedInputs < nIn) for (let r = 0; r < DENSE_ROWS; r++) lines.push(run(g + r, chunkedInputs, nIn));
  }
  if (groupedRows < nOut) {
    const last = nOut - 1;
    lines.push(
      groupedRows === last ? `/* row ${last}, row-major */` : `/* rows ${groupedRows}-${last}, row-major */`,
    );
    for (let o = groupedRows; o < nOut; o++)
      for (let i = 0; i < nIn; i += DENSE_CHUNK) lines.push(run(o, i, Math.min(nIn, i + DENSE_CHUNK)));
  }
  return lines;
}

/** The integer dense op: its arrays, its parameter struct and the call of its kernel. */
export function emitDense(op: DenseQOp, ctx: IntegerEmitContext): EmittedOp {
  const { id } = ctx;
  const dtype = CTYPE[ctx.precision].dtype;
  const s64 = op.accumulator === "s64";
  const kernel = ctx.precision === "int8" ? "nn_dense_s8" : s64 ? "nn_dense_s16_s64" : "nn_dense_s16";
  const inputs = op.weights[0].length;
  const input = ctx.quant(op.inputs[0]);
  const output = ctx.quant(op.output);
  const realW = op.weights.flatMap((row, o) => row.map((w) => w * op.weightScales[o]));
  const stage = outputStageArrays(op, id);
  const arrays: ArrayView[] = [
    {
      section: "weights",
      comment: `weights: s8 [${op.units}][${inputs}] in the blocked layout of nn.h (groups of 4 rows, chunks of 16 inputs: nn_dense_weight_index), per output channel scales ${valueRange(op.weightScales)}, real values ${valueRange(realW)}`,
      ctype: "int8_t",
      name: `${id}_weights`,
      dims: `[${op.units} * ${inputs}] NN_WEIGHTS_ALIGNED`,
      rows: blockedWeightRows(op.weights),
    },
    {
      section: "bias",
      comment: `bias: ${s64 ? "s64" : "s32"} in accumulator units, input zero point ${input.zeroPoint} folded in; |accumulator| <= ${op.accumulatorBound}`,
      ctype: s64 ? "int64_t" : "int32_t",
      name: `${id}_bias`,
      dims: `[${op.units}]`,
      rows: rows(
        op.bias.map((b) => cInt(b, s64 ? "int64" : "int32")),
        8,
      ),
    },
    ...stage.arrays,
  ];
  return {
    comment: cComment(
      `${ctx.title}: dense ${inputs} -> ${op.units}, ${op.activation}${op.activation === "linear" ? "" : " fused"}; in ${dtype} ${describeQuant(input)}, out ${dtype} ${describeQuant(output)}, clamp [${op.clampLo}, ${op.clampHi}]`,
    ),
    arrays,
    params: {
      type: `${kernel}_params_t`,
      name: `${id}_params`,
      fields: [
        `${inputs}, ${op.units}`,
        `${id}_weights`,
        `${id}_bias`,
        `${id}_mult`,
        `${id}_shift`,
        stage.negMult,
        stage.negShift,
        `${output.zeroPoint}, ${op.clampLo}, ${op.clampHi}`,
      ],
      bytes: 44,
    },
    calls: ([src], dst) => [`${kernel}(&${id}_params, ${src}, ${dst})`],
    runtime: [`${kernel}.c`, "nn_dense_internal.h"],
  };
}

/** The float dense op: nn_dense_f32, then its fused activation in place. */
export function emitDenseFloat(op: FloatOp<DenseConfig>, ctx: FloatEmitContext): EmittedOp {
  const { id } = ctx;
  const I = op.inputShapes[0][0];
  const O = op.outputShape[0];
  const act = op.activation;
  const fused = act.name === "linear" ? null : floatActivationCall(act.name, act.alpha, O, ctx.title);
  const bias = op.weights.bias ?? new Float64Array(O);
  return {
    comment: cComment(`${ctx.title}: dense ${I} -> ${O}${fused ? `, ${act.name} in place` : ""}, f32`),
    arrays: [
      {
        section: "weights",
        comment: `weights: f32 [${O}][${I}]`,
        ctype: "float",
        name: `${id}_weights`,
        dims: `[${O}][${I}]`,
        rows: matrixRows(rowsOf(op.weights.kernel, I), cFloat),
      },
      {
        section: "bias",
        comment: "bias: f32",
        ctype: "float",
        name: `${id}_bias`,
        dims: `[${O}]`,
        rows: rows(Array.from(bias, cFloat), 8),
      },
    ],
    params: null,
    calls: ([src], dst) => [
      `nn_dense_f32(${src}, &${id}_weights[0][0], ${id}_bias, ${I}, ${O}, ${dst})`,
      ...(fused ? [fused.call(dst, dst)] : []),
    ],
    runtime: ["nn_dense_f32.c", ...(fused ? fused.runtime : [])],
  };
}
