/* mapper room: the analytical cost model against closed forms derived by
 * hand from fusemax.md §6 (FuseMax), §3 (baselines) and the conventions of
 * docs/mapper.md; mapping YAML round trip; search determinism. */
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
#include "mapper/mapping.h"
#include "arch_kinds.h"
#include "mapper/resolve.h"
#include "mapper/search.h"
#include "models/models.h"

typedef struct point {
    mp_arch *a;
    md_model md;
    md_workload w;
    mp_mapping m;
    mp_cost c;
} point;

static void hand(point *pt, const char *arch, const char *model, int64_t seq, md_scope scope)
{
    es_err e;
    pt->a = mp_arch_load(arch, &fx_kinds, &e);
    if (!pt->a)
        fail_msg("%s", e.msg);
    if (md_model_load(model, &pt->md, &e))
        fail_msg("%s", e.msg);
    md_run r;
    md_run_init(&r);
    r.seq = seq;
    r.batch = 64;
    r.scope = scope;
    if (md_expand(&pt->md, &r, &pt->w, &e))
        fail_msg("%s", e.msg);
    mp_mapping t;
    if (mp_mapping_load(arch, &t, &e))
        fail_msg("%s", e.msg);
    int skipped;
    if (mp_resolve(pt->a, &t, &pt->w, &pt->m, &skipped, &e))
        fail_msg("%s", e.msg);
    mp_mapping_free(&t);
    if (mp_cost_eval(pt->a, &pt->m, &pt->c, &e))
        fail_msg("%s", e.msg);
    assert_true(pt->c.valid);
}

static void done(point *pt)
{
    mp_mapping_free(&pt->m);
    md_workload_free(&pt->w);
    mp_arch_free(pt->a);
}

static int64_t factor(const mp_mapping *m, const char *level, const char *rank)
{
    const mp_group *g = &m->cascades[0].groups[0];
    for (int l = 0; l < g->n_levels; l++)
        if (!strcmp(g->levels[l].store, level))
            return mp_level_factor(&g->levels[l], rank);
    return -1;
}

#define NEAR(x, y) assert_true(fabs((x) - (y)) <= 1e-9 * fabs(y))

/* P1 (fusemax.md §6): 4,16,64,128,128,128 for E=F=64; 4,16,64,64,64,64 for XLM. */
static void test_fusemax_p1(void **state)
{
    (void)state;
    static const int64_t seqs[6] = {1024, 4096, 16384, 65536, 262144, 1048576};
    static const int64_t p1_64[6] = {4, 16, 64, 128, 128, 128}, p1_xlm[6] = {4, 16, 64, 64, 64, 64};
    for (int i = 0; i < 6; i++) {
        point pt;
        hand(&pt, "fusemax", "bert-base", seqs[i], MD_SCOPE_ATTENTION);
        assert_int_equal(factor(&pt.m, "gb", "p"), p1_64[i]);
        done(&pt);
        hand(&pt, "fusemax", "xlm", seqs[i], MD_SCOPE_ATTENTION);
        assert_int_equal(factor(&pt.m, "gb", "p"), p1_xlm[i]);
        done(&pt);
    }
}

/* Latency and traffic of FuseMax's mapping in closed form:
 *   T = B H (P/256)(M/256), PT = B H P/256
 *   compute = max(E+1, F+1) T + F PT + T + max(8, 8) T + max(F, F) T
 *           (the epoch phases: QK+LM | RD+RNV+AV, RM, SLN+SLD | PRM+SPD, SLNV | SPNV)
 *   traffic = (Q + AV + (K+V) P2) * 2 B, P2 = (P/256)/P1. */
