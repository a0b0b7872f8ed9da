/* golden int8 kernels: the fast (VNNI when present) and portable int8 GEMMs
 * exact against naive loops on odd shapes and extreme values; vector-wise
 * quantization rounding and zero rows; int8 linear and LLM.int8() (paper and
 * bitsandbytes modes) close to fp32, LLM.int8 strictly better than plain
 * int8 when activations carry outlier features. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/rng.h"
#include "golden/kernels.h"
#include "golden/quant.h"

static void fill_i8(es_rng *r, int8_t *x, size_t n, int extreme)
{
    for (size_t i = 0; i < n; i++)
        x[i] = extreme ? (int8_t)((es_rng_u64(r) & 1) ? -128 : 127) : (int8_t)(es_rng_below(r, 256) - 128);
}

static void test_gemm_exact(void **st)
{
    (void)st;
    es_rng r;
    es_rng_seed(&r, 7);
    static const int shapes[][3] = {{1, 1, 1}, {1, 37, 5}, {5, 33, 67}, {6, 32, 64}, {13, 70, 129}, {7, 3, 300}, {64, 96, 768}, {2, 9, 130}, {3, 5, 64}, {4, 17, 6}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int extreme = 0; extreme < 2; extreme++) {
            int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
            int8_t *A = malloc((size_t)M * K), *B = malloc((size_t)N * K);
            fill_i8(&r, A, (size_t)M * K, extreme);
            fill_i8(&r, B, (size_t)N * K, extreme);
            int32_t *c0 = calloc((size_t)M * N, 4), *c1 = calloc((size_t)M * N, 4), *c2 = calloc((size_t)M * N, 4);
            gd_gemm_i8_ref(M, N, K, A, B, c0);
            gd_gemm_i8_portable(M, N, K, A, B, c1);
            gd_gemm_i8(M, N, K, A, B, c2);
            assert_memory_equal(c0, c1, (size_t)M * N * 4);
            assert_memory_equal(c0, c2, (size_t)M * N * 4);
            int32_t *c3 = calloc((size_t)M * N, 4);
            if (gd_gemm_i8_vnni(M, N, K, A, B, c3) == 0)
                assert_memory_equal(c0, c3, (size_t)M * N * 4);
            memset(c3, 0, (size_t)M * N * 4);
            if (gd_gemm_i8_avxvnni(M, N, K, A, B, c3) == 0)
                assert_memory_equal(c0, c3, (size_t)M * N * 4);
            gd_i8_packed_b pb;
            if (gd_i8_pack_b(N, K, B, &pb) == 0) {
                memset(c3, 0, (size_t)M * N * 4);
                gd_gemm_i8_packed(M, A, &pb, c3);
                assert_memory_equal(c0, c3, (size_t)M * N * 4);
                gd_i8_packed_b_free(&pb);
            }
            if (extreme && M == 1 && N == 1)
                assert_int_equal(c0[0], (A[0] * B[0]));
            free(A), free(B), free(c0), free(c1), free(c2), free(c3);
        }
    assert_true(strcmp(gd_gemm_i8_path(), "avx512-vnni") == 0 || strcmp(gd_gemm_i8_path(), "avx-vnni") == 0 ||
                strcmp(gd_gemm_i8_path(), "portable") == 0);
}

static void test_absmax_rounding_and_zero_rows(void **st)
{
    (void)st;
    /* absmax 127: x * 1 exactly, so ties 0.5, 1.5, 2.5 go to even. */
    float x[2][6] = {{127, 0.5f, 1.5f, 2.5f, -2.5f, -127}, {0, 0, 0, 0, 0, 0}};
    int8_t q[12];
    float am[2];
    gd_i8_absmax_rows(2, 6, &x[0][0], 6, q, am);
    int8_t want[12] = {127, 0, 2, 2, -2, -127, 0, 0, 0, 0, 0, 0};
    assert_memory_equal(q, want, 12);
    assert_true(am[0] == 127 && am[1] == 0);
    /* A zero row through the linear gives exactly the bias, no NaN. */
    float W[3 * 6], b[3] = {1, 2, 3}, y[6];
    for (int i = 0; i < 18; i++)
        W[i] = (float)(i % 5) - 2;
    gd_int8_linear(2, 6, 3, &x[0][0], W, b, y);
    assert_true(y[3] == 1 && y[4] == 2 && y[5] == 3);
    gd_llm_int8_opts o = {6.0f, 1};
    gd_llm_int8_linear(2, 6, 3, &x[0][0], W, b, &o, y);
    for (int i = 0; i < 6; i++)
        assert_false(isnan(y[i]));
}

