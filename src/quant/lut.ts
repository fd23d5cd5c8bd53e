/**
 * Elementwise activation tables built from a double-precision function f(x), and their exact integer
 * evaluation (mirrored bit for bit by firmware/nn/src/nn_table_s8.c and nn_table_s16.c).
 *
 * int8: 256 correctly rounded entries indexed by `q + 128`.
 *
 * int16: a piecewise-linear table over the input codes where the output is not saturated. Let `d` be
 * the input code (`|q|` for point-symmetric functions, whose negative half is mirrored). Codes below
 * `codeLo` or above `codeHi` give the saturated outputs `lowOut` / `highOut`. Inside, the offset
 * `r = d - codeLo` falls in one of up to 8 zones; zone z starts at offset `zoneStart[z]` with knot
 * `zoneKnot[z]` and has segments `2^zoneLog2[z]` codes long, so knots sit on input codes and the
 * segment length follows the curvature of f (short where it bends, long where it is nearly straight).
 * With `u = r - zoneStart[z]`, `a = zoneLog2[z]`: `k = zoneKnot[z] + (u >> a)` and the Q15 weight
 * `w = (u & (2^a - 1)) << (15 - a)`. The entries are uint16 offsets and the output is
 *   `outBase + ((e[k]·(2^15 - w) + e[k+1]·w + rounding) >> shift)`
 * all in uint32: `shift = 15 + fracBits` where fracBits (0..15) is the extra precision of the entries,
 * and `rounding` folds in half an output LSB plus the fractional part of the entry offset, so the
 * result is the interpolated value rounded half up. Symmetric tables then map `q < 0` to
 * `mirror - out(|q|)`, and every output is saturated to int16.
 */
import { createHash } from "node:crypto";
import type { QuantParams } from "../core/quant.js";
import { clamp, clampS8, clampS16, roundHalfAwayFromZero } from "./fixedpoint.js";

export type { QuantParams };

/** int8 → int8 table: `entries[q + 128]` is the output code of input code q. */
export interface TableS8 {
  kind: "table_s8";
  input: QuantParams;
  output: QuantParams;
  entries: number[];
}

/** int16 → int16 interpolated table; every field but `input`/`output` is a parameter of the C kernel. */
export interface TableS16 {
  kind: "table_s16";
  input: QuantParams;
  output: QuantParams;
  /** Point symmetry: `out(q) = mirror - out(-q)` for q < 0, with `d = |q|` indexing the table. */
  symmetric: boolean;
  mirror: number;
  /** First and last input code (`d`) interpolated by the table. */
  codeLo: number;
  codeHi: number;
  /** Output (before the mirror and int16 saturation) for `d < codeLo` and `d > codeHi`. */
  lowOut: number;
  highOut: number;
  /** Per zone (1 to 8): first offset `d - codeLo` (the first is 0), first knot, log2 of the segment length. */
  zoneStart: number[];
  zoneKnot: number[];
  zoneLog2: number[];
  /** Right shift applied to the interpolated sum: 15 + the entries' fractional bits. */
  shift: number;
  /** Rounding constant added before the shift (< 2^31). */
  rounding: number;
  /** Integer added after the shift. */
  outBase: number;
  /** uint16 knot values, at most 512 (1 KB). */
  entries: number[];
}

/** Options of {@link buildTableS16}. */
export interface TableS16Options {
  /**
   * Declares `f(-x) = 2·centre - f(x)` (sigmoid: 0.5, tanh: 0): only `x ≥ 0` is tabulated. The
   * input zero point must be 0 and `centre` must map to a multiple of half an output code. The claim
   * is checked over every input code.
   */
  symmetry?: { centre: number };
  /** Upper bound on the entry count, default 512 (1 KB of uint16). */
  maxEntries?: number;
}

/** Error of a table against double precision, over every input code. */
export interface TableError {
  maxErrorLsb: number;
  meanErrorLsb: number;
  entries: number;
  bytes: number;
}

