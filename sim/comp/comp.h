/* sim/comp/comp.h: the component interface.  Every unit a tile program runs
 * on (2D array, 1D array, vector unit, off-chip memory, link) is a sim_comp
 * with an ops struct; the executor (sim/prog/exec.c) keeps its in-order
 * queue and asks the ops how long one tile op keeps it busy.
 *
 * Contract: `service` is called when the op starts, at cycle `now`, and
 * returns the busy cycles (>= 1); it must be a pure function of the op and
 * the component's own state, and any state it keeps must be written into
 * the fast-forward signature by `sig` (relative to now) and moved by
 * `shift`, or fast-forward would not be exact.  Time unit: chip cycles. */
#ifndef SIM_COMP_H
#define SIM_COMP_H

#include <stdint.h>

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
} sim_comp_ops;

struct sim_comp {
    const sim_comp_ops *ops;
    char name[48];
    /* model parameters (kind-specific) */
    double bytes_per_cycle; /* memory / link */
    uint64_t latency;       /* link */
};

extern const sim_comp_ops sim_array_ops; /* sim/comp/array.c: 2D/1D arrays, vector units */
extern const sim_comp_ops sim_membw_ops; /* sim/mem/membw.c: off-chip memory, bandwidth model */
extern const sim_comp_ops sim_link_ops;   /* sim/link/link.c: latency + bytes/cycle */

/* Cycles to move `bytes` at bytes_per_cycle (ceil, at least 1 for bytes>0). */
uint64_t sim_xfer_cycles(double bytes, double bytes_per_cycle);

#endif
