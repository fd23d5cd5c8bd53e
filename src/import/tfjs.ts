/**
 * A TensorFlow.js Layers model (`model.json` and its weight files, as `model.save("file://...")` or
 * tensorflowjs_converter writes them) as an nn2c float model. The topology is Keras' model config (at
 * `modelTopology`, or `modelTopology.model_config` in converted files) and goes through the same
 * builder as Keras files (src/import/float.ts). The weights are the manifest's files concatenated in
 * order, each weight its float32 values in turn, found by its name `<layer>/<weight>`.
 */
import { dirname, join } from "node:path";
import { z } from "zod";
import { UsageError } from "../errors.js";
import { readBinaryFile, validate } from "../files.js";
import type { ModelFile } from "../model/schema.js";
import { floatModel, fromKerasLayout, type WeightsOf } from "./float.js";

const manifestSchema = z.object({
  format: z.string().optional(),
  generatedBy: z.string().optional(),
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z.array(
    z.object({
      paths: z.array(z.string().min(1)),
      weights: z.array(
        z.object({
          name: z.string().min(1),
          shape: z.array(z.number().int().nonnegative()),
          dtype: z.string(),
          quantization: z.unknown().optional(),
        }),
      ),
    }),
  ),
});

/** Is this parsed JSON a TensorFlow.js model (a `model.json`)? */
export function isTfjsModel(data: unknown): boolean {
  return typeof data === "object" && data !== null && "modelTopology" in data && "weightsManifest" in data;
}

/** nn2c's name of a weight → Keras' (and TensorFlow.js'): movingMean → moving_mean. */
function kerasWeightName(kind: string, name: string): string {
  if (kind === "depthwise_conv2d" && name === "kernel") return "depthwise_kernel";
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The float model of the TensorFlow.js model `file` (its JSON already parsed as `data`). */
export function readTfjsModel(file: string, data: unknown): ModelFile {
  const m = validate(manifestSchema, data, file);
  if (m.format !== undefined && m.format !== "layers-model")
    throw new UsageError(
      `${file}: a TensorFlow.js ${m.format}: expected a layers model (saved by tfjs-layers or tensorflowjs_converter from Keras)`,
    );
  const topology = (m.modelTopology.model_config ?? m.modelTopology) as unknown;
  const values = new Map<string, Float32Array>();
  const dir = dirname(file);
  for (const [g, group] of m.weightsManifest.entries()) {
    const bytes = Buffer.concat(
      group.paths.map((p) => readBinaryFile(join(dir, p), "TensorFlow.js weights")),
    );
    let offset = 0;
    for (const [k, w] of group.weights.entries()) {
      const where = `${file}: weightsManifest[${g}].weights[${k}] '${w.name}'`;
      if (w.quantization !== undefined)
        throw new UsageError(`${where}: quantized weights: expected float32 (save the model unquantized)`);
      if (w.dtype !== "float32") throw new UsageError(`${where}: dtype ${w.dtype}: expected float32`);
      const n = w.shape.reduce((a, b) => a * b, 1);
      if (offset + 4 * n > bytes.length)
        throw new UsageError(
          `${where}: needs bytes ${offset} to ${offset + 4 * n} of weight files that hold ${bytes.length}: a truncated file`,
        );
      const v = new Float32Array(n);
      for (let i = 0; i < n; i++) v[i] = bytes.readFloatLE(offset + 4 * i);
      values.set(w.name.replace(/:0$/, ""), v);
      offset += 4 * n;
    }
    if (offset !== bytes.length)
      throw new UsageError(
        `${file}: weightsManifest[${g}]: its files hold ${bytes.length} bytes, its weights ${offset}: expected the same`,
      );
  }
  const weightsOf: WeightsOf = (node, specs) =>
    specs.map((spec) => {
      const name = `${node.name}/${kerasWeightName(node.kind, spec.name)}`;
      const v = values.get(name);
      const n = spec.shape.reduce((a, b) => a * b, 1);
      if (!v)
        throw new UsageError(
          `${file}: no weight '${name}' in weightsManifest: layer '${node.name}' needs it`,
        );
      if (v.length !== n)
        throw new UsageError(
          `${file}: weight '${name}' holds ${v.length} values: layer '${node.name}' expects ${spec.name} [${spec.shape.join(", ")}]`,
        );
      return fromKerasLayout(node.kind, spec, v);
    });
  return floatModel(topology, `${file} (modelTopology)`, weightsOf, {
    format: "tfjs",
    ...(m.generatedBy ? { kerasVersion: m.generatedBy } : {}),
  });
}
