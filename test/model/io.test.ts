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
  toModel,
} from "../../src/model/io.js";
import { trainFromCsv } from "../../src/model/pipeline.js";
import type { ModelFile } from "../../src/model/schema.js";
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
    const seq = toModel(parseModel(JSON.parse(serializeModel(model))));
    const records = layerRecords(seq);
    expect(records).toEqual(JSON.parse(JSON.stringify(model.layers)));
    for (const v of [0.1, 1 / 3, -123.456789, 1e-8, Math.PI])
      expect(Math.fround(f32(v))).toBe(Math.fround(v));
  });

  it("toModel predicts as the trained weights", () => {
    const seq = toModel(model);
    expect(seq.inputSize).toBe(4);
    expect(seq.outputSize).toBe(3);
    const [row] = seq.predict([[0, 0, 0, 0]]);
    expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
  });
});

describe("version 1 files", () => {
  it("still load: the chain's layers named as Keras names them, the same weights and predictions", () => {
    const v2 = JSON.parse(serializeModel(model));
    const v1 = {
      ...v2,
      version: 1,
      inputs: { names: v2.inputs.names, mean: v2.inputs.mean, std: v2.inputs.std },
      layers: v2.layers.map(
        (l: { config: Record<string, unknown>; weights: { kernel: number[][]; bias: number[] } }) => ({
          kind: "dense",
          ...l.config,
          weights: l.weights.kernel,
          bias: l.weights.bias,
        }),
      ),
      outputs: undefined,
    };
    const file = join(dir, "v1.json");
    writeFileSync(file, JSON.stringify(v1));
    const loaded = loadModel(file);
    expect(loaded.version).toBe(2);
    expect(loaded.layers.map((l) => l.name)).toEqual(["dense", "dense_1"]);
    expect(loaded.outputs).toEqual(["dense_1"]);
    expect(loaded.layers).toEqual(v2.layers);
    const rows = [
      [0.1, -0.4, 2, 0.5],
      [1, 1, 1, 1],
    ];
    expect(toModel(loaded).predict(rows)).toEqual(toModel(model).predict(rows));
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

  it("a file of an unknown version, naming it", () => {
    const file = variant("version3", (m) => {
      m.version = 3;
    });
    expect(loadError(file)).toBe("model file version 3 is not supported (this nn2c reads versions 1 and 2)");
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

  it("weights of the wrong shape, naming the layer and the weight", () => {
    const file = variant("weights", (m) => {
      m.layers[0].weights.kernel[2].pop();
    });
    expect(loadError(file)).toBe("layers[0] 'dense': weights.kernel[2]: expected 4 values");
  });

  it("a weight matrix with a row too many", () => {
    const file = variant("rows", (m) => {
      m.layers[1].weights.kernel.push(m.layers[1].weights.kernel[0]);
    });
    expect(loadError(file)).toBe("layers[1] 'dense_1': weights.kernel: expected 3 arrays");
  });

  it("a bias of the wrong length", () => {
    const file = variant("bias", (m) => {
      m.layers[1].weights.bias.push(0);
    });
    expect(loadError(file)).toBe("layers[1] 'dense_1': weights.bias: expected 3 values");
  });

  it("a weight that is not a number, naming its index", () => {
    const file = variant("string", (m) => {
      m.layers[0].weights.kernel[1][3] = "0.5";
    });
    expect(loadError(file)).toBe("layers[0] 'dense': weights.kernel[1][3]: expected a finite float32 number");
  });

  it("a weight of another name, or a missing one", () => {
    const extra = variant("extra-weight", (m) => {
      m.layers[0].weights.gamma = [1];
    });
    expect(loadError(extra)).toBe(
      "layers[0] 'dense': weights.gamma: not a weight of dense (expected kernel, bias)",
    );
    const missing = variant("missing-weight", (m) => {
      delete m.layers[1].weights.bias;
    });
    expect(loadError(missing)).toBe("layers[1] 'dense_1': weights.bias: missing (expected [3])");
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
      m.layers[0].weights.kernel[0][1] = 1e39;
    });
    expect(loadError(file)).toBe("layers[0] 'dense': weights.kernel[0][1]: expected a finite float32 number");
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
      m.layers[0].config.activation = "Relu!";
    });
    expect(loadError(file)).toMatch(/^layers\[0\]\.config\.activation: /);
  });

  it("an activation that is not registered", () => {
    const file = variant("activation", (m) => {
      m.layers[1].config.activation = "gelu";
    });
    expect(loadError(file)).toBe(
      "layers[1] 'dense_1': config.activation: unknown activation 'gelu' (register it with registerActivation before loading)",
    );
  });

  it("a layer reading a tensor that does not exist", () => {
    const file = variant("input-name", (m) => {
      m.layers[1].inputs = ["dens"];
    });
    expect(loadError(file)).toBe(
      "layers[1] 'dense_1': input 'dens' is no layer of the model: expected 'input' or a layer's name",
    );
  });

  it("a cycle", () => {
    const file = variant("cycle", (m) => {
      m.layers[0].inputs = ["dense_1"];
    });
    expect(loadError(file)).toMatch(
      /^layers\[\d\] '[a-z_1]+': is part of a cycle: a model is a graph without cycles$/,
    );
  });

  it("two layers of one name, and a layer that does not lead to the output", () => {
    const twice = variant("twice", (m) => {
      m.layers[1].name = "dense";
    });
    expect(loadError(twice)).toBe("layers[1] 'dense': the name 'dense' is taken: expected a name of its own");
    const dangling = variant("dangling", (m) => {
      m.layers.push({ ...m.layers[1], name: "extra" });
    });
    expect(loadError(dangling)).toBe(
      "layers[2] 'extra': does not lead to the output 'dense_1': every layer must feed the output",
    );
  });

  it("a Dense whose kernel does not fit its input", () => {
    const file = variant("units", (m) => {
      m.layers[0].config.units = 5;
    });
    expect(loadError(file)).toBe("layers[0] 'dense': weights.kernel: expected 5 arrays");
  });

  it("an unknown layer kind", () => {
    const file = variant("kind", (m) => {
      m.layers[0].kind = "lstm";
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
    expect(m.layers.map((l) => l.config.activation)).toEqual(["relu", "softmax"]);
  });
});
