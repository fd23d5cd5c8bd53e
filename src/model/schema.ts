/**
 * The float model file (`model.json`): one JSON document with a format name and a schema version.
 * Everything a later stage needs is here: architecture, float32 weights, standardisation, class names,
 * task, training settings and metrics, seed.
 */
import { z } from "zod";
import { float32, positiveFloat32, repeated, repeatedMessage } from "../values.js";
import { ACTIVATION_NAME } from "./activations.js";

export const MODEL_FORMAT = "nn2c-model";
export const MODEL_VERSION = 1;

const finite = z.number().refine(Number.isFinite, "expected a finite number");
const positiveInt = z.number().int().positive();

const denseLayer = z.strictObject({
  kind: z.literal("dense"),
  units: positiveInt,
  activation: z.string().regex(ACTIVATION_NAME),
  alpha: float32.optional(),
  l2: z.number().nonnegative().optional(),
  /** [units][inputs], float32 values */
  weights: z.array(z.array(float32)),
  bias: z.array(float32),
});

const activationLayer = z.strictObject({
  kind: z.literal("activation"),
  activation: z.string().regex(ACTIVATION_NAME),
  alpha: float32.optional(),
});

const metricsSchema = z.record(z.string(), finite);

export const modelSchema = z
  .strictObject({
    format: z.literal(MODEL_FORMAT),
    version: z.literal(MODEL_VERSION),
    generator: z.string(),
    task: z.enum(["classification", "regression"]),
    inputs: z.strictObject({
      names: z.array(z.string()).min(1),
      mean: z.array(float32),
      std: z.array(positiveFloat32),
    }),
    output: z.strictObject({
      label: z.string(),
      /** class names, index = class id (classification) */
      classes: z.array(z.string()).optional(),
      /** regression targets are standardised for training: value = output * std + mean */
      mean: float32.optional(),
      std: positiveFloat32.optional(),
    }),
    layers: z.array(z.discriminatedUnion("kind", [denseLayer, activationLayer])).min(1),
    training: z.strictObject({
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
    }),
  })
  .superRefine((m, ctx) => {
    const n = m.inputs.names.length;
    if (m.inputs.mean.length !== n || m.inputs.std.length !== n) {
      ctx.addIssue({
        code: "custom",
        path: ["inputs"],
        message: `mean and std need ${n} values, one per input`,
      });
    }
    for (const [path, names] of [
      [["inputs", "names"], m.inputs.names],
      [["output", "classes"], m.output.classes ?? []],
    ] as const) {
      const twice = repeated(names);
      if (twice !== undefined)
        ctx.addIssue({ code: "custom", path: [...path], message: repeatedMessage(twice, names) });
    }
    let width = n;
    m.layers.forEach((layer, k) => {
      if (layer.kind !== "dense") return;
      if (layer.weights.length !== layer.units || layer.weights.some((row) => row.length !== width)) {
        ctx.addIssue({
          code: "custom",
          path: ["layers", k, "weights"],
          message: `expected ${layer.units} rows of ${width} values`,
        });
      }
      if (layer.bias.length !== layer.units) {
        ctx.addIssue({
          code: "custom",
          path: ["layers", k, "bias"],
          message: `expected ${layer.units} values`,
        });
      }
      width = layer.units;
    });
    if (m.task === "classification") {
      const classes = m.output.classes?.length ?? 0;
      const expected = width === 1 ? 2 : width;
      if (classes !== expected) {
        ctx.addIssue({
          code: "custom",
          path: ["output", "classes"],
          message: `expected ${expected} class names for ${width} outputs`,
        });
      }
    }
  });

export type ModelFile = z.infer<typeof modelSchema>;
export type LayerRecord = ModelFile["layers"][number];
