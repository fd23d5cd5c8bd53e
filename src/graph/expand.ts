/**
 * Composite layers (SeparableConv2D: a depthwise convolution, then a pointwise one) as the chains of
 * layers they are: every stage that runs layers (the training network, the lowering, and so
 * calibration) sees the parts, each a layer of a registered kind, named `<layer>/<kind>` except the last,
 * which keeps the layer's name. A part reads its weights from the composite layer's under the names the
 * kind maps (the same arrays: training the parts trains the layer).
 */
import type { Shape } from "../core/shape.js";
import { getOp, type LayerNode } from "../ops/registry.js";
import type { LayerGraph } from "./graph.js";

/** The name of part k of a composite layer (the last part keeps the layer's name). */
export function partName(layer: string, kind: string, last: boolean): string {
  return last ? layer : `${layer}/${kind}`;
}

/** The graph with every composite layer replaced by its parts, and each part's weights by its own names. */
export function expandGraph<T>(
  g: LayerGraph,
  tensors: (layer: string) => Record<string, T>,
): { graph: LayerGraph; tensors: (layer: string) => Record<string, T> } {
  if (!g.nodes.some((n) => getOp(n.kind).layer.composite)) return { graph: g, tensors };
  const nodes: LayerNode[] = [];
  const shapes = new Map(g.shapes);
  const partTensors = new Map<string, Record<string, T>>();
  for (const node of g.nodes) {
    const parts = getOp(node.kind).layer.composite?.(
      node.config,
      node.inputs.map((i) => g.shapes.get(i)!),
    );
    if (!parts) {
      nodes.push(node);
      continue;
    }
    const own = tensors(node.name);
    let inputs = node.inputs;
    let inShapes: Shape[] = node.inputs.map((i) => g.shapes.get(i)!);
    parts.forEach((part, k) => {
      const name = partName(node.name, part.kind, k === parts.length - 1);
      const shape = getOp(part.kind).layer.outputShape(part.config, inShapes);
      nodes.push({ name, kind: part.kind, inputs, config: part.config });
      shapes.set(name, shape);
      const mapped: Record<string, T> = {};
      for (const [partWeight, layerWeight] of Object.entries(part.weights))
        if (own[layerWeight] !== undefined) mapped[partWeight] = own[layerWeight];
      partTensors.set(name, mapped);
      inputs = [name];
      inShapes = [shape];
    });
  }
  const consumers = new Map<string, string[]>();
  for (const n of nodes)
    for (const i of n.inputs) {
      const list = consumers.get(i);
      if (list) list.push(n.name);
      else consumers.set(i, [n.name]);
    }
  return {
    graph: { ...g, nodes, shapes, consumers },
    tensors: (layer) => partTensors.get(layer) ?? tensors(layer),
  };
}
