/**
 * What the code generation and verification tests share: small float models built as plain data with
 * seeded weights, calibration rows, quantization, and compiling a generated folder with each compiler.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import type { Exportable } from "../../src/codegen/export.js";
import { renderModel } from "../../src/codegen/export.js";
import { f32, parseModel } from "../../src/model/io.js";
import type { ModelFile, ModelFileV1 } from "../../src/model/schema.js";
import { quantizeModel } from "../../src/quant/quantize.js";
import { Rng } from "../../src/rng.js";
import { runHostHarness, STRICT_FLAGS } from "../../src/verify/host.js";
import { makeVectors } from "../../src/verify/vectors.js";
import { compare, harnessSource, type VerifyResult } from "../../src/verify/verify.js";

export type Precision = "float32" | "int8" | "int16";
export const PRECISIONS: Precision[] = ["float32", "int8", "int16"];

export interface LayerSpec {
  /** a dense layer of this many units with this activation, or a separate activation layer (units 0) */
  units: number;
  activation: string;
  alpha?: number;
}

export interface ModelSpec {
  inputs: number;
  layers: LayerSpec[];
  task?: "classification" | "regression";
  classes?: string[];
  seed?: number;
  /** weights uniform in ±weightScale·sqrt(3 / fan in) (default 1: unit variance outputs) */
  weightScale?: number;
  /** biases uniform in ±biasScale (default 0.5) */
  biasScale?: number;
  /** every weight ±weightScale (random sign): the largest sum of |weights| a layer can have */
  signOnly?: boolean;
  /** standardised regression target: output = z · std + mean */
  target?: { mean: number; std: number };
}

/**
 * A valid float model file with seeded weights, standardisation and class names: a chain of dense and
 * activation layers, written as version 1 and read as every version-1 file is (a test of that path too).
 */
export function makeModel(spec: ModelSpec): ModelFile {
  const rng = new Rng(spec.seed ?? 1);
  const n = spec.inputs;
  const layers: ModelFileV1["layers"] = [];
  let width = n;
  for (const l of spec.layers) {
    const alpha = l.alpha === undefined ? {} : { alpha: l.alpha };
    if (l.units === 0) {
      layers.push({ kind: "activation", activation: l.activation, ...alpha });
      continue;
    }
    const ws = spec.weightScale ?? 1;
    const limit = ws * Math.sqrt(3 / width);
    const weights = Array.from({ length: l.units }, () =>
      Array.from({ length: width }, () =>
        f32(spec.signOnly ? (rng.next() < 0.5 ? -ws : ws) : rng.uniform(-limit, limit)),
      ),
    );
    const bs = spec.biasScale ?? 0.5;
    const bias = Array.from({ length: l.units }, () => f32(rng.uniform(-bs, bs)));
    layers.push({ kind: "dense", units: l.units, activation: l.activation, ...alpha, weights, bias });
    width = l.units;
  }
  const task = spec.task ?? "classification";
  const classes =
    task === "classification"
      ? (spec.classes ?? Array.from({ length: width === 1 ? 2 : width }, (_, k) => `class${k}`))
      : undefined;
  const target = spec.target ?? { mean: 10, std: 2.5 };
  const v1: ModelFileV1 = {
    format: "nn2c-model",
    version: 1,
    generator: "nn2c test",
    task,
    inputs: {
      names: Array.from({ length: n }, (_, i) => `x${i}`),
      mean: Array.from({ length: n }, () => f32(rng.uniform(-5, 5))),
      std: Array.from({ length: n }, () => f32(rng.uniform(0.5, 3))),
    },
    output:
      task === "classification"
        ? { label: "y", classes }
        : { label: "y", mean: f32(target.mean), std: f32(target.std) },
    layers,
    training: {
      loss: task === "classification" ? "sparse_categorical_crossentropy" : "mse",
      optimizer: { name: "adam" },
      epochs: 1,
      epochsRun: 1,
      batchSize: 1,
      validationSplit: 0,
      seed: spec.seed ?? 1,
      history: {},
      metrics: { train: {} },
    },
  };
  return parseModel(v1);
}

