/**
 * examples/motion end to end, as its README runs it: features of the raw recordings, training,
 * int8 quantization, export with the features, then the firmware of examples/motion/firmware built
 * with CMake (and the arm-none-eabi toolchain file) and with plain make, run under QEMU on a stream of
 * the test recordings: every window it prints equals the TypeScript pipeline's on the same stream.
 * Bad input on the host (nn2c) and on the device (the firmware's exit statuses) included.
 */
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFeatures } from "../../src/features/definition.js";
import { classifyStream, predictionLine } from "../../src/features/stream.js";
import { type RawSamples, readRawSamples } from "../../src/features/windows.js";
import { loadAnyModel } from "../../src/quant/io.js";
import { runQemu } from "../../src/toolchain/qemu.js";
import { ensureBuilt, expectUsageError, json, nn2c, ROOT } from "../cli/run.js";
import { tempDir } from "../codegen/helpers.js";
import { ICOUNT, QEMU, requireTools } from "../toolchain/available.js";

const EXAMPLE = join(ROOT, "examples/motion");
const FIRMWARE = join(EXAMPLE, "firmware");
const DEF = join(EXAMPLE, "motion.features.json");
/** 5100 samples: 201 windows of 100 at stride 25, across 13 recordings of the four classes */
const STREAM_SAMPLES = 5100;

const dir = tempDir("motion");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const out = (f: string) => join(dir, f);

const tools = await requireTools("motion firmware", QEMU);
const builds = await requireTools("motion firmware builds", [...QEMU, "cmake", "make"]);
const icount = await requireTools("motion bench", ICOUNT);

interface Counts {
  windows: number;
  perClass: Record<string, number>;
}

let trainCounts: Counts;
let testAccuracy: { float: number; int8: number };

beforeAll(async () => {
  await ensureBuilt();
  trainCounts = json<Counts>(
    await nn2c(["features", DEF, join(EXAMPLE, "train.csv"), "-o", out("train.csv"), "--json"]),
  );
  json(await nn2c(["features", DEF, join(EXAMPLE, "test.csv"), "-o", out("test.csv"), "--json"]));
  json(
    await nn2c(["train", out("train.csv"), "--test", out("test.csv"), "-o", out("motion.json"), "--json"]),
  );
  const q = json<{ test: { float: { accuracy: number }; integer: { accuracy: number } } }>(
    await nn2c([
      ...["quantize", out("motion.json"), "--calibration", out("train.csv"), "--precision", "int8"],
      ...["-o", out("motion.int8.json"), "--test", out("test.csv"), "--json"],
    ]),
  );
  testAccuracy = { float: q.test.float.accuracy, int8: q.test.integer.accuracy };
  json(
    await nn2c([
      ...["export", out("motion.int8.json"), "-o", out("model"), "--name", "motion"],
      ...["--features", DEF, "--json"],
    ]),
  );
}, 120_000);

describe("examples › motion: features and model", () => {
  it("cuts 13 windows from each 400-sample recording, evenly over the classes", () => {
    expect(trainCounts.windows).toBe(120 * 13);
    expect(trainCounts.perClass).toEqual({ circle: 390, idle: 390, updown: 390, wave: 390 });
  });

  it("classifies held-out windows well in float32 and int8", () => {
    expect(testAccuracy.float).toBeGreaterThan(0.9);
    expect(testAccuracy.int8).toBeGreaterThan(0.9);
  });

  it("exports the features with the model", () => {
    for (const f of [
      "motion_features.h",
      "motion_features.c",
      "nn_features_s16.c",
      "CMakeLists.txt",
      "motion.mk",
    ])
      expect(existsSync(out(`model/${f}`)), f).toBe(true);
    expect(readFileSync(out("model/motion.mk"), "utf8")).toMatch(/motion_features\.c/);
  });
});

/** The first `count` samples of the test recordings, as the device's input and as TypeScript sees them. */
function stream(count: number): { text: string; raw: RawSamples } {
  const def = loadFeatures(DEF);
  const all = readRawSamples(def, join(EXAMPLE, "test.csv"));
  const samples = all.samples.subarray(0, count * 3);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(`${samples[3 * i]},${samples[3 * i + 1]},${samples[3 * i + 2]}`);
  const raw = { ...all, samples, count, labels: all.labels?.slice(0, count), runs: [] };
  return { text: `${lines.join("\n")}\n`, raw };
}

