/**
 * Pooling over a window (max or average), shared by MaxPooling1D/2D, AveragePooling1D/2D and the global
 * poolings (a window of the whole input). The window's geometry is the convolutions' (TensorFlow's
 * rule); taps over the padding are ignored: the max of the taps inside the input, and their mean over
 * their count, as TensorFlow computes them. In integers both work in the code domain with the input's
 * quantization: the largest code, or the sum of the codes divided by the count, rounded to nearest with
 * ties away from zero (TensorFlow Lite's average pool). Mirrored by nn_max_pool_* and nn_avg_pool_*.
 */
import { z } from "zod";
import { cComment } from "../../codegen/cnames.js";
import { CODE_RANGE, CTYPE, describeQuant, type QuantParams } from "../../core/quant.js";
import { type Shape, sizeOf } from "../../core/shape.js";
import { UsageError } from "../../errors.js";
import { INT32_MAX } from "../../quant/fixedpoint.js";
import type { Rng } from "../../rng.js";
import { qopFields } from "../common.js";
import { describeWindow, windowInitializer } from "../conv2d/emit.js";
import { type Geometry, geometry, type WindowSpec } from "../conv2d/geometry.js";
import { checkedGeometry, qGeometry, windowFields as windowRecordFields } from "../conv2d/quant.js";
import type { Refuse } from "../keras.js";
import {
  defineOp,
  type EmittedOp,
  type FloatOp,
  type KerasConfig,
  type OpExample,
  type OpKind,
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
  return z.strictObject({ ...qopFields(kind, { min: 1, max: 1 }), ...windowRecordFields });
}

export type PoolQOp = z.infer<ReturnType<typeof poolQSchema<string>>>;

/** Visits the taps of output (oy, ox) inside the input: fn(offset of the tap's first channel). */
function forTaps(g: Geometry, oy: number, ox: number, fn: (offset: number) => void): void {
  for (let ky = 0; ky < g.kernel[0]; ky++) {
    const iy = oy * g.strides[0] - g.padTop + ky * g.dilation[0];
    if (iy < 0 || iy >= g.H) continue;
    for (let kx = 0; kx < g.kernel[1]; kx++) {
      const ix = ox * g.strides[1] - g.padLeft + kx * g.dilation[1];
      if (ix >= 0 && ix < g.W) fn((iy * g.W + ix) * g.C);
    }
  }
}

/** Per output row (or column) along an axis, its first and one-past-last input, clipped (no dilation). */
function spans(out: number, stride: number, pad: number, k: number, size: number): Int32Array {
  const s = new Int32Array(2 * out);
  for (let o = 0; o < out; o++) {
    const first = o * stride - pad;
    s[2 * o] = Math.max(first, 0);
    s[2 * o + 1] = Math.min(first + k, size);
  }
  return s;
}

class PoolStep implements TrainStep {
  private readonly inSize: number;
  private readonly outSize: number;
  private readonly rows: Int32Array;
  private readonly cols: Int32Array;
  /** per channel: the best value or the sum of one window, and where the best came from */
  private readonly acc: Float64Array;
  private readonly at: Int32Array;

  constructor(
    private readonly g: Geometry,
    private readonly mode: PoolMode,
    /** per row and output, the input index of the max (max pooling) */
    private readonly arg: Float32Array,
  ) {
    this.inSize = g.H * g.W * g.C;
    this.outSize = g.Ho * g.Wo * g.C;
    this.rows = spans(g.Ho, g.strides[0], g.padTop, g.kernel[0], g.H);
    this.cols = spans(g.Wo, g.strides[1], g.padLeft, g.kernel[1], g.W);
    this.acc = new Float64Array(g.C);
    this.at = new Int32Array(g.C);
  }

