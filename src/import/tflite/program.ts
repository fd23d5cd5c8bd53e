/**
 * An int8 TensorFlow Lite model as an nn2c integer program that keeps TensorFlow Lite's quantization:
 * its scales and zero points, and the multipliers and shifts TensorFlow Lite derives from them (the
 * double-precision real multiplier input scale × weight scale / output scale, split into a 31-bit
 * significand and a shift, ties away from zero), so that the TypeScript reference and the C compute
 * what TensorFlow Lite's reference kernels compute, bit for bit.
 *
 * Operators, each onto the nn2c op that computes what TensorFlow Lite's reference kernel computes:
 *   - FULLY_CONNECTED → dense. TensorFlow Lite subtracts the input zero point from every input code; nn2c
 *     folds it into the bias (bias − zp_in · Σ w), which gives the same accumulator.
 *   - CONV_2D → conv2d, DEPTHWISE_CONV_2D → depthwise_conv2d: the same OHWI and 1HWC weight layouts,
 *     the input zero point subtracted at every tap inside the input, TensorFlow's SAME padding.
 *   - AVERAGE_POOL_2D, MAX_POOL_2D → the poolings, in the code domain (the average's rounding is
 *     TensorFlow Lite's: to nearest, ties away from zero, over the taps inside the input).
 *   - RESHAPE → no op: the next ones read the same values.
 *   - PAD → zero_padding2d (TensorFlow Lite pads with the zero point, as nn2c does).
 *   - RELU, RELU6, LOGISTIC, TANH, LEAKY_RELU, and QUANTIZE from int8 to int8 → an int8 table of what
 *     TensorFlow Lite's kernel gives each code (elementwise.ts).
 *   - ADD → add, whose integer steps are TensorFlow Lite's (inputs of the output's shape).
 *   - MEAN over height and width → a global average pooling that rescales as TensorFlow Lite's does.
 *   - QUANTIZE of a float32 input at the start, DEQUANTIZE to a float32 output at the end → the
 *     program's own float entry point, which computes them as TensorFlow Lite does (integerPart).
 *   - SOFTMAX → TensorFlow Lite's own int8 softmax (src/quant/gemmlowp.ts).
 * Weighted ops take int8 weights (symmetric, per tensor or per output channel) and an int32 bias; the
 * fused activations NONE, RELU and RELU6 become the output stage's clamp, computed as TensorFlow Lite
 * computes it (zero point + round(f / scale), the division in float32).
 */
import type { QuantParams } from "../../core/quant.js";
import { UsageError } from "../../errors.js";
import type { ActivationQOp } from "../../ops/activation/quant.js";
import { ADD_LEFT_SHIFT, type AddQOp } from "../../ops/add/quant.js";
import { type ConvQOp, channelBounds, maxInputDelta, qGeometry } from "../../ops/conv2d/quant.js";
import type { DenseQOp } from "../../ops/dense/quant.js";
import type { DepthwiseQOp } from "../../ops/depthwise_conv2d/quant.js";
import type { PoolQOp } from "../../ops/pooling/pool.js";
import { type OutputStage, outputStage } from "../../ops/requant.js";
import { checkQModel } from "../../quant/check.js";
import { quantizeMultiplier, roundHalfAwayFromZero } from "../../quant/fixedpoint.js";
import { tfliteSoftmaxParams } from "../../quant/gemmlowp.js";
import { INPUT_TENSOR, QMODEL_FORMAT, QMODEL_VERSION, type QModel, type QOp } from "../../quant/schema.js";
import type { SoftmaxTfliteS8 } from "../../quant/tables.js";
import { VERSION } from "../../version.js";
import { INT8_CODES, leakyReluTable, requantizeTable, sigmoidOrTanhTable } from "./elementwise.js";
import { constantValues, type TfliteModel, type TfliteOperator, type TfliteTensor } from "./read.js";

type Fail = (message: string) => never;

/** The fused activations nn2c keeps, and the name the op records. */
const ACTIVATIONS: Record<string, string> = { NONE: "linear", RELU: "relu", RELU6: "relu6" };

/** A scale TensorFlow Lite can use: finite and positive. */
const usableScale = (scale: number) => Number.isFinite(scale) && scale > 0;

