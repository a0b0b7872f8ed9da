// sim/sc/softmax_tb.cpp: SystemC top (or plain C++ with --cc) for the
// online-softmax unit (rtl/softmax_online.sv).  Streams rows of fp32 logits
// back to back and checks, per row: the max bit-exact against golden; the
// softmax it implies, exp(x - m) / d, against golden's online softmax
// (gd_softmax_online) within the bound of docs/rtl.md; and the row's cycles
// exactly 7n + 2 (docs/cycles.md).
//   harness sweep | harness bench N ROWS
#if VM_SC
#include <systemc.h>
#endif
#include <chrono>
#include <cfloat>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "Vsoftmax_online.h"
#include "harness.h"
#include "verilated.h"

extern "C" {
#include "golden/kernels.h"
}

struct Dut {
    bool rst = false, x_vld = false, x_last = false;
    uint32_t x = 0;
    uint64_t edges = 0;
#if VM_SC
    Vsoftmax_online m{"dut"};
    sc_signal<bool> clk, s_rst, s_vld, s_last, s_rdy, s_out_vld;
    sc_signal<uint32_t> s_x, s_m, s_d;
    Dut()
    {
        m.clk(clk), m.rst(s_rst), m.x(s_x), m.x_vld(s_vld), m.x_last(s_last), m.x_rdy(s_rdy);
        m.out_m(s_m), m.out_d(s_d), m.out_vld(s_out_vld);
        sc_start(SC_ZERO_TIME);
    }
    bool rdy() { return s_rdy.read(); } // before the edge (inputs applied)
    bool out_vld() { return s_out_vld.read(); }
    uint32_t out_m() { return s_m.read(); }
    uint32_t out_d() { return s_d.read(); }
    void apply()
    {
        s_rst = rst, s_x = x, s_vld = x_vld, s_last = x_last;
        sc_start(1, SC_NS);
    }
    void edge()
    {
        harness_edge(clk);
        edges++;
    }
#else
    VerilatedContext ctx;
    Vsoftmax_online m{&ctx};
    bool rdy() { return m.x_rdy; }
    bool out_vld() { return m.out_vld; }
    uint32_t out_m() { return m.out_m; }
    uint32_t out_d() { return m.out_d; }
    void apply()
    {
        m.rst = rst, m.x = x, m.x_vld = x_vld, m.x_last = x_last;
        m.clk = 0;
        m.eval();
    }
    void edge()
    {
        harness_edge(m, ctx);
        edges++;
    }
#endif
};

static float f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static uint32_t bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

// Feed rows back to back; returns the number of failures.
static int run_rows(Dut &d, const std::vector<std::vector<float>> &rows, bool quiet, double *worst)
{
    int bad = 0;
    size_t ri = 0, j = 0, outs = 0;
    uint64_t row_start = d.edges, limit = 0;
    for (auto &r : rows)
        limit += 7 * r.size() + 16;
    std::vector<uint64_t> starts(rows.size());
    while (outs < rows.size()) {
        d.x_vld = ri < rows.size();
        if (d.x_vld) {
            d.x = bits(rows[ri][j]);
            d.x_last = j + 1 == rows[ri].size();
        }
        d.apply();
        bool took = d.x_vld && d.rdy();
        if (took && j == 0)
            starts[ri] = d.edges;
        d.edge();
        if (took && ++j == rows[ri].size())
            ri++, j = 0;
        if (d.out_vld()) {
            const std::vector<float> &x = rows[outs];
            int n = (int)x.size();
            float m = -INFINITY;
            for (float v : x)
                m = v > m ? v : m;
            std::vector<float> y(n);
            gd_softmax_online(1, n, x.data(), y.data());
            float dr = f32(d.out_d());
            double err = 0;
            for (int k = 0; k < n; k++) {
                double yr = (double)expf(x[k] - f32(d.out_m())) / dr;
                if (y[k] >= FLT_MIN) // subnormal y has no relative precision to compare
                    err = fmax(err, fabs(yr - y[k]) / y[k]);
            }
            double bound = (2.0 * n + 16) * ldexp(1.0, -24);
            uint64_t cyc = d.edges - starts[outs];
            const char *why = nullptr;
            char buf[200];
            if (d.out_m() != bits(m)) {
                snprintf(buf, sizeof buf, "signal out_m: expected 0x%08x (golden max), got 0x%08x", bits(m), d.out_m());
                why = buf;
            } else if (!(err <= bound)) {
                snprintf(buf, sizeof buf, "signal out_d 0x%08x: softmax relative error %.3g > bound %.3g", d.out_d(),
                         err, bound);
                why = buf;
            } else if (cyc != 7ull * n + 2) {
                snprintf(buf, sizeof buf, "signal out_vld: row took %" PRIu64 " cycles, expected 7n + 2 = %d", cyc,
                         7 * n + 2);
                why = buf;
            }
            if (worst)
                *worst = fmax(*worst, err / bound);
            if (why)
                bad++;
            if (why || !quiet)
                printf("%s softmax row %zu n=%d: %" PRIu64 " cycles, max rel error %.3g (bound %.3g)%s%s (tile %zu, "
                       "cycle %" PRIu64 ")\n", why ? "FAIL" : "PASS", outs, n, cyc, err, bound, why ? ": " : "",
                       why ? why : "", outs, d.edges - 1 - row_start);
            outs++;
        }
        if (d.edges - row_start > limit) {
            printf("FAIL softmax: no output for row %zu after %" PRIu64 " cycles (signal out_vld)\n", outs,
                   d.edges - row_start);
            return bad + 1;
        }
    }
    return bad;
}

static std::vector<std::vector<float>> make_rows(unsigned seed, int count, int n_max)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::vector<std::vector<float>> rows;
    const int lens[] = {1, 2, 3, 7, 16, 64, 300};
    const float scales[] = {1.0f, 4.0f, 30.0f, 0.01f};
    for (int i = 0; i < count; i++) {
        int n = n_max ? n_max : lens[i % 7];
        std::vector<float> r(n);
        float s = scales[(i / 7) % 4];
        for (auto &v : r)
            v = nd(rng) * s;
        if (i % 5 == 3) // increasing: the max grows at every element (rescale each time)
            for (int k = 0; k < n; k++)
                r[k] = -50.0f + 0.37f * (float)k;
        rows.push_back(r);
    }
    return rows;
}

HARNESS_MAIN
{
    std::string mode = argc > 1 ? argv[1] : "";
    Dut d;
    d.rst = true;
    d.apply();
    d.edge();
    d.edge();
    d.rst = false;
    int rc = 0;
    if (mode == "sweep") {
        double worst = 0;
        rc = run_rows(d, make_rows(1, 56, 0), true, &worst);
        printf("%s softmax sweep: 56 rows of 1..300 elements, worst error %.2f of the bound\n", rc ? "FAIL" : "PASS",
               worst);
    } else if (mode == "bench" && argc > 3) {
        int n = atoi(argv[2]), count = atoi(argv[3]);
        auto rows = make_rows(2, count, n);
        uint64_t e0 = d.edges;
        auto t0 = harness_now();
        rc = run_rows(d, rows, true, nullptr);
        double s = harness_seconds_since(t0);
        char what[64];
        snprintf(what, sizeof what, "%d rows x %d", count, n);
        harness_bench_line("softmax", what, d.edges - e0, s);
    } else {
        fprintf(stderr, "usage: harness sweep | bench N ROWS\n");
        rc = 2;
    }
    harness_write_coverage();
    d.m.final();
    return rc;
}
