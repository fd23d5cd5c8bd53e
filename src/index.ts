/**
 * nn2c's public API: everything a program can import from "nn2c". Stages are plain functions over
 * serialisable data; the trainer has a Keras-like `Sequential` and functional `Model`.
 */

export { type BenchResult, benchModel } from "./bench/bench.js";
// export, verify, bench
export { type ExportSummary, renderModel, writeOutputs } from "./codegen/export.js";
export {
  type Activation as ActivationDefinition,
  activationNames,
  getActivation,
  registerActivation,
  unregisterActivation,
} from "./core/activations.js";
export type { Exportable } from "./core/exportable.js";
export type { Matrix } from "./core/matrix.js";
export { computeStandardization, type Dataset, loadDataset, standardize, type Task } from "./data/dataset.js";
export { JobError, UsageError } from "./errors.js";
// window features of sensor streams
export { featureExtractor } from "./features/compute.js";
export {
  checkModelInputs,
  type FeatureDefinition,
  loadFeatures,
  resolveFeatures,
} from "./features/definition.js";
export { classifyStream, type WindowPrediction } from "./features/stream.js";
export { type RawSamples, readRawSamples, windowFeatures } from "./features/windows.js";
// quantize and the integer reference
export { foreignFormat, importModel, openModel } from "./import/index.js";
export { inspectModel, type ModelInfo } from "./model/inspect.js";
export {
  layerRecords,
  loadModel,
  lowerModel,
  parseModel,
  saveModel,
  serializeModel,
  toModel,
} from "./model/io.js";
export {
  Activation,
  Add,
  AveragePooling1D,
  AveragePooling2D,
  BatchNormalization,
  Conv1D,
  Conv2D,
  Dense,
  DepthwiseConv2D,
  Dropout,
  Flatten,
  GlobalAveragePooling1D,
  GlobalAveragePooling2D,
  GlobalMaxPooling1D,
  GlobalMaxPooling2D,
  Input,
  type Layer,
  LeakyReLU,
  MaxPooling1D,
  MaxPooling2D,
  ReLU,
  ReLU6,
  Reshape,
  SeparableConv2D,
  type SymbolicTensor,
  ZeroPadding1D,
  ZeroPadding2D,
} from "./model/layers.js";
export { type CompileOptions, type FitOptions, type History, Model } from "./model/model.js";
export { type TrainOptions, type TrainResult, trainFromCsv } from "./model/pipeline.js";
export { evaluateModel, predictModel } from "./model/predict.js";
export { MODEL_FORMAT, MODEL_VERSION, type ModelFile } from "./model/schema.js";
export { Sequential } from "./model/sequential.js";
export { compareWithFloat, evaluateQModel, type Fidelity } from "./quant/evaluate.js";
export { inspectQModel, type QModelInfo } from "./quant/inspect.js";
export { type AnyModel, loadAnyModel, loadQModel, parseQModel, serializeQModel } from "./quant/io.js";
export { type QuantizeOptions, quantizeModel } from "./quant/quantize.js";
export { type Precision, QMODEL_FORMAT, QMODEL_VERSION, type QModel } from "./quant/schema.js";
export { predictFloat32, runFloat32 } from "./reference/float32.js";
export { type IntegerPrediction, predictInteger } from "./reference/integer.js";
export {
  type Callback,
  EarlyStopping,
  type EarlyStoppingOptions,
  LambdaCallback,
} from "./train/callbacks.js";
export { LOSS_NAMES } from "./train/losses.js";
export { METRIC_NAMES } from "./train/metrics.js";
export { OPTIMIZER_NAMES, type OptimizerSpec } from "./train/optimizers.js";
export { type VerifyOptions, type VerifyResult, verifyModel } from "./verify/verify.js";
export { VERSION } from "./version.js";
