/*
 * nn_softmax_f32: y[i] = exp(x[i] - max) / sum_j exp(x[j] - max).
 *
 * in: [len] f32, len >= 1; out: [len] f32, may alias in exactly.
 */
#include <math.h>

#include "nn.h"

int nn_softmax_f32(const float *in, float *out, size_t len)
{
    size_t i;
    float max;
    float sum = 0.0f;
    if (in == NULL || out == NULL || len == 0u) {
        return NN_ERROR_ARGUMENT;
    }
    max = in[0];
    for (i = 1; i < len; ++i) {
        if (in[i] > max) {
            max = in[i];
        }
    }
    for (i = 0; i < len; ++i) {
        out[i] = expf(in[i] - max);
        sum += out[i];
    }
    for (i = 0; i < len; ++i) {
        out[i] /= sum;
    }
    return NN_OK;
}
