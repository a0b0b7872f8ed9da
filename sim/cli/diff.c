/* sim/cli/diff.c: see diff.h. */
#include "diff.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/err.h"

/* +1 higher is better, -1 lower is better, 0 no direction (by the last
 * component of the field's path). */
int diff_direction(const char *field)
{
    const char *leaf = strrchr(field, '.');
    leaf = leaf ? leaf + 1 : field;
    static const char *const higher[] = {"utilization", "tokens_per_s", "row_hit_rate"};
    static const char *const lower[] = {"latency", "cycles", "energy", "bytes", "s_per_token"};
    for (size_t i = 0; i < sizeof higher / sizeof *higher; i++)
        if (strstr(leaf, higher[i]))
            return +1;
    for (size_t i = 0; i < sizeof lower / sizeof *lower; i++)
        if (strstr(leaf, lower[i]) || (!strcmp(lower[i], "energy") && !strncmp(field, "energy", 6)))
            return -1;
    return 0;
}

static void add(diff_result *d, const char *field, const cJSON *a, const cJSON *b, double rel, diff_verdict v)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 32;
        d->rows = es_xrealloc(d->rows, (size_t)d->cap * sizeof *d->rows);
    }
    diff_row *r = &d->rows[d->n++];
    snprintf(r->field, sizeof r->field, "%s", field);
    const cJSON *x[2] = {a, b};
    char *dst[2] = {r->a, r->b};
    for (int k = 0; k < 2; k++) {
        if (!x[k])
            snprintf(dst[k], 64, "-");
        else if (cJSON_IsNumber(x[k]))
            snprintf(dst[k], 64, "%.10g", x[k]->valuedouble);
        else if (cJSON_IsString(x[k]))
            snprintf(dst[k], 64, "%s", x[k]->valuestring);
        else {
            char *t = cJSON_PrintUnformatted(x[k]);
            snprintf(dst[k], 64, "%s", t);
            free(t);
        }
    }
    r->rel = rel;
    r->verdict = v;
    if (v == DIFF_REGRESSED)
        d->regressed++;
    else if (v == DIFF_IMPROVED)
        d->improved++;
    else if (v == DIFF_CHANGED)
        d->changed++;
    else
        d->labels++;
}

static int ignored(const char *field, const diff_opts *o)
{
    if (!strcmp(field, "simulation.wall_s"))
        return 1;
    /* the engine's own counters: how it simulated, not what */
    static const char *const engine[] = {"run.steps_issued", "run.ops_started"};
    for (size_t i = 0; i < sizeof engine / sizeof *engine; i++)
        if (!o->simulation && !strcmp(field, engine[i]))
            return 1;
    return !o->simulation && !strncmp(field, "simulation.", 11);
}

/* An array item's name: its "name" (and "unit" when two items share a
 * name), else its index. */
static void item_name(const cJSON *arr, const cJSON *it, int idx, char *out, size_t n)
{
    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(it, "name");
    if (!cJSON_IsString(nm)) {
        snprintf(out, n, "%d", idx);
        return;
    }
    int dup = 0;
    for (const cJSON *o = arr->child; o; o = o->next) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "name");
        dup += o != it && cJSON_IsString(m) && !strcmp(m->valuestring, nm->valuestring);
    }
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(it, "unit");
    if (dup && cJSON_IsString(u))
        snprintf(out, n, "%s@%s", nm->valuestring, u->valuestring);
    else
        snprintf(out, n, "%s", nm->valuestring);
}

static const cJSON *find_item(const cJSON *arr, const char *name)
{
    int i = 0;
    char buf[256];
    for (const cJSON *o = arr->child; o; o = o->next, i++) {
        item_name(arr, o, i, buf, sizeof buf);
        if (!strcmp(buf, name))
            return o;
    }
    return NULL;
}

static int is_container(const cJSON *x) { return cJSON_IsObject(x) || cJSON_IsArray(x); }

static void walk(const cJSON *a, const cJSON *b, const char *path, const diff_opts *o, diff_result *d);

static void child(const cJSON *x, const cJSON *y, const char *path, const char *key, const diff_opts *o,
                  diff_result *d)
{
    char sub[256];
    snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", key);
    walk(x, y, sub, o, d);
}

