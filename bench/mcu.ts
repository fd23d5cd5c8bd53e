/**
 * `npm run bench:mcu`: what int8 models cost on the six Cortex-M cores, measured with `nn2c bench`'s
 * library function: the example models (digits, iris) and two random dense networks, 64→32→16→10
 * (small) and 784→128→64→10 (large), relu hidden layers and softmax, whole inference included.
 * Prints Markdown tables (the README's); `--json` prints one object. Instructions are executed
 * instructions counted exactly under QEMU, not cycles.
 */
import { fileURLToPath } from "node:url";
import { type BenchResult, benchModel } from "../src/bench/bench.js";
import { loadDataset } from "../src/data/dataset.js";
import { layerRecords } from "../src/model/io.js";
import { Dense } from "../src/model/layers.js";
import { trainFromCsv } from "../src/model/pipeline.js";
import { datasetSchema } from "../src/model/predict.js";
import { MODEL_FORMAT, MODEL_VERSION, type ModelFile } from "../src/model/schema.js";
import { Sequential } from "../src/model/sequential.js";
import { quantizeModel } from "../src/quant/quantize.js";
import type { QModel } from "../src/quant/schema.js";
import { Rng } from "../src/rng.js";
import { icountUnavailable } from "../src/toolchain/icount.js";
import { CORTEX_TARGET_NAMES } from "../src/toolchain/targets.js";

// this benchmark is instruction counts: without the plugin there is nothing to report
const unavailable = icountUnavailable();
if (unavailable !== undefined) {
  console.error(`bench:mcu: ${unavailable}`);
  process.exit(2);
}

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** A dense relu network with random (He) weights, as a model file. */
function randomModel(widths: number[], seed: number): ModelFile {
  const layers = widths.slice(1).map((units, k) =>
    Dense({
      units,
      activation: k === widths.length - 2 ? "softmax" : "relu",
      inputShape: k === 0 ? [widths[0]] : undefined,
    }),
  );
  const seq = new Sequential(layers).build(widths[0], seed);
  const out = widths[widths.length - 1];
  return {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    generator: "bench",
    task: "classification",
    inputs: {
      names: Array.from({ length: widths[0] }, (_, i) => `x${i}`),
      mean: Array(widths[0]).fill(0),
      std: Array(widths[0]).fill(1),
    },
    output: { label: "y", classes: Array.from({ length: out }, (_, i) => String(i)) },
    layers: layerRecords(seq),
    outputs: [seq.definitionOf.output],
    training: {
      loss: "sparse_categorical_crossentropy",
      optimizer: { name: "adam" },
      epochs: 1,
      epochsRun: 1,
      batchSize: 32,
      validationSplit: 0,
      seed,
      history: {},
      metrics: { train: {} },
    },
  };
}

function quantizeRandom(model: ModelFile, seed: number): QModel {
  const rng = new Rng(seed);
  const n = model.inputs.names.length;
  const rows = 200;
  const x = Float32Array.from({ length: rows * n }, () => rng.normal());
  return quantizeModel(model, x, rows, { precision: "int8", calibration: { method: "minmax" } });
}

function quantizeExample(name: string, flags: Parameters<typeof trainFromCsv>[0]): QModel {
  const { model } = trainFromCsv(flags);
  const train = loadDataset(here(`../examples/${name}/train.csv`), { schema: datasetSchema(model) });
  return quantizeModel(model, train.x, train.rows, { precision: "int8", calibration: { method: "minmax" } });
}

const models: [string, QModel][] = [
  ["small: 64→32→16→10, random weights", quantizeRandom(randomModel([64, 32, 16, 10], 1), 1)],
  ["large: 784→128→64→10, random weights", quantizeRandom(randomModel([784, 128, 64, 10], 2), 2)],
  [
    "examples/digits (64→32→16→10, trained)",
    quantizeExample("digits", { data: here("../examples/digits/train.csv"), seed: 0 }),
  ],
  [
    "examples/iris (4→32→16→3, trained)",
    quantizeExample("iris", {
      data: here("../examples/iris/train.csv"),
      epochs: 100,
      batchSize: 16,
      lr: 0.01,
      seed: 0,
    }),
  ],
];

const results: { model: string; targets: BenchResult[] }[] = [];
for (const [name, q] of models) {
  const targets: BenchResult[] = [];
  for (const t of CORTEX_TARGET_NAMES) targets.push(await benchModel({ kind: "quantized", model: q }, t));
  results.push({ model: name, targets });
}

if (process.argv.includes("--json")) {
  console.log(JSON.stringify({ precision: "int8", opt: "-O2", results }, null, 2));
} else {
  console.log(
    "int8, gcc -O2; instructions = executed instructions per inference (exact, QEMU), not cycles\n",
  );
  console.log(`| core | ${results.map((r) => r.model.split(":")[0].split(" (")[0]).join(" | ")} |`);
  console.log(`|---|${results.map(() => "---").join("|")}|`);
  CORTEX_TARGET_NAMES.forEach((t, i) => {
    console.log(
      `| ${t} | ${results.map((r) => `${r.targets[i].instructionsPerMac?.toFixed(2)} instr/MAC`).join(" | ")} |`,
    );
  });
  for (const r of results) {
    console.log(`\n${r.model}\n`);
    console.log("| core | flash | code | weights | RAM | stack | instructions | MACs | instr/MAC |");
    console.log("|---|---|---|---|---|---|---|---|---|");
    for (const b of r.targets) {
      console.log(
        `| ${b.target} | ${b.flashBytes} | ${b.codeBytes} | ${b.weightBytes} | ${b.ramBytes} | ${b.stackBytes} | ${b.instructions} | ${b.macs} | ${b.instructionsPerMac?.toFixed(2)} |`,
      );
    }
  }
}
