/* mapper cascade interpreter against golden.
 *
 * Attention: the 1-, 2- and 3-pass cascades (and decode, split-K decode,
 * masked, GQA) run on seeded inputs and are compared with
 * gd_attention_naive / gd_attention_mh called here, for shapes including
 * key lengths that m0 does not divide, m0 > m, m = 1 and an empty split.
 * Tolerance (fp32, u = 2^-24): |got - ref| <= TOL_ABS + TOL_REL |ref| with
 * TOL_ABS = 2e-5 and TOL_REL = 1e-4.  A crude forward bound for these sizes
 * (m <= 100 keys, e <= 16, |scores| <= ~20, |v| <= ~5): the online rescales
 * and the exp arguments each carry ~|score| u, the sums m u, so the error is
 * below (2*20 + 100 + 16) u * 5 ~= 5e-5 worst case; observed <= 1e-6.
 * Layers: layer-gpt2 and layer-bert against a pre-norm GPT-2 block and a
 * post-norm BERT layer assembled below from golden kernels (layernorm, GEMM,
 * multi-head attention, GELU). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/kernels.h"
#include "mapper/cascade.h"

#define SEED 20261123u
#define TOL_ABS 2e-5
#define TOL_REL 1e-4

typedef struct run {
    cas_cascade *c;
    cas_env v;
} run;

static void run_cascade(run *r, const char *name, const char *ranks, uint64_t seed)
{
    es_err e;
    r->c = cas_load(name, &e);
    if (!r->c)
        fail_msg("%s", e.msg);
    if (cas_bind(r->c, ranks, &e) || cas_env_init(&r->v, r->c, &e) || cas_fill_inputs(&r->v, seed, &e) ||
        cas_run(&r->v, &e))
        fail_msg("%s [%s]: %s", name, ranks, e.msg);
}

static void run_free(run *r)
{
    cas_env_free(&r->v);
    cas_free(r->c);
}

static int64_t rsize(const run *r, const char *rank) { return cas_rank_size(r->c, cas_rank_find(r->c, rank)); }

/* a[i][j] -> out[j][i] for an [n0 x n1] array */
static float *transpose(const float *a, int64_t n0, int64_t n1)
{
    float *t = malloc(sizeof(float) * (size_t)(n0 * n1));
    for (int64_t i = 0; i < n0; i++)
        for (int64_t j = 0; j < n1; j++)
            t[j * n0 + i] = a[i * n1 + j];
    return t;
}

static double compare(const char *what, const float *got, const float *ref, int64_t n)
{
    double worst = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(got[i]))
            fail_msg("%s: element %lld is %g (seed %u)", what, (long long)i, got[i], SEED);
        double d = fabs((double)got[i] - ref[i]);
        if (d > TOL_ABS + TOL_REL * fabs(ref[i]))
            fail_msg("%s: element %lld: got %.9g, golden %.9g (seed %u)", what, (long long)i, got[i], ref[i], SEED);
        if (d > worst)
            worst = d;
    }
    return worst;
}

/* Q[e,p], K[e,m], V[f,m], AV[f,p] (FuseMax rank order) vs golden's rows. */
static void check_attention(const char *name, const char *ranks, int causal)
{
    run r;
    run_cascade(&r, name, ranks, SEED);
    int64_t E = rsize(&r, "e"), F = rsize(&r, "f"), M = rsize(&r, "m"), P = rsize(&r, "p");
    float *q = transpose(cas_env_get(&r.v, "Q", NULL), E, P);
    float *k = transpose(cas_env_get(&r.v, "K", NULL), E, M);
    float *v = transpose(cas_env_get(&r.v, "V", NULL), F, M);
    float *o = calloc((size_t)(P * F), sizeof(float));
    gd_attn_shape s = {.n_q = (int)P, .n_k = (int)M, .d = (int)E, .dv = (int)F, .scale = 1.0f, .causal = causal,
                       .q_offset = (int)(M - P)};
    gd_attention_naive(&s, q, k, v, o);
    float *ref = transpose(o, P, F);
    char what[160];
    snprintf(what, sizeof what, "%s [%s]", name, ranks);
    double w = compare(what, cas_env_get(&r.v, "AV", NULL), ref, F * P);
    print_message("%-24s %-32s max |diff| %.3g\n", name, ranks, w);
    free(q), free(k), free(v), free(o), free(ref);
    run_free(&r);
}

