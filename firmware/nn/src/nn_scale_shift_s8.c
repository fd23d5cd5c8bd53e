/* nn_scale_shift_s8: a per-channel affine map of int8 codes (see nn.h). The loop is nn_scale_shift_body.h's. */
#define NN_SS_FN nn_scale_shift_s8
#define NN_SS_PARAMS nn_scale_shift_s8_params_t
#define NN_SS_T int8_t
#define NN_SS_ACC int32_t
#define NN_SS_REQUANTIZE nn_requantize
#include "nn_scale_shift_body.h"
