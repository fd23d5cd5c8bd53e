/*
 * nn_avg_pool_s8: the rounded mean of each window's int8 codes inside the input, per channel (see nn.h):
 * the sum s of the count codes, then (s + count/2) / count for s >= 0 and -((-s + count/2) / count)
 * otherwise (to nearest, ties away from zero, as TensorFlow Lite). Mirrors src/ops/pooling/pool.ts.
 *
 * One path is compiled, chosen by nn_config.h; each equals the reference loop (nn_pool_body.h, which the
 * s16 kernel shares) bit for bit:
 *   - the reference: nn_pool_body.h's loop, alone with NN_REFERENCE_KERNELS=1 and when optimizing for
 *     size (-Os);
 *   - every other path splits the outputs into interior windows (every tap inside the input, count =
 *     k_h * k_w) and border windows. A border window goes through the reference's per-tap checks and
 *     division (nn_pool_border in nn_pool_s8_fast.h). An interior window reads its taps with no check,
 *     from its top-left tap by two fixed steps (a row of taps, a tap); integer sums do not depend on the order of the terms;
 *   - the interior division is a multiply when count <= 256 (the same quotient, proved at mean_of), so
 *     the interior loop of ARMv6-M calls no division routine; larger windows (a global pool over more
 *     than 256 positions) divide once per channel, after at least 257 taps;
 *   - plain C, for cores without DSP or MVE (Cortex-M0, M3) and hosts: one channel at a time;
 *   - NN_HAVE_DSP (Cortex-M4, M7, M33), count <= 256: 8 then 4 channels at a time, one unaligned LDR per 4
 *     codes (these cores allow it for LDR) and two SXTAB16, which add the sign-extended bytes 0 and 2
 *     (then 1 and 3, rotated by 8) to two 16-bit lanes. A lane's sum is in [-128 * 256, 127 * 256], inside
 *     the int16 range, so the lanes never wrap; the 4 means by the SIMD form (means4); the last
 *     in_c % 4 channels as plain C;
 *   - NN_HAVE_MVE (Cortex-M55), count <= 256: 4 channels per vector of int32 lanes (VLDRB widening to
 *     32 bits), 8 per pass, the SIMD form of the mean in the lanes (mean4); the last in_c % 4 channels predicated (lanes
 *     past the channels load nothing and are not stored).
 */
#include "nn.h"

#if NN_REFERENCE_KERNELS || defined(__OPTIMIZE_SIZE__) /* -Os: the reference loop, the least code */
#define NN_POOL_FN nn_avg_pool_s8
#define NN_POOL_T int8_t
#define NN_POOL_MAX 0
#include "nn_pool_body.h"
#else

#include <string.h>

#include "nn_pool_s8_fast.h"
#if NN_HAVE_MVE
#include <arm_mve.h>
#endif

/* The largest count that the multiply of mean_of divides exactly (and that 16-bit lanes sum). */
#define POOL_RECIP_MAX_COUNT 256
#define POOL_RECIP_SHIFT 24


/*
 * The rounded mean of an interior window from its sum s, as the reference rounds it. With d = count:
 * Lemma: for d <= 256 and 0 <= n <= 255.5 d, floor(n / d) = floor(n m / 2^24), m = recip = ceil(2^24 / d)
 * = (2^24 + e) / d with 0 <= e < d. Writing n = q d + r (0 <= r < d), n m / 2^24 = q + (r + n e / 2^24) / d,
 * and n e < 255.5 d^2 <= 255.5 * 2^16 < 2^24, so r + n e / 2^24 < r + 1 <= d and the floor is q. The
 * product fits uint32: n m <= 255.5 * 2^24 + 255.5 d < 2^32.
 * mean_of computes the reference's sign(s) * floor((|s| + half) / d), by the lemma (n = |s| + half <=
 * 128.5 d, as -128 d <= s <= 127 d) when d <= 256, else by a division.
 * The SIMD paths use a form without the sign: for s >= 0 the reference gives floor((s + half) / d); for
 * s < 0, -floor((-s + half) / d) = ceil((s - half) / d) = floor((s - half + d - 1) / d), and d - 1 - half
 * is half - 1 for an even d and half for an odd one. So the mean is floor(n / d) - 128 with
 * n = s + 128 d + half - [s < 0 and d even], and 0 <= n <= 255.5 d (<= 65408: n fits a 16-bit lane).
 */
