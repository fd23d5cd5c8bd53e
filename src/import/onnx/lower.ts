/**
 * An ONNX graph as an nn2c float model. Each node becomes the Keras layers that compute it, in a
 * Functional graph built as Keras files are (src/import/float.ts), with weights in nn2c's layout.
 *
 * ONNX is channels-first ([N, C, H, W]; [N, C, L] in 1-D) and nn2c channels-last: the conversion happens
 * once, at import. A computed tensor is held channels-last whenever its ONNX form is channels-first, so
 * convolutions, pooling and batch normalization read it as nn2c's kernels do, and weights are rearranged
 * to match (a Conv's [F, C, kh, kw] becomes [kh, kw, C, F]). Where a channels-first tensor is flattened,
 * nn2c's order of its values differs from ONNX's; the Gemm or MatMul after it absorbs the difference in
 * its weights' columns. A Transpose between channels-first and channels-last changes only which form the
 * tensor is said to be in. The model's input keeps ONNX's batch dimension out: the C reads one sample.
 */
import { UsageError } from "../../errors.js";
import type { ModelFile } from "../../model/schema.js";
import { floatModel } from "../float.js";
import type { OnnxAttribute, OnnxModel, OnnxNode, OnnxTensor } from "./read.js";

/** The operator set versions nn2c reads (the pytorch-converted conformance cases are opset 6). */
export const ONNX_OPSETS = { min: 6, max: 18 };

/** Operators evaluated at import when their inputs are constants (Shape: when its input's shape is). */
const SHAPE_OPERATORS = ["Cast", "Concat", "Gather", "Shape", "Squeeze", "Unsqueeze"];

/** The ONNX operators nn2c imports. */
export const ONNX_OPERATORS = [
  "Add",
  "AveragePool",
  "BatchNormalization",
  "Clip",
  "Constant",
  "Conv",
  "Div",
  "Dropout",
  "Flatten",
  "Gemm",
  "GlobalAveragePool",
  "GlobalMaxPool",
  "HardSigmoid",
  "Identity",
  "LeakyRelu",
  "MatMul",
  "MaxPool",
  "Mul",
  "Pad",
  "Relu",
  "Reshape",
  "Sigmoid",
  "Softmax",
  "Sub",
  "Tanh",
  "Transpose",
  // shape arithmetic, on constants and on the shapes of computed tensors (PyTorch's x.view(x.size(0), -1)
  // with a dynamic batch): evaluated at import
  ...SHAPE_OPERATORS,
];

/** A computed tensor: the layer that writes it and how nn2c holds it. */
interface Value {
  layer: string;
  /** ONNX's shape, without the batch dimension */
  dims: number[];
  /** nn2c holds the channels-last form of this channels-first tensor ([H, W, C] for [C, H, W]) */
  channelsLast: boolean;
  /** nn2c's shape of it */
  shape: number[];
  /** a flattened channels-first tensor: nn2c's value i is ONNX's value order[i] */
  order?: Int32Array;
  /** no value is below 0 (after a Relu, a Sigmoid, a Softmax): zeros then pad a maximum exactly */
  nonNegative?: boolean;
}

interface KerasLayer {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  inbound_nodes: [string, 0, 0, Record<string, never>][][];
}

/** How the C's input and output relate to the ONNX model's. */
export interface OnnxLayout {
  /** the ONNX input's shape, batch dimension included (taken as 1 where symbolic) */
  inputShape: number[];
  /** the C's input holds the channels-last form of the ONNX input */
  inputChannelsLast: boolean;
  outputShape: number[];
  /** the C's output holds the channels-last form of the ONNX output */
  outputChannelsLast: boolean;
  /** the C's output value i is the ONNX output's value order[i] (a flattened channels-first tensor) */
  outputOrder?: number[];
}

/** What the import did, node by node (`nn2c import --json`). */
export interface OnnxReport {
  opset: number;
  irVersion: number;
  producer: string;
  /** each node: the layers it became, or what became of it (a constant, folded, no op) */
  nodes: { name: string; op: string; layers: string[]; note?: string }[];
  layout: OnnxLayout;
  /** a one-line account of the layout conversion */
  conversion: string;
}

export interface OnnxImport {
  model: ModelFile;
  report: OnnxReport;
}

export interface LowerOptions {
  /** the input's shape, batch first, where the file's is symbolic */
  inputShape?: number[];
  /** values for graph inputs other than the first (ONNX's node tests give weights as inputs) */
  bind?: Map<string, OnnxTensor>;
}

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** nn2c's shape of a tensor of ONNX dims held channels-last or as it is. */
const heldShape = (dims: number[], channelsLast: boolean) =>
  channelsLast && dims.length >= 2 ? [...dims.slice(1), dims[0]] : [...dims];

/** The two forms of a tensor give the same order of values (one channel, or one position). */
const sameOrder = (v: Value) =>
  v.order === undefined &&
  (!v.channelsLast || v.dims.length < 2 || v.dims[0] === 1 || size(v.dims) === v.dims[0]);

/** The channels-last permutation of a channels-first tensor's values: nn2c's i holds ONNX's order[i]. */
function channelsLastOrder(dims: number[]): Int32Array {
  const [C, ...spatial] = dims;
  const P = size(spatial);
  const order = new Int32Array(C * P);
  for (let p = 0; p < P; p++) for (let c = 0; c < C; c++) order[p * C + c] = c * P + p;
  return order;
}

