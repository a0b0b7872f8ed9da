/* sim/pim/decode.c: GPT decode on a PIM system, PIM-GPT's mapping and its
 * variants (pim_mapping), simulated at the DRAM-command level (ctl.h).
 *
 * Per token: embedding (ASIC reads one row of each table), then per layer
 * LN, QKV GEMV, K/V of the new token written into the cache regions,
 * q.K^T, softmax, softmax.V, O GEMV, residual, LN, FFN up, GELU, FFN down,
 * residual; then the final LN, the LM-head GEMV and the argmax.  GEMVs run
 * in the banks: the input vector goes into every channel's global buffer
 * (WR_GB), each bank computes dot products of its open row with it, one
 * 256-bit column per MAC16, and RD_MAC reads a result per bank.  Partial
 * sums (chunks of a long k, channels with split_k) are added on the ASIC.
 * docs/pim.md gives the layout of every matrix and of the KV cache. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/pim/ctl.h"

typedef struct dec {
    const pim_arch *a;
    const md_model *m;
    const pim_mapping *mp;
    pim_ctl c;
    int C, B;
    int64_t row_e, col_e; /* elements per bank row, per column (burst) */
    double asic_to_dram;  /* DRAM cycles per ASIC cycle */
    uint64_t asic_free, asic_ready, asic_busy;
    double asic_ops, asic_sram_bytes;
    uint64_t useful; /* lane MACs on real data, all channels */
    int64_t weight_bytes;
    pim_row_cmd *buf;
} dec;

static int64_t cdiv(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

static uint64_t umax(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/* An ASIC op over n elements whose inputs are ready at `ready`. */
static void asic(dec *d, pim_asic_op op, int64_t n, uint64_t ready)
{
    if (n <= 0)
        return;
    uint64_t cyc = (uint64_t)ceil((double)pim_asic_cycles(&d->a->asic, op, n) * d->asic_to_dram);
    uint64_t start = umax(d->asic_free, ready);
    d->asic_free = d->asic_ready = start + cyc;
    d->asic_busy += cyc;
    d->asic_ops += (double)n * pim_asic_ops_per_elem(&d->a->asic, op);
    d->asic_sram_bytes += (double)n * 8.0; /* fp32 operand in, result out */
}

/* The channel waits for the ASIC's latest output (it feeds WR_GB). */
static void wait_asic(dec *d)
{
    pim_ctl_wait(&d->c, d->asic_ready, PIM_T_ASIC);
}

/* The commands of nseg dot products of ncols columns each, as a column
 * stream over rows of cols_per_row: ACT16 at a row's start, one MAC16 per
 * column, RD_MAC after a dot product's last column (the bank accumulator
 * carries a dot product over into the next row), PREA at a row's end.
 * fresh_rows: every dot product starts a new row instead. */
static int build(dec *d, int64_t nseg, int64_t ncols, int fresh_rows)
{
    int64_t rc = d->row_e / d->col_e;
    int n = 0, open = 0;
    int64_t col = 0; /* column within the open row */
    for (int64_t s = 0; s < nseg; s++) {
        if (fresh_rows && open) {
            d->buf[n++] = (pim_row_cmd){DR_PREA, 0, PIM_T_MAC, 0};
            open = 0;
        }
        for (int64_t k = 0; k < ncols; k++) {
            if (!open) {
                d->buf[n++] = (pim_row_cmd){DR_ACT16, 0, PIM_T_MAC, 0};
                open = 1, col = 0;
            }
            d->buf[n++] = (pim_row_cmd){DR_MAC16, 0, PIM_T_MAC, (uint16_t)col};
            if (++col == rc && !(k + 1 == ncols)) {
                d->buf[n++] = (pim_row_cmd){DR_PREA, 0, PIM_T_MAC, 0};
                open = 0;
            }
        }
        d->buf[n++] = (pim_row_cmd){DR_RDMAC16, 0, PIM_T_MOVE, 0};
        if (col == rc) {
            d->buf[n++] = (pim_row_cmd){DR_PREA, 0, PIM_T_MAC, 0};
            open = 0;
        }
    }
    if (open)
        d->buf[n++] = (pim_row_cmd){DR_PREA, 0, PIM_T_MAC, 0};
    return n;
}

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b, b = t;
    }
    return a;
}

