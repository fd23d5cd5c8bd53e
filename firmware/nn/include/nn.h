/*
 * nn.h: the nn runtime's public interface: dense layers, activations, softmax, argmax, and the
 * quantization of inputs and outputs, in float32 (f32), int8 (s8) and int16 (s16).
 *
 * Every number a kernel needs (multipliers, shifts, zero points, clamps, tables) is computed by nn2c in
 * TypeScript; the kernels only execute it, and each equals nn2c's TypeScript reference bit for bit on the
 * integer path. Kernels return NN_OK or an error status; they never allocate, never recurse, and never
 * read or write outside the lengths they are given.
 */
#ifndef NN_H
#define NN_H

#include <stddef.h>
#include <stdint.h>

#include "nn_config.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef NN_STATUS_DEFINED
#define NN_STATUS_DEFINED
/* Status of a kernel call. */
enum nn_status { NN_OK = 0, NN_ERROR_ARGUMENT = 1 };
#endif
/* An input value that is NaN or infinite (returned by the quantize kernels). */
#define NN_ERROR_INPUT 2

/* The weights of the integer dense layers, in one blocked layout on every core (written by nn2c's
 * generator, src/codegen/emit.ts), so that each pass of a fast kernel reads 4 rows against one load of
 * the inputs and each row's weights in runs of 16 bytes:
 *   - the rows (outputs) in groups of NN_DENSE_ROWS = 4, group after group;
 *   - within a group, the inputs in chunks of NN_DENSE_CHUNK = 16; a chunk holds the group's 4 rows one
 *     after the other, 16 weights each: [n_out / 4][n_in / 16][4][16];
 *   - after a group's chunks, its last n_in % 16 inputs, row after row: [4][n_in % 16];
 *   - the last n_out % 4 rows after the groups, row-major: [n_out % 4][n_in].
 * The weight of output o and input i is weights[nn_dense_weight_index(n_in, n_out, o, i)]; a layer with
 * fewer than 4 outputs is row-major. The arrays are declared NN_WEIGHTS_ALIGNED: the Cortex-M DSP path
 * reads them 8 bytes at a time (LDRD), which needs 4-byte alignment (it falls back to the reference loop
 * for weights that are not aligned). */
#define NN_DENSE_ROWS 4
#define NN_DENSE_CHUNK 16

static inline size_t nn_dense_weight_index(int32_t n_in, int32_t n_out, int32_t o, int32_t i)
{
    const size_t in = (size_t)n_in;
    const size_t grouped_rows = (size_t)(n_out / NN_DENSE_ROWS) * NN_DENSE_ROWS;
    const size_t chunked_inputs = (size_t)(n_in / NN_DENSE_CHUNK) * NN_DENSE_CHUNK;
    const size_t row = (size_t)o % NN_DENSE_ROWS;
    const size_t group_start = ((size_t)o - row) * in; /* 4 rows of n_in weights per group */
    if ((size_t)o >= grouped_rows) {
        return (size_t)o * in + (size_t)i; /* the last rows, row-major */
    }
    if ((size_t)i < chunked_inputs) {
        return group_start + (size_t)i / NN_DENSE_CHUNK * (NN_DENSE_ROWS * NN_DENSE_CHUNK) +
               row * NN_DENSE_CHUNK + (size_t)i % NN_DENSE_CHUNK;
    }
    return group_start + NN_DENSE_ROWS * chunked_inputs + row * (in - chunked_inputs) + ((size_t)i - chunked_inputs);
}

#if defined(__GNUC__) || defined(__clang__)
#define NN_WEIGHTS_ALIGNED __attribute__((aligned(4)))
#else
#define NN_WEIGHTS_ALIGNED
#endif

/* NN_DENSE_REFERENCE=1 compiles the dense kernels with their reference loops alone (tests compare the
 * fast paths against them); NN_REFERENCE_KERNELS=1 (nn_config.h) does so for every kernel. */
#ifndef NN_DENSE_REFERENCE
#define NN_DENSE_REFERENCE NN_REFERENCE_KERNELS
#endif

/* A dense layer on int8 codes (see src/ops/dense/quant.ts):
 *   acc = bias[o] + sum_i in[i] * w(o, i)                  (int32; the input zero point is in bias)
 *   r   = nn_requantize(acc, mult[o], shift[o])            (neg_mult/neg_shift when acc < 0, if set)
 *   out = clamp(r, act_min - out_zp, act_max - out_zp) + out_zp
 * with w(o, i) = weights[nn_dense_weight_index(n_in, n_out, o, i)]. The quantizer proves that no
 * accumulator overflows for any input codes. */
