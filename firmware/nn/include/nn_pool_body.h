/*
 * The body of the integer pooling kernels (nn_max_pool_s8.c, nn_max_pool_s16.c, nn_avg_pool_s8.c,
 * nn_avg_pool_s16.c), included by each with NN_POOL_FN, NN_POOL_T (element) and NN_POOL_MAX (1: the
 * largest code of the window's taps inside the input; 0: their sum over their count, rounded to nearest
 * with ties away from zero, as TensorFlow Lite's average pool). In and out share one quantization; the
 * generator keeps windows small enough for an int32 sum. Mirrored by src/ops/pooling/pool.ts. See nn.h.
 */
#include "nn.h"

int NN_POOL_FN(const nn_window_t *w, const NN_POOL_T *in, NN_POOL_T *out)
{
    int32_t oy, ox, ky, kx, c;
    if (w == NULL || in == NULL || out == NULL) {
        return NN_ERROR_ARGUMENT;
    }
    for (oy = 0; oy < w->out_h; ++oy) {
        for (ox = 0; ox < w->out_w; ++ox) {
            NN_POOL_T *o = out + ((size_t)oy * (size_t)w->out_w + (size_t)ox) * (size_t)w->in_c;
            for (c = 0; c < w->in_c; ++c) {
                int32_t acc = NN_POOL_MAX ? INT32_MIN : 0;
                int32_t count = 0;
                for (ky = 0; ky < w->k_h; ++ky) {
                    const int32_t iy = oy * w->stride_h - w->pad_top + ky * w->dil_h;
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
                        if (NN_POOL_MAX) {
                            acc = v > acc ? v : acc;
                        } else {
                            acc += v;
                        }
                        ++count;
                    }
                }
                if (count == 0) {
                    return NN_ERROR_ARGUMENT;
                }
                if (!NN_POOL_MAX) {
                    acc = acc >= 0 ? (acc + count / 2) / count : -((-acc + count / 2) / count);
                }
                o[c] = (NN_POOL_T)acc;
            }
        }
    }
    return NN_OK;
}
