/* sim/comp/registry.c: the component registry, one table per interface.
 * Adding a model: its file defines an mp_kind entry (see comp.h) and one
 * line below lists it; the table order is the order error messages list the
 * valid kinds in.  docs/simulator.md, "How to add a component". */
#include <stdio.h>
#include <string.h>

#include "sim/comp/comp.h"
#include "sim/sim.h"

#define N_OF(t) ((int)(sizeof(t) / sizeof *(t)))

static const mp_kind *const unit_kinds[] = {
    &sim_array2d_kind,
    &sim_array1d_kind,
    &sim_vector_kind,
    &sim_pim_banks_kind,
    &sim_vector_asic_kind,
};

static const mp_kind *const mem_kinds[] = {
    &sim_membw_kind,
    &sim_dram_kind,
};

static const mp_kind *const link_kinds[] = {
    &sim_p2p_link_kind, /* first: the kind of a link that names none */
};

const mp_arch_kinds sim_arch_kinds = {unit_kinds, N_OF(unit_kinds), mem_kinds, N_OF(mem_kinds),
                                      link_kinds, N_OF(link_kinds)};

mp_arch *sim_arch_load(const char *name_or_path, es_err *e)
{
    return mp_arch_load(name_or_path, &sim_arch_kinds, e);
}

mp_arch *sim_arch_load_set(const char *name_or_path, const char *const *sets, int n_sets, es_err *e)
{
    return mp_arch_load_set(name_or_path, &sim_arch_kinds, sets, n_sets, e);
}

mp_arch *sim_arch_parse(const char *fname, const char *text, es_err *e)
{
    return mp_arch_parse(fname, text, &sim_arch_kinds, e);
}

int sim_comp_bind(sim_comp *c, const char *name, const mp_kind *def, const mp_arch *a, const void *rec, es_err *e)
{
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    if (!def || !def->impl)
        return es_fail(e, "arch %s: component %s has no simulated kind (load archs with sim_arch_load)", a->name,
                       name);
    c->ops = def->impl;
    return c->ops->bind ? c->ops->bind(c, a, rec, e) : 0;
}

void sim_comp_release(sim_comp *c)
{
    if (c->ops && c->ops->release)
        c->ops->release(c);
    c->state = NULL;
}
