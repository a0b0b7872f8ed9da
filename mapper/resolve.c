/* mapper/resolve.c: mapping templates -> concrete mappings (see resolve.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/checked.h"
#include "golden/base/str.h"
#include "mapper/catalog.h"
#include "mapper/cost.h"
#include "mapper/resolve.h"

void mp_cmap_set_instance(mp_cascade_map *cm, const md_inst *in)
{
    cm->n_ranks = 0;
    int64_t m = -1, m0 = -1;
    for (int i = 0; i < in->n_ranks && cm->n_ranks < MP_MAX_RANKS; i++) {
        es_strlcpy(cm->ranks[cm->n_ranks].rank, in->ranks[i].name, MP_ENAME);
        cm->ranks[cm->n_ranks++].size = in->ranks[i].size;
        if (!strcmp(in->ranks[i].name, "m"))
            m = in->ranks[i].size;
        if (!strcmp(in->ranks[i].name, "m0"))
            m0 = in->ranks[i].size;
    }
    if (m > 0 && m0 > 0 && cm->n_ranks < MP_MAX_RANKS) {
        es_strlcpy(cm->ranks[cm->n_ranks].rank, "m1", MP_ENAME);
        cm->ranks[cm->n_ranks++].size = (m + m0 - 1) / m0;
    }
    cm->repeat = in->repeat;
    mp_cmap_set_storage(cm, in);
}

void mp_cmap_set_storage(mp_cascade_map *cm, const md_inst *in)
{
    cm->weight_elem_bytes = in->weight_elem_bytes;
    snprintf(cm->weight_format, sizeof cm->weight_format, "%s", in->format);
    snprintf(cm->weight_sparsity, sizeof cm->weight_sparsity, "%s", in->sparsity);
    snprintf(cm->weight_sparse_pattern, sizeof cm->weight_sparse_pattern, "%s", in->sparse_pattern);
    cm->weight_kept = in->weight_kept;
    cm->weight_side_bytes = in->weight_side_bytes;
}

static void set_rank(mp_cascade_map *cm, const char *rank, int64_t size)
{
    for (int i = 0; i < cm->n_ranks; i++)
        if (!strcmp(cm->ranks[i].rank, rank)) {
            cm->ranks[i].size = size;
            return;
        }
    if (cm->n_ranks < MP_MAX_RANKS) {
        es_strlcpy(cm->ranks[cm->n_ranks].rank, rank, MP_ENAME);
        cm->ranks[cm->n_ranks++].size = size;
    }
}

int mp_cmap_split_keys(mp_cascade_map *cm, int64_t S)
{
    int64_t m = mp_cmap_keys(cm), m0 = mp_cmap_rank(cm, "m0");
    if (m < 1 || m0 < 1 || S < 1 || cm->n_ranks + 2 > MP_MAX_RANKS)
        return -1;
    int64_t mr = (m + S - 1) / S;
    if (m0 > mr)
        m0 = mr;
    set_rank(cm, "s", S);
    set_rank(cm, "mr", mr);
    set_rank(cm, "m", mr);
    set_rank(cm, "m0", m0);
    set_rank(cm, "m1", (mr + m0 - 1) / m0);
    return 0;
}

int64_t mp_cmap_keys(const mp_cascade_map *cm)
{
    int64_t s = mp_cmap_rank(cm, "s"), mr = mp_cmap_rank(cm, "mr");
    return s > 0 && mr > 0 ? s * mr : mp_cmap_rank(cm, "m");
}

int mp_cmap_fits_keys(const mp_cascade_map *cm, int64_t keys)
{
    int64_t s = mp_cmap_rank(cm, "s"), mr = mp_cmap_rank(cm, "mr");
    if (s > 0 && mr > 0)
        return (keys + s - 1) / s == mr;
    return mp_cmap_rank(cm, "m") == keys;
}

int mp_rank_covered(const mp_group *g, const char *rank, int64_t size)
{
    /* tile = the factors at the innermost (PE) level; the loops above it
     * must run exactly ceil(size / tile) tiles */
    int64_t tile = 1, count = 1;
    for (int l = 0; l < g->n_levels; l++)
        for (int i = 0; i < g->levels[l].n; i++)
            if (!strcmp(g->levels[l].loops[i].rank, rank)) {
                if (l == g->n_levels - 1 && g->n_levels > 1)
                    tile *= g->levels[l].loops[i].factor;
                else
                    count *= g->levels[l].loops[i].factor;
            }
    if (tile * count == size)
        return 1;
    return tile > 0 && count == (size + tile - 1) / tile;
}

