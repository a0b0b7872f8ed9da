/* sim/functional/functional.c: functional mode through the cascade
 * interpreter (mapper/cascade.h).
 *
 * Every cascade instance of the mapping is loaded from its .ein file and
 * bound to the instance's rank sizes (a split-key map binds m to all its
 * keys; mapper/resolve.h).  Each of its `repeat` instances (heads, requests,
 * layers) gets an interpreter environment: seeded inputs (cas_fill_inputs),
 * computed tensors reset as cas_run starts.  A tile op of sp group g on tile
 * x runs its Einsum over the tile's box: x is decoded, mixed radix over the
 * group's tile loops (the last fastest), into the instance (`rep` loops) and
 * one tile index per rank; a rank tiled T ways spans ceil(size / T) values
 * per tile, the last tile clipped.  Ranks without a tile loop span their
 * whole size (the PE level works inside the tile).  A reduction over a rank
 * whose tile starts past 0 accumulates into what the earlier tiles left.
 * Values flow between Einsums, groups and tiles only through the
 * environment, in the order the executor starts the ops, so a schedule that
 * reads a value before it is written computes a wrong answer.  At the end
 * each instance's first output is compared with the cascade's golden
 * reference (cas_golden).  Linear cascades whose weights --quant or
 * --sparsity store differently (functional.h) run their GEMM tiles on
 * golden's kernels: int8 (i8_tile) and ggml blocks (ggml_tile), compared
 * bit for bit, 2:4 SpMM (sp24_tile), or fp32 on golden's dequantized
 * weights (dequant_weights). */
#include "sim/functional/functional.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "golden/quant.h"
#include "golden/sparse.h"
#include "mapper/cascade.h"
#include "mapper/resolve.h"

/* One instance of an int8 or ggml-block linear: Y[n,t] = X[k,t] W[k,n]
 * with X quantized per token t and W per output n (golden's layouts: rows
 * of xq / xb are tokens, rows of wq / wb outputs, both along k). */
typedef struct fn_i8 {
    int8_t *xq, *wq;    /* int8: [T x K], [N x K] */
    float *cx, *cw;     /* int8: absmax per row */
    int32_t *acc;       /* int8: [T x N] int32 sums of the tiles run so far */
    gd_block_q8_0 *xb;  /* ggml: [T x K/32] Q8_0 activations */
    void *wb;           /* ggml: [N x K/32] weight blocks (Q8_0 or Q4_0) */
    float *facc;        /* ggml: [T x N] fp32 sums of the blocks run so far, in k order */
    int64_t *kdone;     /* [T x N] k values summed */
    float *ref;         /* [T x N] golden's linear (gd_int8_linear, gd_ggml_linear) */
} fn_i8;

typedef struct fn_cascade {
    const mp_cascade_map *cm;
    cas_cascade *c;
    int64_t R;     /* instances (the map's repeat) */
    cas_env *env;  /* [R]; env[r].c == NULL until instance r first runs */
    int out;       /* tensor index of the compared output */
    /* a linear layer with --quant weights (quant != FN_DENSE): the GEMM
     * einsum, tensors X, W, Y and ranks k, n, t of linear.ein; i8[R] */
    enum { FN_DENSE, FN_INT8, FN_GGML, FN_WEIGHT_ONLY } quant;
    gd_qformat qf;
    int sparse24; /* --sparsity 2:4: tiles on golden's 2:4 SpMM */
    int gemm, tx, tw, ty, rk, rn, rt;
    int64_t T, K, N;
    fn_i8 *i8;
} fn_cascade;

struct sim_functional {
    int ncas;
    fn_cascade *cas;
    int ngroups;
    int *group_cas; /* sp group -> cascade index */
    const sp_prog *p;
    uint64_t seed;
    int64_t q_tiles, q_elems, perturb; /* GEMM tile ops and outputs of quantized linears;
                                        * perturb: EINSIM_TEST_PERTURB_TILE */
    double w_err2, w_norm2;            /* weight-only: sum (Wq - W)^2, sum W^2 */
    char mismatch[256];                /* first int8 difference, "" if none */
};

static void i8_free(fn_i8 *q)
{
    free(q->xq), free(q->wq), free(q->cx), free(q->cw), free(q->acc), free(q->kdone), free(q->ref);
    free(q->xb), free(q->wb), free(q->facc);
}

