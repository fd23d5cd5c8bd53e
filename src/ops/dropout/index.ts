/**
 * Dropout (Keras' `Dropout`): in training, each value is zeroed with probability `rate` and the others
 * scaled by 1 / (1 - rate) (inverted dropout, as Keras); at inference an identity, so the lowering drops
 * it and no later stage sees it.
 */
import { z } from "zod";
import { sizeOf } from "../../core/shape.js";
import type { Rng } from "../../rng.js";
import { atDefault, kerasNumber, onlyKnown } from "../keras.js";
import { defineOp, type TrainStep } from "../registry.js";

export const dropoutConfig = z.strictObject({
  /** the fraction of values zeroed in training, in [0, 1) */
  rate: z.number().min(0).lt(1),
});

export type DropoutConfig = z.infer<typeof dropoutConfig>;

const NO_COST = { params: 0, macs: 0, bytes: { float32: 0, int8: 0, int16: 0 } };

class DropoutStep implements TrainStep {
  constructor(
    private readonly size: number,
    private readonly rate: number,
    /** the scale of each value of the last training forward: 0 or 1 / (1 - rate) */
    private readonly mask: Float32Array,
    private readonly rng: Rng,
  ) {}

  forward(x: Float32Array[], y: Float32Array, N: number, training: boolean): void {
    const n = N * this.size;
    const keep = 1 / (1 - this.rate);
    for (let i = 0; i < n; i++) {
      const m = training ? (this.rng.next() < this.rate ? 0 : keep) : 1;
      this.mask[i] = m;
      y[i] = x[0][i] * m;
    }
  }

  backward(
    _x: Float32Array[],
    _y: Float32Array,
    dy: Float32Array,
    dx: (Float32Array | null)[],
    N: number,
  ): void {
    const d = dx[0];
    if (!d) return;
    for (let i = 0; i < N * this.size; i++) d[i] = dy[i] * this.mask[i];
  }
}

export const dropout = defineOp({
  kind: "dropout",
  summary: "zeroes a fraction of the values in training, an identity at inference (Keras Dropout)",
  examples: (rng) => [{ config: { rate: 0.1 + 0.5 * rng.next() }, inputs: [[4 + rng.int(12)]] }],
  layer: {
    config: dropoutConfig,
    inputs: { min: 1, max: 1 },
    outputShape: (_config, [shape]) => shape,
    weights: () => [],
    initialize: () => ({}),
    cost: () => NO_COST,
    keras: {
      Dropout(config, refuse) {
        onlyKnown(config, ["rate", "noise_shape", "seed"], refuse);
        atDefault(config, "noise_shape", [], refuse);
        atDefault(config, "seed", [], refuse);
        return {
          rate: kerasNumber(config, "rate", Number.NaN, refuse, (v) => v >= 0 && v < 1, "a number in [0, 1)"),
        };
      },
    },
  },
  train: {
    scratch: (_config, _inputs, output, capacity) => [capacity * sizeOf(output)],
    step: ({ config, output, scratch, rng }) => new DropoutStep(sizeOf(output), config.rate, scratch[0], rng),
  },
  lower: { mode: "identity" },
});
