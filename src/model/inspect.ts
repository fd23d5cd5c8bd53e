/**
 * What a model costs: layers, parameters, multiply-accumulates per inference, and the bytes its weights
 * take in each precision nn2c exports.
 */
import type { ModelFile } from "./schema.js";

export interface LayerInfo {
  index: number;
  kind: string;
  activation: string;
  inputs: number;
  outputs: number;
  params: number;
  macs: number;
}

export interface ModelInfo {
  task: string;
  inputs: number;
  outputs: number;
  classes?: string[];
  layers: LayerInfo[];
  params: number;
  macs: number;
  /** bytes of weights, biases and requantization constants per precision */
  weightBytes: { float32: number; int8: number; int16: number };
}

export function inspectModel(model: ModelFile): ModelInfo {
  let width = model.inputs.names.length;
  const layers: LayerInfo[] = [];
  const bytes = { float32: 0, int8: 0, int16: 0 };
  model.layers.forEach((l, index) => {
    const inputs = width;
    if (l.kind === "dense") width = l.units;
    const params = l.kind === "dense" ? inputs * l.units + l.units : 0;
    const macs = l.kind === "dense" ? inputs * l.units : 0;
    if (l.kind === "dense") {
      bytes.float32 += 4 * params;
      // int8 weights; int32 bias (int64 for int16 activations); int32 multiplier and shift per output channel
      bytes.int8 += inputs * l.units + l.units * (4 + 8);
      bytes.int16 += inputs * l.units + l.units * (8 + 8);
    }
    layers.push({ index, kind: l.kind, activation: l.activation, inputs, outputs: width, params, macs });
  });
  return {
    task: model.task,
    inputs: model.inputs.names.length,
    outputs: width,
    classes: model.output.classes,
    layers,
    params: layers.reduce((s, l) => s + l.params, 0),
    macs: layers.reduce((s, l) => s + l.macs, 0),
    weightBytes: bytes,
  };
}
