/**
 * `npm run bench:train`: training throughput and accuracy of nn2c against peers, measured in the same run
 * on the digits task (standardised inputs, the fixed 80/20 split in examples/digits):
 *   - dense: 64→32→16→10 relu, softmax, adam lr 0.001, batch 32, 50 epochs, against scikit-learn's
 *     MLPClassifier;
 *   - conv: the images as 8×8×1 → Conv2D 8 3×3 same relu → MaxPooling2D 2 → Conv2D 16 3×3 same relu →
 *     GlobalAveragePooling2D → Dense 10 softmax, adam lr 0.001, batch 32, 30 epochs, against PyTorch
 *     (bench/torch_cnn.py, one thread, float32, Glorot uniform kernels). The two runs of a seed are
 *     paired: PyTorch starts from nn2c's initial weights and sees the same batches in the same order, so
 *     that their accuracies differ by what the two trainers compute, not by the luck of the draw (one
 *     seed's accuracy otherwise moves by several rows from draw to draw).
 *
 * Each trainer runs `--repeat` times (default 9), alternating, run k with seed k for both, and the medians
 * of throughput and test accuracy are reported: these machines are noisy. `--json` prints one object.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { computeStandardization, type Dataset, loadDataset, standardize } from "../src/data/dataset.js";
import { Conv2D, Dense, GlobalAveragePooling2D, MaxPooling2D } from "../src/model/layers.js";
import { Sequential } from "../src/model/sequential.js";
import { EpochOrders } from "../src/train/fit.js";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const TRAIN = here("../examples/digits/train.csv");
const TEST = here("../examples/digits/test.csv");
const EPOCHS = 50;
const CONV_EPOCHS = 30;

const args = process.argv.slice(2);
const json = args.includes("--json");
const repeatAt = args.indexOf("--repeat");
const repeat = repeatAt >= 0 ? Number(args[repeatAt + 1]) : 9;

interface Run {
  trainSeconds: number;
  samplesPerSecond: number;
  testAccuracy: number;
}

function runNn2c(train: Dataset, test: Dataset, seed: number): Run {
  const norm = computeStandardization(train.x, train.rows, train.cols);
  const x = { rows: train.rows, cols: train.cols, data: standardize(train.x, train.cols, norm) };
  const xt = { rows: test.rows, cols: test.cols, data: standardize(test.x, test.cols, norm) };
  const model = new Sequential([
    // scikit-learn's settings: every layer Glorot uniform, biases uniform within the same limit,
    // adam epsilon 1e-8
    ...[32, 16, 10].map((units, k) =>
      Dense({
        units,
        activation: k === 2 ? "softmax" : "relu",
        inputShape: k === 0 ? [64] : undefined,
        kernelInitializer: "glorot_uniform",
        biasInitializer: "uniform",
      }),
    ),
  ]);
  model.compile({
    optimizer: { name: "adam", lr: 0.001, epsilon: 1e-8 },
    loss: "sparse_categorical_crossentropy",
    metrics: ["accuracy"],
  });
  const t0 = performance.now();
  model.fit(x, train.labels, { epochs: EPOCHS, batchSize: 32, seed });
  const trainSeconds = (performance.now() - t0) / 1000;
  return {
    trainSeconds,
    samplesPerSecond: (train.rows * EPOCHS) / trainSeconds,
    testAccuracy: model.evaluate(xt, test.labels).accuracy,
  };
}

/**
 * Trains the conv case with seed `seed`; writes its initial weights (nn2c's layouts: Conv2D kernels
 * [kh][kw][C][F], Dense [units][inputs]) and every epoch's row order to `start` for PyTorch.
 */
function runNn2cConv(train: Dataset, test: Dataset, seed: number, start: string): Run {
  const norm = computeStandardization(train.x, train.rows, train.cols);
  const x = { rows: train.rows, cols: train.cols, data: standardize(train.x, train.cols, norm) };
  const xt = { rows: test.rows, cols: test.cols, data: standardize(test.x, test.cols, norm) };
  const init = { kernelInitializer: "glorot_uniform" as const };
  const model = new Sequential([
    Conv2D({
      filters: 8,
      kernelSize: 3,
      padding: "same",
      activation: "relu",
      inputShape: [8, 8, 1],
      ...init,
    }),
    MaxPooling2D({ poolSize: 2 }),
    Conv2D({ filters: 16, kernelSize: 3, padding: "same", activation: "relu", ...init }),
    GlobalAveragePooling2D(),
    Dense({ units: 10, activation: "softmax", ...init }),
  ]);
  model.compile({
    optimizer: { name: "adam", lr: 0.001, epsilon: 1e-7 },
    loss: "sparse_categorical_crossentropy",
    metrics: ["accuracy"],
  });
  model.build([8, 8, 1], seed);
  const orders = new EpochOrders(train.rows, seed);
  writeFileSync(
    start,
    JSON.stringify({
      weights: model.getWeights().map((w) => Array.from(w)),
      orders: Array.from({ length: CONV_EPOCHS }, () => Array.from(orders.next())),
    }),
  );
  const t0 = performance.now();
  model.fit(x, train.labels, { epochs: CONV_EPOCHS, batchSize: 32, seed });
  const trainSeconds = (performance.now() - t0) / 1000;
  return {
    trainSeconds,
    samplesPerSecond: (train.rows * CONV_EPOCHS) / trainSeconds,
    testAccuracy: model.evaluate(xt, test.labels).accuracy,
  };
}

