/* nn_conv2d_s16_s64: a convolution on int16 codes with int8 weights, 64-bit accumulators and biases and 16-bit multipliers (see nn.h). The loop is nn_conv2d_body.h's. */
#define NN_CONV_FN nn_conv2d_s16_s64
#define NN_CONV_PARAMS nn_conv2d_s16_s64_params_t
#define NN_CONV_T int16_t
#define NN_CONV_ACC int64_t
#define NN_CONV_REQUANTIZE nn_requantize_s64
#include "nn_conv2d_body.h"
