/**
 * `npx tsx bench/kernels.ts`: executed instructions per multiply-accumulate of whole int8 inferences on
 * every Cortex-M core under QEMU, counted exactly by the qemu-icount plugin.
 *
 * Two classifiers with random float weights, quantized by nn2c (src/quant/quantize.ts) and exported by
 * renderModel: large 784→128→64→10 and small 64→32→16→10, relu hidden layers and a softmax output. The
 * count covers one call of the generated <name>_predict (input codes to output codes: every dense layer
 * with its requantization and fused relu, and the softmax); MACs are the weights. Every run's output
 * codes are checked against the TypeScript integer reference (src/reference/integer.ts) before a number is
 * printed, and predict runs twice per program to show the counts repeat.
 *
 * Options: --cores cortex-m0,cortex-m4 (default all six), --nets large,small, --json, --keep DIR (keep the
 * generated folders and ELF files), --ops (also count each op of <name>_run in a region of its own: the
 * markers add a few instructions to the totals). Prints the table, the targets missed, the -Os code size
 * of the model on Cortex-M4 (functions only: weights, tables and parameters excluded) and the deepest
 * stack of one predict call (the region below the caller painted, then scanned).
 *
 * The markers are the bench's own, reading a window at the end of flash: QEMU 7.2 reports the loads of
 * MVE instructions to the memory callbacks of the last instrumented instruction, so Cortex-M55 vector
 * loads of weights inside board_mark_window (the start of flash) would pass for marker calls.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderModel } from "../src/codegen/export.js";
import { f32, parseModel } from "../src/model/io.js";
import type { ModelFile, ModelFileV1 } from "../src/model/schema.js";
import { quantizeModel } from "../src/quant/quantize.js";
import type { QModel } from "../src/quant/schema.js";
import { runOutput } from "../src/reference/integer.js";
import { Rng } from "../src/rng.js";
import { compileArm } from "../src/toolchain/compile.js";
import { countInstructions, type Markers } from "../src/toolchain/icount.js";
import { CORTEX_TARGET_NAMES, type CortexTargetName, getCortexTarget } from "../src/toolchain/targets.js";
import { runTool } from "../src/toolchain/tools.js";

interface Net {
  name: "large" | "small";
  widths: number[];
}

const NETS: Net[] = [
  { name: "large", widths: [784, 128, 64, 10] },
  { name: "small", widths: [64, 32, 16, 10] },
];

const BENCH_MARKERS: Markers = {
  begin: "bench_mark_begin",
  end: "bench_mark_end",
  window: "bench_mark_window",
};
const MARK_WINDOW_BYTES = 0x10000;
const MARKER_DECLS = `#include <stdint.h>
void bench_mark_begin(uint32_t id);
void bench_mark_end(uint32_t id);`;

/** The targets in instructions per MAC (large, small). */
const TARGETS: Partial<Record<CortexTargetName, [number, number]>> = {
  "cortex-m0": [4.5, 5.5],
  "cortex-m4": [1.5, 2.5],
  "cortex-m55": [0.35, 0.8],
};

/** Code of the model on Cortex-M4 at -Os (weights and tables excluded), and stack, at most. */
const CODE_BYTES_MAX = 2048;
const STACK_BYTES_MAX = 256;

/** A classifier with uniform random weights (unit-variance outputs), relu hidden layers, softmax output. */
function randomModel(widths: number[], seed: number): ModelFile {
  const rng = new Rng(seed);
  const layers: ModelFileV1["layers"] = [];
  for (let k = 1; k < widths.length; k++) {
    const limit = Math.sqrt(3 / widths[k - 1]);
    const weights = Array.from({ length: widths[k] }, () =>
      Array.from({ length: widths[k - 1] }, () => f32(rng.uniform(-limit, limit))),
    );
    const bias = Array.from({ length: widths[k] }, () => f32(rng.uniform(-0.2, 0.2)));
    const activation = k === widths.length - 1 ? "softmax" : "relu";
    layers.push({ kind: "dense", units: widths[k], activation, weights, bias });
  }
  const n = widths[0];
  const classes = widths[widths.length - 1];
  const v1: ModelFileV1 = {
    format: "nn2c-model",
    version: 1,
    generator: "nn2c bench/kernels.ts",
    task: "classification",
    inputs: {
      names: Array.from({ length: n }, (_, i) => `x${i}`),
      mean: new Array(n).fill(0),
      std: new Array(n).fill(1),
    },
    output: { label: "y", classes: Array.from({ length: classes }, (_, k) => `c${k}`) },
    layers,
    training: {
      loss: "sparse_categorical_crossentropy",
      optimizer: { name: "adam" },
      epochs: 1,
      epochsRun: 1,
      batchSize: 1,
      validationSplit: 0,
      seed,
      history: {},
      metrics: { train: {} },
    },
  };
  return parseModel(v1);
}

