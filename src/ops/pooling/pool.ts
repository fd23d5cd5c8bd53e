/**
 * Pooling over a window (max or average), shared by MaxPooling1D/2D, AveragePooling1D/2D and the global
 * poolings (a window of the whole input). The window's geometry is the convolutions' (TensorFlow's
 * rule); taps over the padding are ignored: the max of the taps inside the input, and their mean over
 * their count, as TensorFlow computes them. In integers both work in the code domain with the input's
 * quantization: the largest code, or the sum of the codes divided by the count, rounded to nearest with
 * ties away from zero (TensorFlow Lite's average pool). Mirrored by nn_max_pool_* and nn_avg_pool_*.
 *
 * An int8 average over the whole input may instead compute TensorFlow Lite Micro's MEAN over height and
 * width (`mean`): where the output is quantized apart from the input, per channel the sum of the codes
 * less the input zero point, requantized by a multiplier that folds in the count, plus the output zero
 * point; where both share one quantization, the sum of the codes divided by the count, truncated toward
 * zero. Mirrored by nn_mean_s8.
 */
import { z } from "zod";
import { cComment } from "../../codegen/cnames.js";
import { CODE_RANGE, CTYPE, describeQuant, type QuantParams } from "../../core/quant.js";
import { type Shape, sizeOf } from "../../core/shape.js";
import { UsageError } from "../../errors.js";
import { clampS8, INT32_MAX, requantize } from "../../quant/fixedpoint.js";
import type { Rng } from "../../rng.js";
import type { Kernels } from "../../train/kernels/index.js";
import { int, qopFields } from "../common.js";
import { describeWindow, windowInitializer } from "../conv2d/emit.js";
import { forEachTap, type Geometry, geometry, type WindowSpec } from "../conv2d/geometry.js";
import { checkedGeometry, qGeometry, windowFields as windowRecordFields } from "../conv2d/quant.js";
import type { Refuse } from "../keras.js";
import {
  type CheckContext,
  defineOp,
  type EmittedOp,
  type FloatOp,
  type IntegerEmitContext,
  type KerasConfig,
  type OpExample,
  type OpKind,
  type RunContext,
  type StepArgs,
  type TrainStep,
} from "../registry.js";

export type PoolMode = "max" | "avg";

export interface PoolingSpec<C> {
  kind: string;
  summary: string;
  mode: PoolMode;
  config: z.ZodType<C>;
  dims(shape: Shape): [number, number, number];
  /** the window over an input of [H, W, C] */
  window(config: C, dims: [number, number, number]): WindowSpec;
  outputShape(Ho: number, Wo: number, C: number): Shape;
  keras: Record<string, (config: KerasConfig, refuse: Refuse) => C>;
  examples(rng: Rng): OpExample<C>[];
}

export function poolQSchema<K extends string>(kind: K) {
  return z.strictObject({
    ...qopFields(kind, { min: 1, max: 1 }),
    ...windowRecordFields,
    /**
     * an int8 average over the whole input as TensorFlow Lite Micro's MEAN: "rescale" gives
     * saturate(requantize(Σ (q - zp_in), mult, shift) + zp_out), "truncate" (in and out quantized
     * alike) Σ q / count truncated toward zero
     */
    mean: z
      .discriminatedUnion("rounding", [
        z.strictObject({ rounding: z.literal("rescale"), mult: int, shift: int }),
        z.strictObject({ rounding: z.literal("truncate") }),
      ])
      .optional(),
  });
}

export type PoolQOp = z.infer<ReturnType<typeof poolQSchema<string>>>;

/** Pooling in training, on the arena's kernels (src/train/kernels/window.ts and its WebAssembly twin). */
class PoolStep implements TrainStep {
  private readonly inSize: number;
  private readonly outSize: number;

  constructor(
    private readonly g: Geometry,
    private readonly mode: PoolMode,
    /** per row and output, the input index of the max (max pooling) */
    private readonly arg: Float32Array,
    private readonly kernels: Kernels,
  ) {
    this.inSize = g.H * g.W * g.C;
    this.outSize = g.Ho * g.Wo * g.C;
  }

