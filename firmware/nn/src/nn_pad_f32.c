/* nn_pad_f32: zero padding of floats, 0 outside (see nn.h). The loop is nn_pad_body.h's. */
#define NN_PAD_FN nn_pad_f32
#define NN_PAD_PARAMS nn_pad_f32_params_t
#define NN_PAD_T float
#include "nn_pad_body.h"
