/**
 * The int8 convolution and depthwise kernels' fast paths (every core's: plain C and ARMv6-M assembly,
 * DSP, Helium) equal the TypeScript integer reference, and so the reference loop, on awkward shapes on
 * the host and all six Cortex-M cores (see cases.ts); `npm run test:kernels` (CI) runs it. And they,
 * with the pooling kernels, build with clang for every core.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { CORTEX_TARGET_NAMES, getCortexTarget } from "../../src/toolchain/targets.js";
import { STRICT_FLAGS } from "../../src/verify/host.js";
import { QEMU, requireTools } from "../toolchain/available.js";
import { CONV_CASES, expectExact, FULL, TARGETS } from "./cases.js";

const RUNTIME = resolve(import.meta.dirname, "../../firmware/nn");

const tools = await requireTools("kernels on the host and under QEMU", FULL ? ["gcc", ...QEMU] : ["gcc"]);

describe.skipIf(tools.missing.length > 0)(`convolution kernels, bit for bit${tools.note}`, () => {
  it.each(CONV_CASES)("%s", async (...c) => expectExact(c, TARGETS), 300_000);
});

const clang = await requireTools("kernels with clang for Cortex-M", ["clang", "libnewlib-arm-none-eabi"]);

/** The kernels whose fast paths carry assembly that only GCC takes (see each file's DW_ASM3 and
 * NN_CONV_MVE_GROUPS): clang must still build them, its C and intrinsics paths instead. */
const CLANG_KERNELS = ["nn_conv2d_s8", "nn_depthwise_conv2d_s8", "nn_max_pool_s8", "nn_avg_pool_s8"];

describe.skipIf(clang.missing.length > 0)(`convolution and pooling kernels with clang${clang.note}`, () => {
  it.each(CORTEX_TARGET_NAMES)(
    `compile for %s under the strict flags (${FULL ? "-O2, -Os and -O0" : "-O2; -Os and -O0 in test:kernels"})`,
    async (core) => {
      // newlib's headers (string.h) beside its nano.specs: <prefix>/lib/nano.specs, <prefix>/include
      const specs = (await execa("arm-none-eabi-gcc", ["-print-file-name=nano.specs"])).stdout.trim();
      const newlib = join(dirname(dirname(specs)), "include");
      const work = mkdtempSync(join(tmpdir(), "nn2c-clang-"));
      try {
        for (const kernel of CLANG_KERNELS) {
          for (const opt of FULL ? ["-O2", "-Os", "-O0"] : ["-O2"]) {
            const r = await execa(
              "clang",
              [
                "--target=arm-none-eabi",
                ...getCortexTarget(core).gccFlags,
                opt,
                ...STRICT_FLAGS,
                `-I${join(RUNTIME, "include")}`,
                "-isystem",
                newlib,
                "-c",
                join(RUNTIME, "src", `${kernel}.c`),
                "-o",
                join(work, `${kernel}.o`),
              ],
              { reject: false, all: true },
            );
            expect(r.all, `${kernel} ${opt}`).toBe("");
          }
        }
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    },
    120_000,
  );
});
