/**
 * Integer programs checked by value at load (src/quant/check.ts): a tampered or corrupted program is
 * refused in one line naming the file, the op and the field, or, when it is accepted, its C computes
 * exactly what the TypeScript reference computes, under AddressSanitizer and UBSan.
 *
 * The sweep mutates every numeric field of four programs (int8 with leaky relu, a tanh table and
 * softmax; int16 with a sigmoid table and softmax; int16 with a 64-bit accumulator; int8 with zero
 * padding, a strided convolution, a depthwise convolution, average and max pooling) to hostile values.
 * `npm test` verifies on the host a seeded sample of about 16 fields' first accepted mutants; `npm run
 * fuzz` a sample of NN2C_FUZZ_RUNS of all accepted mutants, from a fresh seed (NN2C_FUZZ_SEED replays).
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { layerRecords, parseModel } from "../../src/model/io.js";
import {
  AveragePooling2D,
  Conv2D,
  Dense,
  DepthwiseConv2D,
  GlobalMaxPooling2D,
  ZeroPadding2D,
} from "../../src/model/layers.js";
import { Sequential } from "../../src/model/sequential.js";
import type { ActivationQOp } from "../../src/ops/activation/quant.js";
import type { DenseQOp } from "../../src/ops/dense/quant.js";
import { parseQModel, serializeQModel } from "../../src/quant/io.js";
import type { QModel } from "../../src/quant/schema.js";
import { Rng } from "../../src/rng.js";
import { verifyModel } from "../../src/verify/verify.js";
import { exportable, limiter, makeModel } from "../codegen/helpers.js";
import { requireTools } from "../toolchain/available.js";

const FILE = "tampered.q.json";
const FUZZING = process.env.NN2C_FUZZ_RUNS !== undefined;
const RUNS = FUZZING ? Number(process.env.NN2C_FUZZ_RUNS) : 16;
const SEED = process.env.NN2C_FUZZ_SEED
  ? Number(process.env.NN2C_FUZZ_SEED)
  : FUZZING
    ? Date.now() % 2 ** 31
    : 13;

function program(which: "int8" | "int16" | "s64"): QModel {
  const spec =
    which === "int8"
      ? makeModel({
          inputs: 5,
          seed: 3,
          layers: [
            { units: 6, activation: "leaky_relu", alpha: 0.1 },
            { units: 4, activation: "linear" },
            { units: 0, activation: "tanh" },
            { units: 3, activation: "softmax" },
          ],
        })
      : which === "int16"
        ? makeModel({
            inputs: 4,
            seed: 4,
            layers: [
              { units: 5, activation: "sigmoid" },
              { units: 3, activation: "softmax" },
            ],
          })
        : makeModel({
            inputs: 6,
            seed: 3,
            biasScale: 20000,
            layers: [
              { units: 5, activation: "relu" },
              { units: 3, activation: "softmax" },
            ],
          });
  const m = exportable(spec, which === "int8" ? "int8" : "int16");
  if (m.kind !== "quantized") throw new Error("expected a quantized model");
  return m.model;
}

/** An int8 program of the windowed kinds: padding, convolutions, poolings, then a dense softmax. */
function convProgram(): QModel {
  const seq = new Sequential([
    ZeroPadding2D({ padding: 1, inputShape: [5, 5, 2] }),
    Conv2D({ filters: 3, kernelSize: 3, strides: 2, activation: "relu" }),
    DepthwiseConv2D({ kernelSize: 2, depthMultiplier: 2, padding: "same", activation: "relu6" }),
    AveragePooling2D({ poolSize: 2, strides: 1, padding: "same" }),
    GlobalMaxPooling2D(),
    Dense({ units: 3, activation: "softmax" }),
  ]).build([5, 5, 2], 5);
  const base = makeModel({ inputs: 50, seed: 5, layers: [{ units: 3, activation: "softmax" }] });
  const file = parseModel({
    ...base,
    inputs: { ...base.inputs, shape: [5, 5, 2] },
    layers: layerRecords(seq),
    outputs: [seq.definitionOf.output],
  });
  const m = exportable(file, "int8");
  if (m.kind !== "quantized") throw new Error("expected a quantized model");
  return m.model;
}

const PROGRAMS = {
  int8: program("int8"),
  int16: program("int16"),
  s64: program("s64"),
  conv: convProgram(),
};

/** A deep copy with `edit` applied. */
function tampered(q: QModel, edit: (t: QModel) => void): unknown {
  const t = JSON.parse(serializeQModel(q)) as QModel;
  edit(t);
  return t;
}

