/* sim/comp/array.c: 2D arrays, 1D arrays and vector units.  A tile op's busy
 * time was computed by the lowering from the unit's timing conventions
 * (docs/cycles.md, sim/array/timing.h); the unit keeps no other state.  The
 * three kinds differ only in the analytical class the mapper costs them as
 * (mapper/arch.h): the spec keys rows/cols/fill_cycles/spatial_reduce/ops are
 * common to every unit. */
#include "sim/comp/comp.h"

#include <string.h>

#include "golden/base/yaml.h"

static uint64_t array_service(sim_comp *c, const sp_op *op, uint64_t now)
{
    (void)c, (void)now;
    return op->cycles ? op->cycles : 1;
}

const sim_comp_ops sim_array_ops = {.kind = "array", .service = array_service};

/* `sparse: {"2:4": F}`: the array runs Einsums whose weights are 2:4
 * structured-sparse F times faster (sparse tensor cores: F = 2, half the
 * multiplies skipped).  F in [1, 2]: 2:4 keeps half the values, so skipping
 * the zeros gains at most 2. */
static int array2d_parse(const es_ynode *v, const mp_arch *a, void *rec, es_err *e)
{
    (void)a;
    const es_ynode *sp = es_y_get(v, "sparse");
    if (!sp)
        return 0;
    if (es_y_expect(sp, ES_Y_MAP, e))
        return -1;
    for (size_t i = 0; i < sp->n; i++) {
        if (strcmp(sp->keys[i], "2:4"))
            return es_y_fail(sp->keylocs[i], e, "unknown sparse format '%s'; expected 2:4", sp->keys[i]);
        double f;
        if (es_y_as_double(sp->items[i], &f, e))
            return -1;
        if (!(f >= 1 && f <= 2))
            return es_y_fail(sp->items[i], e, "expected a MAC-throughput factor in [1, 2] (2:4 skips at most half)");
        ((mp_unit *)rec)->sparse_2_4 = f;
    }
    return 0;
}

static const char *const array2d_keys[] = {"sparse", NULL};
const mp_kind sim_array2d_kind = {
    .name = "array2d", .cls = MP_UNIT_ARRAY2D, .keys = array2d_keys, .parse = array2d_parse, .impl = &sim_array_ops};
const mp_kind sim_array1d_kind = {.name = "array1d", .cls = MP_UNIT_ARRAY1D, .impl = &sim_array_ops};
const mp_kind sim_vector_kind = {.name = "vector", .cls = MP_UNIT_VECTOR, .impl = &sim_array_ops};
