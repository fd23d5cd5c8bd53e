#!/usr/bin/env node
/** The nn2c command line: one subcommand per pipeline stage. */
import { Command, CommanderError } from "commander";
import { VERSION } from "../version.js";
import { registerBench } from "./bench.js";
import { registerDemo } from "./demo.js";
import { registerEvaluate } from "./evaluate.js";
import { registerExport } from "./export.js";
import { registerFeatures } from "./features.js";
import { registerImport } from "./import.js";
import { registerInspect } from "./inspect.js";
import { registerQuantize } from "./quantize.js";
import { registerTrain } from "./train.js";
import { registerVerify } from "./verify.js";

// A reader that stops early (`nn2c inspect m.json | head`) is not an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

const program = new Command();
program
  .name("nn2c")
  .description("Train small neural networks and compile them to portable fixed-point C for Cortex-M")
  .version(VERSION)
  // one line per error, as every nn2c error (commander may add a "Did you mean" line of its own)
  .configureOutput({
    outputError: (message, write) =>
      write(`${message.trim().replace(/\s*\n\s*/g, " ")} (run with --help for usage)\n`),
  })
  .exitOverride();

registerFeatures(program);
registerTrain(program);
registerEvaluate(program);
registerQuantize(program);
registerImport(program);
registerExport(program);
registerVerify(program);
registerBench(program);
registerInspect(program);
registerDemo(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // help and version exit 0; usage errors (unknown option, bad value) are bad input: exit 2
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else {
    throw e;
  }
}
