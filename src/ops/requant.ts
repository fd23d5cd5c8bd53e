/**
 * The output stage the ops with weights share (Dense, BatchNormalization kept as an op, and later the
 * convolutions): per output channel an accumulator bound, a requantization multiplier and shift (and a
 * second pair for the negative side of leaky relu), and the clamp of the fused activation; its choice at
 * quantization, its checks by value at load, and its exact evaluation. The record fields are the same in
 * every such op: accumulator, accumulatorBound, mult, shift, negMult, negShift, clampLo, clampHi.
 *
 *   r     = requantize(acc, mult[c], shift[c])       (negMult/negShift when acc < 0: leaky relu)
 *   q_out = clamp(r, clampLo - zp_out, clampHi - zp_out) + zp_out
 */
import { z } from "zod";
import { cInt } from "../codegen/cnames.js";
import { getActivation } from "../core/activations.js";
import { CODE_RANGE, type Precision, type QuantParams } from "../core/quant.js";
import { UsageError } from "../errors.js";
import {
  INT32_MAX,
  quantizeMultiplier,
  reducedMultiplier,
  requantize,
  requantize64,
  roundHalfAwayFromZero,
} from "../quant/fixedpoint.js";
import { int32, rows } from "./common.js";
import type { ArrayView, CheckContext } from "./registry.js";

/** Largest worst-case accumulator of the 64-bit requantization (requantize64 takes |acc| < 2^47). */
export const S64_BOUND = 2 ** 47 - 1;

const int = z.number().int();

/** The output stage's fields in an op's record. */
export const outputStageFields = {
  /** s32: requantize with a 31-bit multiplier; s64: 64-bit accumulator and a 16-bit multiplier */
  accumulator: z.enum(["s32", "s64"]),
  /** the largest |accumulator| any input can produce, proved from the integer weights */
  accumulatorBound: int.nonnegative(),
  mult: z.array(int.nonnegative()),
  shift: z.array(int),
  /** leaky relu: the multiplier and shift for negative accumulators */
  negMult: z.array(int.nonnegative()).optional(),
  negShift: z.array(int).optional(),
  clampLo: int,
  clampHi: int,
};

export interface OutputStage {
  accumulator: "s32" | "s64";
  accumulatorBound: number;
  mult: number[];
  shift: number[];
  negMult?: number[];
  negShift?: number[];
  clampLo: number;
  clampHi: number;
}

/**
 * The output stage of an op whose channel c has the real multiplier `reals[c]` (input scale × weight
 * scale / output scale) and the worst-case accumulator `bounds[c]`, with the activation `act` fused:
 * int32 accumulation when the worst case fits and a left shift of the 31-bit multiplier path cannot
 * overflow either, else (int16 only) 64-bit accumulation with a 16-bit multiplier; relu and relu6 as
 * clamps at their codes, leaky relu as a second multiplier.
 */
export function outputStage(
  reals: number[],
  bounds: number[],
  act: { name: string; alpha: number },
  output: QuantParams,
  precision: Precision,
  where: string,
): OutputStage {
  const { lo: codeLo, hi: codeHi } = CODE_RANGE[precision];
  const accumulatorBound = Math.max(...bounds);
  const hint = getActivation(act.name).quant({ alpha: act.alpha });
  const alpha = hint.kind === "leaky" ? act.alpha : null;
  const q31 = reals.map(quantizeMultiplier);
  const q31neg = alpha === null ? null : reals.map((r) => quantizeMultiplier(r * alpha));
  const fits32 = (bound: number, shift: number) => bound * 2 ** Math.max(shift, 0) <= INT32_MAX;
  const s32 =
    accumulatorBound <= INT32_MAX &&
    q31.every((m, o) => fits32(bounds[o], m.shift)) &&
    (q31neg ?? []).every((m, o) => fits32(bounds[o], m.shift));
  if (!s32 && precision === "int8") {
    throw new UsageError(
      `${where}: an accumulator could reach ${accumulatorBound.toExponential(3)}, beyond int32, and int8 programs have no 64-bit accumulators: quantize to int16`,
    );
  }
  const mults = s32 ? q31 : reals.map(reducedMultiplier);
  const negMults = alpha === null ? null : s32 ? q31neg! : reals.map((r) => reducedMultiplier(r * alpha));
  let clampLo = codeLo;
  let clampHi = codeHi;
  if (hint.kind === "clamp") {
    clampLo = Math.max(codeLo, output.zeroPoint + roundHalfAwayFromZero(hint.lo / output.scale));
    if (Number.isFinite(hint.hi)) {
      clampHi = Math.min(codeHi, output.zeroPoint + roundHalfAwayFromZero(hint.hi / output.scale));
    }
  }
  const stage: OutputStage = {
    accumulator: s32 ? "s32" : "s64",
    accumulatorBound,
    mult: mults.map((m) => m.mult),
    shift: mults.map((m) => m.shift),
    clampLo,
    clampHi,
  };
  if (negMults) {
    stage.negMult = negMults.map((m) => m.mult);
    stage.negShift = negMults.map((m) => m.shift);
  }
  return stage;
}

