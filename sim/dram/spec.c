/* sim/dram/spec.c: read and check a DRAM timing set (sim/dram/NAME.yaml). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/yaml.h"
#include "sim/dram/dram.h"

static const char *const cmd_names[DR_NCMD] = {
    "ACT", "ACT4", "ACT16", "PRE", "PREA", "RD", "WR", "RDA", "WRA", "REFab", "REFpb",
    "MAC16", "MAC_SBK", "WRGB", "RDMAC16", "COPY_BKGB", "COPY_GBBK",
};

const char *dr_cmd_name(dr_cmd_kind k)
{
    return (unsigned)k < DR_NCMD ? cmd_names[k] : "?";
}

static const char *const field_names[DR_NFIELDS] = {"channel", "rank", "bankgroup", "bank", "row", "column"};

typedef struct {
    const char *key;
    size_t off;
    int required;
    int64_t min;
} int_field;

#define TF(k, req, mn) {#k, offsetof(dr_timing, k), req, mn}
static const int_field timing_fields[] = {
    TF(CL, 1, 1),     TF(CWL, 1, 0),    TF(nBL, 1, 1),    TF(tRCD, 1, 1),   TF(tRCDWR, 0, 1),
    TF(tRP, 1, 1),    TF(tRAS, 1, 1),   TF(tRC, 1, 1),    TF(tCCD_S, 1, 1), TF(tCCD_L, 1, 1),
    TF(tRRD_S, 1, 1), TF(tRRD_L, 1, 1), TF(tFAW, 1, 0),   TF(tWR, 1, 0),    TF(tWTR_S, 1, 0),
    TF(tWTR_L, 1, 0), TF(tRTP, 1, 0),   TF(tRTRS, 0, 0),  TF(tRFC, 1, 1),   TF(tRFCpb, 0, 0),
    TF(tREFI, 1, 1),  TF(tREFIpb, 0, 0),
};
static const int_field pim_fields[] = {
    TF(tRCDMAC, 1, 1), TF(tCCD_MAC, 1, 1), TF(tRCD_COPYRD, 0, 1), TF(tRCD_COPYWR, 0, 1), TF(tAAW, 0, 0),
};
#undef TF
#define OF(k, mn) {#k, offsetof(dr_org, k), 1, mn}
static const int_field org_fields[] = {
    OF(rows, 1), OF(row_bytes, 1), OF(burst_bytes, 1),
};
#undef OF

/* Read `fields` of map m into the struct at base; every value located. */
static int read_ints(const es_ynode *m, const int_field *f, size_t nf, void *base, es_err *e)
{
    for (size_t i = 0; i < nf; i++) {
        int64_t v = 0;
        es_ynode *n = es_y_get(m, f[i].key);
        if (es_y_int(m, f[i].key, f[i].required, &v, e))
            return -1;
        if (n && (v < f[i].min || v > ((int64_t)1 << 40)))
            return es_y_fail(n, e, "expected an integer in %lld..2^40 (cycles or bytes), got %lld", (long long)f[i].min,
                             (long long)v);
        *(int64_t *)((char *)base + f[i].off) = v;
    }
    return 0;
}

static int read_small_int(const es_ynode *m, const char *key, int min, int max, int *out, es_err *e)
{
    int64_t v = 0;
    if (es_y_int(m, key, 1, &v, e))
        return -1;
    if (v < min || v > max)
        return es_y_fail(es_y_get(m, key), e, "expected an integer in %d..%d, got %lld", min, max, (long long)v);
    *out = (int)v;
    return 0;
}

static int read_nonneg_double(const es_ynode *m, const char *key, int required, double *out, es_err *e)
{
    if (es_y_double(m, key, required, out, e))
        return -1;
    if (*out < 0)
        return es_y_fail(es_y_get(m, key), e, "expected a value >= 0, got %g", *out);
    return 0;
}

/* A required key whose value is one of names[0..n) (its index in *out). */
static int read_choice(const es_ynode *m, const char *key, const char *const *names, int n, int *out, es_err *e)
{
    const char *v = NULL;
    if (es_y_str(m, key, 1, &v, e))
        return -1;
    for (int i = 0; i < n; i++)
        if (!strcmp(v, names[i])) {
            *out = i;
            return 0;
        }
    char list[160] = "";
    for (int i = 0; i < n; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s'%s'", i == 0 ? "" : i == n - 1 ? " or " : ", ",
                 names[i]);
    return es_y_fail(es_y_get(m, key), e, "expected %s, got '%s'", list, v);
}

