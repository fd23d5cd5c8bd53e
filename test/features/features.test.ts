/**
 * Window features: the integer arithmetic against its plain-maths meaning, the definition file's
 * errors, and the generated C against the TypeScript bit for bit (host gcc with sanitizers on random
 * definitions and windows, extremes included; Cortex-M0 and M4 under QEMU on one definition).
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { renderModel } from "../../src/codegen/export.js";
import { featureExtractor, isqrt, rdiv, trigTables } from "../../src/features/compute.js";
import {
  checkModelInputs,
  type FeatureDefinition,
  type FeatureFile,
  featuresSchema,
  resolveFeatures,
  STATISTICS,
} from "../../src/features/definition.js";
import { Rng } from "../../src/rng.js";
import { runCortexHarness, runHostHarness } from "../../src/verify/host.js";
import { makeModel, tempDir } from "../codegen/helpers.js";
import { QEMU, requireTools } from "../toolchain/available.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const base: FeatureFile = {
  format: "nn2c-features",
  version: 1,
  axes: ["ax", "ay"],
  sampleRate: 50,
  window: 100,
  stride: 25,
  statistics: ["mean", "rms", "std", "ptp", "min", "max"],
  bands: [
    [0.5, 1],
    [2, 2],
  ],
};

describe("integer helpers", () => {
  it("rdiv rounds halves away from zero", () => {
    expect([7n, 5n, -5n, -7n, 0n].map((a) => rdiv(a, 2n))).toEqual([4n, 3n, -3n, -4n, 0n]);
    expect(rdiv(-10n, 4n)).toBe(-3n);
    expect(rdiv(9n, 4n)).toBe(2n);
  });

  it("isqrt is the floor of the square root, near squares and at 2^53", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 1n << 60n }), (v) => {
        const s = isqrt(v);
        expect(s * s <= v && (s + 1n) * (s + 1n) > v).toBe(true);
      }),
    );
    for (const r of [0n, 1n, 94906265n, (1n << 26n) + 3n, 3037000499n]) {
      expect(isqrt(r * r)).toBe(r);
      if (r > 0n) expect(isqrt(r * r - 1n)).toBe(r - 1n);
    }
  });
});

describe("features of a window", () => {
  const def = resolveFeatures(base);
  const extract = featureExtractor(def);

  it("match their plain-maths meaning on a sinusoid plus an offset", () => {
    // axis 0: 1000 + 400 sin(2π·0.75 Hz·t) → bin 1.5 (between bins 1 and 2); axis 1: 2 Hz at 300 (bin 4)
    const n = def.window;
    const w = new Int16Array(n * 2);
    for (let i = 0; i < n; i++) {
      w[2 * i] = Math.round(1000 + 400 * Math.sin((2 * Math.PI * 1 * i) / n));
      w[2 * i + 1] = Math.round(-200 + 300 * Math.cos((2 * Math.PI * 4 * i) / n));
    }
    const [mean, rms, std, ptp, min, max, band0, band1] = extract(w);
    expect(mean).toBe(1000);
    expect(std).toBeGreaterThanOrEqual(282); // 400 / √2 = 282.8
    expect(std).toBeLessThanOrEqual(283);
    expect(Math.abs(rms - Math.sqrt(1000 ** 2 + 400 ** 2 / 2))).toBeLessThan(1);
    expect([ptp, min, max]).toEqual([800, 600, 1400]);
    expect(Math.abs(band0 - 400)).toBeLessThanOrEqual(1); // bins 1..2 hold the sinusoid
    expect(band1).toBeLessThanOrEqual(1); // bin 4 holds nothing of axis 0
    const axis1 = extract(w).subarray(8);
    expect(axis1[0]).toBe(-200);
    expect(axis1[6]).toBeLessThanOrEqual(1);
    expect(Math.abs(axis1[7] - 300)).toBeLessThanOrEqual(1);
  });

  it("read a ring: the window starting at `first` wraps around", () => {
    const rng = new Rng(3);
    const n = def.window;
    const w = Int16Array.from({ length: n * 2 }, () => rng.int(2000) - 1000);
    const first = 37;
    const unrolled = new Int16Array(n * 2);
    for (let i = 0; i < n; i++)
      unrolled.set(w.subarray(((first + i) % n) * 2, ((first + i) % n) * 2 + 2), 2 * i);
    expect([...extract(w, first)]).toEqual([...extract(unrolled)]);
  });

  it("Q15 tables are symmetric and bounded", () => {
    const { cos, sin } = trigTables(100);
    expect(cos[0]).toBe(32767);
    expect(sin[25]).toBe(32767);
    expect(cos[50]).toBe(-32767);
    for (let j = 1; j < 100; j++) expect(cos[j]).toBe(cos[100 - j]);
  });
});

describe("feature definition errors", () => {
  const parse = (d: object) => featuresSchema.safeParse(d);

  it("refuses a bad definition with the field named", () => {
    expect(parse({ ...base, stride: 101 }).success).toBe(false);
    expect(parse({ ...base, window: 2000 }).success).toBe(false);
    expect(parse({ ...base, axes: ["a", "a"] }).success).toBe(false);
    expect(parse({ ...base, statistics: ["median"] }).success).toBe(false);
    expect(parse({ ...base, statistics: [], bands: [] }).success).toBe(false);
    expect(parse({ ...base, version: 2 }).success).toBe(false);
  });

  it("refuses a band that holds no DFT bin", () => {
    expect(() => resolveFeatures({ ...base, bands: [[0.1, 0.4]] }, "d.json")).toThrow(
      /d\.json: bands\[0\]: \[0\.1, 0\.4\] Hz holds no DFT bin/,
    );
    expect(() => resolveFeatures({ ...base, bands: [[26, 30]] }, "d.json")).toThrow(/holds no DFT bin/);
  });

  it("refuses a model whose inputs are not the features", () => {
    const def = resolveFeatures(base, "d.json");
    expect(() => checkModelInputs(def, def.names.slice(1), "m.json")).toThrow(
      /d\.json: does not match the inputs of m\.json: it gives 16 features .*window 100.*takes 15 inputs/,
    );
    const swapped = [...def.names];
    [swapped[0], swapped[1]] = [swapped[1], swapped[0]];
    expect(() => checkModelInputs(def, swapped, "m.json")).toThrow(
      /feature 0 is 'ax_mean', the model's input 0 is 'ax_rms'/,
    );
    expect(() => checkModelInputs(def, def.names, "m.json")).not.toThrow();
  });
});

/** A folder with the model and features of `def` exported as `f`, and a harness over `cases`. */
function harnessFolder(def: FeatureDefinition, cases: { samples: Int16Array; first: number }[]): string {
  const dir = tempDir("features");
  dirs.push(dir);
  const model = makeModel({ inputs: def.names.length, layers: [{ units: 3, activation: "softmax" }] });
  model.inputs.names = def.names;
  const rendered = renderModel({ kind: "float", model }, { name: "f", features: def });
  for (const [file, content] of rendered.files) writeFileSync(join(dir, file), content);
  const rows = cases.map((c) => `    { ${c.first}, { ${[...c.samples].join(", ")} } },`);
  writeFileSync(
    join(dir, "harness.c"),
    `#include <stddef.h>
#include <stdint.h>
#include "f_features.h"
#include "nn.h"
#if defined(__arm__)
#include "board.h"
#define PUT_INT(v) board_put_int(v)
#define PUT_STR(s) board_puts(s)
#else
#include <stdio.h>
#define PUT_INT(v) printf("%ld", (long)(v))
#define PUT_STR(s) fputs(s, stdout)
#endif
static const struct { int32_t first; int16_t samples[F_WINDOW * F_AXES]; } cases[${cases.length}] = {
${rows.join("\n")}
};
int main(void)
{
    int32_t out[F_FEATURE_COUNT];
    int32_t k;
    int32_t i;
    for (k = 0; k < ${cases.length}; ++k) {
        const int status = f_features(cases[k].samples, cases[k].first, out);
        PUT_INT(status);
        for (i = 0; status == 0 && i < F_FEATURE_COUNT; ++i) {
            PUT_STR(" ");
            PUT_INT(out[i]);
        }
        PUT_STR("\\n");
    }
    PUT_INT(f_features(cases[0].samples, F_WINDOW, out));
    PUT_STR(" ");
    PUT_INT(f_features(cases[0].samples, -1, out));
    PUT_STR(" ");
    PUT_INT(f_features(0, 0, out));
    PUT_STR("\\n");
    {
        /* the kernel itself refuses parameters that do not fit, before reading a sample */
        static const uint8_t mean[1] = { 0 };
        static const uint8_t unknown[1] = { 9 };
        static const int16_t beyond_nyquist[2] = { 1, F_WINDOW / 2 + 1 };
        const int32_t w = F_WINDOW;
        const int32_t a = F_AXES;
        const size_t n = (size_t)F_WINDOW * F_AXES;
        nn_features_s16_params_t p = { F_WINDOW, F_AXES, mean, 1, 0, 0, 0 };
        PUT_INT(nn_features_s16(&p, cases[0].samples, n - 1u, 0, out, (size_t)a));
        PUT_STR(" ");
        PUT_INT(nn_features_s16(&p, cases[0].samples, n, 0, out, (size_t)a + 1u));
        p.window = 1025;
        PUT_STR(" ");
        PUT_INT(nn_features_s16(&p, cases[0].samples, n, 0, out, (size_t)a));
        p.window = w;
        p.statistics = unknown;
        PUT_STR(" ");
        PUT_INT(nn_features_s16(&p, cases[0].samples, n, 0, out, (size_t)a));
        p.statistic_count = 0;
        p.bins = beyond_nyquist;
        p.band_count = 1;
        PUT_STR(" ");
        PUT_INT(nn_features_s16(&p, cases[0].samples, n, 0, out, (size_t)a));
        PUT_STR(" ");
        PUT_INT(nn_features_s16(0, cases[0].samples, n, 0, out, (size_t)a));
        PUT_STR("\\n");
    }
    return 0;
}
`,
  );
  return dir;
}

