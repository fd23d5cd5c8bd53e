/*
 * nn_add_f32: elementwise sum of 2 to NN_ADD_MAX_INPUTS float tensors, added in input order, each sum
 * rounded to float (mirrored by the float32 reference of src/ops/add).
 *
 * in: [count] pointers to [len] f32; out: [len] f32, may alias in[0] exactly.
 */
#include "nn.h"

int nn_add_f32(const float *const *in, int32_t count, float *out, size_t len)
{
    size_t i;
    int32_t k;
    if (in == NULL || out == NULL || count < 2 || count > NN_ADD_MAX_INPUTS) {
        return NN_ERROR_ARGUMENT;
    }
    for (k = 0; k < count; ++k) {
        if (in[k] == NULL) {
            return NN_ERROR_ARGUMENT;
        }
    }
    for (i = 0; i < len; ++i) {
        float sum = in[0][i];
        for (k = 1; k < count; ++k) {
            sum += in[k][i];
        }
        out[i] = sum;
    }
    return NN_OK;
}
