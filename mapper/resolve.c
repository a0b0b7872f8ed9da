/* mapper/resolve.c: mapping templates -> concrete mappings (see resolve.h). */
#include <stdio.h>
#include <string.h>

#include "mapper/catalog.h"
#include "mapper/cost.h"
#include "mapper/resolve.h"

void mp_cmap_set_instance(mp_cascade_map *cm, const md_inst *in)
{
    cm->n_ranks = 0;
    int64_t m = -1, m0 = -1;
    for (int i = 0; i < in->n_ranks && cm->n_ranks < MP_MAX_RANKS; i++) {
        snprintf(cm->ranks[cm->n_ranks].rank, MP_ENAME, "%s", in->ranks[i].name);
        cm->ranks[cm->n_ranks++].size = in->ranks[i].size;
        if (!strcmp(in->ranks[i].name, "m"))
            m = in->ranks[i].size;
        if (!strcmp(in->ranks[i].name, "m0"))
            m0 = in->ranks[i].size;
    }
    if (m > 0 && m0 > 0 && cm->n_ranks < MP_MAX_RANKS) {
        snprintf(cm->ranks[cm->n_ranks].rank, MP_ENAME, "m1");
        cm->ranks[cm->n_ranks++].size = (m + m0 - 1) / m0;
    }
    cm->repeat = in->repeat;
}

static int64_t size_of(const mp_cascade_map *cm, const char *r)
{
    return !strcmp(r, "rep") ? cm->repeat : mp_cmap_rank(cm, r);
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
                return es_fail(e, "mapping: cascade '%s' group '%s': loop over rank '%s', which the workload lacks",
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
                            return es_fail(e, "mapping: cascade '%s' group '%s': rank %s has more than two auto factors",
                                           cm->label, g->name, r);
                        autos[na++] = lp;
                    } else {
                        fixed *= lp->factor;
                    }
                }
            /* a fixed spatial factor larger than the rank (m0 = 256 for a short
             * sequence) is clipped to the rank */
            if (fixed > size || size % fixed) {
                if (na == 0 || fixed > size)
                    return es_fail(e, "mapping: cascade '%s' group '%s': factors of rank %s (%lld) do not divide its size %lld",
                                   cm->label, g->name, r, (long long)fixed, (long long)size);
            }
            int64_t rest = size / fixed;
            if (size % fixed)
                return es_fail(e, "mapping: cascade '%s' group '%s': rank %s of size %lld is not a multiple of %lld",
                               cm->label, g->name, r, (long long)size, (long long)fixed);
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

static int fits(const mp_arch *a, const mp_cascade_map *cm, const mp_group *g)
{
    const mp_store *b = mp_arch_buffer(a);
    return !b || mp_group_footprint(a, cm, g) <= (double)b->capacity_bytes;
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
            if (fits(a, cm, g)) {
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

int mp_resolve_cascade(const mp_arch *a, mp_cascade_map *cm, es_err *e)
{
    for (int gi = 0; gi < cm->n_groups; gi++) {
        mp_group *g = &cm->groups[gi];
        int spill_auto = g->n_spill == 1 && !strcmp(g->spill[0], "auto");
        if (spill_auto)
            g->n_spill = 0;
        mp_group saved = *g;
        pair pairs[MP_MAX_LOOPS];
        int np;
        if (fill_simple(cm, g, pairs, &np, e))
            return -1;
        if (!choose_pairs(a, cm, g, pairs, np) && spill_auto) {
            *g = saved;
            auto_spill(cm, g);
            if (fill_simple(cm, g, pairs, &np, e))
                return -1;
            choose_pairs(a, cm, g, pairs, np);
        }
        if (!strcmp(g->granularity, "auto")) {
            int64_t pd = g->n_levels ? mp_level_factor(&g->levels[0], "p") : 1;
            snprintf(g->granularity, sizeof g->granularity, "%s", pd == 1 ? "head" : "row");
        }
    }
    return 0;
}

static const mp_cascade_map *find_template(const mp_mapping *t, const md_inst *in)
{
    for (int i = 0; i < t->n_cascades; i++)
        if (!strcmp(t->cascades[i].label, in->name))
            return &t->cascades[i];
    for (int i = 0; i < t->n_cascades; i++)
        if (!strcmp(t->cascades[i].label, in->cascade))
            return &t->cascades[i];
    return NULL;
}

int mp_resolve(const mp_arch *a, const mp_mapping *tmpl, const md_workload *w, mp_mapping *out, int *skipped,
               es_err *e)
{
    memset(out, 0, sizeof *out);
    snprintf(out->arch, sizeof out->arch, "%s", tmpl->arch);
    snprintf(out->model, sizeof out->model, "%s", w->model);
    snprintf(out->scope, sizeof out->scope, "%s", md_scope_name(w->scope));
    out->batch = w->batch;
    *skipped = 0;
    for (int i = 0; i < w->n_inst; i++) {
        const md_inst *in = &w->inst[i];
        if (strcmp(in->cascade, "linear") && strncmp(in->cascade, "attention", 9)) {
            (*skipped)++;
            continue;
        }
        const mp_cascade_map *t = find_template(tmpl, in);
        if (!t)
            return es_fail(e, "mapping for arch '%s' has no cascade labelled '%s' or '%s' (needed by the workload)",
                           tmpl->arch, in->name, in->cascade);
        if (out->n_cascades >= MP_MAX_CASCADES)
            return es_fail(e, "workload has more than %d mapped cascades", MP_MAX_CASCADES);
        mp_cascade_map *cm = &out->cascades[out->n_cascades++];
        *cm = *t;
        snprintf(cm->label, sizeof cm->label, "%s", in->name);
        mp_cmap_set_instance(cm, in);
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
