/* mapper/cost.c: analytical cost model (see cost.h and docs/mapper.md). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mapper/cost.h"
#include "mapper/account.h"
#include "mapper/resolve.h"
#include "golden/base/str.h"

static double rank_size(const mp_cascade_map *cm, const char *r)
{
    if (es_streq(r, "rep"))
        return (double)cm->repeat;
    int64_t v = mp_cmap_rank(cm, r);
    return v < 0 ? 1.0 : (double)v;
}

/* Real elements: a ragged split rank counts its size, not m1 x m0. */
static double tensor_size(const mp_cascade_map *cm, const mp_tensor_desc *t)
{
    return mp_tensor_real_elems(cm, t);
}


/* Index form of one cascade map: catalog einsum -> bound unit and group,
 * built once per costing so the inner loops compare no strings. */
typedef struct ctx {
    const mp_cascade_desc *cd;
    const mp_cat_index *ix;
    int unit[MP_CAT_MAX_E];  /* arch unit index, -1 unbound */
    int group[MP_CAT_MAX_E]; /* group index, -1 none */
    int gslot[MP_CAT_MAX_E]; /* position in its group's einsum list */
    int first[MP_MAX_GROUPS]; /* catalog index of each group's first einsum (a guess) */
    int ubind[MP_CAT_MAX_E];  /* unit of the einsum's first binding (mp_cmap_unit_of), -1 none */
    /* reads (by einsums other than its producer) and writes of each tensor
     * per group: what group_touches answers, counted once per costing */
    unsigned char reads[MP_MAX_GROUPS][MP_CAT_MAX_T], writes[MP_MAX_GROUPS][MP_CAT_MAX_T];
    int last_reader[MP_CAT_MAX_T];  /* largest group of an einsum reading the tensor (read_later) */
    int cross_done;                    /* cross filled (on first use) */
    unsigned char cross[MP_CAT_MAX_T]; /* crosses_without_link */
    /* real elements per tensor and real points per einsum (mp_cost_cascade only) */
    const double *tsize, *epts;
    const mp_cost_sizes *z; /* the instance's sizes, NULL: look them up */
} ctx;

static int lookup(const mp_cascade_desc *cd, const char *name, int guess)
{
    if (guess < cd->n_einsums && es_streq(cd->einsums[guess].name, name))
        return guess;
    return mp_catalog_einsum_index(cd, name);
}

static int linked(const mp_arch *a, const char *u1, const char *u2)
{
    for (int i = 0; i < a->n_links; i++)
        if ((es_streq(a->links[i].from, u1) && es_streq(a->links[i].to, u2)) ||
            (es_streq(a->links[i].from, u2) && es_streq(a->links[i].to, u1)))
            return 1;
    return 0;
}

static int ctx_init(ctx *x, const mp_arch *a, const mp_cascade_map *cm)
{
    x->cd = mp_catalog_find(cm->cascade);
    if (!x->cd)
        return -1;
    x->ix = mp_catalog_index(x->cd);
    for (int i = 0; i < MP_CAT_MAX_E; i++)
        x->unit[i] = x->group[i] = x->gslot[i] = x->ubind[i] = -1;
    /* mappings list einsums in catalog order more often than not: try the
     * next catalog index before searching */
    for (int b = 0; b < cm->n_bindings; b++) {
        int i = lookup(x->cd, cm->bindings[b].einsum, b);
        if (i >= 0) {
            x->unit[i] = mp_arch_unit_index(a, cm->bindings[b].unit);
            if (x->ubind[i] < 0)
                x->ubind[i] = x->unit[i];
        }
    }
    int guess = 0;
    for (int g = 0; g < cm->n_groups; g++) {
        x->first[g] = guess;
        for (int k = 0; k < cm->groups[g].n_einsums; k++) {
            int i = lookup(x->cd, cm->groups[g].einsums[k], guess++);
            if (i >= 0) {
                x->group[i] = g;
                x->gslot[i] = k;
            }
        }
    }
    memset(x->reads, 0, sizeof x->reads);
    memset(x->writes, 0, sizeof x->writes);
    x->cross_done = 0;
    x->z = NULL;
    for (int t = 0; t < MP_CAT_MAX_T; t++)
        x->last_reader[t] = -1;
    for (int i = 0; i < x->cd->n_einsums; i++) {
        for (int k = 0; k < x->ix->nin[i]; k++) {
            int t = x->ix->in[i][k];
            if (x->group[i] > x->last_reader[t])
                x->last_reader[t] = x->group[i];
        }
        int g = x->group[i];
        if (g < 0 || g >= MP_MAX_GROUPS)
            continue;
        x->writes[g][x->ix->out[i]]++;
        for (int k = 0; k < x->ix->nin[i]; k++)
            if (x->ix->in[i][k] != x->ix->out[i])
                x->reads[g][x->ix->in[i][k]]++;
    }
    return 0;
}

void mp_cost_sizes_init(mp_cost_sizes *z, const mp_cascade_map *cm)
{
    z->cd = mp_catalog_find(cm->cascade);
    if (!z->cd)
        return;
    for (int t = 0; t < z->cd->n_tensors; t++)
        z->tsize[t] = tensor_size(cm, &z->cd->tensors[t]);
    for (int i = 0; i < z->cd->n_einsums; i++)
        z->epts[i] = mp_einsum_real_points(cm, &z->cd->einsums[i]);
    for (int t = 0; t < z->cd->n_tensors; t++)
        for (int i = 0; i < MP_CAT_RANKS && z->cd->tensors[t].ranks[i]; i++)
            z->trank[t][i] = rank_size(cm, z->cd->tensors[t].ranks[i]);
    for (int i = 0; i < z->cd->n_einsums; i++)
        for (int k = 0; k < MP_CAT_RANKS && z->cd->einsums[i].space[k]; k++)
            z->esize[i][k] = mp_cmap_rank(cm, z->cd->einsums[i].space[k]);
    z->p_size = rank_size(cm, "p");
    z->m_size = rank_size(cm, "m");
}

static int is_mem_level(const mp_arch *a, const mp_level *l)
{
    return es_streq(l->store, a->mem.name);
}


/* Number of times tensor t crosses the boundary below the first `nlev`
 * levels: loops (temporal, outer to inner) irrelevant to t that sit outside
 * the innermost loop relevant to t each multiply its traffic. */
