/*
 * nn_dense_internal.h: what the integer dense kernels (nn_dense_s8.c, nn_dense_s16.c,
 * nn_dense_s16_s64.c) share: the choice of path, the requantization with one high multiply, the output
 * stage, and (with NN_DENSE_S16_INPUTS defined before it is included) the 4-row multiply-accumulate
 * loops over 16-bit inputs. Internal to the runtime: firmware includes nn.h, never this file.
 */
#ifndef NN_DENSE_INTERNAL_H
#define NN_DENSE_INTERNAL_H

#include "nn.h"
#include "nn_support.h"

/* One path is compiled (see each kernel's comment); each equals the reference loop bit for bit. */
#define NN_DENSE_FAST (!NN_DENSE_REFERENCE)
#define NN_DENSE_FAST_MVE (NN_DENSE_FAST && NN_HAVE_MVE)
#define NN_DENSE_FAST_DSP (NN_DENSE_FAST && NN_HAVE_DSP && !NN_HAVE_MVE)
#define NN_DENSE_FAST_PLAIN (NN_DENSE_FAST && !NN_HAVE_DSP && !NN_HAVE_MVE)

#if NN_DENSE_FAST_MVE
#include <arm_mve.h>
#endif

/* Kept out of line, so that each path has its own (small) stack frame; the usual branch of the
 * requantization (a right shift: real multipliers below 1/2) laid out straight. */
#if defined(__GNUC__) || defined(__clang__)
#define NN_DENSE_NOINLINE __attribute__((noinline))
#define NN_DENSE_ALWAYS_INLINE __attribute__((always_inline))
#define NN_DENSE_LIKELY(x) __builtin_expect(!!(x), 1)
#else
#define NN_DENSE_NOINLINE
#define NN_DENSE_ALWAYS_INLINE
#define NN_DENSE_LIKELY(x) (x)
#endif

#if NN_DENSE_FAST
/* The fast paths shift negative values right and expect the sign to be copied in, as every compiler
 * nn2c supports does (C99 leaves it implementation-defined): checked here at compile time. */
typedef char nn_dense_arithmetic_shift_check[(-8 >> 1) == -4 ? 1 : -1];

/* ARMv6-M (Cortex-M0/M0+): no 32x32 -> 64-bit multiply, no unaligned word access. */
#if defined(__ARM_ARCH_ISA_THUMB) && __ARM_ARCH_ISA_THUMB == 1 && !defined(__ARM_ARCH_ISA_ARM)
#define NN_DENSE_ARMV6M 1
#else
#define NN_DENSE_ARMV6M 0
#endif

#if NN_DENSE_ARMV6M
/*
 * floor((a * b + h) / 2^31) for b in [0, 2^31) and h = 2^30 (or -2^30 when a < 0), on cores without a
 * 32x32 -> 64-bit multiply (ARMv6-M: GCC would call __aeabi_lmul, about 50 instructions), from four
 * 16x16 products: with a = ah 2^16 + al (ah signed) and b = bh 2^16 + bl, the result is
 * 2 ah bh + floor(m / 2^15), m = al bh + ah bl + floor(al bl / 2^16) + h / 2^16. m wraps modulo 2^32
 * but is in [0, 2^32) when a >= 0 (then h > 0) and in the int32 range when a < 0, so it is read back
 * unsigned or signed by the sign of a.
 */
