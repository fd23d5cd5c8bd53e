/*
 * nn_pad_s8: zero padding of int8 codes (the padding holds the input zero point, `fill`); mirrored by
 * src/ops/zero_padding. See nn.h.
 */
#include "nn.h"

int nn_pad_s8(const nn_pad_s8_params_t *p, const int8_t *in, int8_t *out)
{
    int32_t y, x, c, out_h, out_w;
    if (p == NULL || in == NULL || out == NULL) {
        return NN_ERROR_ARGUMENT;
    }
    out_h = p->in_h + p->top + p->bottom;
    out_w = p->in_w + p->left + p->right;
    for (y = 0; y < out_h; ++y) {
        for (x = 0; x < out_w; ++x) {
            const int32_t iy = y - p->top;
            const int32_t ix = x - p->left;
            int8_t *o = out + ((size_t)y * (size_t)out_w + (size_t)x) * (size_t)p->in_c;
            const int inside = iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w;
            for (c = 0; c < p->in_c; ++c) {
                o[c] = inside ? in[((size_t)iy * (size_t)p->in_w + (size_t)ix) * (size_t)p->in_c + (size_t)c]
                              : (int8_t)p->fill;
            }
        }
    }
    return NN_OK;
}
