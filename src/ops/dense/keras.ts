/** Keras' Dense config → nn2c's. */
import {
  atDefault,
  kerasActivation,
  kerasInitializer,
  kerasL2,
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
  ])
    atDefault(config, field, [], refuse);
  const out: DenseConfig = { units, activation: kerasActivation(config.activation, refuse) };
  if (config.use_bias === false) out.useBias = false;
  else if (config.use_bias !== undefined && config.use_bias !== true) refuse("use_bias", "true or false");
  const kernel = kerasInitializer(
    config,
    "kernel_initializer",
    {
      GlorotUniform: "glorot_uniform",
      glorot_uniform: "glorot_uniform",
      HeUniform: "he_uniform",
      he_uniform: "he_uniform",
    },
    refuse,
  );
  if (kernel) out.kernelInitializer = kernel;
  kerasInitializer(config, "bias_initializer", { Zeros: "zeros", zeros: "zeros" }, refuse);
  const l2 = kerasL2(config, "kernel_regularizer", refuse);
  if (l2 !== undefined) out.l2 = l2;
  return out;
}