static inline int32_t mean_of(const nn_pool_taps_t *t, int32_t s)
{
    const uint32_t a = s < 0 ? 0u - (uint32_t)s : (uint32_t)s;
    int32_t q;
    if (t->recip != 0u) {
        q = (int32_t)(((a + t->half) * t->recip) >> POOL_RECIP_SHIFT);
    } else {
        q = (int32_t)((a + t->half) / (uint32_t)t->count);
    }
    return s < 0 ? -q : q;
}


/* Channels [c, t->c) of an interior window, one at a time; p: its top-left tap, channel 0. */
static void window_plain(const nn_pool_taps_t *t, const int8_t *p, int8_t *o, int32_t c)
{
    for (; c < t->c; ++c) {
        const int8_t *q = p + c;
        int32_t s = 0;
        size_t r = 0;
        int32_t ky;
        for (ky = 0; ky < t->k_h; ++ky, r += t->row_step) {
            size_t j = r;
            int32_t kx;
            for (kx = 0; kx < t->k_w; ++kx, j += t->col_step) {
                s += q[j];
            }
        }
        o[c] = (int8_t)mean_of(t, s);
    }
}

#if NN_HAVE_MVE
/* The rounded means of 4 sums (count <= 256): the SIMD form of the mean_of comment, lane by lane. */
static inline int32x4_t mean4(const nn_pool_taps_t *t, int32x4_t s)
{
    const uint32x4_t u = vreinterpretq_u32_s32(s);
    const uint32x4_t n = vsubq_u32(vaddq_n_u32(u, t->bias), vandq_u32(vshrq_n_u32(u, 31), vdupq_n_u32(t->neg)));
    return vsubq_n_s32(vreinterpretq_s32_u32(vshrq_n_u32(vmulq_n_u32(n, t->recip), POOL_RECIP_SHIFT)), 128);
}

/* An interior window, 8 channels per pass in two vectors of int32 sums, the rest 4 lanes at a time,
 * predicated. */
static void window_fast(const nn_pool_taps_t *t, const int8_t *p, int8_t *o)
{
    int32_t c;
    int32_t ky;
    int32_t kx;
    if (t->recip == 0u) {
        window_plain(t, p, o, 0);
        return;
    }
    for (c = 0; c + 8 <= t->c; c += 8) {
        const int8_t *q = p + c;
        int32x4_t s0 = vdupq_n_s32(0);
        int32x4_t s1 = vdupq_n_s32(0);
        size_t r = 0;
        for (ky = 0; ky < t->k_h; ++ky, r += t->row_step) {
            size_t j = r;
            for (kx = 0; kx < t->k_w; ++kx, j += t->col_step) {
                s0 = vaddq_s32(s0, vldrbq_s32(q + j));
                s1 = vaddq_s32(s1, vldrbq_s32(q + j + 4));
            }
        }
        vstrbq_s32(o + c, mean4(t, s0));
        vstrbq_s32(o + c + 4, mean4(t, s1));
    }
    for (; c < t->c; c += 4) {
        const mve_pred16_t lanes = vctp32q((uint32_t)(t->c - c));
        const int8_t *q = p + c;
        int32x4_t s0 = vdupq_n_s32(0);
        size_t r = 0;
        for (ky = 0; ky < t->k_h; ++ky, r += t->row_step) {
            size_t j = r;
            for (kx = 0; kx < t->k_w; ++kx, j += t->col_step) {
                s0 = vaddq_s32(s0, vldrbq_z_s32(q + j, lanes));
            }
        }
        vstrbq_p_s32(o + c, mean4(t, s0), lanes);
    }
}
#elif NN_HAVE_DSP
static inline uint32_t load4(const int8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4); /* one LDR: unaligned word loads are allowed on ARMv7E-M and ARMv8-M Mainline */
    return v;
}

/* acc's 16-bit lanes plus the sign-extended bytes 0 and 2 of x (SXTAB16), or 1 and 3 (ROR #8). */
static inline uint32_t add_even(uint32_t acc, uint32_t x)
{
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2" : "=r"(r) : "r"(acc), "r"(x));
    return r;
}

static inline uint32_t add_odd(uint32_t acc, uint32_t x)
{
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(acc), "r"(x));
    return r;
}

