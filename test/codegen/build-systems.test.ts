/**
 * The build-system glue an export writes: a CMake project that add_subdirectory()s the folder and links
 * its library target, and a Makefile that includes <name>.mk, both build a program calling the model;
 * the program's answers equal the TypeScript reference.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { renderModel } from "../../src/codegen/export.js";
import { predictModel } from "../../src/model/predict.js";
import { predictInteger } from "../../src/reference/integer.js";
import { requireTools } from "../toolchain/available.js";
import { exportable, makeModel, type Precision, rowsFor, tempDir } from "./helpers.js";

const tools = await requireTools("build-system output of nn2c export", ["cmake", "make", "gcc"]);

const ROWS = 5;

/** A model folder plus a main.c that prints the first output of predict_float for ROWS rows, as float bits. */
function project(precision: Precision): { dir: string; expected: string } {
  const model = makeModel({
    inputs: 6,
    seed: 4,
    layers: [
      { units: 8, activation: "tanh" },
      { units: 3, activation: "softmax" },
    ],
  });
  const m = exportable(model, precision);
  const dir = tempDir("nn2c-build-");
  mkdirSync(join(dir, "net"));
  for (const [file, content] of renderModel(m, { name: "net" }).files)
    writeFileSync(join(dir, "net", file), content);
  const x = rowsFor(model, ROWS, 9);
  const rows = Array.from({ length: ROWS }, (_, r) =>
    Array.from(x.subarray(r * 6, r * 6 + 6), (v) => `${v.toPrecision(9)}f`).join(", "),
  );
  writeFileSync(
    join(dir, "main.c"),
    `#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include "net.h"
static const float rows[${ROWS}][NET_INPUT_SIZE] = { ${rows.map((r) => `{ ${r} }`).join(", ")} };
int main(void)
{
    int r;
    for (r = 0; r < ${ROWS}; ++r) {
        float out[NET_OUTPUT_SIZE];
        uint32_t bits;
        if (net_predict_float(rows[r], out) != 0) return 1;
        memcpy(&bits, &out[0], sizeof bits);
        printf("%08lx\\n", (unsigned long)bits);
    }
    return 0;
}
`,
  );
  const values =
    m.kind === "quantized"
      ? predictInteger(m.model, x, ROWS).values
      : predictModel(model, { rows: ROWS, cols: 6, data: x }).data;
  const first = Array.from({ length: ROWS }, (_, r) => values[r * 3]);
  const bits = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeFloatBE(v);
    return b.toString("hex");
  };
  return { dir, expected: first.map(bits).join("\n") };
}

/** int8: the same float bits (the integer path is exact); float32: within 1e-5 (libm's expf vs Math.exp). */
function expectOutputs(precision: Precision, stdout: string, expected: string): void {
  if (precision !== "float32") {
    expect(stdout).toBe(expected);
    return;
  }
  const f = (h: string) => Buffer.from(h, "hex").readFloatBE(0);
  const got = stdout.split("\n").map(f);
  const want = expected.split("\n").map(f);
  expect(got).toHaveLength(ROWS);
  got.forEach((g, k) => {
    expect(Math.abs(g - want[k])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[k])));
  });
}

describe.skipIf(tools.missing.length > 0)(`build-system output of nn2c export${tools.note}`, () => {
  for (const precision of ["int8", "float32"] as Precision[]) {
    it(`${precision}: a CMake project links the model's library target`, async () => {
      const { dir, expected } = project(precision);
      writeFileSync(
        join(dir, "CMakeLists.txt"),
        "cmake_minimum_required(VERSION 3.13)\nproject(app C)\nadd_subdirectory(net)\nadd_executable(app main.c)\ntarget_link_libraries(app PRIVATE net)\n",
      );
      await execa("cmake", ["-S", dir, "-B", join(dir, "build")], { cwd: dir });
      await execa("cmake", ["--build", join(dir, "build")], { cwd: dir });
      const run = await execa(join(dir, "build", "app"));
      expectOutputs(precision, run.stdout, expected);
    }, 60_000);

    it(`${precision}: a Makefile includes net.mk`, async () => {
      const { dir, expected } = project(precision);
      writeFileSync(
        join(dir, "Makefile"),
        "include net/net.mk\nCFLAGS += -std=c99 -Wall -Wextra -Werror $(NET_CFLAGS)\napp: main.c $(NET_SRCS)\n\t$(CC) $(CFLAGS) $^ -o $@ $(NET_LDLIBS)\n",
      );
      await execa("make", ["-s", "app"], { cwd: dir });
      const run = await execa(join(dir, "app"));
      expectOutputs(precision, run.stdout, expected);
    }, 60_000);
  }
});
