/* nn_pad_s8: zero padding of int8 codes, the input zero point outside (see nn.h). The loop is nn_pad_body.h's. */
#define NN_PAD_FN nn_pad_s8
#define NN_PAD_PARAMS nn_pad_s8_params_t
#define NN_PAD_T int8_t
#include "nn_pad_body.h"
