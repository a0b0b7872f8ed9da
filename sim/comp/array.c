/* sim/comp/array.c: 2D arrays, 1D arrays and vector units.  A tile op's busy
 * time was computed by the lowering from the unit's timing conventions
 * (docs/cycles.md, sim/array/timing.h); the unit keeps no other state.  The
 * three kinds differ only in the analytical class the mapper costs them as
 * (mapper/arch.h): the spec keys rows/cols/fill_cycles/spatial_reduce/ops are
 * common to every unit. */
#include "sim/comp/comp.h"

static uint64_t array_service(sim_comp *c, const sp_op *op, uint64_t now)
{
    (void)c, (void)now;
    return op->cycles ? op->cycles : 1;
}

const sim_comp_ops sim_array_ops = {.kind = "array", .service = array_service};

const mp_kind sim_array2d_kind = {.name = "array2d", .cls = MP_UNIT_ARRAY2D, .impl = &sim_array_ops};
const mp_kind sim_array1d_kind = {.name = "array1d", .cls = MP_UNIT_ARRAY1D, .impl = &sim_array_ops};
const mp_kind sim_vector_kind = {.name = "vector", .cls = MP_UNIT_VECTOR, .impl = &sim_array_ops};
