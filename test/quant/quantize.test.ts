/**
 * Post-training quantization (src/quant/quantize.ts) on models trained on iris and models built by hand:
 * tensor ranges, the op each activation becomes (fused clamps, leaky multipliers, tables, integer
 * softmax, --argmax), the tables' deduplication and reported errors, per-op errors, a registered
 * activation, determinism, and every rejection (a UsageError of one line naming the file and the layer).
 */
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { registerActivation, unregisterActivation } from "../../src/core/activations.js";
import { loadDataset } from "../../src/data/dataset.js";
import { UsageError } from "../../src/errors.js";
import { trainFromCsv } from "../../src/model/pipeline.js";
import type { ModelFile } from "../../src/model/schema.js";
import type { ActivationQOp } from "../../src/ops/activation/quant.js";
import type { DenseQOp } from "../../src/ops/dense/quant.js";
import { searchRange } from "../../src/quant/calibrate.js";
import { roundHalfAwayFromZero } from "../../src/quant/fixedpoint.js";
import { parseQModel, serializeQModel } from "../../src/quant/io.js";
import { measureTableError, type TableS8, type TableS16 } from "../../src/quant/lut.js";
import { type QuantizeOptions, quantizeModel, rangeQuant } from "../../src/quant/quantize.js";
import { CODE_RANGE, type Precision, type QModel, tensorOf } from "../../src/quant/schema.js";
import { Rng } from "../../src/rng.js";
import { usageError } from "../usage.js";
import { dense, modelFile, randomDense } from "./models.js";

const IRIS_TRAIN = fileURLToPath(new URL("../../examples/iris/train.csv", import.meta.url));
const FILE = "cal.csv";
const PRECISIONS: Precision[] = ["int8", "int16"];
const iris = loadDataset(IRIS_TRAIN);
const IRIS_NAMES = iris.featureNames;
const IRIS_CLASSES = iris.classes;

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const swish = (x: number) => x * sigmoid(x);

function quantize(model: ModelFile, precision: Precision, options: Partial<QuantizeOptions> = {}): QModel {
  return quantizeModel(
    model,
    iris.x,
    iris.rows,
    { precision, calibration: { method: "minmax" }, ...options },
    FILE,
  );
}

function train(activation: string, layers: number[], alpha?: number): ModelFile {
  return trainFromCsv({ data: IRIS_TRAIN, layers, activation, alpha, epochs: 30, batchSize: 16, lr: 0.01 })
    .model;
}

/** [kind, activation] of every op. */
const shape = (q: QModel) => q.ops.map((op) => [op.kind, op.activation]);
const denseOps = (q: QModel) => q.ops.filter((op) => op.kind === "dense") as unknown as DenseQOp[];
const activationOps = (q: QModel) =>
  q.ops.filter((op) => op.kind === "activation") as unknown as ActivationQOp[];
/** The quantization of a tensor of the program. */
const quantOf = (q: QModel, tensor: string) => {
  const { scale, zeroPoint } = tensorOf(q, tensor);
  return { scale, zeroPoint };
};
const inQ = (q: QModel, op: { inputs: string[] }) => quantOf(q, op.inputs[0]);
const outQ = (q: QModel, op: { output: string }) => quantOf(q, op.output);

const models: Record<string, ModelFile> = {};
beforeAll(() => {
  models.relu = train("relu", [8, 6]);
  models.leaky = train("leaky_relu", [8], 0.1);
  models.sigmoid = train("sigmoid", [8, 6]);
  models.tanh = train("tanh", [8]);
});

afterEach(() => {
  for (const name of ["swish", "root", "blowup"]) unregisterActivation(name);
});

