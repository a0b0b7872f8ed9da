/* sim/dram/check.c: the independent timing checker.
 *
 * It replays a command stream and, for every command, compares its issue
 * cycle with the times of the earlier commands it depends on (last ACT of
 * the bank, last column command of the bank group, the four last ACTs of
 * the rank, the data bursts on the bus, ...) using the timing table
 * directly: "t >= t(earlier command) + gap".  The scheduler (channel.c)
 * keeps "next allowed" bounds instead; the two share only dr_spec and the
 * command names, so a bound the scheduler forgets to raise shows up here. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/dram/dram.h"

#define NONE (INT64_MIN / 4) /* "never happened": every gap is met */
/* Recent data bursts kept for the bus check (a ring): a burst can only
 * collide with one whose command issued less than max(CL, CWL) + nBL +
 * tRTRS cycles earlier, and column commands issue at most one per cycle, so
 * 64 cover every bundled set (CL <= 50). */
#define CK_BURSTS 64

typedef struct {
    int open;
    int64_t row;
    int64_t act, pre, rd, wr_end, ref_end, refreshed;
} ck_bank;

typedef struct {
    int64_t act, col, wr_end;
} ck_group;

typedef struct {
    ck_bank b[DR_MAX_BANKS];
    ck_group g[DR_MAX_BG];
    ck_group all; /* rank-wide: act, col, wr_end */
    int64_t faw[4];
    int nfaw;
    int64_t multi_act, mac16, refreshed;
} ck_rank;

typedef struct {
    int64_t start, end;
    int rank, write;
} ck_burst;

typedef struct {
    ck_rank r[DR_MAX_RANKS];
    int64_t last_t, row_bus, col_bus, gb_ready;
    ck_burst burst[CK_BURSTS];
    int nburst, head; /* head: oldest */
} ck_chan;

typedef struct {
    const dr_spec *s;
    dr_violation *out;
    size_t max_out, count, index;
    const dr_cmd *cmd;
} ck_ctx;

