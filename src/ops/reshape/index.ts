/**
 * Flatten and Reshape (Keras' `Flatten`, `Reshape`): the same values, read under another shape. Tensors
 * are row-major and channels last, so no value moves: at lowering both vanish, and the ops after them
 * read their input's buffer.
 */
import { z } from "zod";
import { formatShape, type Shape, ShapeError, sizeOf } from "../../core/shape.js";
import { atDefault, onlyKnown } from "../keras.js";
import { defineOp, type TrainStep } from "../registry.js";

const NO_COST = { params: 0, macs: 0, bytes: { float32: 0, int8: 0, int16: 0 } };

/** y = x and dx = dy, value for value (the network gives each tensor a buffer of its own). */
class CopyStep implements TrainStep {
  constructor(private readonly size: number) {}

  forward(x: Float32Array[], y: Float32Array, N: number): void {
    y.set(x[0].subarray(0, N * this.size));
  }

  backward(
    _x: Float32Array[],
    _y: Float32Array,
    dy: Float32Array,
    dx: (Float32Array | null)[],
    N: number,
  ): void {
    dx[0]?.set(dy.subarray(0, N * this.size));
  }
}

const copy = { step: ({ output }: { output: Shape }) => new CopyStep(sizeOf(output)) };

export const flattenConfig = z.strictObject({});

export const flatten = defineOp({
  kind: "flatten",
  summary: "the input as one dimension (Keras Flatten)",
  examples: (rng) => [{ config: {}, inputs: [[2 + rng.int(3), 3]] }],
  layer: {
    config: flattenConfig,
    inputs: { min: 1, max: 1 },
    outputShape: (_config, [shape]) => [sizeOf(shape)],
    weights: () => [],
    initialize: () => ({}),
    cost: () => NO_COST,
    keras: {
      Flatten(config, refuse) {
        onlyKnown(config, ["data_format"], refuse);
        atDefault(config, "data_format", ["channels_last"], refuse);
        return {};
      },
    },
  },
  train: copy,
  lower: { mode: "alias" },
});

export const reshapeConfig = z.strictObject({
  /** the output shape, batch excluded; one dimension may be -1 (the rest of the values) */
  targetShape: z
    .array(
      z
        .number()
        .int()
        .refine((d) => d === -1 || d > 0, "expected a positive integer or -1"),
    )
    .min(1)
    .max(4),
});

export type ReshapeConfig = z.infer<typeof reshapeConfig>;

export const reshape = defineOp({
  kind: "reshape",
  summary: "the input under another shape of as many values (Keras Reshape)",
  examples: (rng) => [{ config: { targetShape: [3, -1] }, inputs: [[3 * (1 + rng.int(4))]] }],
  layer: {
    config: reshapeConfig,
    inputs: { min: 1, max: 1 },
    outputShape(config, [shape]) {
      const n = sizeOf(shape);
      const free = config.targetShape.filter((d) => d === -1).length;
      if (free > 1) throw new ShapeError("at most one dimension of the target shape may be -1");
      const known = config.targetShape.reduce((a, d) => (d === -1 ? a : a * d), 1);
      const out = config.targetShape.map((d) => (d === -1 ? n / known : d));
      if (!out.every((d) => Number.isInteger(d) && d > 0) || sizeOf(out) !== n) {
        throw new ShapeError(
          `holds ${n} values: the target shape ${formatShape(config.targetShape)} holds ${free ? "no whole multiple of them" : sizeOf(out)}`,
        );
      }
      return out;
    },
    weights: () => [],
    initialize: () => ({}),
    cost: () => NO_COST,
    keras: {
      Reshape(config, refuse) {
        onlyKnown(config, ["target_shape"], refuse);
        const t = config.target_shape;
        if (!Array.isArray(t) || !t.every((d) => Number.isInteger(d) && (d === -1 || d > 0)))
          refuse("target_shape", "a list of positive integers (one may be -1)");
        return { targetShape: t as number[] };
      },
    },
  },
  train: copy,
  lower: { mode: "alias" },
});
