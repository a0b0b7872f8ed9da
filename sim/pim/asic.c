/* sim/pim/asic.c: the vector ASIC of a PIM system (pim.h): the arithmetic
 * its units perform (PIM-GPT: exp and GELU by Taylor series, division by a
 * Newton-Raphson reciprocal, the fast inverse square root for LayerNorm)
 * and its timing per op.  The bank MAC unit's step is here too (the one
 * piece of arithmetic inside the DRAM). */
#include <math.h>
#include <string.h>

#include "sim/pim/pim.h"

static float bits_to_f(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint32_t f_to_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

float pim_mac_column(float acc, const uint16_t *row, const uint16_t *gb, int lanes)
{
    /* BF16 x BF16 is exact in fp32 (8-bit significands); the adder tree
     * sums neighbours pairwise, level by level */
    float p[64];
    int n = lanes < 64 ? lanes : 64;
    for (int i = 0; i < n; i++)
        p[i] = bits_to_f((uint32_t)row[i] << 16) * bits_to_f((uint32_t)gb[i] << 16);
    for (int w = n; w > 1;) {
        int h = w / 2;
        for (int i = 0; i < h; i++)
            p[i] = p[2 * i] + p[2 * i + 1];
        if (w & 1)
            p[h] = p[w - 1];
        w = h + (w & 1);
    }
    return acc + (n ? p[0] : 0.0f);
}

float pim_asic_exp(float x, int terms)
{
    if (x < -87.0f)
        return 0.0f;
    if (x > 88.0f)
        return INFINITY;
    /* x = k ln2 + r, |r| <= ln2/2; e^r by its Taylor series (Horner) */
    float k = rintf(x * 1.44269504f);
    float r = x - k * 0.693147181f;
    float s = 1.0f;
    for (int i = terms; i >= 1; i--)
        s = 1.0f + s * r / (float)i;
    return ldexpf(s, (int)k);
}

float pim_asic_recip(float x, int iters)
{
    /* initial guess from the exponent (magic constant), then y <- y(2 - xy) */
    float a = fabsf(x);
    float y = bits_to_f(0x7EF311C7u - f_to_bits(a));
    for (int i = 0; i < iters; i++)
        y = y * (2.0f - a * y);
    return x < 0 ? -y : y;
}

float pim_asic_rsqrt(float x, int iters)
{
    float y = bits_to_f(0x5F3759DFu - (f_to_bits(x) >> 1));
    for (int i = 0; i < iters; i++)
        y = y * (1.5f - 0.5f * x * y * y);
    return y;
}

float pim_asic_gelu_tanh(float x, int terms, int iters)
{
    /* 0.5 x (1 + tanh(u)), tanh(u) = 1 - 2 / (e^{2u} + 1) */
    float u = 0.7978845608f * (x + 0.044715f * x * x * x);
    float t;
    if (u > 20.0f)
        t = 1.0f;
    else if (u < -20.0f)
        t = -1.0f;
    else
        t = 1.0f - 2.0f * pim_asic_recip(pim_asic_exp(2.0f * u, terms) + 1.0f, iters);
    return 0.5f * x * (1.0f + t);
}

void pim_asic_softmax(const pim_asic *A, int n, const float *x, float *y)
{
    float mx = -INFINITY;
    for (int i = 0; i < n; i++)
        mx = x[i] > mx ? x[i] : mx;
    float s = 0.0f;
    for (int i = 0; i < n; i++)
        s += (y[i] = pim_asic_exp(x[i] - mx, A->exp_terms));
    float r = pim_asic_recip(s, A->recip_iters);
    for (int i = 0; i < n; i++)
        y[i] *= r;
}

void pim_asic_layernorm(const pim_asic *A, int n, const float *x, const float *g, const float *b, float eps,
                        float *y)
{
    float mean = 0.0f, var = 0.0f;
    for (int i = 0; i < n; i++)
        mean += x[i];
    mean *= pim_asic_recip((float)n, A->recip_iters);
    for (int i = 0; i < n; i++)
        var += (x[i] - mean) * (x[i] - mean);
    var *= pim_asic_recip((float)n, A->recip_iters);
    float r = pim_asic_rsqrt(var + eps, A->rsqrt_iters);
    for (int i = 0; i < n; i++)
        y[i] = (x[i] - mean) * r * (g ? g[i] : 1.0f) + (b ? b[i] : 0.0f);
}

const char *pim_asic_op_name(pim_asic_op op)
{
    static const char *const n[] = {"layernorm", "softmax", "gelu", "residual", "reduce", "attend"};
    return op >= 0 && op < PIM_ASIC_NOPS ? n[op] : "?";
}

/* Lane ops per element, counted from the kernels above:
 *   layernorm: sum, sub + square-sum, normalize (sub, mul), affine fma = 5
 *   exp:       scale + round + fma (range reduction) + 2 per Taylor term
 *   softmax:   max, sub, exp, sum, mul = 4 + exp
 *   gelu:      cube + fma (u), exp(2u), add, NR reciprocal (2 per step),
 *              fma, mul, mul = 6 + exp + 2 x recip_iters
 *   residual, reduce (partial sums), attend (MACs): 1 */
double pim_asic_ops_per_elem(const pim_asic *A, pim_asic_op op)
{
    double ex = 3.0 + 2.0 * A->exp_terms;
    switch (op) {
    case PIM_ASIC_LAYERNORM: return 5;
    case PIM_ASIC_SOFTMAX: return 4 + ex;
    case PIM_ASIC_GELU: return 6 + ex + 2.0 * A->recip_iters;
    default: return 1;
    }
}

/* Lane reductions (max, sums) per op: each costs log2(lanes) cycles. */
static int reductions(pim_asic_op op)
{
    return op == PIM_ASIC_LAYERNORM || op == PIM_ASIC_SOFTMAX ? 2 : 0;
}

int64_t pim_asic_cycles(const pim_asic *A, pim_asic_op op, int64_t n)
{
    if (n <= 0)
        return 0;
    double ops = (double)n * pim_asic_ops_per_elem(A, op);
    int64_t c = (int64_t)ceil(ops / A->lanes);
    int lg = 0;
    while ((1 << lg) < A->lanes)
        lg++;
    return c + (int64_t)reductions(op) * lg + A->latency;
}
