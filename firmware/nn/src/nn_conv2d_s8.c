/*
 * nn_conv2d_s8: a convolution on int8 codes, int32 accumulators (see nn.h).
 *
 * Each output position is a dense layer over its window: the window's K = k_h * k_w * in_c codes (the
 * taps in (row, column, channel) order, in_zp for a tap in the padding) against the out_c filters, whose
 * weights the generator writes in nn_dense_s8's blocked layout with the input zero point folded into the
 * bias. So every core runs the dense kernel's loops on it (plain C on M3 and hosts, ARMv6-M assembly
 * under GCC on M0, SMLAD on M4/M7/M33, Helium on M55) and gets their speed, and every path equals the
 * reference loop below bit for bit: the integer sums are the same in any order.
 *
 * The window is read in place when it is one run of the input: inside the input, its taps adjacent in
 * a row, and its rows adjacent (one row, or rows as wide as the input). That is every position of a
 * pointwise convolution and every interior position of a 1-D one. Other windows are gathered first into
 * `scratch` (bytes of the arena that the generator's memory plan places for this op alone): a row of
 * adjacent taps inside the input is copied a word at a time (inline for the short rows of a few
 * channels, whose per-window cost is otherwise the calls; 16 bytes at a time on Helium), a tap outside
 * it is in_zp. The DSP path extends every window into 16-bit pairs in scratch instead, a pointwise one
 * straight from its pixel. On Helium a window of at most 16 taps within 256 bytes of the input (a first
 * layer on 1 to 3 channels) is one gather load, predicated on the taps inside at the border.
 *
 * Per core, the positions run in one loop with what they share read once per call: DSP (conv_dsp) and
 * Helium (conv_mve) with their output stages in assembly; ARMv6-M under GCC (conv_m0) with each window's
 * K taps alone (the unrolled multiply-accumulates entered part way for the last piece, so the zero
 * weights past K cost nothing) and the output stage in assembly. Plain C elsewhere (M3, hosts, clang on
 * ARMv6-M) goes through nn_dense_s8_each, position by position.
 *
 * The generator pads the taps with zero weights to a multiple of 8 (NN_CONV_TAPS), so that every core
 * loads weights 8 at a time with no remainder of odd taps; a window read in place then also reads the
 * input bytes after it (times zero: the run must stay inside the input), and a gathered window's bytes
 * past its taps are zeros or whatever the scratch held (the arena's bytes: any value times zero).
 *
 * With NN_REFERENCE_KERNELS=1 (nn_config.h) the reference loop alone is compiled: per position and
 * filter, the taps one by one through nn_dense_weight_index. The tests compare the two.
 */
#include <string.h>

#include "nn_dense_internal.h"

/* The input row iy (or -1 outside) and column ix of tap (ky, kx) of position (oy, ox). */
#define NN_CONV_IY(w, oy, ky) ((oy) * (w)->stride_h - (w)->pad_top + (ky) * (w)->dil_h)
#define NN_CONV_IX(w, ox, kx) ((ox) * (w)->stride_w - (w)->pad_left + (kx) * (w)->dil_w)
/* max(a, 0): one BIC with an arithmetic shift (two instructions on ARMv6-M) */
#define NN_MAX0(a) ((a) & ~((a) >> 31))

#if NN_REFERENCE_KERNELS
static int conv_reference(const nn_conv2d_s8_params_t *p, const int8_t *in, int8_t *out)
{
    const nn_window_t *w = &p->win;
    const int32_t taps = NN_CONV_TAPS(w->k_h * w->k_w * w->in_c);
    int32_t oy, ox, f, ky, kx, c;
    for (oy = 0; oy < w->out_h; ++oy) {
        for (ox = 0; ox < w->out_w; ++ox) {
            int8_t *o = out + ((size_t)oy * (size_t)w->out_w + (size_t)ox) * (size_t)p->out_c;
            for (f = 0; f < p->out_c; ++f) {
                int32_t acc = p->bias[f];
                int32_t i = 0;
                int neg;
                int32_t r;
                for (ky = 0; ky < w->k_h; ++ky) {
                    const int32_t iy = NN_CONV_IY(w, oy, ky);
                    for (kx = 0; kx < w->k_w; ++kx) {
                        const int32_t ix = NN_CONV_IX(w, ox, kx);
                        const int inside = iy >= 0 && iy < w->in_h && ix >= 0 && ix < w->in_w;
                        for (c = 0; c < w->in_c; ++c, ++i) {
                            const int32_t x = inside
                                                  ? in[((size_t)iy * (size_t)w->in_w + (size_t)ix) * (size_t)w->in_c + (size_t)c]
                                                  : p->in_zp;
                            acc += x * p->weights[nn_dense_weight_index(taps, p->out_c, f, i)];
                        }
                    }
                }
                neg = acc < 0 && p->neg_mult != NULL;
                r = nn_requantize(acc, neg ? p->neg_mult[f] : p->mult[f], neg ? p->neg_shift[f] : p->shift[f]);
                o[f] = (int8_t)(nn_clamp(r, p->act_min - p->out_zp, p->act_max - p->out_zp) + p->out_zp);
            }
        }
    }
    return NN_OK;
}
#else
/* Copy and fill a word at a time where the core loads and stores words at any address (the compiler
 * turns each 4-byte memcpy into one LDR or STR there, into bytes on ARMv6-M), the last 1 to 3 bytes
 * without a loop: a window's rows are a few bytes to a few dozen, where the library's memcpy and
 * memset cost more than the copy. GCC and clang substitute those calls for such loops; an empty asm
 * statement on the pointer keeps the loop a loop. */
/* The copies inline where the code optimises for speed (a window's rows are a few bytes, where the call
 * costs more than the copy), called at -Os. */
#if defined(__OPTIMIZE_SIZE__)
#define NN_CONV_INLINE
#else
#define NN_CONV_INLINE inline
#endif
#if defined(__GNUC__)
#define NN_KEEP_LOOP(p) __asm__("" : "+r"(p))
#else
#define NN_KEEP_LOOP(p) ((void)0)
#endif
#if NN_DENSE_FAST_MVE
/* Helium: 16 bytes per VLDRB and VSTRB. From 16 bytes on, the last 16 are copied whole, over bytes
 * already copied (a window's row of 24 bytes: two loads and two stores); under 16, one copy masked by
 * VCTP. */
static NN_CONV_INLINE void copy_bytes(int8_t *dst, const int8_t *src, size_t n)
{
    if (n >= 16u) {
        size_t i;
        vstrbq_s8(dst, vldrbq_s8(src));
        for (i = 16u; i + 16u < n; i += 16u) {
            vstrbq_s8(dst + i, vldrbq_s8(src + i));
        }
        vstrbq_s8(dst + n - 16u, vldrbq_s8(src + n - 16u));
        return;
    }
    while (n > 0u) {
        const mve_pred16_t lanes = vctp8q((uint32_t)n);
        vstrbq_p_s8(dst, vldrbq_z_s8(src, lanes), lanes);
        dst += 16;
        src += 16;
        n = n > 16u ? n - 16u : 0u;
    }
}

static NN_CONV_INLINE void fill_bytes(int8_t *dst, int8_t value, size_t n)
{
    const int8x16_t v = vdupq_n_s8(value);
    while (n > 0u) {
        vstrbq_p_s8(dst, v, vctp8q((uint32_t)n));
        dst += 16;
        n = n > 16u ? n - 16u : 0u;
    }
}
#else
#if defined(__ARM_ARCH) && !defined(__ARM_FEATURE_UNALIGNED)
/* Cores without unaligned word access (ARMv6-M): the library's copy for long rows (it copies words
 * where it can), bytes for short ones. */
