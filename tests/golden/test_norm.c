/* golden norms and activations: layernorm, rmsnorm, GELU (erf, tanh), SiLU
 * against closed forms in long double; RoPE against the direct cos/sin
 * formula and its two properties (rotation keeps each pair's norm; q.k
 * depends only on the relative position).  u = 2^-24 below; every bound is
 * justified where it is used. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/rng.h"
#include "golden/kernels.h"

#define U 0x1p-24

static void test_layernorm(void **state)
{
    (void)state;
    es_rng r;
    es_rng_seed(&r, 11);
    static const int ns[] = {1, 5, 64, 768};
    for (size_t k = 0; k < sizeof ns / sizeof *ns; k++) {
        int n = ns[k], rows = 3;
        float *x = malloc(sizeof(float) * rows * n), *y = malloc(sizeof(float) * rows * n);
        float *g = malloc(sizeof(float) * n), *b = malloc(sizeof(float) * n);
        for (int i = 0; i < rows * n; i++)
            x[i] = (float)(3.0 + 2.0 * es_rng_normal(&r)); /* non-zero mean on purpose */
        for (int j = 0; j < n; j++) {
            g[j] = es_rng_uniform(&r, 0.5f, 1.5f);
            b[j] = es_rng_uniform(&r, -1, 1);
        }
        const float eps = 1e-5f;
        gd_layernorm(rows, n, x, g, b, eps, y);
        for (int row = 0; row < rows; row++) {
            const float *xr = x + row * n;
            long double mu = 0, var = 0, a = 0;
            for (int j = 0; j < n; j++) {
                mu += xr[j];
                a += fabsl((long double)xr[j]);
            }
            mu /= n;
            a /= n;
            for (int j = 0; j < n; j++)
                var += (xr[j] - mu) * (xr[j] - mu);
            var /= n;
            long double rs = 1.0L / sqrtl(var + eps);
            for (int j = 0; j < n; j++) {
                long double z = (xr[j] - mu) * rs, want = z * g[j] + b[j];
                /* The fp32 mean is off by <= n u mean|x| (sequential sum) and
                 * enters z times rstd; var and rstd carry <= (n + 8) u
                 * relative error, which enters as that times |z|; the final
                 * multiply and add round twice (2u on |z g| + |b|). */
                long double tol = (n + 8) * U * (a * rs + fabsl(z)) * fabsf(g[j]) +
                                  2 * U * (fabsl(z * g[j]) + fabsf(b[j]));
                assert_true(fabsl(y[row * n + j] - want) <= tol);
            }
        }
        /* NULL gamma/beta mean 1 and 0; y may equal x */
        float *y2 = malloc(sizeof(float) * rows * n), *ones = malloc(sizeof(float) * n),
              *zeros = calloc(n, sizeof(float));
        for (int j = 0; j < n; j++)
            ones[j] = 1;
        gd_layernorm(rows, n, x, ones, zeros, eps, y);
        memcpy(y2, x, sizeof(float) * rows * n);
        gd_layernorm(rows, n, y2, NULL, NULL, eps, y2);
        assert_memory_equal(y, y2, sizeof(float) * rows * n);
        free(y2);
        free(ones);
        free(zeros);
        free(x);
        free(y);
        free(g);
        free(b);
    }
    /* ONNX semantics (golden.md App. 0): eps inside the sqrt, population
     * variance: [1, 2, 3] -> (x - 2) / sqrt(2/3 + eps). */
    float x3[3] = {1, 2, 3}, y3[3];
    float x2[2] = {1, 3}, y2[2]; /* mean 2, var 1, + eps 3: rstd exactly 0.5 */
    gd_layernorm(1, 2, x2, NULL, NULL, 3.0f, y2);
    assert_true(y2[0] == -0.5f && y2[1] == 0.5f);
    gd_layernorm(1, 3, x3, NULL, NULL, 0.0f, y3);
    assert_true(fabs(y3[0] + 1.2247448713915890) <= 4 * U * 1.23);
    assert_true(y3[1] == 0.0f);
    assert_true(fabs(y3[2] - 1.2247448713915890) <= 4 * U * 1.23);
}

