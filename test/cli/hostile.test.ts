/**
 * Hostile input through the built CLI, by command: each case ends with exit code 2, one line on stderr
 * naming the file and the place (no stack trace), nothing on stdout and nothing written, within
 * seconds. The cases are those a run of 162 malformed and hostile inputs found crashing, hanging or
 * writing half (issue 13), and their neighbours.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DenseQOp } from "../../src/ops/dense/quant.js";
import { serializeQModel } from "../../src/quant/io.js";
import type { QModel } from "../../src/quant/schema.js";
import { exportable, makeModel, tempDir } from "../codegen/helpers.js";
import { ensureBuilt, expectUsageError, IRIS_TRAIN, json, nn2c, type Run } from "./run.js";

const dir = tempDir("hostile");
beforeAll(ensureBuilt);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** A file with the given content in a fresh folder of its own. */
function file(name: string, content: string | Buffer): string {
  const folder = join(dir, `f${++n}`);
  mkdirSync(folder);
  const path = join(folder, name);
  writeFileSync(path, content);
  return path;
}

/** A fresh empty folder. */
function folder(): string {
  const path = join(dir, `d${++n}`);
  mkdirSync(path);
  return path;
}

/** A named pipe: writing to it would block forever, reading it too. */
function fifo(): string {
  const path = join(folder(), "pipe");
  execFileSync("mkfifo", [path]);
  return path;
}

const program = exportable(
  makeModel({
    inputs: 4,
    seed: 5,
    classes: ["setosa", "versicolor", "virginica"],
    layers: [
      { units: 6, activation: "relu" },
      { units: 3, activation: "softmax" },
    ],
  }),
  "int8",
).model as QModel;

/** The integer program with one edit, written to a file. */
function tampered(edit: (q: QModel) => void): string {
  const q = JSON.parse(serializeQModel(program)) as QModel;
  edit(q);
  return file("tampered.q.json", serializeQModel(q));
}

const SHIFT_40 = () =>
  tampered((q) => {
    (q.ops[0] as unknown as DenseQOp).shift[0] = 40;
  });

const IRIS_HEADER = "sepal_length,sepal_width,petal_length,petal_width,species";
const modelFile = () => file("m.json", readFileSync(TRAINED, "utf8"));
let TRAINED = "";

beforeAll(async () => {
  await ensureBuilt();
  TRAINED = join(folder(), "iris.json");
  const run = await nn2c(["train", IRIS_TRAIN, "--epochs", "2", "-q", "-o", TRAINED]);
  expect(run.exitCode, run.stderr).toBe(0);
});

async function fails(args: string[], ...fragments: (string | RegExp)[]): Promise<Run> {
  const t0 = Date.now();
  const run = await nn2c(args);
  expectUsageError(run, ...fragments);
  expect(Date.now() - t0, "seconds").toBeLessThan(20_000);
  return run;
}

describe.concurrent("hostile input › nn2c train", () => {
  it("an output that is a device or a FIFO", async () => {
    await fails(["train", IRIS_TRAIN, "-o", "/dev/zero"], "/dev/zero: is not a regular file");
    const pipe = fifo();
    await fails(["train", IRIS_TRAIN, "-o", pipe], `${pipe}: is not a regular file`);
  });

  it("-o and --report naming the same file", async () => {
    const out = join(folder(), "m.json");
    await fails(["train", IRIS_TRAIN, "-o", out, "--report", out], `${out}: given as both -o and --report`);
    expect(existsSync(out)).toBe(false);
  });

  it("an output that is the training data", async () => {
    const data = file("data.csv", readFileSync(IRIS_TRAIN, "utf8"));
    await fails(["train", data, "-o", data, "--force"], `${data}: -o would overwrite the training data`);
  });

  it("layers too wide for any microcontroller or the machine", async () => {
    await fails(
      ["train", IRIS_TRAIN, "-o", join(folder(), "m.json"), "--layers", "100000,100000"],
      "the model would have 1.00e+10 parameters: nn2c takes at most 16777216",
    );
    await fails(
      ["train", IRIS_TRAIN, "-o", join(folder(), "m.json"), "--layers", "1e9"],
      "at most 1048576 values per layer",
    );
  });

  it("a cell that overflows float32, naming the file, line and column", async () => {
    const data = file("big.csv", `a,b,label\n1,2,x\n3,1e300,y\n5,6,x\n`);
    await fails(
      ["train", data, "-o", join(folder(), "m.json")],
      `${data}: line 3, column 'b': '1e300' overflows float32: expected a number within ±3.4e38`,
    );
  });

  it("an unterminated quote, naming the line where it opened", async () => {
    const data = file("quote.csv", `a,b,label\n1,2,x\n3,"4,y\n5,6,x\n7,8,y\n`);
    await fails(
      ["train", data, "-o", join(folder(), "m.json")],
      `${data}: line 3: a quote opened in this row is never closed`,
    );
  });

  it("a UTF-16 file", async () => {
    const text = `${IRIS_HEADER}\n5.1,3.5,1.4,0.2,setosa\n`;
    const data = file("utf16.csv", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]));
    await fails(
      ["train", data, "-o", join(folder(), "m.json")],
      `${data}: the CSV is UTF-16 text: expected UTF-8`,
    );
    const bare = file("utf16-no-bom.csv", Buffer.from(text, "utf16le"));
    await fails(["train", bare, "-o", join(folder(), "m.json")], "is UTF-16 text");
  });

  it("a 5 MB cell, echoed cut to a readable length", async () => {
    const data = file("long.csv", `a,b,label\n1,${"9".repeat(5_000_000)}x,y\n3,4,x\n`);
    const run = await fails(
      ["train", data, "-o", join(folder(), "m.json")],
      `${data}: line 2, column 'b': expected a finite number`,
    );
    expect(run.stderr.length).toBeLessThan(400);
  });

  it("100 000 columns and no label column, the columns listed cut", async () => {
    const header = Array.from({ length: 100_000 }, (_, i) => `c${i}`).join(",");
    const data = file("wide.csv", `${header}\n${Array(100_000).fill("1").join(",")}\n`);
    const run = await fails(
      ["train", data, "--label", "y", "-o", join(folder(), "m.json")],
      "no label column 'y' (columns: c0, c1",
    );
    expect(run.stderr).toContain("(100000 in all)");
    expect(run.stderr.length).toBeLessThan(400);
  });

  it("a report that cannot be written leaves no model", async () => {
    const out = folder();
    const plain = file("plain.txt", "text");
    await fails(
      ["train", IRIS_TRAIN, "-o", join(out, "m.json"), "--report", join(plain, "r.svg")],
      `${join(plain, "r.svg")}: cannot write (${plain} is not a folder)`,
    );
    expect(readdirSync(out)).toEqual([]);
  });
});