/* Dequantized int8 rows (q * absmax / 127) quantize back to the same codes. */
static void test_int8_roundtrip(void **st)
{
    (void)st;
    enum { R = 64, C = 96 };
    es_rng r;
    es_rng_seed(&r, 13);
    float x[R * C], d[R * C], am[R], am2[R];
    int8_t q[R * C], q2[R * C];
    for (int i = 0; i < R * C; i++)
        x[i] = (float)es_rng_normal(&r) * (i < C ? 1e-30f : 1.0f);
    gd_i8_absmax_rows(R, C, x, C, q, am);
    for (int i = 0; i < R * C; i++)
        d[i] = (float)q[i] * (am[i / C] / 127.0f);
    gd_i8_absmax_rows(R, C, d, C, q2, am2);
    assert_memory_equal(q, q2, sizeof q);
}

static double rel_err(int n, const float *y, const float *ref)
{
    double num = 0, den = 0;
    for (int i = 0; i < n; i++)
        num += ((double)y[i] - ref[i]) * ((double)y[i] - ref[i]), den += (double)ref[i] * ref[i];
    return sqrt(num / den);
}

static void test_linear_and_outliers(void **st)
{
    (void)st;
    enum { T = 16, IN = 256, OUT = 64 };
    es_rng r;
    es_rng_seed(&r, 11);
    float *X = malloc(sizeof(float) * T * IN), *W = malloc(sizeof(float) * OUT * IN);
    float *ref = malloc(sizeof(float) * T * OUT), *y = malloc(sizeof(float) * T * OUT);
    for (int i = 0; i < T * IN; i++)
        X[i] = (float)es_rng_normal(&r);
    for (int i = 0; i < OUT * IN; i++)
        W[i] = 0.02f * (float)es_rng_normal(&r);
    gd_gemm_ref_bt(T, OUT, IN, X, W, ref, 0);
    gd_int8_linear(T, IN, OUT, X, W, NULL, y);
    double e_plain = rel_err(T * OUT, y, ref);
    assert_true(e_plain < 0.02);
    /* Systematic outlier features: 3 hidden dims at magnitude ~40. */
    for (int t = 0; t < T; t++) {
        X[t * IN + 5] = 40.0f + (float)t;
        X[t * IN + 77] = -35.0f;
        X[t * IN + 200] = 60.0f - (float)t;
    }
    gd_gemm_ref_bt(T, OUT, IN, X, W, ref, 0);
    gd_int8_linear(T, IN, OUT, X, W, NULL, y);
    double e_int8 = rel_err(T * OUT, y, ref);
    gd_llm_int8_opts paper = {6.0f, 0}, bnb = {6.0f, 1};
    assert_int_equal(gd_llm_int8_linear(T, IN, OUT, X, W, NULL, &paper, y), 3);
    double e_paper = rel_err(T * OUT, y, ref);
    assert_int_equal(gd_llm_int8_linear(T, IN, OUT, X, W, NULL, &bnb, y), 3);
    double e_bnb = rel_err(T * OUT, y, ref);
    assert_true(e_paper < e_int8 / 2);
    assert_true(e_bnb < e_int8 / 2);
    assert_true(e_paper < 0.02 && e_bnb < 0.02);
    /* Threshold off: LLM.int8 paper mode equals plain int8 bit for bit. */
    float *y2 = malloc(sizeof(float) * T * OUT);
    gd_llm_int8_opts off = {0, 0};
    gd_int8_linear(T, IN, OUT, X, W, NULL, y);
    gd_llm_int8_linear(T, IN, OUT, X, W, NULL, &off, y2);
    assert_memory_equal(y, y2, sizeof(float) * T * OUT);
    free(X), free(W), free(ref), free(y), free(y2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemm_exact),
        cmocka_unit_test(test_absmax_rounding_and_zero_rows),
        cmocka_unit_test(test_linear_and_outliers),
        cmocka_unit_test(test_int8_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