/** The ONNX model `m` (read from `file`) as an nn2c float model, with what the import did. */
export function lowerOnnx(m: OnnxModel, file: string, options: LowerOptions = {}): OnnxImport {
  if (m.opset < ONNX_OPSETS.min || m.opset > ONNX_OPSETS.max)
    throw new UsageError(
      `${file}: operator set ${m.opset}: expected ${ONNX_OPSETS.min} to ${ONNX_OPSETS.max} (ai.onnx)`,
    );
  const constants = new Map(m.constants);
  for (const [name, t] of options.bind ?? []) constants.set(name, t);
  const inputs = m.inputs.filter((v) => !constants.has(v.name));
  if (inputs.length !== 1)
    throw new UsageError(
      `${file}: ${inputs.length} graph inputs (${inputs.map((v) => `'${v.name}'`).join(", ")}): expected one`,
    );
  if (m.outputs.length !== 1)
    throw new UsageError(
      `${file}: ${m.outputs.length} graph outputs (${m.outputs.map((v) => `'${v.name}'`).join(", ")}): expected one`,
    );
  const input = inputs[0];
  if (input.type !== "float32")
    throw new UsageError(`${file}: input '${input.name}' is ${input.type}: expected float32`);
  const inputShape = shapeOf(input, file, options.inputShape);

  // how many times each tensor is read: a constant folds into the layer before it only if that layer's
  // output has no other reader
  const readers = new Map<string, number>();
  for (const n of m.nodes) for (const i of n.inputs) if (i) readers.set(i, (readers.get(i) ?? 0) + 1);
  for (const o of m.outputs) readers.set(o.name, (readers.get(o.name) ?? 0) + 1);

  // the input is held channels-last when it is channels-first (rank 3 or more), unless every node
  // reading it is a Transpose to channels-first: then it is channels-last already
  const dims = inputShape.slice(1);
  const toChannelsFirst = [0, dims.length, ...dims.slice(0, -1).map((_, k) => k + 1)].join(",");
  const readersOfInput = m.nodes.filter((n) => n.inputs.includes(input.name));
  const transposed =
    dims.length >= 2 &&
    readersOfInput.length > 0 &&
    readersOfInput.every((n) => n.op === "Transpose" && ints(n, "perm", []).join(",") === toChannelsFirst);
  const inputChannelsLast = dims.length >= 2 && !transposed;
  const inputValue: Value = {
    layer: "input",
    dims,
    channelsLast: inputChannelsLast,
    shape: heldShape(dims, inputChannelsLast),
  };
  const layers: KerasLayer[] = [
    {
      class_name: "InputLayer",
      name: "input",
      config: { name: "input", batch_input_shape: [null, ...inputValue.shape] },
      inbound_nodes: [],
    },
  ];
  const weights = new Map<string, Record<string, Float32Array>>();
  const values = new Map<string, Value>([[input.name, inputValue]]);
  const report: OnnxReport["nodes"] = [];

  for (const node of m.nodes) {
    const fail = (message: string): never => {
      throw new UsageError(`${file}: node '${node.name}' (${node.op}): ${message}`);
    };
    if (node.domain !== "" && node.domain !== "ai.onnx")
      fail(`operator of domain '${node.domain}': expected the default domain (ai.onnx)`);
    if (!ONNX_OPERATORS.includes(node.op))
      fail(`an operator nn2c does not import: expected one of ${ONNX_OPERATORS.join(", ")}`);
    const ctx = new NodeContext(node, m.opset, fail, constants, values, readers, layers, weights);
    const note = lowerNode(ctx);
    report.push({ name: node.name, op: node.op, layers: ctx.added, ...(note ? { note } : {}) });
  }

  const out = values.get(m.outputs[0].name);
  if (!out) {
    const hint = constants.has(m.outputs[0].name) ? " (it is a constant)" : "";
    throw new UsageError(`${file}: no node computes the output '${m.outputs[0].name}'${hint}: expected one`);
  }
  // Identity, Dropout, Flatten and Reshape move no value: a graph of only these computes nothing
  if (layers.every((l) => ["InputLayer", "Reshape", "Flatten"].includes(l.class_name)))
    throw new UsageError(
      `${file}: the output '${m.outputs[0].name}' is the input's values as they are: expected a graph that computes something`,
    );
  const layout: OnnxLayout = {
    inputShape,
    inputChannelsLast,
    outputShape: [1, ...out.dims],
    outputChannelsLast: out.channelsLast && !sameOrder(out),
    ...(out.order ? { outputOrder: Array.from(out.order) } : {}),
  };
  const config = {
    class_name: "Functional",
    config: {
      name: m.graphName || "onnx",
      layers,
      input_layers: [["input", 0, 0]],
      output_layers: [[out.layer, 0, 0]],
    },
  };
  const model = floatModel(
    config,
    file,
    (layer, specs) => {
      const w = weights.get(layer.name);
      return specs.map((s) => {
        const v = w?.[s.name];
        if (!v) throw new Error(`no weight ${s.name} kept for layer ${layer.name}`);
        return v;
      });
    },
    { format: "onnx", layout: conversionText(layout) },
  );
  // a softmax at the end makes a classifier (floatModel's test), whichever layer the activation is in
  return {
    model,
    report: {
      opset: m.opset,
      irVersion: m.irVersion,
      producer: m.producer,
      nodes: report,
      layout,
      conversion: conversionText(layout),
    },
  };
}

/**
 * One sample of an ONNX tensor (`dims` without the batch) in the C's order: channels-last where the
 * layout says so, or in a flattening's `order`. What a caller feeding the C ONNX's data does.
 */
export function inModelOrder(
  values: ArrayLike<number>,
  dims: number[],
  channelsLast: boolean,
  order?: ArrayLike<number>,
): number[] {
  if (order) return Array.from(order, (i) => values[i]);
  if (!channelsLast || dims.length < 2) return Array.from(values);
  return Array.from(channelsLastOrder(dims), (i) => values[i]);
}

/** The one-line account of the layout conversion kept in the model file and printed by the import. */
export function conversionText(l: OnnxLayout): string {
  const shape = (s: number[]) => `[${s.join(", ")}]`;
  const input = l.inputChannelsLast
    ? `the C reads the ONNX input ${shape(l.inputShape)} channels-last, as ${shape(heldShape(l.inputShape.slice(1), true))}`
    : `the C reads the ONNX input ${shape(l.inputShape)} in its own order`;
  const output = l.outputOrder
    ? `writes the output ${shape(l.outputShape)} as the flattened channels-last tensor`
    : l.outputChannelsLast
      ? `writes the output ${shape(l.outputShape)} channels-last, as ${shape(heldShape(l.outputShape.slice(1), true))}`
      : `writes the output ${shape(l.outputShape)} in its own order`;
  return `${input}; it ${output}`;
}

/** The input's shape with every dimension known: the batch taken as 1, the rest from the file or `given`. */
function shapeOf(
  input: { name: string; shape: (number | string | null)[] | null },
  file: string,
  given: number[] | undefined,
): number[] {
  if (given) {
    if (given.length < 2)
      throw new UsageError(
        `${file}: input '${input.name}' of shape [${given}]: expected a batch dimension and at least one more`,
      );
    if (input.shape && input.shape.length !== given.length)
      throw new UsageError(
        `${file}: --input-shape [${given}] for input '${input.name}' of rank ${input.shape.length}: expected ${input.shape.length} sizes`,
      );
    input.shape?.forEach((d, k) => {
      if (typeof d === "number" && k > 0 && d !== given[k])
        throw new UsageError(
          `${file}: --input-shape [${given}] for input '${input.name}' of shape [${input.shape}]: expected ${d} at position ${k}`,
        );
    });
    return [1, ...given.slice(1)];
  }
  if (!input.shape)
    throw new UsageError(`${file}: input '${input.name}' has no shape: pass --input-shape (batch first)`);
  if (input.shape.length < 2)
    throw new UsageError(
      `${file}: input '${input.name}' of shape [${input.shape}]: expected a batch dimension and at least one more`,
    );
  return input.shape.map((d, k) => {
    if (typeof d === "number" && d > 0) return k === 0 ? 1 : d;
    if (k === 0) return 1;
    throw new UsageError(
      `${file}: input '${input.name}' has the dynamic dimension ${k} (${d ?? "unknown"}): pass --input-shape with a fixed one`,
    );
  });
}

function attribute(node: OnnxNode, name: string): OnnxAttribute | undefined {
  return node.attributes.get(name);
}

function ints(node: OnnxNode, name: string, fallback: number[]): number[] {
  const a = attribute(node, name);
  if (!a) return fallback;
  if (a.kind === "ints") return a.value;
  if (a.kind === "int") return [a.value];
  throw new UsageError(`node '${node.name}' (${node.op}): attribute ${name} is not integers`);
}

/** What lowering one node reads and writes. */
class NodeContext {
  constructor(
    readonly node: OnnxNode,
    readonly opset: number,
    readonly fail: (message: string) => never,
    readonly constants: Map<string, OnnxTensor>,
    readonly values: Map<string, Value>,
    readonly readers: Map<string, number>,
    readonly layers: KerasLayer[],
    readonly weights: Map<string, Record<string, Float32Array>>,
  ) {}

  /** the layers this node added, in order */
  readonly added: string[] = [];

  get name(): string {
    return `${this.node.op.toLowerCase()}_${this.node.index}`;
  }

