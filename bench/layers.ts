/**
 * The single-layer int8 models of the fast-kernel issue's table (issue 15), with CMSIS-NN's figures on
 * the same shapes: instructions per MAC (per output element for pooling), CMSIS-NN v7.0.0-43, gcc 12.2
 * -O2, its public wrapper functions with scratch sized by its *_get_buffer_size, counted exactly under
 * QEMU. Shared by `npm run bench:mcu` and the kernel tests (test/firmware/conv.test.ts).
 */
import { layerRecords } from "../src/model/io.js";
import {
  AveragePooling2D,
  Conv1D,
  Conv2D,
  DepthwiseConv2D,
  Flatten,
  type Layer,
  MaxPooling2D,
} from "../src/model/layers.js";
import { MODEL_FORMAT, MODEL_VERSION, type ModelFile } from "../src/model/schema.js";
import { Sequential } from "../src/model/sequential.js";
import { quantizeModel } from "../src/quant/quantize.js";
import type { QModel } from "../src/quant/schema.js";
import { Rng } from "../src/rng.js";
import { CORTEX_TARGET_NAMES, type CortexTargetName } from "../src/toolchain/targets.js";

export interface LayerCase {
  name: string;
  layer: () => Layer;
  /** input shape without the batch */
  input: number[];
  /** cost per output element instead of per MAC */
  perOutput: boolean;
  /** CMSIS-NN's instructions per MAC (per output) on M0, M4, M55 */
  cmsis: { "cortex-m0": number; "cortex-m4": number; "cortex-m55": number };
  /**
   * The most nn2c may take per core (test/kernels/cost.test.ts): about 1.25 times what it measures, so
   * that a fast path falling back to plain C fails the test.
   */
  bounds: Record<CortexTargetName, number>;
}

/** Bounds from the figures of M0, M3, M4, M7, M33 and M55, in that order. */
const bounds = (...v: number[]): Record<CortexTargetName, number> =>
  Object.fromEntries(CORTEX_TARGET_NAMES.map((t, i) => [t, v[i]])) as Record<CortexTargetName, number>;

