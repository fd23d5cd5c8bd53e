/*
 * nn_avg_pool_s16: the sum of the int16 codes over each window's taps inside the input, divided by their
 * count and rounded to nearest with ties away from zero (TensorFlow Lite's average pool), per channel;
 * in and out share one quantization. The generator keeps windows small enough for an int32 sum.
 * Mirrored by roundedMean in src/ops/pooling/pool.ts. See nn.h.
 */
#include "nn.h"

int nn_avg_pool_s16(const nn_window_t *w, const int16_t *in, int16_t *out)
{
    int32_t oy, ox, ky, kx, c;
    if (w == NULL || in == NULL || out == NULL) {
        return NN_ERROR_ARGUMENT;
    }
    for (oy = 0; oy < w->out_h; ++oy) {
        for (ox = 0; ox < w->out_w; ++ox) {
            int16_t *o = out + ((size_t)oy * (size_t)w->out_w + (size_t)ox) * (size_t)w->in_c;
            for (c = 0; c < w->in_c; ++c) {
                int32_t sum = 0;
                int32_t count = 0;
                for (ky = 0; ky < w->k_h; ++ky) {
                    const int32_t iy = oy * w->stride_h - w->pad_top + ky * w->dil_h;
                    if (iy < 0 || iy >= w->in_h) {
                        continue;
                    }
                    for (kx = 0; kx < w->k_w; ++kx) {
                        const int32_t ix = ox * w->stride_w - w->pad_left + kx * w->dil_w;
                        if (ix < 0 || ix >= w->in_w) {
                            continue;
                        }
                        sum += in[((size_t)iy * (size_t)w->in_w + (size_t)ix) * (size_t)w->in_c + (size_t)c];
                        ++count;
                    }
                }
                if (count == 0) {
                    return NN_ERROR_ARGUMENT;
                }
                o[c] = (int16_t)(sum >= 0 ? (sum + count / 2) / count : -((-sum + count / 2) / count));
            }
        }
    }
    return NN_OK;
}
