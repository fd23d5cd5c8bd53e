/** `nn2c bench MODEL -t TARGET...`: flash, RAM, stack and executed instructions per inference, per core. */
import type { Command } from "commander";
import { Option } from "commander";
import { type BenchResult, benchModel } from "../bench/bench.js";
import { checkModelInputs, loadFeatures } from "../features/definition.js";
import { CORTEX_TARGET_NAMES, parseTargets } from "../toolchain/targets.js";
import { action, printJson } from "./common.js";
import { type PrecisionFlags, precisionOption, resolveExportable } from "./export.js";

const count = (v: number | null) => (v === null ? "-" : String(v));
const dims = (shape: readonly number[]) => shape.join("x");

/** Rows of cells as aligned columns: the first `left` columns (words) to the left, the rest to the right. */
function formatColumns(all: string[][], left = 1): string {
  const w = all[0].map((_, c) => Math.max(...all.map((r) => r[c].length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => (c < left ? cell.padEnd(w[c]) : cell.padStart(w[c])))
      .join("  ")
      .trimEnd();
  return `${all.map(line).join("\n")}\n`;
}

/** The per-core table people read; a dash where instructions could not be counted. */
export function formatBench(results: BenchResult[]): string {
  const head = ["core", "flash", "code", "weights", "RAM", "stack", "instructions", "MACs", "instr/MAC"];
  const rows = results.map((r) => [
    r.target,
    String(r.flashBytes),
    String(r.codeBytes),
    String(r.weightBytes),
    String(r.ramBytes),
    String(r.stackBytes),
    count(r.instructions),
    String(r.macs),
    r.instructionsPerMac === null ? "-" : r.instructionsPerMac.toFixed(2),
  ]);
  const table = formatColumns([head, ...rows]);
  if (results.length === 0) return table;
  // every core runs the same ops; the instruction columns of the cores where they were counted
  const counted = results.filter((r) => r.instructions !== null);
  const perOp = formatColumns(
    [
      ["op", "layer", "kind", "input → output", "MACs", "weights", ...counted.map((r) => r.target)],
      ...results[0].layers.map((l, k) => [
        String(k),
        l.layer,
        l.kind,
        `${l.inputs.map(dims).join(" + ")} → ${dims(l.output)}`,
        String(l.macs),
        String(l.weightBytes),
        ...counted.map((r) => {
          const n = r.layers[k].instructions;
          return n === null ? "-" : `${n}${l.macs ? ` (${(n / l.macs).toFixed(2)}/MAC)` : ""}`;
        }),
      ]),
    ],
    4,
  );
  const windows = counted.flatMap((r) =>
    r.window?.instructions != null && r.window.featureInstructions !== null
      ? [
          `${r.target}: ${r.window.instructions} instructions per window (features ${r.window.featureInstructions}, model and conversions ${r.window.instructions - r.window.featureInstructions}), stack ${r.window.stackBytes} bytes`,
        ]
      : [],
  );
  const perWindow = windows.length ? `\nper window (features + model):\n${windows.join("\n")}\n` : "";
  const what = counted.length
    ? "weights in bytes; instructions per inference on each core"
    : "weights in bytes";
  const boards = results.flatMap((r) => (r.boardNote ? [`${r.target}: ${r.boardNote}\n`] : []));
  return `${table}\n${boards.join("")}per op (${what}):\n${perOp}${perWindow}`;
}

export function registerBench(program: Command): void {
  program
    .command("bench")
    .description("flash, RAM, stack and executed instructions per inference on Cortex-M cores (under QEMU)")
    .argument(
      "<model>",
      "model file: nn2c's float or quantized model, or a Keras .h5 or int8 .tflite file, imported as nn2c import does",
    )
    .requiredOption("-t, --target <targets...>", `cores: ${CORTEX_TARGET_NAMES.join(", ")}, or all`)
    .addOption(new Option("--opt <level>", "compiler optimisation").choices(["-O2", "-Os"]).default("-O2"))
    .addOption(precisionOption())
    .option("--calibration <data>", "calibration CSV, to quantize a float model on the fly")
    .option("--features <file>", "a feature definition: also measure one window (features, then the model)")
    .option(
      "--json",
      "print one JSON object: targets: [{target, flashBytes, codeBytes, weightBytes, ramBytes, arenaBytes, stackBytes, instructions, macs, instructionsPerMac, layers: [{op, name, layer, kind, inputs, output, weightBytes, macs, instructions}], window?: {featureInstructions, instructions, stackBytes}}], and notice when instructions (then null) could not be counted",
      false,
    )
    .addHelpText(
      "after",
      "\nInstruction counts are executed instructions, counted exactly by a QEMU plugin: not cycles.\n" +
        "flash = code (the model's functions and runtime kernels) + weights (its constant data); RAM = its static data.",
    )
    .action(
      action(
        async (
          modelFile: string,
          flags: PrecisionFlags & { target: string[]; opt: "-O2" | "-Os"; features?: string; json: boolean },
        ) => {
          const targets = parseTargets(flags.target, { allowHost: false });
          const features = flags.features === undefined ? undefined : loadFeatures(flags.features);
          const m = await resolveExportable(modelFile, flags);
          if (features) checkModelInputs(features, m.model.inputs.names, modelFile);
          const results: BenchResult[] = [];
          for (const t of targets) results.push(await benchModel(m, t, { opt: flags.opt, features }));
          const notice = results.find((r) => r.notice !== undefined)?.notice;
          if (flags.json)
            return printJson({ model: modelFile, targets: results, ...(notice ? { notice } : {}) });
          process.stdout.write(formatBench(results));
          if (notice) process.stdout.write(`instructions not counted: ${notice}\n`);
          else
            process.stdout.write("instructions are executed instructions (exact, from QEMU), not cycles\n");
        },
      ),
    );
}
