/*
 * nn_depthwise_conv2d_f32: the float depthwise convolution (mirrored by the float32 reference of
 * src/ops/depthwise_conv2d): per output position and channel o = c * M + m, the bias, then each product
 * and sum over the window's taps inside the input (rows, then columns) rounded to float. See nn.h.
 */
#include "nn.h"

int nn_depthwise_conv2d_f32(const nn_depthwise_conv2d_f32_params_t *p, const float *in, float *out)
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
            float *y = out + ((size_t)oy * (size_t)w->out_w + (size_t)ox) * (size_t)channels;
            for (o = 0; o < channels; ++o) {
                const int32_t c = o / p->depth_multiplier;
                const float *wo = p->weights + (size_t)o * (size_t)(w->k_h * w->k_w);
                float acc = p->bias[o];
                for (ky = 0; ky < w->k_h; ++ky) {
                    const int32_t iy = oy * w->stride_h - w->pad_top + ky * w->dil_h;
                    if (iy < 0 || iy >= w->in_h) {
                        continue;
                    }
                    for (kx = 0; kx < w->k_w; ++kx) {
                        const int32_t ix = ox * w->stride_w - w->pad_left + kx * w->dil_w;
                        float product;
                        if (ix < 0 || ix >= w->in_w) {
                            continue;
                        }
                        product = in[((size_t)iy * (size_t)w->in_w + (size_t)ix) * (size_t)w->in_c + (size_t)c] *
                                  wo[ky * w->k_w + kx];
                        acc = acc + product;
                    }
                }
                y[o] = acc;
            }
        }
    }
    return NN_OK;
}