  int(name: string, fallback: number): number {
    const a = attribute(this.node, name);
    if (!a) return fallback;
    if (a.kind !== "int") return this.fail(`attribute ${name}: expected an integer`);
    return a.value;
  }

  float(name: string, fallback: number): number {
    const a = attribute(this.node, name);
    if (!a) return fallback;
    if (a.kind !== "float" && a.kind !== "int") return this.fail(`attribute ${name}: expected a number`);
    return a.value;
  }

  ints(name: string, fallback: number[]): number[] {
    const a = attribute(this.node, name);
    if (!a) return fallback;
    if (a.kind !== "ints") return this.fail(`attribute ${name}: expected a list of integers`);
    return a.value;
  }

  string(name: string, fallback: string): string {
    const a = attribute(this.node, name);
    if (!a) return fallback;
    if (a.kind !== "string") return this.fail(`attribute ${name}: expected a string`);
    return a.value;
  }

  /** Fails on any attribute but these. */
  only(...names: string[]): void {
    for (const key of this.node.attributes.keys())
      if (!names.includes(key)) this.fail(`attribute ${key}: expected only ${names.join(", ") || "none"}`);
  }

  /** Input k, present and computed. */
  value(k = 0): Value {
    const name = this.node.inputs[k];
    if (!name) return this.fail(`input ${k} left out: expected a tensor`);
    const v = this.values.get(name);
    if (!v) {
      if (this.constants.has(name))
        return this.fail(
          `input ${k} '${name}' is a constant: expected a tensor computed from the model's input`,
        );
      return this.fail(`input ${k} '${name}' is written by no node before it: expected one`);
    }
    return v;
  }

  /** Input k as a constant; undefined when left out. */
  constant(k: number): OnnxTensor | undefined {
    const name = this.node.inputs[k];
    if (!name) return undefined;
    const t = this.constants.get(name);
    if (!t) return this.fail(`input ${k} '${name}' is computed: expected a constant (an initializer)`);
    return t;
  }

  isConstant(k: number): boolean {
    const name = this.node.inputs[k];
    return !!name && this.constants.has(name);
  }

  /** Input k as finite float32 values of the given size (a scalar too, broadcast). */
  floats(k: number, what: string, count?: number): Float32Array {
    const t = this.constant(k);
    if (!t) return this.fail(`${what} left out: expected a constant`);
    return this.finite(t, what, count);
  }

  finite(t: OnnxTensor, what: string, count?: number): Float32Array {
    if (t.type !== "float32" && t.type !== "float64")
      this.fail(`${what} '${t.name}' is ${t.type}: expected float32`);
    const bad = t.values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) this.fail(`${what} '${t.name}'[${bad}] is ${t.values[bad]}: expected finite values`);
    if (count !== undefined && t.values.length === 1 && count !== 1)
      return new Float32Array(count).fill(t.values[0]);
    if (count !== undefined && t.values.length !== count)
      this.fail(`${what} '${t.name}' of shape [${t.dims}]: expected ${count} values`);
    return Float32Array.from(t.values);
  }

  /** Appends a Keras layer reading `from`; its name is the node's (plus a suffix past the first). */
  add(
    className: string,
    config: Record<string, unknown>,
    from: string[],
    w?: Record<string, Float32Array>,
  ): string {
    const name = this.added.length === 0 ? this.name : `${this.name}_${this.added.length}`;
    this.added.push(name);
    this.layers.push({
      class_name: className,
      name,
      config: { name, ...config },
      inbound_nodes: [from.map((l) => [l, 0, 0, {}] as [string, 0, 0, Record<string, never>])],
    });
    if (w) this.weights.set(name, w);
    return name;
  }

  /** `v` under nn2c's shape `shape` (a Reshape layer if it is held under another). */
  as(v: Value, shape: number[]): string {
    if (v.shape.join(",") === shape.join(",")) return v.layer;
    return this.add("Reshape", { target_shape: shape }, [v.layer]);
  }

  /** `v`, a channels-first tensor of rank `rank` (batch excluded), held channels-last: a layer name. */
  spatial(v: Value, rank: number): string {
    if (v.dims.length !== rank)
      this.fail(`input of shape [${v.dims}] (batch excluded): expected ${rank} dimensions, channels first`);
    if (!v.channelsLast && !sameOrder({ ...v, channelsLast: true }))
      this.fail("input held channels-last by an earlier Transpose: expected a channels-first tensor");
    if (v.order) this.fail("a flattened tensor reshaped: expected a channels-first tensor");
    return this.as(v, heldShape(v.dims, true));
  }

  /** Writes output 0 (and checks the other outputs are unused). */
  write(v: Value): undefined {
    for (const extra of this.node.outputs.slice(1))
      if (extra && this.readers.has(extra))
        this.fail(`output '${extra}' is read: expected only the first output used`);
    this.values.set(this.node.outputs[0], v);
    return undefined;
  }

  /** The layer that wrote `v`, if nothing else reads it and it is a Dense or convolution without an activation. */
  foldTarget(v: Value): KerasLayer | undefined {
    // every tensor that is this layer's output under another name (Identity, Dropout) counts its readers
    let reads = 0;
    for (const [name, value] of this.values)
      if (value.layer === v.layer) reads += this.readers.get(name) ?? 0;
    if (reads !== 1) return undefined;
    const layer = this.layers.find((l) => l.name === v.layer);
    if (!layer || !["Dense", "Conv1D", "Conv2D", "DepthwiseConv2D"].includes(layer.class_name))
      return undefined;
    const act = layer.config.activation;
    return act === "linear" || act === undefined ? layer : undefined;
  }
}