/* One row holding `segs` whole dot products of ncols columns. */
static int build_row(dec *d, int64_t segs, int64_t ncols)
{
    int n = 0;
    d->buf[n++] = (pim_row_cmd){DR_ACT16, 0, PIM_T_MAC, 0};
    for (int64_t s = 0; s < segs; s++) {
        for (int64_t k = 0; k < ncols; k++)
            d->buf[n++] = (pim_row_cmd){DR_MAC16, 0, PIM_T_MAC, (uint16_t)(s * ncols + k)};
        d->buf[n++] = (pim_row_cmd){DR_RDMAC16, 0, PIM_T_MOVE, 0};
    }
    d->buf[n++] = (pim_row_cmd){DR_PREA, 0, PIM_T_MAC, 0};
    return n;
}

/* S dot products of seg_len (<= a row) elements per bank.  Packed (PIM-GPT's
 * "concatenate to fill rows"), they follow each other in a column stream
 * (a unit of rows repeats every lcm(ncols, columns per row) columns; when
 * that spans more than 8 rows, whole dot products are packed per row
 * instead); otherwise each starts a new row.  Units go to pim_ctl_rows,
 * which fast-forwards repeated ones. */
static int segments(dec *d, int64_t S, int64_t seg_len, int pack, es_err *e)
{
    if (S <= 0)
        return 0;
    int64_t ncols = cdiv(seg_len, d->col_e), rc = d->row_e / d->col_e;
    int64_t lcm = ncols / gcd64(ncols, rc) * rc;
    int n;
    if (pack && lcm / rc <= 8) {
        int64_t per_unit = lcm / ncols;
        n = build(d, per_unit, ncols, 0);
        if (S / per_unit > 0 && pim_ctl_rows(&d->c, S / per_unit, d->buf, n, 0, e))
            return -1;
        if (S % per_unit == 0)
            return 0;
        n = build(d, S % per_unit, ncols, 0);
        return pim_ctl_rows(&d->c, 1, d->buf, n, 0, e);
    }
    int64_t per_row = pack ? rc / ncols : 1;
    n = build_row(d, per_row, ncols);
    if (S / per_row > 0 && pim_ctl_rows(&d->c, S / per_row, d->buf, n, 0, e))
        return -1;
    if (S % per_row == 0)
        return 0;
    n = build_row(d, S % per_row, ncols);
    return pim_ctl_rows(&d->c, 1, d->buf, n, 0, e);
}

/* Partial sums of n outputs, `parts` each, reduced on the ASIC as results
 * arrive (overlap) or after the last one. */
static void reduce(dec *d, int64_t n, int64_t parts, uint64_t gemv_start)
{
    uint64_t last = umax(d->c.last_data, d->c.now);
    if (parts <= 1) {
        d->asic_ready = umax(d->asic_ready, last);
        return;
    }
    int64_t adds = n * (parts - 1);
    if (d->mp->overlap) {
        /* most of the adds run while the banks go on; the last row's
         * results (one per bank and channel) are added after it */
        int64_t tail = (int64_t)d->B * d->C;
        if (tail > adds)
            tail = adds;
        asic(d, PIM_ASIC_REDUCE, adds - tail, gemv_start);
        asic(d, PIM_ASIC_REDUCE, tail, last);
    } else {
        asic(d, PIM_ASIC_REDUCE, adds, last);
    }
}

