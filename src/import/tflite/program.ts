/**
 * An int8 TensorFlow Lite model as an nn2c integer program that keeps TensorFlow Lite's quantization:
 * its scales and zero points, and the multipliers and shifts TensorFlow Lite derives from them (the
 * double-precision real multiplier input scale × weight scale / output scale, split into a 31-bit
 * significand and a shift, ties away from zero), so that the TypeScript reference and the C compute
 * what TensorFlow Lite's reference kernels compute, bit for bit.
 *
 * So far: chains of FULLY_CONNECTED (int8 per-tensor or per-channel weights, int32 bias, fused NONE,
 * RELU or RELU6). TensorFlow Lite subtracts the input zero point from every input code; nn2c folds it
 * into the bias (bias − zp_in · Σ w), which gives the same accumulator.
 */
import { UsageError } from "../../errors.js";
import type { DenseQOp } from "../../ops/dense/quant.js";
import { outputStage } from "../../ops/requant.js";
import { checkQModel } from "../../quant/check.js";
import { INPUT_TENSOR, QMODEL_FORMAT, QMODEL_VERSION, type QModel, type QOp } from "../../quant/schema.js";
import { VERSION } from "../../version.js";
import type { TfliteModel, TfliteTensor } from "./read.js";

const SUPPORTED = ["FULLY_CONNECTED"];

const ACTIVATIONS: Record<string, string> = { NONE: "linear", RELU: "relu", RELU6: "relu6" };

/** A tensor's per-tensor int8 quantization, or a refusal naming it. */
function int8Quant(t: TfliteTensor, fail: (message: string) => never): { scale: number; zeroPoint: number } {
  if (t.type !== "int8") fail(`tensor '${t.name}' is ${t.type}: expected int8`);
  const q = t.quantization;
  if (q?.scale.length !== 1) return fail(`tensor '${t.name}' is not quantized per tensor`);
  return { scale: q.scale[0], zeroPoint: q.zeroPoint[0] };
}

/** Little-endian values of a constant tensor. */
function constants(t: TfliteTensor, fail: (message: string) => never): Int8Array | Int32Array {
  if (!t.data) fail(`tensor '${t.name}' has no constant data: expected weights stored in the file`);
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (t.type === "int8" && t.data.length === n) return new Int8Array(t.data.buffer, t.data.byteOffset, n);
  if (t.type === "int32" && t.data.length === 4 * n) {
    const v = new DataView(t.data.buffer, t.data.byteOffset, t.data.length);
    return Int32Array.from({ length: n }, (_, i) => v.getInt32(4 * i, true));
  }
  return fail(
    `tensor '${t.name}' holds ${t.data.length} bytes of ${t.type}: its shape [${t.shape}] needs ${n}`,
  );
}

/**
 * The integer program of the int8 model `m` (read from `file`, whose bytes hash to `sha256`); refuses,
 * naming the operator, what it does not import.
 */
