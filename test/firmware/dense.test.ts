/**
 * The dense kernels (s8, s16, s16_s64) on every Cortex-M core under QEMU and on the host: the path each
 * core compiles (plain C on M0/M3 and hosts, DSP on M4/M7/M33, MVE on M55) and the reference loop
 * against the TypeScript reference, bit for bit, on awkward sizes (1, 3, 15, 16, 17, 33, 1001 inputs;
 * 1, 3, 4, 5, 8, 9 outputs), leaky relu, the largest sums, the whole range of requantization,
 * misaligned inputs and weights; instruction counts identical from one run to the next.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { compileArm, compileHost } from "../../src/toolchain/compile.js";
import { countInstructions, type Markers } from "../../src/toolchain/icount.js";
import { CORTEX_TARGET_NAMES, getCortexTarget } from "../../src/toolchain/targets.js";
import { STRICT_FLAGS } from "../../src/verify/host.js";
import { ICOUNT, requireTools } from "../toolchain/available.js";
import {
  type Case,
  KERNEL_INFO,
  KERNELS,
  type Kernel,
  makeCases,
  referenceWrapper,
  THROUGHPUT_CASE,
  testProgram,
} from "./dense.js";

const RUNTIME = resolve(import.meta.dirname, "../../firmware/nn");
const INCLUDE = join(RUNTIME, "include");
const SRC = join(RUNTIME, "src");
const MARKERS: Markers = { begin: "test_mark_begin", end: "test_mark_end", window: "test_mark_window" };
const WINDOW_BYTES = 0x10000;

const work = mkdtempSync(join(tmpdir(), "nn2c-dense-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cases = new Map<Kernel, Case[]>(KERNELS.map((k) => [k, makeCases(k)]));

/** Writes the test program and the reference wrapper; returns the sources to compile. */
function writeProgram(kernel: Kernel, dir: string): string[] {
  const main = join(dir, `test_dense_${kernel}.c`);
  const ref = join(dir, `ref_${KERNEL_INFO[kernel].fn}.c`);
  writeFileSync(main, testProgram(kernel, cases.get(kernel)!));
  writeFileSync(ref, referenceWrapper(kernel));
  return [main, join(SRC, `${KERNEL_INFO[kernel].fn}.c`), ref];
}

function summary(stdout: string, kernel: Kernel): string {
  const mismatches = stdout.split("\n").filter((l) => l.startsWith("mismatch"));
  const last = stdout.split("\n").find((l) => l.startsWith(`dense ${kernel}:`));
  return [...mismatches.slice(0, 6), last ?? "(no summary line)"].join("\n");
}

const host = await requireTools("dense kernels on the host", ["gcc", "clang"]);
const qemu = await requireTools("dense kernels under QEMU", ICOUNT);

describe.skipIf(host.missing.length > 0)(`dense kernels on the host${host.note}`, () => {
  it.each(KERNELS.flatMap((k) => [[k, "gcc"] as const, [k, "clang"] as const]))(
    "nn_dense_%s (%s, strict flags, ASan + UBSan): plain path and reference equal TypeScript",
    async (kernel, compiler) => {
      const dir = join(work, `host-${compiler}-${kernel}`);
      rmSync(dir, { recursive: true, force: true });
      await execa("mkdir", ["-p", dir]);
      const exe = join(dir, "test");
      await compileHost(writeProgram(kernel, dir), exe, {
        compiler,
        flags: [...STRICT_FLAGS, "-O2"],
        sanitize: compiler === "gcc",
        includeDirs: [INCLUDE, SRC],
        defines: { NN_TEST_HOST: true },
      });
      const run = await execa(exe, [], { reject: false });
      const n = cases.get(kernel)!.length;
      expect(summary(run.stdout, kernel)).toBe(`dense ${kernel}: ${n} cases, 0 failed`);
      expect(run.exitCode).toBe(0);
    },
  );
});

describe.skipIf(host.missing.length > 0)(`dense kernels with clang for Cortex-M${host.note}`, () => {
  it.each(CORTEX_TARGET_NAMES.flatMap((core) => KERNELS.map((k) => [k, core] as const)))(
    "nn_dense_%s compiles for %s with clang at -O2, -Os and -O0 under the strict flags",
    async (kernel, core) => {
      const target = getCortexTarget(core);
      for (const opt of ["-O2", "-Os", "-O0"]) {
        const r = await execa(
          "clang",
          [
            "--target=arm-none-eabi",
            ...target.gccFlags,
            opt,
            ...STRICT_FLAGS,
            `-I${INCLUDE}`,
            "-c",
            join(SRC, `${KERNEL_INFO[kernel].fn}.c`),
            "-o",
            join(work, `clang-${core}-${kernel}.o`),
          ],
          { reject: false, all: true },
        );
        expect(r.all, `${opt}`).toBe("");
      }
    },
  );
});

