/**
 * What Conv2D and Conv1D share: a kind is a convolution over a window (src/ops/conv2d/geometry.ts) with
 * its own config and shapes; training, lowering, the float32 reference, quantization and C are the same
 * (a 1-D convolution is a 2-D one with a height of 1). Kernels are stored as Keras stores them
 * ([kh, kw, C, F], Conv1D [k, C, F]: the same values in the same order).
 */
import { z } from "zod";
import { ACTIVATION_NAME, getActivation } from "../../core/activations.js";
import { type Shape, ShapeError } from "../../core/shape.js";
import { MAX_TENSOR_VALUES } from "../../limits.js";
import type { Rng } from "../../rng.js";
import { float32 } from "../../values.js";
import { applyActivationFloat32 } from "../activation/float.js";
import type { Refuse } from "../keras.js";
import {
  defineOp,
  type FloatOp,
  type KerasConfig,
  type LayerTensors,
  type OpExample,
  type OpKind,
} from "../registry.js";
import { emitConv, emitConvFloat } from "./emit.js";
import { type Geometry, geometry, tapCount, type WindowSpec } from "./geometry.js";
import { type ConvQOp, checkConv, convQSchema, quantizeConv, runConv } from "./quant.js";
import { ConvStep, convScratch } from "./train.js";

/** The config fields of every convolution besides its window. */
export const convFields = {
  filters: z.number().int().positive().max(MAX_TENSOR_VALUES),
  padding: z.enum(["valid", "same"]),
  activation: z.string().regex(ACTIVATION_NAME),
  /** leaky_relu's negative slope */
  alpha: float32.optional(),
  /** false: no bias */
  useBias: z.boolean().optional(),
  /** L2 regularisation factor on the kernel */
  l2: z.number().nonnegative().optional(),
  kernelInitializer: z.enum(["he_uniform", "glorot_uniform"]).optional(),
  biasInitializer: z.enum(["zeros", "uniform"]).optional(),
};

export interface ConvCommon {
  filters: number;
  padding: "valid" | "same";
  activation: string;
  alpha?: number;
  useBias?: boolean;
  l2?: number;
  kernelInitializer?: "he_uniform" | "glorot_uniform";
  biasInitializer?: "zeros" | "uniform";
}

export interface ConvolutionSpec<C extends ConvCommon> {
  kind: string;
  summary: string;
  config: z.ZodType<C>;
  /** the window of the config */
  window(config: C): WindowSpec;
  /** the input as [H, W, C]; throws ShapeError for a rank the kind does not take */
  dims(shape: Shape): [number, number, number];
  /** the output shape from the output rows, columns and filters */
  outputShape(Ho: number, Wo: number, F: number): Shape;
  /** Keras' kernel shape */
  kernelShape(config: C, channels: number): Shape;
  keras: Record<string, (config: KerasConfig, refuse: Refuse) => C>;
  examples(rng: Rng): OpExample<C>[];
}

const f32 = Math.fround;

/** What nn_conv2d_f32 computes: per output and filter, the bias, then each product and sum rounded to float. */
function runConvFloat32(op: FloatOp, g: Geometry, x: Float32Array, y: Float32Array): void {
  const F = op.outputShape[op.outputShape.length - 1];
  const { kernel, bias } = op.weights;
  const [kh, kw] = g.kernel;
  for (let oy = 0; oy < g.Ho; oy++)
    for (let ox = 0; ox < g.Wo; ox++)
      for (let f = 0; f < F; f++) {
        let acc = f32(bias?.[f] ?? 0);
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * g.strides[0] - g.padTop + ky * g.dilation[0];
          if (iy < 0 || iy >= g.H) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * g.strides[1] - g.padLeft + kx * g.dilation[1];
            if (ix < 0 || ix >= g.W) continue;
            const xo = (iy * g.W + ix) * g.C;
            const wo = (ky * kw + kx) * g.C;
            for (let c = 0; c < g.C; c++) acc = f32(acc + f32(x[xo + c] * f32(kernel[(wo + c) * F + f])));
          }
        }
        y[(oy * g.Wo + ox) * F + f] = acc;
      }
  applyActivationFloat32(op.activation, y);
}

