/* nn_depthwise_conv2d_s16_s64: a depthwise convolution on int16 codes with int8 weights, 64-bit accumulators and biases (see nn.h). The loop is nn_depthwise_conv2d_body.h's. */
#define NN_DW_FN nn_depthwise_conv2d_s16_s64
#define NN_DW_PARAMS nn_depthwise_conv2d_s16_s64_params_t
#define NN_DW_T int16_t
#define NN_DW_ACC int64_t
#define NN_DW_REQUANTIZE nn_requantize_s64
#include "nn_depthwise_conv2d_body.h"
