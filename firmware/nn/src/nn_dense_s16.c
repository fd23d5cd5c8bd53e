/*
 * nn_dense_s16: a dense layer on s16 codes with int8 weights and an int32 accumulator ("16x8").
 *
 * in: [n_in] s16; weights: [n_out * n_in] s8 in the blocked layout of nn.h (groups of 4 rows, chunks of
 * 16 inputs: w(o, i) = weights[nn_dense_weight_index(n_in, n_out, o, i)]); bias: [n_out] s32, the input
 * zero point folded in; out: [n_out] s16, not overlapping in. Mirrors runDense in src/ops/dense/quant.ts:
 *   acc = bias[o] + sum_i in[i] * w(o, i)
 *   r   = nn_requantize(acc, mult[o], shift[o])   (neg_mult/neg_shift when acc < 0 and set: leaky relu)
 *   out = clamp(r, act_min - out_zp, act_max - out_zp) + out_zp   (clamp first: no addition overflows)
 * The quantizer bounds |acc| for every possible input at generation time, so the sum cannot overflow.
 *
 * One path is compiled, chosen by nn_config.h; each equals the reference loop bit for bit (integer sums
 * are the same in any order, and nn_dense_requantize_fast is nn_requantize computed another way):
 *   - the reference: one output at a time through nn_dense_weight_index (alone with NN_DENSE_REFERENCE=1);
 *   - plain C, for cores without DSP or MVE (Cortex-M0, M3) and hosts: 4 rows per pass share each input;
 *   - NN_HAVE_DSP (Cortex-M4, M7, M33): 4 rows per pass, 8 inputs per step in inline assembly: the
 *     inputs, already 16-bit, paired as (x0, x2) and (x1, x3) by PKHBT/PKHTB to meet each row's weights
 *     sign-extended in pairs (SXTB16), two products per SMLAD;
 *   - NN_HAVE_MVE (Cortex-M55): 4 rows per pass, 8 inputs per VLDRH, each row's 8 weights widened by
 *     VLDRB.S16, one VMLADAVA per row and step, and the 4 outputs requantized in one vector.
 * The fast paths cover every shape: a group's last n_in % 16 inputs and the last n_out % 4 rows go
 * through short plain loops.
 */
#define NN_DENSE_S16_INPUTS /* nn_dense_internal.h: the 4-row loops over 16-bit inputs */
#include "nn_dense_internal.h"

/* The reference loop: slow and obvious. */
NN_DENSE_NOINLINE static int dense_reference(const nn_dense_s16_params_t *p, const int16_t *in, int16_t *out)
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
        out[o] = (int16_t)(nn_clamp(r, p->act_min - p->out_zp, p->act_max - p->out_zp) + p->out_zp);
    }
    return NN_OK;
}

#if NN_DENSE_FAST_DSP || NN_DENSE_FAST_PLAIN
NN_DENSE_NOINLINE static int dense_fast(const nn_dense_s16_params_t *p, const int16_t *in, int16_t *out)
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
            nn_dense_dot4_chunks_s16(in, w, chunks, acc);
            w += chunks * (NN_DENSE_ROWS * NN_DENSE_CHUNK);
        }
        if (tail > 0) {
            nn_dense_dot4_tail_s16(in + chunks * NN_DENSE_CHUNK, w, tail, acc);
            w += tail * NN_DENSE_ROWS;
        }
        out[o] = (int16_t)nn_dense_output_one(&s, o, acc[0]);
        out[o + 1] = (int16_t)nn_dense_output_one(&s, o + 1, acc[1]);
        out[o + 2] = (int16_t)nn_dense_output_one(&s, o + 2, acc[2]);
        out[o + 3] = (int16_t)nn_dense_output_one(&s, o + 3, acc[3]);
    }
    for (; o < n_out; ++o) {
        /* the last n_out % 4 rows, row-major */
        int32_t a = bias[o];
        int32_t i;
        for (i = 0; i < n_in; ++i) {
            a += (int32_t)in[i] * (int32_t)w[i];
        }
        out[o] = (int16_t)nn_dense_output_one(&s, o, a);
        w += n_in;
    }
    return NN_OK;
}
#endif /* NN_DENSE_FAST_DSP || NN_DENSE_FAST_PLAIN */