static void violation(ck_ctx *x, const char *constraint, int64_t earliest, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void violation(ck_ctx *x, const char *constraint, int64_t earliest, const char *fmt, ...)
{
    if (x->out && x->count < x->max_out) {
        dr_violation *v = &x->out[x->count];
        v->index = x->index;
        snprintf(v->constraint, sizeof v->constraint, "%s", constraint);
        v->earliest = earliest > 0 ? (uint64_t)earliest : 0;
        const dr_cmd *c = x->cmd;
        char tail[120];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(tail, sizeof tail, fmt, ap);
        va_end(ap);
        snprintf(v->what, sizeof v->what, "%s ch%d r%d bg%d b%d row %u at %llu: %s", dr_cmd_name((dr_cmd_kind)c->kind),
                 c->ch, c->rank, c->bg, c->bank, c->row, (unsigned long long)c->t, tail);
    }
    x->count++;
}

/* t >= from + gap, else a violation of `name`. */
static void need(ck_ctx *x, int64_t t, int64_t from, int64_t gap, const char *name, const char *what)
{
    if (from == NONE)
        return;
    if (t < from + gap)
        violation(x, name, from + gap, "%s at %lld needs %lld", what, (long long)from, (long long)(from + gap));
}

static int is_act(int k) { return k == DR_ACT || k == DR_ACT4 || k == DR_ACT16; }
static int is_row(int k) { return is_act(k) || k == DR_PRE || k == DR_PREA || k == DR_REFAB || k == DR_REFPB; }

static void bank_init(ck_bank *b)
{
    b->open = 0;
    b->row = -1;
    b->act = b->pre = b->rd = b->wr_end = b->ref_end = NONE;
    b->refreshed = 0;
}

static void check_data_bus(ck_ctx *x, ck_chan *ch, int64_t start, int rank, int write)
{
    const dr_timing *T = &x->s->t;
    int64_t end = start + T->nBL;
    for (int i = 0; i < ch->nburst; i++) {
        ck_burst *p = &ch->burst[(ch->head + i) % CK_BURSTS];
        int64_t sw = (p->rank != rank || p->write != write) ? T->tRTRS : 0;
        if (start >= p->end + sw || end + sw <= p->start)
            continue;
        violation(x, "data-bus", p->end + sw, "burst [%lld,%lld) collides with burst [%lld,%lld) (+%lld switch)",
                  (long long)start, (long long)end, (long long)p->start, (long long)p->end, (long long)sw);
    }
    ck_burst b = {start, end, rank, write};
    if (ch->nburst == CK_BURSTS) {
        ch->burst[ch->head] = b;
        ch->head = (ch->head + 1) % CK_BURSTS;
    } else {
        ch->burst[(ch->head + ch->nburst++) % CK_BURSTS] = b;
    }
}

static void check_refresh_interval(ck_ctx *x, int64_t t, int64_t last, int64_t interval, const char *who)
{
    if (interval > 0 && t - last > 9 * interval)
        violation(x, "tREFI", last + 9 * interval, "%s not refreshed since %lld (more than 8 postponed intervals of %lld)",
                  who, (long long)last, (long long)interval);
}

size_t dr_check(const dr_spec *s, const dr_cmd *cmds, size_t n, dr_violation *out, size_t max_out)
{
    const dr_timing *T = &s->t;
    const int nbg = s->org.bankgroups, bpg = s->org.banks_per_group, nb = nbg * bpg;
    ck_ctx x = {s, out, max_out, 0, 0, NULL};
    ck_chan *chans = es_xcalloc((size_t)s->org.channels, sizeof *chans);
    for (int c = 0; c < s->org.channels; c++) {
        ck_chan *ch = &chans[c];
        ch->last_t = ch->row_bus = ch->col_bus = ch->gb_ready = NONE;
        for (int r = 0; r < s->org.ranks; r++) {
            ck_rank *rk = &ch->r[r];
            for (int i = 0; i < nb; i++)
                bank_init(&rk->b[i]);
            for (int g = 0; g < nbg; g++)
                rk->g[g] = (ck_group){NONE, NONE, NONE};
            rk->all = (ck_group){NONE, NONE, NONE};
            rk->multi_act = rk->mac16 = NONE;
            rk->refreshed = 0;
        }
    }
    int64_t t_end = 0;
    for (size_t i = 0; i < n; i++) {
        const dr_cmd *c = &cmds[i];
        x.index = i;
        x.cmd = c;
        int k = c->kind;
        int64_t t = (int64_t)c->t;
        if (t > t_end)
            t_end = t;
        if (k >= DR_NCMD || c->ch >= s->org.channels || c->rank >= s->org.ranks || c->bg >= nbg || c->bank >= bpg) {
            violation(&x, "address", 0, "command or address out of range for this timing set");
            continue;
        }
        ck_chan *ch = &chans[c->ch];
        ck_rank *rk = &ch->r[c->rank];
        if (t < ch->last_t)
            violation(&x, "order", ch->last_t, "issued before the previous command of its channel (%lld)",
                      (long long)ch->last_t);
        ch->last_t = t;
        /* command bus: one command per cycle per bus */
        int64_t *bus = (!s->org.dual_command_bus || is_row(k)) ? &ch->row_bus : &ch->col_bus;
        if (!s->org.dual_command_bus && ch->col_bus > ch->row_bus)
            ch->row_bus = ch->col_bus;
        need(&x, t, *bus, 1, "cmd-bus", "previous command on the same command bus");
        *bus = t;
        if (!s->org.dual_command_bus)
            ch->col_bus = t;

        /* the banks and groups the command touches */
        int lo, hi;
        if (k == DR_ACT16 || k == DR_PREA || k == DR_REFAB || k == DR_MAC16)
            lo = 0, hi = nb;
        else if (k == DR_ACT4)
            lo = c->bg * bpg, hi = lo + bpg;
        else if (k == DR_WRGB || k == DR_RDMAC16)
            lo = hi = 0;
        else
            lo = c->bg * bpg + c->bank, hi = lo + 1;
        int all_groups = (k == DR_ACT16 || k == DR_MAC16 || k == DR_WRGB || k == DR_RDMAC16);

        if (is_act(k)) {
            for (int b = lo; b < hi; b++) {
                ck_bank *bk = &rk->b[b];
                if (bk->open)
                    violation(&x, "bank-open", 0, "bank %d already has row %lld open", b, (long long)bk->row);
                need(&x, t, bk->act, T->tRC, "tRC", "ACT");
                need(&x, t, bk->pre, T->tRP, "tRP", "PRE");
                need(&x, t, bk->ref_end, 0, "tRFC", "refresh ending");
            }
            for (int g = 0; g < nbg; g++)
                if (all_groups || g == c->bg)
                    need(&x, t, rk->g[g].act, T->tRRD_L, "tRRD_L", "ACT in the bank group");
            need(&x, t, rk->all.act, T->tRRD_S, "tRRD_S", "ACT in the rank");
            int in_faw = (k == DR_ACT) || T->multi_act_in_faw;
            if (in_faw && rk->nfaw == 4)
                need(&x, t, rk->faw[0], T->tFAW, "tFAW", "fourth-last ACT");
            if (k != DR_ACT)
                need(&x, t, rk->multi_act, T->tAAW, "tAAW", "multi-bank ACT");
            for (int b = lo; b < hi; b++) {
                rk->b[b].open = 1;
                rk->b[b].row = c->row;
                rk->b[b].act = t;
                rk->b[b].rd = rk->b[b].wr_end = NONE;
            }
            for (int g = 0; g < nbg; g++)
                if (all_groups || (g >= lo / bpg && g < (hi + bpg - 1) / bpg))
                    rk->g[g].act = t;
            rk->all.act = t;
            if (in_faw) {
                if (rk->nfaw == 4)
                    memmove(rk->faw, rk->faw + 1, 3 * sizeof *rk->faw);
                else
                    rk->nfaw++;
                rk->faw[rk->nfaw - 1] = t;
            }
            if (k != DR_ACT)
                rk->multi_act = t;
            continue;
        }
        if (k == DR_PRE || k == DR_PREA) {
            if (k == DR_PRE && !rk->b[lo].open)
                violation(&x, "bank-closed", 0, "PRE to a precharged bank");
            for (int b = lo; b < hi; b++) {
                ck_bank *bk = &rk->b[b];
                if (!bk->open)
                    continue;
                need(&x, t, bk->act, T->tRAS, "tRAS", "ACT");
                need(&x, t, bk->rd, T->tRTP, "tRTP", "read");
                need(&x, t, bk->wr_end, T->tWR, "tWR", "end of write data");
                bk->open = 0;
                bk->pre = t;
            }
            continue;
        }
        if (k == DR_REFAB || k == DR_REFPB) {
            int64_t rfc = k == DR_REFAB ? T->tRFC : T->tRFCpb;
            for (int b = lo; b < hi; b++) {
                ck_bank *bk = &rk->b[b];
                if (bk->open)
                    violation(&x, "bank-open", 0, "refresh with bank %d open", b);
                need(&x, t, bk->pre, T->tRP, "tRP", "PRE");
                need(&x, t, bk->act, T->tRC, "tRC", "ACT");
                need(&x, t, bk->ref_end, 0, "tRFC", "refresh ending");
                if (k == DR_REFPB && s->refresh == DR_REFRESH_PERBANK)
                    check_refresh_interval(&x, t, bk->refreshed, T->tREFI, "bank");
                bk->ref_end = t + rfc;
                bk->refreshed = t;
            }
            if (k == DR_REFAB) {
                if (s->refresh == DR_REFRESH_ALLBANK)
                    check_refresh_interval(&x, t, rk->refreshed, T->tREFI, "rank");
                rk->refreshed = t;
            }
            continue;
        }
        /* column commands */
        if (k == DR_MAC16) {
            for (int b = lo; b < hi; b++) {
                if (!rk->b[b].open)
                    violation(&x, "bank-closed", 0, "all-bank MAC with bank %d precharged", b);
                need(&x, t, rk->b[b].act, T->tRCDMAC, "tRCDMAC", "ACT");
            }
            need(&x, t, rk->mac16, T->tCCD_MAC, "tCCD_MAC", "all-bank MAC");
        } else if (hi > lo) {
            ck_bank *bk = &rk->b[lo];
            if (!bk->open)
                violation(&x, "bank-closed", 0, "column command to a precharged bank");
            else if (bk->row != c->row)
                violation(&x, "row-miss", 0, "row %u addressed, row %lld open", c->row, (long long)bk->row);
            int64_t rcd = (k == DR_RD || k == DR_RDA)            ? T->tRCD
                          : (k == DR_WR || k == DR_WRA)          ? T->tRCDWR
                          : (k == DR_MAC_SBK)                     ? T->tRCDMAC
                          : (k == DR_COPY_BKGB)                   ? T->tRCD_COPYRD
                                                                  : T->tRCD_COPYWR;
            need(&x, t, bk->act, rcd, k == DR_MAC_SBK ? "tRCDMAC" : "tRCD", "ACT");
        }
        for (int g = 0; g < nbg; g++)
            if (all_groups || g == c->bg)
                need(&x, t, rk->g[g].col, T->tCCD_L, "tCCD_L", "column command in the bank group");
        need(&x, t, rk->all.col, T->tCCD_S, "tCCD_S", "column command in the rank");
        if (k == DR_RD || k == DR_RDA) {
            need(&x, t, rk->g[c->bg].wr_end, T->tWTR_L, "tWTR_L", "end of write data in the bank group");
            need(&x, t, rk->all.wr_end, T->tWTR_S, "tWTR_S", "end of write data in the rank");
        }
        if (k == DR_MAC16 || k == DR_MAC_SBK)
            need(&x, t, ch->gb_ready, 0, "GB-data", "global-buffer data landing");
        if (k == DR_RD || k == DR_RDA || k == DR_RDMAC16)
            check_data_bus(&x, ch, t + T->CL, c->rank, 0);
        if (k == DR_WR || k == DR_WRA || k == DR_WRGB)
            check_data_bus(&x, ch, t + T->CWL, c->rank, 1);
        /* record */
        for (int g = 0; g < nbg; g++)
            if (all_groups || g == c->bg)
                rk->g[g].col = t;
        rk->all.col = t;
        if (k == DR_MAC16)
            rk->mac16 = t;
        if (k == DR_WRGB)
            ch->gb_ready = t + T->CWL + T->nBL;
        if (k == DR_COPY_BKGB && ch->gb_ready < t + T->tCCD_L)
            ch->gb_ready = t + T->tCCD_L;
        int64_t wend = t + T->CWL + T->nBL;
        for (int b = lo; b < hi; b++) {
            ck_bank *bk = &rk->b[b];
            if (k == DR_WR || k == DR_WRA || k == DR_COPY_GBBK)
                bk->wr_end = wend;
            else
                bk->rd = t;
        }
        if (k == DR_WR || k == DR_WRA) {
            rk->g[c->bg].wr_end = wend;
            rk->all.wr_end = wend;
        }
        if (k == DR_RDA || k == DR_WRA) {
            /* auto-precharge: when every PRE constraint of the bank is met */
            ck_bank *bk = &rk->b[lo];
            int64_t p = bk->act + T->tRAS;
            if (bk->rd != NONE && bk->rd + T->tRTP > p)
                p = bk->rd + T->tRTP;
            if (bk->wr_end != NONE && bk->wr_end + T->tWR > p)
                p = bk->wr_end + T->tWR;
            bk->open = 0;
            bk->pre = p;
        }
    }
    /* refresh kept up until the end of the stream */
    for (int c = 0; c < s->org.channels; c++)
        for (int r = 0; r < s->org.ranks; r++) {
            ck_rank *rk = &chans[c].r[r];
            x.index = n;
            static const dr_cmd end_marker = {0, 0, 0, 0, 0, 0, 0, 0};
            x.cmd = &end_marker;
            if (s->refresh == DR_REFRESH_ALLBANK)
                check_refresh_interval(&x, t_end, rk->refreshed, T->tREFI, "rank (at end of stream)");
            if (s->refresh == DR_REFRESH_PERBANK)
                for (int b = 0; b < nb; b++)
                    check_refresh_interval(&x, t_end, rk->b[b].refreshed, T->tREFI, "bank (at end of stream)");
        }
    free(chans);
    return x.count;
}
