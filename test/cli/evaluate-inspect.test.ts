/** `nn2c evaluate` and `nn2c inspect` through the built CLI, on a model trained once for the file. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, expectUsageError, IRIS_TEST, IRIS_TRAIN, json, nn2c } from "./run.js";

const dir = mkdtempSync(join(tmpdir(), "nn2c-cli-eval-"));
const model = join(dir, "iris.json");
let trainedTestAccuracy = 0;

beforeAll(async () => {
  await ensureBuilt();
  const run = await nn2c([
    "train",
    IRIS_TRAIN,
    "--test",
    IRIS_TEST,
    "--layers",
    "8",
    "--epochs",
    "60",
    "--batch-size",
    "16",
    "--lr",
    "0.01",
    "-o",
    model,
    "--json",
  ]);
  trainedTestAccuracy = json<{ test: { accuracy: number } }>(run).test.accuracy;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("nn2c evaluate", () => {
  it("--json gives samples, precision float32 and the accuracy training reported", async () => {
    const result = json(await nn2c(["evaluate", model, IRIS_TEST, "--json"]));
    expect(result).toEqual({ samples: 30, precision: "float32", accuracy: trainedTestAccuracy });
  });

  it("prints one line as text", async () => {
    const run = await nn2c(["evaluate", model, IRIS_TEST]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe(
      `float32 model on 30 rows of ${IRIS_TEST}: accuracy ${trainedTestAccuracy === 1 ? "1" : trainedTestAccuracy.toFixed(4)}`,
    );
  });

  it("matches columns by name, in any order", async () => {
    const file = join(dir, "reordered.csv");
    writeFileSync(
      file,
      "species,petal_width_cm,petal_length_cm,sepal_width_cm,sepal_length_cm\nsetosa,0.2,1.4,3.5,5.1\n",
    );
    expect(json(await nn2c(["evaluate", model, file, "--json"]))).toEqual({
      samples: 1,
      precision: "float32",
      accuracy: 1,
    });
  });

  it("rejects data without a feature column the model expects", async () => {
    const file = join(dir, "missing-column.csv");
    writeFileSync(file, "sepal_length_cm,sepal_width_cm,petal_length_cm,species\n5.1,3.5,1.4,setosa\n");
    expectUsageError(
      await nn2c(["evaluate", model, file]),
      `${file}: line 1: missing feature column 'petal_width_cm'`,
    );
  });

  it("rejects a class the model does not know", async () => {
    const file = join(dir, "unknown-class.csv");
    writeFileSync(
      file,
      "sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,species\n5,3,1,0.2,rosa\n",
    );
    expectUsageError(
      await nn2c(["evaluate", model, file]),
      `${file}: line 2, column 'species': unknown class 'rosa'`,
    );
  });

  it("rejects a malformed model file, naming it and the zod path", async () => {
    const file = join(dir, "bad-model.json");
    writeFileSync(file, JSON.stringify({ format: "nn2c-model", version: 1, task: "classification" }));
    expectUsageError(await nn2c(["evaluate", file, IRIS_TEST]), `${file}: `, /generator: /);
  });
});

describe("nn2c inspect", () => {
  it("--json gives layers, params and MACs", async () => {
    const info = json<{
      task: string;
      inputs: number;
      outputs: number;
      layers: {
        kind: string;
        activation: string;
        inputs: number;
        outputs: number;
        params: number;
        macs: number;
      }[];
      params: number;
      macs: number;
      weightBytes: Record<string, number>;
    }>(await nn2c(["inspect", model, "--json"]));
    expect(info).toMatchObject({ task: "classification", inputs: 4, outputs: 3, params: 67, macs: 56 });
    expect(info.layers.map((l) => [l.kind, l.activation, l.inputs, l.outputs, l.params, l.macs])).toEqual([
      ["dense", "relu", 4, 8, 40, 32],
      ["dense", "softmax", 8, 3, 27, 24],
    ]);
    expect(info.weightBytes.float32).toBe(4 * 67);
  });

  it("prints a table as text", async () => {
    const run = await nn2c(["inspect", model]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(
      "classification model: input [4] (4 values) -> 3 outputs (classes: setosa, versicolor, virginica)",
    );
    expect(run.stdout).toMatch(/^0 {2}dense \(dense\) +relu +\[8\] +40 +32$/m);
    expect(run.stdout).toContain("params 67, MACs per inference 56");
  });

  it("rejects a model file of another version", async () => {
    const file = join(dir, "v2.json");
    writeFileSync(file, JSON.stringify({ format: "nn2c-model", version: 3 }));
    expectUsageError(
      await nn2c(["inspect", file]),
      `${file}: model file version 3 is not supported (this nn2c reads versions 1 and 2)`,
    );
  });

  it("rejects a missing model file", async () => {
    const file = join(dir, "nothing.json");
    expectUsageError(await nn2c(["inspect", file]), `${file}: cannot read model file (no such file)`);
  });
});
