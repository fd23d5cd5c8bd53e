/**
 * The plain TypeScript kernels of the layers that slide a window over [H][W][C] rows (channels last):
 * the reference the WebAssembly kernels in assembly/window.ts are tested against, and the fallback where
 * WebAssembly SIMD is missing. Each row of a batch is one input; `N` rows are processed.
 */
import { forEachTap, type Geometry } from "../../ops/conv2d/geometry.js";

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

/** Visits each output (oy, ox) of a pooling window: fn(first row, end row, first column, end column). */
function forWindows(w: Geometry, fn: (y0: number, y1: number, x0: number, x1: number) => void): void {
  const rows = spans(w.Ho, w.strides[0], w.padTop, w.kernel[0], w.H);
  const cols = spans(w.Wo, w.strides[1], w.padLeft, w.kernel[1], w.W);
  for (let oy = 0; oy < w.Ho; oy++)
    for (let ox = 0; ox < w.Wo; ox++) fn(rows[2 * oy], rows[2 * oy + 1], cols[2 * ox], cols[2 * ox + 1]);
}

/** cols[(n, oy, ox)][(ky, kx, c)] = x[n][iy][ix][c], or 0 where the window hangs over the padding. */
export function im2col(x: Float32Array, cols: Float32Array, N: number, w: Geometry): void {
  const { C } = w;
  const inSize = w.H * w.W * C;
  const J = w.kernel[0] * w.kernel[1] * C;
  cols.fill(0, 0, N * w.Ho * w.Wo * J);
  let row = 0;
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < w.Ho; oy++)
      for (let ox = 0; ox < w.Wo; ox++, row += J)
        forEachTap(w, oy, ox, (at, tap) => {
          const src = n * inSize + at;
          cols.set(x.subarray(src, src + C), row + tap * C);
        });
}

/** dx[n][iy][ix][c] = the sum of dcols over the windows that read x[n][iy][ix][c] (im2col's adjoint). */
export function col2im(dcols: Float32Array, dx: Float32Array, N: number, w: Geometry): void {
  const { C } = w;
  const inSize = w.H * w.W * C;
  const J = w.kernel[0] * w.kernel[1] * C;
  dx.fill(0, 0, N * inSize);
  let row = 0;
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < w.Ho; oy++)
      for (let ox = 0; ox < w.Wo; ox++, row += J)
        forEachTap(w, oy, ox, (at, tap) => {
          const dst = n * inSize + at;
          for (let c = 0; c < C; c++) dx[dst + c] += dcols[row + tap * C + c];
        });
}

/**
 * Depthwise convolution with depth multiplier M: y[n][oy][ox][c·M + m] = bias[c·M + m] +
 * sum over the taps inside of x[n][iy][ix][c] · kernel[ky][kx][c·M + m].
 */
export function depthwiseForward(
  x: Float32Array,
  kernel: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
  N: number,
  M: number,
  w: Geometry,
): void {
  const { C } = w;
  const CM = C * M;
  const inSize = w.H * w.W * C;
  let yo = 0;
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < w.Ho; oy++)
      for (let ox = 0; ox < w.Wo; ox++, yo += CM) {
        for (let o = 0; o < CM; o++) y[yo + o] = bias ? bias[o] : 0;
        forEachTap(w, oy, ox, (at, tap) => {
          for (let c = 0; c < C; c++) {
            const v = x[n * inSize + at + c];
            for (let m = 0; m < M; m++) y[yo + c * M + m] += v * kernel[tap * CM + c * M + m];
          }
        });
      }
}

/**
 * The depthwise convolution's gradients from dy: dKernel and dBias (when given) are overwritten with
 * the sums over the batch, dx (when given) with the gradient of the input.
 */
