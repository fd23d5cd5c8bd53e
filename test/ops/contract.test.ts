/**
 * The contract every registered op kind keeps, run on the examples the kind gives (OpKind.examples): a
 * new kind joins by registering.
 *
 *   - training: the backward pass is the derivative of the forward pass (central finite differences, in
 *     inference and in training mode), for the inputs and every trainable weight;
 *   - the float32 reference (what the float C computes) agrees with the training forward at inference;
 *   - int8 and int16: the integer reference agrees with a naive BigInt definition of the op
 *     (test/ops/naive.ts), and the op's MAC count with the naive count;
 *   - the generated C, compiled by gcc with ASan and UBSan, is bit-exact with the integer reference (and
 *     within 1e-5 of the float32 reference for float32 exports) on random inputs and the extremes (npm
 *     test: int8 for every case, every precision for each kind's first; npm run test:contract: all);
 *   - its cost: parameters as the weights' sizes, MACs as the naive count, constant bytes as the C's;
 *   - on Cortex-M0, M4 and M55 (QEMU), the same bit-exactness for one example of each kind.
 * Each example runs bare and followed by an activation the op may fuse (relu6, leaky relu), so that the
 * output stages and the fusion are covered too.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_LEAKY_ALPHA } from "../../src/core/activations.js";
import type { Exportable } from "../../src/core/exportable.js";
import { toNested } from "../../src/core/nested.js";
import { type Shape, sizeOf } from "../../src/core/shape.js";
import { lowerModel, parseModel, toModel } from "../../src/model/io.js";
import type { ModelFile } from "../../src/model/schema.js";
import { getOpFacet, opKinds } from "../../src/ops/index.js";
import type { LayerTensors, OpExample, OpKind, TrainStep } from "../../src/ops/registry.js";
import { quantizeModel } from "../../src/quant/quantize.js";
import { runFloat32 } from "../../src/reference/float32.js";
import { inputOf, programOf, quantizeInput, runProgram } from "../../src/reference/integer.js";
import { Rng } from "../../src/rng.js";
import { jsKernels } from "../../src/train/kernels/index.js";
import { verifyModel } from "../../src/verify/verify.js";
import { expectGradientsMatch, numericGradient } from "../model/gradcheck.js";
import { QEMU, requireTools } from "../toolchain/available.js";
import { runNaive } from "./naive.js";

const SEED = 2026;
/**
 * `npm test` runs the C of each kind's first case in int8 and float32 and of its Cortex-M sample in
 * int8 on the host, and that sample in int8 (int16 on the M4) on one of the three cores, in turn;
 * `npm run test:contract` (NN2C_CONTRACT=full, which CI runs as well) runs every case in every precision
 * on every core.
 */
const FULL = process.env.NN2C_CONTRACT === "full";
const host = await requireTools("op contract: C on the host", ["gcc"]);
const qemu = await requireTools("op contract: C on Cortex-M", QEMU);
/** The cores the Cortex-M battery runs on: no DSP extension, DSP, and Helium. */
const CORES = ["cortex-m0", "cortex-m4", "cortex-m55"];
const ROWS = 4;

/** Weights as initialised, then moved so that nothing is at a special value (γ = 1, mean 0, variance 1). */
function weightsOf(kind: OpKind, ex: OpExample<unknown>, rng: Rng): LayerTensors {
  const t = kind.layer.initialize(ex.config, ex.inputs, rng);
  for (const values of Object.values(t))
    for (let i = 0; i < values.length; i++)
      values[i] = Math.fround(values[i] * (1 + rng.uniform(-0.3, 0.3)) + rng.uniform(-0.2, 0.2));
  return t;
}

/** Values away from 0 (relu's kink) and small enough to keep 6 (relu6's) out of reach. */
const inputValues = (n: number, rng: Rng) =>
  Float32Array.from({ length: n }, () => (rng.next() < 0.5 ? -1 : 1) * rng.uniform(0.1, 1.5));

const examplesOf = (kind: OpKind) => kind.examples(new Rng(SEED));

