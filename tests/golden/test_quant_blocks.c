/* golden ggml blocks (Q8_0, Q4_0, Q4_K, Q8_K), FP8 scaled formats and
 * MXFP4: ggml's rounding on hand-made vectors, layouts (nibble order, 6-bit
 * scale packing), dot products against independent sums, round trips
 * (dequantize then quantize gives the same codes), zero blocks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/rng.h"
#include "golden/quant.h"

static void randn(es_rng *r, float *x, int n, float s)
{
    for (int i = 0; i < n; i++)
        x[i] = s * (float)es_rng_normal(r);
}

static void test_q8_0(void **st)
{
    (void)st;
    float x[32] = {127, 2.5f, -2.5f, 0.5f, -0.5f, 1.49f};
    gd_block_q8_0 b, b2;
    gd_q8_0_quantize(32, x, &b);
    assert_int_equal(b.d, 0x3C00); /* fp16 1.0 */
    assert_int_equal(b.qs[1], 3);  /* roundf: half away from zero */
    assert_int_equal(b.qs[2], -3);
    assert_int_equal(b.qs[3], 1);
    assert_int_equal(b.qs[4], -1);
    assert_int_equal(b.qs[5], 1);
    /* zero block: d = 0, all codes 0, dequantizes to 0 */
    float z[32] = {0}, back[32];
    gd_q8_0_quantize(32, z, &b);
    assert_int_equal(b.d, 0);
    gd_q8_0_dequantize(32, &b, back);
    for (int i = 0; i < 32; i++)
        assert_true(back[i] == 0 && b.qs[i] == 0);
    /* round trip on random data */
    es_rng r;
    es_rng_seed(&r, 1);
    float v[256], d[256];
    gd_block_q8_0 q[8], q2[8];
    for (int t = 0; t < 20; t++) {
        randn(&r, v, 256, t < 10 ? 1.0f : 1e-3f);
        gd_q8_0_quantize(256, v, q);
        gd_q8_0_dequantize(256, q, d);
        gd_q8_0_quantize(256, d, q2);
        assert_memory_equal(q, q2, sizeof q);
    }
    (void)b2;
}

static void test_q4_0(void **st)
{
    (void)st;
    float x[32] = {-8, 3.5f, -3.5f, 0.49f, 7};
    x[16] = 2; x[17] = -1;
    gd_block_q4_0 b;
    gd_q4_0_quantize(32, x, &b);
    assert_int_equal(b.d, 0x3C00); /* d = max / -8 = -8 / -8 = 1 */
    float y[32];
    gd_q4_0_dequantize(32, &b, y);
    assert_true(y[0] == -8);       /* the max-|x| element maps exactly to -8 */
    assert_true(y[1] == 4);        /* 3.5 + 8.5 = 12: half up */
    assert_true(y[2] == -3);       /* -3.5 + 8.5 = 5: half up */
    assert_true(y[3] == 0);
    assert_true(y[4] == 7);
    /* nibble layout: element j low nibble, element j+16 high nibble */
    assert_int_equal(b.qs[0] & 0xF, 0);
    assert_int_equal(b.qs[0] >> 4, 10);
    assert_int_equal(b.qs[1] >> 4, 7);
    /* positive max: d = max / -8 < 0, max maps to code 0 -> value max */
    float p[32] = {0};
    p[5] = 4;
    gd_q4_0_quantize(32, p, &b);
    gd_q4_0_dequantize(32, &b, y);
    assert_true(y[5] == 4 && y[0] == 0);
    es_rng r;
    es_rng_seed(&r, 2);
    float v[256], d[256];
    gd_block_q4_0 q[8], q2[8];
    for (int t = 0; t < 20; t++) {
        randn(&r, v, 256, 0.3f);
        gd_q4_0_quantize(256, v, q);
        gd_q4_0_dequantize(256, q, d);
        gd_q4_0_quantize(256, d, q2);
        assert_memory_equal(q, q2, sizeof q);
    }
}

static void test_q4_k(void **st)
{
    (void)st;
    es_rng r;
    es_rng_seed(&r, 4);
    float v[512], d[512], d2[512];
    gd_block_q4_k q[2], q2[2];
    double worst = 0;
    for (int t = 0; t < 10; t++) {
        randn(&r, v, 512, 0.1f);
        gd_q4_k_quantize(512, v, q);
        gd_q4_k_dequantize(512, q, d);
        /* error within half a step of each sub-block (+ the min's rounding) */
        for (int b = 0; b < 2; b++)
            for (int j = 0; j < 8; j++) {
                float lo = INFINITY, hi = -INFINITY;
                for (int l = 0; l < 32; l++)
                    lo = fminf(lo, v[b * 256 + j * 32 + l]), hi = fmaxf(hi, v[b * 256 + j * 32 + l]);
                for (int l = 0; l < 32; l++) {
                    double e = fabs(d[b * 256 + j * 32 + l] - v[b * 256 + j * 32 + l]) / (hi - lo);
                    worst = e > worst ? e : worst;
                }
            }
        /* Dequantized values requantize to the same values. */
        gd_q4_k_quantize(512, d, q2);
        gd_q4_k_dequantize(512, q2, d2);
        assert_memory_equal(d, d2, sizeof d);
    }
    assert_true(worst < 0.1); /* 15 steps over the range: <= 1/30 plus scale rounding */
    /* 6-bit scale packing: sub-blocks 4..7 use the high bits of bytes 0..7 */
    float s[256];
    for (int j = 0; j < 8; j++)
        for (int l = 0; l < 32; l++)
            s[j * 32 + l] = (float)(j + 1) * ((l % 16) - 7.5f) * 0.01f;
    gd_q4_k_quantize(256, s, q);
    gd_q4_k_dequantize(256, q, d);
    for (int i = 0; i < 256; i++)
        assert_true(fabsf(d[i] - s[i]) < 0.02f);
    /* all-zero super-block */
    memset(s, 0, sizeof s);
    gd_q4_k_quantize(256, s, q);
    gd_q4_k_dequantize(256, q, d);
    for (int i = 0; i < 256; i++)
        assert_true(d[i] == 0);
}

