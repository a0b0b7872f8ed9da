/* sim/cli/cli.h: the einsim command line.  One binary, subcommands
 * (DESIGN §9).  Each subcommand is one file sim/cli/cmd_NAME.c exposing
 * `int cmd_NAME(int argc, char **argv)` (argv[0] is the subcommand name) and
 * one line in the table in main.c.
 *
 * Option parsing: cli_parse() takes "--key value", "--key=value" and flags;
 * unknown options, missing values and bad numbers are one-line errors with
 * exit status 2.  --help / -h prints the command's usage and exits 0. */
#ifndef SIM_CLI_H
#define SIM_CLI_H

#include <stdint.h>

/* Bumped when a report field or a spec key changes meaning. */
#define EINSIM_VERSION "0.6.0"

typedef struct cli_opt {
    const char *name;  /* without the leading "--" */
    int takes_value;   /* 0: a flag */
    const char *value; /* parsed value ("1" for a set flag), NULL if absent */
} cli_opt;

/* Parse argv[first..] into opts (terminated by a {NULL} entry).  Positional
 * arguments are collected into pos (at most maxpos; more is an error).
 * `usage` is printed on --help.  Exits 2 on bad usage. */
int cli_parse(int argc, char **argv, int first, cli_opt *opts, const char **pos, int maxpos,
              const char *cmd, const char *usage);
const char *cli_get(const cli_opt *opts, const char *name);
/* Every value of a repeatable option (cli_get gives only the last), in
 * order, from the argv cli_parse accepted: e.g. --set A=1 --set B=2.
 * Returns the count; more than max exits 2. */
int cli_get_all(int argc, char **argv, int first, const cli_opt *opts, const char *name, const char **out, int max);
/* Typed getters: exit 2 with "--name: expected ..." on a bad value. */
int64_t cli_int(const cli_opt *opts, const char *name, int64_t dflt, int64_t min, int64_t max);
double cli_double(const cli_opt *opts, const char *name, double dflt);
int cli_flag(const cli_opt *opts, const char *name);
/* Parse a comma-separated list of positive integers ("512,77,1024"). */
int cli_int_list(const char *optname, const char *s, int64_t *out, int maxn);
/* Print j (cJSON_Print, then a newline) atomically to path ("-" = stdout);
 * exits 2 with the I/O error on failure. */
struct cJSON;
void cli_write_json(struct cJSON *j, const char *path);
/* The same in two steps, for a command with several outputs: open every
 * one first (a bad path exits 2 before anything is written; OPT names the
 * option in the message), then write and commit each. */
struct es_out;
void cli_out_open(struct es_out *o, const char *opt, const char *path);
void cli_write_json_to(struct cJSON *j, struct es_out *o);
/* Write text (NULL: nothing more) and commit; exits 2 on a write error. */
void cli_out_commit(struct es_out *o, const char *text);

int cmd_golden(int argc, char **argv);
int cmd_cascade(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_gemm(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_dram(int argc, char **argv);
int cmd_sweep(int argc, char **argv);

#endif
