/* einsim run: model + arch (+ mapping) -> simulated latency, energy,
 * utilization (DESIGN §9).  Without --mapping the arch's bundled hand
 * mapping (mapper/mappings/ARCH.yaml) is resolved against the workload. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "golden/base/err.h"
#include "cli.h"
#include "mapper/resolve.h"
#include "models/models.h"
#include "runopts.h"
#include "sim/pim/pim.h"
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
    "  mapping has a template for them (tpu: yes; the FuseMax archs: skipped).\n"
    "  PIM archs (pimgpt, pimgpt-hbm): --phase decode --prompt P --gen G, batch 1,\n"
    "  the whole model; --mapping F takes a PIM mapping (einsim map -o F); --check\n"
    "  records the command stream and replays it through the DRAM timing checker.\n";

/* A PIM system: whole-model decode at the DRAM-command level (docs/pim.md). */
static int run_pim(const cli_opt *o)
{
    es_err e;
    pim_arch *a = es_xcalloc(1, sizeof *a);
    if (pim_arch_load(cli_get(o, "arch"), a, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    md_model model;
    if (md_model_load(cli_get(o, "model"), &model, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    const char *ph = cli_get(o, "phase");
    if (!ph || strcmp(ph, "decode"))
        es_fatal(ES_EXIT_BADINPUT, "run: arch %s is a PIM system: it runs --phase decode (got %s)", a->name,
                 ph ? ph : "prefill");
    if (cli_get(o, "scope") && strcmp(cli_get(o, "scope"), "model"))
        es_fatal(ES_EXIT_BADINPUT, "run: arch %s runs the whole model (--scope model), not --scope %s", a->name,
                 cli_get(o, "scope"));
    if (cli_int(o, "batch", 1, 1, 1 << 20) != 1 || cli_get(o, "seqs"))
        es_fatal(ES_EXIT_BADINPUT, "run: arch %s decodes one request (batch 1, as PIM-GPT)", a->name);
    if (cli_get(o, "functional") || cli_get(o, "trace") || cli_get(o, "heads"))
        es_fatal(ES_EXIT_BADINPUT, "run: --functional, --trace and --heads are not supported on PIM arch %s",
                 a->name);
    pim_mapping mp = a->mapping;
    if (cli_get(o, "mapping") && pim_mapping_load(cli_get(o, "mapping"), &mp, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    pim_opts po = {.prompt = cli_int(o, "prompt", cli_int(o, "seq", 0, 0, 1 << 30), 0, 1 << 30),
                   .gen = cli_int(o, "gen", 1, 1, 1 << 20),
                   .fast_forward = !cli_flag(o, "full"),
                   .record = cli_flag(o, "check"),
                   .mapping = &mp};
    sim_report *r = es_xcalloc(1, sizeof *r);
    sim_report_init(r, "run");
    snprintf(r->arch, sizeof r->arch, "%s", a->name);
    snprintf(r->model, sizeof r->model, "%s", model.name);
    snprintf(r->phase, sizeof r->phase, "decode");
    snprintf(r->scope, sizeof r->scope, "model");
    snprintf(r->schedule, sizeof r->schedule, "%s", cli_get(o, "mapping") ? cli_get(o, "mapping") : a->name);
    r->batch = 1;
    r->n_seqs = 1, r->seqs[0] = po.prompt;
    pim_result x;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (pim_decode(a, &model, &po, &x, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pim_fill_report(a, &x, r);
    sim_report_extra(r, "decode_gen", (double)po.gen);
    r->wall_s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    const char *json = cli_get(o, "json");
    if (sim_report_write_all(r, json, cli_get(o, "csv"), NULL, NULL, r->clock_hz, &e) < 0)
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    sim_report_text(r, json && !strcmp(json, "-") ? stderr : stdout);
    free(r);
    free(a);
    return 0;
}

int cmd_run(int argc, char **argv)
{
    cli_opt o[] = {{"arch", 1, 0},  {"model", 1, 0},      {"mapping", 1, 0}, {"json", 1, 0},
                   {"csv", 1, 0},   {"trace", 1, 0},      {"full", 0, 0},    {"functional", 0, 0},
                   {"heads", 1, 0}, {"seed", 1, 0},       {"check", 0, 0},   CLI_RUN_OPTS,      {NULL, 0, 0}};
    cli_parse(argc, argv, 1, o, NULL, 0, "run", usage);
    if (!cli_get(o, "arch") || !cli_get(o, "model"))
        es_fatal(ES_EXIT_BADINPUT, "run: --arch and --model are required (see 'einsim run --help')");
    if (pim_arch_is(cli_get(o, "arch")))
        return run_pim(o);
    if (cli_flag(o, "check"))
        es_fatal(ES_EXIT_BADINPUT, "run: --check applies to PIM archs (a command-level memory)");
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
    if (run.phase == MD_PHASE_DECODE) {
        sim_report_extra(r, "decode_gen", (double)run.gen);
        if (!rc)
            sim_report_decode(r, (double)run.batch, (double)run.gen);
    }
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