function expected(def: FeatureDefinition, cases: { samples: Int16Array; first: number }[]): string[] {
  const extract = featureExtractor(def);
  return [...cases.map((c) => `0 ${[...extract(c.samples, c.first)].join(" ")}`), "1 1 1", "1 1 1 1 1 1"];
}

const sources = (dir: string) =>
  readFileSync(join(dir, "CMakeLists.txt"), "utf8")
    .match(/[\w]+\.c/g)!
    .concat("harness.c");

/** Windows of every kind: random levels, full-scale square waves, constants at both extremes, noise. */
function windowCases(def: FeatureDefinition, count: number, seed: number) {
  const rng = new Rng(seed);
  const n = def.window * def.axes.length;
  const cases: { samples: Int16Array; first: number }[] = [
    { samples: new Int16Array(n).fill(-32768), first: 0 },
    { samples: new Int16Array(n).fill(32767), first: def.window - 1 },
    { samples: Int16Array.from({ length: n }, (_, i) => (i % 2 ? 32767 : -32768)), first: 1 },
    {
      samples: Int16Array.from({ length: n }, (_, i) =>
        Math.floor(i / def.axes.length) % 2 ? 32767 : -32768,
      ),
      first: 0,
    },
  ];
  while (cases.length < count) {
    const level = rng.int(65536) - 32768;
    const spread = 2 ** rng.int(17);
    const samples = Int16Array.from({ length: n }, () =>
      Math.max(-32768, Math.min(32767, level + Math.round((rng.next() * 2 - 1) * spread))),
    );
    cases.push({ samples, first: rng.int(def.window) });
  }
  return cases;
}

