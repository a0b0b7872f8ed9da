/* sim/dram/ctrl.c: the memory system: address mapping and one FR-FCFS
 * controller per channel.
 *
 * Event driven: each channel knows its next command (the candidate) and the
 * cycle it can issue; dr_mem_advance issues the earliest candidate of all
 * channels, recomputes that channel's candidate, and repeats.  No cycle is
 * visited unless a command issues in it.
 *
 * FR-FCFS (first ready, first come first served) over the active queue: of
 * the commands the queued requests need next (RD/WR on a row hit, else PRE
 * or ACT), the one that can issue earliest wins; ties go to column commands
 * (row hits), then to the oldest request.  A PRE is not issued while a
 * queued request still hits the open row.  Writes wait in their own queue
 * and are drained when it reaches write_high (down to write_low), or when
 * no read is waiting.  Closed-row policy: every column command carries an
 * auto-precharge (RDA/WRA).
 *
 * Refresh: all-bank, each rank every tREFI (ranks staggered); per-bank, one
 * bank every tREFIpb, round robin.  Once a refresh is due, requests to the
 * banks it needs wait; their open rows are precharged (PRE/PREA) and the
 * REF issues as soon as it is legal. */
#include <stdlib.h>
#include <string.h>

#include "sim/dram/dram.h"

typedef struct req {
    uint64_t id, seq, arrival;
    dr_addr a;
    int write, needed_pre;
} req;

typedef struct cand {
    uint64_t t; /* DR_NEVER: nothing to do */
    dr_cmd_kind k;
    dr_addr a;
    int qsel, qi; /* queue (0 read, 1 write, -1 refresh) and index */
    int col;      /* a column command (row hit) */
    uint64_t seq; /* its request's arrival order */
} cand;

typedef struct ctrl {
    dr_channel *dev;
    req *q[2];
    int n[2];
    int draining;
    uint64_t now;
    uint64_t ref_due[DR_MAX_RANKS]; /* all-bank */
    uint64_t refpb_due;             /* per-bank: next bank's due time */
    int refpb_next;                 /* rank * banks + bank */
    uint64_t opened_for[DR_MAX_RANKS * DR_MAX_BANKS]; /* seq+1 of the request an ACT was for */
    cand c;
    int dirty;
} ctrl;

struct dr_mem {
    const dr_spec *s;
    ctrl *ch;
    dr_stream stream;
    int record;
    dr_done_fn done;
    void *done_ctx;
    uint64_t seq, last_done, last_arrival;
    uint64_t hits, misses, conflicts, lat_sum, lat_max, reads, writes;
    int pending;
    dr_stats total;
};

static int nbanks(const dr_spec *s)
{
    return s->org.bankgroups * s->org.banks_per_group;
}

dr_mem *dr_mem_new(const dr_spec *s, int record_stream)
{
    dr_mem *m = es_xcalloc(1, sizeof *m);
    m->s = s;
    m->record = record_stream;
    m->ch = es_xcalloc((size_t)s->org.channels, sizeof *m->ch);
    for (int i = 0; i < s->org.channels; i++) {
        ctrl *c = &m->ch[i];
        c->dev = dr_channel_new(s, i, record_stream ? &m->stream : NULL);
        c->q[0] = es_xcalloc((size_t)s->queue_depth, sizeof(req));
        c->q[1] = es_xcalloc((size_t)s->queue_depth, sizeof(req));
        for (int r = 0; r < s->org.ranks; r++)
            c->ref_due[r] = (uint64_t)s->t.tREFI * (uint64_t)(r + 1) / (uint64_t)s->org.ranks;
        c->refpb_due = (uint64_t)s->t.tREFIpb;
        c->dirty = 1;
    }
    return m;
}

void dr_mem_free(dr_mem *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->s->org.channels; i++) {
        dr_channel_free(m->ch[i].dev);
        free(m->ch[i].q[0]);
        free(m->ch[i].q[1]);
    }
    free(m->ch);
    dr_stream_free(&m->stream);
    free(m);
}

void dr_mem_on_done(dr_mem *m, dr_done_fn fn, void *ctx)
{
    m->done = fn;
    m->done_ctx = ctx;
}

static void update_for_new(const dr_spec *s, ctrl *c, int qs);

int dr_mem_submit(dr_mem *m, uint64_t byte_addr, int is_write, uint64_t arrival, uint64_t id)
{
    dr_addr a = dr_map_address(m->s, byte_addr);
    ctrl *c = &m->ch[a.ch];
    int qs = is_write ? 1 : 0;
    if (c->n[qs] >= m->s->queue_depth)
        return 1;
    if (arrival < m->last_arrival)
        arrival = m->last_arrival;
    m->last_arrival = arrival;
    c->q[qs][c->n[qs]++] = (req){id, m->seq++, arrival, a, is_write, 0};
    m->pending++;
    if (!c->dirty)
        update_for_new(m->s, c, qs);
    return 0;
}

