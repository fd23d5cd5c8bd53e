/*
 * nn_dense_f32: a float dense layer.
 *
 * in: [n_in] f32; weights: [n_out][n_in] row-major f32; bias: [n_out] f32; out: [n_out] f32, not
 * overlapping in. out[o] = bias[o] + sum_i in[i] * weights[o][i], summed in order in float.
 */
#include "nn.h"

int nn_dense_f32(const float *in, const float *weights, const float *bias, int32_t n_in, int32_t n_out,
                 float *out)
{
    int32_t o;
    if (in == NULL || weights == NULL || bias == NULL || out == NULL || n_in < 1 || n_out < 1) {
        return NN_ERROR_ARGUMENT;
    }
    for (o = 0; o < n_out; ++o) {
        const float *w = weights + (size_t)o * (size_t)n_in;
        float acc = bias[o];
        int32_t i;
        for (i = 0; i < n_in; ++i) {
            acc += in[i] * w[i];
        }
        out[o] = acc;
    }
    return NN_OK;
}
