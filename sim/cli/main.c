/* einsim: one binary, subcommands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "golden/base/err.h"
#include "golden/base/io.h"
#include "golden/kernels.h"
#include "cli.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *what;
} commands[] = {
    {"run", cmd_run, "simulate a model on an architecture; latency, energy, utilization"},
    {"map", cmd_map, "search a mapping of a model's cascades onto an architecture"},
    {"gemm", cmd_gemm, "simulate one GEMM on a systolic array (native or SCALE-Sim timing)"},
    {"cascade", cmd_cascade, "show, check, analyse passes of, or run an Einsum cascade"},
    {"golden", cmd_golden, "golden C reference: forward, generate, kernels"},
    {"compare", cmd_compare, "side-by-side table of JSON reports"},
    {"dram", cmd_dram, "run a DRAM timing set alone on stream, random or trace traffic"},
    {"sweep", cmd_sweep, "run the points of a sweep file on threads, resumable; CSV, checks, Pareto"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *fp)
{
    fputs("usage: einsim COMMAND [options]   (einsim COMMAND --help for details)\n\ncommands:\n", fp);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(fp, "  %-8s %s\n", commands[i].name, commands[i].what);
    fputs("\noptions: --help, --version\n"
          "\nexit status:\n"
          "  0  done\n"
          "  1  a check ran and found a difference (compare --diff, cascade run against its\n"
          "     golden, golden kernel beyond its bound)\n"
          "  2  bad input or an output that cannot be written: one line 'einsim: ...' on stderr\n"
          "  3  internal error (a bug; please report it)\n",
          fp);
}

int main(int argc, char **argv)
{
    /* OpenBLAS starts its worker threads when the library loads, and idle
     * workers spin in sched_yield even after openblas_set_num_threads(1): a
     * third of `einsim map`'s CPU time (perf).  Only `golden` multiplies
     * matrices, so every other command restarts itself once with
     * OPENBLAS_NUM_THREADS=1, which keeps the pool from being created. */
    if (argc >= 2 && strcmp(argv[1], "golden") != 0 && !getenv("OPENBLAS_NUM_THREADS")) {
        setenv("OPENBLAS_NUM_THREADS", "1", 1);
        execv("/proc/self/exe", argv);
        /* exec failed: go on with the spinning pool, results are the same */
    }
    es_check_stdout_at_exit(); /* first, so its hook runs last */
    es_set_argv0(argv[0]);
    gd_gemm_fast_set_threads(1); /* golden: one thread unless --threads */
    if (argc < 2) {
        usage(stderr);
        return ES_EXIT_BADINPUT;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        puts("einsim " EINSIM_VERSION);
        return 0;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    char names[256] = "";
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (i)
            strncat(names, ", ", sizeof names - strlen(names) - 1);
        strncat(names, commands[i].name, sizeof names - strlen(names) - 1);
    }
    es_fatal(ES_EXIT_BADINPUT, "unknown command '%s' (expected one of: %s)", argv[1], names);
}