void sim_functional_free(sim_functional *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->ncas; i++) {
        fn_cascade *k = &f->cas[i];
        for (int64_t r = 0; k->env && r < k->R; r++)
            if (k->env[r].c)
                cas_env_free(&k->env[r]);
        free(k->env);
        for (int64_t r = 0; k->i8 && r < k->R; r++)
            i8_free(&k->i8[r]);
        free(k->i8);
        if (k->c)
            cas_free(k->c);
    }
    free(f->cas);
    free(f->group_cas);
    free(f);
}

/* Bind the cascade's ranks to the map's sizes: every rank the map names,
 * except split children the .ein leaves unsized (m1, mr: derived from their
 * parent and sibling); m is the map's key count. */
static int bind_map(cas_cascade *c, const mp_cascade_map *cm, es_err *e)
{
    for (int i = 0; i < cm->n_ranks; i++) {
        int r = cas_rank_find(c, cm->ranks[i].rank);
        if (r < 0 || (c->rank[r].parent >= 0 && !c->rank[r].dflt))
            continue;
        int64_t size = !strcmp(cm->ranks[i].rank, "m") ? mp_cmap_keys(cm) : cm->ranks[i].size;
        if (cas_bind_rank(c, cm->ranks[i].rank, size, e))
            return -1;
    }
    return cas_bind(c, NULL, e);
}

/* The tensor named `name` over exactly the ranks r0, r1 (in that order). */
static int tensor2(const cas_cascade *c, const char *name, int r0, int r1)
{
    int t = cas_tensor_find(c, name);
    if (t < 0 || c->tensor[t].nranks != 2 || c->tensor[t].rank[0] != r0 || c->tensor[t].rank[1] != r1)
        return -1;
    return t;
}

/* The GEMM einsum, tensors and ranks of a linear layer (golden kind
 * linear: Y[n,t] = X[k,t] W[k,n]), whose weights --quant or --sparsity
 * store differently. */
static int linear_layout(fn_cascade *k, es_err *e)
{
    const cas_cascade *c = k->c;
    k->rk = cas_rank_find(c, "k"), k->rn = cas_rank_find(c, "n"), k->rt = cas_rank_find(c, "t");
    k->tx = tensor2(c, "X", k->rk, k->rt), k->tw = tensor2(c, "W", k->rk, k->rn), k->ty = tensor2(c, "Y", k->rn, k->rt);
    k->gemm = k->ty < 0 ? -1 : c->tensor[k->ty].producer;
    if (strcmp(c->golden, "linear") || k->rk < 0 || k->rn < 0 || k->rt < 0 || k->tx < 0 || k->tw < 0 ||
        k->ty < 0 || k->gemm < 0 || k->out != k->ty)
        return es_fail(e, "functional mode: cascade %s (%s) has weights stored %s%s but is not a linear layer "
                          "Y[n,t] = X[k,t] W[k,n] (golden linear), so its tiles cannot be computed that way",
                       k->cm->cascade, k->cm->label, k->cm->weight_format[0] ? k->cm->weight_format : "",
                       k->cm->weight_sparsity[0] ? " 2:4-sparse" : "");
    k->K = c->rank[k->rk].size, k->N = c->rank[k->rn].size, k->T = c->rank[k->rt].size;
    return 0;
}

/* 2:4-sparse weights (--sparsity 2:4): W is pruned along k by golden's
 * magnitude rule when the instance first runs; each GEMM tile compresses
 * its slice of W and runs golden's 2:4 SpMM (sp24_tile). */
static int sparse_setup(fn_cascade *k, es_err *e)
{
    if (strcmp(k->cm->weight_sparsity, "2:4"))
        return es_fail(e, "functional mode: --sparsity %s is not computed functionally (supported: 2:4)",
                       k->cm->weight_sparsity);
    if (k->cm->weight_format[0])
        return es_fail(e, "functional mode: --quant %s with --sparsity %s is not computed functionally (one or "
                          "the other)",
                       k->cm->weight_format, k->cm->weight_sparsity);
    if (linear_layout(k, e))
        return -1;
    if (k->K % 4)
        return es_fail(e, "functional mode: --sparsity 2:4: %s (%s) has k = %lld, not a multiple of 4",
                       k->cm->cascade, k->cm->label, (long long)k->K);
    k->sparse24 = 1;
    return 0;
}

/* A cascade map whose weights are stored in a --quant format: which formats
 * functional mode computes (int8 as golden's vector-wise int8 linear; the
 * weight-only formats as golden's dequantized weights in fp32) and on which
 * cascade (golden kind linear: Y[n,t] = X[k,t] W[k,n]). */
