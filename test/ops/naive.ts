/**
 * Naive definitions of every integer op, in BigInt: the arithmetic as the specification states it
 * (gemmlowp's rounding high multiply and rounding shift, TensorFlow Lite's ADD, the tables), with no
 * concern for int32 or float64 limits. The contract test holds the integer reference to these, and every
 * op kind that registers an integer program must have one here (the test fails otherwise).
 *
 * Each definition also counts its multiply-accumulates, which the test compares with the kind's cost.
 */
import type { QuantParams } from "../../src/core/quant.js";
import { CODE_RANGE, type Precision } from "../../src/core/quant.js";
import type { QModel, QOp } from "../../src/quant/schema.js";

const B = BigInt;
const TWO31 = 1n << 31n;

/** C's truncating division of BigInts (BigInt `/` truncates too). */
const clampB = (x: bigint, lo: bigint, hi: bigint) => (x < lo ? lo : x > hi ? hi : x);

/** gemmlowp SaturatingRoundingDoublingHighMul on int32 values. */
function srdhm(a: bigint, b: bigint): bigint {
  if (a === -TWO31 && b === -TWO31) return TWO31 - 1n;
  const ab = a * b;
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return (ab + nudge) / TWO31;
}

/** gemmlowp RoundingDivideByPOT: x / 2^e rounded half away from zero. */
function rdpot(x: bigint, e: bigint): bigint {
  const mask = (1n << e) - 1n;
  const remainder = x & mask;
  const threshold = (mask >> 1n) + (x < 0n ? 1n : 0n);
  return (x >> e) + (remainder > threshold ? 1n : 0n);
}

/** TFLite MultiplyByQuantizedMultiplier; the accumulator shifted left must be an int32 (asserted). */
export function requantizeB(acc: bigint, mult: number, shift: number): bigint {
  const left = B(Math.max(shift, 0));
  const x = acc << left;
  if (x < -TWO31 || x >= TWO31) throw new Error(`requantize: ${acc} << ${left} leaves int32`);
  return rdpot(srdhm(x, B(mult)), B(Math.max(-shift, 0)));
}

/** 64-bit requantization: sign(acc) · floor((|acc| · mult + 2^(n-1)) / 2^n), n = 16 - shift, saturated. */
export function requantize64B(acc: bigint, mult: number, shift: number): bigint {
  if (acc >= 1n << 47n || acc <= -(1n << 47n)) throw new Error(`requantize64: |${acc}| >= 2^47`);
  const n = B(16 - shift);
  const abs = acc < 0n ? -acc : acc;
  const m = (abs * B(mult) + (1n << (n - 1n))) >> n;
  return clampB(acc < 0n ? -m : m, -TWO31, TWO31 - 1n);
}

interface OutputStage {
  accumulator: "s32" | "s64";
  mult: number[];
  shift: number[];
  negMult?: number[];
  negShift?: number[];
  clampLo: number;
  clampHi: number;
}

function outputCode(op: OutputStage, c: number, acc: bigint, zp: number): number {
  const neg = acc < 0n && op.negMult !== undefined;
  const m = neg ? op.negMult![c] : op.mult[c];
  const s = neg ? op.negShift![c] : op.shift[c];
  if (op.accumulator === "s32" && (acc < -TWO31 || acc >= TWO31))
    throw new Error(`accumulator ${acc} leaves int32`);
  const r = op.accumulator === "s32" ? requantizeB(acc, m, s) : requantize64B(acc, m, s);
  return Number(clampB(r + B(zp), B(op.clampLo), B(op.clampHi)));
}

export interface NaiveContext {
  precision: Precision;
  quant(tensor: string): QuantParams;
  tables: QModel["tables"];
}

export interface NaiveResult {
  out: number[];
  macs: number;
}

type Naive = (op: never, inputs: Int32Array[], ctx: NaiveContext) => NaiveResult;

