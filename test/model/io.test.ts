/**
 * Model files: saving and loading round trips, and every way a file can be wrong: each is a UsageError of
 * one line naming the file and, where the schema is at fault, the zod path.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  f32,
  layerRecords,
  loadModel,
  parseModel,
  saveModel,
  serializeModel,
  toSequential,
} from "../../src/model/io.js";
import type { ModelFile } from "../../src/model/schema.js";
import { trainFromCsv } from "../../src/model/pipeline.js";
import { usageError } from "../usage.js";

const IRIS = new URL("../../examples/iris/train.csv", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "nn2c-io-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const model = trainFromCsv({ data: IRIS, layers: [6], epochs: 2, batchSize: 16 }).model;

/** A deep copy of the trained model's JSON, changed by `edit`, written to a file. */
// biome-ignore lint/suspicious/noExplicitAny: edits break the schema on purpose
function variant(name: string, edit: (m: any) => void): string {
  const m = JSON.parse(serializeModel(model));
  edit(m);
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(m));
  return file;
}

function loadError(file: string): string {
  const message = usageError(() => loadModel(file));
  expect(message.startsWith(`${file}: `)).toBe(true);
  return message.slice(file.length + 2);
}

describe("saveModel and loadModel", () => {
  it("round-trip a model file exactly", () => {
    const file = join(dir, "model.json");
    saveModel(file, model);
    expect(loadModel(file)).toEqual(JSON.parse(serializeModel(model)));
    expect(serializeModel(loadModel(file))).toBe(readFileSync(file, "utf8"));
  });

  it("keep numeric arrays on one line and end with a newline", () => {
    const text = serializeModel(model);
    expect(text.endsWith("}\n")).toBe(true);
    expect(text).toMatch(/"bias": \[[^\n\]]+\]/);
    expect(text).toMatch(
      /"names": \["sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm"\]/,
    );
  });

  it("store float32 weights that read back as the same float32 values", () => {
    const seq = toSequential(parseModel(JSON.parse(serializeModel(model))));
    const records = layerRecords(seq);
    expect(records).toEqual(JSON.parse(JSON.stringify(model.layers)));
    for (const v of [0.1, 1 / 3, -123.456789, 1e-8, Math.PI])
      expect(Math.fround(f32(v))).toBe(Math.fround(v));
  });

  it("toSequential predicts as the trained weights", () => {
    const seq = toSequential(model);
    expect(seq.inputSize).toBe(4);
    expect(seq.outputSize).toBe(3);
    const [row] = seq.predict([[0, 0, 0, 0]]);
    expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
  });
});

