/**
 * The op registry: everything nn2c knows about one kind of layer lives in its folder (src/ops/<kind>/)
 * behind this interface, and the generic drivers (the training network, the lowering, the quantizer,
 * the integer and float32 references, the emitter, bench's per-op costs, inspect, the file schemas)
 * loop over layers and ops and ask their kind, never testing a kind themselves.
 *
 * A kind has up to three faces:
 *   - the layer (`layer`, `train`): its config as a model file stores it, its output shape, its weights
 *     and their initialisation, its cost, its forward and backward pass for training;
 *   - its lowering (`lower`): a layer becomes an op of its own kind, vanishes (Dropout), becomes another
 *     name for its input's values (Flatten, Reshape), or folds into the op before it (BatchNormalization,
 *     and activations fused into an op's output stage);
 *   - the op (`op`): the float32 reference and C of the lowered op, and its integer program (quantization,
 *     the checks of the file by value, the integer reference and the C).
 */
import type { z } from "zod";
import type { QuantHint } from "../core/activations.js";
import type { Precision, QuantParams } from "../core/quant.js";
import type { Shape } from "../core/shape.js";
import type { QTable } from "../quant/tables.js";
import type { Rng } from "../rng.js";
import type { Kernels } from "../train/kernels/index.js";

/** A layer as a model holds it: its kind's config, the tensors it reads, the name of the one it writes. */
export interface LayerNode<C = unknown> {
  name: string;
  kind: string;
  inputs: string[];
  config: C;
}

/** Weights (trainable) and state (non-trainable, such as moving statistics) of one layer, flat float32. */
export type LayerTensors = Record<string, Float32Array>;

/** A weight or state tensor of a layer, in the order Keras' get_weights() lists them. */
export interface WeightSpec {
  name: string;
  shape: Shape;
  trainable: boolean;
}

/** Parameters, multiply-accumulates per inference and bytes of constant data per precision. */
export interface Cost {
  params: number;
  macs: number;
  /** weights, biases and requantization constants (int16: 32-bit biases, as most layers need) */
  bytes: { float32: number; int8: number; int16: number };
}

/** A Keras layer config (the `config` object of `model.to_json()`), read by a kind's converter. */
export type KerasConfig = Record<string, unknown>;

export interface LayerFacet<C> {
  /** the config in model files (and the Keras-like constructors, which validate with it) */
  config: z.ZodType<C>;
  /** how many inputs the layer takes */
  inputs: { min: number; max: number };
  /** the output shape for these input shapes; throws ShapeError saying what was expected */
  outputShape(config: C, inputs: Shape[]): Shape;
  /** weights and state with their shapes, in Keras' order (empty for layers without any) */
  weights(config: C, inputs: Shape[]): WeightSpec[];
  /** fresh weights and state, drawn from `rng` */
  initialize(config: C, inputs: Shape[], rng: Rng): LayerTensors;
  cost(config: C, inputs: Shape[], output: Shape): Cost;
  /** what is wrong with loaded weights or state (a variance below 0), or undefined */
  check?(config: C, tensors: LayerTensors): string | undefined;
  /** an activation the layer applies to its output (Dense's `activation`), as a step of its own in training */
  activation?(config: C): { name: string; alpha?: number } | undefined;
  /** L2 factor of a weight, for the loss and its gradient */
  l2?(config: C): { weight: string; factor: number } | undefined;
  /**
   * A layer that is a chain of layers of other kinds (SeparableConv2D: depthwise, then pointwise): each
   * part's kind and config, and which of this layer's weights the part takes under which of its own
   * names ({ kernel: "depthwiseKernel" }). Every stage runs the parts (src/graph/expand.ts).
   */
  composite?(
    config: C,
    inputs: Shape[],
  ): { kind: string; config: unknown; weights: Record<string, string> }[];
  /** Keras class names read from architecture files, each with the conversion of its config */
  keras?: Record<string, (config: KerasConfig, refuse: (field: string, expected: string) => never) => C>;
}

/** One layer in a training network. Inputs and output are [N][size] rows in the network's arena. */
export interface TrainStep {
  forward(x: Float32Array[], y: Float32Array, N: number, training: boolean): void;
  /** writes (not adds) the gradient wrt each input whose dx is not null, from dy */
  backward(
    x: Float32Array[],
    y: Float32Array,
    dy: Float32Array,
    dx: (Float32Array | null)[],
    N: number,
  ): void;
}

