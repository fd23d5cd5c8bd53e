/**
 * A model's layers unrolled into steps (dense, activation) with buffers for up to `capacity` rows, so that
 * forward and backward passes allocate nothing.
 */
import { activationOptions, type LayerSpec } from "./layers/index.js";
import { ActivationOp } from "./layers/activation.js";
import { DenseOp, type DenseParams } from "./layers/dense.js";

export type Step = DenseOp | ActivationOp;

export class Network {
  readonly steps: Step[] = [];
  /** acts[0] is the input; acts[k + 1] the output of step k; [capacity][width] each */
  readonly acts: Float32Array[];
  /** grads[k] is dL/d acts[k] */
  readonly grads: Float32Array[];
  readonly widths: number[];

  constructor(
    layers: LayerSpec[],
    params: DenseParams[],
    readonly inputSize: number,
    readonly capacity: number,
  ) {
    let width = inputSize;
    this.widths = [width];
    let p = 0;
    for (const layer of layers) {
      if (layer.kind === "dense") {
        this.steps.push(new DenseOp(width, layer.units, params[p++], layer.l2 ?? 0));
        width = layer.units;
        this.widths.push(width);
      }
      if (layer.activation !== "linear") {
        this.steps.push(new ActivationOp(width, layer.activation, activationOptions(layer)));
        this.widths.push(width);
      }
    }
    this.acts = this.widths.map((w) => new Float32Array(capacity * w));
    this.grads = this.widths.map((w) => new Float32Array(capacity * w));
  }

  get outputSize(): number {
    return this.widths[this.widths.length - 1];
  }

  get output(): Float32Array {
    return this.acts[this.acts.length - 1];
  }

  /** Runs N <= capacity rows already copied into acts[0]. */
  forward(N: number): void {
    for (let k = 0; k < this.steps.length; k++) this.steps[k].forward(this.acts[k], this.acts[k + 1], N);
  }

  /**
   * Back-propagates from grads[from] (the gradient wrt acts[from]) down to the first layer.
   * `from` lets a fused loss start below the final activation.
   */
  backward(N: number, from: number): void {
    for (let k = from - 1; k >= 0; k--) {
      this.steps[k].backward(this.acts[k], this.acts[k + 1], this.grads[k + 1], k > 0 ? this.grads[k] : null, N);
    }
  }

  penalty(): number {
    let s = 0;
    for (const step of this.steps) s += step.penalty();
    return s;
  }

  params(): Float32Array[] {
    return this.steps.flatMap((s) => s.trainable);
  }

  paramGrads(): Float32Array[] {
    return this.steps.flatMap((s) => s.gradients);
  }
}
