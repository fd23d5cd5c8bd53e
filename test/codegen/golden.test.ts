/**
 * Snapshots of the generated C, kept as real files under test/golden/<case>/ so that a change to the
 * generator or the templates shows up as a C diff in review (the runtime files an export copies are
 * listed there, and checked to be verbatim copies of firmware/nn). `UPDATE_GOLDEN=1 npx vitest run
 * test/codegen/golden.test.ts` rewrites them. The files on disk are also compiled with a small main and
 * run on fixed vectors against the TypeScript reference; and the same model and flags must give the same
 * bytes every time, through the library and through `nn2c export`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Exportable, RUNTIME_DIR, renderModel } from "../../src/codegen/export.js";
import { predictedClass } from "../../src/core/classes.js";
import { serializeModel } from "../../src/model/io.js";
import { predictFloat32, runFloat32 } from "../../src/reference/float32.js";
import { dequantizeOutput, inputOf, quantizeInput, runOutput } from "../../src/reference/integer.js";
import { STRICT_FLAGS } from "../../src/verify/host.js";
import { FLOAT_TOLERANCE } from "../../src/verify/verify.js";
import { ensureBuilt, nn2c, ROOT } from "../cli/run.js";
import { exportable, type ModelSpec, makeModel, type Precision, rowsFor, tempDir } from "./helpers.js";

const GOLDEN = join(ROOT, "test/golden");
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const NAME = "small";

/** 4 inputs → 5 relu → 3 softmax, three named classes: every part of the model file shows in the C. */
const SPEC: ModelSpec = {
  inputs: 4,
  seed: 7,
  classes: ["setosa", "versicolor", "virginica"],
  layers: [
    { units: 5, activation: "relu" },
    { units: 3, activation: "softmax" },
  ],
};
const model = makeModel(SPEC);
const CASES: { dir: string; precision: Precision }[] = [
  { dir: "small_int8", precision: "int8" },
  { dir: "small_int16", precision: "int16" },
  { dir: "small_float32", precision: "float32" },
];

const scratch = tempDir("golden");
beforeAll(ensureBuilt);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function hex(v: number): string {
  const b = Buffer.alloc(4);
  b.writeFloatBE(v);
  return b.toString("hex");
}

/** A main that prints predict on fixed codes, predict_float on fixed raw rows, and classify. */
function mainSource(m: Exportable, codes: number[], raw: number[][]): string {
  const integer = m.kind === "quantized";
  const name = NAME;
  const fl = (v: number) => `${Math.fround(v).toPrecision(9)}f`;
  return `#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "${name}.h"

static const ${name}_tensor_t codes[${name.toUpperCase()}_INPUT_SIZE] = { ${codes.map((c) => (integer ? String(c) : fl(c))).join(", ")} };
static const float raw[${raw.length}][${name.toUpperCase()}_INPUT_SIZE] = {
${raw.map((r) => `    { ${r.map(fl).join(", ")} },`).join("\n")}
};

static void put_float(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    printf(" %08lx", (unsigned long)u);
}

int main(void)
{
    ${name}_tensor_t out[${name.toUpperCase()}_OUTPUT_SIZE];
    float fout[${name.toUpperCase()}_OUTPUT_SIZE];
    int32_t cls = -1;
    int status;
    int i;
    int r;
    printf("P %d", ${name}_predict(codes, out));
    for (i = 0; i < ${name.toUpperCase()}_OUTPUT_SIZE; ++i) {
${integer ? `        printf(" %d", (int)out[i]);` : "        put_float(out[i]);"}
    }
    printf("\\n");
    for (r = 0; r < ${raw.length}; ++r) {
        printf("F %d", ${name}_predict_float(raw[r], fout));
        for (i = 0; i < ${name.toUpperCase()}_OUTPUT_SIZE; ++i) {
            put_float(fout[i]);
        }
        status = ${name}_classify(raw[r], &cls);
        printf("\\nC %d %ld %s\\n", status, (long)cls, status == 0 ? ${name}_class_names[cls] : "-");
    }
    return 0;
}
`;
}

