/* sim/mem/membw.c: off-chip memory behind a bandwidth figure (the FuseMax
 * artifact's model: 400 GiB/s, no latency).  A transfer occupies the channel
 * ceil(bytes / bytes-per-cycle) cycles; reads and writes share it.  Spec:
 * memory: {kind: bandwidth, bandwidth_Bps: B, ...}.  A command-level DRAM
 * model implements the same sim_comp_ops and puts its bank state into
 * sig/shift. */
#include "sim/comp/comp.h"

static uint64_t membw_service(sim_comp *c, const sp_op *op, uint64_t now)
{
    (void)now;
    return sim_xfer_cycles(op->bytes_rd + op->bytes_wr, c->bytes_per_cycle);
}

static int membw_bind(sim_comp *c, const mp_arch *a, const void *rec, es_err *e)
{
    (void)e;
    const mp_mem *m = rec;
    c->bytes_per_cycle = m->bandwidth_Bps / a->clock_hz;
    return 0;
}

const sim_comp_ops sim_membw_ops = {.kind = "mem-bandwidth", .service = membw_service, .bind = membw_bind};

static int membw_parse(const es_ynode *v, const mp_arch *a, void *rec, es_err *e)
{
    (void)a;
    mp_mem *m = rec;
    if (es_y_double(v, "bandwidth_Bps", 1, &m->bandwidth_Bps, e))
        return -1;
    if (!(m->bandwidth_Bps > 0))
        return es_y_fail(es_y_get(v, "bandwidth_Bps"), e, "expected > 0");
    return 0;
}

static const char *const membw_keys[] = {"bandwidth_Bps", NULL};

const mp_kind sim_membw_kind = {.name = "bandwidth", .cls = MP_MEM_BANDWIDTH, .keys = membw_keys,
                                .parse = membw_parse, .impl = &sim_membw_ops};
