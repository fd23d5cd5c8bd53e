/*
 * nn_max_pool_s8: the largest int8 code of each window's taps inside the input, per channel (see nn.h).
 * Mirrors src/ops/pooling/pool.ts.
 *
 * One path is compiled, chosen by nn_config.h; each equals the reference loop (nn_pool_body.h, which the
 * s16 kernel shares) bit for bit, since the maximum of a set of codes does not depend on the order in
 * which it is taken, nor on how many codes are compared at once:
 *   - the reference: nn_pool_body.h's loop, alone with NN_REFERENCE_KERNELS=1 and when optimizing for
 *     size (-Os);
 *   - every other path splits the outputs into interior windows (every tap inside the input) and border
 *     windows. A border window goes through the reference's per-tap checks (nn_pool_border in
 *     nn_pool_s8_fast.h). An interior window reads its taps with no check, from its top-left tap by two fixed steps (a row of taps, a
 *     tap), starting from -128, the smallest code (max(-128, v) = v);
 *   - plain C, for cores without DSP or MVE (Cortex-M0, M3) and hosts: one channel at a time;
 *   - NN_HAVE_DSP (Cortex-M4, M7, M33): 8 then 4 channels at a time, one unaligned LDR per 4 codes (these
 *     cores allow it for LDR), and SSUB8 + SEL for 4 byte maxima: SSUB8 sets the GE flag of each byte
 *     lane where a - b >= 0 (signed, computed without overflow), SEL then takes a's byte there and b's
 *     elsewhere; the last in_c % 4 channels as plain C;
 *   - NN_HAVE_MVE (Cortex-M55): 16 channels per VLDRB and VMAX, the last in_c % 16 in one predicated
 *     pass (lanes past the channels load nothing and are not stored).
 */
#include "nn.h"

#if NN_REFERENCE_KERNELS || defined(__OPTIMIZE_SIZE__) /* -Os: the reference loop, the least code */
#define NN_POOL_FN nn_max_pool_s8
#define NN_POOL_T int8_t
#define NN_POOL_MAX 1
#include "nn_pool_body.h"
#else

#include <string.h>

#include "nn_pool_s8_fast.h"
#if NN_HAVE_MVE
#include <arm_mve.h>
#endif



#if !NN_HAVE_MVE
/* Channels [c, t->c) of an interior window, one at a time; p: its top-left tap, channel 0. */
static void window_plain(const nn_pool_taps_t *t, const int8_t *p, int8_t *o, int32_t c)
{
    for (; c < t->c; ++c) {
        const int8_t *q = p + c;
        int32_t m = INT8_MIN;
        size_t r = 0;
        int32_t ky;
        for (ky = 0; ky < t->k_h; ++ky, r += t->row_step) {
            size_t j = r;
            int32_t kx;
            for (kx = 0; kx < t->k_w; ++kx, j += t->col_step) {
                const int32_t v = q[j];
                m = v > m ? v : m;
            }
        }
        o[c] = (int8_t)m;
    }
}
#endif

#if NN_HAVE_MVE
/* An interior window, 16 channels per vector. */
static void window_fast(const nn_pool_taps_t *t, const int8_t *p, int8_t *o)
{
    int32_t c;
    int32_t ky;
    int32_t kx;
    for (c = 0; c + 16 <= t->c; c += 16) {
        const int8_t *q = p + c;
        int8x16_t m = vdupq_n_s8(INT8_MIN);
        size_t r = 0;
        for (ky = 0; ky < t->k_h; ++ky, r += t->row_step) {
            size_t j = r;
            for (kx = 0; kx < t->k_w; ++kx, j += t->col_step) {
                m = vmaxq_s8(m, vldrbq_s8(q + j));
            }
        }
        vstrbq_s8(o + c, m);
    }
    if (c < t->c) {
        const mve_pred16_t lanes = vctp8q((uint32_t)(t->c - c));
        const int8_t *q = p + c;
        int8x16_t m = vdupq_n_s8(INT8_MIN);
        size_t r = 0;
        for (ky = 0; ky < t->k_h; ++ky, r += t->row_step) {
            size_t j = r;
            for (kx = 0; kx < t->k_w; ++kx, j += t->col_step) {
                m = vmaxq_s8(m, vldrbq_z_s8(q + j, lanes));
            }
        }
        vstrbq_p_s8(o + c, m, lanes);
    }
}
#elif NN_HAVE_DSP
/* The 4 byte maxima of a and b (signed): SSUB8 sets GE per byte where a >= b, SEL picks a there. */
static inline uint32_t max4(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("ssub8 %0, %1, %2\n\t"
            "sel %0, %1, %2"
            : "=&r"(r)
            : "r"(a), "r"(b));
    return r;
}

static inline uint32_t load4(const int8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4); /* one LDR: unaligned word loads are allowed on ARMv7E-M and ARMv8-M Mainline */
    return v;
}

/* An interior window, 8 then 4 channels per pass, the rest one at a time. */
static void window_fast(const nn_pool_taps_t *t, const int8_t *p, int8_t *o)
{
    int32_t c;
    int32_t ky;
    int32_t kx;
    for (c = 0; c + 8 <= t->c; c += 8) {
        const int8_t *q = p + c;
        uint32_t m0 = 0x80808080u;
        uint32_t m1 = 0x80808080u;
        size_t r = 0;
        for (ky = 0; ky < t->k_h; ++ky, r += t->row_step) {
            size_t j = r;
            for (kx = 0; kx < t->k_w; ++kx, j += t->col_step) {
                m0 = max4(m0, load4(q + j));
                m1 = max4(m1, load4(q + j + 4));
            }
        }
        memcpy(o + c, &m0, 4);
        memcpy(o + c + 4, &m1, 4);
    }
    if (c + 4 <= t->c) {
        const int8_t *q = p + c;
        uint32_t m0 = 0x80808080u;
        size_t r = 0;
        for (ky = 0; ky < t->k_h; ++ky, r += t->row_step) {
            size_t j = r;
            for (kx = 0; kx < t->k_w; ++kx, j += t->col_step) {
                m0 = max4(m0, load4(q + j));
            }
        }
        memcpy(o + c, &m0, 4);
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

int nn_max_pool_s8(const nn_window_t *w, const int8_t *in, int8_t *out)
{
    nn_pool_interior_t r;
    nn_pool_taps_t t;
    const int status = nn_pool_prepare(w, in, out, &r, &t);
    if (status != NN_OK || t.c < 1) {
        return status;
    }
    return nn_pool_run(w, in, out, &r, &t, 1, window_fast);
}

#endif /* NN_REFERENCE_KERNELS */
