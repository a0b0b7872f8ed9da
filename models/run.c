/* models/run.c: run options from text: a length list ("--seqs 512,77") and
 * a run file (YAML, DESIGN §4: run options come from the command line or a
 * run file).  The file overrides the values already in the md_run, so the
 * CLI can load a file first and apply its own options after. */
#include <stdlib.h>
#include <string.h>

#include "golden/base/yaml.h"
#include "models/models.h"

void md_run_free(md_run *r)
{
    free(r->seqs_owned);
    r->seqs_owned = NULL;
}

static const char *const RUN_KEYS[] = {"phase", "scope", "batch", "seq", "seqs", "prompt", "gen", "attention",
                                       "m0", "splits", "elem_bytes", NULL};

static int y_positive(const es_ynode *map, const char *key, int64_t *out, es_err *e)
{
    int64_t v = *out;
    if (es_y_int(map, key, 0, &v, e))
        return -1;
    es_ynode *n = es_y_get(map, key);
    if (n && v <= 0)
        return es_y_fail(n, e, "expected a positive integer, got '%s'", n->value);
    *out = v;
    return 0;
}

static int load_seqs(const es_ynode *root, md_run *r, es_err *e)
{
    es_ynode *s = es_y_get(root, "seqs");
    if (!s)
        return 0;
    if (es_y_expect(s, ES_Y_SEQ, e))
        return -1;
    if (s->n == 0 || s->n > (1u << 30))
        return es_y_fail(s, e, "expected a non-empty list of lengths");
    int64_t *v = es_xmalloc(s->n * sizeof *v);
    for (size_t i = 0; i < s->n; i++) {
        if (es_y_as_int(s->items[i], &v[i], e) ||
            (v[i] <= 0 && es_y_fail(s->items[i], e, "expected a positive length"))) {
            free(v);
            return -1;
        }
    }
    md_run_free(r);
    r->seqs_owned = v;
    r->seqs = v;
    r->n_seqs = (int)s->n;
    return 0;
}

static int load_run(const es_ynode *root, md_run *r, es_err *e)
{
    if (!root)
        return 0;
    if (es_y_expect(root, ES_Y_MAP, e) || es_y_check_keys(root, RUN_KEYS, e))
        return -1;
    const char *s = NULL;
    es_err inner;
    if (es_y_str(root, "phase", 0, &s, e))
        return -1;
    if (s && md_phase_parse(s, &r->phase, &inner))
        return es_y_fail(es_y_get(root, "phase"), e, "%s", inner.msg);
    s = NULL;
    if (es_y_str(root, "scope", 0, &s, e))
        return -1;
    if (s && md_scope_parse(s, &r->scope, &inner))
        return es_y_fail(es_y_get(root, "scope"), e, "%s", inner.msg);
    s = NULL;
    if (es_y_str(root, "attention", 0, &s, e))
        return -1;
    if (s) {
        if (!s[0] || strlen(s) >= sizeof r->attention_owned)
            return es_y_fail(es_y_get(root, "attention"), e, "expected a cascade name of 1 to %d characters",
                             (int)sizeof r->attention_owned - 1);
        snprintf(r->attention_owned, sizeof r->attention_owned, "%s", s);
        r->attention = r->attention_owned;
    }
    if (y_positive(root, "batch", &r->batch, e) || y_positive(root, "seq", &r->seq, e) ||
        y_positive(root, "prompt", &r->prompt, e) || y_positive(root, "gen", &r->gen, e) ||
        y_positive(root, "m0", &r->m0, e) || y_positive(root, "splits", &r->splits, e) ||
        y_positive(root, "elem_bytes", &r->elem_bytes, e))
        return -1;
    return load_seqs(root, r, e);
}

static int read_run(const es_ynode *root, void *out, es_err *e) { return load_run(root, out, e); }

int md_run_parse(const char *name, const char *text, md_run *r, es_err *e)
{
    return es_yaml_read_string(name, text, read_run, r, e);
}

int md_run_load(const char *path, md_run *r, es_err *e) { return es_yaml_read_file(path, read_run, r, e); }