const S16_MIN = -32768;
const S16_MAX = 32767;
const Q15 = 32768;
const UINT16_MAX = 65535;

function checkQuant(name: string, q: QuantParams): void {
  if (!(Number.isFinite(q.scale) && q.scale > 0) || !Number.isInteger(q.zeroPoint)) {
    throw new RangeError(`${name}: scale must be finite and positive, zero point an integer`);
  }
}

function evalFinite(f: (x: number) => number, x: number): number {
  const y = f(x);
  if (!Number.isFinite(y)) throw new RangeError(`table: f(${x}) = ${y} is not finite`);
  return y;
}

/**
 * Builds the int8 table of f: `entries[q + 128] = clamp(round(f(s_in·(q - zp_in)) / s_out) + zp_out,
 * -128, 127)`, rounding ties away from zero: at most 0.5 LSB from the real output before clamping.
 */
export function buildTableS8(f: (x: number) => number, inQ: QuantParams, outQ: QuantParams): TableS8 {
  checkQuant("buildTableS8 input", inQ);
  checkQuant("buildTableS8 output", outQ);
  const entries: number[] = [];
  for (let q = -128; q <= 127; q++) {
    const y = evalFinite(f, inQ.scale * (q - inQ.zeroPoint)) / outQ.scale;
    entries.push(clampS8(roundHalfAwayFromZero(y) + outQ.zeroPoint));
  }
  return { kind: "table_s8", input: { ...inQ }, output: { ...outQ }, entries };
}

/** The output code of input code q (int8), as nn_table_s8 computes it. */
export function applyTableS8(table: TableS8, q: number): number {
  return table.entries[q + 128];
}

/** The output code of input code q (int16), exactly as nn_table_s16 computes it. */
export function evalTableS16(table: TableS16, q: number): number {
  const mirrored = table.symmetric && q < 0;
  const d = mirrored ? -q : q;
  let v: number;
  if (d < table.codeLo) v = table.lowOut;
  else if (d > table.codeHi) v = table.highOut;
  else {
    const [k, w] = locate(table, d - table.codeLo);
    const sum = table.entries[k] * (Q15 - w) + table.entries[k + 1] * w;
    v = table.outBase + Math.floor((sum + table.rounding) / 2 ** table.shift);
  }
  return clampS16(mirrored ? table.mirror - v : v);
}

/**
 * Builds the int16 interpolated table of f (see the module comment for the evaluation):
 * 1. tails: the longest runs of codes at each end that one constant output code serves within 0.5 LSB
 *    (on both halves for symmetric tables) become `lowOut` / `highOut`;
 * 2. knots: when the remaining codes fit in `maxEntries`, every code is a knot and the entries are the
 *    correctly rounded outputs; otherwise {@link placeKnots} chooses power-of-two segment lengths
 *    from the curvature of f;
 * 3. values: the least-squares fit, over every interpolated code, of the real output (clamped to
 *    int16, or to one code beyond it for symmetric tables so that the mirrored half reaches the other
 *    end), given as many fractional bits as the uint16 range allows, then rounded to integers by
 *    {@link chooseEntries} against the exact integer evaluation.
 * Deterministic: the same f, quantization and options give the same table.
 */
