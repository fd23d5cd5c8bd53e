/**
 * Running the external tools (compilers, binutils, QEMU) with execa: a missing tool is a UsageError
 * naming the Debian package that provides it; a tool that fails is a ToolError (a JobError) that
 * carries its command line and its output.
 */
import { execa, type Options } from "execa";
import { JobError, UsageError } from "../errors.js";

/** The Debian package that provides each tool nn2c runs. */
export const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  gcc: "gcc",
  clang: "clang",
  "arm-none-eabi-gcc": "gcc-arm-none-eabi libnewlib-arm-none-eabi",
  "arm-none-eabi-size": "gcc-arm-none-eabi",
  "arm-none-eabi-nm": "gcc-arm-none-eabi",
  "qemu-system-arm": "qemu-system-arm",
  cmake: "cmake",
  make: "make",
};

/** A tool that ran and failed. The message is one line; `stderr` has the tool's full message. */
export class ToolError extends JobError {
  constructor(
    message: string,
    /** argv, tool first. */
    readonly command: readonly string[],
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
  }

  /** The command as one shell-quoted line, for pasting into a terminal. */
  get commandLine(): string {
    return formatCommand(this.command);
  }
}

export function formatCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(" ");
}

/** True when `tool args` runs and exits 0 (by default `tool --version`: the tool is installed). */
export async function toolRuns(tool: string, args: readonly string[] = ["--version"]): Promise<boolean> {
  const result = await execa(tool, args, { reject: false, stdin: "ignore" });
  return !result.failed;
}

export function missingTool(tool: string): UsageError {
  const pkg = TOOL_PACKAGES[tool];
  const hint = pkg === undefined ? "" : `: install it with 'apt-get install ${pkg}'`;
  return new UsageError(`${tool} not found${hint}`);
}

/** The first line of a compiler's output that says "error", else its first non-empty line. */
export function firstDiagnostic(output: string): string {
  const lines = output.split("\n").filter((l) => l.trim() !== "");
  return (lines.find((l) => /\berror\b/i.test(l)) ?? lines[0] ?? "(no output)").trim();
}

export interface ToolResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs `tool args` to completion. A non-zero exit becomes a ToolError whose message is
 * `${what} failed (exit N): <first diagnostic>`.
 */
export async function runTool(
  tool: string,
  args: readonly string[],
  what: string,
  options: Pick<Options, "cwd" | "env"> = {},
): Promise<ToolResult> {
  const command = [tool, ...args];
  const result = await execa(tool, args, { ...options, reject: false, stdin: "ignore" });
  if (isNotFound(result)) throw missingTool(tool);
  const stdout = String(result.stdout ?? "");
  const stderr = String(result.stderr ?? "");
  if (result.failed) {
    const why = result.exitCode !== undefined ? `exit ${result.exitCode}` : (result.signal ?? "killed");
    throw new ToolError(
      `${what} failed (${why}): ${firstDiagnostic(stderr || stdout)}`,
      command,
      stdout,
      stderr,
    );
  }
  return { stdout, stderr };
}

/** execa reports a missing executable as a failed result with code ENOENT. */
export function isNotFound(result: { failed: boolean; code?: string }): boolean {
  return result.failed && result.code === "ENOENT";
}