static const char *SHAPES[] = {
    "e=4,f=3,m=13,m0=4,p=5",   /* 13 = 3*4 + 1: the last tile has one key */
    "e=8,f=8,m=16,m0=4,p=3",   /* divides */
    "e=8,f=5,m=37,m0=8,p=6",   /* 37 = 4*8 + 5 */
    "e=16,f=16,m=64,m0=64,p=1", /* one tile, one query */
    "e=8,f=8,m=7,m0=16,p=4",   /* m0 > m */
    "e=4,f=4,m=1,m0=4,p=2",    /* a single key */
    "e=6,f=7,m=100,m0=9,p=9",  /* 100 = 11*9 + 1 */
};
#define NSHAPES (sizeof SHAPES / sizeof SHAPES[0])

static void test_attention_1pass(void **st)
{
    (void)st;
    for (size_t i = 0; i < NSHAPES; i++)
        check_attention("attention-1pass", SHAPES[i], 0);
}

static void test_attention_2pass(void **st)
{
    (void)st;
    for (size_t i = 0; i < NSHAPES; i++)
        check_attention("attention-2pass", SHAPES[i], 0);
}

static void test_attention_3pass(void **st)
{
    (void)st;
    for (size_t i = 0; i < NSHAPES; i++)
        check_attention("attention-3pass", SHAPES[i], 0);
}

static void test_attention_decode(void **st)
{
    (void)st;
    check_attention("attention-decode", "e=8,f=8,m=300,m0=32", 0);
    check_attention("attention-decode-split", "e=8,f=8,m=300,m0=16,s=4", 0);
    check_attention("attention-decode-split", "e=8,f=8,m=77,m0=8,s=3", 0);
    /* m=9 in 4 splits of 3: the last split is empty and must merge as zero */
    check_attention("attention-decode-split", "e=4,f=4,m=9,m0=2,s=4", 0);
}

static void test_attention_masked(void **st)
{
    (void)st;
    check_attention("attention-masked", "e=8,f=8,m=20,m0=6,p=7", 1);
    check_attention("attention-masked", "e=8,f=8,m=12,m0=4,p=12", 1);
    /* p > m: the first rows see no key at all; golden and the cascade give 0 */
    check_attention("attention-masked", "e=4,f=4,m=5,m0=2,p=8", 1);
}

static void test_attention_gqa(void **st)
{
    (void)st;
    run r;
    run_cascade(&r, "attention-gqa", "e=8,f=4,m=19,m0=4,p=3,h=2,g=3", SEED);
    int E = 8, F = 4, M = 19, P = 3, H = 2, G = 3;
    const float *Q = cas_env_get(&r.v, "Q", NULL), *K = cas_env_get(&r.v, "K", NULL);
    const float *V = cas_env_get(&r.v, "V", NULL), *AV = cas_env_get(&r.v, "AV", NULL);
    /* golden rows: Q [p][h*G+g][e], K [m][h][e], V [m][h][f], O [p][h*G+g][f] */
    float *q = malloc(sizeof(float) * P * H * G * E), *k = malloc(sizeof(float) * M * H * E);
    float *v = malloc(sizeof(float) * M * H * F), *o = calloc((size_t)P * H * G * F, sizeof(float));
    float *got = malloc(sizeof(float) * P * H * G * F);
    for (int e = 0; e < E; e++)
        for (int h = 0; h < H; h++) {
            for (int g = 0; g < G; g++)
                for (int p = 0; p < P; p++)
                    q[((p * H + h) * G + g) * E + e] = Q[((e * H + h) * G + g) * P + p];
            for (int m = 0; m < M; m++)
                k[(m * H + h) * E + e] = K[(e * H + h) * M + m];
        }
    for (int f = 0; f < F; f++)
        for (int h = 0; h < H; h++)
            for (int m = 0; m < M; m++)
                v[(m * H + h) * F + f] = V[(f * H + h) * M + m];
    gd_attn_shape s = {.n_q = P, .n_k = M, .d = E, .dv = F, .scale = 1.0f, .q_offset = M - P};
    gd_attention_mh(&s, H * G, H, q, k, v, o, 0);
    for (int h = 0; h < H; h++) /* AV[h,g,f,p] */
        for (int g = 0; g < G; g++)
            for (int f = 0; f < F; f++)
                for (int p = 0; p < P; p++)
                    got[((p * H + h) * G + g) * F + f] = AV[((h * G + g) * F + f) * P + p];
    compare("attention-gqa", got, o, P * H * G * F);
    free(q), free(k), free(v), free(o), free(got);
    run_free(&r);
}

