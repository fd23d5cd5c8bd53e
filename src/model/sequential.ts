/**
 * `Sequential`: a stack of layers with a Keras-like API (compile, fit, evaluate, predict, summary).
 *
 * The model holds its layer specifications and float32 parameters; the training state (gradients,
 * optimizer moments, batch buffers) lives in `fit` and is dropped when it returns.
 */
import { UsageError } from "../errors.js";
import { checkParameters, checkWidth } from "../limits.js";
import { Rng } from "../rng.js";
import type { Callback, Logs } from "../train/callbacks.js";
import { fitNetwork } from "../train/fit.js";
import { getLoss, type Loss } from "../train/losses.js";
import { getMetric, type Metric } from "../train/metrics.js";
import { createOptimizer, type Optimizer, type OptimizerSpec } from "../train/optimizers.js";
import { getActivation } from "./activations.js";
import { type DenseParams, initDense } from "./layers/dense.js";
import type { LayerSpec } from "./layers/index.js";
import { type Matrix, type MatrixLike, toMatrix, toRows } from "./matrix.js";
import { Network } from "./network.js";

export interface CompileOptions {
  optimizer: string | OptimizerSpec;
  loss: string;
  metrics?: string[];
}

export type Targets = MatrixLike | ArrayLike<number>;

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  /** fraction of the rows, taken from the end before shuffling (as Keras), held out for validation */
  validationSplit?: number;
  validationData?: [MatrixLike, Targets];
  shuffle?: boolean;
  /** seeds the initial weights (when the model is built by fit) and the shuffling */
  seed?: number;
  callbacks?: Callback[];
}

export interface History {
  epoch: number[];
  history: Record<string, number[]>;
}

export interface Compiled {
  optimizer: Optimizer;
  loss: Loss;
  metrics: Metric[];
}

const EVAL_BATCH = 256;

export class Sequential {
  readonly layers: LayerSpec[] = [];
  private params: DenseParams[] = [];
  private inputWidth = 0;
  private compiled: Compiled | null = null;
  /** set by a callback to end training after the current epoch */
  stopTraining = false;

  constructor(layers: LayerSpec[] = []) {
    for (const layer of layers) this.add(layer);
  }

  add(layer: LayerSpec): this {
    if (this.built) throw new UsageError("cannot add a layer to a model that is already built");
    getActivation(layer.activation);
    this.layers.push(layer);
    return this;
  }

  get built(): boolean {
    return this.inputWidth > 0;
  }

  get inputSize(): number {
    return this.inputWidth || (this.layers[0]?.kind === "dense" ? (this.layers[0].inputShape?.[0] ?? 0) : 0);
  }

  get outputSize(): number {
    for (let k = this.layers.length - 1; k >= 0; k--) {
      const l = this.layers[k];
      if (l.kind === "dense") return l.units;
    }
    return this.inputSize;
  }

  /** Creates the parameters: He or Glorot uniform kernels from `seed`, zero biases. */
  build(inputSize = this.inputSize, seed = 0): this {
    if (!(Number.isInteger(inputSize) && inputSize > 0)) {
      throw new UsageError(
        `input size ${inputSize}: expected a positive integer (give inputShape on the first layer)`,
      );
    }
    if (!this.layers.some((l) => l.kind === "dense"))
      throw new UsageError("a model needs at least one Dense layer");
    checkWidth(inputSize, "input size");
    let params = 0;
    let w = inputSize;
    for (const layer of this.layers) {
      if (layer.kind !== "dense") continue;
      params += (w + 1) * layer.units;
      w = layer.units;
    }
    checkParameters(params, "the model");
    const rng = new Rng(seed);
    let width = inputSize;
    this.params = [];
    for (const layer of this.layers) {
      if (layer.kind !== "dense") continue;
      const init =
        layer.kernelInitializer === undefined
          ? getActivation(layer.activation).init
          : layer.kernelInitializer === "he_uniform"
            ? "he"
            : "glorot";
      this.params.push(initDense(width, layer.units, init, rng, layer.biasInitializer === "uniform"));
      width = layer.units;
    }
    this.inputWidth = inputSize;
    return this;
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

  /** Trains the model; returns the loss and metrics per epoch. */
  fit(x: MatrixLike, y: Targets, options: FitOptions = {}): History {
    const compiled = this.requireCompiled("fit");
    let X = toMatrix(x, "x");
    if (!this.built) this.build(X.cols, options.seed ?? 0);
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
    const { lossStart } = this.fusion(net, loss);
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

  /** A table of layers, output widths and parameter counts, as Keras prints it. */
  summary(): string {
    const rows: string[][] = [["Layer (kind)", "Output", "Activation", "Params"]];
    let width = this.inputSize;
    let total = 0;
    this.layers.forEach((layer, k) => {
      let params = 0;
      if (layer.kind === "dense") {
        params = width * layer.units + layer.units;
        width = layer.units;
      }
      total += params;
      rows.push([`${layer.kind}_${k}`, `(None, ${width})`, layer.activation, String(params)]);
    });
    const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    const line = (r: string[]) => r.map((cell, c) => cell.padEnd(w[c])).join("  ");
    const rule = "-".repeat(line(rows[0]).length);
    return [line(rows[0]), rule, ...rows.slice(1).map(line), rule, `Total params: ${total}`].join("\n");
  }

  /** Parameter arrays in layer order: W0, b0, W1, b1, ... (W row-major [out][in]). */
  getWeights(): Float32Array[] {
    return this.params.flatMap((p) => [p.W, p.b]);
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

  /** @internal a network over this model's parameters with buffers for `capacity` rows. */
  network(capacity: number, optimizerSlots = 0): Network {
    if (!this.built) throw new UsageError("the model is not built: call build(inputSize) or fit first");
    return new Network(this.layers, this.params, this.inputWidth, capacity, optimizerSlots);
  }

  /** @internal where the loss reads its logits, and where back-propagation starts. */
  fusion(net: Network, loss: Loss): { lossStart: number; fused: boolean } {
    const last = this.layers[this.layers.length - 1];
    const top = net.acts.length - 1;
    const fused = loss.fusedWith !== undefined && last.activation === loss.fusedWith;
    return { lossStart: fused ? top - 1 : top, fused };
  }

  private requireCompiled(what: string): Compiled {
    if (!this.compiled) throw new UsageError(`${what}: compile the model first`);
    return this.compiled;
  }

  private checkInput(X: Matrix): void {
    if (this.built && X.cols !== this.inputWidth) {
      throw new UsageError(`input has ${X.cols} features per row, the model expects ${this.inputWidth}`);
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

function sliceRows(m: Matrix, from: number, to: number): Matrix {
  return { rows: to - from, cols: m.cols, data: m.data.slice(from * m.cols, to * m.cols) };
}