/** Parses and expects one line naming the file, the place and the field. */
function refused(data: unknown, ...fragments: string[]): string {
  let message = "";
  try {
    parseQModel(data, FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    message = (e as Error).message;
  }
  expect(message, "refused").not.toBe("");
  expect(message.split("\n")).toHaveLength(1);
  expect(message.startsWith(`${FILE}: `), message).toBe(true);
  for (const f of fragments) expect(message).toContain(f);
  return message;
}

describe("checkQModel › what a valid program passes", () => {
  it("accepts what the quantizer writes", () => {
    for (const q of Object.values(PROGRAMS))
      expect(parseQModel(JSON.parse(serializeQModel(q)), FILE)).toEqual(q);
  });

  it("covers the dense kernels' paths and the windowed kinds", () => {
    const dense = (q: QModel) => q.ops.filter((op) => op.kind === "dense");
    expect(dense(PROGRAMS.int8)[0].negMult).toBeDefined();
    expect(PROGRAMS.int8.tables.map((t) => t.kind)).toEqual(["table_s8", "softmax_s8"]);
    expect(PROGRAMS.int16.tables.map((t) => t.kind)).toEqual(["table_s16", "softmax_s16"]);
    expect(dense(PROGRAMS.s64)[0].accumulator).toBe("s64");
    expect(PROGRAMS.conv.ops.map((op) => op.kind)).toEqual([
      "zero_padding2d",
      "conv2d",
      "depthwise_conv2d",
      "average_pooling2d",
      "global_max_pooling2d",
      "dense",
      "activation",
    ]);
  });
});

/** Op k of a program as the dense or activation record it is. */
const d = (t: QModel, k: number) => t.ops[k] as unknown as DenseQOp;
const a = (t: QModel, k: number) => t.ops[k] as unknown as ActivationQOp;

describe("checkQModel › refusals name the file, the op and the field", () => {
  const q8 = PROGRAMS.int8;
  it("a shift the kernels do not take", () => {
    refused(
      tampered(q8, (t) => {
        d(t, 0).shift[2] = 40;
      }),
      "ops[0] (dense): shift[2] is 40: expected an integer in [-31, 30]",
    );
  });

  it("a left shift that would overflow the accumulator", () => {
    refused(
      tampered(q8, (t) => {
        d(t, 0).shift[1] = 30;
      }),
      "ops[0] (dense): shift[1] is 30: an accumulator of up to",
      "shifted left by 30 overflows int32",
    );
  });

  it("a multiplier outside [2^30, 2^31)", () => {
    refused(
      tampered(q8, (t) => {
        d(t, 1).mult[0] = 12345;
      }),
      "ops[1] (dense): mult[0] is 12345: expected 0 or an integer in [2^30, 2^31)",
    );
    refused(
      tampered(q8, (t) => {
        d(t, 0).negMult![3] = 2 ** 31;
      }),
      "ops[0] (dense): negMult[3] is 2147483648",
    );
  });

  it("an accumulator bound taken from the file, not recomputed", () => {
    refused(
      tampered(q8, (t) => {
        d(t, 0).accumulatorBound = 1000;
      }),
      "ops[0] (dense): accumulatorBound is 1000: the weights and biases give",
    );
  });

  it("weights and biases that overflow int32 in a layer declared s32", () => {
    refused(
      tampered(q8, (t) => {
        const op = d(t, 0);
        op.bias[0] = 2 ** 31 - 100;
        op.accumulatorBound = 2 ** 31 - 100 + 128 * op.weights[0].reduce((s, w) => s + Math.abs(w), 0);
      }),
      "ops[0] (dense): accumulator is s32, but the weights and biases reach an accumulator of",
    );
  });

  it("a 64-bit accumulator in an int8 program, and one beyond 2^47", () => {
    refused(
      tampered(q8, (t) => {
        d(t, 0).accumulator = "s64";
      }),
      "ops[0] (dense): accumulator is s64: only int16 programs have 64-bit accumulators",
    );
    refused(
      tampered(PROGRAMS.s64, (t) => {
        const op = d(t, 0);
        op.bias[0] = 2 ** 48;
        op.accumulatorBound = 2 ** 48 + 32768 * op.weights[0].reduce((s, w) => s + Math.abs(w), 0);
      }),
      "ops[0] (dense): bias and weights reach an accumulator of",
      "(2^47)",
    );
  });

  it("weights of another shape, and tensors of another size", () => {
    refused(
      tampered(q8, (t) => {
        d(t, 1).weights[2].pop();
      }),
      "ops[1] (dense): weights[2] has 5 values: expected 6",
    );
    refused(
      tampered(q8, (t) => {
        t.tensors[3].shape = [5];
      }),
      "ops[2] (activation): output 'activation' holds 5 values: the input holds 4",
    );
  });

  it("ops that read a tensor no op wrote before them, or write one twice", () => {
    refused(
      tampered(q8, (t) => {
        t.ops[1].inputs = ["dense_2"];
      }),
      "ops[1] (dense): inputs 'dense_2' is not written by an op before it",
    );
    refused(
      tampered(q8, (t) => {
        t.ops[1].inputs = ["nowhere"];
      }),
      "ops[1] (dense): inputs 'nowhere' is no tensor of the program",
    );
    refused(
      tampered(q8, (t) => {
        t.ops[2].output = "dense";
      }),
      "ops[2] (activation): output 'dense' is written twice",
    );
  });

  it("clamps out of order or outside the type, zero points outside the type", () => {
    refused(
      tampered(q8, (t) => {
        d(t, 0).clampHi = d(t, 0).clampLo - 1;
      }),
      "ops[0] (dense): clampHi is",
    );
    refused(
      tampered(q8, (t) => {
        d(t, 1).clampLo = -129;
      }),
      "ops[1] (dense): clampLo is -129: expected an integer in [-128, 127]",
    );
    refused(
      tampered(q8, (t) => {
        t.tensors[0].zeroPoint = 300;
      }),
      "the model: tensors[0].zeroPoint is 300: expected an integer in [-128, 127]",
    );
  });

  it("a table index that does not exist, or a table of the wrong kind", () => {
    refused(
      tampered(q8, (t) => {
        a(t, 2).table = 7;
      }),
      "ops[2] (activation): table is 7: expected the index of one of the 2 tables",
    );
    refused(
      tampered(q8, (t) => {
        a(t, 2).table = 1;
      }),
      "ops[2] (activation): table 1 is a softmax_s8 table: a int8 tanh needs table_s8",
    );
  });

  it("table entries outside their type, and int16 tables that read past their entries", () => {
    refused(
      tampered(q8, (t) => {
        (t.tables[0] as { entries: number[] }).entries[3] = 128;
      }),
      "tables[0] (table_s8): entries[3] is 128",
    );
    refused(
      tampered(PROGRAMS.int16, (t) => {
        const table = t.tables[0];
        if (table.kind === "table_s16") table.zoneKnot[table.zoneKnot.length - 1] += 400;
      }),
      "tables[0] (table_s16): zoneKnot[",
    );
    refused(
      tampered(PROGRAMS.int16, (t) => {
        const table = t.tables[0];
        if (table.kind === "table_s16") table.shift = 31;
      }),
      "tables[0] (table_s16): shift is 31: expected an integer in [15, 30]",
    );
  });

  it("a softmax whose sum could be zero or wrap", () => {
    refused(
      tampered(q8, (t) => {
        (t.tables[1] as { entries: number[] }).entries[0] = 0;
      }),
      "tables[1] (softmax_s8): entries[0] is 0: exp(0) must be positive",
    );
    refused(
      tampered(q8, (t) => {
        (t.tables[1] as { entries: number[] }).entries[9] = 2 ** 21;
      }),
      "tables[1] (softmax_s8): entries[9] is 2097152: expected an integer in [0, 1048576]",
    );
  });

  it("tables that describe other quantizations than the tensors they are applied to", () => {
    refused(
      tampered(q8, (t) => {
        t.tensors[2].scale *= 2;
      }),
      "ops[2] (activation): inputs 'dense_1' is not quantized as the table's input",
    );
    refused(
      tampered(q8, (t) => {
        t.tensors[5].zeroPoint = 0;
      }),
      "ops[4] (activation): output 'dense_2' has scale 0.00390625 zero point 0: softmax outputs scale 0.00390625 zero point -128",
    );
  });

  it("a zero or subnormal std or scale, which the C would divide by", () => {
    refused(
      tampered(q8, (t) => {
        t.inputs.std[1] = 0;
      }),
      "inputs.std[1]: expected a positive float32 number",
    );
    refused(
      tampered(q8, (t) => {
        t.tensors[0].scale = 1e-40;
      }),
      "tensors[0].scale: expected a positive float32 number",
    );
  });

  it("windows whose indices would overflow the kernels, and a dilated pooling window", () => {
    refused(
      tampered(PROGRAMS.conv, (t) => {
        (t.ops[2] as unknown as { dilation: number[] }).dilation[0] = 2 ** 31;
      }),
      "ops[2] (depthwise_conv2d): kernel is 2x2: the window spans 2147483649 rows (dilated) with stride 1: expected a span and stride of at most 1048576",
    );
    refused(
      tampered(PROGRAMS.conv, (t) => {
        (t.ops[3] as unknown as { dilation: number[] }).dilation[1] = 2;
      }),
      "ops[3] (average_pooling2d): dilation is [1, 2]: a pooling window is not dilated ([1, 1])",
    );
  });

  it("duplicate class names", () => {
    refused(
      tampered(q8, (t) => {
        t.output.classes = ["a", "b", "a"];
      }),
      "the model: output.classes 'a' appears twice (a, b, a): expected distinct names",
    );
  });
});

/** Every path to a number in a JSON value. */
function numericPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (typeof value === "number") return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => numericPaths(v, [...path, i]));
  if (value !== null && typeof value === "object")
    return Object.entries(value).flatMap(([k, v]) => numericPaths(v, [...path, k]));
  return [];
}