export const LAYER_CASES: LayerCase[] = [
  {
    name: "Conv1D 49×10 → 16, kernel 3, same",
    layer: () => Conv1D({ filters: 16, kernelSize: 3, padding: "same" }),
    input: [49, 10],
    perOutput: false,
    cmsis: { "cortex-m0": 10.9, "cortex-m4": 4.01, "cortex-m55": 0.99 },
    bounds: bounds(7.71, 6.1, 3.05, 3.02, 3.04, 0.74),
  },
  {
    name: "Conv1D 128×3 → 16, kernel 5, same",
    layer: () => Conv1D({ filters: 16, kernelSize: 5, padding: "same" }),
    input: [128, 3],
    perOutput: false,
    cmsis: { "cortex-m0": 14.88, "cortex-m4": 6.39, "cortex-m55": 1.91 },
    bounds: bounds(10.11, 8.29, 4.29, 4.25, 4.28, 1.21),
  },
  {
    name: "Conv1D 32×16 → 32, kernel 3, same",
    layer: () => Conv1D({ filters: 32, kernelSize: 3, padding: "same" }),
    input: [32, 16],
    perOutput: false,
    cmsis: { "cortex-m0": 8.61, "cortex-m4": 2.83, "cortex-m55": 0.53 },
    bounds: bounds(6.34, 4.91, 2.23, 2.23, 2.23, 0.45),
  },
  {
    name: "Conv2D 8×8×1 → 8, 3×3, same",
    layer: () => Conv2D({ filters: 8, kernelSize: 3, padding: "same" }),
    input: [8, 8, 1],
    perOutput: false,
    cmsis: { "cortex-m0": 25.53, "cortex-m4": 14.02, "cortex-m55": 6.1 },
    bounds: bounds(22.45, 21.85, 13.08, 12.98, 13.09, 4.38),
  },
  {
    name: "Conv2D 16×16×8 → 16, 3×3, same",
    layer: () => Conv2D({ filters: 16, kernelSize: 3, padding: "same" }),
    input: [16, 16, 8],
    perOutput: false,
    cmsis: { "cortex-m0": 8.68, "cortex-m4": 2.88, "cortex-m55": 0.65 },
    bounds: bounds(6.85, 5.75, 2.41, 2.41, 2.41, 0.59),
  },
  {
    name: "DepthwiseConv2D 25×5×64, 3×3, same",
    layer: () => DepthwiseConv2D({ kernelSize: 3, padding: "same" }),
    input: [25, 5, 64],
    perOutput: false,
    cmsis: { "cortex-m0": 35.69, "cortex-m4": 7.79, "cortex-m55": 2.34 },
    bounds: bounds(24.67, 15.14, 6.94, 6.95, 6.96, 2.17),
  },
  {
    name: "Conv2D 1×1 25×5×64 → 64 (pointwise)",
    layer: () => Conv2D({ filters: 64, kernelSize: 1 }),
    input: [25, 5, 64],
    perOutput: false,
    cmsis: { "cortex-m0": 7.57, "cortex-m4": 2.09, "cortex-m55": 0.4 },
    bounds: bounds(5.74, 4.44, 1.94, 1.94, 1.94, 0.34),
  },
  {
    name: "MaxPooling2D 2×2 stride 2 on 16×16×8",
    layer: () => MaxPooling2D({ poolSize: 2 }),
    input: [16, 16, 8],
    perOutput: true,
    cmsis: { "cortex-m0": 186.9, "cortex-m4": 52.3, "cortex-m55": 22.3 },
    bounds: bounds(94.06, 80.7, 18.94, 18.43, 18.84, 12.65),
  },
  {
    name: "AveragePooling2D 2×2 stride 2 on 16×16×8",
    layer: () => AveragePooling2D({ poolSize: 2 }),
    input: [16, 16, 8],
    perOutput: true,
    cmsis: { "cortex-m0": 201.5, "cortex-m4": 54.1, "cortex-m55": 42.0 },
    bounds: bounds(101.54, 78.2, 29.46, 29.75, 29.35, 18.36),
  },
];

/** The targets: at most this fraction of CMSIS-NN's figure. */
export const targetRatio = (c: LayerCase) => (c.perOutput ? 0.5 : 0.75);

/**
 * The model file of a built model with its seeded, untrained weights, as the benches measure it: a
 * classifier of `classes` classes, or a regression.
 */
export function benchModelFile(seq: Sequential, input: number[], seed: number, classes?: number): ModelFile {
  const n = input.reduce((a, b) => a * b, 1);
  return {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    generator: "bench",
    task: classes ? "classification" : "regression",
    inputs: {
      ...(input.length > 1 ? { shape: input } : {}),
      names: Array.from({ length: n }, (_, i) => `x${i}`),
      mean: Array(n).fill(0),
      std: Array(n).fill(1),
    },
    output: classes
      ? { label: "y", classes: Array.from({ length: classes }, (_, i) => String(i)) }
      : { label: "y" },
    layers: layerRecords(seq),
    outputs: [seq.definitionOf.output],
    training: {
      loss: classes ? "sparse_categorical_crossentropy" : "mse",
      optimizer: { name: "adam" },
      epochs: 1,
      epochsRun: 1,
      batchSize: 32,
      validationSplit: 0,
      seed,
      history: {},
      metrics: { train: {} },
    },
  };
}

/** One layer (then Flatten) on `input`, with seeded weights, as a regression model file. */
export function layersModel(layers: Layer[], input: number[], seed: number): ModelFile {
  return benchModelFile(new Sequential([...layers, Flatten()]).build(input, seed), input, seed);
}

/** The model quantized to int8, calibrated (min/max) on normal random inputs. */
export function quantizeLayers(layers: Layer[], input: number[], seed: number): QModel {
  const model = layersModel(layers, input, seed);
  const rng = new Rng(seed + 1);
  const n = input.reduce((a, b) => a * b, 1);
  const rows = 50;
  const x = Float32Array.from({ length: rows * n }, () => rng.normal());
  return quantizeModel(model, x, rows, { precision: "int8", calibration: { method: "minmax" } });
}