static void test_rmsnorm(void **state)
{
    (void)state;
    es_rng r;
    es_rng_seed(&r, 12);
    enum { N = 512 };
    float x[N], y[N], g[N];
    for (int j = 0; j < N; j++) {
        x[j] = (float)es_rng_normal(&r);
        g[j] = es_rng_uniform(&r, 0.5f, 1.5f);
    }
    const float eps = 1e-6f;
    gd_rmsnorm(1, N, x, g, eps, y);
    long double ms = 0;
    for (int j = 0; j < N; j++)
        ms += (long double)x[j] * x[j];
    long double rs = 1.0L / sqrtl(ms / N + eps);
    for (int j = 0; j < N; j++) {
        long double want = x[j] * rs * g[j];
        /* mean of squares: n additions + n squares, <= (n + 2) u; sqrt and the
         * reciprocal halve it and add 1.5 u; two multiplies: 1 u. */
        long double tol = ((N + 2) / 2.0 + 3) * U * fabsl(want) + FLT_MIN;
        assert_true(fabsl(y[j] - want) <= tol);
    }
    float y2[N];
    memcpy(y2, x, sizeof x);
    gd_rmsnorm(1, N, y2, g, eps, y2); /* in place */
    assert_memory_equal(y, y2, sizeof y);
    /* eps inside the sqrt, exact cases: mean(x^2) = 4, + eps 5 = 9 */
    float c[4] = {2, 2, 2, -2}, z[4];
    gd_rmsnorm(1, 4, c, NULL, 0.0f, z);
    assert_true(z[0] == 1.0f && z[3] == -1.0f);
    gd_rmsnorm(1, 4, c, NULL, 5.0f, z);
    assert_true(z[0] == 2.0f * (1.0f / 3.0f));
}

/* Closed forms in long double (64-bit mantissa), in the textbook form
 * 0.5 x (1 + erf(x/sqrt2)) where that has no cancellation (x > -3: 1 + erf
 * >= 0.0027) and via erfc below. */
static long double ref_gelu_erf(long double x)
{
    if (x > -3)
        return 0.5L * x * (1 + erfl(x / sqrtl(2)));
    return 0.5L * x * erfcl(-x / sqrtl(2));
}

static long double ref_gelu_tanh(long double x)
{
    long double w = sqrtl(2 / acosl(-1)) * (x + 0.044715L * x * x * x);
    if (x > -3)
        return 0.5L * x * (1 + tanhl(w));
    return x / (1 + expl(-2 * w));
}

static long double ref_silu(long double x)
{
    return x / (1 + expl(-x));
}

/* One fp32 ulp at the magnitude of v (the subnormal spacing below FLT_MIN). */
static long double ulp_of(long double v)
{
    float f = (float)fabsl(v);
    if (f >= FLT_MAX)
        return nextafterf(FLT_MAX, 0) - FLT_MAX;
    return (long double)nextafterf(f, INFINITY) - f;
}

static void test_activations(void **state)
{
    (void)state;
    /* Published values: GELU(x) = x Phi(x); Phi(1) = 0.841344746068542948... */
    assert_true(fabs(gd_gelu_erf(1.0f) - 0.8413447460685429) <= 0x1p-24);
    assert_true(fabs(gd_gelu_erf(-1.0f) + 0.15865525393145707) <= 0x1p-26);
    assert_true(fabs(gd_silu(1.0f) - 0.7310585786300049) <= 0x1p-24);
    /* Sweep: the kernels evaluate in double and round once, so within 1 ulp
     * of the exact value (0.5 from the final rounding, the double evaluation
     * adds < 1e-9 ulp of fp32). */
    es_rng r;
    es_rng_seed(&r, 13);
    for (int i = 0; i < 20000; i++) {
        float x;
        if (i < 10000)
            x = es_rng_uniform(&r, -12, 12);
        else
            x = (float)((es_rng_float(&r) < 0.5f ? -1 : 1) * exp(es_rng_uniform(&r, -20, 20)));
        long double e = ref_gelu_erf(x), t = ref_gelu_tanh(x), s = ref_silu(x);
        assert_true(fabsl(gd_gelu_erf(x) - e) <= ulp_of(e));
        assert_true(fabsl(gd_gelu_tanh(x) - t) <= ulp_of(t));
        assert_true(fabsl(gd_silu(x) - s) <= ulp_of(s));
    }
    /* The array form (AVX-512 where available): the same bound on the same
     * sweep, the extremes and NaN, in blocks of 16 and a tail. */
    enum { NX = 20003 };
    float *xs = malloc(NX * sizeof *xs), *ys = malloc(NX * sizeof *ys);
    es_rng_seed(&r, 13);
    for (int i = 0; i < NX; i++)
        xs[i] = i < 10000 ? es_rng_uniform(&r, -12, 12)
                          : (float)((es_rng_float(&r) < 0.5f ? -1 : 1) * exp(es_rng_uniform(&r, -20, 20)));
    xs[100] = FLT_MAX, xs[101] = -FLT_MAX, xs[102] = NAN, xs[103] = 19.99f, xs[104] = -19.99f, xs[NX - 1] = -3;
    gd_gelu_tanh_rows(NX, xs, ys);
    int differ = 0;
    for (int i = 0; i < NX; i++) {
        if (isnan(xs[i])) {
            assert_true(isnan(ys[i]));
            continue;
        }
        if (fabsf(xs[i]) == FLT_MAX) { /* the scalar's tails (checked below) */
            assert_true(ys[i] == gd_gelu_tanh(xs[i]));
            continue;
        }
        long double t = ref_gelu_tanh(xs[i]);
        if (!(fabsl(ys[i] - t) <= ulp_of(t)))
            fail_msg("gd_gelu_tanh_rows(%a) = %a, exact %La", xs[i], ys[i], t);
        differ += ys[i] != gd_gelu_tanh(xs[i]);
    }
    print_message("gd_gelu_tanh_rows vs gd_gelu_tanh: %d of %d differ in the last bit\n", differ, NX);
    gd_gelu_tanh_rows(NX, xs, xs); /* in place */
    assert_memory_equal(xs, ys, NX * sizeof *xs);
    free(xs), free(ys);
    /* Tails: no NaN/overflow at the extremes; identity on the right. */
    assert_true(gd_gelu_erf(FLT_MAX) == FLT_MAX && gd_gelu_tanh(FLT_MAX) == FLT_MAX);
    assert_true(gd_silu(FLT_MAX) == FLT_MAX);
    assert_true(gd_gelu_erf(-FLT_MAX) == 0 && gd_gelu_tanh(-FLT_MAX) == 0 && gd_silu(-FLT_MAX) == 0);
    assert_true(gd_gelu_erf(-10) < 0 && gd_gelu_erf(-10) > -1e-21); /* -7.6e-23, not 0 */
}

