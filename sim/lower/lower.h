/* sim/lower/lower.h: lowering of a resolved mapping (mapper/mapping.h) onto
 * an architecture (mapper/arch.h) into a tile program (sim/prog/prog.h).
 *
 * Per group: the loops above the PE level (plus `rep`, the repeat instances,
 * outermost) are the tile loops; each Einsum becomes one op per tile whose
 * busy time is ceil(tile points / PEs it spans) x the unit's op cycles (+ the
 * unit's fill_cycles per tile under SEQUENTIAL); tensors crossing the DRAM
 * boundary become transfer ops on the memory component.  Conventions in
 * docs/simulator.md.  Each group is first bound by the mapper
 * (mapper/bound.h: names to indices; unknown unit, unit lacking the
 * Einsum's op); the lowering checks buffer overflow and dependency
 * violations (interleaved epochs: a consumer scheduled before its producer,
 * or a loop-carried value needed before the previous iteration wrote it) --
 * each an error naming the Einsum and tile. */
#ifndef SIM_LOWER_H
#define SIM_LOWER_H

#include "golden/base/err.h"
#include "mapper/account.h"
#include "mapper/arch.h"
#include "mapper/mapping.h"
#include "sim/comp/comp.h"
#include "sim/prog/prog.h"

typedef struct sim_lowered {
    sp_prog prog;
    sim_comp comps[SP_MAX_COMPS];
    sim_comp *comp_ptr[SP_MAX_COMPS];
    int mem_comp;
    int unit_comp[MP_MAX_UNITS];         /* component index + 1 of each arch unit, 0: none yet */
    double act_pj[SP_MAX_ACTS];          /* energy per action */
    char act_component[SP_MAX_ACTS][48]; /* energy_breakdown component of each action */
    mp_acct_class act_cls[SP_MAX_ACTS];  /* how its raw count becomes actions (mapper/account.h) */
    char overflow[200];          /* first structural cap a lowering hit ("" if none) */
    /* the storage format each reported Einsum (prog.einsum_names) ran with:
     * its weights' format (mp_cascade_map.weight_format) when it reads a
     * weight tensor stored in one, else the arch's number_format */
    char einsum_format[SP_MAX_EINSUMS][32];
    char einsum_sparsity[SP_MAX_EINSUMS][48]; /* the --sparsity form when it ran on sparse MACs, else "dense" */
    sa_fold_source fold_src; /* folds of fold-timed arrays (sim_lower's src), NULL: the C model */
    void *fold_ctx;
} sim_lowered;

/* lw is caller-allocated; its program's groups are heap-allocated, one per
 * mapping group, as many as the workload has (sim_lower_free releases them,
 * also after a failed sim_lower).  The caps that remain are structural (ops
 * and dependencies of one group, components = arch units + memory, energy
 * actions, distinct reported Einsum names); hitting one is an error naming
 * it. */
/* src (NULL: the C model): where the folds of a fold-timed 2D array's tile
 * ops (array2d `timing: systolic`) take their cycles from, with src_ctx
 * (einsim run --rtl array2d: sim/array/rtl_link.h). */
int sim_lower(const mp_arch *a, const mp_mapping *m, sa_fold_source src, void *src_ctx, sim_lowered *lw, es_err *e);
void sim_lower_free(sim_lowered *lw);

#endif
