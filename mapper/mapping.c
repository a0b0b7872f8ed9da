/* mapper/mapping.c: mapping files, YAML read/write (see mapping.h; every key
 * in docs/spec-arch.md).  A hand-written file may leave sizes out or write
 * factors as `auto`; a file written by mp_mapping_write is fully resolved and
 * reads back to an identical struct. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/checked.h"
#include "golden/base/io.h"
#include "golden/base/str.h"
#include "golden/base/yaml.h"
#include "mapper/catalog.h"
#include "mapper/mapping.h"

static const char *const sched_names[] = {"sequential", "pipelined", "interleaved"};
static const char *const loop_names[] = {"temporal", "rows", "cols"};
static const char *const gran_names[] = {"tile", "row", "head", "auto"}; /* mp_gran_kind order */

const char *mp_sched_name(mp_sched_kind k)
{
    return sched_names[k];
}

const char *mp_loop_kind_name(mp_loop_kind k)
{
    return loop_names[k];
}

const char *mp_gran_name(mp_gran_kind k)
{
    return gran_names[k];
}

/* ---------------------------------------------------------------- lookups */

int64_t mp_cmap_rank(const mp_cascade_map *c, const char *rank)
{
    for (int i = 0; i < c->n_ranks; i++)
        if (c->ranks[i].rank[0] == rank[0] && es_streq(c->ranks[i].rank, rank))
            return c->ranks[i].size;
    return -1;
}

const char *mp_cmap_unit_of(const mp_cascade_map *c, const char *einsum)
{
    for (int i = 0; i < c->n_bindings; i++)
        if (!strcmp(c->bindings[i].einsum, einsum))
            return c->bindings[i].unit;
    return NULL;
}

int mp_group_index_of(const mp_cascade_map *c, const char *einsum)
{
    for (int g = 0; g < c->n_groups; g++)
        for (int i = 0; i < c->groups[g].n_einsums; i++)
            if (!strcmp(c->groups[g].einsums[i], einsum))
                return g;
    return -1;
}

int64_t mp_level_factor(const mp_level *l, const char *rank)
{
    int64_t f = 1;
    for (int i = 0; i < l->n; i++)
        if (l->loops[i].rank[0] == rank[0] && es_streq(l->loops[i].rank, rank))
            f *= l->loops[i].factor;
    return f;
}

int mp_group_whole_head(const mp_group *g)
{
    return (g->n_levels ? mp_level_factor(&g->levels[0], "p") : 1) == 1;
}

/* Rows of p per tile: the p factors of every level below DRAM. */
static int64_t rows_per_tile(const mp_group *g)
{
    int64_t rows = 1;
    for (int l = 1; l < g->n_levels; l++)
        rows *= mp_level_factor(&g->levels[l], "p");
    return rows;
}

int mp_group_rows_allowed(const mp_group *g)
{
    if (!g->max_rows)
        return 1;
    int head = g->granularity != MP_GRAN_ROW && mp_group_whole_head(g);
    return head || rows_per_tile(g) <= g->max_rows;
}

int mp_group_rows_check(const mp_cascade_map *cm, const mp_group *g, es_err *e)
{
    if (mp_group_rows_allowed(g))
        return 0;
    return es_fail(e, "mapping: cascade '%s' group '%s': %lld rows of p per tile exceed max_rows %lld", cm->label,
                   g->name, (long long)rows_per_tile(g), (long long)g->max_rows);
}

int64_t mp_group_rank_product(const mp_group *g, const char *rank)
{
    int64_t f = 1;
    for (int l = 0; l < g->n_levels; l++)
        f *= mp_level_factor(&g->levels[l], rank);
    return f;
}

/* ---------------------------------------------------------------- reading */

static int name_into(const es_ynode *n, char *dst, size_t sz, es_err *e)
{
    if (n->kind != ES_Y_SCALAR)
        return es_y_fail(n, e, "expected a name");
    return es_y_name(n, n->value, dst, sz, 0, e);
}

/* A map key as a name (the key string; its node only gives the location). */
static int key_into(const es_ynode *map, size_t i, char *dst, size_t sz, es_err *e)
{
    return es_y_name(map->keylocs[i], map->keys[i], dst, sz, 0, e);
}

static int key_name(const es_ynode *m, const char *key, int req, char *dst, size_t sz, es_err *e)
{
    es_ynode *n = es_y_get(m, key);
    if (!n)
        return req ? es_y_fail(m, e, "missing key '%s'", key) : 0;
    return name_into(n, dst, sz, e);
}

