/* nn_add_s16: the elementwise sum of int16 tensors, as TensorFlow Lite's ADD (see nn.h). The loop is nn_add_body.h's. */
#define NN_ADD_FN nn_add_s16
#define NN_ADD_PARAMS nn_add_s16_params_t
#define NN_ADD_T int16_t
#include "nn_add_body.h"
