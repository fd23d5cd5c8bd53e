/* nn_max_pool_s8: the largest int8 code of each window, per channel (see nn.h). The loop is nn_pool_body.h's. */
#define NN_POOL_FN nn_max_pool_s8
#define NN_POOL_T int8_t
#define NN_POOL_MAX 1
#include "nn_pool_body.h"