export function buildTableS16(
  f: (x: number) => number,
  inQ: QuantParams,
  outQ: QuantParams,
  options: TableS16Options = {},
): TableS16 {
  checkQuant("buildTableS16 input", inQ);
  checkQuant("buildTableS16 output", outQ);
  const maxEntries = options.maxEntries ?? 512;
  if (!Number.isInteger(maxEntries) || maxEntries < 16 || maxEntries > 512) {
    throw new RangeError("buildTableS16: maxEntries must be an integer in [16, 512]");
  }
  const symmetric = options.symmetry !== undefined;
  let mirror = 0;
  if (options.symmetry !== undefined) {
    if (inQ.zeroPoint !== 0)
      throw new RangeError("buildTableS16: a symmetric table needs input zero point 0");
    const m = 2 * (options.symmetry.centre / outQ.scale + outQ.zeroPoint);
    mirror = Math.round(m);
    if (Math.abs(m - mirror) > 1e-9) {
      throw new RangeError(`buildTableS16: symmetry centre maps to ${m / 2} codes, not a multiple of 1/2`);
    }
  }

  // Real output codes of both halves at each d (NaN where that input code does not exist), and the
  // fit target t.
  const dMin = symmetric ? 0 : S16_MIN;
  const dMax = symmetric ? -S16_MIN : S16_MAX;
  const count = dMax - dMin + 1;
  const xOf = (d: number) => inQ.scale * (d - inQ.zeroPoint);
  const real = (x: number) => evalFinite(f, x) / outQ.scale + outQ.zeroPoint;
  const [tLo, tHi] = symmetric ? [S16_MIN - 1, S16_MAX + 1] : [S16_MIN, S16_MAX];
  const pos = new Float64Array(count);
  const neg = new Float64Array(count).fill(Number.NaN);
  const t = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const x = xOf(dMin + i);
    pos[i] = real(x);
    t[i] = clamp(pos[i], tLo, tHi);
    if (symmetric) {
      neg[i] = real(-x);
      if (Math.abs(neg[i] - (mirror - pos[i])) > 1e-6) {
        throw new RangeError(`buildTableS16: f is not symmetric about the centre at x = ${x}`);
      }
    }
  }
  if (symmetric) pos[count - 1] = Number.NaN; // the input code +32768 does not exist

  // 1. Tails.
  const serves = (i: number, c: number) =>
    (Number.isNaN(pos[i]) || Math.abs(clampS16(c) - clamp(pos[i], S16_MIN, S16_MAX)) <= 0.5) &&
    (Number.isNaN(neg[i]) || Math.abs(clampS16(mirror - c) - clamp(neg[i], S16_MIN, S16_MAX)) <= 0.5);
  const highOut = roundHalfAwayFromZero(t[count - 1]);
  let hi = count - 1;
  while (hi > 0 && serves(hi, highOut)) hi--;
  const lowOut = roundHalfAwayFromZero(t[0]);
  let lo = 0;
  while (lo < hi && serves(lo, lowOut)) lo++;
  const tInterp = t.subarray(lo, hi + 1);
  const span = hi - lo;
  const codeLo = dMin + lo;

  // 2. Knots: knot k sits on the code codeLo + knotOffset(k).
  const zones = placeKnots(tInterp, maxEntries);
  const last = zones.zoneStart.length - 1;
  const [lastKnot] = locate(zones, span);
  const entryCount = lastKnot + 2;
  const knotOffset = (k: number) => {
    let z = last;
    while (zones.zoneKnot[z] > k) z--;
    return zones.zoneStart[z] + (k - zones.zoneKnot[z]) * 2 ** zones.zoneLog2[z];
  };
  const knotTarget = (k: number) => clamp(real(xOf(codeLo + knotOffset(k))), tLo, tHi);
  const exact = last === 0 && zones.zoneLog2[0] === 0;

  // 3. Values, in output codes, and the fractional bits of the entries.
  const tMin = tInterp.reduce((a, b) => Math.min(a, b));
  const tMax = tInterp.reduce((a, b) => Math.max(a, b));
  let values: Float64Array;
  let fracBits = 0;
  if (exact) {
    values = new Float64Array(entryCount);
    for (let k = 0; k < entryCount; k++) values[k] = roundHalfAwayFromZero(knotTarget(k));
  } else {
    values = fitKnots(entryCount, tInterp, (j) => locate(zones, j), knotTarget);
    const fits = (bits: number) => Math.ceil(tMax * 2 ** bits) - Math.floor(tMin * 2 ** bits) <= UINT16_MAX;
    while (fracBits < 15 && fits(fracBits + 1)) fracBits++;
  }
  // Entries are offsets from base = outBase · 2^fracBits + beta (0 ≤ beta < 2^fracBits); beta and half an
  // output LSB form the rounding constant.
  const unit = 2 ** fracBits;
  const base = Math.floor(tMin * unit);
  const outBase = Math.floor(base / unit);
  const shift = 15 + fracBits;
  const rounding = (base - outBase * unit) * Q15 + 2 ** (14 + fracBits);
  const errorAt = (j: number, sum: number) => {
    const v = outBase + Math.floor((sum + rounding) / 2 ** shift);
    const p = pos[lo + j];
    const n = neg[lo + j];
    const ep = Number.isNaN(p) ? 0 : Math.abs(clampS16(v) - clamp(p, S16_MIN, S16_MAX));
    const en = Number.isNaN(n) ? 0 : Math.abs(clampS16(mirror - v) - clamp(n, S16_MIN, S16_MAX));
    return Math.max(ep, en);
  };
  const scaled = values.map((v) => v * unit - base);
  const entries = exact
    ? Array.from(scaled, (v) => clamp(v, 0, UINT16_MAX))
    : chooseEntries(scaled, span, (j) => locate(zones, j), errorAt);
  return {
    kind: "table_s16",
    input: { ...inQ },
    output: { ...outQ },
    symmetric,
    mirror,
    codeLo,
    codeHi: codeLo + span,
    lowOut,
    highOut,
    ...zones,
    shift,
    rounding,
    outBase,
    entries,
  };
}

