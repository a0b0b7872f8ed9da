#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "golden/base/err.h"
#include "golden/base/io.h"
#include "cli.h"

int cli_parse(int argc, char **argv, int first, cli_opt *opts, const char **pos, int maxpos,
              const char *cmd, const char *usage)
{
    int npos = 0;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            exit(0);
        }
        if (a[0] == '-' && a[1] == '-' && a[2]) {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t nl = eq ? (size_t)(eq - name) : strlen(name);
            cli_opt *o = NULL;
            for (cli_opt *p = opts; p->name; p++)
                if (strlen(p->name) == nl && !strncmp(p->name, name, nl))
                    o = p;
            if (!o)
                es_fatal(ES_EXIT_BADINPUT, "%s: unknown option '--%.*s' (see 'einsim %s --help')", cmd,
                         (int)nl, name, cmd);
            if (o->takes_value) {
                if (eq)
                    o->value = eq + 1;
                else if (i + 1 < argc)
                    o->value = argv[++i];
                else
                    es_fatal(ES_EXIT_BADINPUT, "%s: option '--%s' needs a value", cmd, o->name);
                /* No option means anything by an empty value (an empty
                 * output path, an empty list): name the option. */
                if (!o->value[0])
                    es_fatal(ES_EXIT_BADINPUT, "%s: option '--%s': expected a value, got an empty string", cmd,
                             o->name);
            } else {
                if (eq)
                    es_fatal(ES_EXIT_BADINPUT, "%s: option '--%s' takes no value", cmd, o->name);
                o->value = "1";
            }
            continue;
        }
        if (a[0] == '-' && a[1] && a[1] != '-' && strcmp(a, "-") != 0) {
            /* Short aliases: -o FILE is --output/-o; others are errors. */
            if (!strcmp(a, "-o")) {
                for (cli_opt *p = opts; p->name; p++)
                    if (!strcmp(p->name, "o") || !strcmp(p->name, "output")) {
                        if (i + 1 >= argc)
                            es_fatal(ES_EXIT_BADINPUT, "%s: option '-o' needs a value", cmd);
                        p->value = argv[++i];
                        if (!p->value[0])
                            es_fatal(ES_EXIT_BADINPUT, "%s: option '-o': expected a file name, got an empty string",
                                     cmd);
                        goto next;
                    }
            }
            es_fatal(ES_EXIT_BADINPUT, "%s: unknown option '%s' (see 'einsim %s --help')", cmd, a, cmd);
        }
        if (npos >= maxpos)
            es_fatal(ES_EXIT_BADINPUT, "%s: unexpected argument '%s' (see 'einsim %s --help')", cmd, a,
                     cmd);
        pos[npos++] = a;
    next:;
    }
    return npos;
}

const char *cli_get(const cli_opt *opts, const char *name)
{
    for (const cli_opt *p = opts; p->name; p++)
        if (!strcmp(p->name, name))
            return p->value;
    return NULL;
}

int cli_get_all(int argc, char **argv, int first, const cli_opt *opts, const char *name, const char **out, int max)
{
    int n = 0;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] != '-' || !a[2]) {
            if (!strcmp(a, "-o"))
                i++; /* -o FILE */
            continue;
        }
        const char *nm = a + 2, *eq = strchr(nm, '=');
        size_t nl = eq ? (size_t)(eq - nm) : strlen(nm);
        const cli_opt *o = NULL;
        for (const cli_opt *p = opts; p->name; p++)
            if (strlen(p->name) == nl && !strncmp(p->name, nm, nl))
                o = p;
        if (!o || !o->takes_value)
            continue;
        const char *v = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
        if (strcmp(o->name, name) || !v)
            continue;
        if (n >= max)
            es_fatal(ES_EXIT_BADINPUT, "--%s: at most %d of them", name, max);
        out[n++] = v;
    }
    return n;
}

int cli_flag(const cli_opt *opts, const char *name) { return cli_get(opts, name) != NULL; }

/* Parse a decimal integer with an optional K (1024) or M (1024^2) suffix at
 * p; *end is left after it.  Returns 0, or -1 on no digits or overflow. */
static int parse_scaled(const char *p, char **end, long long *out)
{
    errno = 0;
    long long x = strtoll(p, end, 10);
    if (*end == p || errno)
        return -1;
    long long mul = 1;
    if (**end == 'K' || **end == 'k')
        mul = 1024, (*end)++;
    else if (**end == 'M')
        mul = 1024 * 1024, (*end)++;
    if (x > LLONG_MAX / mul || x < LLONG_MIN / mul)
        return -1;
    *out = x * mul;
    return 0;
}

int64_t cli_int(const cli_opt *opts, const char *name, int64_t dflt, int64_t min, int64_t max)
{
    const char *v = cli_get(opts, name);
    if (!v)
        return dflt;
    char *end;
    long long x;
    if (parse_scaled(v, &end, &x) || *end)
        es_fatal(ES_EXIT_BADINPUT, "--%s: expected an integer in [%lld, %lld], got '%s'", name,
                 (long long)min, (long long)max, v);
    if (x < min || x > max)
        es_fatal(ES_EXIT_BADINPUT, "--%s: expected an integer in [%lld, %lld], got '%s'", name,
                 (long long)min, (long long)max, v);
    return x;
}

double cli_double(const cli_opt *opts, const char *name, double dflt)
{
    const char *v = cli_get(opts, name);
    if (!v)
        return dflt;
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(x))
        es_fatal(ES_EXIT_BADINPUT, "--%s: expected a finite number, got '%s'", name, v);
    return x;
}

int cli_int_list(const char *optname, const char *s, int64_t *out, int maxn)
{
    int n = 0;
    const char *p = s;
    while (*p) {
        char *end;
        long long x;
        if (parse_scaled(p, &end, &x) || x <= 0 || (*end && *end != ',') || (*end == ',' && !end[1]))
            es_fatal(ES_EXIT_BADINPUT, "--%s: expected comma-separated positive integers, got '%s'",
                     optname, s);
        if (n >= maxn)
            es_fatal(ES_EXIT_BADINPUT, "--%s: at most %d values", optname, maxn);
        out[n++] = x;
        p = *end ? end + 1 : end;
    }
    if (n == 0)
        es_fatal(ES_EXIT_BADINPUT, "--%s: expected at least one value", optname);
    return n;
}

void cli_out_open(es_out *o, const char *opt, const char *path)
{
    es_err e;
    if (es_out_open(o, path, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s: %s", opt, e.msg);
}

void cli_out_commit(es_out *o, const char *text)
{
    es_err e;
    if (text)
        fputs(text, o->fp);
    if (es_out_commit(o, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
}

void cli_write_json_to(cJSON *j, es_out *o)
{
    char *s = cJSON_Print(j);
    fputs(s, o->fp);
    fputc('\n', o->fp);
    free(s);
    cli_out_commit(o, NULL);
}

void cli_write_json(cJSON *j, const char *path)
{
    es_out o;
    cli_out_open(&o, "--json", path);
    cli_write_json_to(j, &o);
}