/** A tensor's per-tensor int8 quantization (a positive scale, a zero point in int8), or a refusal naming it. */
function int8Quant(t: TfliteTensor, fail: Fail): QuantParams {
  if (t.type !== "int8") fail(`tensor '${t.name}' is ${t.type}: expected int8`);
  const q = t.quantization;
  if (q?.scale.length !== 1) return fail(`tensor '${t.name}' is not quantized per tensor`);
  const [scale, zeroPoint] = [q.scale[0], q.zeroPoint[0]];
  if (!usableScale(scale)) fail(`tensor '${t.name}' has scale ${scale}: expected a finite positive scale`);
  if (!(Number.isInteger(zeroPoint) && zeroPoint >= -128 && zeroPoint <= 127))
    fail(`tensor '${t.name}' has zero point ${zeroPoint}: expected one in [-128, 127]`);
  return { scale, zeroPoint };
}

/** Constant values of an int8 or int32 tensor (the type the caller checked). */
function constants(t: TfliteTensor, fail: Fail): Int8Array | Int32Array {
  return constantValues(t, fail) as Int8Array | Int32Array;
}

/**
 * The clamp of a fused activation as TensorFlow Lite computes it (CalculateActivationRangeQuantized):
 * zero point + round(f / scale) with the division in float32, ties away from zero, within int8.
 */
function activationClamp(act: string, out: QuantParams): { clampLo: number; clampHi: number } {
  const code = (f: number) => out.zeroPoint + roundHalfAwayFromZero(Math.fround(f / out.scale));
  const lo = act === "NONE" ? -128 : Math.max(-128, code(0));
  const hi = act === "RELU6" ? Math.min(127, code(6)) : 127;
  return { clampLo: lo, clampHi: hi };
}

/** A weighted operator's int8 weights: symmetric, per tensor or one scale per output channel. */
function int8Weights(
  w: TfliteTensor | null,
  channels: number,
  fail: Fail,
): { values: Int8Array; scales: number[] } {
  if (w?.type !== "int8" || !w.quantization) return fail("weights that are not int8: expected int8 weights");
  const wq = w.quantization;
  if (wq.zeroPoint.some((z) => z !== 0))
    fail(`weights '${w.name}' have a zero point: expected symmetric int8`);
  if (wq.scale.length !== 1 && wq.scale.length !== channels)
    fail(`weights '${w.name}' have ${wq.scale.length} scales: expected 1 or ${channels}`);
  if (!wq.scale.every(usableScale)) fail(`weights '${w.name}' have a scale that is not finite and positive`);
  const values = constants(w, fail) as Int8Array;
  if (values.includes(-128)) fail(`weights '${w.name}' hold -128: expected int8 weights in [-127, 127]`);
  return {
    values,
    scales: Array.from({ length: channels }, (_, c) => wq.scale[wq.scale.length === 1 ? 0 : c]),
  };
}

/** A weighted operator's int32 bias (zeros when it has none). */
function int32Bias(b: TfliteTensor | null, channels: number, fail: Fail): Int32Array {
  if (!b) return new Int32Array(channels);
  if (b.type !== "int32") fail(`bias '${b.name}' is ${b.type}: expected int32`);
  const v = constants(b, fail) as Int32Array;
  if (v.length !== channels) fail(`bias '${b.name}' holds ${v.length} values: expected ${channels}`);
  return v;
}

/** The program being built, and the nn2c name of each TensorFlow Lite tensor computed so far. */
class Builder {
  readonly names = new Map<number, string>();

  constructor(
    readonly m: TfliteModel,
    readonly q: QModel,
  ) {}

  /** The nn2c tensor an operator reads, with its quantization. */
  read(index: number, fail: Fail): { name: string; t: TfliteTensor; quant: QuantParams } {
    const t = index >= 0 ? this.m.tensors[index] : undefined;
    const name = t && this.names.get(t.index);
    if (!t || name === undefined) return fail("reads a tensor no operator before it wrote");
    return { name, t, quant: int8Quant(t, fail) };
  }

  /** Names the tensor an operator writes, declares it, and appends the op. */
  write(y: TfliteTensor, quant: QuantParams, op: QOp): void {
    this.q.ops.push(op);
    this.q.tensors.push({ name: op.output, shape: y.shape.slice(1), ...quant });
  }

