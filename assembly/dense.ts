// WebAssembly SIMD kernels for training (AssemblyScript, compiled by scripts/build-wasm.mjs, which
// `npm run build` runs).
//
// The three matrix products of training (a dense layer's, and a convolution's on its im2col matrix) and
// the adam update, on float32 matrices that live in this module's memory; the arguments are byte offsets. Each has a plain TypeScript reference in src/train/kernels/js.ts and is
// tested against it. Arithmetic is IEEE float32 (wasm SIMD has no fused multiply-add), so results are
// deterministic on every machine.

/** C[m][p] = bias[p] + sum_k A[m][k] B[p][k]   (A: [M][K], B: [P][K], C: [M][P]) */
export function matmulABt(a: usize, b: usize, c: usize, M: i32, P: i32, K: i32, bias: usize): void {
  const K4 = K & ~3;
  const rowA = <usize>K << 2;
  for (let m = 0; m < M; m++) {
    const a0 = a + <usize>m * rowA;
    let p = 0;
    for (; p + 1 < P; p += 2) {
      const b0 = b + <usize>p * rowA;
      const b1 = b0 + rowA;
      let s0 = f32x4.splat(0);
      let s1 = f32x4.splat(0);
      for (let k = 0; k < K4; k += 4) {
        const off = <usize>k << 2;
        const x = v128.load(a0 + off);
        s0 = f32x4.add(s0, f32x4.mul(x, v128.load(b0 + off)));
        s1 = f32x4.add(s1, f32x4.mul(x, v128.load(b1 + off)));
      }
      let r0 = hsum(s0);
      let r1 = hsum(s1);
      for (let k = K4; k < K; k++) {
        const x = load<f32>(a0 + (<usize>k << 2));
        r0 += x * load<f32>(b0 + (<usize>k << 2));
        r1 += x * load<f32>(b1 + (<usize>k << 2));
      }
      const cp = c + ((<usize>m * <usize>P + <usize>p) << 2);
      store<f32>(cp, load<f32>(bias + (<usize>p << 2)) + r0);
      store<f32>(cp + 4, load<f32>(bias + (<usize>(p + 1) << 2)) + r1);
    }
    for (; p < P; p++) {
      const b0 = b + <usize>p * rowA;
      let s0 = f32x4.splat(0);
      for (let k = 0; k < K4; k += 4) {
        const off = <usize>k << 2;
        s0 = f32x4.add(s0, f32x4.mul(v128.load(a0 + off), v128.load(b0 + off)));
      }
      let r0 = hsum(s0);
      for (let k = K4; k < K; k++) r0 += load<f32>(a0 + (<usize>k << 2)) * load<f32>(b0 + (<usize>k << 2));
      store<f32>(c + ((<usize>m * <usize>P + <usize>p) << 2), load<f32>(bias + (<usize>p << 2)) + r0);
    }
  }
}

/** C[p][q] = sum_n A[n][p] B[n][q]   (A: [N][P], B: [N][Q], C: [P][Q]) */
export function matmulAtB(a: usize, b: usize, c: usize, P: i32, Q: i32, N: i32): void {
  const Q4 = Q & ~3;
  for (let p = 0; p < P; p++) {
    const cRow = c + ((<usize>p * <usize>Q) << 2);
    let q = 0;
    for (; q + 7 < Q; q += 8) {
      let s0 = f32x4.splat(0);
      let s1 = f32x4.splat(0);
      for (let n = 0; n < N; n++) {
        const g = f32x4.splat(load<f32>(a + ((<usize>n * <usize>P + <usize>p) << 2)));
        const bp = b + ((<usize>n * <usize>Q + <usize>q) << 2);
        s0 = f32x4.add(s0, f32x4.mul(g, v128.load(bp)));
        s1 = f32x4.add(s1, f32x4.mul(g, v128.load(bp + 16)));
      }
      v128.store(cRow + (<usize>q << 2), s0);
      v128.store(cRow + (<usize>q << 2) + 16, s1);
    }
    for (; q < Q4; q += 4) {
      let s0 = f32x4.splat(0);
      for (let n = 0; n < N; n++) {
        const g = f32x4.splat(load<f32>(a + ((<usize>n * <usize>P + <usize>p) << 2)));
        s0 = f32x4.add(s0, f32x4.mul(g, v128.load(b + ((<usize>n * <usize>Q + <usize>q) << 2))));
      }
      v128.store(cRow + (<usize>q << 2), s0);
    }
    for (; q < Q; q++) {
      let s: f32 = 0;
      for (let n = 0; n < N; n++) {
        s += load<f32>(a + ((<usize>n * <usize>P + <usize>p) << 2)) * load<f32>(b + ((<usize>n * <usize>Q + <usize>q) << 2));
      }
      store<f32>(cRow + (<usize>q << 2), s);
    }
  }
}

/**
 * C[n][q] = bias[q] + sum_p A[n][p] B[p][q]   (A: [N][P], B: [P][Q], C: [N][Q]); bias 0: none.
 * Sixteen columns per pass, so that each value of A loaded feeds four vectors.
 */
