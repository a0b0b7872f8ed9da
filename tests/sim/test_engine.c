/* sim/engine: time order, deterministic tie-break, shift (fast-forward). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "golden/base/rng.h"
#include "sim/engine/engine.h"

typedef struct log_t {
    int n;
    uint64_t t[4096];
    int64_t arg[4096];
} log_t;

static void rec(sim_engine *en, void *obj, int64_t arg)
{
    log_t *l = obj;
    l->t[l->n] = en->now;
    l->arg[l->n++] = arg;
}

static void test_time_order(void **state)
{
    (void)state;
    sim_engine en;
    sim_engine_init(&en);
    static log_t l;
    l.n = 0;
    es_rng r;
    es_rng_seed(&r, 42);
    for (int i = 0; i < 1000; i++)
        sim_at(&en, es_rng_below(&r, 500), rec, &l, i);
    sim_run_all(&en);
    assert_int_equal(l.n, 1000);
    for (int i = 1; i < l.n; i++) {
        assert_true(l.t[i - 1] <= l.t[i]);
        if (l.t[i - 1] == l.t[i]) /* same cycle: posting order */
            assert_true(l.arg[i - 1] < l.arg[i]);
    }
    assert_int_equal(en.n_events, 1000);
    sim_engine_free(&en);
}

/* A handler that posts more events, some at the current cycle. */
static void chain(sim_engine *en, void *obj, int64_t arg)
{
    rec(en, obj, arg);
    if (arg < 200) {
        sim_at(en, en->now + (uint64_t)(arg % 3), chain, obj, arg + 1);
        sim_at(en, en->now, rec, obj, 10000 + arg);
    }
}

static void run_chain(log_t *l)
{
    sim_engine en;
    sim_engine_init(&en);
    l->n = 0;
    sim_at(&en, 5, chain, l, 0);
    sim_run_all(&en);
    sim_engine_free(&en);
}

static void test_determinism(void **state)
{
    (void)state;
    static log_t a, b;
    run_chain(&a);
    run_chain(&b);
    assert_int_equal(a.n, b.n);
    assert_memory_equal(a.t, b.t, sizeof(uint64_t) * (size_t)a.n);
    assert_memory_equal(a.arg, b.arg, sizeof(int64_t) * (size_t)a.n);
    /* an event posted at `now` by a handler fires after the ones already queued at now */
    for (int i = 1; i < a.n; i++)
        assert_true(a.t[i - 1] <= a.t[i]);
}

static void test_shift_and_past(void **state)
{
    (void)state;
    sim_engine en;
    sim_engine_init(&en);
    static log_t l;
    l.n = 0;
    sim_at(&en, 10, rec, &l, 1);
    sim_at(&en, 20, rec, &l, 2);
    assert_int_equal(sim_step(&en), 1);
    assert_int_equal(en.now, 10);
    sim_engine_shift(&en, 1000);
    assert_int_equal(en.now, 1010);
    sim_at(&en, 3, rec, &l, 3); /* in the past: clamped to now */
    sim_run_all(&en);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.t[1], 1010);
    assert_int_equal(l.arg[1], 3);
    assert_int_equal(l.t[2], 1020);
    assert_int_equal(sim_step(&en), 0);
    sim_engine_free(&en);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_order),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_shift_and_past),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
