/* sim room: the component registry (sim/comp/registry.c).  The kinds an arch
 * spec accepts are the registry's; an unknown kind is a located error that
 * lists every registered name; a kind's own spec keys are validated by its
 * entry; a new component is one entry in a table (shown with a test kind);
 * the mapper tests' stand-in table names the same kinds. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/io.h"
#include "sim/comp/comp.h"
#include "sim/sim.h"

#include "../mapper/arch_kinds.h"

static const char spec[] = "name: t\n"
                           "clock_hz: 1e9\n"
                           "word_bytes: 2\n"
                           "energy: fusemax-45nm\n"
                           "units:\n"
                           "  a2:\n"
                           "    kind: array2d\n"
                           "    rows: 4\n"
                           "    cols: 8\n"
                           "    ops:\n"
                           "      mac: {cycles: 1, actions: {mac: 1}}\n"
                           "storage:\n"
                           "  gb: {kind: buffer, capacity_bytes: 1024, width_bits: 64, read_action: gb_read, "
                           "write_action: gb_write}\n"
                           "memory:\n"
                           "  name: dram\n"
                           "  kind: bandwidth\n"
                           "  bandwidth_Bps: 2e9\n"
                           "  read_action: dram_read\n"
                           "  write_action: dram_write\n"
                           "links:\n"
                           "  - {name: l0, from: gb, to: a2, bytes_per_cycle: 64}\n";

/* spec with the first `from` replaced by `to` (caller frees). */
static char *edit(const char *from, const char *to)
{
    const char *p = strstr(spec, from);
    assert_non_null(p);
    char *s = malloc(strlen(spec) + strlen(to) + 1);
    snprintf(s, strlen(spec) + strlen(to) + 1, "%.*s%s%s", (int)(p - spec), spec, to, p + strlen(from));
    return s;
}

/* The spec edited, loaded with the registry: its error message (or "" when it loads). */
static const char *load_msg(const char *from, const char *to, es_err *e)
{
    char *txt = edit(from, to);
    mp_arch *a = sim_arch_parse("spec.yaml", txt, e);
    free(txt);
    if (a)
        e->msg[0] = 0;
    mp_arch_free(a);
    return e->msg;
}

static void expect_listing(const char *msg, const mp_kind *const *kinds, int n, const char *where)
{
    if (!strstr(msg, where))
        fail_msg("'%s' lacks location '%s'", msg, where);
    for (int i = 0; i < n; i++)
        if (!strstr(msg, kinds[i]->name))
            fail_msg("'%s' does not list registered kind '%s'", msg, kinds[i]->name);
}

static void test_unknown_kinds_list_registry(void **state)
{
    (void)state;
    es_err e;
    const mp_arch_kinds *k = &sim_arch_kinds;
    const char *m = load_msg("kind: array2d", "kind: systolic", &e);
    assert_non_null(strstr(m, "unknown unit kind 'systolic'"));
    expect_listing(m, k->units, k->n_units, "spec.yaml:7:");
    m = load_msg("kind: bandwidth", "kind: hbm9", &e);
    assert_non_null(strstr(m, "unknown memory kind 'hbm9'"));
    expect_listing(m, k->mems, k->n_mems, "spec.yaml:16:");
    m = load_msg("{name: l0,", "{name: l0, kind: bus,", &e);
    assert_non_null(strstr(m, "unknown link kind 'bus'"));
    expect_listing(m, k->links, k->n_links, "spec.yaml:21:");
}

