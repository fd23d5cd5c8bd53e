/**
 * `npm run conformance`: ONNX's backend test cases (Debian's libonnx-testdata: node/, pytorch-converted/,
 * pytorch-operator/, simple/, real/; each a model.onnx and test_data_set_N/{input,output}_K.pb) through
 * nn2c's ONNX import, the float32 C on the host and the int8 path.
 *
 * A case is run when every operator in it is one nn2c imports. Graph inputs after the first (ONNX's node
 * tests often give weights that way) are bound to their test values as constants. Each sample of the
 * batch runs through the C on its own, converted to channels-last where the import says so.
 *   - float32: the C's outputs against ONNX's within 1e-5 (relative above 1, absolute below: the check
 *     `nn2c verify` makes against its own float reference);
 *   - int8: the model quantized on the case's own inputs (minmax calibration), its C checked bit for bit
 *     against nn2c's integer reference, and its outputs against ONNX's in units of the output's scale
 *     (LSB): a case passes within `--lsb` (default 2).
 *
 * Prints a table per suite, the cases refused at import with the reason, and each unsupported operator
 * with the number of cases it appears in; `--json` prints one object. `--data DIR` reads another copy of
 * the test data; `--only SUBSTRING` runs the matching cases.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import cliProgress from "cli-progress";
import { UsageError } from "../src/errors.js";
import { inModelOrder, lowerOnnx, ONNX_OPERATORS, type OnnxLayout } from "../src/import/onnx/lower.js";
import { type OnnxTensor, readOnnx, readOnnxTensor } from "../src/import/onnx/read.js";
import type { ModelFile } from "../src/model/schema.js";
import { quantizeModel } from "../src/quant/quantize.js";
import { outputQuant } from "../src/quant/schema.js";
import { dequantizeOutput, inputOf, quantizeInput, runOutput } from "../src/reference/integer.js";
import { Rng } from "../src/rng.js";
import { toolRuns } from "../src/toolchain/tools.js";
import { STATUS_OK } from "../src/verify/vectors.js";
import { bitsToFloat, emptyVectorSet, runOnHost } from "../src/verify/verify.js";
import { comparePytorch, DEBIAN_PYTHON, exportPytorchModels, pytorchOnHost } from "./pytorch-clients.js";

const args = process.argv.slice(2);
const json = args.includes("--json");
const option = (name: string, fallback: string) => {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] ? args[at + 1] : fallback;
};
const DATA = option("--data", "/usr/share/libonnx-testdata/data");
const LSB = Number(option("--lsb", "2"));
const only = option("--only", "");
const SUITES = ["node", "pytorch-converted", "pytorch-operator", "simple", "real"];

interface CaseResult {
  suite: string;
  name: string;
  ops: string[];
  unsupported: string[];
  /** refused at import (or by quantization) with this message */
  refused?: string;
  float?: { pass: boolean; maxAbsDiff: number; samples: number };
  int8?: { pass: boolean; maxLsb: number; exact: boolean; refused?: string };
}

/** Sample `n` of a batch tensor in the C's order. */
function sample(t: OnnxTensor, n: number, channelsLast: boolean, order?: number[]): number[] {
  const per = t.values.length / t.dims[0];
  return inModelOrder(t.values.subarray(n * per, (n + 1) * per), t.dims.slice(1), channelsLast, order);
}