static inline int32_t nn_dense_high_mul(int32_t a, int32_t b, int32_t h)
{
    if (NN_DENSE_LIKELY((int32_t)(int16_t)a == a)) {
        /* a in [-2^15, 2^15) (the usual accumulator): two products suffice. With b = bh 2^16 + bl and
         * h = hh 2^16 (hh = +-2^14), floor((a b + h) / 2^16) = a bh + hh + floor(a bl / 2^16), where
         * |a bh| < 2^30 and |a bl| < 2^31 (bh < 2^15, bl < 2^16): nothing overflows. */
        const int32_t sbh = (int32_t)((uint32_t)b >> 16);
        const int32_t sbl = (int32_t)((uint32_t)b & 0xFFFFu);
        return (a * sbh + ((a * sbl) >> 16) + (h >> 16)) >> 15;
    }
    const int32_t ah = a >> 16;
    const uint32_t al = (uint32_t)a & 0xFFFFu;
    const uint32_t bh = (uint32_t)b >> 16;
    const uint32_t bl = (uint32_t)b & 0xFFFFu;
    const uint32_t m = al * bh + (uint32_t)(ah * (int32_t)bl) + ((al * bl) >> 16) + (uint32_t)(h >> 16);
    return 2 * ah * (int32_t)bh + (a >= 0 ? (int32_t)(m >> 15) : (int32_t)m >> 15);
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__OPTIMIZE__)
/*
 * The multiply-accumulate loops of nn_dense_s8.c and nn_conv2d_s8.c in assembly, GCC only: GCC 12
 * cannot allocate them from C (it keeps the accumulators in r0-r7 and moves the row bases in and out of
 * the high registers: 5 to 5.5 instructions per MAC in every form of the plain loop tried), and clang
 * cannot give an asm statement all of r0-r7 (it keeps r7 for the frame), so it compiles the plain loop.
 * LDRSB only takes a register offset, so one negative index k addresses the input and the 4 rows, each
 * from its own base, and the 4 accumulators live in high registers, which ADD reaches: per input 1 load
 * of the input, 4 x (LDRSB, MULS, ADD) and the index step, 14 instructions (28 bytes) for 4 MACs.
 */
#define NN_DENSE_M0_ASM 1
#define NN_DENSE_M0_INPUT(a0, a1, a2, a3)                                                               \
    "ldrsb %[x], [%[xe], %[k]]\n\t"                                                                     \
    "ldrsb %[t], [%[w0], %[k]]\n\t"                                                                     \
    "muls %[t], %[x], %[t]\n\t"                                                                         \
    "add " a0 ", %[t]\n\t"                                                                              \
    "ldrsb %[t], [%[w1], %[k]]\n\t"                                                                     \
    "muls %[t], %[x], %[t]\n\t"                                                                         \
    "add " a1 ", %[t]\n\t"                                                                              \
    "ldrsb %[t], [%[w2], %[k]]\n\t"                                                                     \
    "muls %[t], %[x], %[t]\n\t"                                                                         \
    "add " a2 ", %[t]\n\t"                                                                              \
    "ldrsb %[t], [%[w3], %[k]]\n\t"                                                                     \
    "muls %[t], %[x], %[t]\n\t"                                                                         \
    "add " a3 ", %[t]\n\t"                                                                              \
    "adds %[k], #1\n\t"
#if !defined(__OPTIMIZE_SIZE__) /* -Os reserves r8-r11: nn_dense_s8.c has its own loop there */
#define NN_DENSE_M0_INPUT_OPERANDS NN_DENSE_M0_INPUT("%[a0]", "%[a1]", "%[a2]", "%[a3]")
#define NN_DENSE_M0_INPUTS_4                                                                            \
    NN_DENSE_M0_INPUT_OPERANDS NN_DENSE_M0_INPUT_OPERANDS NN_DENSE_M0_INPUT_OPERANDS NN_DENSE_M0_INPUT_OPERANDS
/* t: "=&l" (a temporary), or "+l" where it brings the entry offset in */
#define NN_DENSE_M0_OPERANDS(t_mode)                                                                    \
    [a0] "+h"(a0), [a1] "+h"(a1), [a2] "+h"(a2), [a3] "+h"(a3), [w0] "+l"(w0), [w1] "+l"(w1),          \
        [w2] "+l"(w2), [w3] "+l"(w3), [k] "+l"(k), [x] "=&l"(x), [t] t_mode(t)                          \
    : [xe] "l"(xe)                                                                                      \
    : "cc", "memory"

/* acc[0..3] += the 4 rows of `chunks` (>= 1) chunks of 16 inputs. k runs from -16 * chunks up to 0 over
 * every input of the group; the row bases step 48 bytes per chunk (64 bytes of weights, less the 16
 * that k has moved). A chunk is unrolled whole: 3.52 instructions per MAC, and 5 per chunk. */
