/* sim/dram: timing sets, the controller against the independent checker on
 * streaming, random and adversarial traffic, hand-made illegal streams (one
 * per constraint) that the checker must catch, the AiM all-bank MAC row
 * (226 cycles), the random-traffic closed form, streaming at >= 90 % of
 * peak. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/io.h"
#include "golden/base/rng.h"
#include "sim/dram/dram.h"
#include "sim/comp/comp.h"
#include "sim/dram/traffic.h"
#include "sim/sim.h"

static const char *const bundled[] = {"gddr6", "gddr6-aim", "hbm2", "hbm3", "ddr4"};
#define NBUNDLED (sizeof bundled / sizeof *bundled)

static void load(const char *name, dr_spec *s)
{
    es_err e;
    if (dr_spec_load(name, s, &e))
        fail_msg("%s", e.msg);
}

static void test_bundled_specs(void **state)
{
    (void)state;
    for (size_t i = 0; i < NBUNDLED; i++) {
        dr_spec s;
        load(bundled[i], &s);
        assert_string_equal(s.name, bundled[i]);
        assert_true(s.t.tRC >= s.t.tRAS + s.t.tRP);
        assert_int_equal(s.org.row_bytes % s.org.burst_bytes, 0);
        assert_true(dr_peak_bytes_per_s(&s) > 1e9);
    }
    dr_spec s;
    load("gddr6-aim", &s);
    assert_int_equal(s.t.tRCDMAC, 56);
    assert_int_equal(s.org.columns, 64);
}

/* The bundled gddr6 text with `from` replaced by `to`, parsed: must fail
 * with a message containing every string of want (NULL-terminated). */
static void bad_spec(const char *from, const char *to, const char *const *want)
{
    char path[4096], *text;
    size_t n;
    es_err e;
    snprintf(path, sizeof path, "%s/sim/dram/gddr6.yaml", EINSIM_SRCDIR);
    if (es_read_file(path, &text, &n, &e))
        fail_msg("%s", e.msg);
    char *at = strstr(text, from);
    assert_non_null(at);
    size_t fl = strlen(from), tl = strlen(to);
    char *out = malloc(n + tl + 1);
    memcpy(out, text, (size_t)(at - text));
    memcpy(out + (at - text), to, tl);
    strcpy(out + (at - text) + tl, at + fl);
    dr_spec s;
    int rc = dr_spec_parse_string("bad.yaml", out, &s, &e);
    assert_int_equal(rc, -1);
    for (int i = 0; want[i]; i++)
        if (!strstr(e.msg, want[i]))
            fail_msg("message '%s' lacks '%s'", e.msg, want[i]);
    free(out);
    free(text);
}

static void test_malformed_specs(void **state)
{
    (void)state;
    bad_spec("  tRP: 27\n", "  tRP: -3\n", (const char *const[]){"bad.yaml:", "timing.tRP", "in 1..2^40", NULL});
    bad_spec("  tRC: 80 ", "  tRC: 70 ", (const char *const[]){"bad.yaml:", "timing.tRC", "tRAS + tRP", NULL});
    bad_spec("  banks_per_group: 4\n", "  banks_per_group: 0\n",
             (const char *const[]){"bad.yaml:", "banks_per_group", "1..8", NULL});
    bad_spec("  row_bytes: 2048 ", "  row_bytes: 2050 ", (const char *const[]){"bad.yaml:", "row_bytes", "multiple of the burst", NULL});
    bad_spec("  tFAW: 29\n", "  tFAW: 29\n  tFAX: 3\n", (const char *const[]){"bad.yaml:", "tFAX", NULL});
    bad_spec("[row, rank, bank, column, bankgroup, channel]", "[row, rank, bank, column, bankgroup, bank]",
             (const char *const[]){"bad.yaml:", "twice", NULL});
    bad_spec("row_policy: open", "row_policy: half", (const char *const[]){"bad.yaml:", "open", NULL});
    /* every error is located: file:line:col */
    bad_spec("  CL: 24\n", "  CL: x\n", (const char *const[]){"bad.yaml:", "timing.CL", NULL});
}

/* ---- traffic through the controller, checked ---- */

