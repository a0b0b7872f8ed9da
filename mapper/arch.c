/* mapper/arch.c: architecture spec loader (see arch.h for the contract and
 * docs/spec-arch.md for every key). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/checked.h"
#include "golden/base/io.h"
#include "golden/base/yaml.h"
#include "mapper/arch.h"
#include "mapper/sram.h"

static const char *const op_names[MP_OP__COUNT] = {"add", "sub", "mul", "mac", "max", "min",
                                                   "div", "exp", "rsqrt", "gelu", "silu"};

const char *mp_op_name(mp_op op)
{
    return (unsigned)op < MP_OP__COUNT ? op_names[op] : "?";
}

int mp_op_parse(const char *s)
{
    for (int i = 0; i < MP_OP__COUNT; i++)
        if (!strcmp(s, op_names[i]))
            return i;
    return -1;
}

/* names[0..n) as "a, b or c" into out. */
static void join_names(const char *const *names, int n, char *out, size_t sz)
{
    size_t len = 0;
    out[0] = 0;
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, len < sz ? sz - len : 0, "%s%s", i == 0 ? "" : i == n - 1 ? " or " : ", ",
                                names[i]);
}

/* Index of s in names[0..n), or a located error at `at` ("unknown WHAT 's'
 * (expected a, b or c)") and -1. */
static int name_index(const char *const *names, int n, const char *what, const es_ynode *at, const char *s, es_err *e)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], s))
            return i;
    char list[512];
    join_names(names, n, list, sizeof list);
    es_y_fail(at, e, "unknown %s '%s' (expected %s)", what, s, n ? list : "none: none are registered");
    return -1;
}

/* The entry of `kinds` named `kind`, or a located error at `at` listing the
 * valid ones in table order. */
static const mp_kind *find_kind(const mp_kind *const *kinds, int n, const char *what, const es_ynode *at,
                                const char *kind, es_err *e)
{
    const char *names[64] = {0};
    char w[32];
    for (int i = 0; i < n && i < 64; i++)
        names[i] = kinds[i]->name;
    snprintf(w, sizeof w, "%s kind", what);
    int i = name_index(names, n < 64 ? n : 64, w, at, kind, e);
    return i < 0 ? NULL : kinds[i];
}

/* es_y_check_keys over the common keys plus the kind's own. */
static int check_keys_of(const es_ynode *v, const char *const *common, const mp_kind *k, es_err *e)
{
    const char *all[64];
    int n = 0;
    for (int i = 0; common[i] && n < 63; i++)
        all[n++] = common[i];
    for (int i = 0; k && k->keys && k->keys[i] && n < 63; i++)
        all[n++] = k->keys[i];
    all[n] = NULL;
    return es_y_check_keys(v, all, e);
}

/* The kind-specific part of a record: its entry's parse. */
static int parse_kind_keys(const es_ynode *v, const mp_arch *a, const mp_kind *k, void *rec, es_err *e)
{
    return k->parse ? k->parse(v, a, rec, e) : 0;
}

static int get_name(const es_ynode *m, const char *key, int req, char *dst, size_t n, es_err *e)
{
    const char *s = NULL;
    if (es_y_str(m, key, req, &s, e))
        return -1;
    if (!s)
        return 0;
    return es_y_name(es_y_get(m, key), s, dst, n, 1, e);
}

static int get_pos_int(const es_ynode *m, const char *key, int req, int *out, int64_t max, es_err *e)
{
    int64_t v = *out;
    if (es_y_int(m, key, req, &v, e))
        return -1;
    es_ynode *n = es_y_get(m, key);
    if (n && (v < 1 || v > max))
        return es_y_fail(n, e, "expected an integer in 1..%lld, got %lld", (long long)max, (long long)v);
    *out = (int)v;
    return 0;
}

