/*
 * nn_pool_s8_fast.h: what the fast paths of the int8 pooling kernels (nn_max_pool_s8.c,
 * nn_avg_pool_s8.c) share: the interior windows (every tap inside the input), found once per call as a
 * range of rows and of columns; the border windows, computed as the reference computes them; and the
 * loop over the outputs that gives each interior window to the kernel's own function. Internal to the
 * runtime: firmware includes nn.h, never this file.
 */
#ifndef NN_POOL_S8_FAST_H
#define NN_POOL_S8_FAST_H

#include <stddef.h>

#include "nn.h"

/* An interior window's taps: k_h rows of k_w taps, row_step bytes between rows, col_step between taps,
 * c channels; count = k_h * k_w and half = count / 2 (count 1 when no window is interior); recip, bias
 * and neg: nn_avg_pool_s8's constants of its multiply (0 when unused). */
typedef struct {
    int32_t k_h;
    int32_t k_w;
    size_t row_step;
    size_t col_step;
    int32_t c;
    int32_t count;
    uint32_t half;
    uint32_t recip;
    uint32_t bias;
    uint32_t neg;
} nn_pool_taps_t;

/* The outputs whose windows are interior: rows [y_lo, y_hi) times columns [x_lo, x_hi). */
typedef struct {
    int32_t y_lo;
    int32_t y_hi;
    int32_t x_lo;
    int32_t x_hi;
} nn_pool_interior_t;

/* [*lo, *hi): the outputs of one dimension whose taps all lie inside [0, in); empty unless k >= 1 and
 * dil >= 1 (anything else goes through nn_pool_border, as the reference would take it). The first tap
 * of output o is o * stride - pad, increasing with o (stride >= 1), so those outputs are a range. */
static void nn_pool_interior_range(int32_t out_n, int32_t in_n, int32_t k, int32_t stride, int32_t dil,
                                   int32_t pad, int32_t *lo, int32_t *hi)
{
    int32_t a = 0;
    int32_t b = out_n;
    if (k < 1 || dil < 1 || stride < 1 || out_n < 1) {
        *lo = 0;
        *hi = 0;
        return;
    }
    while (a < out_n && a * stride - pad < 0) {
        ++a;
    }
    while (b > a && (b - 1) * stride - pad + (k - 1) * dil >= in_n) {
        --b;
    }
    *lo = a;
    *hi = b;
}

/* The interior range of w and its taps (recip, bias and neg left 0). w->in_c >= 1. */
static void nn_pool_interior(const nn_window_t *w, nn_pool_interior_t *r, nn_pool_taps_t *t)
{
    const size_t pixel = (size_t)w->in_c;
    nn_pool_interior_range(w->out_h, w->in_h, w->k_h, w->stride_h, w->dil_h, w->pad_top, &r->y_lo, &r->y_hi);
    nn_pool_interior_range(w->out_w, w->in_w, w->k_w, w->stride_w, w->dil_w, w->pad_left, &r->x_lo, &r->x_hi);
    t->k_h = w->k_h;
    t->k_w = w->k_w;
    t->c = w->in_c;
    t->row_step = (size_t)w->dil_h * (size_t)w->in_w * pixel;
    t->col_step = (size_t)w->dil_w * pixel;
    if (r->y_lo < r->y_hi && r->x_lo < r->x_hi) {
        /* an interior window exists: every tap of it is inside the input, so k_h * k_w <= in_h * in_w */
        t->count = w->k_h * w->k_w;
        t->half = (uint32_t)(t->count / 2);
    } else {
        t->count = 1;
        t->half = 0u;
    }
    t->recip = 0u;
    t->bias = 0u;
    t->neg = 0u;
}

/* The entry both kernels share: NN_ERROR_ARGUMENT for a NULL pointer; else NN_OK with t->c the channel
 * count, and r and t set by nn_pool_interior when there are channels (with none, nothing is written:
 * the reference's channel loop is empty). */