describe("rangeQuant", () => {
  it("int8: asymmetric over the range widened to include 0", () => {
    const scale = Math.fround(4 / 255);
    expect(rangeQuant(-1, 3, "int8", "t")).toEqual({ scale, zeroPoint: Math.round(-128 + 1 / scale) });
    expect(rangeQuant(-1, 3, "int8", "t").zeroPoint).toBe(-64);
    expect(rangeQuant(2, 5, "int8", "t")).toEqual(rangeQuant(0, 5, "int8", "t"));
    expect(rangeQuant(0, 5, "int8", "t").zeroPoint).toBe(-128);
    expect(rangeQuant(-5, -2, "int8", "t").zeroPoint).toBe(127);
  });

  it("int16: symmetric, zero point 0, scale max|range| / 32767", () => {
    expect(rangeQuant(-1, 3, "int16", "t")).toEqual({ scale: Math.fround(3 / 32767), zeroPoint: 0 });
    expect(rangeQuant(-4, 1, "int16", "t")).toEqual({ scale: Math.fround(4 / 32767), zeroPoint: 0 });
  });

  it("rejects a zero or infinite range, naming the tensor", () => {
    for (const precision of PRECISIONS) {
      expect(usageError(() => rangeQuant(0, 0, precision, "x.csv: the input"))).toBe(
        "x.csv: the input: the calibration rows give a zero range (every value is 0): use more varied calibration rows",
      );
      expect(() => rangeQuant(0, Number.POSITIVE_INFINITY, precision, "t")).toThrow(UsageError);
    }
  });
});

