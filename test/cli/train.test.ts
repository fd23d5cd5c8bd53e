/** `nn2c train` end to end through the built CLI: results, JSON fields, the report, determinism. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../src/rng.js";
import { ensureBuilt, IRIS_TEST, IRIS_TRAIN, json, nn2c } from "./run.js";

const dir = mkdtempSync(join(tmpdir(), "nn2c-cli-train-"));
const out = (name: string) => join(dir, name);

beforeAll(ensureBuilt);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Split {
  loss: number;
  accuracy?: number;
  rmse?: number;
}

interface TrainJson {
  model: string;
  task: string;
  classes?: string[];
  epochs: number;
  trainSamples: number;
  trainSeconds: number;
  samplesPerSecond: number;
  train: Split;
  validation: Split | null;
  test: Split | null;
  report?: string;
}

describe("nn2c train", () => {
  it("reaches test accuracy >= 0.9 on iris and reports every field with --json", async () => {
    const model = out("iris.json");
    const report = out("iris.svg");
    const run = await nn2c([
      "train",
      IRIS_TRAIN,
      "--test",
      IRIS_TEST,
      "--epochs",
      "100",
      "--batch-size",
      "16",
      "--lr",
      "0.01",
      "-o",
      model,
      "--report",
      report,
      "--json",
    ]);
    const result = json<TrainJson>(run);
    expect(result).toMatchObject({
      model,
      task: "classification",
      classes: ["setosa", "versicolor", "virginica"],
      epochs: 100,
      trainSamples: 96,
      report,
    });
    expect(result.trainSeconds).toBeGreaterThan(0);
    expect(result.samplesPerSecond).toBeGreaterThan(0);
    for (const split of [result.train, result.validation, result.test]) {
      expect(Object.keys(split!).sort()).toEqual(["accuracy", "loss"]);
      expect(split!.loss).toBeGreaterThan(0);
    }
    expect(result.test!.accuracy).toBeGreaterThanOrEqual(0.9);

    const file = JSON.parse(readFileSync(model, "utf8"));
    expect(file).toMatchObject({ format: "nn2c-model", version: 1, task: "classification" });
    expect(file.training.metrics.test.accuracy).toBeCloseTo(result.test!.accuracy!, 5);

    const svg = readFileSync(report, "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg).toContain("polyline");
    expect(svg).toContain("epoch (1 to 100)");
  });

  it("trains a regression target and reports loss and rmse", async () => {
    const rng = new Rng(1);
    const lines = ["a,b,c,target"];
    for (let i = 0; i < 150; i++) {
      const [a, b, c] = [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)];
      lines.push(
        `${a.toFixed(4)},${b.toFixed(4)},${c.toFixed(4)},${(2 * a - b + 0.5 * c * c + 3).toFixed(4)}`,
      );
    }
    const data = out("regression.csv");
    writeFileSync(data, `${lines.join("\n")}\n`);
    const result = json<TrainJson>(
      await nn2c(["train", data, "-o", out("regression.json"), "--epochs", "80", "--lr", "0.01", "--json"]),
    );
    expect(result.task).toBe("regression");
    expect(result.classes).toBeUndefined();
    expect(result.test).toBeNull();
    for (const split of [result.train, result.validation]) {
      expect(Object.keys(split!).sort()).toEqual(["loss", "rmse"]);
    }
    // the target's standard deviation is about 1.3
    expect(result.validation!.rmse).toBeLessThan(0.4);
  });

  it("prints a summary, the curves and the results as text", async () => {
    const model = out("text.json");
    const run = await nn2c(["train", IRIS_TRAIN, "--epochs", "3", "--layers", "4", "-o", model]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^Layer \(kind\)/);
    expect(run.stdout).toMatch(/Total params: 35\n/);
    expect(run.stdout).toMatch(/trained 3 epochs on 96 rows in [\d.]+ s/);
    expect(run.stdout).toMatch(/\ntrain\s+loss [\d.]+ {2}accuracy [\d.]+\n/);
    expect(run.stdout).toMatch(/\nvalidation\s+loss [\d.]+ {2}accuracy [\d.]+\n/);
    // execa strips the final newline
    expect(run.stdout.endsWith(`\nwrote ${model}`)).toBe(true);
    // progress goes to stderr, never to stdout
    expect(run.stderr).toMatch(/^epoch 1\/3 {2}loss /);
  });

  it("is quiet on stderr with --quiet", async () => {
    const run = await nn2c(["train", IRIS_TRAIN, "--epochs", "2", "-q", "-o", out("quiet.json")]);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toBe("");
  });

  it("writes byte-identical model files for the same data, flags and seed", async () => {
    const flags = ["--epochs", "20", "--batch-size", "8", "--seed", "7", "--layers", "8,4", "-q"];
    const a = out("same-a.json");
    const b = out("same-b.json");
    const c = out("other-seed.json");
    const runs = await Promise.all([
      nn2c(["train", IRIS_TRAIN, ...flags, "-o", a]),
      nn2c(["train", IRIS_TRAIN, ...flags, "-o", b]),
      nn2c(["train", IRIS_TRAIN, ...flags, "--seed", "8", "-o", c]),
    ]);
    for (const run of runs) expect(run.exitCode, run.stderr).toBe(0);
    expect(readFileSync(b)).toEqual(readFileSync(a));
    expect(readFileSync(c)).not.toEqual(readFileSync(a));
  });

  it("replaces a model file it wrote, without --force", async () => {
    const model = out("replace.json");
    expect((await nn2c(["train", IRIS_TRAIN, "--epochs", "1", "-q", "-o", model])).exitCode).toBe(0);
    const first = readFileSync(model, "utf8");
    expect((await nn2c(["train", IRIS_TRAIN, "--epochs", "2", "-q", "-o", model])).exitCode).toBe(0);
    expect(readFileSync(model, "utf8")).not.toBe(first);
  });

  it("replaces a file it did not write with --force", async () => {
    const model = out("notes.json");
    writeFileSync(model, "my notes\n");
    const run = await nn2c(["train", IRIS_TRAIN, "--epochs", "1", "-q", "--force", "-o", model]);
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(readFileSync(model, "utf8")).format).toBe("nn2c-model");
    expect(readdirSync(dir).filter((f) => f.startsWith("notes.json.tmp"))).toEqual([]);
  });
});