static int bank_index(const dr_spec *s, const dr_addr *a)
{
    return a->rank * nbanks(s) + a->bg * s->org.banks_per_group + a->bank;
}

static int better(const cand *x, int x_col, uint64_t x_seq, const cand *best, int b_col, uint64_t b_seq)
{
    if (x->t != best->t)
        return x->t < best->t;
    if (x_col != b_col)
        return x_col;
    return x_seq < b_seq;
}

/* Refresh: is bank `bi` (rank*banks + bank) blocked by a due refresh? */
static int refresh_blocks(const dr_spec *s, const ctrl *c, int bi, uint64_t t)
{
    if (s->refresh == DR_REFRESH_ALLBANK)
        return c->ref_due[bi / nbanks(s)] <= t;
    if (s->refresh == DR_REFRESH_PERBANK)
        return c->refpb_due <= t && c->refpb_next == bi;
    return 0;
}

/* The next refresh command and its time (DR_NEVER when refresh is off). */
static cand refresh_cand(const dr_spec *s, const ctrl *c)
{
    cand best = {DR_NEVER, DR_REFAB, {0}, -1, 0, 0, 0};
    if (s->refresh == DR_REFRESH_NONE)
        return best;
    if (s->refresh == DR_REFRESH_ALLBANK) {
        for (int r = 0; r < s->org.ranks; r++) {
            dr_addr a = {0, r, 0, 0, 0, 0};
            int any_open = 0;
            for (int g = 0; g < s->org.bankgroups; g++)
                for (int b = 0; b < s->org.banks_per_group; b++)
                    any_open |= dr_open_row(c->dev, r, g, b) >= 0;
            dr_cmd_kind k = any_open ? DR_PREA : DR_REFAB;
            uint64_t t = dr_earliest(c->dev, k, &a, c->ref_due[r] > c->now ? c->ref_due[r] : c->now);
            if (t < best.t)
                best = (cand){t, k, a, -1, 0, 0, 0};
        }
        return best;
    }
    int bi = c->refpb_next, nb = nbanks(s);
    dr_addr a = {0, bi / nb, (bi % nb) / s->org.banks_per_group, (bi % nb) % s->org.banks_per_group, 0, 0};
    a.row = dr_open_row(c->dev, a.rank, a.bg, a.bank);
    dr_cmd_kind k = a.row >= 0 ? DR_PRE : DR_REFPB;
    uint64_t t = dr_earliest(c->dev, k, &a, c->refpb_due > c->now ? c->refpb_due : c->now);
    return (cand){t, k, a, -1, 0, 0, 0};
}

/* Per-plan scratch, by bank (rank * banks + bank): whether a queued
 * request hits the open row, and the earliest cycle (from now) of the
 * command the bank's requests need, which is the same for every request to
 * that bank needing the same command (dr_earliest(from) = max(from,
 * dr_earliest(now))). */
typedef struct bank_scratch {
    uint32_t stamp;
    int wanted;
    int64_t open; /* open row, -1 */
    uint64_t t[4]; /* by slot: 0 read, 1 PRE, 2 ACT, 3 write */
    uint8_t have[4];
} bank_scratch;

static bank_scratch scratch[DR_MAX_RANKS * DR_MAX_BANKS];
static uint32_t scratch_stamp;

static void scratch_fill(const dr_spec *s, const ctrl *c)
{
    if (++scratch_stamp == 0)
        scratch_stamp = 1;
    for (int qs = 0; qs < 2; qs++)
        for (int i = 0; i < c->n[qs]; i++) {
            const dr_addr *a = &c->q[qs][i].a;
            bank_scratch *b = &scratch[bank_index(s, a)];
            if (b->stamp != scratch_stamp) {
                b->stamp = scratch_stamp;
                b->wanted = 0;
                b->open = dr_open_row(c->dev, a->rank, a->bg, a->bank);
                memset(b->have, 0, sizeof b->have);
            }
            if (b->open == a->row)
                b->wanted = 1;
        }
}

/* FR-FCFS over queue qs; requests to banks blocked by a due refresh are
 * skipped when skip_refresh. */
