/**
 * Training from a CSV file with the defaults a user expects (as Edge Impulse chooses them): relu hidden
 * layers; softmax + crossentropy for several classes, one sigmoid + binary crossentropy for two, linear +
 * mse for regression. Produces a model file with standardisation, class names, settings and metrics.
 */

import { getActivation } from "../core/activations.js";
import type { Matrix } from "../core/matrix.js";
import { formatShape, type Shape, sizeOf } from "../core/shape.js";
import {
  computeStandardization,
  type Dataset,
  loadDataset,
  splitIndices,
  standardize,
  subset,
  type Task,
} from "../data/dataset.js";
import { UsageError } from "../errors.js";
import { getOp } from "../ops/registry.js";
import { type Callback, EarlyStopping, type Logs } from "../train/callbacks.js";
import { type OptimizerSpec, resolveOptimizer } from "../train/optimizers.js";
import { VERSION } from "../version.js";
import { layerRecords } from "./io.js";
import { readKerasArchitecture } from "./keras.js";
import { Dense, type Layer, makeLayer } from "./layers.js";
import { datasetSchema } from "./predict.js";
import { isPreset, presetLayers } from "./presets.js";
import { MODEL_FORMAT, MODEL_VERSION, type ModelFile } from "./schema.js";
import { Sequential } from "./sequential.js";

export interface TrainOptions {
  data: string;
  label?: string;
  task?: Task;
  /** hidden layer widths */
  layers?: number[];
  /** a Keras architecture file (Sequential `model.to_json()`) or a preset (conv1d, conv2d), instead of layers, activation, alpha, l2 */
  architecture?: string;
  /** the shape of one example, channels last (each CSV row holds it flattened) */
  inputShape?: number[];
  /** hidden activation */
  activation?: string;
  /** leaky_relu slope */
  alpha?: number;
  epochs?: number;
  batchSize?: number;
  optimizer?: "adam" | "sgd";
  lr?: number;
  momentum?: number;
  seed?: number;
  validationSplit?: number;
  l2?: number;
  /** early stopping on validation loss with best-weights restore */
  patience?: number;
  test?: string;
  /** called after every epoch (progress display) */
  onEpoch?: (epoch: number, epochs: number, logs: Logs) => void;
}

export type SplitMetrics = { loss: number; accuracy: number } | { loss: number; rmse: number };

export interface TrainResult {
  model: ModelFile;
  trainSeconds: number;
  samplesPerSecond: number;
  trainSamples: number;
  epochsRun: number;
  train: SplitMetrics;
  validation: SplitMetrics | null;
  test: SplitMetrics | null;
  history: Record<string, number[]>;
  summary: string;
}

export const DEFAULT_LAYERS = [32, 16];

interface Head {
  units: number;
  activation: string;
  loss: string;
  metric: "accuracy" | "rmse";
}

/** The output layer and loss for a task. */
export function defaultHead(ds: Dataset): Head {
  if (ds.task === "regression") return { units: 1, activation: "linear", loss: "mse", metric: "rmse" };
  if (ds.classes.length === 2)
    return { units: 1, activation: "sigmoid", loss: "binary_crossentropy", metric: "accuracy" };
  return {
    units: ds.classes.length,
    activation: "softmax",
    loss: "sparse_categorical_crossentropy",
    metric: "accuracy",
  };
}

function positiveInt(v: number, what: string): number {
  if (!(Number.isInteger(v) && v > 0)) throw new UsageError(`${what} ${v}: expected a positive integer`);
  return v;
}

interface Settings {
  epochs: number;
  batchSize: number;
  seed: number;
  validationSplit: number;
  optimizer: OptimizerSpec;
}

