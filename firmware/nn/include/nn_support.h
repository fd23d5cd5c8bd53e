/*
 * nn_support.h: rounding and saturation helpers of the integer path.
 *
 * Each helper mirrors the function of the same name in src/quant/fixedpoint.ts bit for bit and states
 * its rounding. No helper relies on implementation-defined behaviour: right shifts are applied to
 * non-negative values only (negative values go through nn_floor_shift_s32), left shifts are
 * multiplications by a power of two, and wide products are formed in uint64_t or int64_t without
 * overflow under the stated preconditions.
 */
#ifndef NN_SUPPORT_H
#define NN_SUPPORT_H

#include <stdint.h>

/* Saturates x to [lo, hi]. */
static inline int32_t nn_clamp(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* Saturates x to the int8 range [-128, 127]. */
static inline int8_t nn_clamp_s8(int32_t x)
{
    return (int8_t)nn_clamp(x, INT8_MIN, INT8_MAX);
}

/* Saturates x to the int16 range [-32768, 32767]. */
static inline int16_t nn_clamp_s16(int32_t x)
{
    return (int16_t)nn_clamp(x, INT16_MIN, INT16_MAX);
}

/* floor(x / 2^n) for n in [0, 31] (an arithmetic right shift, written without shifting a negative
 * value: for x < 0, floor(x / 2^n) = ~(~x >> n) where ~x = -x - 1 >= 0). */
static inline int32_t nn_floor_shift_s32(int32_t x, int32_t n)
{
    return x >= 0 ? x >> n : ~(~x >> n);
}

/* SaturatingRoundingDoublingHighMul (gemmlowp): the high 32 bits of 2*a*b, rounded to nearest with
 * ties toward +infinity (0.5 -> 1, -0.5 -> 0), i.e. trunc((a*b + nudge) / 2^31) with nudge = 2^30 when a*b >= 0 and 1 - 2^30
 * otherwise. Saturates only for a = b = INT32_MIN (returns INT32_MAX). */
static inline int32_t nn_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    /* C99 '/' truncates toward zero; |result| < 2^31 once INT32_MIN * INT32_MIN is excluded. */
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* RoundingDivideByPOT (gemmlowp): x / 2^exponent rounded to nearest, ties away from zero, for
 * exponent in [0, 31]: floor(x / 2^exponent) plus one when the discarded bits exceed half of 2^exponent
 * (half plus one unit for negative x, so that negative ties also round away from zero). */
static inline int32_t nn_rdbpot(int32_t x, int32_t exponent)
{
    const uint32_t mask = (1u << exponent) - 1u;              /* the bits shifted out */
    const uint32_t remainder = (uint32_t)x & mask;            /* two's complement low bits */
    const uint32_t threshold = (mask >> 1) + (x < 0 ? 1u : 0u); /* half, plus one for negatives */
    return nn_floor_shift_s32(x, exponent) + (remainder > threshold ? 1 : 0);
}

/* TFLite MultiplyByQuantizedMultiplier: acc * mult * 2^(shift - 31) as
 * nn_rdbpot(nn_srdhm(acc * 2^max(shift, 0), mult), max(-shift, 0)): two roundings, the high
 * multiply's ties toward +infinity, the shift's away from zero. mult in [2^30, 2^31) or 0;
 * shift in [-31, 30].
 * Precondition: acc * 2^max(shift, 0) fits int32 (proved by the quantizer at generation time). */
static inline int32_t nn_requantize(int32_t acc, int32_t mult, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    return nn_rdbpot(nn_srdhm(acc * ((int32_t)1 << left), mult), right);
}

/* Requantization of a 64-bit accumulator (16x8): acc * mult * 2^(shift - 16) with one rounding, ties
 * away from zero, saturated to int32: sign(acc) * ((|acc| * mult + 2^(n-1)) >> n) with n = 16 - shift.
 * mult in [2^15, 2^16) or 0; shift in [-47, 15] (so n in [1, 63]).
 * Precondition: |acc| < 2^47, so |acc| * mult < 2^63 and the rounding add cannot overflow uint64. */
static inline int32_t nn_requantize_s64(int64_t acc, int32_t mult, int32_t shift)
{
    const uint64_t magnitude = (uint64_t)(acc < 0 ? -acc : acc);
    const uint32_t n = (uint32_t)(16 - shift);
    const uint64_t half = (uint64_t)1 << (n - 1u);
    const uint64_t rounded = (magnitude * (uint64_t)mult + half) >> n;
    if (acc < 0) {
        return rounded >= ((uint64_t)1 << 31) ? INT32_MIN : -(int32_t)rounded;
    }
    return rounded > (uint64_t)INT32_MAX ? INT32_MAX : (int32_t)rounded;
}

/* Rounds a float in [-65536, 65536] to the nearest integer, ties away from zero (C99 roundf without
 * libm; mirrored by quantizeInput in src/reference/integer.ts). a - (float)r is exact: r = trunc(a) and
 * a < 2^17, so the difference is a multiple of a's unit in the last place below 1. */
static inline int32_t nn_round_f32(float t)
{
    const float a = t < 0.0f ? -t : t;
    int32_t r = (int32_t)a; /* truncation; a <= 65536 fits */
    if (a - (float)r >= 0.5f) {
        r += 1;
    }
    return t < 0.0f ? -r : r;
}

#endif /* NN_SUPPORT_H */