  /** A name for tensor t not taken yet. */
  name(t: TfliteTensor): string {
    const used = new Set(this.names.values());
    const name = t.name && !used.has(t.name) ? t.name : `tensor ${t.index}`;
    this.names.set(t.index, name);
    return name;
  }
}

type Convert = (op: TfliteOperator, b: Builder, fail: Fail) => void;

/** An op's name in the program: the operator's, with its index in the file. */
const opName = (op: TfliteOperator) => `${op.op.toLowerCase()}_${op.index}`;

/** The tensor an operator reads (its first input), the one it writes, and that one's quantization. */
function io(op: TfliteOperator, b: Builder, fail: Fail) {
  const x = b.read(op.inputs[0], fail);
  const y = b.m.tensors[op.outputs[0]];
  return { x, y, outQ: int8Quant(y, fail) };
}

/** Refuses an output not quantized as the input (the operators that move codes without rescaling). */
function sameQuant(input: QuantParams, output: QuantParams, fail: Fail): void {
  if (output.scale !== input.scale || output.zeroPoint !== input.zeroPoint)
    fail("an output quantized unlike its input: expected the input's scale and zero point");
}

/** The output stage of a weighted operator: TensorFlow Lite's multipliers, and its activation clamp. */
function weightedStage(
  reals: number[],
  bounds: number[],
  activation: string,
  out: QuantParams,
  where: string,
): OutputStage {
  const stage = outputStage(reals, bounds, { name: "linear", alpha: 0 }, out, "int8", where);
  return { ...stage, ...activationClamp(activation, out) };
}

function fusedActivation(activation: string, fail: Fail): string {
  const act = ACTIVATIONS[activation];
  if (!act) return fail(`fused activation ${activation}: expected NONE, RELU or RELU6`);
  return act;
}

const fullyConnected: Convert = (op, b, fail) => {
  if (op.options.kind !== "fully_connected") return fail("has no FullyConnectedOptions");
  const act = fusedActivation(op.options.activation, fail);
  if (op.options.weightsFormat !== 0) fail("shuffled weights: expected the default weights format");
  const { x, y, outQ } = io(op, b, fail);
  const w = op.inputs[1] >= 0 ? b.m.tensors[op.inputs[1]] : null;
  const [units, inputs] = w?.shape ?? [];
  const { values, scales } = int8Weights(w, units, fail);
  const bv = int32Bias(op.inputs[2] >= 0 ? b.m.tensors[op.inputs[2]] : null, units, fail);
  const weights: number[][] = [];
  const bias: number[] = [];
  const bounds: number[] = [];
  for (let o = 0; o < units; o++) {
    const row = Array.from(values.subarray(o * inputs, (o + 1) * inputs));
    weights.push(row);
    bias.push(bv[o] - x.quant.zeroPoint * row.reduce((s, v) => s + v, 0));
    bounds.push(Math.abs(bias[o]) + 128 * row.reduce((s, v) => s + Math.abs(v), 0));
  }
  // TensorFlow Lite's real multiplier: the float32 scales multiplied and divided in double
  const reals = scales.map((s) => (x.quant.scale * s) / outQ.scale);
  const record: DenseQOp = {
    kind: "dense",
    name: opName(op),
    inputs: [x.name],
    output: b.name(y),
    activation: act,
    units,
    weights,
    weightScales: scales,
    bias,
    ...weightedStage(reals, bounds, op.options.activation, outQ, where(op)),
  };
  b.write(y, outQ, record as unknown as QOp);
};

/** [H, W, C] of a 4-D tensor of batch 1, or a refusal. */
function hwc(t: TfliteTensor, fail: Fail): [number, number, number] {
  if (t.shape.length !== 4 || t.shape[0] !== 1)
    return fail(`tensor '${t.name}' has shape [${t.shape}]: expected [1, height, width, channels]`);
  return [t.shape[1], t.shape[2], t.shape[3]];
}

/** The window fields of a convolution or pooling record, checked against the output's shape. */
function windowOf(
  input: [number, number, number],
  kernel: [number, number],
  options: { padding: "same" | "valid"; strides: [number, number]; dilation?: [number, number] },
  output: [number, number, number],
  fail: Fail,
) {
  const window = {
    input,
    kernel,
    strides: options.strides,
    dilation: options.dilation ?? ([1, 1] as [number, number]),
    padding: options.padding,
  };
  let g: ReturnType<typeof qGeometry>;
  try {
    g = qGeometry(window);
  } catch (e) {
    return fail(`a ${kernel.join("x")} window: ${(e as Error).message}`);
  }
  if (g.Ho !== output[0] || g.Wo !== output[1])
    fail(`gives a ${g.Ho}x${g.Wo} output: the output tensor is ${output[0]}x${output[1]}`);
  return window;
}

