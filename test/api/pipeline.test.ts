/**
 * The public API (`import ... from "nn2c"`, src/index.ts): every stage of the pipeline as a library
 * function, chained in a program the way the command line chains them: features of a sensor stream,
 * training, int8 quantization, the integer reference, export with the features, and verification of
 * the generated C on the host.
 */
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as nn2c from "../../src/index.js";
import { Rng } from "../../src/rng.js";
import { tempDir } from "../codegen/helpers.js";

const dir = tempDir("api");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Two classes of one-axis streams: a slow and a fast sinusoid with noise, 10 recordings each. */
function rawCsv(seed: number): string {
  const rng = new Rng(seed);
  const lines = ["recording,x,label"];
  for (let r = 0; r < 20; r++) {
    const fast = r % 2 === 1;
    const hz = fast ? rng.uniform(4, 6) : rng.uniform(0.5, 1.5);
    const amp = rng.uniform(300, 800);
    for (let i = 0; i < 200; i++) {
      const v = amp * Math.sin((2 * Math.PI * hz * i) / 50) + 30 * rng.normal();
      lines.push(`${r},${Math.round(v)},${fast ? "fast" : "slow"}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

describe("the public API", () => {
  it("runs the pipeline from raw samples to verified C", async () => {
    const def = nn2c.resolveFeatures({
      format: "nn2c-features",
      version: 1,
      axes: ["x"],
      group: "recording",
      sampleRate: 50,
      window: 50,
      stride: 25,
      statistics: ["std", "ptp"],
      bands: [
        [0.5, 2],
        [3, 8],
      ],
    });
    const files: Record<string, string> = {};
    for (const [name, seed] of [
      ["train", 1],
      ["test", 2],
    ] as const) {
      writeFileSync(join(dir, `${name}-raw.csv`), rawCsv(seed));
      const f = nn2c.windowFeatures(def, nn2c.readRawSamples(def, join(dir, `${name}-raw.csv`)));
      expect(f.rows).toHaveLength(20 * 7);
      const lines = [
        [...def.names, "label"].join(","),
        ...f.rows.map((r, i) => `${[...r].join(",")},${f.labels[i]}`),
      ];
      files[name] = join(dir, `${name}.csv`);
      writeFileSync(files[name], `${lines.join("\n")}\n`);
    }

    const trained = nn2c.trainFromCsv({
      data: files.train,
      test: files.test,
      layers: [8],
      epochs: 60,
      lr: 0.01,
      seed: 0,
    });
    expect(trained.test && "accuracy" in trained.test && trained.test.accuracy).toBeGreaterThan(0.9);

    const train = nn2c.loadDataset(files.train, { labelOptional: true });
    const q = nn2c.quantizeModel(trained.model, train.x, train.rows, {
      precision: "int8",
      calibration: { method: "minmax" },
    });
    const test = nn2c.loadDataset(files.test);
    expect(nn2c.evaluateQModel(q, test).accuracy).toBeGreaterThan(0.9);

    const m: nn2c.Exportable = { kind: "quantized", model: q };
    const summary = nn2c.writeOutputs(
      nn2c.renderModel(m, { name: "tone", features: def }),
      join(dir, "c"),
      false,
    );
    expect(summary.precision).toBe("int8");
    expect(readdirSync(join(dir, "c"))).toContain("tone_features.c");

    const verified = await nn2c.verifyModel(m, { target: "host", data: test, random: 20 });
    expect(verified.mismatches).toBe(0);

    const raw = nn2c.readRawSamples(def, join(dir, "test-raw.csv"));
    const stream = nn2c.classifyStream(def, m, raw);
    expect(stream).toHaveLength((4000 - 50) / 25 + 1);
    expect(new Set(stream.map((p) => p.className))).toEqual(new Set(["fast", "slow"]));
  }, 60_000);
});
