/* mapper/cascade_passes.c: pass analysis over one rank (FuseMax, Nayak et al.,
 * MICRO 2024, §III).
 *
 * The family of rank r is r and every rank split from it (m, m1, m0).  An
 * einsum "iterates r" when its iteration space holds a rank of the family;
 * it "closes r" when it iterates r but its output has no rank of the family
 * (GM[p] = max(m) QK[m,p]: every element of the fibre must be read before
 * any result exists).  Reading the final slice of an iterative tensor
 * (RNV[f,M1,p]) also needs the whole iteration finished.
 *
 * level(E) = max over E's inputs of level(producer) + 1 if that producer
 * closes r (or the read is of a final slice), else level(producer); inputs of
 * the cascade have level 1.  An einsum that iterates r at level k belongs to
 * pass k; the cascade needs max k passes.  Reads carried by an iterative
 * rank (RM[m1,p] inside the RM loop) never add a pass: that is exactly how
 * the 1-pass cascade avoids them.
 *
 * Footprint: a tensor with a family rank that is produced (or first read)
 * in pass a and read again in pass b > a is live across the boundaries
 * a..b-1: its whole fibre along r must stay on chip or be spilled and
 * re-read.  This is the mapping-independent bound of FuseMax §III. */
#include <string.h>

#include "mapper/cascade_int.h"

int cas_einsum_iterates(const cas_cascade *c, const cas_einsum *E, int r)
{
    for (int i = 0; i < E->nspace; i++)
        if (cas_rank_descends(c, E->space[i], r))
            return 1;
    return 0;
}

static int closes(const cas_cascade *c, const cas_einsum *E, int r)
{
    if (!cas_einsum_iterates(c, E, r))
        return 0;
    for (int i = 0; i < E->nout_space; i++)
        if (cas_rank_descends(c, E->space[i], r))
            return 0;
    return 1;
}

/* Reading an iterative tensor at a slice that is not a plain variable
 * expression (M1): the iteration must be complete. */
static int final_read(const cas_cascade *c, const cas_expr *x, int r)
{
    const cas_tensor *t = &c->tensor[x->tensor];
    if (t->iter_pos < 0 || !cas_rank_descends(c, t->rank[t->iter_pos], r))
        return 0;
    const cas_index *ix = &x->idx[t->iter_pos];
    for (int i = 0; i < ix->nterm; i++)
        if (ix->term[i].var >= 0)
            return 0;
    return 1;
}

static int level_of(const cas_cascade *c, const cas_expr *x, int r, const int *level)
{
    int lv = 1;
    if (x->kind == CAS_E_REF && !cas_read_carried(c, x)) {
        int p = c->tensor[x->tensor].producer;
        if (p >= 0) {
            lv = level[p] + (closes(c, &c->einsum[p], r) || final_read(c, x, r) ? 1 : 0);
        }
    }
    for (int i = 0; i < x->nargs; i++) {
        int a = level_of(c, x->arg[i], r, level);
        if (a > lv)
            lv = a;
    }
    return lv;
}

static int tensor_has_family(const cas_cascade *c, int t, int r)
{
    for (int i = 0; i < c->tensor[t].nranks; i++)
        if (cas_rank_descends(c, c->tensor[t].rank[i], r))
            return 1;
    return 0;
}

static int64_t tensor_fibre(const cas_cascade *c, int t, int r)
{
    int64_t n = 1;
    for (int i = 0; i < c->tensor[t].nranks; i++)
        if (cas_rank_descends(c, c->tensor[t].rank[i], r))
            n = __builtin_mul_overflow(n, cas_extent(c, t, i), &n) ? INT64_MAX : n;
    return n;
}

static void reads(const cas_expr *x, int *first, int *last, int pass)
{
    if (x->kind == CAS_E_REF && pass > 0) {
        if (!first[x->tensor] || pass < first[x->tensor])
            first[x->tensor] = pass;
        if (pass > last[x->tensor])
            last[x->tensor] = pass;
    }
    for (int i = 0; i < x->nargs; i++)
        reads(x->arg[i], first, last, pass);
}

int cas_passes_analyze(const cas_cascade *c, const char *rank, cas_passes *ps, es_err *e)
{
    memset(ps, 0, sizeof *ps);
    int r = cas_rank_find(c, rank);
    if (r < 0)
        return es_fail(e, "%s: cascade %s has no rank '%s'", c->file, c->name, rank);
    ps->rank = r;
    int level[CAS_MAX_EINSUMS] = {0};
    for (int k = 0; k < c->neinsums; k++) {
        int ei = c->order[k];
        const cas_einsum *E = &c->einsum[ei];
        level[ei] = level_of(c, E->rhs, r, level);
        if (cas_einsum_iterates(c, E, r)) {
            ps->pass_of[ei] = level[ei];
            if (level[ei] > ps->npasses)
                ps->npasses = level[ei];
        }
    }
    if (ps->npasses > CAS_MAX_PASSES)
        return es_fail(e, "%s: %d passes over '%s'; the analysis reports at most %d", c->file, ps->npasses, rank,
                       CAS_MAX_PASSES);
    /* live tensors across pass boundaries */
    int first[CAS_MAX_TENSORS] = {0}, last[CAS_MAX_TENSORS] = {0};
    for (int ei = 0; ei < c->neinsums; ei++)
        reads(c->einsum[ei].rhs, first, last, ps->pass_of[ei]);
    for (int t = 0; t < c->ntensors; t++) {
        if (!last[t] || !tensor_has_family(c, t, r))
            continue;
        int from = first[t];
        int p = c->tensor[t].producer;
        if (p >= 0 && ps->pass_of[p] && ps->pass_of[p] < from)
            from = ps->pass_of[p];
        for (int k = from; k < last[t] && k - 1 < CAS_MAX_PASSES; k++) {
            int b = k - 1; /* boundary after pass k */
            if (ps->nlive[b] >= 16)
                continue;
            cas_live *l = &ps->live[b][ps->nlive[b]++];
            l->tensor = t;
            l->fibre = tensor_fibre(c, t, r);
            l->elems = cas_tensor_elems(c, t);
            /* saturating sums: sizes may be absurd, never undefined */
            if (__builtin_add_overflow(ps->fibre_footprint[b], l->fibre, &ps->fibre_footprint[b]))
                ps->fibre_footprint[b] = INT64_MAX;
            if (__builtin_add_overflow(ps->elem_footprint[b], l->elems, &ps->elem_footprint[b]))
                ps->elem_footprint[b] = INT64_MAX;
        }
    }
    return 0;
}
