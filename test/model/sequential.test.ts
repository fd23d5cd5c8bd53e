/**
 * The Keras-like API end to end: compile, fit, evaluate, predict, summary, validation split, callbacks,
 * L2, custom activations through a model file, and the errors each step reports.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { registerActivation, unregisterActivation } from "../../src/core/activations.js";
import { layerRecords, loadModel, saveModel, toModel } from "../../src/model/io.js";
import { Activation, Dense } from "../../src/model/layers.js";
import { MODEL_FORMAT, MODEL_VERSION, type ModelFile } from "../../src/model/schema.js";
import { Sequential } from "../../src/model/sequential.js";
import { Rng } from "../../src/rng.js";
import { EarlyStopping } from "../../src/train/callbacks.js";
import { usageError } from "../usage.js";

/** Two linearly separable classes in the plane: class 1 where x0 + 0.5 x1 > 0, with a margin of 0.2. */
function separable(n: number, seed: number): { x: number[][]; y: number[] } {
  const rng = new Rng(seed);
  const x: number[][] = [];
  const y: number[] = [];
  while (x.length < n) {
    const p = [rng.uniform(-2, 2), rng.uniform(-2, 2)];
    const s = p[0] + 0.5 * p[1];
    if (Math.abs(s) < 0.2) continue;
    x.push(p);
    y.push(s > 0 ? 1 : 0);
  }
  return { x, y };
}

function classifier(hidden = "relu"): Sequential {
  return new Sequential([
    Dense({ units: 8, activation: hidden, inputShape: [2] }),
    Dense({ units: 2, activation: "softmax" }),
  ]).compile({
    optimizer: { name: "adam", lr: 0.05 },
    loss: "sparse_categorical_crossentropy",
    metrics: ["accuracy"],
  });
}

const data = separable(200, 1);