function expectedLines(raw: RawSamples, model = out("motion.int8.json")): string[] {
  const def = loadFeatures(DEF);
  const m = loadAnyModel(model);
  const predictions = classifyStream(def, m, raw);
  return [...predictions.map(predictionLine), `windows ${predictions.length}`];
}

async function run(elf: string, options: { file?: string; stdin?: string }) {
  return runQemu("cortex-m4", elf, {
    args: options.file === undefined ? [] : [options.file],
    stdin: options.stdin,
    timeoutSeconds: 60,
  });
}

describe.skipIf(builds.missing.length > 0)(
  `examples › motion: the firmware on the Cortex-M4 (QEMU mps2-an386)${builds.note}`,
  () => {
    const cmakeElf = out("build-cmake/motion.elf");
    const makeElf = out("build-make/motion.elf");

    beforeAll(async () => {
      const configure = await execa(
        "cmake",
        [
          ...["-S", FIRMWARE, "-B", out("build-cmake")],
          `-DCMAKE_TOOLCHAIN_FILE=${join(FIRMWARE, "arm-none-eabi.cmake")}`,
          `-DMOTION_MODEL_DIR=${out("model")}`,
        ],
        { reject: false, all: true },
      );
      expect(configure.exitCode, configure.all).toBe(0);
      const build = await execa("cmake", ["--build", out("build-cmake")], { reject: false, all: true });
      expect(build.exitCode, build.all).toBe(0);
      expect(build.all).not.toMatch(/warning:/);
      const make = await execa("make", [`MODEL_DIR=${out("model")}`, `BUILD=${out("build-make")}`], {
        cwd: FIRMWARE,
        reject: false,
        all: true,
      });
      expect(make.exitCode, make.all).toBe(0);
      expect(make.all).not.toMatch(/warning:/);
    }, 120_000);

    it(`prints every window's class and confidence as TypeScript computes them (${STREAM_SAMPLES} samples, CMake build)`, async () => {
      const { text, raw } = stream(STREAM_SAMPLES);
      writeFileSync(out("stream.txt"), text);
      const expected = expectedLines(raw);
      expect(expected.length - 1).toBeGreaterThanOrEqual(200);
      const r = await run(cmakeElf, { file: out("stream.txt") });
      expect(r.status, r.stdout).toBe(0);
      expect(r.stdout.trimEnd().split("\n")).toEqual(expected);
      // and the predictions mean something: windows inside one recording mostly get its label
      const def = loadFeatures(DEF);
      const labels = raw.labels ?? [];
      const inside = classifyStream(def, loadAnyModel(out("motion.int8.json")), raw).filter(
        (p) => labels[p.first] === labels[p.last],
      );
      const right = inside.filter((p) => p.className === labels[p.first]).length;
      expect(right / inside.length).toBeGreaterThan(0.9);
    }, 120_000);

    it("reads standard input too (make build), up to a line 'end'", async () => {
      const { text, raw } = stream(150);
      const r = await run(makeElf, { stdin: `${text}end\n` });
      expect(r.status, r.stdout).toBe(0);
      expect(r.stdout.trimEnd().split("\n")).toEqual(expectedLines(raw));
    }, 60_000);

    it("the make and CMake builds print the same on the same stream", async () => {
      const { text } = stream(600);
      writeFileSync(out("short.txt"), text);
      const a = await run(cmakeElf, { file: out("short.txt") });
      const b = await run(makeElf, { file: out("short.txt") });
      expect(b.stdout).toBe(a.stdout);
      expect(a.stdout).toMatch(/^windows 21$/m);
    }, 60_000);

    it("runs a two-class model (one sigmoid output) too: idle or moving", async () => {
      for (const split of ["train", "test"]) {
        const text = readFileSync(out(`${split}.csv`), "utf8").replace(/,(wave|circle|updown)$/gm, ",moving");
        writeFileSync(out(`${split}2.csv`), text);
      }
      json(await nn2c(["train", out("train2.csv"), "-o", out("motion2.json"), "--json"]));
      json(
        await nn2c([
          ...["quantize", out("motion2.json"), "--calibration", out("train2.csv"), "--precision", "int8"],
          ...["-o", out("motion2.int8.json"), "--json"],
        ]),
      );
      const q = loadAnyModel(out("motion2.int8.json"));
      expect(q.model.output.classes).toEqual(["idle", "moving"]);
      json(
        await nn2c([
          ...["export", out("motion2.int8.json"), "-o", out("model2"), "--name", "motion"],
          ...["--features", DEF, "--json"],
        ]),
      );
      const make = await execa("make", [`MODEL_DIR=${out("model2")}`, `BUILD=${out("build-make2")}`], {
        cwd: FIRMWARE,
        reject: false,
        all: true,
      });
      expect(make.exitCode, make.all).toBe(0);
      const { text, raw } = stream(1000);
      writeFileSync(out("binary.txt"), text);
      const r = await run(out("build-make2/motion.elf"), { file: out("binary.txt") });
      expect(r.status, r.stdout).toBe(0);
      const expected = expectedLines(raw, out("motion2.int8.json"));
      expect(r.stdout.trimEnd().split("\n")).toEqual(expected);
      expect(expected.join("\n")).toMatch(/: idle \d+$/m);
      expect(expected.join("\n")).toMatch(/: moving \d+$/m);
    }, 120_000);

    it("exits 2 naming the line of a sample that is not three int16 integers", async () => {
      for (const bad of ["4,x,5", "4,5", "4,5,6,7", "40000,0,0", "-", `${"1".repeat(120)},0,0`]) {
        const r = await run(makeElf, { stdin: `1,2,3\n${bad}\nend\n` });
        expect(r.status, bad).toBe(2);
        expect(r.stdout, bad).toBe(
          "error: line 2: expected 3 integers from -32768 to 32767 separated by commas\n",
        );
      }
    }, 60_000);

    it("exits 3 when the stream ends before one window", async () => {
      writeFileSync(out("tiny.txt"), stream(99).text);
      const r = await run(cmakeElf, { file: out("tiny.txt") });
      expect(r.status).toBe(3);
      expect(r.stdout).toBe("error: the stream ended after 99 samples, fewer than one window of 100\n");
    }, 60_000);
  },
);

