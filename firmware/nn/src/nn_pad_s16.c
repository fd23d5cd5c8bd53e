/* nn_pad_s16: zero padding of int16 codes, the input zero point outside (see nn.h). The loop is nn_pad_body.h's. */
#define NN_PAD_FN nn_pad_s16
#define NN_PAD_PARAMS nn_pad_s16_params_t
#define NN_PAD_T int16_t
#include "nn_pad_body.h"
