/* Hostile bytes into golden's and base's readers, in-process (so ASan/UBSan
 * see every path): seeded mutations of a valid ONNX TensorProto, a valid
 * NodeProto-shaped buffer, and YAML text.  Every outcome must be success or
 * -1 with a non-empty one-line message; never a crash.  Also the ULP helpers
 * of golden/kcheck.h.  (einsim has no CLI that reads .pb files, so this is
 * where the ONNX reader meets hostile input; tests/e2e/hostile.sh covers the
 * CLI readers.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/err.h"
#include "golden/base/rng.h"
#include "golden/base/yaml.h"
#include "golden/kcheck.h"
#include "tests/golden/onnx_pb.h"

#define MUTATIONS 3000

static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    do {
        p[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return n;
}

/* TensorProto: dims 2, 3 (field 1), data_type FLOAT (2), name "x" (8),
 * raw_data 24 bytes (9). */
static size_t valid_tensor(uint8_t *b)
{
    size_t n = 0;
    b[n++] = 0x08, n += put_varint(b + n, 2);
    b[n++] = 0x08, n += put_varint(b + n, 3);
    b[n++] = 0x10, n += put_varint(b + n, GD_ONNX_FLOAT);
    b[n++] = 0x42, b[n++] = 1, b[n++] = 'x';
    b[n++] = 0x4a, b[n++] = 24;
    for (int i = 0; i < 6; i++) {
        float f = (float)i + 0.5f;
        memcpy(b + n, &f, 4);
        n += 4;
    }
    return n;
}

static void check_msg(int rc, const es_err *e)
{
    if (rc == 0)
        return;
    assert_int_equal(rc, -1);
    assert_true(e->msg[0] != '\0');
    assert_null(strchr(e->msg, '\n'));
}

static void mutate(es_rng *r, uint8_t *b, size_t *n, size_t cap)
{
    int k = 1 + (int)es_rng_below(r, 3);
    for (int i = 0; i < k && *n; i++) {
        size_t at = es_rng_below(r, *n);
        switch (es_rng_below(r, 4)) {
        case 0: /* flip a byte */
            b[at] = (uint8_t)es_rng_u64(r);
            break;
        case 1: /* truncate */
            *n = at;
            break;
        case 2: /* a huge varint where a length or tag was */
            if (at + 10 < cap) {
                memmove(b + at + 10, b + at, *n - at < cap - at - 10 ? *n - at : cap - at - 10);
                for (int j = 0; j < 9; j++)
                    b[at + j] = 0xff;
                b[at + 9] = 0x01;
                *n = *n + 10 < cap ? *n + 10 : cap;
            }
            break;
        default: /* duplicate a span */
            if (*n < cap / 2) {
                memcpy(b + *n, b + at, *n - at);
                *n += *n - at;
            }
        }
    }
}

static void test_onnx_tensor_mutations(void **state)
{
    (void)state;
    uint8_t base[128], b[512];
    size_t n0 = valid_tensor(base);
    gd_onnx_tensor t;
    es_err e;
    assert_int_equal(gd_onnx_parse_tensor("valid", base, n0, &t, &e), 0);
    assert_int_equal(t.numel, 6);
    gd_onnx_tensor_free(&t);
    es_rng r;
    es_rng_seed(&r, 11);
    int ok = 0;
    for (int i = 0; i < MUTATIONS; i++) {
        size_t n = n0;
        memcpy(b, base, n0);
        mutate(&r, b, &n, sizeof b);
        memset(&e, 0, sizeof e);
        int rc = gd_onnx_parse_tensor("mutated", b, n, &t, &e);
        check_msg(rc, &e);
        if (rc == 0) {
            ok++;
            float *f = gd_onnx_tensor_f32(&t, &e);
            free(f);
            gd_onnx_tensor_free(&t);
        }
    }
    print_message("onnx tensor: %d mutations, %d still parse, the rest one-line errors\n", MUTATIONS, ok);
    /* pure garbage and an empty buffer */
    for (int i = 0; i < 200; i++) {
        size_t n = es_rng_below(&r, sizeof b);
        for (size_t j = 0; j < n; j++)
            b[j] = (uint8_t)es_rng_u64(&r);
        int rc = gd_onnx_parse_tensor("garbage", b, n, &t, &e);
        check_msg(rc, &e);
        if (rc == 0)
            gd_onnx_tensor_free(&t);
    }
}

static void test_onnx_node_mutations(void **state)
{
    (void)state;
    /* NodeProto: input "x" (1), output "y" (2), op_type "Softmax" (4),
     * attribute {name "axis" (1), i 1 (3), type INT 2 (20)} (5) */
    uint8_t base[64] = {0x0a, 1, 'x', 0x12, 1, 'y', 0x22, 7, 'S', 'o', 'f', 't', 'm', 'a', 'x',
                        0x2a, 10, 0x0a, 4, 'a', 'x', 'i', 's', 0x18, 1, 0xa0, 0x01, 2};
    size_t n0 = 28;
    uint8_t b[512];
    es_rng r;
    es_rng_seed(&r, 12);
    es_err e;
    gd_onnx_node node;
    for (int i = 0; i < MUTATIONS; i++) {
        size_t n = n0;
        memcpy(b, base, n0);
        mutate(&r, b, &n, sizeof b);
        memset(&e, 0, sizeof e);
        memset(&node, 0, sizeof node);
        check_msg(gd_onnx_parse_node("mutated", b, n, &node, &e), &e);
    }
}

