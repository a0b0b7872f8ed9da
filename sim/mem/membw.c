/* sim/mem/membw.c: off-chip memory behind a bandwidth figure (the FuseMax
 * artifact's model: 400 GiB/s, no latency).  A transfer occupies the channel
 * ceil(bytes / bytes-per-cycle) cycles; reads and writes share it.  A
 * command-level DRAM model (sim/dram, DESIGN §6) implements the same
 * sim_comp_ops and puts its bank state into sig/shift. */
#include "sim/comp/comp.h"

static uint64_t membw_service(sim_comp *c, const sp_op *op, uint64_t now)
{
    (void)now;
    return sim_xfer_cycles(op->bytes_rd + op->bytes_wr, c->bytes_per_cycle);
}

const sim_comp_ops sim_membw_ops = {"mem-bandwidth", membw_service, NULL, NULL};
