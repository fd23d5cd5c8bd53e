// WebAssembly SIMD kernels for the elementwise steps of training: the relu family's activations and
// their gradients, column sums (bias gradients) and transposes. Each has a plain TypeScript reference in
// src/train/kernels/js.ts and is tested against it.

/** y = min(max(z, lo), hi) over n values (relu: lo 0, hi +inf; relu6: lo 0, hi 6). */
export function clampForward(z: usize, y: usize, n: i32, lo: f32, hi: f32): void {
  const l = f32x4.splat(lo);
  const h = f32x4.splat(hi);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const off = <usize>j << 2;
    v128.store(y + off, f32x4.pmin(h, f32x4.pmax(l, v128.load(z + off))));
  }
  for (; j < n; j++) {
    const v = load<f32>(z + (<usize>j << 2));
    store<f32>(y + (<usize>j << 2), v > lo ? (v < hi ? v : hi) : lo);
  }
}

/** dz = dy where lo < z < hi, else 0: the gradient of clampForward. */
export function clampBackward(z: usize, dy: usize, dz: usize, n: i32, lo: f32, hi: f32): void {
  const l = f32x4.splat(lo);
  const h = f32x4.splat(hi);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const off = <usize>j << 2;
    const v = v128.load(z + off);
    v128.store(dz + off, v128.and(v128.load(dy + off), v128.and(f32x4.gt(v, l), f32x4.lt(v, h))));
  }
  for (; j < n; j++) {
    const v = load<f32>(z + (<usize>j << 2));
    store<f32>(dz + (<usize>j << 2), v > lo && v < hi ? load<f32>(dy + (<usize>j << 2)) : 0);
  }
}

/** y = z where z >= 0, else alpha·z (leaky relu). */
export function leakyForward(z: usize, y: usize, n: i32, alpha: f32): void {
  const a = f32x4.splat(alpha);
  const zero = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const off = <usize>j << 2;
    const v = v128.load(z + off);
    v128.store(y + off, v128.bitselect(v, f32x4.mul(a, v), f32x4.ge(v, zero)));
  }
  for (; j < n; j++) {
    const v = load<f32>(z + (<usize>j << 2));
    store<f32>(y + (<usize>j << 2), v >= 0 ? v : alpha * v);
  }
}

/** dz = dy where z >= 0, else alpha·dy. */
export function leakyBackward(z: usize, dy: usize, dz: usize, n: i32, alpha: f32): void {
  const a = f32x4.splat(alpha);
  const zero = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const off = <usize>j << 2;
    const g = v128.load(dy + off);
    v128.store(dz + off, v128.bitselect(g, f32x4.mul(a, g), f32x4.ge(v128.load(z + off), zero)));
  }
  for (; j < n; j++) {
    const g = load<f32>(dy + (<usize>j << 2));
    store<f32>(dz + (<usize>j << 2), load<f32>(z + (<usize>j << 2)) >= 0 ? g : alpha * g);
  }
}

/** out[q] = sum_n A[n][q]   (A: [N][Q]) */
export function colSums(a: usize, out: usize, N: i32, Q: i32): void {
  const row = <usize>Q << 2;
  let q = 0;
  for (; q + 4 <= Q; q += 4) {
    let s = f32x4.splat(0);
    let at = a + (<usize>q << 2);
    for (let n = 0; n < N; n++, at += row) s = f32x4.add(s, v128.load(at));
    v128.store(out + (<usize>q << 2), s);
  }
  for (; q < Q; q++) {
    let s: f32 = 0;
    let at = a + (<usize>q << 2);
    for (let n = 0; n < N; n++, at += row) s += load<f32>(at);
    store<f32>(out + (<usize>q << 2), s);
  }
}

/** B[c][r] = A[r][c]   (A: [R][C], B: [C][R]) */
export function transpose(a: usize, b: usize, R: i32, C: i32): void {
  for (let r = 0; r < R; r++)
    for (let c = 0; c < C; c++)
      store<f32>(b + ((<usize>c * <usize>R + <usize>r) << 2), load<f32>(a + ((<usize>r * <usize>C + <usize>c) << 2)));
}