static void walk(const cJSON *a, const cJSON *b, const char *path, const diff_opts *o, diff_result *d)
{
    if (path[0] && ignored(path, o))
        return;
    if (a && b && cJSON_IsObject(a) && cJSON_IsObject(b)) {
        for (const cJSON *x = a->child; x; x = x->next)
            child(x, cJSON_GetObjectItemCaseSensitive(b, x->string), path, x->string, o, d);
        for (const cJSON *y = b->child; y; y = y->next)
            if (!cJSON_GetObjectItemCaseSensitive(a, y->string))
                child(NULL, y, path, y->string, o, d);
        return;
    }
    if (a && b && cJSON_IsArray(a) && cJSON_IsArray(b) && (cJSON_IsObject(a->child) || cJSON_IsObject(b->child))) {
        char nm[256];
        int i = 0;
        for (const cJSON *x = a->child; x; x = x->next, i++) {
            item_name(a, x, i, nm, sizeof nm);
            child(x, find_item(b, nm), path, nm, o, d);
        }
        i = 0;
        for (const cJSON *y = b->child; y; y = y->next, i++) {
            item_name(b, y, i, nm, sizeof nm);
            if (!find_item(a, nm))
                child(NULL, y, path, nm, o, d);
        }
        return;
    }
    /* a leaf (or a container only one side has, or a list of numbers) */
    if (!a || !b || is_container(a) != is_container(b)) {
        add(d, path, a, b, 0, cJSON_IsNumber(a) || cJSON_IsNumber(b) ? DIFF_CHANGED : DIFF_LABEL);
        return;
    }
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b)) {
        double x = a->valuedouble, y = b->valuedouble;
        if (x == y)
            return;
        double rel = x != 0 ? (y - x) / fabs(x) : (y > 0 ? INFINITY : -INFINITY);
        if (fabs(rel) <= o->tolerance)
            return;
        int dir = diff_direction(path);
        diff_verdict v = dir == 0 ? DIFF_CHANGED : (dir > 0) == (y > x) ? DIFF_IMPROVED : DIFF_REGRESSED;
        add(d, path, a, b, rel, v);
        return;
    }
    char *ta = cJSON_PrintUnformatted(a), *tb = cJSON_PrintUnformatted(b);
    if (strcmp(ta, tb))
        add(d, path, a, b, 0, DIFF_LABEL);
    free(ta);
    free(tb);
}

void diff_reports(const cJSON *a, const cJSON *b, const diff_opts *o, diff_result *out)
{
    memset(out, 0, sizeof *out);
    walk(a, b, "", o, out);
}

static const char *verdict_name(diff_verdict v)
{
    return v == DIFF_REGRESSED ? "regressed" : v == DIFF_IMPROVED ? "improved" : v == DIFF_CHANGED ? "changed" : "label";
}

void diff_print(FILE *fp, const diff_result *d)
{
    /* failures first, then labels, then improvements */
    for (int pass = 0; pass < 3; pass++)
        for (int i = 0; i < d->n; i++) {
            const diff_row *r = &d->rows[i];
            int rank = r->verdict == DIFF_IMPROVED ? 2 : r->verdict == DIFF_LABEL ? 1 : 0;
            if (rank != pass)
                continue;
            fprintf(fp, "  %-9s %-44s %s -> %s", verdict_name(r->verdict), r->field, r->a, r->b);
            if (r->rel != 0 && isfinite(r->rel))
                fprintf(fp, " (%+.4g%%)", 100 * r->rel);
            fputc('\n', fp);
        }
}

void csv_text(FILE *fp, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

void diff_csv(FILE *fp, const diff_result *d, const char *label, int header)
{
    if (header)
        fputs("report,field,a,b,relative_change,verdict\n", fp);
    for (int i = 0; i < d->n; i++) {
        const diff_row *r = &d->rows[i];
        csv_text(fp, label);
        fputc(',', fp);
        csv_text(fp, r->field);
        fputc(',', fp);
        csv_text(fp, r->a);
        fputc(',', fp);
        csv_text(fp, r->b);
        fprintf(fp, ",%.10g,%s\n", r->rel, verdict_name(r->verdict));
    }
}

void diff_free(diff_result *d)
{
    free(d->rows);
    memset(d, 0, sizeof *d);
}