static NN_CONV_INLINE void copy_bytes(int8_t *dst, const int8_t *src, size_t n)
{
    if (n >= 16u) {
        memcpy(dst, src, n);
        return;
    }
    while (n-- > 0u) {
        *dst++ = *src++;
        NN_KEEP_LOOP(dst);
    }
}
#else
static NN_CONV_INLINE void copy_bytes(int8_t *dst, const int8_t *src, size_t n)
{
    uint32_t v;
    while (n >= 4u) {
        memcpy(&v, src, 4);
        memcpy(dst, &v, 4);
        dst += 4;
        src += 4;
        n -= 4u;
        NN_KEEP_LOOP(dst);
    }
    if ((n & 2u) != 0u) {
        dst[0] = src[0];
        dst[1] = src[1];
        dst += 2;
        src += 2;
    }
    if ((n & 1u) != 0u) {
        dst[0] = src[0];
    }
}
#endif

static NN_CONV_INLINE void fill_bytes(int8_t *dst, int8_t value, size_t n)
{
    const uint32_t v = (uint32_t)(uint8_t)value * 0x01010101u;
    while (n >= 4u) {
        memcpy(dst, &v, 4);
        dst += 4;
        n -= 4u;
        NN_KEEP_LOOP(dst);
    }
    if ((n & 2u) != 0u) {
        dst[0] = value;
        dst[1] = value;
        dst += 2;
    }
    if ((n & 1u) != 0u) {
        dst[0] = value;
    }
}
#endif /* NN_DENSE_FAST_MVE */

#if !defined(__OPTIMIZE_SIZE__)
/* A window whose columns are inside the input and adjacent, into dst row by row: the k_h rows of
 * run bytes from column ix0, in_zp for a row outside the input. The sizes in locals: the stores (int8_t)
 * may alias anything, and the compiler would reload them after each. Returns the end of the rows, which
 * no caller uses: as a void function GCC 12 allocates window_pairs' registers worse (the M4's Conv2D
 * 8x8x1 of bench:mcu at 10.47 instructions per MAC instead of 10.41). */
static inline int8_t *gather_rows(const nn_window_t *w, const int8_t *in, int32_t oy, int32_t ix0, size_t run,
                                  int8_t *dst, int8_t in_zp)
{
    const size_t row = (size_t)w->in_w * (size_t)w->in_c;
    const size_t col = (size_t)ix0 * (size_t)w->in_c;
    const int32_t k_h = w->k_h;
    const int32_t in_h = w->in_h;
    const int32_t dil_h = w->dil_h;
    int32_t iy = NN_CONV_IY(w, oy, 0);
    int32_t ky;
    for (ky = 0; ky < k_h; ++ky, iy += dil_h) {
        if (iy >= 0 && iy < in_h) {
            copy_bytes(dst, in + (size_t)iy * row + col, run);
        } else {
            fill_bytes(dst, in_zp, run);
        }
        dst += run;
    }
    return dst;
}
#endif

/* The window of position (oy, ox) in place in the input when it is one run of it that `taps` bytes from
 * its start stay inside, else NULL. */
static const int8_t *window_in_place(const nn_window_t *w, const int8_t *in, int32_t oy, int32_t ox, int32_t taps)
{
    int32_t iy0, ix0;
    if (!((w->k_w == 1 || w->dil_w == 1) && (w->k_h == 1 || (w->k_w == w->in_w && w->dil_h == 1)))) {
        return NULL; /* no window is one run: tested first, as it holds for every position */
    }
    iy0 = NN_CONV_IY(w, oy, 0);
    ix0 = NN_CONV_IX(w, ox, 0);
    if (iy0 >= 0 && NN_CONV_IY(w, oy, w->k_h - 1) < w->in_h && ix0 >= 0 && NN_CONV_IX(w, ox, w->k_w - 1) < w->in_w) {
        const size_t start = ((size_t)iy0 * (size_t)w->in_w + (size_t)ix0) * (size_t)w->in_c;
        if (start + (size_t)taps <= (size_t)w->in_h * (size_t)w->in_w * (size_t)w->in_c) {
            return in + start;
        }
    }
    return NULL;
}

/* The window of position (oy, ox) as `taps` bytes (K and zero weights' worth): a pointer into the
 * input when it is one run of it that `taps` bytes from its start stay inside, else the window gathered
 * into scratch with zeros past its K taps (NULL when there is no scratch: the generator gave none
 * because every window is read in place). */
/* The general case of window_run: row by row, tap by tap where a row of taps leaves the input. */
static const int8_t *window_gather(const nn_window_t *w, const int8_t *in, int32_t oy, int32_t ox, int8_t *scratch,
                                   int8_t in_zp)
{
    const nn_window_t v = *w; /* in locals: the stores (int8_t) may alias anything, and would force reloads */
    const int32_t ix0 = NN_CONV_IX(&v, ox, 0);
    const size_t run = (size_t)v.k_w * (size_t)v.in_c;
    const int cols_in = (v.k_w == 1 || v.dil_w == 1) && ix0 >= 0 && NN_CONV_IX(&v, ox, v.k_w - 1) < v.in_w;
    int8_t *dst = scratch;
    int32_t ky, kx;
    for (ky = 0; ky < v.k_h; ++ky) {
        const int32_t iy = NN_CONV_IY(&v, oy, ky);
        if (iy < 0 || iy >= v.in_h) {
            fill_bytes(dst, in_zp, run);
            dst += run;
        } else if (cols_in) {
            copy_bytes(dst, in + ((size_t)iy * (size_t)v.in_w + (size_t)ix0) * (size_t)v.in_c, run);
            dst += run;
        } else {
            for (kx = 0; kx < v.k_w; ++kx) {
                const int32_t ix = NN_CONV_IX(&v, ox, kx);
                if (ix < 0 || ix >= v.in_w) {
                    fill_bytes(dst, in_zp, (size_t)v.in_c);
                } else {
                    copy_bytes(dst, in + ((size_t)iy * (size_t)v.in_w + (size_t)ix) * (size_t)v.in_c, (size_t)v.in_c);
                }
                dst += v.in_c;
            }
        }
    }
    return scratch; /* the bytes past K are read times zero weights: any value does */
}

static const int8_t *window_run(const nn_window_t *w, const int8_t *in, int32_t oy, int32_t ox, int32_t taps,
                                int8_t *scratch, int8_t in_zp)
{
    const int8_t *const here = window_in_place(w, in, oy, ox, taps);
    if (here != NULL) {
        return here;
    }
    if (scratch == NULL) {
        return NULL;
    }
#if !defined(__OPTIMIZE_SIZE__) /* -Os: the general case alone, for the least code */
    {
        const int32_t ix0 = NN_CONV_IX(w, ox, 0);
        const size_t run = (size_t)w->k_w * (size_t)w->in_c; /* bytes of a row of taps */
        if ((run < 8u || NN_DENSE_FAST_MVE) && (w->k_w == 1 || w->dil_w == 1) && ix0 >= 0 &&
            NN_CONV_IX(w, ox, w->k_w - 1) < w->in_w) {
            /* a few channels (the usual first layer of an image or a spectrogram), or any row on Helium
             * (a few vector copies), the columns inside: rows without a call */
            gather_rows(w, in, oy, ix0, run, scratch, in_zp);
            return scratch; /* the bytes past K are read times zero weights: any value does */
        }
    }
#endif
    return window_gather(w, in, oy, ox, scratch, in_zp);
}

/* The windows of the output positions in order, for nn_dense_s8_each. */
typedef struct {
    const nn_window_t *w;
    const int8_t *in;
    int8_t *scratch;
    int32_t taps;
    int8_t in_zp;
    int32_t oy; /* the position of the next call */
    int32_t ox;
} conv_source_t;

static const int8_t *conv_window(void *ctx, int32_t k)
{
    conv_source_t *s = (conv_source_t *)ctx;
    const int8_t *x = window_run(s->w, s->in, s->oy, s->ox, s->taps, s->scratch, s->in_zp);
    (void)k; /* the positions come in order: (oy, ox) steps instead of dividing k */
    if (++s->ox == s->w->out_w) {
        s->ox = 0;
        ++s->oy;
    }
    return x;
}
#if NN_DENSE_M0_ASM && !defined(__OPTIMIZE_SIZE__)
/*
 * ARMv6-M under GCC: the positions in one loop, with what they share read once per call
 * (nn_dense_s8_each would set the dense kernel up at every position), and each window's K taps alone:
 * the multiply-accumulates stop at the last tap, entering the unrolled inputs of the last piece part way
 * (nn_dense_m0_part), so a first layer's K = 9 taps cost 9 inputs, not 16. A window is read in place
 * when its K taps are one run of the input, else gathered into scratch.
 */
