/**
 * `npm run bench:mcu`: what int8 models cost on the six Cortex-M cores, measured with `nn2c bench`'s
 * library function:
 *   - the layers of the fast-kernel issue (bench/layers.ts) on every core, instructions per MAC (per
 *     output element for pooling) of the op alone, beside CMSIS-NN's figures on M0, M4 and M55 and
 *     the ratio the issue asks for (at most 0.75, pooling 0.5);
 *   - whole convolutional models on M0, M4 and M55, with the instructions of each op: the conv2d and
 *     conv1d presets (digits 8×8×1, motion 100×3, random weights) and MLPerf Tiny's keyword spotter and
 *     person detector (imported from test/fixtures/mlperf-tiny);
 *   - the dense models: the example models (digits, iris) and two random dense networks, 64→32→16→10
 *     (small) and 784→128→64→10 (large), relu hidden layers and softmax, whole inference included.
 * Prints Markdown tables (the README's); `--json` prints one object; `--only layers|conv|dense` runs one
 * part. Instructions are executed instructions counted exactly under QEMU, not cycles.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type BenchResult, benchModel } from "../src/bench/bench.js";
import { loadDataset } from "../src/data/dataset.js";
import { importModel } from "../src/import/index.js";
import { Dense, type Layer } from "../src/model/layers.js";
import { trainFromCsv } from "../src/model/pipeline.js";
import { datasetSchema } from "../src/model/predict.js";
import { presetLayers } from "../src/model/presets.js";
import type { ModelFile } from "../src/model/schema.js";
import { Sequential } from "../src/model/sequential.js";
import { quantizeModel } from "../src/quant/quantize.js";
import type { QModel } from "../src/quant/schema.js";
import { Rng } from "../src/rng.js";
import { icountUnavailable } from "../src/toolchain/icount.js";
import { CORTEX_TARGET_NAMES } from "../src/toolchain/targets.js";
import { benchModelFile, LAYER_CASES, quantizeLayers, targetRatio } from "./layers.js";

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
  return benchModelFile(seq, [widths[0]], seed, widths[widths.length - 1]);
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

const json = process.argv.includes("--json");
const onlyAt = process.argv.indexOf("--only");
const only = onlyAt > 0 ? process.argv[onlyAt + 1] : undefined;
const part = (name: string) => only === undefined || only === name;
const log = (line = "") => {
  if (!json) console.log(line);
};
const progress = (s: string) => process.stderr.write(`${s}\n`);
const MAIN_CORES = ["cortex-m0", "cortex-m4", "cortex-m55"] as const;

// ---- the layers, beside CMSIS-NN
interface LayerRow {
  layer: string;
  per: "MAC" | "output";
  /** the issue's largest ratio to CMSIS-NN */
  target: number;
  cores: {
    target: string;
    value: number;
    cmsis: number | null;
    ratio: number | null;
    scratchBytes: number;
  }[];
}
const layerRows: LayerRow[] = [];
if (part("layers")) {
  for (const c of LAYER_CASES) {
    progress(`bench:mcu: ${c.name}`);
    const q = quantizeLayers([c.layer()], c.input, 1);
    const cores: LayerRow["cores"] = [];
    for (const t of CORTEX_TARGET_NAMES) {
      const b = await benchModel({ kind: "quantized", model: q }, t);
      const op = b.layers[0];
      const per = c.perOutput ? op.output.reduce((a, d) => a * d, 1) : op.macs;
      const value = (op.instructions ?? Number.NaN) / per;
      const cmsis = (c.cmsis as Record<string, number>)[t] ?? null;
      cores.push({
        target: t,
        value,
        cmsis,
        ratio: cmsis === null ? null : value / cmsis,
        scratchBytes: op.scratchBytes,
      });
    }
    layerRows.push({ layer: c.name, per: c.perOutput ? "output" : "MAC", target: targetRatio(c), cores });
  }
  log("Layers: instructions per MAC (per output element for pooling) of the op, int8, gcc -O2; in");
  log("brackets CMSIS-NN's figure and nn2c's ratio to it (target: at most 0.75, pooling 0.5)\n");
  log(`| layer | ${CORTEX_TARGET_NAMES.join(" | ")} | scratch |`);
  log(`|---|${CORTEX_TARGET_NAMES.map(() => "---").join("|")}|---|`);
  for (const r of layerRows) {
    const cells = r.cores.map((c) =>
      c.cmsis === null
        ? c.value.toFixed(2)
        : `${c.value.toFixed(2)} (${c.cmsis}: ${c.ratio!.toFixed(2)}${c.ratio! <= r.target ? "" : " ✗"})`,
    );
    log(`| ${r.layer} | ${cells.join(" | ")} | ${r.cores[0].scratchBytes} B |`);
  }
  log();
}

