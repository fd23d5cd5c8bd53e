/*
 * nn_dequantize_s8_f32: y[i] = (float)(q[i] - zero_point) * scale, one float rounding
 * (mirrored by dequantizeOutput in src/reference/integer.ts). q: [len] s8; y: [len] f32.
 */
#include "nn.h"

int nn_dequantize_s8_f32(const int8_t *q, size_t len, float scale, int32_t zero_point, float *y)
{
    size_t i;
    if (q == NULL || y == NULL) {
        return NN_ERROR_ARGUMENT;
    }
    for (i = 0; i < len; ++i) {
        y[i] = (float)((int32_t)q[i] - zero_point) * scale;
    }
    return NN_OK;
}
