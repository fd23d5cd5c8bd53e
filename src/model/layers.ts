/**
 * The layers users create, as in Keras: `Dense({ units: 32, activation: "relu" })` for a `Sequential`,
 * or `Dense({ units: 32 }).apply(x)` on the symbolic tensors of the functional API (`Input`, then
 * `new Model({ inputs, outputs })`). A layer is its kind and its config (validated here, with the kind's
 * schema), plus an optional name; its weights belong to the model it is built into.
 */
import type { z } from "zod";
import { getActivation } from "../core/activations.js";
import { formatShape, type Shape, ShapeError, shapeSchema } from "../core/shape.js";
import { UsageError } from "../errors.js";
import { checkWidth } from "../limits.js";
import { getOp } from "../ops/registry.js";
import { clip } from "../values.js";
import "../ops/index.js";

/** The output of a layer in a functional model, before any data flows: its shape and where it comes from. */
export class SymbolicTensor {
  constructor(
    readonly shape: Shape,
    /** the layer that writes it, with the tensors it read; null for an Input */
    readonly source: { layer: Layer; inputs: SymbolicTensor[] } | null,
    /** an Input's name */
    readonly name?: string,
  ) {}
}

export class Layer<C = unknown> {
  private applied = false;

  constructor(
    readonly kind: string,
    readonly config: C,
    readonly name?: string,
    /** the input shape, when this is the first layer of a Sequential (`inputShape`) */
    readonly inputShape?: Shape,
  ) {}

  /** Applies the layer to one tensor (or several, for Add): the functional API. */
  apply(inputs: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const what = `${this.kind} layer${this.name ? ` '${clip(this.name, 40)}'` : ""}`;
    if (this.applied)
      throw new UsageError(`${what}: applied twice: nn2c builds each layer into one place of a model`);
    if (!list.every((x) => x instanceof SymbolicTensor))
      throw new UsageError(`${what}: apply takes the tensors of Input() or of another layer's apply()`);
    const { min, max } = getOp(this.kind).layer.inputs;
    if (list.length < min || list.length > max)
      throw new UsageError(
        `${what}: takes ${min === max ? min : `${min} or more`} inputs, got ${list.length}`,
      );
    let shape: Shape;
    try {
      shape = getOp(this.kind).layer.outputShape(
        this.config,
        list.map((x) => x.shape),
      );
    } catch (e) {
      if (!(e instanceof ShapeError)) throw e;
      throw new UsageError(`${what} of ${list.map((x) => formatShape(x.shape)).join(" and ")}: ${e.message}`);
    }
    this.applied = true;
    return new SymbolicTensor(shape, { layer: this, inputs: list });
  }
}

export interface LayerOptions {
  /** the layer's name in the model (default: its kind, numbered: dense, dense_1, ...) */
  name?: string;
  /** the input shape, on the first layer of a Sequential (batch excluded: [64], [8, 8, 1]) */
  inputShape?: number[];
}

/** A layer of `kind` with a config checked by the kind's schema; `what` names it in messages. */
export function makeLayer<C>(kind: string, config: C, options: LayerOptions = {}): Layer<C> {
  const parsed = (getOp(kind).layer.config as z.ZodType<C>).safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join(".") || "config";
    throw new UsageError(`${kind} ${field}: ${issue.message}`);
  }
  if (options.name !== undefined && (typeof options.name !== "string" || options.name === ""))
    throw new UsageError(`${kind} name: expected a non-empty string`);
  let inputShape: Shape | undefined;
  if (options.inputShape !== undefined) {
    const s = shapeSchema.safeParse(options.inputShape);
    if (!s.success)
      throw new UsageError(
        `${kind} inputShape ${JSON.stringify(options.inputShape)}: expected 1 to 4 positive integers`,
      );
    for (const d of s.data) checkWidth(d, `${kind} inputShape`);
    inputShape = s.data;
  }
  return new Layer(kind, parsed.data, options.name, inputShape);
}