async function findPython(module: string): Promise<string | null> {
  for (const py of ["python3", "/usr/bin/python3"]) {
    const r = await execa(py, ["-c", `import ${module}`], { reject: false });
    if (r.exitCode === 0) return py;
  }
  return null;
}

async function runTorch(python: string, start: string): Promise<Run> {
  const env = { OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };
  const { stdout } = await execa(python, [here("./torch_cnn.py"), TRAIN, TEST, String(CONV_EPOCHS), start], {
    env,
  });
  return JSON.parse(stdout) as Run;
}

async function runSklearn(python: string, seed: number): Promise<Run> {
  const env = { OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };
  const { stdout } = await execa(
    python,
    [here("./sklearn_mlp.py"), TRAIN, TEST, String(EPOCHS), String(seed)],
    { env },
  );
  return JSON.parse(stdout) as Run;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const train = loadDataset(TRAIN);
const test = loadDataset(TEST);
const python = await findPython("sklearn");
const torchPython = await findPython("torch");
const ours: Run[] = [];
const theirs: Run[] = [];
const oursConv: Run[] = [];
const torchRuns: Run[] = [];
const scratch = mkdtempSync(join(tmpdir(), "nn2c-bench-"));
const start = join(scratch, "start.json");
try {
  runNn2c(train, test, 0); // warm-up: let the JIT compile the kernels
  runNn2cConv(train, test, 0, start);
  for (let k = 0; k < repeat; k++) {
    ours.push(runNn2c(train, test, k));
    if (python) theirs.push(await runSklearn(python, k));
    oursConv.push(runNn2cConv(train, test, k, start));
    if (torchPython) torchRuns.push(await runTorch(torchPython, start));
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
const summarize = (runs: Run[]) => ({
  samplesPerSecond: Math.round(median(runs.map((r) => r.samplesPerSecond))),
  trainSeconds: median(runs.map((r) => r.trainSeconds)),
  testAccuracy: median(runs.map((r) => r.testAccuracy)),
  meanTestAccuracy: runs.reduce((s, r) => s + r.testAccuracy, 0) / runs.length,
  testAccuracies: runs.map((r) => r.testAccuracy),
});
const nn2c = summarize(ours);
const sklearn = python ? summarize(theirs) : null;
const nn2cConv = summarize(oursConv);
const torch = torchPython ? summarize(torchRuns) : null;
const result = {
  task: `digits 64-32-16-10 relu/softmax, adam lr 0.001, batch 32, ${EPOCHS} epochs, ${train.rows} train / ${test.rows} test rows`,
  repeats: repeat,
  nn2c,
  sklearn,
  throughputRatio: sklearn ? nn2c.samplesPerSecond / sklearn.samplesPerSecond : null,
  conv: {
    task: `digits 8x8x1 conv2d 8 3x3 same relu, max pool 2, conv2d 16 3x3 same relu, global average pool, dense 10 softmax; adam lr 0.001, batch 32, ${CONV_EPOCHS} epochs; PyTorch from the same initial weights on the same batches`,
    nn2c: nn2cConv,
    torch,
    throughputRatio: torch ? nn2cConv.samplesPerSecond / torch.samplesPerSecond : null,
  },
};
if (json) {
  console.log(JSON.stringify(result, null, 2));
} else {
  console.log(result.task);
  console.log(`median of ${repeat} runs each (seeds 0 to ${repeat - 1}), one thread\n`);
  console.log("trainer        samples/s   seconds   test accuracy (median, mean)");
  const row = (name: string, r: ReturnType<typeof summarize>) =>
    console.log(
      `${name.padEnd(13)} ${String(r.samplesPerSecond).padStart(10)} ${r.trainSeconds.toFixed(3).padStart(9)}   ${r.testAccuracy.toFixed(4)}, ${r.meanTestAccuracy.toFixed(4)}`,
    );
  row("nn2c", nn2c);
  if (sklearn) {
    row("scikit-learn", sklearn);
    console.log(`\nnn2c / scikit-learn throughput: ${result.throughputRatio!.toFixed(2)}x`);
    const each = (r: ReturnType<typeof summarize>) => r.testAccuracies.map((a) => a.toFixed(3)).join(" ");
    console.log(`test accuracy per seed: nn2c ${each(nn2c)}; scikit-learn ${each(sklearn)}`);
  } else {
    console.log("\nscikit-learn not found: install it (Debian: apt-get install python3-sklearn) to compare");
  }
  console.log(`\n${result.conv.task}\n`);
  console.log("trainer        samples/s   seconds   test accuracy (median, mean)");
  row("nn2c", nn2cConv);
  if (torch) {
    row("PyTorch", torch);
    console.log(`\nnn2c / PyTorch throughput: ${result.conv.throughputRatio!.toFixed(2)}x`);
    const each = (r: ReturnType<typeof summarize>) => r.testAccuracies.map((a) => a.toFixed(3)).join(" ");
    console.log(`test accuracy per seed: nn2c ${each(nn2cConv)}; PyTorch ${each(torch)}`);
  } else {
    console.log("\nPyTorch not found: install it (Debian: apt-get install python3-torch) to compare");
  }
}
