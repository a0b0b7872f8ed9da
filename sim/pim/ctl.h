/* sim/pim/ctl.h (private to sim/pim): one channel's PIM controller.
 *
 * Commands are issued in program order: each at the earliest cycle the
 * DRAM model allows (dr_earliest) that is not before the previous one.
 * Channels run lock-step (PIM-GPT broadcasts the stream), so one
 * representative channel is simulated and the caller scales its counts.
 * All-bank refresh (REFAB) is inserted at a row boundary once tREFI has
 * passed (at most one row late).
 *
 * A row block (pim_ctl_rows) is a run of rows with the same command list.
 * Fast-forward: when two consecutive rows issue every command at the same
 * offsets from the row's ACT and the row period repeats, the following rows
 * before the next refresh are skipped: time, command counts, energy and the
 * controller's counters advance by (rows x one row's deltas).  The refresh
 * then issues where the next row would have started; at the end of a block
 * its last row is simulated at the predicted cycle instead and checked
 * against the predicted pattern (a mismatch is an error, never a silent
 * drift).
 * Tests prove fast-forward == full simulation on every bundled case. */
#ifndef SIM_PIM_CTL_H
#define SIM_PIM_CTL_H

#include "sim/pim/pim.h"

#define PIM_ROW_MAX_CMDS 1400 /* a unit: up to 8 rows of 64 MAC16 + RD_MACs, or ACT16 + 16 x 64 RD + PREA */

typedef struct pim_row_cmd {
    uint8_t kind; /* dr_cmd_kind */
    uint8_t bank; /* bank within the rank (bg * banks_per_group + bank) */
    uint8_t cls;  /* pim_time_class the wait before it is charged to */
    uint16_t col;
} pim_row_cmd;

typedef struct pim_ctl {
    const pim_arch *a;
    dr_channel *ch;
    dr_stream *stream; /* NULL unless recording */
    uint64_t now;      /* issue cycle of the last command */
    uint64_t next_ref; /* refresh due */
    uint64_t ref_until;
    uint64_t ref_not_before; /* after a skip up to a refresh: its predicted cycle */
    int fast_forward;
    /* counters of the representative channel (skipped rows included) */
    uint64_t cmds[DR_NCMD];
    uint64_t bank_acts, bank_accesses;
    uint64_t useful_macs; /* lane MACs on real data */
    uint64_t time[PIM_T_N];
    double e_idd_extra, e_pjbit_extra; /* skipped rows' energy */
    uint64_t bg_active_extra;          /* skipped rows' active cycles (the channel saw them precharged) */
    uint64_t sim_cmds, ff_cmds, ff_cycles;
    uint64_t last_data; /* cycle the last RDMAC16/RD data arrived */
    int64_t row_seq;    /* row addresses, so every row is a new row */
} pim_ctl;

int pim_ctl_init(pim_ctl *c, const pim_arch *a, int fast_forward, int record, es_err *e);
void pim_ctl_free(pim_ctl *c);
/* Issue one command (bank: -1 for all-bank commands). */
int pim_ctl_issue(pim_ctl *c, dr_cmd_kind k, int bank, int64_t row, int64_t col, pim_time_class cls, es_err *e);
/* Wait (idle channel) until cycle t, charged to cls. */
void pim_ctl_wait(pim_ctl *c, uint64_t t, pim_time_class cls);
/* n_rows rows, each ACT16 + cmds[0..n) + PREA; useful: lane MACs on real
 * data per row. */
int pim_ctl_rows(pim_ctl *c, int64_t n_rows, const pim_row_cmd *cmds, int n, uint64_t useful, es_err *e);
/* WR_GB of n bursts (the input vector into the global buffer). */
int pim_ctl_write_gb(pim_ctl *c, int64_t bursts, es_err *e);
/* Close: background energy up to the end; fills the channel stats. */
void pim_ctl_finish(pim_ctl *c, uint64_t end, dr_stats *st);

#endif
