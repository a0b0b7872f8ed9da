/* sim/prog/exec.c: runs a tile program (prog.h) on components over the
 * event engine, with exact fast-forward of periodic work.
 *
 * Representation: step k's ops go into their components' FIFO queues when
 * the step is issued; rings indexed k % SP_RING hold, per step, the ops
 * still pending (a bit each) and how many are left.  A component starts its
 * queue head when the head's dependencies are no longer pending; a
 * completion event frees the component, clears the bit, and may complete a
 * step (opening the window for the next issue).
 *
 * Only the pending/complete status of a dependency matters (a start time is
 * max(now, ...) and completions are in the past), so the state that decides
 * the future is: steps in flight and their pending bits, each component's
 * remaining busy time and queue, all relative to now and to the step being
 * issued.  That is the fast-forward signature. */
#include <stdlib.h>
#include <string.h>

#include "sim/comp/comp.h"
#include "sim/engine/engine.h"
#include "sim/prog/prog.h"
#include "sim/report/report.h"

#define QCAP 512

typedef struct qent {
    int op;
    int64_t k;
} qent;

typedef struct cstate {
    int busy;
    uint64_t busy_until;
    qent cur;
    qent q[QCAP];
    int qh, qn;
} cstate;

typedef struct ffsave {
    int64_t s;
    uint64_t t;
    sim_sig sig;
    uint64_t counts[SP_MAX_OPS];
} ffsave;

typedef struct ex {
    const sp_prog *p;
    const sp_group *g;
    int gi;
    struct sim_comp *const *comps;
    const sp_exec_opts *o;
    sim_engine en;
    cstate cs[SP_MAX_COMPS];
    uint64_t pend[SP_RING]; /* bit op: op of step k still pending */
    int left[SP_RING];
    int64_t s_next, s_old, s_aold, s_end, S; /* s_old: oldest step with sync ops left;
                                               s_aold: oldest step with any op pending */
    uint64_t counts[SP_MAX_OPS];
    uint64_t dur[SP_MAX_OPS]; /* busy cycles of each op (constant per op) */
    int dur_known[SP_MAX_OPS];
    ffsave ff[SP_MAX_LOOPS];
    int64_t len[SP_MAX_LOOPS];
    sim_sig cur;
    sp_stats *st;
    es_err *e;
    int failed;
} ex;

int sp_group_add_dep(sp_group *g, int op, int on, int lag)
{
    sp_op *o = &g->ops[op];
    for (int i = 0; i < o->ndep; i++)
        if (o->dep[i].op == on && o->dep[i].lag == lag)
            return 0;
    if (o->ndep == SP_MAX_DEPS)
        return -1;
    o->dep[o->ndep].op = on;
    o->dep[o->ndep++].lag = lag;
    return 0;
}

sp_group *sp_prog_add_group(sp_prog *p)
{
    if (p->ngroups == p->cap_groups) {
        p->cap_groups = p->cap_groups ? 2 * p->cap_groups : 16;
        p->g = es_xrealloc(p->g, (size_t)p->cap_groups * sizeof *p->g);
    }
    sp_group *g = es_xcalloc(1, sizeof *g);
    p->g[p->ngroups++] = g;
    return g;
}

void sp_prog_free(sp_prog *p)
{
    for (int i = 0; i < p->ngroups; i++)
        free(p->g[i]);
    free(p->g);
    p->g = NULL;
    p->ngroups = p->cap_groups = 0;
}

int64_t sp_group_tiles(const sp_group *g)
{
    int64_t s = 1;
    for (int i = 0; i < g->nloops; i++)
        s *= g->factor[i];
    return s;
}

