/* sim/array/systolic.h: one GEMM C[MxN] = A[MxK].B[KxN] on an R x C systolic
 * array, simulated fold by fold on the event engine (`einsim gemm`).
 *
 * Mapping of the GEMM onto the array (SCALE-Sim's, peers.md §2.2):
 *   OS: rows <- M, cols <- N, streamed T = K
 *   WS: rows <- K, cols <- N, streamed T = M
 *   IS: rows <- K, cols <- M, streamed T = N
 * Timing: SA_TIMING_NATIVE (einsim's conventions, docs/cycles.md) or
 * SA_TIMING_SCALESIM (SCALE-Sim's stall-free closed forms, exactly).
 * Constants: sim/array/timing.h. */
#ifndef SIM_ARRAY_SYSTOLIC_H
#define SIM_ARRAY_SYSTOLIC_H

#include <stdint.h>

#include "golden/base/err.h"

typedef enum { SA_OS, SA_WS, SA_IS } sa_dataflow;
typedef enum { SA_TIMING_NATIVE, SA_TIMING_SCALESIM } sa_timing;

/* Optional source of fold durations replacing the C timing model (einsim
 * gemm --rtl array2d asks the Verilated RTL, sim/array/rtl_link.h): cycles
 * of a fold of r rows x c cols streaming t in dataflow df; returns 0 and fills e on error. */
typedef uint64_t (*sa_fold_source)(void *ctx, sa_dataflow df, int64_t r, int64_t c, int64_t t, es_err *e);

typedef struct sa_gemm {
    int64_t R, C;       /* array rows, cols */
    int64_t M, N, K;
    sa_dataflow df;
    sa_timing timing;
    int fast_forward;   /* skip runs of identical folds exactly */
    sa_fold_source fold_source; /* NULL: the C model (sa_fold_cycles) */
    void *fold_ctx;
} sa_gemm;

typedef struct sa_result {
    uint64_t cycles;
    uint64_t folds, folds_simulated;
    uint64_t simulated_cycles, fast_forwarded_cycles;
    uint64_t events;
    double macs;
    double utilization;      /* MACs / (R*C*cycles) */
    double mapping_eff;      /* useful PE slots / (folds*R*C) */
    double compute_util;     /* SCALE-Sim "Compute Util" (scalesim) or busy/(R*C*sum windows) */
    uint64_t busy_pe_cycles; /* sum over folds of r*c*T */
    /* operand words read from the SRAMs / written back (for energy) */
    double sram_a_reads, sram_b_reads, sram_c_writes;
} sa_result;

typedef void (*sa_fold_cb)(void *ctx, uint64_t start, uint64_t dur, int64_t r, int64_t c);

int sa_parse_dataflow(const char *s, sa_dataflow *out);
const char *sa_dataflow_name(sa_dataflow d);
/* Cycles of one fold occupying r rows and c cols (window, before any tail). */
uint64_t sa_fold_cycles(const sa_gemm *g, int64_t r, int64_t c);
/* Closed form of the whole GEMM's cycles (used by tests and the cost model). */
uint64_t sa_closed_form_cycles(const sa_gemm *g);
/* Simulate on the engine; cb (optional) sees each simulated fold (trace). */
int sa_simulate(const sa_gemm *g, sa_result *out, sa_fold_cb cb, void *ctx, es_err *e);

#endif
