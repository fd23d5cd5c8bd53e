/**
 * An activation as a step of a training network: y = act(z), and dz from dy on the way back. The relu
 * family (relu, relu6, leaky_relu) runs on the arena's kernels; every other activation on its own loops.
 */
import {
  type Activation,
  type ActivationOptions,
  DEFAULT_LEAKY_ALPHA,
  getActivation,
} from "../../core/activations.js";
import type { Kernels } from "../../train/kernels/index.js";
import type { TrainStep } from "../registry.js";

export class ActivationStep implements TrainStep {
  readonly act: Activation;
  /** the relu family as a clamp to [lo, hi] or a leaky slope, else null */
  private readonly shape: { kind: "clamp"; lo: number; hi: number } | { kind: "leaky" } | null;

  constructor(
    /** values per row; softmax normalises over the last dimension (`width` = channels) */
    readonly size: number,
    readonly width: number,
    name: string,
    readonly options: ActivationOptions,
    private readonly kernels: Kernels,
  ) {
    this.act = getActivation(name);
    const hint = this.act.builtin ? this.act.quant(options) : null;
    this.shape = hint?.kind === "clamp" || hint?.kind === "leaky" ? hint : null;
  }

  forward(x: Float32Array[], y: Float32Array, N: number): void {
    const n = N * this.size;
    if (this.shape?.kind === "clamp") this.kernels.clampForward(x[0], y, n, this.shape.lo, this.shape.hi);
    else if (this.shape?.kind === "leaky") this.kernels.leakyForward(x[0], y, n, this.alpha);
    else this.act.forward(x[0], y, n, this.width, this.options);
  }

  backward(
    x: Float32Array[],
    y: Float32Array,
    dy: Float32Array,
    dx: (Float32Array | null)[],
    N: number,
  ): void {
    const d = dx[0];
    if (!d) return;
    const n = N * this.size;
    if (this.shape?.kind === "clamp")
      this.kernels.clampBackward(x[0], dy, d, n, this.shape.lo, this.shape.hi);
    else if (this.shape?.kind === "leaky") this.kernels.leakyBackward(x[0], dy, d, n, this.alpha);
    else this.act.backward(x[0], y, dy, d, n, this.width, this.options);
  }

  private get alpha(): number {
    return this.options.alpha ?? DEFAULT_LEAKY_ALPHA;
  }
}
