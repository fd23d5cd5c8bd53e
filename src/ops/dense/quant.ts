/**
 * Dense layers in integers: the quantization of one float dense op (with the activation fused into its
 * output stage), the checks of its record by value, and its exact evaluation.
 *
 *   acc[o]  = bias[o] + sum_i q_in[i] · w[o][i]            (int32, or int64 when it could overflow)
 *   r       = requantize(acc, mult[o], shift[o])           (negMult/negShift for acc < 0: leaky relu)
 *   q_out   = clamp(r, clampLo - zp_out, clampHi - zp_out) + zp_out
 *
 * Weights are int8, symmetric per output channel; the input zero point is folded into the bias.
 * The clamp is applied before adding the zero point, so no addition can overflow.
 */
import { z } from "zod";
import { CODE_RANGE, type QuantParams } from "../../core/quant.js";
import { UsageError } from "../../errors.js";
import { roundHalfAwayFromZero } from "../../quant/fixedpoint.js";
import { finite, int, qopFields } from "../common.js";
import type { CheckContext, FloatOp, QuantizeContext, RunContext } from "../registry.js";
import { checkOutputStage, outputCode, outputStage, outputStageFields, S64_BOUND } from "../requant.js";
import type { DenseConfig } from "./index.js";

export { S64_BOUND };

export const denseQSchema = z.strictObject({
  ...qopFields("dense", { min: 1, max: 1 }),
  /** the activation fused into the output clamp or multipliers */
  activation: z.string(),
  units: int.positive(),
  /** [units][inputs] int8, symmetric per output channel */
  weights: z.array(z.array(int.min(-127).max(127))),
  /** per-channel weight scales (documentation: the integers above times these are the float weights) */
  weightScales: z.array(finite.refine((v) => v > 0, "expected a positive scale")),
  /** bias in accumulator units (input scale × weight scale), input zero point folded in */
  bias: z.array(int),
  ...outputStageFields,
});

export type DenseQOp = z.infer<typeof denseQSchema>;

/**
 * Statistics of a layer's input over the calibration rows: xf the float model's input, xq the
 * dequantized input the integer program really gives this layer (with every earlier layer's error).
 */
export interface InputMoments {
  meanF: Float64Array;
  meanQ: Float64Array;
  /** E[xq xqᵀ], [I][I] row-major */
  qq: Float64Array;
  /** E[xq xfᵀ], [I][I] row-major */
  qf: Float64Array;
}

export function inputMoments(xf: Float32Array, xq: Float64Array, width: number, rows: number): InputMoments {
  const I = width;
  const meanF = new Float64Array(I);
  const meanQ = new Float64Array(I);
  const qq = new Float64Array(I * I);
  const qf = new Float64Array(I * I);
  for (let r = 0; r < rows; r++) {
    const o = r * I;
    for (let i = 0; i < I; i++) {
      meanF[i] += xf[o + i];
      const a = xq[o + i];
      meanQ[i] += a;
      if (a === 0) continue;
      for (let j = 0; j < I; j++) {
        qq[i * I + j] += a * xq[o + j];
        qf[i * I + j] += a * xf[o + j];
      }
    }
  }
  for (let i = 0; i < I; i++) {
    meanF[i] /= rows;
    meanQ[i] /= rows;
  }
  for (let k = 0; k < I * I; k++) {
    qq[k] /= rows;
    qf[k] /= rows;
  }
  return { meanF, meanQ, qq, qf };
}

/** Candidate scales tried from max|w| / 127 down to 0.8 of it, and the widest layer the search runs on. */
const SCALE_CANDIDATES = 64;
const SCALE_SEARCH_MAX_INPUTS = 256;

/**
 * The int8 scale and integers of one output channel (weights w, integers q, dequantized u = sw·q).
 *
 * Without calibration statistics: scale max|w| / 127, round to nearest. With them, the error of the
 * channel's output on the calibration rows, E[(xf·w - xq·u)^2] (up to a constant: uᵀ Cqq u - 2 uᵀ Cqf w),
 * is made small: round to nearest, then greedily move single integers by ±1 while that lowers the error
 * (a few passes); this also compensates the error earlier layers left in xq. For layers up to 256 inputs
 * the scale is searched too (clipping the largest weights when that pays). Deterministic.
 */
