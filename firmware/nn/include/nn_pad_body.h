/*
 * The body of the padding kernels (nn_pad_s8.c, nn_pad_s16.c, nn_pad_f32.c), included by each with
 * NN_PAD_FN, NN_PAD_PARAMS and NN_PAD_T: out[y][x][c] = in[y - top][x - left][c], or `fill` outside the
 * input (the input zero point in integers, 0 in float). Mirrored by src/ops/zero_padding. See nn.h.
 */
#include "nn.h"

int NN_PAD_FN(const NN_PAD_PARAMS *p, const NN_PAD_T *in, NN_PAD_T *out)
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
            NN_PAD_T *o = out + ((size_t)y * (size_t)out_w + (size_t)x) * (size_t)p->in_c;
            const int inside = iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w;
            for (c = 0; c < p->in_c; ++c) {
                o[c] = inside ? in[((size_t)iy * (size_t)p->in_w + (size_t)ix) * (size_t)p->in_c + (size_t)c]
                              : (NN_PAD_T)p->fill;
            }
        }
    }
    return NN_OK;
}
