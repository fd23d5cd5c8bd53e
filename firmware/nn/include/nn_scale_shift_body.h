/*
 * The body of the integer per-channel affine kernels (nn_scale_shift_s8.c, _s16.c, _s16_s64.c: a
 * BatchNormalization that folds into no op before it), included by each with NN_SS_FN, NN_SS_PARAMS,
 * NN_SS_T (element), NN_SS_ACC (int32_t or int64_t) and NN_SS_REQUANTIZE. Mirrored by runBatchNorm in
 * src/ops/batch_normalization/quant.ts:
 *   c   = i % channels                                  (channels last)
 *   acc = bias[c] + in[i] * weights[c]                  (the input zero point is in bias)
 *   r   = requantize(acc, mult[c], shift[c])            (neg_mult/neg_shift when acc < 0, if set)
 *   out = clamp(r, act_min - out_zp, act_max - out_zp) + out_zp
 * in: [len]; out: [len], may alias in exactly; len a multiple of channels.
 */
#include "nn.h"
#include "nn_support.h"

int NN_SS_FN(const NN_SS_PARAMS *p, const NN_SS_T *in, NN_SS_T *out, size_t len)
{
    size_t i;
    int32_t c = 0;
    if (p == NULL || in == NULL || out == NULL || p->channels < 1 || len % (size_t)p->channels != 0u) {
        return NN_ERROR_ARGUMENT;
    }
    for (i = 0; i < len; ++i) {
        const NN_SS_ACC acc = p->bias[c] + (NN_SS_ACC)in[i] * (NN_SS_ACC)p->weights[c];
        const int neg = acc < 0 && p->neg_mult != NULL;
        const int32_t r = NN_SS_REQUANTIZE(acc, neg ? p->neg_mult[c] : p->mult[c], neg ? p->neg_shift[c] : p->shift[c]);
        out[i] = (NN_SS_T)(nn_clamp(r, p->act_min - p->out_zp, p->act_max - p->out_zp) + p->out_zp);
        if (++c == p->channels) {
            c = 0;
        }
    }
    return NN_OK;
}