static inline uint32_t uadd16(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("uadd16 %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

static inline uint32_t usub16(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("usub16 %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/* The 4 means of a block (count <= 256) as 4 bytes: even holds the sums of channels 0 and 2 in its
 * 16-bit lanes, odd those of 1 and 3. The n of the SIMD form (mean_of comment) lies in [0, 65408], so
 * the lanes' wrapping additions (UADD16, USUB16) give it exactly. Each n m has floor(n / d) in its top
 * byte; the 4 top bytes are gathered (PKHTB, then bytes 1 and 3 of the even pair), and the XOR
 * subtracts 128 from each byte (floor(n / d) is in [0, 255]). */
static inline uint32_t means4(const nn_pool_taps_t *t, uint32_t even, uint32_t odd)
{
    const uint32_t bias = t->bias * 0x10001u;
    const uint32_t neg = t->neg * 0x10001u;
    const uint32_t m = t->recip;
    uint32_t p0, p1, p2, p3;
    even = usub16(uadd16(even, bias), (even >> 15) & neg);
    odd = usub16(uadd16(odd, bias), (odd >> 15) & neg);
    p0 = (even & 0xFFFFu) * m;
    p2 = (even >> 16) * m;
    p1 = (odd & 0xFFFFu) * m;
    p3 = (odd >> 16) * m;
    even = (p2 & 0xFFFF0000u) | (p0 >> 16); /* floor(n/d) of channels 0 and 2 in bytes 1 and 3 */
    odd = (p3 & 0xFFFF0000u) | (p1 >> 16);  /* of channels 1 and 3 */
    return (((even >> 8) & 0x00FF00FFu) | (odd & 0xFF00FF00u)) ^ 0x80808080u;
}

static inline void store4(int8_t *o, uint32_t v)
{
    memcpy(o, &v, 4); /* one STR: unaligned word stores are allowed on these cores too */
}

/* An interior window, 8 then 4 channels per pass in 16-bit lanes, the rest one at a time. */
static void window_fast(const nn_pool_taps_t *t, const int8_t *p, int8_t *o)
{
    int32_t c = 0;
    int32_t ky;
    int32_t kx;
    if (t->recip == 0u) {
        window_plain(t, p, o, 0);
        return;
    }
    for (; c + 8 <= t->c; c += 8) {
        const int8_t *q = p + c;
        uint32_t e0 = 0, o0 = 0, e1 = 0, o1 = 0;
        size_t r = 0;
        for (ky = 0; ky < t->k_h; ++ky, r += t->row_step) {
            size_t j = r;
            for (kx = 0; kx < t->k_w; ++kx, j += t->col_step) {
                const uint32_t x0 = load4(q + j);
                const uint32_t x1 = load4(q + j + 4);
                e0 = add_even(e0, x0);
                o0 = add_odd(o0, x0);
                e1 = add_even(e1, x1);
                o1 = add_odd(o1, x1);
            }
        }
        store4(o + c, means4(t, e0, o0));
        store4(o + c + 4, means4(t, e1, o1));
    }
    if (c + 4 <= t->c) {
        const int8_t *q = p + c;
        uint32_t e0 = 0, o0 = 0;
        size_t r = 0;
        for (ky = 0; ky < t->k_h; ++ky, r += t->row_step) {
            size_t j = r;
            for (kx = 0; kx < t->k_w; ++kx, j += t->col_step) {
                const uint32_t x0 = load4(q + j);
                e0 = add_even(e0, x0);
                o0 = add_odd(o0, x0);
            }
        }
        store4(o + c, means4(t, e0, o0));
        c += 4;
    }
    window_plain(t, p, o, c);
}
#else
static void window_fast(const nn_pool_taps_t *t, const int8_t *p, int8_t *o)
{
    window_plain(t, p, o, 0);
}
#endif

int nn_avg_pool_s8(const nn_window_t *w, const int8_t *in, int8_t *out)
{
    nn_pool_interior_t r;
    nn_pool_taps_t t;
    const int status = nn_pool_prepare(w, in, out, &r, &t);
    if (status != NN_OK || t.c < 1) {
        return status;
    }
    if (t.count <= POOL_RECIP_MAX_COUNT) {
        t.recip = (((uint32_t)1 << POOL_RECIP_SHIFT) + (uint32_t)t.count - 1u) / (uint32_t)t.count;
        t.bias = 128u * (uint32_t)t.count + t.half;
        t.neg = (uint32_t)(t.count % 2 == 0);
    }
    return nn_pool_run(w, in, out, &r, &t, 0, window_fast);
}

#endif /* NN_REFERENCE_KERNELS */
