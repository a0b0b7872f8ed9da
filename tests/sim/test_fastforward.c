/* Exact fast-forward: on every case small enough to simulate fully, the
 * fast-forwarded run equals the full run in cycles, busy cycles, per-Einsum
 * cycles and ops, DRAM bytes and energy.  Also: the FuseMax binding's
 * per-tile epoch time, invalid mappings, functional mode. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "runs.h"
#include "mapper/arch.h"
#include "mapper/resolve.h"
#include "models/models.h"
#include "sim/buf/buffer.h"
#include "sim/sim.h"

static mp_arch *arch(const char *name)
{
    es_err e;
    mp_arch *a = sim_arch_load(name, &e);
    if (!a)
        fail_msg("%s", e.msg);
    return a;
}

static void test_ff_equals_full(void **state)
{
    (void)state;
    mp_arch *a = arch("fusemax");
    static const struct {
        int64_t rep, E, P, M, P0, M0, P1;
        mp_sched_kind s;
    } cases[] = {
        {2, 64, 4096, 4096, 256, 256, 4, MP_SCHED_INTERLEAVED},
        {3, 64, 2048, 8192, 256, 256, 8, MP_SCHED_INTERLEAVED},
        {8, 128, 1024, 1024, 256, 256, 4, MP_SCHED_INTERLEAVED},
        {2, 64, 8192, 4096, 256, 256, 16, MP_SCHED_INTERLEAVED},
        {5, 64, 2048, 3000, 256, 256, 8, MP_SCHED_INTERLEAVED}, /* m not a multiple of M0 */
        {2, 64, 4096, 4096, 256, 256, 4, MP_SCHED_PIPELINED},
        {4, 32, 1024, 2048, 128, 128, 4, MP_SCHED_PIPELINED},
        {2, 64, 2048, 4096, 256, 256, 8, MP_SCHED_SEQUENTIAL},
        {16, 64, 1024, 1024, 256, 256, 4, MP_SCHED_SEQUENTIAL},
    };
    int any_ff = 0;
    mp_mapping m = {0};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        fx_fusemax(&m, cases[i].rep, cases[i].E, cases[i].E, cases[i].P, cases[i].M, cases[i].P0, cases[i].M0,
                   cases[i].P1, cases[i].s);
        static sim_report full, ff;
        es_err e;
        if (run(a, &m, 0, &full, &e) || run(a, &m, 1, &ff, &e))
            fail_msg("case %zu: %s", i, e.msg);
        same(&full, &ff, 0);
        assert_int_equal(full.fast_forwarded_cycles, 0);
        assert_int_equal(ff.simulated_cycles + ff.fast_forwarded_cycles, ff.cycles);
        any_ff |= ff.fast_forwarded_cycles > 0;
    }
    assert_true(any_ff); /* the comparison is not vacuous */
    mp_mapping_free(&m);
    mp_arch_free(a);
}

/* The bundled mappings of all five architectures, resolved by the mapper for
 * small workloads, attention and layer scope: fast-forward == full. */
static void test_ff_bundled(void **state)
{
    (void)state;
    const char *archs[] = {"unfused", "flat", "fusemax-cascade", "fusemax-arch", "fusemax"};
    const char *models[] = {"bert-base", "xlm"};
    int any_ff = 0, n = 0;
    for (int ai = 0; ai < 5; ai++)
        for (int mi = 0; mi < 2; mi++)
            for (int sc = 0; sc < 2; sc++) {
                es_err e;
                mp_arch *a = arch(archs[ai]);
                md_model mm;
                if (md_model_load(models[mi], &mm, &e))
                    fail_msg("%s", e.msg);
                md_run r;
                md_run_init(&r);
                r.scope = sc ? MD_SCOPE_LAYER : MD_SCOPE_ATTENTION;
                r.batch = 2;
                r.seq = mi ? 2048 : 4096;
                md_workload w;
                if (md_expand(&mm, &r, &w, &e))
                    fail_msg("%s", e.msg);
                mp_mapping t, m;
                int skipped;
                if (mp_mapping_load(archs[ai], &t, &e) || mp_resolve(a, &t, &w, &m, &skipped, &e))
                    fail_msg("%s %s: %s", archs[ai], models[mi], e.msg);
                mp_mapping_free(&t);
                static sim_report full, ff;
                if (run(a, &m, 0, &full, &e) || run(a, &m, 1, &ff, &e))
                    fail_msg("%s %s: %s", archs[ai], models[mi], e.msg);
                same(&full, &ff, 0);
                any_ff |= ff.fast_forwarded_cycles > 0;
                n++;
                mp_mapping_free(&m);
                md_workload_free(&w);
                mp_arch_free(a);
            }
    assert_int_equal(n, 20);
    assert_true(any_ff);
}

/* The FuseMax epoch: max(2D, 1D) per phase = max(E+1, F+1) + 1 + 8 + F = 2F+10
 * per tile when E = F, plus AV's F cycles once per p-tile, plus pipeline
 * fill/drain and the first K/V fetch.  Check within the fill/drain slack. */