/* Every registered kind is accepted by name. */
static void test_every_kind_loads(void **state)
{
    (void)state;
    es_err e;
    for (int i = 0; i < sim_arch_kinds.n_units; i++) {
        const mp_kind *k = sim_arch_kinds.units[i];
        char to[64]; /* rows only applies to 2D arrays */
        snprintf(to, sizeof to, "kind: %s\n%s", k->name, k->cls == MP_UNIT_ARRAY2D ? "    rows: 4\n" : "");
        char *txt = edit("kind: array2d\n    rows: 4\n", to);
        mp_arch *a = sim_arch_parse("spec.yaml", txt, &e);
        if (!a)
            fail_msg("unit kind %s: %s", k->name, e.msg);
        assert_ptr_equal(a->units[0].def, k);
        assert_int_equal(a->units[0].kind, k->cls);
        mp_arch_free(a);
        free(txt);
    }
    mp_arch *a = sim_arch_parse("spec.yaml", spec, &e);
    if (!a)
        fail_msg("%s", e.msg);
    assert_ptr_equal(a->mem.def, sim_arch_kinds.mems[0]);
    assert_ptr_equal(a->links[0].def, sim_arch_kinds.links[0]); /* no kind: the first link kind */
    assert_true(a->mem.bandwidth_Bps == 2e9);
    /* binding gives each record its kind's model */
    sim_comp c;
    assert_int_equal(sim_comp_bind(&c, "dram", a->mem.def, a, &a->mem, &e), 0);
    assert_ptr_equal(c.ops, &sim_membw_ops);
    assert_true(c.bytes_per_cycle == 2.0);
    sp_op op = {.bytes_rd = 10};
    assert_int_equal(c.ops->service(&c, &op, 0), 5);
    sim_comp_release(&c);
    assert_int_equal(sim_comp_bind(&c, "l0", a->links[0].def, a, &a->links[0], &e), 0);
    assert_ptr_equal(c.ops, &sim_link_ops);
    op.bytes_rd = 640;
    assert_int_equal(c.ops->service(&c, &op, 0), 10);
    sim_comp_release(&c);
    mp_arch_free(a);
}

/* A kind's own keys are validated by its entry, with a location. */
static void test_kind_keys(void **state)
{
    (void)state;
    es_err e;
    const char *m = load_msg("  bandwidth_Bps: 2e9\n", "", &e);
    assert_non_null(strstr(m, "missing required key 'bandwidth_Bps'"));
    m = load_msg("bandwidth_Bps: 2e9", "bandwidth_Bps: -1", &e);
    assert_non_null(strstr(m, "spec.yaml:17:"));
    assert_non_null(strstr(m, "expected > 0"));
    m = load_msg("bandwidth_Bps: 2e9", "bandwith_Bps: 2e9", &e); /* misspelt: suggested from the kind's keys */
    assert_non_null(strstr(m, "did you mean 'bandwidth_Bps'"));
    m = load_msg("    rows: 4\n", "    rows: 4\n    bandwidth_Bps: 1\n", &e); /* another kind's key */
    assert_non_null(strstr(m, "spec.yaml:9:"));
}

/* A new component: one file (here: this test's model) plus one entry. */
typedef struct scratch_params {
    int64_t depth;
} scratch_params;

static uint64_t scratch_service(sim_comp *c, const sp_op *op, uint64_t now)
{
    (void)op, (void)now;
    return (uint64_t)((const scratch_params *)c->state)->depth;
}

static int scratch_bind(sim_comp *c, const mp_arch *a, const void *rec, es_err *e)
{
    (void)a, (void)e;
    const mp_unit *u = rec;
    c->state = malloc(sizeof(scratch_params));
    *(scratch_params *)c->state = *(const scratch_params *)u->params;
    return 0;
}

static void scratch_release(sim_comp *c) { free(c->state); }

static const sim_comp_ops scratch_ops = {.kind = "scratch", .service = scratch_service, .bind = scratch_bind,
                                         .release = scratch_release};

static int scratch_parse(const es_ynode *v, const mp_arch *a, void *rec, es_err *e)
{
    (void)a;
    mp_unit *u = rec;
    scratch_params *p = calloc(1, sizeof *p);
    u->params = p;
    if (es_y_int(v, "depth", 1, &p->depth, e))
        return -1;
    return p->depth >= 1 ? 0 : es_y_fail(es_y_get(v, "depth"), e, "expected >= 1");
}