static dr_run_result run(const dr_spec *s, dr_traffic_kind k, uint64_t n, double rr, int outstanding, uint64_t seed)
{
    dr_traffic tr = {k, n, rr, seed, outstanding, NULL, 1};
    dr_run_result r;
    es_err e;
    if (dr_run(s, &tr, &r, &e))
        fail_msg("%s", e.msg);
    if (r.violations)
        fail_msg("%s: %zu violations, first %s: %s", s->name, r.violations, r.first[0].constraint, r.first[0].what);
    assert_int_equal(r.st.reads_done + r.st.writes_done, n);
    return r;
}

static void test_checker_clean_on_traffic(void **state)
{
    (void)state;
    for (size_t i = 0; i < NBUNDLED; i++) {
        dr_spec s;
        load(bundled[i], &s);
        run(&s, DR_TRAFFIC_STREAM, 20000, 1.0, 0, 1);
        run(&s, DR_TRAFFIC_STREAM, 20000, 0.5, 0, 2);
        run(&s, DR_TRAFFIC_RANDOM, 20000, 0.7, 0, 3);
        run(&s, DR_TRAFFIC_RANDOM, 3000, 0.5, 3, 4);
        /* closed row policy, per-bank refresh where the set has it */
        s.policy = DR_POLICY_CLOSED;
        run(&s, DR_TRAFFIC_RANDOM, 10000, 0.6, 0, 5);
        run(&s, DR_TRAFFIC_STREAM, 10000, 0.6, 0, 5);
        if (s.t.tRFCpb > 0 && s.t.tREFIpb > 0) {
            s.policy = DR_POLICY_OPEN;
            s.refresh = DR_REFRESH_PERBANK;
            run(&s, DR_TRAFFIC_RANDOM, 10000, 0.6, 0, 6);
            run(&s, DR_TRAFFIC_STREAM, 10000, 0.9, 0, 6);
        }
    }
}

/* Adversarial traces: one bank's rows thrashed, read/write ping-pong in one
 * bank, every request in one bank group, rank ping-pong, bursts of
 * simultaneous arrivals, long idle gaps spanning many refresh intervals. */
static void test_checker_clean_on_adversarial(void **state)
{
    (void)state;
    for (size_t i = 0; i < NBUNDLED; i++) {
        dr_spec s;
        load(bundled[i], &s);
        uint64_t rowstep = 1, bgstep = 1, rankstep = 1;
        /* strides of each field in bursts, from the mapping order */
        uint64_t stride = 1;
        for (int f = DR_NFIELDS - 1; f >= 0; f--) {
            int64_t size = 1;
            switch (s.map_order[f]) {
            case DR_F_CHANNEL: size = s.org.channels; break;
            case DR_F_RANK: size = s.org.ranks; rankstep = stride; break;
            case DR_F_BANKGROUP: size = s.org.bankgroups; bgstep = stride; break;
            case DR_F_BANK: size = s.org.banks_per_group; break;
            case DR_F_ROW: size = s.org.rows; rowstep = stride; break;
            default: size = s.org.columns;
            }
            stride *= (uint64_t)size;
        }
        uint64_t B = (uint64_t)s.org.burst_bytes;
        dr_trace t = {0};
        for (int pattern = 0; pattern < 6; pattern++) {
            t.n = 0;
            uint64_t cyc = 0;
            for (uint64_t j = 0; j < 3000; j++) {
                dr_req_rec r = {cyc, 0, 0};
                switch (pattern) {
                case 0: r.addr = (j % 7) * rowstep * B; break;                      /* row thrash */
                case 1: r.addr = (j % 2) * rowstep * B; r.write = j % 3 == 0; break; /* rd/wr, 2 rows */
                case 2: r.addr = (j * 4) * bgstep * B + (j % 5) * rowstep * B; break; /* one bank group */
                case 3: r.addr = (j % 2) * rankstep * B + j / 2 * B * 0; r.write = j % 4 == 1; break; /* ranks */
                case 4: r.addr = j * 977 * B; r.write = j & 1; cyc += (j % 64 == 0) ? 40 : 0; break; /* bursts */
                default: r.addr = j * 31 * B; cyc += (uint64_t)s.t.tREFI / 2; break; /* idle gaps */
                }
                r.arrival = cyc;
                if (t.n == t.cap) {
                    t.cap = t.cap ? 2 * t.cap : 4096;
                    t.v = realloc(t.v, t.cap * sizeof *t.v);
                }
                t.v[t.n++] = r;
            }
            dr_traffic tr = {DR_TRAFFIC_TRACE, 0, 1, 1, 0, &t, 1};
            dr_run_result res;
            es_err e;
            assert_int_equal(dr_run(&s, &tr, &res, &e), 0);
            if (res.violations)
                fail_msg("%s pattern %d: %s: %s", s.name, pattern, res.first[0].constraint, res.first[0].what);
            assert_int_equal(res.st.reads_done + res.st.writes_done, t.n);
            if (pattern == 5) /* idle gaps: refreshes kept coming */
                assert_true(res.st.cmds[DR_REFAB] >= t.n / 2);
        }
        free(t.v);
    }
}