static int read_org(const es_ynode *o, dr_spec *s, es_err *e)
{
    static const char *const keys[] = {"channels", "ranks",     "bankgroups",  "banks_per_group",  "rows",
                                       "row_bytes", "burst_bytes", "dual_command_bus", NULL};
    if (es_y_check_keys(o, keys, e))
        return -1;
    dr_org *g = &s->org;
    if (read_small_int(o, "channels", 1, 255, &g->channels, e) ||
        read_small_int(o, "ranks", 1, DR_MAX_RANKS, &g->ranks, e) ||
        read_small_int(o, "bankgroups", 1, DR_MAX_BG, &g->bankgroups, e) ||
        read_small_int(o, "banks_per_group", 1, DR_MAX_BANKS_PER_BG, &g->banks_per_group, e) ||
        read_ints(o, org_fields, sizeof org_fields / sizeof *org_fields, g, e))
        return -1;
    if (g->row_bytes % g->burst_bytes)
        return es_y_fail(es_y_get(o, "row_bytes"), e,
                         "row size %lld B is not a multiple of the burst (%lld B); expected row_bytes = k * burst_bytes",
                         (long long)g->row_bytes, (long long)g->burst_bytes);
    g->columns = g->row_bytes / g->burst_bytes;
    double cap = (double)g->channels * g->ranks * g->bankgroups * g->banks_per_group * (double)g->rows * (double)g->row_bytes;
    if (cap > 0x1p60)
        return es_y_fail(o, e, "capacity %.3g B (channels x ranks x banks x rows x row_bytes) exceeds 2^60 bytes", cap);
    if (g->rows > UINT32_MAX || g->columns > UINT32_MAX)
        return es_y_fail(o, e, "rows and columns must fit 32 bits");
    g->dual_command_bus = 0;
    return es_y_bool(o, "dual_command_bus", 0, &g->dual_command_bus, e);
}

static int read_timing(const es_ynode *t, dr_spec *s, es_err *e)
{
    const size_t nf = sizeof timing_fields / sizeof *timing_fields;
    const char *keys[sizeof timing_fields / sizeof *timing_fields + 1];
    for (size_t i = 0; i < nf; i++)
        keys[i] = timing_fields[i].key;
    keys[nf] = NULL;
    if (es_y_check_keys(t, keys, e) || read_ints(t, timing_fields, nf, &s->t, e))
        return -1;
    dr_timing *T = &s->t;
    if (!es_y_get(t, "tRCDWR"))
        T->tRCDWR = T->tRCD;
    if (T->tRC < T->tRAS + T->tRP)
        return es_y_fail(es_y_get(t, "tRC"), e, "tRC (%lld) < tRAS + tRP (%lld + %lld); expected tRC >= tRAS + tRP",
                         (long long)T->tRC, (long long)T->tRAS, (long long)T->tRP);
    if (T->tCCD_L < T->tCCD_S)
        return es_y_fail(es_y_get(t, "tCCD_L"), e, "tCCD_L (%lld) < tCCD_S (%lld); expected tCCD_L >= tCCD_S",
                         (long long)T->tCCD_L, (long long)T->tCCD_S);
    if (T->tRRD_L < T->tRRD_S)
        return es_y_fail(es_y_get(t, "tRRD_L"), e, "tRRD_L (%lld) < tRRD_S (%lld); expected tRRD_L >= tRRD_S",
                         (long long)T->tRRD_L, (long long)T->tRRD_S);
    if (T->tREFI <= T->tRFC)
        return es_y_fail(es_y_get(t, "tREFI"), e, "tREFI (%lld) <= tRFC (%lld); expected a refresh interval longer than the refresh",
                         (long long)T->tREFI, (long long)T->tRFC);
    return 0;
}

static int read_pim(const es_ynode *p, dr_spec *s, es_err *e)
{
    static const char *const keys[] = {"tRCDMAC", "tCCD_MAC", "tRCD_COPYRD", "tRCD_COPYWR", "tAAW", "multi_act_in_faw", NULL};
    if (es_y_expect(p, ES_Y_MAP, e) || es_y_check_keys(p, keys, e) ||
        read_ints(p, pim_fields, sizeof pim_fields / sizeof *pim_fields, &s->t, e))
        return -1;
    if (!es_y_get(p, "tRCD_COPYRD"))
        s->t.tRCD_COPYRD = s->t.tRCD;
    if (!es_y_get(p, "tRCD_COPYWR"))
        s->t.tRCD_COPYWR = s->t.tRCDWR;
    return es_y_bool(p, "multi_act_in_faw", 0, &s->t.multi_act_in_faw, e);
}