static const char *const scratch_keys[] = {"depth", NULL};
static const mp_kind scratch_kind = {.name = "scratch", .cls = MP_UNIT_VECTOR, .keys = scratch_keys,
                                     .parse = scratch_parse, .impl = &scratch_ops};

static void test_new_kind_is_one_entry(void **state)
{
    (void)state;
    const mp_kind *units[] = {&sim_array2d_kind, &scratch_kind};
    mp_arch_kinds k = sim_arch_kinds;
    k.units = units, k.n_units = 2;
    char *txt = edit("{mac: 1}}\n", "{mac: 1}}\n  s:\n    kind: scratch\n    depth: 7\n    cols: 2\n"
                                     "    ops: {max: {cycles: 1, actions: {max: 1}}}\n");
    es_err e;
    mp_arch *a = mp_arch_parse("spec.yaml", txt, &k, &e);
    if (!a)
        fail_msg("%s", e.msg);
    assert_int_equal(((scratch_params *)a->units[1].params)->depth, 7);
    sim_comp c;
    assert_int_equal(sim_comp_bind(&c, "s", a->units[1].def, a, &a->units[1], &e), 0);
    sp_op op = {0};
    assert_int_equal(c.ops->service(&c, &op, 0), 7);
    sim_comp_release(&c);
    mp_arch_free(a);
    free(txt);
    /* its key is its own: validated by its parse, unknown to other kinds */
    txt = edit("{mac: 1}}\n", "{mac: 1}}\n  s:\n    kind: scratch\n    depth: 0\n    cols: 2\n"
                               "    ops: {max: {cycles: 1, actions: {max: 1}}}\n");
    assert_null(mp_arch_parse("spec.yaml", txt, &k, &e));
    assert_non_null(strstr(e.msg, "spec.yaml:14:"));
    free(txt);
    /* the stock registry does not know it, and says which kinds it knows */
    txt = edit("{mac: 1}}\n", "{mac: 1}}\n  s:\n    kind: scratch\n    depth: 7\n    cols: 2\n"
                               "    ops: {max: {cycles: 1, actions: {max: 1}}}\n");
    assert_null(sim_arch_parse("spec.yaml", txt, &e));
    assert_non_null(strstr(e.msg, "unknown unit kind 'scratch' (expected array2d, array1d or vector)"));
    free(txt);
}

/* Every bundled arch loads through the registry; the mapper tests'
 * stand-in table lists the registry's names. */
static void test_bundled_and_standin(void **state)
{
    (void)state;
    int n;
    char **names = es_bundled_names("arch", ".yaml", &n, NULL, 0);
    for (int i = 0; i < n; i++) {
        es_err e;
        mp_arch *a = sim_arch_load(names[i], &e);
        if (!a)
            fail_msg("%s: %s", names[i], e.msg);
        mp_arch_free(a);
        free(names[i]);
    }
    free(names);
    const mp_arch_kinds *s = &sim_arch_kinds, *f = &fx_kinds;
    assert_int_equal(s->n_units, f->n_units);
    assert_int_equal(s->n_mems, f->n_mems);
    assert_int_equal(s->n_links, f->n_links);
    for (int i = 0; i < s->n_units; i++) {
        assert_string_equal(s->units[i]->name, f->units[i]->name);
        assert_int_equal(s->units[i]->cls, f->units[i]->cls);
    }
    for (int i = 0; i < s->n_mems; i++)
        assert_string_equal(s->mems[i]->name, f->mems[i]->name);
    for (int i = 0; i < s->n_links; i++)
        assert_string_equal(s->links[i]->name, f->links[i]->name);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_kinds_list_registry),
        cmocka_unit_test(test_every_kind_loads),
        cmocka_unit_test(test_kind_keys),
        cmocka_unit_test(test_new_kind_is_one_entry),
        cmocka_unit_test(test_bundled_and_standin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
