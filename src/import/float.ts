/**
 * A float model from a Keras model config (`model.to_json()`'s form) and weights given layer by layer:
 * the builder every float importer shares (Keras .h5; float TensorFlow Lite files, whose operators are
 * first written as Keras layers). The config goes through the same converters as architecture files
 * (src/model/keras.ts), without what only shapes training; `weightsOf` gives each weight in nn2c's
 * layout (Keras', except Dense's kernel: [units][inputs]).
 *
 * The model's input is taken as it is (mean 0, std 1): the standardisation users do outside the model
 * is theirs to give the data.
 */
import { UsageError } from "../errors.js";
import { layerRecords } from "../model/io.js";
import { type KerasArchitecture, kerasArchitecture } from "../model/keras.js";
import { Input, type SymbolicTensor } from "../model/layers.js";
import { Model } from "../model/model.js";
import { MODEL_FORMAT, MODEL_VERSION, type ModelFile } from "../model/schema.js";
import { Sequential } from "../model/sequential.js";
import { getOp } from "../ops/index.js";
import type { WeightSpec } from "../ops/registry.js";
import { VERSION } from "../version.js";

/**
 * A model config without what only shapes training (initializers, regularizers, constraints): an
 * imported model's weights are given, so a HeNormal initializer or an L1 regularizer changes nothing.
 */
export function trainingFieldsDropped(data: unknown): unknown {
  if (Array.isArray(data)) return data.map(trainingFieldsDropped);
  if (typeof data !== "object" || data === null) return data;
  return Object.fromEntries(
    Object.entries(data)
      .filter(([key]) => !/_(initializer|regularizer|constraint)$/.test(key))
      .map(([key, value]) => [key, trainingFieldsDropped(value)]),
  );
}

/** A Keras weight in nn2c's layout: Dense's kernel from [inputs][units] to [units][inputs], others as they are. */
export function fromKerasLayout(kind: string, spec: WeightSpec, values: Float32Array): Float32Array {
  if (kind !== "dense" || spec.name !== "kernel") return values;
  const [units, inputs] = spec.shape;
  const t = new Float32Array(values.length);
  for (let i = 0; i < inputs; i++) for (let u = 0; u < units; u++) t[u * inputs + i] = values[i * units + u];
  return t;
}

/** A layer's weights: each spec's values in nn2c's layout, in the order of its specs. */
export type WeightsOf = (layer: { name: string; kind: string }, specs: WeightSpec[]) => ArrayLike<number>[];

/** A Functional graph's model: its layers applied to the tensors they read, as Keras' functional API. */
function functionalModel(arch: Required<KerasArchitecture>): Model {
  const tensors = new Map<string, SymbolicTensor>([
    [arch.graph.input, Input({ shape: [...arch.inputShape] })],
  ]);
  arch.layers.forEach((layer, k) => {
    const inputs = arch.graph.inputs[k].map((name) => tensors.get(name)!);
    tensors.set(layer.name!, layer.apply(inputs.length === 1 ? inputs[0] : inputs));
  });
  return new Model({
    inputs: tensors.get(arch.graph.input)!,
    outputs: tensors.get(arch.graph.output)!,
  }).build();
}

/** The float model of `config` (`where` names it in messages) with the weights `weightsOf` gives. */
export function floatModel(
  config: unknown,
  where: string,
  weightsOf: WeightsOf,
  source: NonNullable<ModelFile["source"]>,
): ModelFile {
  const arch = kerasArchitecture(trainingFieldsDropped(config), where);
  if (!arch.inputShape) throw new UsageError(`${where}: no input shape: expected an InputLayer with one`);
  const seq = arch.graph
    ? functionalModel(arch as Required<KerasArchitecture>)
    : new Sequential(arch.layers).build(arch.inputShape);
  const graph = seq.definitionOf;
  const shapes = new Map([[graph.input.name, graph.input.shape]]);
  for (const node of graph.nodes) {
    const kind = getOp(node.kind);
    const inShapes = node.inputs.map((i) => shapes.get(i)!);
    shapes.set(node.name, kind.layer.outputShape(node.config, inShapes));
    const specs = kind.layer.weights(node.config, inShapes);
    if (specs.length === 0) continue;
    const tensors = seq.layerTensors(node.name);
    const values = weightsOf({ name: node.name, kind: node.kind }, specs);
    for (const [k, spec] of specs.entries()) {
      const bad = Array.prototype.findIndex.call(values[k], (v: number) => !Number.isFinite(v));
      if (bad >= 0)
        throw new UsageError(
          `${where}: layer '${node.name}' (${node.kind}): ${spec.name}[${bad}] is ${values[k][bad]}: expected finite weights`,
        );
      tensors[spec.name].set(values[k]);
    }
  }
  const inputs = arch.inputShape.reduce((a, b) => a * b, 1);
  const lastNode = graph.nodes[graph.nodes.length - 1];
  const classifier = (lastNode.config as { activation?: string }).activation === "softmax";
  const width = seq.outputShape.reduce((a, b) => a * b, 1);
  return {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    generator: `nn2c ${VERSION}`,
    task: classifier ? "classification" : "regression",
    inputs: {
      names: Array.from({ length: inputs }, (_, i) => `x${i}`),
      mean: Array.from({ length: inputs }, () => 0),
      std: Array.from({ length: inputs }, () => 1),
      ...(arch.inputShape.length > 1 ? { shape: [...arch.inputShape] } : {}),
    },
    output: classifier
      ? { label: "class", classes: Array.from({ length: width }, (_, k) => `class${k}`) }
      : { label: "output" },
    layers: layerRecords(seq),
    outputs: [graph.output],
    source,
  };
}