const convolution =
  (depthwise: boolean): Convert =>
  (op, b, fail) => {
    if (op.options.kind !== "conv") return fail("has no convolution options");
    const options = op.options;
    const act = fusedActivation(options.activation, fail);
    const { x, y, outQ } = io(op, b, fail);
    const input = hwc(x.t, fail);
    const output = hwc(y, fail);
    const w = op.inputs[1] >= 0 ? b.m.tensors[op.inputs[1]] : null;
    if (w?.shape.length !== 4) return fail("weights that are not 4-D: expected [out, height, width, in]");
    const F = output[2];
    const C = input[2];
    const [kh, kw] = [w.shape[1], w.shape[2]];
    const expected = depthwise ? [1, kh, kw, F] : [F, kh, kw, C];
    if (w.shape.some((d, i) => d !== expected[i]))
      fail(`weights '${w.name}' have shape [${w.shape}]: expected [${expected}]`);
    if (depthwise && F % C !== 0) fail(`${F} output channels from ${C}: expected a multiple of the input's`);
    const M = F / C;
    if (depthwise && options.depthMultiplier && options.depthMultiplier !== M)
      fail(`depth multiplier ${options.depthMultiplier}: the shapes give ${M}`);
    const window = windowOf(input, [kh, kw], options, output, fail);
    const { values, scales } = int8Weights(w, F, fail);
    const bias = Array.from(int32Bias(op.inputs[2] >= 0 ? b.m.tensors[op.inputs[2]] : null, F, fail));
    const taps = kh * kw;
    const weights = depthwise
      ? Array.from({ length: F }, (_, o) => Array.from({ length: taps }, (_, t) => values[t * F + o]))
      : Array.from({ length: F }, (_, f) => Array.from(values.subarray(f * taps * C, (f + 1) * taps * C)));
    const bounds = channelBounds(weights, bias, maxInputDelta("int8", x.quant.zeroPoint));
    const reals = scales.map((s) => (x.quant.scale * s) / outQ.scale);
    const common = {
      name: opName(op),
      inputs: [x.name],
      output: b.name(y),
      activation: act,
      ...window,
    };
    const stage = weightedStage(reals, bounds, options.activation, outQ, where(op));
    const record = depthwise
      ? ({
          kind: "depthwise_conv2d",
          ...common,
          depthMultiplier: M,
          weights,
          weightScales: scales,
          bias,
          ...stage,
        } satisfies DepthwiseQOp)
      : ({
          kind: "conv2d",
          ...common,
          filters: F,
          weights,
          weightScales: scales,
          bias,
          ...stage,
        } satisfies ConvQOp);
    b.write(y, outQ, record as unknown as QOp);
  };

const pooling =
  (kind: "average_pooling2d" | "max_pooling2d"): Convert =>
  (op, b, fail) => {
    if (op.options.kind !== "pool") return fail("has no Pool2DOptions");
    if (op.options.activation !== "NONE")
      fail(`fused activation ${op.options.activation}: nn2c pools without one (expected NONE)`);
    const { x, y, outQ } = io(op, b, fail);
    sameQuant(x.quant, outQ, fail);
    const window = windowOf(hwc(x.t, fail), op.options.filter, op.options, hwc(y, fail), fail);
    const record: PoolQOp = {
      kind,
      name: opName(op),
      inputs: [x.name],
      output: b.name(y),
      ...window,
    };
    b.write(y, outQ, record as unknown as QOp);
  };

/**
 * MEAN over height and width of a [1, H, W, C] tensor (keep_dims or not) → a global average pooling
 * that computes TensorFlow Lite Micro's int8 MEAN:
 *   - output quantized apart from the input: the sum of the codes less the input zero point, times the
 *     multiplier of double(s_in) / double(s_out) with the count folded in (k = min(⌊log2 count⌋,
 *     31 + shift) more bits: ⌊mult · 2^k / count⌋ and shift - k), plus the output zero point. TensorFlow
 *     Lite's interpreter computes the same;
 *   - one quantization (scales equal as float32, zero points equal): the sum of the codes over the count,
 *     truncated toward zero. TensorFlow Lite's interpreter takes the rescaling path here too, which
 *     rounds instead: the two runtimes disagree, and nn2c follows the microcontroller's.
 */
