/* sim/cli/diff.h: field-by-field comparison of two JSON reports with
 * direction rules and a tolerance (einsim compare --diff, einsim sweep
 * --check; docs/reports.md "Comparing reports").
 *   - every numeric or string leaf is compared; per-Einsum entries are
 *     named by their Einsum (einsums.BQK.cycles), not by index;
 *   - lower is better for latency, cycles, energy and bytes (and
 *     s_per_token); higher for utilization, tokens_per_s and row_hit_rate;
 *   - a numeric change within the relative tolerance is equal; beyond it, a
 *     directed field is an improvement or a regression, any other field a
 *     change (counted as a regression: the reports no longer describe the
 *     same thing);
 *   - simulation.* (wall clock, simulated/fast-forwarded cycles, events)
 *     and the engine's run.steps_issued / run.ops_started are ignored
 *     unless asked for; simulation.wall_s always is. */
#ifndef SIM_CLI_DIFF_H
#define SIM_CLI_DIFF_H

#include <stdio.h>

struct cJSON;

typedef enum { DIFF_REGRESSED = -1, DIFF_IMPROVED = 1, DIFF_CHANGED = 2, DIFF_LABEL = 3 } diff_verdict;

typedef struct diff_row {
    char field[256];
    char a[64], b[64]; /* the values as text ("-" when absent) */
    double rel;        /* (b - a) / |a|, 0 for non-numbers */
    diff_verdict verdict;
} diff_row;

typedef struct diff_result {
    int n, cap;
    diff_row *rows;
    int regressed, improved, changed, labels;
} diff_result;

typedef struct diff_opts {
    double tolerance;   /* relative, per field */
    int simulation;     /* compare simulation.* counters too */
} diff_opts;

/* +1 when higher is better for a field, -1 when lower is, 0 no direction
 * (the rules above, by the field's path, e.g. "latency_s" -> -1). */
int diff_direction(const char *field);
/* A CSV field, quoted when it holds a comma, quote or newline. */
void csv_text(FILE *fp, const char *s);

void diff_reports(const struct cJSON *a, const struct cJSON *b, const diff_opts *o, diff_result *out);
/* Regressions and changes, then improvements, one line each. */
void diff_print(FILE *fp, const diff_result *d);
/* field,a,b,relative_change,verdict rows (with a header when header != 0). */
void diff_csv(FILE *fp, const diff_result *d, const char *label, int header);
void diff_free(diff_result *d);

#endif
