/*
 * nn_features_s16: the window features of nn2c's feature definitions (src/features/compute.ts holds
 * the same arithmetic in TypeScript; the two agree bit for bit). For a window of N int16 samples x_i
 * of one axis, with rdiv rounding half away from zero and isqrt the floor of the square root:
 *
 *   mean = rdiv(sum, N)   rms = isqrt(rdiv(sumsq, N))   std = isqrt(rdiv(N*sumsq - sum^2, N^2))
 *   ptp = max - min       band [k0, k1] = rdiv(2 * isqrt(E), N),
 *   E = sum over k0..k1 of rdiv(re_k, 2^15)^2 + rdiv(im_k, 2^15)^2,
 *   re_k = sum_i (x_i - mean) * cos_q15[k*i mod N], im_k likewise with sin_q15.
 *
 * With N <= 1024: |sum| < 2^25, sumsq < 2^40, N*sumsq < 2^50, |x_i - mean| < 2^16 so each product
 * fits int32, |re_k| < 2^41 (int64) and E < 2^53 (Parseval), so nothing overflows.
 */
#include "nn.h"

static int64_t nn_rdiv_s64(int64_t a, int64_t b)
{
    return a >= 0 ? (a + b / 2) / b : -((-a + b / 2) / b);
}

static uint64_t nn_isqrt_u64(uint64_t v)
{
    uint64_t root = 0u;
    uint64_t bit = (uint64_t)1 << 62;
    while (bit > v) {
        bit >>= 2;
    }
    while (bit != 0u) {
        if (v >= root + bit) {
            v -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    return root;
}

/* Adds sum_i (x_i - mean) * cos_q15[j] to *re and the same with sin_q15 to *im (the two interleaved in
 * trig_q15) over count samples of one axis (x_i at p[i * axes]), the phase j advancing by k modulo n
 * from *phase. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline)) /* a call of its own keeps the loop's registers free of the caller's */
#endif
static void nn_dft_run(const int16_t *p, int32_t count, int32_t axes, int32_t mean, const int16_t *trig_q15,
    int32_t n, int32_t k, int32_t *phase, int64_t *re, int64_t *im)
{
    int64_t r = *re;
    int64_t m = *im;
    int32_t j = *phase;
    const int16_t *const end = p + (ptrdiff_t)count * axes;
    for (; p != end; p += axes) {
        const int32_t d = (int32_t)*p - mean;
#if defined(__ARM_ARCH_6M__)
        /* no 32x32->64 multiply on ARMv6-M: the product fits int32 (|d| < 2^16, |trig| < 2^15) */
        r += (int32_t)(d * trig_q15[2 * j]);
        m += (int32_t)(d * trig_q15[2 * j + 1]);
#else
        r += (int64_t)d * trig_q15[2 * j]; /* one SMLAL on ARMv7-M */
        m += (int64_t)d * trig_q15[2 * j + 1];
#endif
        j += k;
        j = j >= n ? j - n : j;
    }
    *re = r;
    *im = m;
    *phase = j;
}

int nn_features_s16(const nn_features_s16_params_t *p, const int16_t *samples, size_t sample_count, int32_t first,
    int32_t *out, size_t out_len)
{
    int32_t a;
    int32_t n;
    int32_t axes;
    if (p == NULL || samples == NULL || out == NULL || p->window < 2 || p->window > NN_FEATURES_MAX_WINDOW ||
        p->axes < 1 || first < 0 || first >= p->window) {
        return NN_ERROR_ARGUMENT;
    }
    n = p->window;
    axes = p->axes;
    if (p->statistic_count < 0 || p->band_count < 0 || (p->statistic_count > 0 && p->statistics == NULL) ||
        (p->band_count > 0 && (p->bins == NULL || p->trig_q15 == NULL)) || sample_count != (size_t)n * (size_t)axes ||
        out_len != (size_t)axes * (size_t)(p->statistic_count + p->band_count)) {
        return NN_ERROR_ARGUMENT;
    }
    /* every statistic code and band checked before any sample is read */
    for (a = 0; a < p->statistic_count; ++a) {
        if (p->statistics[a] > NN_FEATURE_MAX) {
            return NN_ERROR_ARGUMENT;
        }
    }
    for (a = 0; a < p->band_count; ++a) {
        if (p->bins[2 * a] < 1 || p->bins[2 * a + 1] < p->bins[2 * a] || p->bins[2 * a + 1] > n / 2) {
            return NN_ERROR_ARGUMENT;
        }
    }
    for (a = 0; a < axes; ++a) {
        int32_t sum = 0;
        uint64_t sumsq = 0u;
        int32_t min = INT16_MAX;
        int32_t max = INT16_MIN;
        int32_t mean;
        int32_t i;
        int32_t s;
        int32_t b;
        int32_t idx = first;
        for (i = 0; i < n; ++i) {
            const int32_t v = samples[(size_t)idx * (size_t)axes + (size_t)a];
            sum += v;
            sumsq += (uint64_t)(v * v);
            min = v < min ? v : min;
            max = v > max ? v : max;
            idx = idx + 1 == n ? 0 : idx + 1;
        }
        mean = (int32_t)nn_rdiv_s64(sum, n);
        for (s = 0; s < p->statistic_count; ++s) {
            int32_t value;
            switch (p->statistics[s]) {
            case NN_FEATURE_MEAN:
                value = mean;
                break;
            case NN_FEATURE_RMS:
                value = (int32_t)nn_isqrt_u64((uint64_t)nn_rdiv_s64((int64_t)sumsq, n));
                break;
            case NN_FEATURE_STD: {
                const uint64_t spread = (uint64_t)n * sumsq - (uint64_t)((int64_t)sum * sum);
                value = (int32_t)nn_isqrt_u64((uint64_t)nn_rdiv_s64((int64_t)spread, (int64_t)n * n));
                break;
            }
            case NN_FEATURE_PTP:
                value = max - min;
                break;
            case NN_FEATURE_MIN:
                value = min;
                break;
            case NN_FEATURE_MAX:
                value = max;
                break;
            default: /* unreachable: the codes were checked above */
                return NN_ERROR_ARGUMENT;
            }
            *out++ = value;
        }
        for (b = 0; b < p->band_count; ++b) {
            const int32_t k0 = p->bins[2 * b];
            const int32_t k1 = p->bins[2 * b + 1];
            uint64_t energy = 0u;
            int32_t k;
            for (k = k0; k <= k1; ++k) {
                int64_t re = 0;
                int64_t im = 0;
                int32_t j = 0;
                int64_t r;
                int64_t m;
                /* the ring in two straight runs: from first to the end, then from the start */
                nn_dft_run(&samples[(size_t)first * (size_t)axes + (size_t)a], n - first, axes, mean, p->trig_q15, n,
                    k, &j, &re, &im);
                nn_dft_run(&samples[a], first, axes, mean, p->trig_q15, n, k, &j, &re, &im);
                r = nn_rdiv_s64(re, 32768);
                m = nn_rdiv_s64(im, 32768);
                energy += (uint64_t)(r * r) + (uint64_t)(m * m);
            }
            *out++ = (int32_t)nn_rdiv_s64(2 * (int64_t)nn_isqrt_u64(energy), n);
        }
    }
    return NN_OK;
}