static double reload(const mp_group *g, int nlev, const mp_tensor_desc *t)
{
    const mp_loop *lp[MP_MAX_LEVELS * MP_MAX_LOOPS];
    int n = 0;
    for (int l = 0; l < nlev && l < g->n_levels; l++)
        for (int i = 0; i < g->levels[l].n; i++)
            if (g->levels[l].loops[i].kind == MP_LOOP_TEMPORAL)
                lp[n++] = &g->levels[l].loops[i];
    int inner = -1;
    for (int i = 0; i < n; i++)
        if (mp_tensor_uses(t, lp[i]->rank) && lp[i]->factor > 1)
            inner = i;
    double f = 1;
    for (int i = 0; i < inner; i++)
        if (!mp_tensor_uses(t, lp[i]->rank))
            f *= (double)lp[i]->factor;
    return f;
}

static int spilled(const mp_group *g, const char *t)
{
    for (int i = 0; i < g->n_spill; i++)
        if (es_streq(g->spill[i], t))
            return 1;
    return 0;
}

/* A DRAM input or output of the group streamed between DRAM and the units
 * per tile step, never staged in the buffer (`bypass`). */
static int in_bypass(const mp_group *g, const char *t)
{
    for (int i = 0; i < g->n_bypass; i++)
        if (es_streq(g->bypass[i], t))
            return 1;
    return 0;
}

/* Levels above the PE level (the tile loops). */
static int tile_levels(const mp_group *g)
{
    return g->n_levels > 1 ? g->n_levels - 1 : g->n_levels;
}

static int kept(const mp_group *g, const char *t)
{
    for (int i = 0; i < g->n_keep; i++)
        if (es_streq(g->keep_onchip[i], t))
            return 1;
    return 0;
}

/* Is tensor t (index) read by an einsum of a group after gi? */
static int read_later(const ctx *x, int gi, int t)
{
    return x->last_reader[t] > gi;
}

/* Reads (by einsums other than its producer) and writes of tensor t in group gi. */
static int group_touches(const ctx *x, int gi, int t, int *reads, int *writes)
{
    *reads = x->reads[gi][t];
    *writes = x->writes[gi][t];
    return *reads || *writes;
}

/* A per-tile intermediate passed between two units with no direct link
 * between them is staged in the global buffer (ctx_init finds which). */
static int crosses_without_link(const mp_arch *a, ctx *x, int t)
{
    if (!x->cross_done) {
        memset(x->cross, 0, sizeof x->cross);
        for (int i = 0; i < x->cd->n_einsums; i++)
            for (int k = 0; k < x->ix->nin[i]; k++) {
                /* an input from a producer on another unit, no link between them */
                int u = x->ix->in[i][k], p = x->ix->producer[u];
                if (p >= 0 && x->unit[p] >= 0 && x->unit[i] >= 0 && x->unit[i] != x->unit[p] && !x->cross[u] &&
                    !linked(a, a->units[x->unit[i]].name, a->units[x->unit[p]].name))
                    x->cross[u] = 1;
            }
        x->cross_done = 1;
    }
    return x->cross[t];
}

int mp_tile_staged(const mp_arch *a, const mp_cascade_map *cm, const mp_cascade_desc *cd, const char *tensor,
                   const char *reader)
{
    const mp_tensor_desc *t = mp_catalog_tensor(cd, tensor);
    if (!t || t->role != MP_T_TILE)
        return 0;
    const char *pu = mp_cmap_unit_of(cm, tensor); /* einsums are named by their output */
    if (!pu)
        return 0;
    if (reader)
        return strcmp(reader, pu) && !linked(a, reader, pu);
    for (int i = 0; i < cd->n_einsums; i++) {
        if (!mp_einsum_touches(&cd->einsums[i], tensor) || es_streq(cd->einsums[i].out, tensor))
            continue;
        const char *ru = mp_cmap_unit_of(cm, cd->einsums[i].name);
        if (ru && strcmp(ru, pu) && !linked(a, ru, pu))
            return 1;
    }
    return 0;
}

/* *fibre_bytes gets the part of the footprint that is the fibre region. */
static double footprint_parts(const mp_arch *a, const mp_cascade_map *cm, ctx *x, int gi, double *fibre_bytes)
{
    const mp_group *g = &cm->groups[gi];
    const mp_cascade_desc *cd = x->cd;
    /* DF(r): factor of rank r over the DRAM level (exact rank name; "rep"
     * included), 1 when the group has no DRAM level */
    const mp_level *L0 = g->n_levels == 0 || !is_mem_level(a, &g->levels[0]) ? NULL : &g->levels[0];
#define DF(r) (L0 ? (double)mp_level_factor(L0, (r)) : 1.0)
    double rep_ext = (double)cm->repeat / DF("rep");
    double bytes = 0, fibre_rows = 0, fibre_m = 0;
    int any_fibre = 0, any_spill = 0;
    for (int ti = 0; ti < cd->n_tensors; ti++) {
        const mp_tensor_desc *t = &cd->tensors[ti];
        int r, w;
        if (!group_touches(x, gi, ti, &r, &w))
            continue;
        if (t->role == MP_T_TILE && !crosses_without_link(a, x, ti))
            continue;
        if (in_bypass(g, t->name))
            continue;
        if (t->role == MP_T_FIBRE && !(r && w))
            continue; /* streamed to or from another group, never whole here */
        if (t->role == MP_T_FIBRE) {
            if (spilled(g, t->name)) {
                any_spill = 1;
                continue;
            }
            any_fibre = 1;
            fibre_rows = (x->z ? x->z->p_size : rank_size(cm, "p")) / DF("p");
            fibre_m = x->z ? x->z->m_size : rank_size(cm, "m");
            continue;
        }
        double s = t->role == MP_T_WEIGHT ? 1 : rep_ext;
        for (int i = 0; t->ranks[i]; i++)
            s *= (x->z ? x->z->trank[ti][i] : rank_size(cm, t->ranks[i])) / DF(t->ranks[i]);
        bytes += s;
    }
    /* One region holds the fibres (QK, SN, A overwrite each other in place);
     * with some of them spilled the 1D side works on one row at a time. */
#undef DF
    double region = any_fibre ? rep_ext * fibre_m * (any_spill ? 1 : fibre_rows) : 0;
    *fibre_bytes = region * a->word_bytes;
    return (bytes + region) * a->word_bytes;
}

static double footprint(const mp_arch *a, const mp_cascade_map *cm, ctx *x, int gi)
{
    double fb;
    return footprint_parts(a, cm, x, gi, &fb);
}

static int overbooked(const mp_group *g)
{
    for (int i = 0; i < g->n_spill; i++)
        if (es_streq(g->spill[i], MP_SPILL_OVERFLOW))
            return 1;
    return 0;
}

/* Fit of group gi (see mp_group_fits); *need = its footprint. */
static int group_fits(const mp_arch *a, const mp_cascade_map *cm, ctx *x, int gi, double *need, double *frac)
{
    const mp_store *b = mp_arch_buffer(a);
    double fb, fp = footprint_parts(a, cm, x, gi, &fb);
    *need = fp;
    *frac = 0;
    if (!b || fp <= (double)b->capacity_bytes)
        return 1;
    if (!overbooked(&cm->groups[gi]) || fb <= 0 || fp - fb >= (double)b->capacity_bytes)
        return 0;
    *frac = (fp - (double)b->capacity_bytes) / fb;
    return 1;
}