/**
 * Upper bounds of instructions per MAC on the 256x16 case, per kernel, optimisation and core: what each
 * core's path measured (gcc 12.2, QEMU's exact count) plus 10%. A path that silently falls back to
 * plain C (a misdetected core, a broken #if) costs 1.3x (ARMv6-M assembly) to 11x (Helium) more.
 */
const MAX_PER_MAC: Record<string, Record<string, number>> = {
  "s8 -O2": {
    "cortex-m0": 4.25,
    "cortex-m3": 3.35,
    "cortex-m4": 1.65,
    "cortex-m7": 1.65,
    "cortex-m33": 1.65,
    "cortex-m55": 0.3,
  },
  "s8 -Os": {
    "cortex-m0": 4.45,
    "cortex-m3": 4.6,
    "cortex-m4": 1.75,
    "cortex-m7": 1.75,
    "cortex-m33": 1.75,
    "cortex-m55": 0.6,
  },
  "s16 -O2": {
    "cortex-m0": 7.0,
    "cortex-m3": 3.35,
    "cortex-m4": 1.7,
    "cortex-m7": 1.7,
    "cortex-m33": 1.7,
    "cortex-m55": 0.55,
  },
  "s16_s64 -O2": {
    "cortex-m0": 7.35,
    "cortex-m3": 3.5,
    "cortex-m4": 1.93,
    "cortex-m7": 1.93,
    "cortex-m33": 1.93,
    "cortex-m55": 0.66,
  },
};

/** Every kernel at -O2 on every core; nn_dense_s8 at -Os too (ARMv6-M takes another assembly path there). */
const QEMU_RUNS = CORTEX_TARGET_NAMES.flatMap((core) => [
  ...KERNELS.map((k) => [k, core, "-O2"] as const),
  ["s8", core, "-Os"] as const,
]);

describe.skipIf(qemu.missing.length > 0)(`dense kernels under QEMU${qemu.note}`, () => {
  it.each(QEMU_RUNS)(
    "nn_dense_%s on %s (%s): the core's path and the reference equal TypeScript; repeatable counts",
    async (kernel, core, opt) => {
      const dir = join(work, `${core}-${kernel}${opt}`);
      await execa("mkdir", ["-p", dir]);
      const target = getCortexTarget(core);
      const window = target.flash.origin + target.flash.size - WINDOW_BYTES;
      const elf = join(dir, "test.elf");
      const built = await compileArm(core, writeProgram(kernel, dir), [INCLUDE, SRC], elf, {
        opt,
        extraFlags: [
          "-Werror",
          ...STRICT_FLAGS.filter((f) => f !== "-std=c99"),
          `-Wl,--defsym=test_mark_window=0x${window.toString(16)}`,
        ],
      });
      expect(built.sizes.flash).toBeLessThan(window - target.flash.origin);
      const first = await countInstructions(core, elf, { markers: MARKERS, timeoutSeconds: 60 });
      const n = cases.get(kernel)!.length;
      expect(summary(first.run.stdout, kernel)).toBe(`dense ${kernel}: ${n} cases, 0 failed`);
      expect(first.run.status).toBe(0);
      expect(first.regions.map((r) => r.id)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      const second = await countInstructions(core, elf, { markers: MARKERS, timeoutSeconds: 60 });
      expect(second.regions).toEqual(first.regions);
      expect(second.total).toBe(first.total);
      // the core's fast path, not a silent fallback to plain C: instructions per MAC within the bound
      const k = cases.get(kernel)!.findIndex((c) => c.name === THROUGHPUT_CASE);
      const { inputCount, units } = cases.get(kernel)![k].op;
      const perMac = first.regions[k].instructions / (inputCount * units);
      expect(perMac, `${THROUGHPUT_CASE} instructions per MAC`).toBeLessThanOrEqual(
        MAX_PER_MAC[`${kernel} ${opt}`][core],
      );
    },
  );
});