const mean: Convert = (op, b, fail) => {
  if (op.options.kind !== "reducer") return fail("has no ReducerOptions");
  const { x, y, outQ } = io(op, b, fail);
  const [H, W, C] = hwc(x.t, fail);
  const axes = op.inputs[1] >= 0 ? b.m.tensors[op.inputs[1]] : null;
  if (axes?.type !== "int32" || !axes.data) return fail("axes that are not a constant int32 tensor");
  const axis = Array.from(constants(axes, fail)).sort();
  if (axis.join(",") !== "1,2") fail(`axes [${axis}]: expected the mean over height and width, [1, 2]`);
  const want = op.options.keepDims ? [1, 1, 1, C] : [1, C];
  if (y.shape.join(",") !== want.join(",")) fail(`output of shape [${y.shape}]: expected [${want}]`);
  const count = H * W;
  const base = quantizeMultiplier(x.quant.scale / outQ.scale);
  const k = Math.min(31 - Math.clz32(count), 31 + base.shift);
  const same = x.quant.scale === outQ.scale && x.quant.zeroPoint === outQ.zeroPoint;
  const record: PoolQOp = {
    kind: "global_average_pooling2d",
    name: opName(op),
    inputs: [x.name],
    output: b.name(y),
    input: [H, W, C],
    kernel: [H, W],
    strides: [1, 1],
    dilation: [1, 1],
    padding: "valid",
    mean: same
      ? { rounding: "truncate" }
      : { rounding: "rescale", mult: Math.floor((base.mult * 2 ** k) / count), shift: base.shift - k },
  };
  b.write(y, outQ, record as unknown as QOp);
};

/** RESHAPE: the same values under another shape, so the operators after it read its input. */
const reshape: Convert = (op, b, fail) => {
  const { x, y, outQ } = io(op, b, fail);
  sameQuant(x.quant, outQ, fail);
  const size = (s: number[]) => s.reduce((a, v) => a * v, 1);
  if (size(y.shape) !== size(x.t.shape))
    fail(`shape [${y.shape}] from [${x.t.shape}]: expected as many values`);
  b.names.set(y.index, x.name);
};

const softmax: Convert = (op, b, fail) => {
  if (op.options.kind !== "softmax") return fail("has no SoftmaxOptions");
  const { x, y, outQ } = io(op, b, fail);
  if (outQ.scale !== 1 / 256 || outQ.zeroPoint !== -128)
    fail(`output scale ${outQ.scale} zero point ${outQ.zeroPoint}: expected scale 1/256 and zero point -128`);
  const beta = op.options.beta;
  const params = tfliteSoftmaxParams(beta, x.quant.scale);
  if (!params)
    return fail(
      `beta ${beta} times the input scale ${x.quant.scale} is below 2^-26, which TensorFlow Lite refuses`,
    );
  const table: SoftmaxTfliteS8 = { kind: "softmax_tfl_s8", inputScale: x.quant.scale, beta, ...params };
  b.q.tables.push(table);
  const record: ActivationQOp = {
    kind: "activation",
    name: opName(op),
    inputs: [x.name],
    output: b.name(y),
    activation: "softmax",
    table: b.q.tables.length - 1,
  };
  b.write(y, outQ, record as unknown as QOp);
};

/**
 * PAD: TensorFlow Lite pads int8 with the output zero point (the code of 0), which is nn2c's
 * zero_padding2d when the input and output share their quantization; padding of the batch or the
 * channels is refused.
 */
const pad: Convert = (op, b, fail) => {
  const { x, y, outQ } = io(op, b, fail);
  sameQuant(x.quant, outQ, fail);
  const p = op.inputs[1] >= 0 ? b.m.tensors[op.inputs[1]] : null;
  if (p?.type !== "int32" || p.shape.join(",") !== "4,2")
    return fail("paddings that are not a constant int32 [4, 2] tensor: expected one");
  const v = constants(p, fail);
  if (v[0] !== 0 || v[1] !== 0 || v[6] !== 0 || v[7] !== 0)
    fail(
      `paddings [[${v[0]}, ${v[1]}], ..., [${v[6]}, ${v[7]}]]: expected no padding of the batch or the channels`,
    );
  const input = hwc(x.t, fail);
  const record = {
    kind: "zero_padding2d",
    name: opName(op),
    inputs: [x.name],
    output: b.name(y),
    input,
    pads: [v[2], v[3], v[4], v[5]],
  };
  b.write(y, outQ, record as unknown as QOp);
};

