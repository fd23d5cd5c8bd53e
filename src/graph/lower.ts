/**
 * The one lowering pass from layers to ops, used by every stage after training (the float32 reference
 * and export, calibration, quantization, bench, inspect):
 *   - Dropout vanishes (an identity at inference); Flatten and Reshape read their input's values under
 *     another shape, so they vanish too and the ops after them read the same tensor;
 *   - BatchNormalization folds into the op before it when that op can absorb a per-channel affine map
 *     (Dense) and nothing else reads its output; otherwise it stays, as a per-channel scale-and-shift op;
 *   - relu, relu6, linear and leaky relu (as layers, or as a layer's own activation) become the output
 *     stage of the op before them when it can take them (a clamp, a second multiplier) and nothing else
 *     reads its output; any other activation becomes an op of its own.
 * Ops write tensors named after the last layer they absorbed, so calibration reads each op's float
 * output from the training network's tensor of that name.
 */
import { DEFAULT_LEAKY_ALPHA, getActivation } from "../core/activations.js";
import type { Shape } from "../core/shape.js";
import { UsageError } from "../errors.js";
import { type FloatOp, getOp, type LayerNode } from "../ops/registry.js";
import type { LayerGraph } from "./graph.js";

export interface FloatGraph {
  input: { name: string; shape: Shape };
  /** in an order where each op follows those whose outputs it reads */
  ops: FloatOp[];
  output: string;
  /** every tensor an op reads or writes: the input, and each op's output */
  shapes: Map<string, Shape>;
  /** what the lowering did, one line each ("folded batch_normalization 'bn' into dense 'dense'") */
  notes: string[];
}

/** The internal tensor between a layer's op and its own activation when the two stay apart. */
export function preactivationName(layer: string): string {
  return `${layer}/preact`;
}

export function lowerGraph(
  g: LayerGraph,
  tensors: (layer: string) => Record<string, Float32Array | Float64Array>,
  file = "the model",
): FloatGraph {
  // Which op-graph tensor each layer's output is (identities and aliases read their input's), and how
  // many layers (other than identities and aliases) read each op-graph tensor.
  const tensorOf = new Map<string, string>([[g.input.name, g.input.name]]);
  const readers = new Map<string, number>();
  const passes = (node: LayerNode) => getOp(node.kind).lower.mode !== "op";
  for (const node of g.nodes) {
    if (passes(node)) tensorOf.set(node.name, tensorOf.get(node.inputs[0])!);
    else {
      tensorOf.set(node.name, node.name);
      for (const i of node.inputs) readers.set(tensorOf.get(i)!, (readers.get(tensorOf.get(i)!) ?? 0) + 1);
    }
  }
  const ops: FloatOp[] = [];
  const producer = new Map<string, FloatOp>();
  const notes: string[] = [];
  const shapes = new Map<string, Shape>([[g.input.name, g.input.shape]]);
  const add = (op: FloatOp) => {
    ops.push(op);
    producer.set(op.output, op);
    shapes.set(op.output, op.outputShape);
  };
  const rename = (op: FloatOp, output: string) => {
    producer.delete(op.output);
    shapes.delete(op.output);
    op.output = output;
    producer.set(output, op);
    shapes.set(output, op.outputShape);
  };
  /** The op whose output `layerInput` is, when only `node` reads it and no alias changed its shape. */
  const soleProducer = (layerInput: string): FloatOp | undefined => {
    const t = tensorOf.get(layerInput)!;
    const op = producer.get(t);
    if (!op || (readers.get(t) ?? 0) !== 1) return undefined;
    const shape = g.shapes.get(layerInput)!;
    return shape.length === op.outputShape.length && shape.every((d, i) => d === op.outputShape[i])
      ? op
      : undefined;
  };
  /** Fuses an activation into `op` when its kind can take it as its output stage. */
  const fuse = (op: FloatOp | undefined, act: { name: string; alpha: number }): boolean => {
    if (op?.activation.name !== "linear") return false;
    const fuses = getOp(op.kind).op?.fuses;
    return fuses?.(getActivation(act.name).quant({ alpha: act.alpha })) === true;
  };

  for (const node of g.nodes) {
    const kind = getOp(node.kind);
    const inShapes = node.inputs.map((i) => g.shapes.get(i)!);
    const outShape = g.shapes.get(node.name)!;
    if (kind.lower.mode === "identity") {
      notes.push(`dropped ${node.kind} '${node.name}' (an identity at inference)`);
      continue;
    }
    if (kind.lower.mode === "alias") {
      notes.push(
        `${node.kind} '${node.name}' reads '${tensorOf.get(node.inputs[0])}' as ${JSON.stringify(outShape)}: no op`,
      );
      continue;
    }
    const affine = kind.lower.affine?.(node.config, tensors(node.name));
    if (affine) {
      const p = soleProducer(node.inputs[0]);
      const fold = p && p.activation.name === "linear" ? getOp(p.kind).op?.foldAffine : undefined;
      if (p && fold) {
        const folded = fold(p, affine.scale, affine.shift);
        Object.assign(p, folded);
        rename(p, node.name);
        notes.push(`folded ${node.kind} '${node.name}' into ${p.kind} '${p.name}'`);
        continue;
      }
    }
    const fusable = kind.lower.fusable?.(node.config);
    if (fusable) {
      if (fusable.name === "linear") {
        tensorOf.set(node.name, tensorOf.get(node.inputs[0])!);
        notes.push(`dropped ${node.kind} '${node.name}' (linear)`);
        // its readers now read the tensor before it
        const t = tensorOf.get(node.inputs[0])!;
        readers.set(t, (readers.get(t) ?? 1) - 1 + (readers.get(node.name) ?? 0));
        continue;
      }
      const p = soleProducer(node.inputs[0]);
      if (fuse(p, fusable)) {
        p!.activation = fusable;
        rename(p!, node.name);
        notes.push(`fused ${fusable.name} '${node.name}' into ${p!.kind} '${p!.name}'`);
        continue;
      }
    }
    const weights: Record<string, Float64Array> = {};
    for (const [name, values] of Object.entries(tensors(node.name)))
      weights[name] = Float64Array.from(values);
    const op: FloatOp = {
      kind: node.kind,
      name: node.name,
      inputs: node.inputs.map((i) => tensorOf.get(i)!),
      output: node.name,
      inputShapes: inShapes,
      outputShape: outShape,
      config: node.config,
      weights: affine ? { scale: affine.scale, shift: affine.shift } : weights,
      activation: { name: "linear", alpha: DEFAULT_LEAKY_ALPHA },
    };
    add(op);
    // the layer's own activation (Dense's `activation`): its output stage, or an op of its own after it
    const own = kind.layer.activation?.(node.config);
    if (own) {
      const act = { name: own.name, alpha: own.alpha ?? DEFAULT_LEAKY_ALPHA };
      if (fuse(op, act)) op.activation = act;
      else {
        rename(op, preactivationName(node.name));
        add({
          kind: "activation",
          name: node.name,
          inputs: [op.output],
          output: node.name,
          inputShapes: [outShape],
          outputShape: outShape,
          config: { activation: act.name, alpha: act.alpha },
          weights: {},
          activation: { name: "linear", alpha: DEFAULT_LEAKY_ALPHA },
        });
      }
    }
  }
  const output = tensorOf.get(g.output)!;
  if (output === g.input.name) {
    throw new UsageError(`${file}: the output '${g.output}' is the input itself: the model computes nothing`);
  }
  return { input: g.input, ops, output, shapes, notes };
}
