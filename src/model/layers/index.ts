/**
 * Layer specifications: the Keras-like constructors users call, and the plain data a model file stores.
 */
import { UsageError } from "../../errors.js";
import { checkWidth } from "../../limits.js";
import { type ActivationOptions, getActivation } from "../activations.js";

export interface DenseSpec {
  kind: "dense";
  units: number;
  activation: string;
  /** leaky_relu's negative slope */
  alpha?: number;
  /** input width; only needed on the first layer when the model is built before fit */
  inputShape?: number[];
  /** L2 regularisation factor on the kernel */
  l2?: number;
  /** initial kernel: default He uniform for the relu family, Glorot uniform otherwise */
  kernelInitializer?: KernelInitializer;
  /** initial bias: zeros (default) or uniform within the kernel initializer's limit */
  biasInitializer?: BiasInitializer;
}

export type BiasInitializer = "zeros" | "uniform";

export type KernelInitializer = "he_uniform" | "glorot_uniform";

export interface ActivationSpec {
  kind: "activation";
  activation: string;
  alpha?: number;
}

export type LayerSpec = DenseSpec | ActivationSpec;

export interface DenseOptions {
  units: number;
  activation?: string;
  alpha?: number;
  inputShape?: number[];
  l2?: number;
  kernelInitializer?: KernelInitializer;
  biasInitializer?: BiasInitializer;
}

/** A fully connected layer, with an optional activation (default linear), as Keras' `Dense`. */
export function Dense(options: DenseOptions): DenseSpec {
  const { units } = options;
  if (!Number.isInteger(units) || units <= 0) {
    throw new UsageError(`Dense units ${units}: expected a positive integer`);
  }
  checkWidth(units, "Dense units");
  const activation = options.activation ?? "linear";
  getActivation(activation);
  if (options.l2 !== undefined && !(options.l2 >= 0))
    throw new UsageError(`Dense l2 ${options.l2}: expected >= 0`);
  const spec: DenseSpec = { kind: "dense", units, activation };
  if (options.alpha !== undefined) spec.alpha = options.alpha;
  if (options.inputShape) spec.inputShape = [...options.inputShape];
  if (options.l2) spec.l2 = options.l2;
  if (options.kernelInitializer) {
    if (options.kernelInitializer !== "he_uniform" && options.kernelInitializer !== "glorot_uniform") {
      throw new UsageError(
        `Dense kernelInitializer '${options.kernelInitializer}': expected he_uniform or glorot_uniform`,
      );
    }
    spec.kernelInitializer = options.kernelInitializer;
  }
  if (options.biasInitializer) {
    if (options.biasInitializer !== "zeros" && options.biasInitializer !== "uniform") {
      throw new UsageError(`Dense biasInitializer '${options.biasInitializer}': expected zeros or uniform`);
    }
    spec.biasInitializer = options.biasInitializer;
  }
  return spec;
}

/** An activation as a layer of its own, as Keras' `Activation`. */
export function Activation(name: string, options: ActivationOptions = {}): ActivationSpec {
  getActivation(name);
  const spec: ActivationSpec = { kind: "activation", activation: name };
  if (options.alpha !== undefined) spec.alpha = options.alpha;
  return spec;
}

export function activationOptions(spec: LayerSpec): ActivationOptions {
  return spec.alpha === undefined ? {} : { alpha: spec.alpha };
}
