/** compileHost and compileArm: outputs, sizes, stack usage, and the errors for bad code and missing tools. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { JobError, UsageError } from "../../src/errors.js";
import { compileArm, compileHost } from "../../src/toolchain/compile.js";
import { ToolError } from "../../src/toolchain/tools.js";
import { ARM, requireTools } from "./available.js";

const PROGRAMS = resolve(import.meta.dirname, "programs");
const work = mkdtempSync(join(tmpdir(), "nn2c-compile-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const broken = join(work, "broken.c");
writeFileSync(broken, "int main(void) { return undefined_name; }\n");
const hostProgram = join(work, "host.c");
writeFileSync(hostProgram, '#include <stdio.h>\nint main(void) { printf("%d\\n", VALUE); return 0; }\n');

/** Runs fn with PATH emptied, so that no tool can be found. */
async function withoutPath<T>(fn: () => Promise<T>): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = "/nonexistent";
  try {
    return await fn();
  } finally {
    process.env.PATH = saved;
  }
}

const gcc = await requireTools("compileHost (gcc)", ["gcc"]);
const clang = await requireTools("compileHost (clang)", ["clang"]);
const arm = await requireTools("compileArm", ARM);

describe.skipIf(gcc.missing.length > 0)(`compileHost with gcc${gcc.note}`, () => {
  it("compiles, links and passes defines", async () => {
    const out = join(work, "host-gcc");
    const r = await compileHost([hostProgram], out, { defines: { VALUE: 42 } });
    expect(r.command.slice(0, 2)).toEqual(["gcc", "-O2"]);
    expect((await execa(out)).stdout).toBe("42");
  });

  it("adds AddressSanitizer and UBSan on request", async () => {
    const out = join(work, "host-asan");
    const r = await compileHost([hostProgram], out, { defines: { VALUE: 7 }, sanitize: true });
    expect(r.command).toContain("-fsanitize=address,undefined");
    expect((await execa(out)).stdout).toBe("7");
  });

  it("reports stack usage", async () => {
    const r = await compileHost([hostProgram], join(work, "host-su"), {
      defines: { VALUE: 1 },
      stackUsage: true,
    });
    expect(r.stackUsage?.map((s) => s.function)).toContain("main");
  });

  it("turns a compile error into a JobError carrying the message and the command", async () => {
    const err = await compileHost([broken], join(work, "broken")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobError);
    expect(err).toBeInstanceOf(ToolError);
    const e = err as ToolError;
    expect(e.exitCode).toBe(1);
    expect(e.message).toMatch(/^gcc \(host\) failed \(exit 1\): .*undefined_name/);
    expect(e.stderr).toContain("undefined_name");
    expect(e.commandLine).toContain(broken);
  });

  it("names the package when the compiler is missing", async () => {
    const err = await withoutPath(() => compileHost([hostProgram], join(work, "x"))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe("gcc not found: install it with 'apt-get install gcc'");
  });
});

describe.skipIf(clang.missing.length > 0)(`compileHost with clang${clang.note}`, () => {
  it("compiles with clang", async () => {
    const out = join(work, "host-clang");
    await compileHost([hostProgram], out, { compiler: "clang", defines: { VALUE: 5 } });
    expect((await execa(out)).stdout).toBe("5");
  });
});

describe.skipIf(arm.missing.length > 0)(`compileArm${arm.note}`, () => {
  it("links the board support and measures text/data/bss", async () => {
    const r = await compileArm("cortex-m0", [join(PROGRAMS, "guest.c")], [], join(work, "m0.elf"));
    expect(r.target).toBe("cortex-m0");
    expect(r.command).toContain("-mcpu=cortex-m0");
    expect(r.sizes.data).toBe(4); // `initialised`
    expect(r.sizes.bss).toBeGreaterThanOrEqual(4); // `zeroed`
    expect(r.sizes.text).toBeGreaterThan(300);
    expect(r.sizes.text).toBeLessThan(4096); // no printf
    expect(r.warnings).toBe("");
  });

  it("passes -Os, defines and extra flags, and reports stack usage", async () => {
    const r = await compileArm("cortex-m4", [join(PROGRAMS, "guest.c")], [], join(work, "m4.elf"), {
      opt: "-Os",
      defines: { UNUSED_FLAG: true, UNUSED_VALUE: 3 },
      extraFlags: ["-Werror"],
      stackUsage: true,
    });
    expect(r.command).toEqual(
      expect.arrayContaining(["-Os", "-DUNUSED_FLAG", "-DUNUSED_VALUE=3", "-Werror"]),
    );
    const main = r.stackUsage?.find((s) => s.function === "main");
    expect(main).toMatchObject({ qualifier: "static" });
    expect(r.stackUsage?.find((s) => s.function === "board_put_int")?.bytes).toBeGreaterThan(0);
  });

  it("turns a compile error into a JobError carrying the message and the command", async () => {
    const err = await compileArm("cortex-m3", [broken], [], join(work, "broken.elf")).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ToolError);
    const e = err as ToolError;
    expect(e.message).toMatch(/^arm-none-eabi-gcc \(cortex-m3\) failed \(exit 1\): .*undefined_name/);
    expect(e.command[0]).toBe("arm-none-eabi-gcc");
    expect(e.command).toContain("-mcpu=cortex-m3");
  });

  it("names the packages when arm-none-eabi-gcc is missing", async () => {
    const err = await withoutPath(() => compileArm("cortex-m3", [broken], [], join(work, "x.elf"))).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(
      "arm-none-eabi-gcc not found: install it with 'apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi'",
    );
  });

  it("rejects the host and unknown targets", async () => {
    await expect(compileArm("host", [broken], [], join(work, "x.elf"))).rejects.toThrow(UsageError);
    await expect(compileArm("cortex-m85", [broken], [], join(work, "x.elf"))).rejects.toThrow(
      /unknown target/,
    );
  });
});
