/* The AVX-VNNI (ymm) int8 GEMM path, run on a CPU without AVX-VNNI: this
 * file compiles golden/quant_int8.c with EINSIM_EMULATE_AVXVNNI, which
 * computes vpdpbusd exactly from AVX2 ops and makes the dispatcher choose
 * the AVX-VNNI path.  Everything of that path but the instruction itself
 * (panel packing, the 6 x 16 tile, k blocking, the unsigned shift and its
 * column-sum correction, tails) is then checked exact against naive loops.
 * The emulation itself is checked against a scalar vpdpbusd. */
#define EINSIM_EMULATE_AVXVNNI 1
#include "golden/quant_int8.c"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "golden/base/rng.h"

#if HAVE_VNNI_KERNEL
/* got = dpbusd(c, a, b) on plain arrays (the vectors stay inside AVX2 code). */
__attribute__((target("avx2"))) static void dpbusd_arrays(const int32_t c[8], const uint8_t a[32], const uint8_t b[32],
                                                          int32_t got[8])
{
    __m256i va, vb, vc;
    memcpy(&va, a, 32), memcpy(&vb, b, 32), memcpy(&vc, c, 32);
    __m256i vr = dpbusd256(vc, va, vb);
    memcpy(got, &vr, 32);
}

static void test_emulated_dpbusd_is_exact(void **st)
{
    (void)st;
    if (!__builtin_cpu_supports("avx2"))
        skip();
    es_rng r;
    es_rng_seed(&r, 11);
    for (int rep = 0; rep < 200; rep++) {
        uint8_t a[32], b[32];
        int32_t c[8], got[8];
        for (int i = 0; i < 32; i++) {
            /* extremes (0, 255 / -128, 127) half the time */
            a[i] = (uint8_t)(rep % 2 ? ((es_rng_u64(&r) & 1) ? 255 : 0) : es_rng_below(&r, 256));
            b[i] = (uint8_t)(rep % 2 ? ((es_rng_u64(&r) & 1) ? 0x80 : 0x7f) : es_rng_below(&r, 256));
        }
        for (int l = 0; l < 8; l++)
            c[l] = (int32_t)es_rng_below(&r, 1u << 30) - (1 << 29);
        dpbusd_arrays(c, a, b, got);
        for (int l = 0; l < 8; l++) {
            int32_t want = c[l];
            for (int q = 0; q < 4; q++)
                want += (int32_t)a[4 * l + q] * (int32_t)(int8_t)b[4 * l + q];
            assert_int_equal(got[l], want);
        }
    }
}

static void test_avxvnni_path_exact(void **st)
{
    (void)st;
    if (!__builtin_cpu_supports("avx2"))
        skip();
    assert_string_equal(gd_gemm_i8_path(), "avx-vnni");
    es_rng r;
    es_rng_seed(&r, 7);
    /* odd shapes, tails in every dimension, k past one 128-quad block */
    static const int shapes[][3] = {{1, 1, 1},   {1, 37, 5},  {5, 33, 67},  {6, 16, 64},   {13, 70, 129},
                                    {7, 3, 300}, {64, 96, 768}, {2, 9, 130}, {3, 5, 2051}, {19, 17, 6}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int extreme = 0; extreme < 2; extreme++) {
            int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
            int8_t *A = malloc((size_t)M * K), *B = malloc((size_t)N * K);
            for (size_t i = 0; i < (size_t)M * K; i++)
                A[i] = extreme ? (int8_t)((es_rng_u64(&r) & 1) ? -128 : 127) : (int8_t)(es_rng_below(&r, 256) - 128);
            for (size_t i = 0; i < (size_t)N * K; i++)
                B[i] = extreme ? (int8_t)((es_rng_u64(&r) & 1) ? -128 : 127) : (int8_t)(es_rng_below(&r, 256) - 128);
            int32_t *want = calloc((size_t)M * N, 4), *got = calloc((size_t)M * N, 4);
            gd_gemm_i8_ref(M, N, K, A, B, want);
            assert_int_equal(gd_gemm_i8_avxvnni(M, N, K, A, B, got), 0);
            assert_memory_equal(want, got, (size_t)M * N * 4);
            memset(got, 0, (size_t)M * N * 4);
            gd_gemm_i8(M, N, K, A, B, got); /* the dispatcher takes the same path */
            assert_memory_equal(want, got, (size_t)M * N * 4);
            free(A), free(B), free(want), free(got);
        }
}
#endif

int main(void)
{
    /* this test exists to run the AVX-VNNI path: EINSIM_NO_VNNI (which turns
     * every VNNI path off) must not turn it into a failure */
    unsetenv("EINSIM_NO_VNNI");
#if HAVE_VNNI_KERNEL
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emulated_dpbusd_is_exact),
        cmocka_unit_test(test_avxvnni_path_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
#else
    return 0;
#endif
}
