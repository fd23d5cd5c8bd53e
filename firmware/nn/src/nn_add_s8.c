/* nn_add_s8: the elementwise sum of int8 tensors, as TensorFlow Lite's ADD (see nn.h). The loop is nn_add_body.h's. */
#define NN_ADD_FN nn_add_s8
#define NN_ADD_PARAMS nn_add_s8_params_t
#define NN_ADD_T int8_t
#include "nn_add_body.h"