static int quant_setup(fn_cascade *k, es_err *e)
{
    const char *fmt = k->cm->weight_format;
    es_err pe;
    if (gd_qformat_parse(fmt, &k->qf, &pe))
        return es_fail(e, "functional mode: %s", pe.msg);
    /* the formats golden's model runs as fp32 on dequantized weights (the
     * ggml ones it runs as block dots on quantized activations) */
    int wonly = k->qf.family == GD_QF_FLOAT || k->qf.family == GD_QF_RTN || k->qf.family == GD_QF_MXFP4;
    /* q8_0, q4_0: exact integer block dots summed in fp32 block by block,
     * which tiles reproduce when they run k in order; q4_k's dot keeps 8
     * lane sums across superblocks, which no tile split reproduces */
    int ggml = k->qf.family == GD_QF_Q8_0 || k->qf.family == GD_QF_Q4_0;
    if (k->qf.family != GD_QF_INT8 && !wonly && !ggml)
        return es_fail(e, "functional mode: --quant %s is not computed functionally (supported, bit-exact against "
                          "golden's linear: int8, q8_0, q4_0; weight-only fp16, bf16, rtnB-gG, mxfp4 through golden's "
                          "dequantized weights)", fmt);
    if (linear_layout(k, e))
        return -1;
    if (k->K >= (1 << 17) || k->N > INT32_MAX / k->K || k->T > INT32_MAX / k->K)
        return es_fail(e, "functional mode: --quant %s: %s (%s) is too large for the int8 kernel", fmt,
                       k->cm->cascade, k->cm->label);
    if (ggml && k->K % 32)
        return es_fail(e, "functional mode: --quant %s: %s (%s) has k = %lld, not a multiple of the format's 32", fmt,
                       k->cm->cascade, k->cm->label, (long long)k->K);
    k->quant = wonly ? FN_WEIGHT_ONLY : ggml ? FN_GGML : FN_INT8;
    if (k->quant != FN_WEIGHT_ONLY)
        k->i8 = es_xcalloc((size_t)k->R, sizeof *k->i8);
    return 0;
}

sim_functional *sim_functional_create(const mp_arch *a, const mp_mapping *m, const sp_prog *p, uint64_t seed,
                                      es_err *e)
{
    (void)a;
    sim_functional *f = es_xcalloc(1, sizeof *f);
    f->p = p;
    f->seed = seed;
    f->ncas = m->n_cascades;
    f->cas = es_xcalloc((size_t)(m->n_cascades ? m->n_cascades : 1), sizeof *f->cas);
    f->ngroups = p->ngroups;
    f->group_cas = es_xcalloc((size_t)(p->ngroups ? p->ngroups : 1), sizeof *f->group_cas);
    int gi = 0;
    double bytes = 0;
    for (int ci = 0; ci < m->n_cascades; ci++) {
        fn_cascade *k = &f->cas[ci];
        k->cm = &m->cascades[ci];
        k->R = k->cm->repeat > 0 ? k->cm->repeat : 1;
        for (int g = 0; g < k->cm->n_groups && gi < p->ngroups; g++)
            f->group_cas[gi++] = ci;
        es_err ee;
        k->c = cas_load(k->cm->cascade, &ee);
        if (!k->c || bind_map(k->c, k->cm, &ee)) {
            es_fail(e, "functional mode: cascade %s (%s): %s", k->cm->cascade, k->cm->label, ee.msg);
            sim_functional_free(f);
            return NULL;
        }
        k->out = -1;
        for (int t = 0; t < k->c->ntensors && k->out < 0; t++)
            if (k->c->tensor[t].kind == CAS_T_OUTPUT)
                k->out = t;
        if (k->out < 0) {
            es_fail(e, "functional mode: cascade %s declares no output to compare", k->cm->cascade);
            sim_functional_free(f);
            return NULL;
        }
        if ((k->cm->weight_sparsity[0] ? sparse_setup(k, e) : k->cm->weight_format[0] ? quant_setup(k, e) : 0)) {
            sim_functional_free(f);
            return NULL;
        }
        double per = 0;
        for (int t = 0; t < k->c->ntensors; t++)
            per += 4.0 * (double)cas_tensor_elems(k->c, t);
        if (k->quant == FN_INT8 || k->quant == FN_GGML) /* codes, scales, sums, counts, golden's output */
            per += (double)(k->T + k->N) * (double)k->K + 4.0 * (double)(k->T + k->N) + 16.0 * (double)k->T * (double)k->N;
        bytes += per * (double)k->R;
        k->env = es_xcalloc((size_t)k->R, sizeof *k->env);
    }
    if (gi != p->ngroups || bytes > 2e9) {
        if (gi != p->ngroups)
            es_fail(e, "functional mode: %d simulated groups for %d mapping groups", p->ngroups, gi);
        else
            es_fail(e, "functional mode: the interpreter would hold %.3g bytes of tensors (at most 2e9): use a few "
                       "heads (--heads), a small batch and short sequences", bytes);
        sim_functional_free(f);
        return NULL;
    }
    const char *pt = getenv("EINSIM_TEST_PERTURB_TILE");
    f->perturb = pt ? strtoll(pt, NULL, 10) : 0;
    return f;
}

