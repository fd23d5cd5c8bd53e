/**
 * An activation as a step of the network: y = act(z), and dz from dy on the way back.
 */
import { type Activation, type ActivationOptions, getActivation } from "../activations.js";

export class ActivationOp {
  readonly act: Activation;

  constructor(
    readonly width: number,
    readonly name: string,
    readonly options: ActivationOptions,
  ) {
    this.act = getActivation(name);
  }

  forward(Z: Float32Array, Y: Float32Array, N: number): void {
    this.act.forward(Z, Y, N * this.width, this.width, this.options);
  }

  backward(Z: Float32Array, Y: Float32Array, dY: Float32Array, dZ: Float32Array | null, N: number): void {
    if (dZ) this.act.backward(Z, Y, dY, dZ, N * this.width, this.width, this.options);
  }

  readonly trainable: Float32Array[] = [];
  readonly gradients: Float32Array[] = [];

  penalty(): number {
    return 0;
  }
}
