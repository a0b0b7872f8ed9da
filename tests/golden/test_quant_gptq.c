/* golden GPTQ and RTN: on a synthetic layer with correlated calibration
 * inputs GPTQ's layer-output error is strictly below RTN's at the same bits
 * and group size (every tested setting); RTN quantizer rules by hand; the
 * AutoGPTQ v1 packing round-trips exactly and its 3-bit words match
 * AutoGPTQ's explicit 10+1+10+1+10 layout; malformed parameters fail. */
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

enum { ROWS = 64, COLS = 256, NCAL = 512, RANK = 24 };

/* X = Z A + 0.1 noise: strongly correlated input features, as real
 * activations are (GPTQ gains nothing on white inputs). */
static float *calib(es_rng *r)
{
    float *A = malloc(sizeof(float) * RANK * COLS), *X = malloc(sizeof(float) * NCAL * COLS);
    for (int i = 0; i < RANK * COLS; i++)
        A[i] = (float)es_rng_normal(r);
    for (int n = 0; n < NCAL; n++) {
        float z[RANK];
        for (int k = 0; k < RANK; k++)
            z[k] = (float)es_rng_normal(r);
        for (int c = 0; c < COLS; c++) {
            float s = 0.1f * (float)es_rng_normal(r);
            for (int k = 0; k < RANK; k++)
                s += z[k] * A[k * COLS + c];
            X[n * COLS + c] = s;
        }
    }
    free(A);
    return X;
}

static double out_err(const float *X, const float *W, const float *Wq)
{
    double s = 0;
    for (int n = 0; n < NCAL; n++)
        for (int r = 0; r < ROWS; r++) {
            double d = 0;
            for (int c = 0; c < COLS; c++)
                d += (double)X[n * COLS + c] * ((double)W[r * COLS + c] - Wq[r * COLS + c]);
            s += d * d;
        }
    return s;
}

static void test_gptq_beats_rtn(void **st)
{
    (void)st;
    es_rng r;
    es_rng_seed(&r, 3);
    float *X = calib(&r), *W = malloc(sizeof(float) * ROWS * COLS), *Wq = malloc(sizeof(float) * ROWS * COLS);
    for (int i = 0; i < ROWS * COLS; i++)
        W[i] = 0.05f * (float)es_rng_normal(&r);
    double *H = calloc((size_t)COLS * COLS, sizeof *H);
    gd_gptq_hessian_add(COLS, NCAL, X, H);
    gd_gptq_hessian_finish(COLS, NCAL, H);
    static const int cfg[][4] = {/* bits, group, sym, act_order */
                                 {4, 128, 1, 0}, {3, 128, 1, 0}, {4, 32, 1, 0}, {3, 32, 1, 0}, {2, 32, 0, 0},
                                 {8, 0, 1, 0},   {4, 0, 0, 0},   {4, 128, 1, 1}, {3, 32, 0, 1}};
    for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
        gd_gptq_opts o;
        gd_gptq_opts_default(&o, cfg[i][0], cfg[i][1]);
        o.sym = cfg[i][2], o.act_order = cfg[i][3];
        o.block = 64; /* several lazy blocks over 256 columns */
        gd_qweight g, q;
        es_err e;
        assert_int_equal(gd_rtn_quantize(ROWS, COLS, W, &o, &q, &e), 0);
        gd_qweight_dequant(&q, Wq);
        double e_rtn = out_err(X, W, Wq);
        assert_int_equal(gd_gptq_quantize(ROWS, COLS, W, H, &o, &g, &e), 0);
        gd_qweight_dequant(&g, Wq);
        double e_gptq = out_err(X, W, Wq);
        print_message("bits %d group %d sym %d act_order %d: output SSE RTN %.4g GPTQ %.4g\n", cfg[i][0], cfg[i][1],
                      cfg[i][2], cfg[i][3], e_rtn, e_gptq);
        assert_true(e_gptq < e_rtn);
        for (int k = 0; k < ROWS * COLS; k++)
            assert_true(g.q[k] < (1u << cfg[i][0]));
        gd_qweight_free(&g), gd_qweight_free(&q);
    }
    free(X), free(W), free(Wq), free(H);
}