/* ---- illegal streams: each constraint must be caught ---- */

static dr_cmd C(uint64_t t, dr_cmd_kind k, int bg, int bank, uint32_t row)
{
    dr_cmd c = {t, (uint8_t)k, 0, 0, (uint8_t)bg, (uint8_t)bank, row, 0};
    return c;
}

/* The stream must give a violation named `want` (and only at the last
 * command when last_only), and one cycle later (shift) none. */
static void expect_violation(const dr_spec *s, dr_cmd *v, size_t n, const char *want, int shift)
{
    dr_violation out[8];
    size_t nv = dr_check(s, v, n, out, 8);
    int found = 0;
    for (size_t i = 0; i < nv && i < 8; i++)
        found |= !strcmp(out[i].constraint, want);
    if (!found)
        fail_msg("checker missed %s (%zu violations, first %s)", want, nv, nv ? out[0].constraint : "-");
    if (shift) {
        /* move the last command to the earliest cycle the violation allowed */
        uint64_t need = 0;
        for (size_t i = 0; i < nv && i < 8; i++)
            if (out[i].earliest > need)
                need = out[i].earliest;
        v[n - 1].t = need;
        nv = dr_check(s, v, n, out, 8);
        if (nv)
            fail_msg("%s: still %zu violations at the allowed cycle (%s: %s)", want, nv, out[0].constraint, out[0].what);
    }
}

