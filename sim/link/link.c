/* sim/link/link.c: a point-to-point link: latency + bytes / bytes-per-cycle
 * per transfer, one transfer at a time.  Spec: links: [{name, from, to,
 * bytes_per_cycle}] (kind point-to-point, the default).  The lowering does
 * not route transfers over links yet: links are validated and bound, and
 * their model is tested on its own. */
#include "sim/comp/comp.h"

static uint64_t link_service(sim_comp *c, const sp_op *op, uint64_t now)
{
    (void)now;
    return c->latency + sim_xfer_cycles(op->bytes_rd + op->bytes_wr, c->bytes_per_cycle);
}

static int link_bind(sim_comp *c, const mp_arch *a, const void *rec, es_err *e)
{
    (void)a, (void)e;
    const mp_link *l = rec;
    c->bytes_per_cycle = l->bytes_per_cycle;
    return 0;
}

const sim_comp_ops sim_link_ops = {.kind = "link", .service = link_service, .bind = link_bind};

const mp_kind sim_p2p_link_kind = {.name = "point-to-point", .impl = &sim_link_ops};
