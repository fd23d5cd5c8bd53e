/**
 * Verification must fail loudly: a generated file changed after generation gives mismatches (the
 * library reports them, `nn2c verify` exits 1 and prints the first differences); a missing compiler is
 * a usage error naming the package to install; a user's templates that do not compile fail with the
 * compiler's message and command line, and a misspelled template field is a usage error.
 */
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Exportable } from "../../src/codegen/export.js";
import { serializeModel } from "../../src/model/io.js";
import { runHostHarness } from "../../src/verify/host.js";
import { makeVectors } from "../../src/verify/vectors.js";
import { compare, verifyModel } from "../../src/verify/verify.js";
import { ensureBuilt, expectUsageError, MAIN, nn2c, ROOT, type Run } from "../cli/run.js";
import { exportable, makeModel, type Precision, rowsFor, tempDir } from "../codegen/helpers.js";

const dir = tempDir("verify-cli");
beforeAll(ensureBuilt);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const model = makeModel({
  inputs: 5,
  layers: [
    { units: 6, activation: "relu" },
    { units: 3, activation: "softmax" },
  ],
});
const MODEL = join(dir, "model.json");
writeFileSync(MODEL, serializeModel(model));
const CAL = join(dir, "cal.csv");
{
  const x = rowsFor(model, 30);
  const rows = Array.from({ length: 30 }, (_, r) => Array.from(x.subarray(r * 5, r * 5 + 5)).join(","));
  writeFileSync(CAL, `${model.inputs.names.join(",")}\n${rows.join("\n")}\n`);
}

/** A copy of the templates folder with `edit` applied to one file; `anchor` must be in it. */
function templates(name: string, file: string, anchor: string, replacement: string): string {
  const copy = join(dir, name);
  cpSync(join(ROOT, "templates"), copy, { recursive: true });
  const path = join(copy, file);
  const text = readFileSync(path, "utf8");
  expect(text, `${file} no longer holds the text this test edits`).toContain(anchor);
  writeFileSync(path, text.replace(anchor, replacement));
  return copy;
}

const RUN_END = "{{/each}}\n    return NN_OK;\n}";
/** Halves the first output at the end of <name>_run: a plausible slip that only the comparison sees. */
const halveOutput = () =>
  templates(
    "templates-halve",
    "model.c.hbs",
    RUN_END,
    "{{/each}}\n    output[0] = ({{name}}_tensor_t)(output[0] / 2);\n    return NN_OK;\n}",
  );

/** The first constant of <array> in the generated C, changed by `change`. */
function tamper(c: string, array: string, change: (v: string) => string): string {
  const re = new RegExp(`(${array}\\[[^\\]]*\\][^=]*= \\{[^0-9-]*)(-?[0-9][0-9.e+-]*f?)`);
  const m = re.exec(c);
  expect(m, `${array} not found in the generated C`).not.toBeNull();
  return c.replace(re, (_all, head: string, value: string) => head + change(value));
}

describe("verifyModel › a changed generated file", () => {
  it.each([
    ["int8", (v: string) => String(Number(v) + 50_000)],
    ["int16", (v: string) => String(Number(v) + 50_000_000)],
    ["float32", (v: string) => `${(Number.parseFloat(v) + 4).toPrecision(9)}f`],
  ] as [Precision, (v: string) => string][])(
    "%s: one bias constant changed gives mismatches",
    async (precision, change) => {
      const m: Exportable = exportable(model, precision);
      const keep = tempDir(`keep-${precision}`);
      try {
        const clean = await verifyModel(m, { target: "host", random: 12, keepDir: keep });
        expect(clean.mismatches).toBe(0);
        const file = join(keep, "model.c");
        const c = readFileSync(file, "utf8");
        const changed = tamper(c, "model_op0_bias", change);
        expect(changed).not.toBe(c);
        writeFileSync(file, changed);
        const sources = readdirSync(keep).filter((f) => f.endsWith(".c"));
        expect(sources).toEqual(expect.arrayContaining(["model.c", "harness.c"]));
        const run = await runHostHarness(keep, sources, { sanitize: true });
        const set = makeVectors(m, { random: 12 });
        const r = compare(set, run.stdout, "host", precision, run.command);
        expect(r.vectors).toBe(clean.vectors);
        expect(r.mismatches).toBeGreaterThan(0);
        expect(r.first.length).toBe(Math.min(5, r.mismatches));
        for (const mm of r.first) expect(mm.actual.values).not.toEqual(mm.expected.values);
      } finally {
        rmSync(keep, { recursive: true, force: true });
      }
    },
  );
});