describe("Sequential.fit", () => {
  it("reaches high accuracy on a separable problem, with falling loss", () => {
    const model = classifier();
    const history = model.fit(data.x, data.y, { epochs: 30, batchSize: 16, seed: 1 });
    expect(history.epoch).toEqual(Array.from({ length: 30 }, (_, i) => i));
    const loss = history.history.loss;
    expect(loss.at(-1)!).toBeLessThan(loss[0] / 3);
    expect(history.history.accuracy.at(-1)!).toBeGreaterThanOrEqual(0.95);
    expect(model.evaluate(data.x, data.y).accuracy).toBeGreaterThanOrEqual(0.95);
  });

  it("trains a single sigmoid output with binary crossentropy (threshold 0.5)", () => {
    const model = new Sequential([
      Dense({ units: 8, activation: "tanh", inputShape: [2] }),
      Dense({ units: 1, activation: "sigmoid" }),
    ]).compile({ optimizer: { name: "adam", lr: 0.05 }, loss: "binary_crossentropy", metrics: ["accuracy"] });
    model.fit(data.x, data.y, { epochs: 30, batchSize: 16, seed: 2 });
    expect(model.evaluate(data.x, data.y).accuracy).toBeGreaterThanOrEqual(0.95);
  });

  it("trains with sgd and Nesterov momentum", () => {
    const model = classifier().compile({
      optimizer: { name: "sgd", lr: 0.1, momentum: 0.9, nesterov: true },
      loss: "sparse_categorical_crossentropy",
      metrics: ["accuracy"],
    });
    model.fit(data.x, data.y, { epochs: 30, batchSize: 16, seed: 3 });
    expect(model.evaluate(data.x, data.y).accuracy).toBeGreaterThanOrEqual(0.95);
  });

  it("fits a regression target with mse and reports rmse and mae", () => {
    const rng = new Rng(4);
    const x = Array.from({ length: 100 }, () => [rng.uniform(-1, 1), rng.uniform(-1, 1)]);
    const y = x.map(([a, b]) => [2 * a - b + 0.5]);
    const model = new Sequential([Dense({ units: 1, inputShape: [2] })]).compile({
      optimizer: { name: "adam", lr: 0.05 },
      loss: "mse",
      metrics: ["rmse", "mae"],
    });
    const history = model.fit(x, y, { epochs: 100, batchSize: 10, seed: 4 });
    expect(Object.keys(history.history).sort()).toEqual(["loss", "mae", "rmse"]);
    const logs = model.evaluate(x, y);
    expect(logs.rmse).toBeLessThan(0.05);
    expect(logs.loss).toBeCloseTo(logs.rmse ** 2, 6);
    const [W, b] = model.getWeights();
    expect(Array.from(W, (v) => Number(v.toFixed(1)))).toEqual([2, -1]);
    expect(b[0]).toBeCloseTo(0.5, 1);
  });

  it("is deterministic: the same seed gives the same weights and history", () => {
    const a = classifier();
    const b = classifier();
    const ha = a.fit(data.x, data.y, { epochs: 5, batchSize: 16, seed: 7 });
    const hb = b.fit(data.x, data.y, { epochs: 5, batchSize: 16, seed: 7 });
    expect(hb).toEqual(ha);
    expect(b.getWeights()).toEqual(a.getWeights());
    const c = classifier();
    c.fit(data.x, data.y, { epochs: 5, batchSize: 16, seed: 8 });
    expect(c.getWeights()).not.toEqual(a.getWeights());
  });

  it.each(["adam", "sgd"])(
    "starts each fit with fresh %s state: training state is dropped when fit returns",
    (optimizer) => {
      const compile = (m: Sequential) =>
        m.compile({
          optimizer: { name: optimizer as "adam", lr: 0.05 },
          loss: "sparse_categorical_crossentropy",
        });
      const twice = compile(classifier().build(2, 1));
      twice.fit(data.x, data.y, { epochs: 1, batchSize: 16, shuffle: false });
      const between = twice.getWeights().map((w) => w.slice());
      twice.fit(data.x, data.y, { epochs: 1, batchSize: 16, shuffle: false });
      const fresh = compile(classifier().build(2, 1));
      fresh.setWeights(between);
      fresh.fit(data.x, data.y, { epochs: 1, batchSize: 16, shuffle: false });
      expect(fresh.getWeights()).toEqual(twice.getWeights());
    },
  );

  it("holds out the last rows with validationSplit (before shuffling), as Keras", () => {
    const model = classifier();
    const history = model.fit(data.x, data.y, { epochs: 3, batchSize: 16, seed: 5, validationSplit: 0.25 });
    const last = model.evaluate(data.x.slice(150), data.y.slice(150));
    const first = model.evaluate(data.x.slice(0, 50), data.y.slice(0, 50));
    expect(history.history.val_loss).toHaveLength(3);
    expect(history.history.val_loss.at(-1)).toBeCloseTo(last.loss, 10);
    expect(history.history.val_accuracy.at(-1)).toBe(last.accuracy);
    expect(history.history.val_loss.at(-1)).not.toBeCloseTo(first.loss, 4);
  });

  it("does not train on the validation rows", () => {
    // the last quarter has the labels flipped: trained on, it would pull the accuracy on the rest down
    const y = data.y.map((v, i) => (i >= 150 ? 1 - v : v));
    const model = classifier();
    const history = model.fit(data.x, y, { epochs: 30, batchSize: 16, seed: 6, validationSplit: 0.25 });
    expect(history.history.accuracy.at(-1)!).toBeGreaterThanOrEqual(0.95);
    expect(history.history.val_accuracy.at(-1)!).toBeLessThanOrEqual(0.05);
  });

  it("reports validation metrics for validationData", () => {
    const model = classifier();
    const valid = separable(40, 9);
    const history = model.fit(data.x, data.y, {
      epochs: 2,
      batchSize: 32,
      validationData: [valid.x, valid.y],
    });
    expect(Object.keys(history.history).sort()).toEqual(["accuracy", "loss", "val_accuracy", "val_loss"]);
    expect(history.history.val_loss.at(-1)).toBeCloseTo(model.evaluate(valid.x, valid.y).loss, 10);
  });
});