static void test_dots(void **st)
{
    (void)st;
    es_rng r;
    es_rng_seed(&r, 9);
    enum { N = 768 };
    float w[N], x[N], wd[N];
    randn(&r, w, N, 0.05f);
    randn(&r, x, N, 1.0f);
    gd_block_q8_0 w8[N / 32], x8[N / 32];
    gd_block_q4_0 w4[N / 32];
    gd_block_q4_k wk[N / 256];
    gd_block_q8_k xk[N / 256];
    gd_q8_0_quantize(N, w, w8);
    gd_q8_0_quantize(N, x, x8);
    gd_q4_0_quantize(N, w, w4);
    gd_q4_k_quantize(N, w, wk);
    gd_q8_k_quantize(N, x, xk);
    float xd8[N], xdk[N];
    gd_q8_0_dequantize(N, x8, xd8);
    for (int b = 0; b < N / 256; b++)
        for (int j = 0; j < 256; j++)
            xdk[b * 256 + j] = xk[b].d * xk[b].qs[j];
    /* Q8_K bsums are the 16-element sums of its codes */
    for (int j = 0; j < 16; j++) {
        int s = 0;
        for (int i = 0; i < 16; i++)
            s += xk[0].qs[j * 16 + i];
        assert_int_equal(xk[0].bsums[j], s);
    }
    struct { float got; int which; } c[3] = {{gd_q8_0_dot(N, w8, x8), 0}, {gd_q4_0_dot(N, w4, x8), 1},
                                             {gd_q4_k_dot(N, wk, xk), 2}};
    for (int k = 0; k < 3; k++) {
        if (c[k].which == 0)
            gd_q8_0_dequantize(N, w8, wd);
        else if (c[k].which == 1)
            gd_q4_0_dequantize(N, w4, wd);
        else
            gd_q4_k_dequantize(N, wk, wd);
        const float *xx = c[k].which == 2 ? xdk : xd8;
        double ref = 0, mag = 0;
        for (int i = 0; i < N; i++)
            ref += (double)wd[i] * xx[i], mag += fabs((double)wd[i] * xx[i]);
        assert_true(fabs(c[k].got - ref) <= 1e-5 * mag);
    }
}

static void test_e2m1_and_mxfp4(void **st)
{
    (void)st;
    static const float in[] = {0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5, 7, 100, -0.25f, -5, 0.3f};
    static const float want[] = {0, 1, 1, 2, 2, 4, 4, 6, 6, -0.0f, -4, 0.5f};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        float got = gd_e2m1_to_f32(gd_f32_to_e2m1(in[i]));
        assert_true(got == want[i]);
    }
    assert_int_equal(gd_f32_to_e2m1(-0.25f), 8); /* signed zero kept */
    for (int c = 0; c < 16; c++)
        assert_int_equal(gd_f32_to_e2m1(gd_e2m1_to_f32((uint8_t)c)), c);
    es_rng r;
    es_rng_seed(&r, 6);
    float v[128], d[128], d2[128];
    uint8_t codes[128], sc[4], codes2[128], sc2[4];
    for (int t = 0; t < 20; t++) {
        randn(&r, v, 128, t < 10 ? 1.0f : 1e-20f);
        v[3] = 0;
        gd_mxfp4_quantize(128, v, codes, sc);
        gd_mxfp4_dequantize(128, codes, sc, d);
        gd_mxfp4_quantize(128, d, codes2, sc2);
        gd_mxfp4_dequantize(128, codes2, sc2, d2);
        assert_memory_equal(sc, sc2, 4);
        assert_memory_equal(d, d2, sizeof d);
    }
    /* amax 6 * 2^-3 = 0.75: e = floor(log2 0.75) - 2 = -3, so 0.75 -> 6. */
    float b[32] = {0.75f, 0.0625f, -0.1875f};
    gd_mxfp4_quantize(32, b, codes, sc);
    assert_int_equal(sc[0], 127 - 3);
    gd_mxfp4_dequantize(32, codes, sc, d);
    assert_true(d[0] == 0.75f && d[1] == 0.0625f && d[2] == -0.1875f);
    float z[32] = {0};
    gd_mxfp4_quantize(32, z, codes, sc);
    assert_int_equal(sc[0], 0);
}

