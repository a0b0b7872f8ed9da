/* golden softmax: 3-pass, two-pass (Dukhan & Ablavatski) and online
 * (Milakov & Gimelshein) against an exact double reference, against each
 * other, and on adversarial rows (huge logits, -inf, +inf, NaN, all equal,
 * one-hot, fully masked).
 *
 * Tolerances (u = 2^-24, the fp32 unit roundoff; m = row max; all worst-case
 * bounds from the operation counts in golden/softmax.c, derived in
 * docs/golden-kernels.md):
 *   3-pass : |y - y*| <= (|x_i - m| + n + 3) u y*   exp argument x_i - m rounded
 *            (relative u|x_i-m| in exp), exp 1 ulp, n-1 additions, 1 division;
 *   2-pass : |y - y*| <= (n + 3) u y*               exact scaling by 2^k, mantissa
 *            rounded once, n-1 additions, 1 division;
 *   online : |y - y*| <= (|x_i - m| + (m - x_0) + 3n + 4) u y*   as 3-pass plus up
 *            to n rescales exp(m_old - m_new), whose rounded arguments add
 *            u (m - x_0) in total (x_0 the first finite entry);
 *   plus FLT_MIN absolute everywhere, for outputs in the subnormal range.
 * Between two algorithms the bound is the sum of their two bounds. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/rng.h"
#include "golden/kernels.h"

#define U 0x1p-24

typedef void (*softmax_fn)(int, int, const float *, float *);
static const softmax_fn ALGOS[3] = {gd_softmax_3pass, gd_softmax_2pass, gd_softmax_online};
static const char *NAMES[3] = {"3pass", "2pass", "online"};

/* Exact softmax in double (inputs are exact in double; the sum of at most a
 * few thousand terms in double is ~1e-13 relative, far below fp32's u). */
static void ref_softmax(int n, const float *x, double *y)
{
    double m = -INFINITY;
    for (int j = 0; j < n; j++)
        if (x[j] > m)
            m = x[j];
    double s = 0;
    for (int j = 0; j < n; j++)
        s += x[j] == -INFINITY ? 0.0 : exp((double)x[j] - m);
    for (int j = 0; j < n; j++)
        y[j] = x[j] == -INFINITY ? 0.0 : exp((double)x[j] - m) / s;
}

/* Per-element relative bound (in units of u) of algorithm a, as stated above;
 * m the row max, x0 the first finite entry. */
static double bound_u(int a, int n, double m, double x0, float xi)
{
    double dx = fabs((double)xi - m);
    if (a == 0)
        return dx + n + 3;
    if (a == 1)
        return n + 3;
    return dx + (m - x0) + 3.0 * n + 4;
}

static double worst_ratio[3]; /* largest err / tol seen, per algorithm */
static double worst_top[3];   /* largest relative error (in u) where y* >= max y* / e */

static double check_row(int n, const float *x)
{
    double *ref = malloc(sizeof(double) * n);
    float *y[3];
    ref_softmax(n, x, ref);
    for (int a = 0; a < 3; a++) {
        y[a] = malloc(sizeof(float) * n);
        ALGOS[a](1, n, x, y[a]);
    }
    double worst = 0, top = 0, m = -INFINITY, x0 = NAN;
    for (int i = 0; i < n; i++) {
        if (ref[i] > top)
            top = ref[i];
        if (x[i] > m)
            m = x[i];
        if (isnan(x0) && x[i] != -INFINITY)
            x0 = x[i];
    }
    for (int i = 0; i < n; i++) {
        for (int a = 0; a < 3; a++) {
            double err = fabs(y[a][i] - ref[i]);
            double tol = ref[i] == 0 ? FLT_MIN : bound_u(a, n, m, x0, x[i]) * U * ref[i] + FLT_MIN;
            if (!(err <= tol)) {
                print_error("%s n=%d i=%d x=%.9g y=%.9g ref=%.17g err=%.3g tol=%.3g\n", NAMES[a], n, i,
                            (double)x[i], (double)y[a][i], ref[i], err, tol);
                fail();
            }
            if (ref[i] >= top / M_E && err / (ref[i] * U) > worst_top[a])
                worst_top[a] = err / (ref[i] * U);
            if (err / tol > worst_ratio[a])
                worst_ratio[a] = err / tol;
            if (ref[i] > FLT_MIN && err / (ref[i] * U) > worst)
                worst = err / (ref[i] * U);
            for (int b = a + 1; b < 3; b++) {
                double d = fabs((double)y[a][i] - y[b][i]);
                double both = bound_u(a, n, m, x0, x[i]) + bound_u(b, n, m, x0, x[i]);
                double tab = ref[i] == 0 ? 2 * FLT_MIN : both * U * ref[i] + 2 * FLT_MIN;
                assert_true(d <= tab);
            }
        }
    }
    for (int a = 0; a < 3; a++)
        free(y[a]);
    free(ref);
    return worst;
}

