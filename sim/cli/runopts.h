/* sim/cli/runopts.h: the workload options shared by `einsim run` and
 * `einsim map` (DESIGN §9): --phase, --batch, --seq | --seqs, --prompt,
 * --gen, --scope, --quant, --sparsity.  Invalid combinations are one-line errors, exit 2. */
#ifndef SIM_CLI_RUNOPTS_H
#define SIM_CLI_RUNOPTS_H

#include "cli.h"
#include "mapper/arch.h"
#include "models/models.h"
#include "sim/pim/pim.h"

#define CLI_RUN_MAX_SEQS 4096
#define CLI_RUN_OPTS                                                                                             \
    {"seq", 1, 0}, {"seqs", 1, 0}, {"batch", 1, 0}, {"phase", 1, 0}, {"scope", 1, 0}, {"prompt", 1, 0},     \
        {"gen", 1, 0}, {"splits", 1, 0}, {"quant", 1, 0}, {"sparsity", 1, 0}

typedef struct cli_run {
    md_run run;
    int64_t seqs[CLI_RUN_MAX_SEQS];
    int nseqs;
} cli_run;

/* Fill r from the options (cmd names the subcommand in messages; dflt_seq is
 * the length when none of --seq, --seqs, --prompt is given, 0 = required). */
void cli_run_options(const cli_opt *o, const char *cmd, int64_t dflt_seq, cli_run *r);
/* Make the workload's split follow the arch: the key tile m0 is the 2D
 * array's rows (FuseMax's M0; 256 on the bundled archs), so a template's
 * `[m0, auto, rows]` fills the array it runs on.  No 2D array: unchanged. */
void cli_run_fit_arch(md_run *run, const mp_arch *a);
/* Load --arch (with its --set overrides, mp_arch_load_set) and --model
 * (bundled names or paths); exits 2 with the loader's located message on
 * failure.  The caller checked both are given. */
mp_arch *cli_load_arch_model(const cli_opt *o, const char *const *sets, int n_sets, md_model *model);

/* PIM archs (sim/pim): load --arch and --model, check what a PIM decode
 * takes (--phase decode, batch 1, --scope model) and fill po's prompt (from
 * --prompt or --seq), gen and fast_forward 1.  Exits 2 with one line; cmd
 * names the subcommand.  The caller frees the arch. */
pim_arch *cli_pim_load(const cli_opt *o, const char *cmd, md_model *model, pim_opts *po);

#endif