export function depthwiseBackward(
  x: Float32Array,
  kernel: Float32Array,
  dy: Float32Array,
  dKernel: Float32Array,
  dBias: Float32Array | null,
  dx: Float32Array | null,
  N: number,
  M: number,
  w: Geometry,
): void {
  const { C } = w;
  const CM = C * M;
  const inSize = w.H * w.W * C;
  dKernel.fill(0);
  dBias?.fill(0);
  dx?.fill(0, 0, N * inSize);
  let yo = 0;
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < w.Ho; oy++)
      for (let ox = 0; ox < w.Wo; ox++, yo += CM) {
        if (dBias) for (let o = 0; o < CM; o++) dBias[o] += dy[yo + o];
        forEachTap(w, oy, ox, (at, tap) => {
          for (let c = 0; c < C; c++) {
            const v = x[n * inSize + at + c];
            let s = 0;
            for (let m = 0; m < M; m++) {
              const gy = dy[yo + c * M + m];
              dKernel[tap * CM + c * M + m] += v * gy;
              s += gy * kernel[tap * CM + c * M + m];
            }
            if (dx) dx[n * inSize + at + c] += s;
          }
        });
      }
}

/**
 * Max pooling: y = the largest input over the window's taps inside the input (the first one on ties),
 * arg = its index within the row, as a float, for the backward pass.
 */
export function maxPoolForward(
  x: Float32Array,
  y: Float32Array,
  arg: Float32Array,
  N: number,
  w: Geometry,
): void {
  const { C, W } = w;
  const inSize = w.H * W * C;
  let o = 0;
  for (let n = 0; n < N; n++) {
    const xb = n * inSize;
    forWindows(w, (y0, y1, x0, x1) => {
      const first = (y0 * W + x0) * C;
      for (let c = 0; c < C; c++, o++) {
        let best = Number.NEGATIVE_INFINITY;
        let at = first + c;
        for (let iy = y0; iy < y1; iy++)
          for (let ix = x0; ix < x1; ix++) {
            const t = (iy * W + ix) * C + c;
            if (x[xb + t] > best) {
              best = x[xb + t];
              at = t;
            }
          }
        y[o] = best;
        arg[o] = at;
      }
    });
  }
}

/** dx[n][arg] += dy over each output of max pooling; the rest of dx is 0. */
export function maxPoolBackward(
  dy: Float32Array,
  arg: Float32Array,
  dx: Float32Array,
  N: number,
  inSize: number,
  outSize: number,
): void {
  dx.fill(0, 0, N * inSize);
  let o = 0;
  for (let n = 0; n < N; n++) for (let k = 0; k < outSize; k++, o++) dx[n * inSize + arg[o]] += dy[o];
}

/** Average pooling: y = the sum over the window's taps inside the input, divided by their count. */
export function avgPoolForward(x: Float32Array, y: Float32Array, N: number, w: Geometry): void {
  const { C, W } = w;
  const inSize = w.H * W * C;
  let o = 0;
  for (let n = 0; n < N; n++) {
    const xb = n * inSize;
    forWindows(w, (y0, y1, x0, x1) => {
      const count = (y1 - y0) * (x1 - x0);
      for (let c = 0; c < C; c++, o++) {
        let s = 0;
        for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) s += x[xb + (iy * W + ix) * C + c];
        y[o] = s / count;
      }
    });
  }
}

/** dx = each output's dy divided by its window's count, added to every tap inside the input. */
export function avgPoolBackward(dy: Float32Array, dx: Float32Array, N: number, w: Geometry): void {
  const { C, W } = w;
  const inSize = w.H * W * C;
  dx.fill(0, 0, N * inSize);
  let o = 0;
  for (let n = 0; n < N; n++) {
    const xb = n * inSize;
    forWindows(w, (y0, y1, x0, x1) => {
      const count = (y1 - y0) * (x1 - x0);
      for (let iy = y0; iy < y1; iy++)
        for (let ix = x0; ix < x1; ix++) {
          const t = xb + (iy * W + ix) * C;
          for (let c = 0; c < C; c++) dx[t + c] += dy[o + c] / count;
        }
      o += C;
    });
  }
}
