/**
 * Loading and saving float model files, turning them into a trainable `Model` and back, and the graph
 * and weights every later stage reads from a model file.
 *
 * Loading checks what the schema cannot: the graph (names, inputs, cycles, every shape), each layer's
 * weights against the shapes its kind gives them (and their values, through the kind), the activations
 * registered, the class names against the outputs. A version-1 file (a chain of dense and activation
 * layers) is read by naming its layers as Keras would.
 */
import { hasActivation } from "../core/activations.js";
import { flattenNested, type Nested, toNested } from "../core/nested.js";
import { sizeOf } from "../core/shape.js";
import { UsageError } from "../errors.js";
import { readJsonFile, stringifyJson, validate, writeFileAtomic } from "../files.js";
import { buildGraph, type LayerGraph, layerPlace } from "../graph/graph.js";
import { type FloatGraph, lowerGraph } from "../graph/lower.js";
import { getOp, type LayerTensors } from "../ops/registry.js";
import { clip } from "../values.js";
import { Layer } from "./layers.js";
import { Model } from "./model.js";
import {
  type LayerRecord,
  MODEL_FORMAT,
  MODEL_VERSION,
  type ModelFile,
  type ModelFileV1,
  modelSchema,
  modelSchemaV1,
} from "./schema.js";

/** Loads and validates a float model file; the error names the file and the place of the problem. */
export function loadModel(file: string): ModelFile {
  const data = readJsonFile(file, "model file");
  return parseModel(data, file);
}

export function parseModel(data: unknown, file = "<model>"): ModelFile {
  const head = (data ?? {}) as { format?: unknown; version?: unknown };
  if (head.format !== MODEL_FORMAT) {
    const got = head.format === undefined ? "no format field" : `format '${clip(String(head.format), 40)}'`;
    throw new UsageError(`${file}: not an nn2c float model (${got}, expected '${MODEL_FORMAT}')`);
  }
  let model: ModelFile;
  if (head.version === 1) model = upgradeV1(validate(modelSchemaV1, data, file));
  else if (head.version === MODEL_VERSION) model = validate(modelSchema(), data, file) as ModelFile;
  else {
    throw new UsageError(
      `${file}: model file version ${clip(String(head.version), 20)} is not supported (this nn2c reads versions 1 and ${MODEL_VERSION})`,
    );
  }
  analyse(model, file);
  return model;
}

/** What the stages after training read from a model file: its graph, and each layer's weights and state. */
export interface ModelGraph {
  graph: LayerGraph;
  /** float32, as training and the float path compute */
  tensors: Map<string, LayerTensors>;
  /** the values as the file gives them, which the lowering and the quantizer read */
  exact: Map<string, Record<string, Float64Array>>;
}

const analysed = new WeakMap<ModelFile, ModelGraph>();
const lowered = new WeakMap<ModelFile, FloatGraph>();

/** The graph and weights of a model file (checked once, then cached). */
export function modelGraph(model: ModelFile, file = "the model"): ModelGraph {
  return analysed.get(model) ?? analyse(model, file);
}

/** The model's ops after the lowering pass (cached): what every stage after training runs. */
export function lowerModel(model: ModelFile, file = "the model"): FloatGraph {
  let g = lowered.get(model);
  if (!g) {
    const { graph, exact } = modelGraph(model, file);
    g = lowerGraph(graph, (layer) => exact.get(layer) ?? {}, file);
    lowered.set(model, g);
  }
  return g;
}

/** The input tensor's shape: the file's, or one dimension of the feature count. */
export function inputShape(model: Pick<ModelFile, "inputs">): number[] {
  return model.inputs.shape ?? [model.inputs.names.length];
}