static int nn_pool_prepare(const nn_window_t *w, const int8_t *in, const int8_t *out, nn_pool_interior_t *r,
                           nn_pool_taps_t *t)
{
    if (w == NULL || in == NULL || out == NULL) {
        return NN_ERROR_ARGUMENT;
    }
    t->c = w->in_c;
    if (w->in_c >= 1) {
        nn_pool_interior(w, r, t);
    }
    return NN_OK;
}

/* The output at (oy, ox), all channels, as the reference computes it (max: the largest code, else the
 * rounded mean): NN_ERROR_ARGUMENT for a window with no tap inside the input. */
static int nn_pool_border(const nn_window_t *w, const int8_t *in, int8_t *o, int32_t oy, int32_t ox, int max)
{
    int32_t c;
    for (c = 0; c < w->in_c; ++c) {
        int32_t acc = max ? INT32_MIN : 0;
        int32_t count = 0;
        int32_t ky;
        for (ky = 0; ky < w->k_h; ++ky) {
            const int32_t iy = oy * w->stride_h - w->pad_top + ky * w->dil_h;
            int32_t kx;
            if (iy < 0 || iy >= w->in_h) {
                continue;
            }
            for (kx = 0; kx < w->k_w; ++kx) {
                const int32_t ix = ox * w->stride_w - w->pad_left + kx * w->dil_w;
                int32_t v;
                if (ix < 0 || ix >= w->in_w) {
                    continue;
                }
                v = in[((size_t)iy * (size_t)w->in_w + (size_t)ix) * (size_t)w->in_c + (size_t)c];
                acc = max ? (v > acc ? v : acc) : acc + v;
                ++count;
            }
        }
        if (count == 0) {
            return NN_ERROR_ARGUMENT;
        }
        if (!max) {
            acc = acc >= 0 ? (acc + count / 2) / count : -((-acc + count / 2) / count);
        }
        o[c] = (int8_t)acc;
    }
    return NN_OK;
}

/* An interior window's outputs, all channels, from its top-left tap p (channel 0). */
typedef void (*nn_pool_window_fn)(const nn_pool_taps_t *t, const int8_t *p, int8_t *o);

/* Every output of w: interior windows through `fast` (a constant: the call is direct once inlined),
 * border windows through nn_pool_border. */
static inline int nn_pool_run(const nn_window_t *w, const int8_t *in, int8_t *out, const nn_pool_interior_t *r,
                              const nn_pool_taps_t *t, int max, nn_pool_window_fn fast)
{
    const size_t pixel = (size_t)w->in_c;
    int32_t oy;
    for (oy = 0; oy < w->out_h; ++oy) {
        int8_t *o = out + (size_t)oy * (size_t)w->out_w * pixel;
        int32_t ox = 0;
        if (oy >= r->y_lo && oy < r->y_hi && r->x_lo < r->x_hi) {
            /* the row's interior windows, from the first one's top-left tap by stride_w pixels */
            const size_t iy = (size_t)(oy * w->stride_h - w->pad_top);
            const size_t ix = (size_t)(r->x_lo * w->stride_w - w->pad_left);
            const int8_t *p = in + (iy * (size_t)w->in_w + ix) * pixel;
            const size_t step = (size_t)w->stride_w * pixel;
            for (; ox < r->x_lo; ++ox, o += pixel) {
                if (nn_pool_border(w, in, o, oy, ox, max) != NN_OK) {
                    return NN_ERROR_ARGUMENT;
                }
            }
            for (;;) { /* p steps only to windows that exist */
                fast(t, p, o);
                o += pixel;
                if (++ox == r->x_hi) {
                    break;
                }
                p += step;
            }
        }
        for (; ox < w->out_w; ++ox, o += pixel) {
            if (nn_pool_border(w, in, o, oy, ox, max) != NN_OK) {
                return NN_ERROR_ARGUMENT;
            }
        }
    }
    return NN_OK;
}

#endif /* NN_POOL_S8_FAST_H */
