/* golden/quant.h format table: names, parse errors, stored bytes computed by
 * hand from each layout's definition (bitsandbytes, AutoGPTQ v1, ggml, OCP
 * MX) for GPT-2-small and odd shapes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "golden/quant.h"

static int64_t bytes_of(const char *name, int64_t rows, int64_t cols)
{
    gd_qformat f;
    es_err e;
    assert_int_equal(gd_qformat_parse(name, &f, &e), 0);
    return gd_quant_weight_bytes(&f, rows, cols);
}

static void test_required_names(void **st)
{
    (void)st;
    static const char *need[] = {"int8", "llm.int8", "gptq4-g128", "gptq3-g128", "gptq4-g32", "gptq3-g32",
                                 "rtn4-g128", "rtn3-g128", "rtn4-g32", "rtn3-g32", "q8_0", "q4_0", "q4_k",
                                 "fp8-e4m3", "fp8-e5m2", "mxfp4"};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
        const gd_qformat *f = gd_qformat_find(need[i]);
        assert_non_null(f);
        assert_string_equal(f->name, need[i]);
    }
    for (int i = 0; i < gd_qformat_count(); i++)
        assert_ptr_equal(gd_qformat_find(gd_qformat_at(i)->name), gd_qformat_at(i));
    assert_null(gd_qformat_at(gd_qformat_count()));
}

static void test_bytes_by_hand(void **st)
{
    (void)st;
    /* GPT-2 c_fc as nn.Linear: rows = 3072 out, cols = 768 in. */
    int64_t r = 3072, c = 768, n = r * c;
    assert_int_equal(bytes_of("fp32", r, c), 4 * n);
    assert_int_equal(bytes_of("fp16", r, c), 2 * n);
    assert_int_equal(bytes_of("int8", r, c), n + 4 * r);
    assert_int_equal(bytes_of("llm.int8", r, c), n + 4 * r);
    /* gptq4-g128: qweight 768/8 words x 3072 x 4 B, scales 6 x 3072 x 2 B,
     * qzeros 6 x (3072/8) x 4 B, g_idx 768 x 4 B. */
    assert_int_equal(bytes_of("gptq4-g128", r, c), 96 * 3072 * 4 + 6 * 3072 * 2 + 6 * 384 * 4 + 768 * 4);
    assert_int_equal(bytes_of("rtn4-g128", r, c), bytes_of("gptq4-g128", r, c));
    /* 3-bit: 32 values in 3 words. */
    assert_int_equal(bytes_of("gptq3-g32", r, c), 72 * 3072 * 4 + 24 * 3072 * 2 + 24 * 288 * 4 + 768 * 4);
    assert_int_equal(bytes_of("gptq4-row", r, c), 96 * 3072 * 4 + 1 * 3072 * 2 + 1 * 384 * 4 + 768 * 4);
    assert_int_equal(bytes_of("q8_0", r, c), r * 24 * 34);
    assert_int_equal(bytes_of("q4_0", r, c), r * 24 * 18);
    assert_int_equal(bytes_of("q4_k", r, c), r * 3 * 144);
    assert_int_equal(bytes_of("fp8-e4m3", r, c), n + 4 * r);
    assert_int_equal(bytes_of("fp8-e5m2-t", r, c), n + 4);
    assert_int_equal(bytes_of("mxfp4", r, c), r * 24 * 17);
    /* Partial blocks count whole. */
    assert_int_equal(bytes_of("q4_k", 1, 257), 2 * 144);
    assert_int_equal(bytes_of("q8_0", 2, 33), 2 * 2 * 34);
    gd_qformat f;
    es_err e;
    assert_int_equal(gd_qformat_parse("q4_0", &f, &e), 0);
    assert_true(gd_quant_bits_per_weight(&f, 4096, 4096) == 4.5);
    assert_int_equal(gd_qformat_parse("q8_0", &f, &e), 0);
    assert_true(gd_quant_bits_per_weight(&f, 4096, 4096) == 8.5);
}

static void test_parse_errors(void **st)
{
    (void)st;
    gd_qformat f;
    es_err e;
    assert_int_equal(gd_qformat_parse("gptq2-g64-asym", &f, &e), 0);
    assert_int_equal(f.bits, 2);
    assert_int_equal(f.group, 64);
    assert_int_equal(f.sym, 0);
    assert_int_equal(gd_qformat_parse("gptq5-g128", &f, &e), -1);
    assert_non_null(strstr(e.msg, "bits out of range"));
    assert_int_equal(gd_qformat_parse("gptq4-g100", &f, &e), -1);
    assert_non_null(strstr(e.msg, "group size"));
    assert_int_equal(gd_qformat_parse("gptq4-g0", &f, &e), -1);
    assert_int_equal(gd_qformat_parse("rtn4-g128x", &f, &e), -1);
    assert_int_equal(gd_qformat_parse("int9", &f, &e), -1);
    assert_non_null(strstr(e.msg, "unknown format"));
    assert_null(strchr(e.msg, '\n'));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_required_names),
        cmocka_unit_test(test_bytes_by_hand),
        cmocka_unit_test(test_parse_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
