/**
 * The pooling layers (Keras' MaxPooling1D/2D, AveragePooling1D/2D, GlobalAveragePooling1D/2D,
 * GlobalMaxPooling1D/2D), each a kind of ./pool.ts: a window over [H, W, C] (1-D: [steps, C], a height of
 * 1); the global ones pool the whole input into [C].
 */
import { z } from "zod";
import { dims1d, dims2d } from "../conv2d/conv.js";
import { kerasInts } from "../conv2d/keras.js";
import { atDefault, onlyKnown, type Refuse } from "../keras.js";
import type { KerasConfig } from "../registry.js";
import { definePooling, type PoolMode } from "./pool.js";

const positive = z.number().int().positive();
const pair = z.tuple([positive, positive]);

export const pooling2dConfig = z.strictObject({
  poolSize: pair,
  strides: pair,
  padding: z.enum(["valid", "same"]),
});
export const pooling1dConfig = z.strictObject({
  poolSize: positive,
  strides: positive,
  padding: z.enum(["valid", "same"]),
});
export const globalPoolingConfig = z.strictObject({});

type Pooling2D = z.infer<typeof pooling2dConfig>;
type Pooling1D = z.infer<typeof pooling1dConfig>;

function poolFromKeras(config: KerasConfig, refuse: Refuse, rank: 1 | 2) {
  onlyKnown(config, ["pool_size", "strides", "padding", "data_format"], refuse);
  atDefault(config, "data_format", ["channels_last"], refuse);
  const padding = config.padding ?? "valid";
  if (padding !== "valid" && padding !== "same") refuse("padding", '"valid" or "same"');
  const poolSize = kerasInts(config, "pool_size", rank, 2, refuse);
  // Keras: strides default to the pool size
  const strides =
    config.strides === null || config.strides === undefined
      ? poolSize
      : kerasInts(config, "strides", rank, undefined, refuse);
  return { poolSize, strides, padding: padding as "valid" | "same" };
}

function globalFromKeras(config: KerasConfig, refuse: Refuse) {
  onlyKnown(config, ["data_format", "keepdims"], refuse);
  atDefault(config, "data_format", ["channels_last"], refuse);
  atDefault(config, "keepdims", [false], refuse);
  return {};
}

const className = (mode: PoolMode) => (mode === "max" ? "Max" : "Average");

for (const mode of ["max", "avg"] as const) {
  const word = mode === "max" ? "max" : "average";
  definePooling<Pooling2D>({
    kind: `${word}_pooling2d`,
    summary: `${word} over windows of [height, width, channels] (Keras ${className(mode)}Pooling2D)`,
    mode,
    config: pooling2dConfig,
    dims: dims2d,
    window: (c) => ({ kernel: c.poolSize, strides: c.strides, dilation: [1, 1], padding: c.padding }),
    outputShape: (Ho, Wo, C) => [Ho, Wo, C],
    keras: {
      [`${className(mode)}Pooling2D`]: (config, refuse) => {
        const { poolSize, strides, padding } = poolFromKeras(config, refuse, 2);
        return { poolSize: poolSize as [number, number], strides: strides as [number, number], padding };
      },
    },
    examples: (rng) => [
      { config: { poolSize: [2, 2], strides: [2, 2], padding: "valid" }, inputs: [[4 + rng.int(3), 6, 3]] },
      { config: { poolSize: [3, 2], strides: [2, 1], padding: "same" }, inputs: [[5, 5, 2]] },
    ],
  });
  definePooling<Pooling1D>({
    kind: `${word}_pooling1d`,
    summary: `${word} over windows of [steps, channels] (Keras ${className(mode)}Pooling1D)`,
    mode,
    config: pooling1dConfig,
    dims: dims1d,
    window: (c) => ({
      kernel: [1, c.poolSize],
      strides: [1, c.strides],
      dilation: [1, 1],
      padding: c.padding,
    }),
    outputShape: (_Ho, Wo, C) => [Wo, C],
    keras: {
      [`${className(mode)}Pooling1D`]: (config, refuse) => {
        const { poolSize, strides, padding } = poolFromKeras(config, refuse, 1);
        return { poolSize: poolSize[0], strides: strides[0], padding };
      },
    },
    examples: (rng) => [
      { config: { poolSize: 3, strides: 2, padding: "same" }, inputs: [[9 + rng.int(4), 2]] },
    ],
  });
  for (const rank of [1, 2] as const) {
    const dims = rank === 2 ? dims2d : dims1d;
    definePooling<Record<string, never>>({
      kind: `global_${word}_pooling${rank}d`,
      summary: `${word} over the whole input, one value per channel (Keras Global${className(mode)}Pooling${rank}D)`,
      mode,
      config: globalPoolingConfig as unknown as z.ZodType<Record<string, never>>,
      dims,
      window: (_c, [H, W]) => ({ kernel: [H, W], strides: [1, 1], dilation: [1, 1], padding: "valid" }),
      outputShape: (_Ho, _Wo, C) => [C],
      keras: {
        [`Global${className(mode)}Pooling${rank}D`]: (config, refuse) => globalFromKeras(config, refuse),
      },
      examples: (rng) => [
        { config: {}, inputs: [rank === 2 ? [3, 2 + rng.int(3), 4] : [5 + rng.int(4), 3]] },
      ],
    });
  }
}
