// WebAssembly SIMD kernels for the layers that slide a window over [H][W][C] rows (channels last): the
// convolutions' im2col and col2im, the depthwise convolution, max and average pooling. Each has a plain
// TypeScript reference in src/train/kernels/window.ts and is tested against it.
//
// Every kernel takes the window's geometry as the same scalars: input H, W, C; output Ho, Wo; window
// kh, kw; strides sh, sw; dilation dh, dw (a pooling window is never dilated: the poolings ignore
// them); padding before the first row and column pt, pl (the rest of the padding is implied). A buffer argument of 0 means "none" (the arena never places a
// buffer at offset 0).

/** Copies n floats from src to dst (vectors of 4, then one at a time). */
// @ts-ignore: decorator
@inline function copyFloats(dst: usize, src: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(dst + (<usize>j << 2), v128.load(src + (<usize>j << 2)));
  for (; j < n; j++) store<f32>(dst + (<usize>j << 2), load<f32>(src + (<usize>j << 2)));
}

/** dst[j] += src[j] over n floats. */
// @ts-ignore: decorator
@inline function addFloats(dst: usize, src: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const at = dst + (<usize>j << 2);
    v128.store(at, f32x4.add(v128.load(at), v128.load(src + (<usize>j << 2))));
  }
  for (; j < n; j++) {
    const at = dst + (<usize>j << 2);
    store<f32>(at, load<f32>(at) + load<f32>(src + (<usize>j << 2)));
  }
}

/** cols[(n, oy, ox)][(ky, kx, c)] = x[n][iy][ix][c], or 0 where the window hangs over the padding. */
export function im2col(
  x: usize, cols: usize, N: i32,
  H: i32, W: i32, C: i32, Ho: i32, Wo: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32,
): void {
  const tap = <usize>C << 2;
  const inBytes = <usize>(H * W * C) << 2;
  let out = cols;
  for (let n = 0; n < N; n++) {
    const xb = x + <usize>n * inBytes;
    for (let oy = 0; oy < Ho; oy++)
      for (let ox = 0; ox < Wo; ox++)
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pt + ky * dh;
          const rowInside = iy >= 0 && iy < H;
          for (let kx = 0; kx < kw; kx++, out += tap) {
            const ix = ox * sw - pl + kx * dw;
            if (rowInside && ix >= 0 && ix < W) {
              const src = xb + ((<usize>(iy * W + ix) * <usize>C) << 2);
              if (C == 1) store<f32>(out, load<f32>(src));
              else copyFloats(out, src, C);
            } else memory.fill(out, 0, tap);
          }
        }
  }
}

/** dx[n][iy][ix][c] = the sum of dcols over the windows that read x[n][iy][ix][c] (im2col's adjoint). */
export function col2im(
  dcols: usize, dx: usize, N: i32,
  H: i32, W: i32, C: i32, Ho: i32, Wo: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32,
): void {
  const tap = <usize>C << 2;
  const inBytes = <usize>(H * W * C) << 2;
  memory.fill(dx, 0, <usize>N * inBytes);
  let from = dcols;
  for (let n = 0; n < N; n++) {
    const xb = dx + <usize>n * inBytes;
    for (let oy = 0; oy < Ho; oy++)
      for (let ox = 0; ox < Wo; ox++)
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pt + ky * dh;
          if (iy < 0 || iy >= H) {
            from += tap * <usize>kw;
            continue;
          }
          for (let kx = 0; kx < kw; kx++, from += tap) {
            const ix = ox * sw - pl + kx * dw;
            if (ix >= 0 && ix < W) {
              const dst = xb + ((<usize>(iy * W + ix) * <usize>C) << 2);
              if (C == 1) store<f32>(dst, load<f32>(dst) + load<f32>(from));
              else addFloats(dst, from, C);
            }
          }
        }
  }
}

/**
 * Depthwise convolution with depth multiplier M: y[n][oy][ox][c·M + m] = bias[c·M + m] +
 * sum over the taps inside of x[n][iy][ix][c] · kernel[ky][kx][c·M + m].
 */
export function depthwiseForward(
  x: usize, kernel: usize, bias: usize, y: usize, N: i32, M: i32,
  H: i32, W: i32, C: i32, Ho: i32, Wo: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32,
): void {
  const CM = C * M;
  const outRow = <usize>CM << 2;
  const inBytes = <usize>(H * W * C) << 2;
  let yo = y;
  for (let n = 0; n < N; n++) {
    const xb = x + <usize>n * inBytes;
    for (let oy = 0; oy < Ho; oy++)
      for (let ox = 0; ox < Wo; ox++, yo += outRow) {
        if (bias) copyFloats(yo, bias, CM);
        else memory.fill(yo, 0, outRow);
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pt + ky * dh;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - pl + kx * dw;
            if (ix < 0 || ix >= W) continue;
            const xt = xb + ((<usize>(iy * W + ix) * <usize>C) << 2);
            const kt = kernel + ((<usize>(ky * kw + kx) * <usize>CM) << 2);
            if (M == 1) {
              let c = 0;
              for (; c + 4 <= C; c += 4) {
                const off = <usize>c << 2;
                v128.store(yo + off, f32x4.add(v128.load(yo + off), f32x4.mul(v128.load(xt + off), v128.load(kt + off))));
              }
              for (; c < C; c++) {
                const off = <usize>c << 2;
                store<f32>(yo + off, load<f32>(yo + off) + load<f32>(xt + off) * load<f32>(kt + off));
              }
            } else {
              for (let c = 0; c < C; c++) {
                const v = load<f32>(xt + (<usize>c << 2));
                for (let m = 0; m < M; m++) {
                  const off = <usize>(c * M + m) << 2;
                  store<f32>(yo + off, load<f32>(yo + off) + v * load<f32>(kt + off));
                }
              }
            }
          }
        }
      }
  }
}