static int read_energy(const es_ynode *n, dr_spec *s, es_err *e)
{
    static const char *const keys[] = {"form",  "vdd",   "idd0",  "idd2n",  "idd3n",
                                       "idd4r", "idd4w", "idd5ab", "idd5pb", "devices_per_rank",
                                       "act_pj_per_bit", "rdwr_pj_per_bit", "io_pj_per_bit", "mac_pj_per_bit", NULL};
    if (es_y_expect(n, ES_Y_MAP, e) || es_y_check_keys(n, keys, e))
        return -1;
    dr_energy *g = &s->e;
    static const char *const forms[] = {"idd", "pjbit"}; /* dr_energy_form order */
    int form;
    if (read_choice(n, "form", forms, 2, &form, e))
        return -1;
    g->form = (dr_energy_form)form;
    struct { const char *k; double *p; int req; } d[] = {
        {"vdd", &g->vdd, 1},     {"idd0", &g->idd0, 1},   {"idd2n", &g->idd2n, 1},   {"idd3n", &g->idd3n, 1},
        {"idd4r", &g->idd4r, 1}, {"idd4w", &g->idd4w, 1}, {"idd5ab", &g->idd5ab, 1}, {"idd5pb", &g->idd5pb, 0},
        {"act_pj_per_bit", &g->act_pj_per_bit, 1},        {"rdwr_pj_per_bit", &g->rdwr_pj_per_bit, 1},
        {"io_pj_per_bit", &g->io_pj_per_bit, 1},          {"mac_pj_per_bit", &g->mac_pj_per_bit, 0},
    };
    for (size_t i = 0; i < sizeof d / sizeof *d; i++)
        if (read_nonneg_double(n, d[i].k, d[i].req, d[i].p, e))
            return -1;
    return read_small_int(n, "devices_per_rank", 1, 64, &g->devices_per_rank, e);
}

static int read_controller(const es_ynode *n, dr_spec *s, es_err *e)
{
    static const char *const keys[] = {"row_policy", "refresh", "queue_depth", "write_high", "write_low", "address_mapping", NULL};
    if (es_y_expect(n, ES_Y_MAP, e) || es_y_check_keys(n, keys, e))
        return -1;
    static const char *const policies[] = {"open", "closed"};           /* dr_row_policy order */
    static const char *const refreshes[] = {"none", "allbank", "perbank"}; /* dr_refresh_mode order */
    int policy, refresh;
    if (read_choice(n, "row_policy", policies, 2, &policy, e) || read_choice(n, "refresh", refreshes, 3, &refresh, e))
        return -1;
    s->policy = (dr_row_policy)policy;
    s->refresh = (dr_refresh_mode)refresh;
    es_ynode *rn = es_y_get(n, "refresh");
    if (s->refresh == DR_REFRESH_PERBANK && (s->t.tRFCpb <= 0 || s->t.tREFIpb <= 0))
        return es_y_fail(rn, e, "per-bank refresh needs timing.tRFCpb and timing.tREFIpb > 0");
    if (s->refresh == DR_REFRESH_PERBANK &&
        s->t.tREFIpb * s->org.bankgroups * s->org.banks_per_group <= s->t.tRFCpb)
        return es_y_fail(rn, e, "per-bank refresh: tREFIpb x banks (%lld) <= tRFCpb (%lld); expected each bank's refresh interval to exceed its refresh",
                         (long long)(s->t.tREFIpb * s->org.bankgroups * s->org.banks_per_group), (long long)s->t.tRFCpb);
    if (read_small_int(n, "queue_depth", 1, 4096, &s->queue_depth, e))
        return -1;
    s->write_high = s->queue_depth * 3 / 4;
    s->write_low = s->queue_depth / 4;
    if (es_y_get(n, "write_high")) {
        if (read_small_int(n, "write_high", 1, s->queue_depth, &s->write_high, e))
            return -1;
    }
    if (es_y_get(n, "write_low")) {
        if (read_small_int(n, "write_low", 0, s->write_high - 1, &s->write_low, e))
            return -1;
    }
    es_ynode *m = es_y_child(n, "address_mapping", ES_Y_SEQ, "list of the six fields, most significant first", e);
    if (!m)
        return -1;
    if (m->n != DR_NFIELDS)
        return es_y_fail(m, e, "expected the six fields channel, rank, bankgroup, bank, row, column (in some order), got %zu items",
                         m->n);
    int seen[DR_NFIELDS] = {0};
    for (size_t i = 0; i < m->n; i++) {
        es_ynode *it = m->items[i];
        int f = -1;
        for (int k = 0; k < DR_NFIELDS; k++)
            if (it->kind == ES_Y_SCALAR && !strcmp(it->value, field_names[k]))
                f = k;
        if (f < 0)
            return es_y_fail(it, e, "expected one of channel, rank, bankgroup, bank, row, column, got '%s'",
                             it->kind == ES_Y_SCALAR ? it->value : "(not a scalar)");
        if (seen[f]++)
            return es_y_fail(it, e, "field '%s' appears twice", field_names[f]);
        s->map_order[i] = (dr_field)f;
    }
    return 0;
}

