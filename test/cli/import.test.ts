/**
 * `nn2c import` through the built CLI: MLPerf Tiny's int8 anomaly detector becomes an integer program
 * that `verify` then checks in C; and the refusals (exit code 2, one line, nothing written).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseQModel } from "../../src/quant/io.js";
import { inputOf, quantizeInput } from "../../src/reference/integer.js";
import { tempDir } from "../codegen/helpers.js";
import { QEMU, requireTools } from "../toolchain/available.js";
import { ensureBuilt, expectUsageError, json, nn2c, ROOT } from "./run.js";

const FIXTURES = join(ROOT, "test/fixtures/mlperf-tiny");
const AD01 = join(FIXTURES, "ad01_int8.tflite");
const dir = tempDir("import");
const qemu = await requireTools("the imported anomaly detector on Cortex-M4 and M55", QEMU);
beforeAll(ensureBuilt);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("nn2c import", () => {
  it("writes the anomaly detector's integer program and lists what it found (--json)", async () => {
    const out = join(dir, "ad01.q.json");
    const run = await nn2c(["import", AD01, "-o", out, "--json"]);
    expect(run.exitCode, String(run.stderr)).toBe(0);
    const r = json<{
      format: string;
      operators: { op: string; version: number }[];
      ops: { kind: string; activation: string; output: number[] }[];
      input: { shape: number[]; zeroPoint: number };
    }>(run);
    expect(r.format).toBe("tflite");
    expect(r.operators).toEqual([{ op: "FULLY_CONNECTED", version: 4 }]);
    expect(r.ops.map((op) => op.output[0])).toEqual([128, 128, 128, 128, 8, 128, 128, 128, 128, 640]);
    expect(r.ops.map((op) => op.activation)).toEqual([...Array(9).fill("relu"), "linear"]);
    expect(r.input).toMatchObject({ shape: [640], zeroPoint: 89 });
    const verify = await nn2c(["verify", out, "-t", "host", "--json"]);
    expect(verify.exitCode, String(verify.stderr)).toBe(0);
    expect(json<{ mismatches: number }>(verify).mismatches).toBe(0);
  });

  it.skipIf(qemu.missing.length > 0)(
    `runs TensorFlow Lite Micro's golden inputs in C on the host, the M4 and the M55 as the reference does${qemu.note}`,
    async () => {
      const out = join(dir, "ad01-golden.q.json");
      expect((await nn2c(["import", AD01, "-o", out])).exitCode).toBe(0);
      const q = parseQModel(JSON.parse(readFileSync(out, "utf8")), out);
      // the golden codes as raw inputs that quantize back to exactly those codes
      const codes = new Int8Array(readFileSync(join(FIXTURES, "ad01_int8.inputs.bin")));
      const { scale, zeroPoint } = q.tensors[0];
      const n = 640;
      const rows: string[] = [q.inputs.names.join(",")];
      for (let v = 0; v < codes.length / n; v++) {
        const x = Array.from(codes.subarray(v * n, (v + 1) * n), (c) => Math.fround((c - zeroPoint) * scale));
        const back = new Int32Array(n);
        quantizeInput(inputOf(q), x, back);
        expect(Array.from(back)).toEqual(Array.from(codes.subarray(v * n, (v + 1) * n)));
        rows.push(x.map((value) => value.toPrecision(9)).join(","));
      }
      const csv = join(dir, "ad01-golden.csv");
      writeFileSync(csv, `${rows.join("\n")}\n`);
      for (const target of ["host", "cortex-m4", "cortex-m55"]) {
        const run = await nn2c(["verify", out, "-t", target, "--data", csv, "--json"]);
        expect(run.exitCode, String(run.stderr)).toBe(0);
        expect(json<{ mismatches: number }>(run).mismatches, target).toBe(0);
      }
    },
    120_000,
  );

  it("writes a Keras .h5 file's float model, which quantize reads", async () => {
    const out = join(dir, "ad01-float.json");
    const run = await nn2c(["import", join(FIXTURES, "ad01.h5"), "-o", out, "--json"]);
    expect(run.exitCode, String(run.stderr)).toBe(0);
    const r = json<{ format: string; layers: { kind: string }[] }>(run);
    expect(r.format).toBe("keras-h5");
    expect(r.layers).toHaveLength(28);
    const model = JSON.parse(readFileSync(out, "utf8"));
    expect(model.format).toBe("nn2c-model");
    expect(model.source).toEqual({ format: "keras-h5", kerasVersion: "2.4.0" });
  });

  it("refuses an operator it does not import yet, naming it, and writes nothing", async () => {
    const out = join(dir, "kws.q.json");
    const run = await nn2c(["import", join(FIXTURES, "kws_ref_model.tflite"), "-o", out]);
    expectUsageError(
      run,
      "kws_ref_model.tflite: operators[0] (CONV_2D): nn2c imports FULLY_CONNECTED so far",
    );
    expect(existsSync(out)).toBe(false);
  });

  it("refuses a file that is not a TensorFlow Lite model, and a truncated one", async () => {
    const csv = join(dir, "data.csv");
    writeFileSync(csv, "a,b\n1,2\n");
    expectUsageError(
      await nn2c(["import", csv, "-o", join(dir, "x.json")]),
      `${csv}: not a TensorFlow Lite model: expected the FlatBuffer identifier "TFL3" at bytes 4 to 7`,
    );
    const cut = join(dir, "cut.tflite");
    writeFileSync(cut, readFileSync(AD01).subarray(0, 4096));
    expectUsageError(
      await nn2c(["import", cut, "-o", join(dir, "y.json")]),
      `${cut}: a truncated or corrupt TensorFlow Lite file:`,
    );
    expectUsageError(
      await nn2c(["import", join(dir, "missing.tflite"), "-o", join(dir, "z.json")]),
      "missing.tflite: cannot read model to import (no such file)",
    );
    for (const f of ["x.json", "y.json", "z.json"]) expect(existsSync(join(dir, f))).toBe(false);
  });
});
