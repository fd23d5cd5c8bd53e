/*
 * nn_depthwise_conv2d_s8: a depthwise convolution on int8 codes, int32 accumulators (see nn.h).
 *
 * in: [in_h][in_w][in_c] s8; weights: [k_h][k_w][in_c * M] s8, channel fastest (TensorFlow Lite's 1HWC),
 * 4-byte aligned; bias: [in_c * M] s32 with the input zero point folded in (bias[o] - in_zp * sum of
 * w[o]); out: [out_h][out_w][in_c * M], not overlapping in. Output channel o = c * M + m reads input
 * channel c only:
 *   acc = bias[o] + sum over every tap of x * w[ky][kx][o], x = in[iy][ix][c], or in_zp outside the input
 * which is runDepthwise's bias + sum over the taps inside of (x - in_zp) * w (src/ops/depthwise_conv2d/
 * quant.ts), then the output stage of nn_dense_s8. The generator checks |bias| + 128 * sum |w[o]| <
 * 2^31 for every channel, so no partial sum overflows, in any order.
 *
 * One path is compiled, chosen as nn_dense_s8's (nn_dense_internal.h); each equals the reference loop bit
 * for bit (integer sums are the same in any order; nn_dense_output_one and nn_dense_requantize4_mve are
 * nn_requantize computed another way):
 *   - the reference: one output at a time, every tap checked (alone with NN_REFERENCE_KERNELS=1, and for
 *     depth multipliers above 1);
 *   - plain C, for cores without DSP or MVE (Cortex-M0, M3) and hosts: one channel at a time;
 *   - NN_HAVE_DSP (Cortex-M4, M7, M33): 4 channels per 32-bit load of inputs and of weights, sign-extended
 *     in pairs (SXTB16, SXTB16 ROR #8), one SMLABB or SMLATT per channel and tap. A 3x3 window without
 *     dilation across, in_c a multiple of 4, every shift <= -2 and no leaky slope goes through
 *     dw_dsp3x3_int8 (assembly: the 9 taps of 4 channels with the accumulators in registers, then the
 *     output stage of a block of 32 channels; a row's run of pixels whose 3 columns lie inside per call,
 *     rows outside the input read a row of in_zp in the scratch; an edge pixel reads its 2 columns inside
 *     in place and adds in_zp times the sum of the other column's 3 weights); other pixels go through
 *     dw_pixel, one tap at a time;
 *   - NN_HAVE_MVE (Cortex-M55): 8 channels per VLDRB.S16 of inputs and of weights, the even and odd
 *     channels' products widened by VMULLB / VMULLT into two int32x4 accumulators, requantized as
 *     vectors (mult and shift read by VLD2) and narrowed back into channel order (VMOVNT) for one
 *     VSTRB.16. A 3x3 window with in_c a multiple of 16, every shift negative, no leaky slope and the
 *     whole int8 range as its clamp goes through dw_mve3x3_int8 (assembly, 16 channels per pass, a
 *     row's run of interior pixels per call; a border pixel reads its rows of taps in place when whole,
 *     else from the scratch).
 * The plain C and MVE paths (depth multiplier 1) take a window 3 taps wide without dilation across (3x3
 * and the like: dw_interior3) with no check per tap: an interior pixel reads the input in place, a
 * border pixel a copy of its window in the caller's scratch ((k_h * 3 + 1) * in_c bytes) with in_zp outside
 * the input (what the folded bias expects), when scratch is not NULL. Other windows and pixels go one
 * tap at a time, in_zp outside. The last in_c % 4 (DSP) or % 8 (MVE) channels of a pixel go one at a
 * time.
 */
#include <string.h>

#include "nn_dense_internal.h"

#if NN_DENSE_FAST_DSP
#include <arm_acle.h>
#endif

/* The 3x3 assembly (dw_dsp3x3_int8, dw_mve3x3_int8) is GCC's: clang cannot give the first the registers
 * it asks for, and the second's string (6132 characters) is over the 4095 of ISO C that clang's
 * -Wpedantic enforces. Under clang those windows take the C paths (dw_pixel, dw_interior3's
 * intrinsics): the same results, more instructions. */
#if defined(__GNUC__) && !defined(__clang__)
#define DW_ASM3 1
#else
#define DW_ASM3 0
#endif

/* The reference loop: slow and obvious. */
NN_DENSE_NOINLINE static int dw_reference(const nn_depthwise_conv2d_s8_params_t *p, const int8_t *in, int8_t *out)
{
    const nn_window_t *w = &p->win;
    const int32_t channels = w->in_c * p->depth_multiplier;
    int32_t oy, ox, o, ky, kx;
    for (oy = 0; oy < w->out_h; ++oy) {
        for (ox = 0; ox < w->out_w; ++ox) {
            int8_t *y = out + ((size_t)oy * (size_t)w->out_w + (size_t)ox) * (size_t)channels;
            for (o = 0; o < channels; ++o) {
                const int32_t c = o / p->depth_multiplier;
                int32_t acc = p->bias[o];
                int32_t mult = p->mult[o];
                int32_t shift = p->shift[o];
                int32_t r;
                for (ky = 0; ky < w->k_h; ++ky) {
                    const int32_t iy = oy * w->stride_h - w->pad_top + ky * w->dil_h;
                    for (kx = 0; kx < w->k_w; ++kx) {
                        const int32_t ix = ox * w->stride_w - w->pad_left + kx * w->dil_w;
                        int32_t x = p->in_zp;
                        if (iy >= 0 && iy < w->in_h && ix >= 0 && ix < w->in_w) {
                            x = in[((size_t)iy * (size_t)w->in_w + (size_t)ix) * (size_t)w->in_c + (size_t)c];
                        }
                        acc += x * (int32_t)p->weights[(size_t)(ky * w->k_w + kx) * (size_t)channels + (size_t)o];
                    }
                }
                if (acc < 0 && p->neg_mult != NULL) {
                    mult = p->neg_mult[o];
                    shift = p->neg_shift[o];
                }
                r = nn_requantize(acc, mult, shift);
                y[o] = (int8_t)(nn_clamp(r, p->act_min - p->out_zp, p->act_max - p->out_zp) + p->out_zp);
            }
        }
    }
    return NN_OK;
}

#if NN_DENSE_FAST
#if NN_DENSE_FAST_MVE
/* What dw_mve3x3_int8's assembly reads from memory: the pointers and counts it has no register for. */
typedef struct {
    const int8_t *w;
    const int32_t *bias;
    const int32_t *mult;
    const int32_t *shift;
    int32_t passes; /* c / 16 */
    int32_t half;   /* c % 16 / 8: a last pass of 8 channels */
    int32_t skip;   /* (stride_w - 1) c: from the end of a pixel's rows to the next pixel's */
    int32_t pixels; /* counted down */
} dw_mve_run_t;
#endif

/* What a pixel needs, read from the parameters once per call (depth multiplier 1: in_c channels). */
typedef struct {
    const int8_t *in;
    const int8_t *weights;
    const int32_t *bias;
    int32_t c;     /* channels */
    int32_t k_h;
    int32_t k_w;
    int32_t tap;   /* dil_w * c: the input step from one tap of a row to the next */
    int32_t row;   /* dil_h * in_w * c: the input step from one row of taps to the next */
    int32_t zp;    /* in_zp */
    nn_dense_output_t s;
#if NN_DENSE_FAST_MVE
    int mve_int8;  /* every shift < 0, no leaky slope, the clamp the whole int8 range: dw_mve3x3_int8 */
    dw_mve_run_t mve; /* dw_mve3x3_int8's block, its skip and pixels set per call */
#endif
} dw_fast_t;