static int parse_ops(const es_ynode *ops, mp_unit *u, es_err *e)
{
    static const char *const keys[] = {"cycles", "actions", NULL};
    if (es_y_expect(ops, ES_Y_MAP, e))
        return -1;
    for (size_t i = 0; i < ops->n; i++) {
        es_ynode *v = ops->items[i];
        int op = mp_op_parse(ops->keys[i]);
        if (op < 0)
            return es_y_fail(ops->keylocs[i], e,
                             "unknown op '%s' (expected add sub mul mac max min div exp rsqrt gelu silu)",
                             ops->keys[i]);
        if (mp_unit_op(u, (mp_op)op))
            return es_y_fail(ops->keylocs[i], e, "op '%s' listed twice", ops->keys[i]);
        if (u->n_ops >= MP_MAX_OPS)
            return es_y_fail(v, e, "too many ops");
        if (es_y_expect(v, ES_Y_MAP, e) || es_y_check_keys(v, keys, e))
            return -1;
        mp_op_cost *c = &u->ops[u->n_ops++];
        c->op = (mp_op)op;
        c->cycles = 1;
        if (get_pos_int(v, "cycles", 1, &c->cycles, 1000000, e))
            return -1;
        es_ynode *a = es_y_child(v, "actions", ES_Y_MAP, "energy actions per point-op, e.g. {mac: 1}", e);
        if (!a)
            return -1;
        for (size_t j = 0; j < a->n; j++) {
            if (c->n_actions >= MP_MAX_ACTIONS)
                return es_y_fail(a, e, "too many actions (at most %d)", MP_MAX_ACTIONS);
            mp_action_count *ac = &c->actions[c->n_actions++];
            if (es_y_name(a->keylocs[j], a->keys[j], ac->action, sizeof ac->action, 1, e) ||
                es_y_as_double(a->items[j], &ac->count, e))
                return -1;
            if (ac->count < 0)
                return es_y_fail(a->items[j], e, "action count must be >= 0");
        }
    }
    return 0;
}

static int parse_unit(const es_ynode *v, const char *name, const mp_arch_kinds *kinds, const mp_arch *a, mp_unit *u,
                      es_err *e)
{
    static const char *const keys[] = {"kind", "rows", "cols", "fill_cycles", "spatial_reduce", "rtl_area", "ops", NULL};
    if (es_y_expect(v, ES_Y_MAP, e))
        return -1;
    if (es_y_name(v, name, u->name, sizeof u->name, 1, e))
        return -1;
    const char *kind = NULL;
    if (es_y_str(v, "kind", 1, &kind, e))
        return -1;
    u->def = find_kind(kinds->units, kinds->n_units, "unit", es_y_get(v, "kind"), kind, e);
    if (!u->def || check_keys_of(v, keys, u->def, e))
        return -1;
    u->kind = (mp_unit_kind)u->def->cls;
    u->rows = 1;
    if (u->kind == MP_UNIT_ARRAY2D) {
        if (get_pos_int(v, "rows", 1, &u->rows, 1 << 16, e))
            return -1;
    } else if (es_y_get(v, "rows")) {
        return es_y_fail(es_y_get(v, "rows"), e, "'rows' only applies to kind array2d");
    }
    if (get_pos_int(v, "cols", 1, &u->cols, 1 << 20, e))
        return -1;
    int64_t fill = 0;
    if (es_y_int(v, "fill_cycles", 0, &fill, e))
        return -1;
    if (fill < 0 || fill > 1000000)
        return es_y_fail(es_y_get(v, "fill_cycles"), e, "expected an integer in 0..1000000, got %lld",
                         (long long)fill);
    u->fill_cycles = (int)fill;
    if (es_y_bool(v, "spatial_reduce", 0, &u->spatial_reduce, e) ||
        get_name(v, "rtl_area", 0, u->rtl_area, sizeof u->rtl_area, e))
        return -1;
    es_ynode *ops = es_y_child(v, "ops", ES_Y_MAP, "the ops this unit supports", e);
    if (!ops || parse_ops(ops, u, e))
        return -1;
    return parse_kind_keys(v, a, u->def, u, e);
}

/* Storage kinds (mp_store_kind order). */
static const char *const store_kinds[] = {"regfile", "buffer"};
_Static_assert(MP_STORE_REGFILE == 0 && MP_STORE_BUFFER == 1, "store_kinds is indexed by mp_store_kind");

/* Number formats an arch may name (the values its tensors hold). */
static const char *const number_formats[] = {"fp16", "bf16", "fp32", "int8"};

