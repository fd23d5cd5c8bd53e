/*
 * nn_softmax_s8: integer softmax of one int8 vector.
 *
 * in: [len] s8 codes of scale s_in (zero point irrelevant); exp_q20: [256] u32,
 * exp_q20[d] = round(2^20 * exp(-s_in * d)) (buildSoftmaxTable in src/quant/softmax.ts);
 * out: [len] s8, scale 1/256, zero point -128, may alias in exactly; len in [1, 4095].
 * With d_i = max(in) - in[i] and S = sum of exp_q20[d_i] (< 4095 * 2^20 + 1 < 2^32):
 * out[i] = clamp(floor((exp_q20[d_i] * 256 + floor(S / 2)) / S) - 128, -128, 127), i.e. the probability
 * in 1/256 rounded half up. Mirrors runSoftmax.
 */
#include "nn_kernels_act.h"
#include "nn_support.h"

int nn_softmax_s8(const int8_t *in, int8_t *out, size_t len, const uint32_t exp_q20[256])
{
    size_t i;
    int32_t max;
    uint32_t sum = 0u;
    if (in == NULL || out == NULL || exp_q20 == NULL || len < 1u || len > NN_SOFTMAX_S8_MAX_LENGTH) {
        return NN_ERROR_ARGUMENT;
    }
    max = in[0];
    for (i = 1; i < len; ++i) {
        if (in[i] > max) {
            max = in[i];
        }
    }
    for (i = 0; i < len; ++i) {
        sum += exp_q20[max - in[i]]; /* max - in[i] in [0, 255] */
    }
    for (i = 0; i < len; ++i) {
        /* exp_q20 <= 2^20, so the numerator stays below 2^28 + 2^31 */
        const uint32_t numerator = exp_q20[max - in[i]] * 256u + (sum >> 1);
        out[i] = nn_clamp_s8((int32_t)(numerator / sum) - 128);
    }
    return NN_OK;
}
