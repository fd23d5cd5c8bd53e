/*
 * nn_argmax_s8: index of the largest of in[0..len), the first one on a tie (len >= 1).
 */
#include "nn.h"

int nn_argmax_s8(const int8_t *in, size_t len, int32_t *index)
{
    size_t i;
    size_t best = 0;
    if (in == NULL || index == NULL || len == 0u) {
        return NN_ERROR_ARGUMENT;
    }
    for (i = 1; i < len; ++i) {
        if (in[i] > in[best]) {
            best = i;
        }
    }
    *index = (int32_t)best;
    return NN_OK;
}