describe.each(opKinds().map((k, index) => [k.kind, k, index] as const))(
  "op kind %s",
  (_name, kind, index) => {
    const examples = examplesOf(kind);

    it("gives examples, each with a valid config and shapes that fit", () => {
      expect(examples.length).toBeGreaterThan(0);
      for (const ex of examples) {
        expect(kind.layer.config.safeParse(ex.config).success).toBe(true);
        expect(ex.inputs.length).toBeGreaterThanOrEqual(kind.layer.inputs.min);
        expect(ex.inputs.length).toBeLessThanOrEqual(kind.layer.inputs.max);
        expect(() => kind.layer.outputShape(ex.config, ex.inputs)).not.toThrow();
      }
    });

    describe.each(examples.map((ex, k) => [k, ex] as const))("example %i", (_k, ex) => {
      const output = kind.layer.outputShape(ex.config, ex.inputs);

      it.skipIf(kind.layer.composite !== undefined).each([false, true])(
        "backward is the derivative of forward (training: %s)",
        (training) => {
          const rng = new Rng(SEED + 1);
          const tensors = weightsOf(kind, ex, rng);
          const specs = kind.layer.weights(ex.config, ex.inputs);
          const grads: LayerTensors = {};
          for (const s of specs) if (s.trainable) grads[s.name] = new Float32Array(sizeOf(s.shape));
          const xs = ex.inputs.map((shape) => inputValues(ROWS * sizeOf(shape), rng));
          const n = ROWS * sizeOf(output);
          const r = Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
          // a fresh step with a fresh random source each time: dropout draws the same mask in every forward
          const step = (): TrainStep =>
            kind.train.step({
              config: ex.config,
              inputs: ex.inputs,
              output,
              tensors,
              grads,
              scratch: (kind.train.scratch?.(ex.config, ex.inputs, output, ROWS) ?? []).map(
                (len) => new Float32Array(len),
              ),
              kernels: jsKernels,
              rng: new Rng(SEED + 2),
            });
          const loss = () => {
            const y = new Float32Array(n);
            step().forward(xs, y, ROWS, training);
            return y.reduce((s, v, i) => s + v * r[i], 0);
          };
          const s = step();
          const y = new Float32Array(n);
          s.forward(xs, y, ROWS, training);
          const dx = xs.map((x) => new Float32Array(x.length));
          s.backward(xs, y, r, dx, ROWS);
          expectGradientsMatch([
            ...xs.map((x, k) => ({
              name: `input ${k}`,
              analytic: dx[k],
              numeric: numericGradient(x, x.length, loss),
            })),
            ...Object.entries(grads).map(([name, g]) => ({
              name,
              analytic: g,
              numeric: numericGradient(tensors[name], tensors[name].length, loss),
            })),
          ]);
        },
      );

      it("counts its parameters as the sizes of its trainable and non-trainable weights", () => {
        const specs = kind.layer.weights(ex.config, ex.inputs);
        const t = kind.layer.initialize(ex.config, ex.inputs, new Rng(1));
        expect(Object.keys(t).sort()).toEqual(specs.map((s) => s.name).sort());
        for (const s of specs) expect(t[s.name].length, s.name).toBe(sizeOf(s.shape));
        const cost = kind.layer.cost(ex.config, ex.inputs, output);
        expect(cost.params).toBe(specs.reduce((a, s) => a + sizeOf(s.shape), 0));
      });
    });

    if (kind.layer.composite) {
      it("is a chain of registered kinds whose weights are the layer's, each taken once", () => {
        for (const ex of examples) {
          const parts = kind.layer.composite!(ex.config, ex.inputs);
          expect(parts.every((p) => opKinds().some((k) => k.kind === p.kind && k.op))).toBe(true);
          const taken = parts.flatMap((p) => Object.values(p.weights));
          const specs = kind.layer.weights(ex.config, ex.inputs).map((w) => w.name);
          expect(taken.filter((w) => specs.includes(w)).sort()).toEqual([...specs].sort());
          expect(new Set(taken).size).toBe(taken.length);
        }
      });
    } else if (!kind.op) {
      it(`lowers to no op (${kind.lower.mode}): every stage after training skips it`, () => {
        expect(["identity", "alias"]).toContain(kind.lower.mode);
      });
      return;
    }

    const cases = examples.flatMap((ex, k) => variantsOf(kind, ex).map((then) => ({ k, ex, then })));
    // the one example of the kind (with a fused activation where it takes one) that also runs on the cores
    const sampleAt = cases.length > 1 && cases[1].k === 0 ? 1 : 0;
    describe.each(
      cases.map((c, i) => [`example ${c.k}${c.then ? ` then ${c.then}` : ""}`, { ...c, i }] as const),
    )("%s", (_label, { ex, then, i }) => {
      const everyPrecision = FULL || i === 0;
      // npm test: the host C of the first case and of the sample; npm run test:contract: of every case
      const hostC = FULL || i === 0 || i === sampleAt;
      const output = kind.layer.outputShape(ex.config, ex.inputs);
      const file = modelOf(kind, ex, then);
      const rng = new Rng(SEED + 3);
      const n = sizeOf(file.inputs.shape ?? [file.inputs.names.length]);
      const x = Float32Array.from({ length: 64 * n }, () => rng.uniform(-2, 2));

      it("float32 reference agrees with the training forward at inference", () => {
        const rows = Array.from({ length: 8 }, (_, r) => Array.from(x.subarray(r * n, (r + 1) * n)));
        const trained = toModel(file).predict(rows);
        rows.forEach((row, r) => {
          const ref = runFloat32(file, row);
          expect(ref.length).toBe(trained[r].length);
          ref.forEach((v, i) => {
            expect(Math.abs(v - trained[r][i]), `row ${r} value ${i}`).toBeLessThanOrEqual(
              1e-5 + 1e-5 * Math.abs(v),
            );
          });
        });
      });

      it.each(["int8", "int16"] as const)(
        "%s: integer reference agrees with the naive BigInt definition",
        (precision) => {
          const q = quantizeModel(file, x, 64, { precision, calibration: { method: "minmax" } });
          const p = programOf(q);
          // the ops of the layer: its op, or a composite layer's parts (named op/<kind> but the last)
          const own = (op: { name: string }) => op.name === "op" || op.name.startsWith("op/");
          const ops = q.ops.filter(own);
          expect(ops.length).toBeGreaterThan(0);
          if (!kind.layer.composite) expect(ops.every((op) => op.kind === kind.kind)).toBe(true);
          for (let r = 0; r < 16; r++) {
            const codes = new Int32Array(n);
            quantizeInput(inputOf(q), x.subarray(r * n, (r + 1) * n), codes);
            const values = runProgram(q, codes);
            let layerMacs = 0;
            for (const op of q.ops) {
              const naive = runNaive(
                op,
                op.inputs.map((t) => values.get(t)!),
                { precision, quant: p.quant, tables: q.tables },
              );
              expect(Array.from(values.get(op.output)!), `row ${r}, op '${op.name}'`).toEqual(naive.out);
              expect(getOpFacet(op.kind).quant.macs(op as never, { size: p.size }), "MACs").toBe(naive.macs);
              if (own(op) && op.kind !== "activation") layerMacs += naive.macs;
            }
            expect(kind.layer.cost(ex.config, ex.inputs, output).macs, "layer cost MACs").toBe(layerMacs);
          }
        },
      );

      it.skipIf(host.missing.length > 0 || !hostC)(
        `generated C (gcc, ASan, UBSan) is bit-exact with the references${host.note}`,
        async () => {
          // int16's C per kind in npm run test:contract (its kernels: test/firmware, the activations)
          const precisions = FULL ? (["int8", "int16"] as const) : (["int8"] as const);
          for (const precision of precisions) {
            const q = quantizeModel(file, x, 64, { precision, calibration: { method: "minmax" } });
            const m: Exportable = { kind: "quantized", model: q };
            const res = await verifyModel(m, { target: "host", random: 24, seed: SEED, sanitize: true });
            expect(res.mismatches, `${precision}: ${JSON.stringify(res.first[0])}`).toBe(0);
          }
          if (!everyPrecision) return;
          const res = await verifyModel(
            { kind: "float", model: file },
            { target: "host", random: 24, seed: SEED, sanitize: true },
          );
          expect(res.mismatches, `float32: ${JSON.stringify(res.first[0])}`).toBe(0);
        },
        60_000,
      );
    });

    // one example of the kind (with a fused activation where it takes one) on each core, int8 and int16
    const sample = cases[sampleAt];
    // npm test: each kind on one core of the three, in turn (every core still runs a third of the kinds);
    // npm run test:contract: every kind on every core
    const cores = FULL ? CORES : [CORES[index % CORES.length]];
    it.skipIf(qemu.missing.length > 0).each(cores)(
      `on %s the C is bit-exact with the integer reference${qemu.note}`,
      async (core) => {
        const file = modelOf(kind, sample.ex, sample.then);
        const rng = new Rng(SEED + 5);
        const n = sizeOf(file.inputs.shape ?? [file.inputs.names.length]);
        const x = Float32Array.from({ length: 64 * n }, () => rng.uniform(-2, 2));
        const precisions = FULL || core === "cortex-m4" ? (["int8", "int16"] as const) : (["int8"] as const);
        for (const precision of precisions) {
          const q = quantizeModel(file, x, 64, { precision, calibration: { method: "minmax" } });
          const res = await verifyModel(
            { kind: "quantized", model: q },
            { target: core, random: 16, seed: SEED },
          );
          expect(res.mismatches, `${precision}: ${JSON.stringify(res.first[0])}`).toBe(0);
          expect(res.vectors).toBeGreaterThan(16);
        }
      },
      60_000,
    );
  },
);

