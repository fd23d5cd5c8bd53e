/**
 * The generated C on Cortex-M cores under QEMU (in npm test one core of each kind per precision: int8
 * on the M0, int16 on the M4, float32 on the M55; all six in every precision in npm run
 * test:contract): every activation in every precision, bit for bit
 * with the TypeScript reference (float32 within 1e-5); exact, repeatable instruction counts; clear
 * failures for a model that does not fit the board and for an unknown target.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BenchResult, benchModel } from "../../src/bench/bench.js";
import { registerActivation, unregisterActivation } from "../../src/core/activations.js";
import { serializeModel } from "../../src/model/io.js";
import type { ModelFile } from "../../src/model/schema.js";
import { serializeQModel } from "../../src/quant/io.js";
import type { QModel } from "../../src/quant/schema.js";
import { CORTEX_TARGET_NAMES } from "../../src/toolchain/targets.js";
import { verifyModel } from "../../src/verify/verify.js";
import { ensureBuilt, MAIN } from "../cli/run.js";
import { exportable, makeModel, tempDir } from "../codegen/helpers.js";
import { ICOUNT, QEMU, requireTools } from "../toolchain/available.js";

function writeModel(dir: string, name: string, model: ModelFile): string {
  const file = join(dir, name);
  writeFileSync(file, serializeModel(model));
  return file;
}

const qemu = await requireTools("verify on Cortex-M under QEMU", QEMU);
const icount = await requireTools("bench on Cortex-M under QEMU", ICOUNT);

const swish = (x: number) => x / (1 + Math.exp(-x));

/** One model that runs every activation: each dense layer with a different one, then softmax. */
function everyActivation(custom: boolean) {
  return makeModel({
    inputs: 7,
    seed: 11,
    layers: [
      { units: 9, activation: "relu" },
      { units: 8, activation: "relu6" },
      { units: 8, activation: "leaky_relu", alpha: 0.1 },
      { units: 7, activation: "sigmoid" },
      { units: 7, activation: "tanh" },
      ...(custom ? [{ units: 6, activation: "swish" }] : []),
      { units: 6, activation: "linear" },
      { units: 5, activation: "softmax" },
    ],
  });
}

