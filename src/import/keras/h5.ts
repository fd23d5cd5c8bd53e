/**
 * A Keras 2 `.h5` file (what `model.save("m.h5")` writes) as an nn2c float model: the `model_config`
 * attribute (a Sequential model, or a Functional chain) through the same converters as architecture
 * files (src/model/keras.ts), and each layer's weights from `model_weights/<layer>`, in the order its
 * `weight_names` attribute gives. h5wasm (the HDF5 library compiled to WebAssembly) reads the file.
 *
 * Weights keep Keras' layouts, except Dense's kernel: Keras stores [inputs][units], nn2c [units][inputs]
 * (src/import/float.ts builds the model).
 */
import fs from "node:fs";
import h5wasm from "h5wasm/node";
import { UsageError } from "../../errors.js";
import type { ModelFile } from "../../model/schema.js";
import { floatModel, fromKerasLayout, type WeightsOf } from "../float.js";

type H5File = InstanceType<typeof h5wasm.File>;

/** A float32 array from a dataset of the file, or a refusal naming it. */
export function dataset(f: H5File, path: string, file: string): { shape: number[]; values: Float32Array } {
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
export function quietly<T>(fn: () => T): T {
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
  const weightsOf: WeightsOf = (node, specs) => {
    const group = `model_weights/${node.name}`;
    const names = attribute(f.get(group), "weight_names");
    const list = Array.isArray(names) ? names.map(String) : typeof names === "string" ? [names] : [];
    if (list.length !== specs.length)
      throw new UsageError(
        `${file}: layer '${node.name}' (${node.kind}) has ${list.length} weight arrays in ${group}: expected ${specs.length} (${specs.map((s) => s.name).join(", ")})`,
      );
    return specs.map((spec, k) => {
      const { shape, values } = dataset(f, `${group}/${list[k]}`, file);
      if (values.length !== spec.shape.reduce((a, b) => a * b, 1))
        throw new UsageError(
          `${file}: ${group}/${list[k]} has shape [${shape.join(", ")}]: layer '${node.name}' expects ${spec.name} [${spec.shape.join(", ")}]`,
        );
      return fromKerasLayout(node.kind, spec, values);
    });
  };
  const version = attribute(f, "keras_version");
  return floatModel(data, `${file} (model_config)`, weightsOf, {
    format: "keras-h5",
    ...(typeof version === "string" ? { kerasVersion: version } : {}),
  });
}
