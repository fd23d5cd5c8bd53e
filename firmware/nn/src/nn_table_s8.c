/*
 * nn_table_s8: elementwise activation through a 256-entry table.
 *
 * in: [len] s8 codes; table: [256] s8, table[q + 128] is the output code of input code q (built by
 * buildTableS8 in src/quant/lut.ts, correctly rounded); out: [len] s8, may alias in exactly.
 * Mirrors applyTableS8.
 */
#include "nn_kernels_act.h"

int nn_table_s8(const int8_t *in, int8_t *out, size_t len, const int8_t table[256])
{
    size_t i;
    if (in == NULL || out == NULL || table == NULL) {
        return NN_ERROR_ARGUMENT;
    }
    for (i = 0; i < len; ++i) {
        out[i] = table[(int32_t)in[i] + 128]; /* input codes -128..127 → indices 0..255 */
    }
    return NN_OK;
}