function quantized(net: Net, seed: number): QModel {
  const model = randomModel(net.widths, seed);
  const rows = 32;
  const rng = new Rng(seed + 1);
  const x = Float32Array.from({ length: rows * net.widths[0] }, () => f32(rng.normal()));
  return quantizeModel(model, x, rows, { precision: "int8", calibration: { method: "minmax" } });
}

const macs = (net: Net) => net.widths.slice(1).reduce((s, w, k) => s + w * net.widths[k], 0);

/** main.c: predict twice on fixed input codes, each call a marked region, then print the output codes. */
function benchMain(name: string, input: Int32Array): string {
  const values = Array.from(input, String);
  const lines: string[] = [];
  for (let k = 0; k < values.length; k += 16) lines.push(`    ${values.slice(k, k + 16).join(", ")},`);
  const N = name.toUpperCase();
  return `#include <stdint.h>

#include "board.h"
#include "${name}.h"

static const ${name}_tensor_t input[${N}_INPUT_SIZE] = {
${lines.join("\n")}
};
static ${name}_tensor_t output[${N}_OUTPUT_SIZE];

/* Markers of our own, reading a window at the end of flash that no data reaches: QEMU 7.2 reports the
 * loads of MVE instructions to the memory callbacks of the last instrumented instruction, so vector
 * loads of weights inside board_mark_window (the start of flash) would pass for marker calls. */
extern const volatile uint8_t bench_mark_window[];
__attribute__((noipa, used)) void bench_mark_begin(uint32_t id) { (void)bench_mark_window[id & 0xFFFFu]; }
__attribute__((noipa, used)) void bench_mark_end(uint32_t id) { (void)bench_mark_window[id & 0xFFFFu]; }

/* The deepest stack a call reaches: PAINT_WORDS words below this frame are painted, the call runs, and
 * the lowest word it changed gives its depth. */
#define PAINT_WORDS 1024u
__attribute__((noinline)) static uint32_t stack_depth(void (*fn)(void))
{
    uintptr_t sp;
    volatile uint32_t *base;
    uint32_t k;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    base = (volatile uint32_t *)(sp - 4u * PAINT_WORDS);
    for (k = 0; k < PAINT_WORDS; ++k) {
        base[k] = 0xA5A5A5A5u;
    }
    fn();
    for (k = 0; k < PAINT_WORDS && base[k] == 0xA5A5A5A5u; ++k) {
    }
    return 4u * (PAINT_WORDS - k);
}

static int status;
static void predict(void)
{
    status |= ${name}_predict(input, output);
}

/* One marked call of predict: the same code for every region, so that repeated counts are equal. */
__attribute__((noinline)) static void marked_predict(uint32_t id)
{
    bench_mark_begin(id);
    predict();
    bench_mark_end(id);
}

int main(void)
{
    int32_t o;
    uint32_t depth;
    marked_predict(1);
    marked_predict(2);
    depth = stack_depth(predict);
    board_puts("output");
    for (o = 0; o < ${N}_OUTPUT_SIZE; ++o) {
        board_puts(" ");
        board_put_int(output[o]);
    }
    board_puts("\\nstack ");
    board_put_int((int32_t)depth);
    board_puts("\\n");
    return status;
}
`;
}

interface Row {
  net: Net["name"];
  core: CortexTargetName;
  macs: number;
  instructions: number;
  perMac: number;
  stackBytes: number;
}

