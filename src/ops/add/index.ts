/**
 * Add (Keras' `Add`): the elementwise sum of two or more tensors of one shape, the join of a residual
 * block. In integers as TensorFlow Lite's ADD; relu and relu6 after it fold into its output clamp.
 */
import { z } from "zod";
import { ShapeError, sameShape, sizeOf } from "../../core/shape.js";
import { applyActivationFloat32 } from "../activation/float.js";
import { onlyKnown } from "../keras.js";
import { defineOp, type TrainStep } from "../registry.js";
import { emitAdd, emitAddFloat } from "./emit.js";
import { addQSchema, checkAdd, MAX_ADD_INPUTS, quantizeAdd, runAdd } from "./quant.js";

export const addConfig = z.strictObject({});

const NO_COST = { params: 0, macs: 0, bytes: { float32: 0, int8: 0, int16: 0 } };

/** y = sum of the inputs; each input's gradient is dy. */
class AddStep implements TrainStep {
  constructor(private readonly size: number) {}

  forward(x: Float32Array[], y: Float32Array, N: number): void {
    const n = N * this.size;
    y.set(x[0].subarray(0, n));
    for (let k = 1; k < x.length; k++) {
      const xk = x[k];
      for (let i = 0; i < n; i++) y[i] += xk[i];
    }
  }

  backward(
    _x: Float32Array[],
    _y: Float32Array,
    dy: Float32Array,
    dx: (Float32Array | null)[],
    N: number,
  ): void {
    const n = N * this.size;
    for (const d of dx) d?.set(dy.subarray(0, n));
  }
}

const f = Math.fround;

export const add = defineOp({
  kind: "add",
  summary: "elementwise sum of tensors of one shape (Keras Add)",
  examples: (rng) => [
    { config: {}, inputs: Array(2).fill([1 + rng.int(20)]) },
    { config: {}, inputs: Array(3).fill([3, 1 + rng.int(4)]) },
  ],
  layer: {
    config: addConfig,
    inputs: { min: 2, max: MAX_ADD_INPUTS },
    outputShape(_config, inputs) {
      if (!inputs.every((s) => sameShape(s, inputs[0]))) {
        throw new ShapeError("every input must have the same shape");
      }
      return inputs[0];
    },
    weights: () => [],
    initialize: () => ({}),
    cost: () => NO_COST,
    keras: {
      Add(config, refuse) {
        onlyKnown(config, [], refuse);
        return {};
      },
    },
  },
  train: { step: ({ output }) => new AddStep(sizeOf(output)) },
  lower: { mode: "op" },
  op: {
    inPlace: true,
    fuses: (hint) => hint.kind === "linear" || hint.kind === "clamp",
    runFloat32(op, inputs, y) {
      for (let i = 0; i < y.length; i++) {
        let s = inputs[0][i];
        for (let k = 1; k < inputs.length; k++) s = f(s + inputs[k][i]);
        y[i] = s;
      }
      applyActivationFloat32(op.activation, y);
    },
    emitFloat: emitAddFloat,
    quant: {
      schema: addQSchema,
      quantize: quantizeAdd,
      check: checkAdd,
      runInteger: runAdd,
      emit: emitAdd,
      macs: () => 0,
      describe: (op) => `${op.inputs.length} inputs${op.activation === "linear" ? "" : ` ${op.activation}`}`,
    },
  },
});