describe("quantizeModel: the op each activation becomes", () => {
  it("fuses relu into its dense layer as a lower clamp at the output zero point", () => {
    for (const precision of PRECISIONS) {
      const q = quantize(models.relu, precision);
      const { lo, hi } = CODE_RANGE[precision];
      expect(shape(q)).toEqual([
        ["dense", "relu"],
        ["dense", "relu"],
        ["dense", "linear"],
        ["activation", "softmax"],
      ]);
      const [a, b, logits] = denseOps(q);
      for (const op of [a, b]) {
        expect(op.clampLo).toBe(outQ(q, op).zeroPoint);
        expect(op.clampHi).toBe(hi);
        expect(outQ(q, op).zeroPoint).toBe(precision === "int8" ? -128 : 0); // relu outputs start at 0
      }
      expect([logits.clampLo, logits.clampHi]).toEqual([lo, hi]);
      expect(a.inputs).toEqual(["input"]);
      expect(b.inputs).toEqual([a.output]);
    }
  });

  it("fuses relu6 as an upper clamp at the code of 6 when the range reaches beyond 6", () => {
    // weights large enough that most pre-activations of the standardised iris rows pass 6
    const model = modelFile({
      names: IRIS_NAMES,
      classes: IRIS_CLASSES,
      layers: [randomDense(new Rng(3), 4, 8, "relu6", 4), randomDense(new Rng(4), 8, 3, "softmax")],
    });
    const cases: [Precision, number | undefined][] = [
      ["int16", undefined], // default margin 4: the range runs to 24
      ["int8", 2],
    ];
    for (const [precision, rangeMargin] of cases) {
      const q = quantize(model, precision, { rangeMargin });
      const op = denseOps(q)[0];
      expect(op.activation).toBe("relu6");
      const { scale, zeroPoint } = outQ(q, op);
      expect(op.clampLo).toBe(zeroPoint);
      expect(op.clampHi).toBe(zeroPoint + roundHalfAwayFromZero(6 / scale));
      expect(op.clampHi).toBeLessThan(CODE_RANGE[precision].hi);
      expect(Math.abs(scale * (op.clampHi - zeroPoint) - 6)).toBeLessThanOrEqual(scale / 2);
    }
    // int8 with the calibrated range [0, 6]: 6 is the top code, saturation is the clamp
    expect(denseOps(quantize(model, "int8"))[0].clampHi).toBe(127);
  });

  it("gives leaky relu a second multiplier, alpha times the first, for negative accumulators", () => {
    for (const precision of PRECISIONS) {
      const q = quantize(models.leaky, precision);
      expect(shape(q)).toEqual([
        ["dense", "leaky_relu"],
        ["dense", "linear"],
        ["activation", "softmax"],
      ]);
      const op = denseOps(q)[0];
      expect(op.negMult).toHaveLength(8);
      expect(op.negShift).toHaveLength(8);
      expect([op.clampLo, op.clampHi]).toEqual([CODE_RANGE[precision].lo, CODE_RANGE[precision].hi]);
      const bits = op.accumulator === "s32" ? 31 : 16;
      for (let o = 0; o < 8; o++) {
        const pos = op.mult[o] * 2 ** (op.shift[o] - bits);
        const neg = op.negMult![o] * 2 ** (op.negShift![o] - bits);
        expect(neg / pos).toBeCloseTo(0.1, bits === 31 ? 8 : 4);
      }
      expect(denseOps(q)[1].negMult).toBeUndefined();
    }
  });

  it("makes sigmoid and tanh table ops with their fixed output quantization", () => {
    const fixed = {
      sigmoid: { int8: { scale: 1 / 256, zeroPoint: -128 }, int16: { scale: 1 / 32768, zeroPoint: 0 } },
      tanh: { int8: { scale: 1 / 128, zeroPoint: 0 }, int16: { scale: 1 / 32768, zeroPoint: 0 } },
    };
    for (const precision of PRECISIONS) {
      const sig = quantize(models.sigmoid, precision);
      expect(shape(sig)).toEqual([
        ["dense", "linear"],
        ["activation", "sigmoid"],
        ["dense", "linear"],
        ["activation", "sigmoid"],
        ["dense", "linear"],
        ["activation", "softmax"],
      ]);
      const tanh = quantize(models.tanh, precision);
      expect(shape(tanh)).toEqual([
        ["dense", "linear"],
        ["activation", "tanh"],
        ["dense", "linear"],
        ["activation", "softmax"],
      ]);
      for (const q of [sig, tanh]) {
        q.ops.forEach((op, j) => {
          if (op.kind !== "activation" || op.activation === "softmax") return;
          expect(outQ(q, op)).toEqual(fixed[op.activation as "sigmoid" | "tanh"][precision]);
          expect(op.inputs).toEqual([q.ops[j - 1].output]);
          expect(tensorOf(q, op.output).shape).toEqual([(q.ops[j - 1] as unknown as DenseQOp).units]);
          expect(q.tables[op.table as number].kind).toBe(precision === "int8" ? "table_s8" : "table_s16");
          expect(q.ops[j + 1].inputs).toEqual([op.output]);
        });
      }
    }
  });

  it("ends a classifier with an integer softmax: int8 scale 1/256 zero point -128, int16 1/32768 zero point 0", () => {
    const expected = { int8: { scale: 1 / 256, zeroPoint: -128 }, int16: { scale: 1 / 32768, zeroPoint: 0 } };
    for (const precision of PRECISIONS) {
      const q = quantize(models.relu, precision);
      const last = q.ops[q.ops.length - 1] as unknown as ActivationQOp;
      expect([last.kind, last.activation]).toEqual(["activation", "softmax"]);
      expect(outQ(q, last)).toEqual(expected[precision]);
      expect(quantOf(q, q.outputs[0])).toEqual(expected[precision]);
      expect(q.output.kind).toBe("probabilities");
      const table = q.tables[last.table];
      expect(table.kind).toBe(precision === "int8" ? "softmax_s8" : "softmax_s16");
      expect(table.kind === "softmax_s8" || table.kind === "softmax_s16" ? table.inputScale : 0).toBe(
        inQ(q, last).scale,
      );
    }
  });

  it("--argmax drops the softmax and its table: the same ops up to the logits", () => {
    for (const precision of PRECISIONS) {
      const full = quantize(models.relu, precision);
      const q = quantize(models.relu, precision, { argmax: true });
      expect(q.ops).toEqual(full.ops.slice(0, -1));
      expect(q.output.kind).toBe("logits");
      expect(q.outputs).toEqual([q.ops[q.ops.length - 1].output]);
      expect(q.tables).toEqual([]);
      expect(q.layerErrors).toEqual(full.layerErrors.slice(0, -1));
    }
  });

  it("--argmax needs a classifier that ends in softmax", () => {
    const regression = modelFile({ names: IRIS_NAMES, layers: [randomDense(new Rng(1), 4, 1)] });
    const binary = modelFile({
      names: IRIS_NAMES,
      classes: ["no", "yes"],
      layers: [randomDense(new Rng(1), 4, 1, "sigmoid")],
    });
    for (const model of [regression, binary]) {
      expect(usageError(() => quantize(model, "int8", { argmax: true }))).toBe(
        "--argmax needs a classifier whose last layer is softmax",
      );
    }
  });
});