async function measure(
  net: Net,
  q: QModel,
  core: CortexTargetName,
  work: string,
  opt: "-O2" | "-Os",
  ops = false,
): Promise<{ row: Row; elf: string; dir: string; opCounts: number[] }> {
  const name = `bench_${net.name}`;
  const dir = join(work, `${net.name}-${core}${opt}`);
  mkdirSync(dir, { recursive: true });
  const rendered = renderModel({ kind: "quantized", model: q }, { name });
  for (const [file, content] of rendered.files) {
    // --ops: every op of <name>_run in a region of its own (ids 10, 11, ...)
    let k = 10;
    const marked = ops
      ? content.replace(/^(\s*)(status = nn_\w+\(.*\);)$/gm, (_, indent: string, call: string) => {
          const id = k++;
          return `${indent}bench_mark_begin(${id});\n${indent}${call}\n${indent}bench_mark_end(${id});`;
        })
      : content;
    writeFileSync(join(dir, file), file === `${name}.c` && ops ? `${MARKER_DECLS}\n${marked}` : marked);
  }
  const rng = new Rng(7);
  const input = Int32Array.from({ length: net.widths[0] }, () => rng.int(256) - 128);
  writeFileSync(join(dir, "main.c"), benchMain(name, input));
  const sources = ["main.c", ...[...rendered.files.keys()].filter((f) => f.endsWith(".c"))].map((f) =>
    join(dir, f),
  );
  const elf = join(dir, `${name}.elf`);
  const target = getCortexTarget(core);
  const window = target.flash.origin + target.flash.size - MARK_WINDOW_BYTES;
  const built = await compileArm(core, sources, [dir], elf, {
    opt,
    extraFlags: ["-Werror", `-Wl,--defsym=bench_mark_window=0x${window.toString(16)}`],
  });
  if (built.sizes.flash > window - target.flash.origin)
    throw new Error(`${net.name} on ${core}: the program reaches the marker window`);
  const count = await countInstructions(core, elf, { timeoutSeconds: 120, markers: BENCH_MARKERS });
  const expected = runOutput(q, input);
  const got = /^output(.*)$/m.exec(count.run.stdout)?.[1].trim().split(" ").map(Number);
  if (count.run.status !== 0 || got === undefined || got.join(",") !== Array.from(expected).join(",")) {
    throw new Error(
      `${net.name} on ${core}: output ${got?.join(" ")} (status ${count.run.status}), expected ${Array.from(expected).join(" ")}`,
    );
  }
  const [first, second] = count.regions.filter((r) => r.id < 10).map((r) => r.instructions);
  const perOp = count.regions.filter((r) => r.id >= 10);
  const opCounts = perOp.slice(0, q.ops.length).map((r) => r.instructions);
  if (first !== second)
    throw new Error(`${net.name} on ${core}: the two predict calls took ${first} and ${second}`);
  const stackBytes = Number(/^stack (\d+)$/m.exec(count.run.stdout)?.[1]);
  const n = macs(net);
  return {
    row: { net: net.name, core, macs: n, instructions: first, perMac: first / n, stackBytes },
    elf,
    dir,
    opCounts,
  };
}

/** Bytes of the functions of the model and of the nn runtime (no weights, tables or parameters). */
async function codeBytes(elf: string): Promise<{ bytes: number; functions: [string, number][] }> {
  const { stdout } = await runTool("arm-none-eabi-readelf", ["-sW", elf], "arm-none-eabi-readelf");
  const functions: [string, number][] = [];
  for (const line of stdout.split("\n")) {
    // "Num: Value Size Type Bind Vis Ndx Name"
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || f[3] !== "FUNC") continue;
    const sym = f[7];
    // everything but the board support, the bench's main.c and newlib (memcpy, memset)
    if (!/^(board_|bench_mark_|main$|predict$|marked_predict$|stack_depth|mem(cpy|set)$)/.test(sym)) {
      functions.push([sym, Number(f[2])]);
    }
  }
  functions.sort((a, b) => b[1] - a[1]);
  return { bytes: functions.reduce((s, [, b]) => s + b, 0), functions };
}

