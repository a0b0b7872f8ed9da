// sim/sc/array_tb.cpp: SystemC top (or, built with --cc, a plain C++ top)
// driving the Verilated systolic array (rtl/systolic_array.sv) with the fold
// stream the C simulator lowers a GEMM to (sim/array/systolic.h), and
// checking (a) every output bit-exact against golden's reference GEMM and
// (b) every fold's start and length exactly equal to the C timing model
// (`einsim gemm --timing native`).  Modes:
//   harness sweep                      the built-in shape sweep (make test)
//   harness check os|ws int8|bf16 M N K [seed]
//   harness serve                      pipe protocol of sim/array/rtl_link.h
//   harness bench os|ws M N K          RTL and C-model speed on one GEMM
// Built for one array size: ARRAY_R x ARRAY_C (Verilator -GR= -GC=).
#if VM_SC
#include <systemc.h>
#endif
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "Vsystolic_array.h"
#include "port_bits.h"
#include "harness.h"
#include "verilated.h"

extern "C" {
#include "golden/kernels.h"
#include "golden/numfmt.h"
#include "sim/array/systolic.h"
}

#ifndef ARRAY_R
#error "build with -DARRAY_R=.. -DARRAY_C=.. (the Verilator -GR/-GC of the model)"
#endif
static const int R = ARRAY_R, C = ARRAY_C;

// One Verilated array, stepped one clock cycle at a time.
struct Dut {
    bool rst = false, bf16 = false, ws = false, w_load = false;
    uint16_t a[R] = {};
    bool a_vld[R] = {}, a_first[R] = {};
    uint32_t v[C] = {};
    bool v_vld[C] = {};
    uint64_t edges = 0;
#if VM_SC
    Vsystolic_array m{"dut"};
    sc_signal<bool> clk, s_rst, s_bf16, s_ws, s_wload;
    sc_signal<PORT_T(m.a_in)> s_a_in;
    sc_signal<PORT_T(m.a_vld)> s_a_vld;
    sc_signal<PORT_T(m.a_first)> s_a_first;
    sc_signal<PORT_T(m.v_in)> s_v_in;
    sc_signal<PORT_T(m.v_vld)> s_v_vld;
    sc_signal<PORT_T(m.out_data)> s_out;
    sc_signal<PORT_T(m.out_vld)> s_out_vld;
    Dut()
    {
        m.clk(clk), m.rst(s_rst), m.bf16(s_bf16), m.ws(s_ws), m.w_load(s_wload);
        m.a_in(s_a_in), m.a_vld(s_a_vld), m.a_first(s_a_first), m.v_in(s_v_in), m.v_vld(s_v_vld);
        m.out_data(s_out), m.out_vld(s_out_vld);
        sc_start(SC_ZERO_TIME);
    }
#else
    VerilatedContext ctx;
    Vsystolic_array m{&ctx};
#endif
    void step()
    {
        PORT_T(m.a_in) ai{};
        PORT_T(m.a_vld) av{};
        PORT_T(m.a_first) af{};
        PORT_T(m.v_in) vi{};
        PORT_T(m.v_vld) vv{};
        for (int i = 0; i < R; i++) {
            put_bits(ai, 16 * i, 16, a[i]);
            put_bits(av, i, 1, a_vld[i]);
            put_bits(af, i, 1, a_first[i]);
        }
        for (int j = 0; j < C; j++) {
            put_bits(vi, 32 * j, 32, v[j]);
            put_bits(vv, j, 1, v_vld[j]);
        }
#if VM_SC
        s_rst = rst, s_bf16 = bf16, s_ws = ws, s_wload = w_load;
        s_a_in = ai, s_a_vld = av, s_a_first = af, s_v_in = vi, s_v_vld = vv;
        sc_start(1, SC_NS); // inputs settle while the clock is low
        harness_edge(clk);
#else
        m.rst = rst, m.bf16 = bf16, m.ws = ws, m.w_load = w_load;
        m.a_in = ai, m.a_vld = av, m.a_first = af, m.v_in = vi, m.v_vld = vv;
        m.clk = 0;
        m.eval();
        harness_edge(m, ctx);
#endif
        edges++;
    }
    bool out_vld(int j)
    {
#if VM_SC
        return get_bits(s_out_vld.read(), j, 1);
#else
        return get_bits(m.out_vld, j, 1);
#endif
    }
    uint32_t out(int j)
    {
#if VM_SC
        return (uint32_t)get_bits(s_out.read(), 32 * j, 32);
#else
        return (uint32_t)get_bits(m.out_data, 32 * j, 32);
#endif
    }
    void idle()
    {
        w_load = false;
        for (int i = 0; i < R; i++)
            a_vld[i] = a_first[i] = false;
        for (int j = 0; j < C; j++)
            v_vld[j] = false;
    }
    void reset()
    {
        idle();
        rst = true;
        step();
        step();
        rst = false;
    }
    void finish() { m.final(); }
};

