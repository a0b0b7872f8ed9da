/* sim/cli/sweep.h: sweep files and their points (einsim sweep; the format
 * is in docs/sweep.md).  A sweep is a base run (`run:`), a grid of values
 * per key (cross product; `zip:` groups keys that vary together), an
 * optional seeded sample of that grid, and a mapping mode.  Keys are einsim
 * run options by their CLI names, or `set.<arch key path>` (an override).
 *
 * Everything is checked when the file is read, before any point runs:
 * unknown keys, an empty grid, zips of unequal lengths, values of the wrong
 * type, unknown archs or models, overrides the arch rejects -- each a
 * located one-line error (file:line:col).  A point's id is a hash of its
 * settings, so it names the same point when the file is reordered or
 * extended, and finished points are found again on a rerun. */
#ifndef SIM_CLI_SWEEP_H
#define SIM_CLI_SWEEP_H

#include <stdint.h>

#include "golden/base/err.h"
#include "mapper/search.h"
#include "sim/report/report.h"

#define SW_MAX_KEYS 24
#define SW_VAL 256

typedef struct sw_key {
    char name[128];     /* "seq", "set.units.array2d.rows" */
    int n;              /* values (1 for run: keys) */
    char (*vals)[SW_VAL];
    int axis;           /* grid axis (zip groups share one); -1 for run: keys */
} sw_key;

typedef struct sw_spec {
    char file[512];
    char name[128];
    int n_keys;
    sw_key keys[SW_MAX_KEYS]; /* run: keys first, then grid keys in file order */
    int n_grid_keys;
    int n_axes;
    int64_t axis_len[SW_MAX_KEYS];
    int64_t n_points;         /* after sampling */
    int64_t *pick;            /* grid index of each point (sampled, ascending); NULL = all */
    int search;               /* mapping: search */
    int check_mapping;        /* sw_load's argument */
    char mapping[1024];       /* mapping: FILE (resolved against the sweep file's folder); "" = bundled */
    char mapping_as_written[1024]; /* what the id hashes, so a copy of the file elsewhere names the same points */
    mp_search_opts so;
} sw_spec;

/* Read and check a sweep file.  -1 with a located message in e.
 * check_mapping: also load a `mapping: FILE` (off for --collect, which reads
 * the copy in the output folder and runs nothing). */
int sw_load(const char *path, int check_mapping, sw_spec *s, es_err *e);
void sw_free(sw_spec *s);

/* The value of key k at point i. */
const char *sw_value(const sw_spec *s, int64_t i, int k);
/* The point's id: 16 hex digits of a hash of its key=value settings. */
void sw_point_id(const sw_spec *s, int64_t i, char out[17]);
/* One-line description of a point's grid settings ("seq=4096 set.x=1"). */
void sw_point_desc(const sw_spec *s, int64_t i, char *out, size_t n);

/* einsim sweep's parts (cmd_sweep.c, sweep_dist.c): DIR/results.csv from
 * the finished points (returns how many are missing); the Pareto column and
 * plot; the points over GNU parallel or a Slurm job array. */
int64_t sweep_collect(const sw_spec *s, const char *dir);
int sweep_pareto(const char *axes, const char *dir);
int sweep_distribute(const char *sweep_file, const sw_spec *s, const char *dir, const char *hosts, int slurm,
                     int64_t chunks, const char *const *sets, int n_sets);

#endif
