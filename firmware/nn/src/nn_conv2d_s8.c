/* nn_conv2d_s8: a convolution on int8 codes, int32 accumulators (see nn.h). The loop is nn_conv2d_body.h's. */
#define NN_CONV_FN nn_conv2d_s8
#define NN_CONV_PARAMS nn_conv2d_s8_params_t
#define NN_CONV_T int8_t
#define NN_CONV_ACC int32_t
#define NN_CONV_REQUANTIZE nn_requantize
#include "nn_conv2d_body.h"