async function runCase(suite: string, name: string, dir: string): Promise<CaseResult> {
  const file = join(dir, "model.onnx");
  const result: CaseResult = { suite, name, ops: [], unsupported: [] };
  let m: ReturnType<typeof readOnnx>;
  try {
    m = readOnnx(readFileSync(file), file);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return { ...result, refused: e.message };
  }
  result.ops = [...new Set(m.nodes.map((n) => n.op))];
  result.unsupported = result.ops.filter((op) => !ONNX_OPERATORS.includes(op));
  if (result.unsupported.length > 0) return result;
  let sets: { inputs: OnnxTensor[]; outputs: OnnxTensor[] }[];
  try {
    sets = readdirSync(dir)
      .filter((d) => d.startsWith("test_data_set_"))
      .sort()
      .map((d) => {
        const read = (prefix: string) =>
          readdirSync(join(dir, d))
            .filter((f) => f.startsWith(prefix) && f.endsWith(".pb"))
            .sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]))
            .map((f) => readOnnxTensor(readFileSync(join(dir, d, f)), join(dir, d, f)));
        return { inputs: read("input_"), outputs: read("output_") };
      });
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return { ...result, refused: `test data: ${e.message}` };
  }
  if (sets.length === 0) return { ...result, refused: "no test data" };
  // graph inputs after the first take their values from the first data set, as constants
  const bind = new Map<string, OnnxTensor>();
  m.inputs.slice(1).forEach((v, k) => {
    const t = sets[0].inputs[k + 1];
    if (t) bind.set(v.name, { ...t, name: v.name });
  });
  let model: ModelFile;
  let layout: OnnxLayout;
  try {
    const first = sets[0].inputs[0];
    ({
      model,
      report: { layout },
    } = lowerOnnx(m, file, { bind, inputShape: first ? [1, ...first.dims.slice(1)] : undefined }));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return { ...result, refused: e.message.replace(`${file}: `, "") };
  }
  // every sample of every data set whose bound inputs are those of the first
  const samples: { x: number[]; y: number[] }[] = [];
  for (const s of sets) {
    const [x, ...rest] = s.inputs;
    if (rest.some((t, k) => !sameTensor(t, bind.get(m.inputs[k + 1].name)))) continue;
    const y = s.outputs[0];
    if (!x || !y || y.dims[0] !== x.dims[0])
      return { ...result, refused: "outputs not one per sample of the batch" };
    for (let n = 0; n < x.dims[0]; n++)
      samples.push({
        x: sample(x, n, layout.inputChannelsLast),
        y: sample(y, n, layout.outputChannelsLast, layout.outputOrder),
      });
  }
  const inputSize = samples[0].x.length;
  const outputSize = samples[0].y.length;

  // float32: the C against ONNX's outputs
  const floatSet = emptyVectorSet(inputSize, outputSize, false);
  floatSet.codes = samples.map((s) => s.x.map(Math.fround));
  floatSet.expectedCodes = samples.map((s) => ({ status: STATUS_OK, values: s.y.map(Math.fround) }));
  let fr: Awaited<ReturnType<typeof runOnHost>>;
  try {
    fr = await runOnHost({ kind: "float", model }, floatSet);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return { ...result, refused: e.message };
  }
  result.float = { pass: fr.mismatches === 0, maxAbsDiff: fr.maxAbsDiff, samples: samples.length };

  // int8: quantized on the case's inputs; the C bit for bit against nn2c's reference, and against ONNX
  try {
    // the case's inputs, and copies of them moved by up to 1% of their range to make the 10 rows
    // calibration asks for (no column constant): minmax ranges are the inputs' within 1%
    const copies = Math.max(2, Math.ceil(10 / samples.length));
    const all = samples.flatMap((s) => s.x);
    const spread = 0.01 * (all.reduce((a, b) => Math.max(a, b)) - all.reduce((a, b) => Math.min(a, b)) || 1);
    const rng = new Rng(7);
    const x = Float32Array.from({ length: copies * all.length }, (_, i) =>
      i < all.length ? all[i] : all[i % all.length] + spread * (2 * rng.next() - 1),
    );
    const q = quantizeModel(model, x, copies * samples.length, {
      precision: "int8",
      calibration: { method: "minmax" },
    });
    const set = emptyVectorSet(inputSize, outputSize, true);
    set.raw = samples.map((s) => s.x.map(Math.fround));
    const qin = new Int32Array(inputSize);
    set.expectedRaw = set.raw.map((row) => {
      quantizeInput(inputOf(q), row, qin);
      return { status: STATUS_OK, values: Array.from(dequantizeOutput(q, runOutput(q, qin))) };
    });
    const run = await runOnHost({ kind: "quantized", model: q }, set);
    const exact = run.mismatches === 0;
    const scale = outputQuant(q).scale;
    let maxLsb = 0;
    run.stdout
      .split("\n")
      .filter((l) => l.startsWith("F "))
      .forEach((line, v) => {
        const values = line.trim().split(/\s+/).slice(2).map(bitsToFloat);
        values.forEach((a, j) => {
          maxLsb = Math.max(maxLsb, Math.abs(a - samples[v].y[j]) / scale);
        });
      });
    result.int8 = { pass: exact && maxLsb <= LSB, maxLsb, exact };
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    result.int8 = { pass: false, maxLsb: Number.NaN, exact: false, refused: e.message };
  }
  return result;
}

