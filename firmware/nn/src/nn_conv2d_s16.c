/* nn_conv2d_s16: a convolution on int16 codes with int8 weights, int32 accumulators (see nn.h). The loop is nn_conv2d_body.h's. */
#define NN_CONV_FN nn_conv2d_s16
#define NN_CONV_PARAMS nn_conv2d_s16_params_t
#define NN_CONV_T int16_t
#define NN_CONV_ACC int32_t
#define NN_CONV_REQUANTIZE nn_requantize
#include "nn_conv2d_body.h"
