/* golden forward --quant q8_0|q4_0|q4_k runs ggml's CPU matrix product:
 * each block linear's output equals, bit for bit, an independent
 * recomputation from the original weights - weight rows quantized to the
 * format, activation rows to Q8_0 (Q8_K), per-block integer sums scaled and
 * added in ggml's reference order - and not the fp32 product with
 * dequantized weights. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/rng.h"
#include "golden/model.h"
#include "golden/numfmt.h"
#include "golden/quant.h"

static float f16(uint16_t h) { return gd_f16_to_f32(h); }

/* y = W x for one activation row x (in) and weight rows W [out x in], as
 * ggml computes it, written from the block definitions. */
static void ggml_reference(const char *fmt, int in, int out, const float *W, const float *x, float *y)
{
    if (!strcmp(fmt, "q4_k")) {
        int nb = in / GD_QK_K;
        gd_block_q8_k *xb = malloc((size_t)nb * sizeof *xb);
        gd_block_q4_k *wb = malloc((size_t)nb * sizeof *wb);
        gd_q8_k_quantize(in, x, xb);
        for (int o = 0; o < out; o++) {
            gd_q4_k_quantize(in, W + (size_t)o * in, wb);
            /* codes and mins from the dequantized blocks: w = d*sc*q - dmin*m */
            float lanes[8] = {0}, sum = 0;
            for (int b = 0; b < nb; b++) {
                /* 6-bit scale and min of sub-block j, as ggml packs them */
                int32_t lane[8] = {0}, msum = 0;
                for (int j = 0; j < 8; j++) {
                    const uint8_t *s = wb[b].scales;
                    int sc = j < 4 ? s[j] & 63 : (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
                    int mn = j < 4 ? s[j + 4] & 63 : (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
                    for (int l = 0; l < 32; l++) {
                        uint8_t byte = wb[b].qs[(j / 2) * 32 + l];
                        int q = (j & 1) ? byte >> 4 : byte & 0xF;
                        lane[l % 8] += sc * (q * xb[b].qs[32 * j + l]);
                    }
                    msum += mn * (xb[b].bsums[2 * j] + xb[b].bsums[2 * j + 1]);
                }
                float d = f16(wb[b].d) * xb[b].d, dmin = f16(wb[b].dmin) * xb[b].d;
                for (int l = 0; l < 8; l++)
                    lanes[l] += d * (float)lane[l];
                sum -= dmin * (float)msum;
            }
            for (int l = 0; l < 8; l++)
                sum += lanes[l];
            y[o] = sum;
        }
        free(xb), free(wb);
        return;
    }
    int nb = in / 32;
    gd_block_q8_0 *xb = malloc((size_t)nb * sizeof *xb), *w8 = malloc((size_t)nb * sizeof *w8);
    gd_block_q4_0 *w4 = malloc((size_t)nb * sizeof *w4);
    gd_q8_0_quantize(in, x, xb);
    for (int o = 0; o < out; o++) {
        float sum = 0;
        if (!strcmp(fmt, "q8_0")) {
            gd_q8_0_quantize(in, W + (size_t)o * in, w8);
            for (int b = 0; b < nb; b++) {
                int s = 0;
                for (int j = 0; j < 32; j++)
                    s += w8[b].qs[j] * xb[b].qs[j];
                sum += (float)s * (f16(w8[b].d) * f16(xb[b].d));
            }
        } else {
            gd_q4_0_quantize(in, W + (size_t)o * in, w4);
            for (int b = 0; b < nb; b++) {
                int s = 0;
                for (int j = 0; j < 16; j++)
                    s += ((w4[b].qs[j] & 0xF) - 8) * xb[b].qs[j] + ((w4[b].qs[j] >> 4) - 8) * xb[b].qs[j + 16];
                sum += (float)s * f16(w4[b].d) * f16(xb[b].d);
            }
        }
        y[o] = sum;
    }
    free(xb), free(w8), free(w4);
}

static void check_format(const char *fmt)
{
    gd_config c;
    gd_config_default(&c, GD_FAM_GPT2);
    c.vocab = 64, c.d_model = 256, c.n_layers = 1, c.n_heads = 4, c.n_kv_heads = 4, c.head_dim = 64, c.ffn_dim = 512, c.max_seq = 8;
    es_err e;
    gd_model m, orig;
    assert_int_equal(gd_model_init_synthetic(&m, &c, 3, &e), 0);
    assert_int_equal(gd_model_init_synthetic(&orig, &c, 3, &e), 0);
    gd_qformat f;
    assert_int_equal(gd_qformat_parse(fmt, &f, &e), 0);
    gd_quant_stats st;
    assert_int_equal(gd_model_quantize(&m, &f, NULL, 0, &st, &e), 0);
    assert_non_null(m.qlinear);
    /* the c_fc linear (GPT-2 Conv1D, stored [in, out]) on 3 activation rows */
    int in = c.d_model, out = c.ffn_dim, T = 3;
    float *x = malloc((size_t)T * in * sizeof *x), *y = malloc((size_t)T * out * sizeof *y),
          *want = malloc((size_t)out * sizeof *want), *Wt = malloc((size_t)out * in * sizeof *Wt);
    es_rng r;
    es_rng_seed(&r, 5);
    for (int i = 0; i < T * in; i++)
        x[i] = (float)es_rng_normal(&r);
    for (int k = 0; k < in; k++)
        for (int o = 0; o < out; o++)
            Wt[(size_t)o * in + k] = orig.L[0].w1[(size_t)k * out + o];
    m.qlinear(&m, T, in, out, x, m.L[0].w1, 1, NULL, y);
    int differs_from_fp32 = 0;
    for (int t = 0; t < T; t++) {
        ggml_reference(fmt, in, out, Wt, x + (size_t)t * in, want);
        assert_memory_equal(y + (size_t)t * out, want, (size_t)out * sizeof *want);
        /* not the dequantized-weight product */
        for (int o = 0; o < out && !differs_from_fp32; o++) {
            float d = 0;
            for (int k = 0; k < in; k++)
                d += m.L[0].w1[(size_t)k * out + o] * x[(size_t)t * in + k];
            differs_from_fp32 = d != y[(size_t)t * out + o];
        }
    }
    assert_true(differs_from_fp32);
    free(x), free(y), free(want), free(Wt);
    gd_model_free(&m);
    gd_model_free(&orig);
}

static void test_q8_0(void **st) { (void)st, check_format("q8_0"); }
static void test_q4_0(void **st) { (void)st, check_format("q4_0"); }
static void test_q4_k(void **st) { (void)st, check_format("q4_k"); }

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_q8_0), cmocka_unit_test(test_q4_0),
                                       cmocka_unit_test(test_q4_k)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