static void test_rtn_rules(void **st)
{
    (void)st;
    /* One row, 4-bit sym per row: absmax 1.5 -> scale 3/15 = 0.2 (fp16 of
     * 0.2f), zero 8; 0.3/0.2 = 1.5 rounds to even 2 (assuming exact). */
    float W[32] = {1.5f, -1.5f, 0, 0.1f};
    gd_gptq_opts o;
    gd_gptq_opts_default(&o, 4, 0);
    gd_qweight q;
    es_err e;
    assert_int_equal(gd_rtn_quantize(1, 32, W, &o, &q, &e), 0);
    float s = gd_f16_to_f32(gd_f32_to_f16(0.2f, GD_RND_NEAREST_EVEN, GD_OVF_INF));
    assert_true(q.scale[0] == s);
    assert_int_equal(q.zero[0], 8);
    assert_int_equal(q.q[2], 8); /* 0 -> zero point */
    assert_int_equal(q.q[1], 8 + (int)gd_round_integral(-1.5f / s, GD_RND_NEAREST_EVEN));
    gd_qweight_free(&q);
    /* All-zero row: range (-1, 1), no division by zero, dequantizes to 0. */
    float Z[32] = {0};
    o.sym = 0;
    assert_int_equal(gd_rtn_quantize(1, 32, Z, &o, &q, &e), 0);
    float back[32];
    gd_qweight_dequant(&q, back);
    for (int i = 0; i < 32; i++)
        assert_true(back[i] == 0);
    gd_qweight_free(&q);
}

/* AutoGPTQ's 3-bit pack, restated word by word for one column of 32 values. */
static void pack3_explicit(const uint32_t *v, uint32_t w[3])
{
    w[0] = w[1] = w[2] = 0;
    int i = 0;
    for (int j = 0; j < 10; j++)
        w[0] |= v[i + j] << (3 * j);
    i += 10;
    w[0] |= v[i] << 30;
    w[1] |= (v[i] >> 2) & 1;
    i++;
    for (int j = 0; j < 10; j++)
        w[1] |= v[i + j] << (3 * j + 1);
    i += 10;
    w[1] |= v[i] << 31;
    w[2] |= (v[i] >> 1) & 3;
    i++;
    for (int j = 0; j < 10; j++)
        w[2] |= v[i + j] << (3 * j + 2);
}