/** A field: the path with the indices inside arrays of numbers replaced by `*`. */
function fieldOf(path: (string | number)[], data: unknown): string {
  const parts: string[] = [];
  let node = data as Record<string | number, unknown>;
  for (const key of path) {
    const numbers = Array.isArray(node) && node.every((v) => typeof v === "number" || Array.isArray(v));
    parts.push(
      typeof key === "number" && numbers && parts.at(-1) !== "ops" && parts.at(-1) !== "tables"
        ? "*"
        : String(key),
    );
    node = node[key] as Record<string | number, unknown>;
  }
  return parts.join(".");
}

/** The value at a path of a JSON value. */
function at(value: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], value);
}

function hostileValues(v: number): number[] {
  return [
    v + 1,
    v - 1,
    -v,
    0,
    -1,
    40,
    -40,
    2 ** 15,
    2 ** 16,
    2 ** 30,
    2 ** 31 - 1,
    2 ** 31,
    -(2 ** 31),
    2 ** 47,
    1e300,
    0.5,
  ];
}

const host = await requireTools("checkQModel › accepted mutants on the host", ["gcc"]);

describe("checkQModel › every numeric field mutated", () => {
  it.skipIf(host.missing.length > 0)(
    `is refused in one line, or verifies bit-exact under ASan and UBSan (seed ${SEED})${host.note}`,
    async () => {
      const rng = new Rng(SEED);
      const accepted: { field: string; q: QModel }[] = [];
      const seen = new Set<string>();
      let mutants = 0;
      let refusals = 0;
      for (const [name, q] of Object.entries(PROGRAMS)) {
        const data = JSON.parse(serializeQModel(q)) as unknown;
        const byField = new Map<string, (string | number)[][]>();
        for (const path of numericPaths(data)) {
          const field = fieldOf(path, data);
          byField.set(field, [...(byField.get(field) ?? []), path]);
        }
        for (const paths of byField.values()) {
          // the first, the last and one more element of each field
          const picks = new Set([paths[0], paths[paths.length - 1], paths[rng.int(paths.length)]]);
          let verifiedField = false;
          for (const path of picks) {
            for (const value of hostileValues(at(data, path) as number)) {
              const mutant = JSON.parse(JSON.stringify(data)) as unknown;
              (at(mutant, path.slice(0, -1)) as Record<string | number, unknown>)[path[path.length - 1]] =
                value;
              mutants++;
              let parsed: QModel;
              try {
                parsed = parseQModel(mutant, FILE);
              } catch (e) {
                expect(e, `${name} ${path.join(".")} = ${value}`).toBeInstanceOf(UsageError);
                const message = (e as Error).message;
                expect(message.split("\n"), message).toHaveLength(1);
                expect(message.startsWith(`${FILE}: `), message).toBe(true);
                refusals++;
                continue;
              }
              const key = createHash("sha256").update(serializeQModel(parsed)).digest("hex");
              if (seen.has(key) || (verifiedField && !FUZZING)) continue;
              seen.add(key);
              verifiedField = true;
              accepted.push({ field: `${name} ${path.join(".")} = ${value}`, q: parsed });
            }
          }
        }
      }
      const sample = accepted.filter(() => rng.next() < RUNS / accepted.length);
      const slot = limiter(2);
      const results = await Promise.all(
        sample.map(({ field, q }) =>
          slot(async () => {
            const r = await verifyModel({ kind: "quantized", model: q }, { target: "host", random: 8 });
            return r.mismatches === 0 && r.maxAbsDiff === 0 ? "" : `${field}: ${JSON.stringify(r.first[0])}`;
          }),
        ),
      );
      expect(results.filter((r) => r !== "")).toEqual([]);
      // most hostile values must be refused; the accepted ones were all verified
      expect(refusals).toBeGreaterThan(mutants / 2);
      expect(accepted.length).toBeGreaterThan(100);
      expect(sample.length).toBeGreaterThan(RUNS / 2);
    },
    600_000,
  );
});