/** The example bare, and followed by one fusable activation when the kind may take one as its output stage. */
function variantsOf(kind: OpKind, ex: OpExample<unknown>): (string | null)[] {
  if (!kind.op?.fuses || kind.layer.activation?.(ex.config)) return [null];
  return [
    null,
    kind.op.fuses({ kind: "leaky", alpha: DEFAULT_LEAKY_ALPHA } as never) ? "leaky_relu" : "relu6",
  ];
}

/**
 * A regression model around one layer of the example: the input has the first input's shape; further
 * inputs come from tanh and sigmoid layers on it (so that each has a quantization of its own).
 */
function modelOf(kind: OpKind, ex: OpExample<unknown>, then: string | null): ModelFile {
  const rng = new Rng(SEED + 4);
  const shape = ex.inputs[0];
  const layers: Record<string, unknown>[] = [];
  const inputs = ex.inputs.map((s, k) => {
    if (k === 0) return "input";
    if (sizeOf(s) !== sizeOf(shape)) throw new Error("contract examples: inputs of one size only");
    const name = `pre_${k}`;
    layers.push({
      name,
      kind: "activation",
      inputs: ["input"],
      config: { activation: k % 2 === 1 ? "tanh" : "sigmoid" },
    });
    return name;
  });
  const t = weightsOf(kind, ex, rng);
  const specs = kind.layer.weights(ex.config, ex.inputs);
  const record: Record<string, unknown> = { name: "op", kind: kind.kind, inputs, config: ex.config };
  if (specs.length) {
    record.weights = Object.fromEntries(
      specs.map((s) => [s.name, toNested(t[s.name], s.shape as Shape, (v) => v)]),
    );
  }
  layers.push(record);
  if (then)
    layers.push({
      name: "then",
      kind: "activation",
      inputs: ["op"],
      config: then === "leaky_relu" ? { activation: then, alpha: 0.2 } : { activation: then },
    });
  const names = Array.from({ length: sizeOf(shape) }, (_, i) => `x${i}`);
  const file = parseModel({
    format: "nn2c-model",
    version: 2,
    generator: "contract test",
    task: "regression",
    inputs: { names, mean: names.map(() => 0), std: names.map(() => 1), shape },
    output: { label: "y", mean: 0, std: 1 },
    layers,
    outputs: [then ? "then" : "op"],
    training: {
      loss: "mse",
      optimizer: { name: "adam", lr: 0.001 },
      epochs: 1,
      epochsRun: 1,
      batchSize: 32,
      validationSplit: 0,
      seed: 0,
      history: {},
      metrics: { train: {} },
    },
  });
  lowerModel(file);
  return file;
}