/* Weight-only formats: W becomes what golden's model runs use, each output
 * row quantized along k and dequantized (gd_quant_dequant_weight); the
 * tiles then compute in fp32 on it and cas_golden's linear reads the same W. */
static int dequant_weights(sim_functional *f, const fn_cascade *k, cas_env *v, es_err *e)
{
    int64_t K = k->K, N = k->N;
    float *w = v->data[k->tw], *wt = es_xmalloc((size_t)(N * K) * sizeof *wt);
    for (int64_t kk = 0; kk < K; kk++)
        for (int64_t n = 0; n < N; n++)
            wt[n * K + kk] = w[kk * N + n];
    char name[96];
    snprintf(name, sizeof name, "%s.W", k->cm->label);
    es_err qe;
    int rc = gd_quant_dequant_weight(&k->qf, (int)N, (int)K, wt, NULL, name, &qe);
    if (rc)
        es_fail(e, "functional mode: %s", qe.msg);
    else
        for (int64_t kk = 0; kk < K; kk++)
            for (int64_t n = 0; n < N; n++) {
                double d = (double)wt[n * K + kk] - w[kk * N + n];
                f->w_err2 += d * d, f->w_norm2 += (double)w[kk * N + n] * w[kk * N + n];
                w[kk * N + n] = wt[n * K + kk];
            }
    free(wt);
    return rc;
}

/* The environment of instance r, created (inputs filled, reset) on first use. */
static cas_env *instance(sim_functional *f, int ci, int64_t r, es_err *e)
{
    fn_cascade *k = &f->cas[ci];
    cas_env *v = &k->env[r];
    if (v->c)
        return v;
    uint64_t s = f->seed ^ (uint64_t)(ci + 1) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)r * 0xbf58476d1ce4e5b9ULL;
    if (cas_env_init(v, k->c, e) || cas_fill_inputs(v, s, e)) {
        cas_env_free(v);
        v->c = NULL;
        return NULL;
    }
    cas_env_reset(v);
    /* W[k,n] is the [n x k] weight with row stride 1 and column stride N */
    es_err pe;
    if (k->sparse24 && gd_prune_24((int)k->N, (int)k->K, v->data[k->tw], 1, (size_t)k->N, &pe)) {
        es_fail(e, "functional mode: %s.W: %s", k->cm->label, pe.msg);
        cas_env_free(v);
        v->c = NULL;
        return NULL;
    }
    if (k->quant == FN_WEIGHT_ONLY && dequant_weights(f, k, v, e)) {
        cas_env_free(v);
        v->c = NULL;
        return NULL;
    }
    if (k->quant == FN_INT8 || k->quant == FN_GGML) {
        /* quantize as golden does, whole rows; golden's linear of the same inputs */
        fn_i8 *q = &k->i8[r];
        int64_t T = k->T, K = k->K, N = k->N;
        float *xt = es_xmalloc((size_t)(T * K) * sizeof *xt), *wt = es_xmalloc((size_t)(N * K) * sizeof *wt);
        for (int64_t kk = 0; kk < K; kk++) {
            for (int64_t t = 0; t < T; t++)
                xt[t * K + kk] = v->data[k->tx][kk * T + t];
            for (int64_t n = 0; n < N; n++)
                wt[n * K + kk] = v->data[k->tw][kk * N + n];
        }
        q->kdone = es_xcalloc((size_t)(T * N), sizeof *q->kdone);
        q->ref = es_xmalloc((size_t)(T * N) * sizeof *q->ref);
        if (k->quant == FN_GGML) {
            char name[96];
            snprintf(name, sizeof name, "%s.W", k->cm->label);
            es_err qe;
            int64_t nb = K / 32;
            /* golden's blocks of W (wt becomes its dequantized value, unused) */
            int rc = gd_quant_dequant_weight(&k->qf, (int)N, (int)K, wt, &q->wb, name, &qe);
            if (rc)
                es_fail(e, "functional mode: %s", qe.msg);
            else if ((rc = gd_ggml_linear(&k->qf, (int)T, (int)K, (int)N, xt, q->wb, NULL, q->ref)))
                es_fail(e, "functional mode: --quant %s: golden has no ggml linear for it", k->qf.name);
            if (rc) {
                free(xt), free(wt);
                cas_env_free(v);
                v->c = NULL;
                return NULL;
            }
            q->xb = es_xmalloc((size_t)(T * nb) * sizeof *q->xb);
            for (int64_t t = 0; t < T; t++)
                gd_q8_0_quantize((int)K, xt + t * K, q->xb + t * nb);
            q->facc = es_xcalloc((size_t)(T * N), sizeof *q->facc);
            free(xt), free(wt);
            return v;
        }
        q->xq = es_xmalloc((size_t)(T * K)), q->wq = es_xmalloc((size_t)(N * K));
        q->cx = es_xmalloc((size_t)T * sizeof *q->cx), q->cw = es_xmalloc((size_t)N * sizeof *q->cw);
        gd_i8_absmax_rows((int)T, (int)K, xt, (int)K, q->xq, q->cx);
        gd_i8_absmax_rows((int)N, (int)K, wt, (int)K, q->wq, q->cw);
        q->acc = es_xcalloc((size_t)(T * N), sizeof *q->acc);
        gd_int8_linear((int)T, (int)K, (int)N, xt, wt, NULL, q->ref);
        free(xt), free(wt);
    }
    return v;
}