/* Y[n] = W[k, n] x[k] in the banks. */
static int gemv(dec *d, int64_t n, int64_t k, es_err *e)
{
    d->weight_bytes += n * k * d->a->word_bytes;
    d->useful += (uint64_t)(n * k);
    wait_asic(d);
    uint64_t t0 = d->c.now;
    int64_t n_ch = d->mp->split_k ? n : cdiv(n, d->C);
    int64_t k_ch = d->mp->split_k ? cdiv(k, d->C) : k;
    int64_t S = cdiv(n_ch, d->B); /* outputs per bank */
    int64_t chunks = cdiv(k_ch, d->row_e);
    if (chunks == 1) {
        if (pim_ctl_write_gb(&d->c, cdiv(k_ch, d->col_e), e))
            return -1;
        if (segments(d, S, k_ch, d->mp->pack_rows, e))
            return -1;
    } else {
        for (int64_t j = 0; j < chunks; j++) {
            int64_t len = j + 1 < chunks ? d->row_e : k_ch - j * d->row_e;
            /* a short last chunk is packed like a short k */
            if (pim_ctl_write_gb(&d->c, cdiv(len, d->col_e), e) ||
                segments(d, S, len, d->mp->pack_rows && len < d->row_e, e))
                return -1;
        }
    }
    reduce(d, n, chunks * (d->mp->split_k ? d->C : 1), t0);
    return 0;
}

/* The new token's K and V into the cache regions (kv_in_pim layout:
 * K row-major, token j in bank j mod B; V column-major, f over banks). */
static int kv_write(dec *d, int64_t L, int hpc, es_err *e)
{
    const md_model *m = d->m;
    int64_t hd = m->head_dim, ncols = cdiv(hd, d->col_e);
    int bank = (int)((L - 1) % d->B);
    int64_t row = d->c.row_seq++ % d->a->dram.org.rows;
    wait_asic(d);
    int groups = d->mp->pack_rows ? 1 : hpc; /* packed: the heads' keys share a row */
    for (int g = 0; g < groups; g++) {
        if (pim_ctl_issue(&d->c, DR_ACT, bank, row, 0, PIM_T_MOVE, e))
            return -1;
        for (int64_t i = 0; i < ncols * (hpc / groups); i++)
            if (pim_ctl_issue(&d->c, DR_WR, bank, row, i, PIM_T_MOVE, e))
                return -1;
        if (pim_ctl_issue(&d->c, DR_PRE, bank, row, 0, PIM_T_MOVE, e))
            return -1;
    }
    int64_t fpb = cdiv(hd, d->B);
    for (int64_t f = 0; f < fpb * groups; f++) {
        row = d->c.row_seq++ % d->a->dram.org.rows;
        if (pim_ctl_issue(&d->c, DR_ACT16, -1, row, 0, PIM_T_MOVE, e))
            return -1;
        for (int b = 0; b < d->B; b++)
            for (int h = 0; h < hpc / groups; h++)
                if (pim_ctl_issue(&d->c, DR_WR, b, row, ((L - 1) % d->row_e) / d->col_e + h, PIM_T_MOVE, e))
                    return -1;
        if (pim_ctl_issue(&d->c, DR_PREA, -1, row, 0, PIM_T_MOVE, e))
            return -1;
    }
    return 0;
}