/** The output code of channel c from its accumulator, as the C kernels compute it. */
export function outputCode(op: OutputStage, c: number, acc: number, zp: number): number {
  const requant = op.accumulator === "s32" ? requantize : requantize64;
  const neg = acc < 0 && op.negMult !== undefined;
  const r = requant(acc, neg ? op.negMult![c] : op.mult[c], neg ? op.negShift![c] : op.shift[c]);
  return Math.max(op.clampLo - zp, Math.min(op.clampHi - zp, r)) + zp;
}

/**
 * The output stage by value: clamps ordered inside the type, the accumulator bound equal to `bounds`
 * (recomputed by the op from its integer weights, never taken from the file), fitting the declared
 * accumulator, multipliers and shifts in the ranges the kernels take, a left shift that cannot overflow.
 */
export function checkOutputStage(
  op: OutputStage,
  channels: number,
  bounds: number[],
  ctx: CheckContext,
): void {
  const { lo, hi } = CODE_RANGE[ctx.precision];
  const range = (field: string, v: number, a: number, b: number, what = `an integer in [${a}, ${b}]`) => {
    if (!(Number.isInteger(v) && v >= a && v <= b)) ctx.fail(field, `is ${v}: expected ${what}`);
  };
  const length = (field: string, values: readonly unknown[], n: number) => {
    if (values.length !== n) ctx.fail(field, `has ${values.length} values: expected ${n}`);
  };
  range("clampLo", op.clampLo, lo, hi);
  range("clampHi", op.clampHi, op.clampLo, hi, `an integer in [clampLo ${op.clampLo}, ${hi}]`);
  const bound = Math.max(...bounds);
  if (op.accumulatorBound !== bound) {
    ctx.fail("accumulatorBound", `is ${op.accumulatorBound}: the weights and biases give ${bound}`);
  }
  const leaky = op.negMult !== undefined || op.negShift !== undefined;
  if (leaky && (op.negMult === undefined || op.negShift === undefined))
    ctx.fail(
      op.negMult === undefined ? "negMult" : "negShift",
      "is missing: leaky relu needs both negMult and negShift",
    );
  const s64 = op.accumulator === "s64";
  if (s64) {
    if (ctx.precision !== "int16")
      ctx.fail("accumulator", "is s64: only int16 programs have 64-bit accumulators");
    if (bound > S64_BOUND)
      ctx.fail(
        "bias",
        `and weights reach an accumulator of ${bound}, beyond what 64-bit requantization takes (2^47)`,
      );
  } else if (bound > INT32_MAX) {
    ctx.fail(
      "accumulator",
      `is s32, but the weights and biases reach an accumulator of ${bound}, beyond int32: quantize the model again`,
    );
  }
  const multipliers = (field: string, mult: number[], shift: number[]) => {
    const shiftField = field === "mult" ? "shift" : "negShift";
    length(field, mult, channels);
    length(shiftField, shift, channels);
    const [m0, m1, what] = s64 ? [2 ** 15, 2 ** 16, "[2^15, 2^16)"] : [2 ** 30, 2 ** 31, "[2^30, 2^31)"];
    mult.forEach((m, c) => {
      if (!(m === 0 || (Number.isInteger(m) && m >= m0 && m < m1)))
        ctx.fail(`${field}[${c}]`, `is ${m}: expected 0 or an integer in ${what}`);
    });
    shift.forEach((s, c) => {
      range(`${shiftField}[${c}]`, s, s64 ? -47 : -31, s64 ? 15 : 30);
      // requantize shifts the accumulator left by max(shift, 0) before its high multiply: that must fit too
      if (!s64 && s > 0 && bounds[c] * 2 ** s > INT32_MAX) {
        ctx.fail(
          `${shiftField}[${c}]`,
          `is ${s}: an accumulator of up to ${bounds[c]} shifted left by ${s} overflows int32`,
        );
      }
    });
  };
  multipliers("mult", op.mult, op.shift);
  if (leaky) multipliers("negMult", op.negMult!, op.negShift!);
}

