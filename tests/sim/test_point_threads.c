/* Points of a sweep run on threads of one process (DESIGN §5: no global
 * mutable state; the catalogue cache is per thread).  N points run on
 * threads, all at once, must give reports byte-identical to the same points
 * run one after another on the main thread; overrides (--set) included.
 * `make SANITIZE=1 test` runs this under ASan/UBSan too; built with
 * -fsanitize=thread (docs/sweep.md) it is clean, and it reports the race
 * when the catalogue cache is made process-wide again. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cli/point.h"

#define NPTS 6

typedef struct pt {
    cli_point p;
    cli_run run;
    sim_report r;
    int rc;
    char *json;
} pt;

static void setup_point(pt *x, int i)
{
    static const char *const archs[NPTS] = {"fusemax", "fusemax", "flat", "unfused", "fusemax", "fusemax"};
    static const char *const sets[NPTS] = {NULL, "units.array2d.rows=128", NULL, NULL, "storage.gb.capacity_bytes=4194304",
                                           NULL};
    memset(x, 0, sizeof *x);
    md_run_init(&x->run.run);
    x->run.run.scope = MD_SCOPE_ATTENTION;
    x->run.run.batch = 2 + i;
    x->run.run.seq = 512 << (i % 3);
    x->p.arch = archs[i];
    x->p.model = i % 2 ? "gpt2-small" : "bert-base";
    x->p.run = &x->run;
    x->p.search = i == 5;
    x->p.so.objective = MP_OBJ_LATENCY;
    x->p.so.budget = 500;
    x->p.so.seed = 7;
    if (sets[i]) {
        x->p.sets[0] = sets[i];
        x->p.n_sets = 1;
    }
}

static void *run_one(void *arg)
{
    pt *x = arg;
    es_err e;
    x->rc = cli_point_run(&x->p, NULL, &x->r, &e);
    x->json = x->rc ? NULL : sim_report_json(&x->r);
    return NULL;
}

static void test_threads_equal_serial(void **state)
{
    (void)state;
    setenv("EINSIM_REPRODUCIBLE", "1", 1); /* wall-clock fields zeroed */
    pt *ser = calloc(NPTS, sizeof *ser), *par = calloc(NPTS, sizeof *par);
    assert_non_null(ser);
    assert_non_null(par);
    /* threads first, while every cache is still empty: the first loads
     * race there if anything is shared (ThreadSanitizer reports it) */
    pthread_t th[NPTS];
    for (int i = 0; i < NPTS; i++) {
        setup_point(&par[i], i);
        assert_int_equal(pthread_create(&th[i], NULL, run_one, &par[i]), 0);
    }
    for (int i = 0; i < NPTS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < NPTS; i++) {
        setup_point(&ser[i], i);
        run_one(&ser[i]);
        assert_int_equal(ser[i].rc, 0);
    }
    for (int i = 0; i < NPTS; i++) {
        assert_int_equal(par[i].rc, 0);
        assert_string_equal(par[i].json, ser[i].json);
    }
    /* the override reached the simulation and the label */
    assert_string_equal(ser[1].r.arch, "fusemax[units.array2d.rows=128]");
    assert_true(ser[1].r.cycles != ser[0].r.cycles || ser[1].r.batch != ser[0].r.batch);
    for (int i = 0; i < NPTS; i++) {
        free(ser[i].json);
        free(par[i].json);
    }
    free(ser);
    free(par);
}

/* A bad override is an error naming it, not an exit. */
static void test_bad_override_is_error(void **state)
{
    (void)state;
    pt x;
    setup_point(&x, 0);
    x.p.sets[0] = "units.array2d.rows=many";
    x.p.n_sets = 1;
    es_err e;
    assert_int_equal(cli_point_run(&x.p, NULL, &x.r, &e), -1);
    assert_non_null(strstr(e.msg, "--set units.array2d.rows=many"));
    x.p.sets[0] = "units.nosuch.rows=1";
    assert_int_equal(cli_point_run(&x.p, NULL, &x.r, &e), -1);
    assert_non_null(strstr(e.msg, "has no key 'nosuch'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_equal_serial),
        cmocka_unit_test(test_bad_override_is_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