static void test_checker_catches_illegal(void **state)
{
    (void)state;
    dr_spec s;
    load("gddr6", &s);
    s.refresh = DR_REFRESH_NONE;
    const dr_timing *T = &s.t;
    dr_cmd v[16];
    /* tRCD */
    v[0] = C(0, DR_ACT, 0, 0, 5);
    v[1] = C((uint64_t)T->tRCD - 1, DR_RD, 0, 0, 5);
    expect_violation(&s, v, 2, "tRCD", 1);
    /* tRAS */
    v[1] = C((uint64_t)T->tRAS - 1, DR_PRE, 0, 0, 5);
    expect_violation(&s, v, 2, "tRAS", 1);
    /* tRP */
    v[1] = C((uint64_t)T->tRAS, DR_PRE, 0, 0, 5);
    v[2] = C((uint64_t)(T->tRAS + T->tRP - 1), DR_ACT, 0, 0, 6);
    expect_violation(&s, v, 3, "tRP", 1);
    /* tRC: spec with tRC > tRAS + tRP */
    {
        dr_spec s2 = s;
        s2.t.tRC = s2.t.tRAS + s2.t.tRP + 10;
        v[2] = C((uint64_t)(T->tRAS + T->tRP), DR_ACT, 0, 0, 6);
        expect_violation(&s2, v, 3, "tRC", 1);
    }
    /* tRRD_L / tRRD_S */
    v[0] = C(0, DR_ACT, 0, 0, 1);
    v[1] = C((uint64_t)T->tRRD_L - 1, DR_ACT, 0, 1, 1);
    expect_violation(&s, v, 2, "tRRD_L", 1);
    v[1] = C((uint64_t)T->tRRD_S - 1, DR_ACT, 1, 0, 1);
    expect_violation(&s, v, 2, "tRRD_S", 1);
    /* tFAW: five ACTs, tRRD apart */
    for (int i = 0; i < 5; i++)
        v[i] = C((uint64_t)(i * T->tRRD_L), DR_ACT, i % 4, i / 4, 1);
    if (4 * T->tRRD_L < T->tFAW)
        expect_violation(&s, v, 5, "tFAW", 1);
    /* tCCD_L / tCCD_S */
    v[0] = C(0, DR_ACT, 0, 0, 1);
    v[1] = C((uint64_t)T->tRRD_S, DR_ACT, 1, 0, 1);
    v[2] = C((uint64_t)T->tRRD_S + (uint64_t)T->tRCD, DR_RD, 0, 0, 1);
    v[3] = C(v[2].t + (uint64_t)T->tCCD_L - 1, DR_RD, 0, 0, 1);
    expect_violation(&s, v, 4, "tCCD_L", 1);
    v[3] = C(v[2].t + (uint64_t)T->tCCD_S - 1, DR_RD, 1, 0, 1);
    expect_violation(&s, v, 4, "tCCD_S", 1);
    /* tWTR_L: write then read in the same bank group */
    v[2] = C((uint64_t)T->tRRD_S + (uint64_t)T->tRCD, DR_WR, 0, 0, 1);
    v[3] = C(v[2].t + (uint64_t)(T->CWL + T->nBL + T->tWTR_L) - 1, DR_RD, 0, 0, 1);
    expect_violation(&s, v, 4, "tWTR_L", 1);
    v[3] = C(v[2].t + (uint64_t)(T->CWL + T->nBL + T->tWTR_S) - 1, DR_RD, 1, 0, 1);
    expect_violation(&s, v, 4, "tWTR_S", 1);
    /* tWR: write then precharge */
    v[3] = C(v[2].t + (uint64_t)(T->CWL + T->nBL + T->tWR) - 1, DR_PRE, 0, 0, 1);
    expect_violation(&s, v, 4, "tWR", 1);
    /* tRTP: read then precharge late enough for tRAS */
    v[0] = C(0, DR_ACT, 0, 0, 1);
    v[1] = C((uint64_t)T->tRAS, DR_RD, 0, 0, 1);
    v[2] = C(v[1].t + (uint64_t)T->tRTP - 1, DR_PRE, 0, 0, 1);
    expect_violation(&s, v, 3, "tRTP", 1);
    /* data bus: a write whose data would overlap a read's */
    v[0] = C(0, DR_ACT, 0, 0, 1);
    v[1] = C((uint64_t)T->tRCD, DR_RD, 0, 0, 1);
    v[2] = C(v[1].t + (uint64_t)(T->CL - T->CWL), DR_WR, 1, 0, 1);
    v[2].bg = 0;
    expect_violation(&s, v, 3, "data-bus", 1);
    /* bank state */
    v[0] = C(0, DR_ACT, 0, 0, 1);
    v[1] = C(200, DR_ACT, 0, 0, 2);
    expect_violation(&s, v, 2, "bank-open", 0);
    v[1] = C(200, DR_RD, 0, 0, 2);
    expect_violation(&s, v, 2, "row-miss", 0);
    v[0] = C(0, DR_RD, 0, 0, 1);
    expect_violation(&s, v, 1, "bank-closed", 0);
    /* tRFC */
    v[0] = C(0, DR_REFAB, 0, 0, 0);
    v[1] = C((uint64_t)T->tRFC - 1, DR_ACT, 0, 0, 1);
    expect_violation(&s, v, 2, "tRFC", 1);
    /* command bus: two row commands in one cycle */
    v[0] = C(0, DR_ACT, 0, 0, 1);
    v[1] = C(0, DR_ACT, 2, 0, 1);
    expect_violation(&s, v, 2, "cmd-bus", 0);
    /* refresh postponed too long */
    dr_spec s3 = s;
    s3.refresh = DR_REFRESH_ALLBANK;
    v[0] = C(0, DR_ACT, 0, 0, 1);
    v[1] = C((uint64_t)(10 * T->tREFI), DR_PRE, 0, 0, 1);
    expect_violation(&s3, v, 2, "tREFI", 0);
}

/* A legal stream from the controller, mutated: pulling any command that
 * sits exactly at one of its bounds one cycle earlier must be caught. */
