/**
 * Keras architecture files: what `model.to_json()` writes for a Sequential model (Keras 2 and Keras 3),
 * read into nn2c layers. The input shape comes from the InputLayer (`batch_input_shape` in Keras 2,
 * `batch_shape` in Keras 3) or from the first layer's `batch_input_shape`; each layer's config goes
 * through the converter its op kind registers for that class name, which maps the fields nn2c implements
 * and accepts the rest only at Keras' defaults. Anything else is refused in one line naming the file, the
 * layer and the field.
 */
import { z } from "zod";
import { formatShape, type Shape, shapeSchema } from "../core/shape.js";
import { UsageError } from "../errors.js";
import { readTextFile, validate } from "../files.js";
import { opKinds } from "../ops/index.js";
import type { Refuse } from "../ops/keras.js";
import type { KerasConfig } from "../ops/registry.js";
import { clip } from "../values.js";
import { type Layer, makeLayer } from "./layers.js";

const kerasLayer = z.looseObject({
  class_name: z.string(),
  config: z.record(z.string(), z.unknown()),
});

const kerasSequential = z.looseObject({
  class_name: z.literal("Sequential"),
  config: z.looseObject({
    name: z.string().optional(),
    layers: z.array(kerasLayer).min(1),
  }),
});

export interface KerasArchitecture {
  /** the InputLayer's shape (or the first layer's batch_input_shape), when the file declares one */
  inputShape?: Shape;
  layers: Layer[];
}

/** The Keras class names nn2c reads, and the op kind of each. */
export function kerasClasses(): Map<string, string> {
  const out = new Map<string, string>();
  for (const kind of opKinds())
    for (const name of Object.keys(kind.layer.keras ?? {})) out.set(name, kind.kind);
  return out;
}

/** A batch shape `[null, 8, 8, 1]` without its batch dimension, or undefined when it is not one. */
function batchShape(v: unknown): Shape | undefined {
  if (!Array.isArray(v) || v.length < 2 || v[0] !== null) return undefined;
  const s = shapeSchema.safeParse(v.slice(1));
  return s.success ? s.data : undefined;
}

export function readKerasArchitecture(file: string): KerasArchitecture {
  const text = readTextFile(file, "architecture");
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(
      `${file}: not JSON (${(e as Error).message}): expected what Keras' model.to_json() writes`,
    );
  }
  return kerasArchitecture(data, file);
}

const kerasFunctional = z.looseObject({
  class_name: z.enum(["Functional", "Model"]),
  config: z.looseObject({
    layers: z.array(
      z.looseObject({
        class_name: z.string(),
        name: z.string().optional(),
        config: z.record(z.string(), z.unknown()),
      }),
    ),
  }),
});

/**
 * A Functional model that is a chain (each layer fed by the one before it, as Keras 2's
 * `inbound_nodes` [[["previous", 0, 0, {}]]] say) as the Sequential model it is; refuses other graphs.
 */
/**
 * The one layer a Functional layer reads, from its inbound_nodes: Keras 2 writes
 * `[[["name", 0, 0, {}]]]`, Keras 3 `[{"args": [{"class_name": "__keras_tensor__", "config":
 * {"keras_history": ["name", 0, 0]}}], "kwargs": {}}]`; undefined for anything else.
 */
function inboundLayer(nodes: unknown): unknown {
  if (!Array.isArray(nodes) || nodes.length !== 1) return undefined;
  const node = nodes[0] as unknown;
  if (Array.isArray(node)) return node.length === 1 ? (node[0] as unknown[])[0] : undefined;
  const args = (node as { args?: unknown } | null)?.args;
  if (!Array.isArray(args) || args.length !== 1) return undefined;
  const history = (args[0] as { config?: { keras_history?: unknown } } | null)?.config?.keras_history;
  return Array.isArray(history) ? history[0] : undefined;
}