/**
 * The element-wise operators, each as a 256-entry table of what TensorFlow Lite's kernel gives each
 * code (elementwise.ts):
 *   - RELU requantizes (zp_out + MultiplyByQuantizedMultiplier(q - zp_in, s_in / s_out)) and clamps
 *     below at zp_out;
 *   - RELU6 keeps the quantization (it requires the same) and clamps q to [zp, zp + round(6 / s)], the
 *     division in float32;
 *   - LOGISTIC and TANH compute gemmlowp's fixed-point functions, LEAKY_RELU rescales each sign by its
 *     own multiplier, and QUANTIZE between two int8 quantizations requantizes.
 */
const elementwise =
  (kind: "RELU" | "RELU6" | "LOGISTIC" | "TANH" | "LEAKY_RELU" | "QUANTIZE"): Convert =>
  (op, b, fail) => {
    const { x, y, outQ } = io(op, b, fail);
    const input = x.quant;
    let entries: number[];
    let activation: string;
    if (kind === "RELU6") {
      sameQuant(input, outQ, fail);
      const { clampLo, clampHi } = activationClamp("RELU6", input);
      entries = INT8_CODES.map((q) => Math.min(clampHi, Math.max(clampLo, q)));
      activation = "relu6";
    } else if (kind === "RELU") {
      entries = requantizeTable(input, outQ, fail).map((q) => Math.max(outQ.zeroPoint, q));
      activation = "relu";
    } else if (kind === "LOGISTIC" || kind === "TANH") {
      entries = sigmoidOrTanhTable(kind, input, outQ, fail);
      activation = kind === "LOGISTIC" ? "sigmoid" : "tanh";
    } else if (kind === "LEAKY_RELU") {
      if (op.options.kind !== "leaky_relu") return fail("has no LeakyReluOptions");
      entries = leakyReluTable(op.options.alpha, input, outQ, fail);
      activation = "leaky_relu";
    } else {
      entries = requantizeTable(input, outQ, fail);
      activation = "linear";
    }
    // entries[q + 128] is the output code of input code q
    b.q.tables.push({ kind: "table_s8", input: { ...input }, output: { ...outQ }, entries });
    const record: ActivationQOp = {
      kind: "activation",
      name: opName(op),
      inputs: [x.name],
      output: b.name(y),
      activation,
      table: b.q.tables.length - 1,
    };
    b.write(y, outQ, record as unknown as QOp);
  };

/**
 * ADD of two tensors of the output's shape (no broadcasting), as TensorFlow Lite's int8 kernel: each
 * input less its zero point shifted left by 20, rescaled by its scale over twice the larger input
 * scale, summed, and rescaled by that over 2^20 times the output scale (every ratio in double, each
 * multiplier below one), then the fused activation's clamp. nn2c's add op computes exactly that.
 */
const add: Convert = (op, b, fail) => {
  if (op.options.kind !== "activation") return fail("has no AddOptions");
  const act = fusedActivation(op.options.activation, fail);
  if (op.inputs.length !== 2) fail(`${op.inputs.length} inputs: expected 2`);
  const xs = op.inputs.map((i) => b.read(i, fail));
  const y = b.m.tensors[op.outputs[0]];
  const outQ = int8Quant(y, fail);
  for (const x of xs)
    if (x.t.shape.join(",") !== y.shape.join(","))
      fail(
        `input '${x.t.name}' of shape [${x.t.shape}]: expected the output's [${y.shape}] (no broadcasting)`,
      );
  const twiceMax = 2 * Math.max(...xs.map((x) => x.quant.scale));
  const multipliers = xs.map((x) => quantizeMultiplier(x.quant.scale / twiceMax));
  const outReal = twiceMax / (2 ** ADD_LEFT_SHIFT.int8 * outQ.scale);
  if (!(outReal < 1))
    fail(`an output scale ${outQ.scale} below the inputs' over 2^20: expected a multiplier below one`);
  const out = quantizeMultiplier(outReal);
  const record: AddQOp = {
    kind: "add",
    name: opName(op),
    inputs: xs.map((x) => x.name),
    output: b.name(y),
    activation: act,
    leftShift: ADD_LEFT_SHIFT.int8,
    mult: multipliers.map((m) => m.mult),
    shift: multipliers.map((m) => m.shift),
    outMult: out.mult,
    outShift: out.shift,
    ...activationClamp(op.options.activation, outQ),
  };
  b.write(y, outQ, record as unknown as QOp);
};