static void test_fusemax_closed_form(void **state)
{
    (void)state;
    point pt;
    hand(&pt, "fusemax", "bert-base", 16384, MD_SCOPE_ATTENTION);
    double B = 64, H = 12, P = 16384, M = 16384, E = 64, F = 64, P1 = 64;
    double T = B * H * (P / 256) * (M / 256), PT = B * H * P / 256;
    /* phase 1 is max(QK+LM, RD+RNV+AV) = (F+1)T + F PT since E == F */
    double comp = (F + 1) * T + F * PT + T + 8 * T + F * T;
    NEAR(pt.c.cycles, comp);
    double P2 = (P / 256) / P1;
    double traffic = B * H * (P * E + P * F + (M * E + M * F) * P2) * 2;
    NEAR(pt.c.dram_read_bytes + pt.c.dram_write_bytes, traffic);
    NEAR(pt.c.dram_write_bytes, B * H * P * F * 2);
    NEAR(pt.c.latency_s, comp / 940e6); /* never memory-bound */
    assert_true(traffic / (400.0 * 1073741824.0) < pt.c.latency_s);
    /* compute energy: per score element E+F MACs, SLN 6 MAC + 1 add, LM max,
     * SLD add on the 2D array; per (m1,p) RM max, PRM 6 MAC + 1 add, SPD MAC,
     * RD add, per (f,m1,p) SPNV MAC, RNV add; per (f,p) one divide. */
    double mac = 17.1645, add = 8.3395, mx = 0.028036, dv = 36.251153;
    double el = T * 65536, row = T * 256, frow = row * F;
    double ec = el * ((E + F + 6) * mac + add + mx + add) + row * (mx + 6 * mac + add + mac + add) +
                frow * (mac + add) + B * H * P * F * dv;
    NEAR(pt.c.e_compute_pj, ec);
    /* utilization: the 1D array is the bound unit */
    NEAR(pt.c.util[1], 1.0);
    NEAR(pt.c.util[0], (E + 1 + 7 + 1 + F) * T / comp);
    done(&pt);
}

/* FLAT (3-pass fused): the 1D array does GM, SN, SD, A at one element per PE
 * per cycle, so compute = 4 B H P M / 256; the 2D array (E+F) B H P M / 65536.
 * Not memory-bound at 16K: latency = 1D cycles. */
