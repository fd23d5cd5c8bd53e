/**
 * What a float model holds and costs: its layers with their shapes, parameters and multiply-accumulates
 * per inference, the bytes its weights take in each precision nn2c exports, the ops it lowers to and the
 * memory plan of a float32 export's arena.
 */

import type { PlannedTensorView } from "../codegen/emit.js";
import { planModel } from "../codegen/emit.js";
import { sizeOf } from "../core/shape.js";
import { getOp } from "../ops/index.js";
import { inputShape, lowerModel, modelGraph } from "./io.js";
import type { ModelFile } from "./schema.js";

export interface LayerInfo {
  index: number;
  name: string;
  kind: string;
  activation: string;
  /** the tensors it reads */
  from: string[];
  inputShapes: number[][];
  outputShape: number[];
  /** values in and out (flat sizes) */
  inputs: number;
  outputs: number;
  params: number;
  macs: number;
}

export interface ModelInfo {
  task: string;
  inputs: number;
  inputShape: number[];
  outputs: number;
  classes?: string[];
  layers: LayerInfo[];
  params: number;
  macs: number;
  /** bytes of weights, biases and requantization constants per precision (int16: 32-bit biases) */
  weightBytes: { float32: number; int8: number; int16: number };
  /** what the lowering does before export: folds, fusions, layers that vanish */
  lowering: string[];
  /** the arena of a float32 export: offset and bytes per tensor */
  plan: { arenaBytes: number; tensors: PlannedTensorView[] };
}

export function inspectModel(model: ModelFile): ModelInfo {
  const { graph } = modelGraph(model);
  const bytes = { float32: 0, int8: 0, int16: 0 };
  const layers = graph.nodes.map((node, index): LayerInfo => {
    const kind = getOp(node.kind);
    const inShapes = node.inputs.map((i) => [...graph.shapes.get(i)!]);
    const outShape = [...graph.shapes.get(node.name)!];
    const cost = kind.layer.cost(node.config, inShapes, outShape);
    bytes.float32 += cost.bytes.float32;
    bytes.int8 += cost.bytes.int8;
    bytes.int16 += cost.bytes.int16;
    return {
      index,
      name: node.name,
      kind: node.kind,
      activation: (node.config as { activation?: string }).activation ?? "-",
      from: node.inputs,
      inputShapes: inShapes,
      outputShape: outShape,
      inputs: inShapes.reduce((s, shape) => s + sizeOf(shape), 0),
      outputs: sizeOf(outShape),
      params: cost.params,
      macs: cost.macs,
    };
  });
  return {
    task: model.task,
    inputs: model.inputs.names.length,
    inputShape: inputShape(model),
    outputs: sizeOf(graph.shapes.get(graph.output)!),
    classes: model.output.classes,
    layers,
    params: layers.reduce((s, l) => s + l.params, 0),
    macs: layers.reduce((s, l) => s + l.macs, 0),
    weightBytes: bytes,
    lowering: lowerModel(model).notes,
    plan: planModel({ kind: "float", model }),
  };
}
