/* sim/array/timing.h: every cycle constant of the array timing models, in
 * one place.  The native constants equal the Verilated RTL array
 * (rtl/systolic_array.sv): sim/sc/array_tb.cpp checks every fold's start and
 * length against them (tests/e2e/rtl.sh).  docs/cycles.md gives the
 * reasoning for each.
 *
 * Notation: the array has R rows x C cols of PEs; a fold occupies r <= R rows
 * and c <= C cols; T is the streamed (temporal) dimension of the fold
 * (OS: K, WS: M, IS: N). */
#ifndef SIM_ARRAY_TIMING_H
#define SIM_ARRAY_TIMING_H

/* ---- native (einsim) conventions ---------------------------------------- */
/* Operand skew: PE(i,j) sees its first operands i+j cycles after the edge. */
#define SA_NATIVE_SKEW(r, c) (((r) - 1) + ((c) - 1))
/* Output-stationary drain: the first cycle with no MAC after the last one,
 * every column shifts its accumulators down one row per cycle into the
 * output register, R cycles for all R physical rows. */
#define SA_NATIVE_OS_DRAIN(R, r) (R)
/* Weight/input-stationary preload and drain, R cycles together: the RTL
 * shifts the r stationary rows in from the top edge (r cycles) and the
 * partial sums then pass the R - r unused rows below them to the bottom
 * edge (R - r cycles).  Kept as one R-cycle preload term. */
#define SA_NATIVE_PRELOAD(R, r) (R)
/* Partial sums leave the last row's register the cycle after its last MAC,
 * which the skew already counts (the R - r pass is in the preload term). */
#define SA_NATIVE_WS_DRAIN(R, r) 0
/* Cycles by which fold f+1 may start before fold f ends (double-buffered
 * preload would make this > 0; the modelled array has no double buffer). */
#define SA_NATIVE_FOLD_OVERLAP 0

/* ---- SCALE-Sim v2/v3 stall-free conventions (peers.md §3) --------------- */
/* Per-fold window, the same for every fold (partial folds included). */
#define SA_SCALESIM_OS_WINDOW(R, C, T) ((T) + (R) + (C) - 2)
#define SA_SCALESIM_WS_WINDOW(R, C, T) (2 * (R) + (C) + (T) - 2)
/* SCALE-Sim reports the index of the last cycle: total = sum(windows) - 1. */
#define SA_SCALESIM_TAIL (-1)
/* Window SCALE-Sim's "Compute Util %" divides by (fitted in peers.md §3). */
#define SA_SCALESIM_OS_UTILWIN(R, C, T) ((T) + (R) + (C) - 2)
#define SA_SCALESIM_WS_UTILWIN(R, C, T) (3 * (R) + (C) + (T) - 3)

/* ---- tile model used by `einsim run` ------------------------------------ */
/* A tile op on a 2D/1D array costs points_per_PE x op cycles; the array's
 * fill+drain (mp_unit.fill_cycles, FuseMax: 256) is added once per tile when
 * the schedule does not hide it behind another Einsum's tile (interleaving).
 * A reduction across a vector unit's lanes (no inter-PE network) costs
 * log2(lanes) extra cycles.  A 2D array with `timing: systolic` instead
 * costs each tile op as the GEMM folds it runs, with the native constants
 * above (docs/cycles.md "Fold-timed 2D arrays"). */

#endif