int mp_cascade_fits(const mp_arch *a, const mp_cascade_map *cm, const mp_cost_sizes *z)
{
    ctx x;
    double need, f;
    if (ctx_init(&x, a, cm))
        return 1;
    if (z && z->cd == x.cd)
        x.z = z;
    for (int g = 0; g < cm->n_groups; g++)
        if (!group_fits(a, cm, &x, g, &need, &f))
            return 0;
    return 1;
}

int mp_group_fits(const mp_arch *a, const mp_cascade_map *cm, const mp_group *g, double *frac)
{
    ctx x;
    double need, f;
    if (ctx_init(&x, a, cm))
        return 1;
    int ok = group_fits(a, cm, &x, (int)(g - cm->groups), &need, &f);
    if (frac)
        *frac = f;
    return ok;
}

double mp_cascade_max_footprint(const mp_arch *a, const mp_cascade_map *cm)
{
    ctx x;
    if (ctx_init(&x, a, cm))
        return 0;
    double m = 0;
    for (int g = 0; g < cm->n_groups; g++)
        m = fmax(m, footprint(a, cm, &x, g));
    return m;
}

double mp_group_footprint(const mp_arch *a, const mp_cascade_map *cm, const mp_group *g)
{
    ctx x;
    if (ctx_init(&x, a, cm))
        return 0;
    return footprint(a, cm, &x, (int)(g - cm->groups));
}

static double parallel(const mp_unit *u, const mp_group *g, const mp_einsum_desc *ed)
{
    double rows = 1, cols = 1;
    for (int l = 0; l < g->n_levels; l++)
        for (int i = 0; i < g->levels[l].n; i++) {
            const mp_loop *lp = &g->levels[l].loops[i];
            if (lp->kind == MP_LOOP_TEMPORAL)
                continue;
            int in_space = 0;
            for (int k = 0; ed->space[k]; k++)
                if (es_streq(ed->space[k], lp->rank))
                    in_space = 1;
            if (!in_space)
                continue;
            if (lp->kind == MP_LOOP_SPATIAL_ROWS)
                rows *= (double)lp->factor;
            else
                cols *= (double)lp->factor;
        }
    if (u->kind == MP_UNIT_ARRAY2D)
        return fmin(rows, u->rows) * fmin(cols, u->cols);
    return fmin(rows * cols, u->cols);
}

/* Temporal tile steps of a group: product of temporal factors above the
 * innermost level (the unit of the SEQUENTIAL fill/drain charge). */
static double tile_steps(const mp_group *g)
{
    double t = 1;
    for (int l = 0; l + 1 < g->n_levels; l++)
        for (int i = 0; i < g->levels[l].n; i++)
            if (g->levels[l].loops[i].kind == MP_LOOP_TEMPORAL)
                t *= (double)g->levels[l].loops[i].factor;
    return t;
}

static int slot_pos(const mp_group *g, const char *einsum, int *phase, int *slot, const char **unit)
{
    for (int p = 0; p < g->n_phases; p++)
        for (int s = 0; s < g->phases[p].n; s++)
            for (int j = 0; j < g->phases[p].slots[s].slot.n; j++)
                if (!strcmp(g->phases[p].slots[s].slot.einsums[j], einsum)) {
                    *phase = p;
                    *slot = s;
                    *unit = g->phases[p].slots[s].unit;
                    return 0;
                }
    return -1;
}

static int lag_of(const mp_group *g, const char *einsum)
{
    for (int i = 0; i < g->n_einsums; i++)
        if (es_streq(g->einsums[i], einsum))
            return g->lag[i];
    return 0;
}

static int iterates(const mp_einsum_desc *ed, const char *rank)
{
    for (int k = 0; ed->space[k]; k++)
        if (es_streq(ed->space[k], rank))
            return 1;
    return 0;
}

double mp_einsum_outside_inner(const mp_group *g, const mp_einsum_desc *ed)
{
    double lacked = 1;
    int outside = 0;
    for (int l = 0; l + 1 < g->n_levels; l++)
        for (int i = 0; i < g->levels[l].n; i++) {
            const mp_loop *lp = &g->levels[l].loops[i];
            char b[MP_ENAME];
            mp_rank_base(lp->rank, b, sizeof b);
            if (lp->kind != MP_LOOP_TEMPORAL || es_streq(b, "rep") || iterates(ed, lp->rank))
                continue;
            outside = 1;
            lacked *= (double)lp->factor;
        }
    return outside ? lacked : 0;
}

static int check_epoch(const mp_cascade_map *cm, const mp_cascade_desc *cd, const mp_group *g, es_err *e)
{
    for (int i = 0; i < g->n_einsums; i++) {
        const mp_einsum_desc *c = mp_catalog_einsum(cd, g->einsums[i]);
        if (!c || mp_einsum_outside_inner(g, c))
            continue; /* AV: once per finished outer tile, exempt */
        int pc, sc;
        const char *uc;
        if (slot_pos(g, c->name, &pc, &sc, &uc))
            continue;
        for (int k = 0; c->in[k]; k++) {
            if (!strcmp(c->in[k], c->out))
                continue;
            const mp_einsum_desc *p = NULL;
            for (int j = 0; j < g->n_einsums; j++) {
                const mp_einsum_desc *x = mp_catalog_einsum(cd, g->einsums[j]);
                if (x && !strcmp(x->out, c->in[k]))
                    p = x;
            }
            if (!p)
                continue;
            int pp, sp;
            const char *up;
            if (slot_pos(g, p->name, &pp, &sp, &up))
                continue;
            int prev = c->prev && !strcmp(c->prev, c->in[k]);
            /* epoch in which tile x's input is produced vs consumed */
            int ep = lag_of(g, p->name) - prev, ec = lag_of(g, c->name);
            int ok = ep < ec || (ep == ec && (pp < pc || (pp == pc && !strcmp(up, uc) && sp < sc)));
            if (!ok)
                return es_fail(e,
                               "mapping: cascade '%s' group '%s': einsum %s (lag %d) runs before its producer %s "
                               "(lag %d) in the epoch; raise %s's lag or move it to a later phase",
                               cm->label, g->name, c->name, ec, p->name, lag_of(g, p->name), c->name);
        }
    }
    return 0;
}