/* acc[0..3] += the 4 rows of K taps of a group at w whose layout has `taps` (NN_CONV_TAPS(K)). */
static void conv_m0_dot4(const int8_t *x, const int8_t *w, int32_t K, int32_t taps, int32_t acc[4])
{
    const int32_t whole = K / NN_DENSE_CHUNK;
    const int32_t rest = K - whole * NN_DENSE_CHUNK;
    if (whole > 0) {
        nn_dense_m0_chunks(x, w, whole, acc);
    }
    if (rest > 0) {
        /* in a chunk of 16 taps, or in the group's last half chunk of 8 */
        const int32_t stride = (whole + 1) * NN_DENSE_CHUNK <= taps ? NN_DENSE_CHUNK : 8;
        nn_dense_m0_part(x + whole * NN_DENSE_CHUNK, w + whole * NN_DENSE_ROWS * NN_DENSE_CHUNK, stride, rest, acc);
    }
}

/* Output r of a group: code = clamp(q + zp, act_min, act_max), q = nn_dense_requantize_right(acc[r],
 * mult[r], ~shift[r]). The zero point is added before the clamp: |q| < 2^30 when every shift is
 * negative, so nothing overflows. nn_dense_high_mul's two products where acc[r] is in [-2^15, 2^15), with
 * its rounding constant +-2^14 as +2^14 and a borrow of 1 when acc[r] < 0 (the same floor); else, out
 * of line, its four products, with the pointer to acc saved on the stack to free a register. */
#define CONV_M0_OUT(r4, r)                                                                              \
    "ldr %[a], [%[ap], #" r4 "]\n\t"                                                                    \
    "cmp %[a], %[neg]\n\t"                /* relu: acc <= 0 gives act_min (neg = 1; else INT32_MIN) */ \
    "blt 9" r "f\n\t"                                                                                   \
    "ldr %[m], [%[mp], #" r4 "]\n\t"                                                                    \
    "sxth %[t], %[a]\n\t"                                                                               \
    "cmp %[t], %[a]\n\t"                                                                                \
    "bne 6" r "f\n\t"                                                                                   \
    "lsls %[t], %[m], #16\n\t"                                                                          \
    "lsrs %[t], %[t], #16\n\t"                                                                          \
    "muls %[t], %[a], %[t]\n\t"                                                                         \
    "asrs %[t], %[t], #16\n\t"                                                                          \
    "lsrs %[m], %[m], #16\n\t"                                                                          \
    "muls %[m], %[a], %[m]\n\t"                                                                         \
    "adds %[m], %[m], %[t]\n\t"                                                                         \
    "movs %[t], #1\n\t"                                                                                 \
    "lsls %[t], %[t], #14\n\t"                                                                          \
    "adds %[m], %[m], %[t]\n\t"                                                                         \
    "asrs %[m], %[m], #15\n\t"                                                                          \
    "asrs %[t], %[a], #31\n\t"                                                                          \
    "adds %[m], %[m], %[t]\n\t"                                                                         \
    "7" r ":\n\t"                                                                                       \
    "ldr %[t], [%[sp], #" r4 "]\n\t"                                                                    \
    "mvns %[t], %[t]\n\t"                                                                               \
    "asrs %[m], %[t]\n\t"                                                                               \
    "adds %[m], #1\n\t"                                                                                 \
    "asrs %[m], %[m], #1\n\t"                                                                           \
    "add %[m], %[zp]\n\t"                                                                               \
    "cmp %[m], %[lo]\n\t"                                                                               \
    "bge 1f\n\t"                                                                                        \
    "mov %[m], %[lo]\n\t"                                                                               \
    "1:\n\t"                                                                                            \
    "cmp %[m], %[hi]\n\t"                                                                               \
    "ble 2f\n\t"                                                                                        \
    "mov %[m], %[hi]\n\t"                                                                               \
    "2:\n\t"                                                                                            \
    "strb %[m], [%[op], #" r "]\n\t"                                                                    \
    "b 8" r "f\n\t"                                                                                     \
    "6" r ":\n\t"                                                                                       \
    "push {%[ap]}\n\t"                                                                                  \
    "asrs %[u], %[a], #16\n\t"               /* ah */                                                  \
    "uxth %[a], %[a]\n\t"                    /* al */                                                  \
    "lsrs %[t], %[m], #16\n\t"               /* bh */                                                  \
    "uxth %[m], %[m]\n\t"                    /* bl */                                                  \
    "movs %[ap], %[a]\n\t"                                                                              \
    "muls %[ap], %[m], %[ap]\n\t"                                                                       \
    "lsrs %[ap], %[ap], #16\n\t"             /* al bl / 2^16 */                                        \
    "muls %[m], %[u], %[m]\n\t"                                                                         \
    "adds %[ap], %[ap], %[m]\n\t"            /* + ah bl */                                             \
    "muls %[a], %[t], %[a]\n\t"                                                                         \
    "adds %[ap], %[ap], %[a]\n\t"            /* + al bh */                                             \
    "asrs %[a], %[u], #31\n\t"                                                                          \
    "lsls %[a], %[a], #15\n\t"                                                                          \
    "adds %[ap], %[ap], %[a]\n\t"                                                                       \
    "movs %[a], #1\n\t"                                                                                 \
    "lsls %[a], %[a], #14\n\t"                                                                          \
    "adds %[ap], %[ap], %[a]\n\t"            /* + h / 2^16 = +-2^14 */                                 \
    "muls %[t], %[u], %[t]\n\t"                                                                         \
    "lsls %[t], %[t], #1\n\t"                /* 2 ah bh */                                             \
    "cmp %[u], #0\n\t"                                                                                  \
    "blt 3f\n\t"                                                                                        \
    "lsrs %[m], %[ap], #15\n\t"              /* unsigned where acc >= 0, signed where acc < 0 */       \
    "b 4f\n\t"                                                                                          \
    "3:\n\t"                                                                                            \
    "asrs %[m], %[ap], #15\n\t"                                                                         \
    "4:\n\t"                                                                                            \
    "adds %[m], %[m], %[t]\n\t"                                                                         \
    "pop {%[ap]}\n\t"                                                                                   \
    "b 7" r "b\n\t"                                                                                     \
    "9" r ":\n\t"                                                                                       \
    "mov %[m], %[lo]\n\t"                                                                               \
    "strb %[m], [%[op], #" r "]\n\t"                                                                    \
    "8" r ":\n\t"

/* The group's 4 codes into out[0..3] when every shift is negative and no leaky slope is set
 * (nn_dense_output_mode 1 to 4): 32 instructions per output (46 for an accumulator outside
 * [-2^15, 2^15)), where GCC's code for the same C spills to the stack. With relu (modes 3 and 4: act_min
 * >= out_zp) an accumulator <= 0 gives act_min at once (6 instructions): it requantizes to q <= 0, which
 * the clamp lifts to act_min - out_zp; neg is 1 then, else INT32_MIN (no accumulator is below it). */
static inline void conv_m0_out4(const int32_t *acc, const int32_t *mult, const int32_t *shift, int8_t *out,
                                int32_t lo, int32_t hi, int32_t zp, int32_t neg)
{
    int32_t a, m, t, u;
    const int32_t *ap = acc;
    __asm__ volatile(".syntax unified\n\t"
                     CONV_M0_OUT("0", "0") CONV_M0_OUT("4", "1") CONV_M0_OUT("8", "2") CONV_M0_OUT("12", "3")
                     : [a] "=&l"(a), [m] "=&l"(m), [t] "=&l"(t), [u] "=&l"(u), [ap] "+l"(ap)
                     : [mp] "l"(mult), [sp] "l"(shift), [op] "l"(out), [lo] "h"(lo), [hi] "h"(hi), [zp] "h"(zp),
                       [neg] "h"(neg)
                     : "cc", "memory");
}