/* The taps of a pixel: rows [ky0, ky1) and columns [kx0, kx1) lie inside the input; tap (ky, kx) reads
 * in + at + ky * row + kx * tap + channel (at may be negative: only the taps inside are read). */
typedef struct {
    int32_t at;
    int32_t ky0;
    int32_t ky1;
    int32_t kx0;
    int32_t kx1;
} dw_pixel_t;

/* Channel ch of a pixel, one tap at a time (the last channels of a group and border pixels of plain C). */
static int32_t dw_channel(const dw_fast_t *f, const dw_pixel_t *px, int32_t ch)
{
    int32_t acc = f->bias[ch];
    const int8_t *wp = f->weights + ch;
    int32_t ky, kx;
    for (ky = 0; ky < f->k_h; ++ky) {
        const int inside_row = ky >= px->ky0 && ky < px->ky1;
        for (kx = 0; kx < f->k_w; ++kx) {
            int32_t x = f->zp;
            if (inside_row && kx >= px->kx0 && kx < px->kx1) {
                x = f->in[px->at + ky * f->row + kx * f->tap + ch];
            }
            acc += x * (int32_t)*wp;
            wp += f->c;
        }
    }
    return acc;
}
#endif /* NN_DENSE_FAST */

#if NN_DENSE_FAST_PLAIN
/* A pixel whose 3-tap rows step n bytes (see dw_fast): one channel at a time. */
NN_DENSE_NOINLINE static void dw_interior3(const dw_fast_t *f, const int8_t *x, int32_t row, int8_t *y)
{
    const int32_t n = f->c;
    const int32_t n2 = 2 * n;
    const int32_t k_h = f->k_h;
    const int32_t *bias = f->bias;
    const int8_t *weights = f->weights;
    const nn_dense_output_t s = f->s;
    int32_t ch;
    for (ch = 0; ch < n; ++ch) {
        const int8_t *xp = x + ch;
        const int8_t *wp = weights + ch;
        int32_t acc = bias[ch];
        int32_t ky = k_h;
        do {
            acc += (int32_t)xp[0] * wp[0] + (int32_t)xp[n] * wp[n] + (int32_t)xp[n2] * wp[n2];
            xp += row;
            wp += n2 + n;
        } while (--ky > 0);
        y[ch] = (int8_t)nn_dense_output_one(&s, ch, acc);
    }
}

/* Any pixel, one channel and one tap at a time. */
NN_DENSE_ALWAYS_INLINE static inline void dw_pixel(const dw_fast_t *f, const dw_pixel_t *px, int interior, int8_t *y)
{
    int32_t ch;
    (void)interior;
    for (ch = 0; ch < f->c; ++ch) {
        y[ch] = (int8_t)nn_dense_output_one(&f->s, ch, dw_channel(f, px, ch));
    }
}
#endif /* NN_DENSE_FAST_PLAIN */

#if NN_DENSE_FAST_DSP
/* 4 bytes from any address (one LDR: the core allows unaligned words) */
static inline int32_t dw_load4(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* bytes 1 and 3 of v sign-extended to the two halves (GCC 12 does not fold the rotate of __sxtb16) */
static inline int32_t dw_sxtb16_ror8(int32_t v)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}

/* channel k of the 4 gains x_k * w_k: bytes 0 and 2 in the low and high halves of the SXTB16s, 1 and 3
 * in those of the SXTB16 ROR #8s */
#define DW_DSP_TAP(xv, wv)                                                                              \
    do {                                                                                                \
        const int32_t x_ = (xv);                                                                        \
        const int32_t w_ = (wv);                                                                        \
        const int32_t xe_ = __sxtb16(x_);                                                               \
        const int32_t we_ = __sxtb16(w_);                                                               \
        const int32_t xo_ = dw_sxtb16_ror8(x_);                                                         \
        const int32_t wo_ = dw_sxtb16_ror8(w_);                                                         \
        a0 = __smlabb(xe_, we_, a0);                                                                    \
        a2 = __smlatt(xe_, we_, a2);                                                                    \
        a1 = __smlabb(xo_, wo_, a1);                                                                    \
        a3 = __smlatt(xo_, wo_, a3);                                                                    \
    } while (0)

/* a tap outside the input: zp2 holds in_zp in both halves */
#define DW_DSP_ZP_TAP(zp2, wv)                                                                          \
    do {                                                                                                \
        const int32_t w_ = (wv);                                                                        \
        const int32_t we_ = __sxtb16(w_);                                                               \
        const int32_t wo_ = dw_sxtb16_ror8(w_);                                                         \
        a0 = __smlabb(zp2, we_, a0);                                                                    \
        a2 = __smlatt(zp2, we_, a2);                                                                    \
        a1 = __smlabb(zp2, wo_, a1);                                                                    \
        a3 = __smlatt(zp2, wo_, a3);                                                                    \
    } while (0)

/* Channels per block of dw_dsp3x3: its accumulators wait on the stack for the output stage. */
#define DW_BLOCK 32

/* The DSP pixel: 4 channels at a time (weights: one LDR at any offset, c need not be a multiple of 4). */
NN_DENSE_ALWAYS_INLINE static inline void dw_pixel(const dw_fast_t *f, const dw_pixel_t *px, int interior, int8_t *y)
{
    const int32_t n = f->c;
    int32_t ch;
    for (ch = 0; ch + 4 <= n; ch += 4) {
        const int8_t *wp = f->weights + ch;
        int32_t a0 = f->bias[ch];
        int32_t a1 = f->bias[ch + 1];
        int32_t a2 = f->bias[ch + 2];
        int32_t a3 = f->bias[ch + 3];
        int32_t ky, kx;
        if (interior) {
            const int8_t *x = f->in + px->at + ch;
            for (ky = 0; ky < f->k_h; ++ky) {
                for (kx = 0; kx < f->k_w; ++kx) {
                    DW_DSP_TAP(dw_load4(x + kx * f->tap), dw_load4(wp));
                    wp += n;
                }
                x += f->row;
            }
        } else {
            /* in_zp in each half: the taps outside the input add in_zp * w */
            const int32_t zp2 = (int32_t)(((uint32_t)f->zp & 0xFFFFu) * 0x00010001u);
            for (ky = 0; ky < f->k_h; ++ky) {
                if (ky >= px->ky0 && ky < px->ky1) {
                    const int8_t *x = f->in + px->at + ky * f->row + ch;
                    for (kx = 0; kx < f->k_w; ++kx) {
                        if (kx >= px->kx0 && kx < px->kx1) {
                            DW_DSP_TAP(dw_load4(x + kx * f->tap), dw_load4(wp));
                        } else {
                            DW_DSP_ZP_TAP(zp2, dw_load4(wp));
                        }
                        wp += n;
                    }
                } else {
                    for (kx = 0; kx < f->k_w; ++kx) {
                        DW_DSP_ZP_TAP(zp2, dw_load4(wp));
                        wp += n;
                    }
                }
            }
        }
        y[ch] = (int8_t)nn_dense_output_one(&f->s, ch, a0);
        y[ch + 1] = (int8_t)nn_dense_output_one(&f->s, ch + 1, a1);
        y[ch + 2] = (int8_t)nn_dense_output_one(&f->s, ch + 2, a2);
        y[ch + 3] = (int8_t)nn_dense_output_one(&f->s, ch + 3, a3);
    }
    for (; ch < n; ++ch) {
        y[ch] = (int8_t)nn_dense_output_one(&f->s, ch, dw_channel(f, px, ch));
    }
}
#if DW_ASM3
/* One tap of 4 channels in dw_dsp3x3_int8: the words of inputs and weights at x and w. */
#define DW_DSP3_TAP(x, w)                                                                               \
    "ldr %[xv], " x "\n\t"                                                                              \
    "ldr %[wv], " w "\n\t"                                                                              \
    "sxtb16 %[t], %[xv]\n\t"                                                                            \
    "sxtb16 %[u], %[wv]\n\t"                                                                            \
    "sxtb16 %[xv], %[xv], ror #8\n\t"                                                                   \
    "sxtb16 %[wv], %[wv], ror #8\n\t"                                                                   \
    "smlabb %[a0], %[t], %[u], %[a0]\n\t"                                                               \
    "smlatt %[a2], %[t], %[u], %[a2]\n\t"                                                               \
    "smlabb %[a1], %[xv], %[wv], %[a1]\n\t"                                                             \
    "smlatt %[a3], %[xv], %[wv], %[a3]\n\t"