type Zones = Pick<TableS16, "zoneStart" | "zoneKnot" | "zoneLog2">;

const MAX_ZONES = 8;

/** Knot index k and Q15 weight w of the interpolated code at offset r = d - codeLo. */
function locate(zones: Zones, r: number): [number, number] {
  let z = 0;
  while (z + 1 < zones.zoneStart.length && r >= zones.zoneStart[z + 1]) z++;
  const u = r - zones.zoneStart[z];
  const a = zones.zoneLog2[z];
  const segment = Math.floor(u / 2 ** a);
  return [zones.zoneKnot[z] + segment, (u - segment * 2 ** a) * 2 ** (15 - a)];
}

/**
 * Chooses the segment lengths (powers of two, up to 2^15 codes) over the interpolated codes 0..span
 * (targets t) so that at most `maxEntries` knots are needed. For an error budget τ, a greedy pass from
 * the left takes the longest segment that ends within the span (so every knot but a last one-code
 * step lies on an interpolated code) and whose predicted interpolation error max|t''| · g² / 8 (g: length
 * in codes, t'' the second difference of t over the segment) stays within τ; runs of equal length form
 * zones, and while there are more than 8 the adjacent pair whose merge (at the shorter length) adds the
 * fewest segments is merged. τ is the smallest budget (bisection) whose zones fit.
 */