static void test_checker_catches_mutations(void **state)
{
    (void)state;
    dr_spec s;
    load("ddr4", &s);
    dr_mem *m = dr_mem_new(&s, 1);
    es_rng r;
    es_rng_seed(&r, 9);
    for (uint64_t i = 0; i < 4000; i++) {
        while (dr_mem_submit(m, es_rng_below(&r, 1 << 22) * 64, es_rng_double(&r) < 0.3, 0, i))
            dr_mem_advance(m, dr_mem_next_event(m));
    }
    dr_mem_advance(m, DR_NEVER);
    const dr_stream *st = dr_mem_stream(m);
    assert_int_equal(dr_check(&s, st->v, st->n, NULL, 0), 0);
    dr_cmd *v = malloc(st->n * sizeof *v);
    size_t caught = 0, tried = 0;
    for (size_t i = 1; i < st->n && tried < 400; i += 7) {
        memcpy(v, st->v, st->n * sizeof *v);
        if (v[i].t == 0 || v[i].t - 1 < v[i - 1].t)
            continue; /* would only reorder */
        v[i].t -= 1;
        tried++;
        caught += dr_check(&s, v, st->n, NULL, 0) > 0;
    }
    /* Commands issued later than their bound (waiting on the queue, not on
     * timing) are legal one cycle earlier; most are at their bound. */
    assert_true(tried > 100);
    assert_true(caught > tried / 2);
    free(v);
    dr_mem_free(m);
}

/* AiM all-bank MAC row: ACT16, 64 MAC16 one per tCCD_MAC, PREA after tRTP,
 * next ACT16 after tRP: 56 + 63*2 + 12 + 32 = 226 cycles. */
static void test_aim_mac_row(void **state)
{
    (void)state;
    dr_spec s;
    load("gddr6-aim", &s);
    s.refresh = DR_REFRESH_NONE;
    dr_stream st = {0};
    dr_channel *c = dr_channel_new(&s, 0, &st);
    es_err e;
    dr_addr a = {0, 0, 0, 0, 7, 0};
    uint64_t t = dr_earliest(c, DR_WRGB, &a, 0);
    for (int i = 0; i < 64; i++) { /* fill the global buffer with the input vector */
        t = dr_earliest(c, DR_WRGB, &a, t);
        assert_int_equal(dr_issue(c, DR_WRGB, &a, t, &e), 0);
    }
    uint64_t row_start = 0;
    /* row 0's first MAC waits for the global buffer writes; rows 1.. are steady */
    for (int row = 0; row < 4; row++) {
        a.row = 7 + row;
        uint64_t t0 = dr_earliest(c, DR_ACT16, &a, 0);
        if (row > 1)
            assert_int_equal(t0 - row_start, 226);
        row_start = t0;
        assert_int_equal(dr_issue(c, DR_ACT16, &a, t0, &e), 0);
        uint64_t tm = t0;
        for (int col = 0; col < 64; col++) {
            a.col = col;
            tm = dr_earliest(c, DR_MAC16, &a, tm);
            if (col == 0 && row > 0)
                assert_int_equal(tm - t0, 56);
            assert_int_equal(dr_issue(c, DR_MAC16, &a, tm, &e), 0);
        }
        uint64_t tp = dr_earliest(c, DR_PREA, &a, tm);
        assert_int_equal(tp - tm, 12);
        assert_int_equal(dr_issue(c, DR_PREA, &a, tp, &e), 0);
    }
    uint64_t tr = dr_earliest(c, DR_RDMAC16, &a, 0);
    assert_int_equal(dr_issue(c, DR_RDMAC16, &a, tr, &e), 0);
    assert_int_equal(dr_channel_stats(c)->cmds[DR_MAC16], 4 * 64);
    {
        dr_violation out[4];
        size_t nv = dr_check(&s, st.v, st.n, out, 4);
        if (nv)
            fail_msg("AiM stream: %zu violations, first %s: %s", nv, out[0].constraint, out[0].what);
    }
    /* and one MAC16 a cycle early is caught */
    for (size_t i = 0; i < st.n; i++)
        if (st.v[i].kind == DR_MAC16 && st.v[i + 1].kind == DR_MAC16) {
            st.v[i + 1].t -= 1;
            dr_violation out[4];
            assert_true(dr_check(&s, st.v, st.n, out, 4) > 0);
            assert_string_equal(out[0].constraint, "tCCD_MAC");
            break;
        }
    /* MAC16 with a bank closed is illegal in the device model too */
    a.row = 1;
    assert_int_equal(dr_earliest(c, DR_MAC16, &a, 0), DR_NEVER);
    dr_channel_free(c);
    dr_stream_free(&st);
}