static int active(const ex *x, const sp_op *op, int64_t s)
{
    int64_t t = s - op->stage;
    if (t < 0 || t >= x->S)
        return 0;
    if (!op->last_mask && !op->first_mask)
        return 1;
    for (int l = x->g->nloops - 1; l >= 0; l--) {
        int64_t f = x->g->factor[l], d = t % f;
        t /= f;
        if ((op->last_mask >> l & 1) && d != f - 1)
            return 0;
        if ((op->first_mask >> l & 1) && d != 0)
            return 0;
    }
    return 1;
}

static void try_start_all(ex *x);
static void try_issue(ex *x);

static void advance(ex *x)
{
    while (x->s_old < x->s_next && x->left[x->s_old % SP_RING] == 0)
        x->s_old++;
    while (x->s_aold < x->s_next && x->pend[x->s_aold % SP_RING] == 0)
        x->s_aold++;
}

static void op_done(sim_engine *en, void *obj, int64_t ci)
{
    ex *x = obj;
    cstate *c = &x->cs[ci];
    int r = (int)(c->cur.k % SP_RING);
    x->pend[r] &= ~(1ull << c->cur.op);
    if (!x->g->ops[c->cur.op].async)
        x->left[r]--;
    c->busy = 0;
    (void)en;
    advance(x);
    try_issue(x);
    try_start_all(x);
}

static int deps_met(const ex *x, const sp_op *op, int64_t k)
{
    for (int i = 0; i < op->ndep; i++) {
        int64_t kk = k - op->dep[i].lag;
        if (kk < 0 || kk < x->s_aold)
            continue; /* before the group, or a step with nothing pending */
        if (kk >= x->s_next)
            return 0; /* not issued yet (only with negative lags; never built) */
        if (x->pend[kk % SP_RING] >> op->dep[i].op & 1)
            return 0;
    }
    return 1;
}

static void try_start_all(ex *x)
{
    for (int ci = 0; ci < x->p->ncomps; ci++) {
        cstate *c = &x->cs[ci];
        if (c->busy || !c->qn)
            continue;
        qent h = c->q[c->qh];
        const sp_op *op = &x->g->ops[h.op];
        if (!deps_met(x, op, h.k))
            continue;
        c->qh = (c->qh + 1) % QCAP, c->qn--;
        uint64_t d = x->comps[ci]->ops->service(x->comps[ci], op, x->en.now);
        if (!x->dur_known[h.op])
            x->dur[h.op] = d, x->dur_known[h.op] = 1;
        c->busy = 1, c->cur = h, c->busy_until = x->en.now + d;
        x->counts[h.op]++;
        x->st->ops_started++;
        if (x->o->trace)
            sim_trace_add(x->o->trace, ci, op->name, x->en.now, d);
        if (x->o->fn && op->einsum >= 0 && !x->failed) {
            if (x->o->fn(x->o->fn_ctx, x->gi, op, h.k - op->stage, x->e) < 0)
                x->failed = 1;
        }
        sim_at(&x->en, c->busy_until, op_done, x, ci);
    }
}

static void make_sig(ex *x, sim_sig *s)
{
    s->n = 0;
    uint64_t now = x->en.now;
    int64_t sn = x->s_next;
    sim_sig_push(s, sn - x->s_old);
    sim_sig_push(s, sn - x->s_aold);
    for (int64_t k = x->s_aold; k < sn; k++) {
        sim_sig_push(s, (int64_t)x->pend[k % SP_RING]);
        sim_sig_push(s, x->left[k % SP_RING]);
    }
    for (int ci = 0; ci < x->p->ncomps; ci++) {
        cstate *c = &x->cs[ci];
        sim_sig_push(s, c->busy ? (int64_t)(c->busy_until - now) : -1);
        if (c->busy)
            sim_sig_push(s, c->cur.op), sim_sig_push(s, sn - c->cur.k);
        sim_sig_push(s, c->qn);
        for (int i = 0; i < c->qn; i++) {
            qent q = c->q[(c->qh + i) % QCAP];
            sim_sig_push(s, q.op), sim_sig_push(s, sn - q.k);
        }
        if (x->comps[ci]->ops->sig)
            x->comps[ci]->ops->sig(x->comps[ci], now, s);
    }
}