static cand request_cand(const dr_spec *s, const ctrl *c, int qs, int skip_refresh)
{
    cand best = {DR_NEVER, DR_RD, {0}, qs, -1, 0, UINT64_MAX};
    uint64_t best_seq = UINT64_MAX;
    int best_col = 0;
    for (int i = 0; i < c->n[qs]; i++) {
        const req *r = &c->q[qs][i];
        int bi = bank_index(s, &r->a);
        if (skip_refresh && refresh_blocks(s, c, bi, DR_NEVER - 1))
            continue;
        bank_scratch *bs = &scratch[bi];
        int64_t open = bs->open;
        dr_cmd_kind k;
        int col = 0, slot;
        if (open == r->a.row) {
            k = r->write ? (s->policy == DR_POLICY_CLOSED ? DR_WRA : DR_WR)
                         : (s->policy == DR_POLICY_CLOSED ? DR_RDA : DR_RD);
            col = 1;
            slot = r->write ? 3 : 0;
        } else if (open >= 0) {
            if (bs->wanted)
                continue; /* first serve the hits on the open row */
            k = DR_PRE;
            slot = 1;
        } else {
            k = DR_ACT;
            slot = 2;
        }
        if (!bs->have[slot]) {
            bs->t[slot] = dr_earliest(c->dev, k, &r->a, c->now);
            bs->have[slot] = 1;
        }
        uint64_t t = bs->t[slot];
        if (t == DR_NEVER)
            continue;
        if (r->arrival > t)
            t = r->arrival;
        cand x = {t, k, r->a, qs, i, col, r->seq};
        if (best.qi < 0 || better(&x, col, r->seq, &best, best_col, best_seq)) {
            best = x;
            best_seq = r->seq;
            best_col = col;
        }
    }
    return best;
}

/* The cycle the next refresh of the channel falls due (DR_NEVER: none). */
static uint64_t refresh_due(const dr_spec *s, const ctrl *c)
{
    uint64_t due = DR_NEVER;
    if (s->refresh == DR_REFRESH_ALLBANK) {
        for (int r = 0; r < s->org.ranks; r++)
            if (c->ref_due[r] < due)
                due = c->ref_due[r];
    } else if (s->refresh == DR_REFRESH_PERBANK) {
        due = c->refpb_due;
    }
    return due;
}

/* Write drain: from write_high down to write_low, or while no read waits. */
static int drain_next(const dr_spec *s, const ctrl *c)
{
    if (c->draining)
        return !(c->n[1] == 0 || (c->n[1] <= s->write_low && c->n[0] > 0));
    return c->n[1] >= s->write_high || (c->n[0] == 0 && c->n[1] > 0);
}

static void plan(const dr_spec *s, ctrl *c)
{
    c->draining = drain_next(s, c);
    int qs = c->draining ? 1 : 0;
    scratch_fill(s, c);
    cand q = request_cand(s, c, qs, 0);
    uint64_t due = refresh_due(s, c);
    if (q.t != DR_NEVER && q.t < due) { /* no refresh due before it */
        c->c = q;
    } else {
        /* a refresh is due first: keep off its banks */
        cand rc = refresh_cand(s, c);
        if (q.t != DR_NEVER)
            q = request_cand(s, c, qs, 1);
        c->c = (rc.t <= q.t) ? rc : q;
    }
    c->dirty = 0;
}

/* A request was appended to queue qs of a channel whose candidate is
 * current: what plan() would now choose, without rescanning the queues when
 * only the new request can change it (it is the youngest, so it wins only
 * by an earlier cycle, or the same cycle as a row hit against a row
 * command).  Anything less simple (the drain mode flips, a refresh is
 * involved, the request would need a PRE or could hold one back) replans. */
static void update_for_new(const dr_spec *s, ctrl *c, int qs)
{
    const cand *cur = &c->c;
    if (drain_next(s, c) != c->draining || cur->qsel < 0 || cur->t == DR_NEVER || cur->t >= refresh_due(s, c)) {
        c->dirty = 1;
        return;
    }
    if (qs != (c->draining ? 1 : 0))
        return; /* not the queue being served */
    const req *r = &c->q[qs][c->n[qs] - 1];
    int64_t open = dr_open_row(c->dev, r->a.rank, r->a.bg, r->a.bank);
    if (open >= 0 && open != r->a.row) {
        c->dirty = 1; /* would need a PRE, which queued hits may hold back */
        return;
    }
    if (cur->k == DR_PRE && open == r->a.row && cur->a.rank == r->a.rank && cur->a.bg == r->a.bg &&
        cur->a.bank == r->a.bank) {
        c->dirty = 1; /* a hit on the row the candidate would close */
        return;
    }
    int col = open == r->a.row;
    dr_cmd_kind k = !col ? DR_ACT
                    : r->write ? (s->policy == DR_POLICY_CLOSED ? DR_WRA : DR_WR)
                               : (s->policy == DR_POLICY_CLOSED ? DR_RDA : DR_RD);
    uint64_t t = dr_earliest(c->dev, k, &r->a, r->arrival > c->now ? r->arrival : c->now);
    if (t == DR_NEVER)
        return;
    if (t < cur->t || (t == cur->t && col && !cur->col))
        c->c = (cand){t, k, r->a, qs, c->n[qs] - 1, col, r->seq};
}

