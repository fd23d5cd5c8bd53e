/**
 * `nn2c export` on bad input: each case exits with code 2, prints one line on stderr naming the file or
 * flag at fault, and writes nothing (no output folder, no temporary folder beside it). A folder holding
 * files nn2c did not write is refused unless --force, and then those files are left alone.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serializeModel } from "../../src/model/io.js";
import { ensureBuilt, expectUsageError, json, nn2c, ROOT } from "../cli/run.js";
import { makeModel, rowsFor, tempDir } from "./helpers.js";

const dir = tempDir("export-cli");
beforeAll(ensureBuilt);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const model = makeModel({
  inputs: 4,
  layers: [
    { units: 5, activation: "relu" },
    { units: 3, activation: "softmax" },
  ],
});
const MODEL = join(dir, "model.json");
writeFileSync(MODEL, serializeModel(model));

let n = 0;
function file(name: string, content: string): string {
  const f = join(dir, `${++n}-${name}`);
  writeFileSync(f, content);
  return f;
}

/** A new empty folder; the export goes to <folder>/out. */
function workspace(): { parent: string; out: string } {
  const parent = join(dir, `ws-${++n}`);
  mkdirSync(parent);
  return { parent, out: join(parent, "out") };
}

/** Runs `nn2c export`, expects a usage error and nothing written in the workspace. */
async function exportFails(args: string[], ...fragments: (string | RegExp)[]): Promise<void> {
  const { parent, out } = workspace();
  const run = await nn2c(["export", ...args.map((a) => (a === "OUT" ? out : a))]);
  expectUsageError(run, ...fragments);
  expect(readdirSync(parent), "files written").toEqual([]);
}

describe.concurrent("nn2c export rejects", () => {
  it("a model file of another kind", async () => {
    const f = file("other.json", JSON.stringify({ format: "keras", layers: [] }));
    await exportFails(
      [f, "-o", "OUT", "--name", "net"],
      `${f}: not an nn2c model (format 'keras', expected 'nn2c-model' or 'nn2c-qmodel')`,
    );
  });

  it("a model file without a format field", async () => {
    const f = file("none.json", "{}");
    await exportFails([f, "-o", "OUT", "--name", "net"], `${f}: not an nn2c model (format missing`);
  });

  it("a CSV instead of a model", async () => {
    const f = join(ROOT, "examples/iris/train.csv");
    await exportFails([f, "-o", "OUT", "--name", "net"], `${f}: not a valid JSON model file`);
  });

  it("a float model file of another version", async () => {
    const f = file("v9.json", serializeModel(model).replace('"version": 2', '"version": 9'));
    expect(readFileSync(f, "utf8")).toContain('"version": 9');
    await exportFails(
      [f, "-o", "OUT", "--name", "net"],
      `${f}: model file version 9 is not supported (this nn2c reads versions 1 and 2)`,
    );
  });

  it("a quantized model file of another version", async () => {
    const f = file("q3.json", JSON.stringify({ format: "nn2c-qmodel", version: 3 }));
    await exportFails(
      [f, "-o", "OUT", "--name", "net"],
      `${f}: quantized model version 3 is not supported (this nn2c reads versions 1 and 2)`,
    );
  });

  it("a model file that fails its schema", async () => {
    const f = file("bad.json", serializeModel({ ...model, layers: [] }));
    await exportFails([f, "-o", "OUT", "--name", "net"], f, "layers");
  });

  it.each([
    ["2fast", "expected a C identifier"],
    ["my-model", "expected a C identifier"],
    ["", "expected a C identifier"],
    ["int", "'int' is a C keyword or reserved name"],
    ["while", "'while' is a C keyword or reserved name"],
    ["_Bool", "expected a C identifier"],
    ["nn_model", "belong to the nn runtime"],
    ["a".repeat(41), "at most 40 characters"],
  ])("--name %j", async (name, message) => {
    await exportFails([MODEL, "-o", "OUT", "--name", name], `--name '${name}': `, message);
  });

  it("an output folder under a file", async () => {
    const { parent } = workspace();
    const plain = join(parent, "plain.txt");
    writeFileSync(plain, "text");
    const out = join(plain, "out");
    const run = await nn2c(["export", MODEL, "-o", out, "--name", "net"]);
    expectUsageError(run, `${out}: cannot write (${plain} is not a folder)`);
    expect(readdirSync(parent)).toEqual(["plain.txt"]);
  });

  it("an output path that is a file", async () => {
    const { parent, out } = workspace();
    writeFileSync(out, "not a folder");
    const run = await nn2c(["export", MODEL, "-o", out, "--name", "net"]);
    expectUsageError(run, `${out}: exists and is not a folder (-o expects a folder)`);
    expect(readdirSync(parent)).toEqual(["out"]);
    expect(readFileSync(out, "utf8")).toBe("not a folder");
  });

  it("--precision int8 of a float model without --calibration", async () => {
    await exportFails(
      [MODEL, "-o", "OUT", "--name", "net", "--precision", "int8"],
      "--precision int8 with a float model needs --calibration DATA",
    );
  });

  it("templates with a misspelled field (strict mode)", async () => {
    const templates = join(dir, "templates-typo");
    cpSync(join(ROOT, "templates"), templates, { recursive: true });
    const h = join(templates, "model.h.hbs");
    const text = readFileSync(h, "utf8");
    expect(text).toContain("{{inputSize}}");
    writeFileSync(h, text.replace("{{inputSize}}", "{{inputSzie}}"));
    await exportFails(
      [MODEL, "-o", "OUT", "--name", "net", "--templates", templates],
      `${h}: unknown field "inputSzie" at line `,
      "templates are strict",
    );
  });

  it("a templates folder that does not exist", async () => {
    const templates = join(dir, "no-templates");
    await exportFails(
      [MODEL, "-o", "OUT", "--name", "net", "--templates", templates],
      `${templates}: templates folder not found`,
    );
  });
});

