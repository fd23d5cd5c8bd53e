/** Keras' Conv2D and Conv1D configs → nn2c's (channels last, one group; "causal" padding refused). */
import { atDefault, kerasActivation, kerasKernelOptions, onlyKnown, type Refuse } from "../keras.js";
import type { KerasConfig } from "../registry.js";
import type { ConvCommon } from "./conv.js";

const FIELDS = [
  "filters",
  "kernel_size",
  "strides",
  "padding",
  "data_format",
  "dilation_rate",
  "groups",
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
];

/** An int or a list of `rank` positive ints (Keras writes tuples as lists), as a list. */
export function kerasInts(
  config: KerasConfig,
  field: string,
  rank: number,
  fallback: number | undefined,
  refuse: Refuse,
): number[] {
  const v = config[field];
  if ((v === undefined || v === null) && fallback !== undefined) return Array(rank).fill(fallback);
  const list = typeof v === "number" ? Array(rank).fill(v) : v;
  if (!Array.isArray(list) || list.length !== rank || !list.every((d) => Number.isInteger(d) && d > 0))
    refuse(field, `${rank === 1 ? "a positive integer" : `${rank} positive integers`}`);
  return list as number[];
}

/** The fields every convolution shares, from Keras' config. */
export function convCommonFromKeras(config: KerasConfig, refuse: Refuse): ConvCommon {
  onlyKnown(config, FIELDS, refuse);
  const filters = config.filters;
  if (!Number.isInteger(filters) || (filters as number) <= 0) refuse("filters", "a positive integer");
  const padding = config.padding ?? "valid";
  if (padding !== "valid" && padding !== "same") refuse("padding", '"valid" or "same"');
  atDefault(config, "data_format", ["channels_last"], refuse);
  atDefault(config, "groups", [1], refuse);
  for (const field of [
    "bias_regularizer",
    "activity_regularizer",
    "kernel_constraint",
    "bias_constraint",
    "lora_rank",
  ])
    atDefault(config, field, [], refuse);
  const out: ConvCommon = {
    filters: filters as number,
    padding: padding as "valid" | "same",
    activation: kerasActivation(config.activation, refuse),
  };
  return { ...out, ...kerasKernelOptions(config, refuse) };
}

/** Strides above 1 with a dilation above 1: Keras refuses the pair, and so does nn2c. */
export function checkStridesDilation(strides: number[], dilation: number[], refuse: Refuse): void {
  if (strides.some((s) => s > 1) && dilation.some((d) => d > 1))
    refuse("dilation_rate", "1 when a stride is above 1 (Keras takes one or the other)");
}