/** The input of a functional model: `Input({ shape: [64] })`. */
export function Input(options: { shape: number[]; name?: string }): SymbolicTensor {
  const s = shapeSchema.safeParse(options.shape);
  if (!s.success)
    throw new UsageError(`Input shape ${JSON.stringify(options.shape)}: expected 1 to 4 positive integers`);
  return new SymbolicTensor(s.data, null, options.name ?? "input");
}

export type KernelInitializer = "he_uniform" | "glorot_uniform";
export type BiasInitializer = "zeros" | "uniform";

export interface DenseOptions extends LayerOptions {
  units: number;
  activation?: string;
  /** leaky_relu's negative slope */
  alpha?: number;
  /** false: no bias (y = W x) */
  useBias?: boolean;
  /** L2 regularisation factor on the kernel */
  l2?: number;
  /** initial kernel: default He uniform for the relu family, Glorot uniform otherwise */
  kernelInitializer?: KernelInitializer;
  /** initial bias: zeros (default) or uniform within the kernel initializer's limit */
  biasInitializer?: BiasInitializer;
}

/** A fully connected layer, with an optional activation (default linear), as Keras' `Dense`. */
export function Dense(options: DenseOptions): Layer {
  const { units, name, inputShape, ...rest } = options;
  if (!Number.isInteger(units) || units <= 0)
    throw new UsageError(`Dense units ${units}: expected a positive integer`);
  checkWidth(units, "Dense units");
  const activation = options.activation ?? "linear";
  getActivation(activation);
  if (options.l2 !== undefined && !(options.l2 >= 0))
    throw new UsageError(`Dense l2 ${options.l2}: expected >= 0`);
  if (options.kernelInitializer && !["he_uniform", "glorot_uniform"].includes(options.kernelInitializer)) {
    throw new UsageError(
      `Dense kernelInitializer '${options.kernelInitializer}': expected he_uniform or glorot_uniform`,
    );
  }
  if (options.biasInitializer && !["zeros", "uniform"].includes(options.biasInitializer))
    throw new UsageError(`Dense biasInitializer '${options.biasInitializer}': expected zeros or uniform`);
  const config: Record<string, unknown> = { units, activation };
  for (const key of ["alpha", "useBias", "l2", "kernelInitializer", "biasInitializer"] as const) {
    if (
      rest[key] !== undefined &&
      !(key === "l2" && rest[key] === 0) &&
      !(key === "useBias" && rest[key] === true)
    )
      config[key] = rest[key];
  }
  return makeLayer("dense", config, { name, inputShape });
}

/** An activation as a layer of its own, as Keras' `Activation`. */
export function Activation(activation: string, options: { alpha?: number } & LayerOptions = {}): Layer {
  getActivation(activation);
  const { alpha, ...rest } = options;
  return makeLayer("activation", alpha === undefined ? { activation } : { activation, alpha }, rest);
}

/** relu as a layer (Keras' `ReLU()`). */
export function ReLU(options: LayerOptions = {}): Layer {
  return makeLayer("activation", { activation: "relu" }, options);
}

/** relu6 as a layer (Keras' `ReLU(max_value=6)`). */
export function ReLU6(options: LayerOptions = {}): Layer {
  return makeLayer("activation", { activation: "relu6" }, options);
}

/** Leaky relu as a layer (Keras' `LeakyReLU`; the negative slope `alpha` defaults to Keras' 0.3). */
export function LeakyReLU(options: { alpha?: number } & LayerOptions = {}): Layer {
  const { alpha = 0.3, ...rest } = options;
  return makeLayer("activation", { activation: "leaky_relu", alpha }, rest);
}

export interface BatchNormalizationOptions extends LayerOptions {
  /** the moving statistics keep this fraction at each training step (default 0.99, as Keras) */
  momentum?: number;
  /** added to the variance before its square root (default 0.001, as Keras) */
  epsilon?: number;
  /** learn a shift β (default true) */
  center?: boolean;
  /** learn a scale γ (default true) */
  scale?: boolean;
}

/**
 * Normalizes each channel (the last dimension) by the batch's mean and variance in training and by their
 * moving averages at inference, then scales and shifts it, as Keras' `BatchNormalization`.
 */
