/** An activation as a step of a training network: y = act(z), and dz from dy on the way back. */
import { type Activation, type ActivationOptions, getActivation } from "../../core/activations.js";
import type { TrainStep } from "../registry.js";

export class ActivationStep implements TrainStep {
  readonly act: Activation;

  constructor(
    /** values per row; softmax normalises over the last dimension (`width` = channels) */
    readonly size: number,
    readonly width: number,
    name: string,
    readonly options: ActivationOptions,
  ) {
    this.act = getActivation(name);
  }

  forward(x: Float32Array[], y: Float32Array, N: number): void {
    this.act.forward(x[0], y, N * this.size, this.width, this.options);
  }

  backward(
    x: Float32Array[],
    y: Float32Array,
    dy: Float32Array,
    dx: (Float32Array | null)[],
    N: number,
  ): void {
    if (dx[0]) this.act.backward(x[0], y, dy, dx[0], N * this.size, this.width, this.options);
  }
}
