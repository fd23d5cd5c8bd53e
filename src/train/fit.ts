/**
 * The training loop: seeded shuffling, mini-batches through preallocated buffers, fused losses, optimizer
 * steps, per-epoch logs and callbacks. Nothing is allocated per step.
 */
import { UsageError } from "../errors.js";
import type { Matrix } from "../model/matrix.js";
import type { Compiled, FitOptions, History, Sequential } from "../model/sequential.js";
import { Rng } from "../rng.js";
import type { Logs } from "./callbacks.js";

export function fitNetwork(
  model: Sequential,
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
  const net = model.network(Math.min(batchSize, X.rows), optimizer.slots);
  const { lossStart } = model.fusion(net, loss);
  const width = net.outputSize;
  const rng = new Rng((options.seed ?? 0) ^ 0x5eed);
  const order = new Int32Array(X.rows);
  for (let r = 0; r < X.rows; r++) order[r] = r;
  const target = new Float32Array(net.capacity * T.cols);
  const callbacks = options.callbacks ?? [];
  const history: History = { epoch: [], history: {} };
  const sums = new Float64Array(metrics.length);

  model.stopTraining = false;
  for (const cb of callbacks) cb.onTrainBegin?.(model);
  let logs: Logs = {};
  for (let epoch = 0; epoch < epochs && !model.stopTraining; epoch++) {
    if (options.shuffle ?? true) rng.shuffle(order);
    let lossSum = 0;
    sums.fill(0);
    for (let r0 = 0; r0 < X.rows; r0 += net.capacity) {
      const N = Math.min(net.capacity, X.rows - r0);
      gatherRows(X, order, r0, N, net.acts[0]);
      gatherRows(T, order, r0, N, target);
      net.forward(N);
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
