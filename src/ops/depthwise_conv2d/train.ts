/** DepthwiseConv2D in training, on the arena's kernels (src/train/kernels/window.ts and its WebAssembly twin). */
import type { Kernels } from "../../train/kernels/index.js";
import type { Geometry } from "../conv2d/geometry.js";
import type { StepArgs, TrainStep } from "../registry.js";

export class DepthwiseStep implements TrainStep {
  private readonly kernel: Float32Array;
  private readonly bias: Float32Array | null;
  private readonly dKernel: Float32Array;
  private readonly dBias: Float32Array | null;
  private readonly kernels: Kernels;
  private readonly l2: number;

  constructor(
    private readonly g: Geometry,
    private readonly M: number,
    args: Pick<StepArgs<{ l2?: number }>, "config" | "tensors" | "grads" | "kernels">,
  ) {
    this.kernel = args.tensors.kernel;
    this.bias = args.tensors.bias ?? null;
    this.dKernel = args.grads.kernel;
    this.dBias = args.grads.bias ?? null;
    this.kernels = args.kernels;
    this.l2 = args.config.l2 ?? 0;
  }

  forward(x: Float32Array[], y: Float32Array, N: number): void {
    this.kernels.depthwiseForward(x[0], this.kernel, this.bias, y, N, this.M, this.g);
  }

  backward(
    x: Float32Array[],
    _y: Float32Array,
    dy: Float32Array,
    dx: (Float32Array | null)[],
    N: number,
  ): void {
    const { kernel, dKernel } = this;
    this.kernels.depthwiseBackward(x[0], kernel, dy, dKernel, this.dBias, dx[0], N, this.M, this.g);
    if (this.l2 > 0) for (let j = 0; j < kernel.length; j++) dKernel[j] += 2 * this.l2 * kernel[j];
  }

  penalty(): number {
    if (this.l2 === 0) return 0;
    let s = 0;
    for (const w of this.kernel) s += w * w;
    return this.l2 * s;
  }
}