static void test_fusemax_epoch(void **state)
{
    (void)state;
    mp_arch *a = arch("fusemax");
    mp_mapping m = {0};
    int64_t rep = 64 * 12, P = 1024, M = 1024, E = 64;
    fx_fusemax(&m, rep, E, E, P, M, 256, 256, 4, MP_SCHED_INTERLEAVED);
    static sim_report r;
    es_err e;
    if (run(a, &m, 1, &r, &e))
        fail_msg("%s", e.msg);
    double T = (double)rep * (P / 256) * (M / 256), PT = (double)rep * (P / 256);
    double want = T * (2 * E + 10) + PT * E;
    if (!(fabs((double)r.cycles - want) / want < 0.01))
        fail_msg("cycles %llu, want %.0f", (unsigned long long)r.cycles, want);
    /* DRAM = Q + AV + (K+V) x P2 at 2 B/element (fusemax.md §6), P2 = 1 */
    double q = (double)rep * E * P * 2, kv = 2.0 * rep * E * M * 2;
    assert_true(fabs(r.dram_bytes_read - (q + kv)) < 1);
    assert_true(fabs(r.dram_bytes_written - q) < 1);
    mp_mapping_free(&m);
    mp_arch_free(a);
}

/* Buffer ports: with one bank and one read port, BQK's tile reads 64 rows
 * of Q and 64 of BK (256 values per row): 128 port cycles > 64 MAC cycles. */
static void test_buffer_ports(void **state)
{
    (void)state;
    mp_arch *a = arch("fusemax");
    mp_store *gb = NULL;
    for (int i = 0; i < a->n_stores; i++)
        if (a->stores[i].kind == MP_STORE_BUFFER)
            gb = &a->stores[i];
    assert_non_null(gb);
    assert_int_equal(sim_buf_port_cycles(gb, 64 * 32, 0), 64); /* 32 banks x 1 port */
    assert_int_equal(sim_buf_port_cycles(gb, 65, 33), 3);
    mp_mapping m = {0};
    static sim_report r1, r2;
    es_err e;
    fx_fusemax(&m, 2, 64, 64, 1024, 1024, 256, 256, 4, MP_SCHED_INTERLEAVED);
    if (run(a, &m, 1, &r1, &e))
        fail_msg("%s", e.msg);
    gb->banks = 1;
    if (run(a, &m, 1, &r2, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(r1.einsums[0].cycles, 2 * 4 * 4 * 64);  /* BQK: MAC-bound */
    assert_int_equal(r2.einsums[0].cycles, 2 * 4 * 4 * 128); /* BQK: port-bound */
    assert_true(r2.cycles > r1.cycles);
    mp_mapping_free(&m);
    mp_arch_free(a);
}

static void test_invalid_mappings(void **state)
{
    (void)state;
    mp_arch *a = arch("fusemax");
    mp_mapping m = {0};
    static sim_report r;
    es_err e;
    /* a unit that lacks the op: FuseMax's 2D array has no divider */
    fx_fusemax(&m, 2, 64, 64, 1024, 1024, 256, 256, 4, MP_SCHED_INTERLEAVED);
    snprintf(m.cascades[0].bindings[11].unit, MP_NAME, "array2d");
    assert_int_equal(run(a, &m, 1, &r, &e), -1);
    assert_non_null(strstr(e.msg, "AV"));
    assert_non_null(strstr(e.msg, "lacks op div"));
    /* buffer overflow: all of p in one buffer block at 256K queries */
    fx_fusemax(&m, 2, 64, 64, 262144, 1024, 256, 256, 1024, MP_SCHED_INTERLEAVED);
    assert_int_equal(run(a, &m, 1, &r, &e), -1);
    assert_non_null(strstr(e.msg, "overflows"));
    /* dependency violation: SLN before RM in the same epoch */
    fx_fusemax(&m, 2, 64, 64, 1024, 1024, 256, 256, 4, MP_SCHED_INTERLEAVED);
    mp_group *g = &m.cascades[0].groups[0];
    mp_phase tmp = g->phases[1];
    g->phases[1] = g->phases[2];
    g->phases[2] = tmp;
    assert_int_equal(run(a, &m, 1, &r, &e), -1);
    assert_non_null(strstr(e.msg, "dependency violation"));
    assert_non_null(strstr(e.msg, "SLN"));
    /* an unknown unit */
    fx_fusemax(&m, 2, 64, 64, 1024, 1024, 256, 256, 4, MP_SCHED_INTERLEAVED);
    snprintf(m.cascades[0].bindings[0].unit, MP_NAME, "tensorcore");
    assert_int_equal(run(a, &m, 1, &r, &e), -1);
    assert_non_null(strstr(e.msg, "tensorcore"));
    mp_mapping_free(&m);
    mp_arch_free(a);
}

static void test_functional(void **state)
{
    (void)state;
    mp_arch *a = arch("fusemax");
    mp_mapping m = {0};
    static sim_report r;
    es_err e;
    sim_run_opts o;
    sim_run_opts_init(&o);
    o.functional = 1;
    /* 2 heads x 512 queries x 512 keys, the FuseMax binding (lags, phases);
     * small heads: the interpreter computes every point */
    fx_fusemax(&m, 2, 16, 16, 512, 512, 256, 256, 2, MP_SCHED_INTERLEAVED);
    sim_report_init(&r, "run");
    if (sim_run_mapping(a, &m, &o, &r, &e))
        fail_msg("%s", e.msg);
    assert_true(r.functional);
    assert_true(r.func_max_rel_err < 1e-4);
    /* pipelined, keys not a multiple of the tile */
    fx_fusemax(&m, 1, 16, 16, 256, 700, 256, 256, 1, MP_SCHED_PIPELINED);
    sim_report_init(&r, "run");
    if (sim_run_mapping(a, &m, &o, &r, &e))
        fail_msg("%s", e.msg);
    assert_true(r.func_max_rel_err < 1e-4);
    mp_mapping_free(&m);
    mp_arch_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ff_equals_full),
        cmocka_unit_test(test_ff_bundled),
        cmocka_unit_test(test_fusemax_epoch),
        cmocka_unit_test(test_buffer_ports),
        cmocka_unit_test(test_invalid_mappings),
        cmocka_unit_test(test_functional),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