static int parse_store(const es_ynode *v, const char *name, mp_arch *a, mp_store *s, es_err *e)
{
    static const char *const keys[] = {"kind",       "unit",        "entries",      "capacity_bytes",
                                       "banks",      "width_bits",  "read_ports",   "write_ports",
                                       "read_action", "write_action", "words_per_access", NULL};
    if (es_y_expect(v, ES_Y_MAP, e) || es_y_check_keys(v, keys, e))
        return -1;
    if (es_y_name(v, name, s->name, sizeof s->name, 1, e))
        return -1;
    const char *kind = NULL;
    if (es_y_str(v, "kind", 1, &kind, e))
        return -1;
    s->banks = 1;
    s->read_ports = s->write_ports = 1;
    s->words_per_access = 1;
    int k = name_index(store_kinds, 2, "storage kind", es_y_get(v, "kind"), kind, e);
    if (k < 0)
        return -1;
    s->kind = (mp_store_kind)k;
    if (s->kind == MP_STORE_REGFILE) {
        if (get_name(v, "unit", 1, s->unit, sizeof s->unit, e))
            return -1;
        if (!mp_arch_unit(a, s->unit))
            return es_y_fail(es_y_get(v, "unit"), e, "unknown unit '%s' (units must be defined before storage)",
                             s->unit);
        if (es_y_int(v, "entries", 1, &s->entries, e))
            return -1;
        if (s->entries < 1 || s->entries > ES_MAX_SPEC_SIZE)
            return es_y_fail(es_y_get(v, "entries"), e, "expected an integer in 1..%lld, got %lld",
                             (long long)ES_MAX_SPEC_SIZE, (long long)s->entries);
        if (es_y_get(v, "capacity_bytes"))
            return es_y_fail(es_y_get(v, "capacity_bytes"), e,
                             "a regfile is sized by 'entries' (capacity_bytes is derived)");
        if (es_mul_i64(s->entries, a->word_bytes, &s->capacity_bytes))
            return es_y_fail(es_y_get(v, "entries"), e, "entries x word_bytes overflows");
    } else {
        if (es_y_int(v, "capacity_bytes", 1, &s->capacity_bytes, e))
            return -1;
        if (s->capacity_bytes < 1 || s->capacity_bytes > ES_MAX_SPEC_SIZE)
            return es_y_fail(es_y_get(v, "capacity_bytes"), e, "expected an integer in 1..%lld, got %lld",
                             (long long)ES_MAX_SPEC_SIZE, (long long)s->capacity_bytes);
        if (get_pos_int(v, "banks", 0, &s->banks, 1 << 16, e) ||
            get_pos_int(v, "width_bits", 1, &s->width_bits, 1 << 20, e))
            return -1;
        if (es_y_get(v, "unit") || es_y_get(v, "entries"))
            return es_y_fail(v, e, "'unit' and 'entries' only apply to kind regfile");
    }
    if (get_pos_int(v, "read_ports", 0, &s->read_ports, 64, e) ||
        get_pos_int(v, "write_ports", 0, &s->write_ports, 64, e) ||
        get_pos_int(v, "words_per_access", 0, &s->words_per_access, 1 << 20, e) ||
        get_name(v, "read_action", 1, s->read_action, sizeof s->read_action, e) ||
        get_name(v, "write_action", 1, s->write_action, sizeof s->write_action, e))
        return -1;
    return 0;
}

static int parse_mem(const es_ynode *v, const mp_arch_kinds *kinds, const mp_arch *a, mp_mem *m, es_err *e)
{
    static const char *const keys[] = {"name", "kind", "read_action", "write_action", "bytes_per_access", NULL};
    if (es_y_expect(v, ES_Y_MAP, e))
        return -1;
    const char *kind = NULL;
    if (es_y_str(v, "kind", 1, &kind, e))
        return -1;
    m->def = find_kind(kinds->mems, kinds->n_mems, "memory", es_y_get(v, "kind"), kind, e);
    if (!m->def || check_keys_of(v, keys, m->def, e))
        return -1;
    m->kind = (mp_mem_kind)m->def->cls;
    if (get_name(v, "name", 1, m->name, sizeof m->name, e))
        return -1;
    m->bytes_per_access = 8;
    if (get_pos_int(v, "bytes_per_access", 0, &m->bytes_per_access, 1 << 16, e) ||
        get_name(v, "read_action", 1, m->read_action, sizeof m->read_action, e) ||
        get_name(v, "write_action", 1, m->write_action, sizeof m->write_action, e) ||
        parse_kind_keys(v, a, m->def, m, e))
        return -1;
    if (!(m->bandwidth_Bps > 0))
        return es_y_fail(v, e, "memory kind '%s' did not give a bandwidth (its parse must set bandwidth_Bps > 0)",
                         m->def->name);
    return 0;
}

