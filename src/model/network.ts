/**
 * A model's layers unrolled into steps (dense, activation) with every buffer for up to `capacity` rows in
 * one arena, so that forward and backward passes allocate nothing. The network works on its own copy of
 * the model's parameters: `commit` writes them back.
 */
import { Arena, type Kernels } from "./kernels/index.js";
import { ActivationOp } from "./layers/activation.js";
import { DenseOp, type DenseParams } from "./layers/dense.js";
import { activationOptions, type LayerSpec } from "./layers/index.js";

export type Step = DenseOp | ActivationOp;

export class Network {
  readonly steps: Step[] = [];
  /** acts[0] is the input; acts[k + 1] the output of step k; [capacity][width] each */
  readonly acts: Float32Array[];
  /** grads[k] is dL/d acts[k] */
  readonly grads: Float32Array[];
  readonly widths: number[];
  /** per trainable array, `slotCount` optimizer state arrays of the same length */
  readonly slots: Float32Array[][];
  readonly kernels: Kernels;

  constructor(
    layers: LayerSpec[],
    private readonly modelParams: DenseParams[],
    readonly inputSize: number,
    readonly capacity: number,
    slotCount = 0,
  ) {
    // Plan: the widths after every step, then every buffer's length, then one arena for all of them.
    const plan: (
      | { kind: "dense"; I: number; O: number; l2: number }
      | { kind: "act"; spec: LayerSpec; width: number }
    )[] = [];
    let width = inputSize;
    this.widths = [width];
    for (const layer of layers) {
      if (layer.kind === "dense") {
        plan.push({ kind: "dense", I: width, O: layer.units, l2: layer.l2 ?? 0 });
        width = layer.units;
        this.widths.push(width);
      }
      if (layer.activation !== "linear") {
        plan.push({ kind: "act", spec: layer, width });
        this.widths.push(width);
      }
    }
    const lengths: number[] = [];
    for (const w of this.widths) lengths.push(capacity * w, capacity * w);
    for (const p of plan) {
      if (p.kind !== "dense") continue;
      lengths.push(...DenseOp.lengths(p.I, p.O));
      for (let s = 0; s < slotCount; s++) lengths.push(p.I * p.O, p.O);
    }
    const arena = new Arena(lengths);
    this.kernels = arena.kernels;
    const take = (() => {
      let k = 0;
      return () => arena.arrays[k++];
    })();
    this.acts = [];
    this.grads = [];
    for (const _ of this.widths) {
      this.acts.push(take());
      this.grads.push(take());
    }
    this.slots = [];
    let d = 0;
    for (const p of plan) {
      if (p.kind === "act") {
        this.steps.push(new ActivationOp(p.width, p.spec.activation, activationOptions(p.spec)));
        continue;
      }
      const W = take();
      const b = take();
      W.set(modelParams[d].W);
      b.set(modelParams[d].b);
      d++;
      this.steps.push(
        new DenseOp(p.I, p.O, { params: { W, b }, dW: take(), db: take() }, p.l2, this.kernels),
      );
      const wSlots: Float32Array[] = [];
      const bSlots: Float32Array[] = [];
      for (let s = 0; s < slotCount; s++) {
        wSlots.push(take());
        bSlots.push(take());
      }
      this.slots.push(wSlots, bSlots);
    }
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
      this.steps[k].backward(
        this.acts[k],
        this.acts[k + 1],
        this.grads[k + 1],
        k > 0 ? this.grads[k] : null,
        N,
      );
    }
  }

  /** Copies the network's parameters back into the model's arrays. */
  commit(): void {
    const own = this.params();
    let k = 0;
    for (const p of this.modelParams) {
      p.W.set(own[k++]);
      p.b.set(own[k++]);
    }
  }

  penalty(): number {
    let s = 0;
    for (const step of this.steps) s += step.penalty();
    return s;
  }

  private paramList: Float32Array[] | null = null;
  private gradList: Float32Array[] | null = null;

  /** The trainable arrays, in layer order (the same array every call: no allocation per step). */
  params(): Float32Array[] {
    this.paramList ??= this.steps.flatMap((s) => s.trainable);
    return this.paramList;
  }

  paramGrads(): Float32Array[] {
    this.gradList ??= this.steps.flatMap((s) => s.gradients);
    return this.gradList;
  }
}
