/**
 * BatchNormalization (Keras' `BatchNormalization`) over the last dimension (channels): batch statistics
 * in training, the moving mean and variance at inference, y = γ (x - mean) / sqrt(variance + ε) + β.
 * At lowering it is the per-channel affine map y = x·scale + shift (scale = γ / sqrt(variance + ε),
 * shift = β - mean·scale), folded into the Dense before it when it can be, else an op of its own.
 */
import { z } from "zod";
import { channelsOf, formatShape, ShapeError, sizeOf } from "../../core/shape.js";
import { applyActivationFloat32 } from "../activation/float.js";
import { defineOp, type FloatOp, type WeightSpec } from "../registry.js";
import { emitBatchNorm, emitBatchNormFloat } from "./emit.js";
import { batchNormFromKeras } from "./keras.js";
import { batchNormQSchema, checkBatchNorm, quantizeBatchNorm, runBatchNorm } from "./quant.js";
import { BatchNormStep } from "./train.js";

export const batchNormalizationConfig = z.strictObject({
  /** the moving statistics keep this fraction of their value at each training step (Keras: 0.99) */
  momentum: z.number().min(0).max(1),
  /** added to the variance before its square root (Keras: 0.001) */
  epsilon: z.number().positive().max(1),
  /** learn β (false: no β, the shift is 0) */
  center: z.boolean(),
  /** learn γ (false: no γ, the scale is 1) */
  scale: z.boolean(),
  /** Keras' axis counting the batch (absent: -1); only the last, which the layer checks against its input */
  axis: z.number().int().optional(),
});

export type BatchNormalizationConfig = z.infer<typeof batchNormalizationConfig>;

export const BATCH_NORM_DEFAULTS: BatchNormalizationConfig = {
  momentum: 0.99,
  epsilon: 0.001,
  center: true,
  scale: true,
};

function specs(config: BatchNormalizationConfig, C: number): WeightSpec[] {
  return [
    ...(config.scale ? [{ name: "gamma", shape: [C], trainable: true }] : []),
    ...(config.center ? [{ name: "beta", shape: [C], trainable: true }] : []),
    { name: "movingMean", shape: [C], trainable: false },
    { name: "movingVariance", shape: [C], trainable: false },
  ];
}

const f = Math.fround;

/** What nn_scale_shift_f32 computes: the product and the sum each rounded to float; then the activation. */
function runBatchNormFloat32(op: FloatOp<BatchNormalizationConfig>, x: Float32Array, y: Float32Array): void {
  const C = channelsOf(op.outputShape);
  const { scale, shift } = op.weights;
  for (let i = 0; i < y.length; i++) {
    const c = i % C;
    y[i] = f(f(x[i] * f(scale[c])) + f(shift[c]));
  }
  applyActivationFloat32(op.activation, y);
}

export const batchNormalization = defineOp({
  kind: "batch_normalization",
  summary: "per-channel normalization by batch or moving statistics (Keras BatchNormalization)",
  examples: (rng) => [
    { config: { ...BATCH_NORM_DEFAULTS }, inputs: [[1 + rng.int(12)]] },
    {
      config: { momentum: 0.9, epsilon: 0.01, center: rng.next() < 0.5, scale: true },
      inputs: [[2 + rng.int(4), 1 + rng.int(6)]],
    },
  ],
  layer: {
    config: batchNormalizationConfig,
    inputs: { min: 1, max: 1 },
    outputShape(config, [shape]) {
      if (config.axis !== undefined && config.axis !== -1 && config.axis !== shape.length) {
        throw new ShapeError(
          `normalizes axis ${config.axis} of ${formatShape(shape)} (${shape.length + 1} axes with the batch): nn2c normalizes the last axis (-1 or ${shape.length}) only`,
        );
      }
      return shape;
    },
    weights: (config, [shape]) => specs(config, channelsOf(shape)),
    initialize(config, [shape]) {
      const C = channelsOf(shape);
      const out: Record<string, Float32Array> = {
        movingMean: new Float32Array(C),
        movingVariance: new Float32Array(C).fill(1),
      };
      if (config.scale) out.gamma = new Float32Array(C).fill(1);
      if (config.center) out.beta = new Float32Array(C);
      return out;
    },
    cost(config, [shape]) {
      const C = channelsOf(shape);
      const params = specs(config, C).length * C;
      // kept as an op: a scale and a shift per channel in float; in integers an int8 weight, a bias and a
      // multiplier and shift per channel (folded into a Dense before it, it costs nothing)
      return { params, macs: sizeOf(shape), bytes: { float32: 8 * C, int8: 13 * C, int16: 13 * C } };
    },
    check(_config, tensors) {
      const v = tensors.movingVariance;
      for (let c = 0; c < v.length; c++) {
        // a variance of 0 is a channel that never varied: epsilon keeps the division finite, as in Keras
        if (!(v[c] >= 0)) return `movingVariance[${c}] is ${v[c]}: expected a variance of 0 or more`;
      }
      return undefined;
    },
    keras: { BatchNormalization: batchNormFromKeras },
  },
  train: {
    scratch: (_config, _inputs, output, capacity) => [capacity * sizeOf(output)],
    step: ({ inputs: [shape], ...args }) => new BatchNormStep(sizeOf(shape), channelsOf(shape), args),
  },
  lower: {
    mode: "op",
    affine(config, tensors) {
      const mean = tensors.movingMean;
      const variance = tensors.movingVariance;
      const C = mean.length;
      const scale = new Float64Array(C);
      const shift = new Float64Array(C);
      for (let c = 0; c < C; c++) {
        scale[c] = (config.scale ? tensors.gamma[c] : 1) / Math.sqrt(variance[c] + config.epsilon);
        shift[c] = (config.center ? tensors.beta[c] : 0) - mean[c] * scale[c];
      }
      return { scale, shift };
    },
  },
  op: {
    inPlace: true,
    fuses: (hint) => hint.kind === "linear" || hint.kind === "clamp" || hint.kind === "leaky",
    runFloat32: (op, [x], y) => runBatchNormFloat32(op, x, y),
    emitFloat: emitBatchNormFloat,
    quant: {
      schema: batchNormQSchema,
      quantize: quantizeBatchNorm,
      check: checkBatchNorm,
      runInteger: runBatchNorm,
      emit: emitBatchNorm,
      macs: (op, ctx) => ctx.size(op.output),
      describe: (op) => `${op.channels} channels${op.activation === "linear" ? "" : ` ${op.activation}`}`,
    },
  },
});
