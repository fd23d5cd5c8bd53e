/*
 * nn_kernels_act.h: elementwise activation tables and softmax (to be merged into nn.h).
 *
 * Every table and parameter below is computed by TypeScript (src/quant/lut.ts, src/quant/softmax.ts)
 * and each kernel reproduces the matching TypeScript evaluation bit for bit. The kernels return NN_OK (0)
 * or NN_ERROR_ARGUMENT for a null pointer or a length outside the documented range; they never allocate.
 */
#ifndef NN_KERNELS_ACT_H
#define NN_KERNELS_ACT_H

#include <stddef.h>
#include <stdint.h>

#ifndef NN_STATUS_DEFINED
#define NN_STATUS_DEFINED
/* Status of a kernel call. */
enum nn_status { NN_OK = 0, NN_ERROR_ARGUMENT = 1 };
#endif

/* Most zones of an nn_table_s16 table. */
#define NN_TABLE_S16_MAX_ZONES 8
/* Longest vectors of the softmax kernels (see src/quant/softmax.ts for the accuracy bound). */
#define NN_SOFTMAX_S8_MAX_LENGTH 4095u
#define NN_SOFTMAX_S16_MAX_LENGTH 16384u
/* Longest vector of TensorFlow Lite's int8 softmax: its final rounding shift stays within 31 bits. */
#define NN_SOFTMAX_S8_TFL_MAX_LENGTH 511u

/* Parameters of an int16 interpolated table (TableS16 in src/quant/lut.ts, field for field). With
 * d = q (or |q| when symmetric): d < code_lo gives low_out, d > code_hi gives high_out; otherwise
 * r = d - code_lo lies in zone z (the last with zone_start[z] <= r), u = r - zone_start[z],
 * k = zone_knot[z] + (u >> zone_log2[z]), w = (u & (2^zone_log2[z] - 1)) << (15 - zone_log2[z]), and
 * out = out_base + ((e[k] * (2^15 - w) + e[k + 1] * w + rounding) >> shift) in uint32. Symmetric tables
 * return mirror - out for q < 0. The result is saturated to int16. */
typedef struct {
    int32_t code_lo;                               /* first interpolated code d */
    int32_t code_hi;                               /* last interpolated code d */
    int32_t low_out;                               /* output for d < code_lo (before mirror) */
    int32_t high_out;                              /* output for d > code_hi (before mirror) */
    int32_t out_base;                              /* added after the shift */
    uint32_t rounding;                             /* half an output LSB plus the entry offset's fraction */
    uint32_t shift;                                /* 15 + fractional bits of the entries, in [15, 30] */
    int32_t mirror;                                /* symmetric: out(q) = mirror - out(-q) for q < 0 */
    uint32_t symmetric;                            /* 1: point-symmetric table indexed by |q|; 0: by q */
    uint32_t zone_count;                           /* in [1, NN_TABLE_S16_MAX_ZONES] */
    int32_t zone_start[NN_TABLE_S16_MAX_ZONES];    /* first offset r of each zone (zone_start[0] = 0) */
    uint32_t zone_knot[NN_TABLE_S16_MAX_ZONES];    /* knot index at zone_start */
    uint32_t zone_log2[NN_TABLE_S16_MAX_ZONES];    /* segment length 2^zone_log2 codes, in [0, 15] */
} nn_table_s16_params_t;

/* Applies a 256-entry int8 table: out[i] = table[in[i] + 128] for i < len. in and out may alias
 * exactly (in place). Returns NN_ERROR_ARGUMENT for a null pointer. */
int nn_table_s8(const int8_t *in, int8_t *out, size_t len, const int8_t table[256]);

/* Applies an int16 interpolated table (params + uint16 entries) to in[0..len) into out (may alias in
 * exactly). Returns NN_ERROR_ARGUMENT for a null pointer or parameters outside their ranges. */
int nn_table_s16(const int16_t *in, int16_t *out, size_t len, const nn_table_s16_params_t *params,
                 const uint16_t *entries);

/* Softmax of int8 codes in[0..len) (any input zero point) into out[0..len), output scale 1/256 and zero
 * point -128. exp_q20[d] = round(2^20 * exp(-s_in * d)), d = 0..255. len in [1, NN_SOFTMAX_S8_MAX_LENGTH];
 * in and out may alias exactly. Returns NN_ERROR_ARGUMENT otherwise. */
int nn_softmax_s8(const int8_t *in, int8_t *out, size_t len, const uint32_t exp_q20[256]);

/* Softmax of int16 codes in[0..len) into out[0..len), output scale 1/32768 and zero point 0.
 * exp_q31[j] = round(2^31 * exp(-s_in * 256 * j)), exp_q31[256 + i] = round(2^31 * exp(-s_in * i)).
 * len in [1, NN_SOFTMAX_S16_MAX_LENGTH]; in and out may alias exactly. Returns NN_ERROR_ARGUMENT
 * otherwise. */
int nn_softmax_s16(const int16_t *in, int16_t *out, size_t len, const uint32_t exp_q31[512]);

/* TensorFlow Lite's int8 softmax of in[0..len) into out[0..len) (output scale 1/256, zero point -128),
 * bit for bit: multiplier, left_shift and diff_min as TensorFlow Lite derives them from beta and the
 * input scale (src/quant/gemmlowp.ts). len in [1, NN_SOFTMAX_S8_TFL_MAX_LENGTH]; in and out may alias
 * exactly. Returns NN_ERROR_ARGUMENT otherwise. */
int nn_softmax_s8_tfl(const int8_t *in, int8_t *out, size_t len, int32_t multiplier, uint32_t left_shift,
                      int32_t diff_min);

#endif /* NN_KERNELS_ACT_H */
