/**
 * The plain TypeScript kernels: the reference the WebAssembly kernels are tested against, and the fallback
 * where WebAssembly SIMD is missing. Arithmetic in double precision, rounded to float32 on store.
 */

// The three products of a dense layer, each with a naive reference in test/model/dense.test.ts.
// They compute 2x4 blocks of the result per pass so that each value loaded feeds several multiply-adds
// and eight independent sums hide the latency of floating-point addition; edges fall back to one value.

/** C[m][p] = bias[p] + sum_k A[m][k] B[p][k]   (A: [M][K], B: [P][K], C: [M][P]) */
export function matmulABt(
  A: Float32Array,
  B: Float32Array,
  C: Float32Array,
  M: number,
  P: number,
  K: number,
  bias: Float32Array,
): void {
  let m = 0;
  for (; m + 1 < M; m += 2) {
    const a0 = m * K;
    const a1 = a0 + K;
    let p = 0;
    for (; p + 3 < P; p += 4) {
      const b0 = p * K;
      const b1 = b0 + K;
      const b2 = b1 + K;
      const b3 = b2 + K;
      let s00 = 0,
        s01 = 0,
        s02 = 0,
        s03 = 0,
        s10 = 0,
        s11 = 0,
        s12 = 0,
        s13 = 0;
      for (let k = 0; k < K; k++) {
        const x0 = A[a0 + k];
        const x1 = A[a1 + k];
        const w0 = B[b0 + k];
        const w1 = B[b1 + k];
        const w2 = B[b2 + k];
        const w3 = B[b3 + k];
        s00 += x0 * w0;
        s01 += x0 * w1;
        s02 += x0 * w2;
        s03 += x0 * w3;
        s10 += x1 * w0;
        s11 += x1 * w1;
        s12 += x1 * w2;
        s13 += x1 * w3;
      }
      const c0 = m * P + p;
      const c1 = c0 + P;
      C[c0] = bias[p] + s00;
      C[c0 + 1] = bias[p + 1] + s01;
      C[c0 + 2] = bias[p + 2] + s02;
      C[c0 + 3] = bias[p + 3] + s03;
      C[c1] = bias[p] + s10;
      C[c1 + 1] = bias[p + 1] + s11;
      C[c1 + 2] = bias[p + 2] + s12;
      C[c1 + 3] = bias[p + 3] + s13;
    }
    for (; p < P; p++) {
      C[m * P + p] = bias[p] + dot(A, a0, B, p * K, K);
      C[(m + 1) * P + p] = bias[p] + dot(A, a1, B, p * K, K);
    }
  }
  for (; m < M; m++) for (let p = 0; p < P; p++) C[m * P + p] = bias[p] + dot(A, m * K, B, p * K, K);
}

/** C[p][q] = sum_n A[n][p] B[n][q]   (A: [N][P], B: [N][Q], C: [P][Q]) */
export function matmulAtB(
  A: Float32Array,
  B: Float32Array,
  C: Float32Array,
  P: number,
  Q: number,
  N: number,
): void {
  let p = 0;
  for (; p + 1 < P; p += 2) {
    let q = 0;
    for (; q + 3 < Q; q += 4) {
      let s00 = 0,
        s01 = 0,
        s02 = 0,
        s03 = 0,
        s10 = 0,
        s11 = 0,
        s12 = 0,
        s13 = 0;
      for (let n = 0; n < N; n++) {
        const g0 = A[n * P + p];
        const g1 = A[n * P + p + 1];
        const b = n * Q + q;
        const x0 = B[b];
        const x1 = B[b + 1];
        const x2 = B[b + 2];
        const x3 = B[b + 3];
        s00 += g0 * x0;
        s01 += g0 * x1;
        s02 += g0 * x2;
        s03 += g0 * x3;
        s10 += g1 * x0;
        s11 += g1 * x1;
        s12 += g1 * x2;
        s13 += g1 * x3;
      }
      const c0 = p * Q + q;
      const c1 = c0 + Q;
      C[c0] = s00;
      C[c0 + 1] = s01;
      C[c0 + 2] = s02;
      C[c0 + 3] = s03;
      C[c1] = s10;
      C[c1 + 1] = s11;
      C[c1 + 2] = s12;
      C[c1 + 3] = s13;
    }
    for (; q < Q; q++) {
      C[p * Q + q] = column(A, P, p, B, Q, q, N);
      C[(p + 1) * Q + q] = column(A, P, p + 1, B, Q, q, N);
    }
  }
  for (; p < P; p++) for (let q = 0; q < Q; q++) C[p * Q + q] = column(A, P, p, B, Q, q, N);
}

