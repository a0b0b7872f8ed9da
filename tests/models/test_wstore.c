/* models/wstore.c: the stored bytes the path charges for a linear weight
 * under --quant and --sparsity equal what golden's own compressed
 * structures hold (gd_sp24_bytes, gd_bsr_bytes of a pruned matrix in fp32
 * and int8, gd_csr_bytes, gd_quant_weight_bytes), and the combined forms
 * follow their written formulas exactly. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/rng.h"
#include "golden/quant.h"
#include "golden/sparse.h"
#include "models/models.h"

static md_wstore store(const char *q, const char *sp, int64_t n, int64_t k)
{
    md_wstore w;
    es_err e;
    if (md_weight_store(q, sp, "W", n, k, &w, &e))
        fail_msg("%s", e.msg);
    return w;
}

/* a random n x k matrix without zeros */
static float *random_matrix(int n, int k, uint64_t seed)
{
    es_rng r;
    es_rng_seed(&r, seed);
    float *W = malloc((size_t)n * k * sizeof *W);
    for (int i = 0; i < n * k; i++)
        W[i] = es_rng_uniform(&r, 0.5f, 1.5f) * (es_rng_u64(&r) & 1 ? 1 : -1);
    return W;
}

static void test_dense_formats(void **state)
{
    (void)state;
    /* dense: the format's own layout, byte for byte; no format: n k words */
    for (int i = 0; i < gd_qformat_count(); i++) {
        const gd_qformat *f = gd_qformat_at(i);
        md_wstore w = store(f->name, "", 96, 320);
        assert_int_equal(md_wstore_bytes(&w, 2), gd_quant_weight_bytes(f, 96, 320));
        assert_true(w.side_bytes >= 0 && w.side_bytes < gd_quant_weight_bytes(f, 96, 320));
    }
    md_wstore w = store("", "", 96, 320);
    assert_int_equal(md_wstore_bytes(&w, 2), 2 * 96 * 320);
    assert_int_equal(w.side_bytes, 0);
}

static void test_sparse_matches_golden(void **state)
{
    (void)state;
    es_err e;
    const int n = 32, k = 48;
    /* 2:4: values + 2-bit indices */
    md_wstore w = store("", "2:4", n, k);
    assert_int_equal(w.kept, n * k / 2);
    assert_int_equal(md_wstore_bytes(&w, 4), gd_sp24_bytes(n, k, 4));
    assert_int_equal(md_wstore_bytes(&w, 2), gd_sp24_bytes(n, k, 2));
    /* BSR: prune a random matrix as golden does, compress it, compare */
    static const struct { const char *sp; int br, bc; double s; } B[] = {
        {"block4x1:0.8", 4, 1, 0.8}, {"block1x4:0.3", 1, 4, 0.3}, {"block2x8:0.55", 2, 8, 0.55}, {"block4x1:0", 4, 1, 0}};
    for (size_t i = 0; i < sizeof B / sizeof *B; i++) {
        for (int int8 = 0; int8 <= 1; int8++) {
            float *W = random_matrix(n, k, 7 + i);
            gd_bsr b;
            if (gd_prune_blocks(n, k, W, (size_t)k, 1, B[i].br, B[i].bc, B[i].s, &e) ||
                gd_bsr_from_dense(n, k, W, B[i].br, B[i].bc, int8, "W", &b, &e))
                fail_msg("%s", e.msg);
            w = store(int8 ? "int8" : "", B[i].sp, n, k);
            assert_int_equal(w.kept, (int64_t)b.nnzb * B[i].br * B[i].bc);
            assert_int_equal(md_wstore_bytes(&w, 4), gd_bsr_bytes(&b));
            gd_bsr_free(&b);
            free(W);
        }
    }
    /* CSR */
    float *W = random_matrix(n, k, 99);
    gd_csr c;
    if (gd_prune_unstructured(n, k, W, (size_t)k, 1, 0.7, &e) || gd_csr_from_dense(n, k, W, &c))
        fail_msg("%s", e.msg);
    w = store("", "unstructured:0.7", n, k);
    assert_int_equal(w.kept, c.nnz);
    assert_int_equal(md_wstore_bytes(&w, 4), gd_csr_bytes(&c));
    gd_csr_free(&c);
    free(W);
}

static void test_combined_formulas(void **state)
{
    (void)state;
    const int64_t n = 768, k = 3072, nk = n * k;
    /* int8 + 2:4: half the codes (1 byte), a 2-bit index each, fp32 row scales */
    md_wstore w = store("int8", "2:4", n, k);
    assert_int_equal(md_wstore_bytes(&w, 2), nk / 2 + nk / 8 + 4 * n);
    /* q4_0 + 2:4: half the nibbles, indices, every block's fp16 scale */
    w = store("q4_0", "2:4", n, k);
    assert_int_equal(md_wstore_bytes(&w, 2), nk / 4 + nk / 8 + 2 * n * (k / 32));
    /* gptq4-g128 + 2:4: half the packed codes + scales, qzeros, g_idx whole */
    const gd_qformat *g = gd_qformat_find("gptq4-g128");
    w = store("gptq4-g128", "2:4", n, k);
    assert_int_equal(md_wstore_bytes(&w, 2), nk / 4 + nk / 8 + (gd_quant_weight_bytes(g, n, k) - nk / 2));
    /* int8 + block4x1:0.8: kept blocks' codes, block columns, row pointers, row scales */
    int64_t nb = (n / 4) * k, kept = nb - (int64_t)(0.8 * (double)nb);
    w = store("int8", "block4x1:0.8", n, k);
    assert_int_equal(md_wstore_bytes(&w, 2), 4 * kept + 4 * kept + 4 * (n / 4 + 1) + 4 * n);
    /* the same at the word size: 2-byte values */
    w = store("", "block4x1:0.8", n, k);
    assert_int_equal(md_wstore_bytes(&w, 2), 8 * kept + 4 * kept + 4 * (n / 4 + 1));
    /* 3-bit codes of an odd count are packed and rounded up once */
    w = store("gptq3-g32", "block1x1:0.5", 2, 32);
    assert_int_equal(w.code_bytes, (32 * 3 + 7) / 8);
}

static void test_bad(void **state)
{
    (void)state;
    md_wstore w;
    es_err e;
    assert_int_equal(md_weight_store("", "block5x1:0.5", "q_proj", 768, 768, &w, &e), -1);
    assert_non_null(strstr(e.msg, "linear q_proj's weight is 768 x 768 (outputs x inputs); block 5x1 does not divide"));
    assert_int_equal(md_weight_store("", "2:4", "x", 8, 6, &w, &e), -1);
    assert_non_null(strstr(e.msg, "2:4 needs the inputs to be a multiple of 4"));
    assert_int_equal(md_weight_store("", "topk-attn:8", "x", 8, 8, &w, &e), -1);
    assert_non_null(strstr(e.msg, "not modelled on the path"));
    static const char *const bad[] = {"block4x1:1.0", "block4x1:-0.1", "block4x1:0.8x", "block0x1:0.5", "3:4",
                                      "unstructured:1", "block4x1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(md_sparsity_check(bad[i], &e), -1);
    char p[16];
    assert_int_equal(md_sparsity_pattern("block4x1:0.8", p, sizeof p), 0);
    assert_string_equal(p, "block4x1");
    assert_int_equal(md_sparsity_pattern("unstructured:0.5", p, sizeof p), 0);
    assert_string_equal(p, "unstructured");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dense_formats),
        cmocka_unit_test(test_sparse_matches_golden),
        cmocka_unit_test(test_combined_formulas),
        cmocka_unit_test(test_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