function placeKnots(t: Float64Array, maxEntries: number): Zones {
  const span = t.length - 1;
  if (span + 2 <= maxEntries) return { zoneStart: [0], zoneKnot: [0], zoneLog2: [0] };
  // maxima[a][j]: max |t''| over codes [j, j + 2^a), clipped at span.
  const curvature = new Float64Array(span + 1);
  for (let j = 1; j < span; j++) curvature[j] = Math.abs(t[j + 1] - 2 * t[j] + t[j - 1]);
  const maxima = [curvature];
  for (let a = 1; a <= 16; a++) {
    const prev = maxima[a - 1];
    const half = 2 ** (a - 1);
    maxima.push(prev.map((c, j) => Math.max(c, prev[Math.min(j + half, span)])));
  }
  const segmentCount = (start: number, end: number, a: number) => Math.ceil((end - start) / 2 ** a);
  const attempt = (tau: number): Zones | null => {
    // Greedy segments, as runs [start, a].
    const runs: { start: number; a: number }[] = [];
    let segments = 0;
    for (let j = 0; j <= span; ) {
      let a = 15;
      while (
        a > 0 &&
        (j + 2 ** a > span || (Math.max(maxima[a][j], curvature[j + 2 ** a]) * 4 ** a) / 8 > tau)
      )
        a--;
      if (runs.length === 0 || runs[runs.length - 1].a !== a) runs.push({ start: j, a });
      j += 2 ** a;
      if (++segments + 1 > maxEntries) return null;
    }
    const end = (i: number) => (i + 1 < runs.length ? runs[i + 1].start : span + 1);
    while (runs.length > MAX_ZONES) {
      let best = 0;
      let bestAdded = Number.POSITIVE_INFINITY;
      for (let i = 0; i + 1 < runs.length; i++) {
        const a = Math.min(runs[i].a, runs[i + 1].a);
        const added =
          segmentCount(runs[i].start, end(i + 1), a) -
          segmentCount(runs[i].start, end(i), runs[i].a) -
          segmentCount(runs[i + 1].start, end(i + 1), runs[i + 1].a);
        if (added < bestAdded) {
          bestAdded = added;
          best = i;
        }
      }
      runs[best].a = Math.min(runs[best].a, runs[best + 1].a);
      runs.splice(best + 1, 1);
    }
    const zoneKnot: number[] = [];
    let knots = 0;
    for (let i = 0; i < runs.length; i++) {
      zoneKnot.push(knots);
      knots += segmentCount(runs[i].start, end(i), runs[i].a);
    }
    if (knots + 1 > maxEntries) return null;
    return { zoneStart: runs.map((r) => r.start), zoneKnot, zoneLog2: runs.map((r) => r.a) };
  };
  let lo = 0;
  let hi = (maxima[16][0] * 4 ** 15) / 8 + 1;
  let found = attempt(hi)!;
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    const zones = attempt(mid);
    if (zones) {
      hi = mid;
      found = zones;
    } else lo = mid;
  }
  return found;
}

/**
 * Least-squares knot values: minimises Σ_j (interp(j) - t[j])² over the interpolated codes j, where
 * code j at coordinate p = position(j) lies between knots k = p >> 15 and k + 1 with weight
 * w = (p & 0x7fff) / 2^15, plus a 1e-6 pull of each knot toward its own target (which only matters
 * for a knot that no code reaches). The normal equations are tridiagonal (Thomas algorithm; positive
 * definite, so no pivoting).
 */
function fitKnots(
  entryCount: number,
  t: Float64Array,
  position: (j: number) => [number, number],
  knotTarget: (k: number) => number,
): Float64Array {
  const lambda = 1e-6;
  const diag = new Float64Array(entryCount).fill(lambda);
  const off = new Float64Array(entryCount);
  const rhs = new Float64Array(entryCount);
  for (let k = 0; k < entryCount; k++) rhs[k] = lambda * knotTarget(k);
  for (let j = 0; j < t.length; j++) {
    const [k, wq] = position(j);
    const w = wq / Q15;
    diag[k] += (1 - w) * (1 - w);
    diag[k + 1] += w * w;
    off[k] += (1 - w) * w;
    rhs[k] += (1 - w) * t[j];
    rhs[k + 1] += w * t[j];
  }
  // Forward elimination, then back substitution; off[k] couples knots k and k + 1.
  const c = new Float64Array(entryCount);
  const x = new Float64Array(entryCount);
  for (let k = 0; k < entryCount; k++) {
    const denom = diag[k] - (k > 0 ? off[k - 1] * c[k - 1] : 0);
    c[k] = off[k] / denom;
    x[k] = (rhs[k] - (k > 0 ? off[k - 1] * x[k - 1] : 0)) / denom;
  }
  for (let k = entryCount - 2; k >= 0; k--) x[k] -= c[k] * x[k + 1];
  return x;
}

/**
 * Integer entries near the fitted values (in entry units), chosen by dynamic programming along the
 * chain of segments: each entry is one of the four integers nearest its fitted value, and the choice
 * minimises Σ err⁸ over the interpolated codes, err being the final output error of the exact integer
 * evaluation (`errorAt(j, sum)` for code j with interpolation sum `sum`). The 8th power makes the
 * largest errors dominate while every code still counts; ties go to the candidate nearest the fit.
 */