describe("quantizeModel: tables and reported errors", () => {
  it("lists every activation table once in luts, with entries, bytes and its error against Math.exp", () => {
    for (const precision of PRECISIONS) {
      const q = quantize(models.sigmoid, precision);
      const tableOps = activationOps(q).filter((op) => op.activation !== "softmax");
      expect(new Set(tableOps.map((op) => op.table)).size).toBe(2); // different input quantizations
      const activationLuts = q.luts.filter((l) => l.activation !== "softmax(exp)");
      expect(activationLuts.map((l) => l.table).sort()).toEqual(tableOps.map((op) => op.table).sort());
      for (const lut of activationLuts) {
        const table = q.tables[lut.table] as TableS8 | TableS16;
        expect(lut.activation).toBe("sigmoid");
        const measured = measureTableError(table, sigmoid);
        expect(lut.maxErrorLsb).toBeCloseTo(measured.maxErrorLsb, 9);
        expect(lut.meanErrorLsb).toBeCloseTo(measured.meanErrorLsb, 9);
        expect(lut.entries).toBe(table.entries.length);
        expect(lut.bytes).toBe(precision === "int8" ? 256 : 2 * lut.entries);
        expect(lut.maxErrorLsb).toBeLessThanOrEqual(precision === "int8" ? 0.5 + 1e-9 : 1);
        expect(lut.meanErrorLsb).toBeGreaterThanOrEqual(0);
        expect(lut.meanErrorLsb).toBeLessThanOrEqual(lut.maxErrorLsb);
      }
    }
  });

  it("stores identical tables once: two sigmoid layers with the same input quantization share one table", () => {
    // layers[0]: z = x over x in [-4, 4]; layers[1]: two units, constantly 4 and -4, so its
    // pre-activation range is [-4, 4] as well and both sigmoids get the same input quantization
    const model = modelFile({
      names: ["x"],
      layers: [dense([[1]], [0], "sigmoid"), dense([[0], [0]], [4, -4], "sigmoid"), dense([[1, 1]], [0])],
    });
    const x = Float32Array.from({ length: 17 }, (_, i) => i / 2 - 4);
    for (const precision of PRECISIONS) {
      const q = quantizeModel(model, x, x.length, { precision, calibration: { method: "minmax" } });
      const tableOps = activationOps(q);
      expect(tableOps).toHaveLength(2);
      expect(inQ(q, tableOps[0])).toEqual(inQ(q, tableOps[1]));
      expect(tableOps.map((op) => op.table)).toEqual([0, 0]);
      expect(q.tables).toHaveLength(1);
      expect(q.luts).toHaveLength(1);
    }
  });

  it("reports per-op errors on the calibration rows for every op", () => {
    for (const precision of PRECISIONS) {
      const relu = quantize(models.relu, precision);
      expect(relu.layerErrors.map((e) => [e.op, e.name])).toEqual([
        [0, "dense dense+relu"],
        [1, "dense_1 dense+relu"],
        [2, "dense_2 dense"],
        [3, "dense_2 softmax"],
      ]);
      const sig = quantize(models.sigmoid, precision);
      expect(sig.layerErrors.map((e) => e.name)).toEqual([
        "dense dense",
        "dense sigmoid",
        "dense_1 dense",
        "dense_1 sigmoid",
        "dense_2 dense",
        "dense_2 softmax",
      ]);
      for (const q of [relu, sig]) {
        q.layerErrors.forEach((e, j) => {
          expect(e.maxAbsError).toBeGreaterThan(0);
          expect(e.rmsError).toBeLessThanOrEqual(e.maxAbsError);
          expect(e.maxErrorLsb).toBeCloseTo(e.maxAbsError / outQ(q, q.ops[j]).scale, 3);
        });
        // the first op sees only the input's and its own rounding: a few output steps at most
        expect(q.layerErrors[0].maxErrorLsb).toBeLessThan(precision === "int8" ? 4 : 64);
      }
    }
  });

  it("tabulates a registered activation (swish), sizes its output range and reports its error", () => {
    registerActivation("swish", swish, (x, y) => y + sigmoid(x) * (1 - y));
    const model = trainFromCsv({
      data: IRIS_TRAIN,
      layers: [6],
      activation: "swish",
      epochs: 30,
      lr: 0.01,
    }).model;
    for (const precision of PRECISIONS) {
      const q = quantize(model, precision);
      expect(shape(q)).toEqual([
        ["dense", "linear"],
        ["activation", "swish"],
        ["dense", "linear"],
        ["activation", "softmax"],
      ]);
      const op = q.ops[1] as unknown as ActivationQOp;
      const table = q.tables[op.table] as TableS8 | TableS16;
      expect(q.luts.filter((l) => l.activation !== "softmax(exp)")).toEqual([
        { table: op.table, activation: "swish", ...measureTableError(table, swish) },
      ]);
      expect(q.luts[0].maxErrorLsb).toBeLessThanOrEqual(precision === "int8" ? 0.5 + 1e-9 : 1.5);
      expect(q.layerErrors[1].name).toBe("dense swish");
      // the output range holds swish over every input code (within half an output step)
      const { lo, hi } = CODE_RANGE[precision];
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (let c = lo; c <= hi; c++) {
        const y = swish(inQ(q, op).scale * (c - inQ(q, op).zeroPoint));
        min = Math.min(min, y);
        max = Math.max(max, y);
      }
      const out = outQ(q, op);
      const half = out.scale / 2;
      expect(out.scale * (lo - out.zeroPoint)).toBeLessThanOrEqual(min + half);
      expect(out.scale * (hi - out.zeroPoint)).toBeGreaterThanOrEqual(max - half);
    }
  });
});

