/* sim/dram/channel.c: one channel's device state.  Each bank, bank group,
 * rank and bus keeps the earliest cycle at which the next command of each
 * class may issue; issuing a command raises those bounds.  dr_earliest is a
 * max over the bounds that apply, so a query costs O(banks touched). */
#include <stdlib.h>
#include <string.h>

#include "sim/dram/dram.h"

typedef struct bank_st {
    int64_t open_row; /* -1: precharged */
    uint64_t act_t;   /* last activate */
    uint64_t next_act, next_pre, next_rd, next_wr, next_mac, next_cprd, next_cpwr;
} bank_st;

typedef struct bg_st {
    uint64_t next_act; /* tRRD */
    uint64_t next_col; /* tCCD */
    uint64_t next_rd;  /* tWTR */
} bg_st;

typedef struct rank_st {
    bank_st b[DR_MAX_BANKS];
    bg_st g[DR_MAX_BG];
    uint64_t faw[4]; /* the last four activates (ring) */
    int n_faw, faw_i;
    uint64_t next_multi_act; /* tAAW */
    uint64_t next_mac16;     /* tCCD_MAC */
    int open_banks;
    uint64_t bg_since; /* background accounted up to here */
} rank_st;

struct dr_channel {
    const dr_spec *s;
    int ch;
    dr_stream *out;
    rank_st r[DR_MAX_RANKS];
    uint64_t row_bus, col_bus; /* next free cycle */
    uint64_t data_free;        /* data bus free from here */
    int data_rank, data_write, data_used;
    uint64_t gb_ready; /* global buffer written (WRGB / COPY_BKGB data landed) */
    uint64_t last_issue; /* commands issue in time order (the stream stays sorted) */
    dr_stats st;
    double e_act, e_rd, e_wr, e_ref, e_refpb, e_bg_act, e_bg_pre; /* IDD form, pJ */
};

#define MAX(a, b) ((a) > (b) ? (a) : (b))

static int nbanks(const dr_spec *s)
{
    return s->org.bankgroups * s->org.banks_per_group;
}

dr_channel *dr_channel_new(const dr_spec *s, int ch, dr_stream *stream)
{
    dr_channel *c = es_xcalloc(1, sizeof *c);
    c->s = s;
    c->ch = ch;
    c->out = stream;
    for (int r = 0; r < s->org.ranks; r++)
        for (int b = 0; b < nbanks(s); b++)
            c->r[r].b[b].open_row = -1;
    /* DRAMsim3's per-command formulas, per device; mA * V * ns = pJ. */
    const dr_energy *E = &s->e;
    const dr_timing *T = &s->t;
    double k = E->vdd * s->tck_ns * E->devices_per_rank;
    c->e_act = k * (E->idd0 * T->tRC - (E->idd3n * T->tRAS + E->idd2n * T->tRP));
    c->e_rd = k * (E->idd4r - E->idd3n) * T->nBL;
    c->e_wr = k * (E->idd4w - E->idd3n) * T->nBL;
    c->e_ref = k * (E->idd5ab - E->idd3n) * T->tRFC;
    c->e_refpb = k * (E->idd5pb - E->idd3n) * T->tRFCpb;
    c->e_bg_act = k * E->idd3n;
    c->e_bg_pre = k * E->idd2n;
    return c;
}

void dr_channel_free(dr_channel *c)
{
    free(c);
}

static int is_row_cmd(dr_cmd_kind k)
{
    return k == DR_ACT || k == DR_ACT4 || k == DR_ACT16 || k == DR_PRE || k == DR_PREA || k == DR_REFAB ||
           k == DR_REFPB;
}

static uint64_t bus_free(const dr_channel *c, dr_cmd_kind k)
{
    if (!c->s->org.dual_command_bus)
        return MAX(c->row_bus, c->col_bus);
    return is_row_cmd(k) ? c->row_bus : c->col_bus;
}

/* Earliest issue cycle for a burst that occupies the data bus from
 * issue + lat: back to back with the previous burst, plus tRTRS on a rank
 * or direction switch. */
