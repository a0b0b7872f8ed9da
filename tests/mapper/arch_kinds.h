/* tests/mapper/arch_kinds.h: a stand-in for the simulator's component
 * registry (sim/comp/registry.c) for the mapper room's tests, which cannot
 * link sim/: the kinds the bundled archs name, with the analytical class the
 * mapper costs each as and no simulated model.  tests/sim/test_registry.c
 * checks that it lists the registry's names. */
#ifndef TESTS_MAPPER_ARCH_KINDS_H
#define TESTS_MAPPER_ARCH_KINDS_H

#include "mapper/arch.h"

static int fx_bandwidth_parse(const es_ynode *v, const mp_arch *a, void *rec, es_err *e)
{
    (void)a;
    mp_mem *m = rec;
    if (es_y_double(v, "bandwidth_Bps", 1, &m->bandwidth_Bps, e))
        return -1;
    return m->bandwidth_Bps > 0 ? 0 : es_y_fail(es_y_get(v, "bandwidth_Bps"), e, "expected > 0");
}

static const char *const fx_bandwidth_keys[] = {"bandwidth_Bps", NULL};
static const mp_kind fx_array2d = {.name = "array2d", .cls = MP_UNIT_ARRAY2D};
static const mp_kind fx_array1d = {.name = "array1d", .cls = MP_UNIT_ARRAY1D};
static const mp_kind fx_vector = {.name = "vector", .cls = MP_UNIT_VECTOR};
static const mp_kind fx_bandwidth = {.name = "bandwidth", .cls = MP_MEM_BANDWIDTH, .keys = fx_bandwidth_keys,
                                     .parse = fx_bandwidth_parse};
static const mp_kind fx_p2p = {.name = "point-to-point"};
static const mp_kind *const fx_unit_kinds[] = {&fx_array2d, &fx_array1d, &fx_vector};
static const mp_kind *const fx_mem_kinds[] = {&fx_bandwidth};
static const mp_kind *const fx_link_kinds[] = {&fx_p2p};
static const mp_arch_kinds fx_kinds = {fx_unit_kinds, 3, fx_mem_kinds, 1, fx_link_kinds, 1};

#endif