const definitions = fc.record({
  window: fc.integer({ min: 2, max: 300 }),
  axes: fc.integer({ min: 1, max: 3 }),
  statistics: fc.subarray([...STATISTICS]),
  bands: fc.integer({ min: 0, max: 3 }),
  stride: fc.integer({ min: 1, max: 300 }),
});

const qemu = await requireTools("features on Cortex-M", QEMU);

describe("generated C equals the TypeScript features bit for bit", () => {
  it("on the host (gcc, ASan and UBSan) for random definitions and windows", async () => {
    const samples = fc.sample(definitions, { numRuns: 6, seed: 42 });
    for (const [k, s] of samples.entries()) {
      const nyquist = Math.floor(s.window / 2);
      const bands: [number, number][] = [];
      for (let b = 0; b < s.bands && nyquist >= 1; b++) {
        const lo = 1 + ((b * 7 + k) % nyquist);
        bands.push([lo, Math.min(nyquist, lo + b * 3)]);
      }
      const def = resolveFeatures({
        ...base,
        axes: ["a", "b", "c"].slice(0, s.axes),
        window: s.window,
        stride: Math.min(s.stride, s.window),
        sampleRate: s.window, // bin k is k Hz
        statistics: s.statistics.length || bands.length ? s.statistics : ["std"],
        bands,
      });
      const cases = windowCases(def, 24, k);
      const dir = harnessFolder(def, cases);
      const run = await runHostHarness(dir, sources(dir), { sanitize: true });
      expect(run.stdout.trim().split("\n"), JSON.stringify(s)).toEqual(expected(def, cases));
    }
  }, 120_000);

  it.skipIf(qemu.missing.length > 0)(
    `on Cortex-M0 and M4 under QEMU${qemu.note}`,
    async () => {
      const def = resolveFeatures({
        ...base,
        axes: ["x", "y", "z"],
        window: 128,
        bands: [
          [1, 3],
          [4, 20],
          [21, 64],
        ],
        sampleRate: 128,
      });
      const cases = windowCases(def, 12, 9);
      const dir = harnessFolder(def, cases);
      for (const target of ["cortex-m0", "cortex-m4"]) {
        const run = await runCortexHarness(target, dir, sources(dir));
        expect(run.stdout.trim().split("\n"), target).toEqual(expected(def, cases));
      }
    },
    120_000,
  );
});
