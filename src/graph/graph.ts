/**
 * A model as a graph: layers over named tensors, one input tensor and one output tensor. Building the
 * graph checks it: names unique, every input a tensor that exists, no cycle, each kind's number of inputs,
 * and every shape (an Add of [32] and [16], a Dense after a 2-D tensor); the layers come out in an order
 * where each follows the layers it reads (the file's order when it already is one).
 */
import { formatShape, type Shape, ShapeError, sizeOf } from "../core/shape.js";
import { UsageError } from "../errors.js";
import { MAX_TENSOR_VALUES } from "../limits.js";
import { getOp, type LayerNode } from "../ops/registry.js";
import { clip } from "../values.js";

export interface LayerGraph {
  input: { name: string; shape: Shape };
  /** every layer, each after the layers whose outputs it reads */
  nodes: LayerNode[];
  output: string;
  /** the shape of every tensor: the input and each layer's output (named after the layer) */
  shapes: Map<string, Shape>;
  /** the layers that read each tensor, in order */
  consumers: Map<string, string[]>;
}

/** Where a layer is, for messages: `<file>: layers[3] 'add'`. */
export function layerPlace(file: string, node: LayerNode, index: number): string {
  return `${file}: layers[${index}] '${clip(node.name, 40)}'`;
}

/**
 * The graph of `layers` from the tensor `input` to the layer `output`; `file` names the model in
 * messages (a file, or "the model" for one built in code).
 */
export function buildGraph(
  input: { name: string; shape: Shape },
  layers: LayerNode[],
  output: string,
  file: string,
): LayerGraph {
  const where = (node: LayerNode, k: number) => layerPlace(file, node, k);
  const index = new Map<string, number>();
  layers.forEach((node, k) => {
    if (node.name === input.name || index.has(node.name))
      throw new UsageError(
        `${where(node, k)}: the name '${clip(node.name, 40)}' is taken: expected a name of its own`,
      );
    index.set(node.name, k);
  });
  // Depth-first order from the output: every layer after its inputs; a layer met again on the way is a cycle.
  const order: LayerNode[] = [];
  const state = new Map<string, "open" | "done">();
  const visit = (name: string, from: { node: LayerNode; k: number } | null) => {
    if (name === input.name) return;
    const k = index.get(name);
    if (k === undefined) {
      const who = from ? `${where(from.node, from.k)}: input` : `${file}: output`;
      throw new UsageError(
        `${who} '${clip(name, 40)}' is no layer of the model: expected '${input.name}' or a layer's name`,
      );
    }
    const node = layers[k];
    const s = state.get(name);
    if (s === "done") return;
    if (s === "open")
      throw new UsageError(`${where(node, k)}: is part of a cycle: a model is a graph without cycles`);
    state.set(name, "open");
    // iterative enough for the models nn2c takes; the depth is the longest path
    for (const inputName of node.inputs) visit(inputName, { node, k });
    state.set(name, "done");
    order.push(node);
  };
  visit(output, null);
  const unused = layers.findIndex((node) => !state.has(node.name));
  if (unused >= 0) {
    throw new UsageError(
      `${where(layers[unused], unused)}: does not lead to the output '${clip(output, 40)}': every layer must feed the output`,
    );
  }
  // the file's order when it is a valid one (a stable, readable order); else the depth-first one
  const inFileOrder = layers.every((node, k) =>
    node.inputs.every((i) => i === input.name || (index.get(i) ?? k) < k),
  );
  const nodes = inFileOrder ? layers : order;
  const shapes = new Map<string, Shape>([[input.name, input.shape]]);
  const consumers = new Map<string, string[]>([[input.name, []]]);
  for (const node of nodes) {
    const k = index.get(node.name)!;
    const kind = getOp(node.kind);
    const { min, max } = kind.layer.inputs;
    if (node.inputs.length < min || node.inputs.length > max) {
      const expected = min === max ? `${min}` : `${min} to ${max === Infinity ? "any number" : max}`;
      throw new UsageError(
        `${where(node, k)}: ${node.kind} takes ${expected} inputs, got ${node.inputs.length}`,
      );
    }
    const inShapes = node.inputs.map((i) => shapes.get(i)!);
    let shape: Shape;
    try {
      shape = kind.layer.outputShape(node.config, inShapes);
    } catch (e) {
      if (!(e instanceof ShapeError)) throw e;
      throw new UsageError(
        `${where(node, k)}: ${node.kind} of ${inShapes.map(formatShape).join(" and ")}: ${e.message}`,
      );
    }
    if (sizeOf(shape) > MAX_TENSOR_VALUES) {
      throw new UsageError(
        `${where(node, k)}: output ${formatShape(shape)} holds ${sizeOf(shape)} values: at most ${MAX_TENSOR_VALUES} (no microcontroller holds more)`,
      );
    }
    shapes.set(node.name, shape);
    consumers.set(node.name, []);
    for (const i of node.inputs) consumers.get(i)!.push(node.name);
  }
  return { input, nodes, output, shapes, consumers };
}

/** The input shapes of a layer of the graph. */
export function inputShapes(g: LayerGraph, node: LayerNode): Shape[] {
  return node.inputs.map((i) => g.shapes.get(i)!);
}
