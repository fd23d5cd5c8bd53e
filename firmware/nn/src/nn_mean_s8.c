/* nn_mean_s8: TensorFlow Lite Micro's int8 MEAN over height and width (see nn.h). */
#include "nn.h"
#include "nn_support.h"

int nn_mean_s8(const nn_mean_s8_params_t *p, const int8_t *in, int8_t *out)
{
    const int32_t count = p != NULL ? p->in_h * p->in_w : 0;
    int32_t c, i;
    if (p == NULL || in == NULL || out == NULL || count < 1) {
        return NN_ERROR_ARGUMENT;
    }
    for (c = 0; c < p->in_c; ++c) {
        const int8_t *x = in + c;
        int32_t sum = 0;
        int32_t r;
        for (i = 0; i < count; ++i) {
            sum += (int32_t)x[(size_t)i * (size_t)p->in_c];
        }
        if (p->truncate) {
            r = sum / count; /* C99 division truncates toward zero */
        } else {
            r = nn_requantize(sum - count * p->in_zp, p->mult, p->shift) + p->out_zp;
        }
        out[c] = (int8_t)(r < -128 ? -128 : (r > 127 ? 127 : r));
    }
    return NN_OK;
}
