/**
 * `nn2c demo`, the README's quick start (`npm start`): it finishes with exit 0 and 0 mismatches on a
 * machine with every tool, without QEMU's plugin header (no instruction counts: a notice), and without
 * the Cortex-M cross compiler and QEMU (the Cortex-M steps skipped with a notice).
 */
import { mkdirSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../codegen/helpers.js";
import { ICOUNT, QEMU, requireTools } from "../toolchain/available.js";
import { ensureBuilt, json, nn2c } from "./run.js";

const dir = tempDir("demo");
beforeAll(ensureBuilt);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Summary {
  int8: { testAccuracy: number; cTestAccuracy: number };
  verify: { target: string; vectors: number; mismatches: number }[];
  cortexM4: { instructions: number | null; stackBytes: number; notice?: string } | null;
}

const icount = await requireTools("nn2c demo with instruction counts", ICOUNT);
const qemu = await requireTools("nn2c demo on Cortex-M", QEMU);

/** A PATH folder with every program of /usr/bin but the Cortex-M cross tools and QEMU. */
function pathWithoutCortexTools(): string {
  const bin = join(dir, "bin");
  mkdirSync(bin);
  for (const tool of readdirSync("/usr/bin")) {
    if (!/^(arm-none-eabi-|qemu-system-)/.test(tool)) symlinkSync(join("/usr/bin", tool), join(bin, tool));
  }
  return bin;
}

describe("nn2c demo (npm start)", () => {
  it.skipIf(icount.missing.length > 0)(
    `runs every step, instructions counted${icount.note}`,
    async () => {
      const s = json<Summary>(await nn2c(["demo", "--out", join(dir, "all"), "--json"]));
      expect(s.verify.map((v) => v.target)).toEqual(["host", "cortex-m0", "cortex-m4", "cortex-m55"]);
      expect(s.verify.every((v) => v.mismatches === 0 && v.vectors > 100)).toBe(true);
      expect(s.int8.cTestAccuracy).toBe(s.int8.testAccuracy);
      expect(s.cortexM4?.instructions).toBeGreaterThan(1000);
      expect(s.cortexM4?.notice).toBeUndefined();
    },
    120_000,
  );

  it.skipIf(qemu.missing.length > 0)(
    `without qemu-plugin.h: exit 0, flash, RAM and stack, and a notice for the instruction counts${qemu.note}`,
    async () => {
      const empty = join(dir, "no-header");
      mkdirSync(empty);
      const env = { NN2C_QEMU_PLUGIN_INCLUDE: empty };
      const s = json<Summary>(
        await nn2c(["demo", "--out", join(dir, "no-header-out"), "--json"], undefined, env),
      );
      expect(s.verify.every((v) => v.mismatches === 0)).toBe(true);
      expect(s.cortexM4?.instructions).toBeNull();
      expect(s.cortexM4?.stackBytes).toBeGreaterThan(0);
      expect(s.cortexM4?.notice).toMatch(/qemu-plugin\.h.*fetch-header\.sh/);
      const text = await nn2c(["demo", "--out", join(dir, "no-header-text"), "-q"], undefined, env);
      expect(text.exitCode, text.stderr).toBe(0);
      expect(text.stdout).toMatch(
        /\d+ B stack, instructions not counted\nnote: instruction counts need QEMU's qemu-plugin\.h/,
      );
    },
    120_000,
  );

  it("without the cross compiler and QEMU: exit 0, the Cortex-M steps skipped with a notice", async () => {
    const run = await nn2c(["demo", "--out", join(dir, "host-only"), "-q"], undefined, {
      PATH: pathWithoutCortexTools(),
    });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain("4. verified on the host (gcc, ASan+UBSan): 568 vectors, 0 mismatches");
    expect(run.stdout).toContain(
      "5. skipped Cortex-M: install gcc-arm-none-eabi, libnewlib-arm-none-eabi and qemu-system-arm",
    );
  }, 120_000);
});
