/** DepthwiseConv2D in training: direct loops (the op is cheap), forward and backward side by side. */
import type { Geometry } from "../conv2d/geometry.js";
import type { StepArgs, TrainStep } from "../registry.js";
import { forEachTap } from "./kernel.js";

export class DepthwiseStep implements TrainStep {
  private readonly kernel: Float32Array;
  private readonly bias: Float32Array | null;
  private readonly dKernel: Float32Array;
  private readonly dBias: Float32Array | null;
  private readonly l2: number;
  private readonly inSize: number;
  private readonly outSize: number;

  constructor(
    private readonly g: Geometry,
    private readonly M: number,
    args: Pick<StepArgs<{ l2?: number }>, "config" | "tensors" | "grads">,
  ) {
    this.kernel = args.tensors.kernel;
    this.bias = args.tensors.bias ?? null;
    this.dKernel = args.grads.kernel;
    this.dBias = args.grads.bias ?? null;
    this.l2 = args.config.l2 ?? 0;
    this.inSize = g.H * g.W * g.C;
    this.outSize = g.Ho * g.Wo * g.C * M;
  }

  forward(x: Float32Array[], y: Float32Array, N: number): void {
    const { g, M, kernel } = this;
    const CM = g.C * M;
    for (let n = 0; n < N; n++) {
      const xb = n * this.inSize;
      let yo = n * this.outSize;
      for (let oy = 0; oy < g.Ho; oy++)
        for (let ox = 0; ox < g.Wo; ox++, yo += CM) {
          for (let o = 0; o < CM; o++) y[yo + o] = this.bias?.[o] ?? 0;
          forEachTap(g, oy, ox, (t, tap) => {
            for (let c = 0; c < g.C; c++) {
              const v = x[0][xb + t + c];
              for (let m = 0; m < M; m++) y[yo + c * M + m] += v * kernel[tap * CM + c * M + m];
            }
          });
        }
    }
  }

  backward(
    x: Float32Array[],
    _y: Float32Array,
    dy: Float32Array,
    dx: (Float32Array | null)[],
    N: number,
  ): void {
    const { g, M, kernel, dKernel } = this;
    const CM = g.C * M;
    const d = dx[0];
    dKernel.fill(0);
    this.dBias?.fill(0);
    if (d) d.fill(0, 0, N * this.inSize);
    for (let n = 0; n < N; n++) {
      const xb = n * this.inSize;
      let yo = n * this.outSize;
      for (let oy = 0; oy < g.Ho; oy++)
        for (let ox = 0; ox < g.Wo; ox++, yo += CM) {
          if (this.dBias) for (let o = 0; o < CM; o++) this.dBias[o] += dy[yo + o];
          forEachTap(g, oy, ox, (t, tap) => {
            for (let c = 0; c < g.C; c++) {
              const v = x[0][xb + t + c];
              let s = 0;
              for (let m = 0; m < M; m++) {
                const gy = dy[yo + c * M + m];
                dKernel[tap * CM + c * M + m] += v * gy;
                s += gy * kernel[tap * CM + c * M + m];
              }
              if (d) d[xb + t + c] += s;
            }
          });
        }
    }
    if (this.l2 > 0) for (let j = 0; j < kernel.length; j++) dKernel[j] += 2 * this.l2 * kernel[j];
  }

  penalty(): number {
    if (this.l2 === 0) return 0;
    let s = 0;
    for (const w of this.kernel) s += w * w;
    return this.l2 * s;
  }
}
