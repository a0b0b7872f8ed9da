/* sim/cli/sweep.c: sweep files (see sweep.h and docs/sweep.md). */
#include "sweep.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/rng.h"
#include "golden/base/yaml.h"
#include "golden/quant.h"
#include "mapper/arch.h"
#include "mapper/mapping.h"
#include "models/models.h"
#include "sim/sim.h"

/* Run options a sweep may set, by their einsim run names, and the kind of
 * value each takes. */
typedef enum { V_STR, V_INT, V_INTS } vkind;
static const struct {
    const char *name;
    vkind kind;
} run_keys[] = {{"arch", V_STR},  {"model", V_STR}, {"seq", V_INT},   {"seqs", V_INTS}, {"batch", V_INT},
                {"phase", V_STR}, {"scope", V_STR}, {"prompt", V_INT}, {"gen", V_INT},  {"quant", V_STR}, {"sparsity", V_STR}};
#define N_RUN_KEYS (int)(sizeof run_keys / sizeof *run_keys)

static int run_key(const char *k)
{
    for (int i = 0; i < N_RUN_KEYS; i++)
        if (!strcmp(run_keys[i].name, k))
            return i;
    return -1;
}

/* A value node of key `name` as text: a scalar checked by kind, or for
 * seqs a list of positive integers joined with commas. */
static int value_text(const es_ynode *n, const char *name, char *out, es_err *e)
{
    int rk = run_key(name);
    vkind kind = rk >= 0 ? run_keys[rk].kind : V_STR;
    if (kind == V_INTS) {
        if (n->kind != ES_Y_SEQ || n->n == 0)
            return es_y_fail(n, e, "expected a list of positive integers (one length per request)");
        out[0] = '\0';
        for (size_t i = 0; i < n->n; i++) {
            int64_t v;
            if (es_y_as_int(n->items[i], &v, e))
                return -1;
            if (v < 1)
                return es_y_fail(n->items[i], e, "expected a positive integer, got %" PRId64, v);
            size_t l = strlen(out);
            if (l + 24 >= SW_VAL)
                return es_y_fail(n, e, "too many lengths in one point (at most about %d)", SW_VAL / 8);
            snprintf(out + l, SW_VAL - l, "%s%" PRId64, i ? "," : "", v);
        }
        return 0;
    }
    if (n->kind != ES_Y_SCALAR)
        return es_y_fail(n, e, "expected a single value for '%s'", name);
    if (kind == V_INT) {
        int64_t v;
        if (es_y_as_int(n, &v, e))
            return -1;
        if (v < 1)
            return es_y_fail(n, e, "expected a positive integer, got %" PRId64, v);
    }
    if (strlen(n->value) >= SW_VAL)
        return es_y_fail(n, e, "value too long (at most %d characters)", SW_VAL - 1);
    es_err ve;
    if (!strcmp(name, "phase")) {
        md_phase ph;
        if (md_phase_parse(n->value, &ph, &ve))
            return es_y_fail(n, e, "%s", ve.msg);
    } else if (!strcmp(name, "scope")) {
        md_scope sc;
        if (md_scope_parse(n->value, &sc, &ve))
            return es_y_fail(n, e, "%s", ve.msg);
    } else if (!strcmp(name, "arch")) {
        mp_arch *a = sim_arch_load(n->value, &ve);
        if (!a)
            return es_y_fail(n, e, "%s", ve.msg);
        mp_arch_free(a);
    } else if (!strcmp(name, "quant")) {
        gd_qformat qf;
        if (gd_qformat_parse(n->value, &qf, &ve))
            return es_y_fail(n, e, "%s", ve.msg);
    } else if (!strcmp(name, "sparsity")) {
        if (md_sparsity_check(n->value, &ve))
            return es_y_fail(n, e, "%s", ve.msg);
    } else if (!strcmp(name, "model")) {
        md_model m;
        if (md_model_load(n->value, &m, &ve))
            return es_y_fail(n, e, "%s", ve.msg);
    }
    snprintf(out, SW_VAL, "%s", n->value);
    return 0;
}