static void skip(ex *x, int64_t periods, int64_t len, uint64_t dt, const uint64_t *saved_counts)
{
    int64_t ds = periods * len;
    uint64_t shift = (uint64_t)periods * dt;
    sim_engine_shift(&x->en, shift);
    for (int ci = 0; ci < x->p->ncomps; ci++) {
        cstate *c = &x->cs[ci];
        if (c->busy)
            c->busy_until += shift, c->cur.k += ds;
        for (int i = 0; i < c->qn; i++)
            c->q[(c->qh + i) % QCAP].k += ds;
        if (x->comps[ci]->ops->shift)
            x->comps[ci]->ops->shift(x->comps[ci], shift);
    }
    uint64_t pend[SP_RING];
    int left[SP_RING];
    memcpy(pend, x->pend, sizeof pend);
    memcpy(left, x->left, sizeof left);
    for (int64_t k = x->s_aold; k < x->s_next; k++) {
        x->pend[(k + ds) % SP_RING] = pend[k % SP_RING];
        x->left[(k + ds) % SP_RING] = left[k % SP_RING];
    }
    x->s_old += ds, x->s_aold += ds, x->s_next += ds;
    for (int i = 0; i < x->g->nops; i++)
        x->counts[i] += (uint64_t)periods * (x->counts[i] - saved_counts[i]);
    x->st->ff_cycles += shift;
}

/* At the issue of step s: record/compare signatures at period starts. */
static void fast_forward(ex *x)
{
    int64_t s = x->s_next;
    if (s >= x->S)
        return;
    int sig_made = 0;
    for (int l = 0; l < x->g->nloops; l++) {
        int64_t len = x->len[l], f = x->g->factor[l];
        if (len <= x->g->max_stage || s % len || f < 5)
            continue;
        int64_t d = (s / len) % f;
        if (d < 2 || d > f - 2)
            continue;
        if (!sig_made)
            make_sig(x, &x->cur), sig_made = 1;
        ffsave *sv = &x->ff[l];
        if (d >= 3 && sv->s == s - len && sv->sig.n == x->cur.n &&
            !memcmp(sv->sig.v, x->cur.v, (size_t)x->cur.n * sizeof *x->cur.v)) {
            int64_t periods = (f - 2) - d;
            if (periods >= 1) {
                skip(x, periods, len, x->en.now - sv->t, sv->counts);
                sv->s = -1;
                return; /* inner levels' saved states are stale now */
            }
        }
        sv->s = s, sv->t = x->en.now;
        if (sv->sig.cap < x->cur.n) {
            sv->sig.cap = x->cur.n;
            sv->sig.v = es_xrealloc(sv->sig.v, (size_t)sv->sig.cap * sizeof *sv->sig.v);
        }
        memcpy(sv->sig.v, x->cur.v, (size_t)x->cur.n * sizeof *x->cur.v);
        sv->sig.n = x->cur.n;
        memcpy(sv->counts, x->counts, sizeof x->counts);
    }
}

static void try_issue(ex *x)
{
    while (x->s_next < x->s_end && x->s_next - x->s_old < x->g->window && x->s_next - x->s_aold < SP_RING - 1 &&
           !x->failed) {
        if (x->o->fast_forward)
            fast_forward(x);
        int64_t s = x->s_next;
        if (s >= x->s_end)
            break;
        int r = (int)(s % SP_RING), n = 0;
        uint64_t bits = 0;
        for (int i = 0; i < x->g->nops; i++) {
            const sp_op *op = &x->g->ops[i];
            if (!active(x, op, s))
                continue;
            cstate *c = &x->cs[op->comp];
            if (c->qn == QCAP) {
                x->failed = 1;
                es_fail(x->e, "internal: queue of %s overflows", x->p->comp_names[op->comp]);
                return;
            }
            c->q[(c->qh + c->qn++) % QCAP] = (qent){i, s};
            bits |= 1ull << i;
            n += !op->async;
        }
        x->pend[r] = bits, x->left[r] = n;
        x->s_next++;
        x->st->steps_issued++;
        advance(x);
    }
}

