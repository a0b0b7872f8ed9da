/* mapper room: architecture specs and energy tables load; bad specs are
 * rejected with one located line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/io.h"
#include "mapper/arch.h"
#include "mapper/cost.h"
#include "mapper/mapping.h"
#include "arch_kinds.h"

static const char good[] = "name: t\n"
                           "clock_hz: 1e9\n"
                           "word_bytes: 2\n"
                           "energy: fusemax-45nm\n"
                           "units:\n"
                           "  a2:\n"
                           "    kind: array2d\n"
                           "    rows: 4\n"
                           "    cols: 8\n"
                           "    ops:\n"
                           "      mac: {cycles: 1, actions: {mac: 1}}\n"
                           "  a1:\n"
                           "    kind: array1d\n"
                           "    cols: 8\n"
                           "    ops:\n"
                           "      max: {cycles: 1, actions: {max: 1}}\n"
                           "      exp: {cycles: 7, actions: {mac: 6, add: 1}}\n"
                           "storage:\n"
                           "  rf:\n"
                           "    kind: regfile\n"
                           "    unit: a2\n"
                           "    entries: 4\n"
                           "    read_action: rf_read\n"
                           "    write_action: rf_write\n"
                           "  gb:\n"
                           "    kind: buffer\n"
                           "    capacity_bytes: 1024\n"
                           "    width_bits: 64\n"
                           "    read_action: gb_read\n"
                           "    write_action: gb_write\n"
                           "memory:\n"
                           "  name: dram\n"
                           "  kind: bandwidth\n"
                           "  bandwidth_Bps: 1e9\n"
                           "  read_action: dram_read\n"
                           "  write_action: dram_write\n";

/* Replace the first occurrence of `from` in good[] with `to`. */
static char *edit(const char *from, const char *to)
{
    const char *p = strstr(good, from);
    assert_non_null(p);
    size_t n = strlen(good) - strlen(from) + strlen(to) + 1;
    char *s = malloc(n);
    memcpy(s, good, (size_t)(p - good));
    strcpy(s + (p - good), to);
    strcat(s, p + strlen(from));
    return s;
}

static void expect_bad(const char *from, const char *to, const char *needle, int line)
{
    char *txt = edit(from, to);
    es_err e;
    mp_arch *a = mp_arch_parse("spec.yaml", txt, &fx_kinds, &e);
    assert_null(a);
    if (!strstr(e.msg, needle))
        fail_msg("message '%s' lacks '%s'", e.msg, needle);
    char loc[32];
    snprintf(loc, sizeof loc, "spec.yaml:%d:", line);
    if (!strstr(e.msg, loc))
        fail_msg("message '%s' lacks location '%s'", e.msg, loc);
    assert_null(strchr(e.msg, '\n'));
    free(txt);
}

static void test_good_spec(void **state)
{
    (void)state;
    es_err e;
    mp_arch *a = mp_arch_parse("spec.yaml", good, &fx_kinds, &e);
    if (!a)
        fail_msg("%s", e.msg);
    assert_int_equal(a->n_units, 2);
    assert_int_equal(a->units[0].rows * a->units[0].cols, 32);
    assert_int_equal(a->units[1].rows, 1);
    assert_true(mp_unit_op(&a->units[1], MP_OP_EXP)->cycles == 7);
    assert_null(mp_unit_op(&a->units[0], MP_OP_EXP));
    /* exp = 6 MAC + 1 add (fusemax.md §2.3) */
    assert_true(mp_unit_op_energy(a, &a->units[1], MP_OP_EXP) == 6 * 17.1645 + 8.3395);
    assert_true(mp_unit_peak(&a->units[1], MP_OP_EXP) == 8.0 / 7);
    assert_int_equal(mp_arch_store(a, "rf")->capacity_bytes, 8);
    assert_ptr_equal(mp_arch_buffer(a), mp_arch_store(a, "gb"));
    mp_arch_free(a);
}

