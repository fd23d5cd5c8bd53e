/**
 * Test programs for the dense kernels (firmware/nn/src/nn_dense_*.c): seeded layers of awkward sizes,
 * their weights in the blocked layout the generator writes, and the outputs the TypeScript reference
 * (runDense in src/ops/dense/quant.ts) gives. The C program runs each layer through the kernel as compiled
 * for the target (its fast path) and through the same file compiled with NN_DENSE_REFERENCE=1 (its
 * reference loop), and checks both against the TypeScript outputs bit for bit; each fast call is a
 * marked region for the instruction counter.
 */
import { denseWeightIndex } from "../../src/ops/dense/emit.js";
import { type DenseQOp, runDense } from "../../src/ops/dense/quant.js";
import { INT32_MAX, quantizeMultiplier, reducedMultiplier } from "../../src/quant/fixedpoint.js";
import { Rng } from "../../src/rng.js";

export type Kernel = "s8" | "s16" | "s16_s64";
export const KERNELS: Kernel[] = ["s8", "s16", "s16_s64"];

/** The sizes the issue names: 1, 3, 15, 16, 17, 33 and 1001 inputs (and 8, 24: a last half chunk, which
 * Cortex-M0 and the DSP cores take in assembly); 1 and odd numbers of rows (and 4, 8). */
export const INPUT_SIZES = [1, 3, 8, 15, 16, 17, 24, 33, 1001];
export const OUTPUT_SIZES = [1, 3, 4, 5, 8, 9];

interface KernelInfo {
  fn: string;
  params: string;
  code: string;
  codeLo: number;
  codeHi: number;
  s64: boolean;
}

export const KERNEL_INFO: Record<Kernel, KernelInfo> = {
  s8: {
    fn: "nn_dense_s8",
    params: "nn_dense_s8_params_t",
    code: "int8_t",
    codeLo: -128,
    codeHi: 127,
    s64: false,
  },
  s16: {
    fn: "nn_dense_s16",
    params: "nn_dense_s16_params_t",
    code: "int16_t",
    codeLo: -32768,
    codeHi: 32767,
    s64: false,
  },
  s16_s64: {
    fn: "nn_dense_s16_s64",
    params: "nn_dense_s16_s64_params_t",
    code: "int16_t",
    codeLo: -32768,
    codeHi: 32767,
    s64: true,
  },
};

/** A dense op as the kernel test builds it: the op, its input count and its output zero point. */
export type TestOp = DenseQOp & { inputCount: number; zp: number };

export interface Case {
  name: string;
  op: TestOp;
  input: number[];
  expected: number[];
  /** bytes the input is placed after a 4-byte boundary (0-3) */
  misalign: number;
  /** the weights one byte past a 4-byte boundary: the DSP path must fall back to the reference */
  unalignedWeights?: boolean;
}

