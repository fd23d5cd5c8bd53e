/*
 * nn_scale_shift_s16_s64: nn_scale_shift_s16 with a 64-bit accumulator and bias and 16-bit multipliers
 * (nn_requantize_s64), for channels whose bias reaches beyond int32 (at most 2^47), mirrored by
 * runBatchNorm in src/ops/batch_normalization/quant.ts.
 * in: [len] s16; out: [len] s16, may alias in exactly; len a multiple of channels.
 */
#include "nn.h"
#include "nn_support.h"

int nn_scale_shift_s16_s64(const nn_scale_shift_s16_s64_params_t *p, const int16_t *in, int16_t *out, size_t len)
{
    size_t i;
    int32_t c = 0;
    if (p == NULL || in == NULL || out == NULL || p->channels < 1 || len % (size_t)p->channels != 0u) {
        return NN_ERROR_ARGUMENT;
    }
    for (i = 0; i < len; ++i) {
        const int64_t acc = p->bias[c] + (int64_t)in[i] * (int64_t)p->weights[c];
        const int neg = acc < 0 && p->neg_mult != NULL;
        const int32_t r = nn_requantize_s64(acc, neg ? p->neg_mult[c] : p->mult[c], neg ? p->neg_shift[c] : p->shift[c]);
        out[i] = (int16_t)(nn_clamp(r, p->act_min - p->out_zp, p->act_max - p->out_zp) + p->out_zp);
        if (++c == p->channels) {
            c = 0;
        }
    }
    return NN_OK;
}