/* a row of 3 taps from row pointer x (stepped 4 on), weights from w (w0: the last tap's address mode) */
#define DW_DSP3_ROW(x, w0)                                                                              \
    DW_DSP3_TAP("[%[" x "], %[n]]", "[%[w], %[n]]")                                                     \
    DW_DSP3_TAP("[%[" x "], %[n], lsl #1]", "[%[w], %[n], lsl #1]")                                     \
    DW_DSP3_TAP("[%[" x "]], #4", w0)
#define DW_DSP3_NEXT_W                                                                                  \
    "add %[w], %[w], %[n], lsl #1\n\t"                                                                  \
    "add %[w], %[w], %[n]\n\t"
/* an edge pixel's row: 2 taps from row pointer x (stepped 4 on), weights from w */
#define DW_DSP3_ROW2(x)                                                                                 \
    DW_DSP3_TAP("[%[" x "], %[n]]", "[%[w], %[n]]")                                                     \
    DW_DSP3_TAP("[%[" x "]], #4", "[%[w]]")
/* an edge pixel's column of weights outside the input, a row (at w + d, d read from dm) sign-extended in
 * pairs into p (channels 0, 2) and q (1, 3) */
#define DW_DSP3_ZP_LOAD(p, q)                                                                           \
    "ldr %[xv], %[dm]\n\t"                                                                              \
    "ldr %[xv], [%[w], %[xv]]\n\t"                                                                      \
    "sxtb16 %[" p "], %[xv]\n\t"                                                                        \
    "sxtb16 %[" q "], %[xv], ror #8\n\t"
#define DW_DSP3_ZP_ADD                                                                                  \
    "sub %[w], %[w], %[n], lsl #1\n\t"                                                                  \
    "sub %[w], %[w], %[n]\n\t" DW_DSP3_ZP_LOAD("wv", "xv") "sadd16 %[t], %[t], %[wv]\n\t"             \
    "sadd16 %[u], %[u], %[xv]\n\t"
/* a block's accumulators: 4 biases into r0-r3 (a0-a3) from bp on, then (after the taps) out to ap on;
 * again until ap reaches ae */
#define DW_DSP3_BIAS                                                                                    \
    "1:\n\t"                                                                                            \
    "ldr %[t], %[bp]\n\t"                                                                               \
    "ldmia %[t]!, {r0, r1, r2, r3}\n\t"                                                                 \
    "str %[t], %[bp]\n\t"
#define DW_DSP3_STORE                                                                                   \
    "ldr %[t], %[ap]\n\t"                                                                               \
    "stmia %[t]!, {r0, r1, r2, r3}\n\t"                                                                 \
    "str %[t], %[ap]\n\t"                                                                               \
    "ldr %[u], %[ae]\n\t"                                                                               \
    "cmp %[t], %[u]\n\t"                                                                                \
    "bne 1b\n\t"

/* output i from acc[i]: nn_dense_requantize_right (k: 2^30, the rounding term's low word for acc >= 0;
 * RSB #254 gives -shift - 2 in the low byte, all ASR reads), then + zp folded into the last rounding
 * (z: 2 zp + 1), and SSAT #8 (the clamp is the whole int8 range) */
#define DW_DSP3_OUT                                                                                     \
    "ldr %[a], [%[ap]], #4\n\t"                                                                         \
    "ldr %[m], [%[mp]], #4\n\t"                                                                         \
    "ldr %[e], [%[sp]], #4\n\t"                                                                         \
    "asr %[h], %[a], #31\n\t"                                                                           \
    "eor %[l], %[k], %[h], lsl #31\n\t"                                                                 \
    "smlal %[l], %[h], %[a], %[m]\n\t"                                                                  \
    "rsb %[e], %[e], #254\n\t"                                                                          \
    "asr %[l], %[h], %[e]\n\t"                                                                          \
    "add %[l], %[l], %[z]\n\t"                                                                          \
    "asr %[l], %[l], #1\n\t"                                                                            \
    "ssat %[l], #8, %[l]\n\t"                                                                           \
    "strb %[l], [%[y]], #1\n\t"

/* the same with any clamp: [lo, hi] (act_min, act_max) after the zero point */
#define DW_DSP3_OUT_RANGE                                                                               \
    "ldr %[a], [%[ap]], #4\n\t"                                                                         \
    "ldr %[m], [%[mp]], #4\n\t"                                                                         \
    "ldr %[e], [%[sp]], #4\n\t"                                                                         \
    "asr %[h], %[a], #31\n\t"                                                                           \
    "lsl %[l], %[h], #31\n\t"                                                                           \
    "eor %[l], %[l], #0x40000000\n\t"                                                                   \
    "smlal %[l], %[h], %[a], %[m]\n\t"                                                                  \
    "rsb %[e], %[e], #254\n\t"                                                                          \
    "asr %[l], %[h], %[e]\n\t"                                                                          \
    "add %[l], %[l], %[z]\n\t"                                                                          \
    "asr %[l], %[l], #1\n\t"                                                                            \
    "cmp %[l], %[lo]\n\t"                                                                               \
    "it lt\n\t"                                                                                         \
    "movlt %[l], %[lo]\n\t"                                                                             \
    "cmp %[l], %[hi]\n\t"                                                                               \
    "it gt\n\t"                                                                                         \
    "movgt %[l], %[hi]\n\t"                                                                             \
    "strb %[l], [%[y]], #1\n\t"

/*
 * A 3x3 window, c a multiple of 4, every shift <= -2, no leaky slope:
 * `pixels` (>= 1) outputs of a row into y on, their 3 rows of taps from xr[0..2] on (row k steps c +
 * skip[k] bytes from one pixel to the next). Blocks of DW_BLOCK channels: 4 channels at a time, the 9
 * taps in assembly with the accumulators in registers, then the block's output stage in assembly.
 */
