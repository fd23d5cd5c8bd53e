/** EarlyStopping on scripted losses: patience, minDelta, the monitored entry, best-weights restore. */
import { describe, expect, it } from "vitest";
import type { Sequential } from "../../src/model/sequential.js";
import { EarlyStopping, LambdaCallback } from "../../src/train/callbacks.js";

/** A stand-in model whose single weight is the epoch number. */
function fakeModel() {
  const state = { weights: [Float32Array.of(0)], stopTraining: false, restored: null as number | null };
  const model = {
    get stopTraining() {
      return state.stopTraining;
    },
    set stopTraining(v: boolean) {
      state.stopTraining = v;
    },
    getWeights: () => state.weights,
    setWeights: (w: ArrayLike<number>[]) => {
      state.restored = w[0][0];
    },
  } as unknown as Sequential;
  return { model, state };
}

/** Feeds the losses to the callback one epoch at a time until it stops; returns the epochs seen. */
function run(stopper: EarlyStopping, losses: number[], key = "val_loss") {
  const { model, state } = fakeModel();
  stopper.onTrainBegin();
  let epochs = 0;
  for (let epoch = 0; epoch < losses.length && !state.stopTraining; epoch++) {
    state.weights[0][0] = epoch;
    stopper.onEpochEnd(epoch, { loss: 1, [key]: losses[epoch] }, model);
    epochs++;
  }
  stopper.onTrainEnd(model);
  return { epochs, restored: state.restored };
}

describe("EarlyStopping", () => {
  it("stops `patience` epochs after the best one and restores its weights", () => {
    const stopper = new EarlyStopping({ patience: 2 });
    const { epochs, restored } = run(stopper, [1, 0.5, 0.6, 0.7, 0.1, 0.05]);
    expect(epochs).toBe(4);
    expect(stopper.bestEpoch).toBe(1);
    expect(stopper.best).toBe(0.5);
    expect(stopper.stoppedEpoch).toBe(3);
    expect(restored).toBe(1);
  });

  it("counts an improvement smaller than minDelta as none", () => {
    const stopper = new EarlyStopping({ patience: 2, minDelta: 0.1 });
    const { epochs } = run(stopper, [1, 0.95, 0.91, 0.5]);
    expect(epochs).toBe(3);
    expect(stopper.bestEpoch).toBe(0);
  });

  it("does not stop while the loss improves, and defaults to a patience of 10", () => {
    const stopper = new EarlyStopping();
    expect(stopper.patience).toBe(10);
    const { epochs, restored } = run(stopper, [5, 4, 3, 2, 1]);
    expect(epochs).toBe(5);
    expect(stopper.stoppedEpoch).toBe(-1);
    expect(restored).toBe(4);
  });

  it("does not restore when asked not to", () => {
    const { restored } = run(new EarlyStopping({ patience: 1, restoreBestWeights: false }), [1, 2, 3]);
    expect(restored).toBeNull();
  });

  it("watches another log entry when told to", () => {
    const stopper = new EarlyStopping({ monitor: "val_rmse", patience: 1 });
    const { epochs } = run(stopper, [0.3, 0.2, 0.4, 0.1], "val_rmse");
    expect(epochs).toBe(3);
  });

  it("falls back to the training loss without validation, and starts afresh on each training", () => {
    const stopper = new EarlyStopping({ patience: 1 });
    run(stopper, [0.1, 0.2]);
    const { epochs } = run(stopper, [3, 2, 1], "unused");
    // loss is 1 every epoch: the first sets the best, the second stops
    expect(epochs).toBe(2);
    expect(stopper.best).toBe(1);
  });
});

describe("LambdaCallback", () => {
  it("forwards each hook", () => {
    const calls: string[] = [];
    const cb = new LambdaCallback({
      onTrainBegin: () => calls.push("begin"),
      onEpochEnd: (epoch) => calls.push(`epoch ${epoch}`),
      onTrainEnd: () => calls.push("end"),
    });
    const { model } = fakeModel();
    cb.onTrainBegin(model);
    cb.onEpochEnd(0, {}, model);
    cb.onTrainEnd(model, {});
    expect(calls).toEqual(["begin", "epoch 0", "end"]);
    new LambdaCallback({}).onEpochEnd(0, {}, model);
  });
});
