/**
 * ZeroPadding2D and ZeroPadding1D (Keras'): rows and columns of zeros around a [H, W, C] input (1-D:
 * [steps, C], steps only). In integers the padding holds the input's zero point (the code of 0) and the
 * output keeps the input's quantization. Mirrored by nn_pad_s8, nn_pad_s16 and nn_pad_f32.
 */
import { z } from "zod";
import { cComment, cFloat } from "../../codegen/cnames.js";
import { CTYPE } from "../../core/quant.js";
import type { Shape } from "../../core/shape.js";
import type { Rng } from "../../rng.js";
import { int, qopFields } from "../common.js";
import { dims1d, dims2d } from "../conv2d/conv.js";
import { atDefault, onlyKnown, type Refuse } from "../keras.js";
import { defineOp, type EmittedOp, type KerasConfig, type OpExample, type TrainStep } from "../registry.js";

const count = z.number().int().nonnegative().max(4096);

/** [top, bottom, left, right] */
type Pads = [number, number, number, number];

const padQSchema = (kind: string) =>
  z.strictObject({
    ...qopFields(kind, { min: 1, max: 1 }),
    input: z.tuple([int.positive(), int.positive(), int.positive()]),
    pads: z.tuple([int.nonnegative(), int.nonnegative(), int.nonnegative(), int.nonnegative()]),
  });

type PadQOp = z.infer<ReturnType<typeof padQSchema>>;

/** out[y][x][c] = in[y - top][x - left][c], or `fill` outside. */
function pad(
  [H, W, C]: [number, number, number],
  [top, bottom, left, right]: Pads,
  x: ArrayLike<number>,
  y: { [i: number]: number },
  fill: number,
): void {
  const Wo = W + left + right;
  const Ho = H + top + bottom;
  for (let oy = 0; oy < Ho; oy++)
    for (let ox = 0; ox < Wo; ox++)
      for (let c = 0; c < C; c++) {
        const iy = oy - top;
        const ix = ox - left;
        y[(oy * Wo + ox) * C + c] = iy >= 0 && iy < H && ix >= 0 && ix < W ? x[(iy * W + ix) * C + c] : fill;
      }
}

class PadStep implements TrainStep {
  constructor(
    private readonly dims: [number, number, number],
    private readonly pads: Pads,
  ) {}

  private get sizes() {
    const [H, W, C] = this.dims;
    const [t, b, l, r] = this.pads;
    return { inSize: H * W * C, outSize: (H + t + b) * (W + l + r) * C };
  }

  forward(x: Float32Array[], y: Float32Array, N: number): void {
    const { inSize, outSize } = this.sizes;
    for (let n = 0; n < N; n++)
      pad(
        this.dims,
        this.pads,
        x[0].subarray(n * inSize, (n + 1) * inSize),
        y.subarray(n * outSize, (n + 1) * outSize),
        0,
      );
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
    const [H, W, C] = this.dims;
    const [t, , l, r] = this.pads;
    const Wo = W + l + r;
    const { inSize, outSize } = this.sizes;
    for (let n = 0; n < N; n++)
      for (let iy = 0; iy < H; iy++)
        for (let ix = 0; ix < W; ix++)
          for (let c = 0; c < C; c++)
            d[n * inSize + (iy * W + ix) * C + c] = dy[n * outSize + ((iy + t) * Wo + ix + l) * C + c];
  }
}

interface PaddingSpec<C> {
  kind: string;
  summary: string;
  config: z.ZodType<C>;
  dims(shape: Shape): [number, number, number];
  pads(config: C): Pads;
  outputShape(Ho: number, Wo: number, C: number): Shape;
  keras: Record<string, (config: KerasConfig, refuse: Refuse) => C>;
  examples(rng: Rng): OpExample<C>[];
}

const NO_COST = { params: 0, macs: 0, bytes: { float32: 0, int8: 0, int16: 0 } };

