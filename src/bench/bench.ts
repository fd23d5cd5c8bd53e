/**
 * `benchModel`: what a model costs on each Cortex-M core, measured, not estimated:
 *   - flash: code (the model's functions and the runtime kernels it uses) and weights (its constant
 *     arrays) apart, from the symbols of the linked ELF; libgcc helpers and board support excluded;
 *   - RAM: the arena and any other static data of the model;
 *   - stack: the deepest stack use of one <name>_predict call, by painting the stack;
 *   - instructions: executed instructions of one <name>_predict call and of each op, counted exactly
 *     by a QEMU TCG plugin (instructions, not cycles: QEMU models no pipeline).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { arrayBytes, type PlannedTensorView } from "../codegen/emit.js";
import { renderModel } from "../codegen/export.js";
import { loadTemplates } from "../codegen/render.js";
import type { Exportable } from "../core/exportable.js";
import { CODE_RANGE } from "../core/quant.js";
import type { Shape } from "../core/shape.js";
import { JobError } from "../errors.js";
import type { FeatureDefinition } from "../features/definition.js";
import { opSummaries } from "../graph/summary.js";
import { Rng } from "../rng.js";
import { compileArmFitting } from "../toolchain/compile.js";
import { readSymbolTable } from "../toolchain/elf.js";
import { countInstructions, icountUnavailable } from "../toolchain/icount.js";
import { runQemu } from "../toolchain/qemu.js";
import { getCortexTarget } from "../toolchain/targets.js";

export const BENCH_NAME = "bench";

export interface LayerCost {
  op: number;
  /** what the op computes, in words (kind, shapes, activation) */
  name: string;
  /** the layer the op comes from */
  layer: string;
  kind: string;
  /** input and output shapes */
  inputs: Shape[];
  output: Shape;
  /** constant bytes of the op as the export writes them (weights, biases, requantization, parameters) */
  weightBytes: number;
  /** arena bytes its kernel uses during its call only (part of arenaBytes) */
  scratchBytes: number;
  /** null when instructions cannot be counted (see BenchResult.notice) */
  instructions: number | null;
  macs: number;
}

export interface BenchResult {
  target: string;
  /** the QEMU machine it ran on */
  board: string;
  /** set when the core's own board was too small, saying which one ran it instead */
  boardNote?: string;
  opt: string;
  flashBytes: number;
  codeBytes: number;
  weightBytes: number;
  ramBytes: number;
  /** the part of ramBytes that is the activation arena (the rest is other static data) */
  arenaBytes: number;
  /** the memory plan: each tensor's offset and size in the arena, in bytes */
  plan: PlannedTensorView[];
  stackBytes: number;
  /** executed instructions of one inference; null when they cannot be counted (see `notice`) */
  instructions: number | null;
  macs: number;
  instructionsPerMac: number | null;
  layers: LayerCost[];
  /** with a feature definition: one window's features, and the whole window (features + model) */
  window?: { featureInstructions: number | null; instructions: number | null; stackBytes: number };
  /** set when the instruction counts are missing: what they need */
  notice?: string;
}

/** A representative input: random codes (or standardised floats), seeded. */
function benchInput(m: Exportable, n: number): string[] {
  const rng = new Rng(7);
  if (m.kind === "quantized") {
    const { lo, hi } = CODE_RANGE[m.model.precision];
    return Array.from({ length: n }, () => `${lo + rng.int(hi - lo + 1)},`);
  }
  return Array.from({ length: n }, () => `${Math.fround(rng.normal()).toPrecision(9)}f,`);
}

/** A window of samples that moves: a few sinusoids around ±2000 plus noise, seeded. */
function benchWindow(def: FeatureDefinition): string[] {
  const rng = new Rng(8);
  const axes = def.axes.length;
  const lines: string[] = [];
  for (let i = 0; i < def.window; i++) {
    const row = Array.from({ length: axes }, (_, a) =>
      Math.round(1000 * Math.sin((2 * Math.PI * (a + 1) * i) / def.window) + 200 * rng.normal()),
    );
    lines.push(`${row.join(", ")},`);
  }
  return lines;
}