static int known_endpoint(const mp_arch *a, const char *n)
{
    return mp_arch_unit(a, n) || mp_arch_store(a, n) || !strcmp(a->mem.name, n);
}

static int parse_links(const es_ynode *l, const mp_arch_kinds *kinds, mp_arch *a, es_err *e)
{
    static const char *const keys[] = {"name", "kind", "from", "to", "bytes_per_cycle", NULL};
    if (es_y_expect(l, ES_Y_SEQ, e))
        return -1;
    for (size_t i = 0; i < l->n; i++) {
        es_ynode *v = l->items[i];
        if (a->n_links >= MP_MAX_LINKS)
            return es_y_fail(v, e, "too many links (at most %d)", MP_MAX_LINKS);
        mp_link *k = &a->links[a->n_links++];
        if (es_y_expect(v, ES_Y_MAP, e))
            return -1;
        const char *kind = NULL;
        if (es_y_str(v, "kind", 0, &kind, e))
            return -1;
        if (!kind && kinds->n_links == 0)
            return es_y_fail(v, e, "no link kinds are registered");
        k->def = kind ? find_kind(kinds->links, kinds->n_links, "link", es_y_get(v, "kind"), kind, e)
                      : kinds->links[0];
        if (!k->def || check_keys_of(v, keys, k->def, e) ||
            get_name(v, "name", 1, k->name, sizeof k->name, e) ||
            get_name(v, "from", 1, k->from, sizeof k->from, e) ||
            get_name(v, "to", 1, k->to, sizeof k->to, e) ||
            es_y_double(v, "bytes_per_cycle", 1, &k->bytes_per_cycle, e))
            return -1;
        if (!known_endpoint(a, k->from))
            return es_y_fail(es_y_get(v, "from"), e, "unknown unit, storage or memory '%s'", k->from);
        if (!known_endpoint(a, k->to))
            return es_y_fail(es_y_get(v, "to"), e, "unknown unit, storage or memory '%s'", k->to);
        if (!(k->bytes_per_cycle > 0))
            return es_y_fail(es_y_get(v, "bytes_per_cycle"), e, "expected > 0");
        if (parse_kind_keys(v, a, k->def, k, e))
            return -1;
    }
    return 0;
}

static int check_action(const mp_arch *a, const es_ynode *at, const char *act, es_err *e)
{
    if (mp_energy_of(&a->energy, act) < 0)
        return es_y_fail(at, e, "action '%s' is not in energy table '%s'", act, a->energy.name);
    return 0;
}

static int check_actions(const mp_arch *a, const es_ynode *root, es_err *e)
{
    es_ynode *units = es_y_get(root, "units");
    for (int i = 0; i < a->n_units; i++)
        for (int j = 0; j < a->units[i].n_ops; j++)
            for (int k = 0; k < a->units[i].ops[j].n_actions; k++) {
                es_ynode *un = es_y_get(units, a->units[i].name);
                es_ynode *on = es_y_get(es_y_get(un, "ops"), mp_op_name(a->units[i].ops[j].op));
                if (check_action(a, es_y_get(on, "actions"), a->units[i].ops[j].actions[k].action, e))
                    return -1;
            }
    es_ynode *st = es_y_get(root, "storage");
    for (int i = 0; i < a->n_stores; i++) {
        es_ynode *sn = es_y_get(st, a->stores[i].name);
        if (check_action(a, es_y_get(sn, "read_action"), a->stores[i].read_action, e) ||
            check_action(a, es_y_get(sn, "write_action"), a->stores[i].write_action, e))
            return -1;
    }
    es_ynode *mn = es_y_get(root, "memory");
    if (check_action(a, es_y_get(mn, "read_action"), a->mem.read_action, e) ||
        check_action(a, es_y_get(mn, "write_action"), a->mem.write_action, e))
        return -1;
    return 0;
}

