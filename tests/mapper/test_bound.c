/* mapper room: a resolved group bound to indices (mapper/bound.h) -- the
 * issue order, units, lags, loop masks and tensor flags the lowering reads
 * instead of asking by name; and the binding errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mapper/bound.h"
#include "mapper/resolve.h"
#include "models/models.h"

#include "arch_kinds.h"

static mp_arch *arch;
static mp_mapping resolved;
static md_model model;
static md_workload work;

/* fusemax's hand mapping resolved for bert-base, seq 1024, batch 1. */
static int setup(void **state)
{
    (void)state;
    es_err e;
    arch = mp_arch_load("fusemax", &fx_kinds, &e);
    if (!arch || md_model_load("bert-base", &model, &e))
        fail_msg("%s", e.msg);
    md_run r;
    md_run_init(&r);
    r.seq = 1024;
    if (md_expand(&model, &r, &work, &e))
        fail_msg("%s", e.msg);
    mp_mapping t;
    int skipped;
    if (mp_mapping_load("fusemax", &t, &e) || mp_resolve(arch, &t, &work, &resolved, &skipped, &e))
        fail_msg("%s", e.msg);
    mp_mapping_free(&t);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mp_mapping_free(&resolved);
    md_workload_free(&work);
    mp_arch_free(arch);
    return 0;
}

/* The resolved attention cascade. */
static const mp_cascade_map *attention(void)
{
    for (int i = 0; i < resolved.n_cascades; i++)
        if (!strcmp(resolved.cascades[i].cascade, "attention-1pass"))
            return &resolved.cascades[i];
    fail_msg("no attention-1pass cascade in the resolved mapping");
    return NULL;
}

static int loop_of(const mp_bound_group *b, const char *rank)
{
    for (int l = 0; l < b->nl; l++)
        if (!strcmp(b->l[l].rank, rank))
            return l;
    return -1;
}

static int tensor_of(const mp_bound_group *b, const char *name)
{
    const mp_tensor_desc *t = mp_catalog_tensor(b->cd, name);
    assert_non_null(t);
    return (int)(t - b->cd->tensors);
}

static void test_interleaved_group(void **state)
{
    (void)state;
    static mp_bound_group b;
    es_err e;
    const mp_cascade_map *c = attention();
    if (mp_bind_group(arch, c, &c->groups[0], &b, &e))
        fail_msg("%s", e.msg);
    /* issue order: phase by phase, slots in order (fusemax.yaml's epoch) */
    const char *order[] = {"BQK", "LM", "RD", "RNV", "AV", "RM", "SLN", "SLD", "PRM", "SPD", "SLNV", "SPNV"};
    const int phase[] = {0, 0, 0, 0, 0, 1, 2, 2, 2, 2, 3, 3};
    assert_int_equal(b.ne, 12);
    for (int i = 0; i < b.ne; i++) {
        assert_string_equal(b.e[i].d->name, order[i]);
        assert_int_equal(b.e[i].phase, phase[i]);
        assert_ptr_equal(b.e[i].d, &b.cd->einsums[b.e[i].cat]);
        assert_string_equal(arch->units[b.e[i].unit].name, i < 2 || i == 6 || i == 7 || i == 10 ? "array2d" : "array1d");
        assert_int_equal(b.e[i].lag, !strcmp(order[i], "RD") || !strcmp(order[i], "RNV"));
    }
    assert_ptr_equal(b.buffer, mp_arch_buffer(arch));
    assert_non_null(b.rows);
    assert_non_null(b.cols);
    assert_string_equal(b.ranks[b.cols_rank].name, "p");
    /* loops: m1 is a tile loop; Q[e,p] lacks m, BK has it; AV (outside the
     * m1 loop) lacks it in its space */
    int m1 = loop_of(&b, "m1");
    assert_true(m1 >= 0);
    assert_int_equal(b.t[tensor_of(&b, "Q")].rel >> m1 & 1, 0);
    assert_int_equal(b.t[tensor_of(&b, "K")].rel >> m1 & 1, 1);
    assert_int_equal(b.e[4].space >> m1 & 1, 0);
    assert_int_equal(b.e[4].outside_inner, 1);
    assert_int_equal(b.e[0].space >> m1 & 1, 1);
    /* every tensor's tile is no larger than the whole over the repeats */
    for (int t = 0; t < b.cd->n_tensors; t++)
        assert_true(b.t[t].tile_elems <= b.t[t].full_elems);
    assert_int_equal(b.t[tensor_of(&b, "AV")].produced_here, 1);
    assert_int_equal(b.t[tensor_of(&b, "Q")].produced_here, 0);
}

static void test_binding_errors(void **state)
{
    (void)state;
    static mp_bound_group b;
    static mp_cascade_map c;
    es_err e;
    c = *attention();
    for (int i = 0; i < c.n_bindings; i++)
        if (!strcmp(c.bindings[i].einsum, "RM"))
            snprintf(c.bindings[i].unit, sizeof c.bindings[i].unit, "array9d");
    assert_int_equal(mp_bind_group(arch, &c, &c.groups[0], &b, &e), -1);
    assert_non_null(strstr(e.msg, "Einsum RM is bound to unit 'array9d', which arch fusemax does not have"));
    c = *attention();
    for (int i = 0; i < c.n_bindings; i++)
        if (!strcmp(c.bindings[i].einsum, "AV"))
            snprintf(c.bindings[i].unit, sizeof c.bindings[i].unit, "array2d"); /* no divider on the 2D PEs */
    assert_int_equal(mp_bind_group(arch, &c, &c.groups[0], &b, &e), -1);
    assert_non_null(strstr(e.msg, "Einsum AV (tile 0) is bound to array2d, which lacks op div"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interleaved_group),
        cmocka_unit_test(test_binding_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