const CONVERTERS: Record<string, Convert> = {
  FULLY_CONNECTED: fullyConnected,
  CONV_2D: convolution(false),
  DEPTHWISE_CONV_2D: convolution(true),
  AVERAGE_POOL_2D: pooling("average_pooling2d"),
  MAX_POOL_2D: pooling("max_pooling2d"),
  RESHAPE: reshape,
  SOFTMAX: softmax,
  PAD: pad,
  RELU: elementwise("RELU"),
  RELU6: elementwise("RELU6"),
  LOGISTIC: elementwise("LOGISTIC"),
  TANH: elementwise("TANH"),
  LEAKY_RELU: elementwise("LEAKY_RELU"),
  QUANTIZE: elementwise("QUANTIZE"),
  ADD: add,
  MEAN: mean,
};

/** The operators nn2c imports, for messages and help. */
export const TFLITE_OPERATORS = Object.keys(CONVERTERS);

const where = (op: TfliteOperator) => `operators[${op.index}] (${op.op})`;

/** Is `t` an int8 tensor quantized per tensor? */
const perTensorInt8 = (t: TfliteTensor) => t.type === "int8" && t.quantization?.scale.length === 1;

/**
 * The integer part of a model: without a QUANTIZE from a float32 input at its start and a DEQUANTIZE to
 * a float32 output at its end, which nn2c's own float entry point computes as TensorFlow Lite does
 * (round(x / scale) + zero point in float32, ties away from zero; scale · (q - zero point)).
 */
export function integerPart(m: TfliteModel): { operators: TfliteOperator[]; input: number; output: number } {
  let operators = m.operators;
  let input = m.inputs[0];
  let output = m.outputs[0];
  const first = operators[0];
  if (
    first?.op === "QUANTIZE" &&
    first.inputs[0] === input &&
    m.tensors[input].type === "float32" &&
    perTensorInt8(m.tensors[first.outputs[0]])
  ) {
    input = first.outputs[0];
    operators = operators.slice(1);
  }
  const last = operators.at(-1);
  if (
    last?.op === "DEQUANTIZE" &&
    last.outputs[0] === output &&
    m.tensors[output].type === "float32" &&
    perTensorInt8(m.tensors[last.inputs[0]])
  ) {
    output = last.inputs[0];
    operators = operators.slice(0, -1);
  }
  return { operators, input, output };
}

/**
 * The integer program of the int8 model `m` (read from `file`, whose bytes hash to `sha256`); refuses,
 * naming the operator, what it does not import.
 */
export function tfliteProgram(m: TfliteModel, file: string, sha256: string): QModel {
  if (m.inputs.length !== 1 || m.outputs.length !== 1) {
    throw new UsageError(
      `${file}: ${m.inputs.length} inputs and ${m.outputs.length} outputs: expected a model of one input and one output`,
    );
  }
  const { operators, input: inputIndex, output: outputIndex } = integerPart(m);
  const input = m.tensors[inputIndex];
  const inputQuant = int8Quant(input, (message) => {
    throw new UsageError(`${file}: the input: ${message}`);
  });
  const width = input.shape.slice(1).reduce((a, b) => a * b, 1);
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
  const b = new Builder(m, q);
  b.names.set(input.index, INPUT_TENSOR);
  for (const op of operators) {
    const fail = (message: string): never => {
      throw new UsageError(`${file}: ${where(op)}: ${message}`);
    };
    const convert = CONVERTERS[op.op];
    if (!convert) fail(`nn2c imports ${TFLITE_OPERATORS.join(", ")}`);
    convert(op, b, fail);
  }
  const output = b.names.get(outputIndex);
  if (output === undefined) throw new UsageError(`${file}: no operator writes the model's output`);
  q.outputs = [output];
  return checkQModel(q, file);
}
