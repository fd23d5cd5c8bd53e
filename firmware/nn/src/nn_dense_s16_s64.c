/*
 * nn_dense_s16_s64: a dense layer on s16 codes with int8 weights and a int64 accumulator.
 *
 * in: [n_in] s16; weights: [n_out * n_in] s8 in the blocked layout of nn.h, w(o, i) =
 * weights[nn_dense_weight_index(n_in, n_out, o, i)]; bias: [n_out] s64_t, the input zero point
 * folded in; out: [n_out] s16, not overlapping in. Mirrors runDense in src/quant/dense.ts:
 *   acc = bias[o] + sum_i in[i] * w(o, i)
 *   r   = nn_requantize_s64(acc, mult[o], shift[o])   (neg_mult/neg_shift when acc < 0 and set: leaky relu)
 *   out = clamp(r, act_min - out_zp, act_max - out_zp) + out_zp   (clamp first: no addition overflows)
 * The quantizer bounds |acc| for every possible input at generation time, so the sum cannot overflow.
 */
#include "nn.h"
#include "nn_support.h"

int nn_dense_s16_s64(const nn_dense_s16_s64_params_t *p, const int16_t *in, int16_t *out)
{
    int32_t o;
    if (p == NULL || in == NULL || out == NULL || p->weights == NULL || p->bias == NULL || p->mult == NULL ||
        p->shift == NULL || (p->neg_mult == NULL) != (p->neg_shift == NULL) || p->n_in < 1 || p->n_out < 1) {
        return NN_ERROR_ARGUMENT;
    }
    for (o = 0; o < p->n_out; ++o) {
        int64_t acc = p->bias[o];
        int32_t mult = p->mult[o];
        int32_t shift = p->shift[o];
        int32_t i;
        int32_t r;
        for (i = 0; i < p->n_in; ++i) {
            acc += (int64_t)in[i] * (int64_t)p->weights[nn_dense_weight_index(p->n_in, p->n_out, o, i)];
        }
        if (acc < 0 && p->neg_mult != NULL) {
            mult = p->neg_mult[o];
            shift = p->neg_shift[o];
        }
        r = nn_requantize_s64(acc, mult, shift);
        out[o] = (int16_t)(nn_clamp(r, p->act_min - p->out_zp, p->act_max - p->out_zp) + p->out_zp);
    }
    return NN_OK;
}