describe("EarlyStopping", () => {
  // validation rows with the opposite labels: the better the fit, the higher the validation loss
  const flipped = data.y.map((v) => 1 - v);

  it("stops after `patience` epochs without improvement and restores the best weights", () => {
    const model = classifier();
    const stopper = new EarlyStopping({ patience: 3 });
    const history = model.fit(data.x, data.y, {
      epochs: 50,
      batchSize: 16,
      seed: 1,
      validationData: [data.x, flipped],
      callbacks: [stopper],
    });
    const val = history.history.val_loss;
    expect(val.at(-1)!).toBeGreaterThan(val[stopper.bestEpoch]);
    expect(history.epoch).toHaveLength(stopper.bestEpoch + 3 + 1);
    expect(history.epoch.length).toBeLessThan(50);
    expect(stopper.stoppedEpoch).toBe(history.epoch.at(-1));
    expect(stopper.best).toBe(Math.min(...val));
    expect(model.evaluate(data.x, flipped).loss).toBeCloseTo(stopper.best, 10);
  });

  it("keeps the last weights without restoreBestWeights", () => {
    const model = classifier();
    const stopper = new EarlyStopping({ patience: 3, restoreBestWeights: false });
    const history = model.fit(data.x, data.y, {
      epochs: 50,
      batchSize: 16,
      seed: 1,
      validationData: [data.x, flipped],
      callbacks: [stopper],
    });
    expect(model.evaluate(data.x, flipped).loss).toBeCloseTo(history.history.val_loss.at(-1)!, 10);
    expect(history.history.val_loss.at(-1)!).toBeGreaterThan(stopper.best);
  });

  it("watches the training loss when there is no validation data, and does not stop while it falls", () => {
    const stopper = new EarlyStopping({ patience: 2 });
    const history = classifier().fit(data.x, data.y, {
      epochs: 8,
      batchSize: 16,
      seed: 1,
      callbacks: [stopper],
    });
    expect(history.epoch).toHaveLength(8);
    expect(stopper.stoppedEpoch).toBe(-1);
    expect(stopper.best).toBe(Math.min(...history.history.loss));
  });

  it("calls every hook of a callback in order", () => {
    const calls: string[] = [];
    classifier().fit(data.x, data.y, {
      epochs: 2,
      callbacks: [
        {
          onTrainBegin: () => calls.push("begin"),
          onEpochEnd: (epoch, logs) => calls.push(`epoch ${epoch} ${Object.keys(logs).join(",")}`),
          onTrainEnd: () => calls.push("end"),
        },
      ],
    });
    expect(calls).toEqual(["begin", "epoch 0 loss,accuracy", "epoch 1 loss,accuracy", "end"]);
  });
});

describe("L2 regularisation", () => {
  it("adds l2 * sum(W^2) of each regularised kernel to the loss", () => {
    const make = (l2?: number) =>
      new Sequential([
        Dense({ units: 8, activation: "relu", inputShape: [2], l2 }),
        Dense({ units: 2, activation: "softmax" }),
      ])
        .build(2, 3)
        .compile({ optimizer: "adam", loss: "sparse_categorical_crossentropy" });
    const plain = make();
    const regularised = make(0.01);
    const W0 = plain.getWeights()[0];
    const sumSquares = W0.reduce((s, w) => s + w * w, 0);
    const diff = regularised.evaluate(data.x, data.y).loss - plain.evaluate(data.x, data.y).loss;
    expect(diff).toBeCloseTo(0.01 * sumSquares, 6);
  });

  it("shrinks the weights it regularises", () => {
    const norm = (l2?: number) => {
      const model = new Sequential([
        Dense({ units: 8, activation: "relu", inputShape: [2], l2 }),
        Dense({ units: 2, activation: "softmax" }),
      ]).compile({ optimizer: { name: "adam", lr: 0.05 }, loss: "sparse_categorical_crossentropy" });
      model.fit(data.x, data.y, { epochs: 20, batchSize: 16, seed: 1 });
      return model.getWeights()[0].reduce((s, w) => s + w * w, 0);
    };
    expect(norm(0.05)).toBeLessThan(norm() / 2);
  });
});

