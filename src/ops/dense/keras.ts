/** Keras' Dense config → nn2c's. */
import {
  atDefault,
  kerasActivation,
  kerasKernelOptions,
  kerasNumber,
  onlyKnown,
  type Refuse,
} from "../keras.js";
import type { KerasConfig } from "../registry.js";
import type { DenseConfig } from "./index.js";

const FIELDS = [
  "units",
  "activation",
  "use_bias",
  "kernel_initializer",
  "bias_initializer",
  "kernel_regularizer",
  "bias_regularizer",
  "activity_regularizer",
  "kernel_constraint",
  "bias_constraint",
  "lora_rank",
  "lora_alpha",
  // newer Keras 3 (3.15 writes it): null unless the layer was quantized in Keras
  "quantization_config",
];

export function denseFromKeras(config: KerasConfig, refuse: Refuse): DenseConfig {
  onlyKnown(config, FIELDS, refuse);
  const units = kerasNumber(
    config,
    "units",
    Number.NaN,
    refuse,
    (v) => Number.isInteger(v) && v > 0,
    "a positive integer",
  );
  for (const field of [
    "bias_regularizer",
    "activity_regularizer",
    "kernel_constraint",
    "bias_constraint",
    "lora_rank",
    "quantization_config",
  ])
    atDefault(config, field, [], refuse);
  const out: DenseConfig = { units, activation: kerasActivation(config.activation, refuse) };
  return { ...out, ...kerasKernelOptions(config, refuse) };
}
