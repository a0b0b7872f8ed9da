/* sim/pim/map.c: search of PIM mappings (einsim map on a PIM arch).  The
 * mapspace is small (2^4 choices, pim_mapping), so the search is
 * exhaustive, each point costed by the command-level simulation itself
 * (pim_decode), not a model of it. */
#include <string.h>

#include "sim/pim/pim.h"

static double objective(int obj, const pim_result *r)
{
    double s = r->seconds / (double)r->tokens, pj = r->energy_pj / (double)r->tokens;
    return obj == 1 ? pj : obj == 2 ? s * pj : s;
}

int pim_map_search(const pim_arch *a, const md_model *m, const pim_opts *o, int obj, pim_map_point *pts, int *best,
                   es_err *e)
{
    *best = -1;
    for (int i = 0; i < PIM_MAP_POINTS; i++) {
        pim_map_point *p = &pts[i];
        p->m = (pim_mapping){i & 1, (i >> 1) & 1, (i >> 2) & 1, (i >> 3) & 1};
        pim_opts q = *o;
        q.mapping = &p->m;
        q.record = 0;
        pim_result r;
        if (pim_decode(a, m, &q, &r, e))
            return -1;
        p->s_per_token = r.seconds / (double)r.tokens;
        p->pj_per_token = r.energy_pj / (double)r.tokens;
        p->row_hit_rate = r.row_hit_rate;
        p->objective = objective(obj, &r);
        if (*best < 0 || p->objective < pts[*best].objective)
            *best = i;
    }
    return 0;
}

int pim_mapping_index(const pim_mapping *m)
{
    return (m->split_k ? 1 : 0) | (m->pack_rows ? 2 : 0) | (m->kv_in_pim ? 4 : 0) | (m->overlap ? 8 : 0);
}

int pim_mapping_distance(const pim_mapping *x, const pim_mapping *y)
{
    return (!x->split_k != !y->split_k) + (!x->pack_rows != !y->pack_rows) + (!x->kv_in_pim != !y->kv_in_pim) +
           (!x->overlap != !y->overlap);
}
