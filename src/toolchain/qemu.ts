/**
 * Running a Cortex-M ELF under qemu-system-arm with semihosting: the guest's output is QEMU's
 * stdout, its exit code QEMU's exit status (board_exit → SYS_EXIT_EXTENDED). A fault, a lockup or
 * a hang (killed after the timeout) is a JobError that says which.
 */
import { tmpdir } from "node:os";
import { basename, resolve } from "node:path";
import { execa } from "execa";
import { JobError } from "../errors.js";
import { type CortexTarget, FAULT_EXIT_STATUS, getCortexTarget } from "./targets.js";
import { formatCommand, isNotFound, missingTool } from "./tools.js";

export interface RunOptions {
  /** Bytes the guest reads with board_getc. Without it stdin is empty (a read then blocks). */
  stdin?: string | Uint8Array;
  /** The guest's command line after its name (board_cmdline gives "<elf name> <args...>"). */
  args?: readonly string[];
  /** Hard limit on the wall time, in seconds; default 10. */
  timeoutSeconds?: number;
  /** A TCG plugin: shared object and its key=value arguments. */
  plugin?: { path: string; args: Readonly<Record<string, string>> };
  /** More qemu-system-arm arguments, before -kernel. */
  extraArgs?: readonly string[];
}

export interface RunResult {
  /** The guest's exit code (0..255). */
  status: number;
  stdout: string;
  stderr: string;
  /** Wall time of the QEMU process. */
  seconds: number;
  command: string[];
}

/** A guest that faulted, locked up or hung. */
export class GuestError extends JobError {
  constructor(
    message: string,
    readonly reason: "fault" | "lockup" | "timeout" | "qemu",
    readonly stdout: string,
    readonly stderr: string,
    readonly command: readonly string[],
  ) {
    super(message);
  }
}

/** A QEMU option value: commas are doubled, as QEMU's option parser wants. */
function optionValue(value: string): string {
  return value.replaceAll(",", ",,");
}

export function qemuCommand(target: CortexTarget, elf: string, options: RunOptions = {}): string[] {
  const semihosting = ["enable=on", "target=native", "chardev=semi"];
  for (const arg of [basename(elf), ...(options.args ?? [])]) semihosting.push(`arg=${optionValue(arg)}`);
  const plugin =
    options.plugin === undefined
      ? []
      : [
          "-plugin",
          [
            optionValue(options.plugin.path),
            ...Object.entries(options.plugin.args).map(([k, v]) => `${k}=${optionValue(v)}`),
          ].join(","),
        ];
  return [
    "qemu-system-arm",
    "-M",
    target.machine,
    "-nographic",
    "-monitor",
    "none",
    "-serial",
    "none",
    "-chardev",
    "stdio,id=semi",
    "-semihosting-config",
    semihosting.join(","),
    ...plugin,
    ...(options.extraArgs ?? []),
    "-kernel",
    elf,
  ];
}

/**
 * Runs `elf` on the target's QEMU machine and returns the guest's exit code and output. A non-zero
 * exit code is returned, not thrown; a fault (exit BOARD_EXIT_FAULT after a "fault:" line), a
 * lockup, a timeout or a QEMU error is a GuestError.
 */
export async function runQemu(
  target: CortexTarget | string,
  elf: string,
  options: RunOptions = {},
): Promise<RunResult> {
  const t = getCortexTarget(target);
  const command = qemuCommand(t, resolve(elf), options);
  const timeoutSeconds = options.timeoutSeconds ?? 10;
  const started = performance.now();
  const result = await execa(command[0], command.slice(1), {
    reject: false,
    // A lockup aborts QEMU: where core dumps are on, the core goes to the temporary folder.
    cwd: tmpdir(),
    timeout: timeoutSeconds * 1000,
    forceKillAfterDelay: 1000,
    stripFinalNewline: false,
    ...(options.stdin === undefined ? { stdin: "ignore" as const } : { input: options.stdin }),
  });
  const seconds = (performance.now() - started) / 1000;
  if (isNotFound(result)) throw missingTool("qemu-system-arm");
  const stdout = String(result.stdout ?? "");
  const stderr = String(result.stderr ?? "");
  const where = `${t.name} (${basename(elf)})`;
  const fail = (reason: GuestError["reason"], message: string) =>
    new GuestError(`${where}: ${message}`, reason, stdout, stderr, command);

  if (result.timedOut) throw fail("timeout", `timed out after ${timeoutSeconds} s`);
  if (/Lockup/.test(stderr)) throw fail("lockup", `guest locked up: ${firstLine(stderr, /Lockup/)}`);
  if (result.exitCode === undefined) {
    throw fail("qemu", `qemu-system-arm was killed by ${result.signal ?? "a signal"}: ${firstLine(stderr)}`);
  }
  const status = result.exitCode;
  if (status === FAULT_EXIT_STATUS && /^fault:/m.test(stdout)) {
    throw fail("fault", `guest faulted: ${firstLine(stdout, /^fault:/)}`);
  }
  // QEMU's own errors (bad machine, unreadable ELF, plugin refused) exit 1 with a message.
  if (status === 1 && /^qemu-system-arm: /m.test(stderr)) {
    throw fail(
      "qemu",
      `qemu-system-arm failed: ${firstLine(stderr, /^qemu-system-arm: /)} (${formatCommand(command)})`,
    );
  }
  return { status, stdout, stderr, seconds, command };
}

function firstLine(text: string, pattern?: RegExp): string {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  return (
    (pattern === undefined ? undefined : lines.find((l) => pattern.test(l))) ??
    lines[0] ??
    "(no output)"
  ).trim();
}
