/**
 * The depthwise convolution's arithmetic, shared by training, the float32 reference and the integer
 * reference: output channel o = c · M + m (M the depth multiplier) reads input channel c only,
 *   y[oy][ox][o] = bias[o] + sum over the window's taps inside the input of x[iy][ix][c] · k[ky][kx][c][m]
 * with k in Keras' [kh][kw][C][M] layout.
 */
import type { Geometry } from "../conv2d/geometry.js";

/** Calls fn(tap offset of input channel 0, kernel tap index ky · kw + kx) for each tap of (oy, ox) inside the input. */
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