static void remove_req(ctrl *c, int qs, int i)
{
    memmove(&c->q[qs][i], &c->q[qs][i + 1], (size_t)(c->n[qs] - i - 1) * sizeof(req));
    c->n[qs]--;
}

static void issue(dr_mem *m, ctrl *c)
{
    const dr_spec *s = m->s;
    cand x = c->c;
    es_err e;
    if (dr_issue(c->dev, x.k, &x.a, x.t, &e))
        es_fatal(ES_EXIT_INTERNAL, "%s (controller bug)", e.msg);
    c->now = x.t;
    c->dirty = 1;
    if (x.qsel < 0) { /* refresh bookkeeping */
        if (x.k == DR_REFAB)
            c->ref_due[x.a.rank] += (uint64_t)s->t.tREFI;
        else if (x.k == DR_REFPB) {
            c->refpb_due += (uint64_t)s->t.tREFIpb;
            c->refpb_next = (c->refpb_next + 1) % (s->org.ranks * nbanks(s));
        }
        return;
    }
    req *r = &c->q[x.qsel][x.qi];
    int bi = bank_index(s, &r->a);
    if (x.k == DR_PRE) {
        r->needed_pre = 1;
        return;
    }
    if (x.k == DR_ACT) {
        c->opened_for[bi] = r->seq + 1;
        return;
    }
    /* column command: the request is served */
    if (c->opened_for[bi] == r->seq + 1) {
        if (r->needed_pre)
            m->conflicts++;
        else
            m->misses++;
    } else {
        m->hits++;
    }
    uint64_t done = dr_data_done(c->dev, x.k, x.t);
    if (r->write) {
        m->writes++;
    } else {
        m->reads++;
        uint64_t lat = done - r->arrival;
        m->lat_sum += lat;
        if (lat > m->lat_max)
            m->lat_max = lat;
    }
    if (done > m->last_done)
        m->last_done = done;
    uint64_t id = r->id;
    remove_req(c, x.qsel, x.qi);
    m->pending--;
    if (m->done)
        m->done(m->done_ctx, id, done);
}

static ctrl *next_channel(dr_mem *m)
{
    ctrl *best = NULL;
    for (int i = 0; i < m->s->org.channels; i++) {
        ctrl *c = &m->ch[i];
        if (c->dirty)
            plan(m->s, c);
        if (c->c.t != DR_NEVER && (!best || c->c.t < best->c.t))
            best = c;
    }
    return best;
}

uint64_t dr_mem_advance(dr_mem *m, uint64_t until)
{
    uint64_t reached = 0;
    for (;;) {
        if (until == DR_NEVER && m->pending == 0)
            break;
        ctrl *c = next_channel(m);
        if (!c || c->c.t > until)
            break;
        issue(m, c);
        reached = c->now;
    }
    if (until != DR_NEVER) {
        for (int i = 0; i < m->s->org.channels; i++)
            if (m->ch[i].now < until)
                m->ch[i].now = until; /* every candidate lies after until: still valid */
        return until;
    }
    return reached;
}

uint64_t dr_mem_next_event(const dr_mem *m)
{
    ctrl *c = next_channel((dr_mem *)m);
    return c ? c->c.t : DR_NEVER;
}

int dr_mem_pending(const dr_mem *m)
{
    return m->pending;
}

void dr_mem_finish(dr_mem *m, uint64_t end_cycle)
{
    dr_stats *t = &m->total;
    memset(t, 0, sizeof *t);
    for (int i = 0; i < m->s->org.channels; i++) {
        dr_channel_close(m->ch[i].dev, end_cycle);
        const dr_stats *c = dr_channel_stats(m->ch[i].dev);
        for (int k = 0; k < DR_NCMD; k++)
            t->cmds[k] += c->cmds[k];
        t->bytes_read += c->bytes_read;
        t->bytes_written += c->bytes_written;
        t->active_cycles += c->active_cycles;
        t->precharged_cycles += c->precharged_cycles;
        t->energy_idd_pj += c->energy_idd_pj;
        t->energy_pjbit_pj += c->energy_pjbit_pj;
    }
    t->row_hits = m->hits;
    t->row_misses = m->misses;
    t->row_conflicts = m->conflicts;
    t->reads_done = m->reads;
    t->writes_done = m->writes;
    t->read_latency_sum = m->lat_sum;
    t->read_latency_max = m->lat_max;
}

dr_stats dr_mem_stats(const dr_mem *m)
{
    return m->total;
}

const dr_stream *dr_mem_stream(const dr_mem *m)
{
    return &m->stream;
}

dr_channel *dr_mem_channel(dr_mem *m, int ch)
{
    return m->ch[ch].dev;
}

uint64_t dr_mem_last_done(const dr_mem *m)
{
    return m->last_done;
}