interface Bench {
  targets: {
    instructions: number;
    weightBytes: number;
    codeBytes: number;
    stackBytes: number;
    window?: { featureInstructions: number; instructions: number; stackBytes: number };
  }[];
}

describe.skipIf(icount.missing.length > 0)(`examples › motion: nn2c bench --features${icount.note}`, () => {
  it("measures a window: the features, then the model, with their tables and code", async () => {
    const model = out("motion.int8.json");
    const plain = json<Bench>(await nn2c(["bench", model, "-t", "cortex-m4", "--json"])).targets[0];
    const withFeatures = json<Bench>(
      await nn2c(["bench", model, "-t", "cortex-m4", "--features", DEF, "--json"]),
    ).targets[0];
    const w = withFeatures.window;
    expect(plain.window).toBeUndefined();
    expect(w).toBeDefined();
    if (!w) return;
    expect(withFeatures.instructions).toBe(plain.instructions); // the model alone is unchanged
    // a window's features cost at least one multiply-accumulate per sample, bin and axis (16 bins)
    expect(w.featureInstructions).toBeGreaterThan(100 * 16 * 3);
    expect(w.instructions - w.featureInstructions).toBeGreaterThan(plain.instructions);
    expect(w.stackBytes).toBeGreaterThan(plain.stackBytes);
    // the {cos, sin} table of 100 pairs and the band bins are constant data; the kernel is code
    expect(withFeatures.weightBytes - plain.weightBytes).toBeGreaterThanOrEqual(100 * 4 + 4 * 4);
    expect(withFeatures.codeBytes).toBeGreaterThan(plain.codeBytes);
  }, 120_000);
});

interface Verified {
  vectors: number;
  windows: number;
  mismatches: number;
  accuracy: number;
  samples: number;
}