/** Lowers one node; returns what it became (for the report). */
function lowerNode(c: NodeContext): string | undefined {
  const { node, opset } = c;
  switch (node.op) {
    case "Constant": {
      c.only("value", "value_float", "value_floats", "value_int", "value_ints");
      const a = [...node.attributes.values()][0];
      const tensor: OnnxTensor | undefined =
        a?.kind === "tensor"
          ? a.value
          : a?.kind === "float" || a?.kind === "int"
            ? {
                name: node.outputs[0],
                type: a.kind === "float" ? "float32" : "int64",
                dims: [],
                values: Float64Array.of(a.value),
              }
            : a?.kind === "floats" || a?.kind === "ints"
              ? {
                  name: node.outputs[0],
                  type: a.kind === "floats" ? "float32" : "int64",
                  dims: [a.value.length],
                  values: Float64Array.from(a.value),
                }
              : undefined;
      if (!tensor) return c.fail("no value: expected a tensor, a float, or integers");
      c.constants.set(node.outputs[0], { ...tensor, name: node.outputs[0] });
      return "a constant";
    }
    case "Shape":
    case "Gather":
    case "Concat":
    case "Unsqueeze":
    case "Squeeze":
    case "Cast":
      c.constants.set(node.outputs[0], { ...shapeArithmetic(c), name: node.outputs[0] });
      return "a constant, evaluated at import";
    case "Identity":
    case "Dropout": {
      if (node.op === "Dropout") {
        // opset 12 and later: ratio and training_mode are inputs; a training mode must be a constant false
        if (opset >= 12 && node.inputs[2]) {
          const t = c.constant(2);
          if (t && t.values[0] !== 0) c.fail("training_mode true: expected inference (false)");
        }
        if (opset < 7 && c.int("is_test", 0) === 0 && node.attributes.has("is_test"))
          c.fail("is_test 0: expected inference (is_test 1)");
      }
      if (c.isConstant(0)) {
        c.constants.set(node.outputs[0], c.constant(0)!);
        return "a constant";
      }
      c.write(c.value(0));
      return "no op: the same values";
    }
    case "Conv":
      return conv(c);
    case "BatchNormalization":
      return batchNorm(c);
    case "Gemm":
    case "MatMul":
      return dense(c);
    case "Add":
    case "Sub":
    case "Mul":
    case "Div":
      return arithmetic(c);
    case "Relu":
      return activation(c, "relu");
    case "Sigmoid":
      return activation(c, "sigmoid");
    case "Tanh":
      return activation(c, "tanh");
    case "LeakyRelu": {
      c.only("alpha");
      const alpha = c.float("alpha", 0.01);
      if (!(alpha >= 0 && alpha < 1)) c.fail(`alpha ${alpha}: expected a number in [0, 1)`);
      const v = c.value(0);
      return c.write({ ...v, layer: c.add("LeakyReLU", { negative_slope: alpha }, [v.layer]) });
    }
    case "Clip":
      return clip(c);
    case "HardSigmoid": {
      c.only("alpha", "beta");
      return clamp(c, c.float("alpha", 0.2), c.float("beta", 0.5), 0, 1);
    }
    case "Softmax":
      return softmax(c);
    case "MaxPool":
    case "AveragePool":
      return pool(c);
    case "GlobalAveragePool":
    case "GlobalMaxPool": {
      c.only();
      const v = c.value(0);
      const rank = v.dims.length - 1;
      if (rank !== 1 && rank !== 2) c.fail(`input of shape [${v.dims}]: expected [C, L] or [C, H, W]`);
      const kind = node.op === "GlobalAveragePool" ? "Average" : "Max";
      const layer = c.add(`Global${kind}Pooling${rank}D`, {}, [c.spatial(v, rank + 1)]);
      const dims = [v.dims[0], ...Array(rank).fill(1)];
      return c.write({ layer, dims, channelsLast: true, shape: [v.dims[0]], nonNegative: v.nonNegative });
    }
    case "Flatten": {
      c.only("axis");
      if (c.int("axis", 1) !== 1) c.fail(`axis ${c.int("axis", 1)}: expected 1 (keep the batch apart)`);
      return flatten(c, c.value(0));
    }
    case "Reshape":
      return reshape(c);
    case "Transpose":
      return transpose(c);
    case "Pad":
      return pad(c);
    default:
      return c.fail("an operator nn2c does not import");
  }
}

/**
 * Softmax: nn2c's normalises over a whole vector, so the axis must cover the sample: [N, features], or,
 * before opset 13 where the axis splits the tensor in two and normalises over everything from it, axis 1
 * of any rank, or one axis that holds all the sample's values. A Flatten before and a Reshape after
 * keep the shape; normalising over every value gives the same in any order.
 */
function softmax(c: NodeContext): string | undefined {
  c.only("axis");
  const v = c.value(0);
  const rank = v.dims.length + 1;
  const given = c.int("axis", c.opset >= 13 ? -1 : 1);
  const axis = given < 0 ? given + rank : given;
  const covered = c.opset >= 13 ? (v.dims[axis - 1] ?? 0) : size(v.dims.slice(axis - 1));
  if (axis < 1 || covered !== size(v.dims))
    return c.fail(
      `axis ${given} of a tensor of shape [N, ${v.dims}]: expected an axis over the whole sample (nn2c's softmax normalises a vector)`,
    );
  const out = { ...v, nonNegative: true };
  if (v.shape.length === 1) {
    c.write({ ...out, layer: c.add("Activation", { activation: "softmax" }, [v.layer]) });
    return undefined;
  }
  const flat = c.add("Flatten", {}, [v.layer]);
  const soft = c.add("Activation", { activation: "softmax" }, [flat]);
  c.write({ ...out, layer: c.add("Reshape", { target_shape: v.shape }, [soft]) });
  return "over the whole sample: a Flatten before and a Reshape after";
}

function activation(c: NodeContext, name: string): string | undefined {
  c.only();
  const v = c.value(0);
  return c.write({
    ...v,
    nonNegative: ["relu", "relu6", "sigmoid"].includes(name) || v.nonNegative,
    layer: c.add("Activation", { activation: name }, [v.layer]),
  });
}

