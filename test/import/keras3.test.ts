/**
 * Keras 3 `.keras` archives. No Keras runs here to write one, so the test writes them in Keras 3's
 * layout (saving_lib: config.json, metadata.json, model.weights.h5 with layers/<class in snake case>[_n]
 * /vars/<i>) from models built with TensorFlow.js Layers, whose predict is the oracle (within 1e-5). The
 * group names are the part a reader can get wrong (two Dense layers are dense and dense_1 whatever
 * their names), so the layers are given names that differ from their groups.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as tfl from "@tensorflow/tfjs-layers";
import { strToU8, zipSync } from "fflate";
import h5wasm from "h5wasm/node";
import { beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { readBinaryFile } from "../../src/files.js";
import { importModel } from "../../src/import/index.js";
import { kerasSnakeCase } from "../../src/import/keras/keras3.js";
import { largestDifference, randomizeWeights } from "./tfjs-oracle.js";

const dir = mkdtempSync(join(tmpdir(), "nn2c-keras3-test-"));

beforeAll(async () => {
  await tf.setBackend("cpu");
  await h5wasm.ready;
});

/** `model` (given seeded random weights) as a Keras 3 archive; its path. */
function archive(model: tfl.Sequential, name: string, seed: number): string {
  randomizeWeights(model, seed);
  const topology = model.toJSON(null, false) as {
    config: { layers: { class_name: string; config: Record<string, unknown> }[] };
  };
  const first = topology.config.layers[0].config;
  const layers = [
    {
      module: "keras.layers",
      class_name: "InputLayer",
      config: { batch_shape: first.batch_input_shape, dtype: "float32", sparse: false, name: "input_layer" },
      registered_name: null,
    },
    ...topology.config.layers.map((l) => {
      const { batch_input_shape: _, ...config } = l.config;
      return { module: "keras.layers", class_name: l.class_name, config, registered_name: null };
    }),
  ];
  const config = {
    module: "keras",
    class_name: "Sequential",
    config: { name: name, layers },
    registered_name: null,
  };
  const h5path = join(dir, `${name}.weights.h5`);
  const f = new h5wasm.File(h5path, "w");
  f.create_group("layers");
  const counts = new Map<string, number>();
  for (const layer of model.layers) {
    const base = kerasSnakeCase(layer.getClassName());
    const n = counts.get(base);
    counts.set(base, n === undefined ? 0 : n + 1);
    const group = `layers/${n === undefined ? base : `${base}_${n + 1}`}`;
    const weights = layer.getWeights();
    if (weights.length === 0) continue;
    const vars = f.create_group(group).create_group("vars");
    weights.forEach((w, i) => {
      vars.create_dataset({
        name: String(i),
        data: w.dataSync() as Float32Array,
        shape: w.shape,
        dtype: "<f",
      });
    });
  }
  f.close();
  const file = join(dir, `${name}.keras`);
  writeFileSync(
    file,
    zipSync({
      "metadata.json": strToU8(JSON.stringify({ keras_version: "3.6.0", date_saved: "2026-12-03@12:00:00" })),
      "config.json": strToU8(JSON.stringify(config)),
      "model.weights.h5": readBinaryFile(h5path, "weights"),
    }),
  );
  return file;
}

describe("Keras 3 .keras archives (tfjs-layers' predict as the oracle)", () => {
  it("names each layer's group by class-name counters, as Keras' saving code does", () => {
    expect(
      ["Dense", "Conv2D", "DepthwiseConv2D", "BatchNormalization", "ReLU", "SeparableConv2D"].map(
        kerasSnakeCase,
      ),
    ).toEqual(["dense", "conv2d", "depthwise_conv2d", "batch_normalization", "re_lu", "separable_conv2d"]);
  });

  it("reads weights by their groups, not by the layers' names", async () => {
    const m = tfl.sequential();
    m.add(
      tfl.layers.conv2d({
        inputShape: [6, 6, 2],
        filters: 3,
        kernelSize: 3,
        activation: "relu",
        name: "features",
      }),
    );
    m.add(tfl.layers.batchNormalization({ name: "norm" }));
    m.add(tfl.layers.flatten({ name: "flat" }));
    m.add(tfl.layers.dense({ units: 5, activation: "relu", name: "dense_1" }));
    m.add(tfl.layers.dense({ units: 3, activation: "softmax", name: "dense" }));
    const file = archive(m, "seq", 1);
    const imported = await importModel(file, readBinaryFile(file, "model"));
    expect(imported.kind).toBe("float");
    if (imported.kind !== "float") return;
    expect(imported.model.source).toEqual({ format: "keras", kerasVersion: "3.6.0" });
    expect(largestDifference(m, imported.model, 4, 2)).toBeLessThan(1e-5);
  });

  it("refuses an archive without config.json, and one that is not a zip, in one line", async () => {
    const file = join(dir, "empty.keras");
    writeFileSync(file, zipSync({ "metadata.json": strToU8("{}") }));
    const e = await importModel(file, readBinaryFile(file, "model")).catch((err: Error) => err);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).toBe(
      `${file}: no config.json in the archive: expected a Keras 3 .keras file`,
    );
    const cut = join(dir, "cut.keras");
    writeFileSync(
      cut,
      readBinaryFile(
        archive(tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units: 1 })] }), "one", 3),
        "m",
      ).subarray(0, 200),
    );
    const e2 = await importModel(cut, readBinaryFile(cut, "model")).catch((err: Error) => err);
    expect(e2).toBeInstanceOf(UsageError);
    expect((e2 as Error).message).toMatch(
      new RegExp(`^${cut}: not a readable zip file \\(.*\\): expected a Keras 3 \\.keras file$`),
    );
  });
});
