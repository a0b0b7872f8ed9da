/* sim/report/report.h: the simulation report (DESIGN §8) and its writers:
 * text summary, JSON (stable schema, docs/reports.md), CSV (one flat row per
 * report), all written atomically through es_out; and the Chrome/Perfetto
 * trace-event file of unit activity (capped, the cap is written into it).
 *
 * Ownership: a sim_report is a plain value (fixed arrays, no pointers); the
 * trace buffer is owned by sim_trace and freed with sim_trace_free. */
#ifndef SIM_REPORT_H
#define SIM_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "golden/base/err.h"

#define SIM_REP_NAME 64
#define SIM_REP_UNITS 16  /* >= SP_MAX_COMPS: every unit of an arch + its memory */
#define SIM_REP_ENERGY 32 /* >= MP_MAX_UNITS + MP_MAX_STORES + 1: every component charged */
#define SIM_REP_EINSUMS 128 /* >= SP_MAX_EINSUMS (sim/prog/prog.h) */
#define SIM_REP_EXTRA 24
#define SIM_REP_SEQS 4096 /* requests of a variable-length batch (--seqs) */
#define SIM_REP_SETS 16   /* arch overrides (--set) */

typedef struct sim_rep_unit {
    char name[SIM_REP_NAME];
    uint64_t busy_cycles;
    double utilization; /* busy_cycles / cycles */
    double pe_utilization; /* point ops x PE cycles per op / (rows x cols x cycles): the arch's real size */
} sim_rep_unit;

typedef struct sim_rep_einsum {
    char name[SIM_REP_NAME];
    char unit[SIM_REP_NAME];
    uint64_t cycles; /* unit cycles spent on this Einsum's tiles */
    double ops;      /* point-ops (MACs for GEMM-like Einsums) */
    char sparsity[48]; /* the --sparsity form (2:4, block4x1:0.8) when it ran on sparse MACs, else "dense" */
    char format[32]; /* storage format it ran with (weights' --quant format, else the arch's number format) */
} sim_rep_einsum;

typedef struct sim_rep_kv {
    char key[SIM_REP_NAME];
    double v;
} sim_rep_kv;

typedef struct sim_report {
    char command[16]; /* "run" or "gemm" */
    char arch[512]; /* the arch's name, with its overrides: fusemax[units.array2d.rows=128] */
    char model[SIM_REP_NAME], phase[16], scope[16];
    int n_sets;     /* arch overrides, "KEY.PATH=VALUE" as given to --set */
    char sets[SIM_REP_SETS][256];
    char schedule[SIM_REP_NAME]; /* how the mapping was scheduled (e.g. fusemax, flat) */
    char sparsity[48]; /* --sparsity ("" = none given, reported as "none") */
    char quant[32]; /* linear weights' storage format (--quant); "" = none given, reported as "none" */
    int64_t batch;
    int n_seqs;
    int64_t seqs[SIM_REP_SEQS];
    double clock_hz;
    uint64_t cycles;
    double latency_s, energy_pj;
    int n_units;
    sim_rep_unit units[SIM_REP_UNITS];
    double dram_bytes_read, dram_bytes_written;
    int n_energy;
    sim_rep_kv energy[SIM_REP_ENERGY]; /* energy_breakdown_pj.<component> */
    int n_einsums;
    sim_rep_einsum einsums[SIM_REP_EINSUMS];
    int n_extra;
    sim_rep_kv extra[SIM_REP_EXTRA]; /* command-specific figures (gemm: folds, ...) */
    /* decode runs (every arch): tokens = batch x gen; s_per_token = latency
     * / gen (one step gives every request a token); energy per token */
    int has_decode;
    double decode_tokens, decode_s_per_token, decode_tokens_per_s, decode_energy_pj_per_token;
    /* a command-level memory: row-buffer hit rate, command counts, and where
     * the time went (time_breakdown_s.<class>) */
    int has_device;
    double dram_row_hit_rate;
    int n_cmds;
    sim_rep_kv cmds[SIM_REP_ENERGY + 8];
    int n_time;
    sim_rep_kv time_breakdown[8];
    double wall_s;
    uint64_t simulated_cycles, fast_forwarded_cycles, events;
    int functional;           /* functional mode ran */
    double func_max_abs_err, func_max_rel_err, func_tol;
    /* functional --quant: the linear weights' format (func_quant "" when
     * none), their GEMM tile ops and outputs compared with golden; int8
     * (func_exact): bit for bit with golden's linear in that format, func_bit_exact */
    char func_quant[32];
    int64_t func_tiles_checked, func_elems_checked;
    int func_exact, func_bit_exact;
    char func_kernel[24]; /* what the linear tiles ran: int8, ggml-blocks, fp32-dequantized */
    double func_weight_rel_err; /* weight-only formats: ||Wq - W|| / ||W|| */
    char func_sparsity[8];      /* "2:4": linear tiles ran golden's 2:4 SpMM */
    char overflow[160]; /* the first entry that did not fit a table ("" if none) */
} sim_report;