static int name_list(const es_ynode *n, char (*dst)[MP_ENAME], int max, int *count, es_err *e)
{
    if (es_y_expect(n, ES_Y_SEQ, e))
        return -1;
    if ((int)n->n > max)
        return es_y_fail(n, e, "too many names (at most %d)", max);
    for (size_t i = 0; i < n->n; i++)
        if (name_into(n->items[i], dst[i], MP_ENAME, e))
            return -1;
    *count = (int)n->n;
    return 0;
}

/* A factor: positive integer, `auto` (0) or `unit` (MP_FACTOR_UNIT). */
static int factor_of(const es_ynode *n, int64_t *out, es_err *e)
{
    if (n->kind == ES_Y_SCALAR && !strcmp(n->value, "auto")) {
        *out = 0;
        return 0;
    }
    if (n->kind == ES_Y_SCALAR && !strcmp(n->value, "unit")) {
        *out = MP_FACTOR_UNIT;
        return 0;
    }
    if (es_y_as_int(n, out, e))
        return -1;
    if (*out < 1 || *out > ES_MAX_SPEC_SIZE)
        return es_y_fail(n, e, "expected a factor in 1..%" PRId64 ", 'auto' or 'unit', got %" PRId64,
                         ES_MAX_SPEC_SIZE, *out);
    return 0;
}

static int parse_level(const es_ynode *v, mp_level *l, es_err *e)
{
    static const char *const keys[] = {"level", "loops", NULL};
    if (es_y_expect(v, ES_Y_MAP, e) || es_y_check_keys(v, keys, e) ||
        key_name(v, "level", 1, l->store, sizeof l->store, e))
        return -1;
    es_ynode *loops =
        es_y_child(v, "loops", ES_Y_SEQ, "a list of [rank, factor] or [rank, factor, rows|cols]", e);
    if (!loops)
        return -1;
    if (loops->n > MP_MAX_LOOPS)
        return es_y_fail(loops, e, "too many loops (at most %d)", MP_MAX_LOOPS);
    for (size_t i = 0; i < loops->n; i++) {
        es_ynode *lp = loops->items[i];
        if (lp->kind != ES_Y_SEQ || lp->n < 2 || lp->n > 3)
            return es_y_fail(lp, e, "expected [rank, factor] or [rank, factor, temporal|rows|cols]");
        mp_loop *x = &l->loops[l->n];
        if (name_into(lp->items[0], x->rank, sizeof x->rank, e) || factor_of(lp->items[1], &x->factor, e))
            return -1;
        x->kind = MP_LOOP_TEMPORAL;
        x->line = lp->line, x->col = lp->col;
        if (lp->n == 3) {
            const es_ynode *k = lp->items[2];
            int found = -1;
            for (int j = 0; j < 3; j++)
                if (k->kind == ES_Y_SCALAR && !strcmp(k->value, loop_names[j]))
                    found = j;
            if (found < 0)
                return es_y_fail(k, e, "expected temporal, rows or cols");
            x->kind = (mp_loop_kind)found;
        }
        if (x->factor == MP_FACTOR_UNIT && x->kind == MP_LOOP_TEMPORAL)
            return es_y_fail(lp->items[1], e, "'unit' (the unit's size) applies to spatial loops only (rows or cols)");
        l->n++;
    }
    return 0;
}

static int in_group(const mp_group *g, const char *einsum)
{
    for (int i = 0; i < g->n_einsums; i++)
        if (!strcmp(g->einsums[i], einsum))
            return i;
    return -1;
}

static int parse_slot(const es_ynode *n, const mp_group *g, mp_slot *s, es_err *e)
{
    if (n->kind != ES_Y_SCALAR)
        return es_y_fail(n, e, "expected an einsum name or 'A|B'");
    char buf[256];
    snprintf(buf, sizeof buf, "%s", n->value);
    s->n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
        if (s->n >= MP_MAX_SLOT_EINSUMS)
            return es_y_fail(n, e, "at most %d einsums alternate in one slot", MP_MAX_SLOT_EINSUMS);
        if (in_group(g, tok) < 0)
            return es_y_fail(n, e, "einsum '%s' is not in group '%s'", tok, g->name);
        snprintf(s->einsums[s->n++], MP_ENAME, "%s", tok);
    }
    if (!s->n)
        return es_y_fail(n, e, "empty slot");
    return 0;
}