function chainOf(data: unknown, file: string): unknown {
  const model = validate(kerasFunctional, data, file);
  const layers = model.config.layers;
  layers.forEach((layer, k) => {
    if (k === 0) return;
    const name = String(layers[k - 1].config.name ?? layers[k - 1].name);
    const nodes = (layer as { inbound_nodes?: unknown }).inbound_nodes;
    const from = inboundLayer(nodes);
    if (from !== name)
      throw new UsageError(
        `${file}: layers[${k}] '${clip(String(layer.config.name ?? ""), 40)}' (${clip(layer.class_name, 40)}): inbound_nodes ${clip(JSON.stringify(nodes) ?? "missing", 60)}: expected one input, the layer before it (nn2c reads chains of layers)`,
      );
  });
  return {
    class_name: "Sequential",
    config: { layers: layers.map((l) => ({ class_name: l.class_name, config: l.config })) },
  };
}

/** A Keras model config (what `model.to_json()` writes: Sequential, or a Functional chain) as nn2c layers. */
export function kerasArchitecture(data: unknown, file: string): KerasArchitecture {
  if (typeof data === "object" && data !== null && "class_name" in data) {
    if (data.class_name === "Functional" || data.class_name === "Model") data = chainOf(data, file);
    else if (data.class_name !== "Sequential")
      throw new UsageError(
        `${file}: class_name is ${JSON.stringify(clip(String(data.class_name), 40))}: expected "Sequential" or "Functional" (nn2c reads chains of layers)`,
      );
  }
  const model = validate(kerasSequential, data, file);
  const classes = kerasClasses();
  let inputShape: Shape | undefined;
  const layers: Layer[] = [];
  for (const [k, entry] of model.config.layers.entries()) {
    const name = typeof entry.config.name === "string" ? entry.config.name : undefined;
    const where = `${file}: layers[${k}]${name ? ` '${clip(name, 40)}'` : ""} (${clip(entry.class_name, 40)})`;
    const refuse: Refuse = (field, expected) => {
      const got = (entry.config as KerasConfig)[field.split(".")[0]];
      throw new UsageError(
        `${where}: ${field} is ${clip(JSON.stringify(got) ?? "missing", 60)}: expected ${expected}`,
      );
    };
    const declared = entry.config.batch_input_shape ?? entry.config.batch_shape;
    if (declared !== undefined && declared !== null) {
      const shape = batchShape(declared);
      if (!shape)
        refuse(
          entry.config.batch_shape !== undefined ? "batch_shape" : "batch_input_shape",
          "[null, then 1 to 4 positive integers]",
        );
      if (layers.length > 0 && inputShape && formatShape(inputShape) !== formatShape(shape))
        refuse("batch_input_shape", `${formatShape(inputShape)}: the input is declared once`);
      inputShape = shape;
    }
    if (entry.class_name === "InputLayer") {
      if (layers.length > 0)
        throw new UsageError(`${where}: an InputLayer after other layers: expected it first`);
      for (const field of ["sparse", "ragged"]) {
        const v = entry.config[field];
        if (v !== undefined && v !== null && v !== false) refuse(field, "false (nn2c takes dense inputs)");
      }
      if (!inputShape) refuse("batch_shape", "the input's shape, [null, ...]");
      continue;
    }
    const kind = classes.get(entry.class_name);
    if (!kind) {
      throw new UsageError(
        `${where}: class ${clip(entry.class_name, 40)} is no layer nn2c has: expected one of ${[...classes.keys()].sort().join(", ")}`,
      );
    }
    const convert = opKinds().find((o) => o.kind === kind)!.layer.keras![entry.class_name];
    const config = convert(entry.config as KerasConfig, refuse);
    try {
      layers.push(makeLayer(kind, config, { name }));
    } catch (e) {
      if (e instanceof UsageError) throw new UsageError(`${where}: ${e.message}`);
      throw e;
    }
  }
  if (layers.length === 0) throw new UsageError(`${file}: no layers after the input: expected at least one`);
  return { inputShape, layers };
}