describe("quantizeModel: determinism and the file format", () => {
  it("gives byte-identical quantized models for the same model, rows and options", () => {
    for (const precision of PRECISIONS) {
      for (const model of [models.relu, models.sigmoid]) {
        expect(serializeQModel(quantize(model, precision))).toBe(serializeQModel(quantize(model, precision)));
      }
    }
  });

  it("writes what the schema reads back unchanged", () => {
    for (const precision of PRECISIONS) {
      for (const model of [models.relu, models.leaky, models.sigmoid, models.tanh]) {
        const text = serializeQModel(quantize(model, precision));
        expect(parseQModel(JSON.parse(text), "q.json")).toEqual(JSON.parse(text));
      }
    }
  });

  it("records the calibration; percentiles give ranges no wider than min/max", () => {
    const minmax = quantize(models.relu, "int8");
    const pct = quantize(models.relu, "int8", { calibration: { method: "percentile", percentile: 99 } });
    expect(minmax.calibration).toEqual(
      expect.objectContaining({ rows: iris.rows, method: "minmax", percentile: undefined }),
    );
    expect(pct.calibration).toEqual(
      expect.objectContaining({ rows: iris.rows, method: "percentile", percentile: 99 }),
    );
    expect(quantOf(pct, "input").scale).toBeLessThanOrEqual(quantOf(minmax, "input").scale);
    expect(quantOf(pct, "input").scale).toBeGreaterThan(0);
  });
});

describe("calibration by search", () => {
  /** The squared error of rounding v to the int8 grid over [lo, hi] (clipped outside). */
  function gridError(v: Float32Array, lo: number, hi: number): number {
    const step = (hi - lo) / 255;
    let e = 0;
    for (const x of v) {
      const q = Math.min(255, Math.max(0, Math.round((x - lo) / step)));
      e += (lo + q * step - x) ** 2;
    }
    return e;
  }

  it("clips the tails of normal values, keeps the range of uniform ones, and beats min/max on its own measure", () => {
    const rng = new Rng(3);
    const normal = Float32Array.from({ length: 20000 }, () => {
      const u = rng.uniform(1e-12, 1);
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
    });
    const lo = Math.min(...normal);
    const hi = Math.max(...normal);
    const [a, b] = searchRange(normal, 256);
    expect(a).toBeGreaterThan(lo);
    expect(b).toBeLessThan(hi);
    expect(gridError(normal, a, b)).toBeLessThan(gridError(normal, lo, hi));
    const uniform = Float32Array.from({ length: 5000 }, () => rng.uniform(-1, 3));
    const [c, d] = searchRange(uniform, 256);
    expect(c).toBeLessThan(-0.97);
    expect(d).toBeGreaterThan(2.97);
  });

  it("records the method and only clips: every tensor's scale at most min/max's", () => {
    for (const model of [models.relu, models.tanh]) {
      const search = quantize(model, "int8", { calibration: { method: "search" } });
      const minmax = quantize(model, "int8");
      expect(search.calibration?.method).toBe("search");
      search.tensors.forEach((t, i) => {
        expect(t.name).toBe(minmax.tensors[i].name);
        expect(t.scale, t.name).toBeLessThanOrEqual(minmax.tensors[i].scale);
      });
      expect(search.tensors.some((t, i) => t.scale < minmax.tensors[i].scale)).toBe(true);
    }
  });
});

