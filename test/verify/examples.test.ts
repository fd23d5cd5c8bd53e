/**
 * The example models end to end through the command line, as examples/*\/README.md trains them: each
 * is exported at int8, int16 and float32, and `nn2c verify --data test.csv` runs the generated C on the
 * held-out rows: no output differs from the TypeScript reference, and the accuracy is reported.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, json, nn2c, ROOT } from "../cli/run.js";
import { tempDir } from "../codegen/helpers.js";

const dir = tempDir("examples");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Example {
  name: string;
  train: string[];
  testRows: number;
  /** a floor well below the README's float accuracy, against a model that did not train at all */
  minAccuracy: number;
}

const EXAMPLES: Example[] = [
  {
    name: "iris",
    train: ["--epochs", "100", "--batch-size", "16", "--lr", "0.01"],
    testRows: 30,
    minAccuracy: 0.8,
  },
  { name: "digits", train: [], testRows: 359, minAccuracy: 0.85 },
];

interface Verified {
  precision: string;
  target: string;
  vectors: number;
  mismatches: number;
  accuracy?: number;
  samples?: number;
}

beforeAll(async () => {
  await ensureBuilt();
  for (const ex of EXAMPLES) {
    const data = join(ROOT, "examples", ex.name);
    const run = await nn2c([
      "train",
      join(data, "train.csv"),
      "--test",
      join(data, "test.csv"),
      "-o",
      join(dir, `${ex.name}.json`),
      ...ex.train,
    ]);
    expect(run.exitCode, String(run.stderr)).toBe(0);
  }
}, 120_000);

describe.each(EXAMPLES)("examples › $name", ({ name, testRows, minAccuracy }) => {
  const data = join(ROOT, "examples", name);
  const flags = (precision: string) => [
    "--precision",
    precision,
    ...(precision === "float32" ? [] : ["--calibration", join(data, "train.csv")]),
  ];

  it.each(["int8", "int16", "float32"])(
    "%s: exports, and verify --data test.csv finds no mismatch",
    async (precision) => {
      const model = join(dir, `${name}.json`);
      const out = join(dir, `${name}-${precision}`);
      const exported = json<{ files: string[]; precision: string }>(
        await nn2c(["export", model, "-o", out, "--name", name, ...flags(precision), "--json"]),
      );
      expect(exported.precision).toBe(precision);
      expect(readdirSync(out).sort()).toEqual([...exported.files].sort());
      expect(existsSync(join(out, `${name}.h`))).toBe(true);

      const r = json<Verified>(
        await nn2c([
          "verify",
          model,
          "--data",
          join(data, "test.csv"),
          "--random",
          "20",
          ...flags(precision),
          "--json",
        ]),
      );
      expect(r).toMatchObject({ precision, target: "host", mismatches: 0, samples: testRows });
      expect(r.vectors).toBeGreaterThan(testRows);
      expect(r.accuracy).toBeGreaterThanOrEqual(minAccuracy);
      expect(r.accuracy).toBeLessThanOrEqual(1);
    },
  );

  it("int8 through nn2c quantize: the quantized model file verifies too", async () => {
    const q = join(dir, `${name}.q8.json`);
    const run = await nn2c([
      "quantize",
      join(dir, `${name}.json`),
      "--calibration",
      join(data, "train.csv"),
      "-o",
      q,
    ]);
    expect(run.exitCode, String(run.stderr)).toBe(0);
    const r = json<Verified>(
      await nn2c(["verify", q, "--data", join(data, "test.csv"), "--random", "20", "--json"]),
    );
    expect(r).toMatchObject({ precision: "int8", mismatches: 0, samples: testRows });
    expect(r.accuracy).toBeGreaterThanOrEqual(minAccuracy);
  });
});
