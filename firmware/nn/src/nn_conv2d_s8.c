/*
 * nn_conv2d_s8: a convolution on int8 codes, int32 accumulators (see nn.h).
 *
 * Each output position is a dense layer over its window: the window's K = k_h * k_w * in_c codes (the
 * taps in (row, column, channel) order, in_zp for a tap in the padding) against the out_c filters, whose
 * weights the generator writes in nn_dense_s8's blocked layout with the input zero point folded into the
 * bias. So every core runs the dense kernel's fast path on it (plain C on M0/M3 and hosts, with
 * ARMv6-M assembly under GCC; SMLAD on M4/M7/M33; Helium on M55) and gets its speed, and the fast path
 * equals the reference loop below bit for bit: the integer sums are the same in any order.
 *
 * The window is read in place when it is one run of the input: inside the input, its taps adjacent in
 * a row, and its rows adjacent (one row, or rows as wide as the input). That is every position of a
 * pointwise convolution and every interior position of a 1-D one. Other windows are gathered first into
 * `scratch` (K bytes of the arena, placed by the generator's memory plan for this op alone): a row of
 * adjacent taps inside the input is one memcpy, a tap outside it in_zp.
 *
 * The generator pads the taps with zero weights to whole chunks of 16 (NN_CONV_TAPS), so that no core
 * runs the dense kernel's slow remainder loops; a window read in place then also reads the input bytes
 * after it (times zero: the run must stay inside the input), and scratch holds zeros past the taps.
 *
 * With NN_REFERENCE_KERNELS=1 (nn_config.h) the reference loop alone is compiled: per position and
 * filter, the taps one by one through nn_dense_weight_index. The tests compare the two.
 */
#include <string.h>

#include "nn_dense_internal.h"

/* The input row iy (or -1 outside) and column ix of tap (ky, kx) of position (oy, ox). */
#define NN_CONV_IY(w, oy, ky) ((oy) * (w)->stride_h - (w)->pad_top + (ky) * (w)->dil_h)
#define NN_CONV_IX(w, ox, kx) ((ox) * (w)->stride_w - (w)->pad_left + (kx) * (w)->dil_w)

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
/* memcpy and memset, with a plain loop for the few bytes of a small window's row (a library call costs
 * more than the copy there). */
static void copy_bytes(int8_t *dst, const int8_t *src, size_t n)
{
    if (n >= 16u) {
        memcpy(dst, src, n);
        return;
    }
    while (n-- > 0u) {
        *dst++ = *src++;
    }
}

static void fill_bytes(int8_t *dst, int8_t value, size_t n)
{
    if (n >= 16u) {
        memset(dst, value, n);
        return;
    }
    while (n-- > 0u) {
        *dst++ = value;
    }
}

/* The window of position (oy, ox) as `taps` bytes (K and zero weights' worth): a pointer into the
 * input when it is one run of it that `taps` bytes from its start stay inside, else the window gathered
 * into scratch, whose bytes past K the caller has set (NULL when there is no scratch: the generator gave
 * none because every window is read in place). */
static const int8_t *window_run(const nn_window_t *w, const int8_t *in, int32_t oy, int32_t ox, int32_t taps,
                                int8_t *scratch, int8_t in_zp)
{
    const int32_t iy0 = NN_CONV_IY(w, oy, 0);
    const int32_t ix0 = NN_CONV_IX(w, ox, 0);
    const int32_t iy1 = NN_CONV_IY(w, oy, w->k_h - 1);
    const int32_t ix1 = NN_CONV_IX(w, ox, w->k_w - 1);
    const size_t run = (size_t)w->k_w * (size_t)w->in_c; /* bytes of a row of taps */
    const int row_adjacent = w->k_w == 1 || w->dil_w == 1;
    int8_t *dst = scratch;
    int32_t ky, kx;
    if (iy0 >= 0 && iy1 < w->in_h && ix0 >= 0 && ix1 < w->in_w && row_adjacent &&
        (w->k_h == 1 || (w->k_w == w->in_w && w->dil_h == 1))) {
        const size_t start = ((size_t)iy0 * (size_t)w->in_w + (size_t)ix0) * (size_t)w->in_c;
        if (start + (size_t)taps <= (size_t)w->in_h * (size_t)w->in_w * (size_t)w->in_c) {
            return in + start;
        }
    }
    if (scratch == NULL) {
        return NULL;
    }
    for (ky = 0; ky < w->k_h; ++ky) {
        const int32_t iy = NN_CONV_IY(w, oy, ky);
        if (iy < 0 || iy >= w->in_h) {
            fill_bytes(dst, in_zp, run);
            dst += run;
        } else if (row_adjacent && ix0 >= 0 && ix1 < w->in_w) {
            copy_bytes(dst, in + ((size_t)iy * (size_t)w->in_w + (size_t)ix0) * (size_t)w->in_c, run);
            dst += run;
        } else {
            for (kx = 0; kx < w->k_w; ++kx) {
                const int32_t ix = NN_CONV_IX(w, ox, kx);
                if (ix < 0 || ix >= w->in_w) {
                    fill_bytes(dst, in_zp, (size_t)w->in_c);
                } else {
                    copy_bytes(dst, in + ((size_t)iy * (size_t)w->in_w + (size_t)ix) * (size_t)w->in_c, (size_t)w->in_c);
                }
                dst += w->in_c;
            }
        }
    }
    return scratch;
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
        if (scratch != NULL) {
            memset(scratch + K, 0, (size_t)(d.n_in - K)); /* past the taps: against zero weights */
        }
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
