/**
 * `Model`: a graph of layers with a Keras-like API (compile, fit, evaluate, predict, summary), built from
 * the functional API (`new Model({ inputs: Input(...), outputs: ... })`) or, by `Sequential`, from a
 * stack of layers.
 *
 * The model holds its layers and their float32 weights and state; the training state (gradients,
 * optimizer moments, batch buffers) lives in `fit` and is dropped when it returns.
 */

import { type Matrix, type MatrixLike, toMatrix, toRows } from "../core/matrix.js";
import { kerasShape, type Shape, sizeOf } from "../core/shape.js";
import { UsageError } from "../errors.js";
import { buildGraph, type LayerGraph } from "../graph/graph.js";
import { checkParameters } from "../limits.js";
import { getOp, type LayerNode, type LayerTensors } from "../ops/registry.js";
import { Rng } from "../rng.js";
import type { Callback, Logs } from "../train/callbacks.js";
import { type Compiled, type FitModel, type FitOptions, fitNetwork, type History } from "../train/fit.js";
import { getLoss, type Loss } from "../train/losses.js";
import { getMetric } from "../train/metrics.js";
import { createOptimizer, type OptimizerSpec } from "../train/optimizers.js";
import { clip } from "../values.js";
import { type Layer, SymbolicTensor } from "./layers.js";
import { Network } from "./network.js";

export interface CompileOptions {
  optimizer: string | OptimizerSpec;
  loss: string;
  metrics?: string[];
}

export type Targets = MatrixLike | ArrayLike<number>;
export type { Callback, FitOptions, History };

const EVAL_BATCH = 256;

/** A model's layers as a graph definition: its input tensor, its layers in order, its output layer. */
export interface GraphDefinition {
  input: { name: string; shape: Shape };
  nodes: LayerNode[];
  output: string;
}

export class Model implements FitModel {
  protected definition: GraphDefinition | null = null;
  protected graph: LayerGraph | null = null;
  /** weights and state of each layer (by name), once built */
  protected readonly tensors = new Map<string, LayerTensors>();
  /** the layer objects, in the graph's order */
  protected layerObjects: Layer[] = [];
  private compiled: Compiled | null = null;
  /** set by a callback to end training after the current epoch */
  stopTraining = false;

  /** A functional model from its input to its output: `new Model({ inputs: x, outputs: y })`. */
  constructor(args?: {
    inputs: SymbolicTensor | SymbolicTensor[];
    outputs: SymbolicTensor | SymbolicTensor[];
  }) {
    if (!args) return;
    const inputs = Array.isArray(args.inputs) ? args.inputs : [args.inputs];
    const outputs = Array.isArray(args.outputs) ? args.outputs : [args.outputs];
    if (inputs.length !== 1 || outputs.length !== 1)
      throw new UsageError(
        `Model: ${inputs.length} inputs and ${outputs.length} outputs: nn2c models have one of each`,
      );
    const [input] = inputs;
    const [output] = outputs;
    if (!(input instanceof SymbolicTensor) || input.source !== null)
      throw new UsageError("Model: inputs must be the tensor of Input()");
    if (!(output instanceof SymbolicTensor) || output.source === null)
      throw new UsageError("Model: outputs must be the tensor of a layer's apply()");
    // the layers from the input to the output, each after those it reads (depth first from the output)
    const order: { layer: Layer; inputs: SymbolicTensor[]; tensor: SymbolicTensor }[] = [];
    const seen = new Set<SymbolicTensor>();
    const visit = (t: SymbolicTensor) => {
      if (seen.has(t)) return;
      seen.add(t);
      if (t.source === null) {
        if (t !== input) throw new UsageError(`Model: the output depends on an Input other than the model's`);
        return;
      }
      for (const i of t.source.inputs) visit(i);
      order.push({ layer: t.source.layer, inputs: t.source.inputs, tensor: t });
    };
    visit(output);
    const names = nameLayers(order.map((o) => o.layer));
    const nameOf = new Map<SymbolicTensor, string>([[input, input.name ?? "input"]]);
    order.forEach((o, k) => {
      nameOf.set(o.tensor, names[k]);
    });
    this.setDefinition(
      {
        input: { name: input.name ?? "input", shape: input.shape },
        nodes: order.map((o, k) => ({
          name: names[k],
          kind: o.layer.kind,
          inputs: o.inputs.map((i) => nameOf.get(i)!),
          config: o.layer.config,
        })),
        output: names[names.length - 1],
      },
      order.map((o) => o.layer),
    );
  }