static int parse_schedule(const es_ynode *v, mp_group *g, es_err *e)
{
    static const char *const keys[] = {"kind", "lag", "epoch", NULL};
    if (es_y_expect(v, ES_Y_MAP, e) || es_y_check_keys(v, keys, e))
        return -1;
    const char *k = NULL;
    if (es_y_str(v, "kind", 1, &k, e))
        return -1;
    int found = -1;
    for (int j = 0; j < 3; j++)
        if (!strcmp(k, sched_names[j]))
            found = j;
    if (found < 0)
        return es_y_fail(es_y_get(v, "kind"), e, "expected sequential, pipelined or interleaved, got '%s'", k);
    g->schedule = (mp_sched_kind)found;
    es_ynode *lag = es_y_get(v, "lag"), *ep = es_y_get(v, "epoch");
    if (g->schedule != MP_SCHED_INTERLEAVED) {
        if (lag || ep)
            return es_y_fail(lag ? lag : ep, e, "'lag' and 'epoch' only apply to kind interleaved");
        return 0;
    }
    if (!ep)
        return es_y_fail(v, e, "missing key 'epoch' (the phases of one epoch)");
    if (lag) {
        if (es_y_expect(lag, ES_Y_MAP, e))
            return -1;
        for (size_t i = 0; i < lag->n; i++) {
            int idx = in_group(g, lag->keys[i]);
            if (idx < 0)
                return es_y_fail(lag->keylocs[i], e, "einsum '%s' is not in group '%s'", lag->keys[i], g->name);
            int64_t x;
            if (es_y_as_int(lag->items[i], &x, e))
                return -1;
            if (x < 0 || x > 64)
                return es_y_fail(lag->items[i], e, "expected a lag in 0..64");
            g->lag[idx] = (int)x;
        }
    }
    if (es_y_expect(ep, ES_Y_SEQ, e))
        return -1;
    if (ep->n == 0 || ep->n > MP_MAX_PHASES)
        return es_y_fail(ep, e, "expected 1..%d phases", MP_MAX_PHASES);
    int seen[MP_MAX_EINSUMS] = {0};
    for (size_t p = 0; p < ep->n; p++) {
        es_ynode *ph = ep->items[p];
        mp_phase *P = &g->phases[g->n_phases++];
        if (es_y_expect(ph, ES_Y_MAP, e))
            return -1;
        for (size_t u = 0; u < ph->n; u++) {
            es_ynode *sl = ph->items[u];
            if (es_y_expect(sl, ES_Y_SEQ, e))
                return -1;
            for (size_t s = 0; s < sl->n; s++) {
                if (P->n >= MP_MAX_SLOTS)
                    return es_y_fail(sl, e, "too many slots in one phase (at most %d)", MP_MAX_SLOTS);
                mp_phase_slot *ps = &P->slots[P->n];
                if (key_into(ph, u, ps->unit, sizeof ps->unit, e) || parse_slot(sl->items[s], g, &ps->slot, e))
                    return -1;
                for (int j = 0; j < ps->slot.n; j++) {
                    int idx = in_group(g, ps->slot.einsums[j]);
                    if (seen[idx]++)
                        return es_y_fail(sl->items[s], e, "einsum '%s' appears twice in the epoch",
                                         ps->slot.einsums[j]);
                }
                P->n++;
            }
        }
    }
    for (int i = 0; i < g->n_einsums; i++)
        if (!seen[i])
            return es_y_fail(ep, e, "einsum '%s' of group '%s' has no slot in the epoch", g->einsums[i], g->name);
    return 0;
}

