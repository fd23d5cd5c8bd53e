/*
 * nn_quantize_f32_s16: raw features to s16 codes, in float32 steps (mirrored by quantizeInput in
 * src/reference/integer.ts, which reproduces each float operation with Math.fround):
 *   z = (x[i] - mean[i]) / std[i];  t = z / scale, clamped to [-65536, 65536];
 *   q[i] = clamp(round_half_away_from_zero(t) + zero_point, -32768, 32767)
 * x, mean, std: [len] f32 (mean and std both NULL: z = x, which (x - 0) / 1 equals exactly); q: [len] s16. Returns NN_ERROR_INPUT at the first NaN or infinite x[i].
 */
#include "nn.h"
#include "nn_support.h"

int nn_quantize_f32_s16(const float *x, const float *mean, const float *std, size_t len, float scale,
                       int32_t zero_point, int16_t *q)
{
    size_t i;
    if (x == NULL || (mean == NULL) != (std == NULL) || q == NULL) {
        return NN_ERROR_ARGUMENT;
    }
    for (i = 0; i < len; ++i) {
        float t;
        if (x[i] - x[i] != 0.0f) { /* NaN or infinite: x - x is NaN */
            return NN_ERROR_INPUT;
        }
        t = (mean == NULL ? x[i] : (x[i] - mean[i]) / std[i]) / scale;
        /* the clamp keeps the conversion below in range; no code is that far from zero */
        if (t > 65536.0f) {
            t = 65536.0f;
        }
        if (t < -65536.0f) {
            t = -65536.0f;
        }
        q[i] = (int16_t)nn_clamp(nn_round_f32(t) + zero_point, -32768, 32767);
    }
    return NN_OK;
}
