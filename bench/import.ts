/**
 * `npm run bench:import`: MLPerf Tiny's reference models (test/fixtures/mlperf-tiny) through nn2c import.
 *
 *   - int8 .tflite: mismatches of the TypeScript integer reference against TensorFlow Lite Micro's golden
 *     codes, and `nn2c bench` on the Cortex-M0, M4 and M55 beside TensorFlow Lite Micro with CMSIS-NN
 *     (the figures issue 16 measured: same exact QEMU count, gcc 12 -O2);
 *   - Keras .h5 and float32 .tflite: the largest difference from the float goldens relative to their
 *     range, and the model quantized to int8 on the 20 golden inputs (`--method minmax` by default, as
 *     fast; `--method search` is nn2c's default and takes minutes on the person detector): the person
 *     detector's top-1 agreement with the float model, the anomaly detector's rms difference relative
 *     to the output range.
 *
 * Prints Markdown tables (with the seconds quantize took); `--json` prints one object. The C checks against the goldens on the host, M4
 * and M55 are tests (test/cli/import.test.ts; the person detector in `npm run test:mlperf`).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { benchModel } from "../src/bench/bench.js";
import { importModel } from "../src/import/index.js";
import { predictModel } from "../src/model/predict.js";
import type { ModelFile } from "../src/model/schema.js";
import type { CalibrationOptions } from "../src/quant/calibrate.js";
import { quantizeModel } from "../src/quant/quantize.js";
import type { QModel } from "../src/quant/schema.js";
import { predictInteger, runProgram } from "../src/reference/integer.js";
import { icountUnavailable } from "../src/toolchain/icount.js";

const FIXTURES = fileURLToPath(new URL("../test/fixtures/mlperf-tiny/", import.meta.url));
const json = process.argv.includes("--json");
const methodAt = process.argv.indexOf("--method");
const method = (methodAt > 0 ? process.argv[methodAt + 1] : "minmax") as CalibrationOptions["method"];
const log = (s: string) => {
  if (!json) process.stderr.write(`${s}\n`);
};

/** TensorFlow Lite Micro with CMSIS-NN: instructions and arena per core (issue 16's table). */
const TFLM: Record<
  string,
  { macs: number; m0: number; m4: number; m4Arena: number; m55: number; m55Arena: number }
> = {
  ad01_int8: { macs: 264_192, m0: 1_763_279, m4: 583_219, m4Arena: 2580, m55: 150_288, m55Arena: 9268 },
  kws_ref_model: {
    macs: 2_656_768,
    m0: 28_996_520,
    m4: 7_697_757,
    m4Arena: 22_820,
    m55: 1_813_520,
    m55Arena: 27_348,
  },
  vww_96_int8: {
    macs: 7_489_664,
    m0: 86_905_147,
    m4: 24_102_774,
    m4Arena: 100_708,
    m55: 6_559_148,
    m55Arena: 100_772,
  },
};

const bytes = (f: string) => readFileSync(`${FIXTURES}${f}`);

async function imported(file: string) {
  return importModel(`${FIXTURES}${file}`, bytes(file));
}

interface IntRow {
  model: string;
  mismatches: number;
  vectors: number;
  cores: {
    target: string;
    board: string;
    instructions: number | null;
    perMac: number | null;
    tflm: number;
    ratio: number | null;
    arenaBytes: number;
    tflmArena: number | null;
    codeBytes: number;
  }[];
}

async function int8Row(name: string): Promise<IntRow> {
  const m = await imported(`${name}.tflite`);
  const q = m.model as QModel;
  const inputs = new Int8Array(bytes(`${name}.inputs.bin`));
  const outputs = new Int8Array(bytes(`${name}.outputs.bin`));
  const n = inputs.length / 20;
  const k = outputs.length / 20;
  let mismatches = 0;
  for (let v = 0; v < 20; v++) {
    const got = runProgram(q, Int32Array.from(inputs.subarray(v * n, (v + 1) * n))).get(q.outputs[0])!;
    for (let i = 0; i < k; i++) if (got[i] !== outputs[v * k + i]) mismatches++;
  }
  const t = TFLM[name];
  const cores: IntRow["cores"] = [];
  if (icountUnavailable() === undefined) {
    for (const [target, tflm, tflmArena] of [
      ["cortex-m0", t.m0, null],
      ["cortex-m4", t.m4, t.m4Arena],
      ["cortex-m55", t.m55, t.m55Arena],
    ] as const) {
      log(`${name}: bench on ${target}`);
      const r = await benchModel({ kind: "quantized", model: q }, target);
      cores.push({
        target,
        board: r.board,
        instructions: r.instructions,
        perMac: r.instructions === null ? null : r.instructions / t.macs,
        tflm,
        ratio: r.instructions === null ? null : r.instructions / tflm,
        arenaBytes: r.arenaBytes,
        tflmArena,
        codeBytes: r.codeBytes,
      });
    }
  } else log(`bench:import: no instruction counts (${icountUnavailable()})`);
  return { model: name, mismatches, vectors: 20 * k, cores };
}

