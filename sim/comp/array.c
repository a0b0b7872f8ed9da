/* sim/comp/array.c: 2D arrays, 1D arrays and vector units.  A tile op's busy
 * time was computed by the lowering from the unit's timing conventions
 * (docs/cycles.md, sim/array/timing.h); the unit keeps no other state. */
#include "sim/comp/comp.h"

static uint64_t array_service(sim_comp *c, const sp_op *op, uint64_t now)
{
    (void)c, (void)now;
    return op->cycles ? op->cycles : 1;
}

const sim_comp_ops sim_array_ops = {"array", array_service, NULL, NULL};