/* A unit with rtl_area: its PEs' synthesized area, scaled from the RTL
 * library's node to the arch's (its energy table's technology). */
static int unit_area(const mp_arch *a, const es_ynode *v, mp_unit *u, es_err *e)
{
    if (!u->rtl_area[0])
        return 0;
    const es_ynode *at = es_y_get(v, "rtl_area");
    double um2, lib_nm, nm = mp_technology_nm(a->energy.technology);
    es_err ae;
    if (mp_rtl_area(u->rtl_area, &um2, &lib_nm, &ae))
        return es_y_fail(at, e, "%s", ae.msg);
    if (nm <= 0)
        return es_y_fail(at, e, "the arch's node is unknown: energy table '%s' has technology '%s', expected like '45nm'",
                         a->energy.name, a->energy.technology);
    u->area_um2 = um2 * (double)u->rows * (double)u->cols * mp_area_scale(lib_nm, nm);
    return 0;
}

static int parse_arch(const es_ynode *root, const char *file, const mp_arch_kinds *kinds, mp_arch *a, es_err *e)
{
    static const char *const keys[] = {"name",  "description", "clock_hz", "word_bytes", "number_format",
                                       "energy", "units",      "storage",  "memory",     "links",
                                       "mapping", NULL};
    if (es_y_expect(root, ES_Y_MAP, e) || es_y_check_keys(root, keys, e))
        return -1;
    snprintf(a->file, sizeof a->file, "%s", file);
    if (get_name(root, "name", 1, a->name, sizeof a->name, e) ||
        get_name(root, "description", 0, a->description, sizeof a->description, e) ||
        es_y_double(root, "clock_hz", 1, &a->clock_hz, e))
        return -1;
    /* the bundled mapping template it runs by default: its own name unless
     * it borrows another arch's (a variant with the same units and levels) */
    snprintf(a->mapping_name, sizeof a->mapping_name, "%s", a->name);
    if (get_name(root, "mapping", 0, a->mapping_name, sizeof a->mapping_name, e))
        return -1;
    if (!(a->clock_hz > 0))
        return es_y_fail(es_y_get(root, "clock_hz"), e, "expected > 0");
    a->word_bytes = 2;
    if (get_pos_int(root, "word_bytes", 1, &a->word_bytes, 16, e))
        return -1;
    snprintf(a->number_format, sizeof a->number_format, "fp16");
    if (get_name(root, "number_format", 0, a->number_format, sizeof a->number_format, e))
        return -1;
    int nf = sizeof number_formats / sizeof *number_formats, fi = 0;
    while (fi < nf && strcmp(a->number_format, number_formats[fi]))
        fi++;
    if (fi == nf) {
        char list[64];
        join_names(number_formats, nf, list, sizeof list);
        return es_y_fail(es_y_get(root, "number_format"), e, "expected %s, got '%s'", list, a->number_format);
    }
    if (get_name(root, "energy", 1, a->energy_name, sizeof a->energy_name, e))
        return -1;
    /* A path names a file beside the arch file (a bundled name is looked
     * up as usual), whatever the current directory. */
    char energy_path[4096 + MP_NAME];
    const char *energy = a->energy_name, *slash = strrchr(file, '/');
    size_t nl = strlen(energy);
    int is_path = strchr(energy, '/') || (nl > 5 && !strcmp(energy + nl - 5, ".yaml"));
    if (is_path && energy[0] != '/' && slash) {
        snprintf(energy_path, sizeof energy_path, "%.*s/%s", (int)(slash - file), file, energy);
        energy = energy_path;
    }
    es_err ee;
    if (mp_energy_load(energy, &a->energy, &ee)) {
        const es_ynode *n = es_y_get(root, "energy");
        return es_fail_at(e, n->file, n->line, n->col, "key 'energy': %s", ee.msg);
    }
    es_ynode *units = es_y_child(root, "units", ES_Y_MAP, NULL, e);
    if (!units)
        return -1;
    if (units->n == 0 || units->n > MP_MAX_UNITS)
        return es_y_fail(units, e, "expected 1..%d units", MP_MAX_UNITS);
    for (size_t i = 0; i < units->n; i++) {
        if (mp_arch_unit(a, units->keys[i]))
            return es_y_fail(units->keylocs[i], e, "unit '%s' defined twice", units->keys[i]);
        if (parse_unit(units->items[i], units->keys[i], kinds, a, &a->units[a->n_units], e) ||
            unit_area(a, units->items[i], &a->units[a->n_units], e))
            return -1;
        a->n_units++;
    }
    es_ynode *st = es_y_child(root, "storage", ES_Y_MAP, NULL, e);
    if (!st)
        return -1;
    if (st->n > MP_MAX_STORES)
        return es_y_fail(st, e, "at most %d storage levels", MP_MAX_STORES);
    for (size_t i = 0; i < st->n; i++) {
        if (mp_arch_store(a, st->keys[i]) || mp_arch_unit(a, st->keys[i]))
            return es_y_fail(st->keylocs[i], e, "name '%s' already used", st->keys[i]);
        if (parse_store(st->items[i], st->keys[i], a, &a->stores[a->n_stores], e))
            return -1;
        a->n_stores++;
    }
    if (!mp_arch_buffer(a))
        return es_y_fail(st, e, "expected one storage level of kind buffer (the global buffer)");
    es_ynode *mem = es_y_child(root, "memory", ES_Y_MAP, NULL, e);
    if (!mem || parse_mem(mem, kinds, a, &a->mem, e))
        return -1;
    es_ynode *links = es_y_get(root, "links");
    if (links && parse_links(links, kinds, a, e))
        return -1;
    if (check_actions(a, root, e))
        return -1;
    /* the buffer's energy per access for its own geometry (mapper/sram.h) */
    mp_store *gb = (mp_store *)mp_arch_buffer(a);
    mp_energy_fit_buffer(&a->energy, gb->read_action, gb->write_action, gb->capacity_bytes, gb->banks, gb->width_bits);
    gb->area_um2 = mp_energy_buffer_area(&a->energy, gb->capacity_bytes, gb->banks, gb->width_bits);
    /* cache energies per action so costing does no table lookups */
    for (int i = 0; i < a->n_units; i++)
        for (int j = 0; j < a->units[i].n_ops; j++) {
            mp_op_cost *c = &a->units[i].ops[j];
            c->energy_pj = 0;
            for (int k = 0; k < c->n_actions; k++)
                c->energy_pj += c->actions[k].count * mp_energy_of(&a->energy, c->actions[k].action);
        }
    for (int i = 0; i < a->n_stores; i++) {
        a->stores[i].read_pj = mp_energy_of(&a->energy, a->stores[i].read_action);
        a->stores[i].write_pj = mp_energy_of(&a->energy, a->stores[i].write_action);
    }
    a->mem.read_pj = mp_energy_of(&a->energy, a->mem.read_action);
    a->mem.write_pj = mp_energy_of(&a->energy, a->mem.write_action);
    return 0;
}