static int check_key_name(const es_ynode *at, const char *k, es_err *e)
{
    if (run_key(k) >= 0)
        return 0;
    if (!strncmp(k, "set.", 4) && k[4])
        return 0;
    char list[256] = "";
    for (int i = 0; i < N_RUN_KEYS; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s, ", run_keys[i].name);
    return es_y_fail(at, e, "unknown key '%s' (expected a run option: %sor set.<arch key path>)", k, list);
}

static sw_key *add_key(sw_spec *s, const es_ynode *at, const char *name, size_t n, es_err *e)
{
    if (s->n_keys == SW_MAX_KEYS) {
        es_y_fail(at, e, "too many keys (at most %d in run and grid together)", SW_MAX_KEYS);
        return NULL;
    }
    for (int i = 0; i < s->n_keys; i++)
        if (!strcmp(s->keys[i].name, name)) {
            es_y_fail(at, e, "key '%s' is given in both run and grid", name);
            return NULL;
        }
    if (strlen(name) >= sizeof s->keys[0].name) {
        es_y_fail(at, e, "key too long");
        return NULL;
    }
    sw_key *k = &s->keys[s->n_keys++];
    memset(k, 0, sizeof *k);
    snprintf(k->name, sizeof k->name, "%s", name);
    k->n = (int)n;
    k->vals = es_xcalloc(n ? n : 1, sizeof *k->vals);
    k->axis = -1;
    return k;
}

static int find_key(const sw_spec *s, const char *name)
{
    for (int i = 0; i < s->n_keys; i++)
        if (!strcmp(s->keys[i].name, name))
            return i;
    return -1;
}

/* Every override value must be accepted by every arch of the sweep, checked
 * alone against the YAML (so a bad one is located in the sweep file). */
static int check_sets(const sw_spec *s, const es_ydoc *d, es_err *e)
{
    int ka = find_key(s, "arch");
    for (int k = 0; k < s->n_keys; k++) {
        const sw_key *K = &s->keys[k];
        if (strncmp(K->name, "set.", 4))
            continue;
        for (int v = 0; v < K->n; v++)
            for (int a = 0; a < (ka >= 0 ? s->keys[ka].n : 1); a++) {
                char set[SW_VAL + 160];
                snprintf(set, sizeof set, "%s=%s", K->name + 4, K->vals[v]);
                const char *sets[1] = {set};
                es_err ae;
                mp_arch *ar = sim_arch_load_set(ka >= 0 ? s->keys[ka].vals[a] : "", sets, 1, &ae);
                if (ar) {
                    mp_arch_free(ar);
                    continue;
                }
                const es_ynode *grid = es_y_get(d->root, "grid"), *run = es_y_get(d->root, "run");
                const es_ynode *kn = es_y_get(grid, K->name) ? es_y_get(grid, K->name) : es_y_get(run, K->name);
                const es_ynode *at = kn && kn->kind == ES_Y_SEQ && (size_t)v < kn->n ? kn->items[v] : kn;
                return es_y_fail(at ? at : d->root, e, "%s", ae.msg);
            }
    }
    return 0;
}

static int read_spec(const es_ynode *root, void *out, es_err *e)
{
    sw_spec *s = out;
    static const char *const keys[] = {"name", "run", "grid", "zip", "samples", "seed", "mapping", "budget",
                                       "objective", NULL};
    if (es_y_expect(root, ES_Y_MAP, e) || es_y_check_keys(root, keys, e))
        return -1;
    const char *nm = NULL;
    if (es_y_str(root, "name", 0, &nm, e))
        return -1;
    if (nm && es_y_name(es_y_get(root, "name"), nm, s->name, sizeof s->name, 0, e))
        return -1;
    es_ynode *run = es_y_get(root, "run");
    if (run) {
        if (es_y_expect(run, ES_Y_MAP, e))
            return -1;
        for (size_t i = 0; i < run->n; i++) {
            if (check_key_name(run->keylocs[i], run->keys[i], e))
                return -1;
            sw_key *k = add_key(s, run->keylocs[i], run->keys[i], 1, e);
            if (!k || value_text(run->items[i], k->name, k->vals[0], e))
                return -1;
        }
    }
    es_ynode *grid = es_y_child(root, "grid", ES_Y_MAP, "the keys to vary, each with a list of values", e);
    if (!grid)
        return -1;
    if (grid->n == 0)
        return es_y_fail(grid, e, "empty grid: expected at least one key with a list of values");
    for (size_t i = 0; i < grid->n; i++) {
        es_ynode *v = grid->items[i];
        if (check_key_name(grid->keylocs[i], grid->keys[i], e))
            return -1;
        if (v->kind != ES_Y_SEQ)
            return es_y_fail(v, e, "expected a list of values, e.g. [64, 128]");
        if (v->n == 0)
            return es_y_fail(v, e, "empty list: expected at least one value");
        sw_key *k = add_key(s, grid->keylocs[i], grid->keys[i], v->n, e);
        if (!k)
            return -1;
        for (size_t j = 0; j < v->n; j++)
            if (value_text(v->items[j], k->name, k->vals[j], e))
                return -1;
        s->n_grid_keys++;
    }
    es_ynode *zip = es_y_get(root, "zip");
    if (zip) {
        if (es_y_expect(zip, ES_Y_SEQ, e))
            return -1;
        for (size_t z = 0; z < zip->n; z++) {
            es_ynode *g = zip->items[z];
            if (g->kind != ES_Y_SEQ || g->n < 2)
                return es_y_fail(g, e, "expected a list of at least two grid keys that vary together");
            int axis = s->n_axes++, len = -1;
            for (size_t j = 0; j < g->n; j++) {
                es_ynode *kn = g->items[j];
                if (kn->kind != ES_Y_SCALAR)
                    return es_y_fail(kn, e, "expected a grid key name");
                int k = find_key(s, kn->value);
                if (k < 0 || !es_y_get(grid, kn->value))
                    return es_y_fail(kn, e, "'%s' is not a key of the grid", kn->value);
                if (s->keys[k].axis >= 0)
                    return es_y_fail(kn, e, "'%s' is zipped twice", kn->value);
                if (len >= 0 && s->keys[k].n != len)
                    return es_y_fail(g, e, "zipped keys must have lists of equal length: '%s' has %d values, '%s' %d",
                                     g->items[0]->value, len, kn->value, s->keys[k].n);
                len = s->keys[k].n;
                s->keys[k].axis = axis;
            }
            s->axis_len[axis] = len;
        }
    }
    for (int k = 0; k < s->n_keys; k++)
        if (es_y_get(grid, s->keys[k].name) && s->keys[k].axis < 0) {
            s->keys[k].axis = s->n_axes;
            s->axis_len[s->n_axes++] = s->keys[k].n;
        }
    int64_t total = 1;
    for (int a = 0; a < s->n_axes; a++) {
        if (total > ((int64_t)1 << 40) / s->axis_len[a])
            return es_y_fail(grid, e, "the grid has too many points");
        total *= s->axis_len[a];
    }
    int64_t samples = 0, seed = 1;
    if (es_y_int(root, "samples", 0, &samples, e) || es_y_int(root, "seed", 0, &seed, e))
        return -1;
    if (es_y_get(root, "samples") && samples < 1)
        return es_y_fail(es_y_get(root, "samples"), e, "expected a positive integer, got %" PRId64, samples);
    s->n_points = total;
    if (samples && samples < total) {
        /* a seeded sample without replacement (Floyd), kept in grid order */
        if (total > ((int64_t)1 << 26))
            return es_y_fail(es_y_get(root, "samples"), e, "sampling needs a grid of at most 2^26 points");
        char *taken = es_xcalloc((size_t)total, 1);
        es_rng r;
        es_rng_seed(&r, (uint64_t)seed);
        for (int64_t j = total - samples; j < total; j++) {
            int64_t t = (int64_t)es_rng_below(&r, (uint64_t)j + 1);
            taken[taken[t] ? j : t] = 1;
        }
        s->pick = es_xcalloc((size_t)samples, sizeof *s->pick);
        int64_t n = 0;
        for (int64_t i = 0; i < total; i++)
            if (taken[i])
                s->pick[n++] = i;
        free(taken);
        s->n_points = samples;
    }
    const char *mapping = NULL;
    if (es_y_str(root, "mapping", 0, &mapping, e))
        return -1;
    s->search = mapping && !strcmp(mapping, "search");
    if (mapping && strcmp(mapping, "bundled") && !s->search) {
        /* a mapping file, relative to the sweep file's folder */
        const char *slash = strrchr(s->file, '/');
        if (mapping[0] == '/' || !slash)
            snprintf(s->mapping, sizeof s->mapping, "%s", mapping);
        else
            snprintf(s->mapping, sizeof s->mapping, "%.*s/%s", (int)(slash - s->file), s->file, mapping);
        snprintf(s->mapping_as_written, sizeof s->mapping_as_written, "%s", mapping);
        mp_mapping m;
        es_err me;
        if (!strchr(mapping, '/') && !strstr(mapping, ".yaml"))
            return es_y_fail(es_y_get(root, "mapping"), e, "expected bundled, search or a mapping file (.yaml), got '%s'",
                             mapping);
        if (s->check_mapping && mp_mapping_load(s->mapping, &m, &me))
            return es_y_fail(es_y_get(root, "mapping"), e, "%s", me.msg);
        if (s->check_mapping)
            mp_mapping_free(&m);
    }
    s->so.objective = MP_OBJ_LATENCY;
    s->so.budget = 20000;
    s->so.seed = (uint64_t)seed;
    if (es_y_int(root, "budget", 0, &s->so.budget, e))
        return -1;
    if (s->so.budget < 1)
        return es_y_fail(es_y_get(root, "budget"), e, "expected a positive integer");
    const char *obj = NULL;
    if (es_y_str(root, "objective", 0, &obj, e))
        return -1;
    if (obj && mp_objective_parse(obj, &s->so.objective))
        return es_y_fail(es_y_get(root, "objective"), e, "expected latency, energy or edp, got '%s'", obj);
    if (find_key(s, "arch") < 0 || find_key(s, "model") < 0)
        return es_y_fail(root, e, "missing %s: give it under run (or grid)", find_key(s, "arch") < 0 ? "arch" : "model");
    return 0;
}

int sw_load(const char *path, int check_mapping, sw_spec *s, es_err *e)
{
    memset(s, 0, sizeof *s);
    s->check_mapping = check_mapping;
    snprintf(s->file, sizeof s->file, "%s", path);
    es_ydoc *d = es_yaml_load(path, e);
    if (!d)
        return -1;
    int rc = d->root ? read_spec(d->root, s, e) : es_fail(e, "%s: empty sweep file", path);
    if (!rc)
        rc = check_sets(s, d, e);
    es_yaml_free(d);
    if (rc)
        sw_free(s);
    return rc;
}

void sw_free(sw_spec *s)
{
    for (int k = 0; k < s->n_keys; k++)
        free(s->keys[k].vals);
    free(s->pick);
    s->pick = NULL;
    s->n_keys = 0;
}

const char *sw_value(const sw_spec *s, int64_t i, int k)
{
    const sw_key *K = &s->keys[k];
    if (K->axis < 0)
        return K->vals[0];
    int64_t g = s->pick ? s->pick[i] : i;
    /* the last axis varies fastest */
    for (int a = s->n_axes - 1; a > K->axis; a--)
        g /= s->axis_len[a];
    return K->vals[g % s->axis_len[K->axis]];
}

void sw_point_id(const sw_spec *s, int64_t i, char out[17])
{
    /* FNV-1a 64 over "key=value\n" of every key in name order, so the id
     * does not depend on where a key is written */
    uint64_t h = 1469598103934665603ULL;
    int order[SW_MAX_KEYS];
    for (int k = 0; k < s->n_keys; k++)
        order[k] = k;
    for (int a = 1; a < s->n_keys; a++)
        for (int b = a; b > 0 && strcmp(s->keys[order[b - 1]].name, s->keys[order[b]].name) > 0; b--) {
            int t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
        }
    for (int j = 0; j < s->n_keys; j++) {
        const char *parts[3] = {s->keys[order[j]].name, sw_value(s, i, order[j]), NULL};
        for (int p = 0; parts[p]; p++) {
            for (const char *c = parts[p]; *c; c++)
                h = (h ^ (unsigned char)*c) * 1099511628211ULL;
            h = (h ^ (unsigned char)(p ? '\n' : '=')) * 1099511628211ULL;
        }
    }
    const char *mode = s->search ? "search" : s->mapping[0] ? s->mapping_as_written : "bundled";
    for (const char *c = mode; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ULL;
    snprintf(out, 17, "%016" PRIx64, h);
}

void sw_point_desc(const sw_spec *s, int64_t i, char *out, size_t n)
{
    out[0] = '\0';
    for (int k = 0; k < s->n_keys; k++)
        if (s->keys[k].axis >= 0) {
            size_t l = strlen(out);
            snprintf(out + l, n - l, "%s%s=%s", l ? " " : "", s->keys[k].name, sw_value(s, i, k));
        }
}