typedef struct {
    int32_t n_in;
    int32_t n_out;
    const int8_t *weights;    /* [n_out * n_in] in the blocked layout above, symmetric per output channel */
    const int32_t *bias;      /* [n_out] */
    const int32_t *mult;      /* [n_out], in [2^30, 2^31) or 0 */
    const int32_t *shift;     /* [n_out], in [-31, 30] */
    const int32_t *neg_mult;  /* [n_out] for leaky relu, or NULL */
    const int32_t *neg_shift; /* [n_out] for leaky relu, or NULL */
    int32_t out_zp;
    int32_t act_min;          /* output clamp (fused relu / relu6), within [-128, 127] */
    int32_t act_max;
} nn_dense_s8_params_t;

/* int8 in: [n_in]; out: [n_out] int8; in and out must not overlap. n_in, n_out >= 1. Returns NN_OK, or
 * NN_ERROR_ARGUMENT for a NULL pointer or an empty size. */
int nn_dense_s8(const nn_dense_s8_params_t *p, const int8_t *in, int8_t *out);

/* A dense layer on int16 codes with int8 weights ("16x8"), int32 accumulator: as nn_dense_s8 with
 * int16 codes (zero point 0) and the same weight layout. Used when the quantizer proves the accumulator
 * fits int32. */
typedef struct {
    int32_t n_in;
    int32_t n_out;
    const int8_t *weights;    /* [n_out * n_in], blocked (nn_dense_weight_index) */
    const int32_t *bias;
    const int32_t *mult;      /* in [2^30, 2^31) or 0 */
    const int32_t *shift;     /* in [-31, 30] */
    const int32_t *neg_mult;
    const int32_t *neg_shift;
    int32_t out_zp;
    int32_t act_min;
    int32_t act_max;
} nn_dense_s16_params_t;

int nn_dense_s16(const nn_dense_s16_params_t *p, const int16_t *in, int16_t *out);

/* The same with a 64-bit accumulator and bias and 16-bit multipliers (nn_requantize_s64), for layers
 * whose worst-case accumulator exceeds int32 (at most 2^47). */
typedef struct {
    int32_t n_in;
    int32_t n_out;
    const int8_t *weights;    /* [n_out * n_in], blocked (nn_dense_weight_index) */
    const int64_t *bias;
    const int32_t *mult;      /* in [2^15, 2^16) or 0 */
    const int32_t *shift;     /* in [-47, 15] */
    const int32_t *neg_mult;
    const int32_t *neg_shift;
    int32_t out_zp;
    int32_t act_min;
    int32_t act_max;
} nn_dense_s16_s64_params_t;

int nn_dense_s16_s64(const nn_dense_s16_s64_params_t *p, const int16_t *in, int16_t *out);

/* A float dense layer: out[o] = bias[o] + sum_i in[i] * weights[o][i]. */
int nn_dense_f32(const float *in, const float *weights, const float *bias, int32_t n_in, int32_t n_out,
                 float *out);

/* Float activations, in place allowed (in == out). */
int nn_relu_f32(const float *in, float *out, size_t len);
int nn_relu6_f32(const float *in, float *out, size_t len);
int nn_leaky_relu_f32(const float *in, float *out, size_t len, float alpha);
int nn_sigmoid_f32(const float *in, float *out, size_t len);
int nn_tanh_f32(const float *in, float *out, size_t len);
int nn_softmax_f32(const float *in, float *out, size_t len);

/* A per-channel affine map (a BatchNormalization kept as an op): with c = i % channels (channels last),
 *   acc = bias[c] + in[i] * weights[c];  out = clamp(nn_requantize(acc, mult[c], shift[c]), ...) + out_zp
 * as nn_dense_s8's output stage (neg_mult/neg_shift for leaky relu, act_min/act_max for relu and relu6).
 * weights: [channels] s8 (+-127 or 0); bias: [channels] s32 (s64 for nn_scale_shift_s16_s64, with 16-bit
 * multipliers). len: a multiple of channels; out may alias in exactly. */