// A GEMM's operands (as bit patterns: int8 in the low byte, or bf16) and
// the RTL's results.
struct Gemm {
    int M, N, K;
    bool ws, bf16;
    std::vector<uint16_t> A, B;   // M x K, K x N
    std::vector<uint32_t> out;    // M x N (int32 or fp32 bits)
    std::vector<uint64_t> out_cycle;
    std::vector<int> out_fold;
};

static float value_of(const Gemm &g, uint16_t x)
{
    return g.bf16 ? gd_bf16_to_f32(x) : (float)(int8_t)(x & 0xFF);
}

static void fill_random(Gemm &g, unsigned seed)
{
    std::mt19937 rng(seed);
    auto gen = [&]() -> uint16_t {
        if (!g.bf16)
            return (uint16_t)(rng() & 0xFF);
        uint32_t u = rng();
        uint16_t s = (uint16_t)((u & 1) << 15), m = (uint16_t)((u >> 1) & 0x7F);
        switch ((u >> 8) % 64) {
        case 0: return s;                                   // signed zero
        case 1: return (uint16_t)(s | m);                   // bf16 subnormal
        case 2: return (uint16_t)(s | (1 + (u >> 16) % 12) << 7 | m); // tiny: products underflow fp32
        default: return (uint16_t)(s | (118 + (u >> 16) % 18) << 7 | m);
        }
    };
    g.A.resize((size_t)g.M * g.K);
    g.B.resize((size_t)g.K * g.N);
    for (auto &x : g.A)
        x = gen();
    for (auto &x : g.B)
        x = gen();
    g.out.assign((size_t)g.M * g.N, 0);
    g.out_cycle.assign((size_t)g.M * g.N, 0);
    g.out_fold.assign((size_t)g.M * g.N, -1);
}

static char msg[1024];