export function defineConvolution<C extends ConvCommon>(spec: ConvolutionSpec<C>): OpKind<C, ConvQOp> {
  const geom = (config: C, [shape]: Shape[]): Geometry => {
    const [H, W, Cin] = spec.dims(shape);
    return geometry(H, W, Cin, spec.window(config));
  };
  const hasBias = (c: C) => c.useBias !== false;
  const schema = convQSchema(spec.kind);
  return defineOp<C, ConvQOp>({
    kind: spec.kind,
    summary: spec.summary,
    examples: spec.examples,
    layer: {
      config: spec.config,
      inputs: { min: 1, max: 1 },
      outputShape(config, inputs) {
        const g = geom(config, inputs);
        return spec.outputShape(g.Ho, g.Wo, config.filters);
      },
      weights(config, inputs) {
        const [, , Cin] = spec.dims(inputs[0]);
        return [
          { name: "kernel", shape: spec.kernelShape(config, Cin), trainable: true },
          ...(hasBias(config) ? [{ name: "bias", shape: [config.filters], trainable: true }] : []),
        ];
      },
      initialize(config, inputs, rng): LayerTensors {
        const g = geom(config, inputs);
        const receptive = g.kernel[0] * g.kernel[1];
        const fanIn = receptive * g.C;
        const fanOut = receptive * config.filters;
        const init =
          config.kernelInitializer === undefined
            ? getActivation(config.activation).init
            : config.kernelInitializer === "he_uniform"
              ? "he"
              : "glorot";
        const limit = init === "he" ? Math.sqrt(6 / fanIn) : Math.sqrt(6 / (fanIn + fanOut));
        const kernel = Float32Array.from({ length: fanIn * config.filters }, () =>
          rng.uniform(-limit, limit),
        );
        if (!hasBias(config)) return { kernel };
        const bias = new Float32Array(config.filters);
        if (config.biasInitializer === "uniform")
          for (let f = 0; f < bias.length; f++) bias[f] = rng.uniform(-limit, limit);
        return { kernel, bias };
      },
      cost(config, inputs) {
        const g = geom(config, inputs);
        const K = g.kernel[0] * g.kernel[1] * g.C;
        const F = config.filters;
        const params = K * F + (hasBias(config) ? F : 0);
        const integer = K * F + F * (4 + 8);
        return {
          params,
          macs: tapCount(g) * g.C * F,
          bytes: { float32: 4 * (K * F + F), int8: integer, int16: integer },
        };
      },
      activation: (config) =>
        config.activation === "linear" ? undefined : { name: config.activation, alpha: config.alpha },
      l2: (config) => (config.l2 ? { weight: "kernel", factor: config.l2 } : undefined),
      keras: spec.keras,
    },
    train: {
      scratch: (config, inputs, _output, capacity) =>
        convScratch(geom(config, inputs), config.filters, capacity),
      step: (args) => new ConvStep(geom(args.config, args.inputs), args.config.filters, args),
    },
    lower: { mode: "op" },
    op: {
      inPlace: false,
      fuses: (hint) => hint.kind === "linear" || hint.kind === "clamp" || hint.kind === "leaky",
      foldAffine(op, scale, shift) {
        const F = op.outputShape[op.outputShape.length - 1];
        const kernel = Float64Array.from(op.weights.kernel, (w, j) => w * scale[j % F]);
        const bias = Float64Array.from(
          { length: F },
          (_, f) => (op.weights.bias?.[f] ?? 0) * scale[f] + shift[f],
        );
        return { ...op, weights: { kernel, bias } };
      },
      runFloat32: (op, [x], y) => runConvFloat32(op, geom(op.config as C, op.inputShapes), x, y),
      emitFloat: (op, ctx) => emitConvFloat(op, geom(op.config as C, op.inputShapes), ctx),
      quant: {
        schema: schema as unknown as z.ZodType<ConvQOp>,
        quantize: (op, ctx) => quantizeConv(spec.kind, op, geom(op.config as C, op.inputShapes), ctx),
        check: checkConv,
        runInteger: runConv,
        emit: emitConv,
        macs: (op) => {
          const [H, W, Cin] = op.input;
          return tapCount(geometry(H, W, Cin, op)) * Cin * op.filters;
        },
        describe: (op) =>
          `${op.kernel.join("x")} ${op.filters} filters ${op.padding}${op.activation === "linear" ? "" : ` ${op.activation}`}`,
      },
    },
  });
}

/** A rank-3 input [H, W, C]. */
export function dims2d(shape: Shape): [number, number, number] {
  if (shape.length !== 3)
    throw new ShapeError(`takes an input of [height, width, channels], got [${shape.join(", ")}]`);
  return [shape[0], shape[1], shape[2]];
}

/** A rank-2 input [steps, C], as a 2-D one of height 1. */
export function dims1d(shape: Shape): [number, number, number] {
  if (shape.length !== 2)
    throw new ShapeError(`takes an input of [steps, channels], got [${shape.join(", ")}]`);
  return [1, shape[0], shape[1]];
}