static int parse_group(const es_ynode *v, mp_group *g, es_err *e)
{
    static const char *const keys[] = {"name", "einsums", "granularity", "max_rows", "spill", "keep_onchip",
                                       "bypass", "schedule", "nest", NULL};
    if (es_y_expect(v, ES_Y_MAP, e) || es_y_check_keys(v, keys, e) ||
        key_name(v, "name", 1, g->name, sizeof g->name, e))
        return -1;
    es_ynode *n = es_y_child(v, "einsums", ES_Y_SEQ, NULL, e);
    if (!n || name_list(n, g->einsums, MP_MAX_EINSUMS, &g->n_einsums, e))
        return -1;
    g->granularity = MP_GRAN_TILE;
    const char *gran = NULL;
    if (es_y_str(v, "granularity", 0, &gran, e))
        return -1;
    if (gran) {
        int found = -1;
        for (int j = 0; j < (int)(sizeof gran_names / sizeof *gran_names); j++)
            if (!strcmp(gran, gran_names[j]))
                found = j;
        if (found < 0)
            return es_y_fail(es_y_get(v, "granularity"), e, "expected tile, row, head or auto, got '%s'", gran);
        g->granularity = (mp_gran_kind)found;
    }
    if ((n = es_y_get(v, "max_rows"))) {
        if (es_y_int(v, "max_rows", 1, &g->max_rows, e))
            return -1;
        if (g->max_rows < 1)
            return es_y_fail(n, e, "expected a positive number of rows, got %" PRId64, g->max_rows);
        if (g->granularity == MP_GRAN_TILE)
            return es_y_fail(n, e, "max_rows bounds row granularity; group '%s' has granularity tile", g->name);
    }
    if ((n = es_y_get(v, "spill")) && name_list(n, g->spill, MP_MAX_EINSUMS, &g->n_spill, e))
        return -1;
    if ((n = es_y_get(v, "keep_onchip")) && name_list(n, g->keep_onchip, MP_MAX_EINSUMS, &g->n_keep, e))
        return -1;
    if ((n = es_y_get(v, "bypass")) && name_list(n, g->bypass, MP_MAX_EINSUMS, &g->n_bypass, e))
        return -1;
    n = es_y_child(v, "schedule", ES_Y_MAP, NULL, e);
    if (!n || parse_schedule(n, g, e))
        return -1;
    n = es_y_child(v, "nest", ES_Y_SEQ, "loop nest per storage level, outermost first", e);
    if (!n)
        return -1;
    if (n->n == 0 || n->n > MP_MAX_LEVELS)
        return es_y_fail(n, e, "expected 1..%d levels", MP_MAX_LEVELS);
    for (size_t i = 0; i < n->n; i++)
        if (parse_level(n->items[i], &g->levels[g->n_levels++], e))
            return -1;
    return 0;
}

/* bypass: tensors the group reads from or writes to DRAM (inputs, weights,
 * outputs of the cascade), or [auto] (the resolver's choice). */
static int check_bypass(const es_ynode *gv, const mp_cascade_map *c, const mp_group *g, es_err *e)
{
    const es_ynode *bn = es_y_get(gv, "bypass");
    const mp_cascade_desc *cd = mp_catalog_find(c->cascade);
    if (!bn || !cd || (g->n_bypass == 1 && !strcmp(g->bypass[0], "auto")))
        return 0;
    for (int b = 0; b < g->n_bypass; b++) {
        const mp_tensor_desc *t = mp_catalog_tensor(cd, g->bypass[b]);
        int touched = 0;
        for (int j = 0; t && j < g->n_einsums; j++) {
            const mp_einsum_desc *d = mp_catalog_einsum(cd, g->einsums[j]);
            touched |= d && mp_einsum_touches(d, t->name);
        }
        if (!t || !touched || (t->role != MP_T_INPUT && t->role != MP_T_WEIGHT && t->role != MP_T_OUTPUT))
            return es_y_fail(bn->items[b], e,
                             "bypass: '%s' is not an input, weight or output of cascade %s that group '%s' "
                             "reads or writes (expected such tensors, or [auto])",
                             g->bypass[b], c->cascade, g->name);
    }
    return 0;
}

