/**
 * The int8 pooling kernels' fast paths equal the TypeScript integer reference on awkward shapes on the
 * host and all six Cortex-M cores (see cases.ts); `npm run test:kernels` (CI) runs it.
 */
import { describe, it } from "vitest";
import { QEMU, requireTools } from "../toolchain/available.js";
import { expectExact, FULL, POOL_CASES, TARGETS } from "./cases.js";

const tools = await requireTools("kernels on the host and under QEMU", FULL ? ["gcc", ...QEMU] : ["gcc"]);

describe.skipIf(tools.missing.length > 0)(`pooling kernels, bit for bit${tools.note}`, () => {
  it.each(POOL_CASES)("%s", async (...c) => expectExact(c, TARGETS), 300_000);
});
