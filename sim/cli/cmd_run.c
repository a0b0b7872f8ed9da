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
#include "point.h"
#include "runopts.h"
#include "sim/array/rtl_link.h"
#include "sim/pim/pim.h"
#include "sim/sim.h"

static const char usage[] =
    "usage: einsim run --arch A --model M [--seq N | --seqs 512,77,1024 | --prompt P] [--batch B]\n"
    "                  [--phase prefill|decode [--gen G] [--splits S]] [--scope attention|layer|model] [--mapping F]\n"
    "                  [--functional [--heads H] [--seed S]] [--full] [--quant FMT] [--sparsity S]\n"
    "                  [--set KEY.PATH=VALUE ...] [--rtl array2d] [--json F] [--csv F] [--trace F]\n"
    "  Simulates the model's cascades on the architecture, cycle by cycle on the event\n"
    "  engine.  A and M are bundled names or paths.  --mapping F runs a mapping file\n"
    "  (einsim map -o F); default: the arch's bundled hand mapping.  --set changes one\n"
    "  field of the arch spec (e.g. --set units.array2d.rows=128), checked as in the\n"
    "  YAML; repeatable; the report's arch label names every override.  --full disables\n"
    "  fast-forward (every tile simulated).  --functional computes every tile's values\n"
    "  and compares each cascade's output with golden (small sizes; --heads overrides\n"
    "  the model's head count); with --quant int8, q8_0 or q4_0 the linear layers' tiles\n"
    "  run golden's int8 kernel / ggml block dots and must equal golden's linear in that\n"
    "  format bit for bit; weight-only formats (fp16, bf16, rtn*, mxfp4) compute in fp32\n"
    "  on golden's dequantized weights; --sparsity 2:4 tiles run golden's 2:4 SpMM;\n"
    "  llm.int8, fp8, gptq, q4_k, block/unstructured sparsity and --quant with\n"
    "  --sparsity are refused there.\n"
    "  --json - writes JSON to stdout, the summary to stderr.\n"
    "  --trace F: Chrome/Perfetto trace-event JSON of unit activity (first 200000 ops).\n"
    "  Lengths need not divide the tiles (the last tile is partial).  --seqs: one\n"
    "  length per request.  Decode: --seq/--prompt is the cache length before the\n"
    "  first step, --gen the tokens generated per request (one attention instance\n"
    "  per cache length); --splits S: split-key decode (attention-decode-split,\n"
    "  the mapping's split-key template) with S key partitions per request and\n"
    "  head (einsim map also searches split counts).  --quant FMT stores the linear\n"
    "  layers' weights in FMT (int8, llm.int8, gptq4-g128, q4_k, mxfp4, ... as\n"
    "  einsim golden --quant): their DRAM bytes include scales and zero points.\n"
    "  --sparsity S prunes the block linears' weights as einsim golden --sparsity:\n"
    "  2:4, blockRxC:S (e.g. block4x1:0.8: 4x1 blocks, 80% of them zero, BSR) or\n"
    "  unstructured:S (CSR); they are stored compressed (kept values, at FMT's\n"
    "  width with --quant, plus indices; FMT's scales whole).  A 2D array whose\n"
    "  spec declares the pattern (sparse: {\"2:4\": 2, \"block4x1\": 4}, as\n"
    "  fusemax-sparse) runs them min(F, 1/kept fraction) times faster; other\n"
    "  units run them dense (the report says which, per Einsum).\n"
    "  Norms, residuals and activations run only where the\n"
    "  mapping has a template for them (tpu: yes; the FuseMax archs: skipped).\n"
    "  PIM archs (pimgpt, pimgpt-hbm): --phase decode --prompt P --gen G, batch 1,\n"
    "  the whole model; --mapping F takes a PIM mapping (einsim map -o F); --check\n"
    "  records the command stream and replays it through the DRAM timing checker.\n"
    "  --rtl array2d: the folds of the arch's fold-timed 2D array (timing: systolic,\n"
    "  e.g. --arch rtl-array) take their cycles from the Verilated RTL array (make rtl),\n"
    "  which also checks every fold's values against golden; the report is the all-C\n"
    "  one (docs/rtl.md).\n";

/* --rtl UNIT: start the unit's harness for the arch's fold-timed arrays
 * (each must be the size the harness was built for); exits 2 on bad input. */