int sp_exec(const sp_prog *p, struct sim_comp *const *comps, const sp_exec_opts *o, sp_stats *st, es_err *e)
{
    memset(st, 0, sizeof *st);
    ex *x = es_xcalloc(1, sizeof *x);
    x->p = p, x->comps = comps, x->o = o, x->st = st, x->e = e;
    sim_engine_init(&x->en);
    int rc = 0;
    for (int gi = 0; gi < p->ngroups && !rc; gi++) {
        const sp_group *g = p->g[gi];
        x->g = g, x->gi = gi;
        if (g->nops > 64 || g->max_stage + g->window >= SP_RING) {
            rc = es_fail(e, "internal: group %s has %d ops, stages %d, window %d (limits 64, %d)", g->name, g->nops,
                         g->max_stage, g->window, SP_RING);
            break;
        }
        memset(x->cs, 0, sizeof x->cs);
        memset(x->pend, 0, sizeof x->pend);
        memset(x->left, 0, sizeof x->left);
        memset(x->counts, 0, sizeof x->counts);
        memset(x->dur_known, 0, sizeof x->dur_known);
        for (int l = 0; l < SP_MAX_LOOPS; l++)
            x->ff[l].s = -1;
        x->S = sp_group_tiles(g);
        int64_t len = 1;
        for (int l = g->nloops - 1; l >= 0; l--)
            x->len[l] = len, len *= g->factor[l];
        x->s_next = x->s_old = x->s_aold = 0;
        x->s_end = x->S + g->max_stage;
        try_issue(x);
        try_start_all(x);
        sim_run_all(&x->en);
        if (x->failed) {
            rc = -1;
            break;
        }
        if (x->s_old != x->s_end || x->s_aold != x->s_end) {
            /* a dependency that can never be met: the schedule is impossible */
            for (int ci = 0; ci < p->ncomps; ci++)
                if (x->cs[ci].qn) {
                    qent h = x->cs[ci].q[x->cs[ci].qh];
                    const sp_op *op = &g->ops[h.op];
                    rc = es_fail(e, "invalid mapping: group %s: Einsum %s on %s, tile %lld waits on a dependency "
                                    "that is never satisfied (deadlock)",
                                 g->name, op->name, p->comp_names[ci], (long long)(h.k - op->stage));
                    break;
                }
            if (!rc)
                rc = es_fail(e, "internal: group %s stopped at step %lld of %lld", g->name, (long long)x->s_old,
                             (long long)x->s_end);
            break;
        }
        for (int i = 0; i < g->nops; i++) {
            const sp_op *op = &g->ops[i];
            double n = (double)x->counts[i];
            uint64_t d = x->dur_known[i] ? x->dur[i] : 0;
            st->comp_busy[op->comp] += x->counts[i] * d;
            if (op->einsum >= 0) {
                st->einsum_cycles[op->einsum] += x->counts[i] * d;
                st->einsum_ops[op->einsum] += n * op->ops;
            }
            for (int a = 0; a < op->n_act; a++)
                st->act[op->act[a]] += n * op->act_n[a];
            st->dram_rd += n * op->bytes_rd, st->dram_wr += n * op->bytes_wr;
        }
    }
    st->cycles = x->en.now;
    st->simulated_cycles = st->cycles - st->ff_cycles;
    st->events = x->en.n_events;
    sim_engine_free(&x->en);
    free(x->cur.v);
    for (int l = 0; l < SP_MAX_LOOPS; l++)
        free(x->ff[l].sig.v);
    free(x);
    return rc;
}
