/* sim/link/link.c: a point-to-point link: latency + bytes / bytes-per-cycle
 * per transfer, one transfer at a time. */
#include "sim/comp/comp.h"

static uint64_t link_service(sim_comp *c, const sp_op *op, uint64_t now)
{
    (void)now;
    return c->latency + sim_xfer_cycles(op->bytes_rd + op->bytes_wr, c->bytes_per_cycle);
}

const sim_comp_ops sim_link_ops = {"link", link_service, NULL, NULL};
