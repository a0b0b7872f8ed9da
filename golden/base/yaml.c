#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "io.h"
#include "yaml.h"

static es_ynode *new_node(es_ykind kind, const yaml_mark_t *m, const char *file)
{
    es_ynode *n = es_xcalloc(1, sizeof *n);
    n->kind = kind;
    n->line = (int)m->line + 1;
    n->col = (int)m->column + 1;
    n->file = file;
    return n;
}

static void free_node(es_ynode *n)
{
    if (!n)
        return;
    free(n->value);
    for (size_t i = 0; i < n->n; i++) {
        if (n->keys)
            free(n->keys[i]);
        if (n->keylocs)
            free_node(n->keylocs[i]);
        free_node(n->items[i]);
    }
    free(n->keys);
    free(n->keylocs);
    free(n->items);
    free(n);
}

void es_yaml_free(es_ydoc *d)
{
    if (!d)
        return;
    free_node(d->root);
    free(d->file);
    free(d);
}

/* Nesting deeper than this is refused: the tree is built recursively, and
 * no spec needs more than a handful of levels. */
#define ES_YAML_MAX_DEPTH 64

typedef struct {
    yaml_parser_t p;
    const char *file;
    es_err *e;
    int depth;
} ctx;

static int next_event(ctx *c, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&c->p, ev))
        return es_fail_at(c->e, c->file, (int)c->p.problem_mark.line + 1,
                          (int)c->p.problem_mark.column + 1, "YAML syntax error: %s",
                          c->p.problem ? c->p.problem : "unknown");
    return 0;
}

static void set_path(es_ynode *n, const char *parent, const char *key)
{
    if (!parent || !parent[0])
        snprintf(n->path, sizeof n->path, "%s", key);
    else
        snprintf(n->path, sizeof n->path, "%s.%s", parent, key);
}

static void add_item(es_ynode *parent, char *key, es_ynode *keyloc, es_ynode *item)
{
    parent->items = es_xrealloc(parent->items, (parent->n + 1) * sizeof *parent->items);
    if (parent->kind == ES_Y_MAP) {
        parent->keys = es_xrealloc(parent->keys, (parent->n + 1) * sizeof *parent->keys);
        parent->keylocs = es_xrealloc(parent->keylocs, (parent->n + 1) * sizeof *parent->keylocs);
        parent->keys[parent->n] = key;
        parent->keylocs[parent->n] = keyloc;
    }
    parent->items[parent->n++] = item;
}

/* Parse one node starting at event ev (already fetched; consumed here). */
static es_ynode *parse_node(ctx *c, yaml_event_t *ev, const char *path)
{
    es_ynode *n = NULL;
    if ((ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT) &&
        c->depth >= ES_YAML_MAX_DEPTH) {
        es_fail_at(c->e, c->file, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                   "YAML nested deeper than %d levels at '%s'", ES_YAML_MAX_DEPTH, path[0] ? path : "(top)");
        yaml_event_delete(ev);
        return NULL;
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        n = new_node(ES_Y_SCALAR, &ev->start_mark, c->file);
        n->value = es_xstrdup((const char *)ev->data.scalar.value);
        n->quoted = ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                    ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
        snprintf(n->path, sizeof n->path, "%s", path);
        yaml_event_delete(ev);
        return n;
    case YAML_SEQUENCE_START_EVENT:
        n = new_node(ES_Y_SEQ, &ev->start_mark, c->file);
        snprintf(n->path, sizeof n->path, "%s", path);
        yaml_event_delete(ev);
        for (;;) {
            yaml_event_t it;
            if (next_event(c, &it))
                goto fail;
            if (it.type == YAML_SEQUENCE_END_EVENT) {
                yaml_event_delete(&it);
                return n;
            }
            char sub[256];
            snprintf(sub, sizeof sub, "%s[%zu]", path, n->n);
            c->depth++;
            es_ynode *child = parse_node(c, &it, sub);
            c->depth--;
            if (!child)
                goto fail;
            add_item(n, NULL, NULL, child);
        }
    case YAML_MAPPING_START_EVENT:
        n = new_node(ES_Y_MAP, &ev->start_mark, c->file);
        snprintf(n->path, sizeof n->path, "%s", path);
        yaml_event_delete(ev);
        for (;;) {
            yaml_event_t k;
            if (next_event(c, &k))
                goto fail;
            if (k.type == YAML_MAPPING_END_EVENT) {
                yaml_event_delete(&k);
                return n;
            }
            if (k.type != YAML_SCALAR_EVENT) {
                es_fail_at(c->e, c->file, (int)k.start_mark.line + 1, (int)k.start_mark.column + 1,
                           "expected a plain key in mapping '%s'", path[0] ? path : "(top)");
                yaml_event_delete(&k);
                goto fail;
            }
            es_ynode *keyloc = new_node(ES_Y_SCALAR, &k.start_mark, c->file);
            char *key = es_xstrdup((const char *)k.data.scalar.value);
            yaml_event_delete(&k);
            for (size_t i = 0; i < n->n; i++)
                if (strcmp(n->keys[i], key) == 0) {
                    es_fail_at(c->e, c->file, keyloc->line, keyloc->col, "duplicate key '%s'", key);
                    free(key);
                    free_node(keyloc);
                    goto fail;
                }
            set_path(keyloc, path, key); /* the child's path too */
            yaml_event_t v;
            if (next_event(c, &v)) {
                free(key);
                free_node(keyloc);
                goto fail;
            }
            c->depth++;
            es_ynode *child = parse_node(c, &v, keyloc->path);
            c->depth--;
            if (!child) {
                free(key);
                free_node(keyloc);
                goto fail;
            }
            add_item(n, key, keyloc, child);
        }
    case YAML_ALIAS_EVENT:
        es_fail_at(c->e, c->file, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                   "YAML aliases are not supported");
        yaml_event_delete(ev);
        return NULL;
    default:
        es_fail_at(c->e, c->file, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                   "unexpected YAML event");
        yaml_event_delete(ev);
        return NULL;
    }
fail:
    free_node(n);
    return NULL;
}

