/**
 * Conv2D (Keras' `Conv2D`): filters sliding over a [H, W, C] input, channels last, with strides,
 * dilation and "valid" or "same" padding (TensorFlow's rule), an optional bias and a fused activation.
 * The shared machinery of the convolutions is in ./conv.ts; the window's geometry in ./geometry.ts.
 */
import { z } from "zod";
import { convFields, defineConvolution, dims2d } from "./conv.js";
import { checkStridesDilation, convCommonFromKeras, kerasInts } from "./keras.js";

const pair = z.tuple([z.number().int().positive(), z.number().int().positive()]);

export const conv2dConfig = z.strictObject({
  ...convFields,
  kernelSize: pair,
  strides: pair,
  dilationRate: pair,
});

export type Conv2DConfig = z.infer<typeof conv2dConfig>;

export const conv2d = defineConvolution<Conv2DConfig>({
  kind: "conv2d",
  summary: "2-D convolution over [height, width, channels] (Keras Conv2D)",
  config: conv2dConfig,
  window: (c) => ({ kernel: c.kernelSize, strides: c.strides, dilation: c.dilationRate, padding: c.padding }),
  dims: dims2d,
  outputShape: (Ho, Wo, F) => [Ho, Wo, F],
  kernelShape: (c, C) => [c.kernelSize[0], c.kernelSize[1], C, c.filters],
  keras: {
    Conv2D(config, refuse) {
      const common = convCommonFromKeras(config, refuse);
      const strides = kerasInts(config, "strides", 2, 1, refuse);
      const dilation = kerasInts(config, "dilation_rate", 2, 1, refuse);
      checkStridesDilation(strides, dilation, refuse);
      return {
        ...common,
        kernelSize: kerasInts(config, "kernel_size", 2, undefined, refuse) as [number, number],
        strides: strides as [number, number],
        dilationRate: dilation as [number, number],
      };
    },
  },
  examples: (rng) => [
    {
      config: {
        filters: 3,
        kernelSize: [3, 3],
        strides: [1, 1],
        dilationRate: [1, 1],
        padding: "same",
        activation: "linear",
      },
      inputs: [[4 + rng.int(3), 5, 2]],
    },
    {
      config: {
        filters: 4,
        kernelSize: [2, 3],
        strides: [2, 2],
        dilationRate: [1, 1],
        padding: "same",
        activation: "relu",
      },
      inputs: [[5, 6, 3]],
    },
    {
      config: {
        filters: 2,
        kernelSize: [3, 2],
        strides: [1, 1],
        dilationRate: [2, 1],
        padding: "valid",
        activation: "relu6",
        useBias: false,
      },
      inputs: [[7, 4, 1 + rng.int(3)]],
    },
  ],
});
