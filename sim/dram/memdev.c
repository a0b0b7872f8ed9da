/* sim/dram/memdev.c: the command-level DRAM as an arch's off-chip memory
 * (`memory: {kind: device, spec: hbm2, channels: 16, ...}`).
 *
 * One tile transfer (an sp_op's bytes read and written) becomes burst
 * requests at consecutive addresses (reads from 0, writes from the middle of
 * the capacity, interleaved in proportion), all arriving when the op
 * starts, run through the FR-FCFS controllers command by command.  The busy
 * time is the span from the first to the last data beat on the buses,
 * converted from DRAM to chip cycles (ceil): the access latency before the
 * first beat (ACT, tRCD, CL) is not charged, as the bandwidth model charges
 * none, because a controller overlaps it with the previous transfer's data
 * (transfers queue back to back on this component).  Row misses, bank and
 * bus conflicts and refresh inside the transfer are charged.  Each transfer starts from an idle, precharged device with
 * refresh at phase 0, so `service` is a pure function of the op's sizes
 * (memoised per size) and fast-forward stays exact without sig/shift.
 * Refresh is charged at its long-run share (refresh_stretch).
 * A transfer longer than XFER_SIM_BURSTS bursts is simulated for its first
 * XFER_SIM_BURSTS bursts; the rest runs at the rate measured over the
 * second half of that stretch.  docs/dram.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/yaml.h"
#include "sim/comp/comp.h"
#include "sim/dram/dram.h"
#include "sim/dram/traffic.h"

#define XFER_SIM_BURSTS 65536
#define XFER_CACHE 64

typedef struct xfer_memo {
    uint64_t rd, wr, dram_cycles;
} xfer_memo;

typedef struct dev_state {
    dr_spec spec;
    double chip_per_dram; /* chip cycles per DRAM cycle */
    xfer_memo memo[XFER_CACHE];
    int n_memo, next_memo;
} dev_state;

typedef struct half_ctx {
    uint64_t done, half, t_half, last, first;
} half_ctx;

static void count_done(void *ctx, uint64_t id, uint64_t t)
{
    (void)id;
    half_ctx *h = ctx;
    if (t > h->last)
        h->last = t;
    if (t < h->first)
        h->first = t;
    if (++h->done == h->half)
        h->t_half = h->last;
}

/* Refresh, charged at its long-run share: a transfer is simulated without
 * it (each would otherwise see refresh at phase 0, and a short one never),
 * then stretched by tREFI / (tREFI - tRFC) (per bank: tRFCpb, each bank once
 * per tREFI). */
static double refresh_stretch(const dr_spec *s)
{
    const dr_timing *T = &s->t;
    if (s->refresh == DR_REFRESH_ALLBANK)
        return (double)T->tREFI / (double)(T->tREFI - T->tRFC);
    if (s->refresh == DR_REFRESH_PERBANK && T->tREFI > T->tRFCpb)
        return (double)T->tREFI / (double)(T->tREFI - T->tRFCpb);
    return 1.0;
}

/* DRAM cycles of data transfer for rd + wr bursts on a fresh device, refresh
 * off (refresh_stretch adds it). */
static uint64_t xfer_cycles(const dr_spec *s_in, uint64_t rd, uint64_t wr)
{
    dr_spec quiet = *s_in;
    quiet.refresh = DR_REFRESH_NONE;
    const dr_spec *s = &quiet;
    uint64_t total = rd + wr;
    if (total == 0)
        return 0;
    uint64_t sim = total < XFER_SIM_BURSTS ? total : XFER_SIM_BURSTS;
    uint64_t sim_rd = (uint64_t)((double)sim * (double)rd / (double)total + 0.5);
    uint64_t sim_wr = sim - sim_rd;
    dr_mem *m = dr_mem_new(s, 0);
    half_ctx h = {0, sim / 2, 0, 0, UINT64_MAX};
    dr_mem_on_done(m, count_done, &h);
    uint64_t B = (uint64_t)s->org.burst_bytes;
    uint64_t cap = dr_capacity_bytes(s);
    uint64_t wbase = cap / 2 / B * B, ir = 0, iw = 0, id = 0;
    while (ir < sim_rd || iw < sim_wr) {
        /* interleave in proportion: a write when writes lag behind */
        int write = iw < sim_wr && (ir >= sim_rd || iw * sim_rd < ir * sim_wr);
        uint64_t addr = write ? (wbase + iw * B) % cap : (ir * B) % cap;
        if (dr_mem_submit(m, addr, write, 0, id)) {
            dr_mem_advance(m, dr_mem_next_event(m));
            continue;
        }
        id++;
        if (write)
            iw++;
        else
            ir++;
    }
    dr_mem_advance(m, DR_NEVER);
    uint64_t end = dr_mem_last_done(m);
    uint64_t start = h.first - (uint64_t)s->t.nBL; /* first data beat */
    dr_mem_free(m);
    if (sim == total)
        return end - start;
    /* the rest at the steady rate of the simulated stretch's second half */
    double rate = (double)(sim - sim / 2) / (double)(end > h.t_half ? end - h.t_half : 1);
    return end - start + (uint64_t)ceil((double)(total - sim) / rate);
}