es_ydoc *es_yaml_parse_string(const char *name, const char *text, size_t len, es_err *e)
{
    es_ydoc *d = es_xcalloc(1, sizeof *d);
    d->file = es_xstrdup(name);
    ctx c = {.file = d->file, .e = e};
    yaml_parser_initialize(&c.p);
    yaml_parser_set_input_string(&c.p, (const unsigned char *)text, len);
    yaml_event_t ev;
    int ok = 0;
    /* stream start, document start, root node, document end */
    for (;;) {
        if (next_event(&c, &ev))
            break;
        if (ev.type == YAML_STREAM_START_EVENT || ev.type == YAML_DOCUMENT_START_EVENT) {
            yaml_event_delete(&ev);
            continue;
        }
        if (ev.type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            if (!d->root)
                es_fail_at(e, d->file, 1, 1, "empty YAML document");
            else
                ok = 1;
            break;
        }
        if (ev.type == YAML_DOCUMENT_END_EVENT) {
            yaml_event_delete(&ev);
            continue;
        }
        if (d->root) {
            es_fail_at(e, d->file, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
                       "only one YAML document per file is allowed");
            yaml_event_delete(&ev);
            break;
        }
        d->root = parse_node(&c, &ev, "");
        if (!d->root)
            break;
    }
    yaml_parser_delete(&c.p);
    if (!ok) {
        es_yaml_free(d);
        return NULL;
    }
    return d;
}

es_ydoc *es_yaml_load(const char *path, es_err *e)
{
    char *text;
    size_t n;
    if (es_read_file(path, &text, &n, e))
        return NULL;
    es_ydoc *d = es_yaml_parse_string(path, text, n, e);
    free(text);
    return d;
}

static int read_doc(es_ydoc *d, es_y_reader read, void *out, es_err *e)
{
    if (!d)
        return -1;
    int rc = read(d->root, out, e);
    es_yaml_free(d);
    return rc;
}

int es_yaml_read_string(const char *name, const char *text, es_y_reader read, void *out, es_err *e)
{
    return read_doc(es_yaml_parse_string(name, text, strlen(text), e), read, out, e);
}

int es_yaml_read_file(const char *path, es_y_reader read, void *out, es_err *e)
{
    return read_doc(es_yaml_load(path, e), read, out, e);
}

int es_yaml_read_bundled(const char *kind, const char *name_or_path, es_y_reader read, void *out, es_err *e)
{
    char path[4096];
    if (es_find_bundled(kind, name_or_path, ".yaml", path, sizeof path, e))
        return -1;
    return es_yaml_read_file(path, read, out, e);
}

int es_y_fail(const es_ynode *n, es_err *e, const char *fmt, ...)
{
    if (!e)
        return -1;
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n->path[0])
        return es_fail_at(e, n->file, n->line, n->col, "key '%s': %s", n->path, msg);
    return es_fail_at(e, n->file, n->line, n->col, "%s", msg);
}

static const char *kind_name(es_ykind k)
{
    return k == ES_Y_MAP ? "a mapping" : k == ES_Y_SEQ ? "a sequence" : "a scalar";
}

int es_y_expect(const es_ynode *n, es_ykind kind, es_err *e)
{
    if (n->kind != kind)
        return es_y_fail(n, e, "expected %s, got %s", kind_name(kind), kind_name(n->kind));
    return 0;
}

es_ynode *es_y_get(const es_ynode *map, const char *key)
{
    if (!map || map->kind != ES_Y_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i], key) == 0)
            return map->items[i];
    return NULL;
}