// Run fold `f` (row-fold fi, col-fold fj, r x c PEs, streaming t) starting
// at the next edge.  Returns the fold's cycles (first input edge to the edge
// that puts its last output on the port, inclusive), or 0 with msg set.
static uint64_t run_fold(Dut &d, Gemm &g, int f, int fi, int fj, int r, int c, int t)
{
    const uint64_t t0 = d.edges;
    const uint64_t limit = 4ull * (uint64_t)(R + C + t) + 64; // a hang is an error
    d.bf16 = g.bf16;
    d.ws = g.ws;
    uint64_t last = 0;
    if (!g.ws) { // OS: rows <- M, cols <- N, T = K
        int m0 = fi * R, n0 = fj * C, got = 0;
        for (uint64_t s = 0; got < R; s++) {
            d.idle();
            for (int i = 0; i < r; i++) {
                long k = (long)s - i;
                if (k >= 0 && k < t) {
                    d.a[i] = g.A[(size_t)(m0 + i) * g.K + k];
                    d.a_vld[i] = true, d.a_first[i] = k == 0;
                }
            }
            for (int j = 0; j < c; j++) {
                long k = (long)s - j;
                if (k >= 0 && k < t)
                    d.v[j] = g.B[(size_t)k * g.N + n0 + j], d.v_vld[j] = true;
            }
            d.step();
            if (d.out_vld(0)) { // the drain: rows leave bottom first
                int row = R - 1 - got++;
                for (int j = 0; j < c && row < r; j++) {
                    size_t o = (size_t)(m0 + row) * g.N + n0 + j;
                    g.out[o] = d.out(j), g.out_cycle[o] = d.edges - 1, g.out_fold[o] = f;
                }
                last = d.edges - 1;
            }
            if (s > limit) {
                snprintf(msg, sizeof msg, "fold %d (%dx%d) cycle %" PRIu64 ": signal out_vld: no drain after %" PRIu64
                         " cycles (expected %d rows)", f, r, c, d.edges - 1, s, R);
                return 0;
            }
        }
    } else { // WS: rows <- K, cols <- N, T = M; weights B, streamed A
        int k0 = fi * R, n0 = fj * C;
        std::vector<int> got(c, 0);
        int done = 0;
        for (int s = 0; s < r; s++) { // weight rows, row r-1 first
            d.idle();
            d.w_load = true;
            for (int j = 0; j < c; j++)
                d.v[j] = g.B[(size_t)(k0 + r - 1 - s) * g.N + n0 + j];
            d.step();
        }
        for (uint64_t s = 0; done < c; s++) {
            d.idle();
            for (int i = 0; i < r; i++) {
                long m = (long)s - i;
                if (m >= 0 && m < t)
                    d.a[i] = g.A[(size_t)m * g.K + k0 + i], d.a_vld[i] = true;
            }
            for (int j = 0; j < c; j++) {
                long m = (long)s - j;
                if (m >= 0 && m < t) // previous K-fold's partial sum (or +0)
                    d.v[j] = fi ? g.out[(size_t)m * g.N + n0 + j] : 0, d.v_vld[j] = true;
            }
            d.step();
            for (int j = 0; j < c; j++)
                if (d.out_vld(j) && got[j] < t) {
                    size_t o = (size_t)got[j]++ * g.N + n0 + j;
                    g.out[o] = d.out(j), g.out_cycle[o] = d.edges - 1, g.out_fold[o] = f;
                    last = d.edges - 1;
                    if (got[j] == t)
                        done++;
                }
            if (s > limit) {
                snprintf(msg, sizeof msg, "fold %d (%dx%d) cycle %" PRIu64 ": signal out_vld: %d of %d columns "
                         "complete after %" PRIu64 " cycles", f, r, c, d.edges - 1, done, c, s);
                return 0;
            }
        }
    }
    d.idle();
    return last - t0 + 1;
}

struct CFold {
    uint64_t start, dur;
    int64_t r, c;
};
static void on_fold(void *ctx, uint64_t start, uint64_t dur, int64_t r, int64_t c)
{
    static_cast<std::vector<CFold> *>(ctx)->push_back({start, dur, r, c});
}

// The C simulator's fold stream for g (every fold, no fast-forward).
static sa_result c_model(const Gemm &g, std::vector<CFold> &folds)
{
    sa_gemm sg{};
    sg.R = R, sg.C = C, sg.M = g.M, sg.N = g.N, sg.K = g.K;
    sg.df = g.ws ? SA_WS : SA_OS;
    sg.timing = SA_TIMING_NATIVE;
    sg.fast_forward = 0;
    sa_result res;
    es_err e;
    if (sa_simulate(&sg, &res, on_fold, &folds, &e) < 0) {
        fprintf(stderr, "harness: %s\n", e.msg);
        exit(2);
    }
    return res;
}

