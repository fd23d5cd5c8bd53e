/**
 * `nn2c quantize` and `nn2c evaluate` of quantized models through the built CLI, on iris and digits
 * models trained once for the file (seed 0): integer accuracy against float, byte-identical outputs, and
 * every bad input (exit code 2, one line naming the file and the place, no stack trace, nothing written).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, expectUsageError, IRIS_TEST, IRIS_TRAIN, json, nn2c, ROOT } from "./run.js";

const DIGITS_TRAIN = join(ROOT, "examples/digits/train.csv");
const DIGITS_TEST = join(ROOT, "examples/digits/test.csv");

const dir = mkdtempSync(join(tmpdir(), "nn2c-cli-quantize-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Precision = "int8" | "int16";
type Score = { samples: number; precision: string; accuracy: number };
interface QuantizeJson {
  output: string;
  precision: Precision;
  calibrationRows: number;
  calibration: {
    method: string;
    tensors: { name: string; lo: number; hi: number; clipped: number; rmsErrorLsb: number }[];
  };
  ops: { kind: string; activation: string; accumulator?: string }[];
  luts: unknown[];
  layerErrors: { op: number; name: string; maxAbsError: number; rmsError: number; maxErrorLsb: number }[];
  test: { float: Score; integer: Score } | null;
}

const DATASETS = {
  iris: {
    train: IRIS_TRAIN,
    test: IRIS_TEST,
    rows: 120,
    flags: ["--epochs", "100", "--batch-size", "16", "--lr", "0.01"],
  },
  digits: { train: DIGITS_TRAIN, test: DIGITS_TEST, rows: 1438, flags: [] as string[] },
};
type Name = keyof typeof DATASETS;
const NAMES = Object.keys(DATASETS) as Name[];
const PRECISIONS: Precision[] = ["int8", "int16"];
/** The largest drop in test accuracy each precision may cost, as a fraction (1 and 0.2 points). */
const TOLERANCE: Record<Precision, number> = { int8: 0.01, int16: 0.002 };

const floatModel = (name: Name) => join(dir, `${name}.json`);
const qmodel = (name: Name, precision: Precision) => join(dir, `${name}.${precision}.json`);
const results = {} as Record<string, QuantizeJson>;

beforeAll(async () => {
  await ensureBuilt();
  const trained = await Promise.all(
    NAMES.map((name) => {
      const d = DATASETS[name];
      return nn2c([
        "train",
        d.train,
        "--test",
        d.test,
        ...d.flags,
        "--seed",
        "0",
        "-o",
        floatModel(name),
        "--json",
      ]);
    }),
  );
  for (const run of trained) json(run);
  const jobs = NAMES.flatMap((name) => PRECISIONS.map((precision) => [name, precision] as const));
  const runs = await Promise.all(
    jobs.map(([name, precision]) => {
      const d = DATASETS[name];
      const out = qmodel(name, precision);
      return nn2c([
        "quantize",
        floatModel(name),
        "--calibration",
        d.train,
        "--test",
        d.test,
        "--precision",
        precision,
        "-o",
        out,
        "--json",
      ]);
    }),
  );
  jobs.forEach(([name, precision], k) => {
    results[`${name}.${precision}`] = json<QuantizeJson>(runs[k]);
  });
}, 120_000);

