/*
 * nn_scale_shift_f32: out[i] = in[i] * scale[c] + shift[c] with c = i % channels, each product and sum
 * rounded to float (a BatchNormalization that folds into no op before it; mirrored by the float32
 * reference of src/ops/batch_normalization). in: [len] f32; out: [len] f32, may alias in exactly.
 */
#include "nn.h"

int nn_scale_shift_f32(const float *in, const float *scale, const float *shift, int32_t channels, float *out,
                       size_t len)
{
    size_t i;
    int32_t c = 0;
    if (in == NULL || scale == NULL || shift == NULL || out == NULL || channels < 1 ||
        len % (size_t)channels != 0u) {
        return NN_ERROR_ARGUMENT;
    }
    for (i = 0; i < len; ++i) {
        const float product = in[i] * scale[c];
        out[i] = product + shift[c];
        if (++c == channels) {
            c = 0;
        }
    }
    return NN_OK;
}
