/** `nn2c inspect MODEL`: layers, parameters, MACs and weight bytes per precision. */
import type { Command } from "commander";
import { inspectModel } from "../model/inspect.js";
import { loadModel } from "../model/io.js";
import { action, printJson } from "./common.js";

export function registerInspect(program: Command): void {
  program
    .command("inspect")
    .description("show a model's layers, parameters, MACs and weight bytes per precision")
    .argument("<model>", "model file")
    .option("--json", "print one JSON object: layers, params, macs, weightBytes", false)
    .action(
      action((modelFile: string, flags: { json: boolean }) => {
        const info = inspectModel(loadModel(modelFile));
        if (flags.json) return printJson(info);
        const rows = [["#", "layer", "activation", "in", "out", "params", "MACs"]];
        for (const l of info.layers) {
          rows.push([
            String(l.index),
            l.kind,
            l.activation,
            String(l.inputs),
            String(l.outputs),
            String(l.params),
            String(l.macs),
          ]);
        }
        const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
        const lines = rows.map((r) =>
          r.map((cell, c) => (c >= 3 ? cell.padStart(w[c]) : cell.padEnd(w[c]))).join("  "),
        );
        const b = info.weightBytes;
        process.stdout.write(
          `${info.task} model: ${info.inputs} inputs -> ${info.outputs} outputs` +
            (info.classes ? ` (classes: ${info.classes.join(", ")})` : "") +
            `\n${lines.join("\n")}\n` +
            `params ${info.params}, MACs per inference ${info.macs}\n` +
            `weight bytes: float32 ${b.float32}, int8 ${b.int8}, int16 ${b.int16}\n`,
        );
      }),
    );
}