// Drive the RTL with the C model's fold stream; compare timing fold by fold
// and values against golden.  Returns 0 (pass) or 1 with msg set.
static int run_gemm(Dut &d, Gemm &g, uint64_t *rtl_cycles)
{
    std::vector<CFold> folds;
    sa_result res = c_model(g, folds);
    int fc = (g.N + C - 1) / C; // cols <- N in both dataflows
    uint64_t base = d.edges;
    for (size_t f = 0; f < folds.size(); f++) {
        const CFold &cf = folds[f];
        int fi = (int)f / fc, fj = (int)f % fc;
        uint64_t start = d.edges - base;
        uint64_t dur = run_fold(d, g, (int)f, fi, fj, (int)cf.r, (int)cf.c, g.ws ? g.M : g.K);
        if (!dur)
            return 1;
        if (start != cf.start || dur != cf.dur) {
            snprintf(msg, sizeof msg, "fold %zu (%lldx%lld) cycle %" PRIu64 ": signal out_vld: RTL fold starts at "
                     "%" PRIu64 " and takes %" PRIu64 " cycles; C model (--timing native) starts at %" PRIu64
                     " and takes %" PRIu64, f, (long long)cf.r, (long long)cf.c, start + dur - 1, start, dur,
                     cf.start, cf.dur);
            return 1;
        }
    }
    *rtl_cycles = d.edges - base;
    if (*rtl_cycles != res.cycles) {
        snprintf(msg, sizeof msg, "total: RTL %" PRIu64 " cycles, C model %" PRIu64, *rtl_cycles, res.cycles);
        return 1;
    }
    std::vector<float> Af(g.A.size()), Bf(g.B.size()), Cf((size_t)g.M * g.N);
    for (size_t i = 0; i < g.A.size(); i++)
        Af[i] = value_of(g, g.A[i]);
    for (size_t i = 0; i < g.B.size(); i++)
        Bf[i] = value_of(g, g.B[i]);
    gd_gemm_ref(g.M, g.N, g.K, Af.data(), Bf.data(), Cf.data(), 0);
    for (int m = 0; m < g.M; m++)
        for (int n = 0; n < g.N; n++) {
            size_t o = (size_t)m * g.N + n;
            uint32_t want;
            if (g.bf16)
                memcpy(&want, &Cf[o], 4);
            else
                want = (uint32_t)(int32_t)Cf[o]; // exact: |C| <= K * 2^14 <= 2^24
            if (g.out[o] != want) {
                int f = g.out_fold[o];
                snprintf(msg, sizeof msg, "fold %d cycle %" PRIu64 ": signal out_data[%d] (C[%d][%d]): expected "
                         "0x%08x (golden), got 0x%08x", f, g.out_cycle[o] - base, (n % C), m, n, want, g.out[o]);
                return 1;
            }
        }
    return 0;
}

static int check(Dut &d, bool ws, bool bf16, int M, int N, int K, unsigned seed)
{
    Gemm g{M, N, K, ws, bf16, {}, {}, {}, {}, {}};
    fill_random(g, seed);
    uint64_t cyc = 0;
    int bad = run_gemm(d, g, &cyc);
    printf("%s %s %s M=%d N=%d K=%d on %dx%d: %" PRIu64 " cycles%s%s\n", bad ? "FAIL" : "PASS", ws ? "ws" : "os",
           bf16 ? "bf16" : "int8", M, N, K, R, C, cyc, bad ? ": " : "", bad ? msg : "");
    return bad;
}