typedef struct {
    int32_t channels;
    const int8_t *weights;
    const int32_t *bias;
    const int32_t *mult;      /* in [2^30, 2^31) or 0 */
    const int32_t *shift;     /* in [-31, 30] */
    const int32_t *neg_mult;  /* or NULL */
    const int32_t *neg_shift; /* or NULL */
    int32_t out_zp;
    int32_t act_min;
    int32_t act_max;
} nn_scale_shift_s8_params_t;
typedef nn_scale_shift_s8_params_t nn_scale_shift_s16_params_t;
typedef struct {
    int32_t channels;
    const int8_t *weights;
    const int64_t *bias;
    const int32_t *mult;      /* in [2^15, 2^16) or 0 */
    const int32_t *shift;     /* in [-47, 15] */
    const int32_t *neg_mult;
    const int32_t *neg_shift;
    int32_t out_zp;
    int32_t act_min;
    int32_t act_max;
} nn_scale_shift_s16_s64_params_t;
int nn_scale_shift_s8(const nn_scale_shift_s8_params_t *p, const int8_t *in, int8_t *out, size_t len);
int nn_scale_shift_s16(const nn_scale_shift_s16_params_t *p, const int16_t *in, int16_t *out, size_t len);
int nn_scale_shift_s16_s64(const nn_scale_shift_s16_s64_params_t *p, const int16_t *in, int16_t *out, size_t len);
/* out[i] = in[i] * scale[c] + shift[c], c = i % channels, each step rounded to float. */
int nn_scale_shift_f32(const float *in, const float *scale, const float *shift, int32_t channels, float *out,
                       size_t len);

/* The elementwise sum of `count` tensors (2 to NN_ADD_MAX_INPUTS), as TensorFlow Lite's ADD computes it for
 * the integer ones: each input's codes less its zero point, shifted left by left_shift (int8 20, int16 15),
 * rescaled by its multiplier to half the largest input scale, summed, requantized to the output and clamped
 * (a fused relu or relu6). in: the inputs' pointers; out may alias in[0] exactly. */
#define NN_ADD_MAX_INPUTS 8
typedef struct {
    int32_t count;                       /* inputs, 2..NN_ADD_MAX_INPUTS */
    int32_t left_shift;                  /* 20 (s8) or 15 (s16) */
    int32_t in_zp[NN_ADD_MAX_INPUTS];    /* input zero points */
    int32_t in_mult[NN_ADD_MAX_INPUTS];  /* in [2^30, 2^31) or 0 */
    int32_t in_shift[NN_ADD_MAX_INPUTS]; /* in [-31, 0] */
    int32_t out_mult;                    /* in [2^30, 2^31) or 0 */
    int32_t out_shift;                   /* in [-31, 0] */
    int32_t out_zp;
    int32_t act_min;                     /* output clamp, inside the element type */
    int32_t act_max;
} nn_add_s8_params_t;
typedef nn_add_s8_params_t nn_add_s16_params_t;
int nn_add_s8(const nn_add_s8_params_t *p, const int8_t *const *in, int8_t *out, size_t len);
int nn_add_s16(const nn_add_s16_params_t *p, const int16_t *const *in, int16_t *out, size_t len);
int nn_add_f32(const float *const *in, int32_t count, float *out, size_t len);

/* The window of a convolution or pooling over an [in_h][in_w][in_c] tensor (channels last): output
 * position (oy, ox) reads input rows oy * stride_h - pad_top + ky * dil_h (ky < k_h) and the same for
 * columns; taps outside the input read nothing (padding: the input zero point, which adds nothing). The
 * generator computes the sizes and pads by TensorFlow's rule; a 1-D op has in_h = out_h = k_h = 1. */
typedef struct {
    int32_t in_h;
    int32_t in_w;
    int32_t in_c;
    int32_t out_h;
    int32_t out_w;
    int32_t k_h;
    int32_t k_w;
    int32_t stride_h;
    int32_t stride_w;
    int32_t dil_h;
    int32_t dil_w;
    int32_t pad_top;
    int32_t pad_left;
} nn_window_t;

/* A convolution on int8 codes (src/ops/conv2d/quant.ts), per output position and filter f, with
 * K = k_h * k_w * in_c taps i = (ky * k_w + kx) * in_c + c:
 *   acc = bias[f] + sum over the K taps of x_i * w(f, i)     (int32; the input zero point is in bias)
 *   out = clamp(nn_requantize(acc, mult[f], shift[f]), act_min - out_zp, act_max - out_zp) + out_zp
 * where x_i is the input code the tap reads, or in_zp for a tap outside the input (the padding), and
 * w(f, i) = weights[nn_dense_weight_index(NN_CONV_TAPS(K), out_c, f, i)]: each position is nn_dense_s8
 * over its window, the taps padded with zero weights to a multiple of 8 (neg_mult/neg_shift when acc < 0,
 * if set). in: [in_h][in_w][in_c]; out: [out_h][out_w][out_c], not overlapping in. The quantizer proves
 * that no partial sum overflows, in any order of the taps. */