typedef struct arch_reading {
    mp_arch *a;
    const mp_arch_kinds *kinds;
} arch_reading;

static int read_arch(const es_ynode *root, void *out, es_err *e)
{
    arch_reading *r = out;
    return parse_arch(root, root->file, r->kinds, r->a, e);
}

/* The arch on the heap, or NULL (rc: the reader's result). */
static mp_arch *arch_or_null(mp_arch *a, int rc)
{
    if (rc) {
        mp_arch_free(a);
        return NULL;
    }
    return a;
}

mp_arch *mp_arch_parse(const char *fname, const char *text, const mp_arch_kinds *kinds, es_err *e)
{
    arch_reading r = {es_xcalloc(1, sizeof *r.a), kinds};
    return arch_or_null(r.a, es_yaml_read_string(fname, text, read_arch, &r, e));
}

mp_arch *mp_arch_load(const char *name_or_path, const mp_arch_kinds *kinds, es_err *e)
{
    arch_reading r = {es_xcalloc(1, sizeof *r.a), kinds};
    return arch_or_null(r.a, es_yaml_read_bundled("arch", name_or_path, read_arch, &r, e));
}

mp_arch *mp_arch_load_set(const char *name_or_path, const mp_arch_kinds *kinds, const char *const *sets, int n_sets,
                          es_err *e)
{
    if (n_sets == 0)
        return mp_arch_load(name_or_path, kinds, e);
    char path[4096];
    if (es_find_bundled("arch", name_or_path, ".yaml", path, sizeof path, e))
        return NULL;
    es_ydoc *d = es_yaml_load(path, e);
    if (!d)
        return NULL;
    /* "--set K=V" strings live until the tree is freed (es_y_set keeps them) */
    char(*origin)[512] = es_xcalloc((size_t)n_sets, sizeof *origin);
    int rc = 0;
    for (int i = 0; i < n_sets && !rc; i++) {
        snprintf(origin[i], sizeof origin[i], "--set %s", sets[i]);
        const char *eq = strchr(sets[i], '=');
        char key[256];
        if (!eq || eq == sets[i] || (size_t)(eq - sets[i]) >= sizeof key) {
            rc = es_fail(e, "%s: expected PATH=VALUE (e.g. units.array2d.rows=128)", origin[i]);
            break;
        }
        memcpy(key, sets[i], (size_t)(eq - sets[i]));
        key[eq - sets[i]] = '\0';
        rc = es_y_set(d, key, eq + 1, origin[i], e);
    }
    arch_reading r = {es_xcalloc(1, sizeof *r.a), kinds};
    if (!rc)
        rc = read_arch(d->root, &r, e);
    es_yaml_free(d);
    free(origin);
    return arch_or_null(r.a, rc);
}

