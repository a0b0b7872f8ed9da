/* sim/cli/point.h: one simulation point -- what `einsim run` does, as a
 * function that returns errors instead of exiting, so `einsim sweep` runs
 * many points on threads of one process.  A point owns everything it loads
 * (arch with its overrides, model, workload, mapping); nothing is shared
 * between points but read-only inputs, and the mapper's catalogue is cached
 * per thread (mapper/catalog.h). */
#ifndef SIM_CLI_POINT_H
#define SIM_CLI_POINT_H

#include "mapper/search.h"
#include "runopts.h"
#include "sim/report/report.h"
#include "sim/sim.h"

typedef struct cli_point {
    const char *arch, *model; /* bundled names or paths */
    const char *mapping;      /* a mapping file or bundled name; NULL: the arch's bundled mapping */
    int search;               /* 1: a searched mapping (never slower than the bundled one) */
    mp_search_opts so;
    int n_sets;
    const char *sets[SIM_REP_SETS]; /* arch overrides "KEY.PATH=VALUE" */
    const cli_run *run;
    int heads; /* > 0: overrides the model's head count (functional runs) */
    int check; /* PIM archs: record the command stream and replay it through dr_check */
} cli_point;

/* A searched mapping for w (mp_search), with the bundled mapping's norm,
 * residual and activation templates added; the bundled mapping itself when
 * it is valid and better by the objective.  *m is overwritten. */
int cli_point_searched_mapping(const mp_arch *a, const md_workload *w, const mp_search_opts *so, mp_mapping *m,
                               es_err *e);

/* Simulate the point into r (initialised here; labels, overrides and
 * figures filled).  ro: the simulator's options (NULL: defaults).  Returns
 * 0, or -1 with e set: r holds a full report only when the simulation ran
 * and only its functional check failed (r->functional set). */
int cli_point_run(const cli_point *p, const sim_run_opts *ro, sim_report *r, es_err *e);

#endif
