/**
 * The geometry of a sliding window over a [H, W, C] tensor (channels last), shared by the convolutions
 * and the pooling ops: output size and padding by TensorFlow's rule. "valid": no padding, only windows
 * that fit; "same": ceil(size / stride) outputs, with padding split so that the odd pixel goes at the
 * end (bottom, right). A 1-D op is the 2-D one with a height of 1.
 */
import { ShapeError } from "../../core/shape.js";
import { MAX_TENSOR_VALUES } from "../../limits.js";

export type Padding = "valid" | "same";

export interface WindowSpec {
  /** window size, stride and dilation per axis: [height, width] */
  kernel: [number, number];
  strides: [number, number];
  dilation: [number, number];
  padding: Padding;
}

export interface Geometry extends WindowSpec {
  H: number;
  W: number;
  C: number;
  Ho: number;
  Wo: number;
  padTop: number;
  padLeft: number;
}

function axis(size: number, k: number, s: number, d: number, padding: Padding, name: string) {
  const span = (k - 1) * d + 1;
  // bounds that keep every index the kernels compute (o·s - pad + j·d) far inside int32
  if (span > MAX_TENSOR_VALUES || s > MAX_TENSOR_VALUES) {
    throw new ShapeError(
      `the window spans ${span} ${name}${d > 1 ? " (dilated)" : ""} with stride ${s}: expected a span and stride of at most ${MAX_TENSOR_VALUES}`,
    );
  }
  if (padding === "valid") {
    if (span > size) {
      throw new ShapeError(
        `the window spans ${span} ${name}${d > 1 ? " (dilated)" : ""}, the input has ${size}: expected a window no larger than the input, or padding "same"`,
      );
    }
    return { out: Math.floor((size - span) / s) + 1, pad: 0 };
  }
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + span - size, 0);
  return { out, pad: Math.floor(total / 2) };
}

/** The geometry of a window over an input of [H, W, C]; throws ShapeError when it cannot fit. */
export function geometry(H: number, W: number, C: number, spec: WindowSpec): Geometry {
  const [kh, kw] = spec.kernel;
  const [sh, sw] = spec.strides;
  const [dh, dw] = spec.dilation;
  const rows = axis(H, kh, sh, dh, spec.padding, H === 1 ? "rows" : "rows");
  const cols = axis(W, kw, sw, dw, spec.padding, "steps");
  return { ...spec, H, W, C, Ho: rows.out, Wo: cols.out, padTop: rows.pad, padLeft: cols.pad };
}

/** How many window positions of each output row (or column) fall inside the input: their sum over the outputs. */
export function validTaps(size: number, out: number, k: number, s: number, d: number, pad: number): number {
  let n = 0;
  for (let o = 0; o < out; o++) {
    // taps j in [0, k) with 0 <= o·s - pad + j·d < size
    const first = o * s - pad;
    const lo = Math.max(0, Math.ceil(-first / d));
    const hi = Math.min(k - 1, Math.floor((size - 1 - first) / d));
    if (hi >= lo) n += hi - lo + 1;
  }
  return n;
}

/** Multiply-accumulates of one pass over the input: every valid tap, for every channel pair. */
export function tapCount(g: Geometry): number {
  return (
    validTaps(g.H, g.Ho, g.kernel[0], g.strides[0], g.dilation[0], g.padTop) *
    validTaps(g.W, g.Wo, g.kernel[1], g.strides[1], g.dilation[1], g.padLeft)
  );
}

/** Calls fn(offset of the tap's input channel 0, tap index ky · kw + kx) for each tap of output (oy, ox) inside the input. */
export function forEachTap(
  g: Geometry,
  oy: number,
  ox: number,
  fn: (offset: number, tap: number) => void,
): void {
  for (let ky = 0; ky < g.kernel[0]; ky++) {
    const iy = oy * g.strides[0] - g.padTop + ky * g.dilation[0];
    if (iy < 0 || iy >= g.H) continue;
    for (let kx = 0; kx < g.kernel[1]; kx++) {
      const ix = ox * g.strides[1] - g.padLeft + kx * g.dilation[1];
      if (ix >= 0 && ix < g.W) fn((iy * g.W + ix) * g.C, ky * g.kernel[1] + kx);
    }
  }
}