static void test_flat_closed_form(void **state)
{
    (void)state;
    point pt;
    /* FLAT's tiling (mapper/resolve.c search_fibres): rows per tile and
     * fibre placement by least latency, then energy.  1K: a whole head
     * (p not tiled at DRAM), fibres on chip. */
    hand(&pt, "flat", "bert-base", 1024, MD_SCOPE_ATTENTION);
    assert_int_equal(pt.m.cascades[0].groups[0].granularity, MP_GRAN_HEAD);
    assert_int_equal(pt.m.cascades[0].groups[0].n_spill, 0);
    /* Q, K, V bypass the buffer (same latency, less energy): 13 P E words
     * per head, the artifact's published 1K FLAT traffic (Q per key tile, K
     * and V per query tile, the output once) */
    assert_int_equal(pt.m.cascades[0].groups[0].n_bypass, 3);
    NEAR(pt.c.dram_read_bytes + pt.c.dram_write_bytes, 13.0 * 64 * 12 * 1024 * 64 * 2);
    done(&pt);
    /* 8K: blocks of rows */
    hand(&pt, "flat", "bert-base", 8192, MD_SCOPE_ATTENTION);
    assert_int_equal(pt.m.cascades[0].groups[0].granularity, MP_GRAN_ROW);
    done(&pt);
    /* 16K: 512-row blocks (16 MiB of scores) on chip, Q, K, V streamed past
     * the buffer (bypass): compute-bound; Q crosses once per key tile, K and
     * V once per query tile, the output once */
    hand(&pt, "flat", "bert-base", 16384, MD_SCOPE_ATTENTION);
    double B = 64, H = 12, P = 16384, M = 16384;
    NEAR(pt.c.cycles, 4 * B * H * P * M / 256);
    NEAR(pt.c.busy[0], (64 + 64) * B * H * P * M / 65536);
    const mp_group *g = &pt.m.cascades[0].groups[0];
    assert_int_equal(g->granularity, MP_GRAN_ROW);
    assert_int_equal(g->n_spill, 0);
    assert_int_equal(g->n_bypass, 3);
    double p1 = P / (double)factor(&pt.m, "dram", "p");
    assert_true(p1 == 512);
    double q = B * H * P * 64 * 2;
    NEAR(pt.c.dram_read_bytes + pt.c.dram_write_bytes, q * (M / 256) + 2 * q * (P / 256) + q);
    done(&pt);
    /* 64K: 256-row blocks still stay on chip (overbooked, not spilled) */
    hand(&pt, "flat", "bert-base", 65536, MD_SCOPE_ATTENTION);
    assert_int_equal(pt.m.cascades[0].groups[0].n_spill, 1);
    assert_string_equal(pt.m.cascades[0].groups[0].spill[0], MP_SPILL_OVERFLOW);
    NEAR(pt.c.cycles, 4 * B * H * 65536.0 * 65536 / 256);
    /* buffer: scores 256 x M, GM and SD 256 each, the output tile 256 x 64
     * (Q, K, V bypass it): the overflow's share of the fibres' 8 buffer
     * words per score goes to DRAM */
    {
        double P6 = 65536, q6 = B * H * P6 * 64 * 2, need = 2 * (256 * P6 + 2 * 256 + 256 * 64);
        double frac = (need - 33554432.0) / (2 * 256 * P6);
        NEAR(pt.c.dram_read_bytes + pt.c.dram_write_bytes,
             q6 * (P6 / 256) + 2 * q6 * (P6 / 256) + q6 + frac * 8 * B * H * P6 * P6 * 2);
    }
    done(&pt);
    /* 256K and 1M: a 256-row block (128 MiB, 512 MiB) would spill most of
     * its region; QK and A go off chip instead, each written and read once
     * (8 B per score) */
    hand(&pt, "flat", "bert-base", 262144, MD_SCOPE_ATTENTION);
    assert_int_equal(pt.m.cascades[0].groups[0].n_spill, 2);
    /* rows of 1024 (max_rows): K and V cross once per block, Q and the
     * output once, 8 B per score -- the published FLAT traffic at this point
     * exactly (artifact attn-flat.csv, experiments/fusemax-sim/flat-reference.csv) */
    assert_int_equal(262144 / factor(&pt.m, "dram", "p"), 1024);
    NEAR(pt.c.dram_read_bytes + pt.c.dram_write_bytes, 435458144206848.0);
    done(&pt);
    hand(&pt, "flat", "bert-base", 1048576, MD_SCOPE_ATTENTION);
    assert_int_equal(pt.m.cascades[0].groups[0].n_spill, 2);
    P = M = 1048576;
    q = B * H * P * 64 * 2;
    double p2 = (double)factor(&pt.m, "dram", "p");
    NEAR(pt.c.dram_read_bytes + pt.c.dram_write_bytes, 2 * q + 2 * q * p2 + 8 * B * H * P * M);
    NEAR(pt.c.cycles, fmax(4 * B * H * P * M / 256,
                           (pt.c.dram_read_bytes + pt.c.dram_write_bytes) / (400.0 * 1073741824.0 / 940e6)));
    done(&pt);
}

/* max_rows bounds row granularity only.  Lifted, the FLAT search at 256K
 * takes larger blocks (K and V re-read less often): faster than the bounded
 * FLAT, so the bound is what places the evaluated FLAT, not the search. */
static void test_flat_max_rows(void **state)
{
    (void)state;
    es_err e;
    mp_arch *a = mp_arch_load("flat", &fx_kinds, &e);
    assert_non_null(a);
    md_model md;
    assert_int_equal(md_model_load("xlm", &md, &e), 0);
    double lat[2];
    int64_t rows[2];
    for (int bounded = 0; bounded < 2; bounded++) {
        md_run r;
        md_run_init(&r);
        r.seq = 262144;
        r.batch = 64;
        r.scope = MD_SCOPE_ATTENTION;
        md_workload w;
        assert_int_equal(md_expand(&md, &r, &w, &e), 0);
        mp_mapping t, m;
        assert_int_equal(mp_mapping_load("flat", &t, &e), 0);
        assert_int_equal(t.cascades[0].groups[0].max_rows, 1024);
        if (!bounded)
            t.cascades[0].groups[0].max_rows = 0;
        int skipped;
        assert_int_equal(mp_resolve(a, &t, &w, &m, &skipped, &e), 0);
        mp_cost c;
        assert_int_equal(mp_cost_eval(a, &m, &c, &e), 0);
        lat[bounded] = c.latency_s;
        rows[bounded] = 262144 / factor(&m, "dram", "p");
        mp_mapping_free(&m);
        mp_mapping_free(&t);
        md_workload_free(&w);
    }
    assert_int_equal(rows[1], 1024);
    assert_true(rows[0] > 1024);
    assert_true(lat[0] < lat[1]);
    mp_arch_free(a);
}

