/*
 * The body of the integer depthwise convolution kernels (nn_depthwise_conv2d_s8.c, _s16.c, _s16_s64.c),
 * included by each with NN_DW_FN, NN_DW_PARAMS, NN_DW_T (element), NN_DW_ACC (int32_t or int64_t) and
 * NN_DW_REQUANTIZE. The reference loop, mirrored by runDepthwise in src/ops/depthwise_conv2d/quant.ts:
 * output channel o = c * M + m, the bias plus (in[c] - in_zp) * w[o] over the window's taps inside the
 * input, then the output stage. See nn.h.
 */
#include "nn.h"
#include "nn_support.h"

int NN_DW_FN(const NN_DW_PARAMS *p, const NN_DW_T *in, NN_DW_T *out)
{
    const nn_window_t *w;
    int32_t oy, ox, o, ky, kx, channels;
    if (p == NULL || in == NULL || out == NULL || p->weights == NULL || p->bias == NULL || p->depth_multiplier < 1) {
        return NN_ERROR_ARGUMENT;
    }
    w = &p->win;
    channels = w->in_c * p->depth_multiplier;
    for (oy = 0; oy < w->out_h; ++oy) {
        for (ox = 0; ox < w->out_w; ++ox) {
            NN_DW_T *y = out + ((size_t)oy * (size_t)w->out_w + (size_t)ox) * (size_t)channels;
            for (o = 0; o < channels; ++o) {
                const int32_t c = o / p->depth_multiplier;
                const int8_t *wo = p->weights + (size_t)o * (size_t)(w->k_h * w->k_w);
                NN_DW_ACC acc = p->bias[o];
                int neg;
                int32_t r;
                for (ky = 0; ky < w->k_h; ++ky) {
                    const int32_t iy = oy * w->stride_h - w->pad_top + ky * w->dil_h;
                    if (iy < 0 || iy >= w->in_h) {
                        continue;
                    }
                    for (kx = 0; kx < w->k_w; ++kx) {
                        const int32_t ix = ox * w->stride_w - w->pad_left + kx * w->dil_w;
                        const NN_DW_T *x;
                        if (ix < 0 || ix >= w->in_w) {
                            continue;
                        }
                        x = in + ((size_t)iy * (size_t)w->in_w + (size_t)ix) * (size_t)w->in_c + (size_t)c;
                        acc += (NN_DW_ACC)((int32_t)*x - p->in_zp) * (NN_DW_ACC)wo[ky * w->k_w + kx];
                    }
                }
                neg = acc < 0 && p->neg_mult != NULL;
                r = NN_DW_REQUANTIZE(acc, neg ? p->neg_mult[o] : p->mult[o], neg ? p->neg_shift[o] : p->shift[o]);
                y[o] = (NN_DW_T)(nn_clamp(r, p->act_min - p->out_zp, p->act_max - p->out_zp) + p->out_zp);
            }
        }
    }
    return NN_OK;
}