  forward(x: Float32Array[], y: Float32Array, N: number): void {
    const { g, arg, rows, cols, acc, at } = this;
    const max = this.mode === "max";
    const input = x[0];
    const { C, W } = g;
    for (let n = 0; n < N; n++) {
      const xb = n * this.inSize;
      let o = n * this.outSize;
      for (let oy = 0; oy < g.Ho; oy++) {
        const y0 = rows[2 * oy];
        const y1 = rows[2 * oy + 1];
        for (let ox = 0; ox < g.Wo; ox++) {
          const x0 = cols[2 * ox];
          const x1 = cols[2 * ox + 1];
          acc.fill(max ? Number.NEGATIVE_INFINITY : 0);
          for (let iy = y0; iy < y1; iy++)
            for (let ix = x0; ix < x1; ix++) {
              const t = (iy * W + ix) * C;
              if (max) {
                for (let c = 0; c < C; c++) {
                  const v = input[xb + t + c];
                  if (v > acc[c]) {
                    acc[c] = v;
                    at[c] = t + c;
                  }
                }
              } else for (let c = 0; c < C; c++) acc[c] += input[xb + t + c];
            }
          if (max) {
            for (let c = 0; c < C; c++, o++) {
              y[o] = acc[c];
              arg[o] = at[c];
            }
          } else {
            const count = (y1 - y0) * (x1 - x0);
            for (let c = 0; c < C; c++, o++) y[o] = acc[c] / count;
          }
        }
      }
    }
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
    const { g, rows, cols } = this;
    const { C, W } = g;
    d.fill(0, 0, N * this.inSize);
    for (let n = 0; n < N; n++) {
      const xb = n * this.inSize;
      let o = n * this.outSize;
      if (this.mode === "max") {
        for (let k = 0; k < this.outSize; k++, o++) d[xb + this.arg[o]] += dy[o];
        continue;
      }
      for (let oy = 0; oy < g.Ho; oy++) {
        const y0 = rows[2 * oy];
        const y1 = rows[2 * oy + 1];
        for (let ox = 0; ox < g.Wo; ox++, o += C) {
          const x0 = cols[2 * ox];
          const x1 = cols[2 * ox + 1];
          const count = (y1 - y0) * (x1 - x0);
          for (let iy = y0; iy < y1; iy++)
            for (let ix = x0; ix < x1; ix++) {
              const t = xb + (iy * W + ix) * C;
              for (let c = 0; c < C; c++) d[t + c] += dy[o + c] / count;
            }
        }
      }
    }
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
        forTaps(g, oy, ox, (t) => {
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
        new PoolStep(geom(args.config, args.inputs), spec.mode, args.scratch[0] ?? new Float32Array(0)),
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
          const a = ctx.quant(op.inputs[0]);
          const b = ctx.quant(op.output);
          if (a.scale !== b.scale || a.zeroPoint !== b.zeroPoint)
            ctx.fail(
              "output",
              `'${op.output}' is quantized apart from its input: pooling keeps the input's scale and zero point`,
            );
          if (spec.mode === "avg") checkArea(g, ctx.precision, (m) => ctx.fail("kernel", m));
        },
        runInteger(op, [x], out) {
          const g = qGeometry(op);
          let o = 0;
          for (let oy = 0; oy < g.Ho; oy++)
            for (let ox = 0; ox < g.Wo; ox++)
              for (let c = 0; c < g.C; c++, o++) {
                let best = Number.NEGATIVE_INFINITY;
                let sum = 0;
                let count = 0;
                forTaps(g, oy, ox, (t) => {
                  best = Math.max(best, x[t + c]);
                  sum += x[t + c];
                  count++;
                });
                out[o] = spec.mode === "max" ? best : roundedMean(sum, count);
              }
        },
        emit(op, ctx): EmittedOp {
          const g = qGeometry(op);
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
            runtime: [`nn_${name}_${dtype}.c`, "nn_pool_body.h"],
          };
        },
        macs: () => 0,
        describe: (op) => `${spec.mode} ${op.kernel.join("x")} ${op.padding}`,
      },
    },
  });
}