/* Random reads, one in flight, closed row, no refresh: each latency is
 * tRCD + CL + nBL, plus max(0, X - (tRCD + CL + nBL)) when the request hits
 * the same bank as the previous one, X = max(tRC, tRAS + tRP, tRCD + tRTP +
 * tRP) (the previous ACT to the earliest next ACT).  Checked exactly, on
 * the address sequence the random traffic generator draws. */
static void test_random_latency_closed_form(void **state)
{
    (void)state;
    const char *names[] = {"gddr6", "hbm2", "ddr4", "hbm3"};
    for (size_t k = 0; k < 4; k++) {
        dr_spec s;
        load(names[k], &s);
        s.policy = DR_POLICY_CLOSED;
        s.refresh = DR_REFRESH_NONE;
        const dr_timing *T = &s.t;
        const uint64_t n = 5000, seed = 11;
        dr_run_result r = run(&s, DR_TRAFFIC_RANDOM, n, 1.0, 1, seed);
        int64_t base = T->tRCD + T->CL + T->nBL;
        int64_t X = T->tRC;
        if (T->tRAS + T->tRP > X)
            X = T->tRAS + T->tRP;
        if (T->tRCD + T->tRTP + T->tRP > X)
            X = T->tRCD + T->tRTP + T->tRP;
        int64_t extra = X > base ? X - base : 0;
        /* replay the generator (traffic.c: es_rng_below then es_rng_double per request) */
        es_rng rng;
        es_rng_seed(&rng, seed);
        uint64_t bursts = dr_capacity_bytes(&s) / (uint64_t)s.org.burst_bytes;
        uint64_t expect = 0;
        dr_addr prev = {-1, -1, -1, -1, -1, -1};
        for (uint64_t i = 0; i < n; i++) {
            dr_addr a = dr_map_address(&s, es_rng_below(&rng, bursts) * (uint64_t)s.org.burst_bytes);
            (void)es_rng_double(&rng);
            int same = a.ch == prev.ch && a.rank == prev.rank && a.bg == prev.bg && a.bank == prev.bank;
            /* DDR4's two ranks: a rank switch adds no delay at this spacing */
            expect += (uint64_t)(base + (same ? extra : 0));
            prev = a;
        }
        if (r.st.read_latency_sum != expect)
            fail_msg("%s: latency sum %llu, closed form %llu", names[k], (unsigned long long)r.st.read_latency_sum,
                     (unsigned long long)expect);
    }
}

static void test_stream_peak(void **state)
{
    (void)state;
    const char *names[] = {"gddr6", "hbm2", "ddr4"};
    for (size_t k = 0; k < 3; k++) {
        dr_spec s;
        load(names[k], &s);
        dr_run_result r = run(&s, DR_TRAFFIC_STREAM, 60000, 1.0, 0, 1);
        double secs = (double)r.cycles * s.tck_ns * 1e-9;
        double frac = (double)r.st.bytes_read / secs / dr_peak_bytes_per_s(&s);
        if (frac < 0.90)
            fail_msg("%s: streaming reads reach %.1f %% of peak", names[k], 100 * frac);
    }
}

static void test_trace_errors(void **state)
{
    (void)state;
    dr_trace t;
    es_err e;
    assert_int_equal(dr_trace_parse("t.trace", "# c\n0 R 0x40\n5 W 128  # x\n\n", &t, &e), 0);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.v[0].addr, 0x40);
    assert_int_equal(t.v[1].write, 1);
    dr_trace_free(&t);
    struct { const char *text, *want; } bad[] = {
        {"0 R 0x40\n1 X 5\n", "t.trace:2:3:"},
        {"0 R 0x40\nfoo R 5\n", "t.trace:2:1:"},
        {"9 R 1\n3 R 1\n", "t.trace:2:1:"},
        {"0 R 0xZZ\n", "t.trace:1:5:"},
        {"0 R 12 13\n", "t.trace:1:8:"},
        {"0 R\n", "t.trace:1:4:"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(dr_trace_parse("t.trace", bad[i].text, &t, &e), -1);
        if (!strstr(e.msg, bad[i].want))
            fail_msg("'%s': message '%s' lacks '%s'", bad[i].text, e.msg, bad[i].want);
    }
}