static inline void nn_dense_m0_chunks(const int8_t *in, const int8_t *w, int32_t chunks, int32_t acc[4])
{
    int32_t a0 = acc[0];
    int32_t a1 = acc[1];
    int32_t a2 = acc[2];
    int32_t a3 = acc[3];
    const int8_t *const xe = in + chunks * NN_DENSE_CHUNK;
    const int8_t *w0 = w + chunks * NN_DENSE_CHUNK;
    const int8_t *w1 = w0 + NN_DENSE_CHUNK;
    const int8_t *w2 = w0 + 2 * NN_DENSE_CHUNK;
    const int8_t *w3 = w0 + 3 * NN_DENSE_CHUNK;
    int32_t k = -chunks * NN_DENSE_CHUNK;
    int32_t x, t;
    __asm__ volatile(
        ".syntax unified\n\t" /* GCC wraps Thumb-1 inline assembly in divided syntax */
        "1:\n\t"
        NN_DENSE_M0_INPUTS_4 NN_DENSE_M0_INPUTS_4 NN_DENSE_M0_INPUTS_4 NN_DENSE_M0_INPUTS_4
        "beq 2f\n\t"
        "adds %[w0], #48\n\t"
        "adds %[w1], #48\n\t"
        "adds %[w2], #48\n\t"
        "adds %[w3], #48\n\t"
        "b 1b\n\t"
        "2:\n\t"
        : NN_DENSE_M0_OPERANDS("=&l"));
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* acc[0..3] += the 4 rows of n inputs, n in [1, 16]: row r's weights at w + r * stride, the inputs at
 * in. The 16 unrolled inputs are entered at input 16 - n (ADD PC: a branch into the sequence, 28 bytes
 * per input), with the bases at the ends of the n inputs and k from -n up to 0: a convolution's last
 * taps before its zero weights. */
static inline void nn_dense_m0_part(const int8_t *in, const int8_t *w, int32_t stride, int32_t n, int32_t acc[4])
{
    int32_t a0 = acc[0];
    int32_t a1 = acc[1];
    int32_t a2 = acc[2];
    int32_t a3 = acc[3];
    const int8_t *const xe = in + n;
    const int8_t *w0 = w + n;
    const int8_t *w1 = w0 + stride;
    const int8_t *w2 = w1 + stride;
    const int8_t *w3 = w2 + stride;
    int32_t k = -n;
    int32_t x, t = (NN_DENSE_CHUNK - n) * 28;
    __asm__ volatile(
        ".syntax unified\n\t"
        "add pc, %[t]\n\t" /* pc reads as this instruction's address + 4: the first input */
        "nop\n\t"
        NN_DENSE_M0_INPUTS_4 NN_DENSE_M0_INPUTS_4 NN_DENSE_M0_INPUTS_4 NN_DENSE_M0_INPUTS_4
        : NN_DENSE_M0_OPERANDS("+l"));
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#endif /* __OPTIMIZE_SIZE__ */
#endif /* GCC */
#else
/* floor((a * b + h) / 2^31): one SMULL (or SMLAL) on Cortex-M3 and later. */
static inline int32_t nn_dense_high_mul(int32_t a, int32_t b, int32_t h)
{
    return (int32_t)(((int64_t)a * b + h) >> 31);
}
#endif

/*
 * nn_requantize(acc, mult, shift) bit for bit, with one high multiply. With P = acc * 2^max(shift, 0) *
 * mult, nn_srdhm is S = floor((P + 2^30) / 2^31) (mult < 2^31, so it never saturates; its ties go up).
 * For shift < 0, with n = -shift, nn_rdbpot(S, n) = floor((S + 2^(n-1) - [S < 0]) / 2^n)
 * = floor((floor(T / 2^(n-1)) + 1) / 2) with T = S - [acc < 0] = floor((P + 2^30 - [acc < 0] 2^31) / 2^31):
 * [S < 0] may be replaced by [acc < 0] since they differ only where S = 0, and there both give 0.
 * T >= -2^31 and T + 1 <= 2^31 - 1, so nothing overflows.
 */
static inline int32_t nn_dense_requantize_fast(int32_t acc, int32_t mult, int32_t shift)
{
    if (NN_DENSE_LIKELY(shift < 0)) {
        const int32_t t = nn_dense_high_mul(acc, mult, acc < 0 ? -((int32_t)1 << 30) : ((int32_t)1 << 30));
        return ((t >> (-shift - 1)) + 1) >> 1;
    }
    /* acc * 2^shift fits int32: nn_requantize's precondition */
    return nn_dense_high_mul(acc * ((int32_t)1 << shift), mult, (int32_t)1 << 30);
}

/* What the outputs need besides their accumulators, read from the parameters once per call (a store
 * through out could alias them, and the compiler would reload them after each). */
typedef struct {
    const int32_t *mult;
    const int32_t *shift;
    const int32_t *neg_mult; /* NULL without leaky relu */
    const int32_t *neg_shift;
    int32_t lo;             /* act_min - out_zp */
    int32_t hi;             /* act_max - out_zp */
    int32_t zp;
    int32_t negative_to_lo; /* a negative accumulator gives lo: see nn_dense_output_one */
} nn_dense_output_t;

/* The output stage of any integer dense parameter block p (they share these field names). */
#define NN_DENSE_OUTPUT(p)                                                                              \
    nn_dense_output((p)->mult, (p)->shift, (p)->neg_mult, (p)->neg_shift, (p)->act_min, (p)->act_max, (p)->out_zp)

static inline nn_dense_output_t nn_dense_output(const int32_t *mult, const int32_t *shift, const int32_t *neg_mult,
    const int32_t *neg_shift, int32_t act_min, int32_t act_max, int32_t out_zp)
{
    nn_dense_output_t s;
    s.mult = mult;
    s.shift = shift;
    s.neg_mult = neg_mult;
    s.neg_shift = neg_shift;
    s.lo = act_min - out_zp;
    s.hi = act_max - out_zp;
    s.zp = out_zp;
    s.negative_to_lo = neg_mult == NULL && s.lo >= 0 && s.hi >= s.lo;
    return s;
}

/* Output o from its int32 accumulator: requantization (leaky where the accumulator is negative and
 * neg_mult is set), clamp, zero point; the caller narrows it. Without neg_mult, a negative accumulator
 * requantizes to q <= 0 (mult >= 0, and both roundings of nn_requantize keep the sign: nn_srdhm of a
 * product <= 0 is <= 0, nn_rdbpot of a value <= 0 is <= 0), so when 0 <= lo <= hi (relu: lo = 0) the
 * clamp gives lo whatever q is: the requantization is skipped. */
NN_DENSE_ALWAYS_INLINE static inline int32_t nn_dense_output_one(const nn_dense_output_t *s, int32_t o, int32_t acc)
{
    int32_t q;
    if (acc < 0 && s->neg_mult != NULL) {
        q = nn_dense_requantize_fast(acc, s->neg_mult[o], s->neg_shift[o]);
#if !NN_DENSE_FAST_MVE /* M55 takes this only for its last n_out % 4 rows, where the test costs more than it saves */
    } else if (acc < 0 && s->negative_to_lo) {
        return s->lo + s->zp;
#endif
    } else {
        q = nn_dense_requantize_fast(acc, s->mult[o], s->shift[o]);
    }
    return nn_clamp(q, s->lo, s->hi) + s->zp;
}
/* nn_requantize(acc, mult, shift) for shift < 0, n1 = -shift - 1: nn_dense_requantize_fast's first
 * branch alone (the caller has checked every shift). */
static inline int32_t nn_dense_requantize_right(int32_t acc, int32_t mult, int32_t n1)
{
    const int32_t t = nn_dense_high_mul(acc, mult, acc < 0 ? -((int32_t)1 << 30) : ((int32_t)1 << 30));
    return ((t >> n1) + 1) >> 1;
}

/* How a kernel may compute p's outputs when every shift is negative and no leaky slope is set:
 *   1: nn_dense_requantize_right, then the clamp;
 *   2: the same with the whole int8 range as the clamp (nn_dense_saturate_s8 on DSP cores);
 *   3: the clamp's low end lo = act_min - out_zp is 0 or more (relu, relu6), where a negative accumulator
 *      gives lo whatever it requantizes to (nn_dense_output_one's shortcut): the accumulator is taken as
 *      max(acc, 0) (0 requantizes to 0, which the clamp lifts to lo), then as mode 1;
 *   4: mode 3 with lo = 0 and act_max = 127 (relu), where the clamp and the zero point are
 *      nn_dense_saturate_s8 (the requantized value is 0 or more);
 * else 0 (nn_dense_output_one). p: any integer dense parameter block with int8 outputs. */
#define nn_dense_output_mode(p)                                                                         \
    nn_dense_output_mode_of((p)->shift, (p)->n_out, (p)->neg_mult != NULL, (p)->act_min, (p)->act_max, (p)->out_zp)
static inline int nn_dense_output_mode_of(const int32_t *shift, int32_t n, int leaky, int32_t act_min,
                                          int32_t act_max, int32_t out_zp)
{
    int32_t o;
    if (leaky || act_max < act_min) {
        return 0;
    }
    for (o = 0; o < n; ++o) {
        if (shift[o] >= 0) {
            return 0;
        }
    }
    if (act_min - out_zp >= 0) {
        return act_min == out_zp && act_max == INT8_MAX ? 4 : 3;
    }
    return act_min == INT8_MIN && act_max == INT8_MAX ? 2 : 1;
}

#if NN_DENSE_FAST_DSP
/* The code of a requantized value q with the whole int8 range as its clamp: q + zp saturated to it
 * (QADD, then SSAT #8), which is clamp(q, -128 - zp, 127 - zp) + zp for every q (a sum that saturates
 * is out of the range anyway). */
static inline int32_t nn_dense_saturate_s8(int32_t q, int32_t zp)
{
    int32_t r;
    __asm__("qadd %0, %1, %2\n\tssat %0, #8, %0" : "=&r"(r) : "r"(q), "r"(zp));
    return r;
}
#endif

#endif /* NN_DENSE_FAST */

#if NN_DENSE_FAST_MVE
/*
 * The outputs of 4 lanes from their accumulators acc, with each lane's multiplier and shift (the caller
 * picks neg_mult/neg_shift where they apply), requantized, clamped and offset by the zero point. As
 * nn_requantize and the clamp do it, lane by lane: VQRDMULH is nn_srdhm (it saturates only for
 * INT32_MIN * INT32_MIN, as nn_srdhm does); nn_rdbpot(x, n) = (x - [x < 0 and n > 0] + 2^(n-1)) >> n is
 * a saturating add of the fix-up (only x = INT32_MIN saturates, and there the result is the same) and
 * VRSHL by -n, which rounds half up and computes wide.
 */
static inline int32x4_t nn_dense_requantize4_mve(const nn_dense_output_t *s, int32x4_t acc, int32x4_t mult,
    int32x4_t shift)
{
    const int32x4_t negative_shift = vshrq_n_s32(shift, 31);                            /* -1 where shift < 0 */
    int32x4_t x = vqrdmulhq_s32(vshlq_s32(acc, vbicq_s32(shift, negative_shift)), mult); /* << max(shift, 0) */
    shift = vandq_s32(shift, negative_shift);                                           /* min(shift, 0) = -n */
    x = vqaddq_s32(x, vshrq_n_s32(vandq_s32(x, shift), 31)); /* x - 1 where x < 0 and n > 0 */
    x = vrshlq_s32(x, shift);
    return vaddq_n_s32(vminq_s32(vmaxq_s32(x, vdupq_n_s32(s->lo)), vdupq_n_s32(s->hi)), s->zp);
}

/* The outputs of 4 rows from their accumulators a0..a3 (nn_dense_requantize4_mve), s's pointers stepped
 * 4 outputs on; the caller narrows and stores them. */
static inline int32x4_t nn_dense_output4_mve(nn_dense_output_t *s, int32_t a0, int32_t a1, int32_t a2, int32_t a3)
{
    int32x4_t acc = vsetq_lane_s32(a0, vuninitializedq_s32(), 0);
    int32x4_t mult;
    int32x4_t shift;
    acc = vsetq_lane_s32(a1, acc, 1);
    acc = vsetq_lane_s32(a2, acc, 2);
    acc = vsetq_lane_s32(a3, acc, 3);
    mult = vldrwq_s32(s->mult);
    shift = vldrwq_s32(s->shift);
    s->mult += NN_DENSE_ROWS;
    s->shift += NN_DENSE_ROWS;
    if (s->neg_mult != NULL) {
        const mve_pred16_t negative = vcmpltq_n_s32(acc, 0);
        mult = vpselq_s32(vldrwq_s32(s->neg_mult), mult, negative);
        shift = vpselq_s32(vldrwq_s32(s->neg_shift), shift, negative);
        s->neg_mult += NN_DENSE_ROWS;
        s->neg_shift += NN_DENSE_ROWS;
    }
    return nn_dense_requantize4_mve(s, acc, mult, shift);
}

#if !defined(NN_DENSE_S16_INPUTS)
/* The int8 rows from `first` to p->n_out (the last n_out % 4, row-major from w): each a dot product of
 * in's n_in codes 16 at a time (the last ones predicated), then nn_dense_output_one into out[r]. */
NN_DENSE_ALWAYS_INLINE static inline void nn_dense_rows_mve(const nn_dense_s8_params_t *p, int32_t first,
                                                            const int8_t *in, const int8_t *w, int8_t *out)
{
    const nn_dense_output_t s = NN_DENSE_OUTPUT(p);
    const int32_t n = p->n_in;
    int32_t r;
    for (r = first; r < p->n_out; ++r) {
        int32_t a = p->bias[r];
        int32_t i;
        for (i = 0; i + NN_DENSE_CHUNK <= n; i += NN_DENSE_CHUNK) {
            a = vmladavaq_s8(a, vldrbq_s8(in + i), vldrbq_s8(w + i));
        }
        if (i < n) {
            const mve_pred16_t lanes = vctp8q((uint32_t)(n - i));
            a = vmladavaq_p_s8(a, vldrbq_z_s8(in + i, lanes), vldrbq_z_s8(w + i, lanes), lanes);
        }
        out[r] = (int8_t)nn_dense_output_one(&s, r, a);
        w += n;
    }
}
#endif
#endif /* NN_DENSE_FAST_MVE */

#if defined(NN_DENSE_S16_INPUTS) && (NN_DENSE_FAST_DSP || NN_DENSE_FAST_PLAIN)
/* acc[r] += sum of in[j] * w[r * n + j] over j < n, for the 4 rows of a group's last n inputs. */
static void nn_dense_dot4_tail_s16(const int16_t *in, const int8_t *w, int32_t n, int32_t acc[4])
{
    int32_t r;
    int32_t j;
    for (r = 0; r < NN_DENSE_ROWS; ++r) {
        int32_t a = acc[r];
        for (j = 0; j < n; ++j) {
            a += (int32_t)in[j] * (int32_t)w[r * n + j];
        }
        acc[r] = a;
    }
}
#endif

#if defined(NN_DENSE_S16_INPUTS) && NN_DENSE_FAST_PLAIN
/* acc[0..3] += the 4 rows of `chunks` chunks of 16 inputs: each input is loaded once for the 4 rows. */
static void nn_dense_dot4_chunks_s16(const int16_t *in, const int8_t *w, int32_t chunks, int32_t acc[4])
{
    int32_t a0 = acc[0];
    int32_t a1 = acc[1];
    int32_t a2 = acc[2];
    int32_t a3 = acc[3];
    int32_t c;
    int32_t j;
    for (c = 0; c < chunks; ++c) {
        for (j = 0; j < NN_DENSE_CHUNK; ++j) {
            const int32_t x = in[j];
            a0 += x * w[j];
            a1 += x * w[NN_DENSE_CHUNK + j];
            a2 += x * w[2 * NN_DENSE_CHUNK + j];
            a3 += x * w[3 * NN_DENSE_CHUNK + j];
        }
        in += NN_DENSE_CHUNK;
        w += NN_DENSE_ROWS * NN_DENSE_CHUNK;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#endif

#if defined(NN_DENSE_S16_INPUTS) && NN_DENSE_FAST_DSP
/*
 * acc[0..3] += the 4 rows of `chunks` (>= 1) chunks of 16 inputs. w: 4-byte aligned. Per 8 inputs: four
 * LDR of input pairs (any alignment), regrouped as (x0, x2), (x1, x3), (x4, x6), (x5, x7) by PKHBT and
 * PKHTB; per row one LDRD of 8 weights, sign-extended in pairs by SXTB16 and SXTB16 ROR #8 (in assembly:
 * GCC 12 does not fold the rotate of the ACLE __sxtb16), four SMLAD: 44 instructions per 32
 * multiply-accumulates. Inputs 8-15 of a chunk go first, so that the last load of inputs 0-7 and the
 * last weight load step the pointers.
 */
#define DSP_ROW(acc, ldrd)                                                                              \
    ldrd                                                                                                \
    "sxtb16 %[t], %[wa], ror #8\n\t"                                                                    \
    "sxtb16 %[wa], %[wa]\n\t"                                                                           \
    "smlad %[" acc "], %[wa], %[xe0], %[" acc "]\n\t"                                                   \
    "smlad %[" acc "], %[t], %[xo0], %[" acc "]\n\t"                                                    \
    "sxtb16 %[t], %[wb], ror #8\n\t"                                                                    \
    "sxtb16 %[wb], %[wb]\n\t"                                                                           \
    "smlad %[" acc "], %[wb], %[xe1], %[" acc "]\n\t"                                                   \
    "smlad %[" acc "], %[t], %[xo1], %[" acc "]\n\t"
#define DSP_LDRD(offset) "ldrd %[wa], %[wb], [%[w], #" #offset "]\n\t"
/* (x0, x1), (x2, x3) in xe and t -> xe = (x0, x2), xo = (x1, x3) */
#define DSP_PAIRS(xe, xo)                                                                               \
    "pkhtb %[" xo "], %[t], %[" xe "], asr #16\n\t"                                                     \
    "pkhbt %[" xe "], %[" xe "], %[t], lsl #16\n\t"

static void nn_dense_dot4_chunks_s16(const int16_t *in, const int8_t *w, int32_t chunks, int32_t acc[4])
{
    int32_t a0 = acc[0];
    int32_t a1 = acc[1];
    int32_t a2 = acc[2];
    int32_t a3 = acc[3];
    const int16_t *const end = in + chunks * NN_DENSE_CHUNK;
    do {
        uint32_t xe0, xo0, xe1, xo1, wa, wb, t;
        __asm__ volatile(
            /* inputs 8-15 (bytes 16-31) against weights 8-15 of rows 0-3 (offsets 8, 24, 40, 56) */
            "ldr %[xe0], [%[in], #16]\n\t"
            "ldr %[t], [%[in], #20]\n\t"
            DSP_PAIRS("xe0", "xo0")
            "ldr %[xe1], [%[in], #24]\n\t"
            "ldr %[t], [%[in], #28]\n\t"
            DSP_PAIRS("xe1", "xo1")
            DSP_ROW("a0", DSP_LDRD(8))
            DSP_ROW("a1", DSP_LDRD(24))
            DSP_ROW("a2", DSP_LDRD(40))
            DSP_ROW("a3", DSP_LDRD(56))
            /* inputs 0-7 (in steps to the next chunk) against weights 0-7 (offsets 16, 32, 48, then 0
             * with w stepping 64 bytes) */
            "ldr %[xe1], [%[in], #8]\n\t"
            "ldr %[t], [%[in], #12]\n\t"
            DSP_PAIRS("xe1", "xo1")
            "ldr %[t], [%[in], #4]\n\t"
            "ldr %[xe0], [%[in]], #32\n\t"
            DSP_PAIRS("xe0", "xo0")
            DSP_ROW("a1", DSP_LDRD(16))
            DSP_ROW("a2", DSP_LDRD(32))
            DSP_ROW("a3", DSP_LDRD(48))
            DSP_ROW("a0", "ldrd %[wa], %[wb], [%[w]], #64\n\t")
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [in] "+r"(in), [w] "+r"(w),
              [xe0] "=&r"(xe0), [xo0] "=&r"(xo0), [xe1] "=&r"(xe1), [xo1] "=&r"(xo1), [wa] "=&r"(wa),
              [wb] "=&r"(wb), [t] "=&r"(t)
            :
            : "memory");
    } while (in != end);
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#endif

/* The k-th input vector of nn_dense_s8_each (k = 0, 1, ...), or NULL for an error. */
typedef const int8_t *(*nn_dense_s8_source_t)(void *ctx, int32_t k);

/* nn_dense_s8 on `count` input vectors, the k-th from source(ctx, k) into out + k * n_out, with the
 * checks and the choice of path made once (the int8 convolutions: one vector per output position).
 * Returns NN_OK, or NN_ERROR_ARGUMENT for bad parameters or a NULL vector. */
int nn_dense_s8_each(const nn_dense_s8_params_t *p, int32_t count, nn_dense_s8_source_t source, void *ctx,
                     int8_t *out);

#endif /* NN_DENSE_INTERNAL_H */
