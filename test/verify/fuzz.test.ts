/**
 * Property: for any small model, the generated C computes what the TypeScript reference computes. A
 * model is drawn at random (1 to 3 dense layers of 1 to 12 units after 1 to 20 inputs, random
 * activations including a registered one, sometimes as separate layers, random weights and biases up to
 * ±100), quantized at int8 or int16 on random calibration rows or kept at float32, exported, compiled with
 * ASan and UBSan and run on random and extreme vectors (the smallest and largest codes, values far
 * outside the calibration range, ±3e38, NaN, infinities): integer exports must agree bit for bit.
 *
 * `npm test` runs a few models from a fixed seed; `npm run fuzz` runs many from a fresh seed
 * (NN2C_FUZZ_RUNS models, NN2C_FUZZ_SEED to replay one that failed: fast-check prints both).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Exportable } from "../../src/codegen/export.js";
import { registerActivation, unregisterActivation } from "../../src/core/activations.js";
import { UsageError } from "../../src/errors.js";
import { verifyModel } from "../../src/verify/verify.js";
import { exportable, type LayerSpec, type ModelSpec, makeModel, type Precision } from "../codegen/helpers.js";

const FUZZING = process.env.NN2C_FUZZ_RUNS !== undefined;
const RUNS = FUZZING ? Number(process.env.NN2C_FUZZ_RUNS) : 8;
const SEED = process.env.NN2C_FUZZ_SEED
  ? Number(process.env.NN2C_FUZZ_SEED)
  : FUZZING
    ? Date.now()
    : 20_250_611;
if (!(Number.isInteger(RUNS) && RUNS > 0))
  throw new Error(`NN2C_FUZZ_RUNS=${process.env.NN2C_FUZZ_RUNS}: expected a positive integer`);

beforeAll(() => {
  // a registered activation: tabulated at int8 and int16, refused at float32
  registerActivation(
    "gelu_tanh",
    (x) => 0.5 * x * (1 + Math.tanh(0.7978845608 * (x + 0.044715 * x ** 3))),
    () => 1,
  );
});
afterAll(() => unregisterActivation("gelu_tanh"));

const ACTIVATIONS = ["relu", "relu6", "leaky_relu", "sigmoid", "tanh", "linear", "gelu_tanh"];

const layerArb = (last: boolean): fc.Arbitrary<LayerSpec[]> =>
  fc
    .record({
      units: fc.integer({ min: 1, max: 12 }),
      activation: fc.constantFrom(...ACTIVATIONS, ...(last ? ["softmax", "softmax"] : [])),
      alpha: fc.double({ min: 0.01, max: 0.5, noNaN: true }),
      separate: fc.boolean(),
    })
    .map(({ units, activation, alpha, separate }) => {
      const a = activation === "leaky_relu" ? { alpha: Math.fround(alpha) } : {};
      // an activation as a layer of its own after a linear dense layer, sometimes
      if (separate && activation !== "linear") {
        return [
          { units, activation: "linear" },
          { units: 0, activation, ...a },
        ];
      }
      return [{ units, activation, ...a }];
    });

const caseArb = fc
  .record({
    inputs: fc.integer({ min: 1, max: 20 }),
    hidden: fc.array(layerArb(false), { minLength: 0, maxLength: 2 }),
    output: layerArb(true),
    regression: fc.boolean(),
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    weightScale: fc.constantFrom(0.1, 0.5, 1, 2, 4),
    biasScale: fc.constantFrom(0, 0.1, 1, 10, 100),
    precision: fc.constantFrom<Precision>("int8", "int16", "float32"),
    calibrationRows: fc.integer({ min: 10, max: 64 }),
    calibrationSeed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  })
  .map((c) => {
    const layers = [...c.hidden.flat(), ...c.output];
    const outputs = layers.filter((l) => l.units > 0).at(-1)!.units;
    const spec: ModelSpec = {
      inputs: c.inputs,
      layers,
      seed: c.seed,
      weightScale: c.weightScale,
      biasScale: c.biasScale,
      task: c.regression && !layers.some((l) => l.activation === "softmax") ? "regression" : "classification",
    };
    const custom = layers.some((l) => l.activation === "gelu_tanh");
    // float32 has no kernel for a registered activation (a usage error, tested elsewhere)
    const precision: Precision = custom && c.precision === "float32" ? "int16" : c.precision;
    return { spec, precision, outputs, rows: c.calibrationRows, calibrationSeed: c.calibrationSeed };
  });

describe("generated C › random models (fast-check)", () => {
  it(
    `equals the TypeScript reference on random and extreme vectors (${RUNS} models, seed ${SEED})`,
    async () => {
      let verified = 0;
      let refused = 0;
      await fc.assert(
        fc.asyncProperty(caseArb, async ({ spec, precision, rows, calibrationSeed }) => {
          let m: Exportable;
          try {
            m = exportable(makeModel(spec), precision, rows, calibrationSeed);
          } catch (e) {
            // the quantizer may refuse a model (every calibration value of a tensor 0, say): a usage
            // error, never anything else
            expect(e).toBeInstanceOf(UsageError);
            refused++;
            fc.pre(false);
            return;
          }
          const r = await verifyModel(m, { target: "host", random: 6, seed: calibrationSeed });
          expect(r.mismatches, JSON.stringify(r.first.slice(0, 2))).toBe(0);
          if (m.kind === "quantized") expect(r.maxAbsDiff).toBe(0);
          verified++;
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      // skipped draws do not count as runs; refusals must stay rare all the same
      expect(verified).toBe(RUNS);
      expect(refused).toBeLessThanOrEqual(RUNS);
    },
    Math.max(60_000, RUNS * 20_000),
  );
});
