/* mapper cascade IR: parser, printer (round trip), checker errors, binding,
 * sizes and op counts, and the pass analysis (FuseMax §III: 3, 2 and 1
 * passes over the key rank for Cascades 4, 2-pass and 5). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/io.h"
#include "mapper/cascade.h"

static cas_cascade *load_bound(const char *name, const char *ranks)
{
    es_err e;
    cas_cascade *c = cas_load(name, &e);
    if (!c)
        fail_msg("%s", e.msg);
    if (cas_bind(c, ranks, &e))
        fail_msg("%s", e.msg);
    return c;
}

static int passes(cas_cascade *c, const char *rank, cas_passes *ps)
{
    es_err e;
    if (cas_passes_analyze(c, rank, ps, &e))
        fail_msg("%s", e.msg);
    return ps->npasses;
}

/* ---- pass analysis ------------------------------------------------------- */

static void test_passes_attention(void **st)
{
    (void)st;
    cas_passes ps;
    cas_cascade *c3 = load_bound("attention-3pass", "m=4096");
    assert_int_equal(passes(c3, "m", &ps), 3);
    /* QK must stay live across pass 1, SN across pass 2: a whole fibre M */
    assert_int_equal(ps.fibre_footprint[0], 4096);
    assert_int_equal(ps.fibre_footprint[1], 4096);
    assert_string_equal(c3->tensor[ps.live[0][0].tensor].name, "QK");
    assert_string_equal(c3->tensor[ps.live[1][0].tensor].name, "SN");
    assert_int_equal(ps.pass_of[cas_einsum_find(c3, "GM")], 1);
    assert_int_equal(ps.pass_of[cas_einsum_find(c3, "SN")], 2);
    assert_int_equal(ps.pass_of[cas_einsum_find(c3, "A")], 3);
    assert_int_equal(passes(c3, "e", &ps), 1);
    cas_free(c3);

    cas_cascade *c2 = load_bound("attention-2pass", "m=4096,m0=256");
    assert_int_equal(passes(c2, "m", &ps), 2);
    /* LM, SLD and SLNV per tile survive pass 1: 3 fibres of M1 = 16 */
    assert_int_equal(ps.nlive[0], 3);
    assert_int_equal(ps.fibre_footprint[0], 3 * 16);
    assert_int_equal(ps.pass_of[cas_einsum_find(c2, "PRM")], 2);
    cas_free(c2);

    cas_cascade *c1 = load_bound("attention-1pass", "m=4096,m0=256");
    assert_int_equal(passes(c1, "m", &ps), 1);
    assert_int_equal(passes(c1, "m1", &ps), 1);
    assert_int_equal(passes(c1, "p", &ps), 1);
    cas_free(c1);

    cas_cascade *cd = load_bound("attention-decode", NULL);
    assert_int_equal(passes(cd, "m", &ps), 1);
    cas_free(cd);
    /* split-K decode: one pass over the keys of each split (mr); the merge
     * reads the s partials twice (global max, then rescale): 2 passes over
     * s, 3 over the whole key rank m, with only S partials live between */
    cas_cascade *cs = load_bound("attention-decode-split", "m=1000,s=4,m0=16");
    assert_int_equal(passes(cs, "mr", &ps), 1);
    assert_int_equal(passes(cs, "s", &ps), 2);
    assert_int_equal(ps.fibre_footprint[0], 3 * 4); /* RM, RD, RNV: one per split */
    assert_int_equal(passes(cs, "m", &ps), 3);
    cas_free(cs);
}

/* The division optimisation applied to Cascade 4 removes the third read of
 * the key fibre: by the §III definition that cascade is 2-pass. */
static void test_passes_division_variant(void **st)
{
    (void)st;
    const char *txt = "rank e = 4, f = 4, m = 32, p = 8\n"
                      "input Q[e,p], K[e,m], V[f,m]\noutput AV\n"
                      "QK[m,p] = Q[e,p] * K[e,m]\nGM[p] = max(m) QK[m,p]\n"
                      "SN[m,p] = exp(QK[m,p] - GM[p])\nSD[p] = SN[m,p]\n"
                      "SNV[f,p] = SN[m,p] * V[f,m]\nAV[f,p] = SNV[f,p] / SD[p]\n";
    es_err e;
    cas_cascade *c = cas_parse(txt, "div.ein", &e);
    assert_non_null(c);
    assert_int_equal(cas_bind(c, NULL, &e), 0);
    cas_passes ps;
    assert_int_equal(passes(c, "m", &ps), 2);
    assert_int_equal(ps.fibre_footprint[0], 32); /* QK */
    cas_free(c);
}

static void test_passes_norms(void **st)
{
    (void)st;
    cas_passes ps;
    cas_cascade *c = load_bound("layernorm", "t=4,d=8");
    assert_int_equal(passes(c, "d", &ps), 3);
    assert_int_equal(passes(c, "t", &ps), 1);
    cas_free(c);
    c = load_bound("rmsnorm", "t=4,d=8");
    assert_int_equal(passes(c, "d", &ps), 2);
    cas_free(c);
    c = load_bound("linear", NULL);
    assert_int_equal(passes(c, "k", &ps), 1);
    cas_free(c);
}

