/*
 * nn_scale_shift_s8: a per-channel affine map of int8 codes (a BatchNormalization that folds into no op
 * before it), mirrored by runBatchNorm in src/ops/batch_normalization/quant.ts:
 *   c   = i % channels                                  (channels last)
 *   acc = bias[c] + in[i] * weights[c]                  (int32; the input zero point is in bias)
 *   r   = nn_requantize(acc, mult[c], shift[c])         (neg_mult/neg_shift when acc < 0, if set)
 *   out = clamp(r, act_min - out_zp, act_max - out_zp) + out_zp
 * in: [len] s8; out: [len] s8, may alias in exactly; len a multiple of channels.
 */
#include "nn.h"
#include "nn_support.h"

int nn_scale_shift_s8(const nn_scale_shift_s8_params_t *p, const int8_t *in, int8_t *out, size_t len)
{
    size_t i;
    int32_t c = 0;
    if (p == NULL || in == NULL || out == NULL || p->channels < 1 || len % (size_t)p->channels != 0u) {
        return NN_ERROR_ARGUMENT;
    }
    for (i = 0; i < len; ++i) {
        const int32_t acc = p->bias[c] + (int32_t)in[i] * (int32_t)p->weights[c];
        const int neg = acc < 0 && p->neg_mult != NULL;
        const int32_t r = nn_requantize(acc, neg ? p->neg_mult[c] : p->mult[c], neg ? p->neg_shift[c] : p->shift[c]);
        out[i] = (int8_t)(nn_clamp(r, p->act_min - p->out_zp, p->act_max - p->out_zp) + p->out_zp);
        if (++c == p->channels) {
            c = 0;
        }
    }
    return NN_OK;
}