/* Tile steps at which Einsum ed moves tensor t between the buffer and the
 * array: every iteration of a temporal loop above the PE level that ed
 * iterates and t does not index (the PE register files hold a few values,
 * not a tile, so nothing is reused across steps; Timeloop's L3 reads of the
 * artifact's mappings, whose reg_file factors are all 1, count the same).
 * The simulator charges one tile slice per active tile op: the same count. */
static double buffer_steps(const mp_group *g, int nlev, const mp_einsum_desc *ed, const mp_tensor_desc *t)
{
    mp_tensor_desc sp = {.name = ed->name, .role = MP_T_INPUT};
    memcpy(sp.ranks, ed->space, sizeof sp.ranks);
    double f = 1;
    for (int l = 0; l < nlev && l < g->n_levels; l++)
        for (int i = 0; i < g->levels[l].n; i++) {
            const mp_loop *lp = &g->levels[l].loops[i];
            if (lp->kind == MP_LOOP_TEMPORAL && !mp_tensor_uses(t, lp->rank) && mp_tensor_uses(&sp, lp->rank))
                f *= (double)lp->factor;
        }
    return f;
}

/* Tile steps at which a bypassed tensor crosses between DRAM and the units:
 * the most of its readers' buffer_steps (one transfer per step serves all
 * readers), or its producer's (1 for an output: check_cascade). */
static double bypass_steps(const ctx *x, const mp_group *g, int gi, int ti)
{
    const mp_tensor_desc *t = &x->cd->tensors[ti];
    double n = 0, w = 1;
    for (int i = 0; i < x->cd->n_einsums; i++) {
        if (x->group[i] != gi)
            continue;
        double st = buffer_steps(g, tile_levels(g), &x->cd->einsums[i], t);
        if (x->ix->out[i] == ti)
            w = st;
        for (int k = 0; k < x->ix->nin[i]; k++)
            if (x->ix->in[i][k] == ti)
                n = fmax(n, st);
    }
    return n > 0 ? n : w;
}

int mp_group_bypass_check(const mp_cascade_map *cm, const mp_group *g, es_err *e)
{
    const mp_cascade_desc *cd = mp_catalog_find(cm->cascade);
    for (int b = 0; cd && b < g->n_bypass; b++) {
        const mp_tensor_desc *t = mp_catalog_tensor(cd, g->bypass[b]);
        for (int i = 0; t && t->role == MP_T_OUTPUT && i < cd->n_einsums; i++) {
            double st = buffer_steps(g, tile_levels(g), &cd->einsums[i], t);
            if (!strcmp(cd->einsums[i].out, t->name) && st > 1)
                return es_fail(e, "mapping: cascade '%s' group '%s': bypass %s: its partial sums would leave "
                                  "the array %.0f times (a tile loop over a rank it reduces); stage it in the "
                                  "buffer",
                               cm->label, g->name, t->name, st);
        }
    }
    return 0;
}

static int check_cascade(const mp_arch *a, const mp_cascade_map *cm, es_err *e)
{
    const mp_cascade_desc *cd = mp_catalog_find(cm->cascade);
    if (!cd)
        return es_fail(e, "mapping: cascade '%s': not a cascade the mapper can load (a bundled name of "
                          "mapper/cascades/ or a .ein path that parses and checks)", cm->cascade);
    for (int i = 0; i < cm->n_bindings; i++) {
        const mp_binding *b = &cm->bindings[i];
        const mp_einsum_desc *ed = mp_catalog_einsum(cd, b->einsum);
        if (!ed)
            return es_fail(e, "mapping: cascade '%s': unknown einsum '%s' in %s", cm->label, b->einsum, cm->cascade);
        const mp_unit *u = mp_arch_unit(a, b->unit);
        if (!u)
            return es_fail(e, "mapping: cascade '%s': einsum %s bound to unknown unit '%s' (arch %s)", cm->label,
                           b->einsum, b->unit, a->name);
        if (!mp_unit_op(u, ed->op))
            return es_fail(e, "mapping: cascade '%s': einsum %s needs op '%s', which unit '%s' does not support",
                           cm->label, b->einsum, mp_op_name(ed->op), b->unit);
    }
    for (int i = 0; i < cd->n_einsums; i++)
        if (!mp_cmap_unit_of(cm, cd->einsums[i].name))
            return es_fail(e, "mapping: cascade '%s': einsum %s is not bound to a unit", cm->label,
                           cd->einsums[i].name);
    for (int gi = 0; gi < cm->n_groups; gi++) {
        const mp_group *g = &cm->groups[gi];
        if (g->n_levels == 0 || !is_mem_level(a, &g->levels[0]))
            return es_fail(e, "mapping: cascade '%s' group '%s': the first nest level must be the off-chip memory '%s'",
                           cm->label, g->name, a->mem.name);
        for (int l = 1; l < g->n_levels; l++)
            if (strcmp(g->levels[l].store, "pe") && !mp_arch_store(a, g->levels[l].store))
                return es_fail(e, "mapping: cascade '%s' group '%s': unknown storage level '%s'", cm->label, g->name,
                               g->levels[l].store);
        for (int l = 0; l < g->n_levels; l++)
            for (int i = 0; i < g->levels[l].n; i++) {
                const mp_loop *lp = &g->levels[l].loops[i];
                if (lp->factor == 0)
                    return es_fail(e, "mapping: cascade '%s' group '%s': factor of %s at %s is unresolved 'auto'",
                                   cm->label, g->name, lp->rank, g->levels[l].store);
                if (strcmp(lp->rank, "rep") && mp_cmap_rank(cm, lp->rank) < 0)
                    return es_fail(e, "mapping: cascade '%s' group '%s': loop over unknown rank '%s'", cm->label,
                                   g->name, lp->rank);
            }
        for (int r = -1; r < cm->n_ranks; r++) {
            const char *rn = r < 0 ? "rep" : cm->ranks[r].rank;
            double want = r < 0 ? (double)cm->repeat : (double)cm->ranks[r].size;
            double have = (double)mp_group_rank_product(g, rn);
            int present = 0;
            for (int l = 0; l < g->n_levels; l++)
                for (int i = 0; i < g->levels[l].n; i++)
                    present |= !strcmp(g->levels[l].loops[i].rank, rn);
            if (present && (r < 0 ? have != want : !mp_rank_covered(g, rn, cm->ranks[r].size)))
                return es_fail(e, "mapping: cascade '%s' group '%s': factors of rank %s multiply to %.0f, expected %.0f",
                               cm->label, g->name, rn, have, want);
        }
        if (mp_group_bypass_check(cm, g, e))
            return -1;
        if (g->schedule == MP_SCHED_INTERLEAVED && check_epoch(cm, cd, g, e))
            return -1;
        for (int p = 0; p < g->n_phases; p++)
            for (int s = 0; s < g->phases[p].n; s++)
                for (int j = 0; j < g->phases[p].slots[s].slot.n; j++) {
                    const char *en = g->phases[p].slots[s].slot.einsums[j];
                    const char *bu = mp_cmap_unit_of(cm, en);
                    if (bu && strcmp(bu, g->phases[p].slots[s].unit))
                        return es_fail(e, "mapping: cascade '%s' group '%s': einsum %s is bound to %s but slotted on %s",
                                       cm->label, g->name, en, bu, g->phases[p].slots[s].unit);
                }
    }
    /* what mp_resolve enforces, for a resolved mapping costed as written */
    for (int gi = 0; gi < cm->n_groups; gi++)
        if (mp_group_rows_check(cm, &cm->groups[gi], e))
            return -1;
    return 0;
}

