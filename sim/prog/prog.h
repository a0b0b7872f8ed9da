/* sim/prog/prog.h: the tile program a mapping is lowered to (sim/lower/),
 * and its executor on the event engine with exact fast-forward.
 *
 * A program is a list of groups run one after another.  A group has a loop
 * nest (outer to inner; loop 0 is usually `rep`, the B x H instances) whose
 * iterations are the group's tiles x = 0 .. S-1 (S = product of factors),
 * and a fixed list of ops.  Step s (0 .. S-1+max_stage) issues, for every op
 * with stage g, that op on tile x = s - g when 0 <= x < S and the op is
 * active on x:  every loop in last_mask is at its last iteration (an Einsum
 * whose space lacks that rank runs once its input fibre is complete: AV
 * after the last m1) and every loop in first_mask is at iteration 0 (a
 * tensor fetched only when its tile changes).
 *
 * Ops run on components (sim/comp/comp.h), in order per component.  An op
 * of step k may start when its component is free and every dependency (op
 * j, lag L) of step k-L has completed (a dependency on an op that was not
 * active in that step, or on a step before the group, is met).  At most
 * `window` steps are in flight: step k is issued once step k-window has
 * completed (window 1 = epochs separated by a barrier); a step completes
 * when its non-async ops have.  Async ops (DRAM transfers) are waited for
 * only by the ops that depend on them, and by the end of the group.
 *
 * Fast-forward (DESIGN §5, docs/simulator.md): for a loop level l whose
 * period len_l (product of inner factors) exceeds max_stage, the periods
 * with digit 2 .. f_l-2 issue identical op sequences.  At the start of such
 * a period the executor records a signature of the whole relative state
 * (component queues and busy times, completion times of recent steps,
 * steps in flight, all relative to now); when it equals the previous
 * period's, the system is periodic and the remaining identical periods are
 * skipped exactly: time and op counts advance by (periods x the last
 * period's deltas). */
#ifndef SIM_PROG_H
#define SIM_PROG_H

#include <stdint.h>

#include "golden/base/err.h"

#define SP_MAX_OPS 48
#define SP_MAX_DEPS 12
#define SP_MAX_LOOPS 12
#define SP_MAX_ACT 6
#define SP_MAX_COMPS 16 /* >= MP_MAX_UNITS + the memory */
#define SP_RING 32 /* > max lag + window */
/* distinct reported Einsum names (label.Einsum; decode instances share theirs)
 * and energy actions of one run: bounded by a model layer's structure */
#define SP_MAX_EINSUMS 128
#define SP_MAX_ACTS 64

typedef struct sp_dep {
    int op, lag;
} sp_dep;

typedef struct sp_op {
    char name[24];   /* Einsum or transfer name (trace, messages) */
    int comp;        /* component index */
    int einsum;      /* index into sp_prog.einsum_names, -1 for transfers */
    int stage;       /* works on tile s - stage in step s */
    uint64_t cycles; /* busy cycles on an array unit */
    double bytes_rd, bytes_wr; /* memory transfers */
    double ops;      /* point-ops per tile */
    int n_act;
    int act[SP_MAX_ACT];        /* energy actions (index into sp_prog.act_names) */
    double act_n[SP_MAX_ACT];   /* count per tile */
    uint32_t last_mask, first_mask;
    int async;       /* 1: not part of its step's completion (DRAM transfers:
                        they run ahead/behind the epochs; only dependants wait) */
    int ndep;
    sp_dep dep[SP_MAX_DEPS];
} sp_op;

typedef struct sp_group {
    char name[48];
    int nloops;
    char loop_rank[SP_MAX_LOOPS][16];
    int64_t factor[SP_MAX_LOOPS];
    int nops;
    sp_op ops[SP_MAX_OPS];
    int window;
    int max_stage;
} sp_group;

typedef struct sp_prog {
    int ncomps;
    char comp_names[SP_MAX_COMPS][48];
    int ngroups, cap_groups;
    sp_group **g; /* owned (sp_prog_free): one per mapping group, sized to the workload */
    int neinsums;
    char einsum_names[SP_MAX_EINSUMS][24];
    int einsum_comp[SP_MAX_EINSUMS];
    int einsum_pe_cycles[SP_MAX_EINSUMS]; /* cycles one PE is busy per point op (the arch's op cost) */
    int nacts;
    char act_names[SP_MAX_ACTS][48];
} sp_prog;

typedef struct sp_stats {
    uint64_t cycles, simulated_cycles, ff_cycles, events, steps_issued, ops_started;
    uint64_t comp_busy[SP_MAX_COMPS];
    uint64_t einsum_cycles[SP_MAX_EINSUMS];
    double einsum_ops[SP_MAX_EINSUMS];
    double act[SP_MAX_ACTS];
    double dram_rd, dram_wr;
} sp_stats;

struct sim_comp;
struct sim_trace;
/* Functional-mode callback: op `op` of group g runs on tile x. */
typedef int (*sp_fn_cb)(void *ctx, int g, const sp_op *op, int64_t x, es_err *e);

typedef struct sp_exec_opts {
    int fast_forward;
    struct sim_trace *trace; /* NULL: none */
    sp_fn_cb fn;             /* NULL: timing only */
    void *fn_ctx;
} sp_exec_opts;

int sp_group_add_dep(sp_group *g, int op, int on, int lag);
/* Appends a zeroed group owned by p and returns it. */
sp_group *sp_prog_add_group(sp_prog *p);
/* Frees p's groups; p keeps its components, einsum and action names. */
void sp_prog_free(sp_prog *p);
int64_t sp_group_tiles(const sp_group *g);
/* Run the program; comps[i] serves prog->comp_names[i]. */
int sp_exec(const sp_prog *p, struct sim_comp *const *comps, const sp_exec_opts *o, sp_stats *st, es_err *e);

#endif
