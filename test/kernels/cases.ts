/**
 * Awkward shapes for the fast convolution, depthwise and pooling kernels (1 and odd channel counts,
 * kernel equal to the input, stride 2 with same padding, 1-pixel inputs, depth multiplier 2, dilation,
 * global pools past the reciprocal's 256 taps), each a one-layer int8 model, and the check every test
 * file runs on them: the C on the host (gcc, ASan + UBSan) and on the six Cortex-M cores under QEMU
 * gives the TypeScript integer reference's codes on random and extreme vectors. npm test runs the host
 * only; `npm run test:kernels` (NN2C_KERNELS=full, in CI) every core.
 */
import { expect } from "vitest";
import { quantizeLayers } from "../../bench/layers.js";
import {
  AveragePooling1D,
  AveragePooling2D,
  Conv1D,
  Conv2D,
  DepthwiseConv2D,
  GlobalAveragePooling2D,
  GlobalMaxPooling2D,
  type Layer,
  MaxPooling1D,
  MaxPooling2D,
} from "../../src/model/layers.js";
import { CORTEX_TARGET_NAMES } from "../../src/toolchain/targets.js";
import { verifyModel } from "../../src/verify/verify.js";

export type ShapeCase = [name: string, layer: () => Layer, input: number[]];

export const CONV_CASES: ShapeCase[] = [
  [
    "conv2d 1 channel, 3x3 same, relu",
    () => Conv2D({ filters: 3, kernelSize: 3, padding: "same", activation: "relu" }),
    [5, 7, 1],
  ],
  ["conv2d kernel equal to the input", () => Conv2D({ filters: 5, kernelSize: [4, 3] }), [4, 3, 3]],
  [
    "conv2d stride 2 same, odd sizes",
    () => Conv2D({ filters: 6, kernelSize: 3, strides: 2, padding: "same" }),
    [9, 8, 5],
  ],
  ["conv2d 1-pixel input, 1x1", () => Conv2D({ filters: 17, kernelSize: 1 }), [1, 1, 19]],
  [
    "conv2d dilation 2 same",
    () => Conv2D({ filters: 4, kernelSize: 2, dilationRate: 2, padding: "same" }),
    [6, 6, 2],
  ],
  [
    "conv2d pointwise, 16 channels",
    () => Conv2D({ filters: 8, kernelSize: 1, activation: "relu6" }),
    [3, 5, 16],
  ],
  [
    "conv2d pointwise stride 2, 8 channels, relu",
    () => Conv2D({ filters: 7, kernelSize: 1, strides: 2, activation: "relu" }),
    [5, 6, 8],
  ],
  [
    "conv2d 3x3 same, 12 filters, relu (groups with a half chunk)",
    () => Conv2D({ filters: 12, kernelSize: 3, padding: "same", activation: "relu" }),
    [6, 5, 2],
  ],
  [
    "conv2d 3 channels, 2x2 stride 2 same (12 taps: a gather load on Helium, across the border)",
    () => Conv2D({ filters: 5, kernelSize: 2, strides: 2, padding: "same" }),
    [7, 7, 3],
  ],
  [
    "conv2d 1 channel, 4x4 same, 9 filters (16 taps: one whole chunk on ARMv6-M)",
    () => Conv2D({ filters: 9, kernelSize: 4, padding: "same", activation: "relu" }),
    [6, 9, 1],
  ],
  ["conv1d odd, kernel 5 same", () => Conv1D({ filters: 9, kernelSize: 5, padding: "same" }), [13, 3]],
  [
    "conv1d stride 2 same, relu6",
    () => Conv1D({ filters: 16, kernelSize: 3, strides: 2, padding: "same", activation: "relu6" }),
    [20, 17],
  ],
  ["depthwise 1 channel", () => DepthwiseConv2D({ kernelSize: 3, padding: "same" }), [5, 5, 1]],
  [
    "depthwise odd channels, stride 2 same, relu",
    () => DepthwiseConv2D({ kernelSize: 3, strides: 2, padding: "same", activation: "relu" }),
    [7, 6, 5],
  ],
  [
    "depthwise multiplier 2",
    () => DepthwiseConv2D({ kernelSize: 3, depthMultiplier: 2, padding: "same" }),
    [6, 5, 3],
  ],
  ["depthwise kernel equal to the input", () => DepthwiseConv2D({ kernelSize: [3, 4] }), [3, 4, 20]],
  ["depthwise 1-pixel input, 1x1", () => DepthwiseConv2D({ kernelSize: 1 }), [1, 1, 33]],
  ["depthwise 64 channels, 3x3 same", () => DepthwiseConv2D({ kernelSize: 3, padding: "same" }), [6, 5, 64]],
  ["depthwise 8 channels, 3x3 same", () => DepthwiseConv2D({ kernelSize: 3, padding: "same" }), [7, 6, 8]],
  [
    "depthwise 3x3 same on a column 1 pixel wide, 16 channels (both edges in one window)",
    () => DepthwiseConv2D({ kernelSize: 3, padding: "same" }),
    [5, 1, 16],
  ],
  [
    "depthwise 24 channels, stride 2 same",
    () => DepthwiseConv2D({ kernelSize: 3, strides: 2, padding: "same" }),
    [7, 7, 24],
  ],
];

