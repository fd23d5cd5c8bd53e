/**
 * The TypeScript integer reference: runs a quantized model's integer program exactly as the generated C
 * does, bit for bit, from raw features (standardised and quantized in float32 steps, as the C's
 * `predict_float`) to output codes and their dequantized values. Each op runs its kind's integer
 * evaluation (src/ops/<kind>/quant.ts).
 */
import { CODE_RANGE, type QuantParams } from "../core/quant.js";
import { sizeOf } from "../core/shape.js";
import { UsageError } from "../errors.js";
import { getOpFacet } from "../ops/index.js";
import type { RunContext } from "../ops/registry.js";
import { INPUT_TENSOR, inputQuant, outputQuant, type QModel, type QOp } from "../quant/schema.js";

const f = Math.fround;

/** A program's tensors by name: their quantization and size, and how its ops run. */
export interface Program {
  q: QModel;
  size(tensor: string): number;
  quant(tensor: string): QuantParams;
  run: RunContext;
}

const programs = new WeakMap<QModel, Program>();

/** The program of a loaded (not changing) integer program, made once. */
export function programOf(q: QModel): Program {
  let p = programs.get(q);
  if (!p) {
    p = makeProgram(q);
    programs.set(q, p);
  }
  return p;
}

/** The program of `q` as it is now (the quantizer's, which grows op by op). */
export function makeProgram(q: QModel): Program {
  const byName = new Map(q.tensors.map((t) => [t.name, t]));
  const quant = (name: string) => byName.get(name)!;
  return {
    q,
    size: (name) => sizeOf(byName.get(name)!.shape),
    quant,
    run: { precision: q.precision, tables: q.tables, quant },
  };
}

/**
 * Quantizes one row of raw features as the generated C does, in float32 arithmetic:
 *   z = (x - mean) / std;  t = z / s_in;  t clamped to ±65536;  q = round_half_away(t) + zp, saturated.
 */
export function quantizeInput(
  model: Pick<QModel, "precision" | "inputs"> & { input: QuantParams },
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

/** The input quantization of a program, in the form quantizeInput takes. */
export function inputOf(q: QModel): Pick<QModel, "precision" | "inputs"> & { input: QuantParams } {
  return { precision: q.precision, inputs: q.inputs, input: inputQuant(q) };
}

/** Runs one op on the codes of its inputs. */
export function runOp(p: Program, op: QOp, inputs: Int32Array[], out: Int32Array): void {
  getOpFacet(op.kind).quant.runInteger(op as never, inputs, out, p.run);
}

/** Runs the integer program on input codes; returns the codes of every tensor by name. */
export function runProgram(q: QModel, input: Int32Array): Map<string, Int32Array> {
  const p = programOf(q);
  const values = new Map<string, Int32Array>([[INPUT_TENSOR, input]]);
  for (const op of q.ops) {
    const out = new Int32Array(p.size(op.output));
    runOp(
      p,
      op,
      op.inputs.map((t) => values.get(t)!),
      out,
    );
    values.set(op.output, out);
  }
  return values;
}

/** The output codes of the program for input codes. */
export function runOutput(q: QModel, input: Int32Array): Int32Array {
  return runProgram(q, input).get(q.outputs[0])!;
}

/**
 * The float outputs the C's `predict_float` returns: dequantized in float32 steps
 * (`(float)(q - zp) * scale`), and for regression `y * std + mean`.
 */
export function dequantizeOutput(model: QModel, q: ArrayLike<number>): Float32Array {
  const { scale, zeroPoint } = outputQuant(model);
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
  const outputs = programOf(model).size(model.outputs[0]);
  const codes = new Int32Array(rows * outputs);
  const values = new Float32Array(rows * outputs);
  const qin = new Int32Array(cols);
  const input = inputOf(model);
  for (let r = 0; r < rows; r++) {
    quantizeInput(input, x.subarray(r * cols, (r + 1) * cols), qin);
    const q = runOutput(model, qin);
    codes.set(q, r * outputs);
    values.set(dequantizeOutput(model, q), r * outputs);
  }
  return { codes, values, outputs };
}
