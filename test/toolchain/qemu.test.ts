/**
 * Every Cortex-M target end to end: compile with the board support, run under QEMU, check the
 * output and the exit status; a faulting guest is reported as a fault, a hung one times out.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { compileArm } from "../../src/toolchain/compile.js";
import { GuestError, qemuCommand, runQemu } from "../../src/toolchain/qemu.js";
import { CORTEX_TARGET_NAMES, getCortexTarget } from "../../src/toolchain/targets.js";
import { QEMU, requireTools } from "./available.js";

const PROGRAMS = resolve(import.meta.dirname, "programs");
const work = mkdtempSync(join(tmpdir(), "nn2c-qemu-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What checksum.c prints, computed here: FNV-1a over the words 0..999. */
function expectedChecksum(): string {
  let h = 2166136261;
  for (let i = 0; i < 1000; i++) h = Math.imul((h ^ i) >>> 0, 16777619) >>> 0;
  const hex = `0x${h.toString(16).padStart(8, "0")}`;
  return `checksum ${h | 0} ${hex}\n-2147483648 2147483647 0 12345 0\n`;
}

async function build(target: string): Promise<string> {
  const elf = join(work, `${target}-guest.elf`);
  await compileArm(target, [join(PROGRAMS, "guest.c")], [], elf, { extraFlags: ["-Werror"] });
  return elf;
}

const tools = await requireTools("qemu", QEMU);

describe("qemuCommand", () => {
  it("enables semihosting on the chardev and doubles commas in arguments", () => {
    const cmd = qemuCommand(getCortexTarget("cortex-m4"), "/tmp/p.elf", { args: ["a,b", "c"] });
    expect(cmd.slice(0, 3)).toEqual(["qemu-system-arm", "-M", "mps2-an386"]);
    expect(cmd).toContain("enable=on,target=native,chardev=semi,arg=p.elf,arg=a,,b,arg=c");
    expect(cmd.slice(-2)).toEqual(["-kernel", "/tmp/p.elf"]);
  });
});

describe.skipIf(tools.missing.length > 0)(`runQemu${tools.note}`, () => {
  describe.each(CORTEX_TARGET_NAMES)("%s", (target) => {
    let elf: string;
    beforeAll(async () => {
      elf = await build(target);
    });

    it("runs a checksum loop and returns the exit status", async () => {
      const r = await runQemu(target, elf, { args: ["checksum"] });
      expect(r.stdout).toBe(expectedChecksum());
      expect(r.status).toBe(42);
      expect(r.seconds).toBeLessThan(5);
    });

    it("passes the command line and standard input", async () => {
      const r = await runQemu(target, elf, { args: ["echo", "a,b"], stdin: "hello, qemu.ignored" });
      expect(r.stdout).toBe(`args: ${target}-guest.elf echo a,b\nhello, qemu`);
      expect(r.status).toBe(11);
    });

    it("reports a fault as a fault", async () => {
      const err = await runQemu(target, elf, { args: ["fault"] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GuestError);
      const e = err as GuestError;
      expect(e.reason).toBe("fault");
      expect(e.exitCode).toBe(1);
      expect(e.message).toMatch(
        new RegExp(`^${target} \\(${target}-guest.elf\\): guest faulted: fault: exception 3 pc=0xe0`),
      );
      expect(e.stdout).toMatch(/^calling 0xe00ff000\nfault: /);
    });

    it("reports a lockup as a lockup", async () => {
      const err = await runQemu(target, elf, { args: ["lockup"] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GuestError);
      expect((err as GuestError).reason).toBe("lockup");
      expect((err as Error).message).toMatch(
        /: guest locked up: qemu: fatal: Lockup: can't escalate 3 to HardFault/,
      );
    });
  });

  it("kills a guest that never exits after the timeout", async () => {
    const elf = await build("cortex-m3");
    const started = performance.now();
    const err = await runQemu("cortex-m3", elf, { args: ["hang"], timeoutSeconds: 2 }).catch(
      (e: unknown) => e,
    );
    const seconds = (performance.now() - started) / 1000;
    expect(err).toBeInstanceOf(GuestError);
    expect((err as GuestError).reason).toBe("timeout");
    expect((err as GuestError).message).toBe("cortex-m3 (cortex-m3-guest.elf): timed out after 2 s");
    expect((err as GuestError).stdout).toBe("spinning\n");
    expect(seconds).toBeLessThan(4);
  });

  it("reports a QEMU error, such as an ELF it cannot load", async () => {
    const err = await runQemu("cortex-m3", join(work, "missing.elf")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GuestError);
    expect((err as GuestError).reason).toBe("qemu");
    expect((err as Error).message).toMatch(/qemu-system-arm failed: qemu-system-arm: Could not load kernel/);
  });

  it("names the package when qemu-system-arm is missing", async () => {
    const saved = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      await expect(runQemu("cortex-m3", join(work, "missing.elf"))).rejects.toThrow(
        new UsageError("qemu-system-arm not found: install it with 'apt-get install qemu-system-arm'"),
      );
    } finally {
      process.env.PATH = saved;
    }
  });
});
