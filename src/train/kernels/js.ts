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
  // row p of the result reads column p of A: A[n][p] = A[p * 1 + n * P]
  matmulStrided(A, 1, P, B, C, P, Q, N, null);
}

/** C[n][q] = bias[q] + sum_p A[n][p] B[p][q]   (A: [N][P], B: [P][Q], C: [N][Q]; no bias: null) */
export function matmulAB(
  A: Float32Array,
  B: Float32Array,
  C: Float32Array,
  N: number,
  Q: number,
  P: number,
  bias: Float32Array | null = null,
): void {
  // row n of the result reads row n of A: A[n][p] = A[n * P + p * 1]
  matmulStrided(A, P, 1, B, C, N, Q, P, bias);
}

/**
 * C[r][q] = bias[q] + sum_k A(r, k) B[k][q] with A(r, k) = A[r * rs + k * ks]   (B: [K][Q], C: [R][Q]):
 * the two products above, whose A is read along a row or down a column.
 */
function matmulStrided(
  A: Float32Array,
  rs: number,
  ks: number,
  B: Float32Array,
  C: Float32Array,
  R: number,
  Q: number,
  K: number,
  bias: Float32Array | null,
): void {
  let r = 0;
  for (; r + 1 < R; r += 2) {
    const a0 = r * rs;
    const a1 = a0 + rs;
    let q = 0;
    for (; q + 3 < Q; q += 4) {
      let s00 = bias ? bias[q] : 0,
        s01 = bias ? bias[q + 1] : 0,
        s02 = bias ? bias[q + 2] : 0,
        s03 = bias ? bias[q + 3] : 0,
        s10 = s00,
        s11 = s01,
        s12 = s02,
        s13 = s03;
      for (let k = 0; k < K; k++) {
        const g0 = A[a0 + k * ks];
        const g1 = A[a1 + k * ks];
        const b = k * Q + q;
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
      const c0 = r * Q + q;
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
      const b = bias ? bias[q] : 0;
      C[r * Q + q] = b + stridedDot(A, a0, ks, B, Q, q, K);
      C[(r + 1) * Q + q] = b + stridedDot(A, a1, ks, B, Q, q, K);
    }
  }
  for (; r < R; r++)
    for (let q = 0; q < Q; q++) C[r * Q + q] = (bias ? bias[q] : 0) + stridedDot(A, r * rs, ks, B, Q, q, K);
}

/** sum_k a[ao + k] * b[bo + k] */
export function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += a[ao + k] * b[bo + k];
  return s;
}

/** sum_k A[ao + k * ks] * B[k][q] for B's row stride Q */
function stridedDot(
  A: Float32Array,
  ao: number,
  ks: number,
  B: Float32Array,
  Q: number,
  q: number,
  K: number,
): number {
  let s = 0;
  for (let k = 0; k < K; k++) s += A[ao + k * ks] * B[k * Q + q];
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

/** y = min(max(z, lo), hi) over n values (relu: lo 0, hi +inf; relu6: lo 0, hi 6). */
export function clampForward(z: Float32Array, y: Float32Array, n: number, lo: number, hi: number): void {
  for (let j = 0; j < n; j++) {
    const v = z[j];
    y[j] = v > lo ? (v < hi ? v : hi) : lo;
  }
}

/** dz = dy where lo < z < hi, else 0: the gradient of clampForward. */
export function clampBackward(
  z: Float32Array,
  dy: Float32Array,
  dz: Float32Array,
  n: number,
  lo: number,
  hi: number,
): void {
  for (let j = 0; j < n; j++) {
    const v = z[j];
    dz[j] = v > lo && v < hi ? dy[j] : 0;
  }
}

/** y = z where z >= 0, else alpha·z (leaky relu). */
export function leakyForward(z: Float32Array, y: Float32Array, n: number, alpha: number): void {
  for (let j = 0; j < n; j++) {
    const v = z[j];
    y[j] = v >= 0 ? v : alpha * v;
  }
}

/** dz = dy where z >= 0, else alpha·dy. */
export function leakyBackward(
  z: Float32Array,
  dy: Float32Array,
  dz: Float32Array,
  n: number,
  alpha: number,
): void {
  for (let j = 0; j < n; j++) dz[j] = z[j] >= 0 ? dy[j] : alpha * dy[j];
}

/** out[q] = sum_n A[n][q]   (A: [N][Q]) */
export function colSums(A: Float32Array, out: Float32Array, N: number, Q: number): void {
  for (let q = 0; q < Q; q++) {
    let s = 0;
    for (let n = 0; n < N; n++) s += A[n * Q + q];
    out[q] = s;
  }
}

/** B[c][r] = A[r][c]   (A: [R][C], B: [C][R]) */
export function transpose(A: Float32Array, B: Float32Array, R: number, C: number): void {
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) B[c * R + r] = A[r * C + c];
}
