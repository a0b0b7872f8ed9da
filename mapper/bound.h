/* mapper/bound.h: one group of a resolved mapping with every name bound to
 * an index and checked once, so the simulator's lowering (sim/lower/) reads
 * fields instead of asking the mapper by name.
 *
 * mp_bind_group binds group g of cascade map c (resolved: no `auto` left) on
 * arch a:
 *   einsums  in issue order (interleaved: phase, then slot order within it;
 *            the other schedules: group order), each with its catalogue
 *            index, arch unit, op cost and register file (checked: the
 *            Einsum exists, is bound, its unit exists and supports its
 *            op), phase, lag and the loops over its space;
 *   loops    the tile loops: every loop above the PE level with factor > 1,
 *            outer to inner, plus `rep` first when the mapping's rep loops
 *            cover only part of the repeat instances; rows / cols: the
 *            PE-level spatial loops;
 *   ranks    every rank name of the cascade's tensors and spaces (and the
 *            rows / cols ranks) with its tile extent (its size over the
 *            factors of the tile loops over it), its whole size, and the
 *            product of the non-rep tile loops over it;
 *   tensors  per catalogue tensor: the loops over its ranks, elements per
 *            tile, whole (over all instances), padded to whole tiles and
 *            real, and the group's treatment of it (spill, kept on chip,
 *            bypass on read / write, used by other groups).
 * Loop sets are bit masks over the tile loops (bit l = loop l).
 *
 * Conventions (as the cost model's): a rank matches a loop when the names
 * are equal or one is the unsplit parent of the other ("m" covers the
 * loops m1 and m0; m1 and m0 are different ranks); `rep` is a rank of
 * every tensor except weights.  Errors: "invalid mapping: ..." naming the
 * group and Einsum. */
#ifndef MP_BOUND_H
#define MP_BOUND_H

#include <stdint.h>

#include "golden/base/err.h"
#include "mapper/arch.h"
#include "mapper/catalog.h"
#include "mapper/mapping.h"

#define MP_BOUND_LOOPS 31 /* tile loops (bit masks of 32 bits) */
#define MP_BOUND_RANKS ((MP_CAT_MAX_T + MP_CAT_MAX_E) * (MP_CAT_RANKS - 1) + 2)

typedef struct mp_bound_loop {
    char rank[MP_ENAME], base[MP_ENAME];
    int64_t f;
    int dram; /* at the off-chip level */
    int rep;  /* over the repeat instances (base "rep") */
} mp_bound_loop;

typedef struct mp_bound_rank {
    char name[MP_ENAME];
    int64_t ext;    /* tile extent */
    int64_t size;   /* whole size */
    int64_t tile_f; /* product of the non-rep tile loops over it */
} mp_bound_rank;

typedef struct mp_bound_einsum {
    int cat; /* catalogue index */
    const mp_einsum_desc *d;
    int unit; /* arch unit index */
    const mp_unit *u;
    const mp_op_cost *oc;
    const mp_store *regfile; /* its unit's register file, NULL */
    int phase, lag;     /* interleaved; 0 otherwise */
    int outside_inner;  /* mp_einsum_outside_inner */
    uint32_t space;     /* loops over ranks of its space */
    int n_space;        /* distinct space ranks ... */
    int space_rank[MP_CAT_RANKS]; /* ... as rank indices */
    int rows_in, cols_in; /* the rows / cols loop is over a rank of its space */
    double real_points;   /* mp_einsum_real_points */
} mp_bound_einsum;

typedef struct mp_bound_tensor {
    uint32_t rel;        /* loops over its ranks (`rep` for all but weights) */
    double tile_elems, full_elems, padded_elems, real_elems;
    int rows_in, cols_in; /* the rows / cols loop is over one of its ranks */
    int produced_here;   /* an Einsum of the group writes it */
    int produced_elsewhere, read_elsewhere; /* by another group of the cascade */
    int kept;            /* kept on chip (here, or by its producer group) */
    int spill;           /* in the group's spill list */
    int bypass_rd, bypass_wr; /* mp_group_bypasses */
} mp_bound_tensor;

typedef struct mp_bound_group {
    const mp_arch *a;
    const mp_cascade_map *c;
    const mp_group *g;
    const mp_cascade_desc *cd;
    const mp_cat_index *ix;
    int ne;
    mp_bound_einsum e[MP_MAX_EINSUMS];
    int nl;
    mp_bound_loop l[MP_BOUND_LOOPS];
    const mp_store *buffer;     /* the global buffer (mp_arch_buffer) */
    const mp_loop *rows, *cols; /* PE-level spatial loops (NULL: none) */
    int rows_rank, cols_rank;   /* their rank indices, -1 */
    int n_ranks;
    mp_bound_rank ranks[MP_BOUND_RANKS];
    mp_bound_tensor t[MP_CAT_MAX_T]; /* by catalogue index */
} mp_bound_group;

/* Bind group g of c on a (b: caller-allocated).  0, or -1 + e. */
int mp_bind_group(const mp_arch *a, const mp_cascade_map *c, const mp_group *g, mp_bound_group *b, es_err *e);

#endif