/* The GEMM of an int8 linear over box b (tile x of instance r): the int32
 * partial product of the tile's slices by golden's kernel, added to the
 * sums; each output whose k range is now complete is dequantized into Y
 * and compared bit for bit with golden's int8 linear. */
static void i8_tile(sim_functional *f, fn_cascade *k, cas_env *v, int64_t r, int64_t x, const char *ename,
                    const cas_box *b)
{
    fn_i8 *q = &k->i8[r];
    int64_t t0 = b->lo[k->rt], M = b->hi[k->rt] - t0, n0 = b->lo[k->rn], NB = b->hi[k->rn] - n0;
    int64_t k0 = b->lo[k->rk], KB = b->hi[k->rk] - k0;
    if (M <= 0 || NB <= 0 || KB <= 0)
        return;
    int8_t *a = es_xmalloc((size_t)(M * KB)), *bt = es_xmalloc((size_t)(NB * KB));
    int32_t *c = es_xmalloc((size_t)(M * NB) * sizeof *c);
    for (int64_t i = 0; i < M; i++)
        memcpy(a + i * KB, q->xq + (t0 + i) * k->K + k0, (size_t)KB);
    for (int64_t j = 0; j < NB; j++)
        memcpy(bt + j * KB, q->wq + (n0 + j) * k->K + k0, (size_t)KB);
    gd_gemm_i8((int)M, (int)NB, (int)KB, a, bt, c);
    if (++f->q_tiles == f->perturb)
        c[0] += 1;
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < NB; j++) {
            int64_t t = t0 + i, n = n0 + j, at = t * k->N + n;
            q->acc[at] += c[i * NB + j];
            q->kdone[at] += KB;
            if (q->kdone[at] < k->K)
                continue;
            float y = gd_i8_dequant(q->acc[at], q->cx[t], q->cw[n]);
            v->data[k->ty][n * k->T + t] = y;
            f->q_elems++;
            if (f->mismatch[0])
                continue;
            if (q->kdone[at] > k->K)
                snprintf(f->mismatch, sizeof f->mismatch,
                         "functional mode: %s.%s tile %lld (instance %lld): Y[n=%lld,t=%lld] summed %lld of %lld k",
                         k->cm->label, ename, (long long)x, (long long)r, (long long)n, (long long)t,
                         (long long)q->kdone[at], (long long)k->K);
            else if (memcmp(&y, &q->ref[at], sizeof y))
                snprintf(f->mismatch, sizeof f->mismatch,
                         "functional mode: %s.%s tile %lld (instance %lld): int8 Y[n=%lld,t=%lld] = %.9g, golden's "
                         "int8 linear %.9g (not bit-exact)",
                         k->cm->label, ename, (long long)x, (long long)r, (long long)n, (long long)t, (double)y,
                         (double)q->ref[at]);
        }
    free(a), free(bt), free(c);
}