describe("nn2c export into an existing folder", () => {
  it("refuses a folder holding files nn2c did not write, and writes nothing there", async () => {
    const { out } = workspace();
    mkdirSync(out);
    writeFileSync(join(out, "main.c"), "int main(void) { return 0; }\n");
    writeFileSync(join(out, "notes.txt"), "mine\n");
    const run = await nn2c(["export", MODEL, "-o", out, "--name", "net"]);
    expectUsageError(run, `${out}: holds files nn2c did not write (main.c, notes.txt); use --force`);
    expect(readdirSync(out).sort()).toEqual(["main.c", "notes.txt"]);
  });

  it("writes there with --force, leaving the other files as they were", async () => {
    const { parent, out } = workspace();
    mkdirSync(out);
    writeFileSync(join(out, "main.c"), "int main(void) { return 0; }\n");
    const run = await nn2c(["export", MODEL, "-o", out, "--name", "net", "--force", "--json"]);
    const summary = json<{ files: string[]; precision: string }>(run);
    expect(summary.precision).toBe("float32");
    expect(summary.files).toContain("net.c");
    expect(readdirSync(out).sort()).toEqual([...summary.files, "main.c"].sort());
    expect(readFileSync(join(out, "main.c"), "utf8")).toBe("int main(void) { return 0; }\n");
    expect(readdirSync(parent)).toEqual(["out"]);
  });

  it("replaces its own files without --force, at another precision too", async () => {
    const { parent, out } = workspace();
    const cal = join(parent, "cal.csv");
    const x = rowsFor(model, 20);
    const rows = Array.from({ length: 20 }, (_, r) => Array.from(x.subarray(r * 4, r * 4 + 4)).join(","));
    writeFileSync(cal, `${model.inputs.names.join(",")}\n${rows.join("\n")}\n`);
    expect(json(await nn2c(["export", MODEL, "-o", out, "--name", "net", "--json"]))).toBeTruthy();
    const run = await nn2c([
      "export",
      MODEL,
      "-o",
      out,
      "--name",
      "net",
      "--precision",
      "int8",
      "--calibration",
      cal,
      "--json",
    ]);
    const summary = json<{ files: string[] }>(run);
    // the float32 kernels of the first export stay (nn2c's own files, unused by the int8 model)
    expect(readdirSync(out)).toEqual(expect.arrayContaining(summary.files));
    expect(readFileSync(join(out, "net.c"), "utf8")).toContain("int8 integer program");
    expect(readdirSync(parent).sort()).toEqual(["cal.csv", "out"]);
    expect(existsSync(join(out, "nn_dense_s8.c"))).toBe(true);
  });
});
