/* mapper/energy.c: load energy/area tables (see energy.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/io.h"
#include "golden/base/yaml.h"
#include "mapper/energy.h"
#include "mapper/sram.h"

static int parse_tree(const es_ynode *root, void *out, es_err *e)
{
    mp_energy *t = out;
    static const char *const top[] = {"name", "technology", "buffer_geometry", "actions", "area", NULL};
    static const char *const geo[] = {"capacity_bytes", "banks", "width_bits", NULL};
    static const char *const act[] = {"energy_pj", "leak_pj", NULL};
    memset(t, 0, sizeof *t);
    if (es_y_expect(root, ES_Y_MAP, e) || es_y_check_keys(root, top, e))
        return -1;
    const char *s = NULL;
    if (es_y_str(root, "name", 1, &s, e))
        return -1;
    snprintf(t->name, sizeof t->name, "%s", s);
    s = "";
    if (es_y_str(root, "technology", 0, &s, e))
        return -1;
    snprintf(t->technology, sizeof t->technology, "%s", s);
    es_ynode *g = es_y_get(root, "buffer_geometry");
    if (g) {
        int64_t banks = 0, width = 0;
        if (es_y_expect(g, ES_Y_MAP, e) || es_y_check_keys(g, geo, e) ||
            es_y_int(g, "capacity_bytes", 1, &t->buf_capacity_bytes, e) || es_y_int(g, "banks", 1, &banks, e) ||
            es_y_int(g, "width_bits", 1, &width, e))
            return -1;
        if (t->buf_capacity_bytes < 1 || t->buf_capacity_bytes > ((int64_t)1 << 50) || banks < 1 ||
            banks > (1 << 16) || width < 1 || width > (1 << 20))
            return es_y_fail(g, e, "expected capacity_bytes in 1..2^50, banks in 1..65536, width_bits in 1..2^20");
        t->buf_banks = (int)banks, t->buf_width_bits = (int)width;
    }
    es_ynode *a = es_y_child(root, "actions", ES_Y_MAP, "map of action: {energy_pj: X}", e);
    if (!a)
        return -1;
    for (size_t i = 0; i < a->n; i++) {
        es_ynode *v = a->items[i];
        if (t->n >= MP_MAX_ENERGY)
            return es_y_fail(v, e, "too many actions (at most %d)", MP_MAX_ENERGY);
        if (es_y_expect(v, ES_Y_MAP, e) || es_y_check_keys(v, act, e))
            return -1;
        mp_energy_entry *en = &t->e[t->n++];
        snprintf(en->name, sizeof en->name, "%s", a->keys[i]);
        if (es_y_double(v, "energy_pj", 1, &en->pj, e) || es_y_double(v, "leak_pj", 0, &en->leak_pj, e))
            return -1;
        if (en->pj < 0)
            return es_y_fail(es_y_get(v, "energy_pj"), e, "energy_pj must be >= 0");
        if (en->leak_pj < 0)
            return es_y_fail(es_y_get(v, "leak_pj"), e, "leak_pj must be >= 0");
    }
    es_ynode *ar = es_y_get(root, "area");
    if (ar) {
        if (es_y_expect(ar, ES_Y_MAP, e))
            return -1;
        for (size_t i = 0; i < ar->n; i++) {
            if (t->n_area >= MP_MAX_ENERGY)
                return es_y_fail(ar->items[i], e, "too many area entries");
            mp_area_entry *en = &t->area[t->n_area++];
            snprintf(en->name, sizeof en->name, "%s", ar->keys[i]);
            if (es_y_as_double(ar->items[i], &en->um2, e))
                return -1;
            if (en->um2 < 0)
                return es_y_fail(ar->items[i], e, "area must be >= 0 (um^2), got %g", en->um2);
        }
    }
    return 0;
}

int mp_energy_parse(const char *fname, const char *text, mp_energy *out, es_err *e)
{
    return es_yaml_read_string(fname, text, parse_tree, out, e);
}

int mp_energy_load(const char *name_or_path, mp_energy *out, es_err *e)
{
    return es_yaml_read_bundled("energy", name_or_path, parse_tree, out, e);
}

double mp_energy_of(const mp_energy *t, const char *action)
{
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->e[i].name, action))
            return t->e[i].pj;
    return -1;
}

double mp_area_of(const mp_energy *t, const char *component)
{
    for (int i = 0; i < t->n_area; i++)
        if (!strcmp(t->area[i].name, component))
            return t->area[i].um2;
    return -1;
}

double mp_energy_fit_buffer(mp_energy *t, const char *read_action, const char *write_action, int64_t capacity_bytes,
                            int banks, int width_bits)
{
    if (!t->buf_capacity_bytes)
        return 1.0;
    mp_sram_geom from = {t->buf_capacity_bytes, t->buf_banks, t->buf_width_bits};
    mp_sram_geom to = {capacity_bytes, banks, width_bits};
    double fr = mp_sram_energy_factor(&from, &to, 0), fw = mp_sram_energy_factor(&from, &to, 1);
    for (int i = 0; i < t->n; i++) {
        if (!strcmp(t->e[i].name, read_action))
            t->e[i].pj *= fr;
        else if (!strcmp(t->e[i].name, write_action))
            t->e[i].pj *= fw;
    }
    return fr;
}

double mp_energy_buffer_area(const mp_energy *t, int64_t capacity_bytes, int banks, int width_bits)
{
    double um2 = mp_area_of(t, "gb");
    if (um2 <= 0)
        return 0;
    if (!t->buf_capacity_bytes)
        return um2;
    mp_sram_geom from = {t->buf_capacity_bytes, t->buf_banks, t->buf_width_bits};
    mp_sram_geom to = {capacity_bytes, banks, width_bits};
    return um2 * mp_sram_area_um2(&to) / mp_sram_area_um2(&from);
}

typedef struct rtl_area_q {
    const char *unit;
    double um2, node_nm;
    int found;
    char names[256];
} rtl_area_q;

static int read_rtl_area(const es_ynode *root, void *out, es_err *e)
{
    rtl_area_q *q = out;
    if (es_y_expect(root, ES_Y_MAP, e) || es_y_double(root, "node_nm", 1, &q->node_nm, e))
        return -1;
    if (!(q->node_nm > 0))
        return es_y_fail(es_y_get(root, "node_nm"), e, "expected > 0");
    es_ynode *u = es_y_child(root, "units", ES_Y_MAP, "map of unit: {cells: N, area_um2: A}", e);
    if (!u)
        return -1;
    for (size_t i = 0; i < u->n; i++) {
        size_t l = strlen(q->names);
        snprintf(q->names + l, sizeof q->names - l, "%s%s", l ? ", " : "", u->keys[i]);
        if (strcmp(u->keys[i], q->unit))
            continue;
        if (es_y_expect(u->items[i], ES_Y_MAP, e) || es_y_double(u->items[i], "area_um2", 1, &q->um2, e))
            return -1;
        if (!(q->um2 > 0))
            return es_y_fail(es_y_get(u->items[i], "area_um2"), e, "expected > 0");
        q->found = 1;
    }
    return 0;
}

int mp_rtl_area(const char *unit, double *um2, double *node_nm, es_err *e)
{
    rtl_area_q q = {.unit = unit};
    if (es_yaml_read_bundled("energy", "rtl-area", read_rtl_area, &q, e))
        return -1;
    if (!q.found)
        return es_fail(e, "no RTL unit '%s' in rtl-area.yaml (make rtl-area); expected one of: %s", unit, q.names);
    *um2 = q.um2, *node_nm = q.node_nm;
    return 0;
}

double mp_area_scale(double from_nm, double to_nm) { return (to_nm / from_nm) * (to_nm / from_nm); }

double mp_technology_nm(const char *technology)
{
    char *end;
    double v = strtod(technology, &end);
    return v > 0 && !strcmp(end, "nm") ? v : 0;
}
