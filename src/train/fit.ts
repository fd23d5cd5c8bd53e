/**
 * The training loop: seeded shuffling, mini-batches through preallocated buffers, fused losses, optimizer
 * steps, per-epoch logs and callbacks. Nothing is allocated per step.
 */

import type { Matrix, MatrixLike } from "../core/matrix.js";
import { UsageError } from "../errors.js";
import { Rng } from "../rng.js";
import type { Callback, CallbackModel, Logs } from "./callbacks.js";
import type { Kernels } from "./kernels/index.js";
import type { Loss } from "./losses.js";
import type { Metric } from "./metrics.js";
import type { Optimizer } from "./optimizers.js";

/** What training needs of a network: its buffers, passes and parameters (src/model/network.ts). */
export interface TrainingNetwork {
  readonly capacity: number;
  readonly outputSize: number;
  /** acts[t]: tensor t for `capacity` rows; acts[0] is the input */
  readonly acts: Float32Array[];
  readonly grads: Float32Array[];
  readonly output: Float32Array;
  readonly slots: Float32Array[][];
  readonly kernels: Kernels;
  /** the tensor the loss reads: the output, or the logits when the loss is fused with the last activation */
  lossStart(fusedWith: string | undefined): number;
  forward(N: number, training?: boolean): void;
  backward(N: number, from: number): void;
  commit(): void;
  penalty(): number;
  params(): Float32Array[];
  paramGrads(): Float32Array[];
}

export interface Compiled {
  optimizer: Optimizer;
  loss: Loss;
  metrics: Metric[];
}

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  /** fraction of the rows, taken from the end before shuffling (as Keras), held out for validation */
  validationSplit?: number;
  validationData?: [MatrixLike, MatrixLike | ArrayLike<number>];
  shuffle?: boolean;
  /** seeds the initial weights (when the model is built by fit), the shuffling and dropout */
  seed?: number;
  callbacks?: Callback[];
}

export interface History {
  epoch: number[];
  history: Record<string, number[]>;
}

/** What fit needs of a model: a network over its weights, evaluation, and the flag callbacks set. */
export interface FitModel extends CallbackModel {
  network(capacity: number, optimizerSlots: number, seed: number): TrainingNetwork;
  evaluateMatrices(X: Matrix, T: Matrix): Logs;
}

/**
 * The order fit visits the rows in, epoch after epoch: each a seeded shuffle of the one before (the rows
 * in file order without shuffling). Exported so that a peer can train on the same batches
 * (bench/train.ts).
 */
export class EpochOrders {
  private readonly rng: Rng;
  private readonly order: Int32Array;

  constructor(rows: number, seed: number) {
    this.rng = new Rng(seed ^ 0x5eed);
    this.order = Int32Array.from({ length: rows }, (_, r) => r);
  }

  /** The next epoch's order (the same array, reshuffled). */
  next(shuffle = true): Int32Array {
    if (shuffle) this.rng.shuffle(this.order);
    return this.order;
  }
}

export function fitNetwork(
  model: FitModel,
  compiled: Compiled,
  X: Matrix,
  T: Matrix,
  validation: { X: Matrix; T: Matrix } | null,
  options: FitOptions,
): History {
  const epochs = options.epochs ?? 1;
  const batchSize = options.batchSize ?? 32;
  if (!(Number.isInteger(epochs) && epochs > 0))
    throw new UsageError(`epochs ${epochs}: expected a positive integer`);
  if (!(Number.isInteger(batchSize) && batchSize > 0)) {
    throw new UsageError(`batch size ${batchSize}: expected a positive integer`);
  }
  const { optimizer, loss, metrics } = compiled;
  const net = model.network(Math.min(batchSize, X.rows), optimizer.slots, options.seed ?? 0);
  const lossStart = net.lossStart(loss.fusedWith);
  const width = net.outputSize;
  const orders = new EpochOrders(X.rows, options.seed ?? 0);
  const target = new Float32Array(net.capacity * T.cols);
  const callbacks = options.callbacks ?? [];
  const history: History = { epoch: [], history: {} };
  const sums = new Float64Array(metrics.length);

  model.stopTraining = false;
  for (const cb of callbacks) cb.onTrainBegin?.(model);
  let logs: Logs = {};
  for (let epoch = 0; epoch < epochs && !model.stopTraining; epoch++) {
    const order = orders.next(options.shuffle ?? true);
    let lossSum = 0;
    sums.fill(0);
    for (let r0 = 0; r0 < X.rows; r0 += net.capacity) {
      const N = Math.min(net.capacity, X.rows - r0);
      gatherRows(X, order, r0, N, net.acts[0]);
      gatherRows(T, order, r0, N, target);
      net.forward(N, true);
      const input = { z: net.acts[lossStart], y: net.output, target, N, width };
      lossSum +=
        (loss.valueAndGradient ? loss.valueAndGradient(input, net.grads[lossStart]) : loss.value(input)) * N;
      for (let j = 0; j < metrics.length; j++) {
        sums[j] += metrics[j].sum({ y: net.output, target, sparse: loss.sparse, N, width });
      }
      if (!loss.valueAndGradient) loss.gradient(input, net.grads[lossStart]);
      net.backward(N, lossStart);
      optimizer.step(net);
    }
    net.commit();
    logs = { loss: lossSum / X.rows + net.penalty() };
    metrics.forEach((m, j) => {
      logs[m.name] = m.finalize(sums[j] / X.rows);
    });
    if (validation) {
      for (const [k, v] of Object.entries(model.evaluateMatrices(validation.X, validation.T)))
        logs[`val_${k}`] = v;
    }
    if (!Number.isFinite(logs.loss)) {
      throw new UsageError(
        `training diverged at epoch ${epoch + 1} (loss ${logs.loss}): lower the learning rate`,
      );
    }
    history.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) {
      history.history[k] ??= [];
      history.history[k].push(v);
    }
    for (const cb of callbacks) cb.onEpochEnd?.(epoch, logs, model);
  }
  for (const cb of callbacks) cb.onTrainEnd?.(model, logs);
  return history;
}

function gatherRows(m: Matrix, order: Int32Array, r0: number, N: number, out: Float32Array): void {
  const c = m.cols;
  for (let k = 0; k < N; k++) {
    const r = order[r0 + k];
    for (let j = 0; j < c; j++) out[k * c + j] = m.data[r * c + j];
  }
}
