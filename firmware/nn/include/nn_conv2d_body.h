/*
 * The body of the int16 convolution kernels (nn_conv2d_s16.c, nn_conv2d_s16_s64.c; nn_conv2d_s8.c has its own),
 * included by each with its types: NN_CONV_FN (the function), NN_CONV_PARAMS (its parameter struct),
 * NN_CONV_T (the element type), NN_CONV_ACC (int32_t or int64_t: the accumulator and the bias) and
 * NN_CONV_REQUANTIZE (nn_requantize or nn_requantize_s64). The reference loop, mirrored by runConv in
 * src/ops/conv2d/quant.ts: per output position and filter, the bias plus (in - in_zp) * w over the
 * window's taps inside the input, then the output stage of the dense kernels. See nn.h.
 */
#include "nn.h"
#include "nn_support.h"

int NN_CONV_FN(const NN_CONV_PARAMS *p, const NN_CONV_T *in, NN_CONV_T *out)
{
    const nn_window_t *w;
    int32_t oy, ox, f, ky, kx, c;
    if (p == NULL || in == NULL || out == NULL || p->weights == NULL || p->bias == NULL) {
        return NN_ERROR_ARGUMENT;
    }
    w = &p->win;
    for (oy = 0; oy < w->out_h; ++oy) {
        for (ox = 0; ox < w->out_w; ++ox) {
            NN_CONV_T *o = out + ((size_t)oy * (size_t)w->out_w + (size_t)ox) * (size_t)p->out_c;
            for (f = 0; f < p->out_c; ++f) {
                const int8_t *wf = p->weights + (size_t)f * (size_t)(w->k_h * w->k_w * w->in_c);
                NN_CONV_ACC acc = p->bias[f];
                int neg;
                int32_t r;
                for (ky = 0; ky < w->k_h; ++ky) {
                    const int32_t iy = oy * w->stride_h - w->pad_top + ky * w->dil_h;
                    if (iy < 0 || iy >= w->in_h) {
                        continue;
                    }
                    for (kx = 0; kx < w->k_w; ++kx) {
                        const int32_t ix = ox * w->stride_w - w->pad_left + kx * w->dil_w;
                        const NN_CONV_T *x;
                        const int8_t *wk;
                        if (ix < 0 || ix >= w->in_w) {
                            continue;
                        }
                        x = in + ((size_t)iy * (size_t)w->in_w + (size_t)ix) * (size_t)w->in_c;
                        wk = wf + (size_t)(ky * w->k_w + kx) * (size_t)w->in_c;
                        for (c = 0; c < w->in_c; ++c) {
                            acc += (NN_CONV_ACC)((int32_t)x[c] - p->in_zp) * (NN_CONV_ACC)wk[c];
                        }
                    }
                }
                neg = acc < 0 && p->neg_mult != NULL;
                r = NN_CONV_REQUANTIZE(acc, neg ? p->neg_mult[f] : p->mult[f], neg ? p->neg_shift[f] : p->shift[f]);
                o[f] = (NN_CONV_T)(nn_clamp(r, p->act_min - p->out_zp, p->act_max - p->out_zp) + p->out_zp);
            }
        }
    }
    return NN_OK;
}