/** Raw feature rows around the model's standardisation: mean ± spread·std. */
export function rowsFor(model: ModelFile, rows: number, seed = 2, spread = 2): Float32Array {
  const rng = new Rng(seed);
  const { mean, std } = model.inputs;
  const n = mean.length;
  const x = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++)
    for (let i = 0; i < n; i++) x[r * n + i] = mean[i] + std[i] * spread * (2 * rng.next() - 1);
  return x;
}

/** The model at a precision: float32 as it is, int8/int16 quantized on `calibrationRows` rows. */
export function exportable(
  model: ModelFile,
  precision: Precision,
  calibrationRows = 64,
  seed = 2,
): Exportable {
  if (precision === "float32") return { kind: "float", model };
  const x = rowsFor(model, calibrationRows, seed);
  return {
    kind: "quantized",
    model: quantizeModel(model, x, calibrationRows, { precision, calibration: { method: "minmax" } }),
  };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `nn2c-${prefix}-`));
}

/** Renders `m` into a new temporary folder; returns the folder and the .c files in it. */
export function writeModel(
  m: Exportable,
  name: string,
  dir = tempDir("gen"),
): { dir: string; sources: string[] } {
  const rendered = renderModel(m, { name });
  for (const [file, content] of rendered.files) writeFileSync(join(dir, file), content);
  return { dir, sources: [...rendered.files.keys()].filter((f) => f.endsWith(".c")) };
}

export interface CompileTarget {
  name: string;
  cc: string;
  flags: string[];
}

/** The host compilers every generated folder must build with (and run under). */
export const HOST_TARGETS: CompileTarget[] = [
  { name: "gcc", cc: "gcc", flags: [...STRICT_FLAGS, "-O2"] },
  { name: "clang", cc: "clang", flags: [...STRICT_FLAGS, "-O2"] },
];

/**
 * The Cortex-M targets every generated folder must compile for (-c): Cortex-M0 at -Os and M4F at -O2.
 * Tests that use them skip with a notice (requireTools(..., ARM)) where arm-none-eabi-gcc is missing.
 */
export const CORTEX_COMPILE_TARGETS: CompileTarget[] = [
  {
    name: "cortex-m0",
    cc: "arm-none-eabi-gcc",
    flags: [...STRICT_FLAGS, "-Os", "-mcpu=cortex-m0", "-mthumb"],
  },
  {
    name: "cortex-m4f",
    cc: "arm-none-eabi-gcc",
    flags: [...STRICT_FLAGS, "-O2", "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"],
  },
];

/**
 * Compiles the .c files of `dir` (default all) to objects (-c) in a scratch folder; returns "" on
 * success, the command line and the diagnostics otherwise.
 */
export async function compileObjects(
  dir: string,
  target: CompileTarget,
  files = readdirSync(dir).filter((f) => f.endsWith(".c")),
): Promise<string> {
  const out = tempDir(`obj-${target.name}`);
  try {
    const args = [...target.flags, "-I", dir, "-c", ...files.map((f) => join(dir, f))];
    const r = await execa(target.cc, args, { cwd: out, reject: false, all: true });
    return r.exitCode === 0 ? "" : `${target.cc} ${args.join(" ")}\n${r.all}`;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * A gate letting at most `n` tasks run at once: concurrent tests that compile C share the machine's
 * cores (2 where the tests run) without flooding them.
 */
export function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    while (running >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/**
 * What verifyModel does, with another compiler: renders `m` as "model" with the verification harness
 * into `dir`, builds it with `compiler` under the strict flags, runs it and compares with the reference.
 */
export async function verifyWith(
  m: Exportable,
  dir: string,
  options: { compiler: string; sanitize: boolean; random: number },
): Promise<VerifyResult> {
  const set = makeVectors(m, { random: options.random });
  const { sources } = writeModel(m, "model", dir);
  writeFileSync(join(dir, "harness.c"), harnessSource(set, false));
  const run = await runHostHarness(dir, [...sources, "harness.c"], {
    sanitize: options.sanitize,
    compiler: options.compiler,
  });
  const precision = m.kind === "float" ? "float32" : m.model.precision;
  return compare(set, run.stdout, "host", precision, run.command);
}
