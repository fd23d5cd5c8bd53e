/**
 * SeparableConv2D (Keras' `SeparableConv2D`): a depthwise convolution (kernel, strides, dilation,
 * padding, depth multiplier; no bias) then a pointwise 1x1 convolution to `filters` channels with the
 * bias and the activation. It is a composite layer: every stage runs its two parts, a depthwise_conv2d
 * and a conv2d (src/graph/expand.ts). Weights as Keras stores them: depthwise [kh, kw, C, M], pointwise
 * [1, 1, C·M, F], bias [F].
 */
import { z } from "zod";
import { ACTIVATION_NAME } from "../../core/activations.js";
import type { Shape } from "../../core/shape.js";
import { float32 } from "../../values.js";
import { dims2d } from "../conv2d/conv.js";
import { checkStridesDilation, kerasInts } from "../conv2d/keras.js";
import { atDefault, kerasActivation, kerasInitializer, kerasL2, onlyKnown } from "../keras.js";
import { defineOp, getOp, type LayerTensors, type QOpRecord } from "../registry.js";

const positive = z.number().int().positive();
const pair = z.tuple([positive, positive]);

export const separableConfig = z.strictObject({
  filters: positive,
  kernelSize: pair,
  strides: pair,
  dilationRate: pair,
  padding: z.enum(["valid", "same"]),
  depthMultiplier: positive.max(64),
  activation: z.string().regex(ACTIVATION_NAME),
  alpha: float32.optional(),
  useBias: z.boolean().optional(),
  /** L2 regularisation factor on the pointwise kernel */
  l2: z.number().nonnegative().optional(),
});

export type SeparableConfig = z.infer<typeof separableConfig>;

interface Part {
  kind: string;
  config: Record<string, unknown>;
  weights: Record<string, string>;
}

function parts(c: SeparableConfig): Part[] {
  return [
    {
      kind: "depthwise_conv2d",
      config: {
        kernelSize: c.kernelSize,
        strides: c.strides,
        dilationRate: c.dilationRate,
        padding: c.padding,
        depthMultiplier: c.depthMultiplier,
        activation: "linear",
        useBias: false,
      },
      weights: { kernel: "depthwiseKernel" },
    },
    {
      kind: "conv2d",
      config: {
        filters: c.filters,
        kernelSize: [1, 1],
        strides: [1, 1],
        dilationRate: [1, 1],
        padding: "valid",
        activation: c.activation,
        ...(c.alpha === undefined ? {} : { alpha: c.alpha }),
        ...(c.useBias === false ? { useBias: false } : {}),
        ...(c.l2 ? { l2: c.l2 } : {}),
      },
      weights: { kernel: "pointwiseKernel", bias: "bias" },
    },
  ];
}

/** Each part's input shapes and output shape, in order. */
function shapes(c: SeparableConfig, inputs: Shape[]): { part: Part; inputs: Shape[]; output: Shape }[] {
  let cur = inputs;
  return parts(c).map((part) => {
    const output = getOp(part.kind).layer.outputShape(part.config, cur);
    const r = { part, inputs: cur, output };
    cur = [output];
    return r;
  });
}