export interface StepArgs<C> {
  config: C;
  inputs: Shape[];
  output: Shape;
  /** the layer's weights and state, copies in the network's arena (empty when it has none) */
  tensors: LayerTensors;
  /** gradients of the trainable weights, same names */
  grads: LayerTensors;
  /** the buffers `scratch` asked for, in order */
  scratch: Float32Array[];
  kernels: Kernels;
  /** the network's random source (dropout masks) */
  rng: Rng;
}

export interface TrainFacet<C> {
  /** lengths of the float32 buffers a step needs besides its inputs and output, for `capacity` rows */
  scratch?(config: C, inputs: Shape[], output: Shape, capacity: number): number[];
  step(args: StepArgs<C>): TrainStep;
}

/**
 * How a layer lowers to ops: "op" makes an op of the same kind (which may still fold into the op before
 * it: `foldsInto`), "identity" passes its input on (Dropout at inference), "alias" reads its input's
 * values under its own shape (Flatten, Reshape: no data moves).
 */
export interface LowerFacet<C> {
  mode: "op" | "identity" | "alias";
  /**
   * A per-channel affine map y = x·scale + shift that an op before it may absorb (BatchNormalization);
   * the lowering folds it when that op has no other consumer and can fold it.
   */
  affine?(
    config: C,
    tensors: Record<string, ArrayLike<number>>,
  ): { scale: Float64Array; shift: Float64Array };
  /** An elementwise activation that the op before it may take as its output stage. */
  fusable?(config: C): { name: string; alpha: number } | undefined;
}

/** A lowered op: what every later stage of the float path runs. Weights are float64 (folded) values. */
export interface FloatOp<C = unknown> {
  kind: string;
  /** the layer it comes from (after folding, the last layer it absorbed) */
  name: string;
  inputs: string[];
  output: string;
  inputShapes: Shape[];
  outputShape: Shape;
  config: C;
  weights: Record<string, Float64Array>;
  /** the activation fused into its output stage ("linear": none) */
  activation: { name: string; alpha: number };
}

/** A constant array of the generated C. */
export interface ArrayView {
  /** what it holds, for the byte counts of inspect */
  section: "weights" | "bias" | "requantization" | "table";
  comment: string;
  ctype: string;
  name: string;
  dims: string;
  rows: string[];
}

export interface ParamsView {
  type: string;
  name: string;
  fields: string[];
  bytes: number;
}

/** What an op contributes to the generated C. */
export interface EmittedOp {
  comment: string;
  arrays: ArrayView[];
  params: ParamsView | null;
  /**
   * its statements in run(), from the C expressions of its input pointers, its output pointer and its
   * scratch buffer (`int8_t *`; "NULL" without scratchBytes)
   */
  calls(inputs: string[], output: string, scratch: string): string[];
  /** bytes of arena its kernel needs during the call only (the planner places them), if any */
  scratchBytes?: number;
  /** runtime files it needs (firmware/nn/src/*.c and include/*.h) */
  runtime: string[];
}

export interface EmitContext {
  /** prefix of this op's symbols: `<name>_op<k>` */
  id: string;
  /** the model's symbol prefix: `<name>_` */
  prefix: string;
  /** "op 3 (dense_1)": how comments name the op */
  title: string;
}

export type FloatEmitContext = EmitContext;

export interface IntegerEmitContext extends EmitContext {
  precision: Precision;
  /** quantization and size of a tensor by name */
  quant(tensor: string): QuantParams;
  size(tensor: string): number;
  /** a table of the program: the C name of its array, and whether this op is the first to use it */
  table(index: number): { name: string; first: boolean };
  tables: QTable[];
}

/** An op of an integer program as the quantized model file stores it. */
export interface QOpRecord {
  kind: string;
  name: string;
  inputs: string[];
  output: string;
}

export interface QuantizeContext {
  precision: Precision;
  /** "<calibration file>: dense_1 (dense 32 units, relu)": how messages name the op */
  where: string;
  /** quantization of input i, decided by the ops before */
  input(i: number): QuantParams;
  /** quantization of the op's output from its calibrated range (with the margin) */
  calibratedOutput(): QuantParams;
  /** calibration rows, and the float values of input i and of the output over them ([rows][size]) */
  rows: number;
  floatInput(i: number): Float32Array;
  /** the integer program's codes of input i over the calibration rows, with the error of every op before */
  codes(i: number): Int32Array;
  /** choose weight roundings by the error they cause on the calibration rows */
  optimizeRounding: boolean;
  /** adds a table (once: identical tables are shared) and returns its index */
  addTable(table: QTable, activation: string, f: ((x: number) => number) | null): number;
}

