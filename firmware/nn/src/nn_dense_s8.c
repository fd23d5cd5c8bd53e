/*
 * nn_dense_s8: a dense layer on s8 codes with int8 weights and an int32 accumulator.
 *
 * in: [n_in] s8; weights: [n_out * n_in] s8 in the blocked layout of nn.h (groups of 4 rows, chunks of
 * 16 inputs: w(o, i) = weights[nn_dense_weight_index(n_in, n_out, o, i)]); bias: [n_out] s32, the input
 * zero point folded in; out: [n_out] s8, not overlapping in. Mirrors runDense in src/quant/dense.ts:
 *   acc = bias[o] + sum_i in[i] * w(o, i)
 *   r   = nn_requantize(acc, mult[o], shift[o])   (neg_mult/neg_shift when acc < 0 and set: leaky relu)
 *   out = clamp(r, act_min - out_zp, act_max - out_zp) + out_zp   (clamp first: no addition overflows)
 * The quantizer bounds |acc| for every possible input at generation time, so the sum cannot overflow.
 *
 * One path is compiled, chosen by nn_config.h; each equals the reference loop bit for bit (integer sums
 * are the same in any order, and requantize_fast is nn_requantize computed another way):
 *   - the reference: one output at a time through nn_dense_weight_index (alone with NN_DENSE_REFERENCE=1);
 *   - plain C, for cores without DSP or MVE (Cortex-M0, M3) and hosts: 4 rows per pass share each input;
 *   - NN_HAVE_DSP (Cortex-M4, M7, M33): 4 rows per pass, 8 inputs per step in inline assembly: the inputs
 *     sign-extended in pairs (SXTB16), each row's 8 weights in one LDRD, two products per SMLAD;
 *   - NN_HAVE_MVE (Cortex-M55): 4 rows per pass, 16 inputs per VLDRB, one VMLADAVA per row and chunk, and
 *     the 4 outputs requantized in one vector.
 * The fast paths cover every shape: a group's last n_in % 16 inputs and the last n_out % 4 rows go
 * through short plain loops.
 */
#include "nn.h"
#include "nn_support.h"

#define FAST (!NN_DENSE_REFERENCE)
#define FAST_MVE (FAST && NN_HAVE_MVE)
#define FAST_DSP (FAST && NN_HAVE_DSP && !NN_HAVE_MVE)
#define FAST_PLAIN (FAST && !NN_HAVE_DSP && !NN_HAVE_MVE)

#if FAST_MVE
#include <arm_mve.h>
#endif

/* Kept out of line, so that each path has its own (small) stack frame; the usual branch of the
 * requantization (a right shift: real multipliers below 1/2) laid out straight. */
#if defined(__GNUC__) || defined(__clang__)
#define NOINLINE __attribute__((noinline))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define ALWAYS_INLINE __attribute__((always_inline))
#else
#define ALWAYS_INLINE
#define NOINLINE
#define LIKELY(x) (x)
#endif

/* The reference loop: slow and obvious. */
NOINLINE static int dense_reference(const nn_dense_s8_params_t *p, const int8_t *in, int8_t *out)
{
    int32_t o;
    for (o = 0; o < p->n_out; ++o) {
        int32_t acc = p->bias[o];
        int32_t mult = p->mult[o];
        int32_t shift = p->shift[o];
        int32_t i;
        int32_t r;
        for (i = 0; i < p->n_in; ++i) {
            acc += (int32_t)in[i] * (int32_t)p->weights[nn_dense_weight_index(p->n_in, p->n_out, o, i)];
        }
        if (acc < 0 && p->neg_mult != NULL) {
            mult = p->neg_mult[o];
            shift = p->neg_shift[o];
        }
        r = nn_requantize(acc, mult, shift);
        out[o] = (int8_t)(nn_clamp(r, p->act_min - p->out_zp, p->act_max - p->out_zp) + p->out_zp);
    }
    return NN_OK;
}

