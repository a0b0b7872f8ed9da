/* golden GEMM: the reference path's defined summation order (bit for bit),
 * the fast (OpenBLAS) path within the stated bound of kernels.h on random
 * shapes that are not multiples of any blocking, the transposed-B variants,
 * accumulate, and empty dimensions. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/rng.h"
#include "golden/kernels.h"

typedef struct shape { int M, N, K; } shape;

/* Non-multiples of 4/8/16, a K of 1, N above the reference's 256-column
 * block, long K. */
static const shape SHAPES[] = {{1, 1, 1},   {7, 13, 5},    {33, 65, 17}, {64, 64, 64}, {100, 3, 257},
                               {129, 31, 64}, {17, 300, 129}, {5, 1, 1000}, {3, 517, 33}, {1, 64, 2049}};

static float *rand_mat(es_rng *r, size_t n, int spread)
{
    float *m = malloc(n * sizeof *m + 1);
    for (size_t i = 0; i < n; i++) {
        float v = es_rng_uniform(r, -1, 1);
        if (spread) /* magnitudes over 2^-20 .. 2^20: cancellation and absorption */
            v = ldexpf(v, (int)es_rng_below(r, 41) - 20);
        m[i] = v;
    }
    return m;
}

/* The definition written out: i, j, then k increasing, one accumulator. */
static void naive(int M, int N, int K, const float *A, const float *B, float *C, int acc)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float s = 0.0f;
            for (int k = 0; k < K; k++)
                s = s + A[(size_t)i * K + k] * B[(size_t)k * N + j];
            C[(size_t)i * N + j] = acc ? C[(size_t)i * N + j] + s : s;
        }
}

static float *transpose(const float *B, int K, int N)
{
    float *T = malloc((size_t)K * N * sizeof *T + 1);
    for (int k = 0; k < K; k++)
        for (int j = 0; j < N; j++)
            T[(size_t)j * K + k] = B[(size_t)k * N + j];
    return T;
}

static void test_ref_defined_order(void **state)
{
    (void)state;
    es_rng r;
    es_rng_seed(&r, 11);
    for (size_t s = 0; s < sizeof SHAPES / sizeof *SHAPES; s++) {
        int M = SHAPES[s].M, N = SHAPES[s].N, K = SHAPES[s].K;
        float *A = rand_mat(&r, (size_t)M * K, 1), *B = rand_mat(&r, (size_t)K * N, 1);
        float *Bt = transpose(B, K, N);
        float *C0 = rand_mat(&r, (size_t)M * N, 0);
        size_t cb = (size_t)M * N * sizeof(float);
        float *want = malloc(cb), *got = malloc(cb), *got_bt = malloc(cb);
        for (int acc = 0; acc < 2; acc++) {
            memcpy(want, C0, cb);
            memcpy(got, C0, cb);
            memcpy(got_bt, C0, cb);
            naive(M, N, K, A, B, want, acc);
            gd_gemm_ref(M, N, K, A, B, got, acc);
            gd_gemm_ref_bt(M, N, K, A, Bt, got_bt, acc);
            assert_memory_equal(got, want, cb);
            assert_memory_equal(got_bt, want, cb);
        }
        free(A), free(B), free(Bt), free(C0), free(want), free(got), free(got_bt);
    }
}

/* |fast - ref| <= bound * (sum_k |a b| (+ |c|)), elementwise. */
static double check_fast(int M, int N, int K, const float *A, const float *B, const float *C0, const float *ref,
                         const float *fast, int acc)
{
    double bound = gd_gemm_fast_bound(acc ? K + 1 : K), worst = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double mag = acc ? fabs((double)C0[(size_t)i * N + j]) : 0;
            for (int k = 0; k < K; k++)
                mag += fabs((double)A[(size_t)i * K + k] * B[(size_t)k * N + j]);
            double d = fabs((double)fast[(size_t)i * N + j] - ref[(size_t)i * N + j]);
            if (d > bound * mag)
                fail_msg("%dx%dx%d acc=%d (%d,%d): |fast-ref| = %g > %g * %g", M, N, K, acc, i, j, d, bound, mag);
            if (mag > 0 && d / mag / ldexp(1.0, -24) > worst)
                worst = d / mag / ldexp(1.0, -24);
        }
    return worst;
}