export interface CheckContext {
  precision: Precision;
  quant(tensor: string): QuantParams;
  size(tensor: string): number;
  tables: QTable[];
  /** refuses with one line naming the file, the op and the field */
  fail(field: string, message: string): never;
  /** the same for a table of the program */
  failTable(index: number, field: string, message: string): never;
}

export interface RunContext {
  precision: Precision;
  tables: QTable[];
  quant(tensor: string): QuantParams;
}

export interface QuantFacet<C, Q extends QOpRecord> {
  /** the kind's fields in the quantized model file (besides kind, name, inputs, output) */
  schema: z.ZodType<Q>;
  quantize(op: FloatOp<C>, ctx: QuantizeContext): { op: Q; output: QuantParams };
  /** checks by value what the C's safety and meaning depend on */
  check(op: Q, ctx: CheckContext): void;
  runInteger(op: Q, inputs: Int32Array[], out: Int32Array, ctx: RunContext): void;
  emit(op: Q, ctx: IntegerEmitContext): EmittedOp;
  /** MACs of one inference */
  macs(op: Q, ctx: { size(tensor: string): number }): number;
  /** one line for summaries and inspect: "32 units, relu" */
  describe(op: Q): string;
}

export interface OpFacet<C, Q extends QOpRecord> {
  /** its kernels may write the output over the first input (elementwise ops), in float and in integers */
  inPlace: boolean;
  /** bytes its kernels need the offsets of its tensors aligned to, beyond their element size */
  alignment?: number;
  /** may the op take this activation as its output stage (a clamp, a second multiplier)? */
  fuses?(hint: QuantHint): boolean;
  /** folds y' = y·scale[c] + shift[c] over its output channels into its weights */
  foldAffine?(op: FloatOp<C>, scale: Float64Array, shift: Float64Array): FloatOp<C>;
  /** the float32 reference: what the generated float C computes, in its order of operations */
  runFloat32(op: FloatOp<C>, inputs: Float32Array[], out: Float32Array): void;
  emitFloat(op: FloatOp<C>, ctx: FloatEmitContext): EmittedOp;
  quant: QuantFacet<C, Q>;
}

/** A config and input shapes of a kind, for the contract test every kind runs (test/ops/contract.test.ts). */
export interface OpExample<C> {
  config: C;
  inputs: Shape[];
}

export interface OpKind<C = unknown, Q extends QOpRecord = QOpRecord> {
  kind: string;
  /** what the kind is for, one line (help texts) */
  summary: string;
  /**
   * Configs and input shapes drawn from `rng` that exercise the kind's cases (bias or not, edges of the
   * kernels' blocking, several channels): the contract test runs every stage of the kind on each.
   */
  examples(rng: Rng): OpExample<C>[];
  layer: LayerFacet<C>;
  train: TrainFacet<C>;
  lower: LowerFacet<C>;
  op?: OpFacet<C, Q>;
}

const kinds = new Map<string, OpKind>();

/** Registers a kind (each op folder calls this once, from src/ops/index.ts). */
export function defineOp<C, Q extends QOpRecord>(def: OpKind<C, Q>): OpKind<C, Q> {
  if (kinds.has(def.kind)) throw new Error(`op kind '${def.kind}' is defined twice`);
  kinds.set(def.kind, def as unknown as OpKind);
  return def;
}

/** The kind of a layer or op; undefined when nn2c has none of that name. */
export function findOp(kind: string): OpKind | undefined {
  return kinds.get(kind);
}

/** The kind of a validated layer or op (the file schemas only admit registered kinds). */
export function getOp(kind: string): OpKind {
  const k = kinds.get(kind);
  if (!k) throw new Error(`no op kind '${kind}' is registered`);
  return k;
}

/** The op facet of a kind that lowers to ops. */
export function getOpFacet(kind: string): OpFacet<unknown, QOpRecord> {
  const facet = getOp(kind).op;
  if (!facet) throw new Error(`op kind '${kind}' does not lower to an op`);
  return facet;
}

export function opKinds(): OpKind[] {
  return [...kinds.values()];
}