describe("loadModel rejects", () => {
  it("a missing file", () => {
    expect(loadError(join(dir, "missing.json"))).toBe("cannot read model file (no such file)");
  });

  it("malformed JSON", () => {
    const file = join(dir, "malformed.json");
    writeFileSync(file, '{"format": "nn2c-model", ');
    expect(loadError(file)).toMatch(/^not a valid JSON model file \(/);
  });

  it("a file of another version", () => {
    const file = variant("version2", (m) => {
      m.version = 2;
    });
    expect(loadError(file)).toBe("model file version 2 is not supported (this nn2c reads version 1)");
  });

  it("a file of another format", () => {
    const file = variant("format", (m) => {
      m.format = "keras";
    });
    expect(loadError(file)).toBe("not an nn2c float model (format 'keras', expected 'nn2c-model')");
  });

  it("a JSON document without a format field", () => {
    const file = join(dir, "array.json");
    writeFileSync(file, "[1, 2, 3]");
    expect(loadError(file)).toBe("not an nn2c float model (no format field, expected 'nn2c-model')");
  });

  it("weights of the wrong shape, naming layers[k].weights", () => {
    const file = variant("weights", (m) => {
      m.layers[0].weights[2].pop();
    });
    expect(loadError(file)).toBe("layers[0].weights: expected 6 rows of 4 values");
  });

  it("a weight matrix with a row too many", () => {
    const file = variant("rows", (m) => {
      m.layers[1].weights.push(m.layers[1].weights[0]);
    });
    expect(loadError(file)).toBe("layers[1].weights: expected 3 rows of 6 values");
  });

  it("a bias of the wrong length", () => {
    const file = variant("bias", (m) => {
      m.layers[1].bias.push(0);
    });
    expect(loadError(file)).toBe("layers[1].bias: expected 3 values");
  });

  it("a weight that is not a number, naming its index", () => {
    const file = variant("string", (m) => {
      m.layers[0].weights[1][3] = "0.5";
    });
    expect(loadError(file)).toMatch(/^layers\[0\]\.weights\[1\]\[3\]: /);
  });

  it("a missing field", () => {
    const file = variant("missing-field", (m) => {
      delete m.training.epochs;
    });
    expect(loadError(file)).toMatch(/^training\.epochs: /);
  });

  it("an unknown field", () => {
    const file = variant("extra", (m) => {
      m.layers[0].dropout = 0.5;
    });
    expect(loadError(file)).toMatch(/^layers\[0\]: .*dropout/);
  });

  it("a standard deviation of zero", () => {
    const file = variant("std", (m) => {
      m.inputs.std[2] = 0;
    });
    expect(loadError(file)).toBe("inputs.std[2]: expected a positive float32 number (at least 1.18e-38)");
  });

  it("a weight beyond float32, which the C would store as an infinity", () => {
    const file = variant("huge", (m) => {
      m.layers[0].weights[0][1] = 1e39;
    });
    expect(loadError(file)).toBe("layers[0].weights[0][1]: expected a finite float32 number");
  });

  it("duplicate class names or input names, naming the model's field", () => {
    const classes = variant("duplicate-classes", (m) => {
      m.output.classes[2] = m.output.classes[0];
    });
    expect(loadError(classes)).toMatch(
      /^output\.classes: '.+' appears twice \(.+\): expected distinct names$/,
    );
    const names = variant("duplicate-names", (m) => {
      m.inputs.names[1] = m.inputs.names[0];
    });
    expect(loadError(names)).toMatch(/^inputs\.names: '.+' appears twice/);
  });

  it("standardisation of the wrong length", () => {
    const file = variant("mean", (m) => {
      m.inputs.mean.pop();
    });
    expect(loadError(file)).toBe("inputs: mean and std need 4 values, one per input");
  });

  it("class names that do not match the outputs", () => {
    const file = variant("classes", (m) => {
      m.output.classes.pop();
    });
    expect(loadError(file)).toBe("output.classes: expected 3 class names for 3 outputs");
  });

  it("an invalid activation name", () => {
    const file = variant("activation-name", (m) => {
      m.layers[0].activation = "Relu!";
    });
    expect(loadError(file)).toMatch(/^layers\[0\]\.activation: /);
  });

  it("an activation that is not registered", () => {
    const file = variant("activation", (m) => {
      m.layers[1].activation = "gelu";
    });
    expect(loadError(file)).toBe(
      "layers[1].activation: unknown activation 'gelu' (register it with registerActivation before loading)",
    );
  });

  it("an unknown layer kind", () => {
    const file = variant("kind", (m) => {
      m.layers[0].kind = "conv2d";
    });
    expect(loadError(file)).toMatch(/^layers\[0\]\.kind: /);
  });

  it("many problems at once: the first three and a count", () => {
    const file = variant("many", (m) => {
      m.task = "ranking";
      m.generator = 1;
      m.training.epochs = -1;
      m.training.batchSize = 0;
      m.training.seed = 0.5;
    });
    const message = loadError(file);
    expect(message.split("; ")).toHaveLength(3);
    expect(message).toMatch(/\(and 2 more\)$/);
  });
});

describe("parseModel", () => {
  it("names a default source when no file is given", () => {
    expect(() => parseModel(null)).toThrow(/^<model>: not an nn2c float model/);
  });

  it("returns the validated model", () => {
    const m: ModelFile = parseModel(JSON.parse(serializeModel(model)));
    expect(m.layers.map((l) => l.activation)).toEqual(["relu", "softmax"]);
  });
});