/* The GEMM of a 2:4-sparse linear over box b (tile x of instance r): the
 * tile's slice of W (outputs x k, whole groups of 4) compressed and
 * multiplied by the slice of X with golden's SpMM, added to Y (a later k
 * tile adds to what the earlier ones left). */
static int sp24_tile(sim_functional *f, fn_cascade *k, cas_env *v, int64_t x, const char *ename, const cas_box *b,
                     es_err *e)
{
    int64_t t0 = b->lo[k->rt], M = b->hi[k->rt] - t0, n0 = b->lo[k->rn], NB = b->hi[k->rn] - n0;
    int64_t k0 = b->lo[k->rk], KB = b->hi[k->rk] - k0, T = k->T, N = k->N;
    if (M <= 0 || NB <= 0 || KB <= 0)
        return 0;
    if (k0 % 4 || KB % 4)
        return es_fail(e, "functional mode: %s.%s tile %lld: k range [%lld, %lld) splits a 2:4 group of 4; tile k "
                          "in multiples of 4",
                       k->cm->label, ename, (long long)x, (long long)k0, (long long)(k0 + KB));
    const float *w = v->data[k->tw], *xs = v->data[k->tx];
    float *a = es_xmalloc((size_t)(NB * KB) * sizeof *a), *bm = es_xmalloc((size_t)(KB * M) * sizeof *bm);
    float *c = es_xmalloc((size_t)(NB * M) * sizeof *c), *y = v->data[k->ty];
    for (int64_t j = 0; j < NB; j++)
        for (int64_t kk = 0; kk < KB; kk++)
            a[j * KB + kk] = w[(k0 + kk) * N + n0 + j];
    for (int64_t kk = 0; kk < KB; kk++)
        memcpy(bm + kk * M, xs + (k0 + kk) * T + t0, (size_t)M * sizeof *bm);
    char name[96];
    snprintf(name, sizeof name, "%s.W", k->cm->label);
    gd_sp24 sp;
    es_err ce;
    int rc = gd_sp24_compress((int)NB, (int)KB, a, name, &sp, &ce);
    if (rc)
        es_fail(e, "functional mode: %s.%s tile %lld: %s", k->cm->label, ename, (long long)x, ce.msg);
    else {
        gd_spmm_24(&sp, (int)M, bm, c);
        gd_sp24_free(&sp);
        if (++f->q_tiles == f->perturb)
            c[0] += 1.0f;
        for (int64_t j = 0; j < NB; j++) /* Y[n,t] rows are outputs, like C */
            for (int64_t i = 0; i < M; i++)
                y[(n0 + j) * T + t0 + i] += c[j * M + i];
    }
    free(a), free(bm), free(c);
    return rc;
}

/* The GEMM of a q8_0 / q4_0 linear over box b (tile x of instance r):
 * every block of the tile's k range (whole blocks of 32) is golden's block
 * dot of the weight row's block with the token's Q8_0 block, added to the
 * output's fp32 sum in k order, as golden's dot sums them; an output whose
 * k range is complete is compared bit for bit with golden's ggml linear.
 * A tile that starts where the output's sum does not stand (k out of
 * order) is a mismatch: fp32 sums in another order round differently. */