static void test_onnx_vectors(void **state)
{
    (void)state;
    /* ONNX backend test "softmax_large_number" (reference golden.md, App. 0):
     * the shifted row must give the same probabilities. */
    const float x[8] = {0, 1, 2, 3, 10000, 10001, 10002, 10003};
    const double want[4] = {0.0320586, 0.08714432, 0.2368828, 0.6439143};
    for (int a = 0; a < 3; a++) {
        float y[8];
        ALGOS[a](2, 4, x, y);
        for (int i = 0; i < 8; i++)
            assert_true(fabs(y[i] - want[i % 4]) <= 1e-6); /* 7 printed digits */
    }
}

static void test_random_rows(void **state)
{
    (void)state;
    es_rng r;
    es_rng_seed(&r, 2024);
    static const int sizes[] = {1, 2, 7, 64, 333, 1000, 4096};
    static const float spreads[] = {1.0f, 10.0f, 100.0f};
    double worst = 0;
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        for (size_t sp = 0; sp < 3; sp++) {
            for (int rep = 0; rep < 3; rep++) {
                int n = sizes[si];
                float *x = malloc(sizeof(float) * n);
                float shift = rep == 2 ? 1e4f : 0.0f; /* large common offset */
                for (int j = 0; j < n; j++)
                    x[j] = shift + es_rng_uniform(&r, -spreads[sp], spreads[sp]);
                if (rep == 1) /* sprinkle masked entries, keep one finite */
                    for (int j = 1; j < n; j += 3)
                        x[j] = -INFINITY;
                double w = check_row(n, x);
                if (w > worst)
                    worst = w;
                free(x);
            }
        }
    }
    print_message("softmax random rows: worst error vs exact %.2f u (relative); largest err/bound: "
                  "3pass %.3f, 2pass %.3f, online %.3f\n",
                  worst, worst_ratio[0], worst_ratio[1], worst_ratio[2]);
    print_message("softmax random rows: worst relative error where y* >= max/e: 3pass %.2f u, 2pass %.2f u, "
                  "online %.2f u\n",
                  worst_top[0], worst_top[1], worst_top[2]);
}

/* Exact expectations: the algorithms in `which` (bit a = ALGOS[a]) must
 * produce exactly these bits. */
static void expect_exact_in(unsigned which, int n, const float *x, const float *want)
{
    for (int a = 0; a < 3; a++) {
        if (!(which >> a & 1))
            continue;
        float *y = malloc(sizeof(float) * n);
        ALGOS[a](1, n, x, y);
        for (int i = 0; i < n; i++) {
            if (isnan(want[i])) {
                assert_true(isnan(y[i]));
                continue;
            }
            if (memcmp(&y[i], &want[i], sizeof(float)) != 0) {
                print_error("%s i=%d got %.9g want %.9g\n", NAMES[a], i, (double)y[i], (double)want[i]);
                fail();
            }
        }
        free(y);
    }
}

static void expect_exact(int n, const float *x, const float *want)
{
    expect_exact_in(7, n, x, want);
}

