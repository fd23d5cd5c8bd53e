/**
 * `nn2c import` through the built CLI: MLPerf Tiny's int8 anomaly detector becomes an integer program
 * that `verify` then checks in C; and the refusals (exit code 2, one line, nothing written).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as flatbuffers from "flatbuffers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TFLITE_OPERATORS } from "../../src/import/tflite/program.js";
import { parseQModel } from "../../src/quant/io.js";
import { inputOf, quantizeInput } from "../../src/reference/integer.js";
import { tempDir } from "../codegen/helpers.js";
import { QEMU, requireTools } from "../toolchain/available.js";
import { ensureBuilt, expectUsageError, json, nn2c, ROOT } from "./run.js";

const FIXTURES = join(ROOT, "test/fixtures/mlperf-tiny");
const AD01 = join(FIXTURES, "ad01_int8.tflite");
const dir = tempDir("import");
const qemu = await requireTools("the imported models on Cortex-M4 and M55", QEMU);
beforeAll(ensureBuilt);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The file with operator code `k` (of Model.operator_codes) changed to the builtin `code` (< 128): its
 * deprecated byte, and its int32 field where the file has one.
 */
function withOperatorCode(bytes: Uint8Array, k: number, code: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  const bb = new flatbuffers.ByteBuffer(copy);
  const field = (table: number, id: number) => {
    const o = bb.__offset(table, 4 + 2 * id);
    return o === 0 ? 0 : table + o;
  };
  const model = bb.readInt32(0);
  const codes = field(model, 1);
  const entry = bb.__indirect(bb.__vector(codes) + 4 * k);
  bb.writeInt8(field(entry, 0), code);
  if (field(entry, 3) !== 0) bb.writeInt32(field(entry, 3), code);
  return copy;
}

/**
 * Imports MLPerf Tiny's int8 model `name` and runs its golden input codes through `verify --data` on
 * each target (as raw values that quantize back to exactly those codes): the mismatches of the C
 * against the TypeScript reference, which equals the golden outputs (test/import/tflite.test.ts).
 */
async function goldenMismatches(name: string, targets: string[]): Promise<number[]> {
  const out = join(dir, `${name}-golden.q.json`);
  expect((await nn2c(["import", join(FIXTURES, `${name}.tflite`), "-o", out, "--force"])).exitCode).toBe(0);
  const q = parseQModel(JSON.parse(readFileSync(out, "utf8")), out);
  const codes = new Int8Array(readFileSync(join(FIXTURES, `${name}.inputs.bin`)));
  const { scale, zeroPoint } = q.tensors[0];
  const n = q.inputs.names.length;
  const rows: string[] = [q.inputs.names.join(",")];
  for (let v = 0; v < codes.length / n; v++) {
    const x = Array.from(codes.subarray(v * n, (v + 1) * n), (c) => Math.fround((c - zeroPoint) * scale));
    const back = new Int32Array(n);
    quantizeInput(inputOf(q), x, back);
    expect(Array.from(back)).toEqual(Array.from(codes.subarray(v * n, (v + 1) * n)));
    rows.push(x.map((value) => value.toPrecision(9)).join(","));
  }
  const csv = join(dir, `${name}-golden.csv`);
  writeFileSync(csv, `${rows.join("\n")}\n`);
  const mismatches: number[] = [];
  for (const target of targets) {
    const run = await nn2c(["verify", out, "-t", target, "--data", csv, "--json"]);
    expect(run.exitCode, String(run.stderr)).toBe(0);
    mismatches.push(json<{ mismatches: number }>(run).mismatches);
  }
  return mismatches;
}

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

  // npm test: the anomaly detector on the host, the M4 and the M55; npm run test:mlperf: it and the
  // keyword spotter on the M0 (MPS2 AN385) as well (the keyword spotter's C on the host alone takes
  // half a minute under ASan)
  const full = process.env.NN2C_MLPERF === "full";
  for (const name of ["ad01_int8", "kws_ref_model"]) {
    const targets = full
      ? ["host", "cortex-m0", "cortex-m4", "cortex-m55"]
      : ["host", "cortex-m4", "cortex-m55"];
    it.skipIf(qemu.missing.length > 0 || (!full && name !== "ad01_int8"))(
      `runs ${name}'s golden inputs in C on ${targets.join(", ")} as the reference does${qemu.note}`,
      async () => {
        const mismatches = await goldenMismatches(name, targets);
        expect(mismatches).toEqual(targets.map(() => 0));
      },
      180_000,
    );
  }

  // the person detector (7.5 M MACs per inference) only in the long suite: npm run test:mlperf
  it.skipIf(qemu.missing.length > 0 || process.env.NN2C_MLPERF !== "full")(
    `runs vww_96_int8's golden inputs in C on the host, the M4 (MPS2 AN386) and the M55 (MPS3 AN547) as the reference does${qemu.note}`,
    async () => {
      const targets = ["host", "cortex-m4", "cortex-m55"];
      expect(await goldenMismatches("vww_96_int8", targets)).toEqual(targets.map(() => 0));
    },
    900_000,
  );

  it("writes a Keras .h5 file's float model, which quantize reads", async () => {
    const out = join(dir, "ad01-float.json");
    const run = await nn2c(["import", join(FIXTURES, "ad01.h5"), "-o", out, "--json"]);
    expect(run.exitCode, String(run.stderr)).toBe(0);
    const r = json<{
      format: string;
      layers: { kind: string; outputShape: number[]; params: number }[];
      lowering: string[];
      params: number;
    }>(run);
    expect(r.format).toBe("keras-h5");
    expect(r.layers).toHaveLength(28);
    expect(r.layers[0]).toMatchObject({ kind: "dense", outputShape: [128], params: 640 * 128 + 128 });
    expect(r.params).toBe(r.layers.reduce((n, l) => n + l.params, 0));
    // what export will do: each batch normalization folded into the dense before it, each relu fused
    expect(r.lowering.filter((l) => l.startsWith("folded batch_normalization"))).toHaveLength(9);
    expect(r.lowering.filter((l) => l.startsWith("fused relu"))).toHaveLength(9);
    const model = JSON.parse(readFileSync(out, "utf8"));
    expect(model.format).toBe("nn2c-model");
    expect(model.source).toEqual({ format: "keras-h5", kerasVersion: "2.4.0" });
  });

  it("refuses an operator it does not import, naming it, and writes nothing", async () => {
    const bad = join(dir, "kws-mul.tflite");
    writeFileSync(bad, withOperatorCode(readFileSync(join(FIXTURES, "kws_ref_model.tflite")), 3, 18));
    const out = join(dir, "kws.q.json");
    expectUsageError(
      await nn2c(["import", bad, "-o", out]),
      `kws-mul.tflite: operators[10] (MUL): nn2c imports ${TFLITE_OPERATORS.join(", ")}`,
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