/** C[n][q] = sum_p A[n][p] B[p][q]   (A: [N][P], B: [P][Q], C: [N][Q]) */
export function matmulAB(
  A: Float32Array,
  B: Float32Array,
  C: Float32Array,
  N: number,
  Q: number,
  P: number,
): void {
  let n = 0;
  for (; n + 1 < N; n += 2) {
    let q = 0;
    for (; q + 3 < Q; q += 4) {
      let s00 = 0,
        s01 = 0,
        s02 = 0,
        s03 = 0,
        s10 = 0,
        s11 = 0,
        s12 = 0,
        s13 = 0;
      for (let p = 0; p < P; p++) {
        const g0 = A[n * P + p];
        const g1 = A[(n + 1) * P + p];
        const b = p * Q + q;
        const w0 = B[b];
        const w1 = B[b + 1];
        const w2 = B[b + 2];
        const w3 = B[b + 3];
        s00 += g0 * w0;
        s01 += g0 * w1;
        s02 += g0 * w2;
        s03 += g0 * w3;
        s10 += g1 * w0;
        s11 += g1 * w1;
        s12 += g1 * w2;
        s13 += g1 * w3;
      }
      const c0 = n * Q + q;
      const c1 = c0 + Q;
      C[c0] = s00;
      C[c0 + 1] = s01;
      C[c0 + 2] = s02;
      C[c0 + 3] = s03;
      C[c1] = s10;
      C[c1 + 1] = s11;
      C[c1 + 2] = s12;
      C[c1 + 3] = s13;
    }
    for (; q < Q; q++) {
      C[n * Q + q] = rowTimesColumn(A, n * P, B, Q, q, P);
      C[(n + 1) * Q + q] = rowTimesColumn(A, (n + 1) * P, B, Q, q, P);
    }
  }
  for (; n < N; n++) for (let q = 0; q < Q; q++) C[n * Q + q] = rowTimesColumn(A, n * P, B, Q, q, P);
}

/** sum_k a[ao + k] * b[bo + k] */
export function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += a[ao + k] * b[bo + k];
  return s;
}

/** sum_p a[ao + p] * B[p][q] for B's row stride Q */
function rowTimesColumn(
  a: Float32Array,
  ao: number,
  B: Float32Array,
  Q: number,
  q: number,
  P: number,
): number {
  let s = 0;
  for (let p = 0; p < P; p++) s += a[ao + p] * B[p * Q + q];
  return s;
}

/** sum_n A[n][p] * B[n][q] for row strides P and Q */
function column(
  A: Float32Array,
  P: number,
  p: number,
  B: Float32Array,
  Q: number,
  q: number,
  N: number,
): number {
  let s = 0;
  for (let n = 0; n < N; n++) s += A[n * P + p] * B[n * Q + q];
  return s;
}

/** Adam update (see src/train/optimizers.ts); a = lr * sqrt(1 - beta2^t) / (1 - beta1^t). */
export function adamStep(
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  n: number,
  a: number,
  beta1: number,
  beta2: number,
  eps: number,
): void {
  for (let j = 0; j < n; j++) {
    const gj = g[j];
    const mj = beta1 * m[j] + (1 - beta1) * gj;
    const vj = beta2 * v[j] + (1 - beta2) * gj * gj;
    m[j] = mj;
    v[j] = vj;
    w[j] -= (a * mj) / (Math.sqrt(vj) + eps);
  }
}