static void test_fast_within_bound(void **state)
{
    (void)state;
    gd_gemm_fast_set_threads(1);
    es_rng r;
    es_rng_seed(&r, 12);
    double worst = 0;
    for (size_t s = 0; s < sizeof SHAPES / sizeof *SHAPES; s++)
        for (int spread = 0; spread < 2; spread++) {
            int M = SHAPES[s].M, N = SHAPES[s].N, K = SHAPES[s].K;
            float *A = rand_mat(&r, (size_t)M * K, spread), *B = rand_mat(&r, (size_t)K * N, spread);
            float *Bt = transpose(B, K, N);
            float *C0 = rand_mat(&r, (size_t)M * N, spread);
            size_t cb = (size_t)M * N * sizeof(float);
            float *ref = malloc(cb), *fast = malloc(cb), *fast_bt = malloc(cb);
            for (int acc = 0; acc < 2; acc++) {
                memcpy(ref, C0, cb);
                memcpy(fast, C0, cb);
                memcpy(fast_bt, C0, cb);
                gd_gemm_ref(M, N, K, A, B, ref, acc);
                gd_gemm_fast(M, N, K, A, B, fast, acc);
                gd_gemm_fast_bt(M, N, K, A, Bt, fast_bt, acc);
                double w1 = check_fast(M, N, K, A, B, C0, ref, fast, acc);
                double w2 = check_fast(M, N, K, A, B, C0, ref, fast_bt, acc);
                worst = fmax(worst, fmax(w1, w2));
            }
            free(A), free(B), free(Bt), free(C0), free(ref), free(fast), free(fast_bt);
        }
    /* The bound is the worst case; what is seen is far below (printed so a
     * change of OpenBLAS kernel shows up in the log). */
    print_message("worst |fast-ref| / (u * sum|ab|) seen: %.2f (bound for K=2049: %.0f)\n", worst,
                  gd_gemm_fast_bound(2049) / ldexp(1.0, -24));
    assert_true(gd_gemm_fast_bound(8192) <= GD_GEMM_FAST_REL_TOL);
}

/* A wrong result must not pass the bound: one product dropped is caught. */
/* The AVX-512 kernels' documented order, written out with fmaf: one chain
 * per element over increasing k, from 0 (or from c with accumulate in the B
 * form; the Bt form adds c after).  Bit for bit on every shape, so neither
 * the blocking (k blocks of 384, 48-column panels, 8-row and 64-row tiles)
 * nor the tails change a value.  Shapes beyond SHAPES cross those blocks. */
static void test_avx512_order(void **state)
{
    (void)state;
    gd_gemm_fast_set_threads(1);
    if (strcmp(gd_gemm_fast_kernel(), "avx512") != 0) {
        print_message("fast GEMM kernel is %s here: the AVX-512 order is not checked\n", gd_gemm_fast_kernel());
        return;
    }
    static const shape more[] = {{130, 437, 800}, {8, 48, 384}, {65, 1, 385}, {257, 13, 7}};
    es_rng r;
    es_rng_seed(&r, 13);
    for (size_t s = 0; s < sizeof SHAPES / sizeof *SHAPES + sizeof more / sizeof *more; s++) {
        shape sh = s < sizeof SHAPES / sizeof *SHAPES ? SHAPES[s] : more[s - sizeof SHAPES / sizeof *SHAPES];
        int M = sh.M, N = sh.N, K = sh.K;
        float *A = rand_mat(&r, (size_t)M * K, 1), *B = rand_mat(&r, (size_t)K * N, 1);
        float *Bt = transpose(B, K, N), *C0 = rand_mat(&r, (size_t)M * N, 1);
        size_t cb = (size_t)M * N * sizeof(float);
        float *fast = malloc(cb), *fast_bt = malloc(cb);
        for (int acc = 0; acc < 2; acc++) {
            memcpy(fast, C0, cb);
            memcpy(fast_bt, C0, cb);
            gd_gemm_fast(M, N, K, A, B, fast, acc);
            gd_gemm_fast_bt(M, N, K, A, Bt, fast_bt, acc);
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) {
                    size_t ij = (size_t)i * N + j;
                    float chain = acc ? C0[ij] : 0.0f, chain0 = 0.0f;
                    for (int k = 0; k < K; k++) {
                        chain = fmaf(A[(size_t)i * K + k], B[(size_t)k * N + j], chain);
                        chain0 = fmaf(A[(size_t)i * K + k], B[(size_t)k * N + j], chain0);
                    }
                    if (memcmp(&fast[ij], &chain, sizeof chain) != 0)
                        fail_msg("%dx%dx%d acc=%d (%d,%d): gd_gemm_fast %a, fma chain %a", M, N, K, acc, i, j,
                                 fast[ij], chain);
                    /* bt: below 8 rows OpenBLAS runs instead (kernels.h) */
                    float want_bt = acc ? C0[ij] + chain0 : chain0;
                    if (M >= 8 && memcmp(&fast_bt[ij], &want_bt, sizeof want_bt) != 0)
                        fail_msg("%dx%dx%d acc=%d (%d,%d): gd_gemm_fast_bt %a, want %a", M, N, K, acc, i, j,
                                 fast_bt[ij], want_bt);
                }
        }
        free(A), free(B), free(Bt), free(C0), free(fast), free(fast_bt);
    }
}

