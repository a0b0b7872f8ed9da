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
 * reference (cas_golden). */
#include "sim/functional/functional.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mapper/cascade.h"
#include "mapper/resolve.h"

typedef struct fn_cascade {
    const mp_cascade_map *cm;
    cas_cascade *c;
    int64_t R;     /* instances (the map's repeat) */
    cas_env *env;  /* [R]; env[r].c == NULL until instance r first runs */
    int out;       /* tensor index of the compared output */
} fn_cascade;

struct sim_functional {
    int ncas;
    fn_cascade *cas;
    int ngroups;
    int *group_cas; /* sp group -> cascade index */
    const sp_prog *p;
    uint64_t seed;
};

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
        double per = 0;
        for (int t = 0; t < k->c->ntensors; t++)
            per += 4.0 * (double)cas_tensor_elems(k->c, t);
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
    return f;
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
    return v;
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
    int acc = 0;
    for (int i = E->nout_space; i < E->nspace; i++)
        acc |= b.lo[E->space[i]] > 0;
    return cas_run_einsum_box(v, ei, &b, acc, e);
}

int sim_functional_finish(sim_functional *f, double *max_abs, double *max_rel, es_err *e)
{
    double worst_rel = 0, worst_abs = 0;
    for (int ci = 0; ci < f->ncas; ci++) {
        fn_cascade *k = &f->cas[ci];
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
            if (rel > worst_rel || (rel == worst_rel && ma > worst_abs))
                worst_rel = rel, worst_abs = ma;
        }
        free(ref);
    }
    *max_abs = worst_abs;
    *max_rel = worst_rel;
    return 0;
}
