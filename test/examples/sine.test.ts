/**
 * The sine example end to end through the command line, as examples/sine/README.md trains it: the float
 * model fits sin(x), and quantized to int16 and int8 it follows the float model to within 1% and 3% of the
 * float model's output range (rmse of integer vs float outputs on the held-out rows, as `quantize --test
 * --json` reports it).
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, json, nn2c, ROOT } from "../cli/run.js";
import { tempDir } from "../codegen/helpers.js";

const dir = tempDir("sine");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DATA = join(ROOT, "examples", "sine");
const TRAIN = join(DATA, "sine.csv");
const TEST = join(DATA, "sine-test.csv");
const MODEL = join(dir, "sine.json");
const TEST_ROWS = 200;

interface Trained {
  task: string;
  test: { rmse: number };
}

interface Quantized {
  precision: string;
  test: {
    float: { samples: number; rmse: number };
    integer: { samples: number; precision: string; rmse: number };
    vsFloat: { samples: number; rmse: number; outputRange: number; rmsePercentOfRange: number };
  };
}

let trained: Trained;

beforeAll(async () => {
  await ensureBuilt();
  // the README's command, with --json
  trained = json<Trained>(
    await nn2c([
      "train",
      TRAIN,
      "--test",
      TEST,
      "-o",
      MODEL,
      "--layers",
      "16,16",
      "--epochs",
      "300",
      "--lr",
      "0.01",
      "--json",
    ]),
  );
}, 120_000);

describe("examples › sine", () => {
  it("the float model fits sin(x) on the test rows", () => {
    expect(trained.task).toBe("regression");
    expect(trained.test.rmse).toBeLessThan(0.05);
  });

  it.each([
    { precision: "int16", maxShare: 0.01 },
    { precision: "int8", maxShare: 0.03 },
  ])(
    "$precision: rmse against the float model < $maxShare of its output range",
    async ({ precision, maxShare }) => {
      const r = json<Quantized>(
        await nn2c([
          "quantize",
          MODEL,
          "--calibration",
          TRAIN,
          "--precision",
          precision,
          "-o",
          join(dir, `sine.${precision}.json`),
          "--test",
          TEST,
          "--json",
        ]),
      );
      expect(r.precision).toBe(precision);
      const { float, integer, vsFloat } = r.test;
      expect(integer.precision).toBe(precision);
      expect(vsFloat.samples).toBe(TEST_ROWS);
      // the float model as quantize sees it still fits sin; its outputs span most of sin's [-1, 1]
      expect(float.rmse).toBeLessThan(0.05);
      expect(vsFloat.outputRange).toBeGreaterThan(1.8);
      expect(vsFloat.outputRange).toBeLessThan(2.2);

      const share = vsFloat.rmse / vsFloat.outputRange;
      expect(vsFloat.rmsePercentOfRange).toBeCloseTo(100 * share, 6);
      expect(share).toBeLessThan(maxShare);
    },
  );
});
