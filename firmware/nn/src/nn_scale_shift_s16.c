/* nn_scale_shift_s16: a per-channel affine map of int16 codes (see nn.h). The loop is nn_scale_shift_body.h's. */
#define NN_SS_FN nn_scale_shift_s16
#define NN_SS_PARAMS nn_scale_shift_s16_params_t
#define NN_SS_T int16_t
#define NN_SS_ACC int32_t
#define NN_SS_REQUANTIZE nn_requantize
#include "nn_scale_shift_body.h"