static void test_pack_roundtrip(void **st)
{
    (void)st;
    es_rng r;
    es_rng_seed(&r, 5);
    for (int bits = 2; bits <= 8; bits++) {
        if (bits != 2 && bits != 3 && bits != 4 && bits != 8)
            continue;
        for (int asym = 0; asym < 2; asym++) {
            int rows = 64, cols = 96;
            float *W = malloc(sizeof(float) * rows * cols), *A = malloc(sizeof(float) * rows * cols),
                  *B = malloc(sizeof(float) * rows * cols);
            for (int i = 0; i < rows * cols; i++)
                W[i] = (float)es_rng_normal(&r) + (asym ? 2.0f : 0.0f) * (i % 7 == 0);
            W[0] = 0; /* asym with a non-negative first group row: zero point 0 */
            for (int c = 1; c < 32; c++)
                W[c] = fabsf(W[c]);
            gd_gptq_opts o;
            gd_gptq_opts_default(&o, bits, 32);
            o.sym = !asym;
            gd_qweight q, q2;
            gd_gptq_packed p;
            es_err e;
            assert_int_equal(gd_rtn_quantize(rows, cols, W, &o, &q, &e), 0);
            if (asym)
                assert_int_equal(q.zero[0], 0);
            assert_int_equal(gd_gptq_pack(&q, &p, &e), 0);
            if (bits == 4 && !asym)
                assert_int_equal((uint32_t)p.qzeros[0], 0x77777777u); /* sym 4-bit: zero 8 stored as 7 */
            if (bits == 3) {
                uint32_t v[32], w[3];
                for (int c = 0; c < 32; c++)
                    v[c] = q.q[(size_t)5 * cols + c];
                pack3_explicit(v, w);
                for (int k = 0; k < 3; k++)
                    assert_int_equal((uint32_t)p.qweight[(size_t)k * rows + 5], w[k]);
            }
            assert_int_equal(gd_gptq_unpack(&p, &q2, "t", &e), 0);
            assert_memory_equal(q.q, q2.q, (size_t)rows * cols);
            assert_memory_equal(q.zero, q2.zero, (size_t)rows * q.n_groups * 4);
            gd_qweight_dequant(&q, A);
            gd_qweight_dequant(&q2, B);
            assert_memory_equal(A, B, sizeof(float) * rows * cols);
            /* Dequantized values are representable: quantizing them again
             * with the same parameters gives the same codes. */
            for (int i = 0; i < rows * cols; i++) {
                int rr = i / cols, g = q.g_idx[i % cols];
                size_t k = (size_t)rr * q.n_groups + g;
                float v = gd_round_integral(A[i] / q.scale[k], GD_RND_NEAREST_EVEN) + (float)q.zero[k];
                assert_int_equal((int)v, q.q[i]);
            }
            /* Malformed packed tensors. */
            gd_qweight_free(&q2);
            p.g_idx[3] = 99;
            assert_int_equal(gd_gptq_unpack(&p, &q2, "h.0.qweight", &e), -1);
            assert_non_null(strstr(e.msg, "g_idx[3]"));
            p.g_idx[3] = 0;
            p.bits = 5;
            assert_int_equal(gd_gptq_unpack(&p, &q2, "h.0.qweight", &e), -1);
            assert_non_null(strstr(e.msg, "bits 5 out of range"));
            gd_gptq_packed_free(&p);
            gd_qweight_free(&q), gd_qweight_free(&q2);
            free(W), free(A), free(B);
        }
    }
}

static void test_bad_params(void **st)
{
    (void)st;
    float W[64] = {0};
    double H[64 * 64] = {0};
    gd_gptq_opts o;
    gd_qweight q;
    es_err e;
    gd_gptq_opts_default(&o, 5, 32);
    assert_int_equal(gd_rtn_quantize(1, 64, W, &o, &q, &e), -1);
    assert_non_null(strstr(e.msg, "bits 5 out of range"));
    gd_gptq_opts_default(&o, 4, 33);
    assert_int_equal(gd_gptq_quantize(1, 64, W, H, &o, &q, &e), -1);
    assert_non_null(strstr(e.msg, "group size 33"));
    /* All-dead Hessian: every H_ii = 0 -> 1, works and gives zeros. */
    gd_gptq_opts_default(&o, 4, 32);
    assert_int_equal(gd_gptq_quantize(1, 64, W, H, &o, &q, &e), 0);
    gd_qweight_free(&q);
    /* Not positive definite (negative diagonal) -> error, no crash. */
    for (int i = 0; i < 64; i++)
        H[i * 64 + i] = i == 3 ? -50.0 : 1.0;
    assert_int_equal(gd_gptq_quantize(1, 64, W, H, &o, &q, &e), -1);
    assert_non_null(strstr(e.msg, "not positive definite"));
    gd_qweight w1 = {0};
    w1.rows = 33, w1.cols = 64, w1.bits = 4;
    gd_gptq_packed p;
    assert_int_equal(gd_gptq_pack(&w1, &p, &e), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gptq_beats_rtn),
        cmocka_unit_test(test_rtn_rules),
        cmocka_unit_test(test_pack_roundtrip),
        cmocka_unit_test(test_bad_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