/** Padding of a window: Keras' "same" or "valid" where ONNX's pads are those, else explicit pads. */
function windowPads(
  c: NodeContext,
  spatial: number[],
  kernel: number[],
  strides: number[],
  dilations: number[],
): { same: boolean; pads: number[] } {
  const rank = spatial.length;
  const autoPad = c.string("auto_pad", "NOTSET");
  const same = spatial.map((n, k) => {
    const out = Math.ceil(n / strides[k]);
    const total = Math.max((out - 1) * strides[k] + (kernel[k] - 1) * dilations[k] + 1 - n, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  });
  let pads: number[];
  if (autoPad === "NOTSET") pads = c.ints("pads", Array(2 * rank).fill(0));
  else if (autoPad === "VALID") pads = Array(2 * rank).fill(0);
  else if (autoPad === "SAME_UPPER") pads = [...same.map((p) => p[0]), ...same.map((p) => p[1])];
  else if (autoPad === "SAME_LOWER") pads = [...same.map((p) => p[1]), ...same.map((p) => p[0])];
  else return c.fail(`auto_pad ${autoPad}: expected NOTSET, VALID, SAME_UPPER or SAME_LOWER`);
  if (pads.length !== 2 * rank || pads.some((p) => !Number.isInteger(p) || p < 0))
    c.fail(`pads [${pads}]: expected ${2 * rank} sizes of 0 or more`);
  const isSame = same.every((p, k) => p[0] === pads[k] && p[1] === pads[k + rank]);
  return { same: isSame && pads.some((p) => p > 0), pads };
}

/** Explicit pads as a ZeroPadding layer before `from` (none if all are 0). */
function zeroPadding(c: NodeContext, from: string, pads: number[]): string {
  if (pads.every((p) => p === 0)) return from;
  const rank = pads.length / 2;
  return rank === 1
    ? c.add("ZeroPadding1D", { padding: [pads[0], pads[1]] }, [from])
    : c.add(
        "ZeroPadding2D",
        {
          padding: [
            [pads[0], pads[2]],
            [pads[1], pads[3]],
          ],
        },
        [from],
      );
}

/** The output size of a window over `n` (padded by `before + after`). */
const windowOut = (n: number, k: number, s: number, d: number, total: number, ceil = false) =>
  (ceil ? Math.ceil : Math.floor)((n + total - ((k - 1) * d + 1)) / s) + 1;

function conv(c: NodeContext): string | undefined {
  c.only("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides");
  const v = c.value(0);
  const w = c.constant(1);
  if (!w) return c.fail("weights left out: expected a constant");
  const rank = w.dims.length - 2;
  if (rank !== 1 && rank !== 2) c.fail(`weights of shape [${w.dims}]: expected a 1-D or 2-D convolution`);
  const [F, Cg, ...kernel] = w.dims;
  const from = c.spatial(v, rank + 1);
  const [C, ...spatial] = v.dims;
  const group = c.int("group", 1);
  const kernelShape = c.ints("kernel_shape", kernel);
  if (kernelShape.join(",") !== kernel.join(","))
    c.fail(
      `kernel_shape [${kernelShape}] with weights of shape [${w.dims}]: expected the weights' [${kernel}]`,
    );
  const strides = c.ints("strides", Array(rank).fill(1));
  const dilations = c.ints("dilations", Array(rank).fill(1));
  const depthwise = group > 1 && group === C && Cg === 1 && F % C === 0;
  const grouped = group > 1 && !depthwise && Cg * group === C && F % group === 0;
  if (!depthwise && !grouped && (group !== 1 || Cg !== C))
    c.fail(
      `group ${group} with ${C} input channels and weights of shape [${w.dims}]: expected ${C / group} input channels per group`,
    );
  const taps = size(kernel);
  let values = c.finite(w, "weights");
  if (grouped) {
    // a convolution of several groups as one whose weights are 0 between groups (group times the MACs)
    const full = new Float32Array(F * C * taps);
    const perGroup = F / group;
    for (let f = 0; f < F; f++) {
      const first = Math.floor(f / perGroup) * Cg;
      for (let ch = 0; ch < Cg; ch++)
        for (let t = 0; t < taps; t++)
          full[(f * C + first + ch) * taps + t] = values[(f * Cg + ch) * taps + t];
    }
    values = full;
  }
  const bias = c.node.inputs[2] ? c.floats(2, "bias", F) : undefined;
  const { same, pads } = windowPads(c, spatial, kernel, strides, dilations);
  const padded = same ? from : zeroPadding(c, from, pads);
  const out = spatial.map((n, k) =>
    windowOut(n, kernel[k], strides[k], dilations[k], pads[k] + pads[k + rank]),
  );
  if (out.some((n) => n < 1))
    c.fail(`an output of size [${out}]: expected a kernel that fits the padded input`);
  const common = {
    kernel_size: rank === 1 ? [kernel[0], 1] : kernel,
    strides: rank === 1 ? [strides[0], 1] : strides,
    dilation_rate: rank === 1 ? [dilations[0], 1] : dilations,
    padding: same ? "same" : "valid",
    use_bias: bias !== undefined,
  };
  const bw: Record<string, Float32Array> = bias ? { bias } : {};
  let layer: string;
  if (depthwise) {
    // ONNX's [C·M, 1, k...] is Keras' [k..., C, M] with the taps outermost
    const M = F / C;
    const kw = new Float32Array(values.length);
    for (let o = 0; o < F; o++) for (let t = 0; t < taps; t++) kw[t * F + o] = values[o * taps + t];
    // 1-D: a DepthwiseConv2D over [L, 1, C]
    const L = same ? spatial[0] : spatial[0] + pads[0] + pads[1];
    const x = rank === 1 ? c.add("Reshape", { target_shape: [L, 1, C] }, [padded]) : padded;
    layer = c.add("DepthwiseConv2D", { ...common, depth_multiplier: M }, [x], { kernel: kw, ...bw });
    if (rank === 1) layer = c.add("Reshape", { target_shape: [out[0], F] }, [layer]);
  } else {
    // ONNX's [F, C, k...] is Keras' [k..., C, F]
    const kw = new Float32Array(values.length);
    for (let f = 0; f < F; f++)
      for (let ch = 0; ch < C; ch++)
        for (let t = 0; t < taps; t++) kw[(t * C + ch) * F + f] = values[(f * C + ch) * taps + t];
    const keras =
      rank === 1
        ? { ...common, kernel_size: kernel, strides, dilation_rate: dilations, filters: F }
        : { ...common, filters: F };
    layer = c.add(rank === 1 ? "Conv1D" : "Conv2D", keras, [padded], { kernel: kw, ...bw });
  }
  const dims = [F, ...out];
  c.write({ layer, dims, channelsLast: true, shape: heldShape(dims, true) });
  return grouped ? `${group} groups as one convolution, zero weights between them` : undefined;
}

function batchNorm(c: NodeContext): string | undefined {
  c.only("epsilon", "momentum", "training_mode", "spatial", "is_test", "consumed_inputs");
  if (c.int("training_mode", 0) !== 0) c.fail("training_mode 1: expected inference (0)");
  if (c.int("spatial", 1) !== 1) c.fail("spatial 0: expected statistics per channel (spatial 1)");
  const v = c.value(0);
  const C = v.dims[0];
  const eps = c.float("epsilon", 1e-5);
  if (!(eps > 0 && eps <= 1)) c.fail(`epsilon ${eps}: expected a number in (0, 1]`);
  const w = {
    gamma: c.floats(1, "scale", C),
    beta: c.floats(2, "bias", C),
    movingMean: c.floats(3, "mean", C),
    movingVariance: c.floats(4, "variance", C),
  };
  const bad = w.movingVariance.findIndex((x) => x < 0);
  if (bad >= 0) c.fail(`variance[${bad}] is ${w.movingVariance[bad]}: expected 0 or more`);
  const from = v.dims.length >= 2 ? c.spatial(v, v.dims.length) : v.layer;
  const layer = c.add("BatchNormalization", { epsilon: eps, center: true, scale: true }, [from], w);
  const cl = v.dims.length >= 2;
  return c.write({ layer, dims: v.dims, channelsLast: cl, shape: heldShape(v.dims, cl) });
}

/** Gemm and MatMul with constant weights: Dense (the flattening's order absorbed by the columns). */
function dense(c: NodeContext): string | undefined {
  const gemm = c.node.op === "Gemm";
  if (gemm) c.only("alpha", "beta", "transA", "transB", "broadcast");
  else c.only();
  const v = c.value(0);
  if (v.dims.length !== 1)
    c.fail(`input of shape [N, ${v.dims}]: expected [N, features] (a Flatten before it)`);
  if (gemm && c.int("transA", 0) !== 0) c.fail("transA 1: expected the input untransposed");
  const b = c.constant(1);
  if (!b) return c.fail("weights left out: expected a constant");
  if (b.dims.length !== 2) c.fail(`weights of shape [${b.dims}]: expected a matrix`);
  const transB = gemm && c.int("transB", 0) === 1;
  const [K, M] = transB ? [b.dims[1], b.dims[0]] : b.dims;
  const I = v.dims[0];
  if (K !== I) c.fail(`weights of shape [${b.dims}] for ${I} inputs: expected ${I} rows`);
  const alpha = gemm ? c.float("alpha", 1) : 1;
  const beta = gemm ? c.float("beta", 1) : 1;
  const values = c.finite(b, "weights");
  const kernel = new Float32Array(M * K);
  for (let u = 0; u < M; u++)
    for (let i = 0; i < K; i++) {
      // nn2c's input i is ONNX's order[i]
      const src = v.order ? v.order[i] : i;
      kernel[u * K + i] = alpha * (transB ? values[u * K + src] : values[src * M + u]);
    }
  let bias: Float32Array | undefined;
  if (gemm && c.node.inputs[2]) {
    const t = c.constant(2);
    if (t && t.values.length !== 1 && t.values.length !== M)
      c.fail(`C of shape [${t.dims}]: expected ${M} values (one per output) or one`);
    if (t) bias = Float32Array.from(c.finite(t, "C", M), (x) => beta * x);
  }
  const layer = c.add(
    "Dense",
    { units: M, use_bias: bias !== undefined },
    [c.as(v, [I])],
    bias ? { kernel, bias } : { kernel },
  );
  return c.write({ layer, dims: [M], channelsLast: false, shape: [M] });
}

/**
 * Add, Sub, Mul and Div. Of two computed tensors of one shape, Add is nn2c's Add; with a constant (a
 * scalar or one value per channel) each folds into the Dense or convolution before it when nothing else
 * reads that layer, and is otherwise a scale and a shift per channel (a BatchNormalization of mean 0 and
 * variance 1).
 */
function arithmetic(c: NodeContext): string | undefined {
  c.only("broadcast", "axis");
  const op = c.node.op;
  const [a, b] = [0, 1].map((k) => c.isConstant(k));
  if (!a && !b) {
    if (op !== "Add")
      c.fail(
        `${op} of two computed tensors: expected one of them constant (nn2c adds tensors, and scales by constants)`,
      );
    const [x, y] = [c.value(0), c.value(1)];
    if (x.dims.join(",") !== y.dims.join(","))
      c.fail(`inputs of shapes [${x.dims}] and [${y.dims}]: expected one shape (no broadcasting)`);
    if (x.order || y.order || (x.channelsLast !== y.channelsLast && !(sameOrder(x) && sameOrder(y))))
      c.fail("inputs held in different orders: expected two tensors of one layout");
    const layer = c.add("Add", {}, [x.layer, c.as(y, x.shape)]);
    return c.write({ ...x, layer, nonNegative: x.nonNegative && y.nonNegative });
  }
  if (a && b) return c.fail("two constant inputs: expected a tensor computed from the model's input");
  const k = a ? 1 : 0;
  const v = c.value(k);
  const t = c.constant(1 - k)!;
  if ((op === "Sub" || op === "Div") && a)
    c.fail(`a constant ${op === "Sub" ? "minus" : "over"} a tensor: expected the tensor first`);
  const C = v.dims[0];
  const rank = v.dims.length + 1;
  // a scalar, or one value per channel broadcast over the rest: [C], [C, 1, ...], [1, C, 1, ...]
  // (before opset 7, with broadcast 1, the constant's dimensions line up from `axis`, by default the last)
  const legacy = c.opset < 7 && c.int("broadcast", 0) === 1;
  const start = legacy ? c.int("axis", rank - t.dims.length) : rank - t.dims.length;
  const dims = t.dims.slice(Math.max(0, 1 - start));
  const perChannel =
    t.values.length === 1 ||
    (Math.max(start, 1) === 1 &&
      dims[0] === C &&
      dims.slice(1).every((d) => d === 1) &&
      (legacy || dims.length === v.dims.length));
  if (!perChannel)
    c.fail(
      `a constant of shape [${t.dims}] with a tensor of shape [N, ${v.dims}]: expected a scalar or one value per channel`,
    );
  const values = c.finite(t, "constant", C);
  const scale = new Float32Array(C).fill(1);
  const shift = new Float32Array(C);
  for (let ch = 0; ch < C; ch++) {
    if (op === "Add") shift[ch] = values[ch];
    else if (op === "Sub") shift[ch] = -values[ch];
    else if (op === "Mul") scale[ch] = values[ch];
    else scale[ch] = 1 / values[ch];
  }
  if (op === "Div" && values.some((x) => x === 0)) c.fail("a division by 0: expected nonzero divisors");
  return affine(c, v, k, scale, shift);
}

/** y = scale·x + shift per channel: folded into the layer before, or a BatchNormalization. */
function affine(
  c: NodeContext,
  v: Value,
  k: number,
  scale: Float32Array,
  shift: Float32Array,
): string | undefined {
  const target = c.foldTarget(v);
  if (target) {
    const w = c.weights.get(target.name)!;
    const C = scale.length;
    w.kernel = Float32Array.from(w.kernel, (x, j) =>
      // Dense: [units][inputs]; convolutions: the output channel innermost
      Math.fround(x * scale[target.class_name === "Dense" ? Math.floor(j / (w.kernel.length / C)) : j % C]),
    );
    const bias = w.bias ?? new Float32Array(C);
    w.bias = Float32Array.from(bias, (x, ch) => Math.fround(x * scale[ch] + shift[ch]));
    target.config.use_bias = true;
    // the node's output is the layer's now; the tensor it read has no reader left
    c.values.set(c.node.outputs[0], v);
    c.readers.set(c.node.inputs[k], 0);
    return `folded into ${target.name}`;
  }
  const cl = v.dims.length >= 2;
  const from = cl ? c.spatial(v, v.dims.length) : v.layer;
  return c.write({
    ...v,
    nonNegative: false,
    channelsLast: cl,
    shape: heldShape(v.dims, cl),
    layer: scaleShift(c, from, scale, shift),
  });
}

/**
 * A BatchNormalization computing scale·x + shift: mean 0, and a variance that with epsilon makes 1
 * exactly (1 − 2⁻¹⁰ + 2⁻¹⁰ in float32 and float64).
 */
function scaleShift(c: NodeContext, from: string, scale: Float32Array, shift: Float32Array): string {
  const eps = 2 ** -10;
  return c.add("BatchNormalization", { epsilon: eps, center: true, scale: true }, [from], {
    gamma: scale,
    beta: shift,
    movingMean: new Float32Array(scale.length),
    movingVariance: new Float32Array(scale.length).fill(1 - eps),
  });
}

function clip(c: NodeContext): string | undefined {
  let lo = Number.NEGATIVE_INFINITY;
  let hi = Number.POSITIVE_INFINITY;
  if (c.opset < 11) {
    c.only("min", "max");
    // opset 6's defaults are float32's lowest and highest: no bound
    lo = c.float("min", lo);
    hi = c.float("max", hi);
    if (lo <= -3.4e38) lo = Number.NEGATIVE_INFINITY;
    if (hi >= 3.4e38) hi = Number.POSITIVE_INFINITY;
  } else {
    c.only();
    const bound = (k: number, name: string, fallback: number) => {
      if (!c.node.inputs[k]) return fallback;
      const t = c.constant(k);
      if (t?.values.length !== 1) return c.fail(`${name} of shape [${t?.dims}]: expected a scalar`);
      return t.values[0];
    };
    lo = bound(1, "min", lo);
    hi = bound(2, "max", hi);
  }
  if (!(lo < hi)) c.fail(`min ${lo} and max ${hi}: expected min below max`);
  if (lo === 0 && hi === Number.POSITIVE_INFINITY) return activation(c, "relu");
  if (Number.isFinite(lo) && Number.isFinite(hi)) return clamp(c, 1, 0, lo, hi);
  const v = c.value(0);
  // no bounds: nothing to do
  if (!Number.isFinite(lo) && !Number.isFinite(hi)) {
    c.write(v);
    return "no op: the same values";
  }
  // one bound: max(x, lo) = lo + relu(x − lo); min(x, hi) = hi − relu(hi − x)
  const cl = v.dims.length >= 2;
  const from = cl ? c.spatial(v, v.dims.length) : v.layer;
  const C = v.dims[0];
  const [sign, bound] = Number.isFinite(lo) ? [1, lo] : [-1, hi];
  const fill = (x: number) => new Float32Array(C).fill(x);
  const shifted = scaleShift(c, from, fill(sign), fill(-sign * bound));
  const relu = c.add("Activation", { activation: "relu" }, [shifted]);
  const layer = scaleShift(c, relu, fill(sign), fill(bound));
  return c.write({
    ...v,
    nonNegative: sign > 0 && bound >= 0,
    channelsLast: cl,
    shape: heldShape(v.dims, cl),
    layer,
  });
}

/**
 * min(max(alpha·x + beta, lo), hi) as relu6 between two scale-and-shift layers: relu6 clamps to [0, 6], so
 * x is mapped to 6·(alpha·x + beta − lo)/(hi − lo) first and back after. Clip(0, 6) is relu6 alone.
 */
function clamp(c: NodeContext, alpha: number, beta: number, lo: number, hi: number): string | undefined {
  const v = c.value(0);
  const cl = v.dims.length >= 2;
  let from = cl ? c.spatial(v, v.dims.length) : v.layer;
  const C = v.dims[0];
  const k = 6 / (hi - lo);
  const identity = alpha === 1 && beta === 0 && lo === 0 && hi === 6;
  if (!identity)
    from = scaleShift(
      c,
      from,
      new Float32Array(C).fill(alpha * k),
      new Float32Array(C).fill((beta - lo) * k),
    );
  let layer = c.add("Activation", { activation: "relu6" }, [from]);
  if (!identity) layer = scaleShift(c, layer, new Float32Array(C).fill(1 / k), new Float32Array(C).fill(lo));
  return c.write({ ...v, nonNegative: lo >= 0, channelsLast: cl, shape: heldShape(v.dims, cl), layer });
}

function pool(c: NodeContext): string | undefined {
  const max = c.node.op === "MaxPool";
  c.only(
    "auto_pad",
    "ceil_mode",
    "count_include_pad",
    "dilations",
    "kernel_shape",
    "pads",
    "strides",
    "storage_order",
  );
  const v = c.value(0);
  if (max && c.node.outputs[1] && c.readers.has(c.node.outputs[1]))
    c.fail("indices are read: expected the values only");
  const kernel = c.ints("kernel_shape", []);
  const rank = kernel.length;
  if (rank !== 1 && rank !== 2) c.fail(`kernel_shape [${kernel}]: expected 1 or 2 sizes`);
  const from = c.spatial(v, rank + 1);
  const [C, ...spatial] = v.dims;
  const strides = c.ints("strides", Array(rank).fill(1));
  const dilations = c.ints("dilations", Array(rank).fill(1));
  if (dilations.some((d) => d !== 1)) c.fail(`dilations [${dilations}]: expected 1`);
  const { same, pads } = windowPads(c, spatial, kernel, strides, dilations);
  const total = (k: number) => pads[k] + pads[k + rank];
  const floorOut = spatial.map((n, k) => windowOut(n, kernel[k], strides[k], 1, total(k)));
  const ceil = c.int("ceil_mode", 0) === 1;
  const out = ceil ? spatial.map((n, k) => windowOut(n, kernel[k], strides[k], 1, total(k), true)) : floorOut;
  // ceil_mode's extra window: more padding at the end, if it starts inside the input
  const ends = pads.slice(rank).map((p, k) => p + (out[k] - floorOut[k]) * strides[k]);
  if (out.some((o, k) => o !== floorOut[k] && (o - 1) * strides[k] >= spatial[k] + pads[k]))
    c.fail("ceil_mode 1 with a last window that starts in the padding: expected windows over the input");
  const countPads = !max && c.int("count_include_pad", 0) === 1;
  const explicit = (!same && pads.some((p) => p > 0)) || ceil || (same && countPads);
  let padded = from;
  let padding = same && !explicit ? "same" : "valid";
  let note: string | undefined;
  if (explicit && [...pads.slice(0, rank), ...ends].some((p) => p > 0)) {
    if (max && !v.nonNegative)
      c.fail(
        `pads [${pads}]${ceil ? " with ceil_mode 1" : ""} on a tensor that may be negative: expected none, Keras' "same", or a non-negative input (after a Relu), where zeros pad a maximum exactly`,
      );
    if (!max && (!countPads || out.some((o, k) => o !== floorOut[k])))
      c.fail(
        `pads [${pads}]${ceil ? " with ceil_mode 1" : ""}: expected none or Keras' "same" for an average that leaves padding out (count_include_pad 0), and no ceil_mode window`,
      );
    padded = zeroPadding(c, from, [...pads.slice(0, rank), ...ends]);
    padding = "valid";
    if (max) note = "zero padding: exact, the input is not negative";
  }
  const kind = `${max ? "Max" : "Average"}Pooling${rank}D`;
  const config =
    rank === 1
      ? { pool_size: kernel[0], strides: strides[0], padding }
      : { pool_size: kernel, strides, padding };
  const layer = c.add(kind, config, [padded]);
  const dims = [C, ...out];
  c.write({ layer, dims, channelsLast: true, shape: heldShape(dims, true), nonNegative: v.nonNegative });
  return note;
}

function flatten(c: NodeContext, v: Value): string | undefined {
  const n = size(v.dims);
  const order = v.order ?? (sameOrder(v) ? undefined : channelsLastOrder(v.dims));
  const layer = v.shape.length === 1 ? v.layer : c.add("Flatten", {}, [v.layer]);
  return c.write({
    layer,
    dims: [n],
    channelsLast: false,
    shape: [n],
    nonNegative: v.nonNegative,
    ...(order ? { order } : {}),
  });
}

function reshape(c: NodeContext): string | undefined {
  c.only("allowzero");
  const v = c.value(0);
  const t = c.constant(1);
  if (!t) return c.fail("shape left out: expected a constant");
  const given = Array.from(t.values);
  const full = [1, ...v.dims];
  const allowZero = c.int("allowzero", 0) === 1;
  const target = given.map((d, k) => (d === 0 && !allowZero ? full[k] : d));
  const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const inferred = target.map((d) => (d === -1 ? size(full) / known : d));
  if (
    target.filter((d) => d === -1).length > 1 ||
    !inferred.every((d) => Number.isInteger(d) && d >= 0) ||
    size(inferred) !== size(full)
  )
    c.fail(`shape [${given}] for a tensor of shape [${full}]: expected a shape of as many values`);
  if (inferred[0] !== 1) c.fail(`shape [${given}]: expected the batch dimension kept first`);
  const dims = inferred.slice(1);
  if (dims.join(",") === v.dims.join(",")) {
    c.write(v);
    return "no op: the same values";
  }
  if (dims.length === 1) return flatten(c, v);
  // to a channels-first shape from a tensor in ONNX's order: the channels-last form is the same order
  // only for one channel or one position
  const out: Value = { layer: v.layer, dims, channelsLast: true, shape: heldShape(dims, true) };
  if (!sameOrder(v) || !sameOrder(out))
    c.fail(
      `shape [${given}] from a tensor of shape [${full}]: expected a flattening, or a reshape that moves no value between channels-first and channels-last`,
    );
  return c.write({ ...out, nonNegative: v.nonNegative, layer: c.as(v, out.shape) });
}

/** The ONNX integer type codes Cast may convert constants to (others stay refused). */
const CAST_TYPES: Record<number, string> = { 1: "float32", 6: "int32", 7: "int64", 11: "float64" };

/** Shape, Gather, Concat, Unsqueeze, Squeeze and Cast, on constants (Shape: on a computed tensor's shape). */
function shapeArithmetic(c: NodeContext): OnnxTensor {
  const op = c.node.op;
  const constant = (k: number): OnnxTensor =>
    c.isConstant(k)
      ? c.constant(k)!
      : c.fail(
          `input ${k} '${c.node.inputs[k]}' is computed: nn2c evaluates ${op} at import, on constants only`,
        );
  const tensor = (dims: number[], values: ArrayLike<number>, type = "int64"): OnnxTensor => ({
    name: "",
    type,
    dims,
    values: Float64Array.from(values),
  });
  const axesOf = (rank: number): number[] => {
    const given = c.opset >= 13 && c.node.inputs[1] ? Array.from(constant(1).values) : c.ints("axes", []);
    return given.map((a) => (a < 0 ? a + rank : a));
  };
  switch (op) {
    case "Shape": {
      c.only("start", "end");
      // the batch dimension is 1: the C reads one sample
      const dims = c.isConstant(0) ? c.constant(0)!.dims : [1, ...c.value(0).dims];
      const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + dims.length : i, 0), dims.length);
      const part = dims.slice(clamp(c.int("start", 0)), clamp(c.int("end", dims.length)));
      return tensor([part.length], part);
    }
    case "Gather": {
      c.only("axis");
      const data = constant(0);
      const indices = constant(1);
      if (data.dims.length !== 1 || c.int("axis", 0) !== 0)
        c.fail(
          `data of shape [${data.dims}] along axis ${c.int("axis", 0)}: expected a vector (shape arithmetic)`,
        );
      const n = data.dims[0];
      const values = Array.from(indices.values, (i) => {
        const j = i < 0 ? i + n : i;
        if (!(Number.isInteger(j) && j >= 0 && j < n))
          c.fail(`index ${i} into ${n} values: expected one inside`);
        return data.values[j];
      });
      return tensor(indices.dims, values, data.type);
    }
    case "Concat": {
      c.only("axis");
      const parts = c.node.inputs.map((_, k) => constant(k));
      if (parts.some((t) => t.dims.length !== 1))
        c.fail(
          `inputs of shapes ${parts.map((t) => `[${t.dims}]`).join(", ")}: expected vectors (shape arithmetic)`,
        );
      const values = parts.flatMap((t) => Array.from(t.values));
      return tensor([values.length], values, parts[0].type);
    }
    case "Unsqueeze":
    case "Squeeze": {
      c.only("axes");
      const t = constant(0);
      if (op === "Unsqueeze") {
        const rank = t.dims.length + axesOf(t.dims.length + 1).length;
        const axes = new Set(axesOf(rank));
        const dims: number[] = [];
        let next = 0;
        for (let k = 0; k < rank; k++) dims.push(axes.has(k) ? 1 : t.dims[next++]);
        return { ...t, dims };
      }
      const axes = axesOf(t.dims.length);
      const dims = t.dims.filter((d, k) => (axes.length > 0 ? !axes.includes(k) : d !== 1));
      return { ...t, dims };
    }
    default: {
      c.only("to", "saturate");
      const t = constant(0);
      const to = CAST_TYPES[c.int("to", 0)];
      if (!to) return c.fail(`to ${c.int("to", 0)}: expected float32, float64, int32 or int64`);
      const values = to.startsWith("int") ? Float64Array.from(t.values, Math.trunc) : t.values;
      return { ...t, type: to, values };
    }
  }
}

