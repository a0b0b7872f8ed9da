/* tests/sim/fixtures.h: mappings built in C for the simulator tests (the
 * FuseMax Mapping 1 of mapper/mappings/fusemax.yaml, resolved by hand). */
#ifndef TESTS_SIM_FIXTURES_H
#define TESTS_SIM_FIXTURES_H

#include <stdio.h>
#include <string.h>

#include "mapper/mapping.h"

static void fx_loop(mp_level *l, const char *rank, int64_t f, mp_loop_kind k)
{
    mp_loop *x = &l->loops[l->n++];
    snprintf(x->rank, sizeof x->rank, "%s", rank);
    x->factor = f;
    x->kind = k;
}

static void fx_slot(mp_phase *p, const char *unit, const char *a, const char *b)
{
    mp_phase_slot *s = &p->slots[p->n++];
    snprintf(s->unit, sizeof s->unit, "%s", unit);
    snprintf(s->slot.einsums[s->slot.n++], MP_ENAME, "%s", a);
    if (b)
        snprintf(s->slot.einsums[s->slot.n++], MP_ENAME, "%s", b);
}

/* 1-pass attention, rep instances, P queries / M keys, tiles P0 x M0,
 * P1 p-tiles per buffer block; sched: interleaved (FuseMax binding),
 * pipelined or sequential. */
static void fx_fusemax(mp_mapping *m, int64_t rep, int64_t E, int64_t F, int64_t P, int64_t M, int64_t P0,
                       int64_t M0, int64_t P1, mp_sched_kind sched)
{
    mp_mapping_free(m); /* m: empty, or a previous fixture (reused across cases) */
    mp_mapping_init(m);
    snprintf(m->arch, sizeof m->arch, "fusemax");
    mp_cascade_map *c = mp_mapping_add(m);
    snprintf(c->cascade, sizeof c->cascade, "attention-1pass");
    snprintf(c->label, sizeof c->label, "attention");
    const char *rk[] = {"e", "f", "p", "m", "m1", "m0"};
    int64_t rs[] = {E, F, P, M, (M + M0 - 1) / M0, M0};
    for (int i = 0; i < 6; i++) {
        snprintf(c->ranks[i].rank, MP_ENAME, "%s", rk[i]);
        c->ranks[i].size = rs[i];
    }
    c->n_ranks = 6;
    c->repeat = rep;
    const char *es[] = {"BQK", "LM", "RM", "SLN", "SLD", "SLNV", "PRM", "SPD", "RD", "SPNV", "RNV", "AV"};
    const char *us[] = {"array2d", "array2d", "array1d", "array2d", "array2d", "array2d",
                        "array1d", "array1d", "array1d", "array1d", "array1d", "array1d"};
    c->n_groups = 1;
    mp_group *g = &c->groups[0];
    snprintf(g->name, sizeof g->name, "rnv");
    for (int i = 0; i < 12; i++) {
        snprintf(c->bindings[i].einsum, MP_ENAME, "%s", es[i]);
        snprintf(c->bindings[i].unit, MP_NAME, "%s", us[i]);
        snprintf(g->einsums[i], MP_ENAME, "%s", es[i]);
    }
    c->n_bindings = 12, g->n_einsums = 12;
    g->granularity = MP_GRAN_TILE;
    g->schedule = sched;
    if (sched == MP_SCHED_INTERLEAVED) {
        g->lag[8] = 1, g->lag[10] = 1; /* RD, RNV */
        g->n_phases = 4;
        fx_slot(&g->phases[0], "array2d", "BQK", NULL);
        fx_slot(&g->phases[0], "array2d", "LM", NULL);
        fx_slot(&g->phases[0], "array1d", "RD", NULL);
        fx_slot(&g->phases[0], "array1d", "RNV", NULL);
        fx_slot(&g->phases[0], "array1d", "AV", NULL);
        fx_slot(&g->phases[1], "array1d", "RM", NULL);
        fx_slot(&g->phases[2], "array2d", "SLN", NULL);
        fx_slot(&g->phases[2], "array2d", "SLD", NULL);
        fx_slot(&g->phases[2], "array1d", "PRM", NULL);
        fx_slot(&g->phases[2], "array1d", "SPD", NULL);
        fx_slot(&g->phases[3], "array2d", "SLNV", NULL);
        fx_slot(&g->phases[3], "array1d", "SPNV", NULL);
    }
    g->n_levels = 3;
    snprintf(g->levels[0].store, MP_NAME, "dram");
    fx_loop(&g->levels[0], "rep", rep, MP_LOOP_TEMPORAL);
    fx_loop(&g->levels[0], "p", P / P0 / P1, MP_LOOP_TEMPORAL);
    fx_loop(&g->levels[0], "m1", (M + M0 - 1) / M0, MP_LOOP_TEMPORAL);
    snprintf(g->levels[1].store, MP_NAME, "gb");
    fx_loop(&g->levels[1], "p", P1, MP_LOOP_TEMPORAL);
    snprintf(g->levels[2].store, MP_NAME, "pe");
    fx_loop(&g->levels[2], "p", P0, MP_LOOP_SPATIAL_COLS);
    fx_loop(&g->levels[2], "m0", M0, MP_LOOP_SPATIAL_ROWS);
}

#endif
