/**
 * Conv1D (Keras' `Conv1D`): filters sliding over [steps, channels], the 2-D convolution with a height of
 * 1 in every stage (../conv2d/conv.ts); its kernel is stored as Keras stores it, [k, C, F].
 */
import { z } from "zod";
import { convFields, defineConvolution, dims1d } from "../conv2d/conv.js";
import { checkStridesDilation, convCommonFromKeras, kerasInts } from "../conv2d/keras.js";

const positive = z.number().int().positive();

export const conv1dConfig = z.strictObject({
  ...convFields,
  kernelSize: positive,
  strides: positive,
  dilationRate: positive,
});

export type Conv1DConfig = z.infer<typeof conv1dConfig>;

export const conv1d = defineConvolution<Conv1DConfig>({
  kind: "conv1d",
  summary: "1-D convolution over [steps, channels] (Keras Conv1D)",
  config: conv1dConfig,
  window: (c) => ({
    kernel: [1, c.kernelSize],
    strides: [1, c.strides],
    dilation: [1, c.dilationRate],
    padding: c.padding,
  }),
  dims: dims1d,
  outputShape: (_Ho, Wo, F) => [Wo, F],
  kernelShape: (c, C) => [c.kernelSize, C, c.filters],
  keras: {
    Conv1D(config, refuse) {
      const common = convCommonFromKeras(config, refuse);
      const [strides] = kerasInts(config, "strides", 1, 1, refuse);
      const [dilation] = kerasInts(config, "dilation_rate", 1, 1, refuse);
      checkStridesDilation([strides], [dilation], refuse);
      const [kernelSize] = kerasInts(config, "kernel_size", 1, undefined, refuse);
      return { ...common, kernelSize, strides, dilationRate: dilation };
    },
  },
  examples: (rng) => [
    {
      config: {
        filters: 4,
        kernelSize: 3,
        strides: 1,
        dilationRate: 1,
        padding: "same",
        activation: "linear",
      },
      inputs: [[10 + rng.int(5), 3]],
    },
    {
      config: {
        filters: 3,
        kernelSize: 4,
        strides: 2,
        dilationRate: 1,
        padding: "valid",
        activation: "leaky_relu",
        alpha: 0.1,
      },
      inputs: [[12, 2]],
    },
  ],
});