describe("nn2c quantize: integer accuracy", () => {
  for (const name of NAMES) {
    for (const precision of PRECISIONS) {
      it(`${name} ${precision}: test accuracy within ${TOLERANCE[precision] * 100} points of float`, () => {
        const r = results[`${name}.${precision}`];
        expect(r.test).not.toBeNull();
        const { float, integer } = r.test!;
        expect(float.precision).toBe("float32");
        expect(integer.precision).toBe(precision);
        expect(integer.samples).toBe(float.samples);
        expect(float.accuracy).toBeGreaterThan(name === "iris" ? 0.9 : 0.93);
        expect(float.accuracy - integer.accuracy).toBeLessThanOrEqual(TOLERANCE[precision] + 1e-12);
      });

      it(`${name} ${precision}: evaluate reads the quantized model and reports the same accuracy`, async () => {
        const { test } = results[`${name}.${precision}`];
        const score = json<Score>(
          await nn2c(["evaluate", qmodel(name, precision), DATASETS[name].test, "--json"]),
        );
        expect(score).toEqual({
          samples: test!.integer.samples,
          precision,
          accuracy: test!.integer.accuracy,
        });
      });
    }
  }

  it("--json describes the program: ops with accumulators, no tables for relu, one error per op", () => {
    for (const name of NAMES) {
      for (const precision of PRECISIONS) {
        const r = results[`${name}.${precision}`];
        expect(r.output).toBe(qmodel(name, precision));
        expect(r.precision).toBe(precision);
        expect(r.calibrationRows).toBe(DATASETS[name].rows);
        // the default calibration: search for int8, min/max for int16; a report per tensor
        expect(r.calibration.method).toBe(precision === "int8" ? "search" : "minmax");
        expect(r.calibration.tensors.map((t) => t.name)).toEqual([
          "input",
          "dense",
          "dense_1",
          "dense_2/preact",
          "dense_2",
        ]);
        for (const t of r.calibration.tensors) {
          expect(t.lo).toBeLessThanOrEqual(0);
          expect(t.hi).toBeGreaterThan(0);
          expect(t.clipped).toBeGreaterThanOrEqual(0);
          // the input and the hidden tensors; not the logits, whose extremes search may clip (softmax
          // hardly changes), nor the softmax, whose fixed grid ends at 255/256, below a probability of 1
          if (!t.name.startsWith("dense_2")) expect(t.clipped, t.name).toBeLessThan(0.1);
          expect(t.rmsErrorLsb).toBeGreaterThan(0);
        }
        // min/max clips nothing it calibrated (int16 widens every range 4x besides)
        if (precision === "int16") expect(r.calibration.tensors[1].clipped).toBe(0);
        expect(r.ops.map((op) => [op.kind, op.activation])).toEqual([
          ["dense", "relu"],
          ["dense", "relu"],
          ["dense", "linear"],
          ["activation", "softmax"],
        ]);
        for (const op of r.ops.slice(0, 3)) expect(["s32", "s64"]).toContain(op.accumulator);
        // no activation table (relu is a clamp); the softmax's exp table, within half a unit of exp
        expect(r.luts).toEqual([
          expect.objectContaining({ activation: "softmax(exp)", entries: precision === "int8" ? 256 : 512 }),
        ]);
        expect((r.luts[0] as { maxErrorLsb: number }).maxErrorLsb).toBeLessThanOrEqual(0.5);
        expect(r.layerErrors.map((e) => e.op)).toEqual([0, 1, 2, 3]);
      }
    }
  });

  it("prints a summary as text", async () => {
    const out = join(dir, "iris-text.json");
    const run = await nn2c([
      "quantize",
      floatModel("iris"),
      "--calibration",
      IRIS_TRAIN,
      "--test",
      IRIS_TEST,
      "-o",
      out,
    ]);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toBe("");
    const lines = run.stdout.split("\n");
    expect(lines[0]).toBe(`int8 integer program, calibrated on 120 rows of ${IRIS_TRAIN}`);
    expect(lines[1]).toMatch(/^tensor ranges by search/);
    expect(
      lines.filter((l) => /^ {2}\S+ +\[-?[\d.]+, [\d.]+\] +clipped [\d.]+% +rms [\d.]+ LSB$/.test(l)),
    ).toHaveLength(5);
    expect(lines.filter((l) => /^ {2}dense(_\d)? .* max /.test(l))).toHaveLength(4); // one error line per op
    const { float, integer } = results["iris.int8"].test!;
    const fmt = (v: number) => (v === 1 ? "1" : v.toFixed(4));
    const scores = `on ${IRIS_TEST}: float32 accuracy ${fmt(float.accuracy)}, int8 accuracy ${fmt(integer.accuracy)}`;
    expect(lines.filter((l) => l.startsWith(scores))).toHaveLength(1);
    expect(lines[lines.length - 1]).toBe(`wrote ${out}`);
  });

  it("--argmax ends with the logits; evaluate still scores the classes", async () => {
    const out = join(dir, "iris-argmax.json");
    const r = json<QuantizeJson>(
      await nn2c([
        "quantize",
        floatModel("iris"),
        "--calibration",
        IRIS_TRAIN,
        "--argmax",
        "-o",
        out,
        "--json",
      ]),
    );
    expect(r.ops.map((op) => op.kind)).toEqual(["dense", "dense", "dense"]);
    expect(r.test).toBeNull();
    const score = json<Score>(await nn2c(["evaluate", out, IRIS_TEST, "--json"]));
    expect(score.precision).toBe("int8");
    expect(Math.abs(score.accuracy - results["iris.int8"].test!.integer.accuracy)).toBeLessThanOrEqual(
      1 / 30,
    );
  });
});

