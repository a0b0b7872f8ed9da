/* sim/cli/sweep_dist.c: a sweep beyond one machine (--hosts: GNU parallel,
 * --slurm: a Slurm job array) and its Pareto fronts (--pareto).  Points go
 * to existing engines only; each engine task runs `einsim sweep --chunk
 * I/K`, which writes its points atomically, so retries and kills never
 * corrupt or duplicate a point (docs/sweep.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/err.h"
#include "golden/base/io.h"
#include "sweep.h"

int sweep_pareto(const char *axes, const char *dir);
int sweep_distribute(const char *sweep_file, const sw_spec *s, const char *dir, const char *hosts, int slurm,
                     int64_t chunks, const char *const *sets, int n_sets);

int sweep_pareto(const char *axes, const char *dir)
{
    (void)axes;
    (void)dir;
    es_fatal(ES_EXIT_BADINPUT, "sweep --pareto: not implemented yet");
}

int sweep_distribute(const char *sweep_file, const sw_spec *s, const char *dir, const char *hosts, int slurm,
                     int64_t chunks, const char *const *sets, int n_sets)
{
    (void)sweep_file, (void)s, (void)dir, (void)hosts, (void)slurm, (void)chunks, (void)sets, (void)n_sets;
    es_fatal(ES_EXIT_BADINPUT, "sweep --hosts/--slurm: not implemented yet");
}