/* Outputs o .. o + n - 1 from their accumulators, with any output stage (leaky relu, shifts >= 0), and
 * the last out_c % 4 filters': out of line, as they are rare (1.5 KB less code). */
NN_DENSE_NOINLINE static void conv_m0_out_any(const nn_dense_output_t *s, int32_t o, int32_t n, const int32_t *acc,
                                              int8_t *out)
{
    int32_t r;
    for (r = 0; r < n; ++r) {
        out[r] = (int8_t)nn_dense_output_one(s, o + r, acc[r]);
    }
}

static int conv_m0(const nn_conv2d_s8_params_t *p, const nn_dense_s8_params_t *d, const int8_t *in, int8_t *out,
                   int8_t *scratch)
{
    const nn_window_t v = p->win;
    const int32_t K = v.k_h * v.k_w * v.in_c;
    const int32_t taps = d->n_in;
    const int32_t n_out = d->n_out;
    const int32_t groups = n_out / NN_DENSE_ROWS;
    const int32_t *const bias = d->bias;
    const int32_t *const mult = d->mult;
    const int32_t *const shift = d->shift;
    const int8_t *const weights = d->weights;
    const nn_dense_output_t s = NN_DENSE_OUTPUT(d);
    const int right = nn_dense_output_mode(d);
    const int32_t neg = right >= 3 ? 1 : INT32_MIN; /* see conv_m0_out4 */
    const int32_t act_min = d->act_min;
    const int32_t act_max = d->act_max;
    const int32_t zp = d->out_zp;
    const int8_t in_zp = (int8_t)p->in_zp;
    int32_t oy, ox;
    for (oy = 0; oy < v.out_h; ++oy) {
        for (ox = 0; ox < v.out_w; ++ox) {
            const int8_t *const x = window_run(&v, in, oy, ox, K, scratch, in_zp);
            const int8_t *w = weights;
            int32_t g, o;
            if (x == NULL) {
                return NN_ERROR_ARGUMENT; /* a window to gather, and no scratch */
            }
            for (g = 0, o = 0; g < groups; ++g, o += NN_DENSE_ROWS) {
                int32_t acc[NN_DENSE_ROWS];
                acc[0] = bias[o];
                acc[1] = bias[o + 1];
                acc[2] = bias[o + 2];
                acc[3] = bias[o + 3];
                conv_m0_dot4(x, w, K, taps, acc);
                w += NN_DENSE_ROWS * taps;
                if (right) {
                    /* every shift < 0, no leaky slope */
                    conv_m0_out4(acc, mult + o, shift + o, out + o, act_min, act_max, zp, neg);
                    continue;
                }
                conv_m0_out_any(&s, o, NN_DENSE_ROWS, acc, out + o);
            }
            for (; o < n_out; ++o) {
                /* the last out_c % 4 filters, row-major */
                int32_t a = bias[o];
                int32_t i;
                for (i = 0; i < K; ++i) {
                    a += (int32_t)x[i] * (int32_t)w[i];
                }
                conv_m0_out_any(&s, o, 1, &a, out + o);
                w += taps;
            }
            out += n_out;
        }
    }
    return NN_OK;
}
#endif /* NN_DENSE_M0_ASM */
/* -Os: nn_dense_s8_each's path, half the code; -O0: too few free registers for the assembly */
#if NN_DENSE_FAST_DSP && defined(__OPTIMIZE__) && !defined(__OPTIMIZE_SIZE__)
/*
 * The DSP path (Cortex-M4, M7, M33), when the generator gave scratch: each window is sign-extended once
 * into 16-bit pairs in the order SMLAD takes them, per 4 codes (x0, x2) then (x1, x3) (SXTB16 and
 * SXTB16 ROR #8), so that every filter reads it with LDRD and only its own weights need extending: per
 * 8 inputs and 4 filters, 2 LDRD of inputs and per filter one LDRD of weights, 4 SXTB16 and 4 SMLAD,
 * 38 instructions for 32 multiply-accumulates (nn_dense_s8 extends the inputs again for every 4
 * filters: 42). A row of taps whose length is a multiple of 4 is extended straight from the input (a
 * row in the padding: the pairs of in_zp); other windows are gathered first into the upper half of the
 * 16-bit window, which the extension then overwrites from below, never ahead of what it has read. The
 * 16-bit window takes 2 * taps bytes of scratch, 4-byte aligned inside the 2 * taps + 3 the generator
 * gives. When every filter's multiplier is below 1/2 (shift < 0) and no leaky slope is set, the output
 * stage is nn_dense_requantize_right, without the branches of nn_dense_output_one.
 */

/* SXTB16 (ROR #8) and SMLAD on plain integers (ACLE's types would need casts under -Wconversion). */
static inline uint32_t sxtb16(uint32_t x)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1" : "=r"(r) : "r"(x));
    return r;
}

static inline uint32_t sxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