static int read_spec(const es_ynode *root, void *out, es_err *e)
{
    dr_spec *s = out;
    static const char *const top[] = {"name", "description", "standard", "tck_ns", "organization",
                                      "timing", "pim", "energy", "controller", NULL};
    if (es_y_expect(root, ES_Y_MAP, e) || es_y_check_keys(root, top, e))
        return -1;
    const char *name = NULL;
    if (es_y_str(root, "name", 1, &name, e) || es_y_name(es_y_get(root, "name"), name, s->name, sizeof s->name, 0, e))
        return -1;
    snprintf(s->file, sizeof s->file, "%s", root->file ? root->file : "");
    if (es_y_double(root, "tck_ns", 1, &s->tck_ns, e))
        return -1;
    if (!(s->tck_ns > 0))
        return es_y_fail(es_y_get(root, "tck_ns"), e, "expected a clock period > 0 ns, got %g", s->tck_ns);
    es_ynode *n;
    if (!(n = es_y_child(root, "organization", ES_Y_MAP, NULL, e)) || read_org(n, s, e))
        return -1;
    if (!(n = es_y_child(root, "timing", ES_Y_MAP, NULL, e)) || read_timing(n, s, e))
        return -1;
    if ((n = es_y_get(root, "pim")) && read_pim(n, s, e))
        return -1;
    if (!(n = es_y_child(root, "energy", ES_Y_MAP, NULL, e)) || read_energy(n, s, e))
        return -1;
    if (!(n = es_y_child(root, "controller", ES_Y_MAP, NULL, e)) || read_controller(n, s, e))
        return -1;
    return 0;
}

int dr_spec_load(const char *name_or_path, dr_spec *out, es_err *e)
{
    memset(out, 0, sizeof *out);
    return es_yaml_read_bundled("dram", name_or_path, read_spec, out, e);
}

int dr_spec_parse_string(const char *name, const char *text, dr_spec *out, es_err *e)
{
    memset(out, 0, sizeof *out);
    return es_yaml_read_string(name, text, read_spec, out, e);
}

double dr_peak_bytes_per_s(const dr_spec *s)
{
    return s->org.channels * (double)s->org.burst_bytes / ((double)s->t.nBL * s->tck_ns * 1e-9);
}

static int64_t field_size(const dr_spec *s, dr_field f)
{
    switch (f) {
    case DR_F_CHANNEL: return s->org.channels;
    case DR_F_RANK: return s->org.ranks;
    case DR_F_BANKGROUP: return s->org.bankgroups;
    case DR_F_BANK: return s->org.banks_per_group;
    case DR_F_ROW: return s->org.rows;
    default: return s->org.columns;
    }
}

/* Mixed-radix decomposition, least significant field last in map_order
 * (sizes need not be powers of two); addresses beyond the capacity wrap. */
dr_addr dr_map_address(const dr_spec *s, uint64_t byte_addr)
{
    uint64_t x = byte_addr / (uint64_t)s->org.burst_bytes;
    int64_t v[DR_NFIELDS] = {0};
    for (int i = DR_NFIELDS - 1; i >= 0; i--) {
        uint64_t n = (uint64_t)field_size(s, s->map_order[i]);
        v[s->map_order[i]] = (int64_t)(x % n);
        x /= n;
    }
    dr_addr a = {(int)v[DR_F_CHANNEL], (int)v[DR_F_RANK], (int)v[DR_F_BANKGROUP], (int)v[DR_F_BANK], v[DR_F_ROW],
                 v[DR_F_COLUMN]};
    return a;
}

void dr_stream_push(dr_stream *s, dr_cmd c)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->v = es_xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = c;
}

void dr_stream_free(dr_stream *s)
{
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}
