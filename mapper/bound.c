/* mapper/bound.c: a group of a resolved mapping bound to indices (see
 * bound.h).  Every by-name question the lowering used to ask is answered
 * here, once per group. */
#include "mapper/bound.h"

#include <stdio.h>
#include <string.h>

#include "mapper/cost.h"
#include "mapper/resolve.h"

static void base_of(const char *r, char *b) { mp_rank_base(r, b, MP_ENAME); }


static int64_t rank_size(const mp_cascade_map *c, const char *base)
{
    int64_t s = mp_cmap_rank(c, base);
    if (s > 0)
        return s;
    int64_t p = 1, found = 0;
    char b[MP_ENAME];
    for (int i = 0; i < c->n_ranks; i++) {
        base_of(c->ranks[i].rank, b);
        if (!strcmp(b, base))
            p *= c->ranks[i].size, found = 1;
    }
    return found ? p : 1;
}

/* Tile extent of a rank: its size over the factors of the tile loops. */
static int64_t extent(const mp_bound_group *b, const char *rank)
{
    if (!strcmp(rank, "rep"))
        return 1;
    int64_t s = mp_cmap_rank(b->c, rank), f = 1;
    if (s <= 0)
        s = rank_size(b->c, rank);
    for (int i = 0; i < b->nl; i++)
        if (mp_rank_match(b->l[i].rank, rank) &&
            (strcmp(b->l[i].rank, rank) == 0 || strchr("0123456789", rank[strlen(rank) - 1]) == NULL))
            f *= b->l[i].f;
    return (s + f - 1) / f;
}

static int in_list(const char *const *list, const char *rank)
{
    for (int i = 0; list[i]; i++)
        if (mp_rank_match(list[i], rank))
            return 1;
    return 0;
}

static int is_rel(const mp_tensor_desc *t, const char *rank)
{
    if (!strcmp(rank, "rep"))
        return t->role != MP_T_WEIGHT;
    return in_list(t->ranks, rank);
}

static int name_in(const char (*list)[MP_ENAME], int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(list[i], s))
            return 1;
    return 0;
}

/* ---- loops ---------------------------------------------------------------- */
static int bind_loops(mp_bound_group *b, es_err *e)
{
    const mp_group *g = b->g;
    int pe = -1;
    for (int i = 0; i < g->n_levels; i++)
        if (!strcmp(g->levels[i].store, "pe"))
            pe = i;
    if (pe < 0)
        pe = g->n_levels - 1;
    int64_t rep = 1;
    for (int li = 0; li < g->n_levels; li++) {
        const mp_level *lv = &g->levels[li];
        for (int k = 0; k < lv->n; k++) {
            const mp_loop *lp = &lv->loops[k];
            if (lp->factor <= 0)
                return es_fail(e, "invalid mapping: group %s: loop %s has an unresolved factor (auto)", g->name,
                               lp->rank);
            if (li == pe) {
                if (lp->kind == MP_LOOP_SPATIAL_ROWS && !b->rows)
                    b->rows = lp;
                if (lp->kind == MP_LOOP_SPATIAL_COLS && !b->cols)
                    b->cols = lp;
                continue;
            }
            char base[MP_ENAME];
            base_of(lp->rank, base);
            if (!strcmp(base, "rep"))
                rep *= lp->factor;
            if (lp->factor == 1)
                continue;
            if (b->nl == MP_BOUND_LOOPS - 1)
                return es_fail(e, "invalid mapping: group %s: more than %d tile loops", g->name, MP_BOUND_LOOPS - 1);
            mp_bound_loop *t = &b->l[b->nl++];
            snprintf(t->rank, sizeof t->rank, "%s", lp->rank);
            snprintf(t->base, sizeof t->base, "%s", base);
            t->f = lp->factor;
            t->dram = li == 0;
            t->rep = !strcmp(base, "rep");
        }
    }
    if (b->c->repeat > rep) {
        if (b->c->repeat % rep)
            return es_fail(e, "invalid mapping: group %s: rep loops cover %lld of %lld instances", g->name,
                           (long long)rep, (long long)b->c->repeat);
        memmove(&b->l[1], &b->l[0], (size_t)b->nl * sizeof b->l[0]);
        snprintf(b->l[0].rank, MP_ENAME, "rep");
        snprintf(b->l[0].base, MP_ENAME, "rep");
        b->l[0].f = b->c->repeat / rep, b->l[0].dram = 1, b->l[0].rep = 1;
        b->nl++;
    }
    return 0;
}

