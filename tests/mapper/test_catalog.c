/* The mapper's catalogue is derived from the cascade IR (mapper/catalog.c,
 * docs/mapper.md "The catalogue"): roles, ops, previous-step reads and pass
 * counts of the bundled cascades, as the FuseMax cost rules need them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mapper/catalog.h"

static const mp_cascade_desc *get(const char *name)
{
    const mp_cascade_desc *c = mp_catalog_find(name);
    if (!c)
        fail_msg("catalogue has no '%s'", name);
    return c;
}

static void role(const mp_cascade_desc *c, const char *t, mp_tensor_role r)
{
    const mp_tensor_desc *d = mp_catalog_tensor(c, t);
    if (!d)
        fail_msg("%s: no tensor %s", c->name, t);
    if (d->role != r)
        fail_msg("%s: tensor %s has role %d, expected %d", c->name, t, (int)d->role, (int)r);
}

static void ranks(const mp_cascade_desc *c, const char *t, const char *want)
{
    char got[64] = "";
    const mp_tensor_desc *d = mp_catalog_tensor(c, t);
    assert_non_null(d);
    for (int i = 0; d->ranks[i]; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? "," : "", d->ranks[i]);
    if (strcmp(got, want))
        fail_msg("%s: tensor %s ranks [%s], expected [%s]", c->name, t, got, want);
}

static void einsum(const mp_cascade_desc *c, const char *e, mp_op op, const char *prev)
{
    const mp_einsum_desc *d = mp_catalog_einsum(c, e);
    if (!d)
        fail_msg("%s: no einsum %s", c->name, e);
    if (d->op != op)
        fail_msg("%s: einsum %s has op %s, expected %s", c->name, e, mp_op_name(d->op), mp_op_name(op));
    if ((prev == NULL) != (d->prev == NULL) || (prev && strcmp(prev, d->prev)))
        fail_msg("%s: einsum %s prev %s, expected %s", c->name, e, d->prev ? d->prev : "-", prev ? prev : "-");
}

static void test_attention_1pass(void **st)
{
    (void)st;
    const mp_cascade_desc *c = get("attention-1pass");
    assert_int_equal(c->passes, 1);
    assert_int_equal(c->n_einsums, 12);
    role(c, "Q", MP_T_INPUT), role(c, "K", MP_T_INPUT), role(c, "V", MP_T_INPUT), role(c, "AV", MP_T_OUTPUT);
    role(c, "RM", MP_T_RUNNING), role(c, "RD", MP_T_RUNNING), role(c, "RNV", MP_T_RUNNING);
    const char *tiles[] = {"BQK", "LM", "SLN", "SLD", "SLNV", "PRM", "SPD", "SPNV"};
    for (int i = 0; i < 8; i++)
        role(c, tiles[i], MP_T_TILE);
    ranks(c, "K", "e,m1,m0"); /* the split view of K[e,m] */
    ranks(c, "RM", "p");      /* the running value, not the M1+1 slices */
    ranks(c, "RNV", "f,p");
    einsum(c, "BQK", MP_OP_MAC, NULL), einsum(c, "LM", MP_OP_MAX, NULL), einsum(c, "RM", MP_OP_MAX, "RM");
    einsum(c, "SLN", MP_OP_EXP, NULL), einsum(c, "SLD", MP_OP_ADD, NULL), einsum(c, "SLNV", MP_OP_MAC, NULL);
    einsum(c, "PRM", MP_OP_EXP, NULL), einsum(c, "SPD", MP_OP_MUL, "RD"), einsum(c, "RD", MP_OP_ADD, NULL);
    einsum(c, "SPNV", MP_OP_MUL, "RNV"), einsum(c, "RNV", MP_OP_ADD, NULL), einsum(c, "AV", MP_OP_DIV, NULL);
    const mp_cat_index *x = mp_catalog_index(c);
    int rd = mp_catalog_einsum_index(c, "RD");
    assert_int_equal(x->producer[x->out[rd]], rd);
    assert_true(mp_catalog_same("attention-1pass", "attention-decode"));
    assert_false(mp_catalog_same("attention-1pass", "attention-3pass"));
}