describe("examples › motion: nn2c verify --features", () => {
  const args = ["verify", out("motion.int8.json"), "--features", DEF, "--data", join(EXAMPLE, "test.csv")];

  it("runs windows of the raw test file, the extremes and random windows through the C: bit-exact", async () => {
    const r = json<Verified>(await nn2c([...args, "-t", "host", "--json"]));
    expect(r.mismatches).toBe(0);
    expect(r.windows).toBe(128 + 4 + 100); // from the file, the extremes, random (host default)
    expect(r.samples).toBe(128);
    expect(r.accuracy).toBeGreaterThan(0.9);
  }, 60_000);

  it("fails, exit 1, when the generated window code is changed", async () => {
    const templates = out("templates");
    cpSync(join(ROOT, "templates"), templates, { recursive: true });
    const file = join(templates, "features.c.hbs");
    const text = readFileSync(file, "utf8");
    expect(text).toContain("input[i] = (float)features[i];");
    writeFileSync(
      file,
      text.replace("input[i] = (float)features[i];", "input[i] = (float)(features[i] + 1);"),
    );
    const r = await nn2c([...args, "-t", "host", "--templates", templates]);
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr)).toMatch(/outputs differ from the TypeScript reference/);
    expect(String(r.stderr)).toMatch(/predict_window vector/);
  }, 60_000);

  it.skipIf(tools.missing.length > 0)(
    "on the Cortex-M0, where the features run without an FPU or 64-bit multiply",
    async () => {
      const r = json<Verified>(await nn2c([...args, "-t", "cortex-m0", "--json"]));
      expect(r.mismatches).toBe(0);
      expect(r.windows).toBe(128 + 4 + 20);
    },
    120_000,
  );
});