/* A split pair (r1 and r0 of one base r, r a rank of the map) counts r real
 * points, not r1 x r0 (the last r1 tile is partial). */
static double real_product(const mp_cascade_map *cm, const char *const *ranks)
{
    double n = 1;
    for (int i = 0; ranks[i]; i++) {
        char b[MP_ENAME];
        mp_rank_base(ranks[i], b, sizeof b);
        int64_t parent = strcmp(b, ranks[i]) ? mp_cmap_rank(cm, b) : -1;
        if (parent > 0) {
            int pos = -1, other = 0;
            for (int j = 0; ranks[j]; j++) {
                char bj[MP_ENAME];
                mp_rank_base(ranks[j], bj, sizeof bj);
                if (j != i && !strcmp(bj, b) && strcmp(ranks[j], b)) {
                    other = 1;
                    if (pos < 0)
                        pos = j;
                }
            }
            if (other) {
                if (pos > i) /* the first of the pair stands for the parent */
                    n *= (double)parent;
                continue;
            }
        }
        int64_t v = mp_cmap_rank(cm, ranks[i]);
        n *= v < 0 ? 1.0 : (double)v;
    }
    return n;
}

double mp_einsum_real_points(const mp_cascade_map *cm, const mp_einsum_desc *ed)
{
    return (double)cm->repeat * real_product(cm, ed->space);
}

double mp_tensor_real_elems(const mp_cascade_map *cm, const mp_tensor_desc *t)
{
    return (t->role == MP_T_WEIGHT ? 1.0 : (double)cm->repeat) * real_product(cm, t->ranks);
}

double mp_einsum_padded_points(const mp_cascade_map *cm, const mp_group *g, const mp_einsum_desc *ed)
{
    return mp_einsum_padded_points_sized(cm, g, ed, NULL);
}

double mp_einsum_padded_points_sized(const mp_cascade_map *cm, const mp_group *g, const mp_einsum_desc *ed,
                                     const int64_t *size)
{
    double n = (double)cm->repeat;
    for (int i = 0; ed->space[i]; i++) {
        int64_t v = size ? size[i] : mp_cmap_rank(cm, ed->space[i]);
        int64_t have = g ? mp_group_rank_product(g, ed->space[i]) : 1;
        if (have > v)
            v = have;
        n *= v < 0 ? 1.0 : (double)v;
    }
    return n;
}

static int64_t size_of(const mp_cascade_map *cm, const char *r)
{
    return !strcmp(r, "rep") ? cm->repeat : mp_cmap_rank(cm, r);
}

/* A fault at a template loop: the message starts "LINE:COL: " when the
 * loop came from a file (mp_mapping_for puts the file's name in front). */