static void test_bad_specs(void **state)
{
    (void)state;
    expect_bad("clock_hz", "clok_hz", "did you mean", 2);
    expect_bad("    unit: a2\n", "    unit: a3\n", "unknown unit 'a3'", 21);
    expect_bad("      max: {cycles", "      maxx: {cycles", "unknown op 'maxx'", 16);
    expect_bad("kind: array1d", "kind: array3d", "unknown unit kind", 13);
    expect_bad("{mac: 6, add: 1}", "{mac: 6, adder: 1}", "action 'adder' is not in energy table", 17);
    expect_bad("capacity_bytes: 1024", "capacity_bytes: 0", "expected an integer in 1..", 27);
    expect_bad("  bandwidth_Bps: 1e9\n", "", "missing required key 'bandwidth_Bps'", 32);
    expect_bad("    rows: 4\n", "    rows: 4\n    colz: 3\n", "did you mean", 9);
}

/* Every bundled architecture loads, with its energy table. */
static void test_bundled(void **state)
{
    (void)state;
    int n;
    char **names = es_bundled_names("arch", ".yaml", &n, NULL, 0);
    for (int i = 0; i < n; i++) {
        es_err e;
        mp_arch *a = mp_arch_load(names[i], &fx_kinds, &e);
        if (!a)
            fail_msg("%s: %s", names[i], e.msg);
        assert_string_equal(a->name, names[i]);
        assert_non_null(mp_arch_buffer(a));
        mp_arch_free(a);
    }
    es_names_free(names);
    assert_true(n >= 6);
    /* the FuseMax and FLAT figures of fusemax.md §2 */
    es_err e;
    mp_arch *f = mp_arch_load("fusemax", &fx_kinds, &e);
    assert_non_null(f);
    assert_true(f->clock_hz == 940e6);
    assert_true(f->mem.bandwidth_Bps == 400.0 * 1073741824.0);
    assert_int_equal(mp_arch_buffer(f)->capacity_bytes, 16 << 20);
    assert_int_equal(mp_arch_unit(f, "array2d")->rows, 256);
    assert_non_null(mp_unit_op(mp_arch_unit(f, "array2d"), MP_OP_MAX));
    mp_arch_free(f);
    mp_arch *fl = mp_arch_load("flat", &fx_kinds, &e);
    assert_non_null(fl);
    assert_int_equal(mp_arch_buffer(fl)->capacity_bytes, 32 << 20);
    assert_null(mp_unit_op(mp_arch_unit(fl, "array2d"), MP_OP_MAX));
    mp_arch_free(fl);
}

static const char *const map_txt = "arch: fusemax\n"
                                   "cascades:\n"
                                   "  - cascade: attention-3pass\n"
                                   "    label: attention\n"
                                   "    ranks: {e: 64, f: 64, m: 1024, p: 1024, m0: 256}\n"
                                   "    repeat: 2\n"
                                   "    bindings: {QK: array2d, GM: array1d, SN: array1d, SD: array1d, A: array1d, AV: array2d}\n"
                                   "    groups:\n"
                                   "      - name: g\n"
                                   "        einsums: [QK, GM, SN, SD, A, AV]\n"
                                   "        schedule: {kind: pipelined}\n"
                                   "        nest:\n"
                                   "          - level: dram\n"
                                   "            loops: [[rep, 2], [p, 4], [m, 4]]\n"
                                   "          - level: pe\n"
                                   "            loops: [[p, 256, cols], [m, 256, rows]]\n";

static int check_map(const char *arch, const char *from, const char *to, es_err *e, mp_cost *c)
{
    const char *p = strstr(map_txt, from);
    assert_non_null(p);
    char buf[4096];
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(p - map_txt), map_txt, to, p + strlen(from));
    mp_mapping m;
    if (mp_mapping_parse("map.yaml", buf, &m, e))
        return -2;
    mp_arch *a = mp_arch_load(arch, &fx_kinds, e);
    assert_non_null(a);
    int rc = mp_cost_eval(a, &m, c, e);
    mp_mapping_free(&m);
    mp_arch_free(a);
    return rc;
}