function sameTensor(a: OnnxTensor | undefined, b: OnnxTensor | undefined): boolean {
  if (!a || !b) return a === b;
  return a.dims.join(",") === b.dims.join(",") && a.values.every((v, i) => Object.is(v, b.values[i]));
}

async function main(): Promise<void> {
  if (!existsSync(DATA)) {
    process.stderr.write(
      `conformance: ${DATA} is missing: install Debian's libonnx-testdata (apt-get install libonnx-testdata) or pass --data DIR\n`,
    );
    process.exit(2);
  }
  if (!(await toolRuns("gcc"))) {
    process.stderr.write(
      "conformance: gcc is missing: the C runs on the host with it (apt-get install gcc)\n",
    );
    process.exit(2);
  }
  const cases = SUITES.filter((s) => existsSync(join(DATA, s))).flatMap((suite) =>
    readdirSync(join(DATA, suite))
      .filter((name) => existsSync(join(DATA, suite, name, "model.onnx")) && name.includes(only))
      .sort()
      .map((name) => ({ suite, name, dir: join(DATA, suite, name) })),
  );
  const bar =
    !json && process.stderr.isTTY
      ? new cliProgress.SingleBar(
          { stream: process.stderr, format: "conformance |{bar}| {value}/{total} {case}" },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  bar?.start(cases.length, 0, { case: "" });
  const results: CaseResult[] = [];
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++];
      results.push(await runCase(c.suite, c.name, c.dir));
      bar?.update(++done, { case: `${c.suite}/${c.name}` });
    }
  };
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), 4) }, worker));
  bar?.stop();
  results.sort((a, b) => (a.suite + a.name).localeCompare(b.suite + b.name));
  const pytorch = await pytorchRows();
  report(results, pytorch);
  // a supported case that fails in float32, or an int8 C unequal to nn2c's reference, is a bug
  const bad = results.filter(
    (c) => (c.float && !c.float.pass) || (c.int8 && !c.int8.refused && !c.int8.exact),
  );
  if (bad.length > 0 || pytorch?.some((r) => r.c.mismatches > 0)) process.exitCode = 1;
}

interface PytorchRow {
  model: string;
  /** the largest difference of nn2c's float32 reference from PyTorch, per opset */
  reference: Record<number, number>;
  /** the float32 C on the host at opset 17: the largest difference, and values beyond 1e-5 */
  c: { maxAbsDiff: number; mismatches: number };
}