es_ynode *es_y_child(const es_ynode *map, const char *key, es_ykind kind, const char *hint, es_err *e)
{
    if (es_y_expect(map, ES_Y_MAP, e))
        return NULL;
    es_ynode *n = es_y_get(map, key);
    if (!n) {
        if (hint)
            es_y_fail(map, e, "missing key '%s' (%s)", key, hint);
        else
            es_y_fail(map, e, "missing key '%s'", key);
        return NULL;
    }
    return es_y_expect(n, kind, e) ? NULL : n;
}

int es_y_name(const es_ynode *at, const char *s, char *dst, size_t sz, int allow_empty, es_err *e)
{
    size_t len = strlen(s);
    if (allow_empty && len >= sz)
        return es_y_fail(at, e, "name '%s' too long (at most %zu characters)", s, sz - 1);
    if (!allow_empty && (len >= sz || !len))
        return es_y_fail(at, e, "name '%s' is empty or too long (at most %zu characters)", s, sz - 1);
    memcpy(dst, s, len + 1);
    return 0;
}

static int lookup(const es_ynode *map, const char *key, int required, es_ynode **out, es_err *e)
{
    *out = NULL;
    if (es_y_expect(map, ES_Y_MAP, e))
        return -1;
    es_ynode *n = es_y_get(map, key);
    if (!n) {
        if (required)
            return es_y_fail(map, e, "missing required key '%s'", key);
        return 0;
    }
    if (n->kind != ES_Y_SCALAR)
        return es_y_fail(n, e, "expected a scalar value, got %s", kind_name(n->kind));
    *out = n;
    return 0;
}

int es_y_as_int(const es_ynode *n, int64_t *out, es_err *e)
{
    if (n->kind != ES_Y_SCALAR)
        return es_y_fail(n, e, "expected an integer, got %s", kind_name(n->kind));
    const char *s = n->value;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 0);
    /* Allow 1e6-style integers and binary-size suffixes such as 16Mi. */
    if (end != s && (*end == 'e' || *end == 'E' || *end == '.')) {
        char *dend;
        double d = strtod(s, &dend);
        if (*dend == '\0' && d == floor(d) && fabs(d) < 9.2e18) {
            *out = (int64_t)d;
            return 0;
        }
        return es_y_fail(n, e, "expected an integer, got '%s'", s);
    }
    if (end != s && errno == ERANGE)
        return es_y_fail(n, e, "expected an integer, got '%s' (out of the 64-bit range)", s);
    if (end != s && errno == 0) {
        int shift = 0;
        if (!strcmp(end, "Ki"))
            shift = 10, end += 2;
        else if (!strcmp(end, "Mi"))
            shift = 20, end += 2;
        else if (!strcmp(end, "Gi"))
            shift = 30, end += 2;
        if (*end == '\0') {
            if (shift && (v > (INT64_MAX >> shift) || v < (INT64_MIN >> shift)))
                return es_y_fail(n, e, "expected an integer, got '%s' (out of the 64-bit range)", s);
            *out = shift ? (int64_t)v * ((int64_t)1 << shift) : (int64_t)v;
            return 0;
        }
    }
    return es_y_fail(n, e, "expected an integer, got '%s'", s);
}

int es_y_as_double(const es_ynode *n, double *out, es_err *e)
{
    if (n->kind != ES_Y_SCALAR)
        return es_y_fail(n, e, "expected a number, got %s", kind_name(n->kind));
    char *end;
    errno = 0;
    double v = strtod(n->value, &end);
    if (end == n->value || *end != '\0' || errno == ERANGE || !isfinite(v))
        return es_y_fail(n, e, "expected a finite number, got '%s'", n->value);
    *out = v;
    return 0;
}

int es_y_int(const es_ynode *map, const char *key, int required, int64_t *out, es_err *e)
{
    es_ynode *n;
    if (lookup(map, key, required, &n, e))
        return -1;
    return n ? es_y_as_int(n, out, e) : 0;
}

int es_y_double(const es_ynode *map, const char *key, int required, double *out, es_err *e)
{
    es_ynode *n;
    if (lookup(map, key, required, &n, e))
        return -1;
    return n ? es_y_as_double(n, out, e) : 0;
}

int es_y_str(const es_ynode *map, const char *key, int required, const char **out, es_err *e)
{
    es_ynode *n;
    if (lookup(map, key, required, &n, e))
        return -1;
    if (n)
        *out = n->value;
    return 0;
}

int es_y_bool(const es_ynode *map, const char *key, int required, int *out, es_err *e)
{
    es_ynode *n;
    if (lookup(map, key, required, &n, e))
        return -1;
    if (!n)
        return 0;
    if (!strcmp(n->value, "true") || !strcmp(n->value, "yes"))
        *out = 1;
    else if (!strcmp(n->value, "false") || !strcmp(n->value, "no"))
        *out = 0;
    else
        return es_y_fail(n, e, "expected true or false, got '%s'", n->value);
    return 0;
}