static uint64_t data_bus_ready(const dr_channel *c, int rank, int write, int64_t lat)
{
    if (!c->data_used)
        return 0;
    uint64_t start = c->data_free;
    if (rank != c->data_rank || write != c->data_write)
        start += (uint64_t)c->s->t.tRTRS;
    return start > (uint64_t)lat ? start - (uint64_t)lat : 0;
}

/* Banks a command touches: [lo, hi) within the rank. */
static void bank_range(const dr_spec *s, dr_cmd_kind k, const dr_addr *a, int *lo, int *hi)
{
    int bpg = s->org.banks_per_group;
    switch (k) {
    case DR_ACT4:
        *lo = a->bg * bpg;
        *hi = *lo + bpg;
        break;
    case DR_ACT16: case DR_PREA: case DR_REFAB: case DR_MAC16:
        *lo = 0;
        *hi = nbanks(s);
        break;
    case DR_WRGB: case DR_RDMAC16:
        *lo = *hi = 0;
        break;
    default:
        *lo = a->bg * bpg + a->bank;
        *hi = *lo + 1;
    }
}

static uint64_t faw_ready(const rank_st *r, int64_t tFAW)
{
    if (r->n_faw < 4)
        return 0;
    return r->faw[r->faw_i] + (uint64_t)tFAW; /* oldest of the last four */
}

uint64_t dr_earliest(const dr_channel *c, dr_cmd_kind k, const dr_addr *a, uint64_t now)
{
    const dr_spec *s = c->s;
    const dr_timing *T = &s->t;
    if (a->rank < 0 || a->rank >= s->org.ranks || a->bg < 0 || a->bg >= s->org.bankgroups || a->bank < 0 ||
        a->bank >= s->org.banks_per_group)
        return DR_NEVER;
    const rank_st *r = &c->r[a->rank];
    int lo, hi;
    bank_range(s, k, a, &lo, &hi);
    uint64_t t = MAX(now, bus_free(c, k));
    t = MAX(t, c->last_issue);
    const bank_st *b = &r->b[lo];
    int all_bg = (k == DR_ACT16 || k == DR_MAC16 || k == DR_WRGB || k == DR_RDMAC16);
    switch (k) {
    case DR_ACT: case DR_ACT4: case DR_ACT16:
        for (int i = lo; i < hi; i++) {
            if (r->b[i].open_row >= 0)
                return DR_NEVER;
            t = MAX(t, r->b[i].next_act);
        }
        if (k == DR_ACT16)
            for (int g = 0; g < s->org.bankgroups; g++)
                t = MAX(t, r->g[g].next_act);
        else
            t = MAX(t, r->g[a->bg].next_act);
        if (k == DR_ACT || T->multi_act_in_faw)
            t = MAX(t, faw_ready(r, T->tFAW));
        if (k != DR_ACT)
            t = MAX(t, r->next_multi_act);
        return t;
    case DR_PRE:
        if (b->open_row < 0)
            return DR_NEVER;
        return MAX(t, b->next_pre);
    case DR_PREA:
        for (int i = lo; i < hi; i++)
            if (r->b[i].open_row >= 0)
                t = MAX(t, r->b[i].next_pre);
        return t;
    case DR_REFAB: case DR_REFPB:
        for (int i = lo; i < hi; i++) {
            if (r->b[i].open_row >= 0)
                return DR_NEVER;
            t = MAX(t, r->b[i].next_act);
        }
        return t;
    case DR_MAC16:
        for (int i = lo; i < hi; i++) {
            if (r->b[i].open_row < 0)
                return DR_NEVER;
            t = MAX(t, r->b[i].next_mac);
        }
        t = MAX(t, r->next_mac16);
        t = MAX(t, c->gb_ready);
        break;
    case DR_WRGB:
        t = MAX(t, data_bus_ready(c, a->rank, 1, T->CWL));
        break;
    case DR_RDMAC16:
        t = MAX(t, data_bus_ready(c, a->rank, 0, T->CL));
        break;
    default: /* one bank, row must be open */
        if (b->open_row != a->row)
            return DR_NEVER;
        switch (k) {
        case DR_RD: case DR_RDA:
            t = MAX(t, b->next_rd);
            t = MAX(t, r->g[a->bg].next_rd);
            t = MAX(t, data_bus_ready(c, a->rank, 0, T->CL));
            break;
        case DR_WR: case DR_WRA:
            t = MAX(t, b->next_wr);
            t = MAX(t, data_bus_ready(c, a->rank, 1, T->CWL));
            break;
        case DR_MAC_SBK:
            t = MAX(t, b->next_mac);
            t = MAX(t, c->gb_ready);
            break;
        case DR_COPY_BKGB:
            t = MAX(t, b->next_cprd);
            break;
        default: /* DR_COPY_GBBK */
            t = MAX(t, b->next_cpwr);
        }
    }
    /* column commands: tCCD */
    if (all_bg) {
        for (int g = 0; g < s->org.bankgroups; g++)
            t = MAX(t, r->g[g].next_col);
    } else {
        t = MAX(t, r->g[a->bg].next_col);
    }
    return t;
}