void sim_report_init(sim_report *r, const char *command);
/* The entry of a unit / energy component / extra key, added on first use.
 * A table that is full drops nothing silently: the entry is refused
 * (sim_report_unit returns NULL), `overflow` names it, and sim_report_check
 * and every writer fail with that message. */
sim_rep_unit *sim_report_unit(sim_report *r, const char *name);
void sim_report_energy_add(sim_report *r, const char *component, double pj);
void sim_report_extra(sim_report *r, const char *key, double v);
/* 0, or -1 + e when an entry did not fit (`overflow`). */
int sim_report_check(const sim_report *r, es_err *e);
/* Decode figures from latency, energy, batch and gen (has_decode = 1). */
void sim_report_decode(sim_report *r, double batch, double gen);
void sim_report_command(sim_report *r, const char *cmd, double count);
void sim_report_time(sim_report *r, const char *cls, double seconds);
/* Fill utilization and latency from cycles/busy/clock; energy_pj = sum. */
void sim_report_finish(sim_report *r);

void sim_report_text(const sim_report *r, FILE *fp);
/* JSON text (caller frees). */
char *sim_report_json(const sim_report *r);
/* path "-" = stdout.  Atomic. */
int sim_report_write_json(const sim_report *r, const char *path, es_err *e);
/* CSV: header + one row per report (n >= 1; all reports of one command). */
int sim_report_write_csv(const sim_report *const *r, int n, const char *path, es_err *e);

/* Reproducible reports: with EINSIM_REPRODUCIBLE set (and not "0"), every
 * writer (text, JSON, CSV) gives simulation.wall_s as 0, so the same inputs
 * and seed give byte-identical files (docs/reports.md).  Commands that
 * write their own JSON use sim_report_wall_s / sim_report_reproducible. */
int sim_report_reproducible(void);
double sim_report_wall_s(const sim_report *r);

/* ---- trace (Chrome trace-event JSON, "X" complete events) ---------------- */
typedef struct sim_trace {
    int enabled;
    uint64_t cap, n, dropped;
    struct sim_trace_ev {
        uint64_t ts, dur;
        uint16_t unit;
        char name[24];
    } *ev;
    int n_units;
    char unit_names[SIM_REP_UNITS][SIM_REP_NAME];
} sim_trace;

#define SIM_TRACE_DEFAULT_CAP 200000
void sim_trace_init(sim_trace *t, uint64_t cap);
int sim_trace_unit(sim_trace *t, const char *name); /* unit id (tid) */
void sim_trace_add(sim_trace *t, int unit, const char *name, uint64_t ts, uint64_t dur);
int sim_trace_write(const sim_trace *t, const char *path, double clock_hz, es_err *e);
void sim_trace_free(sim_trace *t);

/* Every output of one command at once: JSON, CSV and trace (each NULL when
 * not asked for; the trace only when t is enabled) are all opened before
 * anything is written and committed together, so a bad path for one leaves
 * none of the others behind.  "-" is stdout.  0, or -1 with e set. */
int sim_report_write_all(const sim_report *r, const char *json, const char *csv, const sim_trace *t,
                         const char *trace, double clock_hz, es_err *e);

#endif