static void test_attention_3pass(void **st)
{
    (void)st;
    const mp_cascade_desc *c = get("attention-3pass");
    assert_int_equal(c->passes, 3);
    role(c, "QK", MP_T_FIBRE), role(c, "SN", MP_T_FIBRE), role(c, "A", MP_T_FIBRE);
    role(c, "GM", MP_T_RUNNING), role(c, "SD", MP_T_RUNNING);
    ranks(c, "K", "e,m");
    einsum(c, "GM", MP_OP_MAX, NULL), einsum(c, "SN", MP_OP_EXP, NULL), einsum(c, "SD", MP_OP_ADD, NULL);
    einsum(c, "A", MP_OP_DIV, NULL), einsum(c, "AV", MP_OP_MAC, NULL);
}

static void test_linear_and_elementwise(void **st)
{
    (void)st;
    const mp_cascade_desc *c = get("linear");
    assert_int_equal(c->passes, 0);
    role(c, "X", MP_T_INPUT), role(c, "W", MP_T_WEIGHT), role(c, "Y", MP_T_OUTPUT);
    einsum(c, "Y", MP_OP_MAC, NULL);
    c = get("layernorm");
    assert_int_equal(c->passes, 0); /* no key rank: d stays whole in a tile */
    role(c, "G", MP_T_WEIGHT), role(c, "B", MP_T_WEIGHT), role(c, "XC", MP_T_TILE);
    einsum(c, "SX", MP_OP_ADD, NULL), einsum(c, "MU", MP_OP_DIV, NULL), einsum(c, "XC", MP_OP_SUB, NULL);
    einsum(c, "RS", MP_OP_RSQRT, NULL), einsum(c, "Y", MP_OP_MAC, NULL);
    einsum(get("ffn-gelu"), "Y", MP_OP_GELU, NULL);
    einsum(get("ffn-swiglu"), "Y", MP_OP_SILU, NULL);
    einsum(get("ffn-relu"), "Y", MP_OP_MAX, NULL);
    einsum(get("residual"), "Y", MP_OP_ADD, NULL);
    einsum(get("rmsnorm"), "Y", MP_OP_MUL, NULL);
    assert_null(mp_catalog_find("no-such-cascade"));
    assert_ptr_equal(mp_catalog_find("linear"), mp_catalog_find("linear")); /* built once */
}

static void write_ein(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A cascade that cannot be built is an error with its reason (the IR's
 * located message), and the failure is not cached: the same path loads once
 * the file is fixed. */
static void test_load_errors_not_cached(void **state)
{
    (void)state;
    es_err e;
    assert_null(mp_catalog_load("no-such-cascade", &e));
    assert_non_null(strstr(e.msg, "'no-such-cascade'"));
    assert_non_null(strstr(e.msg, "attention-1pass")); /* lists the bundled names */
    char path[] = "/tmp/einsim-catalog-XXXXXX.ein";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    close(fd);
    write_ein(path, "cascade broken\nrank t = 4\ninput X[t]\noutput Y\nY[t] = X[u]\n");
    assert_null(mp_catalog_load(path, &e));
    char loc[64];
    snprintf(loc, sizeof loc, "%s:5:", path);
    if (!strstr(e.msg, loc))
        fail_msg("'%s' lacks the location '%s'", e.msg, loc);
    write_ein(path, "cascade fixed\nrank t = 4\ninput X[t]\noutput Y\nY[t] = X[t]\n");
    const mp_cascade_desc *d = mp_catalog_load(path, &e);
    if (!d)
        fail_msg("fixed file still fails: %s", e.msg);
    assert_string_equal(d->name, "fixed");
    assert_ptr_equal(mp_catalog_find(path), d);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_errors_not_cached),
        cmocka_unit_test(test_attention_1pass),
        cmocka_unit_test(test_attention_3pass),
        cmocka_unit_test(test_linear_and_elementwise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
