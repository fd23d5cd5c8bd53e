/**
 * Bad input to the CLI: each case exits with code 2, prints one line on stderr naming the file and the
 * place (line, column, flag) without a stack trace, and writes no output file.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, expectUsageError, IRIS_TRAIN, nn2c } from "./run.js";

const dir = mkdtempSync(join(tmpdir(), "nn2c-cli-errors-"));
beforeAll(ensureBuilt);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;

/** A CSV file with the given text, in its own folder. */
function csv(text: string): string {
  const file = join(dir, `data-${++n}.csv`);
  writeFileSync(file, text);
  return file;
}

/**
 * Runs `nn2c train data -o <empty folder>/model.json ...flags`, checks the usage error and that the
 * output folder is still empty (no model, no report, no temporary file).
 */
async function trainFails(data: string, flags: string[], ...fragments: (string | RegExp)[]): Promise<void> {
  const out = join(dir, `out-${++n}`);
  mkdirSync(out);
  const run = await nn2c([
    "train",
    data,
    "-o",
    join(out, "model.json"),
    "--report",
    join(out, "curves.svg"),
    ...flags,
  ]);
  expectUsageError(run, ...fragments);
  expect(readdirSync(out), "files written").toEqual([]);
}

const HEADER = "a,b,label";

describe.concurrent("nn2c train rejects bad data", () => {
  it("a missing file", async () => {
    const file = join(dir, "missing.csv");
    await trainFails(file, [], `${file}: cannot read CSV (no such file)`);
  });

  it("a missing --test file", async () => {
    const file = join(dir, "missing-test.csv");
    await trainFails(
      IRIS_TRAIN,
      ["--test", file, "--epochs", "1"],
      `${file}: cannot read CSV (no such file)`,
    );
  });

  it("an empty CSV", async () => {
    const file = csv("");
    await trainFails(file, [], `${file}: empty CSV`);
  });

  it("a header without rows", async () => {
    const file = csv(`${HEADER}\n`);
    await trainFails(file, [], `${file}: no data rows after the header`);
  });

  it("ragged rows, naming the line", async () => {
    const file = csv(`${HEADER}\n1,2,x\n3,4,y\n5,6\n`);
    await trainFails(file, [], `${file}: line 4: 2 fields, expected 3 as in the header`);
  });

  it("a non-numeric cell, naming line and column", async () => {
    const file = csv(`${HEADER}\n1,2,x\n3,four,y\n`);
    await trainFails(file, [], `${file}: line 3, column 'b': expected a finite number, got 'four'`);
  });

  it("an empty cell, naming line and column", async () => {
    const file = csv(`${HEADER}\n1,2,x\n,4,y\n`);
    await trainFails(file, [], `${file}: line 3, column 'a': expected a finite number, got an empty cell`);
  });

  it("an empty label cell, naming line and column", async () => {
    const file = csv(`${HEADER}\n1,2,x\n3,4,\n5,6,y\n`);
    await trainFails(file, [], `${file}: line 3, column 'label': empty label cell`);
  });

  it.each(["NaN", "Infinity", "-Infinity"])("the value %s in a cell", async (value) => {
    const file = csv(`${HEADER}\n1,2,x\n3,${value},y\n`);
    await trainFails(file, [], `${file}: line 3, column 'b': expected a finite number, got '${value}'`);
  });

  it("a label column that does not exist", async () => {
    await trainFails(IRIS_TRAIN, ["--label", "colour"], `${IRIS_TRAIN}: line 1: no label column 'colour'`);
  });

  it("a single class", async () => {
    const file = csv(`${HEADER}\n1,2,x\n3,4,x\n5,6,x\n`);
    await trainFails(file, [], `${file}: column 'label': a single class 'x'`);
  });

  it("fewer rows than the batch", async () => {
    await trainFails(
      IRIS_TRAIN,
      ["--batch-size", "100"],
      `${IRIS_TRAIN}: 96 training rows, fewer than the batch size 100`,
    );
  });
});

describe.concurrent("nn2c train rejects bad flags", () => {
  it("an unknown activation", async () => {
    await trainFails(IRIS_TRAIN, ["--activation", "foo"], "unknown activation 'foo'");
  });

  it("an unknown optimizer", async () => {
    await trainFails(IRIS_TRAIN, ["--optimizer", "foo"], "--optimizer", "'foo'");
  });

  it.each([
    [["--layers", "0"], "--layers"],
    [["--epochs", "0"], "--epochs"],
    [["--batch-size", "-1"], "--batch-size"],
    [["--lr", "0"], "--lr"],
    [["--validation-split", "1"], "--validation-split"],
    [["--seed", "-3"], "--seed"],
    [["--task", "ranking"], "--task"],
  ])("%j", async (flags, name) => {
    await trainFails(IRIS_TRAIN, flags, name, `'${flags[1]}'`);
  });

  it("an unknown option", async () => {
    await trainFails(IRIS_TRAIN, ["--epoch", "3"], "unknown option '--epoch'");
  });

  it("a missing --output", async () => {
    expectUsageError(await nn2c(["train", IRIS_TRAIN]), "--output");
  });
});

describe.concurrent("nn2c train protects outputs", () => {
  it("creates the missing folders of the model and the report", async () => {
    const model = join(dir, `new-${++n}`, "a", "model.json");
    const report = join(dir, `new-${n}`, "b", "curves.svg");
    const run = await nn2c(["train", IRIS_TRAIN, "--epochs", "1", "-q", "-o", model, "--report", report]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(readFileSync(model, "utf8")).toContain('"format": "nn2c-model"');
    expect(readFileSync(report, "utf8")).toMatch(/^<!-- generated by nn2c: training curves -->\n<svg /);
  });

  it("rejects a report under a file, before training, writing no model either", async () => {
    const out = join(dir, `out-${++n}`);
    mkdirSync(out);
    const plain = join(out, "plain.txt");
    writeFileSync(plain, "text\n");
    const report = join(plain, "curves.svg");
    const run = await nn2c(["train", IRIS_TRAIN, "-o", join(out, "model.json"), "--report", report]);
    expectUsageError(run, `${report}: cannot write (${plain} is not a folder)`);
    expect(readdirSync(out)).toEqual(["plain.txt"]);
  });

  it("refuses to overwrite a file nn2c did not write, and leaves it alone", async () => {
    const file = join(dir, "mine.json");
    writeFileSync(file, '{"format": "something else"}\n');
    const run = await nn2c(["train", IRIS_TRAIN, "--epochs", "1", "-o", file]);
    expectUsageError(run, `${file}: exists and was not written by nn2c; use --force to replace it`);
    expect(readFileSync(file, "utf8")).toBe('{"format": "something else"}\n');
  });

  it("refuses to overwrite a report it did not write", async () => {
    const out = join(dir, `out-${++n}`);
    mkdirSync(out);
    const report = join(out, "curves.svg");
    writeFileSync(report, "<svg>my drawing</svg>\n");
    const run = await nn2c([
      "train",
      IRIS_TRAIN,
      "--epochs",
      "1",
      "-o",
      join(out, "model.json"),
      "--report",
      report,
    ]);
    expectUsageError(run, `${report}: exists and was not written by nn2c`);
    expect(readdirSync(out)).toEqual(["curves.svg"]);
  });

  it("refuses to write over a folder", async () => {
    const folder = join(dir, `folder-${++n}`);
    mkdirSync(folder);
    expectUsageError(await nn2c(["train", IRIS_TRAIN, "-o", folder]), `${folder}: is a folder`);
  });
});