static int parse_cascade(const es_ynode *v, mp_cascade_map *c, es_err *e)
{
    static const char *const keys[] = {"cascade", "label", "ranks", "repeat", "bindings", "groups", NULL};
    if (es_y_expect(v, ES_Y_MAP, e) || es_y_check_keys(v, keys, e) ||
        key_name(v, "cascade", 1, c->cascade, sizeof c->cascade, e) ||
        key_name(v, "label", 1, c->label, sizeof c->label, e))
        return -1;
    /* The cascade must exist (bundled name or .ein path) so a typo is caught
     * here, with its location, not later by the cost model or simulator. */
    es_err why;
    if (!mp_catalog_load(c->cascade, &why))
        return es_y_fail(es_y_get(v, "cascade"), e,
                         "cascade '%s' cannot be used: %s",
                         c->cascade, why.msg);
    es_ynode *n = es_y_get(v, "ranks");
    if (n) {
        if (es_y_expect(n, ES_Y_MAP, e))
            return -1;
        if (n->n > MP_MAX_RANKS)
            return es_y_fail(n, e, "too many ranks (at most %d)", MP_MAX_RANKS);
        for (size_t i = 0; i < n->n; i++) {
            mp_rank_size *r = &c->ranks[c->n_ranks++];
            if (key_into(n, i, r->rank, sizeof r->rank, e) || es_y_as_int(n->items[i], &r->size, e))
                return -1;
            if (r->size < 1)
                return es_y_fail(n->items[i], e, "expected a rank size >= 1");
        }
    }
    if (es_y_int(v, "repeat", 0, &c->repeat, e))
        return -1;
    if (es_y_get(v, "repeat") && c->repeat < 1)
        return es_y_fail(es_y_get(v, "repeat"), e, "expected >= 1");
    n = es_y_child(v, "bindings", ES_Y_MAP, "einsum: unit", e);
    if (!n)
        return -1;
    if (n->n > MP_MAX_EINSUMS)
        return es_y_fail(n, e, "too many bindings");
    for (size_t i = 0; i < n->n; i++) {
        mp_binding *b = &c->bindings[c->n_bindings++];
        if (key_into(n, i, b->einsum, sizeof b->einsum, e) || name_into(n->items[i], b->unit, sizeof b->unit, e))
            return -1;
    }
    n = es_y_child(v, "groups", ES_Y_SEQ, NULL, e);
    if (!n)
        return -1;
    if (n->n == 0 || n->n > MP_MAX_GROUPS)
        return es_y_fail(n, e, "expected 1..%d groups", MP_MAX_GROUPS);
    for (size_t i = 0; i < n->n; i++) {
        mp_group *g = &c->groups[c->n_groups++];
        if (parse_group(n->items[i], g, e))
            return -1;
        for (int j = 0; j < g->n_einsums; j++) {
            if (!mp_cmap_unit_of(c, g->einsums[j]))
                return es_y_fail(n->items[i], e, "einsum '%s' has no binding", g->einsums[j]);
            int other = mp_group_index_of(c, g->einsums[j]);
            if (other != (int)i)
                return es_y_fail(n->items[i], e, "einsum '%s' is in two groups", g->einsums[j]);
            for (int k = j + 1; k < g->n_einsums; k++)
                if (!strcmp(g->einsums[j], g->einsums[k]))
                    return es_y_fail(n->items[i], e, "einsum '%s' listed twice", g->einsums[j]);
        }
        if (check_bypass(n->items[i], c, g, e))
            return -1;
    }
    for (int i = 0; i < c->n_bindings; i++)
        if (mp_group_index_of(c, c->bindings[i].einsum) < 0)
            return es_y_fail(es_y_get(v, "bindings"), e, "einsum '%s' is bound but in no group",
                             c->bindings[i].einsum);
    return 0;
}

void mp_mapping_init(mp_mapping *m) { memset(m, 0, sizeof *m); }

void mp_mapping_free(mp_mapping *m)
{
    free(m->cascades);
    m->cascades = NULL;
    m->n_cascades = m->cap_cascades = 0;
}

int mp_mapping_reserve(mp_mapping *m, int64_t n, es_err *e)
{
    int64_t per = (int64_t)sizeof *m->cascades;
    if (n > MP_MAPPING_MAX_BYTES / per)
        return es_fail(e, "workload has %lld cascade instances to map: their mappings would take %.1f GiB (%lld KiB "
                          "each), over the %lld GiB limit (MP_MAPPING_MAX_BYTES); a decode maps one attention per "
                          "generated token: lower --gen",
                       (long long)n, (double)n * (double)per / (double)(1 << 30), (long long)(per / 1024),
                       (long long)(MP_MAPPING_MAX_BYTES >> 30));
    if (n > m->cap_cascades) {
        m->cascades = es_xrealloc(m->cascades, (size_t)n * sizeof *m->cascades);
        m->cap_cascades = (int)n;
    }
    return 0;
}

mp_cascade_map *mp_mapping_add(mp_mapping *m)
{
    if (m->n_cascades == m->cap_cascades) {
        int cap = m->cap_cascades ? 2 * m->cap_cascades : 8;
        m->cascades = es_xrealloc(m->cascades, (size_t)cap * sizeof *m->cascades);
        m->cap_cascades = cap;
    }
    mp_cascade_map *c = &m->cascades[m->n_cascades++];
    memset(c, 0, sizeof *c);
    return c;
}

