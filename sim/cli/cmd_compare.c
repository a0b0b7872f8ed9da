/* einsim compare: side-by-side table of JSON reports (einsim run/gemm
 * --json).  Rows are the report's figures, columns the reports; a ratio
 * column per report relative to the first one. */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/err.h"
#include "golden/base/io.h"
#include "golden/base/json.h"
#include "cli.h"
#include "diff.h"

static const char usage[] =
    "usage: einsim compare [--diff [--tolerance X] [--simulation] [--csv F]] REPORT.json REPORT.json ...\n"
    "  Side-by-side table of JSON reports (einsim run --json / einsim gemm --json):\n"
    "  cycles, latency, energy, unit utilizations, DRAM bytes, energy breakdown,\n"
    "  simulation figures; each column after the first also gives its ratio to the first.\n"
    "  --diff  instead list every field that differs from the first report's, per\n"
    "          Einsum by name: regressions and changes, then improvements.  Lower is\n"
    "          better for latency, cycles, energy and bytes, higher for utilization.\n"
    "          Exit 1 when a field regressed or changed beyond the tolerance, else 0\n"
    "          (a regression check: docs/reports.md).\n"
    "  --tolerance X   relative, per field (default 0; 0.01 = 1%%)\n"
    "  --simulation    also compare simulation.* counters (wall clock never)\n"
    "  --csv F         write the differences as CSV (report,field,a,b,relative_change,verdict)\n";

#define MAXR 16

static double num(const cJSON *o, const char *a, const char *b, const char *c, int *ok)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (x && b)
        x = cJSON_GetObjectItemCaseSensitive(x, b);
    if (x && c)
        x = cJSON_GetObjectItemCaseSensitive(x, c);
    *ok = cJSON_IsNumber(x);
    return *ok ? x->valuedouble : 0;
}

static void row(cJSON **r, int n, const char *label, const char *a, const char *b, const char *c)
{
    double v[MAXR];
    int ok[MAXR], any = 0;
    for (int i = 0; i < n; i++)
        v[i] = num(r[i], a, b, c, &ok[i]), any |= ok[i];
    if (!any)
        return;
    printf("%-34s", label);
    for (int i = 0; i < n; i++) {
        if (!ok[i])
            printf(" %14s %8s", "-", "");
        else if (i && ok[0] && v[0] != 0)
            printf(" %14.6g %7.3fx", v[i], v[i] / v[0]);
        else
            printf(" %14.6g %8s", v[i], "");
    }
    putchar('\n');
}

/* Schema check of what the table reads, so a hand-edited or foreign JSON
 * gets one line naming the key instead of a silently wrong table. */
static void check_report(const char *file, const cJSON *r)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(r, "cycles");
    if (!c)
        es_fatal(ES_EXIT_BADINPUT, "%s: not an einsim report (no 'cycles' key)", file);
    if (!cJSON_IsNumber(c))
        es_fatal(ES_EXIT_BADINPUT, "%s: key 'cycles': expected a number", file);
    static const char *const objs[] = {"units", "dram", "energy_breakdown_pj", "simulation"};
    for (size_t k = 0; k < sizeof objs / sizeof *objs; k++) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(r, objs[k]);
        if (!o)
            continue;
        if (!cJSON_IsObject(o))
            es_fatal(ES_EXIT_BADINPUT, "%s: key '%s': expected an object", file, objs[k]);
        for (const cJSON *x = o->child; x; x = x->next) {
            if (strlen(x->string) >= 64)
                es_fatal(ES_EXIT_BADINPUT, "%s: key '%s.%.20s...': expected a name of at most 63 bytes", file,
                         objs[k], x->string);
            if (k == 0 ? !cJSON_IsObject(x) : !cJSON_IsNumber(x))
                es_fatal(ES_EXIT_BADINPUT, "%s: key '%s.%s': expected %s", file, objs[k], x->string,
                         k == 0 ? "an object" : "a number");
        }
    }
}

/* Keys of object `key` over all reports, in first-seen order. */
static int keys_of(cJSON **r, int n, const char *key, char names[][64], int max)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(r[i], key);
        for (const cJSON *c = o ? o->child : NULL; c; c = c->next) {
            int dup = 0;
            for (int j = 0; j < k; j++)
                dup |= !strcmp(names[j], c->string);
            if (!dup && k < max)
                snprintf(names[k++], 64, "%s", c->string);
        }
    }
    return k;
}