/**
 * The depthwise convolution's gradients from dy: dKernel and dBias (when not 0) are overwritten with
 * the sums over the batch, dx (when not 0) with the gradient of the input.
 */
export function depthwiseBackward(
  x: usize, kernel: usize, dy: usize, dKernel: usize, dBias: usize, dx: usize, N: i32, M: i32,
  H: i32, W: i32, C: i32, Ho: i32, Wo: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32,
): void {
  const CM = C * M;
  const outRow = <usize>CM << 2;
  const inBytes = <usize>(H * W * C) << 2;
  memory.fill(dKernel, 0, <usize>(kh * kw) * outRow);
  if (dBias) memory.fill(dBias, 0, outRow);
  if (dx) memory.fill(dx, 0, <usize>N * inBytes);
  let go = dy;
  for (let n = 0; n < N; n++) {
    const xb = x + <usize>n * inBytes;
    const db = dx + <usize>n * inBytes;
    for (let oy = 0; oy < Ho; oy++)
      for (let ox = 0; ox < Wo; ox++, go += outRow) {
        if (dBias) addFloats(dBias, go, CM);
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pt + ky * dh;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - pl + kx * dw;
            if (ix < 0 || ix >= W) continue;
            const at = (<usize>(iy * W + ix) * <usize>C) << 2;
            const xt = xb + at;
            const tap = (<usize>(ky * kw + kx) * <usize>CM) << 2;
            const kt = kernel + tap;
            const dkt = dKernel + tap;
            if (M == 1) {
              let c = 0;
              for (; c + 4 <= C; c += 4) {
                const off = <usize>c << 2;
                const g = v128.load(go + off);
                v128.store(dkt + off, f32x4.add(v128.load(dkt + off), f32x4.mul(v128.load(xt + off), g)));
                if (dx) v128.store(db + at + off, f32x4.add(v128.load(db + at + off), f32x4.mul(g, v128.load(kt + off))));
              }
              for (; c < C; c++) {
                const off = <usize>c << 2;
                const g = load<f32>(go + off);
                store<f32>(dkt + off, load<f32>(dkt + off) + load<f32>(xt + off) * g);
                if (dx) store<f32>(db + at + off, load<f32>(db + at + off) + g * load<f32>(kt + off));
              }
            } else {
              for (let c = 0; c < C; c++) {
                const v = load<f32>(xt + (<usize>c << 2));
                let s: f32 = 0;
                for (let m = 0; m < M; m++) {
                  const off = <usize>(c * M + m) << 2;
                  const g = load<f32>(go + off);
                  store<f32>(dkt + off, load<f32>(dkt + off) + v * g);
                  s += g * load<f32>(kt + off);
                }
                if (dx) store<f32>(db + at + (<usize>c << 2), load<f32>(db + at + (<usize>c << 2)) + s);
              }
            }
          }
        }
      }
  }
}

/**
 * Max pooling: y = the largest input over the window's taps inside the input (the first one on ties),
 * arg = its index within the row, as a float, for the backward pass.
 */
export function maxPoolForward(
  x: usize, y: usize, arg: usize, N: i32,
  H: i32, W: i32, C: i32, Ho: i32, Wo: i32, kh: i32, kw: i32, sh: i32, sw: i32, _dh: i32, _dw: i32, pt: i32, pl: i32,
): void {
  const inBytes = <usize>(H * W * C) << 2;
  const lanes = i32x4(0, 1, 2, 3);
  let o: usize = 0;
  for (let n = 0; n < N; n++) {
    const xb = x + <usize>n * inBytes;
    for (let oy = 0; oy < Ho; oy++) {
      const y0 = max(oy * sh - pt, 0);
      const y1 = min(oy * sh - pt + kh, H);
      for (let ox = 0; ox < Wo; ox++) {
        const x0 = max(ox * sw - pl, 0);
        const x1 = min(ox * sw - pl + kw, W);
        const first = (y0 * W + x0) * C;
        let c = 0;
        for (; c + 4 <= C; c += 4, o += 16) {
          let best = f32x4.splat(-Infinity);
          let at = i32x4.add(i32x4.splat(first + c), lanes);
          for (let iy = y0; iy < y1; iy++)
            for (let ix = x0; ix < x1; ix++) {
              const t = (iy * W + ix) * C + c;
              const v = v128.load(xb + (<usize>t << 2));
              const more = f32x4.gt(v, best);
              best = v128.bitselect(v, best, more);
              at = v128.bitselect(i32x4.add(i32x4.splat(t), lanes), at, more);
            }
          v128.store(y + o, best);
          v128.store(arg + o, f32x4.convert_i32x4_s(at));
        }
        for (; c < C; c++, o += 4) {
          let best: f32 = -Infinity;
          let at = first + c;
          for (let iy = y0; iy < y1; iy++)
            for (let ix = x0; ix < x1; ix++) {
              const t = (iy * W + ix) * C + c;
              const v = load<f32>(xb + (<usize>t << 2));
              if (v > best) {
                best = v;
                at = t;
              }
            }
          store<f32>(y + o, best);
          store<f32>(arg + o, <f32>at);
        }
      }
    }
  }
}