static void test_yaml_mutations(void **state)
{
    (void)state;
    static const char base[] = "name: x\nunits:\n  a: {rows: 4, cols: [1, 2, 3]}\n  b:\n    - k: 'v'\n"
                               "      n: 1e3\nlist: [a, {b: c}]\n";
    static const char *tok[] = {"[", "]", "{", "}", ":", "- ", "&a ", "*a", "!!int ", "\t", "\"", "'", "\n  ",
                                "? ", "|", ">", "%YAML 1.1\n", "---\n", "...\n", "\xff", "#"};
    es_rng r;
    es_rng_seed(&r, 13);
    char b[1024];
    int ok = 0;
    for (int i = 0; i < MUTATIONS; i++) {
        size_t n = sizeof base - 1;
        memcpy(b, base, n);
        int k = 1 + (int)es_rng_below(&r, 3);
        for (int j = 0; j < k && n; j++) {
            size_t at = es_rng_below(&r, n);
            const char *t = tok[es_rng_below(&r, sizeof tok / sizeof *tok)];
            size_t tl = strlen(t);
            if (n + tl < sizeof b) {
                memmove(b + at + tl, b + at, n - at);
                memcpy(b + at, t, tl);
                n += tl;
            }
        }
        es_err e;
        memset(&e, 0, sizeof e);
        es_ydoc *d = es_yaml_parse_string("mutated.yaml", b, n, &e);
        check_msg(d ? 0 : -1, &e);
        ok += d != NULL;
        es_yaml_free(d);
    }
    print_message("yaml: %d mutations, %d still parse\n", MUTATIONS, ok);
    /* nesting: deep input is refused with a located message, not a stack overflow */
    size_t deep = 200000;
    char *s = malloc(2 * deep + 8);
    memcpy(s, "a: ", 3);
    memset(s + 3, '[', deep);
    memset(s + 3 + deep, ']', deep);
    es_err e;
    es_ydoc *d = es_yaml_parse_string("deep.yaml", s, 3 + 2 * deep, &e);
    assert_null(d);
    assert_non_null(strstr(e.msg, "deep.yaml:1:"));
    assert_non_null(strstr(e.msg, "nested deeper than"));
    free(s);
}

static void test_ulp_helpers(void **state)
{
    (void)state;
    assert_true(gd_ulp_distance(1.0f, 1.0f) == 0);
    assert_true(gd_ulp_distance(0.0f, -0.0f) == 0);
    assert_true(gd_ulp_distance(1.0f, nextafterf(1.0f, 2.0f)) == 1);
    assert_true(gd_ulp_distance(-FLT_TRUE_MIN, FLT_TRUE_MIN) == 2);
    assert_true(gd_ulp_distance(FLT_MAX, INFINITY) == 1);
    assert_true(isinf(gd_ulp_distance(NAN, 1.0f)));
    assert_true(gd_ulp_distance(NAN, NAN) == 0);
    assert_true(gd_ulp_of(1.0L) == 0x1p-23L);
    assert_true(gd_ulp_of(1e-45L) == 0x1p-149L);
    gd_round rm;
    assert_int_equal(gd_round_parse("toward-zero", &rm), 0);
    assert_int_equal(rm, GD_RND_TOWARD_ZERO);
    assert_int_equal(gd_round_parse("up", &rm), -1);
}

static void test_kcheck_bounds(void **state)
{
    (void)state;
    gd_kc_opts o;
    gd_kc_opts_init(&o);
    gd_kc_result r;
    es_err e;
    o.m = 3, o.n = 257;
    assert_int_equal(gd_kernel_check("softmax", &o, &r, &e), 0);
    assert_int_equal(r.n_lines, 6);
    assert_true(gd_kc_worst(&r) <= 1);
    o.nq = 9, o.nk = 40, o.d = 8, o.dv = 4, o.block = 5, o.causal = 1;
    assert_int_equal(gd_kernel_check("attention", &o, &r, &e), 0);
    assert_true(r.line[1].max_abs == 0 && r.line[2].max_abs == 0); /* varlen bit for bit */
    assert_true(gd_kc_worst(&r) <= 1);
    assert_int_equal(gd_kernel_check("fft", &o, &r, &e), -1);
    assert_non_null(strstr(e.msg, "unknown kernel 'fft'"));
    /* a given input with a NaN is refused by index */
    float x[4] = {1, 2, NAN, 3};
    o.m = 1, o.n = 4, o.input = x;
    assert_int_equal(gd_kernel_check("softmax", &o, &r, &e), -1);
    assert_non_null(strstr(e.msg, "input value 2"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_onnx_tensor_mutations), cmocka_unit_test(test_onnx_node_mutations),
        cmocka_unit_test(test_yaml_mutations),        cmocka_unit_test(test_ulp_helpers),
        cmocka_unit_test(test_kcheck_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