describe("nn2c quantize: determinism", () => {
  it("writes byte-identical files for the same model, calibration and flags", async () => {
    for (const precision of PRECISIONS) {
      const again = join(dir, `digits.${precision}.again.json`);
      const run = await nn2c([
        "quantize",
        floatModel("digits"),
        "--calibration",
        DIGITS_TRAIN,
        "--precision",
        precision,
        "-o",
        again,
      ]);
      expect(run.exitCode).toBe(0);
      expect(readFileSync(again).equals(readFileSync(qmodel("digits", precision)))).toBe(true);
    }
  });
});

describe.concurrent("nn2c quantize rejects bad input", () => {
  let n = 0;
  const irisText = readFileSync(IRIS_TRAIN, "utf8");
  const [header, ...rows] = irisText.trimEnd().split("\n");

  /** A file with the given text, in the scratch folder. */
  function file(name: string, text: string): string {
    const path = join(dir, `bad-${++n}-${name}`);
    writeFileSync(path, text);
    return path;
  }

  /** A variant of the iris model file, changed by `edit`. */
  function modelVariant(edit: (m: Record<string, unknown>) => void): string {
    const m = JSON.parse(readFileSync(floatModel("iris"), "utf8"));
    edit(m);
    return file("model.json", JSON.stringify(m));
  }

  /** Runs quantize into an empty folder; checks the usage error and that the folder stays empty. */
  async function quantizeFails(
    model: string,
    calibration: string,
    flags: string[],
    ...fragments: (string | RegExp)[]
  ) {
    const out = join(dir, `out-${++n}`);
    mkdirSync(out);
    const run = await nn2c([
      "quantize",
      model,
      "--calibration",
      calibration,
      "-o",
      join(out, "q.json"),
      ...flags,
    ]);
    expectUsageError(run, ...fragments);
    expect(readdirSync(out), "files written").toEqual([]);
  }

  it("a model file that is not JSON", async () => {
    const bad = file("model.json", '{"format": "nn2c-model", ');
    await quantizeFails(bad, IRIS_TRAIN, [], `${bad}: not a valid JSON model file (`);
  });

  it("a model file of another version", async () => {
    const v2 = modelVariant((m) => {
      m.version = 3;
    });
    await quantizeFails(
      v2,
      IRIS_TRAIN,
      [],
      `${v2}: model file version 3 is not supported (this nn2c reads versions 1 and 2)`,
    );
  });

  it("a model file that breaks the schema, naming the path", async () => {
    const bad = modelVariant((m) => {
      (m.layers as { weights: { bias: unknown } }[])[1].weights.bias = "zero";
    });
    await quantizeFails(bad, IRIS_TRAIN, [], `${bad}: layers[1] 'dense_1': weights.bias: expected 16 values`);
  });

  it("a quantized model given as MODEL", async () => {
    const q = qmodel("iris", "int8");
    await quantizeFails(
      q,
      IRIS_TRAIN,
      [],
      `${q}: is already an int8 integer program: quantize takes a float model`,
    );
  });

  it("calibration data without a feature column", async () => {
    const cols = (line: string) =>
      line
        .split(",")
        .filter((_, i) => i !== 3)
        .join(",");
    const cal = file("cal.csv", `${[header, ...rows].map(cols).join("\n")}\n`);
    await quantizeFails(
      floatModel("iris"),
      cal,
      [],
      `${cal}: line 1: missing feature column 'petal_width_cm'`,
    );
  });

  it.each([
    ["abc", "a non-numeric cell"],
    ["NaN", "a NaN cell"],
  ])("calibration data with '%s' (%s), naming line and column", async (cell) => {
    const bad = rows.map((r, i) =>
      i === 4 ? r.replace(/^[^,]*,[^,]*/, (m) => `${m.split(",")[0]},${cell}`) : r,
    );
    const cal = file("cal.csv", `${[header, ...bad].join("\n")}\n`);
    await quantizeFails(
      floatModel("iris"),
      cal,
      [],
      `${cal}: line 6, column 'sepal_width_cm': expected a finite number, got '${cell}'`,
    );
  });

  it("fewer than 10 calibration rows", async () => {
    const cal = file("cal.csv", `${[header, ...rows.slice(0, 9)].join("\n")}\n`);
    await quantizeFails(
      floatModel("iris"),
      cal,
      [],
      `${cal}: 9 rows; calibration needs at least 10 representative rows`,
    );
  });

  it("calibration data with a column the model does not have", async () => {
    const cal = file(
      "cal.csv",
      `${[`${header},extra`, ...rows.slice(0, 20).map((r) => `${r},1.5`)].join("\n")}\n`,
    );
    await quantizeFails(
      floatModel("iris"),
      cal,
      [],
      `${cal}: line 1: column 'extra' is none of the model's 4 feature columns nor its label 'species': expected the columns the model was trained on`,
    );
  });

  it("a column that holds one value in every calibration row, where the training data varied", async () => {
    const cal = file(
      "cal.csv",
      `${[header, ...rows.slice(0, 20).map((r) => r.replace(/^[^,]*/, "5.5"))].join("\n")}\n`,
    );
    const model = JSON.parse(readFileSync(floatModel("iris"), "utf8"));
    const [m, s] = [model.inputs.mean[0], model.inputs.std[0]].map((v: number) => v.toPrecision(4));
    await quantizeFails(
      floatModel("iris"),
      cal,
      [],
      `${cal}: column 'sepal_length_cm' holds 5.5 in all 20 rows, where the training data varied (mean ${m}, std ${s}): calibration rows must vary as the data the model will see`,
    );
  });

  it("an output path under a file", async () => {
    const notAFolder = file("plain.txt", "text\n");
    const out = join(notAFolder, "q.json");
    const run = await nn2c(["quantize", floatModel("iris"), "--calibration", IRIS_TRAIN, "-o", out]);
    expectUsageError(run, `${out}: cannot write (${notAFolder} is not a folder)`);
    expect(readFileSync(notAFolder, "utf8")).toBe("text\n");
  });

  it("an output that is a folder", async () => {
    const folder = join(dir, `folder-${++n}`);
    mkdirSync(folder);
    expectUsageError(
      await nn2c(["quantize", floatModel("iris"), "--calibration", IRIS_TRAIN, "-o", folder]),
      `${folder}: is a folder`,
    );
    expect(readdirSync(folder)).toEqual([]);
  });

  it("an output file nn2c did not write, left alone", async () => {
    const mine = file("mine.json", '{"format": "something else"}\n');
    const run = await nn2c(["quantize", floatModel("iris"), "--calibration", IRIS_TRAIN, "-o", mine]);
    expectUsageError(run, `${mine}: exists and was not written by nn2c; use --force to replace it`);
    expect(readFileSync(mine, "utf8")).toBe('{"format": "something else"}\n');
  });

  it.each(["50", "100.5"])("--percentile %s", async (p) => {
    await quantizeFails(
      floatModel("iris"),
      IRIS_TRAIN,
      ["--method", "percentile", "--percentile", p],
      `option '--percentile <p>' argument '${p}' is invalid. expected a number in (50, 100]`,
    );
  });
});

describe.concurrent("nn2c evaluate rejects a bad quantized model", () => {
  const variant = (name: string, edit: (m: Record<string, unknown>) => void) => {
    const m = JSON.parse(readFileSync(qmodel("iris", "int8"), "utf8"));
    edit(m);
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(m));
    return path;
  };

  it("of another version", async () => {
    const v2 = variant("q-v2.json", (m) => {
      m.version = 3;
    });
    expectUsageError(
      await nn2c(["evaluate", v2, IRIS_TEST]),
      `${v2}: quantized model version 3 is not supported (this nn2c reads versions 1 and 2)`,
    );
  });

  it("that breaks the schema, naming the path", async () => {
    const bad = variant("q-bad.json", (m) => {
      (m.ops as { mult: unknown }[])[0].mult = [1.5];
    });
    expectUsageError(await nn2c(["evaluate", bad, IRIS_TEST]), `${bad}: ops[0].mult[0]: `);
  });
});