static inline int32_t smlad(uint32_t a, uint32_t b, int32_t acc)
{
    int32_t r;
    __asm__("smlad %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}

/* dst[0..2n) := src[0..n) extended as above (n % 4 == 0; dst 4-byte aligned; src any, as LDR allows on
 * these cores). Read before written, 8 codes at a time: dst may start below src, never above. */
static void extend_pairs(int8_t *dst, const int8_t *src, int32_t n)
{
    const int8_t *const end8 = src + (n & ~7);
    uint32_t x;
    uint32_t y;
    if (src != end8) { /* 8 codes a pass, both words loaded before any store */
        uint32_t e0, e1, e2, e3;
        __asm__ volatile("1:\n\t"
                         "ldr %[y], [%[s], #4]\n\t"
                         "ldr %[x], [%[s]], #8\n\t"
                         "sxtb16 %[e0], %[x]\n\t"
                         "sxtb16 %[e1], %[x], ror #8\n\t"
                         "sxtb16 %[e2], %[y]\n\t"
                         "sxtb16 %[e3], %[y], ror #8\n\t"
                         "strd %[e0], %[e1], [%[d]], #16\n\t"
                         "strd %[e2], %[e3], [%[d], #-8]\n\t"
                         "cmp %[s], %[end]\n\t"
                         "bne 1b\n\t"
                         : [s] "+r"(src), [d] "+r"(dst), [x] "=&r"(x), [y] "=&r"(y), [e0] "=&r"(e0), [e1] "=&r"(e1),
                           [e2] "=&r"(e2), [e3] "=&r"(e3)
                         : [end] "r"(end8)
                         : "cc", "memory");
    }
    if ((n & 4) != 0) {
        memcpy(&x, src, 4);
        y = sxtb16(x);
        x = sxtb16_ror8(x);
        memcpy(dst, &y, 4);
        memcpy(dst + 4, &x, 4);
    }
}

/* dst[0..2n) := n codes of value `pair`'s extended form ((v, v) in both halves), n % 4 == 0. */
static void fill_pairs(int8_t *dst, uint32_t pair, int32_t n)
{
    int8_t *const end = dst + 2 * n;
    while (dst != end) {
        memcpy(dst, &pair, 4);
        dst += 4;
    }
}

/* The window of (oy, ox) extended into x16 (2 * taps bytes): row by row from the input when a row of
 * taps is a multiple of 4 codes and adjacent (rows) and inside it, else gathered and extended whole. */
static void window_pairs(const nn_window_t *w, const int8_t *in, int32_t oy, int32_t ox, int32_t taps, int8_t *x16,
                         int8_t in_zp, int rows)
{
    const int32_t run = w->k_w * w->in_c;
    const int32_t ix0 = NN_CONV_IX(w, ox, 0);
    if (rows && ix0 >= 0 && NN_CONV_IX(w, ox, w->k_w - 1) < w->in_w) {
        const uint32_t zp = (uint32_t)(uint16_t)(int16_t)in_zp;
        int8_t *dst = x16;
        int32_t ky;
        for (ky = 0; ky < w->k_h; ++ky) {
            const int32_t iy = NN_CONV_IY(w, oy, ky);
            if (iy < 0 || iy >= w->in_h) {
                fill_pairs(dst, zp | (zp << 16), run);
            } else {
                extend_pairs(dst, in + ((size_t)iy * (size_t)w->in_w + (size_t)ix0) * (size_t)w->in_c, run);
            }
            dst += 2 * run;
        }
        fill_pairs(dst, 0u, taps - run * w->k_h); /* against the zero weights */
        return;
    }
    if ((w->k_w == 1 || w->dil_w == 1) && run < 8 && ix0 >= 0 && NN_CONV_IX(w, ox, w->k_w - 1) < w->in_w) {
        /* a few channels, the columns inside: window_run's first case, without its call */
        gather_rows(w, in, oy, ix0, (size_t)run, x16 + taps, in_zp);
        extend_pairs(x16, x16 + taps, taps); /* the bytes past K: any value, times zero weights */
        return;
    }
    extend_pairs(x16, window_run(w, in, oy, ox, taps, x16 + taps, in_zp), taps);
}

#define CONV_ROW(acc, ldrd)                                                                            \
    ldrd                                                                                               \
    "sxtb16 %[t], %[u], ror #8\n\t"                                                                    \
    "sxtb16 %[u], %[u]\n\t"                                                                            \
    "smlad %[" acc "], %[u], %[e0], %[" acc "]\n\t"                                                    \
    "smlad %[" acc "], %[t], %[o0], %[" acc "]\n\t"                                                    \
    "sxtb16 %[t], %[v], ror #8\n\t"                                                                    \
    "sxtb16 %[v], %[v]\n\t"                                                                            \
    "smlad %[" acc "], %[v], %[e1], %[" acc "]\n\t"                                                    \
    "smlad %[" acc "], %[t], %[o1], %[" acc "]\n\t"
#define CONV_LDRD(offset) "ldrd %[u], %[v], [%[w], #" #offset "]\n\t"
/* A chunk of 16 taps of 4 filters (x and w step past it), taps 8-15 first so that the last loads step
 * the pointers; a last half chunk of 8 taps (no step). */
#define CONV_CHUNK                                                                                     \
    "ldrd %[e0], %[o0], [%[x], #16]\n\t"                                                               \
    "ldrd %[e1], %[o1], [%[x], #24]\n\t"                                                               \
    CONV_ROW("a0", CONV_LDRD(8))                                                                       \
    CONV_ROW("a1", CONV_LDRD(24))                                                                      \
    CONV_ROW("a2", CONV_LDRD(40))                                                                      \
    CONV_ROW("a3", CONV_LDRD(56))                                                                      \
    "ldrd %[e1], %[o1], [%[x], #8]\n\t"                                                                \
    "ldrd %[e0], %[o0], [%[x]], #32\n\t"                                                               \
    CONV_ROW("a1", CONV_LDRD(16))                                                                      \
    CONV_ROW("a2", CONV_LDRD(32))                                                                      \
    CONV_ROW("a3", CONV_LDRD(48))                                                                      \
    CONV_ROW("a0", "ldrd %[u], %[v], [%[w]], #64\n\t")
#define CONV_HALF                                                                                      \
    "ldrd %[e0], %[o0], [%[x]]\n\t"                                                                    \
    "ldrd %[e1], %[o1], [%[x], #8]\n\t"                                                                \
    CONV_ROW("a0", CONV_LDRD(0))                                                                       \
    CONV_ROW("a1", CONV_LDRD(8))                                                                       \
    CONV_ROW("a2", CONV_LDRD(16))                                                                      \
    CONV_ROW("a3", CONV_LDRD(24))
#define CONV_OPERANDS                                                                                  \
    [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w] "+r"(w),              \
        [e0] "=&r"(xe0), [o0] "=&r"(xo0), [e1] "=&r"(xe1), [o1] "=&r"(xo1), [u] "=&r"(wa),             \
        [v] "=&r"(wb), [t] "=&r"(t)

/* acc[0..3] += the 4 filters over `taps` (a multiple of 8) taps: x the extended window (32 bytes a
 * chunk of 16), w the group's weights (64 bytes a chunk, then 4 rows of 8 for a last half chunk). In a
 * chunk, taps 8-15 first, so that the last loads step the pointers. */
static void conv_dot4(const int8_t *x, const int8_t *w, int32_t taps, int32_t acc[4])
{
    int32_t a0 = acc[0];
    int32_t a1 = acc[1];
    int32_t a2 = acc[2];
    int32_t a3 = acc[3];
    const int8_t *const end = x + 2 * (taps - taps % NN_DENSE_CHUNK);
    uint32_t xe0, xo0, xe1, xo1, wa, wb, t;
    while (x != end) {
        __asm__ volatile(
            CONV_CHUNK
            : CONV_OPERANDS
            :
            : "memory");
    }
    if (taps % NN_DENSE_CHUNK != 0) {
        __asm__ volatile(
            CONV_HALF
            : CONV_OPERANDS
            :
            : "memory");
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/*
 * Every group of 4 filters of one position where every shift is negative and the clamp is the whole
 * int8 range (modes 2 and 4 of nn_dense_output_mode): the chunks in assembly as in conv_dot4, then the
 * group's 4 codes in one assembly statement that keeps the output stage's pointers in registers (in C,
 * GCC keeps them on the stack around the 13 registers of the chunks and reloads them for every
 * output). Per output, as nn_dense_requantize_right and nn_dense_saturate_s8: the rounding term +-2^30
 * (with its sign word) from the accumulator's sign, SMLAL with the multiplier, bits 31..62 of the sum,
 * the arithmetic shift by n1 = ~shift; then QADD of 2 zp + 1 and SSAT #8 of the sum shifted right by
 * one, which is ((v + 1) >> 1) + zp saturated to int8 (2 zp is even, so the floor of the halving is
 * unchanged, and a sum that saturates in 32 bits is outside int8 either way). `pre` runs first on each
 * accumulator (relu: max(a, 0) as one BIC). 12 instructions per output, 79 per chunk of 16 taps.
 */
#define CONV_OUT(a, pre)                                                                               \
    pre                                                                                                \
    "ldr %[u], [%[e0]], #4\n\t"                                                                        \
    "asr %[t], %[" a "], #31\n\t"                                                                      \
    "eor %[x], %[v], %[t], lsl #31\n\t"                                                                \
    "smlal %[x], %[t], %[" a "], %[u]\n\t"                                                             \
    "lsr %[x], %[x], #31\n\t"                                                                          \
    "orr %[x], %[x], %[t], lsl #1\n\t"                                                                 \
    "ldr %[u], [%[o0]], #4\n\t"                                                                        \
    "mvn %[u], %[u]\n\t"                                                                               \
    "asr %[x], %[x], %[u]\n\t"                                                                         \
    "qadd %[x], %[x], %[o1]\n\t"                                                                       \
    "ssat %[x], #8, %[x], asr #1\n\t"                                                                  \
    "strb %[x], [%[e1]], #1\n\t"
#define CONV_RELU(a) "bic %[" a "], %[" a "], %[" a "], asr #31\n\t"
/* Its 4 codes. */
#define CONV_GROUP_OUT(p0, p1, p2, p3)                                                                 \
    "mov %[v], #0x40000000\n\t"                                                                        \
    CONV_OUT("a0", p0)                                                                                 \
    CONV_OUT("a1", p1)                                                                                 \
    CONV_OUT("a2", p2)                                                                                 \
    CONV_OUT("a3", p3)
#define CONV_OUT_OPERANDS                                                                              \
    [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "=&r"(r), [e0] "+r"(mult),         \
        [o0] "+r"(shift), [e1] "+r"(o), [u] "=&r"(u), [v] "=&r"(v), [t] "=&r"(t)                       \
    : [o1] "r"(zp2)                                                                                    \
    : "cc", "memory"

/* What every position's groups share, computed once per call: nn_dense_s8_params_t's fields are read
 * through a pointer, which the stores (int8_t) may alias, so the compiler would read and recompute them
 * for every position. */
typedef struct {
    const int8_t *weights;
    const int32_t *bias;
    const int32_t *mult;
    const int32_t *shift;
    int32_t chunk_bytes; /* of the extended window: its whole chunks of 16 taps */
    int32_t half;        /* a last half chunk of 8 taps */
    int32_t zp2;         /* 2 out_zp + 1 */
    int32_t groups;
} conv_plan_t;

/* The groups' codes into out[0..4 * groups) from the extended window x (at least one group); returns
 * the weights past the groups. */
static const int8_t *conv_groups(conv_plan_t plan, const int8_t *x, int8_t *out, int relu)
{
    const int8_t *const end = x + plan.chunk_bytes;
    const int half = plan.half;
    const int32_t zp2 = plan.zp2;
    const int32_t *bias = plan.bias;
    const int32_t *mult = plan.mult;
    const int32_t *shift = plan.shift;
    const int8_t *w = plan.weights;
    int32_t e0, o0, e1;
    int8_t *o = out;
    int32_t g;
    /* one loop per output stage, so that the test of relu stays out of it */
#define CONV_GROUPS_LOOP(OUT)                                                                          \
    for (g = plan.groups; g > 0; --g) {                                                                 \
        int32_t a0 = bias[0];                                                                          \
        int32_t a1 = bias[1];                                                                          \
        int32_t a2 = bias[2];                                                                          \
        int32_t a3 = bias[3];                                                                          \
        int32_t r, u, v, t;                                                                            \
        const int8_t *xc = x;                                                                          \
        bias += NN_DENSE_ROWS;                                                                         \
        while (xc != end) {                                                                            \
            __asm__ volatile(CONV_CHUNK : CONV_DOT_OPERANDS);                                          \
        }                                                                                              \
        if (half) {                                                                                    \
            __asm__ volatile(CONV_HALF : CONV_DOT_OPERANDS);                                           \
            w += NN_DENSE_ROWS * 8;                                                                    \
        }                                                                                              \
        __asm__ volatile(OUT : CONV_OUT_OPERANDS);                                                     \
    }
#define CONV_DOT_OPERANDS                                                                              \
    [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(xc), [w] "+r"(w), [e0] "=&r"(r), \
        [o0] "=&r"(u), [e1] "=&r"(v), [o1] "=&r"(t), [u] "=&r"(e0), [v] "=&r"(o0), [t] "=&r"(e1)       \
    :                                                                                                  \
    : "memory"
    if (relu) {
        CONV_GROUPS_LOOP(CONV_GROUP_OUT(CONV_RELU("a0"), CONV_RELU("a1"), CONV_RELU("a2"), CONV_RELU("a3")))
    } else {
        CONV_GROUPS_LOOP(CONV_GROUP_OUT("", "", "", ""))
    }
    return w;
}

/* One output position: out[0..out_c) from its extended window x. right: every shift < 0 and no leaky
 * slope (1), and the clamp the whole int8 range as well (2: nn_dense_saturate_s8). The
 * output stage's values are read into locals once: stores through out (int8_t) may alias anything, and
 * the compiler would reload them after each. */
static void conv_dsp_position(const nn_dense_s8_params_t *d, const nn_dense_output_t *s, int right,
                              conv_plan_t plan, const int8_t *x, int8_t *out)
{
    const int32_t taps = d->n_in;
    const int8_t *w = d->weights;
    const int32_t *const mult = s->mult;
    const int32_t *const shift = s->shift;
    const int32_t lo = s->lo;
    const int32_t hi = s->hi;
    const int32_t zp = s->zp;
    int32_t acc[NN_DENSE_ROWS];
    int32_t o = 0;
    if ((right == 4 || right == 2) && plan.groups > 0) {
        w = conv_groups(plan, x, out, right == 4);
        o = plan.groups * NN_DENSE_ROWS;
    }
    for (; o + NN_DENSE_ROWS <= d->n_out; o += NN_DENSE_ROWS) {
        acc[0] = d->bias[o];
        acc[1] = d->bias[o + 1];
        acc[2] = d->bias[o + 2];
        acc[3] = d->bias[o + 3];
        conv_dot4(x, w, taps, acc);
        w += NN_DENSE_ROWS * taps;
        if (right) {
            /* modes 1 and 3 (relu6 and the like: max(acc, 0) first), computed before any store */
            int32_t q[NN_DENSE_ROWS];
            int32_t r;
            for (r = 0; r < NN_DENSE_ROWS; ++r) {
                const int32_t a = right == 3 ? NN_MAX0(acc[r]) : acc[r];
                q[r] = nn_clamp(nn_dense_requantize_right(a, mult[o + r], ~shift[o + r]), lo, hi) + zp;
            }
            for (r = 0; r < NN_DENSE_ROWS; ++r) {
                out[o + r] = (int8_t)q[r];
            }
        } else {
            int32_t r;
            for (r = 0; r < NN_DENSE_ROWS; ++r) {
                out[o + r] = (int8_t)nn_dense_output_one(s, o + r, acc[r]);
            }
        }
    }
    for (; o < d->n_out; ++o) {
        /* the last out_c % 4 filters, row-major: 4 taps per word of weights */
        int32_t a = d->bias[o];
        int32_t i;
        for (i = 0; i < taps; i += 4) {
            uint32_t wv;
            uint32_t xe;
            uint32_t xo;
            memcpy(&wv, w + i, 4);
            memcpy(&xe, x + 2 * i, 4);
            memcpy(&xo, x + 2 * i + 4, 4);
            a = smlad(sxtb16(wv), xe, a);
            a = smlad(sxtb16_ror8(wv), xo, a);
        }
        out[o] = (int8_t)nn_dense_output_one(s, o, a);
        w += taps;
    }
}

static int conv_dsp(const nn_conv2d_s8_params_t *p, const nn_dense_s8_params_t *d, const int8_t *in, int8_t *out,
                    int8_t *scratch)
{
    const nn_window_t *w = &p->win;
    const int32_t taps = d->n_in;
    const nn_dense_output_t s = NN_DENSE_OUTPUT(d);
    int8_t *const x16 = scratch + ((4u - ((uintptr_t)scratch & 3u)) & 3u); /* 2 * taps bytes, aligned */
    const int right = nn_dense_output_mode(d);
    const int rows = (w->k_w * w->in_c) % 4 == 0 && (w->k_w == 1 || w->dil_w == 1);
    conv_plan_t plan;
    int32_t oy, ox;
    /* pointwise with every window a pixel inside the input and no zero weights: extended straight */
    const int pixel = w->k_h == 1 && w->k_w == 1 && taps == w->in_c && w->pad_top == 0 && w->pad_left == 0 &&
                      (w->out_h - 1) * w->stride_h < w->in_h && (w->out_w - 1) * w->stride_w < w->in_w;
    plan.weights = d->weights;
    plan.bias = d->bias;
    plan.mult = d->mult;
    plan.shift = d->shift;
    plan.chunk_bytes = 2 * (taps - taps % NN_DENSE_CHUNK);
    plan.half = taps % NN_DENSE_CHUNK != 0;
    plan.zp2 = 2 * d->out_zp + 1;
    plan.groups = d->n_out / NN_DENSE_ROWS;
    for (oy = 0; oy < w->out_h; ++oy) {
        for (ox = 0; ox < w->out_w; ++ox) {
            if (pixel) {
                extend_pairs(x16, in + ((size_t)NN_CONV_IY(w, oy, 0) * (size_t)w->in_w + (size_t)NN_CONV_IX(w, ox, 0)) * (size_t)taps, taps);
            } else {
                window_pairs(w, in, oy, ox, taps, x16, (int8_t)p->in_zp, rows);
            }
            conv_dsp_position(d, &s, right, plan, x16, out);
            out += p->out_c;
        }
    }
    return NN_OK;
}
#endif /* NN_DENSE_FAST_DSP */
#if NN_DENSE_FAST_MVE
/*
 * The Helium path (Cortex-M55): per output position and group of 4 filters, one VLDRB of 16 taps and per
 * filter one VLDRB of weights and one VMLADAVA (10 instructions for 64 multiply-accumulates), a last
 * half chunk of 8 taps as 16-bit lanes (VLDRB.S16, VMLADAVA.S16), and the 4 accumulators requantized
 * in one vector. When every multiplier is below 1/2 (shift < 0) and no leaky slope is set, that is
 * VQRDMULH (nn_srdhm), minus one where the product is negative (nn_rdbpot rounds ties away from zero,
 * VRSHL up), VRSHL by the shift, the clamp and the zero point; otherwise nn_dense_s8's vector stage.
 */
/*
 * Every group of 4 filters of one position when every shift is negative and no leaky slope is set (see
 * conv_mve_position), in assembly: GCC 12 keeps the loop's pointers on the stack around the
 * intrinsics. VMLADAVA takes even accumulators (r8, r10, r12, r0 here), the widening loads and the
 * narrowing store low base registers; the window's start lives in memory, every other value in a
 * register: 13 of the 14, which GCC gives only when optimizing (at -O0 it keeps r7 for the frame) and
 * clang not at all; there conv_mve_position takes its intrinsics loop. Per group: 10 instructions per
 * chunk of 16 taps, 9 for a last half chunk, 20 for the rest.
 */
#if defined(__OPTIMIZE__) && !defined(__clang__)
#define NN_CONV_MVE_GROUPS 1
static void conv_mve_groups(const nn_dense_s8_params_t *d, const int8_t *x, int8_t *out, int32x4_t lo, int32x4_t hi,
                            int32x4_t zpv)
{
    register int32_t a0 __asm__("r8");
    register int32_t a1 __asm__("r10");
    register int32_t a2 __asm__("r12");
    register int32_t a3 __asm__("r0");
    struct {
        const int8_t *x;
    } m;
    const int8_t *xc = x;
    const int8_t *w = d->weights;
    const int32_t *mult = d->mult;
    const int32_t *shift = d->shift;
    int8_t *o = out;
    int32_t taps = d->n_in;
    const int32_t *bias = d->bias;
    int32_t groups = d->n_out / NN_DENSE_ROWS;
    m.x = x;
    __asm__ volatile(
        "0:\n\t"
        "ldr %[xc], %[mx]\n\t"
        "lsrs %[a0], %[taps], #4\n\t"
        "wls lr, %[a0], 2f\n\t"
        "ldrd %[a1], %[a2], [%[bias], #4]\n\t"
        "ldr %[a3], [%[bias], #12]\n\t"
        "ldr %[a0], [%[bias]]\n"
        "1:\n\t"
        "vldrb.8 q0, [%[xc]], #16\n\t"
        "vldrb.8 q1, [%[w]], #16\n\t"
        "vmladava.s8 %[a0], q0, q1\n\t"
        "vldrb.8 q2, [%[w]], #16\n\t"
        "vmladava.s8 %[a1], q0, q2\n\t"
        "vldrb.8 q1, [%[w]], #16\n\t"
        "vmladava.s8 %[a2], q0, q1\n\t"
        "vldrb.8 q2, [%[w]], #16\n\t"
        "vmladava.s8 %[a3], q0, q2\n\t"
        "le lr, 1b\n\t"
        "b 3f\n"
        "2:\n\t" /* no whole chunk: the bias as the accumulators */
        "ldrd %[a1], %[a2], [%[bias], #4]\n\t"
        "ldr %[a3], [%[bias], #12]\n\t"
        "ldr %[a0], [%[bias]]\n"
        "3:\n\t"
        "tst %[taps], #8\n\t"
        "beq 4f\n\t"
        "vldrb.s16 q0, [%[xc]]\n\t"
        "vldrb.s16 q1, [%[w]], #8\n\t"
        "vmladava.s16 %[a0], q0, q1\n\t"
        "vldrb.s16 q2, [%[w]], #8\n\t"
        "vmladava.s16 %[a1], q0, q2\n\t"
        "vldrb.s16 q1, [%[w]], #8\n\t"
        "vmladava.s16 %[a2], q0, q1\n\t"
        "vldrb.s16 q2, [%[w]], #8\n\t"
        "vmladava.s16 %[a3], q0, q2\n"
        "4:\n\t"
        "vmov q0[2], q0[0], %[a0], %[a2]\n\t"
        "vmov q0[3], q0[1], %[a1], %[a3]\n\t"
        "vldrw.32 q1, [%[mult]], #16\n\t"
        "vldrw.32 q2, [%[shift]], #16\n\t"
        "vqrdmulh.s32 q0, q0, q1\n\t"
        "vshr.s32 q1, q0, #31\n\t"
        "vqadd.s32 q0, q0, q1\n\t"
        "vrshl.s32 q0, q0, q2\n\t"
        "vmax.s32 q0, q0, %q[lo]\n\t"
        "vmin.s32 q0, q0, %q[hi]\n\t"
        "vadd.i32 q0, q0, %q[zp]\n\t"
        "vstrb.32 q0, [%[o]], #4\n\t"
        "adds %[bias], #16\n\t"
        "subs %[groups], #1\n\t"
        "bne 0b\n\t"
        : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [xc] "+l"(xc), [w] "+l"(w),
          [mult] "+r"(mult), [shift] "+r"(shift), [o] "+l"(o), [taps] "+r"(taps), [bias] "+r"(bias),
          [groups] "+r"(groups), [mx] "+m"(m.x)
        : [lo] "w"(lo), [hi] "w"(hi), [zp] "w"(zpv)
        : "q0", "q1", "q2", "lr", "cc", "memory");
}

#endif /* __OPTIMIZE__ */

static void conv_mve_position(const nn_dense_s8_params_t *d, int right, const int8_t *x, int8_t *out)
{
    const int32_t taps = d->n_in;
    const int32_t chunks = taps / NN_DENSE_CHUNK;
    const int32_t half = taps % NN_DENSE_CHUNK;
    const int32_t groups = d->n_out / NN_DENSE_ROWS;
    const int8_t *w = d->weights;
    int32_t g;
#if NN_CONV_MVE_GROUPS
    const int32x4_t lo = vdupq_n_s32(d->act_min - d->out_zp);
    const int32x4_t hi = vdupq_n_s32(d->act_max - d->out_zp);
    const int32x4_t zpv = vdupq_n_s32(d->out_zp);
    if (right && groups > 0) {
        conv_mve_groups(d, x, out, lo, hi, zpv);
        w += groups * NN_DENSE_ROWS * taps;
    }
#else
    right = 0;
#endif
    for (g = 0; g < groups && !right; ++g) {
        const int32_t o = g * NN_DENSE_ROWS;
        const int8_t *xc = x;
        int32_t a0 = d->bias[o];
        int32_t a1 = d->bias[o + 1];
        int32_t a2 = d->bias[o + 2];
        int32_t a3 = d->bias[o + 3];
        int32_t c;
        for (c = 0; c < chunks; ++c) {
            const int8x16_t xv = vldrbq_s8(xc);
            a0 = vmladavaq_s8(a0, xv, vldrbq_s8(w));
            a1 = vmladavaq_s8(a1, xv, vldrbq_s8(w + NN_DENSE_CHUNK));
            a2 = vmladavaq_s8(a2, xv, vldrbq_s8(w + 2 * NN_DENSE_CHUNK));
            a3 = vmladavaq_s8(a3, xv, vldrbq_s8(w + 3 * NN_DENSE_CHUNK));
            xc += NN_DENSE_CHUNK;
            w += NN_DENSE_ROWS * NN_DENSE_CHUNK;
        }
        if (half != 0) {
            const int16x8_t xv = vldrbq_s16(xc);
            a0 = vmladavaq_s16(a0, xv, vldrbq_s16(w));
            a1 = vmladavaq_s16(a1, xv, vldrbq_s16(w + 8));
            a2 = vmladavaq_s16(a2, xv, vldrbq_s16(w + 16));
            a3 = vmladavaq_s16(a3, xv, vldrbq_s16(w + 24));
            w += NN_DENSE_ROWS * 8;
        }
        {
            nn_dense_output_t s = NN_DENSE_OUTPUT(d);
            s.mult += o;
            s.shift += o;
            if (s.neg_mult != NULL) {
                s.neg_mult += o;
                s.neg_shift += o;
            }
            vstrbq_s32(out + o, nn_dense_output4_mve(&s, a0, a1, a2, a3));
        }
    }
    nn_dense_rows_mve(d, groups * NN_DENSE_ROWS, x, w, out); /* the last out_c % 4 filters */
}

/* A window of at most 16 taps whose bytes lie within 256 of its first (a first layer on 1 to 3
 * channels, 3x3: 9 to 27 bytes apart): one gather load (VLDRB with a vector of byte offsets, fixed per
 * call) instead of a copy per row. Where the window crosses the border, the load is predicated on the
 * taps inside and the others take in_zp (VPSEL); the lanes past K read the window's first byte (inside)
 * or in_zp, times zero weights. */
typedef struct {
    uint8x16_t offsets; /* of tap i from the window's first byte: lane i < K, 0 past K */
    int32_t span;       /* the largest offset */
    int32_t run;        /* taps per row of the window: k_w * in_c */
    uint32_t cols[17];  /* cols[j]: the lanes of the columns kx < j, in every row */
} conv_taps_t;

/* Fills t for window w; returns whether the gather applies (K <= 16, span < 256). */
static int conv_taps(const nn_window_t *w, conv_taps_t *t)
{
    uint8_t off[16];
    const int32_t K = w->k_h * w->k_w * w->in_c;
    int32_t ky, kx, c, i = 0;
    t->offsets = vdupq_n_u8(0);
    if (K > 16) {
        return 0;
    }
    t->span = ((w->k_h - 1) * w->dil_h * w->in_w + (w->k_w - 1) * w->dil_w) * w->in_c + w->in_c - 1;
    if (t->span > 255) {
        return 0;
    }
    t->run = w->k_w * w->in_c;
    for (kx = 0; kx <= w->k_w; ++kx) {
        t->cols[kx] = 0u;
    }
    for (ky = 0; ky < w->k_h; ++ky) {
        for (kx = 0; kx < w->k_w; ++kx) {
            for (c = 0; c < w->in_c; ++c, ++i) {
                int32_t j;
                off[i] = (uint8_t)((ky * w->dil_h * w->in_w + kx * w->dil_w) * w->in_c + c);
                for (j = kx + 1; j <= w->k_w; ++j) {
                    t->cols[j] |= 1u << i;
                }
            }
        }
    }
    for (; i < 16; ++i) {
        off[i] = 0u;
    }
    t->offsets = vldrbq_u8(off);
    return 1;
}

/* The window of (oy, ox) into dst (16 bytes) by one gather load. */
NN_DENSE_NOINLINE static void conv_gather16(const nn_window_t *w, const conv_taps_t *t, const int8_t *in, int32_t oy,
                                 int32_t ox, int8_t in_zp, int8_t *dst)
{
    const int32_t iy0 = NN_CONV_IY(w, oy, 0);
    const int32_t ix0 = NN_CONV_IX(w, ox, 0);
    /* the window's first byte, which may lie outside the input (then only lanes inside are read) */
    const int8_t *const base = (const int8_t *)((uintptr_t)in + (uintptr_t)(intptr_t)((iy0 * w->in_w + ix0) * w->in_c));
    if (iy0 >= 0 && NN_CONV_IY(w, oy, w->k_h - 1) < w->in_h && ix0 >= 0 && NN_CONV_IX(w, ox, w->k_w - 1) < w->in_w) {
        vstrbq_s8(dst, vldrbq_gather_offset_s8(base, t->offsets));
    } else {
        uint32_t rows = 0u;
        int32_t ky, kx, lo = w->k_w, hi = 0;
        mve_pred16_t inside;
        for (ky = 0; ky < w->k_h; ++ky) {
            const int32_t iy = NN_CONV_IY(w, oy, ky);
            if (iy >= 0 && iy < w->in_h) {
                rows |= ((1u << t->run) - 1u) << (ky * t->run);
            }
        }
        for (kx = 0; kx < w->k_w; ++kx) {
            const int32_t ix = NN_CONV_IX(w, ox, kx);
            if (ix >= 0 && ix < w->in_w) {
                lo = kx < lo ? kx : lo;
                hi = kx + 1;
            }
        }
        inside = (mve_pred16_t)(lo < hi ? rows & t->cols[hi] & ~t->cols[lo] : 0u);
        vstrbq_s8(dst, vpselq_s8(vldrbq_gather_offset_z_s8(base, t->offsets, inside), vdupq_n_s8(in_zp), inside));
    }
}

static int conv_mve(const nn_conv2d_s8_params_t *p, const nn_dense_s8_params_t *d, const int8_t *in, int8_t *out,
                    int8_t *scratch)
{
    const nn_window_t *w = &p->win;
    /* every shift negative and no leaky slope: the assembly loop (it clamps to any range, so relu too) */
    int right = p->neg_mult == NULL;
    conv_taps_t taps;
    const conv_taps_t *const t = scratch != NULL && conv_taps(w, &taps) ? &taps : NULL;
    int32_t oy, ox, o;
    for (o = 0; o < p->out_c && right; ++o) {
        right = p->shift[o] < 0;
    }
    for (oy = 0; oy < w->out_h; ++oy) {
        for (ox = 0; ox < w->out_w; ++ox) {
            const int8_t *x = scratch;
            if (t != NULL) {
                conv_gather16(w, t, in, oy, ox, (int8_t)p->in_zp, scratch);
            } else {
                x = window_run(w, in, oy, ox, d->n_in, scratch, (int8_t)p->in_zp);
                if (x == NULL) {
                    return NN_ERROR_ARGUMENT; /* a window to gather, and no scratch */
                }
            }
            conv_mve_position(d, right, x, out);
            out += p->out_c;
        }
    }
    return NN_OK;
}
#endif /* NN_DENSE_FAST_MVE */
#endif /* NN_REFERENCE_KERNELS */

int nn_conv2d_s8(const nn_conv2d_s8_params_t *p, const int8_t *in, int8_t *out, int8_t *scratch)
{
    if (p == NULL || in == NULL || out == NULL || p->weights == NULL || p->bias == NULL || p->mult == NULL ||
        p->shift == NULL || p->out_c < 1 || p->in_zp < INT8_MIN || p->in_zp > INT8_MAX) {
        return NN_ERROR_ARGUMENT;
    }
#if NN_REFERENCE_KERNELS
    (void)scratch;
    return conv_reference(p, in, out);
#else
    {
        const nn_window_t *w = &p->win;
        const int32_t K = w->k_h * w->k_w * w->in_c;
        nn_dense_s8_params_t d;
        conv_source_t src;
        d.n_in = NN_CONV_TAPS(K);
        d.n_out = p->out_c;
        d.weights = p->weights;
        d.bias = p->bias;
        d.mult = p->mult;
        d.shift = p->shift;
        d.neg_mult = p->neg_mult;
        d.neg_shift = p->neg_shift;
        d.out_zp = p->out_zp;
        d.act_min = p->act_min;
        d.act_max = p->act_max;
#if NN_DENSE_FAST_DSP && defined(__OPTIMIZE__) && !defined(__OPTIMIZE_SIZE__)
        if (scratch != NULL && ((uintptr_t)p->weights & 3u) == 0u) {
            return conv_dsp(p, &d, in, out, scratch);
        }
#elif NN_DENSE_FAST_MVE
        return conv_mve(p, &d, in, out, scratch);
#elif NN_DENSE_M0_ASM && !defined(__OPTIMIZE_SIZE__)
        return conv_m0(p, &d, in, out, scratch);
#endif
        src.w = w;
        src.in = in;
        src.scratch = scratch;
        src.taps = d.n_in;
        src.in_zp = (int8_t)p->in_zp;
        src.oy = 0;
        src.ox = 0;
        return nn_dense_s8_each(&d, w->out_h * w->out_w, conv_window, &src, out);
    }
#endif
}