#if NN_DENSE_FAST_MVE
NN_DENSE_NOINLINE static int dense_fast(const nn_dense_s16_params_t *p, const int16_t *in, int16_t *out)
{
    const int32_t n_in = p->n_in;
    const int32_t n_out = p->n_out;
    const int32_t chunks = n_in / NN_DENSE_CHUNK;
    const int32_t tail = n_in % NN_DENSE_CHUNK;
    const int32_t *bias = p->bias;
    const int8_t *w = p->weights;
    nn_dense_output_t s = NN_DENSE_OUTPUT(p); /* its pointers step 4 outputs at a time */
    int32_t o;
    for (o = 0; o + NN_DENSE_ROWS <= n_out; o += NN_DENSE_ROWS) {
        int32_t a0 = bias[0];
        int32_t a1 = bias[1];
        int32_t a2 = bias[2];
        int32_t a3 = bias[3];
        const int16_t *x = in;
        int32_t c;
        for (c = 0; c < chunks; ++c) {
            /* inputs 0-7 against each row's weights 0-7, then 8-15 against 8-15 */
            int16x8_t xv = vldrhq_s16(x);
            a0 = vmladavaq_s16(a0, xv, vldrbq_s16(w));
            a1 = vmladavaq_s16(a1, xv, vldrbq_s16(w + NN_DENSE_CHUNK));
            a2 = vmladavaq_s16(a2, xv, vldrbq_s16(w + 2 * NN_DENSE_CHUNK));
            a3 = vmladavaq_s16(a3, xv, vldrbq_s16(w + 3 * NN_DENSE_CHUNK));
            /* a barrier to scheduling: without it GCC 12 loads all 8 rows of weights first, which needs
             * more than the 8 Q registers and spills them to the stack */
            __asm__ volatile("" ::: "memory");
            xv = vldrhq_s16(x + 8);
            a0 = vmladavaq_s16(a0, xv, vldrbq_s16(w + 8));
            a1 = vmladavaq_s16(a1, xv, vldrbq_s16(w + NN_DENSE_CHUNK + 8));
            a2 = vmladavaq_s16(a2, xv, vldrbq_s16(w + 2 * NN_DENSE_CHUNK + 8));
            a3 = vmladavaq_s16(a3, xv, vldrbq_s16(w + 3 * NN_DENSE_CHUNK + 8));
            x += NN_DENSE_CHUNK;
            w += NN_DENSE_ROWS * NN_DENSE_CHUNK;
        }
        if (tail > 0) {
            /* the last n_in % 16 inputs, 8 at a time, predicated: lanes past the tail add nothing */
            int32_t j;
            for (j = 0; j < tail; j += 8) {
                const mve_pred16_t lanes = vctp16q((uint32_t)(tail - j));
                const int16x8_t xv = vldrhq_z_s16(x + j, lanes);
                a0 = vmladavaq_p_s16(a0, xv, vldrbq_z_s16(w + j, lanes), lanes);
                a1 = vmladavaq_p_s16(a1, xv, vldrbq_z_s16(w + tail + j, lanes), lanes);
                a2 = vmladavaq_p_s16(a2, xv, vldrbq_z_s16(w + 2 * tail + j, lanes), lanes);
                a3 = vmladavaq_p_s16(a3, xv, vldrbq_z_s16(w + 3 * tail + j, lanes), lanes);
            }
            w += NN_DENSE_ROWS * tail;
        }
        vstrhq_s32(out + o, nn_dense_output4_mve(&s, a0, a1, a2, a3));
        bias += NN_DENSE_ROWS;
    }
    if (o < n_out) {
        /* the last n_out % 4 rows, row-major, 8 inputs at a time */
        const nn_dense_output_t rows = NN_DENSE_OUTPUT(p);
        for (; o < n_out; ++o) {
            int32_t a = *bias++;
            int32_t i;
            for (i = 0; i + 8 <= n_in; i += 8) {
                a = vmladavaq_s16(a, vldrhq_s16(in + i), vldrbq_s16(w + i));
            }
            if (i < n_in) {
                const mve_pred16_t lanes = vctp16q((uint32_t)(n_in - i));
                a = vmladavaq_p_s16(a, vldrhq_z_s16(in + i, lanes), vldrbq_z_s16(w + i, lanes), lanes);
            }
            out[o] = (int16_t)nn_dense_output_one(&rows, o, a);
            w += n_in;
        }
    }
    return NN_OK;
}
#endif /* NN_DENSE_FAST_MVE */

int nn_dense_s16(const nn_dense_s16_params_t *p, const int16_t *in, int16_t *out)
{
    if (p == NULL || in == NULL || out == NULL || p->weights == NULL || p->bias == NULL || p->mult == NULL ||
        p->shift == NULL || (p->neg_mult == NULL) != (p->neg_shift == NULL) || p->n_in < 1 || p->n_out < 1) {
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
