/* einsim run: model + arch (+ mapping) -> simulated latency, energy,
 * utilization (DESIGN §9).  Without --mapping the arch's bundled hand
 * mapping (mapper/mappings/ARCH.yaml) is resolved against the workload. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "cli.h"
#include "mapper/resolve.h"
#include "models/models.h"
#include "sim/sim.h"

static const char usage[] =
    "usage: einsim run --arch A --model M [--seq N | --seqs 512,77,1024] [--batch B]\n"
    "                  [--phase prefill|decode] [--scope attention|layer] [--mapping F]\n"
    "                  [--functional [--heads H] [--seed S]] [--full]\n"
    "                  [--json F] [--csv F] [--trace F]\n"
    "  Simulates the model's cascades on the architecture, cycle by cycle on the event\n"
    "  engine.  A and M are bundled names or paths.  --mapping F runs a mapping file\n"
    "  (einsim map -o F); default: the arch's bundled hand mapping.  --full disables\n"
    "  fast-forward (every tile simulated).  --functional computes every tile's values\n"
    "  and compares the attention output with golden (small sizes; --heads overrides\n"
    "  the model's head count).  --json - writes JSON to stdout, the summary to stderr.\n"
    "  --trace F: Chrome/Perfetto trace-event JSON of unit activity (first 200000 ops).\n";

int cmd_run(int argc, char **argv)
{
    cli_opt o[] = {{"arch", 1, 0},  {"model", 1, 0},   {"seq", 1, 0},        {"seqs", 1, 0},  {"batch", 1, 0},
                   {"phase", 1, 0}, {"scope", 1, 0},   {"mapping", 1, 0},    {"json", 1, 0},  {"csv", 1, 0},
                   {"trace", 1, 0}, {"full", 0, 0},    {"functional", 0, 0}, {"heads", 1, 0}, {"seed", 1, 0},
                   {NULL, 0, 0}};
    cli_parse(argc, argv, 1, o, NULL, 0, "run", usage);
    if (!cli_get(o, "arch") || !cli_get(o, "model"))
        es_fatal(ES_EXIT_BADINPUT, "run: --arch and --model are required (see 'einsim run --help')");
    if (cli_get(o, "seq") && cli_get(o, "seqs"))
        es_fatal(ES_EXIT_BADINPUT, "run: give --seq or --seqs, not both");
    es_err e;
    mp_arch *a = mp_arch_load(cli_get(o, "arch"), &e);
    if (!a)
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    md_model model;
    if (md_model_load(cli_get(o, "model"), &model, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    if (cli_get(o, "heads")) {
        model.n_heads = cli_int(o, "heads", 1, 1, 1024);
        model.n_kv_heads = model.n_heads;
    }
    md_run run;
    md_run_init(&run);
    run.scope = MD_SCOPE_ATTENTION;
    const char *s;
    if ((s = cli_get(o, "scope")) && md_scope_parse(s, &run.scope, &e))
        es_fatal(ES_EXIT_BADINPUT, "run: --scope: %s", e.msg);
    if ((s = cli_get(o, "phase")) && md_phase_parse(s, &run.phase, &e))
        es_fatal(ES_EXIT_BADINPUT, "run: --phase: %s", e.msg);
    run.batch = cli_int(o, "batch", 1, 1, (int64_t)1 << 20);
    run.seq = cli_int(o, "seq", 1024, 1, (int64_t)1 << 30);
    int64_t seqs[SIM_REP_SEQS];
    int nseqs = 0;
    if ((s = cli_get(o, "seqs"))) {
        nseqs = cli_int_list("seqs", s, seqs, SIM_REP_SEQS);
        run.seqs = seqs, run.n_seqs = nseqs, run.batch = nseqs;
    }
    md_workload w;
    if (md_expand(&model, &run, &w, &e)) {
        md_workload_free(&w);
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    }
    mp_mapping *tmpl = es_xcalloc(1, sizeof *tmpl), *m = es_xcalloc(1, sizeof *m);
    const char *mp = cli_get(o, "mapping") ? cli_get(o, "mapping") : a->name;
    if (mp_mapping_load(mp, tmpl, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    int skipped = 0;
    if (mp_resolve(a, tmpl, &w, m, &skipped, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);

    sim_run_opts ro;
    sim_run_opts_init(&ro);
    ro.fast_forward = !cli_flag(o, "full");
    ro.functional = cli_flag(o, "functional");
    ro.func_seed = (uint64_t)cli_int(o, "seed", 1, 0, INT64_MAX);
    sim_trace tr = {0};
    if (cli_get(o, "trace")) {
        sim_trace_init(&tr, SIM_TRACE_DEFAULT_CAP);
        ro.trace = &tr;
    }
    sim_report *r = es_xcalloc(1, sizeof *r);
    sim_report_init(r, "run");
    snprintf(r->arch, sizeof r->arch, "%s", a->name);
    snprintf(r->model, sizeof r->model, "%s", model.name);
    snprintf(r->phase, sizeof r->phase, "%s", md_phase_name(run.phase));
    snprintf(r->scope, sizeof r->scope, "%s", md_scope_name(run.scope));
    snprintf(r->schedule, sizeof r->schedule, "%s", cli_get(o, "mapping") ? cli_get(o, "mapping") : a->name);
    r->batch = run.batch;
    if (nseqs) {
        r->n_seqs = nseqs;
        memcpy(r->seqs, seqs, (size_t)nseqs * sizeof *seqs);
    } else {
        r->n_seqs = 1, r->seqs[0] = run.seq;
    }
    int rc = sim_run_mapping(a, m, &ro, r, &e);
    if (rc && !r->functional)
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    if (skipped)
        sim_report_extra(r, "instances_not_costed", skipped);
    const char *json = cli_get(o, "json");
    int json_stdout = json && !strcmp(json, "-");
    es_err we;
    if (json && sim_report_write_json(r, json, &we) < 0)
        es_fatal(ES_EXIT_BADINPUT, "%s", we.msg);
    const sim_report *rp = r;
    if (cli_get(o, "csv") && sim_report_write_csv(&rp, 1, cli_get(o, "csv"), &we) < 0)
        es_fatal(ES_EXIT_BADINPUT, "%s", we.msg);
    if (tr.enabled) {
        if (sim_trace_write(&tr, cli_get(o, "trace"), a->clock_hz, &we) < 0)
            es_fatal(ES_EXIT_BADINPUT, "%s", we.msg);
        sim_trace_free(&tr);
    }
    sim_report_text(r, json_stdout ? stderr : stdout);
    if (rc) /* functional mismatch: report written, then the error */
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    free(r), free(tmpl), free(m);
    md_workload_free(&w);
    mp_arch_free(a);
    return 0;
}
