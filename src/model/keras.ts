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
  /**
   * A Functional model that is not a chain: the names of the tensors each layer reads (the InputLayer's
   * name for the model's input, else the layer that writes it), and the layer whose output the model's is
   */
  graph?: { input: string; inputs: string[][]; output: string };
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
 * The layers a Functional layer reads, from its inbound_nodes: Keras 2 writes `[[["a", 0, 0, {}],
 * ["b", 0, 0, {}]]]`, Keras 3 `[{"args": [t], "kwargs": {}}]` with t a tensor `{"class_name":
 * "__keras_tensor__", "config": {"keras_history": ["a", 0, 0]}}` or a list of them (Add); undefined for
 * anything else (a layer called twice, a tensor of a layer's second output).
 */
function inboundLayers(nodes: unknown): string[] | undefined {
  if (!Array.isArray(nodes) || nodes.length !== 1) return undefined;
  const node = nodes[0] as unknown;
  const names = (entries: unknown[], nameOf: (e: unknown) => unknown) => {
    const out = entries.map(nameOf);
    return out.length > 0 && out.every((n) => typeof n === "string") ? (out as string[]) : undefined;
  };
  if (Array.isArray(node))
    return names(node, (e) => (Array.isArray(e) && e[1] === 0 && e[2] === 0 ? e[0] : undefined));
  const args = (node as { args?: unknown } | null)?.args;
  if (!Array.isArray(args) || args.length !== 1) return undefined;
  const tensors = Array.isArray(args[0]) ? (args[0] as unknown[]) : [args[0]];
  return names(tensors, (t) => {
    const history = (t as { config?: { keras_history?: unknown } } | null)?.config?.keras_history;
    return Array.isArray(history) && history[1] === 0 && history[2] === 0 ? history[0] : undefined;
  });
}

/** The layer named by a Keras 2 or 3 `input_layers` / `output_layers` entry: `[["name", 0, 0]]` or `["name", 0, 0]`. */
function endLayer(v: unknown): string | undefined {
  const entry = Array.isArray(v) && Array.isArray(v[0]) ? (v.length === 1 ? v[0] : undefined) : v;
  return Array.isArray(entry) && typeof entry[0] === "string" && entry[1] === 0 && entry[2] === 0
    ? entry[0]
    : undefined;
}

/**
 * A Functional model's layers as the Sequential list they are in (Keras writes them inputs first), with
 * the graph: which layers each reads. A chain (each layer fed by the one before it) gives no graph.
 */
function functionalOf(
  data: unknown,
  file: string,
): { sequential: unknown; graph?: KerasArchitecture["graph"] } {
  const model = validate(kerasFunctional, data, file);
  const layers = model.config.layers;
  const nameOf = (k: number) => String(layers[k].config.name ?? layers[k].name ?? "");
  const where = (k: number) =>
    `${file}: layers[${k}] '${clip(nameOf(k), 40)}' (${clip(layers[k].class_name, 40)})`;
  const seen = new Set<string>();
  const inputs: string[][] = [];
  let chain = true;
  layers.forEach((layer, k) => {
    if (k === 0) {
      if (layer.class_name !== "InputLayer")
        throw new UsageError(`${where(0)}: expected the InputLayer first`);
    } else {
      const nodes = (layer as { inbound_nodes?: unknown }).inbound_nodes;
      const from = inboundLayers(nodes);
      if (!from || from.some((n) => !seen.has(n)))
        throw new UsageError(
          `${where(k)}: inbound_nodes ${clip(JSON.stringify(nodes) ?? "missing", 60)}: expected the layers before it that it reads, each called once`,
        );
      inputs.push(from);
      chain &&= from.length === 1 && from[0] === nameOf(k - 1);
    }
    if (seen.has(nameOf(k))) throw new UsageError(`${where(k)}: a second layer of this name`);
    seen.add(nameOf(k));
  });
  const ends = model.config as { input_layers?: unknown; output_layers?: unknown };
  const end = (field: "input_layers" | "output_layers", fallback: string) => {
    const v = ends[field];
    if (v === undefined) return fallback;
    const name = endLayer(v);
    if (name === undefined)
      throw new UsageError(
        `${file}: ${field} ${clip(JSON.stringify(v) ?? "", 60)}: expected one ${field === "input_layers" ? "input" : "output"} (nn2c models have one of each)`,
      );
    return name;
  };
  const input = end("input_layers", nameOf(0));
  const output = end("output_layers", nameOf(layers.length - 1));
  if (input !== nameOf(0))
    throw new UsageError(
      `${file}: input_layers name '${clip(input, 40)}': expected one input, the first layer`,
    );
  if (!seen.has(output))
    throw new UsageError(
      `${file}: output_layers name '${clip(output, 40)}': expected one output, a layer of the model`,
    );
  chain &&= output === nameOf(layers.length - 1);
  const sequential = {
    class_name: "Sequential",
    config: {
      layers: layers.map((l) => ({ class_name: l.class_name, config: { name: l.name, ...l.config } })),
    },
  };
  return chain ? { sequential } : { sequential, graph: { input, inputs, output } };
}

/**
 * A Keras model config (what `model.to_json()` writes: Sequential, or Functional with one input and one
 * output) as nn2c layers, and a Functional model's graph.
 */
export function kerasArchitecture(data: unknown, file: string): KerasArchitecture {
  let graph: KerasArchitecture["graph"];
  if (typeof data === "object" && data !== null && "class_name" in data) {
    if (data.class_name === "Functional" || data.class_name === "Model")
      ({ sequential: data, graph } = functionalOf(data, file));
    else if (data.class_name !== "Sequential")
      throw new UsageError(
        `${file}: class_name is ${JSON.stringify(clip(String(data.class_name), 40))}: expected "Sequential" or "Functional"`,
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
  return graph ? { inputShape, layers, graph } : { inputShape, layers };
}