const RUNTIME_LIST = "runtime-files.txt";

/**
 * What test/golden/<case>/ holds: the model's own files (<name>.c, <name>.h, CMakeLists.txt, <name>.mk)
 * and the list of the
 * runtime files the export copies next to them (copies of firmware/nn, checked separately), so that a
 * runtime change does not churn the snapshots while a change in which kernels a model uses does show.
 */
function goldenFiles(m: Exportable): Map<string, string> {
  const files = renderModel(m, { name: NAME }).files;
  const own = [`${NAME}.c`, `${NAME}.h`, "CMakeLists.txt", `${NAME}.mk`];
  const runtime = [...files.keys()].filter((f) => !own.includes(f));
  return new Map([
    ...own.map((f): [string, string] => [f, files.get(f)!]),
    [RUNTIME_LIST, `${runtime.join("\n")}\n`],
  ]);
}

const fromHex = (h: string) => Buffer.from(h, "hex").readFloatBE(0);

/** Float32 exports: the same lines, float values within FLOAT_TOLERANCE (libm's expf is not Math.exp). */
function expectClose(actual: string[], expected: string[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((line, k) => {
    const a = line.split(" ");
    const e = expected[k].split(" ");
    expect(a.slice(0, 2), line).toEqual(e.slice(0, 2));
    expect(a.length, line).toBe(e.length);
    if (e[0] === "C") expect(line).toBe(expected[k]);
    else
      for (let j = 2; j < e.length; j++) {
        const want = fromHex(e[j]);
        expect(Math.abs(fromHex(a[j]) - want), `${line} vs ${expected[k]}`).toBeLessThanOrEqual(
          FLOAT_TOLERANCE * Math.max(1, Math.abs(want)),
        );
      }
  });
}

/** What the main must print, from the TypeScript reference. */
function expectedOutput(m: Exportable, codes: number[], raw: number[][]): string {
  const lines: string[] = [];
  const classLine = (values: Float32Array | number[]) => {
    const c = predictedClass(Array.from(values), 0, values.length);
    return `C 0 ${c} ${model.output.classes![c]}`;
  };
  if (m.kind === "quantized") {
    const q = m.model;
    lines.push(`P 0 ${Array.from(runOutput(q, Int32Array.from(codes))).join(" ")}`);
    for (const x of raw) {
      const qin = new Int32Array(x.length);
      quantizeInput(inputOf(q), x, qin);
      const out = dequantizeOutput(q, runOutput(q, qin));
      lines.push(`F 0 ${Array.from(out, hex).join(" ")}`, classLine(out));
    }
  } else {
    lines.push(`P 0 ${Array.from(runFloat32(m.model, codes), hex).join(" ")}`);
    for (const x of raw) {
      const out = predictFloat32(m.model, x);
      lines.push(`F 0 ${Array.from(out, hex).join(" ")}`, classLine(out));
    }
  }
  return `${lines.join("\n")}\n`;
}

describe.each(CASES)("golden C › $dir", ({ dir, precision }) => {
  const folder = join(GOLDEN, dir);
  const m = exportable(model, precision);

  it("matches the files in test/golden byte for byte", () => {
    const files = goldenFiles(m);
    if (UPDATE) {
      rmSync(folder, { recursive: true, force: true });
      mkdirSync(folder, { recursive: true });
      for (const [file, content] of files) writeFileSync(join(folder, file), content);
    }
    expect(existsSync(folder), `${folder} missing: run with UPDATE_GOLDEN=1`).toBe(true);
    expect(readdirSync(folder).sort()).toEqual([...files.keys()].sort());
    for (const [file, content] of files) {
      expect(readFileSync(join(folder, file), "utf8"), `${dir}/${file} (UPDATE_GOLDEN=1 rewrites it)`).toBe(
        content,
      );
    }
  });

  it("copies the runtime files verbatim under a one-line banner", () => {
    for (const [file, content] of renderModel(m, { name: NAME }).files) {
      if (!file.startsWith("nn")) continue;
      const src = join(RUNTIME_DIR, file.endsWith(".h") ? "include" : "src", file);
      const [banner, ...rest] = content.split("\n");
      expect(banner).toMatch(
        new RegExp(
          `^/\\* ${file}: nn runtime, copied by nn2c \\(generated by nn2c\\) for the model with sha256 [0-9a-f]{16}\\. MIT licence\\. \\*/$`,
        ),
      );
      expect(rest.join("\n"), file).toBe(readFileSync(src, "utf8"));
    }
  });

  it("compiles with the runtime under the strict flags with ASan and UBSan and runs like the reference", async () => {
    const codes =
      precision === "int8"
        ? [-128, 127, 5, -77]
        : precision === "int16"
          ? [-32768, 32767, 1200, -9000]
          : [0.5, -2, 3.25, 1e3];
    const raw = [Array.from(rowsFor(model, 1, 11)), Array.from(rowsFor(model, 1, 12, 40)), model.inputs.mean];
    const work = join(scratch, dir);
    mkdirSync(work);
    writeFileSync(join(work, "main.c"), mainSource(m, codes, raw));
    const runtime = readFileSync(join(folder, RUNTIME_LIST), "utf8").trim().split("\n");
    const sources = [
      join(folder, `${NAME}.c`),
      ...runtime.filter((f) => f.endsWith(".c")).map((f) => join(RUNTIME_DIR, "src", f)),
    ];
    const exe = join(work, "main");
    const args = [
      ...STRICT_FLAGS,
      "-O2",
      "-fsanitize=address,undefined",
      "-fno-sanitize-recover=all",
      "-I",
      folder,
      "-I",
      join(RUNTIME_DIR, "include"),
      join(work, "main.c"),
      ...sources,
      "-o",
      exe,
      "-lm",
    ];
    const built = await execa("gcc", args, { reject: false, all: true });
    expect(built.exitCode, `gcc ${args.join(" ")}\n${built.all}`).toBe(0);
    const run = await execa(exe, [], { reject: false });
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    const expected = expectedOutput(m, codes, raw);
    if (m.kind === "quantized") expect(`${run.stdout}\n`).toBe(expected);
    else expectClose(run.stdout.split("\n"), expected.trimEnd().split("\n"));
  });
});

describe("generated C › determinism", () => {
  it("renders the same model and flags to the same bytes twice, quantization included", () => {
    for (const { precision } of CASES) {
      const a = renderModel(exportable(makeModel(SPEC), precision), { name: NAME }).files;
      const b = renderModel(exportable(makeModel(SPEC), precision), { name: NAME }).files;
      expect([...b.keys()]).toEqual([...a.keys()]);
      for (const [file, content] of a) expect(b.get(file), file).toBe(content);
    }
  });

  it("nn2c export writes byte-identical folders for the same model file and flags", async () => {
    const modelFile = join(scratch, "model.json");
    writeFileSync(modelFile, serializeModel(model));
    const x = rowsFor(model, 40, 3);
    const header = model.inputs.names.join(",");
    const rows = Array.from({ length: 40 }, (_, r) => Array.from(x.subarray(r * 4, r * 4 + 4)).join(","));
    const cal = join(scratch, "cal.csv");
    writeFileSync(cal, `${header}\n${rows.join("\n")}\n`);
    for (const precision of ["int8", "int16", "float32"]) {
      const flags = [
        "--name",
        NAME,
        "--precision",
        precision,
        ...(precision === "float32" ? [] : ["--calibration", cal]),
      ];
      const dirs = [join(scratch, `${precision}-a`), join(scratch, `${precision}-b`)];
      for (const out of [...dirs, dirs[0]]) {
        const run = await nn2c(["export", modelFile, "-o", out, ...flags]);
        expect(run.stderr).toBe("");
        expect(run.exitCode).toBe(0);
      }
      const files = readdirSync(dirs[0]).sort();
      expect(readdirSync(dirs[1]).sort()).toEqual(files);
      expect(files).toContain(`${NAME}.c`);
      for (const f of files) {
        expect(readFileSync(join(dirs[1], f)).equals(readFileSync(join(dirs[0], f))), f).toBe(true);
      }
    }
  });
});
