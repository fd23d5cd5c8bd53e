/**
 * The float model file (`model.json`): one JSON document with a format name and a schema version.
 * Everything a later stage needs is here: the graph of layers (each with its kind's config, the tensors
 * it reads and its weights), the input's shape and standardisation, class names, task, training settings
 * and metrics, seed. The layer records are built from the op registry: each kind validates its own config.
 *
 * Version 2 stores a graph; version 1 (a chain of dense and activation layers) still loads (io.ts).
 */
import { z } from "zod";
import { ACTIVATION_NAME } from "../core/activations.js";
import { shapeSchema } from "../core/shape.js";
import { opKinds } from "../ops/index.js";
import type { OpKind } from "../ops/registry.js";
import { float32, positiveFloat32, repeated, repeatedMessage } from "../values.js";

export const MODEL_FORMAT = "nn2c-model";
export const MODEL_VERSION = 2;

const finite = z.number().refine(Number.isFinite, "expected a finite number");
const positiveInt = z.number().int().positive();

/** A weight as nested arrays of its shape (Dense kernel: [units][inputs]); checked against the shape on load. */
export type NestedArray = number[] | NestedArray[];

export interface LayerRecord {
  name: string;
  kind: string;
  /** the tensors it reads: "input" or other layers' names */
  inputs: string[];
  config: Record<string, unknown>;
  /** weights and state by name, in the layer's shapes (absent for layers without any) */
  weights?: Record<string, NestedArray>;
}

const metricsSchema = z.record(z.string(), finite);

const trainingSchema = z.strictObject({
  loss: z.string(),
  optimizer: z.record(z.string(), z.union([z.string(), finite, z.boolean()])),
  epochs: positiveInt,
  epochsRun: positiveInt,
  batchSize: positiveInt,
  validationSplit: z.number().min(0).max(1),
  seed: z.number().int(),
  earlyStopping: z.strictObject({ patience: positiveInt, bestEpoch: z.number().int() }).optional(),
  history: z.record(z.string(), z.array(finite)),
  metrics: z.strictObject({
    train: metricsSchema,
    validation: metricsSchema.optional(),
    test: metricsSchema.optional(),
  }),
});

const inputsSchema = z.strictObject({
  /** the CSV's feature columns, in the order the input tensor holds them (channels last) */
  names: z.array(z.string()).min(1),
  mean: z.array(float32),
  std: z.array(positiveFloat32),
  /** the input tensor's shape (default: one dimension of names.length) */
  shape: shapeSchema.optional(),
});

const outputSchema = z.strictObject({
  label: z.string(),
  /** class names, index = class id (classification) */
  classes: z.array(z.string()).optional(),
  /** regression targets are standardised for training: value = output * std + mean */
  mean: float32.optional(),
  std: positiveFloat32.optional(),
});

function layerSchema(kind: OpKind) {
  return z.strictObject({
    name: z.string().min(1).max(128),
    kind: z.literal(kind.kind),
    inputs: z.array(z.string().min(1)).min(1),
    config: kind.layer.config,
    weights: z.record(z.string(), z.unknown()).optional(),
  });
}

/** Distinct input names and class names (classes index the outputs; names match CSV columns). */
function distinctNames(
  m: { inputs: { names: string[] }; output: { classes?: string[] } },
  ctx: z.RefinementCtx,
) {
  for (const [path, names] of [
    [["inputs", "names"], m.inputs.names],
    [["output", "classes"], m.output.classes ?? []],
  ] as const) {
    const twice = repeated(names);
    if (twice !== undefined)
      ctx.addIssue({ code: "custom", path: [...path], message: repeatedMessage(twice, names) });
  }
}

let schema: z.ZodType | undefined;

/** The version-2 schema, with a layer record per registered kind. Graph, shapes and weights are checked in io.ts. */
export function modelSchema(): z.ZodType {
  if (schema) return schema;
  const kinds = opKinds().map(layerSchema);
  schema = z
    .strictObject({
      format: z.literal(MODEL_FORMAT),
      version: z.literal(MODEL_VERSION),
      generator: z.string(),
      task: z.enum(["classification", "regression"]),
      inputs: inputsSchema,
      output: outputSchema,
      layers: z
        .array(z.discriminatedUnion("kind", kinds as unknown as [z.ZodObject, ...z.ZodObject[]]))
        .min(1),
      /** the layer whose output is the model's output (one) */
      outputs: z.array(z.string().min(1)).length(1),
      /** how nn2c trained it (absent from an imported model) */
      training: trainingSchema.optional(),
      /** an imported model: the format it came from */
      source: z
        .strictObject({
          format: z.enum(["keras-h5", "keras", "tflite", "tfjs", "onnx"]),
          kerasVersion: z.string().optional(),
          /** an ONNX model: how the C's input and output relate to the ONNX model's (channels-first) */
          layout: z.string().optional(),
        })
        .optional(),
    })
    .superRefine(distinctNames);
  return schema;
}

export interface ModelFile {
  format: typeof MODEL_FORMAT;
  version: typeof MODEL_VERSION;
  generator: string;
  task: "classification" | "regression";
  inputs: z.infer<typeof inputsSchema>;
  output: z.infer<typeof outputSchema>;
  layers: LayerRecord[];
  outputs: string[];
  training?: z.infer<typeof trainingSchema>;
  source?: {
    format: "keras-h5" | "keras" | "tflite" | "tfjs" | "onnx";
    kerasVersion?: string;
    layout?: string;
  };
}

/** Version 1: a chain of dense and activation layers, the weights inline. Read, never written. */
const denseLayerV1 = z.strictObject({
  kind: z.literal("dense"),
  units: positiveInt,
  activation: z.string().regex(ACTIVATION_NAME),
  alpha: float32.optional(),
  l2: z.number().nonnegative().optional(),
  /** [units][inputs], float32 values */
  weights: z.array(z.array(float32)),
  bias: z.array(float32),
});

const activationLayerV1 = z.strictObject({
  kind: z.literal("activation"),
  activation: z.string().regex(ACTIVATION_NAME),
  alpha: float32.optional(),
});

export const modelSchemaV1 = z
  .strictObject({
    format: z.literal(MODEL_FORMAT),
    version: z.literal(1),
    generator: z.string(),
    task: z.enum(["classification", "regression"]),
    inputs: inputsSchema.omit({ shape: true }),
    output: outputSchema,
    layers: z.array(z.discriminatedUnion("kind", [denseLayerV1, activationLayerV1])).min(1),
    training: trainingSchema,
  })
  .superRefine(distinctNames);

export type ModelFileV1 = z.infer<typeof modelSchemaV1>;
