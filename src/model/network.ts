/**
 * A model's layer graph unrolled into training steps, with every buffer for up to `capacity` rows in one
 * arena, so that forward and backward passes allocate nothing. A layer with an activation of its own
 * (Dense's `activation`) is two steps, the layer then its activation, with the tensor between them named
 * preactivationName(layer). The network works on its own copy of the model's weights and state:
 * `commit` writes them back.
 *
 * Tensors are numbered: 0 is the input, k + 1 the output of step k. Steps run in the graph's order
 * (each after the steps it reads from) and backward in reverse; a tensor read by several steps gets the
 * sum of their gradients.
 */
import type { Shape } from "../core/shape.js";
import { sizeOf } from "../core/shape.js";
import { expandGraph } from "../graph/expand.js";
import type { LayerGraph } from "../graph/graph.js";
import { preactivationName } from "../graph/lower.js";
import { getOp, type LayerTensors, type TrainStep } from "../ops/registry.js";
import { Rng } from "../rng.js";
import type { TrainingNetwork } from "../train/fit.js";
import { Arena, type Kernels } from "../train/kernels/index.js";

export interface NetworkStep {
  /** the layer it belongs to */
  layer: string;
  /** the kind whose step it is ("activation" for a layer's own activation) */
  kind: string;
  /** the activation of an activation step (the loss may fuse with it) */
  activation?: string;
  /** tensor indices it reads */
  inputs: number[];
  /** tensor index it writes */
  output: number;
  step: TrainStep;
}

export class Network implements TrainingNetwork {
  readonly steps: NetworkStep[] = [];
  /** names and shapes of the tensors: 0 the input, k + 1 the output of step k */
  readonly names: string[] = [];
  readonly shapes: Shape[] = [];
  /** values per row of each tensor */
  readonly sizes: number[] = [];
  /** acts[t]: tensor t for `capacity` rows ([capacity][size]) */
  readonly acts: Float32Array[] = [];
  /** grads[t] is dL/d acts[t] */
  readonly grads: Float32Array[] = [];
  /** per trainable array, `slotCount` optimizer state arrays of the same length */
  readonly slots: Float32Array[][] = [];
  readonly kernels: Kernels;
  /** the steps reading each tensor */
  private readonly readers: number[][] = [];
  /** a buffer where a step writes the gradient of an input that other steps also read */
  private readonly partial: (Float32Array | null)[] = [];
  /** each layer's weights and state in the arena, and the model's own arrays they copy */
  private readonly copies: { own: Float32Array; model: Float32Array }[] = [];
  private readonly trainable: Float32Array[] = [];
  private readonly gradients: Float32Array[] = [];
  private readonly penalties: (() => number)[] = [];