#if FAST
/* The fast paths shift negative values right and expect the sign to be copied in, as every compiler
 * nn2c supports does (C99 leaves it implementation-defined): checked here at compile time. */
typedef char nn_dense_s8_arithmetic_shift_check[(-8 >> 1) == -4 ? 1 : -1];

#if defined(__ARM_ARCH_ISA_THUMB) && __ARM_ARCH_ISA_THUMB == 1 && !defined(__ARM_ARCH_ISA_ARM)
/*
 * floor((a * b + h) / 2^31) for b in [0, 2^31) and h = 2^30 (or -2^30 when a < 0), on cores without a
 * 32x32 -> 64-bit multiply (ARMv6-M: GCC would call __aeabi_lmul, about 50 instructions), from four
 * 16x16 products: with a = ah 2^16 + al (ah signed) and b = bh 2^16 + bl, the result is
 * 2 ah bh + floor(m / 2^15), m = al bh + ah bl + floor(al bl / 2^16) + h / 2^16. m wraps modulo 2^32
 * but is in [0, 2^32) when a >= 0 (then h > 0) and in the int32 range when a < 0, so it is read back
 * unsigned or signed by the sign of a.
 */
static inline int32_t high_mul(int32_t a, int32_t b, int32_t h)
{
    if (LIKELY((int32_t)(int16_t)a == a)) {
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
#else
/* floor((a * b + h) / 2^31): one SMULL (or SMLAL) on Cortex-M3 and later. */
static inline int32_t high_mul(int32_t a, int32_t b, int32_t h)
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
static inline int32_t requantize_fast(int32_t acc, int32_t mult, int32_t shift)
{
    if (LIKELY(shift < 0)) {
        const int32_t t = high_mul(acc, mult, acc < 0 ? -((int32_t)1 << 30) : ((int32_t)1 << 30));
        return ((t >> (-shift - 1)) + 1) >> 1;
    }
    /* acc * 2^shift fits int32: nn_requantize's precondition */
    return high_mul(acc * ((int32_t)1 << shift), mult, (int32_t)1 << 30);
}

/* What the outputs need besides their accumulators, read from the parameters once per call (an int8_t
 * store through out could alias them, and the compiler would reload them after each). */
typedef struct {
    const int32_t *mult;
    const int32_t *shift;
    const int32_t *neg_mult; /* NULL without leaky relu */
    const int32_t *neg_shift;
    int32_t lo; /* act_min - out_zp */
    int32_t hi; /* act_max - out_zp */
    int32_t zp;
    int32_t negative_to_lo; /* a negative accumulator gives lo: see output_one */
} output_stage_t;

static inline output_stage_t output_stage(const nn_dense_s8_params_t *p)
{
    output_stage_t s;
    s.mult = p->mult;
    s.shift = p->shift;
    s.neg_mult = p->neg_mult;
    s.neg_shift = p->neg_shift;
    s.lo = p->act_min - p->out_zp;
    s.hi = p->act_max - p->out_zp;
    s.zp = p->out_zp;
    s.negative_to_lo = p->neg_mult == NULL && s.lo >= 0 && s.hi >= s.lo;
    return s;
}

/* Output o from its accumulator: requantization (leaky where the accumulator is negative and neg_mult
 * is set), clamp, zero point. Without neg_mult, a negative accumulator requantizes to q <= 0 (mult >= 0,
 * and both roundings of nn_requantize keep the sign: nn_srdhm of a product <= 0 is <= 0, nn_rdbpot of
 * a value <= 0 is <= 0), so when 0 <= lo <= hi (relu: lo = 0) the clamp gives lo whatever q is: the
 * requantization is skipped. */
ALWAYS_INLINE static inline int8_t output_one(const output_stage_t *s, int32_t o, int32_t acc)
{
    int32_t q;
    if (acc < 0 && s->neg_mult != NULL) {
        q = requantize_fast(acc, s->neg_mult[o], s->neg_shift[o]);
#if !FAST_MVE /* M55 takes this only for its last n_out % 4 rows, where the test costs more than it saves */
    } else if (acc < 0 && s->negative_to_lo) {
        return (int8_t)(s->lo + s->zp);
#endif
    } else {
        q = requantize_fast(acc, s->mult[o], s->shift[o]);
    }
    return (int8_t)(nn_clamp(q, s->lo, s->hi) + s->zp);
}

#if FAST_DSP || FAST_PLAIN
/* acc[r] += sum of in[j] * w[r * n + j] over j < n, for the 4 rows of a group's last n inputs. */
static void dot4_tail(const int8_t *in, const int8_t *w, int32_t n, int32_t acc[4])
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
#endif /* FAST_DSP || FAST_PLAIN */
#endif /* FAST */

#if FAST_PLAIN && defined(__GNUC__) && !defined(__clang__) && defined(__OPTIMIZE__) && \
    defined(__ARM_ARCH_ISA_THUMB) && __ARM_ARCH_ISA_THUMB == 1 && !defined(__ARM_ARCH_ISA_ARM)
/*
 * ARMv6-M (Cortex-M0/M0+; also ARMv8-M Baseline): acc[0..3] += the 4 rows of `chunks` (>= 1) chunks of
 * 16 inputs. LDRSB only takes a register offset, so one negative index k addresses the input and the 4
 * rows, each from its own base, and the 4 accumulators live in high registers, which ADD reaches: per
 * input 1 load of the input, 4 x (LDRSB, MULS, ADD) and the index step, 14 instructions for 4
 * multiply-accumulates. In assembly because GCC 12 cannot allocate this loop from C: it keeps the
 * accumulators in r0-r7 and moves the bases in and out of the high registers (5 to 5.5 instructions per
 * MAC in every form of the plain loop tried). GCC only: clang cannot give an asm statement all of r0-r7
 * (it keeps r7 for the frame), so it compiles the plain loop below.
 */
#define M0_INPUT(a0, a1, a2, a3)                                                                        \
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

#if !defined(__OPTIMIZE_SIZE__)
#define M0_INPUT_OPERANDS M0_INPUT("%[a0]", "%[a1]", "%[a2]", "%[a3]")
/* k runs from -16 * chunks up to 0 over every input of the group; the row bases step 48 bytes per chunk
 * (64 bytes of weights, less the 16 that k has moved). A chunk is unrolled whole: 3.52 instructions per
 * MAC, and 5 per chunk. */
static void dot4_chunks(const int8_t *in, const int8_t *w, int32_t chunks, int32_t acc[4])
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
        M0_INPUT_OPERANDS M0_INPUT_OPERANDS M0_INPUT_OPERANDS M0_INPUT_OPERANDS
        M0_INPUT_OPERANDS M0_INPUT_OPERANDS M0_INPUT_OPERANDS M0_INPUT_OPERANDS
        M0_INPUT_OPERANDS M0_INPUT_OPERANDS M0_INPUT_OPERANDS M0_INPUT_OPERANDS
        M0_INPUT_OPERANDS M0_INPUT_OPERANDS M0_INPUT_OPERANDS M0_INPUT_OPERANDS
        "beq 2f\n\t"
        "adds %[w0], #48\n\t"
        "adds %[w1], #48\n\t"
        "adds %[w2], #48\n\t"
        "adds %[w3], #48\n\t"
        "b 1b\n\t"
        "2:\n\t"
        : [a0] "+h"(a0), [a1] "+h"(a1), [a2] "+h"(a2), [a3] "+h"(a3), [w0] "+l"(w0), [w1] "+l"(w1),
          [w2] "+l"(w2), [w3] "+l"(w3), [k] "+l"(k), [x] "=&l"(x), [t] "=&l"(t)
        : [xe] "l"(xe)
        : "cc", "memory");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#else
/* -Os: GCC reserves r8-r11 when optimizing for size on Thumb-1 (no asm operand may use them), so the
 * block saves them, keeps the accumulators there and restores them; each chunk is a loop of 4 times 4
 * inputs, k from -16 up to 0, with the bases at the end of the chunk. */
#define M0_SWAP_HIGH(op)                                                                                \
    "mov %[x], r8\n\t" "mov %[t], r9\n\t" op " {%[x]}\n\t" op " {%[t]}\n\t"                          \
    "mov %[x], r10\n\t" "mov %[t], r11\n\t" op " {%[x]}\n\t" op " {%[t]}\n\t"
#define M0_INPUT_HIGH M0_INPUT("r8", "r9", "r10", "r11")
static void dot4_chunks(const int8_t *in, const int8_t *w, int32_t chunks, int32_t acc[4])
{
    const int8_t *xe = in + NN_DENSE_CHUNK;
    const int8_t *w0 = w + NN_DENSE_CHUNK;
    const int8_t *w1 = w + 2 * NN_DENSE_CHUNK;
    const int8_t *w2 = w + 3 * NN_DENSE_CHUNK;
    const int8_t *w3 = w + 4 * NN_DENSE_CHUNK;
    int32_t *k = acc;                    /* then the index */
    int32_t x = chunks * NN_DENSE_CHUNK; /* then each input */
    int32_t t;
    __asm__ volatile(
        ".syntax unified\n\t"
        "adds %[x], %[xe]\n\t"
        "push {%[k]}\n\t" /* sp[5]: acc */
        "push {%[x]}\n\t" /* sp[4]: the end of the last chunk's inputs */
        M0_SWAP_HIGH("push") /* sp[0..3]: r11, r10, r9, r8 of the caller */
        "ldr %[x], [%[k], #0]\n\t" "mov r8, %[x]\n\t"
        "ldr %[x], [%[k], #4]\n\t" "mov r9, %[x]\n\t"
        "ldr %[x], [%[k], #8]\n\t" "mov r10, %[x]\n\t"
        "ldr %[x], [%[k], #12]\n\t" "mov r11, %[x]\n\t"
        "2:\n\t"
        "movs %[k], #16\n\t"
        "negs %[k], %[k]\n\t"
        "1:\n\t"
        M0_INPUT_HIGH M0_INPUT_HIGH M0_INPUT_HIGH M0_INPUT_HIGH
        "bne 1b\n\t"
        "adds %[xe], #16\n\t"
        "adds %[w0], #64\n\t"
        "adds %[w1], #64\n\t"
        "adds %[w2], #64\n\t"
        "adds %[w3], #64\n\t"
        "ldr %[t], [sp, #16]\n\t"
        "cmp %[xe], %[t]\n\t"
        "bne 2b\n\t"
        "ldr %[k], [sp, #20]\n\t"
        "mov %[x], r8\n\t" "str %[x], [%[k], #0]\n\t"
        "mov %[x], r9\n\t" "str %[x], [%[k], #4]\n\t"
        "mov %[x], r10\n\t" "str %[x], [%[k], #8]\n\t"
        "mov %[x], r11\n\t" "str %[x], [%[k], #12]\n\t"
        "pop {%[t]}\n\t" "pop {%[x]}\n\t" "mov r11, %[t]\n\t" "mov r10, %[x]\n\t"
        "pop {%[t]}\n\t" "pop {%[x]}\n\t" "mov r9, %[t]\n\t" "mov r8, %[x]\n\t"
        "add sp, #8\n\t"
        : [xe] "+l"(xe), [w0] "+l"(w0), [w1] "+l"(w1), [w2] "+l"(w2), [w3] "+l"(w3), [k] "+l"(k), [x] "+l"(x),
          [t] "=&l"(t)
        :
        : "cc", "memory");
}
#endif /* __OPTIMIZE_SIZE__ */
#elif FAST_PLAIN
/* acc[0..3] += the 4 rows of `chunks` chunks of 16 inputs: each input is loaded once for the 4 rows
 * (Cortex-M3: LDRSB with an immediate offset and MLA, 2.25 instructions per MAC). */
static void dot4_chunks(const int8_t *in, const int8_t *w, int32_t chunks, int32_t acc[4])
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
#endif /* FAST_PLAIN */

#if FAST_DSP
/*
 * acc[0..3] += the 4 rows of `chunks` (>= 1) chunks of 16 inputs. w: 4-byte aligned. Per 8 inputs: two
 * LDR of inputs (any alignment), sign-extended to (x0, x2), (x1, x3), (x4, x6), (x5, x7) by SXTB16 and
 * SXTB16 ROR #8 (GCC 12 does not fold the rotate of the ACLE __sxtb16); per row one LDRD of 8 weights,
 * the same four extensions and four SMLAD: 42 instructions per 32 multiply-accumulates. Inputs 8-15 of a
 * chunk go first, so that the last load of inputs 0-7 and the last weight load step the pointers.
 */
#define DSP_ROW(acc, offset, ldrd)                                                                      \
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
#define DSP_INPUTS                                                                                      \
    "sxtb16 %[xo0], %[xe0], ror #8\n\t"                                                                 \
    "sxtb16 %[xe0], %[xe0]\n\t"                                                                         \
    "sxtb16 %[xo1], %[xe1], ror #8\n\t"                                                                 \
    "sxtb16 %[xe1], %[xe1]\n\t"

static void dot4_chunks(const int8_t *in, const int8_t *w, int32_t chunks, int32_t acc[4])
{
    int32_t a0 = acc[0];
    int32_t a1 = acc[1];
    int32_t a2 = acc[2];
    int32_t a3 = acc[3];
    const int8_t *const end = in + chunks * NN_DENSE_CHUNK;
    do {
        uint32_t xe0, xo0, xe1, xo1, wa, wb, t;
        __asm__ volatile(
            /* inputs 8-15 against weights 8-15 of rows 0-3 (offsets 8, 24, 40, 56) */
            "ldr %[xe0], [%[in], #8]\n\t"
            "ldr %[xe1], [%[in], #12]\n\t"
            DSP_INPUTS
            DSP_ROW("a0", 8, DSP_LDRD(8))
            DSP_ROW("a1", 24, DSP_LDRD(24))
            DSP_ROW("a2", 40, DSP_LDRD(40))
            DSP_ROW("a3", 56, DSP_LDRD(56))
            /* inputs 0-7 (in steps to the next chunk) against weights 0-7 (offsets 16, 32, 48, then 0
             * with w stepping 64 bytes) */
            "ldr %[xe1], [%[in], #4]\n\t"
            "ldr %[xe0], [%[in]], #16\n\t"
            DSP_INPUTS
            DSP_ROW("a1", 16, DSP_LDRD(16))
            DSP_ROW("a2", 32, DSP_LDRD(32))
            DSP_ROW("a3", 48, DSP_LDRD(48))
            DSP_ROW("a0", 0, "ldrd %[wa], %[wb], [%[w]], #64\n\t")
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
#endif /* FAST_DSP */

#if FAST_DSP || FAST_PLAIN
NOINLINE static int dense_fast(const nn_dense_s8_params_t *p, const int8_t *in, int8_t *out)
{
    const int32_t n_in = p->n_in;
    const int32_t n_out = p->n_out;
    const int32_t chunks = n_in / NN_DENSE_CHUNK;
    const int32_t tail = n_in % NN_DENSE_CHUNK;
    const int32_t *const bias = p->bias;
    const int8_t *w = p->weights;
    const output_stage_t s = output_stage(p);
    int32_t acc[NN_DENSE_ROWS];
    int32_t o;
    for (o = 0; o + NN_DENSE_ROWS <= n_out; o += NN_DENSE_ROWS) {
        acc[0] = bias[o];
        acc[1] = bias[o + 1];
        acc[2] = bias[o + 2];
        acc[3] = bias[o + 3];
        if (chunks > 0) {
            dot4_chunks(in, w, chunks, acc);
            w += chunks * (NN_DENSE_ROWS * NN_DENSE_CHUNK);
        }
        if (tail > 0) {
            dot4_tail(in + chunks * NN_DENSE_CHUNK, w, tail, acc);
            w += tail * NN_DENSE_ROWS;
        }
        out[o] = output_one(&s, o, acc[0]);
        out[o + 1] = output_one(&s, o + 1, acc[1]);
        out[o + 2] = output_one(&s, o + 2, acc[2]);
        out[o + 3] = output_one(&s, o + 3, acc[3]);
    }
    for (; o < n_out; ++o) {
        /* the last n_out % 4 rows, row-major */
        int32_t a = bias[o];
        int32_t i;
        for (i = 0; i < n_in; ++i) {
            a += (int32_t)in[i] * (int32_t)w[i];
        }
        out[o] = output_one(&s, o, a);
        w += n_in;
    }
    return NN_OK;
}
#endif /* FAST_DSP || FAST_PLAIN */

#if FAST_MVE
/* The requantization constants of the outputs, read through pointers that step 4 outputs at a time
 * (the clamp and zero point as scalars: vectors kept across the loop would cost callee-saved Q
 * registers and 64 bytes of stack). */
typedef struct {
    const int32_t *mult;
    const int32_t *shift;
    const int32_t *neg_mult; /* NULL without leaky relu */
    const int32_t *neg_shift;
    int32_t lo; /* act_min - out_zp */
    int32_t hi; /* act_max - out_zp */
    int32_t zp;
} output4_t;

/*
 * 4 outputs from their accumulators, as nn_requantize and the clamp do it, lane by lane: VQRDMULH is
 * nn_srdhm (it saturates only for INT32_MIN * INT32_MIN, as nn_srdhm does); nn_rdbpot(x, n) =
 * (x - [x < 0 and n > 0] + 2^(n-1)) >> n is a saturating add of the fix-up (only x = INT32_MIN
 * saturates, and there the result is the same) and VRSHL by -n, which rounds half up and computes wide.
 */
static inline void output4_mve(output4_t *s, int32x4_t acc, int8_t *out)
{
    int32x4_t mult = vldrwq_s32(s->mult);
    int32x4_t shift = vldrwq_s32(s->shift);
    int32x4_t negative_shift;
    int32x4_t x;
    s->mult += NN_DENSE_ROWS;
    s->shift += NN_DENSE_ROWS;
    if (s->neg_mult != NULL) {
        const mve_pred16_t negative = vcmpltq_n_s32(acc, 0);
        mult = vpselq_s32(vldrwq_s32(s->neg_mult), mult, negative);
        shift = vpselq_s32(vldrwq_s32(s->neg_shift), shift, negative);
        s->neg_mult += NN_DENSE_ROWS;
        s->neg_shift += NN_DENSE_ROWS;
    }
    negative_shift = vshrq_n_s32(shift, 31);                                  /* -1 where shift < 0 */
    x = vqrdmulhq_s32(vshlq_s32(acc, vbicq_s32(shift, negative_shift)), mult); /* << max(shift, 0) */
    shift = vandq_s32(shift, negative_shift);                                 /* min(shift, 0) = -n */
    x = vqaddq_s32(x, vshrq_n_s32(vandq_s32(x, shift), 31));                  /* x - 1 where x < 0 and n > 0 */
    x = vrshlq_s32(x, shift);
    x = vaddq_n_s32(vminq_s32(vmaxq_s32(x, vdupq_n_s32(s->lo)), vdupq_n_s32(s->hi)), s->zp);
    vstrbq_s32(out, x);
}

NOINLINE static int dense_fast(const nn_dense_s8_params_t *p, const int8_t *in, int8_t *out)
{
    const int32_t n_in = p->n_in;
    const int32_t n_out = p->n_out;
    const int32_t chunks = n_in / NN_DENSE_CHUNK;
    const int32_t tail = n_in % NN_DENSE_CHUNK;
    const int32_t *bias = p->bias;
    const int8_t *w = p->weights;
    output4_t s;
    int32_t o;
    s.mult = p->mult;
    s.shift = p->shift;
    s.neg_mult = p->neg_mult;
    s.neg_shift = p->neg_shift;
    s.lo = p->act_min - p->out_zp;
    s.hi = p->act_max - p->out_zp;
    s.zp = p->out_zp;
    for (o = 0; o + NN_DENSE_ROWS <= n_out; o += NN_DENSE_ROWS) {
        int32_t a0 = bias[0];
        int32_t a1 = bias[1];
        int32_t a2 = bias[2];
        int32_t a3 = bias[3];
        const int8_t *x = in;
        int32_t c;
        int32x4_t acc;
        for (c = 0; c < chunks; ++c) {
            const int8x16_t xv = vldrbq_s8(x);
            a0 = vmladavaq_s8(a0, xv, vldrbq_s8(w));
            a1 = vmladavaq_s8(a1, xv, vldrbq_s8(w + NN_DENSE_CHUNK));
            a2 = vmladavaq_s8(a2, xv, vldrbq_s8(w + 2 * NN_DENSE_CHUNK));
            a3 = vmladavaq_s8(a3, xv, vldrbq_s8(w + 3 * NN_DENSE_CHUNK));
            x += NN_DENSE_CHUNK;
            w += NN_DENSE_ROWS * NN_DENSE_CHUNK;
        }
        if (tail > 0) {
            /* the last n_in % 16 inputs, predicated: lanes past the tail load nothing and add nothing */
            const mve_pred16_t lanes = vctp8q((uint32_t)tail);
            const int8x16_t xv = vldrbq_z_s8(x, lanes);
            a0 = vmladavaq_p_s8(a0, xv, vldrbq_z_s8(w, lanes), lanes);
            a1 = vmladavaq_p_s8(a1, xv, vldrbq_z_s8(w + tail, lanes), lanes);
            a2 = vmladavaq_p_s8(a2, xv, vldrbq_z_s8(w + 2 * tail, lanes), lanes);
            a3 = vmladavaq_p_s8(a3, xv, vldrbq_z_s8(w + 3 * tail, lanes), lanes);
            w += NN_DENSE_ROWS * tail;
        }
        acc = vsetq_lane_s32(a0, vuninitializedq_s32(), 0);
        acc = vsetq_lane_s32(a1, acc, 1);
        acc = vsetq_lane_s32(a2, acc, 2);
        acc = vsetq_lane_s32(a3, acc, 3);
        output4_mve(&s, acc, out + o);
        bias += NN_DENSE_ROWS;
    }
    if (o < n_out) {
        /* the last n_out % 4 rows, row-major, 16 inputs at a time */
        const output_stage_t rows = output_stage(p);
        for (; o < n_out; ++o) {
            int32_t a = *bias++;
            int32_t i;
            for (i = 0; i + NN_DENSE_CHUNK <= n_in; i += NN_DENSE_CHUNK) {
                a = vmladavaq_s8(a, vldrbq_s8(in + i), vldrbq_s8(w + i));
            }
            if (i < n_in) {
                const mve_pred16_t lanes = vctp8q((uint32_t)(n_in - i));
                a = vmladavaq_p_s8(a, vldrbq_z_s8(in + i, lanes), vldrbq_z_s8(w + i, lanes), lanes);
            }
            out[o] = output_one(&rows, o, a);
            w += n_in;
        }
    }
    return NN_OK;
}
#endif /* FAST_MVE */

int nn_dense_s8(const nn_dense_s8_params_t *p, const int8_t *in, int8_t *out)
{
    if (p == NULL || in == NULL || out == NULL || p->weights == NULL || p->bias == NULL || p->mult == NULL ||
        p->shift == NULL || (p->neg_mult == NULL) != (p->neg_shift == NULL) || p->n_in < 1 || p->n_out < 1) {
        return NN_ERROR_ARGUMENT;
    }
#if FAST_DSP
    if (((uintptr_t)p->weights & 3u) == 0u) { /* LDRD needs 4-byte alignment */
        return dense_fast(p, in, out);
    }
#elif FAST_MVE || FAST_PLAIN
    return dense_fast(p, in, out);
#endif
    return dense_reference(p, in, out);
}
