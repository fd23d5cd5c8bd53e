/*
 * nn_sigmoid_f32: y = 1 / (1 + exp(-x)), written so that expf never overflows.
 *
 * in: [len] f32; out: [len] f32, may alias in exactly.
 */
#include "nn.h"
#include <math.h>

int nn_sigmoid_f32(const float *in, float *out, size_t len)
{
    size_t i;
    if (in == NULL || out == NULL) {
        return NN_ERROR_ARGUMENT;
    }
    for (i = 0; i < len; ++i) {
        const float x = in[i];
        out[i] = x >= 0.0f ? 1.0f / (1.0f + expf(-x)) : expf(x) / (1.0f + expf(x));
    }
    return NN_OK;
}