void mp_arch_label(const char *name, const char *const *sets, int n_sets, char *out, size_t n)
{
    snprintf(out, n, "%s", name);
    for (int i = 0; i < n_sets; i++) {
        size_t l = strlen(out);
        snprintf(out + l, n - l, "%s%s", i ? ";" : "[", sets[i]);
    }
    if (n_sets) {
        size_t l = strlen(out);
        snprintf(out + l, n - l, "]");
    }
}

void mp_arch_free(mp_arch *a)
{
    if (!a)
        return;
    for (int i = 0; i < MP_MAX_UNITS; i++)
        free(a->units[i].params);
    for (int i = 0; i < MP_MAX_LINKS; i++)
        free(a->links[i].params);
    free(a->mem.params);
    free(a);
}

int mp_arch_unit_index(const mp_arch *a, const char *name)
{
    for (int i = 0; i < a->n_units; i++)
        if (!strcmp(a->units[i].name, name))
            return i;
    return -1;
}

const mp_unit *mp_arch_unit(const mp_arch *a, const char *name)
{
    int i = mp_arch_unit_index(a, name);
    return i < 0 ? NULL : &a->units[i];
}

const mp_store *mp_arch_store(const mp_arch *a, const char *name)
{
    for (int i = 0; i < a->n_stores; i++)
        if (!strcmp(a->stores[i].name, name))
            return &a->stores[i];
    return NULL;
}

const mp_store *mp_arch_buffer(const mp_arch *a)
{
    for (int i = 0; i < a->n_stores; i++)
        if (a->stores[i].kind == MP_STORE_BUFFER)
            return &a->stores[i];
    return NULL;
}

const mp_store *mp_arch_regfile(const mp_arch *a, const char *unit)
{
    for (int i = 0; i < a->n_stores; i++)
        if (a->stores[i].kind == MP_STORE_REGFILE && !strcmp(a->stores[i].unit, unit))
            return &a->stores[i];
    return NULL;
}

const mp_op_cost *mp_unit_op(const mp_unit *u, mp_op op)
{
    for (int i = 0; i < u->n_ops; i++)
        if (u->ops[i].op == op)
            return &u->ops[i];
    return NULL;
}

double mp_unit_peak(const mp_unit *u, mp_op op)
{
    const mp_op_cost *c = mp_unit_op(u, op);
    return c ? (double)u->rows * u->cols / c->cycles : 0;
}

double mp_unit_op_energy(const mp_arch *a, const mp_unit *u, mp_op op)
{
    (void)a;
    const mp_op_cost *c = mp_unit_op(u, op);
    return c ? c->energy_pj : -1;
}
