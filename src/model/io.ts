/**
 * Loading and saving float model files, and turning them into a `Sequential` and back.
 */
import { UsageError } from "../errors.js";
import { readJsonFile, stringifyJson, validate, writeFileAtomic } from "../files.js";
import { hasActivation } from "./activations.js";
import { Activation, Dense, type LayerSpec } from "./layers/index.js";
import { MODEL_FORMAT, MODEL_VERSION, type ModelFile, modelSchema } from "./schema.js";
import { Sequential } from "./sequential.js";

/** Loads and validates a float model file; the error names the file and the zod path of the problem. */
export function loadModel(file: string): ModelFile {
  const data = readJsonFile(file, "model file");
  return parseModel(data, file);
}

export function parseModel(data: unknown, file = "<model>"): ModelFile {
  const head = (data ?? {}) as { format?: unknown; version?: unknown };
  if (head.format !== MODEL_FORMAT) {
    const got = head.format === undefined ? "no format field" : `format '${String(head.format)}'`;
    throw new UsageError(`${file}: not an nn2c float model (${got}, expected '${MODEL_FORMAT}')`);
  }
  if (head.version !== MODEL_VERSION) {
    throw new UsageError(
      `${file}: model file version ${String(head.version)} is not supported (this nn2c reads version ${MODEL_VERSION})`,
    );
  }
  const model = validate(modelSchema, data, file);
  model.layers.forEach((layer, k) => {
    if (!hasActivation(layer.activation)) {
      throw new UsageError(
        `${file}: layers[${k}].activation: unknown activation '${layer.activation}' (register it with registerActivation before loading)`,
      );
    }
  });
  return model;
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

/** The layer specifications of a model file, without weights. */
export function layerSpecs(model: ModelFile): LayerSpec[] {
  return model.layers.map((l) => {
    const options = l.alpha === undefined ? {} : { alpha: l.alpha };
    return l.kind === "dense"
      ? Dense({ units: l.units, activation: l.activation, l2: l.l2, ...options })
      : Activation(l.activation, options);
  });
}

/** A built Sequential holding the model file's weights. */
export function toSequential(model: ModelFile): Sequential {
  const seq = new Sequential(layerSpecs(model)).build(model.inputs.names.length);
  const weights: number[][] = [];
  for (const l of model.layers) if (l.kind === "dense") weights.push(l.weights.flat(), l.bias);
  seq.setWeights(weights);
  return seq;
}

/** The layers of a trained Sequential as model-file records, weights in float32 precision. */
export function layerRecords(seq: Sequential): ModelFile["layers"] {
  const weights = seq.getWeights();
  let p = 0;
  let width = seq.inputSize;
  return seq.layers.map((l) => {
    if (l.kind === "activation") {
      return { kind: "activation" as const, activation: l.activation, alpha: l.alpha };
    }
    const W = weights[p++];
    const b = weights[p++];
    const rows: number[][] = [];
    for (let o = 0; o < l.units; o++) rows.push(Array.from(W.subarray(o * width, (o + 1) * width), f32));
    width = l.units;
    return {
      kind: "dense" as const,
      units: l.units,
      activation: l.activation,
      alpha: l.alpha,
      l2: l.l2,
      weights: rows,
      bias: Array.from(b, f32),
    };
  });
}
