/**
 * Every activation at every precision, end to end: a small seeded model is quantized on calibration
 * rows, exported, compiled and run on the host, and compared with the TypeScript reference (integer
 * exports bit for bit, codes and dequantized floats alike; float32 within 1e-5). Each generated folder
 * is built with gcc under ASan and UBSan (verifyModel); all folders together are linked into one program
 * with gcc and with clang under the strict flags, and compiled (-c) for Cortex-M0 and Cortex-M4F.
 *
 * Besides one model per activation: a regression model (linear output, standardised target), a binary
 * classifier (one sigmoid output), a layer wide enough to need the 64-bit accumulator at int16, odd
 * layer sizes, a leaky relu with its own alpha (the negative-multiplier path) and separate activation
 * layers.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderModel } from "../../src/codegen/export.js";
import { registerActivation, unregisterActivation } from "../../src/core/activations.js";
import { UsageError } from "../../src/errors.js";
import type { DenseQOp } from "../../src/ops/dense/quant.js";
import type { QModel } from "../../src/quant/schema.js";
import { verifyModel } from "../../src/verify/verify.js";
import {
  CORTEX_COMPILE_TARGETS,
  exportable,
  HOST_TARGETS,
  limiter,
  type ModelSpec,
  makeModel,
  PRECISIONS,
  type Precision,
  tempDir,
  writeModel,
} from "../codegen/helpers.js";
import { ARM, requireTools } from "../toolchain/available.js";

const RANDOM = 16;

function swish(x: number): number {
  return x / (1 + Math.exp(-x));
}

beforeAll(() => {
  registerActivation("swish", swish, (x, y) => {
    const s = 1 / (1 + Math.exp(-x));
    return s + y * (1 - s);
  });
});
afterAll(() => unregisterActivation("swish"));

const ACTIVATIONS = ["relu", "relu6", "leaky_relu", "sigmoid", "tanh", "softmax", "linear", "swish"];

/** 6 inputs → 8 units with the activation → 3 outputs; softmax is the output's activation. */
function activationModel(activation: string): ModelSpec {
  if (activation === "softmax") {
    return {
      inputs: 6,
      layers: [
        { units: 8, activation: "tanh" },
        { units: 3, activation: "softmax" },
      ],
    };
  }
  return {
    inputs: 6,
    layers: [
      { units: 8, activation },
      { units: 3, activation: "linear" },
    ],
    biasScale: 1,
  };
}

const denseOps = (q: QModel) => q.ops.filter((op) => op.kind === "dense") as DenseQOp[];

interface Case {
  /** prefix of the C name */
  id: string;
  name: string;
  spec: ModelSpec;
  precisions: Precision[];
  /** what the integer program must contain for the case to test what it says */
  check?: (q: QModel) => void;
}

const CASES: Case[] = [
  ...ACTIVATIONS.map(
    (a): Case => ({
      id: a,
      name: a,
      spec: activationModel(a),
      precisions: a === "swish" ? ["int8", "int16"] : PRECISIONS,
      check: (q) => {
        if (["sigmoid", "tanh", "swish"].includes(a))
          expect(q.ops.some((op) => op.kind === "activation" && op.activation === a)).toBe(true);
        if (a === "softmax") expect(q.ops.at(-1)?.activation).toBe("softmax");
        if (a === "leaky_relu") expect(denseOps(q)[0].negMult).toBeDefined();
      },
    }),
  ),
  {
    id: "regression",
    name: "regression (linear output, standardised target)",
    spec: {
      inputs: 5,
      task: "regression",
      target: { mean: 310.5, std: 42.25 },
      layers: [
        { units: 7, activation: "relu" },
        { units: 1, activation: "linear" },
      ],
    },
    precisions: PRECISIONS,
    check: (q) => expect(q.output.kind).toBe("values"),
  },
  {
    id: "binary",
    name: "binary (one sigmoid output)",
    spec: {
      inputs: 4,
      classes: ["no", "yes"],
      layers: [
        { units: 6, activation: "relu" },
        { units: 1, activation: "sigmoid" },
      ],
    },
    precisions: PRECISIONS,
    check: (q) => expect([q.ops.at(-1)?.kind, q.ops.at(-1)?.activation]).toEqual(["activation", "sigmoid"]),
  },
  {
    id: "wide",
    name: "600-input layer: a 64-bit accumulator at int16",
    spec: {
      inputs: 600,
      signOnly: true,
      weightScale: 3,
      layers: [
        { units: 4, activation: "relu" },
        { units: 3, activation: "softmax" },
      ],
    },
    precisions: PRECISIONS,
    check: (q) => expect(denseOps(q)[0].accumulator).toBe(q.precision === "int16" ? "s64" : "s32"),
  },
  {
    id: "odd",
    name: "odd sizes: 37 inputs (two chunks of 16 and 5 more) → 13 → 5 units",
    spec: {
      inputs: 37,
      task: "regression",
      layers: [
        { units: 13, activation: "relu6" },
        { units: 5, activation: "linear" },
      ],
    },
    precisions: PRECISIONS,
  },
  {
    id: "leaky",
    name: "leaky relu with alpha 0.05 at both layers (negative multipliers)",
    spec: {
      inputs: 6,
      layers: [
        { units: 8, activation: "leaky_relu", alpha: 0.05 },
        { units: 3, activation: "leaky_relu", alpha: 0.3 },
      ],
    },
    precisions: PRECISIONS,
    check: (q) => {
      for (const op of denseOps(q)) expect(op.negMult?.length).toBe(op.units);
    },
  },
  {
    id: "layers",
    name: "separate activation layers (dense linear → tanh → sigmoid → dense → softmax)",
    spec: {
      inputs: 6,
      layers: [
        { units: 8, activation: "linear" },
        { units: 0, activation: "tanh" },
        { units: 0, activation: "sigmoid" },
        { units: 3, activation: "linear" },
        { units: 0, activation: "softmax" },
      ],
    },
    precisions: PRECISIONS,
  },
];