describe.skipIf(qemu.missing.length > 0)(`verify on Cortex-M under QEMU${qemu.note}`, () => {
  beforeAll(() => registerActivation("swish", swish, (x, y) => y + (1 - y) / (1 + Math.exp(-x))));
  afterAll(() => unregisterActivation("swish"));

  // npm test: a core of each kind (no DSP, DSP, Helium), one per precision; npm run test:contract (CI):
  // all six in every precision
  const full = process.env.NN2C_CONTRACT === "full";
  const kinds = { int8: "cortex-m0", int16: "cortex-m4", float32: "cortex-m55" } as const;
  for (const precision of ["int8", "int16", "float32"] as const) {
    const cores = full ? CORTEX_TARGET_NAMES : [kinds[precision]];
    it(`every activation in ${precision} is bit-exact on ${full ? "all six cores" : cores[0]}`, async () => {
      const m = exportable(everyActivation(precision !== "float32"), precision, 128);
      for (const target of cores) {
        const r = await verifyModel(m, { target, random: 12 });
        expect({ target, mismatches: r.mismatches, first: r.first }).toEqual({
          target,
          mismatches: 0,
          first: [],
        });
        expect(r.vectors).toBeGreaterThan(20);
        if (precision !== "float32") expect(r.maxAbsDiff).toBe(0);
      }
    }, 240_000);
  }

  it.skipIf(icount.missing.length > 0)(
    `counts instructions exactly: two runs give the same numbers, per op too${icount.note}`,
    async () => {
      const m = exportable(
        makeModel({
          inputs: 33,
          seed: 3,
          layers: [
            { units: 17, activation: "relu" },
            { units: 5, activation: "softmax" },
          ],
        }),
        "int8",
      );
      for (const target of ["cortex-m0", "cortex-m4", "cortex-m55"]) {
        const a = await benchModel(m, target);
        const b = await benchModel(m, target);
        expect(b.instructions).toBe(a.instructions);
        expect(b.layers).toEqual(a.layers);
        expect(a.macs).toBe(33 * 17 + 17 * 5);
        expect(a.instructions).toBeGreaterThan(a.macs / 2);
        expect(a.layers.reduce((s, l) => s + (l.instructions ?? Number.NaN), 0)).toBeLessThanOrEqual(
          (a.instructions ?? Number.NaN) + 50,
        );
        expect(a.weightBytes).toBeGreaterThanOrEqual(33 * 17 + 17 * 5);
        expect(a.ramBytes).toBeGreaterThanOrEqual(33 + 17);
        expect(a.stackBytes).toBeGreaterThan(0);
        expect(a.stackBytes).toBeLessThanOrEqual(256);
      }
    },
    120_000,
  );

  it("nn2c bench without qemu-plugin.h: flash, RAM and stack, no instruction counts, and what they need", async () => {
    await ensureBuilt();
    const dir = tempDir("nn2c-cortex-");
    const empty = join(dir, "no-header");
    mkdirSync(empty);
    const q = exportable(makeModel({ inputs: 5, layers: [{ units: 3, activation: "softmax" }] }), "int8");
    const file = join(dir, "m.q.json");
    writeFileSync(file, serializeQModel(q.model as QModel));
    const env = { NN2C_QEMU_PLUGIN_INCLUDE: empty };
    const r = await execa("node", [MAIN, "bench", file, "-t", "cortex-m4", "cortex-m0", "--json"], {
      reject: false,
      env,
    });
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout) as { targets: BenchResult[]; notice: string };
    expect(out.notice).toMatch(/instruction counts need QEMU's qemu-plugin\.h/);
    for (const t of out.targets) {
      expect(t.instructions).toBeNull();
      expect(t.instructionsPerMac).toBeNull();
      expect(t.layers.map((l) => l.instructions)).toEqual([null, null]);
      // per op: kind, shapes, and its constant bytes (within the model's, which add standardisation)
      expect(t.layers.map((l) => [l.kind, l.inputs, l.output])).toEqual([
        ["dense", [[5]], [3]],
        ["activation", [[3]], [3]],
      ]);
      expect(t.layers[0].weightBytes).toBeGreaterThan(15);
      expect(t.layers.reduce((n, l) => n + l.weightBytes, 0)).toBeLessThanOrEqual(t.weightBytes);
      expect(t.stackBytes).toBeGreaterThan(0);
      expect(t.codeBytes).toBeGreaterThan(100);
      expect(t.weightBytes).toBeGreaterThanOrEqual(15);
      // the memory plan: the input (5 codes), the dense output (3) and the softmax over it (in place)
      expect(t.plan.map((p) => [p.name, p.bytes])).toEqual([
        ["input", 5],
        ["dense/preact", 3],
        [(q.model as QModel).outputs[0], 3],
      ]);
      expect(t.plan[2].offset).toBe(t.plan[1].offset);
      expect(t.arenaBytes).toBe(Math.max(...t.plan.map((p) => p.offset + p.bytes)));
    }
    const text = await execa("node", [MAIN, "bench", file, "-t", "cortex-m4"], { reject: false, env });
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/^cortex-m4 .* - +15 +-$/m);
    expect(text.stdout.trimEnd().split("\n").at(-1)).toMatch(
      /^instructions not counted: instruction counts need/,
    );
  });

  /** An int8 program of 1200 inputs, `units` relu units and 2 softmax outputs, written to a file. */
  function bigModelFile(units: number): string {
    const big = makeModel({
      inputs: 1200,
      seed: 5,
      layers: [
        { units, activation: "relu" },
        { units: 2, activation: "softmax" },
      ],
    });
    const file = join(tempDir("nn2c-cortex-"), "big.q.json");
    writeFileSync(file, serializeQModel(exportable(big, "int8", 16).model as QModel));
    return file;
  }

  it("runs an M0 program too large for the micro:bit on MPS2 AN385, and says so", async () => {
    await ensureBuilt();
    // 1200 x 250 int8 weights: 300 KB, more than the micro:bit's 256 KiB of flash
    const file = bigModelFile(250);
    const r = await execa("node", [MAIN, "verify", file, "-t", "cortex-m0", "--random", "1"], {
      reject: false,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^int8 on cortex-m0 \(on mps2-an385: its own board is too small\): \d+ vectors, 0 mismatches/,
    );
    const b = await execa("node", [MAIN, "bench", file, "-t", "cortex-m0"], { reject: false });
    expect(b.exitCode, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/^cortex-m0: microbit is too small: Cortex-M0 code \(ARMv6-M\) on MPS2 AN385/m);
  }, 180_000);

  it("refuses a model too large for the board, with the sizes, before QEMU runs", async () => {
    await ensureBuilt();
    // 1200 x 500 int8 weights: 600 KB, more than the M55 board's 512 KiB of flash
    const file = bigModelFile(500);
    const r = await execa("node", [MAIN, "verify", file, "-t", "cortex-m55", "--random", "1"], {
      reject: false,
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/do not fit cortex-m55 \(mps3-an547: flash 524288 bytes, RAM 524288 bytes\)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);

  it("an unknown target is bad input: exit 2 and the list of targets", async () => {
    await ensureBuilt();
    const dir = tempDir("nn2c-cortex-");
    const file = writeModel(
      dir,
      "m.json",
      makeModel({ inputs: 3, layers: [{ units: 2, activation: "softmax" }] }),
    );
    for (const cmd of [
      ["verify", file, "-t", "cortex-m99"],
      ["bench", file, "-t", "m4"],
    ]) {
      const r = await execa("node", [MAIN, ...cmd], { reject: false });
      expect(r.exitCode).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/unknown target .*cortex-m0/);
    }
  });
});