/** A constant transposed: its dimensions permuted by `perm`. */
function transposed(t: OnnxTensor, perm: number[], name: string): OnnxTensor {
  const dims = perm.map((p) => t.dims[p]);
  const strides = t.dims.map((_, k) => size(t.dims.slice(k + 1)));
  const values = new Float64Array(t.values.length);
  const index = new Array<number>(dims.length).fill(0);
  for (let i = 0; i < values.length; i++) {
    let src = 0;
    for (let k = 0; k < dims.length; k++) src += index[k] * strides[perm[k]];
    values[i] = t.values[src];
    for (let k = dims.length - 1; k >= 0 && ++index[k] === dims[k]; k--) index[k] = 0;
  }
  return { name, type: t.type, dims, values };
}

function transpose(c: NodeContext): string | undefined {
  c.only("perm");
  if (c.isConstant(0)) {
    const t = c.constant(0)!;
    const perm = c.ints(
      "perm",
      t.dims.map((_, k) => t.dims.length - 1 - k),
    );
    if (perm.length !== t.dims.length || [...perm].sort().some((p, k) => p !== k))
      c.fail(`perm [${perm}] of a constant of shape [${t.dims}]: expected a permutation of its axes`);
    c.constants.set(c.node.outputs[0], transposed(t, perm, c.node.outputs[0]));
    return "a constant, transposed at import";
  }
  const v = c.value(0);
  const rank = v.dims.length + 1;
  const perm = c.ints(
    "perm",
    Array.from({ length: rank }, (_, k) => rank - 1 - k),
  );
  const toLast = [0, ...Array.from({ length: rank - 2 }, (_, k) => k + 2), 1];
  const toFirst = [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, k) => k + 1)];
  const dims = perm.slice(1).map((p) => [1, ...v.dims][p]);
  if (perm.every((p, k) => p === k)) {
    c.write(v);
    return "no op: the same values";
  }
  if (
    v.order === undefined &&
    rank >= 3 &&
    perm.join(",") === toLast.join(",") &&
    (v.channelsLast || sameOrder(v))
  ) {
    c.write({ ...v, dims, channelsLast: false, shape: [...v.shape] });
    return "to channels-last, as nn2c holds it: no op";
  }
  if (v.order === undefined && rank >= 3 && perm.join(",") === toFirst.join(",") && !v.channelsLast) {
    c.write({ ...v, dims, channelsLast: true, shape: [...v.shape] });
    return "to channels-first, held channels-last: no op";
  }
  return c.fail(
    `perm [${perm}] of a tensor of shape [1, ${v.dims}]: expected a conversion between channels-first and channels-last`,
  );
}