  forward(x: Float32Array[], y: Float32Array, N: number): void {
    if (this.mode === "max") this.kernels.maxPoolForward(x[0], y, this.arg, N, this.g);
    else this.kernels.avgPoolForward(x[0], y, N, this.g);
  }

  backward(
    _x: Float32Array[],
    _y: Float32Array,
    dy: Float32Array,
    dx: (Float32Array | null)[],
    N: number,
  ): void {
    const d = dx[0];
    if (!d) return;
    if (this.mode === "max") this.kernels.maxPoolBackward(dy, this.arg, d, N, this.inSize, this.outSize);
    else this.kernels.avgPoolBackward(dy, d, N, this.g);
  }
}

const f32 = Math.fround;

/** What nn_max_pool_f32 / nn_avg_pool_f32 compute: the max, or the sum in tap order then one division, in float. */
function runPoolFloat32(g: Geometry, mode: PoolMode, x: Float32Array, y: Float32Array): void {
  let o = 0;
  for (let oy = 0; oy < g.Ho; oy++)
    for (let ox = 0; ox < g.Wo; ox++)
      for (let c = 0; c < g.C; c++, o++) {
        let best = Number.NEGATIVE_INFINITY;
        let sum = 0;
        let count = 0;
        forEachTap(g, oy, ox, (t) => {
          const v = x[t + c];
          if (v > best) best = v;
          sum = f32(sum + v);
          count++;
        });
        y[o] = mode === "max" ? best : f32(sum / count);
      }
}

/** The integer average: the sum of the codes over the count, to nearest, ties away from zero. */
export function roundedMean(sum: number, count: number): number {
  const half = Math.floor(count / 2);
  return sum >= 0 ? Math.floor((sum + half) / count) : -Math.floor((-sum + half) / count);
}

/**
 * A MEAN's checks: int8, a window of the whole input; rescaling: a multiplier in [0, 2^31), a shift in
 * [-31, 30], every sum of codes less the zero point shifted left by a positive shift inside int32;
 * truncating: the input's quantization.
 */
function checkMean(op: PoolQOp, g: Geometry, ctx: CheckContext): void {
  const m = op.mean;
  if (!m) return;
  if (ctx.precision !== "int8") ctx.fail("mean", `is set in an ${ctx.precision} program: expected int8`);
  if (g.Ho !== 1 || g.Wo !== 1 || g.kernel[0] !== g.H || g.kernel[1] !== g.W)
    ctx.fail("mean", "is set on a window smaller than the input: expected an average of the whole input");
  const a = ctx.quant(op.inputs[0]);
  const b = ctx.quant(op.output);
  if (m.rounding === "truncate") {
    if (a.scale !== b.scale || a.zeroPoint !== b.zeroPoint)
      ctx.fail("mean", "truncates with the output quantized apart from its input: expected one quantization");
    return;
  }
  if (!(Number.isInteger(m.mult) && m.mult >= 0 && m.mult <= INT32_MAX))
    ctx.fail("mean", `has multiplier ${m.mult}: expected an integer in [0, 2^31)`);
  if (!(Number.isInteger(m.shift) && m.shift >= -31 && m.shift <= 30))
    ctx.fail("mean", `has shift ${m.shift}: expected an integer in [-31, 30]`);
  const bound = g.H * g.W * Math.max(a.zeroPoint + 128, 127 - a.zeroPoint) * 2 ** Math.max(m.shift, 0);
  if (bound > INT32_MAX)
    ctx.fail("mean", `gives sums of up to ${bound} after its left shift: expected them inside int32`);
}

/** The MEAN of every channel, as nn_mean_s8 computes it. */
function runMean(op: PoolQOp, g: Geometry, x: Int32Array, out: Int32Array, ctx: RunContext): void {
  const m = op.mean!;
  const zpIn = ctx.quant(op.inputs[0]).zeroPoint;
  const zpOut = ctx.quant(op.output).zeroPoint;
  const count = g.H * g.W;
  for (let c = 0; c < g.C; c++) {
    let sum = 0;
    for (let p = 0; p < count; p++) sum += x[p * g.C + c];
    out[c] =
      m.rounding === "truncate"
        ? Math.trunc(sum / count)
        : clampS8(requantize(sum - count * zpIn, m.mult, m.shift) + zpOut);
  }
}