#define NN_CONV_TAPS(k) (((k) + 7) / 8 * 8)
typedef struct {
    nn_window_t win;
    int32_t out_c;
    const int8_t *weights;    /* [out_c * NN_CONV_TAPS(K)], nn_dense_s8's blocked layout, 4-byte aligned */
    const int32_t *bias;      /* bias - in_zp * sum(w): the input zero point folded in */
    const int32_t *mult;      /* in [2^30, 2^31) or 0 */
    const int32_t *shift;     /* in [-31, 30] */
    const int32_t *neg_mult;  /* or NULL */
    const int32_t *neg_shift; /* or NULL */
    int32_t in_zp;
    int32_t out_zp;
    int32_t act_min;
    int32_t act_max;
} nn_conv2d_s8_params_t;
/* The convolution on int16 codes (src/ops/conv2d/quant.ts), per output position and filter f:
 *   acc = bias[f] + sum over the taps inside the input of (in - in_zp) * w[f][ky][kx][c]
 * then the output stage above. weights: [out_c][k_h][k_w][in_c]. */
typedef struct {
    nn_window_t win;
    int32_t out_c;
    const int8_t *weights;
    const int32_t *bias;
    const int32_t *mult;      /* in [2^30, 2^31) or 0 */
    const int32_t *shift;     /* in [-31, 30] */
    const int32_t *neg_mult;  /* or NULL */
    const int32_t *neg_shift; /* or NULL */
    int32_t in_zp;
    int32_t out_zp;
    int32_t act_min;
    int32_t act_max;
} nn_conv2d_s16_params_t;
/* nn_conv2d_s16 with a 64-bit accumulator and bias and 16-bit multipliers (nn_requantize_s64). */
typedef struct {
    nn_window_t win;
    int32_t out_c;
    const int8_t *weights;
    const int64_t *bias;
    const int32_t *mult;      /* in [2^15, 2^16) or 0 */
    const int32_t *shift;     /* in [-47, 15] */
    const int32_t *neg_mult;
    const int32_t *neg_shift;
    int32_t in_zp;
    int32_t out_zp;
    int32_t act_min;
    int32_t act_max;
} nn_conv2d_s16_s64_params_t;
/* The float convolution: acc = bias[f], then each product and sum over the taps rounded to float. */
typedef struct {
    nn_window_t win;
    int32_t out_c;
    const float *weights; /* [out_c][k_h][k_w][in_c] */
    const float *bias;    /* [out_c] */
} nn_conv2d_f32_params_t;
/* scratch: 2 * NN_CONV_TAPS(K) + 3 bytes (any alignment), which the generator always gives: the DSP
 * path's 16-bit window, and the windows the other paths cannot read in place (padding, rows apart, or
 * the padded run past the end of the input). NULL works where every window can be read in place: the
 * paths that read them so (not the DSP one). */
int nn_conv2d_s8(const nn_conv2d_s8_params_t *p, const int8_t *in, int8_t *out, int8_t *scratch);
int nn_conv2d_s16(const nn_conv2d_s16_params_t *p, const int16_t *in, int16_t *out);
int nn_conv2d_s16_s64(const nn_conv2d_s16_s64_params_t *p, const int16_t *in, int16_t *out);
int nn_conv2d_f32(const nn_conv2d_f32_params_t *p, const float *in, float *out);

/* A depthwise convolution on int8 codes (src/ops/depthwise_conv2d/quant.ts): output channel
 * o = c * depth_multiplier + m reads input channel c only,
 *   acc = bias[o] + sum over every tap of x * w[ky][kx][o], x = in[c], or in_zp outside the input
 * then the output stage of nn_conv2d_s8. nn_depthwise_conv2d_s8: weights [k_h][k_w][in_c *
 * depth_multiplier] (channel fastest, NN_WEIGHTS_ALIGNED) and bias with the input zero point folded in
 * (bias[o] - in_zp * sum of w[o]: the same accumulator as the s16 kernels' form below; the generator
 * checks |bias| + 128 * sum |w[o]| < 2^31). nn_depthwise_conv2d_s16 and _s16_s64: weights
 * [in_c * depth_multiplier][k_h][k_w], and
 *   acc = bias[o] + sum over the taps inside the input of (in[c] - in_zp) * w[o][ky][kx].
 * out: [out_h][out_w][in_c * depth_multiplier], not overlapping in. */
