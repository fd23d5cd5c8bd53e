/**
 * DepthwiseConv2D (Keras' `DepthwiseConv2D`): each input channel convolved with its own `depthMultiplier`
 * filters, output channel c · M + m; strides, dilation, "valid" or "same" padding, an optional bias and a
 * fused activation. The kernel is stored as Keras stores it, [kh, kw, C, M].
 */
import { z } from "zod";
import { ACTIVATION_NAME, getActivation } from "../../core/activations.js";
import type { Shape } from "../../core/shape.js";
import { float32 } from "../../values.js";
import { applyActivationFloat32 } from "../activation/float.js";
import { dims2d } from "../conv2d/conv.js";
import { forEachTap, type Geometry, geometry, tapCount } from "../conv2d/geometry.js";
import { checkStridesDilation, kerasInts } from "../conv2d/keras.js";
import { atDefault, kerasActivation, kerasKernelOptions, onlyKnown } from "../keras.js";
import { defineOp, type FloatOp, type LayerTensors } from "../registry.js";
import { emitDepthwise, emitDepthwiseFloat } from "./emit.js";
import {
  checkDepthwise,
  type DepthwiseQOp,
  depthwiseQSchema,
  quantizeDepthwise,
  runDepthwise,
} from "./quant.js";
import { DepthwiseStep } from "./train.js";

const positive = z.number().int().positive();
const pair = z.tuple([positive, positive]);

export const depthwiseConfig = z.strictObject({
  kernelSize: pair,
  strides: pair,
  dilationRate: pair,
  padding: z.enum(["valid", "same"]),
  depthMultiplier: positive.max(64),
  activation: z.string().regex(ACTIVATION_NAME),
  alpha: float32.optional(),
  useBias: z.boolean().optional(),
  /** L2 regularisation factor on the kernel */
  l2: z.number().nonnegative().optional(),
  kernelInitializer: z.enum(["he_uniform", "glorot_uniform"]).optional(),
});

export type DepthwiseConfig = z.infer<typeof depthwiseConfig>;

const geom = (c: DepthwiseConfig, [shape]: Shape[]): Geometry => {
  const [H, W, C] = dims2d(shape);
  return geometry(H, W, C, {
    kernel: c.kernelSize,
    strides: c.strides,
    dilation: c.dilationRate,
    padding: c.padding,
  });
};
const hasBias = (c: DepthwiseConfig) => c.useBias !== false;
const f32 = Math.fround;

/** What nn_depthwise_conv2d_f32 computes: the bias, then each product and sum over the taps rounded to float. */
function runDepthwiseFloat32(op: FloatOp<DepthwiseConfig>, x: Float32Array, y: Float32Array): void {
  const g = geom(op.config, op.inputShapes);
  const M = op.config.depthMultiplier;
  const CM = g.C * M;
  const acc = new Float64Array(CM);
  let yo = 0;
  for (let oy = 0; oy < g.Ho; oy++)
    for (let ox = 0; ox < g.Wo; ox++, yo += CM) {
      for (let o = 0; o < CM; o++) acc[o] = f32(op.weights.bias?.[o] ?? 0);
      forEachTap(g, oy, ox, (t, tap) => {
        for (let o = 0; o < CM; o++)
          acc[o] = f32(acc[o] + f32(x[t + Math.floor(o / M)] * f32(op.weights.kernel[tap * CM + o])));
      });
      for (let o = 0; o < CM; o++) y[yo + o] = acc[o];
    }
  applyActivationFloat32(op.activation, y);
}

