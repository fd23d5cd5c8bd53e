/**
 * An activation as a layer of its own (Keras' `Activation`, `ReLU`, `LeakyReLU`, `Softmax`; nn2c's
 * `Activation`, `ReLU`, `ReLU6`, `LeakyReLU`). relu, relu6 and leaky relu after an op that can take them
 * fold into its output stage at lowering; any other activation is an op: a table or softmax in integers.
 */
import { z } from "zod";
import { ACTIVATION_NAME, DEFAULT_LEAKY_ALPHA, getActivation } from "../../core/activations.js";
import { channelsOf, formatShape, ShapeError, sizeOf } from "../../core/shape.js";
import { float32 } from "../../values.js";
import { defineOp, type OpExample } from "../registry.js";
import { emitActivation, emitActivationFloat } from "./emit.js";
import { applyActivationFloat32 } from "./float.js";
import { activationKeras } from "./keras.js";
import { activationQSchema, checkActivation, quantizeActivation, runActivation } from "./quant.js";
import { ActivationStep } from "./train.js";

export const activationConfig = z.strictObject({
  activation: z.string().regex(ACTIVATION_NAME),
  /** leaky_relu's negative slope (default 0.2) */
  alpha: float32.optional(),
});

export type ActivationConfig = z.infer<typeof activationConfig>;

const NO_COST = { params: 0, macs: 0, bytes: { float32: 0, int8: 0, int16: 0 } };

export const activation = defineOp({
  kind: "activation",
  summary: "an activation on its own (Keras Activation, ReLU, LeakyReLU, Softmax)",
  examples: (rng) => [
    ...["relu", "relu6", "sigmoid", "tanh", "softmax"].map(
      (activation): OpExample<ActivationConfig> => ({
        config: { activation },
        inputs: [[2 + rng.int(20)]],
      }),
    ),
    { config: { activation: "leaky_relu", alpha: 0.25 }, inputs: [[3, 1 + rng.int(5)]] },
    { config: { activation: "tanh" }, inputs: [[2, 3, 1 + rng.int(4)]] },
  ],
  layer: {
    config: activationConfig,
    inputs: { min: 1, max: 1 },
    outputShape(config, [shape]) {
      getActivation(config.activation);
      if (!getActivation(config.activation).elementwise && shape.length !== 1) {
        throw new ShapeError(
          `${config.activation} takes a 1-D input, got ${formatShape(shape)}: add a Flatten layer before it`,
        );
      }
      return shape;
    },
    weights: () => [],
    initialize: () => ({}),
    cost: () => NO_COST,
    keras: activationKeras,
  },
  train: {
    step: ({ config, inputs: [shape], kernels }) =>
      new ActivationStep(
        sizeOf(shape),
        channelsOf(shape),
        config.activation,
        { alpha: config.alpha ?? DEFAULT_LEAKY_ALPHA },
        kernels,
      ),
  },
  lower: {
    mode: "op",
    fusable: (config) => ({ name: config.activation, alpha: config.alpha ?? DEFAULT_LEAKY_ALPHA }),
  },
  op: {
    inPlace: true,
    runFloat32: (op, [x], y) => {
      y.set(x);
      applyActivationFloat32(
        { name: op.config.activation, alpha: op.config.alpha ?? DEFAULT_LEAKY_ALPHA },
        y,
      );
    },
    emitFloat: emitActivationFloat,
    quant: {
      schema: activationQSchema,
      quantize: quantizeActivation,
      check: checkActivation,
      runInteger: runActivation,
      emit: emitActivation,
      macs: () => 0,
      describe: (op) => op.activation,
    },
  },
});