NN_DENSE_NOINLINE static void dw_dsp3x3_int8(const dw_fast_t *f, const int8_t *const xr[3], const int32_t skip[3],
    int32_t pixels, int32_t edge, int8_t *y)
{
    const int32_t zp2 = (int32_t)(((uint32_t)f->zp & 0xFFFFu) * 0x00010001u);
    /* edge 1 (the left column outside the input) and 2 (the right one): xr point at the 2 columns
     * inside, read with the weights from wo on; the column outside adds in_zp times its weights (at d
     * from those), summed over its 3 rows first */
    const int32_t wo = edge == 1 ? f->c : 0;
    const int32_t d = edge == 1 ? -f->c : 2 * f->c;
    const int32_t n = f->c;
    const int32_t z = 2 * f->s.zp + 1;
    const int32_t lo = f->s.lo + f->s.zp;
    const int32_t hi = f->s.hi + f->s.zp;
    const int int8 = lo == -128 && hi == 127;
    const int8_t *x0 = xr[0];
    const int8_t *x1 = xr[1];
    const int8_t *x2 = xr[2];
    int32_t acc[DW_BLOCK];
    do {
        int32_t ch0;
        for (ch0 = 0; ch0 < n; ch0 += DW_BLOCK) {
            const int32_t count = n - ch0 < DW_BLOCK ? n - ch0 : DW_BLOCK;
            const int8_t *w = f->weights + ch0 + wo;
            const int32_t *ap = acc;
            const int32_t *mp = f->s.mult + ch0;
            const int32_t *sp = f->s.shift + ch0;
            const int32_t *end = acc + count;
            const int32_t *bp = f->bias + ch0;
            int32_t *aw = acc;
            register int32_t a0 __asm__("r0");
            register int32_t a1 __asm__("r1");
            register int32_t a2 __asm__("r2");
            register int32_t a3 __asm__("r3");
            int32_t xv, wv, t, u;
            if (edge == 0) {
                __asm__ volatile(DW_DSP3_BIAS DW_DSP3_ROW("x0", "[%[w]]") DW_DSP3_NEXT_W DW_DSP3_ROW("x1", "[%[w]]")
                        DW_DSP3_NEXT_W DW_DSP3_ROW("x2", "[%[w]], #4")
                    "sub %[w], %[w], %[n], lsl #2\n\t"
                    "sub %[w], %[w], %[n], lsl #1\n\t" DW_DSP3_STORE
                    : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [x0] "+r"(x0), [x1] "+r"(x1),
                    [x2] "+r"(x2), [w] "+r"(w), [xv] "=&r"(xv), [wv] "=&r"(wv), [t] "=&r"(t), [u] "=&r"(u),
                    [bp] "+m"(bp), [ap] "+m"(aw)
                    : [n] "r"(n), [ae] "m"(end)
                    : "cc", "memory");
            } else {
                __asm__ volatile(DW_DSP3_BIAS DW_DSP3_ROW2("x0") DW_DSP3_NEXT_W DW_DSP3_ROW2("x1") DW_DSP3_NEXT_W
                        DW_DSP3_ROW2("x2") DW_DSP3_ZP_LOAD("t", "u") DW_DSP3_ZP_ADD DW_DSP3_ZP_ADD
                    "add %[w], %[w], #4\n\t"
                    "ldr %[xv], %[zp2]\n\t"
                    "smlabb %[a0], %[t], %[xv], %[a0]\n\t"
                    "smlatb %[a2], %[t], %[xv], %[a2]\n\t"
                    "smlabb %[a1], %[u], %[xv], %[a1]\n\t"
                    "smlatb %[a3], %[u], %[xv], %[a3]\n\t" DW_DSP3_STORE
                    : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [x0] "+r"(x0), [x1] "+r"(x1),
                    [x2] "+r"(x2), [w] "+r"(w), [xv] "=&r"(xv), [wv] "=&r"(wv), [t] "=&r"(t), [u] "=&r"(u),
                    [bp] "+m"(bp), [ap] "+m"(aw)
                    : [n] "r"(n), [ae] "m"(end), [dm] "m"(d), [zp2] "m"(zp2)
                    : "cc", "memory");
            }
            {
                int32_t a, m, e, h, l;
                if (int8) {
                    __asm__ volatile("1:\n\t" DW_DSP3_OUT DW_DSP3_OUT DW_DSP3_OUT DW_DSP3_OUT
                        "cmp %[ap], %[end]\n\t"
                        "bne 1b\n\t"
                        : [ap] "+r"(ap), [mp] "+r"(mp), [sp] "+r"(sp), [y] "+r"(y), [a] "=&r"(a), [m] "=&r"(m),
                        [e] "=&r"(e), [h] "=&r"(h), [l] "=&r"(l)
                        : [end] "r"(end), [z] "r"(z), [k] "r"((int32_t)1 << 30)
                        : "cc", "memory");
                } else {
                    __asm__ volatile("1:\n\t" DW_DSP3_OUT_RANGE DW_DSP3_OUT_RANGE
                        "cmp %[ap], %[end]\n\t"
                        "bne 1b\n\t"
                        : [ap] "+r"(ap), [mp] "+r"(mp), [sp] "+r"(sp), [y] "+r"(y), [a] "=&r"(a), [m] "=&r"(m),
                        [e] "=&r"(e), [h] "=&r"(h), [l] "=&r"(l)
                        : [end] "r"(end), [z] "r"(z), [lo] "r"(lo), [hi] "r"(hi)
                        : "cc", "memory");
                }
            }
        }
        x0 += skip[0];
        x1 += skip[1];
        x2 += skip[2];
    } while (--pixels > 0);
}
#endif /* DW_ASM3 */
#endif /* NN_DENSE_FAST_DSP */

#if NN_DENSE_FAST_MVE
#define DW_MVE_TAP(xv, wp)                                                                              \
    do {                                                                                                \
        const int16x8_t x_ = (xv);                                                                      \
        const int16x8_t w_ = vldrbq_s16(wp);                                                            \
        even = vaddq_s32(even, vmullbq_int_s16(x_, w_));                                                \
        odd = vaddq_s32(odd, vmulltq_int_s16(x_, w_));                                                  \
    } while (0)

/* Channels ch .. ch + 7 from their accumulators (even: ch, ch + 2, ..; odd: ch + 1, ch + 3, ..), each
 * array read with VLD2 (even and odd words apart), the two halves narrowed into one int16x8 in channel
 * order and stored as 8 bytes. */
static inline void dw_store8_mve(const nn_dense_output_t *s, int32_t ch, int32x4_t even, int32x4_t odd, int8_t *y)
{
    int32x4x2_t mult = vld2q_s32(s->mult + ch);
    int32x4x2_t shift = vld2q_s32(s->shift + ch);
    int32x4_t e, o;
    if (s->neg_mult != NULL) {
        const int32x4x2_t nm = vld2q_s32(s->neg_mult + ch);
        const int32x4x2_t ns = vld2q_s32(s->neg_shift + ch);
        const mve_pred16_t ne = vcmpltq_n_s32(even, 0);
        const mve_pred16_t no = vcmpltq_n_s32(odd, 0);
        mult.val[0] = vpselq_s32(nm.val[0], mult.val[0], ne);
        shift.val[0] = vpselq_s32(ns.val[0], shift.val[0], ne);
        mult.val[1] = vpselq_s32(nm.val[1], mult.val[1], no);
        shift.val[1] = vpselq_s32(ns.val[1], shift.val[1], no);
    }
    e = nn_dense_requantize4_mve(s, even, mult.val[0], shift.val[0]);
    o = nn_dense_requantize4_mve(s, odd, mult.val[1], shift.val[1]);
    vstrbq_s16(y, vmovntq_s32(vreinterpretq_s16_s32(e), o));
}