describe.concurrent("hostile input › nn2c quantize", () => {
  it("an output that would overwrite the float model", async () => {
    const m = modelFile();
    await fails(
      ["quantize", m, "--calibration", IRIS_TRAIN, "-o", m, "--force"],
      `${m}: -o would overwrite the float model`,
    );
  });

  it("an output that is a FIFO", async () => {
    const pipe = fifo();
    await fails(
      ["quantize", modelFile(), "--calibration", IRIS_TRAIN, "-o", pipe],
      `${pipe}: is not a regular file`,
    );
  });

  it("a model with duplicate class names, naming the model", async () => {
    const m = file("dup.json", readFileSync(TRAINED, "utf8").replace('"versicolor"', '"setosa"'));
    await fails(
      ["quantize", m, "--calibration", IRIS_TRAIN, "-o", join(folder(), "q.json")],
      `${m}: output.classes: 'setosa' appears twice`,
    );
  });
});

describe.concurrent("hostile input › tampered integer programs in every command", () => {
  const where = "ops[0] (dense): shift[0] is 40: expected an integer in [-31, 30]";

  it("nn2c evaluate", async () => {
    const q = SHIFT_40();
    await fails(["evaluate", q, IRIS_TRAIN], `${q}: ${where}`);
  });

  it("nn2c verify", async () => {
    const q = SHIFT_40();
    await fails(["verify", q, "--random", "1"], `${q}: ${where}`);
  });

  it("nn2c export, nothing written", async () => {
    const q = SHIFT_40();
    const out = join(folder(), "c");
    await fails(["export", q, "-o", out, "--name", "net"], `${q}: ${where}`);
    expect(existsSync(out)).toBe(false);
  });

  it("nn2c bench and nn2c inspect", async () => {
    const q = SHIFT_40();
    await fails(["bench", q, "-t", "cortex-m4"], `${q}: ${where}`);
    await fails(["inspect", q], `${q}: ${where}`);
  });

  it("a table index that does not exist", async () => {
    const q = tampered((p) => {
      p.ops[2].table = 5;
    });
    await fails(
      ["evaluate", q, IRIS_TRAIN],
      `${q}: ops[2] (activation): table is 5: expected the index of one of the 1 tables`,
    );
  });

  it("an accumulator beyond int32", async () => {
    const q = tampered((p) => {
      const op = p.ops[1] as unknown as DenseQOp;
      op.bias[0] = 2 ** 31 - 1;
      op.accumulatorBound = 2 ** 31 - 1 + 128 * op.weights[0].reduce((s, w) => s + Math.abs(w), 0);
    });
    await fails(
      ["verify", q],
      `${q}: ops[1] (dense): accumulator is s32, but the weights and biases reach an accumulator of`,
    );
  });
});