/** The training settings with their defaults, each checked. */
function settingsOf(options: TrainOptions): Settings {
  const epochs = positiveInt(options.epochs ?? 50, "--epochs");
  const batchSize = positiveInt(options.batchSize ?? 32, "--batch-size");
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0)
    throw new UsageError(`--seed ${seed}: expected a non-negative integer`);
  const validationSplit = options.validationSplit ?? 0.2;
  if (!(validationSplit >= 0 && validationSplit < 1)) {
    throw new UsageError(`--validation-split ${validationSplit}: expected a fraction in [0, 1)`);
  }
  const optimizer = resolveOptimizer(
    options.optimizer === "sgd"
      ? { name: "sgd", lr: options.lr, momentum: options.momentum ?? 0.9 }
      : ({ name: options.optimizer ?? "adam", lr: options.lr } as OptimizerSpec),
  );
  return { epochs, batchSize, seed, validationSplit, optimizer };
}

interface Splits {
  all: Dataset;
  train: Dataset;
  validation: Dataset | null;
  test: Dataset | null;
}

/** The data file split into training and validation rows (every class in training), and the test file. */
function splitsOf(options: TrainOptions, settings: Settings): Splits {
  const { seed, validationSplit, batchSize } = settings;
  const all = loadDataset(options.data, { label: options.label, task: options.task });
  const split = validationSplit > 0 ? splitIndices(all, validationSplit, seed) : { keep: [], held: [] };
  const train = validationSplit > 0 ? subset(all, split.keep) : all;
  const validation = validationSplit > 0 && split.held.length > 0 ? subset(all, split.held) : null;
  if (train.rows < batchSize) {
    throw new UsageError(
      `${options.data}: ${train.rows} training rows, fewer than the batch size ${batchSize}: lower --batch-size`,
    );
  }
  if (all.task === "classification") {
    const present = new Set(train.labels);
    const missing = all.classes.filter((_, k) => !present.has(k));
    if (missing.length) {
      throw new UsageError(
        `${options.data}: class '${missing[0]}' has no training rows after the validation split`,
      );
    }
  }
  const test = options.test ? loadDataset(options.test, { schema: datasetSchema(provisional(all)) }) : null;
  return { all, train, validation, test };
}

/** The default network: hidden Dense layers of the given widths, then the task's output layer. */
function defaultLayers(options: TrainOptions, all: Dataset): { layers: Layer[]; head: Head } {
  const hidden = (options.layers ?? DEFAULT_LAYERS).map((u) => positiveInt(u, "--layers width"));
  const activation = options.activation ?? "relu";
  if (!getActivation(activation).elementwise) {
    throw new UsageError(`--activation ${activation}: hidden layers need an elementwise activation`);
  }
  const head = defaultHead(all);
  const layers: Layer[] = hidden.map((units, k) =>
    Dense({
      units,
      activation,
      alpha: options.alpha,
      l2: options.l2,
      inputShape: k === 0 ? [all.cols] : undefined,
    }),
  );
  layers.push(
    Dense({
      units: head.units,
      activation: head.activation,
      inputShape: hidden.length ? undefined : [all.cols],
    }),
  );
  return { layers, head };
}

/**
 * The network of a Keras architecture file, and the loss its output calls for: its input must hold the
 * data's feature columns, and its output must be what the task needs (softmax over the classes, one
 * sigmoid for two classes, one linear value for a regression).
 */