#if DW_ASM3
/*
 * 16 channels per pass of a 3x3 window whose rows step n bytes (dw_interior3 with k_h = 3), in
 * assembly (GCC 12 keeps the pointers of the intrinsic form on the stack), when every shift is negative,
 * no leaky slope is set and the clamp is the whole int8 range. Per tap and 8 channels: VLDRB.S16 of
 * inputs and of weights, VMULLB.S16 / VMULLT.S16 (the even and the odd channels' products as int32)
 * and two VADDs into the accumulators q0 (even) and q1 (odd) of channels 0-7, q2 and q3 of 8-15. The
 * tap at (ky, kx) reads xr + kx n (xr: row ky's pointer) and w + (3 ky + kx) n, addresses made in t and
 * u, the row pointers and w stepping 16 bytes with the last load of their own tap. The output stage
 * reads bias, mult and shift by VLD2 (even and odd channels apart): VQRDMULH (nn_srdhm), minus one
 * where negative, VRSHL by the shift (nn_rdbpot), the zero point, then the clamp as two saturating
 * narrowings (int32 -> int16 -> int8: clamp(q, lo, hi) + zp = sat8(q + zp) for the whole int8 range),
 * the halves interleaved back into channel order by VQMOVNB / VQMOVNT, one VSTRB.16 per 8 channels.
 * 163 instructions per pass of 16 channels (144 multiply-accumulates). Where c % 16 = 8 (8, 24, ..:
 * the first layers of small MobileNets), a last pass takes the 8 channels left, with q0 and q1 alone.
 */
#define DW_MVE_ASM_TAP(xb, xa, wb, wa)                                                                  \
    "vldrb.s16 q5, " xb "\n\t"                                                                           \
    "vldrb.s16 q4, " xa "\n\t"                                                                           \
    "vldrb.s16 q6, " wb "\n\t"                                                                           \
    "vmullb.s16 q7, q5, q6\n\t"                                                                         \
    "vadd.i32 q2, q2, q7\n\t"                                                                           \
    "vmullt.s16 q7, q5, q6\n\t"                                                                         \
    "vadd.i32 q3, q3, q7\n\t"                                                                           \
    "vldrb.s16 q6, " wa "\n\t"                                                                           \
    "vmullb.s16 q7, q4, q6\n\t"                                                                         \
    "vadd.i32 q0, q0, q7\n\t"                                                                           \
    "vmullt.s16 q7, q4, q6\n\t"                                                                         \
    "vadd.i32 q1, q1, q7\n\t"
/* DW_MVE_ASM_TAP for the channels of one half only: accumulators q0 (even) and q1 (odd). */
#define DW_MVE_ASM_TAP8(xa, wa)                                                                         \
    "vldrb.s16 q4, " xa "\n\t"                                                                           \
    "vldrb.s16 q6, " wa "\n\t"                                                                           \
    "vmullb.s16 q7, q4, q6\n\t"                                                                         \
    "vadd.i32 q0, q0, q7\n\t"                                                                           \
    "vmullt.s16 q7, q4, q6\n\t"                                                                         \
    "vadd.i32 q1, q1, q7\n\t"
#define DW_MVE_ASM_OUT(ae, ao)                                                                          \
    "vld20.32 {q4, q5}, [%[mult]]\n\t"                                                                  \
    "vld21.32 {q4, q5}, [%[mult]]!\n\t"                                                                 \
    "vld20.32 {q6, q7}, [%[shift]]\n\t"                                                                 \
    "vld21.32 {q6, q7}, [%[shift]]!\n\t"                                                                \
    "vqrdmulh.s32 " ae ", " ae ", q4\n\t"                                                               \
    "vqrdmulh.s32 " ao ", " ao ", q5\n\t"                                                               \
    "vshr.s32 q4, " ae ", #31\n\t"                                                                      \
    "vshr.s32 q5, " ao ", #31\n\t"                                                                      \
    "vqadd.s32 " ae ", " ae ", q4\n\t"                                                                  \
    "vqadd.s32 " ao ", " ao ", q5\n\t"                                                                  \
    "vrshl.s32 " ae ", " ae ", q6\n\t"                                                                  \
    "vrshl.s32 " ao ", " ao ", q7\n\t"                                                                  \
    "vadd.i32 " ae ", " ae ", %[zp]\n\t"                                                                \
    "vadd.i32 " ao ", " ao ", %[zp]\n\t"                                                                \
    "vqmovnb.s32 q4, " ae "\n\t"                                                                        \
    "vqmovnt.s32 q4, " ao "\n\t"                                                                        \
    "vqmovnb.s16 q5, q4\n\t"                                                                            \
    "vstrb.16 q5, [%[y]], #8\n\t"


/* `pixels` (>= 1) outputs of a row, their 3 rows of taps from xr[0..2] on (one pixel to the next:
 * c + skip bytes), into y on. */
