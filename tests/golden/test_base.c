/* base room: YAML tree with locations, key checking, atomic output, RNG. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "golden/base/base.h"

static es_ydoc *parse(const char *text, es_err *e)
{
    return es_yaml_parse_string("spec.yaml", text, strlen(text), e);
}

static void test_yaml_values_and_paths(void **state)
{
    (void)state;
    es_err e;
    es_ydoc *d = parse("clock_hz: 940e6\nunits:\n  array2d: {rows: 256, cols: 256}\nlist: [1, 2, 3]\n", &e);
    assert_non_null(d);
    double clk = 0;
    assert_int_equal(es_y_double(d->root, "clock_hz", 1, &clk, &e), 0);
    assert_true(clk == 940e6);
    es_ynode *a = es_y_get(es_y_get(d->root, "units"), "array2d");
    int64_t rows = 0;
    assert_int_equal(es_y_int(a, "rows", 1, &rows, &e), 0);
    assert_int_equal(rows, 256);
    assert_string_equal(a->path, "units.array2d");
    assert_int_equal(a->line, 3);
    es_ynode *l = es_y_get(d->root, "list");
    assert_int_equal(l->n, 3);
    assert_string_equal(l->items[2]->path, "list[2]");
    es_yaml_free(d);
}

static void test_yaml_errors_are_located(void **state)
{
    (void)state;
    es_err e;
    es_ydoc *d = parse("a: 1\nb:\n  rows: 25x\n", &e);
    assert_non_null(d);
    int64_t v;
    assert_int_equal(es_y_int(es_y_get(d->root, "b"), "rows", 1, &v, &e), -1);
    assert_string_equal(e.msg, "spec.yaml:3:9: key 'b.rows': expected an integer, got '25x'");
    assert_int_equal(es_y_int(d->root, "c", 1, &v, &e), -1);
    assert_non_null(strstr(e.msg, "missing required key 'c'"));
    static const char *const allowed[] = {"a", "bank", NULL};
    assert_int_equal(es_y_check_keys(d->root, allowed, &e), -1);
    assert_non_null(strstr(e.msg, "spec.yaml:2:1: key 'b': unknown key 'b'"));
    es_yaml_free(d);
    assert_null(parse("a: [1, 2\n", &e));
    assert_non_null(strstr(e.msg, "spec.yaml:"));
    assert_null(parse("a: 1\na: 2\n", &e));
    assert_non_null(strstr(e.msg, "duplicate key 'a'"));
}

static void test_misspelled_key_suggestion(void **state)
{
    (void)state;
    es_err e;
    es_ydoc *d = parse("colck_hz: 1\n", &e);
    static const char *const allowed[] = {"clock_hz", "units", NULL};
    assert_int_equal(es_y_check_keys(d->root, allowed, &e), -1);
    assert_non_null(strstr(e.msg, "did you mean 'clock_hz'"));
    es_yaml_free(d);
}

static void test_atomic_output(void **state)
{
    (void)state;
    char path[] = "/tmp/es_test_outXXXXXX";
    int fd = mkstemp(path);
    close(fd);
    es_err e;
    es_out o;
    assert_int_equal(es_out_open(&o, path, &e), 0);
    fputs("partial", o.fp);
    es_out_abort(&o); /* the old (empty) file is untouched */
    char *txt;
    size_t n;
    assert_int_equal(es_read_file(path, &txt, &n, &e), 0);
    assert_int_equal(n, 0);
    free(txt);
    assert_int_equal(es_write_file(path, "hello", 5, &e), 0);
    assert_int_equal(es_read_file(path, &txt, &n, &e), 0);
    assert_string_equal(txt, "hello");
    free(txt);
    remove(path);
    assert_int_equal(es_out_open(&o, "/nonexistent-dir/x.json", &e), -1);
}

static void test_rng_deterministic(void **state)
{
    (void)state;
    es_rng a, b;
    es_rng_seed(&a, 42);
    es_rng_seed(&b, 42);
    for (int i = 0; i < 1000; i++)
        assert_true(es_rng_u64(&a) == es_rng_u64(&b));
    es_rng_seed(&b, 43);
    assert_false(es_rng_u64(&a) == es_rng_u64(&b));
    for (int i = 0; i < 1000; i++) {
        float f = es_rng_float(&a);
        assert_true(f >= 0.0f && f < 1.0f);
        assert_true(es_rng_below(&a, 7) < 7);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_values_and_paths),
        cmocka_unit_test(test_yaml_errors_are_located),
        cmocka_unit_test(test_misspelled_key_suggestion),
        cmocka_unit_test(test_atomic_output),
        cmocka_unit_test(test_rng_deterministic),
    };
    return cmocka_run_group_tests_name("base", tests, NULL, NULL);
}
