/*
 * The body of the integer add kernels (nn_add_s8.c, nn_add_s16.c), included by each with NN_ADD_FN,
 * NN_ADD_PARAMS and NN_ADD_T: the elementwise sum of 2 to NN_ADD_MAX_INPUTS tensors, as TensorFlow Lite's
 * ADD computes it (src/ops/add/quant.ts mirrors it bit for bit):
 *   x_k  = (in_k[i] - in_zp[k]) * 2^left_shift           (int8: 20, |x_k| <= 2^28; int16: 15, <= 2^30)
 *   s    = sum_k nn_requantize(x_k, in_mult[k], in_shift[k])   (in_shift <= 0: each <= |x_k| / 2)
 *   out  = clamp(nn_requantize(s, out_mult, out_shift) + out_zp, act_min, act_max)
 * The multipliers rescale every input to half the largest input scale, and the generator checks that the
 * sum and its requantization stay inside int32. in: [count] pointers to [len] codes; out: [len], may
 * alias in[0] exactly.
 */
#include "nn.h"
#include "nn_support.h"

int NN_ADD_FN(const NN_ADD_PARAMS *p, const NN_ADD_T *const *in, NN_ADD_T *out, size_t len)
{
    size_t i;
    int32_t k;
    if (p == NULL || in == NULL || out == NULL || p->count < 2 || p->count > NN_ADD_MAX_INPUTS) {
        return NN_ERROR_ARGUMENT;
    }
    for (k = 0; k < p->count; ++k) {
        if (in[k] == NULL) {
            return NN_ERROR_ARGUMENT;
        }
    }
    for (i = 0; i < len; ++i) {
        int32_t sum = 0;
        for (k = 0; k < p->count; ++k) {
            const int32_t x = ((int32_t)in[k][i] - p->in_zp[k]) * ((int32_t)1 << p->left_shift);
            sum += nn_requantize(x, p->in_mult[k], p->in_shift[k]);
        }
        out[i] = (NN_ADD_T)nn_clamp(nn_requantize(sum, p->out_mult, p->out_shift) + p->out_zp, p->act_min, p->act_max);
    }
    return NN_OK;
}