function definePadding<C>(spec: PaddingSpec<C>) {
  const sizes = (config: C, [shape]: Shape[]) => {
    const d = spec.dims(shape);
    const [t, b, l, r] = spec.pads(config);
    return { d, Ho: d[0] + t + b, Wo: d[1] + l + r };
  };
  const call = (
    dtype: string,
    ctx: { id: string; title: string },
    d: [number, number, number],
    p: Pads,
    fill: string,
    tail: string,
  ): EmittedOp => ({
    comment: cComment(
      `${ctx.title}: zero padding of [${d.join(", ")}] by ${p[0]}, ${p[1]} rows and ${p[2]}, ${p[3]} columns, ${tail}`,
    ),
    arrays: [],
    params: {
      type: `nn_pad_${dtype}_params_t`,
      name: `${ctx.id}_params`,
      fields: [`${d.join(", ")}, ${p.join(", ")}`, fill],
      bytes: 32,
    },
    calls: ([src], dst) => [`nn_pad_${dtype}(&${ctx.id}_params, ${src}, ${dst})`],
    runtime: [`nn_pad_${dtype}.c`, "nn_pad_body.h"],
  });
  return defineOp<C, PadQOp>({
    kind: spec.kind,
    summary: spec.summary,
    examples: spec.examples,
    layer: {
      config: spec.config,
      inputs: { min: 1, max: 1 },
      outputShape(config, inputs) {
        const { d, Ho, Wo } = sizes(config, inputs);
        return spec.outputShape(Ho, Wo, d[2]);
      },
      weights: () => [],
      initialize: () => ({}),
      cost: () => NO_COST,
      keras: spec.keras,
    },
    train: { step: ({ config, inputs }) => new PadStep(spec.dims(inputs[0]), spec.pads(config)) },
    lower: { mode: "op" },
    op: {
      inPlace: false,
      runFloat32: (op, [x], y) => pad(spec.dims(op.inputShapes[0]), spec.pads(op.config as C), x, y, 0),
      emitFloat: (op, ctx) =>
        call("f32", ctx, spec.dims(op.inputShapes[0]), spec.pads(op.config as C), cFloat(0), "f32"),
      quant: {
        schema: padQSchema(spec.kind) as unknown as z.ZodType<PadQOp>,
        quantize(op, ctx) {
          const d = spec.dims(op.inputShapes[0]);
          const input = ctx.input(0);
          return {
            op: {
              kind: spec.kind,
              name: op.name,
              inputs: [...op.inputs],
              output: op.output,
              input: d,
              pads: spec.pads(op.config as C),
            },
            output: { scale: input.scale, zeroPoint: input.zeroPoint },
          };
        },
        check(op, ctx) {
          const [H, W, C] = op.input;
          const [t, b, l, r] = op.pads;
          if (ctx.size(op.inputs[0]) !== H * W * C)
            ctx.fail(
              "input",
              `is [${op.input.join(", ")}]: its tensor '${op.inputs[0]}' holds ${ctx.size(op.inputs[0])} values`,
            );
          if (ctx.size(op.output) !== (H + t + b) * (W + l + r) * C)
            ctx.fail(
              "pads",
              `give ${(H + t + b) * (W + l + r) * C} values: the output tensor holds ${ctx.size(op.output)}`,
            );
          const a = ctx.quant(op.inputs[0]);
          const o = ctx.quant(op.output);
          if (a.scale !== o.scale || a.zeroPoint !== o.zeroPoint)
            ctx.fail(
              "output",
              `'${op.output}' is quantized apart from its input: padding keeps the input's scale and zero point`,
            );
        },
        runInteger: (op, [x], out, ctx) => pad(op.input, op.pads, x, out, ctx.quant(op.inputs[0]).zeroPoint),
        emit: (op, ctx) => {
          const zp = ctx.quant(op.inputs[0]).zeroPoint;
          const { dtype } = CTYPE[ctx.precision];
          return call(
            dtype,
            ctx,
            op.input,
            op.pads,
            String(zp),
            `${dtype}, the input zero point ${zp} outside`,
          );
        },
        macs: () => 0,
        describe: (op) => `pads ${op.pads.join(", ")}`,
      },
    },
  });
}

/** Keras' padding field: an int, a pair, or a pair of pairs (2-D); an int or a pair (1-D). */
function kerasPads(config: KerasConfig, rank: 1 | 2, refuse: Refuse): number[] {
  const v = config.padding ?? 1;
  const ok = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;
  if (ok(v)) return Array(rank * 2).fill(v);
  if (Array.isArray(v) && v.length === 2 && v.every(ok)) return rank === 1 ? v : [v[0], v[0], v[1], v[1]];
  if (
    rank === 2 &&
    Array.isArray(v) &&
    v.length === 2 &&
    v.every((p) => Array.isArray(p) && p.length === 2 && p.every(ok))
  )
    return (v as number[][]).flat();
  return refuse(
    "padding",
    rank === 2 ? "an integer, 2 integers or 2 pairs of integers" : "an integer or 2 integers",
  );
}

export const zeroPadding2dConfig = z.strictObject({
  padding: z.tuple([z.tuple([count, count]), z.tuple([count, count])]),
});
export const zeroPadding1dConfig = z.strictObject({ padding: z.tuple([count, count]) });

definePadding<z.infer<typeof zeroPadding2dConfig>>({
  kind: "zero_padding2d",
  summary: "rows and columns of zeros around [height, width, channels] (Keras ZeroPadding2D)",
  config: zeroPadding2dConfig,
  dims: dims2d,
  pads: (c) => [c.padding[0][0], c.padding[0][1], c.padding[1][0], c.padding[1][1]],
  outputShape: (Ho, Wo, C) => [Ho, Wo, C],
  keras: {
    ZeroPadding2D(config, refuse) {
      onlyKnown(config, ["padding", "data_format"], refuse);
      atDefault(config, "data_format", ["channels_last"], refuse);
      const [t, b, l, r] = kerasPads(config, 2, refuse);
      return {
        padding: [
          [t, b],
          [l, r],
        ],
      };
    },
  },
  examples: (rng) => [
    {
      config: {
        padding: [
          [1, 0],
          [2, 1],
        ],
      },
      inputs: [[3, 2 + rng.int(3), 2]],
    },
  ],
});

definePadding<z.infer<typeof zeroPadding1dConfig>>({
  kind: "zero_padding1d",
  summary: "steps of zeros around [steps, channels] (Keras ZeroPadding1D)",
  config: zeroPadding1dConfig,
  dims: dims1d,
  pads: (c) => [0, 0, c.padding[0], c.padding[1]],
  outputShape: (_Ho, Wo, C) => [Wo, C],
  keras: {
    ZeroPadding1D(config, refuse) {
      onlyKnown(config, ["padding"], refuse);
      const [l, r] = kerasPads(config, 1, refuse);
      return { padding: [l, r] };
    },
  },
  examples: (rng) => [{ config: { padding: [2, 1] }, inputs: [[4 + rng.int(3), 3]] }],
});