interface FloatRow {
  model: string;
  maxRelativeDiff: number;
  int8: { method: string; quantizeSeconds: number; top1Agreement?: number; rmsOfRange?: number };
}

async function floatRow(file: string, golden: string, inputs: string): Promise<FloatRow> {
  const m = (await imported(file)).model as ModelFile;
  const raw = bytes(inputs);
  const x = inputs.endsWith("int8.inputs.bin")
    ? Float32Array.from(new Int8Array(raw), (c) => Math.fround((c + 128) * Math.fround(1 / 255)))
    : new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
  const g = bytes(golden);
  const want = new Float32Array(g.buffer, g.byteOffset, g.length / 4);
  const cols = x.length / 20;
  const f = predictModel(m, { rows: 20, cols, data: x });
  const range = Math.max(...want) - Math.min(...want);
  let max = 0;
  want.forEach((w, i) => {
    max = Math.max(max, Math.abs(f.data[i] - w));
  });
  log(`${file}: quantizing (${method})`);
  const start = performance.now();
  const q = quantizeModel(m, x, 20, { precision: "int8", calibration: { method } });
  const quantizeSeconds = (performance.now() - start) / 1000;
  const p = predictInteger(q, x, 20);
  const width = want.length / 20;
  const int8: FloatRow["int8"] = { method, quantizeSeconds };
  if (width === 2) {
    let agree = 0;
    for (let r = 0; r < 20; r++) {
      const top = (v: ArrayLike<number>) => (v[2 * r] >= v[2 * r + 1] ? 0 : 1);
      if (top(f.data) === top(p.values)) agree++;
    }
    int8.top1Agreement = agree / 20;
  } else {
    const rms = Math.sqrt(p.values.reduce((s, v, i) => s + (v - f.data[i]) ** 2, 0) / p.values.length);
    int8.rmsOfRange = rms / range;
  }
  return { model: file, maxRelativeDiff: max / range, int8 };
}

const int8Rows: IntRow[] = [];
for (const name of ["ad01_int8", "kws_ref_model", "vww_96_int8"]) int8Rows.push(await int8Row(name));
const floatRows: FloatRow[] = [];
for (const [file, golden, inputs] of [
  ["ad01.h5", "ad01_h5.outputs.bin", "ad01_h5.inputs.bin"],
  ["ad01_fp32.tflite", "ad01_fp32.outputs.bin", "ad01_h5.inputs.bin"],
  ["vww_96.h5", "vww_96_float.outputs.bin", "vww_96_int8.inputs.bin"],
  ["vww_96_float.tflite", "vww_96_float.outputs.bin", "vww_96_int8.inputs.bin"],
])
  floatRows.push(await floatRow(file, golden, inputs));

if (json) {
  process.stdout.write(`${JSON.stringify({ int8: int8Rows, float: floatRows })}\n`);
} else {
  const lines = [
    "| int8 model | mismatches vs goldens (TS) | core | nn2c instructions (per MAC) | TFLM+CMSIS-NN | ratio | arena nn2c / TFLM | code |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const r of int8Rows)
    for (const c of r.cores)
      lines.push(
        `| ${r.model} | ${r.mismatches} of ${r.vectors} | ${c.target}${c.board === "mps2-an385" && c.target === "cortex-m0" ? " (AN385)" : ""} | ${c.instructions} (${c.perMac?.toFixed(2)}) | ${c.tflm} | ${c.ratio?.toFixed(2)}× | ${c.arenaBytes} / ${c.tflmArena ?? "-"} B | ${c.codeBytes} B |`,
      );
  lines.push(
    "",
    "| float model | max difference / output range | int8 (calibrated on the 20 goldens) |",
    "|---|---|---|",
  );
  for (const r of floatRows)
    lines.push(
      `| ${r.model} | ${r.maxRelativeDiff.toExponential(1)} | ${r.int8.method} (${r.int8.quantizeSeconds.toFixed(1)} s): ${r.int8.top1Agreement !== undefined ? `top-1 agreement ${(100 * r.int8.top1Agreement).toFixed(0)}%` : `rms ${(100 * r.int8.rmsOfRange!).toFixed(2)}% of the range`} |`,
    );
  process.stdout.write(`${lines.join("\n")}\n`);
}