export function tfliteProgram(m: TfliteModel, file: string, sha256: string): QModel {
  const fail =
    (where: string) =>
    (message: string): never => {
      throw new UsageError(`${file}: ${where}: ${message}`);
    };
  if (m.inputs.length !== 1 || m.outputs.length !== 1) {
    throw new UsageError(
      `${file}: ${m.inputs.length} inputs and ${m.outputs.length} outputs: expected a model of one input and one output`,
    );
  }
  const input = m.tensors[m.inputs[0]];
  const inputQuant = int8Quant(input, fail("the input"));
  const width = input.shape.slice(1).reduce((a, b) => a * b, 1);
  const names = new Map<number, string>([[input.index, INPUT_TENSOR]]);
  const nameOf = (t: TfliteTensor) => {
    const used = new Set(names.values());
    const name = t.name && !used.has(t.name) ? t.name : `tensor ${t.index}`;
    names.set(t.index, name);
    return name;
  };
  const q: QModel = {
    format: QMODEL_FORMAT,
    version: QMODEL_VERSION,
    generator: `nn2c ${VERSION}`,
    precision: "int8",
    sourceHash: sha256,
    task: "regression",
    inputs: {
      names: Array.from({ length: width }, (_, i) => `x${i}`),
      mean: Array.from({ length: width }, () => 0),
      std: Array.from({ length: width }, () => 1),
      shape: input.shape.slice(1),
    },
    output: { label: "output", kind: "values" },
    tensors: [{ name: INPUT_TENSOR, shape: input.shape.slice(1), ...inputQuant }],
    ops: [],
    outputs: [],
    tables: [],
    source: { format: "tflite", operators: m.operatorCodes },
    luts: [],
    layerErrors: [],
  };
  for (const op of m.operators) {
    const where = `operators[${op.index}] (${op.op})`;
    const no = fail(where);
    if (!SUPPORTED.includes(op.op)) no(`nn2c imports ${SUPPORTED.join(", ")} so far`);
    if (op.options.kind !== "fully_connected") return no("has no FullyConnectedOptions");
    const act = ACTIVATIONS[op.options.activation];
    if (!act) no(`fused activation ${op.options.activation}: expected NONE, RELU or RELU6`);
    if (op.options.weightsFormat !== 0) no("shuffled weights: expected the default weights format");
    const [x, w, b] = op.inputs.map((i) => (i >= 0 ? m.tensors[i] : null));
    const y = m.tensors[op.outputs[0]];
    if (!x || !names.has(x.index)) no("reads a tensor no operator before it wrote");
    const inQ = int8Quant(x!, no);
    const outQ = int8Quant(y, no);
    if (w?.type !== "int8" || !w.quantization) return no("weights that are not int8: expected int8 weights");
    const [units, inputs] = w.shape;
    const wq = w.quantization;
    if (wq.zeroPoint.some((z) => z !== 0))
      no(`weights '${w.name}' have a zero point: expected symmetric int8`);
    if (wq.scale.length !== 1 && wq.scale.length !== units)
      no(`weights '${w.name}' have ${wq.scale.length} scales: expected 1 or ${units}`);
    const wv = constants(w, no);
    const bv = b ? constants(b, no) : new Int32Array(units);
    const weights: number[][] = [];
    const bias: number[] = [];
    const reals: number[] = [];
    const bounds: number[] = [];
    for (let o = 0; o < units; o++) {
      const row = Array.from(wv.subarray(o * inputs, (o + 1) * inputs));
      if (row.includes(-128)) no(`weights '${w.name}' hold -128: expected int8 weights in [-127, 127]`);
      const sum = row.reduce((s, v) => s + v, 0);
      weights.push(row);
      bias.push(bv[o] - inQ.zeroPoint * sum);
      const scale = wq.scale.length === 1 ? wq.scale[0] : wq.scale[o];
      // TensorFlow Lite's real multiplier: the float32 scales multiplied and divided in double
      reals.push((inQ.scale * scale) / outQ.scale);
      bounds.push(Math.abs(bias[o]) + 128 * row.reduce((s, v) => s + Math.abs(v), 0));
    }
    const out = nameOf(y);
    const record: DenseQOp = {
      kind: "dense",
      name: `${op.op.toLowerCase()}_${op.index}`,
      inputs: [names.get(x!.index)!],
      output: out,
      activation: act,
      units,
      weights,
      weightScales: wq.scale.length === 1 ? weights.map(() => wq.scale[0]) : wq.scale,
      bias,
      ...outputStage(reals, bounds, { name: act, alpha: 0 }, outQ, "int8", `${file}: ${where}`),
    };
    q.ops.push(record as unknown as QOp);
    q.tensors.push({ name: out, shape: y.shape.slice(1), ...outQ });
  }
  const output = names.get(m.outputs[0]);
  if (output === undefined) throw new UsageError(`${file}: no operator writes the model's output`);
  q.outputs = [output];
  return checkQModel(q, file);
}
