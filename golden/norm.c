/* golden/norm.c: layernorm, rmsnorm, GELU (erf, tanh), SiLU, RoPE.
 *
 * Norms: fp32, one accumulator, j increasing, two passes over the row for
 * statistics (mean, then centred squares), then the output pass; y may equal
 * x because the statistics are complete before the first write.
 * Activations: evaluated in double from an algebraic form without
 * cancellation and rounded once to fp32 (so within 1 ulp of the exact value).
 * RoPE: angles and their cos/sin in double, rounded once to fp32; the
 * rotation itself in fp32 with a fixed order (see gd_rope).
 * Details and bounds: docs/golden-kernels.md. */
#include <math.h>

#include "golden/kernels.h"

/* y = ((x - mean) * rstd) * gamma + beta, rstd = 1 / sqrtf(var + eps),
 * var the population variance (ONNX LayerNormalization / torch). gamma or
 * beta may be NULL (1 and 0). */
void gd_layernorm(int rows, int n, const float *x, const float *gamma, const float *beta, float eps,
                  float *y)
{
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * n;
        float *yr = y + (size_t)r * n;
        float sum = 0.0f;
        for (int j = 0; j < n; j++)
            sum += xr[j];
        float mean = sum / (float)n;
        float sq = 0.0f;
        for (int j = 0; j < n; j++) {
            float c = xr[j] - mean;
            sq += c * c;
        }
        float var = sq / (float)n;
        float rstd = 1.0f / sqrtf(var + eps);
        for (int j = 0; j < n; j++) {
            float v = (xr[j] - mean) * rstd;
            if (gamma)
                v = v * gamma[j];
            if (beta)
                v = v + beta[j];
            yr[j] = v;
        }
    }
}

/* y = (x * rstd) * gamma, rstd = 1 / sqrtf(mean(x^2) + eps) (HF Llama order:
 * normalise, then weight). gamma may be NULL (1). */
void gd_rmsnorm(int rows, int n, const float *x, const float *gamma, float eps, float *y)
{
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * n;
        float *yr = y + (size_t)r * n;
        float sq = 0.0f;
        for (int j = 0; j < n; j++)
            sq += xr[j] * xr[j];
        float rstd = 1.0f / sqrtf(sq / (float)n + eps);
        for (int j = 0; j < n; j++) {
            float v = xr[j] * rstd;
            yr[j] = gamma ? v * gamma[j] : v;
        }
    }
}

/* 0.5 x (1 + erf(x/sqrt2)) written as 0.5 x erfc(-x/sqrt2): no cancellation
 * for negative x. */
float gd_gelu_erf(float x)
{
    double xd = x;
    return (float)(0.5 * xd * erfc(-xd * 0.70710678118654752440));
}

/* 0.5 x (1 + tanh(w)), w = sqrt(2/pi) (x + 0.044715 x^3), written as
 * x / (1 + exp(-2w)) (the same value: 1 + tanh w = 2 / (1 + e^-2w)). */
float gd_gelu_tanh(float x)
{
    double xd = x;
    double w = 0.79788456080286535588 * (xd + 0.044715 * xd * xd * xd);
    return (float)(xd / (1.0 + exp(-2.0 * w)));
}

/* gd_gelu_tanh over an array, 16 values at a time with AVX-512 where the
 * CPU has it: the same double formula with its own exp (2^n scalef times a
 * degree-13 Taylor polynomial on |r| <= ln2/2, truncation < 1e-17), so each
 * value is within 1 ulp of the exact GELU like the scalar's, and the two give
 * the same bits unless the double result lies within ~1e-15 of an fp32
 * rounding boundary.  A block holding |x| > 20 (where exp(-2w) could
 * over/underflow) or a NaN takes the scalar path. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

__attribute__((target("avx512f,avx512dq"))) static __m512d gelu_tanh_pd(__m512d x)
{
    const __m512d k = _mm512_set1_pd(0.79788456080286535588), c = _mm512_set1_pd(0.044715);
    __m512d w = _mm512_mul_pd(k, _mm512_add_pd(x, _mm512_mul_pd(_mm512_mul_pd(c, x), _mm512_mul_pd(x, x))));
    __m512d z = _mm512_mul_pd(_mm512_set1_pd(-2.0), w);
    /* exp(z) = 2^n exp(r), r = z - n ln2 (ln2 in two parts, exact n*ln2_hi) */
    __m512d n = _mm512_roundscale_pd(_mm512_mul_pd(z, _mm512_set1_pd(1.4426950408889634074)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512d r = _mm512_fnmadd_pd(n, _mm512_set1_pd(6.93147180369123816490e-01), z);
    r = _mm512_fnmadd_pd(n, _mm512_set1_pd(1.90821492927058770002e-10), r);
    static const double inv_fact[14] = {1.0,
                                        1.0,
                                        1.0 / 2,
                                        1.0 / 6,
                                        1.0 / 24,
                                        1.0 / 120,
                                        1.0 / 720,
                                        1.0 / 5040,
                                        1.0 / 40320,
                                        1.0 / 362880,
                                        1.0 / 3628800,
                                        1.0 / 39916800,
                                        1.0 / 479001600,
                                        1.0 / 6227020800.0};
    __m512d p = _mm512_set1_pd(inv_fact[13]);
    for (int i = 12; i >= 0; i--)
        p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(inv_fact[i]));
    __m512d e = _mm512_scalef_pd(p, n);
    return _mm512_div_pd(x, _mm512_add_pd(_mm512_set1_pd(1.0), e));
}