describe.concurrent("hostile input › output folders", () => {
  it("nn2c export --templates naming a file", async () => {
    const t = file("model.c.hbs", "{{name}}");
    await fails(
      ["export", TRAINED, "-o", join(folder(), "c"), "--name", "net", "--templates", t],
      `${t}: is not a folder`,
    );
  });

  it("nn2c verify --keep naming a file, an empty string, or a folder that cannot be created", async () => {
    const plain = file("plain.txt", "text");
    await fails(
      ["verify", TRAINED, "--keep", plain],
      `${plain}: exists and is not a folder (--keep expects a folder)`,
    );
    await fails(["verify", TRAINED, "--keep", ""], "--keep: expected a folder path, got an empty string");
    await fails(
      ["verify", TRAINED, "--keep", join(plain, "sub")],
      `${join(plain, "sub")}: cannot write (${plain} is not a folder)`,
    );
  });

  it("nn2c verify --keep refuses a folder holding files nn2c did not write, unless --force", async () => {
    const keep = folder();
    writeFileSync(join(keep, "notes.txt"), "mine");
    await fails(
      ["verify", TRAINED, "--keep", keep, "--random", "1"],
      `${keep}: holds files nn2c did not write (notes.txt)`,
    );
    expect(readdirSync(keep)).toEqual(["notes.txt"]);
    const forced = await nn2c(["verify", TRAINED, "--keep", keep, "--random", "1", "--force"]);
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(readdirSync(keep)).toContain("harness.c");
    // a folder verify --keep wrote is its own: a second run needs no --force
    const again = await nn2c(["verify", TRAINED, "--keep", join(dir, "kept"), "--random", "1"]);
    expect(again.exitCode, again.stderr).toBe(0);
    const third = await nn2c(["verify", TRAINED, "--keep", join(dir, "kept"), "--random", "1"]);
    expect(third.exitCode, third.stderr).toBe(0);
  });

  it("nn2c demo --out naming a file, an empty string, or a folder that is not nn2c's", async () => {
    const plain = file("plain.txt", "text");
    await fails(["demo", "--out", plain], `${plain}: exists and is not a folder (--out expects a folder)`);
    await fails(["demo", "--out", ""], "--out: expected a folder path, got an empty string");
    await fails(
      ["demo", "--out", join(plain, "x")],
      `${join(plain, "x")}: cannot write (${plain} is not a folder)`,
    );
    const mine = folder();
    writeFileSync(join(mine, "thesis.tex"), "mine");
    await fails(["demo", "--out", mine], `${mine}: holds files nn2c did not write (thesis.tex)`);
    expect(readdirSync(mine)).toEqual(["thesis.tex"]);
  });

  it("nn2c features -o naming a FIFO", async () => {
    const pipe = fifo();
    const run = await nn2c([
      "features",
      "examples/motion/motion.features.json",
      "examples/motion/test.csv",
      "-o",
      pipe,
    ]);
    expectUsageError(run, `${pipe}: is not a regular file`);
  });
});

describe("what a user hit, fixed", () => {
  it("nn2c export -o a/b/c creates the missing folders", async () => {
    const out = join(folder(), "a", "b", "c");
    const run = await nn2c(["export", TRAINED, "-o", out, "--name", "net", "--json"]);
    expect(json<{ files: string[] }>(run).files).toContain("net.c");
    expect(readdirSync(out)).toContain("net.h");
  });

  it("nn2c inspect of a quantized model: ops, quantization, tables and bytes per section", async () => {
    const q = file("q.json", serializeQModel(program));
    const info = json<{
      precision: string;
      ops: { kind: string; label: string; outputShape: number[]; output: { scale: number } }[];
      tables: { kind: string; entries: number; maxErrorLsb: number }[];
      bytes: Record<string, number>;
      arenaBytes: number;
      macs: number;
    }>(await nn2c(["inspect", q, "--json"]));
    expect(info.precision).toBe("int8");
    expect(info.ops.map((o) => [o.kind, o.label, o.outputShape])).toEqual([
      ["dense", "dense 4 -> 6 relu", [6]],
      ["dense", "dense 6 -> 3", [3]],
      ["activation", "softmax", [3]],
    ]);
    expect(info.tables).toEqual([expect.objectContaining({ kind: "softmax_s8", entries: 256 })]);
    expect(info.bytes.weights).toBe(4 * 6 + 6 * 3);
    expect(info.bytes.table).toBe(1024);
    expect(info.bytes.total).toBe(
      info.bytes.weights +
        info.bytes.bias +
        info.bytes.requantization +
        info.bytes.table +
        info.bytes.parameters,
    );
    expect(info.macs).toBe(4 * 6 + 6 * 3);
    expect(info.arenaBytes).toBe(4 + 6);
    const text = await nn2c(["inspect", q]);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(
      /^int8 integer program, classification: input \[4\] \(4 values\) -> 3 outputs/,
    );
    expect(text.stdout).toMatch(/table 0: softmax_s8 \(softmax\(exp\)\), 256 entries, 1024 bytes/);
  });
});