export const POOL_CASES: ShapeCase[] = [
  [
    "max 3x3 stride 2 same, 3 channels",
    () => MaxPooling2D({ poolSize: 3, strides: 2, padding: "same" }),
    [7, 5, 3],
  ],
  [
    "average 3x3 stride 2 same, 3 channels",
    () => AveragePooling2D({ poolSize: 3, strides: 2, padding: "same" }),
    [7, 5, 3],
  ],
  ["max 2x2, 13 channels", () => MaxPooling2D({ poolSize: 2 }), [8, 6, 13]],
  ["average 2x2, 13 channels", () => AveragePooling2D({ poolSize: 2 }), [8, 6, 13]],
  ["average 1x1 on 1 pixel", () => AveragePooling2D({ poolSize: 1 }), [1, 1, 7]],
  [
    "max 3x3 stride 1 same, 1 channel",
    () => MaxPooling2D({ poolSize: 3, strides: 1, padding: "same" }),
    [6, 7, 1],
  ],
  [
    "average 3x3 stride 1 same, 1 channel",
    () => AveragePooling2D({ poolSize: 3, strides: 1, padding: "same" }),
    [6, 7, 1],
  ],
  ["max 3x2 stride 1, 17 channels", () => MaxPooling2D({ poolSize: [3, 2], strides: 1 }), [5, 6, 17]],
  ["average 2x2 same, 33 channels", () => AveragePooling2D({ poolSize: 2, padding: "same" }), [5, 5, 33]],
  [
    "average 7x7 stride 2 same, 7 channels",
    () => AveragePooling2D({ poolSize: 7, strides: 2, padding: "same" }),
    [9, 9, 7],
  ],
  [
    "max 1-D 3 stride 2 same, 9 channels",
    () => MaxPooling1D({ poolSize: 3, strides: 2, padding: "same" }),
    [11, 9],
  ],
  [
    "average 1-D 3 stride 2 same, 9 channels",
    () => AveragePooling1D({ poolSize: 3, strides: 2, padding: "same" }),
    [11, 9],
  ],
  ["global average over 400 taps (past 256)", () => GlobalAveragePooling2D(), [20, 20, 6]],
  ["global average over 256 taps, 20 channels", () => GlobalAveragePooling2D(), [16, 16, 20]],
  ["global max, 19 channels", () => GlobalMaxPooling2D(), [9, 7, 19]],
  ["average 2x2, 16 channels", () => AveragePooling2D({ poolSize: 2 }), [6, 4, 16]],
];

/** `npm run test:kernels` (NN2C_KERNELS=full): every case on every core; npm test: on the host only. */
export const FULL = process.env.NN2C_KERNELS === "full";

/** Where the C runs: the host and every Cortex-M core (each compiles its own fast path). */
export const TARGETS = FULL ? ["host", ...CORTEX_TARGET_NAMES] : ["host"];

/** The model of a case on every target: no mismatch against the TypeScript reference. */
export async function expectExact([name, layer, input]: ShapeCase, targets: string[]): Promise<void> {
  const q = quantizeLayers([layer()], input, 5);
  const results: string[] = [];
  for (const target of targets) {
    const r = await verifyModel({ kind: "quantized", model: q }, { target, random: 30, seed: 2 });
    if (r.mismatches > 0) results.push(`${target}: ${r.mismatches} of ${r.vectors} vectors differ`);
    expect(r.vectors).toBeGreaterThan(30);
  }
  expect(results, name).toEqual([]);
}
