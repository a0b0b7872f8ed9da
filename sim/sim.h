/* sim/sim.h: the simulator room's public entry points (DESIGN §5).
 *
 *   sim_run_mapping  lower a resolved mapping (mapper/mapping.h) onto an
 *                    architecture (mapper/arch.h), run the tile program on
 *                    the event engine (sim/engine) with exact fast-forward,
 *                    and fill a report (sim/report/report.h): cycles,
 *                    latency, busy cycles per unit, DRAM bytes, energy =
 *                    action counts x the arch's energy table.
 *   sim_arch_load    an arch spec, with the kinds of the component registry.
 *   sa_simulate      one GEMM on a systolic array (sim/array/systolic.h).
 *
 * Library code: never prints, never exits; errors come back in es_err
 * ("invalid mapping: ..." names the Einsum and tile). */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include "golden/base/err.h"
#include "mapper/arch.h"
#include "mapper/mapping.h"
#include "sim/array/systolic.h"
#include "sim/report/report.h"

typedef struct sim_run_opts {
    int fast_forward;  /* 1: skip periodic work exactly (default) */
    int functional;    /* 1: tile ops compute values (cascade interpreter, sim/functional) */
    uint64_t func_seed;
    double func_tol;   /* max relative error vs each cascade's golden reference */
    sim_trace *trace;  /* NULL: no trace */
    /* fold-timed 2D arrays (array2d `timing: systolic`): every fold's cycles
     * from this source instead of the C model (einsim run --rtl array2d: the
     * Verilated RTL, sim/array/rtl_link.h); NULL: the C model */
    sa_fold_source fold_source;
    void *fold_ctx;
} sim_run_opts;

/* Load an architecture spec (mapper/arch.h) accepting the kinds of the
 * component registry (sim/comp/comp.h): the loader every tool uses. */
mp_arch *sim_arch_load(const char *name_or_path, es_err *e);
/* Same with --set overrides (mp_arch_load_set). */
mp_arch *sim_arch_load_set(const char *name_or_path, const char *const *sets, int n_sets, es_err *e);
mp_arch *sim_arch_parse(const char *fname, const char *text, es_err *e);

void sim_run_opts_init(sim_run_opts *o);
/* Fills r's cycles, units, dram, energy, einsums and simulation fields (the
 * caller fills arch/model/seq/... labels).  -1 + e on an invalid mapping;
 * in functional mode a mismatch beyond tolerance is also -1. */
int sim_run_mapping(const mp_arch *a, const mp_mapping *m, const sim_run_opts *o, sim_report *r, es_err *e);

#endif