static void test_adversarial(void **state)
{
    (void)state;
    const float inf = INFINITY;
    /* huge logits: no overflow, exact shares */
    expect_exact(4, (const float[]){1e30f, 1e30f, 0, -1e30f}, (const float[]){0.5f, 0.5f, 0, 0});
    expect_exact(3, (const float[]){FLT_MAX, -FLT_MAX, FLT_MAX}, (const float[]){0.5f, 0, 0.5f});
    expect_exact(2, (const float[]){FLT_MAX, nextafterf(FLT_MAX, 0)}, (const float[]){1, 0});
    expect_exact(3, (const float[]){-FLT_MAX, -FLT_MAX, -inf}, (const float[]){0.5f, 0.5f, 0});
    /* one-hot and masking */
    expect_exact(4, (const float[]){-inf, 3.5f, -inf, -inf}, (const float[]){0, 1, 0, 0});
    expect_exact(3, (const float[]){0, -200.0f, -inf}, (const float[]){1, 0, 0});
    /* fully masked rows give +0, never NaN */
    expect_exact(5, (const float[]){-inf, -inf, -inf, -inf, -inf}, (const float[]){0, 0, 0, 0, 0});
    /* +inf: the limit; NaN propagates to the whole row */
    expect_exact(3, (const float[]){inf, 0, inf}, (const float[]){0.5f, 0, 0.5f});
    expect_exact(3, (const float[]){1, NAN, 2}, (const float[]){NAN, NAN, NAN});
    /* all equal: exactly fl(1/n) for 3-pass and online (each term is
     * exp(0) = 1, the sum n is exact).  Two-pass sums n copies of the
     * mantissa 2^t, which is exact only when t = 0 (here: 0, 1e30 and
     * +-FLT_MAX, whose pairs are (1, k)); otherwise it is held to its bound. */
    static const float vals[] = {0, -3.7f, 88.5f, 1e30f, FLT_MAX, -FLT_MAX};
    static const int ns[] = {1, 3, 1000};
    for (size_t v = 0; v < sizeof vals / sizeof *vals; v++) {
        for (size_t k = 0; k < 3; k++) {
            int n = ns[k];
            float *x = malloc(sizeof(float) * n), *w = malloc(sizeof(float) * n);
            for (int j = 0; j < n; j++) {
                x[j] = vals[v];
                w[j] = 1.0f / (float)n;
            }
            int t_zero = vals[v] == 0 || fabsf(vals[v]) >= 1e30f;
            expect_exact_in(t_zero ? 7 : 5, n, x, w);
            check_row(n, x);
            free(x);
            free(w);
        }
    }
    /* wide dynamic range: outputs reach the subnormal range */
    float wide[6] = {0, -80, -95, -103, -120, 5};
    check_row(6, wide);
    float desc[5] = {50, 20, -10, -40, -60}; /* max first: online never rescales */
    check_row(5, desc);
    float asc[5] = {-60, -40, -10, 20, 50}; /* max last: rescales at every step */
    check_row(5, asc);
}

static void test_multirow_and_inplace(void **state)
{
    (void)state;
    es_rng r;
    es_rng_seed(&r, 7);
    enum { R = 5, N = 37 };
    float x[R * N], y[R * N], z[R * N];
    for (int i = 0; i < R * N; i++)
        x[i] = es_rng_uniform(&r, -20, 20);
    for (int j = 0; j < N; j++)
        x[2 * N + j] = -INFINITY; /* a fully masked row among others */
    for (int a = 0; a < 3; a++) {
        ALGOS[a](R, N, x, y);
        for (int row = 0; row < R; row++) { /* rows are independent */
            ALGOS[a](1, N, x + row * N, z);
            assert_memory_equal(z, y + row * N, sizeof(float) * N);
        }
        memcpy(z, x, sizeof z); /* y == x allowed */
        ALGOS[a](R, N, z, z);
        assert_memory_equal(z, y, sizeof z);
        for (int j = 0; j < N; j++)
            assert_true(y[2 * N + j] == 0.0f && !signbit(y[2 * N + j]));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_onnx_vectors),
        cmocka_unit_test(test_random_rows),
        cmocka_unit_test(test_adversarial),
        cmocka_unit_test(test_multirow_and_inplace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
