/**
 * A Keras 2 `.h5` file (what `model.save("m.h5")` writes) as an nn2c float model: the `model_config`
 * attribute (a Sequential model, or a Functional chain) through the same converters as architecture
 * files (src/model/keras.ts), and each layer's weights from `model_weights/<layer>`, in the order its
 * `weight_names` attribute gives. h5wasm (the HDF5 library compiled to WebAssembly) reads the file.
 *
 * Weights keep Keras' layouts, except Dense's kernel: Keras stores [inputs][units], nn2c [units][inputs].
 * The model's input is taken as it is (mean 0, std 1): the standardisation Keras users do outside the
 * model is theirs to give the data.
 */
import fs from "node:fs";
import h5wasm from "h5wasm/node";
import { UsageError } from "../../errors.js";
import { layerRecords } from "../../model/io.js";
import { kerasArchitecture } from "../../model/keras.js";
import { MODEL_FORMAT, MODEL_VERSION, type ModelFile } from "../../model/schema.js";
import { Sequential } from "../../model/sequential.js";
import { getOp } from "../../ops/index.js";
import { VERSION } from "../../version.js";

type H5File = InstanceType<typeof h5wasm.File>;

/** A float32 array from a dataset of the file, or a refusal naming it. */
function dataset(f: H5File, path: string, file: string): { shape: number[]; values: Float32Array } {
  const d = f.get(path) as { shape?: number[]; value?: unknown } | null;
  if (!d || !Array.isArray(d.shape) || !(ArrayBuffer.isView(d.value) || Array.isArray(d.value)))
    throw new UsageError(`${file}: no weights dataset at '${path}': expected the layer's weights there`);
  return { shape: d.shape, values: Float32Array.from(d.value as ArrayLike<number>) };
}

function attribute(f: H5File | ReturnType<H5File["get"]>, name: string): unknown {
  const attrs = (f as { attrs?: Record<string, { value: unknown }> } | null)?.attrs;
  return attrs?.[name]?.value;
}

/**
 * Runs fn with the HDF5 library's diagnostics (which it prints to stderr, many lines per error) held
 * back: nn2c reports one line of its own.
 */
function quietly<T>(fn: () => T): T {
  // the library writes to file descriptor 2 directly (it reads files through Node's fs)
  const writeSync = fs.writeSync;
  fs.writeSync = ((fd: number, data: { length?: number }, ...rest: unknown[]) =>
    fd === 2
      ? // as if written: the library retries what was not
        typeof rest[1] === "number"
        ? rest[1]
        : (data.length ?? 0)
      : (writeSync as (fd: number, ...args: unknown[]) => number)(fd, data, ...rest)) as typeof fs.writeSync;
  try {
    return fn();
  } finally {
    fs.writeSync = writeSync;
  }
}

/** The float model of the Keras 2 HDF5 file `file`. */
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

export async function readKerasH5(file: string): Promise<ModelFile> {
  await h5wasm.ready;
  try {
    return quietly(() => {
      const f = new h5wasm.File(file, "r");
      if (f.file_id < 0n) throw new Error("the HDF5 library cannot open it (truncated or corrupt)");
      try {
        return modelOf(f, file);
      } finally {
        f.close();
      }
    });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${file}: not a readable Keras HDF5 file: ${(e as Error).message.split("\n")[0]}`);
  }
}

function modelOf(f: H5File, file: string): ModelFile {
  {
    const config = attribute(f, "model_config");
    if (typeof config !== "string")
      throw new UsageError(
        `${file}: no model_config attribute: expected a whole Keras model saved with model.save (not weights only)`,
      );
    let data: unknown;
    try {
      data = JSON.parse(config);
    } catch (e) {
      throw new UsageError(`${file}: model_config is not JSON (${(e as Error).message})`);
    }
    const where = `${file} (model_config)`;
    const arch = kerasArchitecture(trainingFieldsDropped(data), where);
    if (!arch.inputShape) throw new UsageError(`${where}: no input shape: expected an InputLayer with one`);
    const seq = new Sequential(arch.layers).build(arch.inputShape);
    const graph = seq.definitionOf;
    const shapes = new Map([[graph.input.name, graph.input.shape]]);
    for (const node of graph.nodes) {
      const kind = getOp(node.kind);
      const inShapes = node.inputs.map((i) => shapes.get(i)!);
      shapes.set(node.name, kind.layer.outputShape(node.config, inShapes));
      const specs = kind.layer.weights(node.config, inShapes);
      if (specs.length === 0) continue;
      const group = `model_weights/${node.name}`;
      const names = attribute(f.get(group), "weight_names");
      const list = Array.isArray(names) ? names.map(String) : typeof names === "string" ? [names] : [];
      if (list.length !== specs.length)
        throw new UsageError(
          `${file}: layer '${node.name}' (${node.kind}) has ${list.length} weight arrays in ${group}: expected ${specs.length} (${specs.map((s) => s.name).join(", ")})`,
        );
      const tensors = seq.layerTensors(node.name);
      specs.forEach((spec, k) => {
        const { shape, values } = dataset(f, `${group}/${list[k]}`, file);
        const n = spec.shape.reduce((a, b) => a * b, 1);
        if (values.length !== n)
          throw new UsageError(
            `${file}: ${group}/${list[k]} has shape [${shape.join(", ")}]: layer '${node.name}' expects ${spec.name} [${spec.shape.join(", ")}]`,
          );
        if (node.kind === "dense" && spec.name === "kernel") {
          // Keras [inputs][units] -> nn2c [units][inputs]
          const [units, inputs] = spec.shape;
          const t = tensors[spec.name];
          for (let i = 0; i < inputs; i++)
            for (let u = 0; u < units; u++) t[u * inputs + i] = values[i * units + u];
        } else tensors[spec.name].set(values);
      });
    }
    const inputs = arch.inputShape.reduce((a, b) => a * b, 1);
    const last = graph.nodes[graph.nodes.length - 1].config as { activation?: string };
    const classifier = last.activation === "softmax";
    const width = seq.outputShape.reduce((a, b) => a * b, 1);
    const version = attribute(f, "keras_version");
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
      source: { format: "keras-h5", ...(typeof version === "string" ? { kerasVersion: version } : {}) },
    };
  }
}