/* Unfused: three phases, each max(mem, compute), summed:
 *   QK:      reads Q once and K once per row block, writes QK;
 *   softmax: reads QK, writes A; 4 ops per score on the 256 1D PEs;
 *   AV:      reads A and V once per row block, writes AV. */
static void test_unfused_phases(void **state)
{
    (void)state;
    point pt;
    hand(&pt, "unfused", "bert-base", 4096, MD_SCOPE_ATTENTION);
    double B = 64, H = 12, P = 4096, M = 4096, bw = 400.0 * 1073741824.0 / 940e6;
    double s = B * H * P * M * 2, q = B * H * P * 64 * 2;
    const mp_cascade_map *cm = &pt.m.cascades[0];
    assert_int_equal(cm->n_groups, 3);
    double p2qk = (double)mp_level_factor(&cm->groups[0].levels[0], "p");
    double p2av = (double)mp_level_factor(&cm->groups[2].levels[0], "p");
    double mac = B * H * P * M * 64 / 65536;
    double qk = fmax((q + q * p2qk + s) / bw, mac);
    double sm = fmax(2 * s / bw, 4 * B * H * P * M / 256);
    double av = fmax((s + q * p2av + q) / bw, mac);
    NEAR(pt.c.cycles, qk + sm + av);
    NEAR(pt.c.busy[1], 4 * B * H * P * M / 256);
    done(&pt);
}

/* +Architecture: one tile at a time, each Einsum starting when its unit is
 * free and its producers are done, plus 256 fill/drain cycles per tile.  The
 * tile's critical path (group order BQK LM RM SLN SLD SLNV PRM SPD RD SPNV
 * RNV AV): BQK E + 256 (the fill), LM 1, RM 1, SLN 7, SLD 1, SLNV F on the 2D
 * array; PRM and SPD overlap SLN/SLD; RD 1 after SLD; SPNV F after RD; RNV F
 * after SPNV -> E + 11 + 2F + 256 per tile.  AV (F cycles on the 1D array,
 * once per query tile) is outside the m1 loop: it runs while the next tile's
 * BQK and LM keep the 1D array idle (E + 257 > F cycles), so only the last
 * one adds its F.  The simulator agrees to a few cycles. */
static void test_fusemax_arch(void **state)
{
    (void)state;
    point pt;
    hand(&pt, "fusemax-arch", "bert-base", 4096, MD_SCOPE_ATTENTION);
    double B = 64, H = 12, P = 4096, M = 4096, F = 64, E = 64;
    double T = B * H * (P / 256) * (M / 256);
    NEAR(pt.c.cycles, (E + 11 + 2 * F + 256) * T + F);
    done(&pt);
}

/* +Cascade: BQK, SLNV on the 2D array, the rest on FLAT's 1D array (exp =
 * one cycle on FLAT's exp unit); latency = max(mem, 2D, 1D). */
static void test_fusemax_cascade(void **state)
{
    (void)state;
    point pt;
    hand(&pt, "fusemax-cascade", "bert-base", 4096, MD_SCOPE_ATTENTION);
    double B = 64, H = 12, P = 4096, M = 4096, F = 64;
    double T = B * H * (P / 256) * (M / 256), PT = B * H * P / 256;
    /* LM SLN SLD; RM PRM SPD RD SPNV RNV; AV.  SLN and PRM are exp: 2 cycles on
     * this arch (exp + add, the artifact's +Cascade cost; fusemax-cascade.yaml). */
    double d1 = (256 + 2 * 256 + 256) * T + (1 + 2 + 1 + 1 + F + F) * T + F * PT;
    NEAR(pt.c.cycles, d1);
    done(&pt);
}

