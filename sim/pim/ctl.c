/* sim/pim/ctl.c: one channel's PIM controller (ctl.h). */
#include "sim/pim/ctl.h"

#include <stdlib.h>
#include <string.h>

int pim_ctl_init(pim_ctl *c, const pim_arch *a, int fast_forward, int record, es_err *e)
{
    memset(c, 0, sizeof *c);
    c->a = a;
    c->fast_forward = fast_forward;
    if (record)
        c->stream = es_xcalloc(1, sizeof *c->stream);
    c->ch = dr_channel_new(&a->dram, 0, c->stream);
    if (!c->ch)
        return es_fail(e, "pim: cannot create a channel of timing set %s", a->dram.name);
    c->next_ref = a->dram.refresh == DR_REFRESH_NONE ? UINT64_MAX : (uint64_t)a->dram.t.tREFI;
    return 0;
}

void pim_ctl_free(pim_ctl *c)
{
    dr_channel_free(c->ch);
    if (c->stream) {
        dr_stream_free(c->stream);
        free(c->stream);
    }
    memset(c, 0, sizeof *c);
}

static int nbanks(const pim_ctl *c)
{
    return c->a->dram.org.bankgroups * c->a->dram.org.banks_per_group;
}

/* Charge the idle span [now, t) to cls, except what a refresh blocks. */
static void charge(pim_ctl *c, uint64_t t, pim_time_class cls)
{
    if (t <= c->now)
        return;
    uint64_t span = t - c->now;
    if (c->ref_until > c->now) {
        uint64_t r = (c->ref_until < t ? c->ref_until : t) - c->now;
        c->time[PIM_T_REFRESH] += r;
        span -= r;
    }
    c->time[cls] += span;
}

static int issue_at(pim_ctl *c, dr_cmd_kind k, int bank, int64_t row, int64_t col, pim_time_class cls,
                    uint64_t not_before, uint64_t *at, es_err *e)
{
    int bpg = c->a->dram.org.banks_per_group;
    dr_addr ad = {0, 0, bank < 0 ? 0 : bank / bpg, bank < 0 ? 0 : bank % bpg, row, col};
    uint64_t from = c->now > not_before ? c->now : not_before;
    uint64_t t = dr_earliest(c->ch, k, &ad, from);
    if (t == DR_NEVER)
        return es_fail(e, "pim: %s to bank %d row %lld cannot issue in the bank state at cycle %llu", dr_cmd_name(k),
                       bank, (long long)row, (unsigned long long)from);
    if (dr_issue(c->ch, k, &ad, t, e))
        return -1;
    charge(c, t, cls);
    c->now = t;
    c->cmds[k]++;
    c->sim_cmds++;
    int nb = nbanks(c);
    switch (k) {
    case DR_ACT16: c->bank_acts += (uint64_t)nb; break;
    case DR_ACT4: c->bank_acts += (uint64_t)bpg; break;
    case DR_ACT: c->bank_acts++; break;
    case DR_MAC16: c->bank_accesses += (uint64_t)nb; break;
    case DR_MAC_SBK: case DR_RD: case DR_WR: case DR_RDA: case DR_WRA: case DR_COPY_BKGB: case DR_COPY_GBBK:
        c->bank_accesses++;
        break;
    case DR_REFAB:
        c->ref_until = t + (uint64_t)c->a->dram.t.tRFC;
        break;
    default: break;
    }
    if (k == DR_RDMAC16 || k == DR_RD || k == DR_RDA) {
        uint64_t d = dr_data_done(c->ch, k, t);
        if (d > c->last_data)
            c->last_data = d;
    }
    if (at)
        *at = t;
    return 0;
}

int pim_ctl_issue(pim_ctl *c, dr_cmd_kind k, int bank, int64_t row, int64_t col, pim_time_class cls, es_err *e)
{
    return issue_at(c, k, bank, row, col, cls, 0, NULL, e);
}

/* Refreshes due by now (banks are closed at every call site). */
static int refresh_due(pim_ctl *c, es_err *e)
{
    while (c->now >= c->next_ref) {
        if (issue_at(c, DR_REFAB, -1, 0, 0, PIM_T_REFRESH, c->ref_not_before, NULL, e))
            return -1;
        c->ref_not_before = 0;
        c->next_ref += (uint64_t)c->a->dram.t.tREFI;
    }
    return 0;
}

