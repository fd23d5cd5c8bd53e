/**
 * Dense (Keras' `Dense`): a fully connected layer on a 1-D input, y = W x + b, with an optional
 * activation. The kernel is stored [units][inputs] (nn2c's row-major layout; Keras stores [inputs][units]).
 */
import { z } from "zod";
import { ACTIVATION_NAME, getActivation } from "../../core/activations.js";
import { formatShape, type Shape, ShapeError } from "../../core/shape.js";
import { MAX_TENSOR_VALUES } from "../../limits.js";
import { float32 } from "../../values.js";
import { applyActivationFloat32 } from "../activation/float.js";
import { defineOp, type FloatOp } from "../registry.js";
import { emitDense, emitDenseFloat } from "./emit.js";
import { denseFromKeras } from "./keras.js";
import { checkDense, denseQSchema, quantizeDense, runDenseOp } from "./quant.js";
import { DenseStep, initDense } from "./train.js";

export const denseConfig = z.strictObject({
  units: z.number().int().positive().max(MAX_TENSOR_VALUES),
  activation: z.string().regex(ACTIVATION_NAME),
  /** leaky_relu's negative slope */
  alpha: float32.optional(),
  /** false: no bias (y = W x) */
  useBias: z.boolean().optional(),
  /** L2 regularisation factor on the kernel: the loss gains l2 · sum(W^2) */
  l2: z.number().nonnegative().optional(),
  /** initial kernel: default He uniform for the relu family, Glorot uniform otherwise */
  kernelInitializer: z.enum(["he_uniform", "glorot_uniform"]).optional(),
  /** initial bias: zeros (default) or uniform within the kernel initializer's limit */
  biasInitializer: z.enum(["zeros", "uniform"]).optional(),
});

export type DenseConfig = z.infer<typeof denseConfig>;

function inputWidth(inputs: Shape[]): number {
  const [shape] = inputs;
  if (shape.length !== 1) {
    throw new ShapeError(`takes a 1-D input, got ${formatShape(shape)}: add a Flatten layer before it`);
  }
  return shape[0];
}

const hasBias = (c: DenseConfig) => c.useBias !== false;

export const dense = defineOp({
  kind: "dense",
  summary: "fully connected layer on a 1-D input (Keras Dense)",
  examples: (rng) => [
    // a width past two 16-input chunks and rows past a 4-row group: every part of the blocked layout
    { config: { units: 4 + 1 + rng.int(3), activation: "linear" }, inputs: [[32 + 1 + rng.int(15)]] },
    { config: { units: 1 + rng.int(4), activation: "relu6", useBias: false }, inputs: [[1 + rng.int(10)]] },
    { config: { units: 8, activation: "leaky_relu", alpha: 0.1 }, inputs: [[16]] },
  ],
  layer: {
    config: denseConfig,
    inputs: { min: 1, max: 1 },
    outputShape(config, inputs) {
      inputWidth(inputs);
      return [config.units];
    },
    weights(config, inputs) {
      const I = inputWidth(inputs);
      return [
        { name: "kernel", shape: [config.units, I], trainable: true },
        ...(hasBias(config) ? [{ name: "bias", shape: [config.units], trainable: true }] : []),
      ];
    },
    initialize(config, inputs, rng) {
      const init =
        config.kernelInitializer === undefined
          ? getActivation(config.activation).init
          : config.kernelInitializer === "he_uniform"
            ? "he"
            : "glorot";
      const bias = !hasBias(config) ? "none" : config.biasInitializer === "uniform" ? "uniform" : "zeros";
      return initDense(inputWidth(inputs), config.units, init, rng, bias);
    },
    cost(config, inputs) {
      const I = inputWidth(inputs);
      const O = config.units;
      const params = I * O + (hasBias(config) ? O : 0);
      // int8 and int16 ("16x8"): int8 weights, an int32 bias (the input zero point folds into it even
      // without a float bias) and an int32 multiplier and shift per output channel
      const integer = I * O + O * (4 + 8);
      return { params, macs: I * O, bytes: { float32: 4 * params, int8: integer, int16: integer } };
    },
    activation: (config) =>
      config.activation === "linear" ? undefined : { name: config.activation, alpha: config.alpha },
    l2: (config) => (config.l2 ? { weight: "kernel", factor: config.l2 } : undefined),
    keras: { Dense: denseFromKeras },
  },
  train: {
    scratch: (config) => (hasBias(config) ? [] : [config.units]),
    step: (args) => new DenseStep(inputWidth(args.inputs), args.config.units, args),
  },
  lower: { mode: "op" },
  op: {
    inPlace: false,
    fuses: (hint) => hint.kind === "linear" || hint.kind === "clamp" || hint.kind === "leaky",
    foldAffine(op, scale, shift) {
      const I = op.inputShapes[0][0];
      const O = op.outputShape[0];
      const kernel = Float64Array.from(op.weights.kernel, (w, j) => w * scale[Math.floor(j / I)]);
      const bias = new Float64Array(O);
      for (let o = 0; o < O; o++) bias[o] = (op.weights.bias?.[o] ?? 0) * scale[o] + shift[o];
      return { ...op, weights: { kernel, bias } };
    },
    runFloat32: (op, [x], y) => runDenseFloat32(op, x, y),
    emitFloat: emitDenseFloat,
    quant: {
      schema: denseQSchema,
      quantize: quantizeDense,
      check: checkDense,
      runInteger: runDenseOp,
      emit: emitDense,
      macs: (op) => op.units * op.weights[0].length,
      describe: (op) =>
        `${op.weights[0].length} -> ${op.units}${op.activation === "linear" ? "" : ` ${op.activation}`}`,
    },
  },
});

const f = Math.fround;

/**
 * What nn_dense_f32 computes: per output the bias, then each product and sum rounded to float in input
 * order (no FMA); then the fused activation, as its float kernel computes it.
 */
function runDenseFloat32(op: FloatOp<DenseConfig>, x: Float32Array, y: Float32Array): void {
  const I = op.inputShapes[0][0];
  const { kernel, bias } = op.weights;
  for (let o = 0; o < y.length; o++) {
    let acc = f(bias?.[o] ?? 0);
    for (let i = 0; i < I; i++) acc = f(acc + f(x[i] * f(kernel[o * I + i])));
    y[o] = acc;
  }
  applyActivationFloat32(op.activation, y);
}
