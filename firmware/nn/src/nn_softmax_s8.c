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
#if (defined(__ARM_ARCH) && !defined(__ARM_FEATURE_IDIV)) || defined(NN_SOFTMAX_RECIPROCAL)
    /*
     * Cores without a divide instruction (Cortex-M0/M0+: each '/' is a call of __aeabi_uidiv, about 45
     * instructions): one division for r = floor((2^32 - 1) / S), then per element an estimate and an
     * exact correction. For S >= 2^16, r < 2^16, so with nh = floor(n / 2^16) < 2^16 the product nh r
     * fits uint32, and q0 = floor(nh r / 2^16) <= floor(n / S) = q, since r < 2^32 / S and
     * nh 2^16 <= n. Hence n - q0 S is exact in uint32 (0 <= n - q0 S <= n < 2^32), and stepping q0 up
     * while the remainder is >= S ends at q exactly (remainder in [0, S)). The estimate is short by at
     * most 3 (r > 2^32 / S - 1 - 1 / S and n < (nh + 1) 2^16 give nh r / 2^16 > n / S - 2 - 2^-16),
     * so the loop runs at most 3 times; usually once or not at all. Below 2^16 (never with
     * exp_q20[0] = 2^20, which S includes) it divides as the other cores do.
     */
    if (sum >= 0x10000u) {
        const uint32_t r = 0xFFFFFFFFu / sum;
        const uint32_t half = sum >> 1;
        for (i = 0; i < len; ++i) {
            const uint32_t numerator = exp_q20[max - in[i]] * 256u + half;
            uint32_t q = ((numerator >> 16) * r) >> 16;
            uint32_t rem = numerator - q * sum;
            while (rem >= sum) {
                rem -= sum;
                ++q;
            }
            out[i] = nn_clamp_s8((int32_t)q - 128);
        }
        return NN_OK;
    }
#endif
    for (i = 0; i < len; ++i) {
        /* exp_q20 <= 2^20, so the numerator stays below 2^28 + 2^31 */
        const uint32_t numerator = exp_q20[max - in[i]] * 256u + (sum >> 1);
        out[i] = nn_clamp_s8((int32_t)(numerator / sum) - 128);
    }
    return NN_OK;
}
