/*
 * nn_leaky_relu_f32: y = x for x >= 0, alpha * x below.
 *
 * in: [len] f32; out: [len] f32, may alias in exactly.
 */
#include "nn.h"

int nn_leaky_relu_f32(const float *in, float *out, size_t len, float alpha)
{
    size_t i;
    if (in == NULL || out == NULL) {
        return NN_ERROR_ARGUMENT;
    }
    for (i = 0; i < len; ++i) {
        const float x = in[i];
        out[i] = x >= 0.0f ? x : alpha * x;
    }
    return NN_OK;
}