/* ---- printer / parser round trip ---------------------------------------- */

static void roundtrip(const char *path)
{
    es_err e;
    cas_cascade *a = cas_load(path, &e);
    if (!a)
        fail_msg("%s", e.msg);
    char *t1 = cas_to_string(a);
    cas_cascade *b = cas_parse(t1, "printed", &e);
    if (!b)
        fail_msg("%s: printed text does not parse: %s\n%s", path, e.msg, t1);
    char *t2 = cas_to_string(b);
    if (strcmp(t1, t2))
        fail_msg("%s: print(parse(print(x))) differs:\n%s\n---\n%s", path, t1, t2);
    assert_int_equal(a->neinsums, b->neinsums);
    assert_int_equal(a->ntensors, b->ntensors);
    free(t1);
    free(t2);
    cas_free(a);
    cas_free(b);
}

static void test_roundtrip_bundled(void **st)
{
    (void)st;
    char dir[4096];
    int n;
    char **names = es_bundled_names("cascades", ".ein", &n, dir, sizeof dir);
    for (int i = 0; i < n; i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s.ein", dir, names[i]);
        roundtrip(path);
    }
    es_names_free(names);
    assert_true(n >= 17); /* every bundled cascade, none skipped */
}

/* ---- checker errors -------------------------------------------------------- */

static void expect_error(const char *txt, const char *want1, const char *want2)
{
    es_err e = {0};
    cas_cascade *c = cas_parse(txt, "bad.ein", &e);
    if (c) {
        cas_free(c);
        fail_msg("accepted a malformed cascade (expected '%s')", want1);
    }
    if (!strstr(e.msg, want1) || (want2 && !strstr(e.msg, want2)))
        fail_msg("message '%s' lacks '%s' / '%s'", e.msg, want1, want2 ? want2 : "");
}

#define HDR "rank e = 4, m = 8, p = 2\ninput Q[e,p], K[e,m]\noutput S\n"

static void test_errors(void **st)
{
    (void)st;
    expect_error(HDR "S[m,p] = Q[e,p] * KK[e,m]\n", "bad.ein:4:19: undefined tensor 'KK'", NULL);
    expect_error(HDR "S[m,p] = Q[e,p] * K[m,e]\n", "bad.ein:4:21: rank mismatch: tensor 'K'", "rank 'm'");
    expect_error(HDR "S[m,p] = Q[e,p] * K[e]\n", "bad.ein:4:19: rank mismatch: tensor 'K' used with 1 indices", NULL);
    expect_error(HDR "T[m,p] = S[m,p]\nS[m,p] = T[m,p] + Q[e,p]\n", "cyclic dependency through tensor", "T <- S");
    expect_error(HDR "S[m,p] = frob(Q[e,p] * K[e,m])\n", "bad.ein:4:10: unknown op 'frob'", NULL);
    expect_error(HDR "op frob cost 3\nS[m,p] = Q[e,p]\n", "bad.ein:4:4: unknown op 'frob'", NULL);
    expect_error(HDR "S[m,p] = Q[e,p] * K[e,x]\n", "bad.ein:4:23: index: 'x' is not a declared rank", NULL);
    expect_error(HDR "S[m,p] = max(e) Q[e,p] * K[e,m] + Q[e,p]\nS[m,p] = Q[e,p]\n", "tensor S defined twice", NULL);
    expect_error(HDR "S[m,p] = max(m) Q[e,p] * K[e,m]\n", "rank 'm' is listed in the reduction but is not reduced", NULL);
    expect_error(HDR "S[m+1,p] = S[m,p] + K[e,m]\n", "tensor 'S' is iterative", "no initial value");
    expect_error(HDR "S[m=0,p] = 0\nS[m,p] = Q[e,p]\n", "has an initial value but is not iterative", NULL);
    expect_error(HDR "S[m,p] = Q[e,p] ** K[e,m]\n", "bad.ein:4:18: expected a tensor", NULL);
    expect_error(HDR "frobnicate S\n", "bad.ein:4:1: unknown statement 'frobnicate'", NULL);
    expect_error("rank e\ninput Q[e]\noutput Z\n", "bad.ein:3:8: undefined tensor 'Z'", NULL);
    /* inside the m loop: reading the final slice, or a total over m */
    const char *loop = HDR "R[m=0,p] = 0\nR[m+1,p] = R[m,p] + Q[e,p] * K[e,m]\n";
    char buf[512];
    snprintf(buf, sizeof buf, "%sS[m,p] = R[M,p] + K[e,m]\n", loop);
    expect_error(buf, "bad.ein:6:12: einsum S iterates 'm' but reads R at another slice", NULL);
    snprintf(buf, sizeof buf, "%sT[p] = max(m) R[m+1,p]\nS[m,p] = T[p] + K[e,m]\n", loop);
    expect_error(buf, "einsum S iterates 'm' but reads T, which is complete only after that iteration", NULL);
}