/** dx[n][arg] += dy over each output of max pooling; the rest of dx is 0. */
export function maxPoolBackward(dy: usize, arg: usize, dx: usize, N: i32, inSize: i32, outSize: i32): void {
  memory.fill(dx, 0, (<usize>N * <usize>inSize) << 2);
  let o: usize = 0;
  for (let n = 0; n < N; n++) {
    const db = dx + ((<usize>n * <usize>inSize) << 2);
    for (let k = 0; k < outSize; k++, o += 4) {
      const at = db + (<usize>(<i32>load<f32>(arg + o)) << 2);
      store<f32>(at, load<f32>(at) + load<f32>(dy + o));
    }
  }
}

/** Average pooling: y = the sum over the window's taps inside the input, divided by their count. */
export function avgPoolForward(
  x: usize, y: usize, N: i32,
  H: i32, W: i32, C: i32, Ho: i32, Wo: i32, kh: i32, kw: i32, sh: i32, sw: i32, _dh: i32, _dw: i32, pt: i32, pl: i32,
): void {
  const inBytes = <usize>(H * W * C) << 2;
  const outRow = <usize>C << 2;
  let yo = y;
  for (let n = 0; n < N; n++) {
    const xb = x + <usize>n * inBytes;
    for (let oy = 0; oy < Ho; oy++) {
      const y0 = max(oy * sh - pt, 0);
      const y1 = min(oy * sh - pt + kh, H);
      for (let ox = 0; ox < Wo; ox++, yo += outRow) {
        const x0 = max(ox * sw - pl, 0);
        const x1 = min(ox * sw - pl + kw, W);
        memory.fill(yo, 0, outRow);
        for (let iy = y0; iy < y1; iy++)
          for (let ix = x0; ix < x1; ix++) addFloats(yo, xb + ((<usize>(iy * W + ix) * <usize>C) << 2), C);
        const count = <f32>((y1 - y0) * (x1 - x0));
        const counts = f32x4.splat(count);
        let c = 0;
        for (; c + 4 <= C; c += 4) v128.store(yo + (<usize>c << 2), f32x4.div(v128.load(yo + (<usize>c << 2)), counts));
        for (; c < C; c++) store<f32>(yo + (<usize>c << 2), load<f32>(yo + (<usize>c << 2)) / count);
      }
    }
  }
}

/** dx = each output's dy divided by its window's count, added to every tap inside the input. */
export function avgPoolBackward(
  dy: usize, dx: usize, N: i32,
  H: i32, W: i32, C: i32, Ho: i32, Wo: i32, kh: i32, kw: i32, sh: i32, sw: i32, _dh: i32, _dw: i32, pt: i32, pl: i32,
): void {
  const inBytes = <usize>(H * W * C) << 2;
  const outRow = <usize>C << 2;
  memory.fill(dx, 0, <usize>N * inBytes);
  let go = dy;
  for (let n = 0; n < N; n++) {
    const db = dx + <usize>n * inBytes;
    for (let oy = 0; oy < Ho; oy++) {
      const y0 = max(oy * sh - pt, 0);
      const y1 = min(oy * sh - pt + kh, H);
      for (let ox = 0; ox < Wo; ox++, go += outRow) {
        const x0 = max(ox * sw - pl, 0);
        const x1 = min(ox * sw - pl + kw, W);
        const count = <f32>((y1 - y0) * (x1 - x0));
        const counts = f32x4.splat(count);
        for (let iy = y0; iy < y1; iy++)
          for (let ix = x0; ix < x1; ix++) {
            const dst = db + ((<usize>(iy * W + ix) * <usize>C) << 2);
            let c = 0;
            for (; c + 4 <= C; c += 4) {
              const off = <usize>c << 2;
              v128.store(dst + off, f32x4.add(v128.load(dst + off), f32x4.div(v128.load(go + off), counts)));
            }
            for (; c < C; c++) {
              const off = <usize>c << 2;
              store<f32>(dst + off, load<f32>(dst + off) + load<f32>(go + off) / count);
            }
          }
      }
    }
  }
}