static void test_bad_mappings(void **state)
{
    (void)state;
    es_err e;
    mp_cost c;
    assert_int_equal(check_map("fusemax", "rep, 2", "rep, 2", &e, &c), 0);
    assert_true(c.valid);
    /* unknown unit */
    assert_int_equal(check_map("fusemax", "GM: array1d", "GM: array9d", &e, &c), -1);
    assert_non_null(strstr(e.msg, "unknown unit 'array9d'"));
    /* op not supported by the bound unit: FLAT's 2D PEs have no max */
    assert_int_equal(check_map("flat", "GM: array1d", "GM: array2d", &e, &c), -1);
    assert_non_null(strstr(e.msg, "einsum GM needs op 'max', which unit 'array2d' does not support"));
    /* factors that do not cover the rank */
    assert_int_equal(check_map("fusemax", "[p, 4]", "[p, 2]", &e, &c), -1);
    assert_non_null(strstr(e.msg, "rank p multiply to 512, expected 1024"));
    /* tile larger than the buffer: a whole 1024x1024 head of scores plus
     * Q is fine (2 MiB), but 64 heads at once are not */
    assert_int_equal(check_map("fusemax", "[rep, 2], [p, 4], [m, 4]", "[p, 1], [m, 4]", &e, &c), -1);
    assert_int_equal(check_map("fusemax", "repeat: 2", "repeat: 64", &e, &c), -1); /* rep factors now wrong */
    assert_int_equal(check_map("fusemax", "[rep, 2], [p, 4], [m, 4]]\n", "[rep, 1], [p, 1], [m, 4]]\n          - level: gb\n            loops: [[rep, 2], [p, 4]]\n", &e, &c), 0);
    assert_int_equal(c.valid, 1);
    /* misspelled mapping key */
    assert_int_equal(check_map("fusemax", "einsums:", "einsum:", &e, &c), -2);
    assert_non_null(strstr(e.msg, "map.yaml:10:"));
    assert_non_null(strstr(e.msg, "did you mean"));
}

static void test_buffer_overflow_flagged(void **state)
{
    (void)state;
    es_err e;
    mp_cost c;
    /* the whole 4096 x 4096 score matrix of a head live on chip: 32 MiB of
     * fp16 fibres > the 16 MiB buffer (flagged, not an error) */
    int rc = check_map("fusemax", "m: 1024, p: 1024", "m: 4096, p: 4096", &e, &c);
    assert_int_equal(rc, -1); /* factors no longer cover the ranks */
    const char *from = "m: 1024, p: 1024";
    const char *p = strstr(map_txt, from);
    char buf[4096];
    snprintf(buf, sizeof buf, "%.*sm: 4096, p: 4096%s", (int)(p - map_txt), map_txt, p + strlen(from));
    char *q = strstr(buf, "[rep, 2], [p, 4], [m, 4]]");
    assert_non_null(q);
    memmove(q + strlen("[rep, 2], [p, 16], [m, 16]]"), q + strlen("[rep, 2], [p, 4], [m, 4]]"),
            strlen(q + strlen("[rep, 2], [p, 4], [m, 4]]")) + 1);
    memcpy(q, "[rep, 2], [p, 16], [m, 16]]", strlen("[rep, 2], [p, 16], [m, 16]]"));
    mp_mapping m;
    mp_arch *a = mp_arch_load("fusemax", &fx_kinds, &e);
    assert_int_equal(mp_mapping_parse("map.yaml", buf, &m, &e), 0);
    assert_int_equal(mp_cost_eval(a, &m, &c, &e), 0);
    assert_int_equal(c.valid, 1); /* row blocks of 256: fits */
    mp_mapping_free(&m);
    /* p not tiled at DRAM: all 4096 rows x 4096 keys live */
    q = strstr(buf, "[p, 16], [m, 16]]");
    memcpy(q, "[p, 1],  [m, 16]]", strlen("[p, 1],  [m, 16]]"));
    q = strstr(buf, "[[p, 256, cols]");
    memcpy(q, "[[p,4096, cols]", strlen("[[p,4096, cols]"));
    assert_int_equal(mp_mapping_parse("map.yaml", buf, &m, &e), 0);
    assert_int_equal(mp_cost_eval(a, &m, &c, &e), 0);
    assert_int_equal(c.valid, 0);
    assert_non_null(strstr(c.why, "needs"));
    assert_true(c.buffer_peak_bytes >= 4096.0 * 4096 * 2);
    mp_mapping_free(&m);
    mp_arch_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_spec),      cmocka_unit_test(test_bad_specs),
        cmocka_unit_test(test_bundled),        cmocka_unit_test(test_bad_mappings),
        cmocka_unit_test(test_buffer_overflow_flagged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
