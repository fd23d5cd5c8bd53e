/**
 * TensorFlow.js Layers models as nn2c float models, with TensorFlow.js itself as the oracle: random
 * models of every layer kind nn2c reads are built and given seeded random weights with
 * @tensorflow/tfjs-layers (pure JavaScript, a dev dependency only), saved as model.json and weights.bin
 * as tfjs saves them, imported, and run; nn2c's float32 reference must give tfjs' predict within 1e-5.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as tfl from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { readBinaryFile } from "../../src/files.js";
import { importModel } from "../../src/import/index.js";
import { tempDir } from "../codegen/helpers.js";
import { largestDifference, randomizeWeights } from "./tfjs-oracle.js";

const dir = tempDir("tfjs");

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** Saves `model` with seeded random weights as tfjs does (model.json, weights.bin); its file path. */
async function saved(model: tfl.LayersModel, name: string, seed: number): Promise<string> {
  randomizeWeights(model, seed);
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  const a = artifacts!;
  const file = join(dir, `${name}.json`);
  writeFileSync(join(dir, `${name}.bin`), Buffer.from(a.weightData as ArrayBuffer));
  writeFileSync(
    file,
    JSON.stringify({
      format: a.format,
      generatedBy: a.generatedBy,
      convertedBy: a.convertedBy,
      modelTopology: a.modelTopology,
      weightsManifest: [{ paths: [`${name}.bin`], weights: a.weightSpecs }],
    }),
  );
  return file;
}

async function compare(model: tfl.LayersModel, name: string, seed: number): Promise<number> {
  const file = await saved(model, name, seed);
  const m = await importModel(file, readBinaryFile(file, "model"));
  expect(m.kind).toBe("float");
  if (m.kind !== "float") return Number.POSITIVE_INFINITY;
  expect(m.model.source?.format).toBe("tfjs");
  return largestDifference(model, m.model, 8, seed + 1);
}

describe("TensorFlow.js Layers models (tfjs-layers' predict as the oracle)", () => {
  it("convolutions, batch normalization, depthwise and separable, poolings, softmax", async () => {
    const m = tfl.sequential();
    m.add(
      tfl.layers.conv2d({
        inputShape: [9, 8, 2],
        filters: 4,
        kernelSize: 3,
        strides: 2,
        padding: "same",
        activation: "relu",
      }),
    );
    m.add(tfl.layers.batchNormalization());
    m.add(
      tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: "same", activation: "relu6" }),
    );
    m.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 1 }));
    m.add(tfl.layers.separableConv2d({ filters: 5, kernelSize: [2, 3], activation: "tanh" }));
    m.add(tfl.layers.averagePooling2d({ poolSize: 2, padding: "same" }));
    m.add(tfl.layers.flatten());
    m.add(tfl.layers.dense({ units: 3, activation: "softmax" }));
    expect(await compare(m, "conv2d", 1)).toBeLessThan(1e-5);
  });

  it("1-D convolutions and poolings, dropout, sigmoid and tanh", async () => {
    const m = tfl.sequential();
    m.add(
      tfl.layers.conv1d({
        inputShape: [20, 3],
        filters: 6,
        kernelSize: 5,
        dilationRate: 2,
        activation: "relu",
      }),
    );
    m.add(tfl.layers.maxPooling1d({ poolSize: 2 }));
    m.add(tfl.layers.averagePooling1d({ poolSize: 2, strides: 1 }));
    m.add(tfl.layers.globalAveragePooling1d());
    m.add(tfl.layers.dropout({ rate: 0.3 }));
    m.add(tfl.layers.dense({ units: 7, activation: "tanh" }));
    m.add(tfl.layers.dense({ units: 2, activation: "sigmoid" }));
    expect(await compare(m, "conv1d", 2)).toBeLessThan(1e-5);
  });

  it("zero padding, dilation, global max pooling, activation layers and a Functional chain", async () => {
    const input = tfl.input({ shape: [7, 7, 3] });
    let y = tfl.layers.zeroPadding2d({ padding: [1, 2] }).apply(input) as tfl.SymbolicTensor;
    y = tfl.layers
      .conv2d({ filters: 4, kernelSize: 3, dilationRate: 2, useBias: false })
      .apply(y) as tfl.SymbolicTensor;
    y = tfl.layers.leakyReLU({ alpha: 0.2 }).apply(y) as tfl.SymbolicTensor;
    y = tfl.layers.globalMaxPooling2d({}).apply(y) as tfl.SymbolicTensor;
    y = tfl.layers.dense({ units: 5 }).apply(y) as tfl.SymbolicTensor;
    y = tfl.layers.reLU({ maxValue: 6 }).apply(y) as tfl.SymbolicTensor;
    y = tfl.layers.reshape({ targetShape: [5, 1] }).apply(y) as tfl.SymbolicTensor;
    y = tfl.layers.flatten().apply(y) as tfl.SymbolicTensor;
    y = tfl.layers.activation({ activation: "softmax" }).apply(y) as tfl.SymbolicTensor;
    expect(await compare(tfl.model({ inputs: input, outputs: y }), "functional", 3)).toBeLessThan(1e-5);
  });

  it("a Functional graph with residual adds (of the input, and of a branch of two layers)", async () => {
    const input = tfl.input({ shape: [6, 5, 4] });
    const a = tfl.layers
      .conv2d({ filters: 4, kernelSize: 3, padding: "same" })
      .apply(input) as tfl.SymbolicTensor;
    const first = tfl.layers.add().apply([a, input]) as tfl.SymbolicTensor;
    let branch = tfl.layers
      .conv2d({ filters: 4, kernelSize: 1, activation: "relu" })
      .apply(first) as tfl.SymbolicTensor;
    branch = tfl.layers
      .depthwiseConv2d({ kernelSize: 3, padding: "same" })
      .apply(branch) as tfl.SymbolicTensor;
    let y = tfl.layers.add().apply([first, branch]) as tfl.SymbolicTensor;
    y = tfl.layers.globalAveragePooling2d({}).apply(y) as tfl.SymbolicTensor;
    y = tfl.layers.dense({ units: 3, activation: "softmax" }).apply(y) as tfl.SymbolicTensor;
    expect(await compare(tfl.model({ inputs: input, outputs: y }), "residual", 6)).toBeLessThan(1e-5);
  });
});

describe("TensorFlow.js refusals, in one line naming the file", () => {
  it("a layer nn2c lacks, named with its index", async () => {
    const m = tfl.sequential();
    m.add(tfl.layers.dense({ inputShape: [4], units: 3 }));
    m.add(tfl.layers.gaussianNoise({ stddev: 0.1 }));
    const file = await saved(m, "noise", 4);
    const error = await importModel(file, readBinaryFile(file, "model")).catch((e: Error) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^${file} \\(modelTopology\\): layers\\[1\\] 'gaussian_noise_GaussianNoise\\d+' \\(GaussianNoise\\): class GaussianNoise is no layer nn2c has: expected one of Activation, Add,`,
      ),
    );
  });

  it("a weights file shorter than its manifest", async () => {
    const m = tfl.sequential();
    m.add(tfl.layers.dense({ inputShape: [4], units: 3 }));
    const file = await saved(m, "short", 5);
    writeFileSync(join(dir, "short.bin"), Buffer.alloc(20));
    await expect(importModel(file, readBinaryFile(file, "model"))).rejects.toThrow(
      `${file}: weightsManifest[0].weights[0] 'dense_Dense`,
    );
  });
});
