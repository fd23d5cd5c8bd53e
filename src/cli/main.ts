#!/usr/bin/env node
/** The nn2c command line: one subcommand per pipeline stage. */
import { Command, CommanderError } from "commander";
import { VERSION } from "../version.js";
import { registerDemo } from "./demo.js";
import { registerEvaluate } from "./evaluate.js";
import { registerInspect } from "./inspect.js";
import { registerTrain } from "./train.js";

const program = new Command();
program
  .name("nn2c")
  .description("Train small neural networks and compile them to portable fixed-point C for Cortex-M")
  .version(VERSION)
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride();

registerTrain(program);
registerEvaluate(program);
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
