/**
 * The TypeScript integer reference: runs a quantized model's integer program exactly as the generated C
 * does, bit for bit, from raw features (standardised and quantized in float32 steps, as the C's
 * `predict_float`) to output codes and their dequantized values.
 */
import { UsageError } from "../errors.js";
import { runDense } from "./dense.js";
import { applyTableS8, evalTableS16 } from "./lut.js";
import { CODE_RANGE, type QModel, type QOp } from "./schema.js";
import { runSoftmax } from "./softmax.js";

const f = Math.fround;

/**
 * Quantizes one row of raw features as the generated C does, in float32 arithmetic:
 *   z = (x - mean) / std;  t = z / s_in;  t clamped to ±65536;  q = round_half_away(t) + zp, saturated.
 */
export function quantizeInput(
  model: Pick<QModel, "precision" | "inputs" | "input">,
  x: ArrayLike<number>,
  out: Int32Array,
): void {
  const { lo, hi } = CODE_RANGE[model.precision];
  const { mean, std } = model.inputs;
  const scale = f(model.input.scale);
  const zp = model.input.zeroPoint;
  for (let i = 0; i < mean.length; i++) {
    const xi = f(x[i]);
    if (!Number.isFinite(xi)) throw new UsageError(`input ${i}: ${x[i]} is not a finite number`);
    const z = f(f(xi - f(mean[i])) / f(std[i]));
    const t = Math.max(-65536, Math.min(65536, f(z / scale)));
    const r = Math.sign(t) * Math.floor(Math.abs(t) + 0.5);
    out[i] = Math.max(lo, Math.min(hi, r + zp));
  }
}

/** Output width of an op. */
export function opWidth(op: QOp): number {
  return op.kind === "dense" ? op.units : op.width;
}

/** Runs one op on the codes of its input. */
export function runOp(tables: QModel["tables"], op: QOp, q: ArrayLike<number>, out: Int32Array): void {
  if (op.kind === "dense") {
    runDense(op, q, out);
    return;
  }
  // the loader checked that the table is of the kind the op and the precision need (check.ts)
  const table = tables[op.table];
  if (table.kind === "softmax_s8" || table.kind === "softmax_s16") {
    runSoftmax(table, q, op.width, out);
  } else if (table.kind === "table_s8") {
    for (let i = 0; i < op.width; i++) out[i] = applyTableS8(table, q[i]);
  } else {
    for (let i = 0; i < op.width; i++) out[i] = evalTableS16(table, q[i]);
  }
}

/**
 * Runs the integer program on input codes; returns the codes after every op (the last is the output).
 */
export function runProgram(model: QModel, input: Int32Array): Int32Array[] {
  const outs: Int32Array[] = [];
  let q = input;
  for (const op of model.ops) {
    const out = new Int32Array(opWidth(op));
    runOp(model.tables, op, q, out);
    outs.push(out);
    q = out;
  }
  return outs;
}

/**
 * The float outputs the C's `predict_float` returns: dequantized in float32 steps
 * (`(float)(q - zp) * scale`), and for regression `y * std + mean`.
 */
export function dequantizeOutput(model: QModel, q: ArrayLike<number>): Float32Array {
  const { scale, zeroPoint } = model.outputQuant;
  const out = new Float32Array(q.length);
  const { mean, std } = model.output;
  for (let i = 0; i < q.length; i++) {
    let y = f(f(q[i] - zeroPoint) * f(scale));
    if (mean !== undefined && std !== undefined) y = f(f(y * f(std)) + f(mean));
    out[i] = y;
  }
  return out;
}

export interface IntegerPrediction {
  /** the output codes of every row, [rows][outputs] */
  codes: Int32Array;
  /** dequantized outputs, [rows][outputs] */
  values: Float32Array;
  outputs: number;
}

/** Runs the integer reference over raw feature rows ([rows][cols]). */
export function predictInteger(model: QModel, x: Float32Array, rows: number): IntegerPrediction {
  const cols = model.inputs.names.length;
  const outputs = opWidth(model.ops[model.ops.length - 1]);
  const codes = new Int32Array(rows * outputs);
  const values = new Float32Array(rows * outputs);
  const qin = new Int32Array(cols);
  for (let r = 0; r < rows; r++) {
    quantizeInput(model, x.subarray(r * cols, (r + 1) * cols), qin);
    const outs = runProgram(model, qin);
    const q = outs[outs.length - 1];
    codes.set(q, r * outputs);
    values.set(dequantizeOutput(model, q), r * outputs);
  }
  return { codes, values, outputs };
}
