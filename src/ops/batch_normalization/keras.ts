/** Keras' BatchNormalization config → nn2c's (the last axis only; Keras 2's renorm and virtual batches refused). */
import { atDefault, kerasInitializer, kerasNumber, onlyKnown, type Refuse } from "../keras.js";
import type { KerasConfig } from "../registry.js";
import { BATCH_NORM_DEFAULTS, type BatchNormalizationConfig } from "./index.js";

const IGNORED = [
  "beta_regularizer",
  "gamma_regularizer",
  "beta_constraint",
  "gamma_constraint",
  "virtual_batch_size",
  "adjustment",
  "renorm_clipping",
];

export function batchNormFromKeras(config: KerasConfig, refuse: Refuse): BatchNormalizationConfig {
  onlyKnown(
    config,
    [
      "axis",
      "momentum",
      "epsilon",
      "center",
      "scale",
      "beta_initializer",
      "gamma_initializer",
      "moving_mean_initializer",
      "moving_variance_initializer",
      "synchronized",
      "renorm",
      "renorm_momentum",
      "fused",
      ...IGNORED,
    ],
    refuse,
  );
  for (const field of IGNORED) atDefault(config, field, [], refuse);
  // Keras 2 writes the axis as a list once built ([1] after a Dense, [3] after a Conv2D): the last axis is
  // all nn2c has, and the layer checks it against its input's rank
  const raw = Array.isArray(config.axis) && config.axis.length === 1 ? config.axis[0] : config.axis;
  if (raw !== undefined && !(Number.isInteger(raw) && (raw === -1 || (raw as number) > 0)))
    refuse("axis", "-1 or the last axis (one axis)");
  atDefault(config, "synchronized", [false], refuse);
  atDefault(config, "renorm", [false], refuse);
  atDefault(config, "renorm_momentum", [0.99], refuse);
  atDefault(config, "fused", [true, false], refuse);
  kerasInitializer(config, "beta_initializer", { Zeros: "zeros", zeros: "zeros" }, refuse);
  kerasInitializer(config, "gamma_initializer", { Ones: "ones", ones: "ones" }, refuse);
  kerasInitializer(config, "moving_mean_initializer", { Zeros: "zeros", zeros: "zeros" }, refuse);
  kerasInitializer(config, "moving_variance_initializer", { Ones: "ones", ones: "ones" }, refuse);
  const flag = (field: "center" | "scale") => {
    const v = config[field];
    if (v === undefined || v === null) return true;
    if (typeof v !== "boolean") refuse(field, "true or false");
    return v;
  };
  const out: BatchNormalizationConfig = {
    momentum: kerasNumber(
      config,
      "momentum",
      BATCH_NORM_DEFAULTS.momentum,
      refuse,
      (v) => v >= 0 && v <= 1,
      "a number in [0, 1]",
    ),
    epsilon: kerasNumber(
      config,
      "epsilon",
      BATCH_NORM_DEFAULTS.epsilon,
      refuse,
      (v) => v > 0 && v <= 1,
      "a number in (0, 1]",
    ),
    center: flag("center"),
    scale: flag("scale"),
  };
  if (raw !== undefined && raw !== -1) out.axis = raw as number;
  return out;
}