interface TableS16Like {
  symmetric: boolean;
  codeLo: number;
  codeHi: number;
  lowOut: number;
  highOut: number;
  zoneStart: number[];
  zoneKnot: number[];
  zoneLog2: number[];
  entries: number[];
  outBase: number;
  shift: number;
  rounding: number;
  mirror: number;
}

export const NAIVE: Record<string, Naive> = {
  dense(
    op: { units: number; weights: number[][]; bias: number[] } & OutputStage & { output: string },
    [x],
    ctx,
  ) {
    const zp = ctx.quant(op.output).zeroPoint;
    let macs = 0;
    const out = op.weights.map((row, o) => {
      let acc = B(op.bias[o]);
      row.forEach((w, i) => {
        acc += B(x[i]) * B(w);
        macs++;
      });
      return outputCode(op, o, acc, zp);
    });
    return { out, macs };
  },

  batch_normalization(
    op: { channels: number; weights: number[]; bias: number[] } & OutputStage & { output: string },
    [x],
    ctx,
  ) {
    const zp = ctx.quant(op.output).zeroPoint;
    const out = Array.from(x, (v, i) => {
      const c = i % op.channels;
      return outputCode(op, c, B(op.bias[c]) + B(v) * B(op.weights[c]), zp);
    });
    return { out, macs: x.length };
  },

  add(
    op: {
      inputs: string[];
      output: string;
      leftShift: number;
      mult: number[];
      shift: number[];
      outMult: number;
      outShift: number;
      clampLo: number;
      clampHi: number;
    },
    xs,
    ctx,
  ) {
    const zp = ctx.quant(op.output).zeroPoint;
    const out = Array.from(xs[0], (_, i) => {
      let sum = 0n;
      xs.forEach((x, k) => {
        const shifted = (B(x[i]) - B(ctx.quant(op.inputs[k]).zeroPoint)) << B(op.leftShift);
        sum += requantizeB(shifted, op.mult[k], op.shift[k]);
      });
      const r = requantizeB(sum, op.outMult, op.outShift) + B(zp);
      return Number(clampB(r, B(op.clampLo), B(op.clampHi)));
    });
    return { out, macs: 0 };
  },

  conv2d: naiveConv,
  conv1d: naiveConv,
  depthwise_conv2d: naiveDepthwise,
  zero_padding2d: naivePad,
  zero_padding1d: naivePad,
  ...Object.fromEntries(
    ["max", "average", "global_max", "global_average"].flatMap((word) =>
      [1, 2].map((rank) => [`${word}_pooling${rank}d`, word.endsWith("max") ? naiveMaxPool : naiveAvgPool]),
    ),
  ),

  activation(op: { table: number }, [x], ctx) {
    const table = ctx.tables[op.table] as unknown as { kind: string; entries: number[] };
    const { lo } = CODE_RANGE[ctx.precision];
    switch (table.kind) {
      case "table_s8":
        return { out: Array.from(x, (q) => table.entries[q - lo]), macs: 0 };
      case "table_s16": {
        const t = table as unknown as TableS16Like;
        const out = Array.from(x, (q) => {
          const mirrored = t.symmetric && q < 0;
          const d = mirrored ? -q : q;
          let v: bigint;
          if (d < t.codeLo) v = B(t.lowOut);
          else if (d > t.codeHi) v = B(t.highOut);
          else {
            // zones of segments of 2^log2 codes; linear interpolation in Q15 between two knots
            const r = d - t.codeLo;
            let z = 0;
            while (z + 1 < t.zoneStart.length && r >= t.zoneStart[z + 1]) z++;
            const u = B(r - t.zoneStart[z]);
            const a = B(t.zoneLog2[z]);
            const k = t.zoneKnot[z] + Number(u >> a);
            const w = (u - ((u >> a) << a)) << (15n - a);
            const sum = B(t.entries[k]) * (32768n - w) + B(t.entries[k + 1] ?? 0) * w;
            v = B(t.outBase) + ((sum + B(t.rounding)) >> B(t.shift));
          }
          return Number(clampB(mirrored ? B(t.mirror) - v : v, -32768n, 32767n));
        });
        return { out, macs: 0 };
      }
      case "softmax_s8":
      case "softmax_s16": {
        const s8 = table.kind === "softmax_s8";
        const max = x.reduce((m, v) => Math.max(m, v), -Infinity);
        const e = (q: number): bigint => {
          const d = max - q;
          if (s8) return B(table.entries[d]);
          return (B(table.entries[d >> 8]) * B(table.entries[256 + (d & 255)]) + (1n << 30n)) >> 31n;
        };
        const sum = Array.from(x).reduce((s, q) => s + e(q), 0n);
        const out = Array.from(x, (q) => {
          const v = (e(q) * (s8 ? 256n : 32768n) + sum / 2n) / sum;
          return s8 ? Number(clampB(v - 128n, -128n, 127n)) : Number(v > 32767n ? 32767n : v);
        });
        return { out, macs: 0 };
      }
      default:
        throw new Error(`no naive definition of table kind '${table.kind}'`);
    }
  },
};