/* Attention of one layer over L cached tokens (the new one included). */
static int attention(dec *d, int64_t L, es_err *e)
{
    const md_model *m = d->m;
    int64_t H = m->n_heads, hd = m->head_dim;
    int hpc = (int)cdiv(m->n_kv_heads, d->C); /* KV heads per channel, lock-step */
    int group = (int)(H / m->n_kv_heads);     /* query heads per KV head */
    if (kv_write(d, L, hpc, e))
        return -1;
    if (!d->mp->kv_in_pim) {
        /* the ASIC streams K and V over the channels and computes both
         * products on its lanes */
        int64_t bursts = cdiv(2 * hpc * L * hd * d->a->word_bytes, d->a->dram.org.burst_bytes);
        int64_t per_row = (int64_t)d->B * (d->row_e / d->col_e);
        uint64_t t0 = d->c.now;
        for (int part = 0; part < 2; part++) {
            int64_t units = part ? (bursts % per_row ? 1 : 0) : bursts / per_row;
            int64_t nrd = part ? bursts % per_row : per_row;
            int n = 0;
            d->buf[n++] = (pim_row_cmd){DR_ACT16, 0, PIM_T_MOVE, 0};
            for (int64_t i = 0; i < nrd; i++) /* bank-interleaved: consecutive bursts in other bank groups */
                d->buf[n++] = (pim_row_cmd){DR_RD, (uint8_t)(i % d->B), PIM_T_MOVE, (uint16_t)(i / d->B)};
            d->buf[n++] = (pim_row_cmd){DR_PREA, 0, PIM_T_MOVE, 0};
            if (units && pim_ctl_rows(&d->c, units, d->buf, n, 0, e))
                return -1;
        }
        uint64_t last = umax(d->c.last_data, d->c.now);
        asic(d, PIM_ASIC_ATTEND, H * L * hd, d->mp->overlap ? t0 : last);
        asic(d, PIM_ASIC_SOFTMAX, H * L, umax(d->asic_ready, last));
        asic(d, PIM_ASIC_ATTEND, H * L * hd, d->asic_ready);
        return 0;
    }
    d->useful += (uint64_t)(2 * H * L * hd);
    int64_t tpb = cdiv(L, d->B);
    int64_t ncols_q = cdiv(hd, d->col_e);
    /* q.K^T: the group's queries against each key (GQA: every query head of
     * a KV head reuses its keys, one segment per query head) */
    wait_asic(d);
    if (d->mp->pack_rows) {
        if (pim_ctl_write_gb(&d->c, hpc * group * ncols_q, e) ||
            segments(d, (int64_t)hpc * tpb, hd, 1, e))
            return -1;
    } else {
        for (int h = 0; h < hpc; h++)
            if (pim_ctl_write_gb(&d->c, group * ncols_q, e) || segments(d, tpb, hd, 1, e))
                return -1;
    }
    if (group > 1) /* each further query head of the group: the same keys again */
        for (int g = 1; g < group; g++)
            if (segments(d, (int64_t)hpc * tpb, hd, 1, e))
                return -1;
    uint64_t scores = umax(d->c.last_data, d->c.now);
    asic(d, PIM_ASIC_SOFTMAX, H * L, scores);
    /* softmax.V: V column-major, output f of head h a dot over L tokens */
    wait_asic(d);
    int64_t fpb = cdiv(hd, d->B);
    uint64_t t0 = d->c.now;
    int64_t chunks = cdiv(L, d->row_e);
    if (d->mp->pack_rows && chunks == 1 && hpc * group * L <= d->row_e) {
        if (pim_ctl_write_gb(&d->c, cdiv(hpc * group * L, d->col_e), e) ||
            segments(d, (int64_t)hpc * group * fpb, L, 1, e))
            return -1;
    } else {
        for (int h = 0; h < hpc * group; h++)
            for (int64_t j = 0; j < chunks; j++) {
                int64_t len = j + 1 < chunks ? d->row_e : L - j * d->row_e;
                if (pim_ctl_write_gb(&d->c, cdiv(len, d->col_e), e) ||
                    segments(d, fpb, len, d->mp->pack_rows && len < d->row_e, e))
                    return -1;
            }
    }
    reduce(d, H * hd, chunks, t0);
    return 0;
}

static int embed(dec *d, es_err *e)
{
    /* the token's embedding row and its position row, read by the ASIC */
    int64_t bursts = cdiv(2 * d->m->d_model * d->a->word_bytes, d->a->dram.org.burst_bytes * d->C);
    wait_asic(d);
    int64_t row = d->c.row_seq++ % d->a->dram.org.rows;
    if (pim_ctl_issue(&d->c, DR_ACT, 0, row, 0, PIM_T_MOVE, e))
        return -1;
    for (int64_t i = 0; i < bursts; i++)
        if (pim_ctl_issue(&d->c, DR_RD, 0, row, i % (d->row_e / d->col_e), PIM_T_MOVE, e))
            return -1;
    if (pim_ctl_issue(&d->c, DR_PRE, 0, row, 0, PIM_T_MOVE, e))
        return -1;
    asic(d, PIM_ASIC_RESIDUAL, d->m->d_model, umax(d->c.last_data, d->c.now));
    return 0;
}

