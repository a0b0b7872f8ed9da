/* Fold-timed 2D arrays (array2d `timing: systolic`, docs/cycles.md): a
 * tile op is the GEMM folds it runs, costed with the native fold
 * conventions (sim/array/timing.h).  Checked here: the tile's shape
 * (mp_fold_tile_of: OS, WS, the refused cols reduction), its cycles against
 * the fold formulas by hand, the spec's checks, and that the cost model and
 * the simulator charge every Einsum on the array the same cycles (they
 * share mp_fold_tile_of and the unit's fold model). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mapper/arch.h"
#include "mapper/cost.h"
#include "mapper/resolve.h"
#include "models/models.h"
#include "sim/comp/comp.h"
#include "sim/sim.h"

#include "runs.h"

/* BQK[m1,m0,p] = Q[e,p] K[e,m]: rows m0 (output) -> OS streaming e;
 * SLNV[f,m1,p] = SLN[m1,m0,p] V[f,m]: rows m0 reduced -> WS streaming f. */
static void test_fold_tile_shape(void **state)
{
    (void)state;
    es_err e;
    mp_fold_tile t;
    const char *space[] = {"m1", "m0", "p", "e", NULL};
    int64_t ext[] = {1, 4, 6, 64};
    mp_einsum_desc bqk = {.name = "BQK", .space = {"m1", "m0", "p", "e", NULL}};
    mp_tensor_desc bqk_out = {.name = "BQK", .ranks = {"m1", "m0", "p", NULL}};
    assert_int_equal(mp_fold_tile_of(&bqk, &bqk_out, space, ext, 4, "m0", 4, "p", 6, &t, &e), 0);
    assert_int_equal(t.ws, 0);
    assert_int_equal(t.rows, 4);
    assert_int_equal(t.cols, 6);
    assert_int_equal(t.t, 64);
    assert_int_equal(t.n, 1);

    const char *sspace[] = {"f", "m1", "m0", "p", NULL};
    int64_t sext[] = {64, 1, 4, 12}; /* p: two cols' worth -> the cols fold twice inside the GEMM */
    mp_einsum_desc slnv = {.name = "SLNV", .space = {"f", "m1", "m0", "p", NULL}};
    mp_tensor_desc slnv_out = {.name = "SLNV", .ranks = {"f", "m1", "p", NULL}};
    assert_int_equal(mp_fold_tile_of(&slnv, &slnv_out, sspace, sext, 4, "m0", 4, "p", 6, &t, &e), 0);
    assert_int_equal(t.ws, 1);
    assert_int_equal(t.t, 64 * 2); /* the p left over the cols is temporal output */
    assert_int_equal(t.n, 1);

    /* a temporal reduction rank k on WS: one GEMM per reduction point */
    const char *kspace[] = {"f", "k", "m0", "p", NULL};
    int64_t sext2[] = {64, 3, 4, 6};
    assert_int_equal(mp_fold_tile_of(&slnv, &slnv_out, kspace, sext2, 4, "m0", 4, "p", 6, &t, &e), 0);
    assert_int_equal(t.n, 3);
    assert_int_equal(t.t, 64);

    /* the cols rank reduced: refused, naming the Einsum */
    assert_int_equal(mp_fold_tile_of(&slnv, &slnv_out, sspace, sext, 4, "p", 6, "m0", 4, &t, &e), -1);
    assert_non_null(strstr(e.msg, "Einsum SLNV reduces over rank m0 on the columns"));
}

/* The unit's fold model against docs/cycles.md's formulas on a 4x6 array:
 * OS fold (r-1)+(c-1)+T+R, WS R+(r-1)+(c-1)+T, folds back to back. */
static void test_fold_tile_cycles(void **state)
{
    (void)state;
    es_err e;
    mp_arch *a = sim_arch_load("rtl-array", &e);
    if (!a)
        fail_msg("%s", e.msg);
    const mp_unit *u = mp_arch_unit(a, "mxu");
    assert_non_null(u);
    assert_non_null(u->fold_tile_cycles);
    mp_fold_tile os = {.rows = 4, .cols = 6, .t = 64, .n = 1, .ws = 0};
    assert_int_equal(u->fold_tile_cycles(u, &os, &e), 3 + 5 + 64 + 4);
    os.rows = 10, os.cols = 7, os.n = 2; /* folds 4x6 4x1 4x6 4x1 2x6 2x1, twice */
    uint64_t one = (3 + 5 + 64 + 4) * 2 + (3 + 0 + 64 + 4) * 2 + (1 + 5 + 64 + 4) + (1 + 0 + 64 + 4);
    assert_int_equal(u->fold_tile_cycles(u, &os, &e), 2 * one);
    mp_fold_tile ws = {.rows = 3, .cols = 2, .t = 9, .n = 1, .ws = 1};
    assert_int_equal(u->fold_tile_cycles(u, &ws, &e), 4 + 2 + 1 + 9);
    /* the simulated path (every fold on the engine) gives the same */
    assert_int_equal(sim_fold_tile_cycles(u, &os, NULL, NULL, &e), 2 * one);
    mp_arch_free(a);
}