/* Linear layers of one encoder layer (M = B*P) on the 2D array: output
 * stationary, cycles = t n k / 65536 per GEMM when compute-bound. */
static void test_layer_linear(void **state)
{
    (void)state;
    static point a, l;
    hand(&a, "fusemax", "bert-base", 4096, MD_SCOPE_ATTENTION);
    hand(&l, "fusemax", "bert-base", 4096, MD_SCOPE_LAYER);
    double t = 64 * 4096, D = 768, S = 3072;
    double macs = t * (4 * D * D + 2 * D * S);
    NEAR(l.c.cycles - a.c.cycles, macs / 65536);
    assert_int_equal(l.m.n_cascades, 7);
    done(&a);
    done(&l);
}

/* Resolved mapping -> YAML -> mapping -> YAML is the identity, and costs the same. */
static void test_round_trip(void **state)
{
    (void)state;
    const char *archs[] = {"fusemax", "flat", "unfused", "fusemax-cascade", "fusemax-arch"};
    for (int i = 0; i < 5; i++) {
        point pt;
        hand(&pt, archs[i], "t5-small", 4096, MD_SCOPE_LAYER);
        char *y1 = mp_mapping_to_yaml(&pt.m);
        mp_mapping back;
        es_err e;
        if (mp_mapping_parse("rt.yaml", y1, &back, &e))
            fail_msg("%s: %s\n%s", archs[i], e.msg, y1);
        char *y2 = mp_mapping_to_yaml(&back);
        assert_string_equal(y1, y2);
        mp_cost c2;
        assert_int_equal(mp_cost_eval(pt.a, &back, &c2, &e), 0);
        assert_true(c2.cycles == pt.c.cycles && c2.energy_pj == pt.c.energy_pj);
        free(y1);
        free(y2);
        mp_mapping_free(&back);
        done(&pt);
    }
}

/* A bad epoch (a consumer slotted before its producer at equal lag) is rejected. */
static void test_lag_check(void **state)
{
    (void)state;
    point pt;
    hand(&pt, "fusemax", "bert-base", 1024, MD_SCOPE_ATTENTION);
    mp_group *g = &pt.m.cascades[0].groups[0];
    for (int i = 0; i < g->n_einsums; i++)
        if (!strcmp(g->einsums[i], "RNV"))
            g->lag[i] = 0; /* RNV would read SLNV of the same tile before phase 4 */
    es_err e;
    mp_cost c;
    assert_int_equal(mp_cost_eval(pt.a, &pt.m, &c, &e), -1);
    assert_non_null(strstr(e.msg, "einsum RNV (lag 0) runs before its producer SLNV"));
    done(&pt);
}

/* Search: deterministic for a seed, never worse than 2% over the bundled
 * FuseMax mapping, never worse than the bundled FLAT mapping on flat. */
static void test_search(void **state)
{
    (void)state;
    const char *archs[] = {"fusemax", "flat"};
    for (int i = 0; i < 2; i++) {
        point pt;
        hand(&pt, archs[i], "bert-base", 4096, MD_SCOPE_ATTENTION);
        mp_search_opts o = {MP_OBJ_LATENCY, 3000, 7};
        mp_mapping b1, b2;
        mp_cost c1, c2;
        mp_search_stats s1, s2;
        es_err e;
        assert_int_equal(mp_search(pt.a, &pt.w, &o, &b1, &c1, &s1, &e), 0);
        assert_int_equal(mp_search(pt.a, &pt.w, &o, &b2, &c2, &s2, &e), 0);
        char *y1 = mp_mapping_to_yaml(&b1), *y2 = mp_mapping_to_yaml(&b2);
        assert_string_equal(y1, y2);
        assert_int_equal(s1.evaluated, s2.evaluated);
        assert_true(c1.cycles <= pt.c.cycles * (i == 0 ? 1.02 : 1.0));
        free(y1);
        free(y2);
        mp_mapping_free(&b1);
        mp_mapping_free(&b2);
        done(&pt);
    }
}

