/*
 * nn_softmax_s8_tfl: TensorFlow Lite's int8 softmax (its reference kernel, gemmlowp's fixed point), for
 * programs imported from .tflite files. Mirrors runTfliteSoftmax in src/quant/gemmlowp.ts step for step.
 *
 * in: [len] s8; out: [len] s8, scale 1/256, zero point -128, may alias in exactly; len in
 * [1, NN_SOFTMAX_S8_TFL_MAX_LENGTH]. multiplier, left_shift and diff_min are what TensorFlow Lite derives
 * from beta and the input scale (tfliteSoftmaxParams); the loader refuses any others, which bounds
 * |diff| * 2^left_shift by 31 * 2^26. Every sum below stays inside int32 for those inputs.
 */
#include "nn_kernels_act.h"
#include "nn_support.h"

/* x * 2^e for e in [1, 30], saturated to int32 */
static int32_t sat_mul_pot(int32_t x, int32_t e)
{
    const int32_t threshold = (int32_t)((1u << (31 - e)) - 1u);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << e);
}

/* exp(a) for a Q0.31 value a in [-1/4, 0): Taylor expansion around -1/8 */
static int32_t exp_negative_quarter(int32_t a)
{
    const int32_t constant_term = 1895147668; /* exp(-1/8) */
    const int32_t one_third = 715827883;
    const int32_t x = a + (1 << 28);
    const int32_t x2 = nn_srdhm(x, x);
    const int32_t x3 = nn_srdhm(x2, x);
    const int32_t x4 = nn_srdhm(x2, x2);
    const int32_t x4_over_4 = nn_rdbpot(x4, 2);
    const int32_t poly = nn_rdbpot(nn_srdhm(x4_over_4 + x3, one_third) + x2, 1);
    return constant_term + nn_srdhm(constant_term, x + poly);
}

/* exp(a) in Q0.31 for a Q5.26 value a <= 0 */
static int32_t exp_negative_q5(int32_t a)
{
    static const int32_t factors[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int32_t quarter = 1 << 24;
    const int32_t a_mod_quarter = (int32_t)((uint32_t)a & (uint32_t)(quarter - 1)) - quarter;
    const uint32_t remainder = (uint32_t)a_mod_quarter - (uint32_t)a;
    int32_t result = exp_negative_quarter(sat_mul_pot(a_mod_quarter, 5));
    int32_t k;
    if (a == 0) {
        return INT32_MAX;
    }
    for (k = 0; k < 7; ++k) {
        if ((remainder & (1u << (24 + k))) != 0u) {
            result = nn_srdhm(result, factors[k]);
        }
    }
    return result;
}

/* 1 / (1 + a) for a Q0.31 value a in [0, 1), in Q0.31: Newton-Raphson in Q2.29 */
static int32_t one_over_one_plus_x(int32_t a)
{
    const int64_t sum = (int64_t)a + INT32_MAX;
    const int32_t half_denominator = (int32_t)((sum + 1) / 2); /* sum >= 0 */
    int32_t x = 1515870810 + nn_srdhm(half_denominator, -1010580540);
    int i;
    for (i = 0; i < 3; ++i) {
        const int32_t one_minus = (1 << 29) - nn_srdhm(half_denominator, x);
        x += sat_mul_pot(nn_srdhm(x, one_minus), 2);
    }
    return sat_mul_pot(x, 1);
}

int nn_softmax_s8_tfl(const int8_t *in, int8_t *out, size_t len, int32_t multiplier, uint32_t left_shift,
                      int32_t diff_min)
{
    size_t i;
    int32_t max = INT8_MIN;
    int32_t sum = 0;
    int32_t headroom_plus_one;
    int32_t bits_over_unit;
    int32_t scale;
    uint32_t shifted;
    if (in == NULL || out == NULL || len < 1u || len > NN_SOFTMAX_S8_TFL_MAX_LENGTH || left_shift > 31u ||
        diff_min > 0) {
        return NN_ERROR_ARGUMENT;
    }
    for (i = 0; i < len; ++i) {
        if (in[i] > max) {
            max = in[i];
        }
    }
    for (i = 0; i < len; ++i) {
        const int32_t d = in[i] - max;
        if (d >= diff_min) {
            const int32_t scaled = nn_srdhm((int32_t)((int64_t)d * ((int64_t)1 << left_shift)), multiplier);
            sum += nn_rdbpot(exp_negative_q5(scaled), 12);
        }
    }
    /* sum >= 2^19 (the largest code's own term) and < 2^28: its reciprocal as TensorFlow Lite's
     * GetReciprocal computes it */
    if (sum <= 0) {
        return NN_ERROR_ARGUMENT; /* only parameters the loader refuses get here */
    }
    headroom_plus_one = 0;
    shifted = (uint32_t)sum;
    while ((shifted & 0x80000000u) == 0u) {
        shifted <<= 1;
        ++headroom_plus_one;
    }
    bits_over_unit = 12 - headroom_plus_one;
    scale = one_over_one_plus_x((int32_t)(shifted - 0x80000000u));
    for (i = 0; i < len; ++i) {
        const int32_t d = in[i] - max;
        if (d >= diff_min) {
            const int32_t scaled = nn_srdhm((int32_t)((int64_t)d * ((int64_t)1 << left_shift)), multiplier);
            const int32_t unsaturated = nn_rdbpot(nn_srdhm(scale, exp_negative_q5(scaled)), bits_over_unit + 23);
            out[i] = nn_clamp_s8(unsaturated - 128);
        } else {
            out[i] = INT8_MIN;
        }
    }
    return NN_OK;
}