/** A layer with seeded weights and multipliers that send most outputs inside the clamp. */
function layer(kernel: Kernel, nIn: number, nOut: number, leaky: boolean, rng: Rng, extreme = false): TestOp {
  const k = KERNEL_INFO[kernel];
  const maxCode = -k.codeLo;
  // s16 with an int32 accumulator: keep the worst case inside int32 (the quantizer would choose s64)
  const wMax = kernel === "s16" ? Math.min(127, Math.floor((INT32_MAX - 2 ** 20) / (maxCode * nIn))) : 127;
  const weights = Array.from({ length: nOut }, () =>
    Array.from({ length: nIn }, () =>
      extreme ? (rng.next() < 0.5 ? -wMax : wMax) : rng.int(2 * wMax + 1) - wMax,
    ),
  );
  const outHalf = (k.codeHi - k.codeLo) / 2;
  const bound = (o: number) => maxCode * weights[o].reduce((s, w) => s + Math.abs(w), 0);
  const typical = (o: number) =>
    Math.max(1, Math.sqrt(nIn) * (maxCode / 2) * (wMax / 2) + (bound(o) === 0 ? 1 : 0));
  const bias = weights.map((_, o) => {
    const b = Math.round((rng.next() - 0.5) * typical(o));
    return k.s64 ? b * (rng.next() < 0.3 ? 4096 : 1) : b;
  });
  const mults: number[] = [];
  const shifts: number[] = [];
  const negMults: number[] = [];
  const negShifts: number[] = [];
  const accBound = weights.map((_, o) => Math.abs(bias[o]) + bound(o));
  const quantize = k.s64 ? reducedMultiplier : quantizeMultiplier;
  for (let o = 0; o < nOut; o++) {
    // a real scale that maps a typical accumulator to about half the output range, 0 now and then
    const real =
      rng.next() < 0.05 ? 0 : (outHalf / (typical(o) + Math.abs(bias[o]))) * 2 ** (3 * rng.next() - 1.5);
    let q = quantize(real);
    // the int32 path needs acc * 2^max(shift, 0) inside int32 (nn_requantize's precondition)
    while (!k.s64 && q.shift > 0 && accBound[o] * 2 ** q.shift > INT32_MAX) q = quantize(real / 2 ** q.shift);
    mults.push(q.mult);
    shifts.push(q.shift);
    const n = quantize(real * (0.05 + 0.3 * rng.next()));
    negMults.push(n.mult);
    negShifts.push(n.shift);
  }
  const zp = kernel === "s8" ? rng.int(256) - 128 : 0;
  const relu = rng.next() < 0.5;
  const clampLo = relu ? Math.max(k.codeLo, zp) : k.codeLo;
  const clampHi = rng.next() < 0.2 ? Math.min(k.codeHi, zp + Math.floor(outHalf / 3)) : k.codeHi;
  const op: TestOp = {
    kind: "dense",
    name: "dense",
    inputs: ["input"],
    output: "dense",
    inputCount: nIn,
    zp,
    activation: leaky ? "leaky_relu" : relu ? "relu" : "linear",
    units: nOut,
    weights,
    weightScales: weights.map(() => 1),
    bias,
    accumulator: k.s64 ? "s64" : "s32",
    accumulatorBound: Math.max(...accBound),
    mult: mults,
    shift: shifts,
    clampLo: leaky ? k.codeLo : clampLo,
    clampHi,
  };
  if (leaky) {
    op.negMult = negMults;
    op.negShift = negShifts;
  }
  return op;
}

/**
 * A layer whose accumulators are its biases (n_in = 3, inputs 0): requantization over the whole range
 * of accumulators, multipliers and shifts, ties included (multiplier 2^30 with small shifts).
 */