export async function benchModel(
  m: Exportable,
  target: string,
  options: { opt?: "-O2" | "-Os"; features?: FeatureDefinition } = {},
): Promise<BenchResult> {
  const own = getCortexTarget(target);
  const opt = options.opt ?? "-O2";
  const features = options.features;
  const rendered = renderModel(m, { name: BENCH_NAME, features });
  const dir = mkdtempSync(join(tmpdir(), "nn2c-bench-"));
  try {
    for (const [file, content] of rendered.files) writeFileSync(join(dir, file), content);
    const v = rendered.view;
    writeFileSync(
      join(dir, "bench_main.c"),
      loadTemplates().render("harness/bench.c", {
        name: BENCH_NAME,
        NAME: BENCH_NAME.toUpperCase(),
        input: benchInput(m, v.inputSize),
        tensors: v.tensors,
        steps: v.steps,
        features: features !== undefined,
        window: features === undefined ? [] : benchWindow(features),
      }),
    );
    // the model's .c is included by the harness; the runtime files are compiled on their own
    const sources = [...rendered.files.keys()]
      .filter((f) => f.endsWith(".c") && f !== `${BENCH_NAME}.c`)
      .map((f) => join(dir, f))
      .concat(join(dir, "bench_main.c"));
    const elf = join(dir, "bench.elf");
    // a program too large for the core's own board runs on a larger one (the M0 on MPS2 AN385)
    const { target: t } = await compileArmFitting(own, sources, [dir], elf, {
      opt,
      extraFlags: ["-lm", ...(process.env.NN2C_PROFILE ? ["-DNN_PROFILE"] : [])],
    });
    // Without the instruction-count plugin the same program still gives flash, RAM and stack.
    const notice = icountUnavailable();
    const counted =
      notice === undefined
        ? await countInstructions(t, elf, { timeoutSeconds: 120 })
        : { regions: null, run: await runQemu(t, elf, { timeoutSeconds: 120 }) };
    const out = counted.run.stdout;
    const status = Number(/status (-?\d+)/.exec(out)?.[1]);
    const stackBytes = Number(/^stack (\d+)/m.exec(out)?.[1]);
    if (status !== 0 || !Number.isFinite(stackBytes)) {
      throw new JobError(`the benchmark on ${t.name} failed (status ${status}):\n${out.slice(0, 500)}`);
    }
    const region = (id: number) => {
      if (counted.regions === null) return null;
      const r = counted.regions.find((x) => x.id === id);
      if (!r) throw new JobError(`the benchmark on ${t.name} reported no count for region ${id}`);
      return r.instructions;
    };
    // Flash and RAM of the model: its functions and the kernels (code), its constant arrays (weights,
    // tables, parameters, standardisation, class names) and its static data (the arena), by symbol.
    let codeBytes = 0;
    let weightBytes = 0;
    let ramBytes = 0;
    let arenaBytes = 0;
    const harness = new Set(
      ["input", "output", "window", "features_out", "window_output"].map((n) => `${BENCH_NAME}_${n}`),
    );
    const modelFiles = new Set(["bench_main.c", `${BENCH_NAME}_features.c`]);
    for (const s of await readSymbolTable(elf)) {
      // global symbols by name; static ones (a kernel's helpers, the model's arrays) by their source file
      const named = s.name.startsWith(`${BENCH_NAME}_`) || s.name.startsWith("nn_");
      const fromRuntime = s.local && s.file !== undefined && /^nn_\w+\.c$/.test(s.file);
      const fromModel =
        s.local && s.file !== undefined && modelFiles.has(s.file) && !s.name.startsWith("nn2c_");
      const ours = (named || fromRuntime || fromModel) && !harness.has(s.name) && !s.name.startsWith("nn2c_");
      if (!ours) continue;
      const inRam = s.address >= t.ram.origin && s.address < t.ram.origin + t.ram.size;
      if (s.kind === "function") codeBytes += s.size;
      else if (s.kind === "object") {
        if (inRam) ramBytes += s.size;
        if (inRam && s.name === `${BENCH_NAME}_arena`) arenaBytes += s.size;
        else weightBytes += s.size;
      }
    }
    const costs = opSummaries(m);
    const layers = costs.map((c, k) => {
      const op = v.ops[k];
      const weightBytes =
        (op?.params?.bytes ?? 0) + (op?.arrays ?? []).reduce((n, a) => n + arrayBytes(a), 0);
      return {
        op: k,
        name: c.label,
        layer: c.name,
        kind: c.kind,
        inputs: c.inputs,
        output: c.output,
        weightBytes,
        scratchBytes: op?.scratchBytes ?? 0,
        instructions: region(k + 1),
        macs: c.macs,
      };
    });
    const instructions = region(0);
    if (process.env.NN2C_PROFILE && counted.regions) {
      const sums = new Map<number, number>();
      for (const r of counted.regions)
        if (r.id >= 100) sums.set(r.id, (sums.get(r.id) ?? 0) + r.instructions);
      console.error(t.name, JSON.stringify([...sums]));
    }
    const macs = costs.reduce((s, c) => s + c.macs, 0);
    return {
      target: t.name,
      board: t.machine,
      ...(t === own ? {} : { boardNote: `${own.machine} is too small: ${t.description}` }),
      opt,
      flashBytes: codeBytes + weightBytes,
      codeBytes,
      weightBytes,
      ramBytes,
      arenaBytes,
      plan: v.plan,
      stackBytes,
      instructions,
      macs,
      instructionsPerMac: instructions === null ? null : macs > 0 ? instructions / macs : 0,
      layers,
      ...(notice === undefined ? {} : { notice }),
      ...(features === undefined
        ? {}
        : {
            window: {
              featureInstructions: region(1000),
              instructions: region(1001),
              stackBytes: Number(/^window_stack (\d+)/m.exec(out)?.[1]),
            },
          }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