function parseArgs(argv: string[]) {
  const opts = {
    cores: [...CORTEX_TARGET_NAMES],
    nets: NETS,
    json: false,
    ops: false,
    keep: undefined as string | undefined,
  };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (a === "--json") opts.json = true;
    else if (a === "--cores") opts.cores = argv[++k].split(",") as CortexTargetName[];
    else if (a === "--nets") {
      const names = argv[++k].split(",");
      opts.nets = NETS.filter((n) => names.includes(n.name));
    } else if (a === "--keep") opts.keep = argv[++k];
    else if (a === "--ops") opts.ops = true;
    else throw new Error(`unknown option ${a}`);
  }
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const work = opts.keep ?? mkdtempSync(join(tmpdir(), "nn2c-bench-kernels-"));
  const rows: Row[] = [];
  const opCounts: string[] = [];
  let code: { bytes: number; functions: [string, number][] } | undefined;
  try {
    for (const net of opts.nets) {
      const q = quantized(net, net.name === "large" ? 11 : 12);
      for (const core of opts.cores) {
        const m = await measure(net, q, core, work, "-O2", opts.ops);
        rows.push(m.row);
        if (opts.ops)
          opCounts.push(
            `${net.name} ${core}: ${m.opCounts.join(" ")} (${q.ops.map((op) => op.kind).join(", ")})`,
          );
      }
      if (net.name === "large" && opts.cores.includes("cortex-m4")) {
        const { elf } = await measure(net, q, "cortex-m4", work, "-Os");
        code = await codeBytes(elf);
      }
    }
  } finally {
    if (opts.keep === undefined) rmSync(work, { recursive: true, force: true });
  }
  const missed: string[] = [];
  for (const r of rows) {
    const target = TARGETS[r.core]?.[r.net === "large" ? 0 : 1];
    if (target !== undefined && r.perMac > target)
      missed.push(`${r.net} on ${r.core}: ${r.perMac.toFixed(3)} > ${target}`);
    if (r.stackBytes > STACK_BYTES_MAX)
      missed.push(`${r.net} on ${r.core}: stack ${r.stackBytes} > ${STACK_BYTES_MAX} bytes`);
  }
  if (code !== undefined && code.bytes > CODE_BYTES_MAX)
    missed.push(`code at -Os on cortex-m4: ${code.bytes} > ${CODE_BYTES_MAX} bytes`);
  if (opts.json) {
    console.log(JSON.stringify({ rows, code, missed }, null, 2));
    return;
  }
  const cores = opts.cores;
  const cell = (net: string, core: string) => {
    const r = rows.find((x) => x.net === net && x.core === core);
    return r === undefined ? "-" : r.perMac.toFixed(3);
  };
  console.log("instructions per MAC, one int8 predict (qemu-icount, gcc -O2)");
  console.log(["net".padEnd(24), ...cores.map((c) => c.padStart(11))].join(""));
  for (const net of opts.nets) {
    const label = `${net.name} ${net.widths.join("-")}`.padEnd(24);
    console.log([label, ...cores.map((c) => cell(net.name, c).padStart(11))].join(""));
  }
  console.log(
    [
      "targets (large/small)".padEnd(24),
      ...cores.map((c) => (TARGETS[c]?.join("/") ?? "").padStart(11)),
    ].join(""),
  );
  console.log("\ninstructions per predict");
  for (const net of opts.nets) {
    console.log(
      [
        `${net.name} (${macs(net)} MACs)`.padEnd(24),
        ...cores.map((c) =>
          String(rows.find((x) => x.net === net.name && x.core === c)?.instructions ?? "-").padStart(11),
        ),
      ].join(""),
    );
  }
  if (opts.ops) console.log(`\ninstructions per op\n  ${opCounts.join("\n  ")}`);
  console.log(
    `\nstack of one predict (painted), bytes: ${[...new Set(rows.map((r) => r.stackBytes))].sort((a, b) => a - b).join(", ")} (max ${Math.max(...rows.map((r) => r.stackBytes))})`,
  );
  if (code !== undefined) {
    console.log(`code at -Os on cortex-m4 (model and runtime functions, no data): ${code.bytes} bytes`);
    for (const [f, b] of code.functions) console.log(`  ${String(b).padStart(5)}  ${f}`);
  }
  console.log(missed.length === 0 ? "\nevery target met" : `\nmissed:\n  ${missed.join("\n  ")}`);
  process.exitCode = missed.length === 0 ? 0 : 1;
}

await main();