/* ---- a whole GPT-2 block ------------------------------------------------- */

static void bias_rows(float *y, const float *b, int rows, int n)
{
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < n; j++)
            y[i * n + j] += b[j];
}

/* GPT-2 (pre-norm, causal, tanh GELU) or BERT (post-norm, bidirectional,
 * erf GELU) block assembled from golden kernels, compared with the cascade. */
static void check_layer(const char *name, const char *ranks, int bert)
{
    run r;
    run_cascade(&r, name, ranks, SEED);
    const int T = (int)rsize(&r, "t"), D = (int)rsize(&r, "d"), H = (int)rsize(&r, "h");
    const int E = (int)rsize(&r, "e"), S = (int)rsize(&r, "s"), HE = H * E;
#define IN(n) cas_env_get(&r.v, n, NULL)
    /* weights as stored: WQ[d,h,e] is already [D x H*E] row-major, WO[h,f,d]
     * is [H*F x D], W1[d,s] [D x S], W2[s,d] [S x D]; X[t,d] is [T x D] */
    float *xn = calloc(T * D, 4), *q = calloc(T * HE, 4), *k = calloc(T * HE, 4), *v = calloc(T * HE, 4);
    float *a = calloc(T * HE, 4), *r1 = calloc(T * D, 4), *h = calloc(T * S, 4), *y = calloc(T * D, 4);
    const float *X = IN("X"), *ain = X;
    if (!bert) {
        gd_layernorm(T, D, X, IN("LN1G"), IN("LN1B"), 1e-5f, xn);
        ain = xn;
    }
    gd_gemm_ref(T, HE, D, ain, IN("WQ"), q, 0);
    gd_gemm_ref(T, HE, D, ain, IN("WK"), k, 0);
    gd_gemm_ref(T, HE, D, ain, IN("WV"), v, 0);
    bias_rows(q, IN("BQ"), T, HE);
    bias_rows(k, IN("BK"), T, HE);
    bias_rows(v, IN("BV"), T, HE);
    gd_attn_shape s = {.n_q = T, .n_k = T, .d = E, .dv = E, .scale = 1.0f / sqrtf((float)E), .causal = !bert};
    gd_attention_mh(&s, H, H, q, k, v, a, 0);
    gd_gemm_ref(T, D, HE, a, IN("WO"), r1, 0);
    bias_rows(r1, IN("BO"), T, D);
    for (int i = 0; i < T * D; i++)
        r1[i] += X[i];
    if (bert)
        gd_layernorm(T, D, r1, IN("LN1G"), IN("LN1B"), 1e-5f, r1);
    else
        gd_layernorm(T, D, r1, IN("LN2G"), IN("LN2B"), 1e-5f, xn);
    gd_gemm_ref(T, S, D, bert ? r1 : xn, IN("W1"), h, 0);
    bias_rows(h, IN("B1"), T, S);
    for (int i = 0; i < T * S; i++)
        h[i] = bert ? gd_gelu_erf(h[i]) : gd_gelu_tanh(h[i]);
    gd_gemm_ref(T, D, S, h, IN("W2"), y, 0);
    bias_rows(y, IN("B2"), T, D);
    for (int i = 0; i < T * D; i++)
        y[i] += r1[i];
    if (bert)
        gd_layernorm(T, D, y, IN("LN2G"), IN("LN2B"), 1e-5f, y);
    double w = compare(name, IN("Y"), y, T * D);
    print_message("%-24s %-32s max |diff| %.3g\n", name, ranks, w);
#undef IN
    free(xn), free(q), free(k), free(v), free(a), free(r1), free(h), free(y);
    run_free(&r);
}