int cmd_compare(int argc, char **argv)
{
    cli_opt o[] = {{"diff", 0, 0}, {"tolerance", 1, 0}, {"simulation", 0, 0}, {"csv", 1, 0}, {NULL, 0, 0}};
    const char *pos[MAXR];
    int n = cli_parse(argc, argv, 1, o, pos, MAXR, "compare", usage);
    if (n < 1)
        es_fatal(ES_EXIT_BADINPUT, "compare: expected at least one report (see 'einsim compare --help')");
    cJSON *r[MAXR];
    for (int i = 0; i < n; i++) {
        es_err e;
        r[i] = es_json_load(pos[i], &e);
        if (!r[i])
            es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
        if (!cJSON_IsObject(r[i]))
            es_fatal(ES_EXIT_BADINPUT, "%s: not a JSON report (expected an object)", pos[i]);
        check_report(pos[i], r[i]);
    }
    /* after reading, so a single bad report is named as such */
    if (n < 2)
        es_fatal(ES_EXIT_BADINPUT, "compare: expected at least two reports, got one (see 'einsim compare --help')");
    if (!cli_flag(o, "diff") && (cli_get(o, "tolerance") || cli_get(o, "simulation") || cli_get(o, "csv")))
        es_fatal(ES_EXIT_BADINPUT, "compare: --tolerance, --simulation and --csv go with --diff");
    if (cli_flag(o, "diff")) {
        if (n < 2)
            es_fatal(ES_EXIT_BADINPUT, "compare --diff: expected at least two reports");
        diff_opts dopt = {cli_double(o, "tolerance", 0), cli_flag(o, "simulation")};
        if (dopt.tolerance < 0)
            es_fatal(ES_EXIT_BADINPUT, "--tolerance: expected a relative tolerance >= 0 (0.01 = 1%%), got '%s'",
                     cli_get(o, "tolerance"));
        es_out co;
        es_err e;
        if (cli_get(o, "csv") && es_out_open(&co, cli_get(o, "csv"), &e))
            es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
        int bad = 0;
        for (int i = 1; i < n; i++) {
            diff_result d;
            diff_reports(r[0], r[i], &dopt, &d);
            printf("%s vs %s: %d regressed, %d changed, %d improved, %d labels differ (tolerance %g%s)\n",
                   pos[0], pos[i], d.regressed, d.changed, d.improved, d.labels, dopt.tolerance,
                   dopt.simulation ? "" : "; simulation.* ignored");
            diff_print(stdout, &d);
            if (cli_get(o, "csv"))
                diff_csv(co.fp, &d, pos[i], i == 1);
            bad |= d.regressed || d.changed;
            diff_free(&d);
        }
        if (cli_get(o, "csv") && es_out_commit(&co, &e))
            es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
        for (int i = 0; i < n; i++)
            cJSON_Delete(r[i]);
        return bad ? 1 : 0;
    }
    printf("%-34s", "report");
    for (int i = 0; i < n; i++) {
        const char *b = strrchr(pos[i], '/');
        printf(" %23.23s", b ? b + 1 : pos[i]);
    }
    putchar('\n');
    const char *labels[] = {"arch", "model", "scope", "schedule"};
    for (int k = 0; k < 4; k++) {
        printf("%-34s", labels[k]);
        for (int i = 0; i < n; i++) {
            const cJSON *s = cJSON_GetObjectItemCaseSensitive(r[i], labels[k]);
            printf(" %23.23s", cJSON_IsString(s) ? s->valuestring : "-");
        }
        putchar('\n');
    }
    row(r, n, "batch", "batch", NULL, NULL);
    row(r, n, "seq", "seq", NULL, NULL);
    row(r, n, "cycles", "cycles", NULL, NULL);
    row(r, n, "latency_s", "latency_s", NULL, NULL);
    row(r, n, "energy_pj", "energy_pj", NULL, NULL);
    char names[32][64], lab[128];
    int k = keys_of(r, n, "units", names, 32);
    for (int i = 0; i < k; i++) {
        snprintf(lab, sizeof lab, "units.%s.utilization", names[i]);
        row(r, n, lab, "units", names[i], "utilization");
    }
    row(r, n, "dram.bytes_read", "dram", "bytes_read", NULL);
    row(r, n, "dram.bytes_written", "dram", "bytes_written", NULL);
    k = keys_of(r, n, "energy_breakdown_pj", names, 32);
    for (int i = 0; i < k; i++) {
        snprintf(lab, sizeof lab, "energy_breakdown_pj.%s", names[i]);
        row(r, n, lab, "energy_breakdown_pj", names[i], NULL);
    }
    row(r, n, "simulation.wall_s", "simulation", "wall_s", NULL);
    row(r, n, "simulation.simulated_cycles", "simulation", "simulated_cycles", NULL);
    row(r, n, "simulation.fast_forwarded_cycles", "simulation", "fast_forwarded_cycles", NULL);
    for (int i = 0; i < n; i++)
        cJSON_Delete(r[i]);
    return 0;
}