export function matmulAB(a: usize, b: usize, c: usize, N: i32, Q: i32, P: i32, bias: usize): void {
  const rowB = <usize>Q << 2;
  for (let n = 0; n < N; n++) {
    const aRow = a + ((<usize>n * <usize>P) << 2);
    const cRow = c + ((<usize>n * <usize>Q) << 2);
    let q = 0;
    for (; q + 15 < Q; q += 16) {
      const qb = <usize>q << 2;
      let s0 = bias ? v128.load(bias + qb) : f32x4.splat(0);
      let s1 = bias ? v128.load(bias + qb + 16) : f32x4.splat(0);
      let s2 = bias ? v128.load(bias + qb + 32) : f32x4.splat(0);
      let s3 = bias ? v128.load(bias + qb + 48) : f32x4.splat(0);
      let bp = b + qb;
      for (let p = 0; p < P; p++, bp += rowB) {
        const g = v128.load32_splat(aRow + (<usize>p << 2));
        s0 = f32x4.add(s0, f32x4.mul(g, v128.load(bp)));
        s1 = f32x4.add(s1, f32x4.mul(g, v128.load(bp + 16)));
        s2 = f32x4.add(s2, f32x4.mul(g, v128.load(bp + 32)));
        s3 = f32x4.add(s3, f32x4.mul(g, v128.load(bp + 48)));
      }
      v128.store(cRow + qb, s0);
      v128.store(cRow + qb + 16, s1);
      v128.store(cRow + qb + 32, s2);
      v128.store(cRow + qb + 48, s3);
    }
    for (; q + 7 < Q; q += 8) {
      const qb = <usize>q << 2;
      let s0 = bias ? v128.load(bias + qb) : f32x4.splat(0);
      let s1 = bias ? v128.load(bias + qb + 16) : f32x4.splat(0);
      let bp = b + qb;
      for (let p = 0; p < P; p++, bp += rowB) {
        const g = v128.load32_splat(aRow + (<usize>p << 2));
        s0 = f32x4.add(s0, f32x4.mul(g, v128.load(bp)));
        s1 = f32x4.add(s1, f32x4.mul(g, v128.load(bp + 16)));
      }
      v128.store(cRow + qb, s0);
      v128.store(cRow + qb + 16, s1);
    }
    for (; q + 3 < Q; q += 4) {
      const qb = <usize>q << 2;
      let s0 = bias ? v128.load(bias + qb) : f32x4.splat(0);
      let bp = b + qb;
      for (let p = 0; p < P; p++, bp += rowB) {
        s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(aRow + (<usize>p << 2)), v128.load(bp)));
      }
      v128.store(cRow + qb, s0);
    }
    for (; q < Q; q++) {
      let s: f32 = bias ? load<f32>(bias + (<usize>q << 2)) : 0;
      for (let p = 0; p < P; p++) s += load<f32>(aRow + (<usize>p << 2)) * load<f32>(b + ((<usize>p * <usize>Q + <usize>q) << 2));
      store<f32>(cRow + (<usize>q << 2), s);
    }
  }
}

/** Adam update of n parameters: m, v moments; a = lr * sqrt(1 - beta2^t) / (1 - beta1^t). */
export function adamStep(w: usize, g: usize, m: usize, v: usize, n: i32, a: f32, beta1: f32, beta2: f32, eps: f32): void {
  const n4 = n & ~3;
  const b1 = f32x4.splat(beta1);
  const b2 = f32x4.splat(beta2);
  const c1 = f32x4.splat(<f32>1 - beta1);
  const c2 = f32x4.splat(<f32>1 - beta2);
  const av = f32x4.splat(a);
  const ev = f32x4.splat(eps);
  for (let j = 0; j < n4; j += 4) {
    const off = <usize>j << 2;
    const gj = v128.load(g + off);
    const mj = f32x4.add(f32x4.mul(b1, v128.load(m + off)), f32x4.mul(c1, gj));
    const vj = f32x4.add(f32x4.mul(b2, v128.load(v + off)), f32x4.mul(c2, f32x4.mul(gj, gj)));
    v128.store(m + off, mj);
    v128.store(v + off, vj);
    const step = f32x4.div(f32x4.mul(av, mj), f32x4.add(f32x4.sqrt(vj), ev));
    v128.store(w + off, f32x4.sub(v128.load(w + off), step));
  }
  for (let j = n4; j < n; j++) {
    const off = <usize>j << 2;
    const gj = load<f32>(g + off);
    const mj = beta1 * load<f32>(m + off) + (<f32>1 - beta1) * gj;
    const vj = beta2 * load<f32>(v + off) + (<f32>1 - beta2) * gj * gj;
    store<f32>(m + off, mj);
    store<f32>(v + off, vj);
    store<f32>(w + off, load<f32>(w + off) - (a * mj) / (Mathf.sqrt(vj) + eps));
  }
}

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}