/* ---- ranks ---------------------------------------------------------------- */
static int rank_index(mp_bound_group *b, const char *name)
{
    for (int i = 0; i < b->n_ranks; i++)
        if (!strcmp(b->ranks[i].name, name))
            return i;
    mp_bound_rank *r = &b->ranks[b->n_ranks];
    snprintf(r->name, sizeof r->name, "%s", name);
    r->ext = extent(b, name);
    int64_t sz = mp_cmap_rank(b->c, name);
    r->size = sz > 0 ? sz : rank_size(b->c, name);
    r->tile_f = 1;
    for (int l = 0; l < b->nl; l++)
        if (mp_rank_match(b->l[l].rank, name) && !b->l[l].rep)
            r->tile_f *= b->l[l].f;
    return b->n_ranks++;
}

/* Loops (bit mask) over a rank of `list`. */
static uint32_t loops_over(const mp_bound_group *b, const char *const *list)
{
    uint32_t m = 0;
    for (int l = 0; l < b->nl; l++)
        if (in_list(list, b->l[l].rank))
            m |= 1u << l;
    return m;
}

/* ---- tensors -------------------------------------------------------------- */
static void bind_tensor(mp_bound_group *b, int ti)
{
    const mp_tensor_desc *t = &b->cd->tensors[ti];
    const mp_group *g = b->g;
    mp_bound_tensor *bt = &b->t[ti];
    for (int l = 0; l < b->nl; l++)
        if (is_rel(t, b->l[l].rank))
            bt->rel |= 1u << l;
    /* elements: distinct ranks per tile / whole; padded counts every rank
     * (a rank twice counts twice, as the tile slices do) */
    bt->tile_elems = 1;
    bt->full_elems = t->role != MP_T_WEIGHT ? (double)b->c->repeat : 1;
    bt->padded_elems = t->role == MP_T_WEIGHT ? 1 : (double)b->c->repeat;
    for (int i = 0; t->ranks[i]; i++) {
        const mp_bound_rank *r = &b->ranks[rank_index(b, t->ranks[i])];
        bt->padded_elems *= (double)r->ext * (double)r->tile_f;
        int dup = 0;
        for (int j = 0; j < i; j++)
            dup |= !strcmp(t->ranks[j], t->ranks[i]);
        if (dup)
            continue;
        bt->tile_elems *= (double)r->ext;
        bt->full_elems *= (double)r->size;
    }
    bt->real_elems = mp_tensor_real_elems(b->c, t);
    bt->rows_in = b->rows && in_list(t->ranks, b->rows->rank);
    bt->cols_in = b->cols && in_list(t->ranks, b->cols->rank);
    for (int i = 0; i < b->ne; i++)
        bt->produced_here |= b->ix->out[b->e[i].cat] == ti;
    bt->produced_elsewhere = b->ix->producer[ti] >= 0 && !bt->produced_here;
    bt->kept = name_in((const char(*)[MP_ENAME])g->keep_onchip, g->n_keep, t->name);
    for (int gi = 0; gi < b->c->n_groups; gi++) {
        const mp_group *og = &b->c->groups[gi];
        if (og == g)
            continue;
        for (int k = 0; k < og->n_einsums; k++) {
            const mp_einsum_desc *od = mp_catalog_einsum(b->cd, og->einsums[k]);
            for (int q = 0; od && od->in[q]; q++)
                if (!strcmp(od->in[q], t->name))
                    bt->read_elsewhere = 1;
        }
        if (bt->produced_elsewhere && name_in((const char(*)[MP_ENAME])og->keep_onchip, og->n_keep, t->name))
            bt->kept = 1;
    }
    bt->spill = name_in((const char(*)[MP_ENAME])g->spill, g->n_spill, t->name);
    bt->bypass_rd = mp_group_bypasses(b->cd, g, t->name, 1);
    bt->bypass_wr = mp_group_bypasses(b->cd, g, t->name, 0);
}

