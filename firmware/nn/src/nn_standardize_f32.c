/*
 * nn_standardize_f32: z[i] = (x[i] - mean[i]) / std[i] for the float path.
 * x, mean, std, z: [len] f32 (z may alias x; mean and std both NULL: z = x). Returns NN_ERROR_INPUT at the first NaN or infinite x[i].
 */
#include "nn.h"

int nn_standardize_f32(const float *x, const float *mean, const float *std, size_t len, float *z)
{
    size_t i;
    if (x == NULL || (mean == NULL) != (std == NULL) || z == NULL) {
        return NN_ERROR_ARGUMENT;
    }
    for (i = 0; i < len; ++i) {
        if (x[i] - x[i] != 0.0f) { /* NaN or infinite: x - x is NaN */
            return NN_ERROR_INPUT;
        }
        z[i] = mean == NULL ? x[i] : (x[i] - mean[i]) / std[i];
    }
    return NN_OK;
}
