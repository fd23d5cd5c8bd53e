/**
 * Training callbacks, as in Keras: hooks called by `fit` at the start and end of training and of each
 * epoch. Setting `model.stopTraining = true` ends training after the current epoch.
 */
export type Logs = Record<string, number>;

/** What callbacks see of the model being trained. */
export interface CallbackModel {
  getWeights(): Float32Array[];
  setWeights(weights: ArrayLike<number>[]): void;
  /** set to end training after the current epoch */
  stopTraining: boolean;
}

export interface Callback {
  onTrainBegin?(model: CallbackModel): void;
  onEpochEnd?(epoch: number, logs: Logs, model: CallbackModel): void;
  onTrainEnd?(model: CallbackModel, logs: Logs): void;
}

export interface EarlyStoppingOptions {
  /** the log entry to watch; default val_loss (falls back to loss without validation data) */
  monitor?: string;
  /** epochs without improvement before stopping */
  patience?: number;
  /** smallest decrease that counts as an improvement */
  minDelta?: number;
  /** put back the weights of the best epoch when training ends */
  restoreBestWeights?: boolean;
}

/** Stops when the monitored loss has not improved for `patience` epochs; can restore the best weights. */
export class EarlyStopping implements Callback {
  readonly monitor: string;
  readonly patience: number;
  readonly minDelta: number;
  readonly restoreBestWeights: boolean;
  best = Number.POSITIVE_INFINITY;
  bestEpoch = -1;
  stoppedEpoch = -1;
  private wait = 0;
  private bestWeights: Float32Array[] | null = null;

  constructor(options: EarlyStoppingOptions = {}) {
    this.monitor = options.monitor ?? "val_loss";
    this.patience = options.patience ?? 10;
    this.minDelta = options.minDelta ?? 0;
    this.restoreBestWeights = options.restoreBestWeights ?? true;
  }

  onTrainBegin(): void {
    this.best = Number.POSITIVE_INFINITY;
    this.bestEpoch = -1;
    this.stoppedEpoch = -1;
    this.wait = 0;
    this.bestWeights = null;
  }

  onEpochEnd(epoch: number, logs: Logs, model: CallbackModel): void {
    const value = logs[this.monitor] ?? (this.monitor === "val_loss" ? logs.loss : undefined);
    if (value === undefined) return;
    if (value < this.best - this.minDelta) {
      this.best = value;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restoreBestWeights) this.bestWeights = model.getWeights().map((w) => w.slice());
    } else if (++this.wait >= this.patience) {
      this.stoppedEpoch = epoch;
      model.stopTraining = true;
    }
  }

  onTrainEnd(model: CallbackModel): void {
    if (this.restoreBestWeights && this.bestWeights) model.setWeights(this.bestWeights);
  }
}

/** Calls a function at the end of every epoch (for progress bars and logging). */
export class LambdaCallback implements Callback {
  constructor(private readonly hooks: Callback) {}
  onTrainBegin(model: CallbackModel): void {
    this.hooks.onTrainBegin?.(model);
  }
  onEpochEnd(epoch: number, logs: Logs, model: CallbackModel): void {
    this.hooks.onEpochEnd?.(epoch, logs, model);
  }
  onTrainEnd(model: CallbackModel, logs: Logs): void {
    this.hooks.onTrainEnd?.(model, logs);
  }
}
