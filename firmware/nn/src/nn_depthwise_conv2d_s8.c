/* nn_depthwise_conv2d_s8: a depthwise convolution on int8 codes, int32 accumulators (see nn.h). The loop is nn_depthwise_conv2d_body.h's. */
#define NN_DW_FN nn_depthwise_conv2d_s8
#define NN_DW_PARAMS nn_depthwise_conv2d_s8_params_t
#define NN_DW_T int8_t
#define NN_DW_ACC int32_t
#define NN_DW_REQUANTIZE nn_requantize
#include "nn_depthwise_conv2d_body.h"