static uint64_t dev_service(sim_comp *c, const sp_op *op, uint64_t now)
{
    (void)now;
    dev_state *d = c->state;
    uint64_t B = (uint64_t)d->spec.org.burst_bytes;
    uint64_t rd = (uint64_t)ceil(op->bytes_rd / (double)B - 1e-9);
    uint64_t wr = (uint64_t)ceil(op->bytes_wr / (double)B - 1e-9);
    uint64_t dc = UINT64_MAX;
    for (int i = 0; i < d->n_memo; i++)
        if (d->memo[i].rd == rd && d->memo[i].wr == wr) {
            dc = d->memo[i].dram_cycles;
            break;
        }
    if (dc == UINT64_MAX) {
        dc = xfer_cycles(&d->spec, rd, wr);
        xfer_memo *slot = &d->memo[d->n_memo < XFER_CACHE ? d->n_memo++ : d->next_memo];
        if (d->n_memo == XFER_CACHE)
            d->next_memo = (d->next_memo + 1) % XFER_CACHE;
        *slot = (xfer_memo){rd, wr, dc};
    }
    double chip = ceil((double)dc * refresh_stretch(&d->spec) * d->chip_per_dram - 1e-9);
    return chip < 1 ? 1 : (uint64_t)chip;
}

static int dev_bind(sim_comp *c, const mp_arch *a, const void *rec, es_err *e)
{
    (void)e;
    const mp_mem *m = rec;
    dev_state *d = es_xcalloc(1, sizeof *d);
    d->spec = *(const dr_spec *)m->params;
    d->chip_per_dram = d->spec.tck_ns * 1e-9 * a->clock_hz;
    c->state = d;
    c->bytes_per_cycle = m->bandwidth_Bps / a->clock_hz;
    return 0;
}

static void dev_release(sim_comp *c)
{
    free(c->state);
}

const sim_comp_ops sim_dram_ops = {.kind = "mem-device", .service = dev_service, .bind = dev_bind,
                                   .release = dev_release};

static int dev_parse(const es_ynode *v, const mp_arch *a, void *rec, es_err *e)
{
    (void)a;
    mp_mem *m = rec;
    const char *name = NULL;
    if (es_y_str(v, "spec", 1, &name, e))
        return -1;
    dr_spec *s = es_xcalloc(1, sizeof *s);
    es_err sub;
    if (dr_spec_load(name, s, &sub)) {
        free(s);
        return es_y_fail(es_y_get(v, "spec"), e, "DRAM timing set: %s", sub.msg);
    }
    es_ynode *ch = es_y_get(v, "channels");
    if (ch) {
        int64_t n = 0;
        if (es_y_int(v, "channels", 0, &n, e)) {
            free(s);
            return -1;
        }
        if (n < 1 || n > 255) {
            free(s);
            return es_y_fail(ch, e, "expected a channel count in 1..255, got %lld", (long long)n);
        }
        s->org.channels = (int)n;
    }
    m->params = s;
    m->bandwidth_Bps = dr_peak_bytes_per_s(s); /* the analytical model's figure: the peak */
    return 0;
}

static const char *const dev_keys[] = {"spec", "channels", NULL};

const mp_kind sim_dram_kind = {.name = "device", .cls = MP_MEM_DEVICE, .keys = dev_keys, .parse = dev_parse,
                               .impl = &sim_dram_ops};