static int token(dec *d, int64_t L, es_err *e)
{
    const md_model *m = d->m;
    int64_t D = m->d_model, q = m->n_heads * m->head_dim, kv = m->n_kv_heads * m->head_dim;
    if (embed(d, e))
        return -1;
    for (int64_t l = 0; l < m->n_layers; l++) {
        asic(d, PIM_ASIC_LAYERNORM, D, d->asic_ready);
        if (gemv(d, q + 2 * kv, D, e) || attention(d, L, e) || gemv(d, D, q, e))
            return -1;
        asic(d, PIM_ASIC_RESIDUAL, D, d->asic_ready);
        asic(d, PIM_ASIC_LAYERNORM, D, d->asic_ready);
        int swiglu = m->ffn_act == MD_ACT_SWIGLU;
        if (gemv(d, m->ffn_dim * (swiglu ? 2 : 1), D, e))
            return -1;
        asic(d, PIM_ASIC_GELU, m->ffn_dim, d->asic_ready);
        if (gemv(d, D, m->ffn_dim, e))
            return -1;
        asic(d, PIM_ASIC_RESIDUAL, D, d->asic_ready);
    }
    asic(d, PIM_ASIC_LAYERNORM, D, d->asic_ready);
    if (m->vocab > 0 && gemv(d, m->vocab, D, e))
        return -1;
    asic(d, PIM_ASIC_REDUCE, m->vocab, d->asic_ready); /* argmax */
    return 0;
}

const char *pim_time_class_name(pim_time_class c)
{
    static const char *const n[] = {"pim_mac", "data_movement", "refresh", "asic"};
    return c < PIM_T_N ? n[c] : "?";
}

