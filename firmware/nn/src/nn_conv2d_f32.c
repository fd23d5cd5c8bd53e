/*
 * nn_conv2d_f32: the float convolution (mirrored by the float32 reference of src/ops/conv2d): per output
 * position and filter, the bias, then each product and sum over the window's taps inside the input,
 * rows, then columns, then channels, rounded to float (no fused multiply-add). See nn.h.
 */
#include "nn.h"

int nn_conv2d_f32(const nn_conv2d_f32_params_t *p, const float *in, float *out)
{
    const nn_window_t *w;
    int32_t oy, ox, f, ky, kx, c;
    if (p == NULL || in == NULL || out == NULL || p->weights == NULL || p->bias == NULL) {
        return NN_ERROR_ARGUMENT;
    }
    w = &p->win;
    for (oy = 0; oy < w->out_h; ++oy) {
        for (ox = 0; ox < w->out_w; ++ox) {
            float *o = out + ((size_t)oy * (size_t)w->out_w + (size_t)ox) * (size_t)p->out_c;
            for (f = 0; f < p->out_c; ++f) {
                const float *wf = p->weights + (size_t)f * (size_t)(w->k_h * w->k_w * w->in_c);
                float acc = p->bias[f];
                for (ky = 0; ky < w->k_h; ++ky) {
                    const int32_t iy = oy * w->stride_h - w->pad_top + ky * w->dil_h;
                    if (iy < 0 || iy >= w->in_h) {
                        continue;
                    }
                    for (kx = 0; kx < w->k_w; ++kx) {
                        const int32_t ix = ox * w->stride_w - w->pad_left + kx * w->dil_w;
                        const float *x;
                        const float *wk;
                        if (ix < 0 || ix >= w->in_w) {
                            continue;
                        }
                        x = in + ((size_t)iy * (size_t)w->in_w + (size_t)ix) * (size_t)w->in_c;
                        wk = wf + (size_t)(ky * w->k_w + kx) * (size_t)w->in_c;
                        for (c = 0; c < w->in_c; ++c) {
                            const float product = x[c] * wk[c];
                            acc = acc + product;
                        }
                    }
                }
                o[f] = acc;
            }
        }
    }
    return NN_OK;
}
