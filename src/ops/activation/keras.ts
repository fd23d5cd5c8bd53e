/** Keras' activation layers (Activation, ReLU, LeakyReLU, Softmax) → nn2c's activation config. */
import { atDefault, kerasActivation, kerasNumber, onlyKnown, type Refuse } from "../keras.js";
import type { KerasConfig } from "../registry.js";
import type { ActivationConfig } from "./index.js";

export const activationKeras: Record<string, (config: KerasConfig, refuse: Refuse) => ActivationConfig> = {
  Activation(config, refuse) {
    onlyKnown(config, ["activation"], refuse);
    return { activation: kerasActivation(config.activation, refuse) };
  },
  /** ReLU(max_value=None|6, negative_slope=0, threshold=0): relu, relu6 or leaky relu */
  ReLU(config, refuse) {
    onlyKnown(config, ["max_value", "negative_slope", "threshold"], refuse);
    atDefault(config, "threshold", [0], refuse);
    const slope = kerasNumber(
      config,
      "negative_slope",
      0,
      refuse,
      (v) => v >= 0 && v < 1,
      "a number in [0, 1)",
    );
    const max = config.max_value;
    if (max !== undefined && max !== null && max !== 6) refuse("max_value", "null or 6 (relu6)");
    if (max === 6) {
      if (slope !== 0) refuse("negative_slope", "0 with max_value 6");
      return { activation: "relu6" };
    }
    return slope === 0 ? { activation: "relu" } : { activation: "leaky_relu", alpha: slope };
  },
  /** LeakyReLU(alpha=0.3) in Keras 2, LeakyReLU(negative_slope=0.3) in Keras 3 */
  LeakyReLU(config, refuse) {
    onlyKnown(config, ["alpha", "negative_slope"], refuse);
    const field = config.negative_slope !== undefined ? "negative_slope" : "alpha";
    return {
      activation: "leaky_relu",
      alpha: kerasNumber(config, field, 0.3, refuse, (v) => v >= 0 && v < 1, "a number in [0, 1)"),
    };
  },
  Softmax(config, refuse) {
    onlyKnown(config, ["axis"], refuse);
    atDefault(config, "axis", [-1], refuse);
    return { activation: "softmax" };
  },
};
