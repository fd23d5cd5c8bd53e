/*
 * nn_dense_s8: a dense layer on s8 codes with int8 weights and an int32 accumulator.
 *
 * in: [n_in] s8; weights: [n_out * n_in] s8 in the blocked layout of nn.h (groups of 4 rows, chunks of
 * 16 inputs: w(o, i) = weights[nn_dense_weight_index(n_in, n_out, o, i)]); bias: [n_out] s32, the input
 * zero point folded in; out: [n_out] s8, not overlapping in. Mirrors runDense in src/ops/dense/quant.ts:
 *   acc = bias[o] + sum_i in[i] * w(o, i)
 *   r   = nn_requantize(acc, mult[o], shift[o])   (neg_mult/neg_shift when acc < 0 and set: leaky relu)
 *   out = clamp(r, act_min - out_zp, act_max - out_zp) + out_zp   (clamp first: no addition overflows)
 * The quantizer bounds |acc| for every possible input at generation time, so the sum cannot overflow.
 *
 * One path is compiled, chosen by nn_config.h; each equals the reference loop bit for bit (integer sums
 * are the same in any order, and nn_dense_requantize_fast is nn_requantize computed another way):
 *   - the reference: one output at a time through nn_dense_weight_index (alone with NN_DENSE_REFERENCE=1);
 *   - plain C, for cores without DSP or MVE (Cortex-M0, M3) and hosts: 4 rows per pass share each input;
 *   - NN_HAVE_DSP (Cortex-M4, M7, M33): 4 rows per pass, 8 inputs per step in inline assembly: the inputs
 *     sign-extended in pairs (SXTB16), each row's 8 weights in one LDRD, two products per SMLAD;
 *   - NN_HAVE_MVE (Cortex-M55): 4 rows per pass, 16 inputs per VLDRB, one VMLADAVA per row and chunk, and
 *     the 4 outputs requantized in one vector.
 * The fast paths cover every shape: a group's last n_in % 16 inputs and the last n_out % 4 rows go
 * through short plain loops.
 */
#include "nn_dense_internal.h"

/* The reference loop: slow and obvious. */
NN_DENSE_NOINLINE static int dense_reference(const nn_dense_s8_params_t *p, const int8_t *in, int8_t *out)
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

#if NN_DENSE_FAST_DSP || NN_DENSE_FAST_PLAIN
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
#endif /* NN_DENSE_FAST_DSP || NN_DENSE_FAST_PLAIN */

#if NN_DENSE_M0_ASM
/* ARMv6-M (Cortex-M0/M0+; also ARMv8-M Baseline) under GCC: the loops in assembly (nn_dense_internal.h). */
#if !defined(__OPTIMIZE_SIZE__)
static void dot4_chunks(const int8_t *in, const int8_t *w, int32_t chunks, int32_t acc[4])
{
    nn_dense_m0_chunks(in, w, chunks, acc);
}

/* acc[0..3] += the 4 rows of a group's last 8 inputs (n_in % 16 == 8: the rows one after the other, 8
 * weights each), as one chunk of nn_dense_m0_chunks but 8 inputs long: k from -8 up to 0. */
