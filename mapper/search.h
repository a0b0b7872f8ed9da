/* mapper/search.h: mapping search (mapspace in docs/mapper.md).
 *
 * Per cascade instance of the workload, a candidate is a vector of choices
 * (genes): cascade variant (1-pass or 3-pass attention, constrained by the
 * pass analysis: a 3-pass cascade keeps whole key fibres live, a 1-pass one
 * only tiles), the unit of every Einsum (only units that have its op),
 * fusion groups (contiguous splits of the Einsum list), schedule, spatial
 * p factor, buffer tile factor (P1), DRAM loop order and spilling.  When
 * the mapspace of an instance has at most `budget` points it is enumerated
 * exhaustively (candidates that cannot fit the buffer are pruned before
 * costing); otherwise `budget` candidates are drawn: seeded random samples
 * (a quarter) then local search (one gene changed at a time from the best).
 * Deterministic for a seed.  Instances are independent: latency and energy
 * add over them (EDP is minimized per instance, an approximation). */
#ifndef MP_SEARCH_H
#define MP_SEARCH_H

#include <stdint.h>

#include "mapper/arch.h"
#include "mapper/cost.h"
#include "mapper/mapping.h"
#include "models/models.h"

typedef enum { MP_OBJ_LATENCY, MP_OBJ_ENERGY, MP_OBJ_EDP } mp_objective;

typedef struct mp_search_opts {
    mp_objective objective;
    int64_t budget; /* candidates per cascade instance */
    uint64_t seed;
} mp_search_opts;

typedef struct mp_search_stats {
    int64_t evaluated;  /* candidates costed */
    int64_t pruned;     /* rejected before costing (capacity, divisibility) */
    int64_t valid;
    int exhaustive;     /* every instance enumerated fully */
    double wall_s;
    double per_s;       /* evaluated / wall_s */
} mp_search_stats;

int mp_objective_parse(const char *s, mp_objective *o);
const char *mp_objective_name(mp_objective o);
double mp_objective_value(mp_objective o, const mp_cost *c);

/* *best is overwritten (pass an empty mapping); on success it owns its
 * cascade array (mp_mapping_free), on failure it is left empty. */
int mp_search(const mp_arch *a, const md_workload *w, const mp_search_opts *o, mp_mapping *best, mp_cost *best_cost,
              mp_search_stats *st, es_err *e);

#endif