function pad(c: NodeContext): string | undefined {
  const v = c.value(0);
  let pads: number[];
  let value = 0;
  let mode = "constant";
  if (c.opset < 11) {
    c.only("mode", "pads", "value", "paddings");
    pads = c.ints("pads", c.ints("paddings", []));
    value = c.float("value", 0);
    mode = c.string("mode", "constant");
  } else {
    c.only("mode");
    mode = c.string("mode", "constant");
    const t = c.constant(1);
    if (!t) return c.fail("pads left out: expected a constant");
    pads = Array.from(t.values);
    if (c.node.inputs[2]) {
      const cv = c.constant(2);
      value = cv?.values[0] ?? 0;
    }
    if (c.node.inputs[3]) c.fail("axes given: expected pads for every axis");
  }
  if (mode !== "constant" || value !== 0)
    c.fail(`mode ${mode} with value ${value}: expected zeros (mode constant, value 0)`);
  const rank = v.dims.length + 1;
  if (pads.length !== 2 * rank || pads.some((p) => p < 0))
    c.fail(`pads [${pads}] for a tensor of rank ${rank}: expected ${2 * rank} sizes of 0 or more`);
  if (pads[0] || pads[1] || pads[rank] || pads[rank + 1])
    c.fail(`pads [${pads}] of the batch or the channels: expected the spatial dimensions only`);
  if (rank !== 3 && rank !== 4) c.fail(`a tensor of rank ${rank}: expected [N, C, L] or [N, C, H, W]`);
  const spatialPads = [...pads.slice(2, rank), ...pads.slice(rank + 2)];
  const from = c.spatial(v, rank - 1);
  const layer = zeroPadding(c, from, spatialPads);
  const dims = v.dims.map((d, k) => (k === 0 ? d : d + pads[k + 1] + pads[k + 1 + rank]));
  return c.write({
    layer,
    dims,
    channelsLast: true,
    shape: heldShape(dims, true),
    nonNegative: v.nonNegative,
  });
}