export function BatchNormalization(options: BatchNormalizationOptions = {}): Layer {
  const { name, inputShape, momentum = 0.99, epsilon = 0.001, center = true, scale = true } = options;
  return makeLayer("batch_normalization", { momentum, epsilon, center, scale }, { name, inputShape });
}

/** Zeroes a fraction `rate` of the values in training (scaling the others up), as Keras' `Dropout`. */
export function Dropout(options: { rate: number } & LayerOptions): Layer {
  const { rate, ...rest } = options;
  return makeLayer("dropout", { rate }, rest);
}

/** The input as one dimension, as Keras' `Flatten`: no value moves. */
export function Flatten(options: LayerOptions = {}): Layer {
  return makeLayer("flatten", {}, options);
}

/** The input under another shape of as many values (one dimension may be -1), as Keras' `Reshape`. */
export function Reshape(options: { targetShape: number[] } & LayerOptions): Layer {
  const { targetShape, ...rest } = options;
  return makeLayer("reshape", { targetShape }, rest);
}

/** The elementwise sum of two or more tensors of one shape, as Keras' `Add`: `Add().apply([a, b])`. */
export function Add(options: LayerOptions = {}): Layer {
  return makeLayer("add", {}, options);
}

type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === "number" ? [v, v] : v);

interface ConvOptions extends LayerOptions {
  filters: number;
  activation?: string;
  /** leaky_relu's negative slope */
  alpha?: number;
  /** "valid" (default) or "same" (TensorFlow's rule: the odd padding pixel at the end) */
  padding?: "valid" | "same";
  useBias?: boolean;
  l2?: number;
  kernelInitializer?: KernelInitializer;
  biasInitializer?: BiasInitializer;
}

/** The optional fields of a convolution's config, as given. */
function convRest(o: ConvOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {
    filters: o.filters,
    padding: o.padding ?? "valid",
    activation: o.activation ?? "linear",
  };
  for (const key of ["alpha", "useBias", "l2", "kernelInitializer", "biasInitializer"] as const)
    if (o[key] !== undefined) out[key] = o[key];
  return out;
}

/** A 2-D convolution over [height, width, channels], as Keras' `Conv2D`. */
export function Conv2D(
  options: ConvOptions & { kernelSize: Pair; strides?: Pair; dilationRate?: Pair },
): Layer {
  const { name, inputShape } = options;
  return makeLayer(
    "conv2d",
    {
      ...convRest(options),
      kernelSize: pair(options.kernelSize),
      strides: pair(options.strides ?? 1),
      dilationRate: pair(options.dilationRate ?? 1),
    },
    { name, inputShape },
  );
}

/** A 1-D convolution over [steps, channels], as Keras' `Conv1D`. */
export function Conv1D(
  options: ConvOptions & { kernelSize: number; strides?: number; dilationRate?: number },
): Layer {
  const { name, inputShape } = options;
  return makeLayer(
    "conv1d",
    {
      ...convRest(options),
      kernelSize: options.kernelSize,
      strides: options.strides ?? 1,
      dilationRate: options.dilationRate ?? 1,
    },
    { name, inputShape },
  );
}

interface PoolOptions<P> extends LayerOptions {
  /** the window (default 2) */
  poolSize?: P;
  /** default: the pool size */
  strides?: P;
  padding?: "valid" | "same";
}

const pool2d =
  (kind: string) =>
  (options: PoolOptions<Pair> = {}) => {
    const { name, inputShape, poolSize = 2, strides, padding = "valid" } = options;
    return makeLayer(
      kind,
      { poolSize: pair(poolSize), strides: pair(strides ?? poolSize), padding },
      { name, inputShape },
    );
  };

const pool1d =
  (kind: string) =>
  (options: PoolOptions<number> = {}) => {
    const { name, inputShape, poolSize = 2, strides, padding = "valid" } = options;
    return makeLayer(kind, { poolSize, strides: strides ?? poolSize, padding }, { name, inputShape });
  };