export function quantizeRow(
  row: readonly number[],
  stats: InputMoments | null,
): { sw: number; wq: number[] } {
  const maxAbs = row.reduce((m, w) => Math.max(m, Math.abs(w)), 0);
  if (maxAbs === 0) return { sw: 1, wq: row.map(() => 0) };
  const full = maxAbs / 127;
  const nearest = (sw: number) =>
    row.map((w) => Math.max(-127, Math.min(127, roundHalfAwayFromZero(w / sw))));
  if (!stats) return { sw: full, wq: nearest(full) };
  const I = row.length;
  const C = stats.qq;
  const a = new Float64Array(I); // a = Cqf w
  for (let i = 0; i < I; i++) {
    let t = 0;
    for (let j = 0; j < I; j++) t += stats.qf[i * I + j] * row[j];
    a[i] = t;
  }
  const candidates = I <= SCALE_SEARCH_MAX_INPUTS ? SCALE_CANDIDATES : 1;
  let best = { sw: full, wq: nearest(full), err: Number.POSITIVE_INFINITY };
  for (let k = 0; k < candidates; k++) {
    const sw = full * (1 - (0.2 * k) / candidates);
    const { q, err } = refine(nearest(sw), sw, a, C);
    if (err < best.err) best = { sw, wq: q, err };
  }
  return { sw: best.sw, wq: best.wq };
}

/** Greedy ±1 moves of q that lower uᵀ C u - 2 uᵀ a for u = sw·q; returns q and that error. */
function refine(q: number[], sw: number, a: Float64Array, C: Float64Array): { q: number[]; err: number } {
  const I = q.length;
  const h = new Float64Array(I); // h = C u - a: half the gradient
  for (let i = 0; i < I; i++) {
    let t = 0;
    for (let j = 0; j < I; j++) t += C[i * I + j] * sw * q[j];
    h[i] = t - a[i];
  }
  for (let pass = 0; pass < 4; pass++) {
    let changed = false;
    for (let i = 0; i < I; i++) {
      const cii = C[i * I + i];
      for (const step of [1, -1]) {
        const qi = q[i] + step;
        if (qi < -127 || qi > 127) continue;
        const delta = step * sw;
        if (2 * delta * h[i] + delta * delta * cii < -1e-12 * Math.abs(delta * h[i])) {
          q[i] = qi;
          for (let j = 0; j < I; j++) h[j] += delta * C[j * I + i];
          changed = true;
          break;
        }
      }
    }
    if (!changed) break;
  }
  let err = 0;
  for (let i = 0; i < I; i++) err += sw * q[i] * (h[i] - a[i]);
  return { q, err };
}

/**
 * The integer op of a float dense op: per output channel the int8 weights and scale (chosen against the
 * calibration rows unless `optimizeRounding` is off), the bias with the input zero point folded in and
 * the mean error corrected, the worst-case accumulator, the requantization multipliers (int32, or 64-bit
 * accumulation with 16-bit multipliers when the accumulator or its left shift could overflow int32) and
 * the output clamp of the fused activation.
 */