/* Levenshtein distance, for "did you mean" on misspelled keys. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    size_t prev[64], cur[64];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (lb + 1) * sizeof *prev);
    }
    return prev[lb];
}

int es_y_check_keys(const es_ynode *map, const char *const *allowed, es_err *e)
{
    if (es_y_expect(map, ES_Y_MAP, e))
        return -1;
    for (size_t i = 0; i < map->n; i++) {
        int ok = 0;
        const char *best = NULL;
        size_t bestd = 99;
        for (const char *const *a = allowed; *a; a++) {
            if (!strcmp(*a, map->keys[i])) {
                ok = 1;
                break;
            }
            size_t d = edit_distance(*a, map->keys[i]);
            if (d < bestd)
                bestd = d, best = *a;
        }
        if (ok)
            continue;
        char list[512] = "";
        size_t used = 0;
        for (const char *const *a = allowed; *a && used < sizeof list - 40; a++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", *a);
        const es_ynode *k = map->keylocs[i];
        if (best && bestd <= 2)
            return es_y_fail(k, e, "unknown key '%s' (did you mean '%s'?); expected one of: %s",
                             map->keys[i], best, list);
        return es_y_fail(k, e, "unknown key '%s'; expected one of: %s", map->keys[i], list);
    }
    return 0;
}

/* The keys of a map, for "expected one of" messages. */
static void list_keys(const es_ynode *m, char *out, size_t n)
{
    out[0] = '\0';
    for (size_t i = 0; i < m->n && strlen(out) + 2 < n; i++)
        snprintf(out + strlen(out), n - strlen(out), "%s%s", i ? ", " : "", m->keys[i]);
}

int es_y_set(es_ydoc *d, const char *path, const char *value, const char *origin, es_err *e)
{
    if (!d || !d->root)
        return es_fail(e, "%s: the document is empty", origin);
    es_ynode *n = d->root;
    char walked[256] = "";
    const char *p = path;
    if (!*p)
        return es_fail(e, "%s: empty key path (expected e.g. units.array2d.rows)", origin);
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t kl = dot ? (size_t)(dot - p) : strlen(p);
        char key[128];
        if (kl == 0 || kl >= sizeof key)
            return es_fail(e, "%s: bad key path '%s' (expected dot-separated keys, e.g. units.array2d.rows)",
                           origin, path);
        memcpy(key, p, kl);
        key[kl] = '\0';
        es_ynode *child = NULL;
        if (n->kind == ES_Y_MAP) {
            child = es_y_get(n, key);
        } else if (n->kind == ES_Y_SEQ) {
            char *end;
            long idx = strtol(key, &end, 10);
            if (*end || idx < 0 || (size_t)idx >= n->n)
                return es_fail(e, "%s: key '%s' is a sequence of %zu items; expected an index 0..%zu, got '%s'",
                               origin, walked, n->n, n->n ? n->n - 1 : 0, key);
            child = n->items[idx];
        } else {
            return es_fail(e, "%s: key '%s' is a scalar; it has no key '%s'", origin, walked, key);
        }
        if (!child && dot) {
            char keys[512];
            list_keys(n, keys, sizeof keys);
            return es_fail(e, "%s: unknown key path: '%s' has no key '%s' (it has: %s)", origin,
                           walked[0] ? walked : "(top)", key, keys);
        }
        if (!child) {
            /* A new last key: added as if written there; the reader's key
             * check then accepts it or names the keys it expected. */
            es_ynode *kn = es_xcalloc(1, sizeof *kn), *vn = es_xcalloc(1, sizeof *vn);
            kn->kind = vn->kind = ES_Y_SCALAR;
            kn->file = vn->file = origin;
            kn->value = es_xstrdup(key);
            vn->value = es_xstrdup(value);
            set_path(kn, walked, key);
            set_path(vn, walked, key);
            add_item(n, es_xstrdup(key), kn, vn);
            return 0;
        }
        snprintf(walked + strlen(walked), sizeof walked - strlen(walked), "%s%s", walked[0] ? "." : "", key);
        n = child;
        if (!dot)
            break;
        p = dot + 1;
    }
    if (n->kind != ES_Y_SCALAR)
        return es_fail(e, "%s: key '%s' is %s; --set changes one scalar field (give a longer path)", origin,
                       walked, n->kind == ES_Y_MAP ? "a mapping" : "a sequence");
    free(n->value);
    n->value = es_xstrdup(value);
    n->quoted = 0;
    n->file = origin; /* errors about the value name the override, not the file */
    n->line = n->col = 0;
    return 0;
}
