/* einsim run: model + arch (+ mapping) -> simulated latency, energy,
 * utilization (DESIGN §9).  Without --mapping the arch's bundled hand
 * mapping (mapper/mappings/ARCH.yaml) is resolved against the workload. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/err.h"
#include "cli.h"
#include "mapper/resolve.h"
#include "models/models.h"
#include "runopts.h"
#include "sim/sim.h"

static const char usage[] =
    "usage: einsim run --arch A --model M [--seq N | --seqs 512,77,1024 | --prompt P] [--batch B]\n"
    "                  [--phase prefill|decode [--gen G]] [--scope attention|layer|model] [--mapping F]\n"
    "                  [--functional [--heads H] [--seed S]] [--full]\n"
    "                  [--json F] [--csv F] [--trace F]\n"
    "  Simulates the model's cascades on the architecture, cycle by cycle on the event\n"
    "  engine.  A and M are bundled names or paths.  --mapping F runs a mapping file\n"
    "  (einsim map -o F); default: the arch's bundled hand mapping.  --full disables\n"
    "  fast-forward (every tile simulated).  --functional computes every tile's values\n"
    "  and compares the attention output with golden (small sizes; --heads overrides\n"
    "  the model's head count).  --json - writes JSON to stdout, the summary to stderr.\n"
    "  --trace F: Chrome/Perfetto trace-event JSON of unit activity (first 200000 ops).\n"
    "  Lengths need not divide the tiles (the last tile is partial).  --seqs: one\n"
    "  length per request.  Decode: --seq/--prompt is the cache length before the\n"
    "  first step, --gen the tokens generated per request (one attention instance\n"
    "  per cache length).  Norms, residuals and activations run only where the\n"
    "  mapping has a template for them (tpu: yes; the FuseMax archs: skipped).\n";

int cmd_run(int argc, char **argv)
{
    cli_opt o[] = {{"arch", 1, 0},  {"model", 1, 0},      {"mapping", 1, 0}, {"json", 1, 0},
                   {"csv", 1, 0},   {"trace", 1, 0},      {"full", 0, 0},    {"functional", 0, 0},
                   {"heads", 1, 0}, {"seed", 1, 0},       CLI_RUN_OPTS,      {NULL, 0, 0}};
    cli_parse(argc, argv, 1, o, NULL, 0, "run", usage);
    if (!cli_get(o, "arch") || !cli_get(o, "model"))
        es_fatal(ES_EXIT_BADINPUT, "run: --arch and --model are required (see 'einsim run --help')");
    es_err e;
    md_model model;
    mp_arch *a = cli_load_arch_model(o, &model);
    if (cli_get(o, "heads")) {
        model.n_heads = cli_int(o, "heads", 1, 1, 1024);
        model.n_kv_heads = model.n_heads;
    }
    static cli_run cr; /* run.seqs points into it */
    cli_run_options(o, "run", 1024, &cr);
    md_run run = cr.run;
    int64_t *seqs = cr.seqs;
    int nseqs = cr.nseqs;
    md_workload w;
    if (md_expand(&model, &run, &w, &e)) {
        md_workload_free(&w);
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    }
    mp_mapping tmpl, mr, *m = &mr;
    const char *mp = cli_get(o, "mapping") ? cli_get(o, "mapping") : a->name;
    if (mp_mapping_load(mp, &tmpl, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    int skipped = 0;
    if (mp_resolve(a, &tmpl, &w, m, &skipped, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    mp_mapping_free(&tmpl);

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
        r->n_seqs = 1, r->seqs[0] = run.seq ? run.seq : run.prompt;
    }
    int rc = sim_run_mapping(a, m, &ro, r, &e);
    if (rc && !r->functional)
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    if (skipped)
        sim_report_extra(r, "instances_not_costed", skipped);
    if (run.phase == MD_PHASE_DECODE)
        sim_report_extra(r, "decode_gen", (double)run.gen);
    if (!rc) {
        /* which resource bounds the run: off-chip memory when its busy time
         * is the largest of all units (decode streams the KV cache) */
        double mem = 0, comp = 0;
        for (int i = 0; i < r->n_units; i++) {
            int is_mem = !strcmp(r->units[i].name, a->mem.name);
            double b = (double)r->units[i].busy_cycles;
            if (is_mem)
                mem = b;
            else if (b > comp)
                comp = b;
        }
        sim_report_extra(r, "memory_bound", mem >= comp && mem > 0 ? 1 : 0);
    }
    /* Area of the units that take it from synthesized RTL (arch key
     * rtl_area; docs/rtl.md): the total, then each unit. */
    double area_um2 = 0;
    for (int i = 0; i < a->n_units; i++)
        area_um2 += a->units[i].area_um2;
    if (area_um2 > 0) {
        sim_report_extra(r, "area_mm2", area_um2 * 1e-6);
        for (int i = 0; i < a->n_units; i++)
            if (a->units[i].area_um2 > 0) {
                char key[SIM_REP_NAME];
                snprintf(key, sizeof key, "area_mm2.%s", a->units[i].name);
                sim_report_extra(r, key, a->units[i].area_um2 * 1e-6);
            }
    }
    const char *json = cli_get(o, "json");
    int json_stdout = json && !strcmp(json, "-");
    es_err we;
    /* All outputs are opened before any is written, so a bad second path
     * leaves no first file behind. */
    if (sim_report_write_all(r, json, cli_get(o, "csv"), tr.enabled ? &tr : NULL, cli_get(o, "trace"),
                             a->clock_hz, &we) < 0)
        es_fatal(ES_EXIT_BADINPUT, "%s", we.msg);
    if (tr.enabled)
        sim_trace_free(&tr);
    sim_report_text(r, json_stdout ? stderr : stdout);
    if (rc) /* functional mismatch: report written, then the error */
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    free(r);
    mp_mapping_free(m);
    md_workload_free(&w);
    mp_arch_free(a);
    return 0;
}