export function quantizeDense(
  op: FloatOp<DenseConfig>,
  ctx: QuantizeContext,
): { op: DenseQOp; output: QuantParams } {
  const { precision } = ctx;
  const input = ctx.input(0);
  const output = ctx.calibratedOutput();
  const { lo: codeLo } = CODE_RANGE[precision];
  const units = op.outputShape[0];
  const inputs = op.inputShapes[0][0];
  const kernel = op.weights.kernel;
  const bias = op.weights.bias;
  const maxAbsCode = -codeLo;
  const stats = ctx.optimizeRounding
    ? inputMoments(ctx.floatInput(0), dequantize(ctx.codes(0), input), inputs, ctx.rows)
    : null;
  const weights: number[][] = [];
  const weightScales: number[] = [];
  const biasCodes: number[] = [];
  const bounds: number[] = [];
  for (let o = 0; o < units; o++) {
    const row = Array.from(kernel.subarray(o * inputs, (o + 1) * inputs));
    const { sw, wq } = quantizeRow(row, stats);
    const sumW = wq.reduce((s, w) => s + w, 0);
    // Bias correction: what remains of the error has mean E[xf·w - xq·(sw·wq)] on the calibration rows;
    // adding it to the bias cancels that shift.
    let correction = 0;
    if (stats)
      for (let i = 0; i < row.length; i++)
        correction += row[i] * stats.meanF[i] - sw * wq[i] * stats.meanQ[i];
    const b =
      roundHalfAwayFromZero(((bias?.[o] ?? 0) + correction) / (input.scale * sw)) - input.zeroPoint * sumW;
    const bound = Math.abs(b) + maxAbsCode * wq.reduce((s, w) => s + Math.abs(w), 0);
    if (!Number.isSafeInteger(b) || bound > S64_BOUND) {
      throw new UsageError(
        `${ctx.where}: unit ${o} could reach an accumulator of ${bound.toExponential(3)}, beyond what 64-bit requantization takes (2^47): the bias is far larger than the weights`,
      );
    }
    weights.push(wq);
    weightScales.push(sw);
    biasCodes.push(b);
    bounds.push(bound);
  }
  const reals = weightScales.map((sw) => (input.scale * sw) / output.scale);
  const q: DenseQOp = {
    kind: "dense",
    name: op.name,
    inputs: [...op.inputs],
    output: op.output,
    activation: op.activation.name,
    units,
    weights,
    weightScales,
    bias: biasCodes,
    ...outputStage(reals, bounds, op.activation, output, precision, ctx.where),
  };
  return { op: q, output };
}

function dequantize(codes: Int32Array, q: QuantParams): Float64Array {
  return Float64Array.from(codes, (c) => q.scale * (c - q.zeroPoint));
}

/** Exact integer evaluation of one dense op on one input vector of codes. */
export function runDense(op: DenseQOp, q: ArrayLike<number>, out: Int32Array, zp: number): void {
  const n = op.weights[0].length;
  for (let o = 0; o < op.units; o++) {
    const w = op.weights[o];
    let acc = op.bias[o];
    for (let i = 0; i < n; i++) acc += q[i] * w[i];
    out[o] = outputCode(op, o, acc, zp);
  }
}

export function runDenseOp(op: DenseQOp, inputs: Int32Array[], out: Int32Array, ctx: RunContext): void {
  runDense(op, inputs[0], out, ctx.quant(op.output).zeroPoint);
}

/**
 * The record by value: shapes, clamps inside the type, multipliers and shifts in the ranges the kernels
 * take, and the worst-case accumulator recomputed from the integer weights and biases (never taken from
 * the file), which must fit the accumulator the op declares, left shift included, as the quantizer
 * requires.
 */
export function checkDense(op: DenseQOp, ctx: CheckContext): void {
  const { lo } = CODE_RANGE[ctx.precision];
  const width = ctx.size(op.inputs[0]);
  const units = op.units;
  const length = (field: string, values: readonly unknown[], n: number) => {
    if (values.length !== n) ctx.fail(field, `has ${values.length} values: expected ${n}`);
  };
  if (units !== ctx.size(op.output))
    ctx.fail("units", `is ${units}: its output tensor holds ${ctx.size(op.output)} values`);
  length("weights", op.weights, units);
  op.weights.forEach((row, o) => {
    length(`weights[${o}]`, row, width);
  });
  length("weightScales", op.weightScales, units);
  length("bias", op.bias, units);
  // The worst case over every input code, from the integers themselves (codes reach -lo in magnitude).
  const bounds = op.weights.map(
    (row, o) => Math.abs(op.bias[o]) + -lo * row.reduce((s, w) => s + Math.abs(w), 0),
  );
  checkOutputStage(op, units, bounds, ctx);
}
