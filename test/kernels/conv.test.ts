/**
 * The int8 convolution and depthwise kernels' fast paths (every core's: plain C and ARMv6-M assembly,
 * DSP, Helium) equal the TypeScript integer reference, and so the reference loop, on awkward shapes on
 * the host and all six Cortex-M cores (see cases.ts); `npm run test:kernels` (CI) runs it.
 */
import { describe, it } from "vitest";
import { QEMU, requireTools } from "../toolchain/available.js";
import { CONV_CASES, expectExact, FULL, TARGETS } from "./cases.js";

const tools = await requireTools("kernels on the host and under QEMU", FULL ? ["gcc", ...QEMU] : ["gcc"]);

describe.skipIf(tools.missing.length > 0)(`convolution kernels, bit for bit${tools.note}`, () => {
  it.each(CONV_CASES)("%s", async (...c) => expectExact(c, TARGETS), 300_000);
});
