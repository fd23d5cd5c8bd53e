/**
 * PyTorch as a client of the ONNX import: scripts/pytorch-onnx.py (Debian's python3-torch) exports small
 * seeded models at opsets 13 to 17 with PyTorch's own outputs; each file is imported and its outputs
 * compared with PyTorch's, from nn2c's float32 reference and from the float32 C on the host. Used by the
 * tests (test/import/onnx-pytorch.test.ts) and by `npm run conformance`, which prints the differences.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { importModel } from "../src/import/index.js";
import { inModelOrder, type OnnxReport } from "../src/import/onnx/lower.js";
import type { ModelFile } from "../src/model/schema.js";
import { runFloat32 } from "../src/reference/float32.js";
import { STATUS_OK } from "../src/verify/vectors.js";
import { emptyVectorSet, runOnHost } from "../src/verify/verify.js";

/** Debian's Python, which python3-torch installs into (a python3 earlier on the PATH may be another). */
export const DEBIAN_PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

const SCRIPT = fileURLToPath(new URL("./pytorch-onnx.py", import.meta.url));

export interface PytorchModel {
  name: string;
  /** [batch, ...] */
  input: number[];
  output: number[];
  opsets: number[];
  /** PyTorch's input and output, batch first */
  x: Float32Array;
  y: Float32Array;
}

const floats = (file: string) => {
  const b = readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
};

/** Runs the export script (`python`: Debian's python3 with torch) into `dir`; the models it wrote. */
export async function exportPytorchModels(python: string, dir: string): Promise<PytorchModel[]> {
  await execa(python, [SCRIPT, dir], { timeout: 300_000 });
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as {
    models: Record<string, { input: number[]; output: number[]; opsets: number[] }>;
  };
  return Object.entries(index.models).map(([name, m]) => ({
    name,
    ...m,
    x: floats(join(dir, `${name}.input.bin`)),
    y: floats(join(dir, `${name}.output.bin`)),
  }));
}

export interface PytorchComparison {
  model: ModelFile;
  report: OnnxReport;
  /** each sample's input and PyTorch's output, in the C's order */
  samples: { x: number[]; y: number[] }[];
  /** the largest difference of nn2c's float32 reference from PyTorch, over every output */
  maxDiff: number;
  /** the largest difference relative to max(1, |PyTorch's output|) */
  maxRelDiff: number;
}

/** Imports the model's file at `opset` from `dir` and compares nn2c's float32 reference with PyTorch. */
export async function comparePytorch(
  dir: string,
  m: PytorchModel,
  opset: number,
): Promise<PytorchComparison> {
  const file = join(dir, `${m.name}-opset${opset}.onnx`);
  const imported = await importModel(file, readFileSync(file));
  if (imported.kind !== "float" || !imported.onnx)
    throw new Error(`${file}: not imported as an ONNX float model`);
  const { layout } = imported.onnx;
  const N = m.input[0];
  const n = m.x.length / N;
  const k = m.y.length / N;
  const samples = Array.from({ length: N }, (_, b) => ({
    x: inModelOrder(m.x.subarray(b * n, (b + 1) * n), m.input.slice(1), layout.inputChannelsLast),
    y: inModelOrder(
      m.y.subarray(b * k, (b + 1) * k),
      m.output.slice(1),
      layout.outputChannelsLast,
      layout.outputOrder,
    ),
  }));
  let maxDiff = 0;
  let maxRelDiff = 0;
  for (const s of samples) {
    const out = runFloat32(imported.model, s.x);
    s.y.forEach((e, j) => {
      const d = Math.abs(out[j] - e);
      maxDiff = Math.max(maxDiff, d);
      maxRelDiff = Math.max(maxRelDiff, d / Math.max(1, Math.abs(e)));
    });
  }
  return { model: imported.model, report: imported.onnx, samples, maxDiff, maxRelDiff };
}

/** The float32 C on the host against PyTorch's outputs (within 1e-5): mismatches and the largest difference. */
export async function pytorchOnHost(
  c: PytorchComparison,
): Promise<{ mismatches: number; maxAbsDiff: number }> {
  const set = emptyVectorSet(c.samples[0].x.length, c.samples[0].y.length, false);
  set.codes = c.samples.map((s) => s.x.map(Math.fround));
  set.expectedCodes = c.samples.map((s) => ({ status: STATUS_OK, values: s.y.map(Math.fround) }));
  const r = await runOnHost({ kind: "float", model: c.model }, set);
  return { mismatches: r.mismatches, maxAbsDiff: r.maxAbsDiff };
}
