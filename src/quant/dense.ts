/**
 * Dense layers in integers: quantization of one float dense layer (with the activation fused into its
 * output) and its exact evaluation.
 *
 *   acc[o]  = bias[o] + sum_i q_in[i] · w[o][i]            (int32, or int64 when it could overflow)
 *   r       = requantize(acc, mult[o], shift[o])           (negMult/negShift for acc < 0: leaky relu)
 *   q_out   = clamp(r, clampLo - zp_out, clampHi - zp_out) + zp_out
 *
 * Weights are int8, symmetric per output channel; the input zero point is folded into the bias.
 * The clamp is applied before adding the zero point, so no addition can overflow.
 */
import { UsageError } from "../errors.js";
import type { QuantHint } from "../model/activations.js";
import {
  INT32_MAX,
  quantizeMultiplier,
  reducedMultiplier,
  requantize,
  requantize64,
  roundHalfAwayFromZero,
} from "./fixedpoint.js";
import type { QuantParams } from "./lut.js";
import { CODE_RANGE, type DenseQOp, type Precision } from "./schema.js";

/** Largest accumulator the 64-bit requantization takes (see requantize64). */
const S64_BOUND = 2 ** 47 - 1;

export interface DenseSource {
  layer: number;
  activation: string;
  alpha: number;
  hint: QuantHint;
  weights: number[][];
  bias: number[];
  /** statistics of the layer's float and quantized inputs over the calibration rows (see inputMoments) */
  inputStats?: InputMoments;
}

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

export function quantizeDense(
  src: DenseSource,
  input: QuantParams,
  output: QuantParams,
  precision: Precision,
  where: string,
): DenseQOp {
  const { lo: codeLo, hi: codeHi } = CODE_RANGE[precision];
  const units = src.weights.length;
  const inputs = src.weights[0].length;
  const maxAbsCode = -codeLo;
  const weights: number[][] = [];
  const weightScales: number[] = [];
  const bias: number[] = [];
  const bounds: number[] = [];
  for (let o = 0; o < units; o++) {
    const row = src.weights[o];
    const stats = src.inputStats ?? null;
    const { sw, wq } = quantizeRow(row, stats);
    const sumW = wq.reduce((s, w) => s + w, 0);
    // Bias correction: what remains of the error has mean E[xf·w - xq·(sw·wq)] on the calibration rows;
    // adding it to the bias cancels that shift.
    let correction = 0;
    if (stats)
      for (let i = 0; i < row.length; i++)
        correction += row[i] * stats.meanF[i] - sw * wq[i] * stats.meanQ[i];
    const b = roundHalfAwayFromZero((src.bias[o] + correction) / (input.scale * sw)) - input.zeroPoint * sumW;
    const bound = Math.abs(b) + maxAbsCode * wq.reduce((s, w) => s + Math.abs(w), 0);
    if (!Number.isSafeInteger(b) || bound > S64_BOUND) {
      throw new UsageError(
        `${where}: unit ${o} could reach an accumulator of ${bound.toExponential(3)}, beyond what 64-bit requantization takes (2^47): the bias is far larger than the weights`,
      );
    }
    weights.push(wq);
    weightScales.push(sw);
    bias.push(b);
    bounds.push(bound);
  }
  const accumulatorBound = Math.max(...bounds);
  const reals = weightScales.map((sw) => (input.scale * sw) / output.scale);
  const alpha = src.hint.kind === "leaky" ? src.alpha : null;

  // int32 accumulation when the worst case fits, and when a left shift of the 31-bit multiplier path
  // cannot overflow either; otherwise 64-bit accumulation with a 16-bit multiplier.
  const q31 = reals.map(quantizeMultiplier);
  const q31neg = alpha === null ? null : reals.map((r) => quantizeMultiplier(r * alpha));
  const fits32 = (bound: number, shift: number) => bound * 2 ** Math.max(shift, 0) <= INT32_MAX;
  const s32 =
    accumulatorBound <= INT32_MAX &&
    q31.every((m, o) => fits32(bounds[o], m.shift)) &&
    (q31neg ?? []).every((m, o) => fits32(bounds[o], m.shift));
  const mults = s32 ? q31 : reals.map(reducedMultiplier);
  const negMults = alpha === null ? null : s32 ? q31neg! : reals.map((r) => reducedMultiplier(r * alpha));

  let clampLo = codeLo;
  let clampHi = codeHi;
  if (src.hint.kind === "clamp") {
    clampLo = Math.max(codeLo, output.zeroPoint + roundHalfAwayFromZero(src.hint.lo / output.scale));
    if (Number.isFinite(src.hint.hi)) {
      clampHi = Math.min(codeHi, output.zeroPoint + roundHalfAwayFromZero(src.hint.hi / output.scale));
    }
  }
  const op: DenseQOp = {
    kind: "dense",
    layer: src.layer,
    activation: src.activation,
    inputs,
    units,
    input,
    output,
    weights,
    weightScales,
    bias,
    accumulator: s32 ? "s32" : "s64",
    accumulatorBound,
    mult: mults.map((m) => m.mult),
    shift: mults.map((m) => m.shift),
    clampLo,
    clampHi,
  };
  if (negMults) {
    op.negMult = negMults.map((m) => m.mult);
    op.negShift = negMults.map((m) => m.shift);
  }
  return op;
}

/** Exact integer evaluation of one dense op on one input vector of codes. */
export function runDense(op: DenseQOp, q: ArrayLike<number>, out: Int32Array): void {
  const zp = op.output.zeroPoint;
  const lo = op.clampLo - zp;
  const hi = op.clampHi - zp;
  const requant = op.accumulator === "s32" ? requantize : requantize64;
  for (let o = 0; o < op.units; o++) {
    const w = op.weights[o];
    let acc = op.bias[o];
    for (let i = 0; i < op.inputs; i++) acc += q[i] * w[i];
    const neg = acc < 0 && op.negMult !== undefined;
    const r = requant(acc, neg ? op.negMult![o] : op.mult[o], neg ? op.negShift![o] : op.shift[o]);
    out[o] = Math.max(lo, Math.min(hi, r)) + zp;
  }
}
