/*
 * nn_table_s16: elementwise activation through an interpolated int16 table.
 *
 * in: [len] s16 codes; params, entries: built by buildTableS16 in src/quant/lut.ts (at most 512 uint16
 * entries); out: [len] s16, may alias in exactly. Mirrors evalTableS16 bit for bit: every step is
 * integer, the interpolation sum is formed in uint32 (e <= 65535, weights sum to 2^15, so the sum stays
 * below 2^31 and adding rounding < 2^31 cannot wrap), and no negative value is shifted.
 */
#include "nn_kernels_act.h"
#include "nn_support.h"

int nn_table_s16(const int16_t *in, int16_t *out, size_t len, const nn_table_s16_params_t *params,
                 const uint16_t *entries)
{
    size_t i;
    if (in == NULL || out == NULL || params == NULL || entries == NULL) {
        return NN_ERROR_ARGUMENT;
    }
    if (params->shift < 15u || params->shift > 30u || params->zone_count < 1u ||
        params->zone_count > NN_TABLE_S16_MAX_ZONES) {
        return NN_ERROR_ARGUMENT;
    }
    for (i = 0; i < len; ++i) {
        const int32_t q = in[i];
        const int mirrored = params->symmetric != 0u && q < 0;
        const int32_t d = mirrored ? -q : q; /* |q| <= 32768 fits int32 */
        int32_t v;
        if (d < params->code_lo) {
            v = params->low_out;
        } else if (d > params->code_hi) {
            v = params->high_out;
        } else {
            const int32_t r = d - params->code_lo; /* offset into the interpolated range, >= 0 */
            uint32_t z = 0u;
            while (z + 1u < params->zone_count && r >= params->zone_start[z + 1u]) {
                ++z;
            }
            {
                const uint32_t u = (uint32_t)(r - params->zone_start[z]);
                const uint32_t log2_len = params->zone_log2[z];
                const uint32_t k = params->zone_knot[z] + (u >> log2_len);
                /* weight of knot k + 1 in Q15: the position inside the segment, scaled to 2^15 */
                const uint32_t w = (u & ((1u << log2_len) - 1u)) << (15u - log2_len);
                const uint32_t sum = (uint32_t)entries[k] * (32768u - w) + (uint32_t)entries[k + 1u] * w;
                /* rounding adds half an output LSB (and the entries' fractional offset): round half up */
                v = params->out_base + (int32_t)((sum + params->rounding) >> params->shift);
            }
        }
        out[i] = nn_clamp_s16(mirrored ? params->mirror - v : v);
    }
    return NN_OK;
}