  /** Sets the graph (checked: names, inputs, shapes, sizes) and its layer objects. */
  protected setDefinition(definition: GraphDefinition, layers: Layer[]): void {
    this.graph = buildGraph(definition.input, definition.nodes, definition.output, "the model");
    this.definition = definition;
    this.layerObjects = layers;
    let params = 0;
    for (const node of this.graph.nodes) {
      const shapes = node.inputs.map((i) => this.graph!.shapes.get(i)!);
      for (const w of getOp(node.kind).layer.weights(node.config, shapes)) params += sizeOf(w.shape);
    }
    checkParameters(params, "the model");
  }

  get layers(): Layer[] {
    return this.layerObjects;
  }

  get built(): boolean {
    return this.graph !== null && this.tensors.size === this.graph.nodes.length;
  }

  /** The graph definition (input, layers, output); throws before the model has one. */
  get definitionOf(): GraphDefinition {
    if (!this.definition) throw new UsageError("the model has no layers yet: build it first");
    return this.definition;
  }

  get inputShape(): Shape {
    return this.definitionOf.input.shape;
  }

  get outputShape(): Shape {
    return this.requireGraph().shapes.get(this.definitionOf.output)!;
  }

  /** Values per input row (the CSV's feature columns). */
  get inputSize(): number {
    return this.definition ? sizeOf(this.definition.input.shape) : 0;
  }

  get outputSize(): number {
    return this.graph ? sizeOf(this.outputShape) : 0;
  }

  /** Creates the weights and state: each kind's initialisation from one generator seeded with `seed`. */
  initialize(seed = 0): this {
    const g = this.requireGraph();
    const rng = new Rng(seed);
    this.tensors.clear();
    for (const node of g.nodes) {
      const shapes = node.inputs.map((i) => g.shapes.get(i)!);
      this.tensors.set(node.name, getOp(node.kind).layer.initialize(node.config, shapes, rng));
    }
    return this;
  }

  /** Builds the model: creates its weights from `seed` (a functional model has its shapes already). */
  build(seed = 0): this {
    return this.initialize(seed);
  }

  compile(options: CompileOptions): this {
    const loss = getLoss(options.loss);
    this.compiled = {
      optimizer: createOptimizer(options.optimizer),
      loss,
      metrics: (options.metrics ?? []).map(getMetric),
    };
    return this;
  }

  get compileState(): Compiled | null {
    return this.compiled;
  }

  /** Builds the model for rows of `cols` values when it is not built yet (Sequential overrides). */
  protected ensureBuilt(_cols: number, seed: number): void {
    if (!this.built) this.build(seed);
  }

  /** Trains the model; returns the loss and metrics per epoch. */
  fit(x: MatrixLike, y: Targets, options: FitOptions = {}): History {
    const compiled = this.requireCompiled("fit");
    let X = toMatrix(x, "x");
    this.ensureBuilt(X.cols, options.seed ?? 0);
    this.checkInput(X);
    let T = this.toTargets(y, X.rows, compiled.loss);
    let validation: { X: Matrix; T: Matrix } | null = null;
    if (options.validationData) {
      const [vx, vy] = options.validationData;
      const VX = toMatrix(vx, "validation x");
      this.checkInput(VX);
      validation = { X: VX, T: this.toTargets(vy, VX.rows, compiled.loss) };
    } else if (options.validationSplit) {
      const f = options.validationSplit;
      if (!(f > 0 && f < 1))
        throw new UsageError(`validationSplit ${f}: expected a fraction between 0 and 1`);
      const keep = X.rows - Math.round(X.rows * f);
      if (keep < 1 || keep === X.rows)
        throw new UsageError(`validationSplit ${f} leaves no rows on one side`);
      validation = { X: sliceRows(X, keep, X.rows), T: sliceRows(T, keep, T.rows) };
      X = sliceRows(X, 0, keep);
      T = sliceRows(T, 0, keep);
    }
    return fitNetwork(this, compiled, X, T, validation, options);
  }

  /** Loss and metrics over the given data. */
  evaluate(x: MatrixLike, y: Targets): Logs {
    const compiled = this.requireCompiled("evaluate");
    const X = toMatrix(x, "x");
    this.checkInput(X);
    return this.evaluateMatrices(X, this.toTargets(y, X.rows, compiled.loss));
  }

