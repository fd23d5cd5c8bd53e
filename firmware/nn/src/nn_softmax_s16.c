/*
 * nn_softmax_s16: integer softmax of one int16 vector.
 *
 * in: [len] s16 codes of scale s_in (zero point irrelevant); exp_q31: [512] u32 from buildSoftmaxTable
 * in src/quant/softmax.ts, exp_q31[j] = round(2^31 * exp(-s_in * 256 * j)) and
 * exp_q31[256 + i] = round(2^31 * exp(-s_in * i)); out: [len] s16, scale 1/32768, zero point 0, may
 * alias in exactly; len in [1, 16384].
 * With d = max(in) - in[i] in [0, 65535], e = (exp_q31[d >> 8] * exp_q31[256 + (d & 255)] + 2^30) >> 31
 * (Q31, rounded half up) and S = sum of e (uint64):
 * out[i] = min(floor((e * 2^15 + floor(S / 2)) / S), 32767). Mirrors runSoftmax.
 */
#include "nn_kernels_act.h"

/* exp(-s_in * d) in Q31 from the high-byte and low-byte tables, rounded half up. */
static uint32_t nn_softmax_s16_exp(const uint32_t exp_q31[512], int32_t d)
{
    const uint64_t product = (uint64_t)exp_q31[d >> 8] * (uint64_t)exp_q31[256 + (d & 255)];
    return (uint32_t)((product + ((uint64_t)1 << 30)) >> 31); /* both factors <= 2^31: fits uint32 */
}

int nn_softmax_s16(const int16_t *in, int16_t *out, size_t len, const uint32_t exp_q31[512])
{
    size_t i;
    int32_t max;
    uint64_t sum = 0u;
    if (in == NULL || out == NULL || exp_q31 == NULL || len < 1u || len > NN_SOFTMAX_S16_MAX_LENGTH) {
        return NN_ERROR_ARGUMENT;
    }
    max = in[0];
    for (i = 1; i < len; ++i) {
        if (in[i] > max) {
            max = in[i];
        }
    }
    for (i = 0; i < len; ++i) {
        sum += nn_softmax_s16_exp(exp_q31, max - in[i]); /* d = max - in[i] in [0, 65535] */
    }
    for (i = 0; i < len; ++i) {
        const uint64_t numerator = ((uint64_t)nn_softmax_s16_exp(exp_q31, max - in[i]) << 15) + (sum >> 1);
        const uint64_t p = numerator / sum; /* <= 2^15 */
        out[i] = (int16_t)(p > 32767u ? 32767u : p);
    }
    return NN_OK;
}