#define NN_DENSE_M0_HALF 1
static void dot4_half(const int8_t *in, const int8_t *w, int32_t acc[4])
{
    int32_t a0 = acc[0];
    int32_t a1 = acc[1];
    int32_t a2 = acc[2];
    int32_t a3 = acc[3];
    const int8_t *const xe = in + 8;
    const int8_t *w0 = w + 8;
    const int8_t *w1 = w + 16;
    const int8_t *w2 = w + 24;
    const int8_t *w3 = w + 32;
    int32_t k = -8;
    int32_t x, t;
    __asm__ volatile(".syntax unified\n\t" NN_DENSE_M0_INPUTS_4 NN_DENSE_M0_INPUTS_4 : NN_DENSE_M0_OPERANDS("=&l"));
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
#define M0_INPUT_HIGH NN_DENSE_M0_INPUT("r8", "r9", "r10", "r11")
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
#elif NN_DENSE_FAST_PLAIN
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
#endif /* NN_DENSE_FAST_PLAIN */

#if NN_DENSE_FAST_DSP
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

/* acc[0..3] += the 4 rows of a group's last 8 inputs (n_in % 16 == 8: the rows one after the other, 8
 * weights each, 8-byte aligned as every group is), as half a chunk of dot4_chunks: 42 instructions for
 * 32 multiply-accumulates where dot4_tail's loop takes about 3 per one. */
#define NN_DENSE_DSP_HALF 1
/* out of line: inlined, it takes registers from dense_fast's loop (2% more instructions on small layers) */
NN_DENSE_NOINLINE static void dot4_half(const int8_t *in, const int8_t *w, int32_t acc[4])
{
    int32_t a0 = acc[0];
    int32_t a1 = acc[1];
    int32_t a2 = acc[2];
    int32_t a3 = acc[3];
    uint32_t xe0, xo0, xe1, xo1, wa, wb, t;
    __asm__ volatile(
        "ldr %[xe0], [%[in]]\n\t"
        "ldr %[xe1], [%[in], #4]\n\t"
        DSP_INPUTS
        DSP_ROW("a0", 0, DSP_LDRD(0))
        DSP_ROW("a1", 8, DSP_LDRD(8))
        DSP_ROW("a2", 16, DSP_LDRD(16))
        DSP_ROW("a3", 24, DSP_LDRD(24))
        : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [in] "+r"(in), [w] "+r"(w),
          [xe0] "=&r"(xe0), [xo0] "=&r"(xo0), [xe1] "=&r"(xe1), [xo1] "=&r"(xo1), [wa] "=&r"(wa),
          [wb] "=&r"(wb), [t] "=&r"(t)
        :
        : "memory");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#endif /* NN_DENSE_FAST_DSP */

#if NN_DENSE_FAST_DSP || NN_DENSE_FAST_PLAIN
NN_DENSE_NOINLINE static int dense_fast(const nn_dense_s8_params_t *p, const int8_t *in, int8_t *out)
{
    const int32_t n_in = p->n_in;
    const int32_t n_out = p->n_out;
    const int32_t chunks = n_in / NN_DENSE_CHUNK;
    const int32_t tail = n_in % NN_DENSE_CHUNK;
    const int32_t *const bias = p->bias;
    const int8_t *w = p->weights;
    const nn_dense_output_t s = NN_DENSE_OUTPUT(p);
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
#if defined(NN_DENSE_M0_HALF) || defined(NN_DENSE_DSP_HALF)
            if (tail == 8) {
                dot4_half(in + chunks * NN_DENSE_CHUNK, w, acc);
            } else
#endif
            {
                dot4_tail(in + chunks * NN_DENSE_CHUNK, w, tail, acc);
            }
            w += tail * NN_DENSE_ROWS;
        }
#if defined(__OPTIMIZE_SIZE__)
        {
            int32_t r; /* one copy of the output stage */
            for (r = 0; r < NN_DENSE_ROWS; ++r) {
                out[o + r] = (int8_t)nn_dense_output_one(&s, o + r, acc[r]);
            }
        }
#else
        out[o] = (int8_t)nn_dense_output_one(&s, o, acc[0]);
        out[o + 1] = (int8_t)nn_dense_output_one(&s, o + 1, acc[1]);
        out[o + 2] = (int8_t)nn_dense_output_one(&s, o + 2, acc[2]);
        out[o + 3] = (int8_t)nn_dense_output_one(&s, o + 3, acc[3]);
#endif
    }
    for (; o < n_out; ++o) {
        /* the last n_out % 4 rows, row-major */
        int32_t a = bias[o];
        int32_t i;
        for (i = 0; i < n_in; ++i) {
            a += (int32_t)in[i] * (int32_t)w[i];
        }
        out[o] = (int8_t)nn_dense_output_one(&s, o, a);
        w += n_in;
    }
    return NN_OK;
}
#endif /* NN_DENSE_FAST_DSP || NN_DENSE_FAST_PLAIN */

#if NN_DENSE_FAST_MVE
/*
 * out = the 4-row groups and the last n_out % 4 rows of p on `in`. Per group and chunk, one VLDRB of
 * the inputs, and per row one VLDRB of weights and one VMLADAVA; the group's 4 accumulators are
 * requantized in one vector as nn_dense_output4_mve does, with the parameters held in registers (and
 * the leaky selection compiled only where `leaky` is set: the caller passes a constant).
 */