  /** @internal evaluation on prepared matrices, in batches, allocation bounded by the batch. */
  evaluateMatrices(X: Matrix, T: Matrix): Logs {
    const { loss, metrics } = this.requireCompiled("evaluate");
    const net = this.network(Math.min(EVAL_BATCH, X.rows));
    const width = net.outputSize;
    const lossStart = net.lossStart(loss.fusedWith);
    let lossSum = 0;
    const sums = metrics.map(() => 0);
    for (let r0 = 0; r0 < X.rows; r0 += net.capacity) {
      const N = Math.min(net.capacity, X.rows - r0);
      net.acts[0].set(X.data.subarray(r0 * X.cols, (r0 + N) * X.cols));
      net.forward(N);
      const target = T.data.subarray(r0 * T.cols, (r0 + N) * T.cols);
      const input = { z: net.acts[lossStart], y: net.output, target, N, width };
      lossSum += loss.value(input) * N;
      metrics.forEach((m, j) => {
        sums[j] += m.sum({ y: net.output, target, sparse: loss.sparse, N, width });
      });
    }
    const logs: Logs = { loss: lossSum / X.rows + net.penalty() };
    metrics.forEach((m, j) => {
      logs[m.name] = m.finalize(sums[j] / X.rows);
    });
    return logs;
  }

  /** Outputs for each row: probabilities for classifiers, values for regression. */
  predict(x: MatrixLike): number[][] {
    return toRows(this.predictMatrix(toMatrix(x, "x")));
  }

  predictMatrix(X: Matrix): Matrix {
    this.checkInput(X);
    const net = this.network(Math.min(EVAL_BATCH, X.rows));
    const out = new Float32Array(X.rows * net.outputSize);
    for (let r0 = 0; r0 < X.rows; r0 += net.capacity) {
      const N = Math.min(net.capacity, X.rows - r0);
      net.acts[0].set(X.data.subarray(r0 * X.cols, (r0 + N) * X.cols));
      net.forward(N);
      out.set(net.output.subarray(0, N * net.outputSize), r0 * net.outputSize);
    }
    return { rows: X.rows, cols: net.outputSize, data: out };
  }

  /** A table of layers, output shapes and parameter counts, as Keras' summary() prints it. */
  summary(): string {
    const g = this.requireGraph();
    const rows: string[][] = [["Layer (type)", "Output Shape", "Param #", "Connected to"]];
    let trainable = 0;
    let fixed = 0;
    const single = g.nodes.every(
      (n, k) => n.inputs.length === 1 && n.inputs[0] === (k === 0 ? g.input.name : g.nodes[k - 1].name),
    );
    for (const node of g.nodes) {
      const kind = getOp(node.kind);
      const shapes = node.inputs.map((i) => g.shapes.get(i)!);
      let params = 0;
      for (const w of kind.layer.weights(node.config, shapes)) {
        params += sizeOf(w.shape);
        if (w.trainable) trainable += sizeOf(w.shape);
        else fixed += sizeOf(w.shape);
      }
      const act = (node.config as { activation?: unknown }).activation;
      rows.push([
        `${clip(node.name, 30)} (${kind.kind}${typeof act === "string" && act !== "linear" ? `, ${act}` : ""})`,
        kerasShape(g.shapes.get(node.name)!),
        String(params),
        node.inputs.map((i) => clip(i, 30)).join(", "),
      ]);
    }
    const shown = single ? rows.map((r) => r.slice(0, 3)) : rows;
    const w = shown[0].map((_, c) => Math.max(...shown.map((r) => r[c].length)));
    const line = (r: string[]) =>
      r
        .map((cell, c) => cell.padEnd(w[c]))
        .join("  ")
        .trimEnd();
    const rule = "-".repeat(line(shown[0]).length);
    return [
      `input: ${kerasShape(g.input.shape)}`,
      line(shown[0]),
      rule,
      ...shown.slice(1).map(line),
      rule,
      `Total params: ${trainable + fixed}` +
        (fixed ? ` (trainable ${trainable}, non-trainable ${fixed})` : ""),
    ].join("\n");
  }