/* Direct formula: angle and cos/sin in long double, rotation exact. */
static void ref_rope_pair(long double a, long double b, int pos, int i, int d, float theta, long double *oa,
                          long double *ob)
{
    long double ang = pos * powl(theta, -2.0L * i / d);
    *oa = a * cosl(ang) - b * sinl(ang);
    *ob = a * sinl(ang) + b * cosl(ang);
}

static void test_rope_formula(void **state)
{
    (void)state;
    es_rng r;
    es_rng_seed(&r, 14);
    enum { T = 5, H = 3, D = 16 };
    const int pos[T] = {0, 1, 17, 1000, 65535};
    for (int neox = 0; neox <= 1; neox++) {
        float x[T * H * D], y[T * H * D];
        for (int i = 0; i < T * H * D; i++)
            x[i] = es_rng_uniform(&r, -2, 2);
        memcpy(y, x, sizeof x);
        gd_rope(y, T, H, D, pos, 10000.0f, neox);
        for (int t = 0; t < T; t++)
            for (int h = 0; h < H; h++)
                for (int i = 0; i < D / 2; i++) {
                    int base = (t * H + h) * D;
                    int ia = base + (neox ? i : 2 * i), ib = base + (neox ? i + D / 2 : 2 * i + 1);
                    long double wa, wb;
                    ref_rope_pair(x[ia], x[ib], pos[t], i, D, 10000.0f, &wa, &wb);
                    /* cos, sin rounded once to fp32 (u/2 each, plus the double
                     * angle's ~1e-16 * pos), two rounded products and a
                     * rounded sum: <= 2u (|a| + |b|). */
                    long double tol = 2 * U * (fabsf(x[ia]) + fabsf(x[ib]));
                    assert_true(fabsl(y[ia] - wa) <= tol);
                    assert_true(fabsl(y[ib] - wb) <= tol);
                }
        if (neox) { /* position 0 is the identity */
            assert_memory_equal(y, x, sizeof(float) * H * D);
        }
    }
}