int pim_decode(const pim_arch *a, const md_model *m, const pim_opts *o, pim_result *r, es_err *e)
{
    memset(r, 0, sizeof *r);
    r->check_violations = -1;
    if (!m->causal)
        return es_fail(e, "model %s is an encoder; PIM decode needs a decoder", m->name);
    if (o->prompt < 0 || o->gen < 1)
        return es_fail(e, "pim decode: prompt %lld and gen %lld: expected prompt >= 0 and gen >= 1",
                       (long long)o->prompt, (long long)o->gen);
    if (m->n_kv_heads < 1 || m->n_heads % m->n_kv_heads)
        return es_fail(e, "model %s: %lld heads do not split into %lld KV heads", m->name, (long long)m->n_heads,
                       (long long)m->n_kv_heads);
    dec d;
    memset(&d, 0, sizeof d);
    d.a = a;
    d.m = m;
    d.mp = o->mapping ? o->mapping : &a->mapping;
    d.C = a->channels;
    d.B = a->banks;
    d.col_e = a->dram.org.burst_bytes / a->word_bytes;
    d.row_e = a->dram.org.row_bytes / a->word_bytes;
    d.asic_to_dram = 1e9 / (a->asic.clock_hz * a->dram.tck_ns);
    if (m->head_dim > d.row_e)
        return es_fail(e, "model %s: head_dim %lld exceeds a bank row of %lld elements", m->name,
                       (long long)m->head_dim, (long long)d.row_e);
    int64_t ctx = o->prompt + o->gen;
    int64_t need = 4 * (m->vocab > m->ffn_dim ? m->vocab : m->ffn_dim);
    if (need < 4 * m->n_heads * ctx)
        need = 4 * m->n_heads * ctx;
    if (need > a->asic.sram_bytes)
        return es_fail(e, "pim decode: the ASIC SRAM (%lld B) cannot hold the largest vector (%lld B, fp32)",
                       (long long)a->asic.sram_bytes, (long long)need);
    /* the KV cache and the weights must fit the banks */
    int64_t cap = (int64_t)d.C * d.B * a->dram.org.rows * a->dram.org.row_bytes;
    int64_t kv_bytes = 2 * m->n_layers * m->n_kv_heads * m->head_dim * ctx * a->word_bytes;
    int64_t w_bytes = md_model_params(m) * a->word_bytes;
    if (w_bytes + kv_bytes > cap)
        return es_fail(e, "pim decode: weights (%lld B) and a %lld-token KV cache (%lld B) exceed the %lld B of %d "
                          "channels",
                       (long long)w_bytes, (long long)ctx, (long long)kv_bytes, (long long)cap, d.C);
    if (pim_ctl_init(&d.c, a, o->fast_forward, o->record, e))
        return -1;
    d.buf = es_xmalloc(PIM_ROW_MAX_CMDS * sizeof *d.buf);
    int rc = 0;
    for (int64_t t = 0; t < o->gen && !rc; t++) {
        d.weight_bytes = 0;
        rc = token(&d, o->prompt + t + 1, e);
    }
    if (!rc) {
        uint64_t end = umax(umax(d.c.now, d.c.last_data), d.asic_ready);
        pim_ctl_wait(&d.c, end, PIM_T_ASIC);
        dr_stats st;
        pim_ctl_finish(&d.c, end, &st);
        uint64_t Cn = (uint64_t)d.C;
        r->tokens = o->gen;
        r->cycles = end;
        r->seconds = (double)end * a->dram.tck_ns * 1e-9;
        for (int i = 0; i < DR_NCMD; i++)
            r->cmds[i] = st.cmds[i] * Cn;
        r->bank_acts = d.c.bank_acts * Cn;
        r->bank_accesses = d.c.bank_accesses * Cn;
        r->row_hit_rate = r->bank_accesses ? 1.0 - (double)r->bank_acts / (double)r->bank_accesses : 0;
        r->mac_lane_ops = d.useful;
        double slots = (double)end / (double)a->dram.t.tCCD_MAC;
        double peak = slots * (double)d.B * d.C * a->mac_lanes;
        r->mac_utilization = peak > 0 ? (double)d.useful / peak : 0;
        r->mac_busy = slots > 0 ? (double)st.cmds[DR_MAC16] / slots : 0;
        memcpy(r->time_cycles, d.c.time, sizeof r->time_cycles);
        r->asic_busy_cycles = d.asic_busy;
        int idd = a->dram.e.form == DR_ENERGY_IDD;
        r->energy_form = idd ? "idd" : "pj_per_bit";
        r->energy_dram_idd_pj = st.energy_idd_pj * (double)Cn;
        r->energy_dram_pjbit_pj = st.energy_pjbit_pj * (double)Cn;
        r->energy_dram_pj = idd ? r->energy_dram_idd_pj : r->energy_dram_pjbit_pj;
        r->energy_mac_pj = (double)r->cmds[DR_MAC16] * d.B * a->mac_lanes * a->mac_pj;
        r->energy_asic_pj = d.asic_ops * a->asic.pj_per_op + d.asic_sram_bytes * a->asic.pj_per_sram_byte;
        r->energy_pj = r->energy_dram_pj + r->energy_mac_pj + r->energy_asic_pj;
        r->weight_bytes = d.weight_bytes;
        double bw = (double)d.C * d.B * a->dram.org.burst_bytes / ((double)a->dram.t.tCCD_MAC * a->dram.tck_ns * 1e-9);
        r->bound_s_per_token = (double)d.weight_bytes / bw;
        r->simulated_cmds = d.c.sim_cmds;
        r->fast_forwarded_cmds = d.c.ff_cmds;
        r->fast_forwarded_cycles = d.c.ff_cycles;
        r->simulated_cycles = end - d.c.ff_cycles;
        if (d.c.stream) {
            dr_violation v[4];
            dr_spec one = a->dram; /* the stream is the representative channel's */
            one.org.channels = 1;
            size_t nv = dr_check(&one, d.c.stream->v, d.c.stream->n, v, 4);
            r->check_violations = (double)nv;
            if (nv)
                rc = es_fail(e, "pim: the DRAM checker found %zu violations; first: %s (%s)", nv, v[0].what,
                             v[0].constraint);
        }
    }
    free(d.buf);
    pim_ctl_free(&d.c);
    return rc;
}