static int ggml_tile(sim_functional *f, fn_cascade *k, cas_env *v, int64_t r, int64_t x, const char *ename,
                     const cas_box *b, es_err *e)
{
    fn_i8 *q = &k->i8[r];
    int64_t t0 = b->lo[k->rt], M = b->hi[k->rt] - t0, n0 = b->lo[k->rn], NB = b->hi[k->rn] - n0;
    int64_t k0 = b->lo[k->rk], KB = b->hi[k->rk] - k0, nb = k->K / 32;
    if (M <= 0 || NB <= 0 || KB <= 0)
        return 0;
    if (k0 % 32 || KB % 32)
        return es_fail(e, "functional mode: %s.%s tile %lld: k range [%lld, %lld) splits a %s block of 32; tile k in "
                          "multiples of 32",
                       k->cm->label, ename, (long long)x, (long long)k0, (long long)(k0 + KB), k->qf.name);
    int perturb = ++f->q_tiles == f->perturb;
    const gd_block_q8_0 *w8 = q->wb;
    const gd_block_q4_0 *w4 = q->wb;
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < NB; j++) {
            int64_t t = t0 + i, n = n0 + j, at = t * k->N + n;
            if (q->kdone[at] != k0 && !f->mismatch[0])
                snprintf(f->mismatch, sizeof f->mismatch,
                         "functional mode: %s.%s tile %lld (instance %lld): Y[n=%lld,t=%lld] adds k from %lld after "
                         "summing %lld (%s block sums run in k order)",
                         k->cm->label, ename, (long long)x, (long long)r, (long long)n, (long long)t, (long long)k0,
                         (long long)q->kdone[at], k->qf.name);
            for (int64_t bk = k0 / 32; bk < (k0 + KB) / 32; bk++)
                q->facc[at] += k->qf.family == GD_QF_Q8_0 ? gd_q8_0_dot(32, w8 + n * nb + bk, q->xb + t * nb + bk)
                                                          : gd_q4_0_dot(32, w4 + n * nb + bk, q->xb + t * nb + bk);
            if (perturb && i == 0 && j == 0)
                q->facc[at] += 1.0f;
            q->kdone[at] += KB;
            if (q->kdone[at] < k->K)
                continue;
            float y = q->facc[at];
            v->data[k->ty][n * k->T + t] = y;
            f->q_elems++;
            if (!f->mismatch[0] && (q->kdone[at] > k->K || memcmp(&y, &q->ref[at], sizeof y)))
                snprintf(f->mismatch, sizeof f->mismatch,
                         "functional mode: %s.%s tile %lld (instance %lld): %s Y[n=%lld,t=%lld] = %.9g, golden's %s "
                         "linear %.9g (not bit-exact)",
                         k->cm->label, ename, (long long)x, (long long)r, k->qf.name, (long long)n, (long long)t,
                         (double)y, k->qf.name, (double)q->ref[at]);
        }
    return 0;
}

int sim_functional_op(void *ctx, int g, const sp_op *op, int64_t x, es_err *e)
{
    sim_functional *f = ctx;
    if (op->einsum < 0 || g < 0 || g >= f->ngroups)
        return 0; /* a transfer */
    const sp_group *sg = f->p->g[g];
    int ci = f->group_cas[g];
    fn_cascade *k = &f->cas[ci];
    const cas_cascade *c = k->c;
    int ei = cas_einsum_find(c, op->name);
    if (ei < 0)
        return es_fail(e, "functional mode: cascade %s has no Einsum %s", k->cm->cascade, op->name);
    /* tile index and tile count per rank of the group's tile loops */
    int64_t t[CAS_MAX_RANKS] = {0}, n[CAS_MAX_RANKS], r = 0, div = 1;
    for (int i = 0; i < CAS_MAX_RANKS; i++)
        n[i] = 1;
    int64_t rw = 1;
    for (int l = sg->nloops - 1; l >= 0; l--) {
        int64_t d = (x / div) % sg->factor[l];
        div *= sg->factor[l];
        if (!strcmp(sg->loop_rank[l], "rep")) {
            r += d * rw, rw *= sg->factor[l];
            continue;
        }
        int ri = cas_rank_find(c, sg->loop_rank[l]);
        if (ri < 0)
            continue; /* not a rank of the cascade: the Einsum spans it whole */
        t[ri] += d * n[ri];
        n[ri] *= sg->factor[l];
    }
    if (r >= k->R)
        return es_fail(e, "functional mode: %s tile %lld is instance %lld of %lld", sg->name, (long long)x,
                       (long long)r, (long long)k->R);
    cas_env *v = instance(f, ci, r, e);
    if (!v)
        return -1;
    cas_box b;
    cas_box_all(c, &b);
    for (int ri = 0; ri < c->nranks; ri++) {
        if (n[ri] == 1)
            continue;
        int64_t ext = (c->rank[ri].size + n[ri] - 1) / n[ri];
        b.lo[ri] = t[ri] * ext;
        b.hi[ri] = b.lo[ri] + ext < c->rank[ri].size ? b.lo[ri] + ext : c->rank[ri].size;
    }
    /* a later tile of a reduced rank adds to what the earlier ones left */
    const cas_einsum *E = &c->einsum[ei];
    if (k->quant == FN_INT8 && ei == k->gemm) {
        i8_tile(f, k, v, r, x, op->name, &b);
        return 0;
    }
    if (k->quant == FN_GGML && ei == k->gemm)
        return ggml_tile(f, k, v, r, x, op->name, &b, e);
    if (k->sparse24 && ei == k->gemm)
        return sp24_tile(f, k, v, x, op->name, &b, e);
    if (k->quant == FN_WEIGHT_ONLY && ei == k->gemm)
        f->q_tiles++;
    int acc = 0;
    for (int i = E->nout_space; i < E->nspace; i++)
        acc |= b.lo[E->space[i]] > 0;
    return cas_run_einsum_box(v, ei, &b, acc, e);
}