__attribute__((format(printf, 3, 4))) static int loop_fail(es_err *e, const mp_loop *lp, const char *fmt, ...)
{
    char msg[sizeof e->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (lp && lp->line > 0)
        return es_fail(e, "%d:%d: %s", lp->line, lp->col, msg);
    return es_fail(e, "%s", msg);
}

/* Fill single autos of a group; collect (outer, inner) auto pairs. */
typedef struct pair {
    mp_loop *outer, *inner;
    int64_t rest;
} pair;

static int fill_simple(const mp_cascade_map *cm, mp_group *g, pair *pairs, int *np, es_err *e)
{
    *np = 0;
    char seen[MP_MAX_LEVELS * MP_MAX_LOOPS][MP_ENAME];
    int ns = 0;
    for (int l = 0; l < g->n_levels; l++)
        for (int i = 0; i < g->levels[l].n; i++) {
            const char *r = g->levels[l].loops[i].rank;
            int dup = 0;
            for (int k = 0; k < ns; k++)
                dup |= !strcmp(seen[k], r);
            if (dup)
                continue;
            snprintf(seen[ns++], MP_ENAME, "%s", r);
            int64_t size = size_of(cm, r);
            if (size < 0)
                return loop_fail(e, &g->levels[l].loops[i],
                                 "mapping: cascade '%s' group '%s': loop over rank '%s', which the workload lacks",
                                 cm->label, g->name, r);
            mp_loop *autos[4];
            int na = 0;
            int64_t fixed = 1;
            for (int l2 = 0; l2 < g->n_levels; l2++)
                for (int j = 0; j < g->levels[l2].n; j++) {
                    mp_loop *lp = &g->levels[l2].loops[j];
                    if (strcmp(lp->rank, r))
                        continue;
                    if (lp->factor == 0) {
                        if (na == 2)
                            return loop_fail(e, lp, "mapping: cascade '%s' group '%s': rank %s has more than two auto factors",
                                             cm->label, g->name, r);
                        autos[na++] = lp;
                    } else if (es_mul_i64(fixed, lp->factor, &fixed) || fixed > ES_MAX_SPEC_SIZE) {
                        return loop_fail(e, lp, "mapping: cascade '%s' group '%s': factors of rank %s multiply to more "
                                                "than %lld",
                                         cm->label, g->name, r, (long long)ES_MAX_SPEC_SIZE);
                    }
                }
            /* Ragged ranks (docs/mapper.md "Ragged tiles"): the auto factors
             * cover ceil(size / fixed) tiles of the fixed factors, the last
             * one partly empty; a fixed factor larger than the rank (p = 1 in
             * decode on a 256-column array) is one padded tile.  Without an
             * auto factor the fixed ones must cover the rank by that rule. */
            int64_t rest = (size + fixed - 1) / fixed;
            if (na == 0 && !mp_rank_covered(g, r, size))
                return es_fail(e, "mapping: cascade '%s' group '%s': factors of rank %s multiply to %lld, which does "
                                  "not cover its size %lld with one partial last tile",
                               cm->label, g->name, r, (long long)fixed, (long long)size);
            if (na == 1)
                autos[0]->factor = rest;
            else if (na == 2) {
                autos[0]->factor = rest; /* provisional: all outside */
                autos[1]->factor = 1;
                pairs[*np].outer = autos[0];
                pairs[*np].inner = autos[1];
                pairs[(*np)++].rest = rest;
            }
        }
    return 0;
}

static int choose_pairs(const mp_arch *a, const mp_cascade_map *cm, mp_group *g, pair *pairs, int np)
{
    int ok = 1;
    for (int k = 0; k < np; k++) {
        int64_t best = 0;
        for (int64_t d = pairs[k].rest; d >= 1; d--) {
            if (pairs[k].rest % d)
                continue;
            pairs[k].inner->factor = d;
            pairs[k].outer->factor = pairs[k].rest / d;
            if (mp_group_rows_allowed(g) && mp_group_fits(a, cm, g, NULL)) {
                best = d;
                break;
            }
        }
        if (!best) {
            best = 1;
            ok = 0;
        }
        pairs[k].inner->factor = best;
        pairs[k].outer->factor = pairs[k].rest / best;
    }
    return ok;
}

static void auto_spill(const mp_cascade_map *cm, mp_group *g)
{
    const mp_cascade_desc *cd = mp_catalog_find(cm->cascade);
    g->n_spill = 0;
    if (!cd)
        return;
    for (int t = 0; t < cd->n_tensors; t++) {
        if (cd->tensors[t].role != MP_T_FIBRE)
            continue;
        const char *pu = NULL;
        int cross = 0;
        for (int i = 0; i < cd->n_einsums; i++)
            if (!strcmp(cd->einsums[i].out, cd->tensors[t].name))
                pu = mp_cmap_unit_of(cm, cd->einsums[i].name);
        for (int i = 0; pu && i < cd->n_einsums; i++)
            for (int k = 0; cd->einsums[i].in[k]; k++)
                if (!strcmp(cd->einsums[i].in[k], cd->tensors[t].name)) {
                    const char *cu = mp_cmap_unit_of(cm, cd->einsums[i].name);
                    cross |= cu && strcmp(cu, pu);
                }
        if (cross && g->n_spill < MP_MAX_EINSUMS)
            snprintf(g->spill[g->n_spill++], MP_ENAME, "%s", cd->tensors[t].name);
    }
}

/* Would output t leave the array before its reduction completes: does its
 * producer iterate a tile loop (above the PE level) over a rank t lacks? */
static int partial_sums(const mp_cascade_desc *cd, const mp_group *g, const mp_tensor_desc *t)
{
    for (int e = 0; e < cd->n_einsums; e++) {
        if (strcmp(cd->einsums[e].out, t->name))
            continue;
        mp_tensor_desc sp = {.name = cd->einsums[e].name, .role = MP_T_INPUT};
        memcpy(sp.ranks, cd->einsums[e].space, sizeof sp.ranks);
        for (int l = 0; l + 1 < g->n_levels; l++)
            for (int i = 0; i < g->levels[l].n; i++) {
                const mp_loop *lp = &g->levels[l].loops[i];
                if (lp->kind == MP_LOOP_TEMPORAL && lp->factor > 1 && !mp_tensor_uses(t, lp->rank) &&
                    mp_tensor_uses(&sp, lp->rank))
                    return 1;
            }
    }
    return 0;
}

/* bypass candidates: mode 1 the group's DRAM inputs, mode 2 also its
 * outputs (those whose partial sums stay in the array). */
static void auto_bypass(const mp_cascade_map *cm, mp_group *g, int mode)
{
    const mp_cascade_desc *cd = mp_catalog_find(cm->cascade);
    g->n_bypass = 0;
    for (int t = 0; cd && mode && t < cd->n_tensors; t++) {
        const mp_tensor_desc *td = &cd->tensors[t];
        int in = td->role == MP_T_INPUT || td->role == MP_T_WEIGHT;
        if (!in && !(mode == 2 && td->role == MP_T_OUTPUT && !partial_sums(cd, g, td)))
            continue;
        int touched = 0;
        for (int j = 0; j < g->n_einsums; j++) {
            const mp_einsum_desc *d = mp_catalog_einsum(cd, g->einsums[j]);
            touched |= d && mp_einsum_touches(d, td->name);
        }
        if (touched && g->n_bypass < MP_MAX_EINSUMS)
            snprintf(g->bypass[g->n_bypass++], MP_ENAME, "%s", td->name);
    }
}

/* FLAT's own tiling choice (Kao et al., ASPLOS'23 §5; the artifact's
 * flat_validation.csv holds its picks): the rows per tile (the inner factor
 * of the p pair: a whole head when it is all of p) and where the multi-pass
 * fibres live -- in the buffer, in an overbooked buffer whose overflow
 * spills (MP_SPILL_OVERFLOW), or off chip (the fibres that cross units) --
 * -- and, with bypass_auto, whether the group's DRAM inputs (and outputs
 * whose partial sums stay in the array) bypass the buffer -- by least
 * latency, then least energy, then the larger tile.  One group with one
 * auto pair (FLAT's fused group); *saved is the group before fill. */
static int search_fibres(const mp_arch *a, mp_cascade_map *cm, mp_group *g, const mp_group *saved, int bypass_auto,
                         es_err *e)
{
    mp_group best = *saved;
    double best_lat = -1, best_en = 0;
    int nbp = bypass_auto ? 3 : 1; /* bypass: none, inputs, inputs and outputs */
    for (int k = 0; k < 3 * nbp; k++) {
        int mode = k / nbp, bp = k % nbp;
        for (int64_t d = -1;; d--) {
            *g = *saved;
            if (mode == 1)
                snprintf(g->spill[g->n_spill++], MP_ENAME, "%s", MP_SPILL_OVERFLOW);
            if (mode == 2)
                auto_spill(cm, g);
            pair pairs[MP_MAX_LOOPS];
            int np;
            if (fill_simple(cm, g, pairs, &np, e))
                return -1;
            if (np != 1)
                return es_fail(e, "internal: FLAT tiling search needs one auto pair");
            if (d == -1)
                d = pairs[0].rest;
            if (d < 1)
                break;
            if (pairs[0].rest % d)
                continue;
            pairs[0].inner->factor = d;
            pairs[0].outer->factor = pairs[0].rest / d;
            if (bypass_auto) {
                auto_bypass(cm, g, bp);
                if (bp && !g->n_bypass)
                    continue;
            }
            if (!mp_group_rows_allowed(g) || !mp_group_fits(a, cm, g, NULL))
                continue;
            mp_cost c;
            memset(&c, 0, sizeof c);
            c.valid = 1;
            es_err ce;
            if (mp_cost_cascade(a, cm, &c, &ce) || !c.valid)
                continue;
            mp_cost_finish(a, &c);
            double tol = 1e-9 * c.latency_s;
            if (best_lat < 0 || c.latency_s < best_lat - tol ||
                (c.latency_s <= best_lat + tol && c.energy_pj < best_en * (1 - 1e-12))) {
                best = *g;
                best_lat = c.latency_s;
                best_en = c.energy_pj;
            }
        }
    }
    if (best_lat < 0) { /* nothing fits: the smallest tile, reported infeasible by the cost model */
        *g = *saved;
        pair pairs[MP_MAX_LOOPS];
        int np;
        if (fill_simple(cm, g, pairs, &np, e))
            return -1;
        choose_pairs(a, cm, g, pairs, np);
        return 0;
    }
    *g = best;
    return 0;
}

/* The size along a spatial loop's dimension of the units that compute it:
 * the smallest over the group's Einsums whose space has the loop's rank (a
 * tile must fit every unit it runs on); 0 when none does. */
static int64_t spatial_size(const mp_arch *a, const mp_cascade_map *cm, const mp_group *g, const mp_loop *lp)
{
    const mp_cascade_desc *cd = mp_catalog_find(cm->cascade);
    int64_t best = 0;
    for (int j = 0; cd && j < g->n_einsums; j++) {
        const mp_einsum_desc *d = mp_catalog_einsum(cd, g->einsums[j]);
        const char *un = mp_cmap_unit_of(cm, g->einsums[j]);
        const mp_unit *u = un ? mp_arch_unit(a, un) : NULL;
        int uses = 0;
        for (int k = 0; d && d->space[k]; k++)
            uses |= !strcmp(d->space[k], lp->rank);
        if (!u || !uses)
            continue;
        /* a 1D/vector unit spreads every spatial rank over its cols */
        int64_t dim = lp->kind == MP_LOOP_SPATIAL_ROWS && u->kind == MP_UNIT_ARRAY2D ? u->rows : u->cols;
        if (!best || dim < best)
            best = dim;
    }
    return best;
}

/* `unit` spatial factors take the arch's size.  With check_fixed (a
 * template), a fixed spatial factor larger than the units it runs on (one
 * written for a bigger array) is rejected rather than silently folded; a
 * resolved mapping keeps the folding its `auto` factors resolved to. */
static int fill_unit_factors(const mp_arch *a, const mp_cascade_map *cm, mp_group *g, int check_fixed, es_err *e)
{
    for (int l = 0; l < g->n_levels; l++)
        for (int i = 0; i < g->levels[l].n; i++) {
            mp_loop *lp = &g->levels[l].loops[i];
            if (lp->kind == MP_LOOP_TEMPORAL || lp->factor == 0)
                continue;
            int64_t dim = spatial_size(a, cm, g, lp);
            const char *side = lp->kind == MP_LOOP_SPATIAL_ROWS ? "rows" : "cols";
            if (lp->factor == MP_FACTOR_UNIT) {
                if (!dim)
                    return loop_fail(e, lp, "mapping: cascade '%s' group '%s': 'unit' factor of rank %s, but no Einsum "
                                            "of the group over %s is bound to a unit",
                                     cm->label, g->name, lp->rank, lp->rank);
                lp->factor = dim;
            } else if (check_fixed && dim && lp->factor > dim) {
                return loop_fail(e, lp, "mapping: cascade '%s' group '%s': spatial factor %lld of rank %s exceeds the "
                                        "%lld %s of arch '%s' (write 'unit' to take the arch's size)",
                                 cm->label, g->name, (long long)lp->factor, lp->rank, (long long)dim, side, a->name);
            }
        }
    return 0;
}

int mp_resolve_cascade(const mp_arch *a, mp_cascade_map *cm, es_err *e)
{
    for (int gi = 0; gi < cm->n_groups; gi++) {
        mp_group *g = &cm->groups[gi];
        if (fill_unit_factors(a, cm, g, 0, e))
            return -1;
        int spill_auto = g->n_spill == 1 && !strcmp(g->spill[0], "auto");
        if (spill_auto)
            g->n_spill = 0;
        int bypass_auto = g->n_bypass == 1 && !strcmp(g->bypass[0], "auto");
        if (bypass_auto) /* searched with the fibres; else nothing bypasses */
            g->n_bypass = 0;
        mp_group saved = *g;
        pair pairs[MP_MAX_LOOPS];
        int np;
        if (fill_simple(cm, g, pairs, &np, e))
            return -1;
        if (spill_auto && np == 1 && cm->n_groups == 1) {
            if (search_fibres(a, cm, g, &saved, bypass_auto, e))
                return -1;
        } else if (!choose_pairs(a, cm, g, pairs, np) && spill_auto) {
            *g = saved;
            auto_spill(cm, g);
            if (fill_simple(cm, g, pairs, &np, e))
                return -1;
            choose_pairs(a, cm, g, pairs, np);
        }
        if (mp_group_rows_check(cm, g, e))
            return -1;
        if (g->granularity == MP_GRAN_AUTO)
            g->granularity = mp_group_whole_head(g) ? MP_GRAN_HEAD : MP_GRAN_ROW;
    }
    return 0;
}

/* Split count of a split-key decode template: the product of its s factors;
 * an auto s factor takes one key tile per split, up to the columns of the
 * unit BQK is bound to (a power of two: the splits tile that unit's columns
 * evenly), divided by the fixed factors. */
static int64_t split_count(const mp_arch *a, const mp_cascade_map *cm)
{
    int64_t fixed = 1;
    int autos = 0;
    for (int gi = 0; gi < cm->n_groups; gi++)
        for (int l = 0; l < cm->groups[gi].n_levels; l++)
            for (int i = 0; i < cm->groups[gi].levels[l].n; i++) {
                const mp_loop *lp = &cm->groups[gi].levels[l].loops[i];
                if (strcmp(lp->rank, "s"))
                    continue;
                if (lp->factor)
                    fixed *= lp->factor;
                else
                    autos++;
            }
    if (!autos)
        return fixed;
    int64_t m = mp_cmap_keys(cm), m0 = mp_cmap_rank(cm, "m0"), cols = 1;
    const char *u = mp_cmap_unit_of(cm, "BQK");
    for (int k = 0; u && k < a->n_units; k++)
        if (!strcmp(a->units[k].name, u))
            cols = a->units[k].cols;
    int64_t tiles = m0 > 0 ? (m + m0 - 1) / m0 : 1, cap = cols < tiles ? cols : tiles, S = 1;
    while (S * 2 <= cap)
        S *= 2;
    return S / fixed > 1 ? S / fixed * fixed : fixed;
}

/* Label and cascade both match; else a template labelled with the cascade
 * name (a decode template "attention-decode" before the prefill "attention"
 * one); else the label alone (the template then picks the variant). */
static const mp_cascade_map *find_template(const mp_mapping *t, const md_inst *in, char *used)
{
    /* A resolved cascade map (sizes set, e.g. from `einsim map -o`) maps one
     * instance: several with one label (a varlen batch's attentions) are
     * taken in order.  A template (no sizes) serves any number. */
    for (int i = 0; i < t->n_cascades; i++)
        if (t->cascades[i].n_ranks > 0 && !used[i] && !strcmp(t->cascades[i].label, in->name)) {
            used[i] = 1;
            return &t->cascades[i];
        }
    for (int rule = 0; rule < 3; rule++)
        for (int i = 0; i < t->n_cascades; i++) {
            const mp_cascade_map *c = &t->cascades[i];
            int hit = rule == 0   ? !strcmp(c->label, in->name) && !strcmp(c->cascade, in->cascade)
                      : rule == 1 ? !strcmp(c->label, in->cascade)
                                  : !strcmp(c->label, in->name);
            if (!hit || (used[i] && c->n_ranks > 0))
                continue;
            used[i] = 1;
            return c;
        }
    return NULL;
}

static int resolve_all(const mp_arch *a, const mp_mapping *tmpl, const md_workload *w, mp_mapping *out,
                       int *skipped, char *used, es_err *e)
{
    snprintf(out->arch, sizeof out->arch, "%s", tmpl->arch);
    snprintf(out->model, sizeof out->model, "%s", w->model);
    snprintf(out->scope, sizeof out->scope, "%s", md_scope_name(w->scope));
    out->batch = w->batch;
    *skipped = 0;
    if (mp_mapping_reserve(out, w->n_inst, e)) /* at most one map per instance */
        return -1;
    for (int i = 0; i < w->n_inst; i++) {
        const md_inst *in = &w->inst[i];
        const mp_cascade_map *t = find_template(tmpl, in, used);
        int core = mp_cascade_is_core(in->cascade);
        if (!t && !core) { /* norms, residuals, activations: mapped only when the mapping has a template */
            (*skipped)++;
            continue;
        }
        if (!t)
            return es_fail(e, "mapping for arch '%s' has no cascade labelled '%s' or '%s' (needed by the workload)",
                           tmpl->arch, in->name, in->cascade);
        mp_cascade_map *cm = mp_mapping_add(out);
        *cm = *t;
        for (int gi = 0; t->n_ranks == 0 && gi < cm->n_groups; gi++)
            if (fill_unit_factors(a, cm, &cm->groups[gi], 1, e))
                return -1;
        /* the template chooses the cascade variant (FLAT: attention-3pass for
         * any attention); an instance of an equivalent cascade keeps its own
         * name (attention-decode under an attention-1pass template) */
        if (strcmp(t->cascade, in->cascade) && mp_catalog_same(t->cascade, in->cascade))
            snprintf(cm->cascade, sizeof cm->cascade, "%s", in->cascade);
        snprintf(cm->label, sizeof cm->label, "%s", in->name);
        mp_cmap_set_instance(cm, in);
        /* a split-key template maps a decode instance: the mapping sets the
         * split count (an instance that has one, `splits` in a run file,
         * keeps it) */
        if (mp_cascade_is_split_decode(cm->cascade) && mp_cascade_is_decode(in->cascade)) {
            int64_t S = md_inst_rank(in, "s");
            if (S < 1)
                S = split_count(a, cm);
            if (mp_cmap_split_keys(cm, S))
                return es_fail(e, "mapping: cascade '%s': cannot split the keys of '%s' %lld ways", cm->cascade,
                               in->name, (long long)S);
        } else if (mp_cascade_is_split_decode(cm->cascade))
            return es_fail(e, "mapping: cascade '%s' maps decode attention only; instance '%s' is '%s'", cm->cascade,
                           in->name, in->cascade);
        else if (mp_cascade_is_split_decode(in->cascade))
            return es_fail(e, "mapping for arch '%s' has no split-key decode template (a cascade labelled '%s'): "
                              "--splits needs one",
                           tmpl->arch, in->cascade);
        if (!strcmp(in->name, "attention")) {
            out->seq = md_inst_rank(in, "m");
        }
        if (mp_resolve_cascade(a, cm, e))
            return -1;
    }
    if (!out->n_cascades)
        return es_fail(e, "workload has nothing the mapper can map");
    return 0;
}

int mp_resolve(const mp_arch *a, const mp_mapping *tmpl, const md_workload *w, mp_mapping *out, int *skipped,
               es_err *e)
{
    mp_mapping_init(out);
    char *used = es_xcalloc((size_t)tmpl->n_cascades + 1, 1); /* per template: resolved ones map one instance */
    int rc = resolve_all(a, tmpl, w, out, skipped, used, e);
    free(used);
    if (rc)
        mp_mapping_free(out);
    return rc;
}