interface ConvLike extends OutputStage {
  inputs: string[];
  output: string;
  input: [number, number, number];
  kernel: [number, number];
  strides: [number, number];
  dilation: [number, number];
  padding: "valid" | "same";
  filters: number;
  weights: number[][];
  bias: number[];
}

/** TensorFlow's output size and padding of one axis, written out again. */
function tfAxis(size: number, k: number, s: number, d: number, padding: string) {
  const span = (k - 1) * d + 1;
  if (padding === "valid") return { out: Math.floor((size - span) / s) + 1, pad: 0 };
  const out = Math.ceil(size / s);
  return { out, pad: Math.floor(Math.max((out - 1) * s + span - size, 0) / 2) };
}

/** Every output and filter: the bias plus (x - zp) · w over the window, padding taps skipped (they hold zp). */
function naiveConv(op: ConvLike, [x]: Int32Array[], ctx: NaiveContext): NaiveResult {
  const [H, W, C] = op.input;
  const rows = tfAxis(H, op.kernel[0], op.strides[0], op.dilation[0], op.padding);
  const cols = tfAxis(W, op.kernel[1], op.strides[1], op.dilation[1], op.padding);
  const zpIn = B(ctx.quant(op.inputs[0]).zeroPoint);
  const zpOut = ctx.quant(op.output).zeroPoint;
  const out: number[] = [];
  let macs = 0;
  for (let oy = 0; oy < rows.out; oy++)
    for (let ox = 0; ox < cols.out; ox++)
      for (let f = 0; f < op.filters; f++) {
        let acc = B(op.bias[f]);
        for (let ky = 0; ky < op.kernel[0]; ky++)
          for (let kx = 0; kx < op.kernel[1]; kx++)
            for (let c = 0; c < C; c++) {
              const iy = oy * op.strides[0] - rows.pad + ky * op.dilation[0];
              const ix = ox * op.strides[1] - cols.pad + kx * op.dilation[1];
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              acc +=
                (B(x[(iy * W + ix) * C + c]) - zpIn) * B(op.weights[f][(ky * op.kernel[1] + kx) * C + c]);
              macs++;
            }
        out.push(outputCode(op, f, acc, zpOut));
      }
  return { out, macs };
}

