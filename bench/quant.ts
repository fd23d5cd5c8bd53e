/**
 * `npm run bench:quant`: how many test predictions int8 quantization changes, nn2c's calibration methods
 * against PyTorch's post-training static quantization, on the same float weights.
 *
 * Each example model (iris, digits, the sine regression, the motion features model) is trained as its
 * README trains it, for seeds 0 to 2. Each float model is quantized by nn2c with every calibration
 * method and by PyTorch (bench/torch_quant.py: eager mode, its default qconfig for the available engine
 * and a min/max variant; softmax, sigmoid and the regression output in float), all calibrated on the
 * training rows. Per model and method: the predictions on the test rows that differ from the float
 * model's, summed over the seeds (regression: the RMS difference from the float outputs, in label
 * units, over all seeds' rows). int16 is nn2c's alone. `--seeds N` runs seeds 0 to N - 1; `--json`
 * prints one object.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { predictedClass } from "../src/core/classes.js";
import { type Dataset, loadDataset, standardize } from "../src/data/dataset.js";
import { loadFeatures } from "../src/features/definition.js";
import { featuresCsv, readRawSamples, windowFeatures } from "../src/features/windows.js";
import { type TrainOptions, trainFromCsv } from "../src/model/pipeline.js";
import { predictModel } from "../src/model/predict.js";
import type { ModelFile } from "../src/model/schema.js";
import type { CalibrationOptions } from "../src/quant/calibrate.js";
import { quantizeModel } from "../src/quant/quantize.js";
import { predictInteger } from "../src/reference/integer.js";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const args = process.argv.slice(2);
const json = args.includes("--json");
const seedsAt = args.indexOf("--seeds");
/** seeds 0 to n - 1 (default 3) */
const SEEDS = Array.from({ length: seedsAt >= 0 ? Number(args[seedsAt + 1]) : 3 }, (_, k) => k);

const scratch = mkdtempSync(join(tmpdir(), "nn2c-bench-quant-"));

/** The motion example's feature rows, computed as its README computes them. */
function motionFeatures(): { train: string; test: string } {
  const def = loadFeatures(here("../examples/motion/motion.features.json"));
  const out = (which: string) => {
    const file = join(scratch, `motion-${which}.csv`);
    const raw = readRawSamples(def, here(`../examples/motion/${which}.csv`));
    writeFileSync(file, featuresCsv(def, windowFeatures(def, raw)));
    return file;
  };
  return { train: out("train"), test: out("test") };
}

interface Case {
  name: string;
  train: string;
  test: string;
  options: Partial<TrainOptions>;
}

const motion = motionFeatures();
const CASES: Case[] = [
  {
    name: "iris",
    train: here("../examples/iris/train.csv"),
    test: here("../examples/iris/test.csv"),
    options: { epochs: 100, batchSize: 16, lr: 0.01 },
  },
  {
    name: "digits",
    train: here("../examples/digits/train.csv"),
    test: here("../examples/digits/test.csv"),
    options: {},
  },
  {
    name: "sine",
    train: here("../examples/sine/sine.csv"),
    test: here("../examples/sine/sine-test.csv"),
    options: { layers: [16, 16], epochs: 300, lr: 0.01 },
  },
  { name: "motion", ...motion, options: {} },
];

const METHODS: Record<string, CalibrationOptions> = {
  search: { method: "search" },
  minmax: { method: "minmax" },
  percentile: { method: "percentile", percentile: 99.99 },
};

/** Outputs [rows][width] as one array. */
type Outputs = { rows: number; width: number; data: ArrayLike<number> };

/** Changed predictions (classification) or the sum of squared differences (regression) against float. */
function difference(task: ModelFile["task"], float: Outputs, q: Outputs): number {
  let n = 0;
  for (let r = 0; r < float.rows; r++) {
    if (task === "classification") {
      if (
        predictedClass(float.data, r * float.width, float.width) !==
        predictedClass(q.data, r * q.width, q.width)
      )
        n++;
    } else
      for (let j = 0; j < float.width; j++)
        n += (float.data[r * float.width + j] - q.data[r * q.width + j]) ** 2;
  }
  return n;
}

async function torchPython(): Promise<string | null> {
  for (const py of ["python3", "/usr/bin/python3"]) {
    const r = await execa(py, ["-c", "import torch"], { reject: false });
    if (r.exitCode === 0) return py;
  }
  return null;
}

