/*
 * nn_conv2d_s8: a convolution on int8 codes, the reference loop (mirrored by runConv in
 * src/ops/conv2d/quant.ts): per output position and filter, the bias plus (in - in_zp) * w over the
 * window's taps inside the input, then the output stage of nn_dense_s8. See nn.h.
 */
#include "nn.h"
#include "nn_support.h"

int nn_conv2d_s8(const nn_conv2d_s8_params_t *p, const int8_t *in, int8_t *out)
{
    const nn_window_t *w;
    int32_t oy, ox, f, ky, kx, c;
    if (p == NULL || in == NULL || out == NULL || p->weights == NULL || p->bias == NULL) {
        return NN_ERROR_ARGUMENT;
    }
    w = &p->win;
    for (oy = 0; oy < w->out_h; ++oy) {
        for (ox = 0; ox < w->out_w; ++ox) {
            int8_t *o = out + ((size_t)oy * (size_t)w->out_w + (size_t)ox) * (size_t)p->out_c;
            for (f = 0; f < p->out_c; ++f) {
                const int8_t *wf = p->weights + (size_t)f * (size_t)(w->k_h * w->k_w * w->in_c);
                int32_t acc = p->bias[f];
                int neg;
                int32_t r;
                for (ky = 0; ky < w->k_h; ++ky) {
                    const int32_t iy = oy * w->stride_h - w->pad_top + ky * w->dil_h;
                    if (iy < 0 || iy >= w->in_h) {
                        continue;
                    }
                    for (kx = 0; kx < w->k_w; ++kx) {
                        const int32_t ix = ox * w->stride_w - w->pad_left + kx * w->dil_w;
                        const int8_t *x;
                        const int8_t *wk;
                        if (ix < 0 || ix >= w->in_w) {
                            continue;
                        }
                        x = in + ((size_t)iy * (size_t)w->in_w + (size_t)ix) * (size_t)w->in_c;
                        wk = wf + (size_t)(ky * w->k_w + kx) * (size_t)w->in_c;
                        for (c = 0; c < w->in_c; ++c) {
                            acc += ((int32_t)x[c] - p->in_zp) * (int32_t)wk[c];
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
