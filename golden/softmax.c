/* golden/softmax.c: row softmax three ways (3-pass, Dukhan & Ablavatski's
 * two-pass, Milakov & Gimelshein's online normaliser).
 *
 * Shared rules, so the three differ only where their algorithms differ:
 * - every reduction runs over j = 0..n-1 in increasing order with one fp32
 *   accumulator; the final step is one correctly rounded division e_j / sum
 *   (not a multiply by a rounded reciprocal);
 * - -INFINITY contributes exactly nothing; a row of only -INFINITY (fully
 *   masked) gives +0.0 everywhere;
 * - a row holding +INFINITY gives the limit: the mass is shared equally by the
 *   +INFINITY entries, every other entry is 0;
 * - a row holding a NaN gives NaN everywhere.
 * Error bounds between the three: docs/golden-kernels.md. */
#include <math.h>
#include <stdint.h>

#include "golden/kernels.h"

/* Exceptional rows (NaN or +inf present) are rare: handled by one shared
 * extra pass so the three algorithms give identical bits for them. */
static void special_row(int n, const float *x, float *y)
{
    int nan = 0, ninf = 0;
    for (int j = 0; j < n; j++) {
        if (isnan(x[j]))
            nan = 1;
        else if (x[j] == INFINITY)
            ninf++;
    }
    float share = nan ? NAN : 1.0f / (float)ninf;
    for (int j = 0; j < n; j++)
        y[j] = nan ? NAN : (x[j] == INFINITY ? share : 0.0f);
}

static void zero_row(int n, float *y)
{
    for (int j = 0; j < n; j++)
        y[j] = 0.0f;
}

/* ---- 3-pass: max, then e_j = exp(x_j - max) stored in y and summed, then
 * y_j = e_j / sum ("reload" variant: x is read twice, y read once). */
void gd_softmax_3pass(int rows, int n, const float *x, float *y)
{
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * n;
        float *yr = y + (size_t)r * n;
        float m = -INFINITY;
        int special = 0;
        for (int j = 0; j < n; j++) {
            if (xr[j] > m)
                m = xr[j];
            special |= isnan(xr[j]);
        }
        if (special || m == INFINITY) {
            special_row(n, xr, yr);
            continue;
        }
        if (m == -INFINITY) {
            zero_row(n, yr);
            continue;
        }
        float sum = 0.0f;
        for (int j = 0; j < n; j++) {
            float e = expf(xr[j] - m); /* -inf - m = -inf -> 0 */
            yr[j] = e;
            sum += e;
        }
        for (int j = 0; j < n; j++)
            yr[j] = yr[j] / sum;
    }
}

/* ---- two-pass (Dukhan & Ablavatski 2020, arXiv 2001.04438) -------------
 * e^x is carried as (m, k) with e^x = m * 2^k, k an integer held in a double
 * (range far beyond fp32's, so no max pass is needed and nothing overflows).
 * Reduction: z = x*log2(e) evaluated to ~2^-100 relative with an exact
 * two-product (fma) and a split constant, k = rint(z), m = 2^(z-k) rounded
 * once to fp32, so m lies in [0.707, 1.415].  (The paper evaluates 2^t with a
 * polynomial; the golden path uses libm exp2 in double, rounded once.)
 * For |z| >= 2^52 the residual z-k is no longer representable next to k; there
 * m = 1, k = z: neighbouring fp32 inputs are then >= 2^28 apart, so every
 * entry other than exact ties of the maximum underflows to 0 in any case, and
 * ties get identical pairs. */
#define LOG2E_HI 1.4426950408889634     /* log2(e) rounded to double */
#define LOG2E_LO 2.0355273740931033e-17 /* log2(e) - LOG2E_HI */

typedef struct mexp {
    float m;
    double k;
} mexp;

static mexp to_mexp(float x)
{
    mexp p;
    if (x == -INFINITY) {
        p.m = 0.0f;
        p.k = -INFINITY;
        return p;
    }
    double xd = x;
    double zh = xd * LOG2E_HI;
    double zl = fma(xd, LOG2E_HI, -zh) + xd * LOG2E_LO; /* x*LOG2E_HI - zh is exact */
    if (fabs(zh) >= 4503599627370496.0) { /* 2^52 */
        p.m = 1.0f;
        p.k = zh;
        return p;
    }
    double k = rint(zh);
    double t = (zh - k) + zl; /* zh - k is exact (Sterbenz) */
    p.m = (float)exp2(t);
    p.k = k;
    return p;
}

/* m * 2^d for d <= 0 a whole number (or -inf): exact unless the result is
 * subnormal. */
static float scale2(float m, double d)
{
    if (d < -300.0)
        return 0.0f;
    return ldexpf(m, (int)d);
}

void gd_softmax_2pass(int rows, int n, const float *x, float *y)
{
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * n;
        float *yr = y + (size_t)r * n;
        /* pass 1: running (m_sum, k_sum); start m_sum = 0, k_sum = -inf */
        float msum = 0.0f;
        double ksum = -INFINITY;
        int special = 0;
        for (int j = 0; j < n; j++) {
            if (isnan(xr[j]) || xr[j] == INFINITY) {
                special = 1;
                break;
            }
            mexp p = to_mexp(xr[j]);
            if (p.k == -INFINITY)
                continue;
            double kmax = p.k > ksum ? p.k : ksum;
            msum = scale2(msum, ksum - kmax) + scale2(p.m, p.k - kmax);
            ksum = kmax;
        }
        if (special) {
            special_row(n, xr, yr);
            continue;
        }
        if (ksum == -INFINITY) {
            zero_row(n, yr);
            continue;
        }
        /* pass 2: recompute the pairs; y = (m / m_sum) * 2^(k - k_sum) */
        for (int j = 0; j < n; j++) {
            mexp p = to_mexp(xr[j]);
            yr[j] = p.k == -INFINITY ? 0.0f : scale2(p.m / msum, p.k - ksum);
        }
    }
}

/* ---- online normaliser (Milakov & Gimelshein 2018, arXiv 1805.02867) ----
 * One pass for (max, d): d = d*exp(m_old - m_new) + exp(x - m_new), the
 * rescale only when the max changes; then y_j = exp(x_j - max) / d. */
void gd_softmax_online(int rows, int n, const float *x, float *y)
{
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * n;
        float *yr = y + (size_t)r * n;
        float m = -INFINITY, d = 0.0f;
        int special = 0;
        for (int j = 0; j < n; j++) {
            float v = xr[j];
            if (isnan(v) || v == INFINITY) {
                special = 1;
                break;
            }
            if (v == -INFINITY)
                continue;
            if (v > m) {
                d = d * expf(m - v); /* first finite entry: 0 * exp(-inf) = 0 */
                m = v;
            }
            d += expf(v - m);
        }
        if (special) {
            special_row(n, xr, yr);
            continue;
        }
        if (m == -INFINITY) {
            zero_row(n, yr);
            continue;
        }
        for (int j = 0; j < n; j++)
            yr[j] = expf(xr[j] - m) / d;
    }
}