/** The largest value of each window, per channel, as Keras' `MaxPooling2D`. */
export const MaxPooling2D = pool2d("max_pooling2d");
/** The mean of each window's values inside the input, per channel, as Keras' `AveragePooling2D`. */
export const AveragePooling2D = pool2d("average_pooling2d");
/** As MaxPooling2D over [steps, channels] (Keras' `MaxPooling1D`). */
export const MaxPooling1D = pool1d("max_pooling1d");
/** As AveragePooling2D over [steps, channels] (Keras' `AveragePooling1D`). */
export const AveragePooling1D = pool1d("average_pooling1d");
/** The mean over the whole input, one value per channel (Keras' `GlobalAveragePooling2D`). */
export const GlobalAveragePooling2D = (options: LayerOptions = {}) =>
  makeLayer("global_average_pooling2d", {}, options);
/** The largest value of the whole input, per channel (Keras' `GlobalMaxPooling2D`). */
export const GlobalMaxPooling2D = (options: LayerOptions = {}) =>
  makeLayer("global_max_pooling2d", {}, options);
/** As GlobalAveragePooling2D over [steps, channels] (Keras' `GlobalAveragePooling1D`). */
export const GlobalAveragePooling1D = (options: LayerOptions = {}) =>
  makeLayer("global_average_pooling1d", {}, options);
/** As GlobalMaxPooling2D over [steps, channels] (Keras' `GlobalMaxPooling1D`). */
export const GlobalMaxPooling1D = (options: LayerOptions = {}) =>
  makeLayer("global_max_pooling1d", {}, options);

/** A convolution per input channel with `depthMultiplier` filters each, as Keras' `DepthwiseConv2D`. */
export function DepthwiseConv2D(
  options: Omit<ConvOptions, "filters" | "biasInitializer"> & {
    kernelSize: Pair;
    strides?: Pair;
    dilationRate?: Pair;
    depthMultiplier?: number;
  },
): Layer {
  const { name, inputShape } = options;
  const { filters: _f, ...rest } = convRest({ ...options, filters: 1 });
  return makeLayer(
    "depthwise_conv2d",
    {
      ...rest,
      kernelSize: pair(options.kernelSize),
      strides: pair(options.strides ?? 1),
      dilationRate: pair(options.dilationRate ?? 1),
      depthMultiplier: options.depthMultiplier ?? 1,
    },
    { name, inputShape },
  );
}

/** A depthwise convolution then a pointwise one to `filters` channels, as Keras' `SeparableConv2D`. */
export function SeparableConv2D(
  options: Omit<ConvOptions, "kernelInitializer" | "biasInitializer"> & {
    kernelSize: Pair;
    strides?: Pair;
    dilationRate?: Pair;
    depthMultiplier?: number;
  },
): Layer {
  const { name, inputShape } = options;
  return makeLayer(
    "separable_conv2d",
    {
      ...convRest(options),
      kernelSize: pair(options.kernelSize),
      strides: pair(options.strides ?? 1),
      dilationRate: pair(options.dilationRate ?? 1),
      depthMultiplier: options.depthMultiplier ?? 1,
    },
    { name, inputShape },
  );
}

/** Rows and columns of zeros around the input: [[top, bottom], [left, right]] (Keras' `ZeroPadding2D`). */
export function ZeroPadding2D(
  options: { padding?: Pair | [[number, number], [number, number]] } & LayerOptions = {},
): Layer {
  const { padding = 1, ...rest } = options;
  const p: [[number, number], [number, number]] =
    typeof padding === "number"
      ? [
          [padding, padding],
          [padding, padding],
        ]
      : Array.isArray(padding[0])
        ? (padding as [[number, number], [number, number]])
        : [
            [padding[0] as number, padding[0] as number],
            [padding[1] as number, padding[1] as number],
          ];
  return makeLayer("zero_padding2d", { padding: p }, rest);
}

/** Steps of zeros around [steps, channels]: [before, after] (Keras' `ZeroPadding1D`). */
export function ZeroPadding1D(options: { padding?: number | [number, number] } & LayerOptions = {}): Layer {
  const { padding = 1, ...rest } = options;
  return makeLayer(
    "zero_padding1d",
    { padding: typeof padding === "number" ? [padding, padding] : padding },
    rest,
  );
}
