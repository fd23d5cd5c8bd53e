/*
 * nn_tanh_f32: y = tanh(x).
 *
 * in: [len] f32; out: [len] f32, may alias in exactly.
 */
#include "nn.h"
#include <math.h>

int nn_tanh_f32(const float *in, float *out, size_t len)
{
    size_t i;
    if (in == NULL || out == NULL) {
        return NN_ERROR_ARGUMENT;
    }
    for (i = 0; i < len; ++i) {
        const float x = in[i];
        out[i] = tanhf(x);
    }
    return NN_OK;
}