int sim_functional_finish(sim_functional *f, sim_fn_result *res, es_err *e)
{
    memset(res, 0, sizeof *res);
    double worst_rel = 0, worst_abs = 0;
    int64_t wonly_elems = 0;
    for (int ci = 0; ci < f->ncas; ci++) {
        fn_cascade *k = &f->cas[ci];
        if (k->quant != FN_DENSE)
            snprintf(res->quant, sizeof res->quant, "%s", k->cm->weight_format);
        if (k->sparse24)
            snprintf(res->sparsity, sizeof res->sparsity, "%s", k->cm->weight_sparsity);
        if (k->quant == FN_WEIGHT_ONLY)
            snprintf(res->kernel, sizeof res->kernel, "fp32-dequantized");
        if (k->quant == FN_WEIGHT_ONLY || k->sparse24)
            wonly_elems += k->T * k->N * k->R; /* compared below, in fp32 against golden on the same W */
        if (k->quant == FN_INT8 || k->quant == FN_GGML) {
            /* compared tile by tile (i8_tile, ggml_tile); every output must be complete */
            res->exact = 1;
            snprintf(res->kernel, sizeof res->kernel, "%s", k->quant == FN_INT8 ? "int8" : "ggml-blocks");
            for (int64_t r = 0; r < k->R; r++) {
                const fn_i8 *q = &k->i8[r];
                if (!k->env[r].c)
                    return es_fail(e, "functional mode: instance %lld of %s (%s) never ran", (long long)r,
                                   k->cm->cascade, k->cm->label);
                for (int64_t i = 0; i < k->T * k->N && !f->mismatch[0]; i++)
                    if (q->kdone[i] != k->K)
                        snprintf(f->mismatch, sizeof f->mismatch,
                                 "functional mode: %s: Y[n=%lld,t=%lld] (instance %lld) summed %lld of %lld k",
                                 k->cm->label, (long long)(i % k->N), (long long)(i / k->N), (long long)r,
                                 (long long)q->kdone[i], (long long)k->K);
            }
            continue;
        }
        int64_t n = cas_tensor_elems(k->c, k->out);
        float *ref = es_xcalloc((size_t)n, sizeof *ref);
        for (int64_t r = 0; r < k->R; r++) {
            const cas_env *v = &k->env[r];
            if (!v->c) {
                free(ref);
                return es_fail(e, "functional mode: instance %lld of %s (%s) never ran", (long long)r,
                               k->cm->cascade, k->cm->label);
            }
            if (cas_golden(v, k->c->tensor[k->out].name, ref, e)) {
                free(ref);
                return -1;
            }
            double ma = 0, mref = 0;
            const float *got = v->data[k->out];
            for (int64_t i = 0; i < n; i++) {
                double d = fabs((double)ref[i] - got[i]);
                if (isfinite(ref[i]) && fabs(ref[i]) > mref)
                    mref = fabs(ref[i]);
                if (!(d <= ma)) /* NaN counts as a mismatch; equal infinities match */
                    ma = (isinf(ref[i]) && ref[i] == got[i]) ? ma : isnan(d) ? INFINITY : d;
            }
            double rel = mref > 0 ? ma / mref : ma;
            if (rel > worst_rel || (rel == worst_rel && ma > worst_abs)) {
                worst_rel = rel, worst_abs = ma;
                snprintf(res->worst, sizeof res->worst, "%s (%s) instance %lld", k->cm->label, k->cm->cascade,
                         (long long)r);
            }
        }
        free(ref);
    }
    res->max_abs = worst_abs;
    res->max_rel = worst_rel;
    res->tiles_checked = f->q_tiles;
    res->elems_checked = f->q_elems + wonly_elems;
    res->weight_rel_err = f->w_norm2 > 0 ? sqrt(f->w_err2 / f->w_norm2) : 0;
    res->bit_exact = !f->mismatch[0];
    snprintf(res->mismatch, sizeof res->mismatch, "%s", f->mismatch);
    return 0;
}
