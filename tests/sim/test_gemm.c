/* einsim gemm: SCALE-Sim mode equals the closed forms of peers.md §3 for many
 * shapes (multiples and non-multiples of the array); native conventions
 * equal docs/cycles.md; fast-forward equals the full fold-by-fold run. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>

#include "golden/base/rng.h"
#include "sim/array/systolic.h"

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* peers.md §3, written out independently of timing.h */
static uint64_t scalesim_closed(int64_t R, int64_t C, int64_t M, int64_t N, int64_t K, sa_dataflow df)
{
    if (df == SA_OS)
        return (uint64_t)(cdiv(M, R) * cdiv(N, C) * (K + R + C - 2) - 1);
    if (df == SA_WS)
        return (uint64_t)(cdiv(K, R) * cdiv(N, C) * (2 * R + C + M - 2) - 1);
    return (uint64_t)(cdiv(K, R) * cdiv(M, C) * (2 * R + C + N - 2) - 1);
}

static void run(sa_gemm *g, sa_result *r)
{
    es_err e;
    assert_int_equal(sa_simulate(g, r, NULL, NULL, &e), 0);
}

static void test_scalesim_closed_forms(void **state)
{
    (void)state;
    es_rng rng;
    es_rng_seed(&rng, 7);
    int checked = 0;
    for (int i = 0; i < 400; i++) {
        sa_gemm g = {0};
        int64_t dims[] = {4, 8, 16, 32, 64, 128, 256};
        g.R = dims[es_rng_below(&rng, 7)];
        g.C = dims[es_rng_below(&rng, 7)];
        g.M = 1 + (int64_t)es_rng_below(&rng, 700);
        g.N = 1 + (int64_t)es_rng_below(&rng, 700);
        g.K = 1 + (int64_t)es_rng_below(&rng, 700);
        if (i % 5 == 0) /* exact multiples too */
            g.M = g.R * 3, g.N = g.C * 2, g.K = g.R;
        g.df = (sa_dataflow)(i % 3);
        g.timing = SA_TIMING_SCALESIM;
        g.fast_forward = i % 2;
        sa_result r;
        run(&g, &r);
        uint64_t want = scalesim_closed(g.R, g.C, g.M, g.N, g.K, g.df);
        assert_int_equal(r.cycles, want);
        assert_int_equal(sa_closed_form_cycles(&g), want);
        double macs = (double)g.M * (double)g.N * (double)g.K;
        assert_true(r.macs == macs);
        assert_true(fabs(r.utilization - macs / ((double)(g.R * g.C) * (double)want)) < 1e-12);
        /* mapping efficiency: useful PE slots / (folds * R * C) */
        int64_t sr = g.df == SA_OS ? g.M : g.K, sc = g.df == SA_IS ? g.M : g.N;
        double me = (double)(sr * sc) / ((double)(cdiv(sr, g.R) * cdiv(sc, g.C)) * (double)(g.R * g.C));
        assert_true(fabs(r.mapping_eff - me) < 1e-12);
        checked++;
    }
    assert_int_equal(checked, 400);
}

static void test_scalesim_known_values(void **state)
{
    (void)state;
    /* 32x32 OS, M=100 N=70 K=50: 4x3 folds of 50+32+32-2 = 112 cycles, -1 */
    sa_gemm g = {.R = 32, .C = 32, .M = 100, .N = 70, .K = 50, .df = SA_OS, .timing = SA_TIMING_SCALESIM};
    sa_result r;
    run(&g, &r);
    assert_int_equal(r.cycles, 1343);
    assert_int_equal(r.folds, 12);
    /* 4x4 WS on a 4x4x4 GEMM: one fold of 2*4+4+4-2 = 14, -1 */
    sa_gemm w = {.R = 4, .C = 4, .M = 4, .N = 4, .K = 4, .df = SA_WS, .timing = SA_TIMING_SCALESIM};
    run(&w, &r);
    assert_int_equal(r.cycles, 13);
}

static void test_native_conventions(void **state)
{
    (void)state;
    /* docs/cycles.md: fold = skew (r-1)+(c-1) + T + R (OS drain) or R (preload)
     * + skew + T (WS/IS); folds back to back, no trailing -1. */
    sa_gemm g = {.R = 8, .C = 8, .M = 8, .N = 8, .K = 8, .df = SA_OS};
    sa_result r;
    run(&g, &r);
    assert_int_equal(r.cycles, 7 + 7 + 8 + 8); /* 2R + C + K - 2 = 30 */
    g.M = 12; /* row folds 8 and 4: (7+7+8+8) + (3+7+8+8) */
    run(&g, &r);
    assert_int_equal(r.cycles, 30 + 26);
    sa_gemm w = {.R = 8, .C = 4, .M = 20, .N = 6, .K = 10, .df = SA_WS};
    /* rows <- K=10: folds r=8,2; cols <- N=6: c=4,2; T=M=20 */
    uint64_t f = 0;
    int64_t rs[] = {8, 2}, cs[] = {4, 2};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            f += (uint64_t)(8 + (rs[i] - 1) + (cs[j] - 1) + 20);
    run(&w, &r);
    assert_int_equal(r.cycles, f);
    assert_int_equal(sa_closed_form_cycles(&w), f);
    assert_true(r.busy_pe_cycles == (uint64_t)(10 * 6 * 20));
}

static void test_fast_forward_equals_full(void **state)
{
    (void)state;
    es_rng rng;
    es_rng_seed(&rng, 11);
    for (int i = 0; i < 200; i++) {
        sa_gemm g = {0};
        g.R = 1 + (int64_t)es_rng_below(&rng, 64);
        g.C = 1 + (int64_t)es_rng_below(&rng, 64);
        g.M = 1 + (int64_t)es_rng_below(&rng, 2000);
        g.N = 1 + (int64_t)es_rng_below(&rng, 2000);
        g.K = 1 + (int64_t)es_rng_below(&rng, 300);
        g.df = (sa_dataflow)(i % 3);
        g.timing = (sa_timing)(i % 2);
        sa_result full, ff;
        g.fast_forward = 0;
        run(&g, &full);
        g.fast_forward = 1;
        run(&g, &ff);
        assert_int_equal(full.cycles, ff.cycles);
        assert_true(full.macs == ff.macs);
        assert_int_equal(full.busy_pe_cycles, ff.busy_pe_cycles);
        assert_true(full.sram_a_reads == ff.sram_a_reads && full.sram_c_writes == ff.sram_c_writes);
        assert_int_equal(full.fast_forwarded_cycles, 0);
        assert_int_equal(ff.simulated_cycles + ff.fast_forwarded_cycles, full.simulated_cycles);
        assert_int_equal(sa_closed_form_cycles(&g), full.cycles);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalesim_closed_forms),
        cmocka_unit_test(test_scalesim_known_values),
        cmocka_unit_test(test_native_conventions),
        cmocka_unit_test(test_fast_forward_equals_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