function analyse(model: ModelFile, file: string): ModelGraph {
  const n = model.inputs.names.length;
  if (model.inputs.mean.length !== n || model.inputs.std.length !== n)
    throw new UsageError(`${file}: inputs: mean and std need ${n} values, one per input`);
  const shape = inputShape(model);
  if (sizeOf(shape) !== n)
    throw new UsageError(
      `${file}: inputs.shape ${JSON.stringify(shape)} holds ${sizeOf(shape)} values: expected ${n}, one per input name`,
    );
  const graph = buildGraph({ name: "input", shape }, model.layers, model.outputs[0], file);
  const tensors = new Map<string, LayerTensors>();
  const exact = new Map<string, Record<string, Float64Array>>();
  model.layers.forEach((layer, k) => {
    const where = layerPlace(file, layer, k);
    const kind = getOp(layer.kind);
    const activation = (layer.config as { activation?: unknown }).activation;
    if (typeof activation === "string" && !hasActivation(activation)) {
      throw new UsageError(
        `${where}: config.activation: unknown activation '${activation}' (register it with registerActivation before loading)`,
      );
    }
    const inShapes = layer.inputs.map((i) => graph.shapes.get(i)!);
    const specs = kind.layer.weights(layer.config, inShapes);
    const given = layer.weights ?? {};
    for (const name of Object.keys(given)) {
      if (!specs.some((s) => s.name === name))
        throw new UsageError(
          `${where}: weights.${clip(name, 40)}: not a weight of ${layer.kind} (expected ${specs.map((s) => s.name).join(", ") || "none"})`,
        );
    }
    const t: LayerTensors = {};
    const e: Record<string, Float64Array> = {};
    for (const spec of specs) {
      if (given[spec.name] === undefined)
        throw new UsageError(
          `${where}: weights.${spec.name}: missing (expected ${JSON.stringify(spec.shape)})`,
        );
      const flat = flattenNested(given[spec.name], spec.shape, `weights.${spec.name}`);
      if (typeof flat === "string") throw new UsageError(`${where}: ${flat}`);
      e[spec.name] = flat;
      t[spec.name] = Float32Array.from(flat);
    }
    const problem = kind.layer.check?.(layer.config, t);
    if (problem) throw new UsageError(`${where}: ${problem}`);
    tensors.set(layer.name, t);
    exact.set(layer.name, e);
  });
  const outputs = sizeOf(graph.shapes.get(graph.output)!);
  if (model.task === "classification") {
    const classes = model.output.classes?.length ?? 0;
    const expected = outputs === 1 ? 2 : outputs;
    if (classes !== expected)
      throw new UsageError(
        `${file}: output.classes: expected ${expected} class names for ${outputs} outputs`,
      );
  }
  const result = { graph, tensors, exact };
  analysed.set(model, result);
  return result;
}

/** Version 1 → 2: the chain's layers named as Keras names them (dense, dense_1, activation, ...). */
function upgradeV1(v1: ModelFileV1): ModelFile {
  const counts = new Map<string, number>();
  let previous = "input";
  const layers: LayerRecord[] = v1.layers.map((l) => {
    const k = counts.get(l.kind) ?? 0;
    counts.set(l.kind, k + 1);
    const name = k === 0 ? l.kind : `${l.kind}_${k}`;
    const alpha = l.alpha === undefined ? {} : { alpha: l.alpha };
    const record: LayerRecord =
      l.kind === "dense"
        ? {
            name,
            kind: "dense",
            inputs: [previous],
            config: { units: l.units, activation: l.activation, ...alpha, ...(l.l2 ? { l2: l.l2 } : {}) },
            weights: { kernel: l.weights, bias: l.bias },
          }
        : { name, kind: "activation", inputs: [previous], config: { activation: l.activation, ...alpha } };
    previous = name;
    return record;
  });
  return { ...v1, version: MODEL_VERSION, layers, outputs: [previous] };
}

export function saveModel(file: string, model: ModelFile): void {
  writeFileAtomic(file, serializeModel(model));
}

export function serializeModel(model: ModelFile): string {
  return stringifyJson(model);
}

/** A float32 value printed with 9 significant digits: the shortest text that always reads back the same float. */
export function f32(v: number): number {
  return Number(Math.fround(v).toPrecision(9));
}

/** A trainable model holding the model file's graph and weights. */
export function toModel(model: ModelFile): Model {
  const { graph, tensors } = modelGraph(model);
  const m = new FileModel(graph).build();
  for (const node of graph.nodes) {
    const own = m.layerTensors(node.name);
    for (const [name, values] of Object.entries(tensors.get(node.name)!)) own[name].set(values);
  }
  return m;
}

/** A Model over a checked graph. */
class FileModel extends Model {
  constructor(graph: LayerGraph) {
    super();
    const layers = graph.nodes.map((node) => new Layer(node.kind, node.config, node.name));
    this.setDefinition({ input: graph.input, nodes: graph.nodes, output: graph.output }, layers);
  }
}

/** The layers of a built model as model-file records, weights in float32 precision. */
export function layerRecords(model: Model): LayerRecord[] {
  const def = model.definitionOf;
  const shapes = new Map<string, number[]>([[def.input.name, [...def.input.shape]]]);
  return def.nodes.map((node) => {
    const kind = getOp(node.kind);
    const inShapes = node.inputs.map((i) => shapes.get(i)!);
    shapes.set(node.name, [...kind.layer.outputShape(node.config, inShapes)]);
    const specs = kind.layer.weights(node.config, inShapes);
    const t = model.layerTensors(node.name);
    const record: LayerRecord = {
      name: node.name,
      kind: node.kind,
      inputs: node.inputs.map((i) => (i === def.input.name ? "input" : i)),
      config: node.config as Record<string, unknown>,
    };
    if (specs.length > 0) {
      const weights: Record<string, Nested> = {};
      for (const s of specs) weights[s.name] = toNested(t[s.name], s.shape, f32);
      record.weights = weights;
    }
    return record;
  });
}