  /** Weights and state in layer order, each layer's as Keras lists them (Dense: kernel [out][in], bias). */
  getWeights(): Float32Array[] {
    const g = this.requireGraph();
    if (!this.built) return [];
    return g.nodes.flatMap((node) => {
      const shapes = node.inputs.map((i) => g.shapes.get(i)!);
      const t = this.tensors.get(node.name)!;
      return getOp(node.kind)
        .layer.weights(node.config, shapes)
        .map((w) => t[w.name]);
    });
  }

  setWeights(weights: ArrayLike<number>[]): void {
    const own = this.getWeights();
    if (weights.length !== own.length) {
      throw new UsageError(`setWeights: ${weights.length} arrays, expected ${own.length}`);
    }
    own.forEach((w, j) => {
      if (weights[j].length !== w.length) {
        throw new UsageError(`setWeights: array ${j} has ${weights[j].length} values, expected ${w.length}`);
      }
      w.set(weights[j]);
    });
  }

  /** @internal the weights and state of one layer (the model's own arrays). */
  layerTensors(name: string): LayerTensors {
    const t = this.tensors.get(name);
    if (!t) throw new UsageError(`no layer '${clip(name, 40)}' in the model, or the model is not built`);
    return t;
  }

  /** @internal a network over this model's weights with buffers for `capacity` rows. */
  network(capacity: number, optimizerSlots = 0, seed = 0): Network {
    if (!this.built) throw new UsageError("the model is not built: call build() or fit first");
    return new Network(this.requireGraph(), this.tensors, capacity, optimizerSlots, seed);
  }

  protected requireGraph(): LayerGraph {
    if (!this.graph) throw new UsageError("the model has no layers yet: build it first");
    return this.graph;
  }

  private requireCompiled(what: string): Compiled {
    if (!this.compiled) throw new UsageError(`${what}: compile the model first`);
    return this.compiled;
  }

  protected checkInput(X: Matrix): void {
    if (this.definition && X.cols !== this.inputSize) {
      throw new UsageError(`input has ${X.cols} features per row, the model expects ${this.inputSize}`);
    }
    for (let k = 0; k < X.data.length; k++) {
      if (!Number.isFinite(X.data[k])) {
        throw new UsageError(
          `input row ${Math.floor(k / X.cols)}, column ${k % X.cols}: not a finite number`,
        );
      }
    }
  }

  /** Targets as a matrix: class indices (one column) for sparse losses, else [rows][outputs]. */
  private toTargets(y: Targets, rows: number, loss: Loss): Matrix {
    const width = this.outputSize;
    const first = (y as ArrayLike<unknown>)[0];
    const flat = typeof first === "number";
    const T = flat
      ? { rows: (y as ArrayLike<number>).length, cols: 1, data: Float32Array.from(y as ArrayLike<number>) }
      : toMatrix(y as MatrixLike, "y");
    if (T.rows !== rows) throw new UsageError(`y has ${T.rows} rows, x has ${rows}`);
    const expected = loss.sparse ? 1 : width;
    if (T.cols !== expected) {
      throw new UsageError(`y has ${T.cols} columns, ${loss.name} with ${width} outputs expects ${expected}`);
    }
    for (let k = 0; k < T.data.length; k++) {
      const v = T.data[k];
      if (!Number.isFinite(v)) throw new UsageError(`y row ${Math.floor(k / T.cols)}: not a finite number`);
      if (loss.sparse && !(Number.isInteger(v) && v >= 0 && v < width)) {
        throw new UsageError(`y row ${k}: class index ${v}, expected an integer in [0, ${width})`);
      }
    }
    return T;
  }
}

/** Names for layers, as Keras gives them: a layer's own name, else its kind numbered (dense, dense_1, ...). */
export function nameLayers(layers: Layer[]): string[] {
  const taken = new Set(layers.flatMap((l) => (l.name === undefined ? [] : [l.name])));
  const counts = new Map<string, number>();
  return layers.map((l) => {
    if (l.name !== undefined) return l.name;
    let name: string;
    do {
      const k = counts.get(l.kind) ?? 0;
      counts.set(l.kind, k + 1);
      name = k === 0 ? l.kind : `${l.kind}_${k}`;
    } while (taken.has(name));
    taken.add(name);
    return name;
  });
}

function sliceRows(m: Matrix, from: number, to: number): Matrix {
  return { rows: to - from, cols: m.cols, data: m.data.slice(from * m.cols, to * m.cols) };
}