static void dw_mve3x3_int8(const int8_t *const xr[3], const dw_fast_t *f, int32_t pixels, int32_t skip, int8_t *y)
{
    register const int8_t *x0 __asm__("r0") = xr[0];
    register const int8_t *x1 __asm__("r1") = xr[1];
    register const int8_t *x2 __asm__("r2") = xr[2];
    register const int8_t *w __asm__("r3");
    register const int8_t *t __asm__("r4");
    register uintptr_t u __asm__("r5"); /* the pass count, then an address */
    register int8_t *o __asm__("r6") = y;
    register int32_t nr __asm__("r8") = f->c;
    register int32_t zr __asm__("r9") = f->s.zp;
    register const int32_t *mr __asm__("r10");
    register const int32_t *sr __asm__("r11");
    register const int32_t *br __asm__("r12");
    dw_mve_run_t m; /* field by field, on the stack: the assembly reads it there after changing registers */
    m.w = f->mve.w;
    m.bias = f->mve.bias;
    m.mult = f->mve.mult;
    m.shift = f->mve.shift;
    m.passes = f->mve.passes;
    m.half = f->mve.half;
    m.skip = skip;
    m.pixels = pixels;
    __asm__ volatile(
        "0:\n\t"
        "ldr %[w], %[mw]\n\t"
        "ldr %[bias], %[mb]\n\t"
        "ldr %[mult], %[mm]\n\t"
        "ldr %[shift], %[ms]\n\t"
        "ldr %[u], %[mp]\n\t"
        "wls lr, %[u], 2f\n"
        "1:\n\t"
        "vld20.32 {q0, q1}, [%[bias]]\n\t"
        "vld21.32 {q0, q1}, [%[bias]]!\n\t"
        "vld20.32 {q2, q3}, [%[bias]]\n\t"
        "vld21.32 {q2, q3}, [%[bias]]!\n\t"
        /* row 0: the first tap's weights at w (stepping 16), u = w + n */
        "add %[u], %[w], %[n]\n\t"
        "add %[t], %[x0], %[n]\n\t"
        DW_MVE_ASM_TAP("[%[x0], #8]", "[%[x0]], #16", "[%[w], #8]", "[%[w]], #16")
        DW_MVE_ASM_TAP("[%[t], #8]", "[%[t]]", "[%[u], #8]", "[%[u]]")
        "add %[t], %[t], %[n]\n\t"
        "add %[u], %[u], %[n]\n\t"
        DW_MVE_ASM_TAP("[%[t], #8]", "[%[t]]", "[%[u], #8]", "[%[u]]")
        /* row 1 */
        "add %[u], %[u], %[n]\n\t"
        "add %[t], %[x1], %[n]\n\t"
        DW_MVE_ASM_TAP("[%[x1], #8]", "[%[x1]], #16", "[%[u], #8]", "[%[u]]")
        "add %[u], %[u], %[n]\n\t"
        DW_MVE_ASM_TAP("[%[t], #8]", "[%[t]]", "[%[u], #8]", "[%[u]]")
        "add %[t], %[t], %[n]\n\t"
        "add %[u], %[u], %[n]\n\t"
        DW_MVE_ASM_TAP("[%[t], #8]", "[%[t]]", "[%[u], #8]", "[%[u]]")
        /* row 2 */
        "add %[u], %[u], %[n]\n\t"
        "add %[t], %[x2], %[n]\n\t"
        DW_MVE_ASM_TAP("[%[x2], #8]", "[%[x2]], #16", "[%[u], #8]", "[%[u]]")
        "add %[u], %[u], %[n]\n\t"
        DW_MVE_ASM_TAP("[%[t], #8]", "[%[t]]", "[%[u], #8]", "[%[u]]")
        "add %[t], %[t], %[n]\n\t"
        "add %[u], %[u], %[n]\n\t"
        DW_MVE_ASM_TAP("[%[t], #8]", "[%[t]]", "[%[u], #8]", "[%[u]]")
        DW_MVE_ASM_OUT("q0", "q1")
        DW_MVE_ASM_OUT("q2", "q3")
        "le lr, 1b\n"
        "2:\n\t"
        /* a last half pass of 8 channels, the rows and weights stepping 8 bytes */
        "ldr %[t], %[mh]\n\t"
        "cmp %[t], #0\n\t"
        "beq 3f\n\t"
        "vld20.32 {q0, q1}, [%[bias]]\n\t"
        "vld21.32 {q0, q1}, [%[bias]]!\n\t"
        "add %[u], %[w], %[n]\n\t"
        "add %[t], %[x0], %[n]\n\t"
        DW_MVE_ASM_TAP8("[%[x0]], #8", "[%[w]], #8")
        DW_MVE_ASM_TAP8("[%[t]]", "[%[u]]")
        "add %[t], %[t], %[n]\n\t"
        "add %[u], %[u], %[n]\n\t"
        DW_MVE_ASM_TAP8("[%[t]]", "[%[u]]")
        "add %[u], %[u], %[n]\n\t"
        "add %[t], %[x1], %[n]\n\t"
        DW_MVE_ASM_TAP8("[%[x1]], #8", "[%[u]]")
        "add %[u], %[u], %[n]\n\t"
        DW_MVE_ASM_TAP8("[%[t]]", "[%[u]]")
        "add %[t], %[t], %[n]\n\t"
        "add %[u], %[u], %[n]\n\t"
        DW_MVE_ASM_TAP8("[%[t]]", "[%[u]]")
        "add %[u], %[u], %[n]\n\t"
        "add %[t], %[x2], %[n]\n\t"
        DW_MVE_ASM_TAP8("[%[x2]], #8", "[%[u]]")
        "add %[u], %[u], %[n]\n\t"
        DW_MVE_ASM_TAP8("[%[t]]", "[%[u]]")
        "add %[t], %[t], %[n]\n\t"
        "add %[u], %[u], %[n]\n\t"
        DW_MVE_ASM_TAP8("[%[t]]", "[%[u]]")
        DW_MVE_ASM_OUT("q0", "q1")
        "3:\n\t"
        "ldr %[t], %[mk]\n\t"
        "add %[x0], %[x0], %[t]\n\t"
        "add %[x1], %[x1], %[t]\n\t"
        "add %[x2], %[x2], %[t]\n\t"
        "ldr %[t], %[mx]\n\t"
        "subs %[t], %[t], #1\n\t"
        "str %[t], %[mx]\n\t"
        "bne 0b\n\t"
        : [x0] "+l"(x0), [x1] "+l"(x1), [x2] "+l"(x2), [w] "=&l"(w), [t] "=&l"(t), [u] "=&l"(u), [y] "+l"(o),
          [mult] "=&r"(mr), [shift] "=&r"(sr), [bias] "=&r"(br), [n] "+r"(nr), [zp] "+r"(zr), [mx] "+m"(m.pixels)
        : [mw] "m"(m.w), [mb] "m"(m.bias), [mm] "m"(m.mult), [ms] "m"(m.shift), [mp] "m"(m.passes), [mh] "m"(m.half), [mk] "m"(m.skip)
        : "q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "lr", "cc", "memory");
}
#endif /* DW_ASM3 */

/* A pixel whose 3-tap rows step n bytes (see dw_fast): with k_h = 3 and the output stage of
 * dw_mve3x3_int8 (f->mve_int8), its passes of 16 channels; then 8 channels at a time in C, then one at
 * a time. */
NN_DENSE_NOINLINE static void dw_interior3(const dw_fast_t *f, const int8_t *x, int32_t row, int8_t *y)
{
    const int32_t n = f->c;
    const int32_t n2 = 2 * n;
    const int32_t k_h = f->k_h;
    const int32_t *bias = f->bias;
    const nn_dense_output_t s = f->s;
    int32_t ch = 0;
#if DW_ASM3
    if (f->mve_int8 && k_h == 3 && n >= 8) {
        const int8_t *xr[3];
        xr[0] = x;
        xr[1] = x + row;
        xr[2] = x + 2 * row;
        dw_mve3x3_int8(xr, f, 1, 0, y);
        ch = n - n % 8;
    }
#endif
    for (; ch + 8 <= n; ch += 8) {
        const int8_t *xp = x + ch;
        const int8_t *wp = f->weights + ch;
        const int32x4x2_t b = vld2q_s32(bias + ch);
        int32x4_t even = b.val[0];
        int32x4_t odd = b.val[1];
        int32_t ky = k_h;
        do {
            DW_MVE_TAP(vldrbq_s16(xp), wp);
            DW_MVE_TAP(vldrbq_s16(xp + n), wp + n);
            DW_MVE_TAP(vldrbq_s16(xp + n2), wp + n2);
            xp += row;
            wp += n2 + n;
        } while (--ky > 0);
        dw_store8_mve(&s, ch, even, odd, y + ch);
    }
    for (; ch < n; ++ch) {
        const int8_t *xp = x + ch;
        const int8_t *wp = f->weights + ch;
        int32_t acc = bias[ch];
        int32_t ky;
        for (ky = 0; ky < k_h; ++ky) {
            acc += (int32_t)xp[0] * wp[0] + (int32_t)xp[n] * wp[n] + (int32_t)xp[n2] * wp[n2];
            xp += row;
            wp += n2 + n;
        }
        y[ch] = (int8_t)nn_dense_output_one(&s, ch, acc);
    }
}

/* The MVE pixel: 8 channels at a time, the even ones in the int32 lanes of `even`, the odd ones in `odd`. */
NN_DENSE_ALWAYS_INLINE static inline void dw_pixel(const dw_fast_t *f, const dw_pixel_t *px, int interior, int8_t *y)
{
    const int32_t n = f->c;
    int32_t ch;
    for (ch = 0; ch + 8 <= n; ch += 8) {
        const int8_t *wp = f->weights + ch;
        const int32x4x2_t b = vld2q_s32(f->bias + ch);
        int32x4_t even = b.val[0];
        int32x4_t odd = b.val[1];
        int32_t ky, kx;
        if (interior) {
            const int8_t *x = f->in + px->at + ch;
            for (ky = 0; ky < f->k_h; ++ky) {
                for (kx = 0; kx < f->k_w; ++kx) {
                    DW_MVE_TAP(vldrbq_s16(x + kx * f->tap), wp);
                    wp += n;
                }
                x += f->row;
            }
        } else {
            const int16x8_t zp = vdupq_n_s16((int16_t)f->zp); /* the taps outside the input */
            for (ky = 0; ky < f->k_h; ++ky) {
                const int inside_row = ky >= px->ky0 && ky < px->ky1;
                for (kx = 0; kx < f->k_w; ++kx) {
                    int16x8_t xv = zp;
                    if (inside_row && kx >= px->kx0 && kx < px->kx1) {
                        xv = vldrbq_s16(f->in + px->at + ky * f->row + kx * f->tap + ch);
                    }
                    DW_MVE_TAP(xv, wp);
                    wp += n;
                }
            }
        }
        dw_store8_mve(&f->s, ch, even, odd, y + ch);
    }
    for (; ch < n; ++ch) {
        y[ch] = (int8_t)nn_dense_output_one(&f->s, ch, dw_channel(f, px, ch));
    }
}

#if DW_ASM3
/* n (a multiple of 8) bytes of v at d */
static inline void dw_fill_mve(int8_t *d, int32_t v, int32_t n)
{
    const int8x16_t vv = vdupq_n_s8((int8_t)v);
    int32_t i;
    for (i = 0; i + 16 <= n; i += 16) {
        vst1q_s8(d + i, vv);
    }
    if (i < n) {
        vstrbq_s16(d + i, vdupq_n_s16((int16_t)v));
    }
}

/* n (a multiple of 8) bytes from src to d */
static inline void dw_copy_mve(int8_t *d, const int8_t *src, int32_t n)
{
    int32_t i;
    for (i = 0; i + 16 <= n; i += 16) {
        vst1q_s8(d + i, vld1q_s8(src + i));
    }
    if (i < n) {
        vstrbq_s16(d + i, vldrbq_s16(src + i));
    }
}

/* A 3x3 pixel of dw_mve3x3_int8 (c a multiple of 8): each row of taps read in place when its 3 taps lie
 * inside the input, else from its row of the patch. Row r of the patch is the 3 c bytes at 3 r c, and
 * the c bytes at 3 r c (r = 0..3: one more than the rows) hold in_zp for the whole call (dw_fast fills
 * them): a row whose first column lies outside reads [in_zp | col 1 | col 2] from 3 r c, one whose last
 * column lies outside reads [col 0 | col 1 | in_zp] from 3 r c + c, the in_zp being the next row's. So an
 * edge pixel copies its 2 columns per row and fills nothing; the columns in between are filled. */
static void dw_pixel3_mve(const dw_fast_t *f, const dw_pixel_t *px, int8_t *patch, int8_t *y)
{
    const int32_t n = f->c;
    const int8_t *xr[3];
    int32_t ky;
    for (ky = 0; ky < 3; ++ky) {
        const int8_t *x = f->in + px->at + ky * f->row;
        const int inside = ky >= px->ky0 && ky < px->ky1;
        const int32_t k0 = inside ? px->kx0 : 0; /* the columns to copy: [k0, k1) */
        const int32_t k1 = inside ? px->kx1 : 0;
        int8_t *const r = patch + ky * 3 * n;
        if (k0 == 0 && k1 == 3) {
            xr[ky] = x;
        } else if (k0 == 1 && k1 == 3) { /* the left edge */
            dw_copy_mve(r + n, x + n, 2 * n);
            xr[ky] = r;
        } else if (k0 == 0 && k1 == 2) { /* the right edge */
            dw_copy_mve(r + n, x, 2 * n);
            xr[ky] = r + n;
        } else {
            int8_t *const b = k0 == 0 ? r + n : r; /* column j of the window at b + j n */
            int32_t j;
            for (j = 0; j < 3; ++j) {
                int8_t *const d = b + j * n;
                if ((j < k0 || j >= k1) && d != r && d != r + 3 * n) {
                    dw_fill_mve(d, f->zp, n);
                }
            }
            dw_copy_mve(b + k0 * n, x + k0 * n, (k1 - k0) * n);
            xr[ky] = b;
        }
    }
    dw_mve3x3_int8(xr, f, 1, 0, y);
}
#endif /* DW_ASM3 */
#endif /* NN_DENSE_FAST_MVE */

#if NN_DENSE_FAST
/* The first k in [0, k) whose tap i0 + k * d lies at or after 0, and the end of those before n. */
static void dw_range(int32_t i0, int32_t d, int32_t k, int32_t n, int32_t *k0, int32_t *k1)
{
    int32_t a = 0;
    int32_t b = k;
    while (a < k && i0 + a * d < 0) {
        ++a;
    }
    while (b > a && i0 + (b - 1) * d >= n) {
        --b;
    }
    *k0 = a;
    *k1 = b;
}

/*
 * Depth multiplier 1. A window 3 taps wide without dilation across (3x3 and the like) goes through
 * dw_interior3: an interior pixel reads the input in place; a border pixel reads a copy of its window
 * (k_h rows of 3 taps, in_zp outside the input) in scratch ((k_h * 3 + 1) * in_c bytes) when scratch is not
 * NULL. Other pixels and windows go through dw_pixel, one tap at a time. The DSP path: dw_dsp3x3_int8
 * (see the top of this file), else dw_pixel.
 */
NN_DENSE_NOINLINE static int dw_fast(const nn_depthwise_conv2d_s8_params_t *p, const int8_t *in, int8_t *out,
    int8_t *patch)
{
    const nn_window_t *w = &p->win;
    dw_fast_t f;
    int32_t oy, ox;
    int three;
#if !NN_DENSE_FAST_DSP
    int patched;
#endif
#if NN_DENSE_FAST_MVE && DW_ASM3
    int mve3;
#endif
#if NN_DENSE_FAST_DSP && DW_ASM3
    int dsp3;
#endif
    f.in = in;
    f.weights = p->weights;
    f.bias = p->bias;
    f.c = w->in_c;
    f.k_h = w->k_h;
    f.k_w = w->k_w;
    f.tap = w->dil_w * w->in_c;
    f.row = w->dil_h * w->in_w * w->in_c;
    f.zp = p->in_zp;
    f.s = NN_DENSE_OUTPUT(p);
#if NN_DENSE_FAST_MVE
    {
        int32_t o;
        f.mve_int8 = DW_ASM3 && p->neg_mult == NULL && p->act_min == -128 && p->act_max == 127;
        for (o = 0; o < f.c; ++o) {
            f.mve_int8 = f.mve_int8 && p->shift[o] < 0;
        }
        f.mve.w = f.weights;
        f.mve.bias = f.bias;
        f.mve.mult = f.s.mult;
        f.mve.shift = f.s.shift;
        f.mve.passes = f.c / 16;
        f.mve.half = f.c % 16 / 8;
        f.mve.skip = 0;
        f.mve.pixels = 0;
    }
#endif
    three = f.k_w == 3 && w->dil_w == 1;
#if !NN_DENSE_FAST_DSP
    patched = three && patch != NULL;
#endif
#if NN_DENSE_FAST_MVE && DW_ASM3
    mve3 = three && f.mve_int8 && f.k_h == 3 && f.c % 8 == 0;
    if (mve3 && patch != NULL) {
        int32_t r;
        for (r = 0; r <= 3; ++r) {
            dw_fill_mve(patch + r * 3 * f.c, f.zp, f.c); /* the in_zp columns of dw_pixel3_mve */
        }
    }
#endif
#if NN_DENSE_FAST_DSP && !DW_ASM3
    (void)three;
    (void)patch;
#endif
#if NN_DENSE_FAST_DSP && DW_ASM3
    dsp3 = three && f.k_h == 3 && f.c % 4 == 0 && p->neg_mult == NULL;
    {
        int32_t o;
        for (o = 0; dsp3 && o < f.c; ++o) {
            dsp3 = p->shift[o] <= -2;
        }
    }
    if (dsp3 && patch != NULL) {
        memset(patch, f.zp, 3 * (size_t)f.c); /* the row of taps outside the input */
    }
#endif
    for (oy = 0; oy < w->out_h; ++oy) {
        const int32_t iy0 = oy * w->stride_h - w->pad_top;
        dw_pixel_t px;
        int8_t *y = out + (size_t)oy * (size_t)w->out_w * (size_t)f.c;
        dw_range(iy0, w->dil_h, w->k_h, w->in_h, &px.ky0, &px.ky1);
        for (ox = 0; ox < w->out_w; ++ox) {
            const int32_t ix0 = ox * w->stride_w - w->pad_left;
            dw_range(ix0, w->dil_w, w->k_w, w->in_w, &px.kx0, &px.kx1);
            px.at = (iy0 * w->in_w + ix0) * f.c;
#if NN_DENSE_FAST_MVE && DW_ASM3
            if (mve3 && px.ky0 == 0 && px.ky1 == 3 && px.kx0 == 0 && px.kx1 == 3) {
                /* the run of interior pixels from here (ix0 + 2 < in_w), in one call */
                int32_t end = (w->in_w - 3 + w->pad_left) / w->stride_w + 1;
                const int8_t *xr[3];
                end = end < w->out_w ? end : w->out_w;
                xr[0] = in + px.at;
                xr[1] = xr[0] + f.row;
                xr[2] = xr[1] + f.row;
                dw_mve3x3_int8(xr, &f, end - ox, (w->stride_w - 1) * f.c, y);
                y += (end - ox) * f.c;
                ox = end - 1;
                continue;
            }
            if (mve3 && patch != NULL) {
                dw_pixel3_mve(&f, &px, patch, y);
                y += f.c;
                continue;
            }
#endif
#if NN_DENSE_FAST_DSP && DW_ASM3
            if (dsp3 && (patch != NULL || (px.ky0 == 0 && px.ky1 == 3)) && (px.kx0 == 0 || px.kx1 == 3) &&
                px.kx1 - px.kx0 >= 2) {
                /* a run of pixels whose 3 columns of taps lie inside, or an edge pixel with 2 of them
                 * inside (read in place); rows outside the input read the patch's row of in_zp */
                const int edge = px.kx1 - px.kx0 == 3 ? 0 : px.kx0 == 1 ? 1 : 2;
                const int8_t *xr[3];
                int32_t skip[3];
                int32_t run = 1;
                int32_t ky;
                if (edge == 0) {
                    int32_t end = (w->in_w - 3 + w->pad_left) / w->stride_w + 1;
                    end = end < w->out_w ? end : w->out_w;
                    run = end - ox;
                }
                for (ky = 0; ky < 3; ++ky) {
                    xr[ky] = patch;
                    skip[ky] = -f.c;
                    if (ky >= px.ky0 && ky < px.ky1) {
                        xr[ky] = in + (px.at + ky * f.row + px.kx0 * f.c);
                        skip[ky] = (w->stride_w - 1) * f.c;
                    }
                }
                dw_dsp3x3_int8(&f, xr, skip, run, edge, y);
                y += run * f.c;
                ox += run - 1;
                continue;
            }
#endif
#if NN_DENSE_FAST_DSP
            /* the rest (leaky slope, shift > -2, k_h != 3, c % 4 != 0, windows 1 or 2 columns wide, rows
             * outside the input without scratch) */
            dw_pixel(&f, &px, px.ky0 == 0 && px.ky1 == f.k_h && px.kx0 == 0 && px.kx1 == f.k_w, y);
#else
            if (px.ky0 == 0 && px.ky1 == f.k_h && px.kx0 == 0 && px.kx1 == f.k_w) {
                if (three) {
                    dw_interior3(&f, in + px.at, f.row, y);
                } else {
                    dw_pixel(&f, &px, 1, y);
                }
            } else if (patched) {
                const size_t n = (size_t)f.c;
                int32_t ky;
                for (ky = 0; ky < f.k_h; ++ky) {
                    int8_t *r = patch + (size_t)ky * 3 * n;
                    if (ky >= px.ky0 && ky < px.ky1) {
                        memset(r, f.zp, (size_t)px.kx0 * n);
                        memcpy(r + (size_t)px.kx0 * n, in + px.at + ky * f.row + px.kx0 * f.c,
                            (size_t)(px.kx1 - px.kx0) * n);
                        memset(r + (size_t)px.kx1 * n, f.zp, (size_t)(3 - px.kx1) * n);
                    } else {
                        memset(r, f.zp, 3 * n);
                    }
                }
                dw_interior3(&f, patch, 3 * f.c, y);
            } else {
                dw_pixel(&f, &px, 0, y);
            }
#endif
            y += f.c;
        }
    }
    return NN_OK;
}
#endif /* NN_DENSE_FAST */

int nn_depthwise_conv2d_s8(const nn_depthwise_conv2d_s8_params_t *p, const int8_t *in, int8_t *out, int8_t *scratch)
{
    if (p == NULL || in == NULL || out == NULL || p->weights == NULL || p->bias == NULL || p->mult == NULL ||
        p->shift == NULL || (p->neg_mult == NULL) != (p->neg_shift == NULL) || p->depth_multiplier < 1) {
        return NN_ERROR_ARGUMENT;
    }
#if NN_DENSE_FAST
    if (p->depth_multiplier == 1) {
        return dw_fast(p, in, out, scratch);
    }
#endif
    (void)scratch;
    return dw_reference(p, in, out);
}