  constructor(
    layers: LayerGraph,
    layerTensors: Map<string, LayerTensors>,
    readonly capacity: number,
    slotCount = 0,
    seed = 0,
  ) {
    // composite layers train as their parts, on the layer's own weight arrays
    const expanded = expandGraph(layers, (name) => layerTensors.get(name) ?? {});
    const graph = expanded.graph;
    const tensors = { get: expanded.tensors };
    // Plan: the tensors and steps, then every buffer's length, then one arena for all of them.
    const index = new Map<string, number>();
    const addTensor = (name: string, shape: Shape) => {
      index.set(name, this.names.length);
      this.names.push(name);
      this.shapes.push(shape);
      this.sizes.push(sizeOf(shape));
      this.readers.push([]);
    };
    addTensor(graph.input.name, graph.input.shape);
    interface Planned {
      node: LayerGraph["nodes"][number];
      kind: string;
      activation?: { name: string; alpha?: number };
      inputs: number[];
      inShapes: Shape[];
      outShape: Shape;
      scratch: number[];
    }
    const planned: Planned[] = [];
    for (const node of graph.nodes) {
      const kind = getOp(node.kind);
      const inShapes = node.inputs.map((i) => graph.shapes.get(i)!);
      const outShape = graph.shapes.get(node.name)!;
      const own = kind.layer.activation?.(node.config);
      const inputs = node.inputs.map((i) => index.get(i)!);
      addTensor(own ? preactivationName(node.name) : node.name, outShape);
      planned.push({
        node,
        kind: node.kind,
        inputs,
        inShapes,
        outShape,
        scratch: kind.train.scratch?.(node.config, inShapes, outShape, capacity) ?? [],
      });
      if (own) {
        addTensor(node.name, outShape);
        planned.push({
          node,
          kind: "activation",
          activation: own,
          inputs: [this.names.length - 2],
          inShapes: [outShape],
          outShape,
          scratch: [],
        });
      }
    }
    planned.forEach((p, k) => {
      for (const i of p.inputs) this.readers[i].push(k);
    });
    const lengths: number[] = [];
    for (const size of this.sizes) lengths.push(capacity * size, capacity * size);
    this.sizes.forEach((size, t) => {
      if (this.readers[t].length > 1) lengths.push(capacity * size);
    });
    const weightsOf = (p: Planned) =>
      p.kind === "activation" && p.activation ? [] : getOp(p.kind).layer.weights(p.node.config, p.inShapes);
    for (const p of planned) {
      lengths.push(...p.scratch);
      for (const w of weightsOf(p)) {
        const n = sizeOf(w.shape);
        lengths.push(n);
        if (w.trainable) {
          lengths.push(n);
          for (let s = 0; s < slotCount; s++) lengths.push(n);
        }
      }
    }
    const arena = new Arena(lengths);
    this.kernels = arena.kernels;
    let next = 0;
    const take = () => arena.arrays[next++];
    for (const _ of this.sizes) {
      this.acts.push(take());
      this.grads.push(take());
    }
    this.sizes.forEach((_, t) => {
      this.partial.push(this.readers[t].length > 1 ? take() : null);
    });
    const rng = new Rng((seed ^ 0xd409) >>> 0);
    for (const p of planned) {
      const scratch = p.scratch.map(() => take());
      const own: LayerTensors = {};
      const grads: LayerTensors = {};
      const model = tensors.get(p.node.name) ?? {};
      for (const w of weightsOf(p)) {
        own[w.name] = take();
        own[w.name].set(model[w.name]);
        this.copies.push({ own: own[w.name], model: model[w.name] });
        if (w.trainable) {
          grads[w.name] = take();
          this.trainable.push(own[w.name]);
          this.gradients.push(grads[w.name]);
          const slots: Float32Array[] = [];
          for (let s = 0; s < slotCount; s++) slots.push(take());
          this.slots.push(slots);
        }
      }
      const config = p.activation
        ? { activation: p.activation.name, alpha: p.activation.alpha }
        : p.node.config;
      const step = getOp(p.kind).train.step({
        config,
        inputs: p.inShapes,
        output: p.outShape,
        tensors: own,
        grads,
        scratch,
        kernels: this.kernels,
        rng,
      });
      const penalty = (step as { penalty?: () => number }).penalty;
      if (penalty) this.penalties.push(() => penalty.call(step));
      this.steps.push({
        layer: p.node.name,
        kind: p.kind,
        activation: p.kind === "activation" ? (config as { activation: string }).activation : undefined,
        inputs: p.inputs,
        output: this.steps.length + 1,
        step,
      });
    }
  }

  get inputSize(): number {
    return this.sizes[0];
  }

  get outputSize(): number {
    return this.sizes[this.sizes.length - 1];
  }

  get input(): Float32Array {
    return this.acts[0];
  }

  get output(): Float32Array {
    return this.acts[this.acts.length - 1];
  }

  /** The tensor the loss reads: the output, or the input of the last step when the loss is fused with its activation. */
  lossStart(fusedWith: string | undefined): number {
    const last = this.steps[this.steps.length - 1];
    return fusedWith !== undefined && last.activation === fusedWith ? last.inputs[0] : this.acts.length - 1;
  }

  /** Runs N <= capacity rows already copied into acts[0]; `training`: batch statistics, dropout. */
  forward(N: number, training = false): void {
    this.forwardFrom(0, N, training);
  }

  /** Runs the steps from step k on (the tensors before it as they are). */
  forwardFrom(k: number, N: number, training = false): void {
    for (let j = k; j < this.steps.length; j++) {
      const s = this.steps[j];
      s.step.forward(
        s.inputs.map((i) => this.acts[i]),
        this.acts[s.output],
        N,
        training,
      );
    }
  }

  /**
   * Back-propagates from grads[from] (the gradient wrt acts[from]) through the step that wrote it and
   * every step before; the input's gradient is written only when `inputGradient` is set.
   */
  backward(N: number, from: number, inputGradient = false): void {
    // tensors several steps read collect their gradient: zero them first
    for (let t = 0; t < from; t++) if (this.partial[t]) this.grads[t].fill(0, 0, N * this.sizes[t]);
    for (let k = from - 1; k >= 0; k--) {
      const s = this.steps[k];
      const dx = s.inputs.map((i) => (i === 0 && !inputGradient ? null : (this.partial[i] ?? this.grads[i])));
      s.step.backward(
        s.inputs.map((i) => this.acts[i]),
        this.acts[s.output],
        this.grads[s.output],
        dx,
        N,
      );
      s.inputs.forEach((i, j) => {
        const part = dx[j];
        if (part && part === this.partial[i]) {
          const g = this.grads[i];
          for (let v = 0; v < N * this.sizes[i]; v++) g[v] += part[v];
        }
      });
    }
  }

  /** Copies the network's weights and state back into the model's arrays. */
  commit(): void {
    for (const { own, model } of this.copies) model.set(own);
  }

  penalty(): number {
    let s = 0;
    for (const p of this.penalties) s += p();
    return s;
  }

  /** The trainable arrays, in layer order (the same array every call: no allocation per step). */
  params(): Float32Array[] {
    return this.trainable;
  }

  paramGrads(): Float32Array[] {
    return this.gradients;
  }
}
