/* nn_avg_pool_s16: the rounded mean of each window's int16 codes, per channel (see nn.h). The loop is nn_pool_body.h's. */
#define NN_POOL_FN nn_avg_pool_s16
#define NN_POOL_T int16_t
#define NN_POOL_MAX 0
#include "nn_pool_body.h"