/** PyTorch's models (scripts/pytorch-onnx.py) through the import; null without python3-torch. */
async function pytorchRows(): Promise<PytorchRow[] | null> {
  if (!(await toolRuns(DEBIAN_PYTHON, ["-c", "import torch.onnx"]))) return null;
  const dir = mkdtempSync(join(tmpdir(), "nn2c-pytorch-"));
  try {
    const rows: PytorchRow[] = [];
    for (const m of await exportPytorchModels(DEBIAN_PYTHON, dir)) {
      const reference: Record<number, number> = {};
      for (const opset of m.opsets) reference[opset] = (await comparePytorch(dir, m, opset)).maxDiff;
      const c = await pytorchOnHost(await comparePytorch(dir, m, 17));
      rows.push({ model: m.name, reference, c });
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function pytorchLines(rows: PytorchRow[] | null): string[] {
  if (!rows) return ["PyTorch's exports: skipped (install python3-torch)"];
  const opsets = Object.keys(rows[0].reference);
  return [
    "PyTorch 1.13's exports: the largest difference from PyTorch's outputs, nn2c's float32 reference per opset and the float32 C on the host at opset 17",
    "",
    `| model | ${opsets.map((o) => `opset ${o}`).join(" | ")} | C (opset 17) |`,
    `|---|${opsets.map(() => "---|").join("")}---|`,
    ...rows.map(
      (r) =>
        `| ${r.model} | ${opsets.map((o) => r.reference[Number(o)].toExponential(1)).join(" | ")} | ${r.c.maxAbsDiff.toExponential(1)}${r.c.mismatches ? ` (${r.c.mismatches} beyond 1e-5)` : ""} |`,
    ),
  ];
}

function report(results: CaseResult[], pytorch: PytorchRow[] | null): void {
  const rows = [...SUITES, "total"].map((suite) => {
    const r = results.filter((c) => suite === "total" || c.suite === suite);
    const supported = r.filter((c) => c.ops.length > 0 && c.unsupported.length === 0);
    const imported = supported.filter((c) => c.float);
    return {
      suite,
      cases: r.length,
      supported: supported.length,
      imported: imported.length,
      refused: supported.length - imported.length,
      float32: imported.filter((c) => c.float!.pass).length,
      int8: imported.filter((c) => c.int8?.pass).length,
      int8Exact: imported.filter((c) => c.int8?.exact).length,
    };
  });
  const unsupported = new Map<string, number>();
  for (const c of results)
    for (const op of c.unsupported) unsupported.set(op, (unsupported.get(op) ?? 0) + 1);
  const ops = [...unsupported.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  // files the reader refuses (another domain's operators only, such as ai.onnx.preview.training)
  const unread = results.filter((c) => c.refused && c.ops.length === 0);
  const refused = results.filter((c) => c.refused && c.ops.length > 0 && c.unsupported.length === 0);
  const floatFails = results.filter((c) => c.float && !c.float.pass);
  const int8Fails = results.filter((c) => c.float && !c.int8?.pass);
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ data: DATA, lsb: LSB, suites: rows, unsupported: Object.fromEntries(ops), pytorch, cases: results })}\n`,
    );
    return;
  }
  const out: string[] = [
    `ONNX backend test cases in ${DATA}: float32 within 1e-5, int8 within ${LSB} LSB of the output scale`,
    "",
    "| suite | cases | ops supported | imported | refused at import | float32 pass | int8 pass | int8 C = reference |",
    "|---|---|---|---|---|---|---|---|",
    ...rows
      .filter((r) => r.cases > 0)
      .map(
        (r) =>
          `| ${r.suite} | ${r.cases} | ${r.supported} | ${r.imported} | ${r.refused} | ${r.float32} | ${r.int8} | ${r.int8Exact} |`,
      ),
    "",
    `not read (${unread.length}): ${[...new Set(unread.map((c) => c.refused!.replace(/^\S+: /, "")))].join("; ")}`,
    "",
    `refused at import (${refused.length}):`,
    ...refused.map((c) => `  ${c.suite}/${c.name}: ${c.refused}`),
    "",
    `float32 failures (${floatFails.length}):`,
    ...floatFails.map((c) => `  ${c.suite}/${c.name}: max abs diff ${c.float!.maxAbsDiff}`),
    "",
    `int8 outside ${LSB} LSB or unequal to the reference (${int8Fails.length}):`,
    ...int8Fails.map(
      (c) =>
        `  ${c.suite}/${c.name}: ${c.int8?.refused ?? `max ${c.int8!.maxLsb.toFixed(2)} LSB${c.int8!.exact ? "" : ", C differs from the reference"}`}`,
    ),
    "",
    `unsupported operators (${ops.length}), with the number of cases each appears in:`,
    ops.map(([op, n]) => `${op} ${n}`).join(", "),
    "",
    ...pytorchLines(pytorch),
  ];
  process.stdout.write(`${out.join("\n")}\n`);
}

await main();