static void background_to(dr_channel *c, rank_st *r, uint64_t t)
{
    if (t <= r->bg_since)
        return;
    uint64_t d = t - r->bg_since;
    if (r->open_banks > 0)
        c->st.active_cycles += d;
    else
        c->st.precharged_cycles += d;
    r->bg_since = t;
}

static void open_bank(dr_channel *c, rank_st *r, int i, int64_t row, uint64_t t)
{
    const dr_timing *T = &c->s->t;
    bank_st *b = &r->b[i];
    if (b->open_row < 0)
        r->open_banks++;
    b->open_row = row;
    b->act_t = t;
    b->next_act = MAX(b->next_act, t + (uint64_t)T->tRC);
    b->next_pre = MAX(b->next_pre, t + (uint64_t)T->tRAS);
    b->next_rd = t + (uint64_t)T->tRCD;
    b->next_wr = t + (uint64_t)T->tRCDWR;
    b->next_mac = t + (uint64_t)T->tRCDMAC;
    b->next_cprd = t + (uint64_t)T->tRCD_COPYRD;
    b->next_cpwr = t + (uint64_t)T->tRCD_COPYWR;
}

/* Precharge bank i at cycle t (t may lie ahead: auto-precharge). */
static void close_bank(dr_channel *c, rank_st *r, int i, uint64_t t)
{
    bank_st *b = &r->b[i];
    if (b->open_row >= 0)
        r->open_banks--;
    b->open_row = -1;
    b->next_act = MAX(b->next_act, t + (uint64_t)c->s->t.tRP);
}

static void column_issued(dr_channel *c, rank_st *r, int bg, int all_bg, uint64_t t)
{
    const dr_timing *T = &c->s->t;
    for (int g = 0; g < c->s->org.bankgroups; g++) {
        uint64_t gap = (all_bg || g == bg) ? (uint64_t)T->tCCD_L : (uint64_t)T->tCCD_S;
        r->g[g].next_col = MAX(r->g[g].next_col, t + gap);
    }
}

static void data_issued(dr_channel *c, int rank, int write, uint64_t t)
{
    const dr_timing *T = &c->s->t;
    c->data_free = t + (uint64_t)(write ? T->CWL : T->CL) + (uint64_t)T->nBL;
    c->data_rank = rank;
    c->data_write = write;
    c->data_used = 1;
}