double mp_tensor_elem_bytes(const mp_arch *a, const mp_cascade_map *cm, const mp_tensor_desc *t)
{
    if (t->role != MP_T_WEIGHT)
        return a->word_bytes;
    /* a format gives the value width: the workload counted every byte */
    if (cm->weight_elem_bytes > 0)
        return cm->weight_elem_bytes;
    /* sparse at the arch's word size: the kept values plus the layout's
     * indices (2:4: 0.5 x word + 0.125) */
    if (cm->weight_kept > 0)
        return a->word_bytes * cm->weight_kept + cm->weight_side_bytes;
    return a->word_bytes;
}

/* Einsum ed reads a weight tensor of cd. */
static int reads_weight(const mp_cascade_desc *cd, const mp_einsum_desc *ed)
{
    for (int k = 0; ed && k < MP_CAT_INS && ed->in[k]; k++) {
        const mp_tensor_desc *t = mp_catalog_tensor(cd, ed->in[k]);
        if (t && t->role == MP_T_WEIGHT)
            return 1;
    }
    return 0;
}

double mp_unit_sparse_factor(const mp_unit *u, const char *pattern)
{
    for (int i = 0; pattern && pattern[0] && i < u->n_sparse; i++)
        if (!strcmp(u->sparse[i].pattern, pattern))
            return u->sparse[i].factor;
    return 0;
}

double mp_einsum_speedup(const mp_unit *u, const mp_cascade_map *cm, const mp_cascade_desc *cd,
                         const mp_einsum_desc *ed)
{
    double f = mp_unit_sparse_factor(u, cm->weight_sparse_pattern);
    if (f <= 0 || cm->weight_kept <= 0 || !reads_weight(cd, ed))
        return 1;
    /* skipping zeros gains at most 1 / the stored fraction (2:4: 2) */
    return fmin(f, 1 / cm->weight_kept);
}

const char *mp_einsum_format(const mp_arch *a, const mp_cascade_map *cm, const char *einsum)
{
    const mp_cascade_desc *cd = cm->weight_format[0] ? mp_catalog_find(cm->cascade) : NULL;
    return cd && reads_weight(cd, mp_catalog_einsum(cd, einsum)) ? cm->weight_format : a->number_format;
}

const char *mp_einsum_sparsity(const mp_unit *u, const mp_cascade_map *cm, const char *einsum)
{
    const mp_cascade_desc *cd = cm->weight_sparsity[0] ? mp_catalog_find(cm->cascade) : NULL;
    const mp_einsum_desc *ed = cd ? mp_catalog_einsum(cd, einsum) : NULL;
    return ed && mp_einsum_speedup(u, cm, cd, ed) > 1 ? cm->weight_sparsity : "dense";
}

int mp_mapping_check(const mp_arch *a, const mp_mapping *m, es_err *e)
{
    for (int i = 0; i < m->n_cascades; i++)
        if (check_cascade(a, &m->cascades[i], e))
            return -1;
    return 0;
}

/* *fills, *drains: words that DRAM reads put into the buffer and DRAM
 * writes take out of it.  A spilled fibre bypasses the buffer on the way
 * out (its producer's unit writes it off chip) and on the way back when one
 * Einsum reads it (streamed to that unit); read by several (the passes of
 * the softmax) it is staged in the buffer -- the artifact's FLAT (flat.py:
 * QK, A bypass L3 when off chip; stable_softmax.py keeps the QK fibre in L3). */
static void group_traffic(const mp_arch *a, const mp_cascade_map *cm, const ctx *x, int gi, double *rd,
                          double *wr, double *fills, double *drains)
{
    const mp_group *g = &cm->groups[gi];
    const mp_cascade_desc *cd = x->cd;
    /* sums in bytes: each tensor at its own element size */
    double direct_rd = 0, direct_wr = 0;
    *rd = *wr = 0;
    for (int ti = 0; ti < cd->n_tensors; ti++) {
        const mp_tensor_desc *t = &cd->tensors[ti];
        int r, w;
        if (!group_touches(x, gi, ti, &r, &w))
            continue;
        double size = x->tsize[ti] * mp_tensor_elem_bytes(a, cm, t);
        int pe = x->ix->producer[ti];
        int pg = pe < 0 ? -1 : x->group[pe];
        if (r && !w && in_bypass(g, t->name)) {
            /* streamed to the array on every tile step, as the buffer would
             * have served it (buffer_steps; one transfer per step serves
             * every reader) */
            double n = size * bypass_steps(x, g, gi, ti);
            *rd += n;
            direct_rd += n;
        } else if (r && !w) {
            if (pg < 0 || (pg < gi && !kept(&cm->groups[pg], t->name)))
                *rd += size * reload(g, 1, t);
        } else if (w && t->role == MP_T_OUTPUT && in_bypass(g, t->name)) {
            double n = size * bypass_steps(x, g, gi, ti); /* 1: check_cascade */
            *wr += n;
            direct_wr += n;
        } else if (w) {
            if (t->role == MP_T_FIBRE && spilled(g, t->name)) {
                *wr += size;
                *rd += size;
                direct_wr += size;
                if (r == 1)
                    direct_rd += size;
            } else if (t->role == MP_T_OUTPUT || (read_later(x, gi, ti) && !kept(g, t->name))) {
                *wr += size;
            }
        }
    }
    *fills = (*rd - direct_rd) / a->word_bytes;
    *drains = (*wr - direct_wr) / a->word_bytes;
}

/* The bypass rule: tensor t of group g bypasses the buffer when the group
 * lists it in `bypass`, or when it is a spilled fibre written (in = 0: its
 * producer's unit writes it off chip) or read (in = 1) by only one Einsum
 * of the group (streamed to it); readers counts the group's reads of t by
 * Einsums other than its producer. */
static int bypass_rule(const mp_group *g, const mp_tensor_desc *t, int in, int readers)
{
    if (in_bypass(g, t->name))
        return 1;
    if (t->role != MP_T_FIBRE || !spilled(g, t->name))
        return 0;
    return !in || readers == 1;
}