/** The C of a MEAN (nn_mean_s8). */
function emitMean(op: PoolQOp, g: Geometry, ctx: IntegerEmitContext): EmittedOp {
  const m = op.mean!;
  const [mult, shift] = m.rounding === "rescale" ? [m.mult, m.shift] : [0, 0];
  const a = ctx.quant(op.inputs[0]);
  const b = ctx.quant(op.output);
  const how = m.rounding === "rescale" ? "rescaled" : "truncated";
  return {
    comment: cComment(
      `${ctx.title}: mean over ${g.H}x${g.W} of ${g.C} channels, ${how} (TensorFlow Lite Micro's MEAN), s8 ${describeQuant(a)} in, ${describeQuant(b)} out`,
    ),
    arrays: [],
    params: {
      type: "nn_mean_s8_params_t",
      name: `${ctx.id}_params`,
      fields: [
        `${g.H}, ${g.W}, ${g.C}, ${m.rounding === "truncate" ? 1 : 0}, ${mult}, ${shift}, ${a.zeroPoint}, ${b.zeroPoint}`,
      ],
      bytes: 32,
    },
    calls: ([src], dst) => [`nn_mean_s8(&${ctx.id}_params, ${src}, ${dst})`],
    runtime: ["nn_mean_s8.c"],
  };
}

/** The largest window an integer average takes: its sum of codes must fit int32. */
function checkArea(g: Geometry, precision: "int8" | "int16", fail: (message: string) => never): void {
  const { lo } = CODE_RANGE[precision];
  const area = g.kernel[0] * g.kernel[1];
  if (area * -lo > INT32_MAX) fail(`is ${g.kernel.join("x")}: the sum of ${area} codes may overflow int32`);
}