function chooseEntries(
  fitted: Float64Array,
  span: number,
  position: (j: number) => [number, number],
  errorAt: (j: number, sum: number) => number,
): number[] {
  const n = fitted.length;
  const cands = Array.from(fitted, (v) => [-1, 0, 1, 2].map((o) => clamp(Math.floor(v) + o, 0, UINT16_MAX)));
  const prefer = (k: number, c: number) => 1e-9 * Math.abs(cands[k][c] - fitted[k]);
  // Codes of each segment k: j in [first[k], first[k + 1]).
  const first = new Int32Array(n + 1).fill(span + 1);
  const weight = new Int32Array(span + 1);
  for (let j = span; j >= 0; j--) {
    const [k, w] = position(j);
    weight[j] = w;
    for (let m = k; m >= 0 && first[m] > j; m--) first[m] = j;
  }
  let cost = [0, 1, 2, 3].map((c) => prefer(0, c));
  const from: number[][] = [];
  for (let k = 0; k + 1 < n; k++) {
    const next = [
      Number.POSITIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      Number.POSITIVE_INFINITY,
    ];
    const arg = [0, 0, 0, 0];
    for (let a = 0; a < 4; a++) {
      for (let b = 0; b < 4; b++) {
        let c = cost[a] + prefer(k + 1, b);
        for (let j = first[k]; j < first[k + 1]; j++) {
          const e = errorAt(j, cands[k][a] * (Q15 - weight[j]) + cands[k + 1][b] * weight[j]);
          const e2 = e * e;
          c += e2 * e2 * e2 * e2;
        }
        if (c < next[b]) {
          next[b] = c;
          arg[b] = a;
        }
      }
    }
    from.push(arg);
    cost = next;
  }
  const chosen = new Array<number>(n);
  let c = cost.indexOf(Math.min(...cost));
  for (let k = n - 1; k >= 0; k--) {
    chosen[k] = cands[k][c];
    if (k > 0) c = from[k - 1][c];
  }
  return chosen;
}

/**
 * Error of a table against double precision over every input code (256 or 65536):
 * `|out_code - ideal|` in output LSB, where `ideal = f(s_in·(q - zp_in)) / s_out + zp_out` clamped to
 * the output type's range before comparing (so saturated outputs count as exact when they saturate).
 * `bytes` counts the entry data only (the s16 parameter struct, nn_table_s16_params_t, adds 136 bytes).
 */
export function measureTableError(
  table: TableS8 | TableS16,
  f: (x: number) => number,
  inQ: QuantParams = table.input,
  outQ: QuantParams = table.output,
): TableError {
  const [lo, hi] = table.kind === "table_s8" ? [-128, 127] : [S16_MIN, S16_MAX];
  let max = 0;
  let sum = 0;
  for (let q = lo; q <= hi; q++) {
    const out = table.kind === "table_s8" ? applyTableS8(table, q) : evalTableS16(table, q);
    const ideal = clamp(f(inQ.scale * (q - inQ.zeroPoint)) / outQ.scale + outQ.zeroPoint, lo, hi);
    const err = Math.abs(out - ideal);
    max = Math.max(max, err);
    sum += err;
  }
  const entries = table.entries.length;
  return {
    maxErrorLsb: max,
    meanErrorLsb: sum / (hi - lo + 1),
    entries,
    bytes: table.kind === "table_s8" ? entries : 2 * entries,
  };
}

/**
 * A stable key of everything that determines a table's outputs (kind, C parameters and entries, not
 * the descriptive quantization): identical tables get the same key and can be stored once.
 */
export function tableKey(table: { kind: string; input?: unknown; output?: unknown }): string {
  const { input: _input, output: _output, ...evaluated } = table;
  const canonical = JSON.stringify(evaluated, Object.keys(evaluated).sort());
  return `${table.kind}_${createHash("sha256").update(canonical).digest("hex").slice(0, 16)}`;
}