/* Is tensor t a spilled fibre of group gi that bypasses the buffer when
 * Einsum i (of the group) reads (in = 1) or writes it (group_traffic)? */
static int bypasses(const ctx *x, const mp_group *g, int gi, int ti, int in)
{
    int r, w;
    group_touches(x, gi, ti, &r, &w);
    return bypass_rule(g, &x->cd->tensors[ti], in, r);
}

int mp_group_bypasses(const mp_cascade_desc *cd, const mp_group *g, const char *tensor, int in)
{
    const mp_tensor_desc *t = mp_catalog_tensor(cd, tensor);
    if (!t)
        return 0;
    int readers = 0;
    for (int i = 0; i < g->n_einsums; i++) {
        const mp_einsum_desc *d = mp_catalog_einsum(cd, g->einsums[i]);
        for (int k = 0; d && !es_streq(d->out, tensor) && d->in[k]; k++)
            readers += es_streq(d->in[k], tensor);
    }
    return bypass_rule(g, t, in, readers);
}

/* Buffer reads/writes (words) of a group: each Einsum input and output that
 * lives in the buffer, once per tile step (buffer_steps); DRAM fills are
 * buffer writes (the artifact counts L3 fills as writes, cascade.py). */
/* *frd, *fwr: the part of those that on-chip multi-pass fibres take (what
 * an overbooked group spills a fraction of). */
static void group_buffer(const mp_arch *a, const mp_cascade_map *cm, ctx *x, int gi, double fills, double *brd,
                         double *bwr, double *frd, double *fwr)
{
    const mp_group *g = &cm->groups[gi];
    int nlev = g->n_levels > 1 ? g->n_levels - 1 : g->n_levels;
    *brd = *frd = *fwr = 0;
    *bwr = fills;
    for (int i = 0; i < x->cd->n_einsums; i++) {
        if (x->group[i] != gi)
            continue;
        const mp_einsum_desc *ed = &x->cd->einsums[i];
        for (int k = 0; k < x->ix->nin[i]; k++) {
            const mp_tensor_desc *t = &x->cd->tensors[x->ix->in[i][k]];
            if (t->role == MP_T_TILE) { /* staged between unlinked units: read once per element */
                int u = x->ix->in[i][k], p = x->ix->producer[u];
                if (p >= 0 && x->unit[p] >= 0 && x->unit[i] >= 0 && x->unit[i] != x->unit[p] &&
                    !linked(a, a->units[x->unit[i]].name, a->units[x->unit[p]].name))
                    *brd += x->tsize[u];
                continue;
            }
            if (bypasses(x, g, gi, x->ix->in[i][k], 1))
                continue;
            double n = x->tsize[x->ix->in[i][k]] * buffer_steps(g, nlev, ed, t);
            *brd += n;
            if (t->role == MP_T_FIBRE && !spilled(g, t->name))
                *frd += n;
        }
        const mp_tensor_desc *o = &x->cd->tensors[x->ix->out[i]];
        if (o->role == MP_T_TILE && crosses_without_link(a, x, x->ix->out[i]))
            *bwr += x->tsize[x->ix->out[i]];
        if (o->role != MP_T_TILE && !bypasses(x, g, gi, x->ix->out[i], 0)) {
            double n = x->tsize[x->ix->out[i]] * buffer_steps(g, nlev, ed, o);
            *bwr += n;
            if (o->role == MP_T_FIBRE && !spilled(g, o->name))
                *fwr += n;
        }
    }
}

static int ranks_have(const char *const *ranks, const char *rank)
{
    for (int i = 0; ranks[i]; i++)
        if (mp_rank_match(ranks[i], rank))
            return 1;
    return 0;
}

int mp_fold_tile_of(const mp_einsum_desc *ed, const mp_tensor_desc *out, const char *const *space,
                    const int64_t *ext, int n, const char *rows_rank, int64_t rf, const char *cols_rank, int64_t cf,
                    mp_fold_tile *t, es_err *e)
{
    if (rf < 1 || !rows_rank)
        rf = 1;
    if (cf < 1 || !cols_rank)
        cf = 1;
    if (cf > 1 && !ranks_have(out->ranks, cols_rank))
        return es_fail(e,
                       "invalid mapping: Einsum %s reduces over rank %s on the columns of a fold-timed array "
                       "(timing: systolic): a systolic fold's columns are output columns; map an output rank there",
                       ed->name, cols_rank);
    memset(t, 0, sizeof *t);
    t->rows = rf, t->cols = cf;
    t->ws = rf > 1 && !ranks_have(out->ranks, rows_rank);
    int64_t outs = 1, reds = 1; /* temporal output and reduction points of the tile */
    for (int k = 0; k < n; k++) {
        int64_t x = ext[k] > 0 ? ext[k] : 1;
        if (rf > 1 && mp_rank_match(space[k], rows_rank))
            x = (x + rf - 1) / rf; /* what the rows do not hold is temporal */
        else if (cf > 1 && mp_rank_match(space[k], cols_rank))
            x = (x + cf - 1) / cf;
        if (ranks_have(out->ranks, space[k]))
            outs *= x;
        else
            reds *= x;
    }
    t->t = t->ws ? outs : reds;
    t->n = t->ws ? reds : outs;
    return 0;
}

/* Busy cycles of all tiles of Einsum ed (cost-model index i) on the
 * fold-timed unit u: tiles x the unit's cycles of one tile op, the tile
 * built by mp_fold_tile_of as the lowering builds it (per-tile extents: a
 * rank's padded size over its loops above the PE level). */
static int fold_cycles(const mp_unit *u, const mp_cascade_map *cm, const mp_group *g, const mp_einsum_desc *ed,
                       const mp_tensor_desc *out, const int64_t *size, double *cyc, es_err *e)
{
    int64_t ext[MP_CAT_RANKS];
    const char *rows_rank = NULL, *cols_rank = NULL;
    int64_t rf = 1, cf = 1;
    double tiles = (double)cm->repeat;
    int n = 0;
    for (; ed->space[n]; n++) {
        int64_t v = size ? size[n] : mp_cmap_rank(cm, ed->space[n]), all = mp_group_rank_product(g, ed->space[n]);
        int64_t above = 1;
        for (int l = 0; l + 1 < g->n_levels; l++)
            above *= mp_level_factor(&g->levels[l], ed->space[n]);
        if (v < all)
            v = all;
        ext[n] = (v + above - 1) / above;
        tiles *= (double)above;
    }
    if (g->n_levels > 0) {
        const mp_level *pe = &g->levels[g->n_levels - 1];
        for (int i = 0; i < pe->n; i++) {
            const mp_loop *lp = &pe->loops[i];
            if (lp->kind == MP_LOOP_TEMPORAL || !ranks_have(ed->space, lp->rank))
                continue;
            if (lp->kind == MP_LOOP_SPATIAL_ROWS)
                rows_rank = lp->rank, rf = lp->factor;
            else
                cols_rank = lp->rank, cf = lp->factor;
        }
    }
    mp_fold_tile t;
    if (mp_fold_tile_of(ed, out, ed->space, ext, n, rows_rank, rf, cols_rank, cf, &t, e))
        return -1;
    uint64_t one = u->fold_tile_cycles(u, &t, e);
    if (!one)
        return -1;
    *cyc = tiles * (double)one;
    return 0;
}