static void test_bind(void **st)
{
    (void)st;
    es_err e;
    cas_cascade *c = cas_parse("rank e, m = 8\nsplit m -> m1, m0\ninput K[e,m]\noutput B\nB[e,m1,m0] = K[e,m]\n",
                               "b.ein", &e);
    assert_non_null(c);
    assert_int_equal(cas_bind(c, "e=4", &e), -1);
    assert_non_null(strstr(e.msg, "b.ein:2:16: rank 'm0' has no size"));
    assert_int_equal(cas_bind(c, "e=4,zz=3", &e), -1);
    assert_non_null(strstr(e.msg, "no rank 'zz'"));
    assert_int_equal(cas_bind(c, "e=4,m0=3", &e), 0);
    assert_int_equal(cas_rank_size(c, cas_rank_find(c, "m1")), 3); /* ceil(8/3) */
    /* the copy visits exactly e*m points although 3 does not divide 8 */
    assert_int_equal(cas_einsum_points(c, 0), 4 * 8);
    assert_int_equal(cas_tensor_elems(c, cas_tensor_find(c, "B")), 4 * 3 * 3);
    cas_free(c);
    /* decode-split: bind the number of splits s, the partition size follows */
    c = load_bound("attention-decode-split", "m=77,s=3,m0=8");
    assert_int_equal(cas_rank_size(c, cas_rank_find(c, "s")), 3);
    assert_int_equal(cas_rank_size(c, cas_rank_find(c, "mr")), 26);
    assert_int_equal(cas_rank_size(c, cas_rank_find(c, "m1")), 4);
    assert_int_equal(cas_einsum_points(c, cas_einsum_find(c, "BQK")), 64 * 77 * 1);
    cas_free(c);
}

static void test_einsum_facts(void **st)
{
    (void)st;
    cas_cascade *c = load_bound("attention-1pass", "e=4,f=3,m=13,m0=4,p=5");
    int q = cas_einsum_find(c, "BQK"), lm = cas_einsum_find(c, "LM"), rm = cas_einsum_find(c, "RM");
    int av = cas_einsum_find(c, "AV");
    /* exactly FuseMax's 12 einsums (Einsums 44-55), K and V read through the split view */
    static const char *names[] = {"BQK", "LM", "RM", "SLN", "SLD", "SLNV", "PRM", "SPD", "RD", "SPNV", "RNV", "AV"};
    assert_int_equal(c->neinsums, 12);
    for (int i = 0; i < 12; i++)
        assert_string_equal(c->einsum[i].name, names[i]);
    assert_int_equal(c->einsum[q].klass, CAS_K_MAC);
    assert_int_equal(c->einsum[lm].klass, CAS_K_REDUCE);
    assert_int_equal(c->einsum[lm].reduce, CAS_RED_MAX);
    assert_int_equal(c->einsum[rm].klass, CAS_K_MAP);
    assert_int_equal(c->einsum[rm].iter_rank, cas_rank_find(c, "m1"));
    assert_string_equal(c->tensor[c->einsum[q].inputs[1]].name, "K");
    /* BQK: e*m*p points (the last m0 tile is trimmed), one mul + one add each */
    assert_int_equal(cas_einsum_points(c, q), 4 * 13 * 5);
    cas_opcount oc;
    cas_einsum_ops(c, q, &oc);
    assert_int_equal(oc.n[CAS_OP_MUL], 260);
    assert_int_equal(oc.n[CAS_OP_ADD], 260);
    /* SLN: one sub and one exp (cost 7 by the file's `op exp cost 7`) per point */
    cas_einsum_ops(c, cas_einsum_find(c, "SLN"), &oc);
    assert_int_equal(oc.n[CAS_OP_EXP], 65);
    assert_true(oc.cost == 65 * 8);
    /* AV: F*P divisions, deferred (not M*P) */
    cas_einsum_ops(c, av, &oc);
    assert_int_equal(oc.n[CAS_OP_DIV], 3 * 5);
    assert_int_equal(cas_extent(c, cas_tensor_find(c, "RM"), 0), 4 + 1); /* M1 + 1 slices */
    assert_int_equal(c->einsum[q].ninputs, 2);
    cas_free(c);
    /* sparse and format declarations are kept */
    c = load_bound("linear-sparse", NULL);
    const cas_tensor *w = &c->tensor[cas_tensor_find(c, "W")];
    assert_int_equal(w->sparse[0].compressed, 1);
    assert_int_equal(w->sparse[0].nm_n, 2);
    assert_int_equal(w->sparse[0].nm_m, 4);
    cas_free(c);
    c = load_bound("linear-int8", NULL);
    assert_string_equal(c->tensor[cas_tensor_find(c, "WQ")].format, "int8");
    cas_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passes_attention), cmocka_unit_test(test_passes_division_variant),
        cmocka_unit_test(test_passes_norms),     cmocka_unit_test(test_roundtrip_bundled),
        cmocka_unit_test(test_errors),           cmocka_unit_test(test_bind),
        cmocka_unit_test(test_einsum_facts),
    };
    return cmocka_run_group_tests_name("mapper_cascade", tests, NULL, NULL);
}
