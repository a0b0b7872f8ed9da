#include <stdio.h>
#include <string.h>

#include "golden/base/io.h"
#include "golden/base/yaml.h"
#include "mapper/cost.h"
#include "mapper/mapfile.h"
#include "mapper/resolve.h"

/* The file's `arch:` against a, located in the file. */
static int check_arch(const mp_arch *a, const char *path, es_err *e)
{
    es_ydoc *d = es_yaml_load(path, e);
    if (!d)
        return -1;
    const es_ynode *n = d->root && d->root->kind == ES_Y_MAP ? es_y_get(d->root, "arch") : NULL;
    int rc = 0;
    if (n && n->kind == ES_Y_SCALAR && strcmp(n->value, a->name) && strcmp(n->value, a->mapping_name))
        rc = es_y_fail(n, e, "mapping is for arch '%s', not '%s'; expected a mapping made for this arch", n->value,
                       a->name);
    es_yaml_free(d);
    return rc;
}

/* A resolved mapping runs as written: its attention instances' key lengths,
 * in order, must be the workload's (a varlen batch or decode has several). */
static int check_seqs(const mp_mapping *m, const md_workload *w, es_err *e)
{
    int k = 0;
    for (int i = 0; i < w->n_inst; i++) {
        if (strcmp(w->inst[i].name, "attention"))
            continue;
        while (k < m->n_cascades && strcmp(m->cascades[k].label, "attention"))
            k++;
        int64_t want = md_inst_rank(&w->inst[i], "m");
        const mp_cascade_map *cm = k < m->n_cascades ? &m->cascades[k] : NULL;
        if (!cm || !mp_cmap_fits_keys(cm, want))
            return es_fail(e, "mapping was made for seq %lld (its cascade %d, attention), the workload has %lld",
                           (long long)(cm ? mp_cmap_rank(cm, "m") : -1), k + 1, (long long)want);
        k++;
    }
    return 0;
}

/* The `cascades:` item of the file that cascade map cm came from: the same
 * index in a resolved mapping, else the item with cm's label (a template's
 * labels are the workload's instance names), else one of cm's cascade. */
static const es_ynode *cascade_node(const es_ynode *root, const mp_mapping *m, int i)
{
    const es_ynode *cs = root && root->kind == ES_Y_MAP ? es_y_get(root, "cascades") : NULL;
    if (!cs || cs->kind != ES_Y_SEQ)
        return NULL;
    const mp_cascade_map *cm = &m->cascades[i];
    if ((size_t)m->n_cascades == cs->n)
        return cs->items[i];
    const char *keys[] = {"label", "cascade"}, *want[] = {cm->label, cm->cascade};
    for (int k = 0; k < 2; k++)
        for (size_t j = 0; j < cs->n; j++) {
            const es_ynode *v = cs->items[j]->kind == ES_Y_MAP ? es_y_get(cs->items[j], keys[k]) : NULL;
            if (v && v->kind == ES_Y_SCALAR && !strcmp(v->value, want[k]))
                return cs->items[j];
        }
    return NULL;
}

/* mp_mapping_check one cascade map at a time, so that a fault is located at
 * the file's item for that cascade ("FILE:LINE:COL: key 'cascades[2]': ..."). */
static int check_located(const mp_arch *a, const char *path, const mp_mapping *m, es_err *e)
{
    for (int i = 0; i < m->n_cascades; i++) {
        mp_mapping one = *m; /* a view of cascade i; owns nothing */
        one.cascades = &m->cascades[i];
        one.n_cascades = one.cap_cascades = 1;
        es_err inner;
        if (!mp_mapping_check(a, &one, &inner))
            continue;
        es_err le;
        es_ydoc *d = es_yaml_load(path, &le);
        const es_ynode *at = d ? cascade_node(d->root, m, i) : NULL;
        if (at)
            es_y_fail(at, e, "%s", inner.msg);
        else
            *e = inner;
        es_yaml_free(d);
        return -1;
    }
    return 0;
}

static int prepare(const mp_arch *a, const char *path, const md_workload *w, mp_mapping *m, int *skipped, es_err *e)
{
    mp_mapping t;
    if (check_arch(a, path, e) || mp_mapping_load(path, &t, e))
        return -1;
    if (t.n_cascades && t.cascades[0].n_ranks == 0) { /* a template */
        int rc = mp_resolve(a, &t, w, m, skipped, e);
        mp_mapping_free(&t);
        if (rc)
            return -1;
    } else {
        *m = t; /* a move: m takes t's array */
        if (check_seqs(m, w, e))
            return -1;
        for (int i = 0; i < w->n_inst; i++) { /* as mp_resolve counts them */
            int mapped = 0;
            for (int k = 0; k < m->n_cascades; k++)
                if (!strcmp(m->cascades[k].label, w->inst[i].name)) {
                    /* the weights' storage is the workload's (--quant, --sparsity), not the file's */
                    mp_cmap_set_storage(&m->cascades[k], &w->inst[i]);
                    mapped = 1;
                }
            *skipped += !mapped;
        }
    }
    return check_located(a, path, m, e);
}

int mp_mapping_for(const mp_arch *a, const char *name, const md_workload *w, mp_mapping *m, int *skipped,
                   es_err *e)
{
    char path[4096];
    *skipped = 0;
    mp_mapping_init(m);
    if (es_find_bundled("mappings", name, ".yaml", path, sizeof path, e))
        return -1;
    es_err inner;
    if (!prepare(a, path, w, m, skipped, &inner))
        return 0;
    mp_mapping_free(m);
    /* Name the file unless the message already starts with it; a message
     * located in it ("LINE:COL: ...", mapper/resolve.c) becomes FILE:LINE:COL. */
    int line, col, at = 0;
    if (!strncmp(inner.msg, path, strlen(path)))
        *e = inner;
    else if (sscanf(inner.msg, "%d:%d: %n", &line, &col, &at) == 2 && at > 0)
        es_fail(e, "%s:%s", path, inner.msg);
    else
        es_fail(e, "%s: %s", path, inner.msg);
    return -1;
}
