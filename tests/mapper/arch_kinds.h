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
/* array2d's `sparse` and `timing` keys are accepted, not read: the mapper
 * tests run dense, with the tile model (fold timing is the simulator's
 * model, tested in tests/sim/test_fold_timing.c) */
static const char *const fx_array2d_keys[] = {"sparse", "timing", NULL};
static const mp_kind fx_array2d = {.name = "array2d", .cls = MP_UNIT_ARRAY2D, .keys = fx_array2d_keys};
static const mp_kind fx_array1d = {.name = "array1d", .cls = MP_UNIT_ARRAY1D};
static const mp_kind fx_vector = {.name = "vector", .cls = MP_UNIT_VECTOR};
static const mp_kind fx_bandwidth = {.name = "bandwidth", .cls = MP_MEM_BANDWIDTH, .keys = fx_bandwidth_keys,
                                     .parse = fx_bandwidth_parse};
/* `device` (command-level DRAM): the stand-in only checks that a timing set
 * is named; the mapper tests cost it at a nominal 1 GB/s. */
static int fx_device_parse(const es_ynode *v, const mp_arch *a, void *rec, es_err *e)
{
    (void)a;
    const char *spec = NULL;
    if (es_y_str(v, "spec", 1, &spec, e))
        return -1;
    ((mp_mem *)rec)->bandwidth_Bps = 1e9;
    return 0;
}
static const char *const fx_device_keys[] = {"spec", "channels", NULL};
static const mp_kind fx_device = {.name = "device", .cls = MP_MEM_DEVICE, .keys = fx_device_keys,
                                  .parse = fx_device_parse};
static const char *const fx_pim_banks_keys[] = {"dram", "channels", "mapping", NULL};
static const char *const fx_vector_asic_keys[] = {"clock_hz",  "sram_bytes",  "latency",
                                                  "exp_terms", "recip_iters", "rsqrt_iters", NULL};
static const mp_kind fx_pim_banks = {.name = "pim-banks", .cls = MP_UNIT_VECTOR, .keys = fx_pim_banks_keys};
static const mp_kind fx_vector_asic = {.name = "vector-asic", .cls = MP_UNIT_VECTOR, .keys = fx_vector_asic_keys};
static const mp_kind fx_p2p = {.name = "point-to-point"};
static const mp_kind *const fx_unit_kinds[] = {&fx_array2d, &fx_array1d, &fx_vector, &fx_pim_banks,
                                               &fx_vector_asic};
static const mp_kind *const fx_mem_kinds[] = {&fx_bandwidth, &fx_device};
static const mp_kind *const fx_link_kinds[] = {&fx_p2p};
static const mp_arch_kinds fx_kinds = {fx_unit_kinds, 5, fx_mem_kinds, 2, fx_link_kinds, 1};

#endif