static int serve(Dut &d)
{
    printf("einsim-rtl array2d %d %d\n", R, C);
    fflush(stdout);
    char line[256], df[8];
    long long r, c, t;
    unsigned n = 0;
    while (fgets(line, sizeof line, stdin)) {
        if (sscanf(line, "fold %7s %lld %lld %lld", df, &r, &c, &t) != 4 || (strcmp(df, "os") && strcmp(df, "ws"))) {
            printf("error bad request '%.60s'; expected 'fold os|ws r c t'\n", line);
        } else if (r < 1 || r > R || c < 1 || c > C || t < 1 || t > (1 << 20)) {
            printf("error fold %lldx%lld streaming %lld does not fit the %dx%d RTL array (t at most %d)\n", r, c, t,
                   R, C, 1 << 20);
        } else {
            bool ws = !strcmp(df, "ws");
            // One fold alone: a GEMM the size of the fold, bf16 operands.
            Gemm g{ws ? (int)t : (int)r, (int)c, ws ? (int)r : (int)t, ws, true, {}, {}, {}, {}, {}};
            fill_random(g, ++n);
            uint64_t cyc = 0;
            if (run_gemm(d, g, &cyc))
                printf("error %s\n", msg);
            else
                printf("cycles %" PRIu64 "\n", cyc);
        }
        fflush(stdout);
    }
    return 0;
}

static int bench(Dut &d, bool ws, int M, int N, int K)
{
    Gemm g{M, N, K, ws, true, {}, {}, {}, {}, {}};
    fill_random(g, 7);
    uint64_t cyc = 0;
    auto t0 = harness_now();
    int bad = run_gemm(d, g, &cyc);
    double rtl_s = harness_seconds_since(t0);
    // The C model on the same fold stream, repeated to a measurable time.
    std::vector<CFold> folds;
    int reps = 0;
    auto t1 = harness_now();
    double c_s = 0;
    do {
        folds.clear();
        c_model(g, folds);
        reps++;
        c_s = harness_seconds_since(t1);
    } while (c_s < 0.2);
    printf("array2d %dx%d %s %s M=%d N=%d K=%d: %" PRIu64 " cycles; RTL %.3f s = %.3g cycles/s; "
           "C model %.3g cycles/s (%.3g x)%s\n",
           R, C, VM_SC ? "--sc" : "--cc", ws ? "ws" : "os", M, N, K, cyc, rtl_s, (double)cyc / rtl_s,
           (double)cyc * reps / c_s, ((double)cyc * reps / c_s) / ((double)cyc / rtl_s), bad ? " (MISMATCH)" : "");
    return bad;
}

static int usage()
{
    fprintf(stderr, "usage: harness sweep | check os|ws int8|bf16 M N K [seed] | serve | bench os|ws M N K\n");
    return 2;
}

HARNESS_MAIN
{
#if VM_SC
    sc_report_handler::set_actions("/OSCI/SystemC", SC_INFO, SC_DO_NOTHING);
#endif
    if (argc < 2)
        return usage();
    Dut d;
    d.reset();
    int rc = 0;
    std::string mode = argv[1];
    if (mode == "sweep") {
        // Shapes: exact multiples of the array, every kind of partial fold
        // (rows, cols, both), one row/col/k, and a long stream.
        const int shapes[][3] = {{R, C, 5},         {2 * R, 3 * C, 7},    {R + 1, C - 1, 3}, {1, 1, 1},
                                 {3 * R - 1, 2 * C + 1, 4}, {R - 1, 1, 2 * R + 1}, {5, 7, 13}, {2, 2 * C + 3, 33}};
        int n = 0;
        for (auto &s : shapes)
            for (int ws = 0; ws < 2; ws++)
                for (int bf = 0; bf < 2; bf++)
                    rc |= check(d, ws, bf, s[0], s[1], s[2], (unsigned)(++n));
    } else if (mode == "check" && argc >= 7) {
        rc = check(d, !strcmp(argv[2], "ws"), !strcmp(argv[3], "bf16"), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]),
                   argc > 7 ? (unsigned)atoi(argv[7]) : 1u);
    } else if (mode == "serve") {
        rc = serve(d);
    } else if (mode == "bench" && argc >= 6) {
        rc = bench(d, !strcmp(argv[2], "ws"), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    } else {
        rc = usage();
    }
    harness_write_coverage();
    d.finish();
    return rc;
}