void pim_ctl_wait(pim_ctl *c, uint64_t t, pim_time_class cls)
{
    /* an idle channel refreshes while it waits (hidden behind the wait) */
    es_err e;
    while (c->next_ref < t && c->next_ref >= c->now) {
        uint64_t due = c->next_ref;
        charge(c, due, cls);
        c->now = due;
        if (refresh_due(c, &e))
            break;
    }
    charge(c, t, cls);
    if (t > c->now)
        c->now = t;
}

int pim_ctl_write_gb(pim_ctl *c, int64_t bursts, es_err *e)
{
    for (int64_t i = 0; i < bursts; i++)
        if (pim_ctl_issue(c, DR_WRGB, -1, 0, i, PIM_T_MOVE, e))
            return -1;
    return 0;
}

typedef struct snap {
    uint64_t cmds[DR_NCMD], bank_acts, bank_accesses, useful, time[PIM_T_N], sim_cmds;
    double e_idd, e_pjbit;
} snap;

static void take(const pim_ctl *c, snap *s)
{
    memcpy(s->cmds, c->cmds, sizeof s->cmds);
    s->bank_acts = c->bank_acts;
    s->bank_accesses = c->bank_accesses;
    s->useful = c->useful_macs;
    memcpy(s->time, c->time, sizeof s->time);
    s->sim_cmds = c->sim_cmds;
    const dr_stats *st = dr_channel_stats(c->ch);
    s->e_idd = st->energy_idd_pj;
    s->e_pjbit = st->energy_pjbit_pj;
}

/* Add k x (b - a) to the counters (the skipped rows). */
static void add_rows(pim_ctl *c, const snap *a, const snap *b, uint64_t k)
{
    for (int i = 0; i < DR_NCMD; i++)
        c->cmds[i] += k * (b->cmds[i] - a->cmds[i]);
    c->bank_acts += k * (b->bank_acts - a->bank_acts);
    c->bank_accesses += k * (b->bank_accesses - a->bank_accesses);
    c->useful_macs += k * (b->useful - a->useful);
    for (int i = 0; i < PIM_T_N; i++)
        c->time[i] += k * (b->time[i] - a->time[i]);
    c->ff_cmds += k * (b->sim_cmds - a->sim_cmds);
    c->e_idd_extra += (double)k * (b->e_idd - a->e_idd);
    c->e_pjbit_extra += (double)k * (b->e_pjbit - a->e_pjbit);
}

/* One unit: its commands in order (an ACT16 opens a new row in every bank,
 * a PREA closes it); offsets of every command from the first; *active:
 * cycles with the banks open (ACT16 -> PREA). */
static int one_unit(pim_ctl *c, const pim_row_cmd *cmds, int n, uint64_t useful, uint64_t not_before,
                    uint64_t *start, uint64_t *off, uint64_t *active, es_err *e)
{
    int64_t row = 0;
    uint64_t opened = 0;
    *active = 0;
    for (int i = 0; i < n; i++) {
        uint64_t t;
        dr_cmd_kind k = (dr_cmd_kind)cmds[i].kind;
        if (k == DR_ACT16)
            row = c->row_seq++ % c->a->dram.org.rows;
        int bank = (k == DR_MAC16 || k == DR_RDMAC16 || k == DR_WRGB || k == DR_ACT16 || k == DR_PREA)
                       ? -1
                       : cmds[i].bank;
        if (issue_at(c, k, bank, row, cmds[i].col, (pim_time_class)cmds[i].cls, i ? 0 : not_before, &t, e))
            return -1;
        if (!i)
            *start = t;
        off[i] = t - *start;
        if (k == DR_ACT16)
            opened = t;
        else if (k == DR_PREA)
            *active += t - opened;
    }
    c->useful_macs += useful;
    return 0;
}