static void test_fp8(void **st)
{
    (void)st;
    es_rng r;
    es_rng_seed(&r, 8);
    enum { M = 5, N = 7, K = 64 };
    float a[M * K], b[N * K], ad[M * K], bd[N * K], c[M * N], ref[M * N];
    uint8_t ac[M * K], bc[N * K], bc2[N * K];
    float as[M], bs[N], bs2[N];
    gd_dtype types[2] = {GD_E4M3, GD_E5M2};
    for (int t = 0; t < 2; t++)
        for (int per_row = 0; per_row < 2; per_row++) {
            randn(&r, a, M * K, 3);
            randn(&r, b, N * K, 0.02f);
            memset(b + 2 * K, 0, K * sizeof(float)); /* a zero weight row: scale 0, no NaN */
            gd_fp8_quantize(types[t], M, K, a, 0, ac, as);
            gd_fp8_quantize(types[t], N, K, b, per_row, bc, bs);
            if (per_row)
                assert_true(bs[2] == 0);
            gd_fp8_dequantize(types[t], M, K, ac, as, 0, ad);
            gd_fp8_dequantize(types[t], N, K, bc, bs, per_row, bd);
            gd_fp8_gemm(types[t], M, N, K, ac, as, 0, bc, bs, per_row, c);
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) {
                    double s = 0, mag = 0;
                    for (int k = 0; k < K; k++)
                        s += (double)ad[i * K + k] * bd[j * K + k], mag += fabs((double)ad[i * K + k] * bd[j * K + k]);
                    ref[i * N + j] = (float)s;
                    assert_false(isnan(c[i * N + j]));
                    assert_true(fabs(c[i * N + j] - s) <= 1e-5 * mag + 1e-30);
                }
            /* round trip: requantizing the dequantized weights gives the same codes */
            gd_fp8_quantize(types[t], N, K, bd, per_row, bc2, bs2);
            assert_memory_equal(bc, bc2, sizeof bc);
        }
    (void)ref;
}

/* gd_quant_dequant_weight: row by row what the block quantizer and
 * dequantizer give; run-time formats, GPTQ and a short row are errors. */
static void test_dequant_weight(void **st)
{
    (void)st;
    enum { R = 3, C = 64 };
    es_rng r;
    es_rng_seed(&r, 7);
    float w[R * C], want[R * C];
    randn(&r, w, R * C, 0.1f);
    gd_block_q4_0 b[C / 32];
    for (int i = 0; i < R; i++) {
        gd_q4_0_quantize(C, w + i * C, b);
        gd_q4_0_dequantize(C, b, want + i * C);
    }
    gd_qformat f;
    es_err e;
    assert_int_equal(gd_qformat_parse("q4_0", &f, &e), 0);
    assert_int_equal(gd_quant_dequant_weight(&f, R, C, w, NULL, "W", &e), 0);
    assert_memory_equal(w, want, sizeof w);
    assert_int_equal(gd_quant_dequant_weight(&f, R * 2, C / 2 + 16, w, NULL, "W", &e), -1);
    assert_non_null(strstr(e.msg, "tensor 'W' has 48 inputs per row; the format needs a multiple of 32"));
    const char *bad[] = {"int8", "llm.int8", "fp8-e4m3", "gptq4-g32"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(gd_qformat_parse(bad[i], &f, &e), 0);
        assert_int_equal(gd_quant_dequant_weight(&f, R, C, w, NULL, "W", &e), -1);
        assert_int_equal(gd_ggml_linear(&f, 1, C, R, w, NULL, NULL, want), -1);
    }
    /* q8_0 blocks handed back, and gd_ggml_linear = Q8_0 activations and
     * the block dot per output, plus bias */
    enum { T = 2 };
    float x[T * C], y[T * R], bias[R] = {0.5f, -1, 2};
    randn(&r, w, R * C, 0.1f);
    randn(&r, x, T * C, 1.0f);
    void *blocks = NULL;
    assert_int_equal(gd_qformat_parse("q8_0", &f, &e), 0);
    assert_int_equal(gd_quant_dequant_weight(&f, R, C, w, &blocks, "W", &e), 0);
    assert_non_null(blocks);
    assert_int_equal(gd_ggml_linear(&f, T, C, R, x, blocks, bias, y), 0);
    gd_block_q8_0 xb[C / 32];
    for (int t = 0; t < T; t++) {
        gd_q8_0_quantize(C, x + t * C, xb);
        for (int o = 0; o < R; o++) {
            float v = gd_q8_0_dot(C, (const gd_block_q8_0 *)blocks + o * (C / 32), xb) + bias[o];
            assert_memory_equal(&y[t * R + o], &v, sizeof v);
        }
    }
    free(blocks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_q8_0), cmocka_unit_test(test_q4_0), cmocka_unit_test(test_q4_k),
        cmocka_unit_test(test_dots), cmocka_unit_test(test_e2m1_and_mxfp4), cmocka_unit_test(test_fp8),
        cmocka_unit_test(test_dequant_weight),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