function architectureLayers(
  options: TrainOptions,
  all: Dataset,
): { layers: Layer[]; head: Head; inputShape: Shape } {
  const arch = options.architecture!;
  const data = options.data;
  let layers: Layer[];
  let declared: Shape | undefined;
  const preset = isPreset(arch);
  if (preset) layers = presetLayers(arch, options.inputShape);
  else {
    const read = readKerasArchitecture(arch);
    if (read.graph)
      throw new UsageError(
        `${arch}: a Functional model whose layers branch: training reads chains of layers from architecture files (build a graph with Input, apply and Model in TypeScript, or import a trained model with nn2c import)`,
      );
    ({ inputShape: declared, layers } = read);
  }
  const inputShape = options.inputShape ?? declared;
  const where = options.inputShape ? "--input-shape" : arch;
  if (!inputShape)
    throw new UsageError(
      `${arch}: no input shape: expected an InputLayer or a batch_input_shape on the first layer, or --input-shape`,
    );
  if (sizeOf(inputShape) !== all.cols) {
    throw new UsageError(
      `${where}: the input shape ${formatShape(inputShape)} holds ${sizeOf(inputShape)} values: ${data} has ${all.cols} feature columns`,
    );
  }
  if (preset) {
    const head = defaultHead(all);
    layers.push(makeLayer("dense", { units: head.units, activation: head.activation }, { name: "dense" }));
    return { layers: withInput(layers, inputShape), head, inputShape };
  }
  const output = new Sequential(layers).define(inputShape).outputShape;
  const last = layers[layers.length - 1];
  const own = getOp(last.kind).layer.activation?.(last.config);
  const act =
    last.kind === "activation" ? (last.config as { activation: string }).activation : (own?.name ?? "linear");
  const width = output.length === 1 ? output[0] : -1;
  const place = `${arch}: the last layer${last.name ? ` '${last.name}'` : ""} gives ${formatShape(output)} with ${act}`;
  const done = (head: Head) => ({ layers: withInput(layers, inputShape), head, inputShape });
  if (all.task === "regression") {
    if (width !== 1 || act !== "linear")
      throw new UsageError(`${place}: ${data} is a regression: expected 1 unit with linear`);
    return done(defaultHead(all));
  }
  const K = all.classes.length;
  if (K === 2 && width === 1 && act === "sigmoid") return done(defaultHead(all));
  if (width === K && act === "softmax")
    return done({
      units: K,
      activation: "softmax",
      loss: "sparse_categorical_crossentropy",
      metric: "accuracy",
    });
  throw new UsageError(
    `${place}: ${data} has ${K} classes: expected ${K} units with softmax${K === 2 ? " (or 1 with sigmoid)" : ""}`,
  );
}

/** The layers with the input shape on the first (a Sequential builds from it). */
function withInput(layers: Layer[], shape: Shape): Layer[] {
  const [first, ...rest] = layers;
  return [makeLayer(first.kind, first.config, { name: first.name, inputShape: [...shape] }), ...rest];
}