void mp_mapping_copy(mp_mapping *dst, const mp_mapping *src)
{
    *dst = *src;
    dst->cascades = NULL;
    dst->n_cascades = dst->cap_cascades = 0;
    if (!src->n_cascades)
        return;
    dst->cascades = es_xmalloc((size_t)src->n_cascades * sizeof *dst->cascades);
    memcpy(dst->cascades, src->cascades, (size_t)src->n_cascades * sizeof *dst->cascades);
    dst->n_cascades = dst->cap_cascades = src->n_cascades;
}

static int parse_mapping(const es_ynode *root, mp_mapping *m, es_err *e)
{
    static const char *const keys[] = {"arch", "model", "seq", "batch", "scope", "cascades", NULL};
    memset(m, 0, sizeof *m);
    if (es_y_expect(root, ES_Y_MAP, e) || es_y_check_keys(root, keys, e) ||
        key_name(root, "arch", 1, m->arch, sizeof m->arch, e) ||
        key_name(root, "model", 0, m->model, sizeof m->model, e) || es_y_int(root, "seq", 0, &m->seq, e) ||
        es_y_int(root, "batch", 0, &m->batch, e) || key_name(root, "scope", 0, m->scope, sizeof m->scope, e))
        return -1;
    es_ynode *n = es_y_child(root, "cascades", ES_Y_SEQ, NULL, e);
    if (!n)
        return -1;
    if (n->n == 0)
        return es_y_fail(n, e, "expected at least one cascade");
    if ((int64_t)n->n > MP_MAPPING_MAX_BYTES / (int64_t)sizeof *m->cascades)
        return es_y_fail(n, e, "expected at most %lld cascades (MP_MAPPING_MAX_BYTES), got %zu",
                         (long long)(MP_MAPPING_MAX_BYTES / (int64_t)sizeof *m->cascades), n->n);
    if (mp_mapping_reserve(m, (int64_t)n->n, e))
        return -1;
    for (size_t i = 0; i < n->n; i++)
        if (parse_cascade(n->items[i], mp_mapping_add(m), e)) {
            mp_mapping_free(m);
            return -1;
        }
    return 0;
}

static int read_mapping(const es_ynode *root, void *out, es_err *e) { return parse_mapping(root, out, e); }

int mp_mapping_parse(const char *fname, const char *text, mp_mapping *out, es_err *e)
{
    mp_mapping_init(out);
    return es_yaml_read_string(fname, text, read_mapping, out, e);
}

int mp_mapping_load(const char *name_or_path, mp_mapping *out, es_err *e)
{
    mp_mapping_init(out);
    return es_yaml_read_bundled("mappings", name_or_path, read_mapping, out, e);
}

/* ---------------------------------------------------------------- writing */

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
        va_end(ap);
        if ((size_t)k < b->cap - b->n) {
            b->n += (size_t)k;
            return;
        }
        b->cap = b->cap * 2 + (size_t)k + 64;
        b->p = es_xrealloc(b->p, b->cap);
    }
}

static void write_factor(sbuf *b, int64_t f)
{
    if (f == 0)
        sb_printf(b, "auto");
    else if (f == MP_FACTOR_UNIT)
        sb_printf(b, "unit");
    else
        sb_printf(b, "%" PRId64, f);
}

