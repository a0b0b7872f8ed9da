/* sim/comp/comp.h: the component interface and registry.  Every unit a tile
 * program runs on (2D array, 1D array, vector unit, off-chip memory, link)
 * is a sim_comp with an ops struct; the executor (sim/prog/exec.c) keeps its
 * in-order queue and asks the ops how long one tile op keeps it busy.
 *
 * Registry: a component model is found by the `kind` its arch record names.
 * Each model file defines an mp_kind entry (mapper/arch.h: the kind name, the
 * analytical class the mapper costs it as, its own spec keys and their
 * parser, and `impl` = its sim_comp_ops) and sim/comp/registry.c lists it in
 * the table of its interface (units, memories, links).  Those tables are
 * the kinds an arch spec accepts: load archs with sim_arch_load (sim/sim.h).
 * docs/simulator.md, "How to add a component".
 *
 * Contract: `service` is called when the op starts, at cycle `now`, and
 * returns the busy cycles (>= 1); it must be a pure function of the op and
 * the component's own state, and any state it keeps must be written into
 * the fast-forward signature by `sig` (relative to now) and moved by
 * `shift`, or fast-forward would not be exact.  Time unit: chip cycles. */
#ifndef SIM_COMP_H
#define SIM_COMP_H

#include <stdint.h>

#include "golden/base/err.h"
#include "mapper/arch.h"
#include "sim/array/systolic.h"
#include "sim/prog/prog.h"

typedef struct sim_comp sim_comp;

typedef struct sim_sig {
    int64_t *v;
    int n, cap;
} sim_sig;
void sim_sig_push(sim_sig *s, int64_t x);

typedef struct sim_comp_ops {
    const char *kind;
    uint64_t (*service)(sim_comp *c, const sp_op *op, uint64_t now);
    void (*sig)(const sim_comp *c, uint64_t now, sim_sig *s); /* NULL: stateless */
    void (*shift)(sim_comp *c, uint64_t dt);                  /* NULL: stateless */
    /* Sets the model's parameters from the arch record it models (mp_unit *,
     * mp_mem * or mp_link *, its kind's params included); may allocate
     * `state`.  NULL: nothing to set. */
    int (*bind)(sim_comp *c, const mp_arch *a, const void *rec, es_err *e);
    void (*release)(sim_comp *c); /* frees `state`; NULL: none */
} sim_comp_ops;

struct sim_comp {
    const sim_comp_ops *ops;
    char name[48];
    /* model parameters (kind-specific) */
    double bytes_per_cycle; /* memory / link */
    uint64_t latency;       /* link */
    void *state;            /* a model's own (bind / release) */
};

extern const sim_comp_ops sim_array_ops; /* sim/comp/array.c: 2D/1D arrays, vector units */
extern const sim_comp_ops sim_membw_ops; /* sim/mem/membw.c: off-chip memory, bandwidth model */
extern const sim_comp_ops sim_dram_ops;  /* sim/dram/memdev.c: off-chip memory, command-level DRAM */
extern const sim_comp_ops sim_link_ops;   /* sim/link/link.c: latency + bytes/cycle */

/* Registry entries (one per kind; listed in sim/comp/registry.c). */
extern const mp_kind sim_array2d_kind, sim_array1d_kind, sim_vector_kind; /* sim/comp/array.c */
extern const mp_kind sim_pim_banks_kind, sim_vector_asic_kind;           /* sim/pim/arch.c */
extern const mp_kind sim_membw_kind;                                      /* sim/mem/membw.c */
extern const mp_kind sim_dram_kind;                                       /* sim/dram/memdev.c */
extern const mp_kind sim_p2p_link_kind;                                   /* sim/link/link.c */

/* The registry: every kind an arch spec may name, per interface. */
extern const mp_arch_kinds sim_arch_kinds;

/* Makes c the model of the arch record `rec` (mp_unit *, mp_mem * or
 * mp_link *) whose kind entry is `def`: c->ops = def's sim_comp_ops, then
 * its bind.  -1 + e when the record has no kind (an arch not loaded through
 * sim_arch_kinds) or bind fails. */
int sim_comp_bind(sim_comp *c, const char *name, const mp_kind *def, const mp_arch *a, const void *rec, es_err *e);
/* Frees what bind allocated (ops->release); c may be unbound. */
void sim_comp_release(sim_comp *c);

/* Busy cycles of one tile op on a fold-timed 2D array (array2d `timing:
 * systolic`): with src NULL the unit's C model (u->fold_tile_cycles, the
 * native closed form), else every fold simulated with its cycles from src
 * (einsim run --rtl array2d: the Verilated RTL).  0 + e on error. */
uint64_t sim_fold_tile_cycles(const mp_unit *u, const mp_fold_tile *t, sa_fold_source src, void *ctx, es_err *e);

/* Cycles to move `bytes` at bytes_per_cycle (ceil, at least 1 for bytes>0). */
uint64_t sim_xfer_cycles(double bytes, double bytes_per_cycle);

#endif
