/**
 * Differential test: the C runtime (nn_support.h, nn_table_s8/s16, nn_softmax_s8/s16/s8_tfl) against the
 * TypeScript reference, bit for bit. A generated harness embeds the tables and test vectors, is
 * compiled with the strict warning flags and AddressSanitizer + UBSan, and prints its results.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INT32_MAX, INT32_MIN, requantize, requantize64 } from "../../src/quant/fixedpoint.js";
import {
  runTfliteSoftmax,
  TFLITE_SOFTMAX_MAX_LENGTH,
  type TfliteSoftmaxParams,
  tfliteSoftmaxParams,
} from "../../src/quant/gemmlowp.js";
import {
  applyTableS8,
  buildTableS8,
  buildTableS16,
  evalTableS16,
  type TableS8,
  type TableS16,
} from "../../src/quant/lut.js";
import { buildSoftmaxTable, runSoftmax, type SoftmaxTable } from "../../src/quant/softmax.js";
import { requireTools } from "../toolchain/available.js";
import { ACTIVATIONS, Q15_OUT } from "./functions.js";

const FIRMWARE = resolve(import.meta.dirname, "../../firmware/nn");
const KERNELS = ["nn_table_s8", "nn_table_s16", "nn_softmax_s8", "nn_softmax_s16", "nn_softmax_s8_tfl"];
const STRICT = [
  "-std=c99",
  "-Wall",
  "-Wextra",
  "-Wpedantic",
  "-Wconversion",
  "-Wshadow",
  "-Wdouble-promotion",
  "-Werror",
];
const SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g", "-O1"];

// ---- test vectors ----

const int32 = fc.oneof(
  fc.integer({ min: INT32_MIN, max: INT32_MAX }),
  fc.constantFrom(INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX),
);
const requantCases: [number, number, number][] = [
  ...[INT32_MIN, INT32_MIN + 1, -(2 ** 30), -1, 0, 1, 2 ** 30, INT32_MAX].flatMap((acc) =>
    [0, 2 ** 30, INT32_MAX].flatMap((mult) =>
      [-31, -17, -1, 0].map((shift): [number, number, number] => [acc, mult, shift]),
    ),
  ),
  [1, INT32_MAX, 30],
  [-1, 2 ** 30, 30],
  [65535, INT32_MAX, 15],
  ...fc
    .sample(
      fc.tuple(int32, fc.integer({ min: 2 ** 30, max: INT32_MAX }), fc.integer({ min: -31, max: 30 })),
      {
        seed: 42,
        numRuns: 3000,
      },
    )
    .map(([acc, mult, shift]): [number, number, number] => [
      Math.trunc(acc / 2 ** Math.max(shift, 0)),
      mult,
      shift,
    ]),
];
const requant64Cases: [number, number, number][] = [
  ...[-(2 ** 47) + 1, INT32_MIN, -3, -1, 0, 1, 3, INT32_MAX, 2 ** 47 - 1].flatMap((acc) =>
    [0, 2 ** 15, 2 ** 16 - 1].flatMap((mult) =>
      [-47, -20, 0, 15].map((shift): [number, number, number] => [acc, mult, shift]),
    ),
  ),
  ...fc.sample(
    fc.tuple(
      fc.integer({ min: -(2 ** 47) + 1, max: 2 ** 47 - 1 }),
      fc.integer({ min: 2 ** 15, max: 2 ** 16 - 1 }),
      fc.integer({ min: -47, max: 15 }),
    ),
    { seed: 7, numRuns: 3000 },
  ),
];

const tablesS8: TableS8[] = [
  buildTableS8(ACTIVATIONS.sigmoid, { scale: 0.0625, zeroPoint: 0 }, { scale: 1 / 256, zeroPoint: -128 }),
  buildTableS8(Math.tanh, { scale: 0.03, zeroPoint: -5 }, { scale: 1 / 128, zeroPoint: 0 }),
  buildTableS8(ACTIVATIONS.gelu, { scale: 0.05, zeroPoint: 3 }, { scale: 0.04, zeroPoint: -120 }),
];
const tablesS16: TableS16[] = [
  buildTableS16(ACTIVATIONS.sigmoid, { scale: 2 ** -12, zeroPoint: 0 }, Q15_OUT, {
    symmetry: { centre: 0.5 },
  }),
  buildTableS16(Math.tanh, { scale: 0.00037, zeroPoint: 0 }, Q15_OUT, { symmetry: { centre: 0 } }),
  buildTableS16(Math.tanh, { scale: 0.0123, zeroPoint: 0 }, Q15_OUT, { symmetry: { centre: 0 } }),
  buildTableS16(ACTIVATIONS.gelu, { scale: 2 ** -11, zeroPoint: 0 }, { scale: 16 / 32767, zeroPoint: 0 }),
  buildTableS16(ACTIVATIONS.swish, { scale: 0.001, zeroPoint: 1000 }, { scale: 0.0005, zeroPoint: -2000 }),
];

function vectors(lo: number, hi: number, seed: number): number[][] {
  const random = fc.sample(fc.array(fc.integer({ min: lo, max: hi }), { minLength: 1, maxLength: 40 }), {
    seed,
    numRuns: 200,
  });
  const long = Array.from({ length: 1000 }, (_, i) => ((i * 7919) % (hi - lo + 1)) + lo);
  return [...random, [lo], [hi], [lo, hi], [hi, hi, hi], [hi, lo, lo, lo, lo], long];
}
const softmaxCases: { table: SoftmaxTable; vectors: number[][] }[] = [
  { table: buildSoftmaxTable("int8", 0.0625), vectors: vectors(-128, 127, 1) },
  { table: buildSoftmaxTable("int8", 0.9), vectors: vectors(-128, 127, 2) },
  { table: buildSoftmaxTable("int16", 2 ** -12), vectors: vectors(-32768, 32767, 3) },
  { table: buildSoftmaxTable("int16", 0.01), vectors: vectors(-32768, 32767, 4) },
];

// TensorFlow Lite's softmax: the scales of MLPerf Tiny's keyword spotter and person detector, the
// smallest scale TensorFlow Lite takes, a multiplier capped at 2^31 - 1 (diffMin 0), a beta of 2
const tfliteCases: { params: TfliteSoftmaxParams; vectors: number[][] }[] = (
  [
    [1, 0.144720658],
    [1, 0.0146409869],
    [1, 1.5 * 2 ** -26],
    [1, 40],
    [2, 0.5],
    [1, 0.003],
  ] as const
).map(([beta, scale], n) => ({
  params: tfliteSoftmaxParams(beta, Math.fround(scale))!,
  vectors: [
    ...vectors(-128, 127, 10 + n).map((v) => v.slice(0, TFLITE_SOFTMAX_MAX_LENGTH)),
    Array.from({ length: TFLITE_SOFTMAX_MAX_LENGTH }, () => 127),
    Array.from({ length: TFLITE_SOFTMAX_MAX_LENGTH }, (_, i) => ((i * 37) % 256) - 128),
  ],
}));

// ---- harness ----

const u32 = (v: number) => `${v}u`;
const i32 = (v: number) => (v === INT32_MIN ? "INT32_MIN" : `${v}`);
const i64 = (v: number) => `INT64_C(${v})`;
const array = (type: string, name: string, values: string[]) =>
  `static const ${type} ${name}[${Math.max(values.length, 1)}] = {${values.join(",") || "0"}};`;

function harnessSource(): string {
  const lines = [
    "#include <inttypes.h>",
    "#include <stdio.h>",
    '#include "nn_kernels_act.h"',
    '#include "nn_support.h"',
    "",
    array(
      "int32_t",
      "rq_acc",
      requantCases.map((c) => i32(c[0])),
    ),
    array(
      "int32_t",
      "rq_mult",
      requantCases.map((c) => i32(c[1])),
    ),
    array(
      "int32_t",
      "rq_shift",
      requantCases.map((c) => i32(c[2])),
    ),
    array(
      "int64_t",
      "rq64_acc",
      requant64Cases.map((c) => i64(c[0])),
    ),
    array(
      "int32_t",
      "rq64_mult",
      requant64Cases.map((c) => i32(c[1])),
    ),
    array(
      "int32_t",
      "rq64_shift",
      requant64Cases.map((c) => i32(c[2])),
    ),
  ];
  tablesS8.forEach((t, n) => {
    lines.push(array("int8_t", `t8_${n}`, t.entries.map(String)));
  });
  tablesS16.forEach((t, n) => {
    const zones = (values: number[], f: (v: number) => string) =>
      `{${Array.from({ length: 8 }, (_, z) => f(values[z] ?? 0)).join(",")}}`;
    lines.push(array("uint16_t", `e16_${n}`, t.entries.map(String)));
    lines.push(
      `static const nn_table_s16_params_t p16_${n} = {${[
        i32(t.codeLo),
        i32(t.codeHi),
        i32(t.lowOut),
        i32(t.highOut),
        i32(t.outBase),
        u32(t.rounding),
        u32(t.shift),
        i32(t.mirror),
        u32(t.symmetric ? 1 : 0),
        u32(t.zoneStart.length),
        zones(t.zoneStart, i32),
        zones(t.zoneKnot, u32),
        zones(t.zoneLog2, u32),
      ].join(", ")}};`,
    );
  });
  softmaxCases.forEach((c, n) => {
    const type = c.table.kind === "softmax_s8" ? "int8_t" : "int16_t";
    lines.push(array("uint32_t", `sm_table_${n}`, c.table.entries.map(u32)));
    lines.push(array(type, `sm_in_${n}`, c.vectors.flat().map(String)));
    lines.push(
      array(
        "size_t",
        `sm_len_${n}`,
        c.vectors.map((v) => `${v.length}u`),
      ),
    );
  });
  tfliteCases.forEach((c, n) => {
    lines.push(array("int8_t", `tfl_in_${n}`, c.vectors.flat().map(String)));
    lines.push(
      array(
        "size_t",
        `tfl_len_${n}`,
        c.vectors.map((v) => `${v.length}u`),
      ),
    );
  });
  lines.push(
    "",
    "int main(void)",
    "{",
    "    size_t i;",
    '    printf("requantize");',
    `    for (i = 0; i < ${requantCases.length}u; ++i) printf(" %" PRId32, nn_requantize(rq_acc[i], rq_mult[i], rq_shift[i]));`,
    '    printf("\\nrequantize64");',
    `    for (i = 0; i < ${requant64Cases.length}u; ++i) printf(" %" PRId32, nn_requantize_s64(rq64_acc[i], rq64_mult[i], rq64_shift[i]));`,
    '    printf("\\n");',
  );
  tablesS8.forEach((_, n) => {
    lines.push(
      "    {",
      "        int8_t in[256], out[256];",
      "        for (i = 0; i < 256u; ++i) in[i] = (int8_t)((int32_t)i - 128);",
      `        printf("table_s8_${n} %d", nn_table_s8(in, out, 256u, t8_${n}));`,
      '        for (i = 0; i < 256u; ++i) printf(" %d", out[i]);',
      '        printf("\\n");',
      "    }",
    );
  });
  tablesS16.forEach((_, n) => {
    lines.push(
      "    {",
      "        static int16_t buf[65536];",
      "        for (i = 0; i < 65536u; ++i) buf[i] = (int16_t)((int32_t)i - 32768);",
      `        printf("table_s16_${n} %d", nn_table_s16(buf, buf, 65536u, &p16_${n}, e16_${n}));`,
      '        for (i = 0; i < 65536u; ++i) printf(" %d", buf[i]);',
      '        printf("\\n");',
      "    }",
    );
  });
  softmaxCases.forEach((c, n) => {
    const [type, fn] =
      c.table.kind === "softmax_s8" ? ["int8_t", "nn_softmax_s8"] : ["int16_t", "nn_softmax_s16"];
    lines.push(
      "    {",
      `        static ${type} out[${c.vectors.flat().length}];`,
      "        size_t offset = 0, j, v;",
      `        printf("softmax_${n}");`,
      `        for (v = 0; v < ${c.vectors.length}u; ++v) {`,
      `            printf(" %d", ${fn}(sm_in_${n} + offset, out + offset, sm_len_${n}[v], sm_table_${n}));`,
      `            for (j = 0; j < sm_len_${n}[v]; ++j) printf(" %d", out[offset + j]);`,
      `            offset += sm_len_${n}[v];`,
      "        }",
      '        printf("\\n");',
      "    }",
    );
  });
  tfliteCases.forEach((c, n) => {
    const { multiplier, leftShift, diffMin } = c.params;
    lines.push(
      "    {",
      `        static int8_t out[${c.vectors.flat().length}];`,
      "        size_t offset = 0, j, v;",
      `        printf("softmax_tfl_${n}");`,
      `        for (v = 0; v < ${c.vectors.length}u; ++v) {`,
      `            printf(" %d", nn_softmax_s8_tfl(tfl_in_${n} + offset, out + offset, tfl_len_${n}[v], ${multiplier}, ${leftShift}u, ${diffMin}));`,
      `            for (j = 0; j < tfl_len_${n}[v]; ++j) printf(" %d", out[offset + j]);`,
      `            offset += tfl_len_${n}[v];`,
      "        }",
      '        printf("\\n");',
      "    }",
    );
  });
  lines.push(
    "    {",
    "        int8_t out8[1];",
    "        int16_t out16[1];",
    '        printf("errors %d %d %d %d %d\\n", nn_softmax_s8(sm_in_0, NULL, 1u, sm_table_0),',
    "               nn_softmax_s8(sm_in_0, out8, 0u, sm_table_0), nn_table_s8(NULL, out8, 1u, t8_0),",
    "               nn_table_s16(sm_in_2, out16, 1u, &p16_0, NULL),",
    "               nn_softmax_s16(sm_in_2, out16, NN_SOFTMAX_S16_MAX_LENGTH + 1u, sm_table_2));",
    "    }",
    "    return 0;",
    "}",
  );
  return `${lines.join("\n")}\n`;
}

// ---- expected results from the TypeScript reference ----

function expectedLines(): Map<string, number[]> {
  const expected = new Map<string, number[]>();
  expected.set(
    "requantize",
    requantCases.map(([a, m, s]) => requantize(a, m, s)),
  );
  expected.set(
    "requantize64",
    requant64Cases.map(([a, m, s]) => requantize64(a, m, s)),
  );
  tablesS8.forEach((t, n) => {
    expected.set(`table_s8_${n}`, [0, ...Array.from({ length: 256 }, (_, i) => applyTableS8(t, i - 128))]);
  });
  tablesS16.forEach((t, n) => {
    expected.set(`table_s16_${n}`, [
      0,
      ...Array.from({ length: 65536 }, (_, i) => evalTableS16(t, i - 32768)),
    ]);
  });
  softmaxCases.forEach((c, n) => {
    const values: number[] = [];
    for (const v of c.vectors) {
      const out = new Array<number>(v.length);
      runSoftmax(c.table, v, v.length, out);
      values.push(0, ...out);
    }
    expected.set(`softmax_${n}`, values);
  });
  tfliteCases.forEach((c, n) => {
    const values: number[] = [];
    for (const v of c.vectors) {
      const out = new Array<number>(v.length);
      runTfliteSoftmax(c.params, v, v.length, out);
      values.push(0, ...out);
    }
    expected.set(`softmax_tfl_${n}`, values);
  });
  expected.set("errors", [1, 1, 1, 1, 1]);
  return expected;
}

function compare(name: string, got: number[] | undefined, want: number[]): void {
  expect(got, `${name}: missing from the harness output`).toBeDefined();
  const diffs: string[] = [];
  let count = 0;
  for (let i = 0; i < Math.max(want.length, got!.length); i++) {
    if (got![i] !== want[i]) {
      count++;
      if (diffs.length < 5) diffs.push(`[${i}] C ${got![i]} ≠ TS ${want[i]}`);
    }
  }
  expect(count, `${name}: ${count} mismatches of ${want.length}; first: ${diffs.join(", ")}`).toBe(0);
}

const work = mkdtempSync(join(tmpdir(), "nn2c-quant-"));
const sources = KERNELS.map((k) => join(FIRMWARE, "src", `${k}.c`));
const include = `-I${join(FIRMWARE, "include")}`;

const gcc = await requireTools("C kernels with gcc", ["gcc"]);
const clang = await requireTools("C kernels with clang", ["clang"]);
const arm = await requireTools("C kernels for Cortex-M", ["gcc-arm-none-eabi"]);

describe("C kernels", () => {
  beforeAll(() => writeFileSync(join(work, "harness.c"), harnessSource()));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  for (const [cc, tools] of [
    ["gcc", gcc],
    ["clang", clang],
  ] as const) {
    it.skipIf(tools.missing.length > 0)(
      `equal the TypeScript reference bit for bit (${cc}, strict warnings, ASan + UBSan)${tools.note}`,
      async () => {
        const exe = join(work, `harness-${cc}`);
        await execa(cc, [...STRICT, ...SANITIZE, include, join(work, "harness.c"), ...sources, "-o", exe]);
        const run = await execa(exe, [], {
          env: { ASAN_OPTIONS: "detect_leaks=0", UBSAN_OPTIONS: "halt_on_error=1" },
          maxBuffer: 256 * 1024 * 1024,
        });
        const got = new Map<string, number[]>();
        for (const line of run.stdout.split("\n").filter(Boolean)) {
          const [name, ...values] = line.trim().split(" ");
          got.set(name, values.map(Number));
        }
        for (const [name, want] of expectedLines()) compare(name, got.get(name), want);
      },
    );
  }

  it.skipIf(arm.missing.length > 0)(
    `compile warning-free for Cortex-M0 and Cortex-M4 (arm-none-eabi-gcc -O2)${arm.note}`,
    async () => {
      for (const cpu of ["cortex-m0", "cortex-m4"]) {
        for (const source of sources) {
          await execa("arm-none-eabi-gcc", [
            ...STRICT,
            `-mcpu=${cpu}`,
            "-mthumb",
            "-O2",
            include,
            "-c",
            source,
            "-o",
            join(work, "k.o"),
          ]);
        }
      }
    },
  );
});
