/**
 * `npm run bench:train`: training throughput and accuracy of nn2c against scikit-learn's MLPClassifier,
 * measured in the same run on the digits task (64→32→16→10 relu, softmax, adam lr 0.001, batch 32,
 * 50 epochs, standardised inputs, the fixed 80/20 split in examples/digits).
 *
 * Each trainer runs `--repeat` times (default 9), alternating, run k with seed k for both, and the medians
 * of throughput and test accuracy are reported: these machines are noisy, and one seed's accuracy on 359
 * test rows moves by a row or two. `--json` prints one object.
 */

import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { computeStandardization, type Dataset, loadDataset, standardize } from "../src/data/dataset.js";
import { Dense } from "../src/model/layers.js";
import { Sequential } from "../src/model/sequential.js";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const TRAIN = here("../examples/digits/train.csv");
const TEST = here("../examples/digits/test.csv");
const EPOCHS = 50;

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

async function findPython(): Promise<string | null> {
  for (const py of ["python3", "/usr/bin/python3"]) {
    const r = await execa(py, ["-c", "import sklearn"], { reject: false });
    if (r.exitCode === 0) return py;
  }
  return null;
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
const python = await findPython();
const ours: Run[] = [];
const theirs: Run[] = [];
runNn2c(train, test, 0); // warm-up: let the JIT compile the kernels
for (let k = 0; k < repeat; k++) {
  ours.push(runNn2c(train, test, k));
  if (python) theirs.push(await runSklearn(python, k));
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
const result = {
  task: `digits 64-32-16-10 relu/softmax, adam lr 0.001, batch 32, ${EPOCHS} epochs, ${train.rows} train / ${test.rows} test rows`,
  repeats: repeat,
  nn2c,
  sklearn,
  throughputRatio: sklearn ? nn2c.samplesPerSecond / sklearn.samplesPerSecond : null,
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
}