describe("quantizeModel rejects", () => {
  it("fewer than 10 calibration rows, naming the file", () => {
    expect(
      usageError(() =>
        quantizeModel(models.relu, iris.x, 9, { precision: "int8", calibration: { method: "minmax" } }, FILE),
      ),
    ).toBe(`${FILE}: 9 rows; calibration needs at least 10 representative rows`);
  });

  it("rows that hold one value in a column where the training data varied, naming the column", () => {
    const atMean = Float32Array.from({ length: 12 * 4 }, (_, i) => models.relu.inputs.mean[i % 4]);
    const message = usageError(() =>
      quantizeModel(models.relu, atMean, 12, { precision: "int16", calibration: { method: "minmax" } }, FILE),
    );
    const { names, mean, std } = models.relu.inputs;
    const [head, tail] = message.split(" in all 12 rows, ");
    expect(head).toMatch(new RegExp(`^${FILE}: column '${names[0]}' holds [\\d.]+$`));
    expect(Math.fround(Number(head.split(" holds ")[1]))).toBe(Math.fround(mean[0]));
    expect(tail).toBe(
      `where the training data varied (mean ${mean[0].toPrecision(4)}, std ${std[0].toPrecision(4)}): calibration rows must vary as the data the model will see`,
    );
  });

  it("accepts a column constant in training and calibration alike (std 1 around that value)", () => {
    const model = {
      ...models.relu,
      inputs: { ...models.relu.inputs, std: [1, ...models.relu.inputs.std.slice(1)] },
    };
    const x = Float32Array.from(iris.x);
    for (let r = 0; r < iris.rows; r++) x[r * 4] = model.inputs.mean[0];
    expect(() => quantizeModel(model, x, iris.rows, { precision: "int8" })).not.toThrow();
  });

  it("a layer whose every unit is dead on the calibration rows: a zero output range, naming the layer", () => {
    const model = modelFile({
      names: IRIS_NAMES,
      classes: IRIS_CLASSES,
      layers: [
        dense(
          [
            [0, 0, 0, 0],
            [0.01, 0, 0, 0],
          ],
          [-1, -1],
          "relu",
        ),
        randomDense(new Rng(2), 2, 3, "softmax"),
      ],
    });
    expect(usageError(() => quantize(model, "int8"))).toMatch(
      /^cal\.csv: output of layer 'dense' \(dense 2 units, relu\): the calibration rows give a zero range/,
    );
  });

  it("an activation that is NaN or infinite somewhere on the input range, naming the layer", () => {
    registerActivation("root", Math.sqrt, (_x, y) => 0.5 / y); // NaN below 0
    registerActivation(
      "blowup",
      (x) => Math.exp(1000 * x),
      (_x, y) => 1000 * y,
    ); // Infinity above 0.71
    const rng = new Rng(5);
    for (const precision of PRECISIONS) {
      for (const activation of ["root", "blowup"]) {
        const inLayer = modelFile({
          names: IRIS_NAMES,
          classes: IRIS_CLASSES,
          layers: [randomDense(rng, 4, 5, activation), randomDense(rng, 5, 3, "softmax")],
        });
        expect(usageError(() => quantize(inLayer, precision))).toMatch(
          new RegExp(
            `^cal\\.csv: layer 'dense' \\(activation ${activation}\\): f\\(.*\\) = (NaN|Infinity): cannot be tabulated`,
          ),
        );
        const separate = modelFile({
          names: IRIS_NAMES,
          classes: IRIS_CLASSES,
          layers: [
            randomDense(rng, 4, 5),
            { kind: "activation", activation },
            randomDense(rng, 5, 3, "softmax"),
          ],
        });
        expect(usageError(() => quantize(separate, precision))).toMatch(
          new RegExp(`^cal\\.csv: layer 'activation' \\(activation ${activation}\\): .*cannot be tabulated`),
        );
      }
    }
  });

  it("a range margin below 1", () => {
    expect(usageError(() => quantize(models.relu, "int8", { rangeMargin: 0.5 }))).toBe(
      "range margin 0.5: expected a number >= 1",
    );
  });
});