/** `nn2c verify` run and its stderr lines. */
async function verify(args: string[]): Promise<Run> {
  return nn2c(["verify", MODEL, "--random", "8", ...args]);
}

describe.concurrent("nn2c verify › catches a mismatch", () => {
  it.each(["float32", "int8", "int16"])("%s: exits 1 and prints the first differences", async (precision) => {
    const run = await verify([
      "--templates",
      halveOutput(),
      "--precision",
      precision,
      ...(precision === "float32" ? [] : ["--calibration", CAL]),
    ]);
    expect(run.exitCode, String(run.stderr)).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`^${precision} on host: \\d+ vectors, [1-9]\\d* mismatches`));
    const lines = String(run.stderr).trimEnd().split("\n");
    expect(lines[0]).toMatch(/^nn2c: [1-9]\d* outputs differ from the TypeScript reference; the first:$/);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.length).toBeLessThanOrEqual(6);
    for (const line of lines.slice(1)) {
      expect(line).toMatch(
        /^ {2}(host )?predict(_float)? vector \d+: expected status 0 \[[^\]]*\], got status 0 \[[^\]]*\]$/,
      );
    }
  });

  it("--json: the mismatches in the JSON object, exit 1", async () => {
    const run = await verify(["--templates", halveOutput(), "--json"]);
    expect(run.exitCode).toBe(1);
    const r = JSON.parse(String(run.stdout)) as { mismatches: number; firstMismatches: unknown[] };
    expect(r.mismatches).toBeGreaterThan(0);
    expect(r.firstMismatches.length).toBeGreaterThan(0);
    expect(String(run.stderr)).toMatch(/^nn2c: [1-9]\d* outputs differ from the TypeScript reference/);
  });

  it("--keep a new folder: created, and the generated C and harness left in it", async () => {
    const keep = join(dir, "kept", "here");
    const run = await verify(["--keep", keep, "--json"]);
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    expect(readdirSync(keep)).toEqual(expect.arrayContaining(["model.c", "model.h", "harness.c", "nn.h"]));
  });

  it("the untouched templates: no mismatch, exit 0", async () => {
    const run = await verify(["--json", "--precision", "int8", "--calibration", CAL]);
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(String(run.stdout))).toMatchObject({
      mismatches: 0,
      precision: "int8",
      target: "host",
    });
  });
});

describe.concurrent("nn2c verify › bad input and broken tools", () => {
  it("gcc missing: a usage error naming the package, exit 2", async () => {
    const empty = tempDir("empty-path");
    try {
      const run = (await execa(process.execPath, [MAIN, "verify", MODEL, "--random", "1"], {
        reject: false,
        env: { PATH: empty, NO_COLOR: "1" },
      })) as unknown as Run;
      expectUsageError(run, /\bgcc\b.*not found/, /install.*\bgcc\b/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("templates that do not compile: exit 1 with the compiler's error and the command line", async () => {
    const broken = templates(
      "templates-broken",
      "model.c.hbs",
      "#include <stddef.h>\n",
      "#include <stddef.h>\n\nint x = ;\n",
    );
    const run = await verify(["--templates", broken]);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toBe("");
    const stderr = String(run.stderr);
    expect(stderr).toMatch(/^nn2c: compiling the generated C failed/);
    expect(stderr).toMatch(/model\.c:\d+:\d+: error: expected expression/);
    expect(stderr).toContain("int x = ;");
    expect(stderr).toMatch(
      /command: gcc -std=c99 -Wall -Wextra -Wpedantic -Wconversion .*-Werror .*model\.c/,
    );
  });

  it("templates with a misspelled field: a usage error naming the template, line and field, exit 2", async () => {
    const typo = templates("templates-typo", "model.c.hbs", "{{NAME}}_INPUT_SIZE", "{{NAEM}}_INPUT_SIZE");
    const run = await verify(["--templates", typo]);
    expectUsageError(run, join(typo, "model.c.hbs"), 'unknown field "NAEM" at line ', "templates are strict");
  });

  it("an unknown target", async () => {
    expectUsageError(await verify(["-t", "esp32"]), "unknown target 'esp32'");
  });

  it("a --data file with other columns", async () => {
    const data = join(dir, "other.csv");
    writeFileSync(data, "a,b\n1,2\n");
    expectUsageError(await verify(["--data", data]), data);
  });
});