int dr_issue(dr_channel *c, dr_cmd_kind k, const dr_addr *a, uint64_t t, es_err *e)
{
    const dr_spec *s = c->s;
    const dr_timing *T = &s->t;
    const dr_energy *E = &s->e;
    uint64_t ok = dr_earliest(c, k, a, t);
    if (ok != t)
        return es_fail(e, "dram ch%d: %s to rank %d bg %d bank %d row %lld at cycle %llu is illegal (%s)", c->ch,
                       dr_cmd_name(k), a->rank, a->bg, a->bank, (long long)a->row, (unsigned long long)t,
                       ok == DR_NEVER ? "bank state" : "timing");
    rank_st *r = &c->r[a->rank];
    c->last_issue = t;
    background_to(c, r, t);
    int lo, hi;
    bank_range(s, k, a, &lo, &hi);
    int bank_i = a->bg * s->org.banks_per_group + a->bank;
    bank_st *b = &r->b[bank_i];
    double burst_bits = 8.0 * (double)s->org.burst_bytes;
    double row_bits = 8.0 * (double)s->org.row_bytes;
    double mac_pjb = E->mac_pj_per_bit > 0 ? E->mac_pj_per_bit : E->rdwr_pj_per_bit;
    int nb = hi - lo;
    if (is_row_cmd(k) || !s->org.dual_command_bus)
        c->row_bus = MAX(c->row_bus, t + 1);
    if (!is_row_cmd(k) || !s->org.dual_command_bus)
        c->col_bus = MAX(c->col_bus, t + 1);
    switch (k) {
    case DR_ACT: case DR_ACT4: case DR_ACT16:
        for (int i = lo; i < hi; i++)
            open_bank(c, r, i, a->row, t);
        for (int g = 0; g < s->org.bankgroups; g++) {
            uint64_t gap = (k == DR_ACT16 || g == a->bg) ? (uint64_t)T->tRRD_L : (uint64_t)T->tRRD_S;
            r->g[g].next_act = MAX(r->g[g].next_act, t + gap);
        }
        if (k == DR_ACT || T->multi_act_in_faw) {
            r->faw[r->faw_i] = t;
            r->faw_i = (r->faw_i + 1) % 4;
            if (r->n_faw < 4)
                r->n_faw++;
        }
        if (k != DR_ACT)
            r->next_multi_act = t + (uint64_t)T->tAAW;
        c->st.energy_idd_pj += nb * c->e_act;
        c->st.energy_pjbit_pj += nb * E->act_pj_per_bit * row_bits;
        break;
    case DR_PRE:
        close_bank(c, r, bank_i, t);
        break;
    case DR_PREA:
        for (int i = lo; i < hi; i++)
            if (r->b[i].open_row >= 0)
                close_bank(c, r, i, t);
        break;
    case DR_REFAB: case DR_REFPB: {
        uint64_t rfc = (uint64_t)(k == DR_REFAB ? T->tRFC : T->tRFCpb);
        for (int i = lo; i < hi; i++)
            r->b[i].next_act = MAX(r->b[i].next_act, t + rfc);
        double en = k == DR_REFAB ? c->e_ref : c->e_refpb;
        c->st.energy_idd_pj += en;
        c->st.energy_pjbit_pj += en;
        break;
    }
    case DR_RD: case DR_RDA:
        b->next_pre = MAX(b->next_pre, t + (uint64_t)T->tRTP);
        column_issued(c, r, a->bg, 0, t);
        data_issued(c, a->rank, 0, t);
        c->st.bytes_read += (uint64_t)s->org.burst_bytes;
        c->st.energy_idd_pj += c->e_rd;
        c->st.energy_pjbit_pj += (E->rdwr_pj_per_bit + E->io_pj_per_bit) * burst_bits;
        if (k == DR_RDA)
            close_bank(c, r, bank_i, b->next_pre);
        break;
    case DR_WR: case DR_WRA: case DR_COPY_GBBK: {
        uint64_t end = t + (uint64_t)(T->CWL + T->nBL);
        b->next_pre = MAX(b->next_pre, end + (uint64_t)T->tWR);
        column_issued(c, r, a->bg, 0, t);
        if (k != DR_COPY_GBBK) {
            for (int g = 0; g < s->org.bankgroups; g++) {
                uint64_t w = g == a->bg ? (uint64_t)T->tWTR_L : (uint64_t)T->tWTR_S;
                r->g[g].next_rd = MAX(r->g[g].next_rd, end + w);
            }
            data_issued(c, a->rank, 1, t);
            c->st.bytes_written += (uint64_t)s->org.burst_bytes;
            c->st.energy_idd_pj += c->e_wr;
            c->st.energy_pjbit_pj += (E->rdwr_pj_per_bit + E->io_pj_per_bit) * burst_bits;
        } else {
            c->st.energy_idd_pj += c->e_wr;
            c->st.energy_pjbit_pj += E->rdwr_pj_per_bit * burst_bits;
        }
        if (k == DR_WRA)
            close_bank(c, r, bank_i, b->next_pre);
        break;
    }
    case DR_MAC16: case DR_MAC_SBK:
        for (int i = lo; i < hi; i++)
            r->b[i].next_pre = MAX(r->b[i].next_pre, t + (uint64_t)T->tRTP);
        column_issued(c, r, a->bg, k == DR_MAC16, t);
        if (k == DR_MAC16)
            r->next_mac16 = t + (uint64_t)T->tCCD_MAC;
        c->st.energy_idd_pj += nb * c->e_rd; /* a column read per bank, no I/O */
        c->st.energy_pjbit_pj += nb * mac_pjb * burst_bits;
        break;
    case DR_COPY_BKGB:
        b->next_pre = MAX(b->next_pre, t + (uint64_t)T->tRTP);
        column_issued(c, r, a->bg, 0, t);
        c->gb_ready = MAX(c->gb_ready, t + (uint64_t)T->tCCD_L);
        c->st.energy_idd_pj += c->e_rd;
        c->st.energy_pjbit_pj += E->rdwr_pj_per_bit * burst_bits;
        break;
    case DR_WRGB:
        column_issued(c, r, a->bg, 1, t);
        data_issued(c, a->rank, 1, t);
        c->gb_ready = MAX(c->gb_ready, t + (uint64_t)(T->CWL + T->nBL));
        c->st.energy_idd_pj += c->e_wr;
        c->st.energy_pjbit_pj += E->io_pj_per_bit * burst_bits;
        break;
    case DR_RDMAC16:
        column_issued(c, r, a->bg, 1, t);
        data_issued(c, a->rank, 0, t);
        c->st.energy_idd_pj += c->e_rd;
        c->st.energy_pjbit_pj += E->io_pj_per_bit * burst_bits;
        break;
    default:
        return es_fail(e, "dram: unknown command %d", (int)k);
    }
    c->st.cmds[k]++;
    if (c->out) {
        dr_cmd rec = {t, (uint8_t)k, (uint8_t)c->ch, (uint8_t)a->rank, (uint8_t)a->bg, (uint8_t)a->bank,
                      (uint32_t)(a->row < 0 ? 0 : a->row), (uint32_t)(a->col < 0 ? 0 : a->col)};
        dr_stream_push(c->out, rec);
    }
    return 0;
}

int64_t dr_open_row(const dr_channel *c, int rank, int bg, int bank)
{
    return c->r[rank].b[bg * c->s->org.banks_per_group + bank].open_row;
}

uint64_t dr_data_done(const dr_channel *c, dr_cmd_kind k, uint64_t t)
{
    const dr_timing *T = &c->s->t;
    int write = (k == DR_WR || k == DR_WRA || k == DR_WRGB);
    return t + (uint64_t)((write ? T->CWL : T->CL) + T->nBL);
}

const dr_stats *dr_channel_stats(const dr_channel *c)
{
    return &c->st;
}

/* Background (VDD*IDD3N with a bank open, VDD*IDD2N with all closed, per
 * rank and cycle) is added once, at the end of the run. */
void dr_channel_close(dr_channel *c, uint64_t t)
{
    for (int r = 0; r < c->s->org.ranks; r++)
        background_to(c, &c->r[r], t);
    double bg = (double)c->st.active_cycles * c->e_bg_act + (double)c->st.precharged_cycles * c->e_bg_pre;
    c->st.energy_idd_pj += bg;
    c->st.energy_pjbit_pj += bg;
}