/** PyTorch's quantized outputs of the model on the test rows, in the float model's output units. */
async function torchRun(python: string, model: ModelFile, train: Dataset, test: Dataset) {
  const cols = model.inputs.names.length;
  const rowsOf = (ds: Dataset) => {
    const z = standardize(ds.x, cols, model.inputs);
    return Array.from({ length: ds.rows }, (_, r) => Array.from(z.subarray(r * cols, (r + 1) * cols)));
  };
  const layers = model.layers.map((l) => {
    const w = l.weights as { kernel: number[][]; bias: number[] };
    return { weight: w.kernel, bias: w.bias, activation: (l.config as { activation: string }).activation };
  });
  const file = join(scratch, "case.json");
  writeFileSync(file, JSON.stringify({ layers, calibration: rowsOf(train), test: rowsOf(test) }));
  const { stdout } = await execa(python, [here("./torch_quant.py"), file], {
    env: { OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" },
  });
  const out = JSON.parse(stdout) as {
    engine: string;
    float: number[][];
    default: number[][];
    minmax: number[][];
  };
  // regression outputs in label units, as nn2c's
  const unit = (rows: number[][]): Outputs => {
    const { mean, std } = model.output;
    const data = rows.flat().map((v) => (model.task === "regression" ? v * std! + mean! : v));
    return { rows: rows.length, width: rows[0].length, data };
  };
  return { engine: out.engine, float: unit(out.float), default: unit(out.default), minmax: unit(out.minmax) };
}

interface Row {
  model: string;
  task: ModelFile["task"];
  testRows: number;
  floatMetric: number[];
  /** per method: changed predictions summed over the seeds, or the RMS difference (regression) */
  int8: Record<string, number>;
  int16: number;
}

const python = await torchPython();
let engine: string | null = null;
const rows: Row[] = [];
try {
  for (const c of CASES) {
    const train = loadDataset(c.train);
    const test = loadDataset(c.test);
    const sums: Record<string, number> = {};
    let int16 = 0;
    const floatMetric: number[] = [];
    let task: ModelFile["task"] = "classification";
    for (const seed of SEEDS) {
      const r = trainFromCsv({ data: c.train, test: c.test, seed, ...c.options });
      const model = r.model;
      task = model.task;
      floatMetric.push(r.test && "accuracy" in r.test ? r.test.accuracy : r.test ? r.test.rmse : Number.NaN);
      const f = predictModel(model, { rows: test.rows, cols: test.cols, data: test.x });
      const float: Outputs = { rows: test.rows, width: f.cols, data: f.data };
      const add = (method: string, q: Outputs) => {
        sums[method] = (sums[method] ?? 0) + difference(task, float, q);
      };
      for (const [method, calibration] of Object.entries(METHODS)) {
        const q = quantizeModel(model, train.x, train.rows, { precision: "int8", calibration });
        const p = predictInteger(q, test.x, test.rows);
        add(method, { rows: test.rows, width: p.outputs, data: p.values });
      }
      const q16 = quantizeModel(model, train.x, train.rows, {
        precision: "int16",
        calibration: { method: "minmax" },
      });
      const p16 = predictInteger(q16, test.x, test.rows);
      int16 += difference(task, float, { rows: test.rows, width: p16.outputs, data: p16.values });
      if (python) {
        const t = await torchRun(python, model, train, test);
        engine = t.engine;
        // PyTorch's changes against its own float forward of the same weights
        for (const [method, q] of [
          ["torch default", t.default],
          ["torch minmax", t.minmax],
        ] as const)
          sums[method] = (sums[method] ?? 0) + difference(task, t.float, q);
      }
    }
    const n = test.rows * SEEDS.length;
    const int8 = Object.fromEntries(
      Object.entries(sums).map(([k, v]) => [
        k,
        task === "regression" ? Number(Math.sqrt(v / n).toPrecision(4)) : v,
      ]),
    );
    rows.push({
      model: c.name,
      task,
      testRows: test.rows,
      floatMetric: floatMetric.map((v) => Number(v.toPrecision(4))),
      int8,
      int16: task === "regression" ? Number(Math.sqrt(int16 / n).toPrecision(4)) : int16,
    });
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const methods = [...Object.keys(METHODS), ...(python ? ["torch default", "torch minmax"] : [])];
if (json) {
  console.log(JSON.stringify({ seeds: SEEDS, engine, methods, models: rows }, null, 2));
} else {
  console.log(
    `int8 test predictions changed from float, summed over seeds ${SEEDS.join(", ")} (regression: RMS difference in label units)`,
  );
  console.log(
    python ? `PyTorch engine: ${engine}\n` : "PyTorch not found: install python3-torch to compare\n",
  );
  const head = ["model", "float", ...methods, "int16"];
  const table = rows.map((r) => [
    `${r.model} (${r.testRows} rows)`,
    r.floatMetric.join(" "),
    ...methods.map((m) => String(r.int8[m])),
    String(r.int16),
  ]);
  const all = [head, ...table];
  const w = head.map((_, c) => Math.max(...all.map((r) => r[c].length)));
  for (const r of all)
    console.log(r.map((cell, c) => (c < 2 ? cell.padEnd(w[c]) : cell.padStart(w[c]))).join("  "));
}