static void write_group(sbuf *b, const mp_group *g)
{
    sb_printf(b, "      - name: %s\n        einsums: [", g->name);
    for (int i = 0; i < g->n_einsums; i++)
        sb_printf(b, "%s%s", i ? ", " : "", g->einsums[i]);
    sb_printf(b, "]\n        granularity: %s\n", mp_gran_name(g->granularity));
    if (g->max_rows)
        sb_printf(b, "        max_rows: %" PRId64 "\n", g->max_rows);
    sb_printf(b, "        spill: [");
    for (int i = 0; i < g->n_spill; i++)
        sb_printf(b, "%s%s", i ? ", " : "", g->spill[i]);
    sb_printf(b, "]\n        keep_onchip: [");
    for (int i = 0; i < g->n_keep; i++)
        sb_printf(b, "%s%s", i ? ", " : "", g->keep_onchip[i]);
    if (g->n_bypass) {
        sb_printf(b, "]\n        bypass: [");
        for (int i = 0; i < g->n_bypass; i++)
            sb_printf(b, "%s%s", i ? ", " : "", g->bypass[i]);
    }
    sb_printf(b, "]\n        schedule:\n          kind: %s\n", sched_names[g->schedule]);
    if (g->schedule == MP_SCHED_INTERLEAVED) {
        sb_printf(b, "          lag: {");
        int first = 1;
        for (int i = 0; i < g->n_einsums; i++)
            if (g->lag[i]) {
                sb_printf(b, "%s%s: %d", first ? "" : ", ", g->einsums[i], g->lag[i]);
                first = 0;
            }
        sb_printf(b, "}\n          epoch:\n");
        for (int p = 0; p < g->n_phases; p++) {
            const mp_phase *P = &g->phases[p];
            sb_printf(b, "            - {");
            /* group slots by unit, in first-appearance order */
            int done[MP_MAX_SLOTS] = {0};
            int firstu = 1;
            for (int s = 0; s < P->n; s++) {
                if (done[s])
                    continue;
                sb_printf(b, "%s%s: [", firstu ? "" : ", ", P->slots[s].unit);
                firstu = 0;
                int firsts = 1;
                for (int t = s; t < P->n; t++) {
                    if (done[t] || strcmp(P->slots[t].unit, P->slots[s].unit))
                        continue;
                    done[t] = 1;
                    sb_printf(b, "%s", firsts ? "" : ", ");
                    firsts = 0;
                    for (int j = 0; j < P->slots[t].slot.n; j++)
                        sb_printf(b, "%s%s", j ? "|" : "", P->slots[t].slot.einsums[j]);
                }
                sb_printf(b, "]");
            }
            sb_printf(b, "}\n");
        }
    }
    sb_printf(b, "        nest:\n");
    for (int l = 0; l < g->n_levels; l++) {
        const mp_level *L = &g->levels[l];
        sb_printf(b, "          - level: %s\n            loops: [", L->store);
        for (int i = 0; i < L->n; i++) {
            sb_printf(b, "%s[%s, ", i ? ", " : "", L->loops[i].rank);
            write_factor(b, L->loops[i].factor);
            if (L->loops[i].kind != MP_LOOP_TEMPORAL)
                sb_printf(b, ", %s", loop_names[L->loops[i].kind]);
            sb_printf(b, "]");
        }
        sb_printf(b, "]\n");
    }
}

char *mp_mapping_to_yaml(const mp_mapping *m)
{
    sbuf b = {es_xmalloc(4096), 0, 4096};
    sb_printf(&b, "# einsim mapping (mapper/mapping.h, docs/spec-arch.md)\narch: %s\n", m->arch);
    if (m->model[0])
        sb_printf(&b, "model: %s\n", m->model);
    if (m->seq)
        sb_printf(&b, "seq: %" PRId64 "\n", m->seq);
    if (m->batch)
        sb_printf(&b, "batch: %" PRId64 "\n", m->batch);
    if (m->scope[0])
        sb_printf(&b, "scope: %s\n", m->scope);
    sb_printf(&b, "cascades:\n");
    for (int c = 0; c < m->n_cascades; c++) {
        const mp_cascade_map *C = &m->cascades[c];
        sb_printf(&b, "  - cascade: %s\n    label: %s\n", C->cascade, C->label);
        if (C->n_ranks) {
            sb_printf(&b, "    ranks: {");
            for (int i = 0; i < C->n_ranks; i++)
                sb_printf(&b, "%s%s: %" PRId64, i ? ", " : "", C->ranks[i].rank, C->ranks[i].size);
            sb_printf(&b, "}\n");
        }
        if (C->repeat)
            sb_printf(&b, "    repeat: %" PRId64 "\n", C->repeat);
        sb_printf(&b, "    bindings: {");
        for (int i = 0; i < C->n_bindings; i++)
            sb_printf(&b, "%s%s: %s", i ? ", " : "", C->bindings[i].einsum, C->bindings[i].unit);
        sb_printf(&b, "}\n    groups:\n");
        for (int g = 0; g < C->n_groups; g++)
            write_group(&b, &C->groups[g]);
    }
    return b.p;
}

int mp_mapping_write(const char *path, const mp_mapping *m, es_err *e)
{
    char *s = mp_mapping_to_yaml(m);
    int rc = es_write_file(path, s, strlen(s), e);
    free(s);
    return rc;
}