static void test_layer_gpt2(void **st)
{
    (void)st;
    check_layer("layer-gpt2", "t=9,d=32,h=2,e=8,f=8,s=64", 0);
}

/* BERT's attention is the 1-pass cascade over keys tiled by m0 = 3 (9 = 3*3
 * and 10 = 3*3 + 1). */
static void test_layer_bert(void **st)
{
    (void)st;
    check_layer("layer-bert", "t=9,d=32,h=2,e=8,f=8,s=64,m0=3", 1);
    check_layer("layer-bert", "t=10,d=32,h=2,e=8,f=8,s=64,m0=3", 1);
}

/* The other bundled kinds against the library's golden references. */
static void test_other_kinds(void **st)
{
    (void)st;
    static const char *cases[][2] = {
        {"linear", "k=40,n=24,t=7"},   {"linear-int8", "k=40,n=24,t=7"}, {"linear-sparse", "k=16,n=8,t=3"},
        {"ffn-gelu", "t=5,s=33"},      {"ffn-swiglu", "t=5,s=33"},       {"ffn-relu", "t=5,s=33"},
        {"layernorm", "t=5,d=48"},     {"rmsnorm", "t=5,d=48"},          {"residual", "t=5,d=48"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run r;
        es_err e;
        run_cascade(&r, cases[i][0], cases[i][1], SEED);
        int64_t n;
        float *got = cas_env_get(&r.v, "Y", &n);
        float *ref = calloc((size_t)n, sizeof(float));
        if (cas_golden(&r.v, "Y", ref, &e))
            fail_msg("%s", e.msg);
        compare(cases[i][0], got, ref, n);
        free(ref);
        run_free(&r);
    }
}

/* A 2:4-sparse input is filled with two nonzeros in every four along k. */
static void test_sparse_fill(void **st)
{
    (void)st;
    run r;
    run_cascade(&r, "linear-sparse", "k=16,n=8,t=3", SEED);
    const float *w = cas_env_get(&r.v, "W", NULL); /* W[k,n] */
    for (int n = 0; n < 8; n++)
        for (int g = 0; g < 16; g += 4) {
            int nz = 0;
            for (int k = g; k < g + 4; k++)
                nz += w[k * 8 + n] != 0.0f;
            assert_int_equal(nz, 2);
        }
    run_free(&r);
}

/* Same seed, same bytes; another seed, other bytes. */
static void test_deterministic(void **st)
{
    (void)st;
    run a, b, c;
    run_cascade(&a, "attention-1pass", SHAPES[2], 7);
    run_cascade(&b, "attention-1pass", SHAPES[2], 7);
    run_cascade(&c, "attention-1pass", SHAPES[2], 8);
    int64_t n;
    float *x = cas_env_get(&a.v, "AV", &n);
    assert_memory_equal(x, cas_env_get(&b.v, "AV", NULL), (size_t)n * sizeof(float));
    assert_memory_not_equal(x, cas_env_get(&c.v, "AV", NULL), (size_t)n * sizeof(float));
    run_free(&a), run_free(&b), run_free(&c);
}

/* Tile by tile (cas_run_einsum_box, what functional mode runs): the 1-pass
 * cascade over key tiles m1 in order, each Einsum on its tile, equals
 * cas_run exactly; and the 3-pass GM reduced over two halves of m
 * (accumulate on the second) equals the whole reduction.  Running AV before
 * the key tiles are done computes a different (wrong) output. */
static void test_tile_boxes(void **st)
{
    (void)st;
    run whole;
    run_cascade(&whole, "attention-1pass", "e=8,f=8,p=5,m=40,m0=16", SEED);
    es_err e;
    cas_cascade *c = cas_load("attention-1pass", &e);
    assert_non_null(c);
    assert_int_equal(cas_bind(c, "e=8,f=8,p=5,m=40,m0=16", &e), 0);
    cas_env v;
    assert_int_equal(cas_env_init(&v, c, &e), 0);
    assert_int_equal(cas_fill_inputs(&v, SEED, &e), 0);
    cas_env_reset(&v);
    int m1 = cas_rank_find(c, "m1"), av = cas_einsum_find(c, "AV");
    for (int64_t t = 0; t < cas_rank_size(c, m1); t++)
        for (int k = 0; k < c->neinsums; k++) {
            int ei = c->order[k];
            if (ei == av)
                continue;
            cas_box b;
            cas_box_all(c, &b);
            b.lo[m1] = t, b.hi[m1] = t + 1;
            assert_int_equal(cas_run_einsum_box(&v, ei, &b, 0, &e), 0);
        }
    cas_box all;
    cas_box_all(c, &all);
    assert_int_equal(cas_run_einsum_box(&v, av, &all, 0, &e), 0);
    int64_t n;
    float *got = cas_env_get(&v, "AV", &n), *want = cas_env_get(&whole.v, "AV", NULL);
    assert_memory_equal(got, want, (size_t)n * sizeof(float));
    /* AV too early: after the first key tile only */
    cas_env_reset(&v);
    for (int k = 0; k < c->neinsums; k++) {
        cas_box b;
        cas_box_all(c, &b);
        b.lo[m1] = 0, b.hi[m1] = 1;
        if (c->order[k] != av)
            assert_int_equal(cas_run_einsum_box(&v, c->order[k], &b, 0, &e), 0);
    }
    assert_int_equal(cas_run_einsum_box(&v, av, &all, 0, &e), 0);
    assert_true(memcmp(got, want, (size_t)n * sizeof(float)) != 0);
    cas_env_free(&v);
    cas_free(c);
    run_free(&whole);

    /* a reduction split over two tiles of the reduced rank */
    run r3;
    run_cascade(&r3, "attention-3pass", "e=4,f=4,p=3,m=10", SEED);
    int gm = cas_einsum_find(r3.c, "GM"), m = cas_rank_find(r3.c, "m");
    assert_true(gm >= 0 && m >= 0);
    int64_t ng;
    float *g = cas_env_get(&r3.v, "GM", &ng), keep[16];
    assert_true(ng <= 16);
    memcpy(keep, g, (size_t)ng * sizeof(float));
    memset(g, 0, (size_t)ng * sizeof(float));
    cas_box b;
    cas_box_all(r3.c, &b);
    b.hi[m] = 4;
    assert_int_equal(cas_run_einsum_box(&r3.v, gm, &b, 0, &e), 0);
    b.lo[m] = 4, b.hi[m] = 10;
    assert_int_equal(cas_run_einsum_box(&r3.v, gm, &b, 1, &e), 0);
    assert_memory_equal(g, keep, (size_t)ng * sizeof(float));
    run_free(&r3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attention_1pass),  cmocka_unit_test(test_attention_2pass),
        cmocka_unit_test(test_attention_3pass),  cmocka_unit_test(test_attention_decode),
        cmocka_unit_test(test_attention_masked), cmocka_unit_test(test_attention_gqa),
        cmocka_unit_test(test_layer_gpt2),       cmocka_unit_test(test_layer_bert),
        cmocka_unit_test(test_other_kinds),
        cmocka_unit_test(test_sparse_fill),      cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_tile_boxes),
    };
    return cmocka_run_group_tests_name("mapper_interp", tests, NULL, NULL);
}