/**
 * The C arrays of an output stage (`<id>_mult`, `<id>_shift`, and `<id>_neg_mult`, `<id>_neg_shift` for
 * leaky relu), and the names its parameter struct gives for the leaky pair (NULL without).
 */
export function outputStageArrays(
  op: OutputStage,
  id: string,
): { arrays: ArrayView[]; negMult: string; negShift: string } {
  const s64 = op.accumulator === "s64";
  const n = op.mult.length;
  const arrays: ArrayView[] = [
    {
      section: "requantization",
      comment: `requantization multipliers (${s64 ? "16-bit, nn_requantize_s64" : "31-bit, nn_requantize"}) and shifts`,
      ctype: "int32_t",
      name: `${id}_mult`,
      dims: `[${n}]`,
      rows: rows(op.mult.map(int32), 8),
    },
    {
      section: "requantization",
      comment: "",
      ctype: "int32_t",
      name: `${id}_shift`,
      dims: `[${n}]`,
      rows: rows(op.shift.map(int32)),
    },
  ];
  if (!op.negMult || !op.negShift) return { arrays, negMult: "NULL", negShift: "NULL" };
  arrays.push(
    {
      section: "requantization",
      comment: "leaky relu: multipliers and shifts for negative accumulators",
      ctype: "int32_t",
      name: `${id}_neg_mult`,
      dims: `[${n}]`,
      rows: rows(op.negMult.map(int32), 8),
    },
    {
      section: "requantization",
      comment: "",
      ctype: "int32_t",
      name: `${id}_neg_shift`,
      dims: `[${n}]`,
      rows: rows(op.negShift.map(int32)),
    },
  );
  return { arrays, negMult: `${id}_neg_mult`, negShift: `${id}_neg_shift` };
}

/**
 * The C of an op whose weights feed the output stage (the convolutions, a BatchNormalization kept as an
 * op): its int8 weight array as `weights` describes it, its bias array (s32, or s64 with 64-bit
 * accumulators), the output stage's arrays, and the run of its parameter struct from the weights pointer
 * to the leaky pair (`<id>_weights, <id>_bias, <id>_mult, <id>_shift, neg_mult, neg_shift`).
 */
export function weightedOpArrays(
  op: OutputStage & { bias: number[] },
  id: string,
  weights: Pick<ArrayView, "comment" | "dims" | "rows">,
  biasNote = "",
): { arrays: ArrayView[]; fields: string[] } {
  const s64 = op.accumulator === "s64";
  const stage = outputStageArrays(op, id);
  return {
    arrays: [
      { section: "weights", ctype: "int8_t", name: `${id}_weights`, ...weights },
      {
        section: "bias",
        comment: `bias: ${s64 ? "s64" : "s32"} in accumulator units${biasNote}; |accumulator| <= ${op.accumulatorBound}`,
        ctype: s64 ? "int64_t" : "int32_t",
        name: `${id}_bias`,
        dims: `[${op.bias.length}]`,
        rows: rows(
          op.bias.map((b) => cInt(b, s64 ? "int64" : "int32")),
          8,
        ),
      },
      ...stage.arrays,
    ],
    fields: [`${id}_weights`, `${id}_bias`, `${id}_mult`, `${id}_shift`, stage.negMult, stage.negShift],
  };
}