/* memory.kind: device: an arch's off-chip memory bound to the DRAM model. */
static const char dev_arch[] = "name: t\n"
                               "clock_hz: 1e9\n"
                               "word_bytes: 2\n"
                               "energy: fusemax-45nm\n"
                               "units:\n"
                               "  a2:\n"
                               "    kind: array2d\n"
                               "    rows: 4\n"
                               "    cols: 8\n"
                               "    ops:\n"
                               "      mac: {cycles: 1, actions: {mac: 1}}\n"
                               "storage:\n"
                               "  gb: {kind: buffer, capacity_bytes: 1024, width_bits: 64, read_action: gb_read, "
                               "write_action: gb_write}\n"
                               "memory:\n"
                               "  name: dram\n"
                               "  kind: device\n"
                               "  spec: hbm2\n"
                               "  channels: 4\n"
                               "  read_action: dram_read\n"
                               "  write_action: dram_write\n";

static void test_memory_device_kind(void **state)
{
    (void)state;
    es_err e;
    mp_arch *a = sim_arch_parse("arch.yaml", dev_arch, &e);
    if (!a)
        fail_msg("%s", e.msg);
    assert_true(a->mem.kind == MP_MEM_DEVICE);
    assert_true(a->mem.bandwidth_Bps == 4 * 64 / 2e-9); /* 4 channels x 64 B per 2 ns */
    sim_comp c;
    assert_int_equal(sim_comp_bind(&c, "dram", a->mem.def, a, &a->mem, &e), 0);
    assert_ptr_equal(c.ops, &sim_dram_ops);
    dr_spec s;
    load("hbm2", &s);
    double stretch = (double)s.t.tREFI / (double)(s.t.tREFI - s.t.tRFC);
    /* sizes: one burst, a row per channel, large (simulated in full), very
     * large (extrapolated past 65536 bursts) */
    const double sizes[] = {64, 4 * 1024, 2 << 20, 64 << 20};
    for (size_t i = 0; i < 4; i++) {
        sp_op op = {0};
        op.bytes_rd = sizes[i];
        uint64_t busy = c.ops->service(&c, &op, 0);
        assert_int_equal(c.ops->service(&c, &op, 12345), busy); /* pure: a function of the op */
        double ideal = sizes[i] / a->mem.bandwidth_Bps * a->clock_hz; /* chip cycles at peak */
        if (busy + 1e-9 < ideal || busy > 1.25 * stretch * ideal + 8)
            fail_msg("%.0f B: %llu cycles, peak needs %.1f", sizes[i], (unsigned long long)busy, ideal);
    }
    /* the extrapolated figure agrees with a full command-level run */
    s.org.channels = 4;
    s.refresh = DR_REFRESH_NONE;
    dr_traffic tr = {DR_TRAFFIC_STREAM, (64 << 20) / 64, 1.0, 1, 0, NULL, 0};
    dr_run_result r;
    assert_int_equal(dr_run(&s, &tr, &r, &e), 0);
    sp_op op = {0};
    op.bytes_rd = 64 << 20;
    double busy = (double)c.ops->service(&c, &op, 0) / stretch;
    if (fabs(busy - (double)r.cycles) > 0.01 * (double)r.cycles)
        fail_msg("extrapolated %.0f cycles, full simulation %llu", busy, (unsigned long long)r.cycles);
    sim_comp_release(&c);
    mp_arch_free(a);
    /* a bad timing-set name is located at the arch's key */
    char *bad = strdup(dev_arch);
    memcpy(strstr(bad, "spec: hbm2"), "spec: hbm9", 10);
    assert_null(sim_arch_parse("arch.yaml", bad, &e));
    if (!strstr(e.msg, "arch.yaml:17:") || !strstr(e.msg, "memory.spec"))
        fail_msg("%s", e.msg);
    assert_non_null(strstr(e.msg, "memory.spec"));
    free(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bundled_specs),
        cmocka_unit_test(test_malformed_specs),
        cmocka_unit_test(test_checker_clean_on_traffic),
        cmocka_unit_test(test_checker_clean_on_adversarial),
        cmocka_unit_test(test_checker_catches_illegal),
        cmocka_unit_test(test_checker_catches_mutations),
        cmocka_unit_test(test_aim_mac_row),
        cmocka_unit_test(test_random_latency_closed_form),
        cmocka_unit_test(test_stream_peak),
        cmocka_unit_test(test_trace_errors),
        cmocka_unit_test(test_memory_device_kind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