/* A decode has one attention instance per cache length: the mapping grows
 * to the workload (200 steps here, far past the former fixed cap of 24), a
 * copy owns its own array, and a file with that many cascades reads back. */
static void test_many_instances(void **state)
{
    (void)state;
    es_err e;
    mp_arch *a = mp_arch_load("fusemax", &fx_kinds, &e);
    md_model md;
    if (!a || md_model_load("gpt2-small", &md, &e))
        fail_msg("%s", e.msg);
    md_run r;
    md_run_init(&r);
    r.phase = MD_PHASE_DECODE;
    r.scope = MD_SCOPE_LAYER;
    r.prompt = 100;
    r.gen = 200;
    md_workload w;
    if (md_expand(&md, &r, &w, &e))
        fail_msg("%s", e.msg);
    mp_mapping t, m, cp;
    int skipped, natt = 0;
    if (mp_mapping_load("fusemax", &t, &e) || mp_resolve(a, &t, &w, &m, &skipped, &e))
        fail_msg("%s", e.msg);
    for (int i = 0; i < m.n_cascades; i++)
        natt += !strcmp(m.cascades[i].label, "attention");
    assert_int_equal(natt, 200);
    assert_int_equal(mp_cmap_rank(&m.cascades[m.n_cascades - 1], "m") - mp_cmap_rank(&m.cascades[0], "m") >= 0, 1);
    mp_mapping_copy(&cp, &m);
    assert_int_equal(cp.n_cascades, m.n_cascades);
    assert_true(cp.cascades != m.cascades);
    cp.cascades[0].repeat = -7; /* the copy is independent */
    assert_true(m.cascades[0].repeat > 0);
    char *y1 = mp_mapping_to_yaml(&m);
    mp_mapping back;
    if (mp_mapping_parse("many.yaml", y1, &back, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(back.n_cascades, m.n_cascades);
    char *y2 = mp_mapping_to_yaml(&back);
    assert_string_equal(y1, y2);
    mp_cost c1, c2;
    assert_int_equal(mp_cost_eval(a, &m, &c1, &e), 0);
    assert_int_equal(mp_cost_eval(a, &back, &c2, &e), 0);
    assert_true(c1.cycles == c2.cycles && c1.cycles > 0);
    /* the per-Einsum table sums the 200 attention instances (one entry per
     * label and Einsum, nothing dropped): per unit it adds up to the busy time */
    assert_true(c1.n_einsums < MP_MAX_EC);
    for (int u = 0; u < a->n_units; u++) {
        double sum = 0;
        for (int i = 0; i < c1.n_einsums; i++)
            sum += c1.einsums[i].unit == u ? c1.einsums[i].cycles : 0;
        assert_true(fabs(sum - c1.busy[u]) <= 1e-9 * c1.busy[u]);
    }
    /* a parse failing at the last cascade leaves the mapping empty (the
     * cascades read before it are freed: LSan checks under SANITIZE=1) */
    mp_mapping_free(&back);
    char *bad = strstr(y1, "label:"), *next;
    while (bad && (next = strstr(bad + 1, "label:")))
        bad = next;
    assert_non_null(bad);
    memcpy(bad, "lable:", 6);
    assert_int_equal(mp_mapping_parse("bad.yaml", y1, &back, &e), -1);
    assert_non_null(strstr(e.msg, "lable"));
    assert_int_equal(back.n_cascades, 0);
    assert_null(back.cascades);
    free(y1);
    free(y2);
    mp_mapping_free(&back);
    mp_mapping_free(&cp);
    mp_mapping_free(&m);
    mp_mapping_free(&t);
    md_workload_free(&w);
    mp_arch_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fusemax_p1),      cmocka_unit_test(test_fusemax_closed_form),
        cmocka_unit_test(test_flat_closed_form), cmocka_unit_test(test_flat_max_rows), cmocka_unit_test(test_unfused_phases),
        cmocka_unit_test(test_fusemax_arch),    cmocka_unit_test(test_fusemax_cascade),
        cmocka_unit_test(test_layer_linear),    cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_lag_check),       cmocka_unit_test(test_search),
        cmocka_unit_test(test_many_instances),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
