/**
 * Compiling and running a harness on the host with gcc: the generated C must build under the strict
 * flags, and runs under AddressSanitizer and UndefinedBehaviorSanitizer by default.
 */
import { join } from "node:path";
import { execa } from "execa";
import { JobError, UsageError } from "../errors.js";

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

export async function runHostHarness(
  dir: string,
  sources: string[],
  options: { sanitize: boolean; compiler?: string },
): Promise<{ stdout: string; command: string }> {
  const cc = options.compiler ?? "gcc";
  const exe = join(dir, "harness");
  const args = [
    ...STRICT_FLAGS,
    "-O2",
    ...(options.sanitize ? ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g"] : []),
    "-I",
    dir,
    ...sources.map((s) => join(dir, s)),
    "-o",
    exe,
    "-lm",
  ];
  const command = `${cc} ${args.join(" ")}`;
  const built = await execa(cc, args, { reject: false, all: true });
  if ((built as { code?: string }).code === "ENOENT" || (built.failed && built.exitCode === undefined)) {
    throw new UsageError(
      `${cc} not found: install a C compiler (Debian: apt-get install ${cc === "clang" ? "clang" : "gcc"})`,
    );
  }
  if (built.exitCode !== 0) {
    throw new JobError(`compiling the generated C failed:\n${built.all}\ncommand: ${command}`);
  }
  const run = await execa(exe, [], { reject: false, all: false, timeout: 120_000 });
  if (run.exitCode !== 0) {
    throw new JobError(
      `the harness failed (exit ${run.exitCode ?? run.signal}):\n${run.stderr.slice(0, 2000)}`,
    );
  }
  return { stdout: run.stdout, command };
}