static void test_rope_pairings_agree(void **state)
{
    (void)state;
    /* The two pairings do the same arithmetic on different slots: permuting
     * interleaved (2i, 2i+1) to rotate-half (i, i + d/2) gives equal bits. */
    es_rng r;
    es_rng_seed(&r, 15);
    enum { T = 4, H = 2, D = 8 };
    const int pos[T] = {3, 9, 100, 4097};
    float a[T * H * D], b[T * H * D];
    for (int i = 0; i < T * H * D; i++)
        a[i] = es_rng_uniform(&r, -1, 1);
    for (int v = 0; v < T * H; v++)
        for (int i = 0; i < D / 2; i++) {
            b[v * D + i] = a[v * D + 2 * i];
            b[v * D + i + D / 2] = a[v * D + 2 * i + 1];
        }
    gd_rope(a, T, H, D, pos, 10000.0f, 0);
    gd_rope(b, T, H, D, pos, 10000.0f, 1);
    for (int v = 0; v < T * H; v++)
        for (int i = 0; i < D / 2; i++) {
            assert_memory_equal(&b[v * D + i], &a[v * D + 2 * i], sizeof(float));
            assert_memory_equal(&b[v * D + i + D / 2], &a[v * D + 2 * i + 1], sizeof(float));
        }
}

static void test_rope_freq(void **state)
{
    (void)state;
    /* gd_rope_freq with theta^(-2i/d) is gd_rope; halving every frequency
     * and doubling every position gives the same angles exactly (powers of
     * two), hence the same bits. */
    es_rng r;
    es_rng_seed(&r, 17);
    enum { T = 3, H = 2, D = 12 };
    const int pos[T] = {1, 50, 3001}, pos2[T] = {2, 100, 6002};
    double f[D / 2], f2[D / 2];
    for (int i = 0; i < D / 2; i++) {
        f[i] = pow(500000.0, -2.0 * i / D);
        f2[i] = f[i] / 2;
    }
    for (int neox = 0; neox <= 1; neox++) {
        float a[T * H * D], b[T * H * D], c[T * H * D];
        for (int i = 0; i < T * H * D; i++)
            a[i] = b[i] = c[i] = es_rng_uniform(&r, -1, 1);
        gd_rope(a, T, H, D, pos, 500000.0f, neox);
        gd_rope_freq(b, T, H, D, pos, f, neox);
        gd_rope_freq(c, T, H, D, pos2, f2, neox);
        assert_memory_equal(a, b, sizeof a);
        assert_memory_equal(a, c, sizeof a);
    }
}

static void test_rope_properties(void **state)
{
    (void)state;
    es_rng r;
    es_rng_seed(&r, 16);
    enum { D = 64 };
    float q[D], k[D];
    for (int i = 0; i < D; i++) {
        q[i] = es_rng_uniform(&r, -1, 1);
        k[i] = es_rng_uniform(&r, -1, 1);
    }
    for (int neox = 0; neox <= 1; neox++) {
        long double dots[4];
        const int starts[4] = {0, 7, 300, 20000}, delta = 13;
        for (int s = 0; s < 4; s++) {
            float qr[D], kr[D];
            memcpy(qr, q, sizeof q);
            memcpy(kr, k, sizeof k);
            int pq = starts[s] + delta, pk = starts[s];
            gd_rope(qr, 1, 1, D, &pq, 10000.0f, neox);
            gd_rope(kr, 1, 1, D, &pk, 10000.0f, neox);
            /* Norm of every rotated pair: c^2 + s^2 = 1 within 2u after
             * rounding c and s; the products and sum add 2u: |r' - r| <= 4u r
             * (relative, on the norm squared: 8u). */
            long double bound_dot = 0;
            for (int i = 0; i < D / 2; i++) {
                int ia = neox ? i : 2 * i, ib = neox ? i + D / 2 : 2 * i + 1;
                long double n0 = (long double)q[ia] * q[ia] + (long double)q[ib] * q[ib];
                long double n1 = (long double)qr[ia] * qr[ia] + (long double)qr[ib] * qr[ib];
                assert_true(fabsl(n1 - n0) <= 8 * U * n0);
                bound_dot += (fabsf(q[ia]) + fabsf(q[ib])) * (fabsf(k[ia]) + fabsf(k[ib]));
            }
            long double dot = 0;
            for (int i = 0; i < D; i++)
                dot += (long double)qr[i] * kr[i];
            dots[s] = dot;
            /* Each rotated component is within 2u (|a| + |b|) of exact, and
             * exact rotations make q.k depend on pq - pk only: two dots differ
             * by <= 2 * 2 * 2u * sum (|qa|+|qb|)(|ka|+|kb|) (first order). */
            if (s > 0)
                assert_true(fabsl(dots[s] - dots[0]) <= 8 * U * bound_dot);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layernorm),       cmocka_unit_test(test_rmsnorm),
        cmocka_unit_test(test_activations),     cmocka_unit_test(test_rope_formula),
        cmocka_unit_test(test_rope_pairings_agree), cmocka_unit_test(test_rope_properties),
        cmocka_unit_test(test_rope_freq),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
