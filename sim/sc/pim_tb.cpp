// sim/sc/pim_tb.cpp: SystemC top (or plain C++ with --cc) for the PIM bank
// MAC unit (rtl/pim_mac.sv).  Streams dot products of n 256-bit columns back
// to back (one column per cycle) and checks each result: bit-exact against
// the unit's defined order (fp32 products, pairwise tree, then the running
// sum, computed here in C floats with golden's rounding), within golden's
// reference-GEMM bound (gd_gemm_fast_bound, docs/golden-numerics.md) of
// gd_gemm_ref, and out_vld exactly n + 2 cycles after the first column.
//   harness sweep | harness bench N DOTS
#if VM_SC
#include <systemc.h>
#endif
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "Vpim_mac.h"
#include "port_bits.h"
#include "harness.h"
#include "verilated.h"

extern "C" {
#include "golden/kernels.h"
#include "golden/numfmt.h"
}

struct Dut {
    bool rst = false, vld = false, first = false, last = false;
    uint16_t act[16] = {}, col[16] = {};
    uint64_t edges = 0;
#if VM_SC
    Vpim_mac m{"dut"};
    sc_signal<bool> clk, s_rst, s_vld, s_first, s_last, s_out_vld;
    sc_signal<PORT_T(m.act)> s_act;
    sc_signal<PORT_T(m.col)> s_col;
    sc_signal<uint32_t> s_out;
    Dut()
    {
        m.clk(clk), m.rst(s_rst), m.act(s_act), m.col(s_col), m.col_vld(s_vld), m.col_first(s_first);
        m.col_last(s_last), m.out(s_out), m.out_vld(s_out_vld);
        sc_start(SC_ZERO_TIME);
    }
    bool out_vld() { return s_out_vld.read(); }
    uint32_t out() { return s_out.read(); }
#else
    VerilatedContext ctx;
    Vpim_mac m{&ctx};
    bool out_vld() { return m.out_vld; }
    uint32_t out() { return m.out; }
#endif
    void step()
    {
        PORT_T(m.act) a{};
        PORT_T(m.col) c{};
        for (int l = 0; l < 16; l++)
            put_bits(a, 16 * l, 16, act[l]), put_bits(c, 16 * l, 16, col[l]);
#if VM_SC
        s_rst = rst, s_vld = vld, s_first = first, s_last = last, s_act = a, s_col = c;
        sc_start(1, SC_NS); // inputs settle while the clock is low
        harness_edge(clk);
#else
        m.rst = rst, m.col_vld = vld, m.col_first = first, m.col_last = last, m.act = a, m.col = c;
        m.clk = 0;
        m.eval();
        harness_edge(m, ctx);
#endif
        edges++;
    }
};

struct Dot {
    std::vector<uint16_t> x, w; // 16 n each
};

static uint16_t rand_bf16(std::mt19937 &rng)
{
    uint32_t u = rng();
    uint16_t s = (uint16_t)((u & 1) << 15), m = (uint16_t)((u >> 1) & 0x7F);
    if ((u >> 8) % 64 == 0)
        return s;
    return (uint16_t)(s | (120 + (u >> 16) % 14) << 7 | m);
}

// The unit's order in C floats: per column, fp32 products, pairwise tree;
// acc = +0, then acc = acc + tree per column.
static float tree_order(const Dot &d)
{
    float acc = 0.0f;
    size_t n = d.x.size() / 16;
    for (size_t c = 0; c < n; c++) {
        float lv[16];
        for (int l = 0; l < 16; l++)
            lv[l] = gd_bf16_to_f32(d.x[16 * c + l]) * gd_bf16_to_f32(d.w[16 * c + l]);
        for (int w = 8; w >= 1; w /= 2)
            for (int l = 0; l < w; l++)
                lv[l] = lv[2 * l] + lv[2 * l + 1];
        acc = acc + lv[0];
    }
    return acc;
}

