/* nn_scale_shift_s16_s64: a per-channel affine map of int16 codes with a 64-bit accumulator and bias and 16-bit multipliers (see nn.h). The loop is nn_scale_shift_body.h's. */
#define NN_SS_FN nn_scale_shift_s16_s64
#define NN_SS_PARAMS nn_scale_shift_s16_s64_params_t
#define NN_SS_T int16_t
#define NN_SS_ACC int64_t
#define NN_SS_REQUANTIZE nn_requantize_s64
#include "nn_scale_shift_body.h"