typedef struct {
    nn_window_t win;
    int32_t depth_multiplier;
    const int8_t *weights;
    const int32_t *bias;
    const int32_t *mult;
    const int32_t *shift;
    const int32_t *neg_mult;
    const int32_t *neg_shift;
    int32_t in_zp;
    int32_t out_zp;
    int32_t act_min;
    int32_t act_max;
} nn_depthwise_conv2d_s8_params_t;
typedef nn_depthwise_conv2d_s8_params_t nn_depthwise_conv2d_s16_params_t;
typedef struct {
    nn_window_t win;
    int32_t depth_multiplier;
    const int8_t *weights;
    const int64_t *bias;
    const int32_t *mult;
    const int32_t *shift;
    const int32_t *neg_mult;
    const int32_t *neg_shift;
    int32_t in_zp;
    int32_t out_zp;
    int32_t act_min;
    int32_t act_max;
} nn_depthwise_conv2d_s16_s64_params_t;
typedef struct {
    nn_window_t win;
    int32_t depth_multiplier;
    const float *weights; /* [in_c * depth_multiplier][k_h][k_w] */
    const float *bias;
} nn_depthwise_conv2d_f32_params_t;
/* scratch: (k_h * 3 + 1) * in_c bytes (any alignment) for a window 3 taps wide without dilation across and
 * depth multiplier 1 when some window reaches outside the input, else unused; NULL works too (slower
 * border pixels). */
int nn_depthwise_conv2d_s8(const nn_depthwise_conv2d_s8_params_t *p, const int8_t *in, int8_t *out, int8_t *scratch);
int nn_depthwise_conv2d_s16(const nn_depthwise_conv2d_s16_params_t *p, const int16_t *in, int16_t *out);
int nn_depthwise_conv2d_s16_s64(const nn_depthwise_conv2d_s16_s64_params_t *p, const int16_t *in, int16_t *out);
int nn_depthwise_conv2d_f32(const nn_depthwise_conv2d_f32_params_t *p, const float *in, float *out);

/* Zero padding: out[y][x][c] = in[y - top][x - left][c], or `fill` outside the input (the input zero
 * point in integers, 0 in float). in: [in_h][in_w][in_c]; out: [in_h + top + bottom][in_w + left + right]
 * [in_c], not overlapping in. */
typedef struct {
    int32_t in_h;
    int32_t in_w;
    int32_t in_c;
    int32_t top;
    int32_t bottom;
    int32_t left;
    int32_t right;
    int32_t fill;
} nn_pad_s8_params_t;
typedef nn_pad_s8_params_t nn_pad_s16_params_t;
typedef struct {
    int32_t in_h;
    int32_t in_w;
    int32_t in_c;
    int32_t top;
    int32_t bottom;
    int32_t left;
    int32_t right;
    float fill;
} nn_pad_f32_params_t;
int nn_pad_s8(const nn_pad_s8_params_t *p, const int8_t *in, int8_t *out);
int nn_pad_s16(const nn_pad_s16_params_t *p, const int16_t *in, int16_t *out);
int nn_pad_f32(const nn_pad_f32_params_t *p, const float *in, float *out);

/* Pooling over a window (nn_window_t, no dilation): the largest code of the taps inside the input, or
 * their sum divided by their count, rounded to nearest with ties away from zero (TensorFlow Lite's
 * average pool); in and out share one quantization. Global pooling is a window of the whole input.
 * in: [in_h][in_w][in_c]; out: [out_h][out_w][in_c], not overlapping in. */
int nn_max_pool_s8(const nn_window_t *w, const int8_t *in, int8_t *out);
int nn_max_pool_s16(const nn_window_t *w, const int16_t *in, int16_t *out);
int nn_max_pool_f32(const nn_window_t *w, const float *in, float *out);
int nn_avg_pool_s8(const nn_window_t *w, const int8_t *in, int8_t *out);
int nn_avg_pool_s16(const nn_window_t *w, const int16_t *in, int16_t *out);
/* float: the sum over the taps in row-major order, each addition rounded to float, divided by the count */
int nn_avg_pool_f32(const nn_window_t *w, const float *in, float *out);

