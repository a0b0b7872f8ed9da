/* sim room: the report's tables never drop an entry silently.  A unit,
 * energy component or extra figure beyond its table is refused, named in
 * `overflow`, and every writer fails with that message (it used to reuse
 * the last unit slot, or drop the entry). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "sim/report/report.h"

static void expect_refused(sim_report *r, const char *needle)
{
    es_err e;
    assert_int_equal(sim_report_check(r, &e), -1);
    if (!strstr(e.msg, needle))
        fail_msg("'%s' lacks '%s'", e.msg, needle);
    assert_int_equal(sim_report_write_json(r, "/dev/null", &e), -1);
    assert_non_null(strstr(e.msg, needle));
    const sim_report *rs[1] = {r};
    assert_int_equal(sim_report_write_csv(rs, 1, "/dev/null", &e), -1);
    assert_int_equal(sim_report_write_all(r, "/dev/null", NULL, NULL, NULL, 1e9, &e), -1);
    assert_non_null(strstr(e.msg, needle));
}

static void test_units_full(void **state)
{
    (void)state;
    static sim_report r;
    sim_report_init(&r, "run");
    char name[16];
    for (int i = 0; i < SIM_REP_UNITS; i++) {
        snprintf(name, sizeof name, "u%d", i);
        sim_rep_unit *u = sim_report_unit(&r, name);
        assert_non_null(u);
        u->busy_cycles = (uint64_t)i + 1;
    }
    es_err e;
    assert_int_equal(sim_report_check(&r, &e), 0);
    assert_non_null(sim_report_unit(&r, "u3")); /* an existing one is found */
    assert_null(sim_report_unit(&r, "dram"));
    /* the last slot keeps its own figures */
    snprintf(name, sizeof name, "u%d", SIM_REP_UNITS - 1);
    assert_string_equal(r.units[SIM_REP_UNITS - 1].name, name);
    assert_int_equal(r.units[SIM_REP_UNITS - 1].busy_cycles, SIM_REP_UNITS);
    expect_refused(&r, "'dram' does not fit");
}

static void test_energy_and_extra_full(void **state)
{
    (void)state;
    static sim_report r;
    sim_report_init(&r, "run");
    char name[16];
    for (int i = 0; i < SIM_REP_ENERGY; i++) {
        snprintf(name, sizeof name, "c%d", i);
        sim_report_energy_add(&r, name, 1);
    }
    sim_report_energy_add(&r, "c0", 1); /* existing: adds up */
    es_err e;
    assert_int_equal(sim_report_check(&r, &e), 0);
    sim_report_energy_add(&r, "late", 5);
    sim_report_finish(&r);
    assert_true(r.energy_pj == SIM_REP_ENERGY + 1);
    expect_refused(&r, "energy components");

    sim_report_init(&r, "gemm");
    for (int i = 0; i < SIM_REP_EXTRA; i++) {
        snprintf(name, sizeof name, "x%d", i);
        sim_report_extra(&r, name, i);
    }
    assert_int_equal(sim_report_check(&r, &e), 0);
    sim_report_extra(&r, "one_more", 1);
    expect_refused(&r, "'one_more' does not fit");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_units_full),
        cmocka_unit_test(test_energy_and_extra_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
