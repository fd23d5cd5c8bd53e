/* nn_depthwise_conv2d_s16: a depthwise convolution on int16 codes with int8 weights, int32 accumulators (see nn.h). The loop is nn_depthwise_conv2d_body.h's. */
#define NN_DW_FN nn_depthwise_conv2d_s16
#define NN_DW_PARAMS nn_depthwise_conv2d_s16_params_t
#define NN_DW_T int16_t
#define NN_DW_ACC int32_t
#define NN_DW_REQUANTIZE nn_requantize
#include "nn_depthwise_conv2d_body.h"
