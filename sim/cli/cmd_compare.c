/* einsim compare: side-by-side table of JSON reports (einsim run/gemm
 * --json).  Rows are the report's figures, columns the reports; a ratio
 * column per report relative to the first one. */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/io.h"
#include "cli.h"

static const char usage[] =
    "usage: einsim compare REPORT.json REPORT.json ...\n"
    "  Side-by-side table of JSON reports (einsim run --json / einsim gemm --json):\n"
    "  cycles, latency, energy, unit utilizations, DRAM bytes, energy breakdown,\n"
    "  simulation figures; each column after the first also gives its ratio to the first.\n";

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
    cli_opt o[] = {{NULL, 0, 0}};
    const char *pos[MAXR];
    int n = cli_parse(argc, argv, 1, o, pos, MAXR, "compare", usage);
    if (n < 1)
        es_fatal(ES_EXIT_BADINPUT, "compare: expected at least one report (see 'einsim compare --help')");
    cJSON *r[MAXR];
    for (int i = 0; i < n; i++) {
        char *txt;
        size_t len;
        es_err e;
        if (es_read_file(pos[i], &txt, &len, &e))
            es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
        const char *end = NULL;
        r[i] = cJSON_ParseWithOpts(txt, &end, 0);
        if (!r[i] || !cJSON_IsObject(r[i])) {
            long off = end ? (long)(end - txt) : 0;
            free(txt);
            es_fatal(ES_EXIT_BADINPUT, "%s: not a JSON report (parse error near byte %ld)", pos[i], off);
        }
        free(txt);
        if (!cJSON_GetObjectItemCaseSensitive(r[i], "cycles"))
            es_fatal(ES_EXIT_BADINPUT, "%s: not an einsim report (no 'cycles' key)", pos[i]);
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
