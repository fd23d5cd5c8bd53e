/**
 * The window features in integer arithmetic, exactly as firmware/nn/src/nn_features_s16.c computes
 * them (any difference is a bug). For a window of N int16 samples x_i of one axis:
 *
 *   sum  = Σ x_i                 sumsq = Σ x_i²                        d_i = x_i - mean
 *   mean = rdiv(sum, N)          rms   = isqrt(rdiv(sumsq, N))
 *   std  = isqrt(rdiv(N·sumsq - sum², N²))                             ptp = max - min
 *   band [k0, k1] = rdiv(2 · isqrt(Σ_{k=k0..k1} rdiv(re_k, 2^15)² + rdiv(im_k, 2^15)²), N)
 *     with re_k = Σ d_i · COS[(k·i) mod N], im_k = Σ d_i · SIN[(k·i) mod N]  (Q15 tables)
 *
 * rdiv rounds half away from zero, isqrt is the floor of the square root. A band is the amplitude of a
 * sinusoid with the same energy in those bins (in the samples' units). Bounds (N ≤ 1024, |x| ≤ 2^15):
 * |sum| < 2^25, sumsq < 2^40, N·sumsq < 2^50, |re_k| < 2^41, each squared term < 2^53 and a band's
 * sum < 2^64 (Parseval), so the C needs int32 products and int64/uint64 sums. Here, every value that
 * can exceed 2^53 is a bigint; the others are exact doubles.
 */
import type { FeatureDefinition } from "./definition.js";

export const Q15_ONE = 32767;

/** round(a / b), halves away from zero; b > 0. */
export function rdiv(a: bigint, b: bigint): bigint {
  return a >= 0n ? (a + b / 2n) / b : -((-a + b / 2n) / b);
}

/** floor(sqrt(v)) for v >= 0. */
export function isqrt(v: bigint): bigint {
  let s = BigInt(Math.floor(Math.sqrt(Number(v))));
  while (s * s > v) s--;
  while ((s + 1n) * (s + 1n) <= v) s++;
  return s;
}

/** The Q15 cosine and sine of 2πj/N, j = 0..N-1: the same numbers the C is generated with. */
export function trigTables(n: number): { cos: Int16Array; sin: Int16Array } {
  const cos = new Int16Array(n);
  const sin = new Int16Array(n);
  for (let j = 0; j < n; j++) {
    cos[j] = Math.round(Q15_ONE * Math.cos((2 * Math.PI * j) / n));
    sin[j] = Math.round(Q15_ONE * Math.sin((2 * Math.PI * j) / n));
  }
  return { cos, sin };
}

export type FeatureExtractor = (samples: ArrayLike<number>, first?: number, out?: Int32Array) => Int32Array;

/**
 * Returns a function that computes the features of one window. `samples` holds N samples of every axis
 * interleaved (x0 of each axis, then x1, ...), as a ring: the window's oldest sample is at index
 * `first` and it wraps around. Samples must be int16 integers.
 */
export function featureExtractor(def: FeatureDefinition): FeatureExtractor {
  const n = def.window;
  const axes = def.axes.length;
  const { cos, sin } = trigTables(n);
  const perAxis = def.statistics.length + def.bins.length;
  const x = new Float64Array(n);
  const N = BigInt(n);
  return (samples, first = 0, out = new Int32Array(axes * perAxis)) => {
    for (let a = 0; a < axes; a++) {
      let sum = 0;
      let sumsq = 0;
      let min = 32767;
      let max = -32768;
      for (let i = 0; i < n; i++) {
        const v = samples[((first + i) % n) * axes + a];
        x[i] = v;
        sum += v;
        sumsq += v * v;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      const mean = Number(rdiv(BigInt(sum), N));
      let o = a * perAxis;
      for (const s of def.statistics) {
        out[o++] =
          s === "mean"
            ? mean
            : s === "rms"
              ? Number(isqrt(rdiv(BigInt(sumsq), N)))
              : s === "std"
                ? Number(isqrt(rdiv(BigInt(n * sumsq - sum * sum), N * N)))
                : s === "ptp"
                  ? max - min
                  : s === "min"
                    ? min
                    : max;
      }
      for (const [k0, k1] of def.bins) {
        let energy = 0n;
        for (let k = k0; k <= k1; k++) {
          let re = 0;
          let im = 0;
          let j = 0;
          for (let i = 0; i < n; i++) {
            const d = x[i] - mean;
            re += d * cos[j];
            im += d * sin[j];
            j += k;
            if (j >= n) j -= n;
          }
          const r = rdiv(BigInt(re), 32768n);
          const m = rdiv(BigInt(im), 32768n);
          energy += r * r + m * m;
        }
        out[o++] = Number(rdiv(2n * isqrt(energy), N));
      }
    }
    return out;
  };
}
