/**
 * Exact instruction counts through the qemu-icount plugin, on every Cortex-M target: the same
 * numbers on two runs, an assembly loop of exactly 2 instructions per iteration, a C loop that
 * scales linearly, and the cost of an empty region.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobError } from "../../src/errors.js";
import { compileArm } from "../../src/toolchain/compile.js";
import {
  buildIcountPlugin,
  countInstructions,
  type InstructionCount,
  parseIcount,
} from "../../src/toolchain/icount.js";
import { CORTEX_TARGET_NAMES } from "../../src/toolchain/targets.js";
import { ICOUNT, requireTools } from "./available.js";

const PROGRAMS = resolve(import.meta.dirname, "programs");
const SIZES = [10, 100, 1000, 10000]; // regions.c: sizes[]
const work = mkdtempSync(join(tmpdir(), "nn2c-icount-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("parseIcount", () => {
  it("pairs nested and repeated regions in the order they began", () => {
    const text = "begin 1 10\nbegin 2 12\nend 2 20\nend 1 30\nbegin 1 40\nend 1 45\ntotal 50\n";
    expect(parseIcount(text)).toEqual({
      regions: [
        { id: 1, instructions: 20 },
        { id: 2, instructions: 8 },
        { id: 1, instructions: 5 },
      ],
      total: 50,
    });
  });

  it("rejects an unmatched end, an unclosed begin and a missing total", () => {
    expect(() => parseIcount("end 3 5\ntotal 9\n")).toThrow(
      new JobError("board_mark_end(3) without board_mark_begin(3)"),
    );
    expect(() => parseIcount("begin 4 5\ntotal 9\n")).toThrow(/board_mark_begin\(4\) was never closed/);
    expect(() => parseIcount("begin 4 5\nend 4 6\n")).toThrow(/no total/);
    expect(() => parseIcount("begin 4 5\nend 4 6\nmissed 1\ntotal 9\n")).toThrow(
      /1 marker call\(s\) without their load/,
    );
  });
});

const tools = await requireTools("icount", ICOUNT);

describe.skipIf(tools.missing.length > 0)(`countInstructions${tools.note}`, () => {
  beforeAll(async () => {
    await buildIcountPlugin();
  });

  describe.each(CORTEX_TARGET_NAMES)("%s", (target) => {
    let first: InstructionCount;
    const region = (id: number) => {
      const r = first.regions.find((x) => x.id === id);
      if (r === undefined) throw new Error(`no region ${id}`);
      return r.instructions;
    };

    beforeAll(async () => {
      const elf = join(work, `${target}-regions.elf`);
      await compileArm(target, [join(PROGRAMS, "regions.c")], [], elf, { extraFlags: ["-Werror"] });
      first = await countInstructions(target, elf);
      expect(first.run.stdout).toBe("done\n");
      expect(first.run.status).toBe(0);
      // The same numbers again: the count is deterministic.
      const again = await countInstructions(target, elf);
      expect(again.regions).toEqual(first.regions);
      expect(again.total).toBe(first.total);
    });

    it("reports every region once, in order, and a total that covers them", () => {
      expect(first.regions.map((r) => r.id)).toEqual([1, 100, 101, 102, 103, 200, 201, 202, 203]);
      const sum = first.regions.reduce((s, r) => s + r.instructions, 0);
      expect(first.total).toBeGreaterThan(sum);
    });

    it("costs 2 or 3 instructions for an empty region (the call to board_mark_end)", () => {
      expect(region(1)).toBeGreaterThanOrEqual(2);
      expect(region(1)).toBeLessThanOrEqual(3);
    });

    it("counts exactly 2 instructions per iteration of the assembly loop", () => {
      for (let k = 1; k < SIZES.length; k++) {
        expect(region(100 + k) - region(100 + k - 1)).toBe(2 * (SIZES[k] - SIZES[k - 1]));
      }
    });

    it("counts a C loop linearly: a whole number of instructions per iteration", () => {
      const perIteration = (region(203) - region(202)) / (SIZES[3] - SIZES[2]);
      expect(Number.isInteger(perIteration)).toBe(true);
      for (let k = 1; k < SIZES.length; k++) {
        expect(region(200 + k) - region(200 + k - 1)).toBe(perIteration * (SIZES[k] - SIZES[k - 1]));
      }
    });
  });

  it("counts a program without markers in total only", async () => {
    const elf = join(work, "guest.elf");
    await compileArm("cortex-m3", [join(PROGRAMS, "guest.c")], [], elf);
    const r = await countInstructions("cortex-m3", elf, { args: ["checksum"] });
    expect(r.regions).toEqual([]);
    expect(r.total).toBeGreaterThan(1000 * 4); // the FNV loop alone
    expect(r.run.status).toBe(42);
  });
});