export function trainFromCsv(options: TrainOptions): TrainResult {
  const settings = settingsOf(options);
  if (options.architecture !== undefined) {
    const given = (["layers", "activation", "alpha", "l2"] as const).filter((k) => options[k] !== undefined);
    if (given.length)
      throw new UsageError(`--${given[0]} with --architecture: the architecture file defines the layers`);
  } else if (options.inputShape !== undefined && options.inputShape.length > 1) {
    throw new UsageError(
      `--input-shape ${options.inputShape.join(",")}: the default layers are Dense on the flat features: give --architecture too`,
    );
  }
  const splits = splitsOf(options, settings);
  const { all, train: trainSet, validation: valSet, test: testSet } = splits;
  const norm = computeStandardization(trainSet.x, trainSet.rows, trainSet.cols);
  const target = all.task === "regression" ? targetScaling(trainSet) : null;
  const { layers, head } =
    options.architecture === undefined ? defaultLayers(options, all) : architectureLayers(options, all);
  const seq = new Sequential(layers);
  seq.compile({
    optimizer: settings.optimizer,
    loss: head.loss,
    metrics: [head.metric === "rmse" ? "rmse" : "accuracy"],
  });

  const prepare = (ds: Dataset): [Matrix, Float32Array | Int32Array] => [
    { rows: ds.rows, cols: ds.cols, data: standardize(ds.x, ds.cols, norm) },
    target ? ds.targets.map((t) => (t - target.mean) / target.std) : ds.labels,
  ];
  const callbacks: Callback[] = [];
  const stopper = options.patience
    ? new EarlyStopping({ patience: options.patience, restoreBestWeights: true })
    : null;
  if (stopper) callbacks.push(stopper);
  if (options.onEpoch) {
    const onEpoch = options.onEpoch;
    callbacks.push({ onEpochEnd: (epoch, logs) => onEpoch(epoch, settings.epochs, logs) });
  }
  const [xTrain, yTrain] = prepare(trainSet);
  const t0 = performance.now();
  const hist = seq.fit(xTrain, yTrain, {
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    seed: settings.seed,
    shuffle: true,
    validationData: valSet ? prepare(valSet) : undefined,
    callbacks,
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  const epochsRun = hist.epoch.length;

  // Metrics in the label's own units: losses as trained, rmse scaled back from standardised targets.
  const splitMetrics = (ds: Dataset | null): SplitMetrics | null => {
    if (!ds) return null;
    const logs = seq.evaluate(...prepare(ds));
    return target
      ? { loss: logs.loss, rmse: logs.rmse * target.std }
      : { loss: logs.loss, accuracy: logs.accuracy };
  };
  const train = splitMetrics(trainSet)!;
  const validation = splitMetrics(valSet);
  const test = splitMetrics(testSet);
  const history = { ...hist.history };
  if (target) {
    for (const key of ["rmse", "val_rmse"])
      if (history[key]) history[key] = history[key].map((v) => v * target.std);
  }

  const model = modelFileOf(seq, splits.all, norm, target, {
    head,
    settings,
    epochsRun,
    stopper,
    history,
    metrics: { train, validation, test },
  });
  return {
    model,
    trainSeconds,
    samplesPerSecond: (trainSet.rows * epochsRun) / trainSeconds,
    trainSamples: trainSet.rows,
    epochsRun,
    train,
    validation,
    test,
    history,
    summary: seq.summary(),
  };
}

/** The model file of a trained network: its graph and weights, the data's columns and scaling, the run. */
function modelFileOf(
  seq: Sequential,
  all: Dataset,
  norm: { mean: number[]; std: number[] },
  target: { mean: number; std: number } | null,
  run: {
    head: Head;
    settings: Settings;
    epochsRun: number;
    stopper: EarlyStopping | null;
    history: Record<string, number[]>;
    metrics: { train: SplitMetrics; validation: SplitMetrics | null; test: SplitMetrics | null };
  },
): ModelFile {
  const { settings, stopper, metrics } = run;
  return {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    generator: `nn2c ${VERSION}`,
    task: all.task,
    inputs: {
      names: all.featureNames,
      mean: norm.mean,
      std: norm.std,
      ...(seq.inputShape.length > 1 ? { shape: [...seq.inputShape] } : {}),
    },
    output: {
      label: all.labelName,
      classes: all.task === "classification" ? all.classes : undefined,
      mean: target?.mean,
      std: target?.std,
    },
    layers: layerRecords(seq),
    outputs: [seq.definitionOf.output],
    training: {
      loss: run.head.loss,
      optimizer: { ...settings.optimizer },
      epochs: settings.epochs,
      epochsRun: run.epochsRun,
      batchSize: settings.batchSize,
      validationSplit: settings.validationSplit,
      seed: settings.seed,
      earlyStopping: stopper ? { patience: stopper.patience, bestEpoch: stopper.bestEpoch + 1 } : undefined,
      history: Object.fromEntries(Object.entries(run.history).map(([k, v]) => [k, v.map(round6)])),
      metrics: {
        train: roundMetrics(metrics.train),
        validation: metrics.validation ? roundMetrics(metrics.validation) : undefined,
        test: metrics.test ? roundMetrics(metrics.test) : undefined,
      },
    },
  };
}

/** A model-shaped schema before training, to load a --test file against the training columns and classes. */
function provisional(ds: Dataset): ModelFile {
  return {
    inputs: { names: ds.featureNames },
    output: { label: ds.labelName, classes: ds.classes },
    task: ds.task,
  } as ModelFile;
}

function targetScaling(ds: Dataset): { mean: number; std: number } {
  const s = computeStandardization(ds.targets, ds.rows, 1);
  return { mean: s.mean[0], std: s.std[0] };
}

function round6(v: number): number {
  return Number(v.toPrecision(6));
}

function roundMetrics(m: SplitMetrics): Record<string, number> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, round6(v)]));
}