export const separableConv2d = defineOp<SeparableConfig, QOpRecord>({
  kind: "separable_conv2d",
  summary: "a depthwise convolution then a pointwise one (Keras SeparableConv2D)",
  examples: (rng) => [
    {
      config: {
        filters: 3,
        kernelSize: [3, 3],
        strides: [1, 1],
        dilationRate: [1, 1],
        padding: "same",
        depthMultiplier: 1 + rng.int(2),
        activation: "relu",
      },
      inputs: [[5, 4, 2]],
    },
  ],
  layer: {
    config: separableConfig,
    inputs: { min: 1, max: 1 },
    outputShape: (config, inputs) => {
      dims2d(inputs[0]);
      return shapes(config, inputs)[1].output;
    },
    weights(config, inputs) {
      const C = dims2d(inputs[0])[2];
      const M = config.depthMultiplier;
      return [
        {
          name: "depthwiseKernel",
          shape: [config.kernelSize[0], config.kernelSize[1], C, M],
          trainable: true,
        },
        { name: "pointwiseKernel", shape: [1, 1, C * M, config.filters], trainable: true },
        ...(config.useBias === false ? [] : [{ name: "bias", shape: [config.filters], trainable: true }]),
      ];
    },
    initialize(config, inputs, rng): LayerTensors {
      const out: LayerTensors = {};
      for (const { part, inputs: ins } of shapes(config, inputs)) {
        const t = getOp(part.kind).layer.initialize(part.config, ins, rng);
        for (const [name, own] of Object.entries(part.weights)) if (t[name]) out[own] = t[name];
      }
      return out;
    },
    cost(config, inputs) {
      const total = { params: 0, macs: 0, bytes: { float32: 0, int8: 0, int16: 0 } };
      for (const { part, inputs: ins, output } of shapes(config, inputs)) {
        const c = getOp(part.kind).layer.cost(part.config, ins, output);
        total.params += c.params;
        total.macs += c.macs;
        for (const p of ["float32", "int8", "int16"] as const) total.bytes[p] += c.bytes[p];
      }
      return total;
    },
    composite: (config) => parts(config),
    keras: {
      SeparableConv2D(config, refuse) {
        onlyKnown(
          config,
          [
            "filters",
            "kernel_size",
            "strides",
            "padding",
            "data_format",
            "dilation_rate",
            "depth_multiplier",
            "activation",
            "use_bias",
            "depthwise_initializer",
            "pointwise_initializer",
            "bias_initializer",
            "depthwise_regularizer",
            "pointwise_regularizer",
            "bias_regularizer",
            "activity_regularizer",
            "depthwise_constraint",
            "pointwise_constraint",
            "bias_constraint",
          ],
          refuse,
        );
        for (const f of [
          "depthwise_regularizer",
          "bias_regularizer",
          "activity_regularizer",
          "depthwise_constraint",
          "pointwise_constraint",
          "bias_constraint",
        ])
          atDefault(config, f, [], refuse);
        atDefault(config, "data_format", ["channels_last"], refuse);
        const filters = config.filters;
        if (!Number.isInteger(filters) || (filters as number) < 1) refuse("filters", "a positive integer");
        const padding = config.padding ?? "valid";
        if (padding !== "valid" && padding !== "same") refuse("padding", '"valid" or "same"');
        const strides = kerasInts(config, "strides", 2, 1, refuse);
        const dilation = kerasInts(config, "dilation_rate", 2, 1, refuse);
        checkStridesDilation(strides, dilation, refuse);
        const M = config.depth_multiplier ?? 1;
        if (!Number.isInteger(M) || (M as number) < 1) refuse("depth_multiplier", "a positive integer");
        for (const f of ["depthwise_initializer", "pointwise_initializer"])
          kerasInitializer(
            config,
            f,
            { GlorotUniform: "glorot_uniform", glorot_uniform: "glorot_uniform" },
            refuse,
          );
        kerasInitializer(config, "bias_initializer", { Zeros: "zeros", zeros: "zeros" }, refuse);
        const out: SeparableConfig = {
          filters: filters as number,
          kernelSize: kerasInts(config, "kernel_size", 2, undefined, refuse) as [number, number],
          strides: strides as [number, number],
          dilationRate: dilation as [number, number],
          padding: padding as "valid" | "same",
          depthMultiplier: M as number,
          activation: kerasActivation(config.activation, refuse),
        };
        if (config.use_bias === false) out.useBias = false;
        const l2 = kerasL2(config, "pointwise_regularizer", refuse);
        if (l2 !== undefined) out.l2 = l2;
        return out;
      },
    },
  },
  train: {
    step() {
      throw new Error("separable_conv2d trains as its parts (src/graph/expand.ts)");
    },
  },
  lower: { mode: "op" },
});