function requantLayer(kernel: Kernel, nOut: number, leaky: boolean, rng: Rng): TestOp {
  const k = KERNEL_INFO[kernel];
  const op = layer(kernel, 3, nOut, leaky, rng);
  const accMax = k.s64 ? 2 ** 47 - 1 : INT32_MAX;
  const pick = (q: { mult: number; shift: number }, o: number) => {
    const r = rng.next();
    if (r < 0.15) {
      // exact halves: multiplier 0.5 and a short shift
      return { mult: k.s64 ? 2 ** 15 : 2 ** 30, shift: -rng.int(6) };
    }
    if (r < 0.2) return { mult: k.s64 ? 2 ** 16 - 1 : INT32_MAX, shift: q.shift };
    if (r < 0.25) return { mult: 0, shift: q.shift };
    // log-uniform multiplier scale, then an accumulator sized to land near the output range
    const shift = k.s64 ? -47 + rng.int(63) : -31 + rng.int(62);
    const mult = k.s64 ? 2 ** 15 + rng.int(2 ** 15) : 2 ** 30 + rng.int(2 ** 30);
    void o;
    return { mult, shift };
  };
  for (let o = 0; o < nOut; o++) {
    const q = pick({ mult: op.mult[o], shift: op.shift[o] }, o);
    op.mult[o] = q.mult;
    op.shift[o] = q.shift;
    const scale = k.s64 ? q.mult * 2 ** (q.shift - 16) : q.mult * 2 ** (q.shift - 31);
    const outRange = (k.codeHi - k.codeLo) * (0.2 + 2 * rng.next());
    let acc = scale > 0 ? Math.round(outRange / scale) : rng.int(2 ** 31);
    if (rng.next() < 0.1) acc = Math.round(rng.next() * accMax);
    const leftMax = k.s64 ? accMax : Math.floor(INT32_MAX / 2 ** Math.max(q.shift, 0));
    acc = Math.min(acc, leftMax, accMax);
    op.bias[o] = rng.next() < 0.5 ? -acc : acc;
    if (op.negMult && op.negShift) {
      op.negMult[o] = q.mult === 0 ? 0 : Math.max(k.s64 ? 2 ** 15 : 2 ** 30, q.mult - rng.int(1000));
      op.negShift[o] = Math.min(q.shift, k.s64 ? 15 : 30) - rng.int(4);
      if (op.negShift[o] < (k.s64 ? -47 : -31)) op.negShift[o] = k.s64 ? -47 : -31;
    }
  }
  op.clampLo = k.codeLo;
  op.clampHi = k.codeHi;
  op.zp = 0;
  op.accumulatorBound = Math.max(...op.bias.map(Math.abs));
  for (const row of op.weights) row.fill(0);
  return op;
}

function inputs(kernel: Kernel, n: number, rng: Rng, extreme: boolean): number[] {
  const k = KERNEL_INFO[kernel];
  return Array.from({ length: n }, () => {
    if (extreme) return rng.next() < 0.5 ? k.codeLo : k.codeHi;
    const r = rng.next();
    if (r < 0.05) return k.codeLo;
    if (r < 0.1) return k.codeHi;
    return k.codeLo + rng.int(k.codeHi - k.codeLo + 1);
  });
}

function expectedOutputs(op: TestOp, input: number[]): number[] {
  const out = new Int32Array(op.units);
  runDense(op, input, out, op.zp);
  return Array.from(out);
}

/** The case whose instructions per MAC the tests bound per core (256 inputs, 16 outputs). */
export const THROUGHPUT_CASE = "256x16 throughput";

/** Every layer the kernel is tested on. */
export function makeCases(kernel: Kernel, seed = 1): Case[] {
  const rng = new Rng(seed * 7919 + KERNELS.indexOf(kernel));
  const cases: Case[] = [];
  let n = 0;
  const add = (name: string, op: TestOp, input: number[], extra: Partial<Case> = {}) => {
    cases.push({ name, op, input, expected: expectedOutputs(op, input), misalign: n++ % 4, ...extra });
  };
  for (const nIn of INPUT_SIZES) {
    const outs = nIn > 100 ? [1, 5] : OUTPUT_SIZES;
    for (const nOut of outs) {
      const leaky = (nIn + nOut) % 2 === 1;
      add(
        `${nIn}x${nOut}${leaky ? " leaky" : ""}`,
        layer(kernel, nIn, nOut, leaky, rng),
        inputs(kernel, nIn, rng, false),
      );
    }
  }
  // the largest sums: every input and weight at an end of its range
  for (const [nIn, nOut] of [
    [33, 5],
    [1001, 3],
  ]) {
    const op = layer(kernel, nIn, nOut, false, rng, true);
    add(`${nIn}x${nOut} extreme`, op, inputs(kernel, nIn, rng, true));
  }
  add("requantization 3x301", requantLayer(kernel, 301, false, rng), [0, 0, 0]);
  add("requantization 3x301 leaky", requantLayer(kernel, 301, true, rng), [0, 0, 0]);
  const op = layer(kernel, 40, 7, true, rng);
  add("40x7 leaky, weights not 4-byte aligned", op, inputs(kernel, 40, rng, false), {
    unalignedWeights: true,
  });
  // the steady state of the fast paths (whole groups of rows and chunks of inputs): instructions per MAC
  add(THROUGHPUT_CASE, layer(kernel, 256, 16, false, rng), inputs(kernel, 256, rng, false));
  return cases;
}