NN_DENSE_ALWAYS_INLINE static inline void mve_rows(const nn_dense_s8_params_t *p, const int8_t *in, int8_t *out,
                                                   const int leaky)
{
    const int32_t n_in = p->n_in;
    const int32_t chunks = n_in / NN_DENSE_CHUNK;
    const int32_t tail = n_in % NN_DENSE_CHUNK;
    const int32_t groups = p->n_out / NN_DENSE_ROWS;
    const int32_t *const bias = p->bias;
    const int32_t *const mult = p->mult;
    const int32_t *const shift = p->shift;
    const int32_t *const neg_mult = p->neg_mult;
    const int32_t *const neg_shift = p->neg_shift;
    const int32x4_t lo = vdupq_n_s32(p->act_min - p->out_zp);
    const int32x4_t hi = vdupq_n_s32(p->act_max - p->out_zp);
    const int32_t zp = p->out_zp;
    const int8_t *w = p->weights;
    int32_t o; /* the group's first row: one index into bias, mult, shift and out */
    for (o = 0; o < groups * NN_DENSE_ROWS; o += NN_DENSE_ROWS) {
        int32_t a0 = bias[o];
        int32_t a1 = bias[o + 1];
        int32_t a2 = bias[o + 2];
        int32_t a3 = bias[o + 3];
        const int8_t *x = in;
        int32_t c;
        int32x4_t acc;
        int32x4_t m;
        int32x4_t sh;
        int32x4_t negative_shift;
        int32x4_t q;
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
        /* nn_dense_output4_mve's output stage */
        acc = vsetq_lane_s32(a0, vuninitializedq_s32(), 0);
        acc = vsetq_lane_s32(a1, acc, 1);
        acc = vsetq_lane_s32(a2, acc, 2);
        acc = vsetq_lane_s32(a3, acc, 3);
        m = vldrwq_s32(mult + o);
        sh = vldrwq_s32(shift + o);
        if (leaky) {
            const mve_pred16_t negative = vcmpltq_n_s32(acc, 0);
            m = vpselq_s32(vldrwq_s32(neg_mult + o), m, negative);
            sh = vpselq_s32(vldrwq_s32(neg_shift + o), sh, negative);
        }
        negative_shift = vshrq_n_s32(sh, 31);
        q = vqrdmulhq_s32(vshlq_s32(acc, vbicq_s32(sh, negative_shift)), m);
        sh = vandq_s32(sh, negative_shift);
        q = vqaddq_s32(q, vshrq_n_s32(vandq_s32(q, sh), 31));
        q = vrshlq_s32(q, sh);
        vstrbq_s32(out + o, vaddq_n_s32(vminq_s32(vmaxq_s32(q, lo), hi), zp));
    }
    nn_dense_rows_mve(p, groups * NN_DENSE_ROWS, in, w, out);
}

NN_DENSE_NOINLINE static int dense_fast(const nn_dense_s8_params_t *p, const int8_t *in, int8_t *out)
{
    if (p->neg_mult != NULL) {
        mve_rows(p, in, out, 1);
    } else {
        mve_rows(p, in, out, 0);
    }
    return NN_OK;
}
#endif /* NN_DENSE_FAST_MVE */

/* nn_dense_s8's checks, once for nn_dense_s8_each's vectors. */
static int dense_arguments_bad(const nn_dense_s8_params_t *p)
{
    return p == NULL || p->weights == NULL || p->bias == NULL || p->mult == NULL || p->shift == NULL ||
           (p->neg_mult == NULL) != (p->neg_shift == NULL) || p->n_in < 1 || p->n_out < 1;
}

int nn_dense_s8_each(const nn_dense_s8_params_t *p, int32_t count, nn_dense_s8_source_t source, void *ctx,
                     int8_t *out)
{
    int32_t k;
    int (*run)(const nn_dense_s8_params_t *, const int8_t *, int8_t *) = dense_reference;
    if (dense_arguments_bad(p) || source == NULL || out == NULL || count < 0) {
        return NN_ERROR_ARGUMENT;
    }
#if NN_DENSE_FAST_DSP
    if (((uintptr_t)p->weights & 3u) == 0u) { /* LDRD needs 4-byte alignment */
        run = dense_fast;
    }
#elif NN_DENSE_FAST_MVE || NN_DENSE_FAST_PLAIN
    run = dense_fast;
#endif
    for (k = 0; k < count; ++k) {
        const int8_t *in = source(ctx, k);
        if (in == NULL) {
            return NN_ERROR_ARGUMENT;
        }
        (void)run(p, in, out + (size_t)k * (size_t)p->n_out);
    }
    return NN_OK;
}

int nn_dense_s8(const nn_dense_s8_params_t *p, const int8_t *in, int8_t *out)
{
    if (dense_arguments_bad(p) || in == NULL || out == NULL) {
        return NN_ERROR_ARGUMENT;
    }
#if NN_DENSE_FAST_DSP
    if (((uintptr_t)p->weights & 3u) == 0u) { /* LDRD needs 4-byte alignment */
        return dense_fast(p, in, out);
    }
#elif NN_DENSE_FAST_MVE || NN_DENSE_FAST_PLAIN
    return dense_fast(p, in, out);
#endif
    return dense_reference(p, in, out);
}