static int run_dots(Dut &d, const std::vector<Dot> &dots, bool quiet)
{
    int bad = 0;
    size_t di = 0, col = 0, outs = 0;
    std::deque<uint64_t> firsts;
    uint64_t e0 = d.edges, limit = 64;
    for (auto &x : dots)
        limit += x.x.size() / 16 + 4;
    while (outs < dots.size()) {
        d.vld = di < dots.size();
        if (d.vld) {
            size_t n = dots[di].x.size() / 16;
            for (int l = 0; l < 16; l++)
                d.act[l] = dots[di].x[16 * col + l], d.col[l] = dots[di].w[16 * col + l];
            d.first = col == 0, d.last = col + 1 == n;
            if (col == 0)
                firsts.push_back(d.edges);
            if (++col == n)
                di++, col = 0;
        } else {
            d.first = d.last = false;
        }
        d.step();
        if (d.out_vld()) {
            const Dot &x = dots[outs];
            int K = (int)x.x.size();
            size_t n = (size_t)K / 16;
            float want = tree_order(x), ref = 0.0f;
            std::vector<float> a(K), b(K);
            double mag = 0;
            for (int k = 0; k < K; k++) {
                a[k] = gd_bf16_to_f32(x.x[k]), b[k] = gd_bf16_to_f32(x.w[k]);
                mag += fabs((double)a[k] * b[k]);
            }
            gd_gemm_ref(1, 1, K, a.data(), b.data(), &ref, 0);
            uint32_t wb, got = d.out();
            memcpy(&wb, &want, 4);
            float gotf;
            memcpy(&gotf, &got, 4);
            double bound = gd_gemm_fast_bound(K) * mag, dev = fabs((double)gotf - ref);
            uint64_t cyc = d.edges - firsts.front();
            firsts.pop_front();
            char why[200] = "";
            bool nan_ok = want != want && gotf != gotf; // NaN payloads are not compared
            if (got != wb && !nan_ok)
                snprintf(why, sizeof why, "signal out: expected 0x%08x (tree order), got 0x%08x", wb, got);
            else if (std::isfinite(want) && !(dev <= bound))
                snprintf(why, sizeof why, "signal out: |out - golden| = %.3g > bound %.3g", dev, bound);
            else if (cyc != n + 2)
                snprintf(why, sizeof why, "signal out_vld: %" PRIu64 " cycles, expected n + 2 = %zu", cyc, n + 2);
            if (why[0])
                bad++;
            if (why[0] || !quiet)
                printf("%s pim_mac dot %zu (tile) n=%zu columns: %" PRIu64 " cycles, |out - golden| %.3g (bound %.3g)"
                       "%s%s (cycle %" PRIu64 ")\n", why[0] ? "FAIL" : "PASS", outs, n, cyc, dev, bound,
                       why[0] ? ": " : "", why, d.edges - 1 - e0);
            outs++;
        }
        if (d.edges - e0 > limit) {
            printf("FAIL pim_mac: no out_vld for dot %zu after %" PRIu64 " cycles (signal out_vld)\n", outs,
                   d.edges - e0);
            return bad + 1;
        }
    }
    // drain: idle cycles so the next call starts clean
    d.vld = d.first = d.last = false;
    return bad;
}

static std::vector<Dot> make_dots(unsigned seed, int count, int n_fixed)
{
    std::mt19937 rng(seed);
    const int lens[] = {1, 2, 3, 5, 64, 1, 17};
    std::vector<Dot> v;
    for (int i = 0; i < count; i++) {
        int n = n_fixed ? n_fixed : lens[i % 7];
        Dot d;
        d.x.resize(16 * n), d.w.resize(16 * n);
        for (int k = 0; k < 16 * n; k++)
            d.x[k] = rand_bf16(rng), d.w[k] = rand_bf16(rng);
        v.push_back(d);
    }
    return v;
}

// Dot products with IEEE special values (one column each): inf and NaN
// operands, inf - inf, 0 x inf, products and sums that overflow, and
// products that underflow into fp32 subnormals or to zero.
static std::vector<Dot> special_dots()
{
    const uint16_t INF = 0x7F80, NINF = 0xFF80, QNAN = 0x7FC1, MAX = 0x7F7F, ONE = 0x3F80, TINY = 0x0001;
    const uint16_t cases[][4] = {{INF, ONE, ONE, ONE},   {QNAN, ONE, ONE, ONE}, {ONE, QNAN, ONE, ONE},
                                 {INF, ONE, NINF, ONE},  {INF, 0, ONE, ONE},    {0, NINF, ONE, ONE},
                                 {MAX, MAX, ONE, ONE},   {MAX, ONE, MAX, ONE},  {TINY, TINY, ONE, 0},
                                 {0x0080, 0x0C00, ONE, 0}, {0x8000, ONE, 0x8000, ONE}, {NINF, NINF, ONE, ONE}};
    std::vector<Dot> v;
    for (auto &c : cases) {
        Dot d;
        d.x.assign(16, 0), d.w.assign(16, 0);
        d.x[0] = c[0], d.w[0] = c[1], d.x[1] = c[2], d.w[1] = c[3];
        d.x[5] = 0x3F00, d.w[5] = 0x4000; // one ordinary product in another subtree
        v.push_back(d);
    }
    return v;
}

HARNESS_MAIN
{
    std::string mode = argc > 1 ? argv[1] : "";
    Dut d;
    d.rst = true;
    d.step();
    d.step();
    d.rst = false;
    int rc = 0;
    if (mode == "sweep") {
        rc = run_dots(d, make_dots(1, 70, 0), true);
        rc |= run_dots(d, special_dots(), true);
        printf("%s pim_mac sweep: 70 dot products of 1..64 columns, 12 with IEEE special values\n",
               rc ? "FAIL" : "PASS");
    } else if (mode == "bench" && argc > 3) {
        int n = atoi(argv[2]), count = atoi(argv[3]);
        auto dots = make_dots(2, count, n);
        uint64_t e0 = d.edges;
        auto t0 = harness_now();
        rc = run_dots(d, dots, true);
        double s = harness_seconds_since(t0);
        char what[64];
        snprintf(what, sizeof what, "%d dots x %d columns", count, n);
        harness_bench_line("pim_mac", what, d.edges - e0, s);
    } else {
        fprintf(stderr, "usage: harness sweep | bench N DOTS\n");
        rc = 2;
    }
    harness_write_coverage();
    d.m.final();
    return rc;
}
