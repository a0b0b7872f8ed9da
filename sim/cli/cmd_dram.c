/* einsim dram: the command-level memory system alone (sim/dram). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "golden/base/err.h"
#include "cli.h"
#include "sim/dram/traffic.h"
#include "sim/report/report.h"

static const char usage[] =
    "usage: einsim dram --spec NAME|FILE --traffic stream|random|FILE [--requests N] [--read-ratio R]\n"
    "                   [--seed S] [--outstanding K] [--no-check] [--json F]\n"
    "  Runs N requests (default 100000; a trace file gives its own) through the DRAM timing set\n"
    "  (bundled: ddr4, gddr6, gddr6-aim, hbm2, hbm3; or a .yaml file) and checks the issued\n"
    "  command stream with the independent timing checker.  stream: consecutive bursts;\n"
    "  random: uniform burst addresses.  --read-ratio: fraction of reads (default 1).\n"
    "  --outstanding K: at most K requests in flight (each next one arrives when one completes);\n"
    "  default: as many as the controller queues take.  Trace format: docs/dram.md.\n"
    "  Exit 3 if the checker finds a timing violation (a simulator bug).\n";

static cJSON *num(cJSON *o, const char *k, double v)
{
    return cJSON_AddNumberToObject(o, k, v);
}

int cmd_dram(int argc, char **argv)
{
    cli_opt o[] = {{"spec", 1, 0},        {"traffic", 1, 0},  {"requests", 1, 0}, {"read-ratio", 1, 0},
                   {"seed", 1, 0},        {"outstanding", 1, 0}, {"no-check", 0, 0}, {"json", 1, 0},
                   {NULL, 0, 0}};
    cli_parse(argc, argv, 1, o, NULL, 0, "dram", usage);
    if (!cli_get(o, "spec"))
        es_fatal(ES_EXIT_BADINPUT, "dram: missing --spec (see 'einsim dram --help')");
    if (!cli_get(o, "traffic"))
        es_fatal(ES_EXIT_BADINPUT, "dram: missing --traffic stream|random|FILE");
    es_err e;
    dr_spec s;
    if (dr_spec_load(cli_get(o, "spec"), &s, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    dr_traffic tr = {0};
    dr_trace trace = {0};
    const char *tf = cli_get(o, "traffic");
    if (!strcmp(tf, "stream"))
        tr.kind = DR_TRAFFIC_STREAM;
    else if (!strcmp(tf, "random"))
        tr.kind = DR_TRAFFIC_RANDOM;
    else {
        tr.kind = DR_TRAFFIC_TRACE;
        if (dr_trace_load(tf, &trace, &e))
            es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
        if (cli_get(o, "requests") || cli_get(o, "read-ratio"))
            es_fatal(ES_EXIT_BADINPUT, "dram: --requests and --read-ratio apply to stream and random traffic, not to a trace file");
        tr.trace = &trace;
    }
    tr.requests = (uint64_t)cli_int(o, "requests", 100000, 1, (int64_t)1 << 40);
    tr.read_ratio = cli_double(o, "read-ratio", 1.0);
    if (!(tr.read_ratio >= 0 && tr.read_ratio <= 1))
        es_fatal(ES_EXIT_BADINPUT, "dram: --read-ratio: expected a fraction in [0, 1], got '%s'", cli_get(o, "read-ratio"));
    tr.seed = (uint64_t)cli_int(o, "seed", 1, 0, INT64_MAX);
    tr.outstanding = (int)cli_int(o, "outstanding", 0, 0, 1 << 20);
    tr.check = !cli_flag(o, "no-check");

    dr_run_result r;
    /* wall and CPU time: on a shared machine the CPU time is the fairer speed */
    struct timespec t0, t1, c0, c1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    if (dr_run(&s, &tr, &r, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    double cpu = (double)(c1.tv_sec - c0.tv_sec) + 1e-9 * (double)(c1.tv_nsec - c0.tv_nsec);
    if (sim_report_reproducible())
        wall = cpu = 0;
    dr_trace_free(&trace);

    const dr_stats *st = &r.st;
    double secs = (double)r.cycles * s.tck_ns * 1e-9;
    double bytes = (double)(st->bytes_read + st->bytes_written);
    uint64_t served = st->row_hits + st->row_misses + st->row_conflicts;
    double hit = served ? (double)st->row_hits / (double)served : 0;
    double energy = s.e.form == DR_ENERGY_IDD ? st->energy_idd_pj : st->energy_pjbit_pj;
    double lat = st->reads_done ? (double)st->read_latency_sum / (double)st->reads_done : 0;
    double ch_cycles = (double)r.cycles * s.org.channels;

    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "spec", s.name);
    cJSON_AddStringToObject(j, "traffic", tr.kind == DR_TRAFFIC_TRACE ? "file" : tf);
    num(j, "cycles", (double)r.cycles);
    num(j, "latency_s", secs);
    num(j, "energy_pj", energy);
    cJSON *d = cJSON_AddObjectToObject(j, "dram");
    num(d, "tck_ns", s.tck_ns);
    num(d, "channels", s.org.channels);
    num(d, "requests", (double)(st->reads_done + st->writes_done));
    num(d, "bytes_read", (double)st->bytes_read);
    num(d, "bytes_written", (double)st->bytes_written);
    num(d, "peak_bytes_per_s", dr_peak_bytes_per_s(&s));
    num(d, "achieved_bytes_per_s", secs > 0 ? bytes / secs : 0);
    num(d, "row_hit_rate", hit);
    num(d, "row_hits", (double)st->row_hits);
    num(d, "row_misses", (double)st->row_misses);
    num(d, "row_conflicts", (double)st->row_conflicts);
    num(d, "read_latency_mean_cycles", lat);
    num(d, "read_latency_max_cycles", (double)st->read_latency_max);
    cJSON *c = cJSON_AddObjectToObject(d, "commands");
    for (int k = 0; k < DR_NCMD; k++)
        num(c, dr_cmd_name((dr_cmd_kind)k), (double)st->cmds[k]);
    if (r.checked)
        num(d, "timing_violations", (double)r.violations);
    else
        cJSON_AddNullToObject(d, "timing_violations");
    cJSON_AddStringToObject(d, "energy_form", s.e.form == DR_ENERGY_IDD ? "idd" : "pjbit");
    num(d, "energy_idd_pj", st->energy_idd_pj);
    num(d, "energy_pjbit_pj", st->energy_pjbit_pj);
    cJSON *sim = cJSON_AddObjectToObject(j, "simulation");
    num(sim, "wall_s", wall);
    num(sim, "cpu_s", cpu);
    num(sim, "commands", (double)r.commands);
    num(sim, "channel_cycles", ch_cycles);
    num(sim, "channel_cycles_per_s", wall > 0 ? ch_cycles / wall : 0);
    num(sim, "commands_per_s", wall > 0 ? (double)r.commands / wall : 0);
    num(sim, "channel_cycles_per_cpu_s", cpu > 0 ? ch_cycles / cpu : 0);
    const char *json = cli_get(o, "json");
    if (json)
        cli_write_json(j, json);
    cJSON_Delete(j);

    FILE *fp = json && !strcmp(json, "-") ? stderr : stdout;
    fprintf(fp, "dram %s, %s traffic: %llu requests in %llu cycles (%.4g s)\n", s.name,
            tr.kind == DR_TRAFFIC_TRACE ? "file" : tf, (unsigned long long)(st->reads_done + st->writes_done),
            (unsigned long long)r.cycles, secs);
    fprintf(fp, "  bandwidth %.4g GB/s of %.4g GB/s peak (%.1f %%), row hit rate %.1f %%\n", secs > 0 ? bytes / secs / 1e9 : 0,
            dr_peak_bytes_per_s(&s) / 1e9, secs > 0 ? 100 * bytes / secs / dr_peak_bytes_per_s(&s) : 0, 100 * hit);
    fprintf(fp, "  read latency mean %.2f cycles, max %llu\n", lat, (unsigned long long)st->read_latency_max);
    fprintf(fp, "  energy %.4g pJ (%s form; IDD %.4g pJ, pJ/bit %.4g pJ)\n", energy,
            s.e.form == DR_ENERGY_IDD ? "IDD" : "pJ/bit", st->energy_idd_pj, st->energy_pjbit_pj);
    fprintf(fp, "  commands:");
    for (int k = 0; k < DR_NCMD; k++)
        if (st->cmds[k])
            fprintf(fp, " %s %llu", dr_cmd_name((dr_cmd_kind)k), (unsigned long long)st->cmds[k]);
    fprintf(fp, "\n");
    if (r.checked)
        fprintf(fp, "  timing checker: %zu violation%s\n", r.violations, r.violations == 1 ? "" : "s");
    if (r.violations) {
        for (size_t i = 0; i < r.violations && i < 4; i++)
            fprintf(stderr, "einsim: timing violation %s: %s\n", r.first[i].constraint, r.first[i].what);
        return ES_EXIT_INTERNAL;
    }
    return 0;
}