__attribute__((target("avx512f,avx512dq"))) static size_t gelu_tanh_avx512(size_t n, const float *x, float *y)
{
    size_t i = 0;
    const __m512 lim = _mm512_set1_ps(20.0f);
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        /* |x| <= 20 is false for NaN too */
        if (_mm512_cmp_ps_mask(_mm512_abs_ps(v), lim, _CMP_LE_OQ) != 0xffff) {
            for (size_t j = i; j < i + 16; j++)
                y[j] = gd_gelu_tanh(x[j]);
            continue;
        }
        __m256 lo = _mm512_cvtpd_ps(gelu_tanh_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(v))));
        __m256 hi = _mm512_cvtpd_ps(gelu_tanh_pd(_mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1))));
        _mm512_storeu_ps(y + i, _mm512_insertf32x8(_mm512_castps256_ps512(lo), hi, 1));
    }
    return i;
}
#endif

void gd_gelu_tanh_rows(size_t n, const float *x, float *y)
{
    size_t i = 0;
#if defined(__x86_64__) && defined(__GNUC__)
    static int avx512 = -1;
    if (avx512 < 0) {
        __builtin_cpu_init();
        avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
    }
    if (avx512)
        i = gelu_tanh_avx512(n, x, y);
#endif
    for (; i < n; i++)
        y[i] = gd_gelu_tanh(x[i]);
}

float gd_silu(float x)
{
    double xd = x;
    return (float)(xd / (1.0 + exp(-xd)));
}

/* Rotates pair i of every head of every token by pos[t] * inv_freq:
 * c = (float)cos(angle), s = (float)sin(angle), the angle in double.  The pair
 * (a, b) is (x[i], x[i + head_dim/2]) for neox (rotate-half), (x[2i], x[2i+1])
 * otherwise, and becomes a' = a*c - b*s, b' = a*s + b*c in fp32: two rounded
 * products, then one rounded subtraction/addition (no fused multiply-add). */
static void rope_pair(float *x, int n_tok, int n_heads, int head_dim, const int *pos, int i, double inv_freq,
                      int neox)
{
    int half = head_dim / 2;
    int ia = neox ? i : 2 * i, ib = neox ? i + half : 2 * i + 1;
    for (int t = 0; t < n_tok; t++) {
        double ang = (double)pos[t] * inv_freq;
        float c = (float)cos(ang), s = (float)sin(ang);
        for (int h = 0; h < n_heads; h++) {
            float *xh = x + ((size_t)t * n_heads + h) * head_dim;
            float a = xh[ia], b = xh[ib];
            float ac = a * c, bs = b * s, as = a * s, bc = b * c;
            xh[ia] = ac - bs;
            xh[ib] = as + bc;
        }
    }
}

/* inv_freq_i = theta^(-2i/head_dim), in double. */
void gd_rope(float *x, int n_tok, int n_heads, int head_dim, const int *pos, float theta, int neox)
{
    for (int i = 0; i < head_dim / 2; i++)
        rope_pair(x, n_tok, n_heads, head_dim, pos, i, pow((double)theta, -2.0 * i / head_dim), neox);
}

void gd_rope_freq(float *x, int n_tok, int n_heads, int head_dim, const int *pos, const double *inv_freq, int neox)
{
    for (int i = 0; i < head_dim / 2; i++)
        rope_pair(x, n_tok, n_heads, head_dim, pos, i, inv_freq[i], neox);
}
