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
import { type Shape, sameShape } from "../core/shape.js";
import { UsageError } from "../errors.js";
import { type FloatOp, getOp, type LayerNode } from "../ops/registry.js";
import { expandGraph } from "./expand.js";
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

type LayerTensorsOf = (layer: string) => Record<string, Float32Array | Float64Array>;

export function lowerGraph(layers: LayerGraph, layerTensors: LayerTensorsOf, file = "the model"): FloatGraph {
  const { graph: g, tensors } = expandGraph(layers, layerTensors);
  const lowering = new Lowering(g, tensors);
  for (const node of g.nodes) lowering.lower(node);
  const output = lowering.tensorOf.get(g.output)!;
  if (output === g.input.name) {
    throw new UsageError(`${file}: the output '${g.output}' is the input itself: the model computes nothing`);
  }
  return { input: g.input, ops: lowering.ops, output, shapes: lowering.shapes, notes: lowering.notes };
}

const NO_ACTIVATION = { name: "linear", alpha: DEFAULT_LEAKY_ALPHA };

/** The state of one lowering pass: the ops so far, and which op-graph tensor each layer's output is. */
class Lowering {
  readonly ops: FloatOp[] = [];
  readonly notes: string[] = [];
  readonly shapes: Map<string, Shape>;
  /** the op-graph tensor of each layer's output (identities and aliases: their input's) */
  readonly tensorOf: Map<string, string>;
  /** how many layers (other than identities and aliases) read each op-graph tensor */
  private readonly readers = new Map<string, number>();
  private readonly producer = new Map<string, FloatOp>();

  constructor(
    private readonly g: LayerGraph,
    private readonly tensors: LayerTensorsOf,
  ) {
    this.tensorOf = new Map([[g.input.name, g.input.name]]);
    this.shapes = new Map([[g.input.name, g.input.shape]]);
    for (const node of g.nodes) {
      if (getOp(node.kind).lower.mode !== "op")
        this.tensorOf.set(node.name, this.tensorOf.get(node.inputs[0])!);
      else {
        this.tensorOf.set(node.name, node.name);
        for (const i of node.inputs) this.read(this.tensorOf.get(i)!, 1);
      }
    }
  }

  private read(tensor: string, count: number): void {
    this.readers.set(tensor, (this.readers.get(tensor) ?? 0) + count);
  }

  private add(op: FloatOp): void {
    this.ops.push(op);
    this.producer.set(op.output, op);
    this.shapes.set(op.output, op.outputShape);
  }

  private rename(op: FloatOp, output: string): void {
    this.producer.delete(op.output);
    this.shapes.delete(op.output);
    op.output = output;
    this.producer.set(output, op);
    this.shapes.set(output, op.outputShape);
  }

  /** The op whose output `layerInput` is, when only one layer reads it and no alias changed its shape. */
  private soleProducer(layerInput: string): FloatOp | undefined {
    const t = this.tensorOf.get(layerInput)!;
    const op = this.producer.get(t);
    if (!op || (this.readers.get(t) ?? 0) !== 1) return undefined;
    return sameShape(this.g.shapes.get(layerInput)!, op.outputShape) ? op : undefined;
  }

  /** Whether `op` can take the activation as its output stage (it has none yet, and its kind can). */
  private fuses(op: FloatOp | undefined, act: { name: string; alpha: number }): boolean {
    if (op?.activation.name !== "linear") return false;
    const fuses = getOp(op.kind).op?.fuses;
    return fuses?.(getActivation(act.name).quant({ alpha: act.alpha })) === true;
  }

  lower(node: LayerNode): void {
    const kind = getOp(node.kind);
    if (kind.lower.mode === "identity") {
      this.notes.push(`dropped ${node.kind} '${node.name}' (an identity at inference)`);
      return;
    }
    if (kind.lower.mode === "alias") {
      const shape = JSON.stringify(this.g.shapes.get(node.name));
      this.notes.push(
        `${node.kind} '${node.name}' reads '${this.tensorOf.get(node.inputs[0])}' as ${shape}: no op`,
      );
      return;
    }
    const affine = kind.lower.affine?.(node.config, this.tensors(node.name));
    if (affine && this.foldAffine(node, affine)) return;
    const fusable = kind.lower.fusable?.(node.config);
    if (fusable && this.fuseLayer(node, fusable)) return;
    const weights: Record<string, Float64Array> = {};
    for (const [name, values] of Object.entries(this.tensors(node.name)))
      weights[name] = Float64Array.from(values);
    const op: FloatOp = {
      kind: node.kind,
      name: node.name,
      inputs: node.inputs.map((i) => this.tensorOf.get(i)!),
      output: node.name,
      inputShapes: node.inputs.map((i) => this.g.shapes.get(i)!),
      outputShape: this.g.shapes.get(node.name)!,
      config: node.config,
      weights: affine ? { scale: affine.scale, shift: affine.shift } : weights,
      activation: { ...NO_ACTIVATION },
    };
    this.add(op);
    const own = kind.layer.activation?.(node.config);
    if (own) this.ownActivation(op, { name: own.name, alpha: own.alpha ?? DEFAULT_LEAKY_ALPHA });
  }

  /** Folds a per-channel affine layer into the op before it, when that op is its own and can absorb it. */
  private foldAffine(node: LayerNode, affine: { scale: Float64Array; shift: Float64Array }): boolean {
    const p = this.soleProducer(node.inputs[0]);
    const fold = p && p.activation.name === "linear" ? getOp(p.kind).op?.foldAffine : undefined;
    if (!p || !fold) return false;
    Object.assign(p, fold(p, affine.scale, affine.shift));
    this.rename(p, node.name);
    this.notes.push(`folded ${node.kind} '${node.name}' into ${p.kind} '${p.name}'`);
    return true;
  }

  /** An activation layer: dropped when linear, else fused into the op before it when that op can take it. */
  private fuseLayer(node: LayerNode, act: { name: string; alpha: number }): boolean {
    if (act.name === "linear") {
      const t = this.tensorOf.get(node.inputs[0])!;
      this.tensorOf.set(node.name, t);
      this.notes.push(`dropped ${node.kind} '${node.name}' (linear)`);
      // its readers now read the tensor before it
      this.read(t, (this.readers.get(node.name) ?? 0) - 1);
      return true;
    }
    const p = this.soleProducer(node.inputs[0]);
    if (!p || !this.fuses(p, act)) return false;
    p.activation = act;
    this.rename(p, node.name);
    this.notes.push(`fused ${act.name} '${node.name}' into ${p.kind} '${p.name}'`);
    return true;
  }

  /** A layer's own activation (Dense's `activation`): its output stage, or an op of its own after it. */
  private ownActivation(op: FloatOp, act: { name: string; alpha: number }): void {
    if (this.fuses(op, act)) {
      op.activation = act;
      return;
    }
    const name = op.output;
    this.rename(op, preactivationName(name));
    this.add({
      kind: "activation",
      name,
      inputs: [op.output],
      output: name,
      inputShapes: [op.outputShape],
      outputShape: op.outputShape,
      config: { activation: act.name, alpha: act.alpha },
      weights: {},
      activation: { ...NO_ACTIVATION },
    });
  }
}
