/* einsim gemm: one GEMM on a systolic array, simulated fold by fold
 * (sim/array/systolic.h), native or SCALE-Sim timing. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "golden/base/err.h"
#include "cli.h"
#include "sim/array/rtl_link.h"
#include "sim/array/systolic.h"
#include "sim/report/report.h"

static const char usage[] =
    "usage: einsim gemm --rows R --cols C --dataflow os|ws|is --m M --n N --k K\n"
    "                   [--timing native|scalesim] [--full] [--rtl array2d] [--json F] [--csv F] [--trace F]\n"
    "  C[MxN] = A[MxK].B[KxN] on an R x C systolic array.  --timing scalesim reproduces\n"
    "  SCALE-Sim's stall-free cycle and utilization conventions; native is einsim's\n"
    "  (docs/cycles.md).  --full simulates every fold (no fast-forward of identical folds).\n"
    "  --json - writes the JSON report to stdout and the summary to stderr.\n"
    "  --rtl array2d: every fold's cycles come from the Verilated RTL array (make rtl),\n"
    "  which also checks its values against golden; the report is the native one (docs/rtl.md).\n";

typedef struct trace_ctx {
    sim_trace *t;
    int unit;
} trace_ctx;

static void on_fold(void *ctx, uint64_t start, uint64_t dur, int64_t r, int64_t c)
{
    trace_ctx *tc = ctx;
    char name[24];
    snprintf(name, sizeof name, "fold %lldx%lld", (long long)r, (long long)c);
    sim_trace_add(tc->t, tc->unit, name, start, dur);
}

int cmd_gemm(int argc, char **argv)
{
    cli_opt o[] = {{"rows", 1, 0}, {"cols", 1, 0}, {"dataflow", 1, 0}, {"m", 1, 0},    {"n", 1, 0},
                   {"k", 1, 0},    {"timing", 1, 0}, {"json", 1, 0},   {"csv", 1, 0}, {"trace", 1, 0},
                   {"full", 0, 0}, {"rtl", 1, 0},  {NULL, 0, 0}};
    cli_parse(argc, argv, 1, o, NULL, 0, "gemm", usage);
    const char *need[] = {"rows", "cols", "dataflow", "m", "n", "k"};
    for (size_t i = 0; i < sizeof need / sizeof *need; i++)
        if (!cli_get(o, need[i]))
            es_fatal(ES_EXIT_BADINPUT, "gemm: missing --%s (see 'einsim gemm --help')", need[i]);
    sa_gemm g = {0};
    const int64_t big = (int64_t)1 << 40;
    g.R = cli_int(o, "rows", 0, 1, 1 << 16);
    g.C = cli_int(o, "cols", 0, 1, 1 << 16);
    g.M = cli_int(o, "m", 0, 1, big);
    g.N = cli_int(o, "n", 0, 1, big);
    g.K = cli_int(o, "k", 0, 1, big);
    /* Products of the sizes (MACs, folds x fold cycles) are 64-bit counts. */
    const double lim = 4.0e18;
    if ((double)g.M * (double)g.N * (double)g.K > lim)
        es_fatal(ES_EXIT_BADINPUT, "gemm: --m x --n x --k = %.3g MACs; expected at most %.0e", (double)g.M * g.N * g.K,
                 lim);
    if (sa_parse_dataflow(cli_get(o, "dataflow"), &g.df) < 0)
        es_fatal(ES_EXIT_BADINPUT, "gemm: --dataflow: expected os, ws or is, got '%s'", cli_get(o, "dataflow"));
    const char *tm = cli_get(o, "timing");
    if (!tm || !strcmp(tm, "native"))
        g.timing = SA_TIMING_NATIVE;
    else if (!strcmp(tm, "scalesim"))
        g.timing = SA_TIMING_SCALESIM;
    else
        es_fatal(ES_EXIT_BADINPUT, "gemm: --timing: expected native or scalesim, got '%s'", tm);
    g.fast_forward = !cli_flag(o, "full");
    sa_rtl *rtl = NULL;
    es_err e;
    if (cli_get(o, "rtl")) {
        if (g.timing != SA_TIMING_NATIVE)
            es_fatal(ES_EXIT_BADINPUT, "gemm: --rtl replaces the native timing model; expected no --timing or --timing native");
        if (sa_rtl_open(cli_get(o, "rtl"), &g, &rtl, &e) < 0)
            es_fatal(ES_EXIT_BADINPUT, "gemm: %s", e.msg);
        g.fold_source = sa_rtl_fold_cycles;
        g.fold_ctx = rtl;
    }

    sim_trace tr = {0};
    trace_ctx tc = {&tr, 0};
    if (cli_get(o, "trace")) {
        sim_trace_init(&tr, SIM_TRACE_DEFAULT_CAP);
        tc.unit = sim_trace_unit(&tr, "array");
    }
    sa_result res;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int failed = sa_simulate(&g, &res, tr.enabled ? on_fold : NULL, &tc, &e) < 0;
    sa_rtl_close(rtl);
    if (failed)
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    clock_gettime(CLOCK_MONOTONIC, &t1);

    sim_report r;
    sim_report_init(&r, "gemm");
    snprintf(r.arch, sizeof r.arch, "systolic %lldx%lld %s (%s timing)", (long long)g.R, (long long)g.C,
             sa_dataflow_name(g.df), g.timing == SA_TIMING_SCALESIM ? "scalesim" : "native");
    snprintf(r.model, sizeof r.model, "gemm m%lld n%lld k%lld", (long long)g.M, (long long)g.N, (long long)g.K);
    snprintf(r.scope, sizeof r.scope, "gemm");
    snprintf(r.phase, sizeof r.phase, "n/a");
    snprintf(r.schedule, sizeof r.schedule, "%s", sa_dataflow_name(g.df));
    r.batch = 1;
    r.cycles = res.cycles;
    sim_rep_unit *u = sim_report_unit(&r, "array");
    /* busy: PE-cycles / PEs, so utilization = MACs / (R*C*cycles) */
    u->busy_cycles = res.busy_pe_cycles / (uint64_t)(g.R * g.C);
    snprintf(r.einsums[0].name, SIM_REP_NAME, "C");
    snprintf(r.einsums[0].unit, SIM_REP_NAME, "array");
    r.einsums[0].cycles = res.cycles;
    r.einsums[0].ops = res.macs;
    r.n_einsums = 1;
    sim_report_extra(&r, "folds", (double)res.folds);
    sim_report_extra(&r, "folds_simulated", (double)res.folds_simulated);
    sim_report_extra(&r, "macs", res.macs);
    sim_report_extra(&r, "overall_util", res.utilization);
    sim_report_extra(&r, "mapping_efficiency", res.mapping_eff);
    sim_report_extra(&r, "compute_util", res.compute_util);
    sim_report_extra(&r, "sram_a_reads", res.sram_a_reads);
    sim_report_extra(&r, "sram_b_reads", res.sram_b_reads);
    sim_report_extra(&r, "sram_c_writes", res.sram_c_writes);
    sim_report_finish(&r);
    u->utilization = res.utilization;
    r.wall_s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    r.simulated_cycles = res.simulated_cycles;
    r.fast_forwarded_cycles = res.fast_forwarded_cycles;
    r.events = res.events;

    const char *json = cli_get(o, "json");
    int json_stdout = json && !strcmp(json, "-");
    if (sim_report_write_all(&r, json, cli_get(o, "csv"), &tr, cli_get(o, "trace"), 0, &e) < 0)
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    sim_trace_free(&tr);
    sim_report_text(&r, json_stdout ? stderr : stdout);
    return 0;
}