static sa_rtl *open_rtl(const char *unit, const cli_point *p, int functional)
{
    es_err e;
    if (!sa_rtl_is_unit(unit))
        es_fatal(ES_EXIT_BADINPUT, "run: --rtl: unknown unit '%s'; expected one of: array2d", unit);
    if (functional)
        es_fatal(ES_EXIT_BADINPUT, "run: --rtl takes fold timing from the RTL; it does not combine with --functional "
                                   "(run them separately)");
    if (pim_arch_is(p->arch))
        es_fatal(ES_EXIT_BADINPUT, "run: --rtl %s: arch %s is a PIM system; it has no fold-timed 2D array", unit,
                 p->arch);
    mp_arch *a = sim_arch_load_set(p->arch, p->sets, p->n_sets, &e);
    if (!a)
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    int nfold = 0;
    for (int i = 0; i < a->n_units; i++)
        nfold += a->units[i].fold_tile_cycles != NULL;
    if (!nfold)
        es_fatal(ES_EXIT_BADINPUT,
                 "run: --rtl %s: arch %s has no array2d unit with fold timing (timing: systolic), so no fold to "
                 "hand to the RTL; e.g. --arch rtl-array",
                 unit, a->name);
    int64_t R, C;
    sa_rtl *h = NULL;
    if (sa_rtl_start(unit, &R, &C, &h, &e))
        es_fatal(ES_EXIT_BADINPUT, "run: %s", e.msg);
    for (int i = 0; i < a->n_units; i++) {
        const mp_unit *u = &a->units[i];
        if (u->fold_tile_cycles && (u->rows != R || u->cols != C)) {
            sa_rtl_close(h);
            es_fatal(ES_EXIT_BADINPUT,
                     "run: --rtl %s: the RTL was built for a %lldx%lld array; arch %s's unit %s is %dx%d (rebuild it: "
                     "make rtl RTL_ARRAY_R=%d RTL_ARRAY_C=%d)",
                     unit, (long long)R, (long long)C, a->name, u->name, u->rows, u->cols, u->rows, u->cols);
        }
    }
    mp_arch_free(a);
    sa_rtl_cache_folds(h);
    return h;
}

int cmd_run(int argc, char **argv)
{
    cli_opt o[] = {{"arch", 1, 0},  {"model", 1, 0}, {"mapping", 1, 0},    {"json", 1, 0}, {"csv", 1, 0},
                   {"trace", 1, 0}, {"full", 0, 0},  {"functional", 0, 0}, {"heads", 1, 0}, {"seed", 1, 0},
                   {"set", 1, 0},   {"check", 0, 0}, {"rtl", 1, 0},        CLI_RUN_OPTS,   {NULL, 0, 0}};
    cli_parse(argc, argv, 1, o, NULL, 0, "run", usage);
    cli_point p = {0};
    p.n_sets = cli_get_all(argc, argv, 1, o, "set", p.sets, SIM_REP_SETS);
    if (!cli_get(o, "arch") || !cli_get(o, "model"))
        es_fatal(ES_EXIT_BADINPUT, "run: --arch and --model are required (see 'einsim run --help')");
    if (pim_arch_is(cli_get(o, "arch"))) { /* sim/pim runs the whole model (cli_point_run) */
        if (cli_get(o, "scope") && strcmp(cli_get(o, "scope"), "model"))
            es_fatal(ES_EXIT_BADINPUT, "run: arch %s runs the whole model (--scope model), not --scope %s",
                     cli_get(o, "arch"), cli_get(o, "scope"));
        p.check = cli_flag(o, "check");
    } else if (cli_flag(o, "check")) {
        es_fatal(ES_EXIT_BADINPUT, "run: --check applies to PIM archs (a command-level memory)");
    }
    /* the default length: 1024 tokens, a ViT's image tokens (a model that
     * does not load is reported by the run itself) */
    int64_t dflt_seq = 1024;
    md_model vm;
    es_err ve;
    if (!md_model_load(cli_get(o, "model"), &vm, &ve) && vm.family == MD_FAM_VIT)
        dflt_seq = md_vit_tokens(&vm);
    cli_run *cr = es_xcalloc(1, sizeof *cr);
    cli_run_options(o, "run", dflt_seq, cr);
    p.arch = cli_get(o, "arch");
    p.model = cli_get(o, "model");
    p.mapping = cli_get(o, "mapping");
    p.run = cr;
    p.heads = (int)cli_int(o, "heads", 0, 1, 1024);

    sim_run_opts ro;
    sim_run_opts_init(&ro);
    ro.fast_forward = !cli_flag(o, "full");
    ro.functional = cli_flag(o, "functional");
    ro.func_seed = (uint64_t)cli_int(o, "seed", 1, 0, INT64_MAX);
    sa_rtl *rtl = NULL;
    if (cli_get(o, "rtl")) {
        rtl = open_rtl(cli_get(o, "rtl"), &p, ro.functional);
        ro.fold_source = sa_rtl_fold_cycles;
        ro.fold_ctx = rtl;
    }
    sim_trace tr = {0};
    if (cli_get(o, "trace")) {
        sim_trace_init(&tr, SIM_TRACE_DEFAULT_CAP);
        ro.trace = &tr;
    }
    sim_report *r = es_xcalloc(1, sizeof *r);
    es_err e;
    int rc = cli_point_run(&p, &ro, r, &e);
    if (rtl) { /* on stderr: the report stays the all-C run's */
        unsigned long long folds = (unsigned long long)sa_rtl_close(rtl);
        if (!rc)
            fprintf(stderr, "rtl: %llu distinct folds ran on the Verilated %s, values checked against golden\n", folds,
                    cli_get(o, "rtl"));
    }
    if (rc && !r->functional)
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    const char *json = cli_get(o, "json");
    int json_stdout = json && !strcmp(json, "-");
    es_err we;
    /* All outputs are opened before any is written, so a bad second path
     * leaves no first file behind. */
    if (sim_report_write_all(r, json, cli_get(o, "csv"), tr.enabled ? &tr : NULL, cli_get(o, "trace"),
                             r->clock_hz, &we) < 0)
        es_fatal(ES_EXIT_BADINPUT, "%s", we.msg);
    if (tr.enabled)
        sim_trace_free(&tr);
    sim_report_text(r, json_stdout ? stderr : stdout);
    if (rc) /* functional mismatch: report written, then the error */
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    free(r);
    free(cr);
    return 0;
}
