/**
 * A Keras 3 `.keras` file (what `model.save("m.keras")` writes) as an nn2c float model. The file is a
 * zip (fflate reads it) holding `config.json` (the model config) and `model.weights.h5` (h5wasm reads
 * it). Keras 3 does not store weights by layer name: a Sequential or Functional model's layers are
 * walked in order and each is stored under `layers/<its class name in snake case>`, with `_1`, `_2`, ...
 * for the second and later layers of a class (`layers/dense`, `layers/dense_1`, `layers/conv2d`), its
 * variables as `vars/0`, `vars/1`, ... (trainable first, then the others: Keras' get_weights order).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { strFromU8, unzipSync } from "fflate";
import h5wasm from "h5wasm/node";
import { UsageError } from "../../errors.js";
import type { ModelFile } from "../../model/schema.js";
import { floatModel, fromKerasLayout, type WeightsOf } from "../float.js";
import { dataset, quietly } from "./h5.js";

/** Keras' class name → the name its saving code gives the layer's group (Conv2D → conv2d, ReLU → re_lu). */
export function kerasSnakeCase(className: string): string {
  return className
    .replace(/\W+/g, "")
    .replace(/(.)([A-Z][a-z]+)/g, "$1_$2")
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .toLowerCase();
}

/** The group of each layer (by its name in the config), counting class names in model order. */
function weightGroups(config: unknown, file: string): Map<string, string> {
  const model = config as { class_name?: unknown; config?: { layers?: unknown } };
  const layers = model?.config?.layers;
  if (!Array.isArray(layers))
    throw new UsageError(`${file}: config.json has no layers: expected a Sequential or Functional model`);
  const counts = new Map<string, number>();
  const groups = new Map<string, string>();
  for (const entry of layers as { class_name?: unknown; config?: { name?: unknown } }[]) {
    const className = String(entry?.class_name ?? "");
    // a Sequential model's layers exclude its InputLayer
    if (model.class_name === "Sequential" && className === "InputLayer") continue;
    const base = kerasSnakeCase(className);
    const n = counts.get(base);
    counts.set(base, n === undefined ? 0 : n + 1);
    groups.set(String(entry?.config?.name ?? ""), `layers/${n === undefined ? base : `${base}_${n + 1}`}`);
  }
  return groups;
}

/** The float model of the Keras 3 file `file`, whose contents are `bytes`. */
export async function readKeras3(file: string, bytes: Uint8Array): Promise<ModelFile> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (e) {
    throw new UsageError(
      `${file}: not a readable zip file (${(e as Error).message}): expected a Keras 3 .keras file`,
    );
  }
  const need = (name: string) => {
    const entry = entries[name];
    if (!entry) throw new UsageError(`${file}: no ${name} in the archive: expected a Keras 3 .keras file`);
    return entry;
  };
  let config: unknown;
  try {
    config = JSON.parse(strFromU8(need("config.json")));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${file}: config.json is not JSON (${(e as Error).message})`);
  }
  const metadata = entries["metadata.json"];
  let version: string | undefined;
  try {
    version = metadata ? String(JSON.parse(strFromU8(metadata)).keras_version ?? "") || undefined : undefined;
  } catch {
    version = undefined;
  }
  const groups = weightGroups(config, file);
  await h5wasm.ready;
  const dir = mkdtempSync(join(tmpdir(), "nn2c-keras3-"));
  try {
    const h5path = join(dir, "model.weights.h5");
    writeFileSync(h5path, need("model.weights.h5"));
    return quietly(() => {
      const f = new h5wasm.File(h5path, "r");
      if (f.file_id < 0n)
        throw new UsageError(`${file}: model.weights.h5 is not a readable HDF5 file (truncated or corrupt)`);
      try {
        const weightsOf: WeightsOf = (node, specs) => {
          const group = groups.get(node.name);
          return specs.map((spec, k) => {
            const path = `${group}/vars/${k}`;
            const { shape, values } = dataset(f, path, `${file} (model.weights.h5)`);
            if (values.length !== spec.shape.reduce((a, b) => a * b, 1))
              throw new UsageError(
                `${file}: model.weights.h5 ${path} has shape [${shape.join(", ")}]: layer '${node.name}' expects ${spec.name} [${spec.shape.join(", ")}]`,
              );
            return fromKerasLayout(node.kind, spec, values);
          });
        };
        return floatModel(config, `${file} (config.json)`, weightsOf, {
          format: "keras",
          ...(version ? { kerasVersion: version } : {}),
        });
      } finally {
        f.close();
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