int mp_cost_cascade(const mp_arch *a, const mp_cascade_map *cm, mp_cost *c, es_err *e)
{
    return mp_cost_cascade_sized(a, cm, NULL, c, e);
}

/* prune: return 1, c untouched, when some group does not fit the buffer. */
static int cost_cascade(const mp_arch *a, const mp_cascade_map *cm, const mp_cost_sizes *z, mp_cost *c, int prune,
                        es_err *e)
{
    ctx x;
    if (ctx_init(&x, a, cm))
        return es_fail(e, "mapping: unknown cascade '%s'", cm->cascade);
    mp_cost_sizes own;
    if (!z || z->cd != x.cd) {
        mp_cost_sizes_init(&own, cm);
        z = &own;
    }
    x.tsize = z->tsize;
    x.epts = z->epts;
    x.z = z;
    double gneed[MP_MAX_GROUPS], gfrac[MP_MAX_GROUPS];
    int gfits[MP_MAX_GROUPS];
    for (int gi = 0; gi < cm->n_groups; gi++) {
        gfits[gi] = group_fits(a, cm, &x, gi, &gneed[gi], &gfrac[gi]);
        if (prune && !gfits[gi])
            return 1;
    }
    const mp_cascade_desc *cd = x.cd;
    const mp_store *buf = mp_arch_buffer(a);
    double bw_per_cycle = a->mem.bandwidth_Bps / a->clock_hz;
    for (int gi = 0; gi < cm->n_groups; gi++) {
        const mp_group *g = &cm->groups[gi];
        double ucyc[MP_MAX_UNITS] = {0}, ecyc[MP_CAT_MAX_E] = {0};
        int fill = 0;
        for (int k = 0; k < g->n_einsums; k++) {
            int i = lookup(cd, g->einsums[k], x.first[gi] + k);
            if (i < 0 || x.unit[i] < 0)
                return es_fail(e, "mapping: cascade '%s': einsum '%s' unknown or unbound", cm->label, g->einsums[k]);
            const mp_einsum_desc *ed = &cd->einsums[i];
            int ui = x.unit[i];
            const mp_unit *u = &a->units[ui];
            const mp_op_cost *oc = mp_unit_op(u, ed->op);
            if (!oc)
                return es_fail(e, "mapping: cascade '%s': einsum %s needs op '%s', which unit '%s' does not support",
                               cm->label, ed->name, mp_op_name(ed->op), u->name);
            /* ops count real points; the array's time the padded tiles
             * (ragged last tiles, docs/mapper.md) */
            double pts = x.epts[i];
            double cyc;
            if (u->fold_tile_cycles) { /* fold-timed array: per tile, as the lowering */
                if (fold_cycles(u, cm, g, ed, &cd->tensors[x.ix->out[i]], x.z->esize[i], &cyc, e))
                    return -1;
            } else {
                cyc = ceil(mp_einsum_padded_points_sized(cm, g, ed, x.z->esize[i]) / parallel(u, g, ed) /
                           mp_einsum_speedup(u, cm, cd, ed)) *
                      oc->cycles;
            }
            ecyc[i] = cyc;
            ucyc[ui] += cyc;
            if (u->fill_cycles > fill)
                fill = u->fill_cycles;
            c->busy[ui] += cyc;
            double ej = mp_energy_charge(a, MP_ACCT_COMPUTE, oc->energy_pj, pts), erf = 0;
            const mp_store *rf = mp_arch_regfile(a, u->name);
            if (rf)
                erf = mp_energy_charge(a, MP_ACCT_REGFILE, rf->read_pj, pts * x.ix->nin[i]) +
                      mp_energy_charge(a, MP_ACCT_REGFILE, rf->write_pj, pts);
            c->e_compute_pj += ej;
            c->e_rf_pj += erf;
            /* one entry per (label, Einsum, unit): a decode's attention
             * instances (one per cache length) add up, as in the simulator's
             * report, so the table stays bounded by the layer's structure */
            mp_einsum_cost *y = NULL;
            for (int j = 0; j < c->n_einsums && !y; j++)
                if (c->einsums[j].unit == ui && es_streq(c->einsums[j].name, ed->name) &&
                    es_streq(c->einsums[j].cascade_label, cm->label))
                    y = &c->einsums[j];
            if (!y && c->n_einsums < MP_MAX_EC) {
                y = &c->einsums[c->n_einsums++];
                memset(y, 0, sizeof *y); /* callers may zero only up to einsums */
                es_strlcpy(y->name, ed->name, sizeof y->name);
                es_strlcpy(y->cascade_label, cm->label, sizeof y->cascade_label);
                y->unit = ui;
            }
            if (y) {
                y->points += pts;
                y->cycles += cyc;
                y->energy_pj += ej + erf;
            }
        }
        double comp = 0;
        if (g->schedule == MP_SCHED_SEQUENTIAL) {
            /* one tile at a time: inside it each Einsum starts when its unit
             * is free and its producers are done (list schedule in group
             * order, per-tile times = totals / tile steps), the fill charged
             * to the first Einsum, as the simulator does.  An Einsum outside
             * the innermost tile loop (AV) runs once per `lacked` tiles and
             * does not hold its tile open: what it runs past the tile's end
             * delays the next tile only by what exceeds the idle start of its
             * unit there (the unit's first Einsum's start), and the last run
             * ends the group (docs/cycles.md). */
            double steps = tile_steps(g), done_at[MP_CAT_MAX_E] = {0}, ufree[MP_MAX_UNITS] = {0}, span = 0;
            double slack[MP_MAX_UNITS];
            for (int u = 0; u < MP_MAX_UNITS; u++)
                slack[u] = HUGE_VAL;
            for (int k = 0; k < g->n_einsums; k++) {
                int i = lookup(cd, g->einsums[k], x.first[gi] + k);
                double lacked = mp_einsum_outside_inner(g, &cd->einsums[i]);
                double st = ufree[x.unit[i]];
                for (int q = 0; q < x.ix->nin[i]; q++) {
                    int p = x.ix->producer[x.ix->in[i][q]];
                    if (p >= 0 && p != i && x.group[p] == gi)
                        st = fmax(st, done_at[p]);
                }
                done_at[i] = st + ecyc[i] / (lacked > 0 ? steps / lacked : steps) + (k == 0 ? fill : 0);
                ufree[x.unit[i]] = done_at[i];
                if (lacked == 0) {
                    span = fmax(span, done_at[i]);
                    slack[x.unit[i]] = fmin(slack[x.unit[i]], st);
                }
            }
            double extra = 0;
            for (int k = 0; k < g->n_einsums; k++) {
                int i = lookup(cd, g->einsums[k], x.first[gi] + k);
                double lacked = mp_einsum_outside_inner(g, &cd->einsums[i]);
                if (lacked == 0)
                    continue;
                double carry = fmax(0, done_at[i] - span), delay = fmax(0, carry - slack[x.unit[i]]);
                extra = fmax(extra, (steps / lacked - 1) * delay + carry);
            }
            comp = steps * span + extra;
        } else if (g->schedule == MP_SCHED_PIPELINED) {
            for (int u = 0; u < a->n_units; u++)
                comp = fmax(comp, ucyc[u]);
        } else {
            for (int p = 0; p < g->n_phases; p++) {
                double pu[MP_MAX_UNITS] = {0}, mx = 0;
                for (int s = 0; s < g->phases[p].n; s++) {
                    int ui = mp_arch_unit_index(a, g->phases[p].slots[s].unit);
                    if (ui < 0)
                        return es_fail(e, "mapping: cascade '%s' group '%s': unknown unit '%s' in epoch", cm->label,
                                       g->name, g->phases[p].slots[s].unit);
                    for (int j = 0; j < g->phases[p].slots[s].slot.n; j++) {
                        int i = mp_catalog_einsum_index(cd, g->phases[p].slots[s].slot.einsums[j]);
                        if (i >= 0 && x.group[i] == gi)
                            pu[ui] += ecyc[i];
                    }
                }
                for (int u = 0; u < a->n_units; u++)
                    mx = fmax(mx, pu[u]);
                comp += mx;
            }
        }
        double rd, wr, fills, brd, bwr;
        double drains;
        group_traffic(a, cm, &x, gi, &rd, &wr, &fills, &drains);
        double frd, fwr, need = gneed[gi], frac = gfrac[gi];
        group_buffer(a, cm, &x, gi, fills, &brd, &bwr, &frd, &fwr);
        brd += drains; /* a drain to DRAM is a buffer read, as in the simulator */
        int fits = gfits[gi];
        /* overbooked: that fraction of the fibres' buffer traffic goes to
         * DRAM instead; the buffer actions stay (the artifact's rule) */
        rd += frac * frd * a->word_bytes;
        wr += frac * fwr * a->word_bytes;
        c->dram_read_bytes += rd;
        c->dram_write_bytes += wr;
        if (cd->passes > 0)
            c->attn_dram_bytes += rd + wr;
        double memcyc = (rd + wr) / bw_per_cycle;
        c->cycles += fmax(comp, memcyc);
        c->compute_s += comp / a->clock_hz;
        c->memory_s += (rd + wr) / a->mem.bandwidth_Bps;
        if (buf) {
            c->e_buffer_pj += mp_energy_charge(a, MP_ACCT_BUFFER, buf->read_pj, brd) +
                              mp_energy_charge(a, MP_ACCT_BUFFER, buf->write_pj, bwr);
            double fp = fmin(need, (double)buf->capacity_bytes + (fits ? 0 : need));
            if (fp > c->buffer_peak_bytes)
                c->buffer_peak_bytes = fp;
            if (!fits && c->valid) {
                c->valid = 0;
                snprintf(c->why, sizeof c->why,
                         "cascade '%s' group '%s' needs %.0f bytes of buffer '%s' (capacity %lld)", cm->label,
                         g->name, fp, buf->name, (long long)buf->capacity_bytes);
            }
        }
        c->e_dram_pj += mp_energy_charge(a, MP_ACCT_DRAM, a->mem.read_pj, rd) +
                        mp_energy_charge(a, MP_ACCT_DRAM, a->mem.write_pj, wr);
    }
    /* lower bounds */
    double lbu[MP_MAX_UNITS] = {0};
    for (int i = 0; i < cd->n_einsums; i++) {
        const mp_einsum_desc *ed = &cd->einsums[i];
        int ui = x.ubind[i];
        if (ui < 0)
            continue;
        double pts = x.epts[i];
        const mp_op_cost *oc = mp_unit_op(&a->units[ui], ed->op);
        lbu[ui] += pts * (oc ? oc->cycles : 1) / ((double)a->units[ui].rows * a->units[ui].cols);
    }
    for (int u = 0; u < a->n_units; u++)
        c->lb_unit[u] += lbu[u];
    if (cd->passes > 0 && buf) {
        double N = rank_size(cm, "p"), Mk = (double)mp_cmap_keys(cm), d = rank_size(cm, "e"), f = rank_size(cm, "f");
        double M = (double)buf->capacity_bytes / a->word_bytes;
        double compulsory = N * d + Mk * d + Mk * f + N * f;
        double io = M >= d * f ? N * Mk * d * f / M : 0;
        c->lb_io_bytes += cm->repeat * fmax(compulsory, io) * a->word_bytes;
    }
    return 0;
}

