/**
 * The C of an activation op: the integer table kernels (nn_table_s8, nn_table_s16) and softmax kernels
 * (nn_softmax_s8, nn_softmax_s16) reading a table of the program, TensorFlow Lite's int8 softmax
 * (nn_softmax_s8_tfl) taking its three integers, and the float kernels (nn_<name>_f32),
 * all in place where the plan allows.
 */

import { cComment, cFloat, cInt } from "../../codegen/cnames.js";
import { DEFAULT_LEAKY_ALPHA, getActivation } from "../../core/activations.js";
import { CTYPE, describeQuant } from "../../core/quant.js";
import { UsageError } from "../../errors.js";
import { int32, rows } from "../common.js";
import type {
  ArrayView,
  EmittedOp,
  FloatEmitContext,
  FloatOp,
  IntegerEmitContext,
  ParamsView,
} from "../registry.js";
import type { ActivationConfig } from "./index.js";
import type { ActivationQOp } from "./quant.js";

/** The statement of a built-in activation's float kernel over n values, and the file it needs. */
export function floatActivationCall(
  name: string,
  alpha: number,
  n: number,
  where: string,
): { call: (src: string, dst: string) => string; runtime: string[] } {
  if (!getActivation(name).builtin) {
    throw new UsageError(
      `${where}: activation '${name}': a user-registered activation has no float C kernel; export it as int8 or int16, where it becomes a table`,
    );
  }
  const kernel = `nn_${name}_f32`;
  const extra = name === "leaky_relu" ? `, ${cFloat(alpha)}` : "";
  return { call: (src, dst) => `${kernel}(${src}, ${dst}, ${n}u${extra})`, runtime: [`${kernel}.c`] };
}

export function emitActivationFloat(op: FloatOp<ActivationConfig>, ctx: FloatEmitContext): EmittedOp {
  const n = op.outputShape.reduce((a, b) => a * b, 1);
  const { call, runtime } = floatActivationCall(
    op.config.activation,
    op.config.alpha ?? DEFAULT_LEAKY_ALPHA,
    n,
    ctx.title,
  );
  return {
    comment: cComment(`${ctx.title}: ${op.config.activation} over ${n} values, f32, in place`),
    arrays: [],
    params: null,
    calls: ([src], dst) => [call(src, dst)],
    runtime,
  };
}

export function emitActivation(op: ActivationQOp, ctx: IntegerEmitContext): EmittedOp {
  const dtype = CTYPE[ctx.precision].dtype;
  const input = ctx.quant(op.inputs[0]);
  const output = ctx.quant(op.output);
  const table = ctx.tables[op.table];
  const { name: tname, first } = ctx.table(op.table);
  const arrays: ArrayView[] = [];
  let params: ParamsView | null = null;
  let call: (src: string, dst: string, n: number) => string;
  let kernel: string;
  if (table.kind === "softmax_tfl_s8") {
    kernel = "nn_softmax_s8_tfl";
    const args = `${cInt(table.multiplier)}, ${table.leftShift}u, ${cInt(table.diffMin)}`;
    call = (src, dst, n) => `${kernel}(${src}, ${dst}, ${n}u, ${args})`;
  } else if (table.kind === "softmax_s8" || table.kind === "softmax_s16") {
    kernel = table.kind === "softmax_s8" ? "nn_softmax_s8" : "nn_softmax_s16";
    if (first) {
      const s = table.inputScale.toPrecision(6);
      arrays.push({
        section: "table",
        comment:
          table.kind === "softmax_s8"
            ? `softmax exp table: exp_q20[d] = round(2^20 exp(-${s} d)), d = 0..255`
            : `softmax exp tables: Q31 exp(-${s} 256 j) then exp(-${s} i), i, j = 0..255`,
        ctype: "uint32_t",
        name: tname,
        dims: `[${table.entries.length}]`,
        rows: rows(
          table.entries.map((e) => cInt(e, "uint32")),
          8,
        ),
      });
    }
    call = (src, dst, n) => `${kernel}(${src}, ${dst}, ${n}u, ${tname})`;
  } else if (table.kind === "table_s8") {
    kernel = "nn_table_s8";
    if (first) {
      arrays.push({
        section: "table",
        comment: `${op.activation}, 256 entries, s8 in ${describeQuant(table.input)} -> s8 out ${describeQuant(table.output)}`,
        ctype: "int8_t",
        name: tname,
        dims: "[256]",
        rows: rows(table.entries.map(int32)),
      });
    }
    call = (src, dst, n) => `nn_table_s8(${src}, ${dst}, ${n}u, ${tname})`;
  } else {
    kernel = "nn_table_s16";
    if (first) {
      arrays.push({
        section: "table",
        comment: `${op.activation}, ${table.entries.length} knots (linear interpolation), s16 in ${describeQuant(table.input)} -> s16 out ${describeQuant(table.output)}`,
        ctype: "uint16_t",
        name: tname,
        dims: `[${table.entries.length}]`,
        rows: rows(table.entries.map((e) => `${e}u`)),
      });
      const zones = (xs: number[], unsigned: boolean) => {
        const padded = [...xs, ...Array(8 - xs.length).fill(0)];
        return `{ ${padded.map((x) => (unsigned ? `${x}u` : cInt(x))).join(", ")} }`;
      };
      params = {
        type: "nn_table_s16_params_t",
        name: `${tname}_params`,
        fields: [
          `${cInt(table.codeLo)}, ${cInt(table.codeHi)}, ${cInt(table.lowOut)}, ${cInt(table.highOut)}, ${cInt(table.outBase)}`,
          `${table.rounding}u, ${table.shift}u, ${cInt(table.mirror)}, ${table.symmetric ? 1 : 0}u, ${table.zoneStart.length}u`,
          zones(table.zoneStart, false),
          zones(table.zoneKnot, true),
          zones(table.zoneLog2, true),
        ],
        bytes: 136,
      };
    }
    call = (src, dst, n) => `nn_table_s16(${src}, ${dst}, ${n}u, &${tname}_params, ${tname})`;
  }
  return {
    comment: cComment(
      `${ctx.title}: ${op.activation} over ${ctx.size(op.inputs[0])} values; in ${dtype} ${describeQuant(input)}, out ${dtype} ${describeQuant(output)}${first ? "" : ` (table ${op.table}, shared)`}`,
    ),
    arrays,
    params,
    calls: ([src], dst) => [call(src, dst, ctx.size(op.inputs[0]))],
    runtime: [`${kernel}.c`, "nn_kernels_act.h"],
  };
}