/** Every case is also rendered into its own folder under ROOT, as <id>_<precision>, for the compile checks. */
const ROOT = tempDir("act");
afterAll(() => rmSync(ROOT, { recursive: true, force: true }));
const generated: { name: string; dir: string; modelC: string; runtime: string[] }[] = [];

const RUNS = CASES.flatMap((c) => c.precisions.map((precision) => ({ ...c, precision })));
const slots = limiter(2);

describe.concurrent("generated C › every activation and model kind", () => {
  it.each(RUNS)("$name, $precision: equals the TypeScript reference (gcc, ASan, UBSan)", (c) =>
    slots(async () => {
      const m = exportable(makeModel(c.spec), c.precision);
      if (m.kind === "quantized") c.check?.(m.model);
      const r = await verifyModel(m, { target: "host", random: RANDOM });
      expect(r.mismatches, JSON.stringify(r.first)).toBe(0);
      expect(r.vectors).toBeGreaterThan(2 * RANDOM);
      if (m.kind === "quantized") expect(r.maxAbsDiff).toBe(0);

      const name = `${c.id}_${c.precision}`;
      const dir = join(ROOT, name);
      mkdirSync(dir);
      const { sources } = writeModel(m, name, dir);
      generated.push({ name, dir, modelC: `${name}.c`, runtime: sources.filter((f) => f !== `${name}.c`) });
    }),
  );
});

/**
 * The folders compiled together: each model's .c with its folder's headers (#include "..." looks in the
 * including file's folder first), the runtime .c files once (they are the same in every folder but for
 * the banner). One program holding every model also shows that no two models' symbols clash.
 */
function programSources(): string[] {
  const runtime = new Map<string, string>();
  const body = (file: string) => readFileSync(file, "utf8").split("\n").slice(1).join("\n");
  for (const g of generated) {
    for (const f of g.runtime) {
      const file = join(g.dir, f);
      const first = runtime.get(f);
      if (first === undefined) runtime.set(f, file);
      else expect(body(file), f).toBe(body(first));
    }
  }
  return [...generated.map((g) => join(g.dir, g.modelC)), ...runtime.values()];
}

/** A main that runs every model once on raw zeros (finite: status 0) and returns the first failure. */
function mainSource(): string {
  const includes = generated.map((g) => `#include "${g.name}/${g.name}.h"`).join("\n");
  const calls = generated
    .map((g) => `    if (${g.name}_predict_float(in, out) != 0) {\n        return 1;\n    }`)
    .join("\n");
  return `${includes}\n\nint main(void)\n{\n    static float in[1024];\n    static float out[16];\n${calls}\n    return 0;\n}\n`;
}

/** Builds the program of every folder with `cc` and runs it, or compiles (-c) only; "" or what failed. */
async function build(cc: string, flags: string[], run: boolean): Promise<string> {
  const out = tempDir("all");
  try {
    const main = join(out, "main.c");
    writeFileSync(main, mainSource());
    const exe = join(out, "all");
    const args = [...flags, ...(run ? [main, "-I", ROOT] : ["-c"]), ...programSources()];
    const built = await execa(cc, run ? [...args, "-o", exe, "-lm"] : args, {
      cwd: out,
      reject: false,
      all: true,
    });
    if (built.exitCode !== 0) return `${cc} ${args.join(" ")}\n${built.all}`;
    if (!run) return "";
    const ran = await execa(exe, [], { reject: false, all: true });
    return ran.exitCode === 0 ? "" : `${exe} exited with ${ran.exitCode}: ${ran.all}`;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const hosts = await requireTools("generated C › every folder on the host", ["gcc", "clang"]);
const arm = await requireTools("generated C › every folder for Cortex-M", ARM);

describe("generated C › every folder", () => {
  it.skipIf(hosts.missing.length > 0)(
    `links into one program with gcc and with clang under the strict flags, and runs${hosts.note}`,
    async () => {
      expect(generated.length).toBe(RUNS.length);
      const results = await Promise.all(HOST_TARGETS.map((t) => slots(() => build(t.cc, t.flags, true))));
      expect(results.filter((r) => r !== "")).toEqual([]);
    },
  );

  it.skipIf(arm.missing.length > 0)(`compiles for Cortex-M0 and M4F${arm.note}`, async () => {
    expect(generated.length).toBe(RUNS.length);
    const results = await Promise.all(
      CORTEX_COMPILE_TARGETS.map((t) => slots(() => build(t.cc, t.flags, false))),
    );
    expect(results.filter((r) => r !== "")).toEqual([]);
  });
});

describe("generated C › a registered activation", () => {
  it("has no float32 export: a UsageError pointing to int8 or int16", async () => {
    const m = exportable(makeModel(activationModel("swish")), "float32");
    expect(() => renderModel(m, { name: "net" })).toThrow(UsageError);
    expect(() => renderModel(m, { name: "net" })).toThrow(
      /op 1 \(dense\): activation 'swish': a user-registered activation has no float C kernel; export it as int8 or int16/,
    );
    await expect(verifyModel(m, { target: "host", random: 1 })).rejects.toThrow(UsageError);
  });
});