describe("evaluate, predict and summary", () => {
  const model = classifier();
  model.fit(data.x, data.y, { epochs: 10, batchSize: 16, seed: 1 });

  it("evaluate returns the loss and each compiled metric", () => {
    const logs = model.evaluate(data.x, data.y);
    expect(Object.keys(logs)).toEqual(["loss", "accuracy"]);
    expect(logs.loss).toBeGreaterThan(0);
  });

  it("predict returns one row of class probabilities per input row", () => {
    const out = model.predict(data.x);
    expect(out).toHaveLength(200);
    for (const row of out) {
      expect(row).toHaveLength(2);
      expect(row[0] + row[1]).toBeCloseTo(1, 6);
    }
    const hits = out.filter((row, i) => (row[1] > row[0] ? 1 : 0) === data.y[i]).length;
    expect(hits / 200).toBe(model.evaluate(data.x, data.y).accuracy);
  });

  it("predict works in batches beyond the evaluation batch", () => {
    const big = separable(600, 11);
    const all = model.predict(big.x);
    expect(all.slice(590)).toEqual(model.predict(big.x.slice(590)));
  });

  it("summary lists each layer with its output shape, activation and parameters", () => {
    const lines = model.summary().split("\n");
    expect(lines[0]).toBe("input: (None, 2)");
    expect(lines[1]).toMatch(/^Layer \(type\)\s+Output Shape\s+Param #$/);
    expect(lines[3]).toMatch(/^dense \(dense, relu\)\s+\(None, 8\)\s+24$/);
    expect(lines[4]).toMatch(/^dense_1 \(dense, softmax\)\s+\(None, 2\)\s+18$/);
    expect(lines.at(-1)).toBe("Total params: 42");
  });

  it("summary counts an Activation layer with no parameters", () => {
    const s = new Sequential([Dense({ units: 3, inputShape: [4] }), Activation("tanh")]).summary();
    expect(s).toMatch(/activation \(activation, tanh\)\s+\(None, 3\)\s+0/);
    expect(s).toMatch(/Total params: 15$/);
  });
});

describe("Sequential errors", () => {
  it("rejects fit and evaluate before compile", () => {
    const model = new Sequential([Dense({ units: 2, inputShape: [2] })]);
    expect(usageError(() => model.fit(data.x, data.y))).toBe("fit: compile the model first");
    expect(usageError(() => model.evaluate(data.x, data.y))).toBe("evaluate: compile the model first");
  });

  it("rejects input of the wrong width", () => {
    const model = classifier().build(2);
    expect(usageError(() => model.predict([[1, 2, 3]]))).toBe(
      "input has 3 features per row, the model expects 2",
    );
  });

  it("rejects ragged input and non-finite values", () => {
    const model = classifier().build(2);
    expect(usageError(() => model.predict([[1, 2], [3]]))).toMatch(/row 1 has 1 values, expected 2/);
    expect(usageError(() => model.predict([[1, Number.NaN]]))).toMatch(/input row 0, column 1: not a finite/);
  });

  it("rejects targets that do not match the rows or the classes", () => {
    const model = classifier();
    expect(usageError(() => model.fit(data.x, data.y.slice(1)))).toBe("y has 199 rows, x has 200");
    expect(usageError(() => model.fit([[0, 0]], [2]))).toMatch(
      /class index 2, expected an integer in \[0, 2\)/,
    );
  });

  it("rejects a validationSplit outside (0, 1) or one that leaves a side empty", () => {
    const model = classifier();
    expect(usageError(() => model.fit(data.x, data.y, { validationSplit: 1.5 }))).toMatch(
      /validationSplit 1.5/,
    );
    expect(
      usageError(() => model.fit(data.x.slice(0, 2), data.y.slice(0, 2), { validationSplit: 0.1 })),
    ).toMatch(/leaves no rows/);
  });

  it("rejects zero epochs and a negative batch size", () => {
    expect(usageError(() => classifier().fit(data.x, data.y, { epochs: 0 }))).toMatch(/^epochs 0/);
    expect(usageError(() => classifier().fit(data.x, data.y, { batchSize: -1 }))).toMatch(/^batch size -1/);
  });

  it("rejects an unknown loss, metric or optimizer", () => {
    const model = new Sequential([Dense({ units: 2, inputShape: [2] })]);
    expect(usageError(() => model.compile({ optimizer: "adam", loss: "hinge" }))).toMatch(
      /unknown loss 'hinge'/,
    );
    expect(usageError(() => model.compile({ optimizer: "adam", loss: "mse", metrics: ["f1"] }))).toMatch(
      /unknown metric 'f1'/,
    );
    expect(usageError(() => model.compile({ optimizer: "rmsprop", loss: "mse" }))).toMatch(
      /unknown optimizer 'rmsprop'/,
    );
  });

  it("rejects adding a layer to a built model, and weights of the wrong shape", () => {
    const model = classifier().build(2);
    expect(usageError(() => model.add(Dense({ units: 2 })))).toMatch(/already built/);
    expect(usageError(() => model.setWeights([new Float32Array(16)]))).toMatch(/1 arrays, expected 4/);
    const weights = model.getWeights().map((w) => Array.from(w));
    weights[1] = [0];
    expect(usageError(() => model.setWeights(weights))).toMatch(/array 1 has 1 values, expected 8/);
  });

  it("rejects a Dense layer without a positive integer width", () => {
    expect(usageError(() => Dense({ units: 0 }))).toMatch(/units 0/);
    expect(usageError(() => Dense({ units: 2.5 }))).toMatch(/units 2.5/);
  });

  it("rejects predict before the model is built", () => {
    const model = new Sequential([Dense({ units: 2 })]);
    expect(usageError(() => model.network(1))).toMatch(/not built/);
  });
});

describe("a custom activation", () => {
  const dir = mkdtempSync(join(tmpdir(), "nn2c-seq-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => unregisterActivation("swish"));

  const register = () =>
    registerActivation(
      "swish",
      (x) => x / (1 + Math.exp(-x)),
      (x, y) => {
        const s = 1 / (1 + Math.exp(-x));
        return s + y * (1 - s);
      },
    );

  /** A model file around a trained Sequential (inputs already standardised). */
  function modelFile(seq: Sequential): ModelFile {
    return {
      format: MODEL_FORMAT,
      version: MODEL_VERSION,
      generator: "test",
      task: "classification",
      inputs: { names: ["x0", "x1"], mean: [0, 0], std: [1, 1] },
      output: { label: "y", classes: ["0", "1"] },
      layers: layerRecords(seq),
      outputs: [seq.definitionOf.output],
      training: {
        loss: "sparse_categorical_crossentropy",
        optimizer: { name: "adam", lr: 0.05 },
        epochs: 20,
        epochsRun: 20,
        batchSize: 16,
        validationSplit: 0,
        seed: 1,
        history: {},
        metrics: { train: {} },
      },
    };
  }

  it("trains, saves and loads with the activation registered", () => {
    register();
    const seq = classifier("swish");
    seq.fit(data.x, data.y, { epochs: 20, batchSize: 16, seed: 1 });
    expect(seq.evaluate(data.x, data.y).accuracy).toBeGreaterThanOrEqual(0.95);
    const file = join(dir, "swish.json");
    saveModel(file, modelFile(seq));
    const loaded = loadModel(file);
    expect(loaded.layers[0].config.activation).toBe("swish");
    expect(toModel(loaded).predict(data.x)).toEqual(seq.predict(data.x));
  });

  it("cannot be loaded without being registered: one line naming layers[k].activation", () => {
    register();
    const seq = classifier("swish").build(2);
    const file = join(dir, "unregistered.json");
    saveModel(file, modelFile(seq));
    unregisterActivation("swish");
    expect(usageError(() => loadModel(file))).toBe(
      `${file}: layers[0] 'dense': config.activation: unknown activation 'swish' (register it with registerActivation before loading)`,
    );
  });
});
