/*
 * nn_relu6_f32: y = min(max(x, 0), 6).
 *
 * in: [len] f32; out: [len] f32, may alias in exactly.
 */
#include "nn.h"

int nn_relu6_f32(const float *in, float *out, size_t len)
{
    size_t i;
    if (in == NULL || out == NULL) {
        return NN_ERROR_ARGUMENT;
    }
    for (i = 0; i < len; ++i) {
        const float x = in[i];
        out[i] = x > 0.0f ? (x < 6.0f ? x : 6.0f) : 0.0f;
    }
    return NN_OK;
}