/* TensorFlow Lite Micro's int8 MEAN over height and width. Per channel c, with sum the sum of the
 * in_h * in_w codes in[..][c]:
 *   truncate = 0 (output quantized apart from the input):
 *     out[c] = saturate(nn_requantize(sum - count * in_zp, mult, shift) + out_zp)
 *     with the count folded into mult and shift (mult need not reach 2^30); the generator proves that
 *     the argument shifted left by a positive shift fits int32;
 *   truncate = 1 (one quantization): out[c] = sum / count, truncated toward zero.
 * in: [in_h][in_w][in_c]; out: [in_c]. */
typedef struct {
    int32_t in_h;
    int32_t in_w;
    int32_t in_c;
    int32_t truncate;
    int32_t mult;
    int32_t shift;
    int32_t in_zp;
    int32_t out_zp;
} nn_mean_s8_params_t;
int nn_mean_s8(const nn_mean_s8_params_t *p, const int8_t *in, int8_t *out);

/* Index of the largest value of in[0..len) (the first one on a tie) into *index; len >= 1. */
int nn_argmax_s8(const int8_t *in, size_t len, int32_t *index);
int nn_argmax_s16(const int16_t *in, size_t len, int32_t *index);
int nn_argmax_f32(const float *in, size_t len, int32_t *index);

/* Standardises and quantizes raw features, in float32 steps (mirrored by quantizeInput in
 * src/reference/integer.ts):
 *   z = (x[i] - mean[i]) / std[i];  t = z / scale, clamped to [-65536, 65536];
 *   q[i] = saturate(round_half_away_from_zero(t) + zero_point)
 * mean and std both NULL: z = x[i] (models taken as they are, such as imported ones).
 * Returns NN_ERROR_INPUT (and writes nothing further) at the first NaN or infinite x[i]. */
int nn_quantize_f32_s8(const float *x, const float *mean, const float *std, size_t len, float scale,
                       int32_t zero_point, int8_t *q);
int nn_quantize_f32_s16(const float *x, const float *mean, const float *std, size_t len, float scale,
                        int32_t zero_point, int16_t *q);

/* Standardises raw features for the float path: z[i] = (x[i] - mean[i]) / std[i] (mean and std both
 * NULL: z[i] = x[i]); NN_ERROR_INPUT for a NaN or infinite x[i]. */
int nn_standardize_f32(const float *x, const float *mean, const float *std, size_t len, float *z);

/* Dequantizes codes: y[i] = (float)(q[i] - zero_point) * scale. */
int nn_dequantize_s8_f32(const int8_t *q, size_t len, float scale, int32_t zero_point, float *y);
int nn_dequantize_s16_f32(const int16_t *q, size_t len, float scale, int32_t zero_point, float *y);


/* Window features of nn2c's feature definitions (nn2c export --features; src/features/compute.ts gives
 * the same arithmetic in TypeScript). samples: a ring of window samples of every axis interleaved
 * (sample i of axis a at [i * axes + a]), the oldest at index first; sample_count = window * axes.
 * out: per axis, the statistics in their order, then the bands; out_len = axes * (statistics + bands).
 * Returns NN_ERROR_ARGUMENT, and reads no sample, for a NULL pointer, a length that does not match,
 * first outside 0..window-1, an unknown statistic or a band outside bins 1..window/2. */
#define NN_FEATURES_MAX_WINDOW 1024
enum nn_feature_statistic {
    NN_FEATURE_MEAN = 0,
    NN_FEATURE_RMS = 1,
    NN_FEATURE_STD = 2,
    NN_FEATURE_PTP = 3,
    NN_FEATURE_MIN = 4,
    NN_FEATURE_MAX = 5
};
typedef struct {
    int32_t window;           /* samples per window, 2..NN_FEATURES_MAX_WINDOW */
    int32_t axes;             /* values per sample */
    const uint8_t *statistics; /* enum nn_feature_statistic codes */
    int32_t statistic_count;
    const int16_t *bins;      /* [band_count][2]: first and last DFT bin of each band, 1..window/2 */
    int32_t band_count;
    const int16_t *trig_q15;  /* [window][2]: round(32767 cos(2 pi j / window)), round(32767 sin(...)) */
} nn_features_s16_params_t;
int nn_features_s16(const nn_features_s16_params_t *p, const int16_t *samples, size_t sample_count, int32_t first,
    int32_t *out, size_t out_len);

#ifdef __cplusplus
}
#endif

#endif /* NN_H */