int mp_cost_cascade_sized(const mp_arch *a, const mp_cascade_map *cm, const mp_cost_sizes *z, mp_cost *c,
                          es_err *e)
{
    return cost_cascade(a, cm, z, c, 0, e);
}

int mp_cost_cascade_fit(const mp_arch *a, const mp_cascade_map *cm, const mp_cost_sizes *z, mp_cost *c, es_err *e)
{
    return cost_cascade(a, cm, z, c, 1, e);
}

void mp_cost_finish(const mp_arch *a, mp_cost *c)
{
    c->latency_s = c->cycles / a->clock_hz;
    c->energy_pj = c->e_compute_pj + c->e_rf_pj + c->e_buffer_pj + c->e_dram_pj;
    c->lb_compute_cycles = 0;
    for (int u = 0; u < a->n_units; u++) {
        c->util[u] = c->cycles > 0 ? c->busy[u] / c->cycles : 0;
        c->lb_compute_cycles = fmax(c->lb_compute_cycles, c->lb_unit[u]);
    }
}

int mp_cost_eval(const mp_arch *a, const mp_mapping *m, mp_cost *c, es_err *e)
{
    memset(c, 0, sizeof *c);
    c->valid = 1;
    if (mp_mapping_check(a, m, e))
        return -1;
    for (int i = 0; i < m->n_cascades; i++)
        if (mp_cost_cascade(a, &m->cascades[i], c, e))
            return -1;
    mp_cost_finish(a, c);
    return 0;
}
