/**
 * Running a verification harness: on the host (gcc under the strict flags, with AddressSanitizer and
 * UndefinedBehaviorSanitizer by default) or on a Cortex-M core under QEMU (arm-none-eabi-gcc with the
 * board support in firmware/boards). Both print the harness's lines on stdout.
 */
import { join } from "node:path";
import { execa } from "execa";
import { JobError } from "../errors.js";
import { compileArmFitting, compileHost, doesNotFit } from "../toolchain/compile.js";
import { runQemu } from "../toolchain/qemu.js";
import { type CortexTarget, getCortexTarget, largerBoard } from "../toolchain/targets.js";
import { ToolError } from "../toolchain/tools.js";

/** The flags the generated C must compile under without a warning. */
export const STRICT_FLAGS = [
  "-std=c99",
  "-Wall",
  "-Wextra",
  "-Wpedantic",
  "-Wconversion",
  "-Wshadow",
  "-Wdouble-promotion",
  "-Werror",
];

export interface HarnessRun {
  stdout: string;
  command: string;
  /** the QEMU machine a Cortex-M harness ran on, and the target that has it */
  board?: string;
  target?: CortexTarget;
}

/** A compile error carries the compiler's message and the command line. */
function compileFailure(e: unknown): never {
  if (e instanceof ToolError) {
    throw new JobError(`compiling the generated C failed:\n${e.stderr.trim()}\ncommand: ${e.commandLine}`);
  }
  throw e;
}

export async function runHostHarness(
  dir: string,
  sources: string[],
  options: { sanitize: boolean; compiler?: string },
): Promise<HarnessRun> {
  const exe = join(dir, "harness");
  const built = await compileHost(
    sources.map((s) => join(dir, s)),
    exe,
    {
      compiler: (options.compiler ?? "gcc") as "gcc" | "clang",
      flags: [...STRICT_FLAGS, "-O2"],
      includeDirs: [dir],
      sanitize: options.sanitize,
      extraFlags: ["-lm"],
    },
  ).catch(compileFailure);
  const run = await execa(exe, [], { reject: false, timeout: 120_000 });
  if (run.exitCode !== 0) {
    throw new JobError(
      `the harness failed (exit ${run.exitCode ?? run.signal}):\n${run.stderr.slice(0, 2000)}`,
    );
  }
  return { stdout: run.stdout, command: built.command.join(" ") };
}

/**
 * Cross-compiles the harness for a Cortex-M target (-O2, the strict flags on the generated files) and
 * runs it under QEMU. A model too large for the board fails at link time, before QEMU runs, with the
 * linker's message about the region that overflowed.
 */
export async function runCortexHarness(
  target: string | CortexTarget,
  dir: string,
  sources: string[],
): Promise<HarnessRun> {
  const own = getCortexTarget(target);
  const elf = join(dir, `harness-${own.name}.elf`);
  // a program too large for the core's own board runs on a larger one (the M0 on MPS2 AN385)
  const built = await compileArmFitting(
    own,
    sources.map((s) => join(dir, s)),
    [dir],
    elf,
    { opt: "-O2", extraFlags: ["-Wpedantic", "-Wconversion", "-Wshadow", "-Wdouble-promotion", "-lm"] },
  ).catch((e: unknown) => {
    const t = largerBoard(own) ?? own;
    if (doesNotFit(e)) {
      const facts = e.stderr
        .split("\n")
        .filter((l) => /overflowed by|will not fit/.test(l))
        .map((l) => l.replace(/^.*?ld: /, "").replace(/^.*\.elf /, ""));
      throw new JobError(
        `the model and its test vectors do not fit ${t.name} (${t.machine}: flash ${t.flash.size} bytes, RAM ${t.ram.size} bytes): ${facts.join("; ") || e.message}`,
      );
    }
    return compileFailure(e);
  });
  const t = built.target;
  const run = await runQemu(t, elf, { timeoutSeconds: 120 });
  if (run.status !== 0) {
    throw new JobError(
      `the harness on ${t.name} exited with status ${run.status}:\n${run.stderr.slice(0, 2000)}`,
    );
  }
  return { stdout: run.stdout, command: built.result.command.join(" "), board: t.machine, target: t };
}