static void test_bound_catches_a_dropped_term(void **state)
{
    (void)state;
    enum { M = 4, N = 4, K = 64 };
    es_rng r;
    es_rng_seed(&r, 13);
    float *A = rand_mat(&r, M * K, 0), *B = rand_mat(&r, K * N, 0);
    float ref[M * N], bad[M * N], A2[M * K];
    memcpy(A2, A, sizeof A2);
    for (int i = 0; i < M; i++)
        A2[i * K + 17] = 0; /* drop the k = 17 product from every sum */
    gd_gemm_ref(M, N, K, A, B, ref, 0);
    gd_gemm_ref(M, N, K, A2, B, bad, 0);
    double bound = gd_gemm_fast_bound(K);
    int caught = 0;
    for (int i = 0; i < M * N; i++) {
        double mag = 0;
        for (int k = 0; k < K; k++)
            mag += fabs((double)A[(i / N) * K + k] * B[k * N + i % N]);
        caught += fabs((double)bad[i] - ref[i]) > bound * mag;
    }
    assert_true(caught > M * N / 2);
    free(A), free(B);
}

static void test_empty_dims(void **state)
{
    (void)state;
    float A[4] = {1, 2, 3, 4}, B[4] = {1, 2, 3, 4};
    float C[4] = {5, 6, 7, 8};
    gd_gemm_fast(2, 2, 0, A, B, C, 1); /* empty sum added: unchanged */
    assert_true(C[0] == 5 && C[3] == 8);
    gd_gemm_ref(2, 2, 0, A, B, C, 1);
    assert_true(C[0] == 5 && C[3] == 8);
    gd_gemm_fast_bt(2, 2, 0, A, B, C, 0); /* empty sum: zeros */
    assert_true(C[0] == 0 && C[3] == 0);
    C[0] = 9;
    gd_gemm_ref(0, 2, 2, A, B, C, 0); /* no rows: nothing written */
    gd_gemm_fast(2, 0, 2, A, B, C, 0);
    assert_true(C[0] == 9);
    /* 1x1x1 exact */
    gd_gemm_fast(1, 1, 1, A + 1, B + 2, C, 0);
    assert_true(C[0] == 6);
}

/* beta = 0 must ignore what is in C, NaN included. */
static void test_overwrite_ignores_old_c(void **state)
{
    (void)state;
    float A[6] = {1, 2, 3, 4, 5, 6}, B[6] = {1, 0, 0, 1, 1, 1};
    float C1[4] = {NAN, NAN, NAN, NAN}, C2[4] = {NAN, NAN, NAN, NAN};
    gd_gemm_fast(2, 2, 3, A, B, C1, 0);
    gd_gemm_ref(2, 2, 3, A, B, C2, 0);
    for (int i = 0; i < 4; i++)
        assert_true(C1[i] == C2[i]);
    assert_true(C2[0] == 4 && C2[1] == 5 && C2[2] == 10 && C2[3] == 11);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ref_defined_order),
        cmocka_unit_test(test_fast_within_bound),
        cmocka_unit_test(test_avx512_order),
        cmocka_unit_test(test_bound_catches_a_dropped_term),
        cmocka_unit_test(test_empty_dims),
        cmocka_unit_test(test_overwrite_ignores_old_c),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
