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