// ---- whole convolutional models, per op
interface ModelRow {
  model: string;
  targets: BenchResult[];
}
const FIXTURES = fileURLToPath(new URL("../test/fixtures/mlperf-tiny/", import.meta.url));
async function importedProgram(file: string): Promise<QModel> {
  const r = await importModel(`${FIXTURES}${file}`, readFileSync(`${FIXTURES}${file}`));
  if (r.kind !== "quantized") throw new Error(`${file}: expected an int8 program`);
  return r.model;
}
const presetModel = (name: "conv1d" | "conv2d", input: number[], classes: number): QModel => {
  const layers: Layer[] = [...presetLayers(name, input), Dense({ units: classes, activation: "softmax" })];
  return quantizeLayers(layers, input, 3);
};
const convRows: ModelRow[] = [];
let osCode: number | null = null;
if (part("conv")) {
  const convModels: [string, () => Promise<QModel>][] = [
    ["conv2d preset on digits 8×8×1 (random weights)", async () => presetModel("conv2d", [8, 8, 1], 10)],
    ["conv1d preset on motion 100×3 (random weights)", async () => presetModel("conv1d", [100, 3], 4)],
    ["MLPerf Tiny keyword spotter (kws_ref_model.tflite)", () => importedProgram("kws_ref_model.tflite")],
    ["MLPerf Tiny person detector (vww_96_int8.tflite)", () => importedProgram("vww_96_int8.tflite")],
  ];
  for (const [name, make] of convModels) {
    progress(`bench:mcu: ${name}`);
    const q = await make();
    const targets: BenchResult[] = [];
    for (const t of MAIN_CORES) targets.push(await benchModel({ kind: "quantized", model: q }, t));
    convRows.push({ model: name, targets });
  }
  // the code a Conv1D model takes at -Os (the issue: at most 3 KB on the Cortex-M4)
  const small = await benchModel(
    { kind: "quantized", model: presetModel("conv1d", [100, 3], 4) },
    "cortex-m4",
    {
      opt: "-Os",
    },
  );
  log(
    `conv1d preset on a Cortex-M4 at -Os: ${small.codeBytes} bytes of code besides ${small.weightBytes} of weights\n`,
  );
  osCode = small.codeBytes;
  for (const r of convRows) {
    log(`${r.model}\n`);
    log("| core | board | instructions | MACs | instr/MAC | arena | flash | code |");
    log("|---|---|---|---|---|---|---|---|");
    for (const b of r.targets)
      log(
        `| ${b.target} | ${b.board} | ${b.instructions} | ${b.macs} | ${b.instructionsPerMac?.toFixed(2)} | ${b.arenaBytes} | ${b.flashBytes} | ${b.codeBytes} |`,
      );
    log();
    log(`| op | MACs | ${r.targets.map((b) => `${b.target} instructions (per MAC)`).join(" | ")} |`);
    log(`|---|---|${r.targets.map(() => "---").join("|")}|`);
    r.targets[0].layers.forEach((op, k) => {
      const cells = r.targets.map((b) => {
        const n = b.layers[k].instructions;
        return n === null ? "–" : op.macs > 0 ? `${n} (${(n / op.macs).toFixed(2)})` : `${n}`;
      });
      log(`| ${op.name} | ${op.macs} | ${cells.join(" | ")} |`);
    });
    log();
  }
}

// ---- the dense models
const results: { model: string; targets: BenchResult[] }[] = [];
if (part("dense")) {
  const models: [string, () => QModel][] = [
    ["small: 64→32→16→10, random weights", () => quantizeRandom(randomModel([64, 32, 16, 10], 1), 1)],
    ["large: 784→128→64→10, random weights", () => quantizeRandom(randomModel([784, 128, 64, 10], 2), 2)],
    [
      "examples/digits (64→32→16→10, trained)",
      () => quantizeExample("digits", { data: here("../examples/digits/train.csv"), seed: 0 }),
    ],
    [
      "examples/iris (4→32→16→3, trained)",
      () =>
        quantizeExample("iris", {
          data: here("../examples/iris/train.csv"),
          epochs: 100,
          batchSize: 16,
          lr: 0.01,
          seed: 0,
        }),
    ],
  ];
  for (const [name, make] of models) {
    progress(`bench:mcu: ${name}`);
    const q = make();
    const targets: BenchResult[] = [];
    for (const t of CORTEX_TARGET_NAMES) targets.push(await benchModel({ kind: "quantized", model: q }, t));
    results.push({ model: name, targets });
  }
  log(
    "Dense models: int8, gcc -O2; instructions = executed instructions per inference (exact, QEMU), not cycles\n",
  );
  log(`| core | ${results.map((r) => r.model.split(":")[0].split(" (")[0]).join(" | ")} |`);
  log(`|---|${results.map(() => "---").join("|")}|`);
  CORTEX_TARGET_NAMES.forEach((t, i) => {
    log(
      `| ${t} | ${results.map((r) => `${r.targets[i].instructionsPerMac?.toFixed(2)} instr/MAC`).join(" | ")} |`,
    );
  });
  for (const r of results) {
    log(`\n${r.model}\n`);
    log("| core | flash | code | weights | RAM | stack | instructions | MACs | instr/MAC |");
    log("|---|---|---|---|---|---|---|---|---|");
    for (const b of r.targets) {
      log(
        `| ${b.target} | ${b.flashBytes} | ${b.codeBytes} | ${b.weightBytes} | ${b.ramBytes} | ${b.stackBytes} | ${b.instructions} | ${b.macs} | ${b.instructionsPerMac?.toFixed(2)} |`,
      );
    }
  }
}

if (json) {
  console.log(
    JSON.stringify(
      { precision: "int8", opt: "-O2", layers: layerRows, conv: convRows, conv1dCodeOs: osCode, results },
      null,
      2,
    ),
  );
}