export function definePooling<C>(spec: PoolingSpec<C>): OpKind<C, PoolQOp> {
  const geom = (config: C, [shape]: Shape[]): Geometry => {
    const d = spec.dims(shape);
    return geometry(d[0], d[1], d[2], spec.window(config, d));
  };
  const name = spec.mode === "max" ? "max_pool" : "avg_pool";
  const NO_COST = { params: 0, macs: 0, bytes: { float32: 0, int8: 0, int16: 0 } };
  return defineOp<C, PoolQOp>({
    kind: spec.kind,
    summary: spec.summary,
    examples: spec.examples,
    layer: {
      config: spec.config,
      inputs: { min: 1, max: 1 },
      outputShape(config, inputs) {
        const g = geom(config, inputs);
        return spec.outputShape(g.Ho, g.Wo, g.C);
      },
      weights: () => [],
      initialize: () => ({}),
      cost: () => NO_COST,
      keras: spec.keras,
    },
    train: {
      scratch: (_config, _inputs, output, capacity) =>
        spec.mode === "max" ? [capacity * sizeOf(output)] : [],
      step: (args: StepArgs<C>) =>
        new PoolStep(
          geom(args.config, args.inputs),
          spec.mode,
          args.scratch[0] ?? new Float32Array(0),
          args.kernels,
        ),
    },
    lower: { mode: "op" },
    op: {
      inPlace: false,
      runFloat32: (op, [x], y) => runPoolFloat32(geom(op.config as C, op.inputShapes), spec.mode, x, y),
      emitFloat: (op: FloatOp, ctx): EmittedOp => {
        const g = geom(op.config as C, op.inputShapes);
        return {
          comment: cComment(`${ctx.title}: ${spec.mode} pooling ${describeWindow(g, g.C)}, f32`),
          arrays: [],
          params: {
            type: "nn_window_t",
            name: `${ctx.id}_window`,
            fields: [windowInitializer(g).slice(2, -2)],
            bytes: 52,
          },
          calls: ([src], dst) => [`nn_${name}_f32(&${ctx.id}_window, ${src}, ${dst})`],
          runtime: [`nn_${name}_f32.c`],
        };
      },
      quant: {
        schema: poolQSchema(spec.kind) as unknown as z.ZodType<PoolQOp>,
        quantize(op, ctx): { op: PoolQOp; output: QuantParams } {
          const g = geom(op.config as C, op.inputShapes);
          if (spec.mode === "avg")
            checkArea(g, ctx.precision, (m) => {
              throw new UsageError(`${ctx.where}: the window ${m}`);
            });
          const q: PoolQOp = {
            kind: spec.kind,
            name: op.name,
            inputs: [...op.inputs],
            output: op.output,
            input: [g.H, g.W, g.C],
            kernel: [...g.kernel],
            strides: [...g.strides],
            dilation: [...g.dilation],
            padding: g.padding,
          };
          // pooling keeps the input's quantization: the output codes are input codes (or their mean)
          return { op: q, output: ctx.input(0) };
        },
        check(op, ctx) {
          const g = checkedGeometry(op, ctx);
          if (op.dilation[0] !== 1 || op.dilation[1] !== 1)
            ctx.fail("dilation", `is [${op.dilation.join(", ")}]: a pooling window is not dilated ([1, 1])`);
          const [H, W, Cin] = op.input;
          if (ctx.size(op.inputs[0]) !== H * W * Cin)
            ctx.fail(
              "input",
              `is [${op.input.join(", ")}]: its tensor '${op.inputs[0]}' holds ${ctx.size(op.inputs[0])} values`,
            );
          if (ctx.size(op.output) !== g.Ho * g.Wo * Cin)
            ctx.fail(
              "kernel",
              `gives ${g.Ho * g.Wo * Cin} output values: the output tensor holds ${ctx.size(op.output)}`,
            );
          if (op.mean && spec.mode !== "avg")
            ctx.fail("mean", "is set on a max pooling: expected it on an average only");
          checkMean(op, g, ctx);
          const a = ctx.quant(op.inputs[0]);
          const b = ctx.quant(op.output);
          if (!op.mean && (a.scale !== b.scale || a.zeroPoint !== b.zeroPoint))
            ctx.fail(
              "output",
              `'${op.output}' is quantized apart from its input: pooling keeps the input's scale and zero point`,
            );
          if (spec.mode === "avg") checkArea(g, ctx.precision, (m) => ctx.fail("kernel", m));
        },
        runInteger(op, [x], out, ctx) {
          const g = qGeometry(op);
          if (op.mean) return runMean(op, g, x, out, ctx);
          let o = 0;
          for (let oy = 0; oy < g.Ho; oy++)
            for (let ox = 0; ox < g.Wo; ox++)
              for (let c = 0; c < g.C; c++, o++) {
                let best = Number.NEGATIVE_INFINITY;
                let sum = 0;
                let count = 0;
                forEachTap(g, oy, ox, (t) => {
                  best = Math.max(best, x[t + c]);
                  sum += x[t + c];
                  count++;
                });
                out[o] = spec.mode === "max" ? best : roundedMean(sum, count);
              }
        },
        emit(op, ctx): EmittedOp {
          const g = qGeometry(op);
          if (op.mean) return emitMean(op, g, ctx);
          const { dtype } = CTYPE[ctx.precision];
          return {
            comment: cComment(
              `${ctx.title}: ${spec.mode} pooling ${describeWindow(g, g.C)}, ${dtype} ${describeQuant(ctx.quant(op.output))} in and out`,
            ),
            arrays: [],
            params: {
              type: "nn_window_t",
              name: `${ctx.id}_window`,
              fields: [windowInitializer(g).slice(2, -2)],
              bytes: 52,
            },
            calls: ([src], dst) => [`nn_${name}_${dtype}(&${ctx.id}_window, ${src}, ${dst})`],
            runtime: [
              `nn_${name}_${dtype}.c`,
              "nn_pool_body.h",
              ...(dtype === "s8" ? ["nn_pool_s8_fast.h"] : []),
            ],
          };
        },
        macs: () => 0,
        describe: (op) =>
          `${spec.mode} ${op.kernel.join("x")} ${op.padding}${op.mean ? `, MEAN (${op.mean.rounding})` : ""}`,
      },
    },
  });
}
