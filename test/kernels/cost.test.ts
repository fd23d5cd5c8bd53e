/**
 * Instructions per MAC (per output element for pooling) of the fast-kernel issue's layers on every
 * Cortex-M core, exact under QEMU, each under its bound in bench/layers.ts: a fast path that silently
 * falls back to plain C (a core misdetected, an alignment check failing) costs several times more and
 * fails here. `npm run test:kernels` (CI); skipped by npm test.
 */
import { describe, expect, it } from "vitest";
import { LAYER_CASES, quantizeLayers } from "../../bench/layers.js";
import { benchModel } from "../../src/bench/bench.js";
import { CORTEX_TARGET_NAMES } from "../../src/toolchain/targets.js";
import { ICOUNT, requireTools } from "../toolchain/available.js";
import { FULL } from "./cases.js";

const tools = await requireTools("instruction counts under QEMU", ICOUNT);

describe.skipIf(!FULL || tools.missing.length > 0)(`fast kernels within their bounds${tools.note}`, () => {
  it.each(LAYER_CASES)(
    "$name",
    async (c) => {
      const q = quantizeLayers([c.layer()], c.input, 1);
      const over: string[] = [];
      for (const t of CORTEX_TARGET_NAMES) {
        const op = (await benchModel({ kind: "quantized", model: q }, t)).layers[0];
        const per = c.perOutput ? op.output.reduce((a, d) => a * d, 1) : op.macs;
        const value = op.instructions! / per;
        if (!(value <= c.bounds[t])) over.push(`${t}: ${value.toFixed(2)} > ${c.bounds[t]}`);
      }
      expect(over).toEqual([]);
    },
    300_000,
  );
});