int pim_ctl_rows(pim_ctl *c, int64_t n_rows, const pim_row_cmd *cmds, int n, uint64_t useful, es_err *e)
{
    if (n > PIM_ROW_MAX_CMDS || n < 1 || cmds[0].kind != DR_ACT16 || cmds[n - 1].kind != DR_PREA)
        return es_fail(e, "pim: a unit of %d commands must run from ACT16 to PREA (at most %d)", n, PIM_ROW_MAX_CMDS);
    uint64_t *off[2], active = 0;
    off[0] = es_xmalloc((size_t)n * sizeof(uint64_t));
    off[1] = es_xmalloc((size_t)n * sizeof(uint64_t));
    uint64_t start[3] = {0, 0, 0}; /* starts of the last three rows, newest first */
    int valid = 0;                 /* consecutive rows without a refresh before them */
    uint64_t expect_start = 0;     /* after a skip: the predicted row */
    int expect = 0;
    snap s0, s1;
    int rc = 0;
    for (int64_t r = 0; r < n_rows && !rc; r++) {
        uint64_t refs = c->cmds[DR_REFAB];
        if ((rc = refresh_due(c, e)))
            break;
        int refreshed = c->cmds[DR_REFAB] != refs;
        if (refreshed)
            valid = 0;
        take(c, &s0);
        int cur = (int)(r & 1);
        uint64_t st;
        if ((rc = one_unit(c, cmds, n, useful, expect && !refreshed ? expect_start : 0, &st, off[cur], &active, e)))
            break;
        take(c, &s1);
        if (expect && !refreshed &&
            (st != expect_start || memcmp(off[cur], off[cur ^ 1], (size_t)n * sizeof(uint64_t)))) {
            rc = es_fail(e, "pim: fast-forward mismatch: the row after a skip issued at %llu, predicted %llu",
                         (unsigned long long)st, (unsigned long long)expect_start);
            break;
        }
        expect = 0;
        start[2] = start[1], start[1] = start[0], start[0] = st;
        valid++;
        if (!c->fast_forward || valid < 2 || r + 2 >= n_rows)
            continue;
        uint64_t P = start[0] - start[1];
        if (memcmp(off[cur], off[cur ^ 1], (size_t)n * sizeof(uint64_t)))
            continue;
        /* periodic: rows r+1 .. r+k repeat row r shifted by P each */
        uint64_t pre = c->now; /* this row's PREA */
        if (c->next_ref <= pre)
            continue;
        /* kref rows start before the refresh falls due (their checks stay
         * false).  When the block goes on past it, skip them all: the
         * refresh then issues where the next row would have started (a REFab
         * waits for what an ACT16 waits for after PREA: tRP, tRC), and rows
         * are simulated again after it.  Otherwise keep the block's last row
         * to simulate at the predicted cycle and check. */
        uint64_t kref = (c->next_ref - pre + P - 1) / P;
        uint64_t left = (uint64_t)(n_rows - r - 1);
        int to_refresh = kref < left;
        uint64_t k = to_refresh ? kref : left - 1;
        if (k == 0)
            continue;
        add_rows(c, &s0, &s1, k);
        c->bg_active_extra += k * active; /* ACT16 -> PREA: banks open */
        c->ff_cycles += k * P;
        c->now = pre + k * P;
        c->row_seq += (int64_t)k;
        if (c->last_data > st)
            c->last_data += k * P;
        if (to_refresh) {
            c->ref_not_before = st + (k + 1) * P;
        } else {
            expect_start = st + (k + 1) * P;
            expect = 1;
        }
        r += (int64_t)k;
        /* off[cur] stays the reference for the check (the next row uses the other slot) */
        memcpy(off[cur ^ 1], off[cur], (size_t)n * sizeof(uint64_t));
    }
    free(off[0]);
    free(off[1]);
    return rc;
}

void pim_ctl_finish(pim_ctl *c, uint64_t end, dr_stats *st)
{
    dr_channel_close(c->ch, end);
    *st = *dr_channel_stats(c->ch);
    const dr_spec *s = &c->a->dram;
    double k = s->e.vdd * s->tck_ns * s->e.devices_per_rank; /* mA x V x ns = pJ */
    double shift = (double)c->bg_active_extra * k * (s->e.idd3n - s->e.idd2n);
    st->active_cycles += c->bg_active_extra;
    st->precharged_cycles -= c->bg_active_extra;
    st->energy_idd_pj += c->e_idd_extra + shift;
    st->energy_pjbit_pj += c->e_pjbit_extra + shift;
    memcpy(st->cmds, c->cmds, sizeof st->cmds);
}
