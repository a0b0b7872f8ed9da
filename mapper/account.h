/* mapper/account.h: energy = action counts x table, the one implementation
 * the cost model (mapper/cost.c) and the simulator (sim/run.c) share, so the
 * two agree exactly wherever their counts agree.
 *
 * Counts come in the units each side measures; turning them into Accelergy
 * actions happens here only, with the FuseMax artifact's rules
 * (micro24-fusemax-artifact, workspace/src/accel/cascade.py:
 * build_accelergy_comp_counts and build_accelergy_buf_counts):
 *   compute        actions = point-ops x the op's action counts
 *                  (Timeloop "Computes" x the per-Einsum cost, e.g. SLN = 6 mac + 1 add)
 *   register file  actions = word accesses (width 1)
 *   buffer         actions = words / words_per_access (L3: words / 256)
 *   off-chip       actions = bytes / bytes_per_access (DRAM: 2-byte words / 4)
 * Leakage is not charged: the artifact passes leak counts of 0. */
#ifndef MP_ACCOUNT_H
#define MP_ACCOUNT_H

#include "mapper/arch.h"

typedef enum {
    MP_ACCT_COMPUTE, /* n = actions of a unit's op (already x the op's counts) */
    MP_ACCT_REGFILE, /* n = word accesses */
    MP_ACCT_BUFFER,  /* n = words moved to or from the global buffer */
    MP_ACCT_DRAM     /* n = bytes moved off chip */
} mp_acct_class;

/* pJ of n raw units of an action of class cls that costs pj_per_action. */
double mp_energy_charge(const mp_arch *a, mp_acct_class cls, double pj_per_action, double n);

#endif