describe("examples › motion: nn2c features", () => {
  it("--stream windows the whole file as the device does, across recordings, without labels", async () => {
    const r = json<Counts>(
      await nn2c(["features", DEF, join(EXAMPLE, "test.csv"), "-o", out("stream.csv"), "--stream", "--json"]),
    );
    expect(r.windows).toBe((16000 - 100) / 25 + 1);
    const lines = readFileSync(out("stream.csv"), "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(r.windows + 1);
    expect(lines[0].split(",")).toHaveLength(24);
    expect(lines[0]).not.toMatch(/label/);
  });

  it("replaces its own output but not a file it did not write, unless --force", async () => {
    const target = out("foreign.csv");
    writeFileSync(target, "my,own,data\n1,2,3\n");
    const args = ["features", DEF, join(EXAMPLE, "test.csv"), "-o", target];
    expectUsageError(await nn2c(args), "foreign.csv: exists and was not written by nn2c; use --force");
    expect(readFileSync(target, "utf8")).toBe("my,own,data\n1,2,3\n");
    expect((await nn2c([...args, "--force"])).exitCode).toBe(0);
    expect((await nn2c(args)).exitCode).toBe(0); // now it is ours
    expect(readFileSync(target, "utf8")).toMatch(/^ax_mean,ax_rms,/);
  });
});

describe("examples › motion: bad input on the host", () => {
  it("a sample that is not an int16 integer: the file, line and column", async () => {
    const raw = out("bad.csv");
    writeFileSync(raw, "recording,ax,ay,az,label\n0,1,2,3,idle\n0,1,abc,3,idle\n");
    expectUsageError(
      await nn2c(["features", DEF, raw, "-o", out("bad-features.csv")]),
      "bad.csv: line 3, column 'ay': expected an integer sample from -32768 to 32767, got 'abc'",
    );
    writeFileSync(raw, "recording,ax,ay,az,label\n0,1,2,3.5,idle\n");
    expectUsageError(
      await nn2c(["features", DEF, raw, "-o", out("bad-features.csv")]),
      "line 2, column 'az'",
    );
    expect(existsSync(out("bad-features.csv"))).toBe(false);
  });

  it("a stream shorter than one window", async () => {
    const raw = out("short.csv");
    writeFileSync(raw, `recording,ax,ay,az,label\n${"0,1,2,3,idle\n".repeat(60)}`);
    expectUsageError(
      await nn2c(["features", DEF, raw, "-o", out("short-features.csv")]),
      "short.csv: 60 samples, fewer than one window of 100",
    );
  });

  it("a definition whose features are not the model's inputs", async () => {
    const def = JSON.parse(readFileSync(DEF, "utf8"));
    const other = out("other.features.json");
    writeFileSync(other, JSON.stringify({ ...def, statistics: ["mean", "std"] }));
    expectUsageError(
      await nn2c([
        "export",
        out("motion.int8.json"),
        "-o",
        out("other-c"),
        "--name",
        "motion",
        "--features",
        other,
      ]),
      "other.features.json: does not match the inputs of",
      "it gives 18 features",
      "the model takes 24 inputs",
    );
    expect(existsSync(out("other-c"))).toBe(false);
  });

  it("a definition that is not JSON: one line", async () => {
    expectUsageError(
      await nn2c(["features", join(EXAMPLE, "test.csv"), join(EXAMPLE, "test.csv"), "-o", out("y.csv")]),
      "test.csv: not a valid JSON feature definition",
    );
  });

  it("a malformed definition names the field", async () => {
    const def = JSON.parse(readFileSync(DEF, "utf8"));
    const bad = out("bad.features.json");
    writeFileSync(bad, JSON.stringify({ ...def, window: 100, stride: 200 }));
    expectUsageError(await nn2c(["features", bad, join(EXAMPLE, "test.csv"), "-o", out("x.csv")]), "stride");
    writeFileSync(bad, JSON.stringify({ ...def, axes: ["ax", "gx"] }));
    expectUsageError(
      await nn2c(["features", bad, join(EXAMPLE, "test.csv"), "-o", out("x.csv")]),
      "test.csv: line 1: no column 'gx'",
    );
  });
});

describe("examples › motion: a Conv1D model on the raw windows, as the README runs it", () => {
  // a minute of training: npm run test:examples (CI) runs it, npm test leaves it out
  it.skipIf(process.env.NN2C_EXAMPLES !== "full")(
    "features --raw writes each window's samples; conv1d trains, quantizes and verifies bit-exact",
    async () => {
      const raw = (split: string) => out(`motion-raw-${split}.csv`);
      for (const split of ["train", "test"]) {
        const r = json<{ windows: number; featureCount: number }>(
          await nn2c(["features", DEF, join(EXAMPLE, `${split}.csv`), "--raw", "-o", raw(split), "--json"]),
        );
        expect(r.featureCount).toBe(300);
        expect(r.windows).toBe(split === "train" ? 1560 : 520);
      }
      // one row is one window: 100 samples of ax, ay, az, channels last
      const [header, first] = readFileSync(raw("test"), "utf8").split("\n");
      expect(header.split(",").slice(0, 4)).toEqual(["ax_0", "ay_0", "az_0", "ax_1"]);
      const samples = readRawSamples(loadFeatures(DEF), join(EXAMPLE, "test.csv")).samples;
      expect(first.split(",").slice(0, 300).map(Number)).toEqual(Array.from(samples.subarray(0, 300)));
      const model = out("motion-conv.json");
      const train = json<{ test: { accuracy: number } }>(
        await nn2c([
          ...["train", raw("train"), "--test", raw("test"), "-o", model],
          ...["--architecture", "conv1d", "--input-shape", "100,3", "--json"],
        ]),
      );
      // the README's table: 0.8442 with seed 0
      expect(train.test.accuracy).toBeGreaterThan(0.8);
      const q = out("motion-conv.int8.json");
      expect((await nn2c(["quantize", model, "--calibration", raw("train"), "-o", q])).exitCode).toBe(0);
      const verify = json<{ mismatches: number; accuracy: number }>(
        await nn2c(["verify", q, "-t", "host", "--data", raw("test"), "--json"]),
      );
      expect(verify.mismatches).toBe(0);
      expect(verify.accuracy).toBeGreaterThan(0.8);
      if (tools.missing.length > 0) return;
      // 520 windows of 300 floats do not fit the micro:bit's flash with the model: verify runs them as
      // several harnesses, and the accuracy over all of them is the host's
      const m0 = json<{ mismatches: number; accuracy: number; vectors: number; samples: number }>(
        await nn2c(["verify", q, "-t", "cortex-m0", "--data", raw("test"), "--json"]),
      );
      expect(m0).toMatchObject({ mismatches: 0, samples: 520 });
      expect(m0.accuracy).toBeCloseTo(verify.accuracy, 12);
    },
    180_000,
  );
});
