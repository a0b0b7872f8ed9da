/* sim/cli/runopts.c: see runopts.h. */
#include "runopts.h"

#include <string.h>

#include "golden/base/err.h"
#include "golden/quant.h"
#include "sim/sim.h"

void cli_run_options(const cli_opt *o, const char *cmd, int64_t dflt_seq, cli_run *r)
{
    md_run *run = &r->run;
    md_run_init(run);
    run->scope = MD_SCOPE_ATTENTION;
    es_err e;
    const char *s;
    if ((s = cli_get(o, "scope")) && md_scope_parse(s, &run->scope, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s: --scope: %s", cmd, e.msg);
    if ((s = cli_get(o, "phase")) && md_phase_parse(s, &run->phase, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s: --phase: %s", cmd, e.msg);
    int given = !!cli_get(o, "seq") + !!cli_get(o, "seqs") + !!cli_get(o, "prompt");
    if (given > 1)
        es_fatal(ES_EXIT_BADINPUT, "%s: give one of --seq, --seqs and --prompt (the request lengths)", cmd);
    if (cli_get(o, "gen") && run->phase != MD_PHASE_DECODE)
        es_fatal(ES_EXIT_BADINPUT, "%s: --gen needs --phase decode", cmd);
    if (!given && !dflt_seq)
        es_fatal(ES_EXIT_BADINPUT, "%s: missing --seq, --seqs or --prompt (see 'einsim %s --help')", cmd, cmd);
    run->batch = cli_int(o, "batch", 1, 1, (int64_t)1 << 20);
    run->seq = cli_get(o, "prompt") || cli_get(o, "seqs") ? 0 : cli_int(o, "seq", dflt_seq, 1, (int64_t)1 << 30);
    run->prompt = cli_int(o, "prompt", 0, 1, (int64_t)1 << 30);
    run->gen = cli_int(o, "gen", 1, 1, (int64_t)1 << 20);
    if (cli_get(o, "splits") && run->phase != MD_PHASE_DECODE)
        es_fatal(ES_EXIT_BADINPUT, "%s: --splits needs --phase decode", cmd);
    run->splits = cli_int(o, "splits", 1, 2, (int64_t)1 << 16);
    if ((s = cli_get(o, "quant"))) {
        gd_qformat qf; /* checked here for a message naming the command; md_expand applies it */
        if (gd_qformat_parse(s, &qf, &e))
            es_fatal(ES_EXIT_BADINPUT, "%s: %s", cmd, e.msg);
        snprintf(run->quant, sizeof run->quant, "%s", s);
    }
    if ((s = cli_get(o, "sparsity"))) {
        if (md_sparsity_check(s, &e))
            es_fatal(ES_EXIT_BADINPUT, "%s: %s", cmd, e.msg);
        snprintf(run->sparsity, sizeof run->sparsity, "%s", s);
    }
    r->nseqs = 0;
    if ((s = cli_get(o, "seqs"))) {
        if (cli_get(o, "batch"))
            es_fatal(ES_EXIT_BADINPUT, "%s: --seqs gives one length per request; leave out --batch", cmd);
        r->nseqs = cli_int_list("seqs", s, r->seqs, CLI_RUN_MAX_SEQS);
        run->seqs = r->seqs, run->n_seqs = r->nseqs, run->batch = r->nseqs;
    }
}

mp_arch *cli_load_arch_model(const cli_opt *o, const char *const *sets, int n_sets, md_model *model)
{
    es_err e;
    mp_arch *a = sim_arch_load_set(cli_get(o, "arch"), sets, n_sets, &e);
    if (!a)
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    if (md_model_load(cli_get(o, "model"), model, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    return a;
}

void cli_run_fit_arch(md_run *run, const mp_arch *a)
{
    for (int i = 0; i < a->n_units; i++)
        if (a->units[i].kind == MP_UNIT_ARRAY2D) {
            run->m0 = a->units[i].rows;
            return;
        }
}

pim_arch *cli_pim_load(const cli_opt *o, const char *cmd, md_model *model, pim_opts *po)
{
    es_err e;
    pim_arch *a = es_xcalloc(1, sizeof *a);
    if (pim_arch_load(cli_get(o, "arch"), a, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    if (md_model_load(cli_get(o, "model"), model, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    const char *ph = cli_get(o, "phase");
    if (!ph || strcmp(ph, "decode"))
        es_fatal(ES_EXIT_BADINPUT, "%s: arch %s is a PIM system: it runs --phase decode (got %s)", cmd, a->name,
                 ph ? ph : "prefill");
    if (cli_get(o, "scope") && strcmp(cli_get(o, "scope"), "model"))
        es_fatal(ES_EXIT_BADINPUT, "%s: arch %s runs the whole model (--scope model), not --scope %s", cmd, a->name,
                 cli_get(o, "scope"));
    if (cli_get(o, "quant") || cli_get(o, "sparsity"))
        es_fatal(ES_EXIT_BADINPUT,
                 "%s: arch %s is a PIM system: its banks compute dense BF16; --quant and --sparsity are not modelled "
                 "there",
                 cmd, a->name);
    if (cli_int(o, "batch", 1, 1, 1 << 20) != 1 || cli_get(o, "seqs"))
        es_fatal(ES_EXIT_BADINPUT, "%s: arch %s decodes one request (batch 1, as PIM-GPT)", cmd, a->name);
    memset(po, 0, sizeof *po);
    po->prompt = cli_int(o, "prompt", cli_int(o, "seq", 0, 0, 1 << 30), 0, 1 << 30);
    po->gen = cli_int(o, "gen", 1, 1, 1 << 20);
    po->fast_forward = 1;
    return a;
}