/* ---- einsums -------------------------------------------------------------- */
static int bind_einsum(mp_bound_group *b, const char *name, int phase, es_err *e)
{
    const mp_group *g = b->g;
    const mp_arch *a = b->a;
    const mp_einsum_desc *d = mp_catalog_einsum(b->cd, name);
    if (!d)
        return es_fail(e, "invalid mapping: cascade %s has no Einsum %s (group %s)", b->c->cascade, name, g->name);
    const char *uname = mp_cmap_unit_of(b->c, name);
    if (!uname)
        return es_fail(e, "invalid mapping: Einsum %s (group %s) is not bound to a unit", name, g->name);
    int ui = mp_arch_unit_index(a, uname);
    if (ui < 0)
        return es_fail(e, "invalid mapping: Einsum %s is bound to unit '%s', which arch %s does not have", name,
                       uname, a->name);
    const mp_op_cost *oc = mp_unit_op(&a->units[ui], d->op);
    if (!oc)
        return es_fail(e, "invalid mapping: Einsum %s (tile 0) is bound to %s, which lacks op %s", name, uname,
                       mp_op_name(d->op));
    mp_bound_einsum *x = &b->e[b->ne++];
    memset(x, 0, sizeof *x);
    x->cat = (int)(d - b->cd->einsums);
    x->d = d;
    x->unit = ui;
    x->u = &a->units[ui];
    x->oc = oc;
    x->regfile = mp_arch_regfile(a, uname);
    x->phase = phase;
    if (g->schedule == MP_SCHED_INTERLEAVED)
        for (int k = 0; k < g->n_einsums; k++)
            if (!strcmp(g->einsums[k], name))
                x->lag = g->lag[k];
    x->outside_inner = mp_einsum_outside_inner(g, d) != 0;
    x->space = loops_over(b, d->space);
    for (int k = 0; d->space[k]; k++) {
        int r = rank_index(b, d->space[k]), dup = 0;
        for (int j = 0; j < x->n_space; j++)
            dup |= x->space_rank[j] == r;
        if (!dup)
            x->space_rank[x->n_space++] = r;
    }
    x->rows_in = b->rows && in_list(d->space, b->rows->rank);
    x->cols_in = b->cols && in_list(d->space, b->cols->rank);
    x->real_points = mp_einsum_real_points(b->c, d);
    return 0;
}

int mp_bind_group(const mp_arch *a, const mp_cascade_map *c, const mp_group *g, mp_bound_group *b, es_err *e)
{
    memset(b, 0, sizeof *b);
    b->a = a, b->c = c, b->g = g;
    es_err why;
    b->cd = mp_catalog_load(c->cascade, &why);
    if (!b->cd)
        return es_fail(e, "invalid mapping: cascade '%s' is not one the simulator can lower: %s", c->cascade,
                       why.msg);
    b->ix = mp_catalog_index(b->cd);
    b->buffer = mp_arch_buffer(a);
    if (bind_loops(b, e))
        return -1;
    b->rows_rank = b->rows ? rank_index(b, b->rows->rank) : -1;
    b->cols_rank = b->cols ? rank_index(b, b->cols->rank) : -1;
    if (g->schedule == MP_SCHED_INTERLEAVED) {
        for (int p = 0; p < g->n_phases; p++)
            for (int s = 0; s < g->phases[p].n; s++)
                for (int k = 0; k < g->phases[p].slots[s].slot.n; k++)
                    if (bind_einsum(b, g->phases[p].slots[s].slot.einsums[k], p, e))
                        return -1;
    } else {
        for (int i = 0; i < g->n_einsums; i++)
            if (bind_einsum(b, g->einsums[i], 0, e))
                return -1;
    }
    for (int ti = 0; ti < b->cd->n_tensors; ti++)
        bind_tensor(b, ti);
    return 0;
}