/* Spec checks of timing: systolic (located, naming the key). */
static void test_fold_spec_errors(void **state)
{
    (void)state;
    static const struct {
        const char *set, *want;
    } bad[] = {
        {"units.mxu.timing=fold", "unknown timing 'fold'; expected tile or systolic"},
        {"units.mxu.fill_cycles=4", "units.mxu.fill_cycles': a unit with timing: systolic pays its fill"},
        {"units.mxu.ops.mac.cycles=2", "got mac with cycles: 2"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        es_err e;
        const char *sets[] = {bad[i].set};
        mp_arch *a = sim_arch_load_set("rtl-array", sets, 1, &e);
        if (a)
            fail_msg("%s: loaded", bad[i].set);
        if (!strstr(e.msg, bad[i].want))
            fail_msg("%s: got '%s', expected '%s'", bad[i].set, e.msg, bad[i].want);
    }
    /* an op other than mac on the array */
    FILE *f = fopen("sim/arch/rtl-array.yaml", "r");
    assert_non_null(f);
    static char text[16384], bad_text[16384];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    const char *mac = "      mac: {cycles: 1, actions: {mac: 1}}\n  vpu:";
    char *at = strstr(text, mac);
    assert_non_null(at);
    snprintf(bad_text, sizeof bad_text, "%.*s      mac: {cycles: 1, actions: {mac: 1}}\n      add: {cycles: 1, actions: "
             "{add: 1}}\n  vpu:%s", (int)(at - text), text, at + strlen(mac));
    es_err e;
    mp_arch *a = sim_arch_parse("rtl-array.yaml", bad_text, &e);
    assert_null(a);
    if (!strstr(e.msg, "key 'units.mxu.ops.add': a unit with timing: systolic runs only mac"))
        fail_msg("got '%s'", e.msg);
}

typedef struct fcase {
    const char *model;
    md_phase phase;
    md_scope scope;
    int64_t seq, gen;
    int splits;
} fcase;

/* The cost model and the simulator charge the fold-timed array the same
 * busy cycles, Einsum by Einsum (ragged prefill, decode, split-key decode,
 * linear layers); fast-forward equals the full simulation. */
static void test_cost_model_agrees(void **state)
{
    (void)state;
    static const fcase cases[] = {
        {"gpt2-small", MD_PHASE_PREFILL, MD_SCOPE_LAYER, 50, 0, 0},
        {"bert-base", MD_PHASE_PREFILL, MD_SCOPE_ATTENTION, 37, 0, 0},
        {"gpt2-small", MD_PHASE_DECODE, MD_SCOPE_LAYER, 30, 2, 0},
        {"gpt2-small", MD_PHASE_DECODE, MD_SCOPE_ATTENTION, 30, 1, 3},
    };
    es_err e;
    mp_arch *a = sim_arch_load("rtl-array", &e);
    if (!a)
        fail_msg("%s", e.msg);
    int mxu = mp_arch_unit_index(a, "mxu");
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const fcase *c = &cases[i];
        md_model mm;
        if (md_model_load(c->model, &mm, &e))
            fail_msg("%s", e.msg);
        mm.n_heads = 2, mm.n_kv_heads = 2, mm.n_layers = 1;
        md_run r;
        md_run_init(&r);
        r.phase = c->phase, r.scope = c->scope, r.batch = 1, r.seq = c->seq, r.gen = c->gen ? c->gen : 1;
        if (c->splits)
            r.splits = c->splits;
        md_workload w;
        if (md_expand(&mm, &r, &w, &e))
            fail_msg("%s: %s", c->model, e.msg);
        mp_mapping tmpl, m;
        int skipped = 0;
        if (mp_mapping_load(a->mapping_name, &tmpl, &e) || mp_resolve(a, &tmpl, &w, &m, &skipped, &e))
            fail_msg("%s: %s", c->model, e.msg);
        mp_mapping_free(&tmpl);
        static sim_report full, ff;
        if (run(a, &m, 0, &full, &e) || run(a, &m, 1, &ff, &e))
            fail_msg("%s: %s", c->model, e.msg);
        same(&full, &ff, 1e-9);
        static mp_cost mc;
        if (mp_cost_eval(a, &m, &mc, &e))
            fail_msg("%s: cost: %s", c->model, e.msg);
        double sim_mxu = 0, cost_mxu = 0;
        int n_mxu = 0;
        for (int k = 0; k < ff.n_einsums; k++)
            if (!strcmp(ff.einsums[k].unit, "mxu"))
                sim_mxu += (double)ff.einsums[k].cycles, n_mxu++;
        for (int k = 0; k < mc.n_einsums; k++)
            if (mc.einsums[k].unit == mxu)
                cost_mxu += mc.einsums[k].cycles;
        assert_true(n_mxu > 0);
        if (sim_mxu != cost_mxu)
            fail_msg("%s seq %lld: mxu cycles: simulator %.0f, cost model %.0f", c->model, (long long)c->seq, sim_mxu,
                     cost_mxu);
        assert_true(mc.busy[mxu] == cost_mxu);
        mp_mapping_free(&m);
        md_workload_free(&w);
    }
    mp_arch_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold_tile_shape),
        cmocka_unit_test(test_fold_tile_cycles),
        cmocka_unit_test(test_fold_spec_errors),
        cmocka_unit_test(test_cost_model_agrees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