/** Output channel o = c·M + m: the bias plus (x[c] - zp) · w[o] over the window, padding taps skipped. */
function naiveDepthwise(
  op: Omit<ConvLike, "filters"> & { depthMultiplier: number },
  [x]: Int32Array[],
  ctx: NaiveContext,
): NaiveResult {
  const [H, W, C] = op.input;
  const M = op.depthMultiplier;
  const rows = tfAxis(H, op.kernel[0], op.strides[0], op.dilation[0], op.padding);
  const cols = tfAxis(W, op.kernel[1], op.strides[1], op.dilation[1], op.padding);
  const zpIn = B(ctx.quant(op.inputs[0]).zeroPoint);
  const zpOut = ctx.quant(op.output).zeroPoint;
  const out: number[] = [];
  let macs = 0;
  for (let oy = 0; oy < rows.out; oy++)
    for (let ox = 0; ox < cols.out; ox++)
      for (let c = 0; c < C; c++)
        for (let m = 0; m < M; m++) {
          const o = c * M + m;
          let acc = B(op.bias[o]);
          for (let ky = 0; ky < op.kernel[0]; ky++)
            for (let kx = 0; kx < op.kernel[1]; kx++) {
              const iy = oy * op.strides[0] - rows.pad + ky * op.dilation[0];
              const ix = ox * op.strides[1] - cols.pad + kx * op.dilation[1];
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              acc += (B(x[(iy * W + ix) * C + c]) - zpIn) * B(op.weights[o][ky * op.kernel[1] + kx]);
              macs++;
            }
          out.push(outputCode(op, o, acc, zpOut));
        }
  return { out, macs };
}

/** The input inside a border of its zero point. */
function naivePad(
  op: { inputs: string[]; input: [number, number, number]; pads: [number, number, number, number] },
  [x]: Int32Array[],
  ctx: NaiveContext,
): NaiveResult {
  const [H, W, C] = op.input;
  const [t, b, l, r] = op.pads;
  const zp = ctx.quant(op.inputs[0]).zeroPoint;
  const out: number[] = [];
  for (let y = -t; y < H + b; y++)
    for (let xx = -l; xx < W + r; xx++)
      for (let c = 0; c < C; c++)
        out.push(y >= 0 && y < H && xx >= 0 && xx < W ? x[(y * W + xx) * C + c] : zp);
  return { out, macs: 0 };
}

type PoolLike = Omit<ConvLike, "filters" | "weights" | "bias" | keyof OutputStage>;

/** The codes of every window's taps inside the input, per output position and channel. */
function windows(op: PoolLike, x: Int32Array): bigint[][] {
  const [H, W, C] = op.input;
  const rows = tfAxis(H, op.kernel[0], op.strides[0], op.dilation[0], op.padding);
  const cols = tfAxis(W, op.kernel[1], op.strides[1], op.dilation[1], op.padding);
  const out: bigint[][] = [];
  for (let oy = 0; oy < rows.out; oy++)
    for (let ox = 0; ox < cols.out; ox++)
      for (let c = 0; c < C; c++) {
        const taps: bigint[] = [];
        for (let ky = 0; ky < op.kernel[0]; ky++)
          for (let kx = 0; kx < op.kernel[1]; kx++) {
            const iy = oy * op.strides[0] - rows.pad + ky * op.dilation[0];
            const ix = ox * op.strides[1] - cols.pad + kx * op.dilation[1];
            if (iy >= 0 && iy < H && ix >= 0 && ix < W) taps.push(B(x[(iy * W + ix) * C + c]));
          }
        out.push(taps);
      }
  return out;
}

function naiveMaxPool(op: PoolLike, [x]: Int32Array[]): NaiveResult {
  return { out: windows(op, x).map((t) => Number(t.reduce((a, b) => (b > a ? b : a)))), macs: 0 };
}

/** The mean of the codes, rounded to nearest with ties away from zero: round(2·sum / count) halved. */
function naiveAvgPool(op: PoolLike, [x]: Int32Array[]): NaiveResult {
  const out = windows(op, x).map((t) => {
    const sum = t.reduce((a, b) => a + b, 0n);
    const n = B(t.length);
    const q = (2n * (sum < 0n ? -sum : sum) + n) / (2n * n);
    return Number(sum < 0n ? -q : q);
  });
  return { out, macs: 0 };
}

/** The naive output of an op and its multiply-accumulates. */
export function runNaive(op: QOp, inputs: Int32Array[], ctx: NaiveContext): NaiveResult {
  const f = NAIVE[op.kind];
  if (!f) throw new Error(`no naive definition of op kind '${op.kind}' in test/ops/naive.ts`);
  return f(op as never, inputs, ctx);
}