export const depthwiseConv2d = defineOp<DepthwiseConfig, DepthwiseQOp>({
  kind: "depthwise_conv2d",
  summary: "a convolution per input channel (Keras DepthwiseConv2D)",
  examples: (rng) => [
    {
      config: {
        kernelSize: [3, 3],
        strides: [1, 1],
        dilationRate: [1, 1],
        padding: "same",
        depthMultiplier: 1,
        activation: "linear",
      },
      inputs: [[4 + rng.int(3), 5, 3]],
    },
    {
      config: {
        kernelSize: [3, 2],
        strides: [2, 1],
        dilationRate: [1, 1],
        padding: "valid",
        depthMultiplier: 2,
        activation: "relu6",
        useBias: false,
      },
      inputs: [[7, 4, 2]],
    },
  ],
  layer: {
    config: depthwiseConfig,
    inputs: { min: 1, max: 1 },
    outputShape(config, inputs) {
      const g = geom(config, inputs);
      return [g.Ho, g.Wo, g.C * config.depthMultiplier];
    },
    weights(config, [shape]) {
      const C = dims2d(shape)[2];
      const M = config.depthMultiplier;
      return [
        { name: "kernel", shape: [config.kernelSize[0], config.kernelSize[1], C, M], trainable: true },
        ...(hasBias(config) ? [{ name: "bias", shape: [C * M], trainable: true }] : []),
      ];
    },
    initialize(config, inputs, rng): LayerTensors {
      const g = geom(config, inputs);
      const taps = g.kernel[0] * g.kernel[1];
      const M = config.depthMultiplier;
      const init =
        config.kernelInitializer === undefined
          ? getActivation(config.activation).init
          : config.kernelInitializer === "he_uniform"
            ? "he"
            : "glorot";
      // Keras' fans for a depthwise kernel: taps · 1 in, taps · M out per channel
      const limit = init === "he" ? Math.sqrt(6 / taps) : Math.sqrt(6 / (taps + taps * M));
      const kernel = Float32Array.from({ length: taps * g.C * M }, () => rng.uniform(-limit, limit));
      return hasBias(config) ? { kernel, bias: new Float32Array(g.C * M) } : { kernel };
    },
    cost(config, inputs) {
      const g = geom(config, inputs);
      const CM = g.C * config.depthMultiplier;
      const taps = g.kernel[0] * g.kernel[1];
      const params = taps * CM + (hasBias(config) ? CM : 0);
      const integer = taps * CM + CM * 12;
      return {
        params,
        macs: tapCount(g) * CM,
        bytes: { float32: 4 * (taps * CM + CM), int8: integer, int16: integer },
      };
    },
    activation: (config) =>
      config.activation === "linear" ? undefined : { name: config.activation, alpha: config.alpha },
    l2: (config) => (config.l2 ? { weight: "kernel", factor: config.l2 } : undefined),
    keras: {
      DepthwiseConv2D(config, refuse) {
        onlyKnown(
          config,
          [
            "kernel_size",
            "strides",
            "padding",
            "depth_multiplier",
            "data_format",
            "dilation_rate",
            "activation",
            "use_bias",
            "depthwise_initializer",
            "bias_initializer",
            "depthwise_regularizer",
            "bias_regularizer",
            "activity_regularizer",
            "depthwise_constraint",
            "bias_constraint",
            "groups",
          ],
          refuse,
        );
        for (const f of [
          "bias_regularizer",
          "activity_regularizer",
          "depthwise_constraint",
          "bias_constraint",
        ])
          atDefault(config, f, [], refuse);
        atDefault(config, "data_format", ["channels_last"], refuse);
        atDefault(config, "groups", [1], refuse);
        const padding = config.padding ?? "valid";
        if (padding !== "valid" && padding !== "same") refuse("padding", '"valid" or "same"');
        const strides = kerasInts(config, "strides", 2, 1, refuse);
        const dilation = kerasInts(config, "dilation_rate", 2, 1, refuse);
        checkStridesDilation(strides, dilation, refuse);
        const M = config.depth_multiplier ?? 1;
        if (!Number.isInteger(M) || (M as number) < 1) refuse("depth_multiplier", "a positive integer");
        const out: DepthwiseConfig = {
          kernelSize: kerasInts(config, "kernel_size", 2, undefined, refuse) as [number, number],
          strides: strides as [number, number],
          dilationRate: dilation as [number, number],
          padding: padding as "valid" | "same",
          depthMultiplier: M as number,
          activation: kerasActivation(config.activation, refuse),
        };
        Object.assign(out, kerasKernelOptions(config, refuse, "depthwise"));
        return out;
      },
    },
  },
  train: {
    step: (args) => new DepthwiseStep(geom(args.config, args.inputs), args.config.depthMultiplier, args),
  },
  lower: { mode: "op" },
  op: {
    inPlace: false,
    fuses: (hint) => hint.kind === "linear" || hint.kind === "clamp" || hint.kind === "leaky",
    foldAffine(op, scale, shift) {
      const CM = op.outputShape[2];
      const kernel = Float64Array.from(op.weights.kernel, (w, j) => w * scale[j % CM]);
      const bias = Float64Array.from(
        { length: CM },
        (_, o) => (op.weights.bias?.[o] ?? 0) * scale[o] + shift[o],
      );
      return { ...op, weights: { kernel, bias } };
    },
    runFloat32: (op, [x], y) => runDepthwiseFloat32(op, x, y),
    emitFloat: (op, ctx) =>
      emitDepthwiseFloat(op, geom(op.config, op.inputShapes), op.config.depthMultiplier, ctx),
    quant: {
      schema: depthwiseQSchema,
      quantize: (op, ctx) =>
        quantizeDepthwise(op, geom(op.config, op.inputShapes), op.config.depthMultiplier, ctx),
      check: checkDepthwise,
      runInteger: runDepthwise,
      emit: emitDepthwise,
      macs: (op) => {
        const [H, W, C] = op.input;
        return tapCount(geometry(H, W, C, op)) * C * op.depthMultiplier;
      },
      describe: (op) =>
        `${op.kernel.join("x")} x${op.depthMultiplier} ${op.padding}${op.activation === "linear" ? "" : ` ${op.activation}`}`,
    },
  },
});
