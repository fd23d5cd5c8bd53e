/**
 * Named architectures for `--architecture`, as Edge Impulse's defaults for its two convolutional cases:
 * `conv2d` for small images ([H, W, C]) and `conv1d` for windows of sensor samples ([steps, axes]). The
 * task's output layer (softmax over the classes, one sigmoid for two, one linear unit) comes after.
 */
import type { Shape } from "../core/shape.js";
import { UsageError } from "../errors.js";
import { type Layer, makeLayer } from "./layers.js";

export const PRESETS = ["conv1d", "conv2d"] as const;

export function isPreset(name: string): boolean {
  return (PRESETS as readonly string[]).includes(name);
}

const conv = (kind: "conv1d" | "conv2d", filters: number, name: string) =>
  makeLayer(
    kind,
    kind === "conv2d"
      ? {
          filters,
          kernelSize: [3, 3],
          strides: [1, 1],
          dilationRate: [1, 1],
          padding: "same",
          activation: "relu",
        }
      : { filters, kernelSize: 3, strides: 1, dilationRate: 1, padding: "same", activation: "relu" },
    { name },
  );

/** The hidden layers of a preset for this input shape (the output layer is the task's). */
export function presetLayers(name: string, shape: Shape | undefined): Layer[] {
  if (name === "conv2d") {
    if (shape?.length !== 3)
      throw new UsageError(
        `--architecture conv2d: needs --input-shape H,W,C (an image), got ${shape ? shape.join(",") : "none"}`,
      );
    return [
      conv("conv2d", 8, "conv2d"),
      makeLayer(
        "max_pooling2d",
        { poolSize: [2, 2], strides: [2, 2], padding: "same" },
        { name: "max_pooling2d" },
      ),
      conv("conv2d", 16, "conv2d_1"),
      makeLayer("global_average_pooling2d", {}, { name: "global_average_pooling2d" }),
    ];
  }
  if (shape?.length !== 2)
    throw new UsageError(
      `--architecture conv1d: needs --input-shape STEPS,AXES (a window), got ${shape ? shape.join(",") : "none"}`,
    );
  return [
    conv("conv1d", 8, "conv1d"),
    makeLayer("max_pooling1d", { poolSize: 2, strides: 2, padding: "same" }, { name: "max_pooling1d" }),
    makeLayer("dropout", { rate: 0.25 }, { name: "dropout" }),
    conv("conv1d", 16, "conv1d_1"),
    makeLayer("max_pooling1d", { poolSize: 2, strides: 2, padding: "same" }, { name: "max_pooling1d_1" }),
    makeLayer("dropout", { rate: 0.25 }, { name: "dropout_1" }),
    makeLayer("flatten", {}, { name: "flatten" }),
  ];
}