function cArray(values: (number | string)[], perLine = 16): string {
  const lines: string[] = [];
  for (let k = 0; k < values.length; k += perLine)
    lines.push(`    ${values.slice(k, k + perLine).join(", ")},`);
  return lines.join("\n");
}

function cInt64(v: number): string {
  return v === -(2 ** 63) ? "INT64_MIN" : `INT64_C(${v})`;
}

function cInt32(v: number): string {
  return v === -(2 ** 31) ? "INT32_MIN" : `${v}`;
}

/**
 * The C test program: runs every case through the fast kernel (marked region id = case index + 1)
 * and the reference, compares both with the TypeScript outputs, prints the first mismatches and a
 * summary line "dense <kernel>: <n> cases, <f> failed", and exits with the number of failed cases.
 */
export function testProgram(kernel: Kernel, cases: Case[]): string {
  const k = KERNEL_INFO[kernel];
  const maxIn = Math.max(...cases.map((c) => c.op.inputCount));
  const maxOut = Math.max(...cases.map((c) => c.op.units));
  const parts: string[] = [];
  cases.forEach((c, i) => {
    const { op } = c;
    const blocked = new Array(op.units * op.inputCount);
    for (let o = 0; o < op.units; o++)
      for (let j = 0; j < op.inputCount; j++)
        blocked[denseWeightIndex(op.inputCount, op.units, o, j)] = op.weights[o][j];
    // the unaligned case: one spare byte in front of its weights
    const pad = c.unalignedWeights ? 1 : 0;
    parts.push(`/* case ${i}: ${c.name} */
static const int8_t w${i}[${blocked.length + pad}] NN_WEIGHTS_ALIGNED = {
${pad ? "    0,\n" : ""}${cArray(blocked)}
};
static const ${k.s64 ? "int64_t" : "int32_t"} b${i}[${op.units}] = {
${cArray(op.bias.map(k.s64 ? cInt64 : cInt32), 8)}
};
static const int32_t m${i}[${op.units}] = {
${cArray(op.mult, 8)}
};
static const int32_t s${i}[${op.units}] = {
${cArray(op.shift)}
};
${
  op.negMult && op.negShift
    ? `static const int32_t nm${i}[${op.units}] = {
${cArray(op.negMult, 8)}
};
static const int32_t ns${i}[${op.units}] = {
${cArray(op.negShift)}
};
`
    : ""
}static const ${k.code} x${i}[${op.inputCount}] = {
${cArray(c.input.map(cInt32))}
};
static const ${k.code} e${i}[${op.units}] = {
${cArray(c.expected.map(cInt32))}
};`);
  });
  const table = cases
    .map((c, i) => {
      const { op } = c;
      const leaky = op.negMult !== undefined;
      return `    {{${op.inputCount}, ${op.units}, w${i} + ${c.unalignedWeights ? 1 : 0}, b${i}, m${i}, s${i}, ${leaky ? `nm${i}` : "NULL"}, ${
        leaky ? `ns${i}` : "NULL"
      }, ${op.zp}, ${op.clampLo}, ${op.clampHi}}, x${i}, e${i}, ${c.misalign}, "${c.name}"},`;
    })
    .join("\n");
  return `/* dense ${kernel} kernel test: generated by test/firmware/dense.ts */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nn.h"

#ifdef NN_TEST_HOST
#include <stdio.h>
static void board_puts(const char *s) { fputs(s, stdout); }
static void board_put_int(int32_t v) { printf("%ld", (long)v); }
static void test_mark_begin(uint32_t id) { (void)id; }
static void test_mark_end(uint32_t id) { (void)id; }
#else
#include "board.h"
/* Markers reading a window at the end of flash (test_mark_window, set at link time) that no data
 * reaches: QEMU 7.2 passes the loads of MVE instructions to the memory callbacks of the last
 * instrumented instruction, so vector loads of weights inside board_mark_window (the start of flash)
 * would be taken for marker calls. */
extern const volatile uint8_t test_mark_window[];
__attribute__((noipa, used)) void test_mark_begin(uint32_t id) { (void)test_mark_window[id & 0xFFFFu]; }
__attribute__((noipa, used)) void test_mark_end(uint32_t id) { (void)test_mark_window[id & 0xFFFFu]; }
#endif

/* the reference loop: the same file compiled with NN_DENSE_REFERENCE=1 (ref_${k.fn}.c) */
int ref_${k.fn}(const ${k.params} *p, const ${k.code} *in, ${k.code} *out);

${parts.join("\n")}

typedef struct {
    ${k.params} p;
    const ${k.code} *x;
    const ${k.code} *e;
    uint32_t misalign;
    const char *name;
} test_case_t;

static const test_case_t cases[${cases.length}] = {
${table}
};

/* inputs copied to an offset of 0-3 elements after a 4-byte boundary; outputs with a guard after */
static union { uint32_t align; ${k.code} v[${maxIn + 4}]; } inbuf;
#define GUARD ((${k.code})0x55)
static ${k.code} out_fast[${maxOut + 1}];
static ${k.code} out_ref[${maxOut + 1}];

static int check(const test_case_t *c, int index, const char *path, const ${k.code} *got)
{
    int32_t o;
    int shown = 0;
    int bad = 0;
    for (o = 0; o < c->p.n_out; ++o) {
        if (got[o] != c->e[o]) {
            if (shown < 3) {
                board_puts("mismatch: case ");
                board_put_int(index);
                board_puts(" (");
                board_puts(c->name);
                board_puts(") ");
                board_puts(path);
                board_puts(" output ");
                board_put_int(o);
                board_puts(": ");
                board_put_int(got[o]);
                board_puts(" expected ");
                board_put_int(c->e[o]);
                board_puts("\\n");
                ++shown;
            }
            ++bad;
        }
    }
    if (got[c->p.n_out] != GUARD) {
        board_puts("mismatch: case ");
        board_put_int(index);
        board_puts(" ");
        board_puts(path);
        board_puts(" wrote past its last output\\n");
        ++bad;
    }
    return bad;
}

int main(void)
{
    int failed = 0;
    int i;
    int o;
    for (i = 0; i < ${cases.length}; ++i) {
        const test_case_t *c = &cases[i];
        ${k.code} *in = inbuf.v + c->misalign;
        int status_fast;
        int status_ref;
        int bad;
        memcpy(in, c->x, (size_t)c->p.n_in * sizeof *in);
        for (o = 0; o <= ${maxOut}; ++o) {
            out_fast[o] = GUARD;
            out_ref[o] = GUARD;
        }
        test_mark_begin((uint32_t)i + 1u);
        status_fast = ${k.fn}(&c->p, in, out_fast);
        test_mark_end((uint32_t)i + 1u);
        status_ref = ref_${k.fn}(&c->p, in, out_ref);
        bad = (status_fast != NN_OK) + (status_ref != NN_OK);
        bad += check(c, i, "fast", out_fast);
        bad += check(c, i, "reference", out_ref);
        failed += bad != 0;
    }
    board_puts("dense ${kernel}: ");
    board_put_int(${cases.length});
    board_puts(" cases, ");
    board_put_int(failed);
    board_puts(" failed\\n");
    return failed;
}
`;
}

/** ref_<kernel>.c: the kernel's file compiled with its reference loop alone, under another name. */
export function referenceWrapper(kernel: Kernel): string {
  const fn = KERNEL_INFO[kernel].fn;
  return `/* the reference loop of ${fn}, for the kernel test */
#define NN_DENSE_REFERENCE 1
#define ${fn} ref_${fn}
#define nn_dense_s8_each ref_nn_dense_s8_each
#include "${fn}.c"
`;
}
