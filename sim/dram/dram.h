/* sim/dram/dram.h: command-level DRAM (DESIGN §6).
 *
 * Layers, bottom up:
 *   dr_spec     a timing set (sim/dram/NAME.yaml): organisation, timing in
 *               cycles of tCK, PIM knobs, energy, controller policy;
 *   dr_channel  one channel's device state (banks, bank groups, ranks, buses):
 *               "earliest cycle command C to (bank) can issue" and "issue C
 *               at t"; every issued command is appended to a dr_stream;
 *   dr_mem      the memory system: address mapping, one FR-FCFS controller
 *               per channel (read and write queues, open/closed row policy,
 *               all-bank or per-bank refresh), event driven (idle cycles are
 *               skipped);
 *   dr_check    the independent timing checker: replays a dr_stream against
 *               the timing table and reports every violated constraint.  It
 *               shares no code with dr_channel (only the spec and the command
 *               names), so a scheduler bug cannot hide itself.
 *
 * Time unit: DRAM clock cycles (tCK) counted from 0.  A channel's command bus
 * carries one command per cycle; with `dual_command_bus` (HBM, GDDR6) row
 * commands (ACT*, PRE*, REF*) and column commands (RD, WR, MAC, ...) have one
 * bus each.  Column index = burst index within the row (row_bytes /
 * burst_bytes columns per row).
 *
 * PIM commands (SK hynix AiM-like, as in the Ramulator-AiM fork):
 *   ACT4   activates the same row in the 4 banks of bank group `bg`;
 *   ACT16  activates the same row in every bank of the rank (all-bank);
 *   MAC16  (MAC_ABK) one column of every open bank into its MAC unit, with
 *          the channel's global buffer as the other operand; needs each
 *          bank's ACT >= tRCDMAC earlier; MAC16s are >= tCCD_MAC apart;
 *   MAC_SBK  the same on one bank;
 *   WRGB   writes one burst into the channel's global buffer (data bus);
 *   RDMAC16  reads the MAC result registers out (data bus, like RD);
 *   COPY_BKGB / COPY_GBBK  one column bank -> global buffer / back (no data
 *          bus; tRCD_COPYRD / tRCD_COPYWR after ACT; GBBK is a write for tWR).
 * PRE after MAC obeys tRTP (MAC reads the row), so an all-bank MAC row with
 * the AiM set costs tRCDMAC + (cols-1)*tCCD_MAC + tRTP + tRP:
 * 56 + 63*2 + 12 + 32 = 226 cycles for a 2 KB row. */
#ifndef SIM_DRAM_H
#define SIM_DRAM_H

#include <stddef.h>
#include <stdint.h>

#include "golden/base/err.h"

#define DR_NEVER UINT64_MAX /* "cannot issue in the current state" */
#define DR_MAX_RANKS 8
#define DR_MAX_BG 8
#define DR_MAX_BANKS_PER_BG 8
#define DR_MAX_BANKS (DR_MAX_BG * DR_MAX_BANKS_PER_BG) /* per rank */

typedef enum {
    DR_ACT,       /* activate one bank */
    DR_ACT4,      /* activate the 4 (all) banks of one bank group (PIM) */
    DR_ACT16,     /* activate every bank of the rank (PIM all-bank) */
    DR_PRE,       /* precharge one bank */
    DR_PREA,      /* precharge every bank of the rank */
    DR_RD,        /* read burst */
    DR_WR,        /* write burst */
    DR_RDA,       /* read burst + auto-precharge (closed-row policy) */
    DR_WRA,       /* write burst + auto-precharge */
    DR_REFAB,     /* all-bank refresh */
    DR_REFPB,     /* per-bank refresh */
    DR_MAC16,     /* MAC_ABK: all-bank MAC (PIM) */
    DR_MAC_SBK,   /* single-bank MAC (PIM) */
    DR_WRGB,      /* write the global buffer (PIM) */
    DR_RDMAC16,   /* read the MAC results (PIM) */
    DR_COPY_BKGB, /* bank column -> global buffer (PIM) */
    DR_COPY_GBBK, /* global buffer -> bank column (PIM) */
    DR_NCMD
} dr_cmd_kind;

/* "ACT", "ACT4", ..., "MAC16", "COPY_GBBK" (report keys dram.commands.<NAME>). */
const char *dr_cmd_name(dr_cmd_kind k);

typedef enum { DR_POLICY_OPEN, DR_POLICY_CLOSED } dr_row_policy;
typedef enum { DR_REFRESH_NONE, DR_REFRESH_ALLBANK, DR_REFRESH_PERBANK } dr_refresh_mode;
typedef enum { DR_ENERGY_IDD, DR_ENERGY_PJBIT } dr_energy_form;

/* Address fields, for the mapping order. */
typedef enum { DR_F_CHANNEL, DR_F_RANK, DR_F_BANKGROUP, DR_F_BANK, DR_F_ROW, DR_F_COLUMN, DR_NFIELDS } dr_field;

/* All timing parameters in cycles of tCK. */
typedef struct dr_timing {
    int64_t CL, CWL;       /* read / write latency: command to first data */
    int64_t nBL;           /* burst: data-bus cycles per RD/WR */
    int64_t tRCD, tRCDWR;  /* ACT -> RD, ACT -> WR */
    int64_t tRP, tRAS, tRC;
    int64_t tCCD_S, tCCD_L; /* column to column, other / same bank group */
    int64_t tRRD_S, tRRD_L; /* ACT to ACT, other / same bank group */
    int64_t tFAW;           /* at most 4 ACTs in any tFAW window (rank) */
    int64_t tWR;            /* end of write data -> PRE */
    int64_t tWTR_S, tWTR_L; /* end of write data -> RD, other / same BG */
    int64_t tRTP;           /* RD -> PRE */
    int64_t tRTRS;          /* rank to rank data-bus switch */
    int64_t tRFC, tRFCpb;   /* all-bank / per-bank refresh cycle */
    int64_t tREFI, tREFIpb; /* refresh interval: all-bank / per-bank command spacing */
    /* PIM knobs (0 where the device has no PIM). */
    int64_t tRCDMAC;       /* ACT -> MAC16 / MAC_SBK (AiM nRCDRDMAC) */
    int64_t tCCD_MAC;      /* MAC16 -> MAC16 (all-bank tCCD; a power cap stretches it) */
    int64_t tRCD_COPYRD;   /* ACT -> COPY_BKGB */
    int64_t tRCD_COPYWR;   /* ACT -> COPY_GBBK */
    int64_t tAAW;          /* multi-bank ACT (ACT4/ACT16) to the next one, same rank (0: none) */
    int multi_act_in_faw;  /* ACT4/ACT16 each enter the tFAW window (AiM fork: 0) */
} dr_timing;

typedef struct dr_org {
    int channels, ranks, bankgroups, banks_per_group; /* banks per rank = bankgroups * banks_per_group */
    int64_t rows;        /* per bank */
    int64_t row_bytes;   /* per bank row, one channel */
    int64_t burst_bytes; /* per RD/WR burst, one channel */
    int64_t columns;     /* derived: row_bytes / burst_bytes (bursts per row) */
    int dual_command_bus; /* separate row and column command buses */
} dr_org;

/* Energy: both forms are always computed; `form` says which one energy_pj
 * reports.  IDD form (DRAMsim3's formulas, per device, x devices_per_rank):
 *   ACT  = VDD*(IDD0*tRC - (IDD3N*tRAS + IDD2N*tRP))
 *   RD   = VDD*(IDD4R - IDD3N)*nBL,  WR = VDD*(IDD4W - IDD3N)*nBL
 *   REF  = VDD*(IDD5AB - IDD3N)*tRFC (per bank: IDD5PB, tRFCpb)
 *   background VDD*IDD3N (any bank open) / VDD*IDD2N (all closed) per cycle
 * (mA x V x ns = pJ).  pJ/bit form: ACT = act_pj_per_bit * row bits,
 * RD/WR = (rdwr_pj_per_bit + io_pj_per_bit) * burst bits, MAC = mac_pj_per_bit
 * * burst bits per bank (no I/O), refresh/background from the IDD terms. */
typedef struct dr_energy {
    dr_energy_form form;
    double vdd;                                       /* V */
    double idd0, idd2n, idd3n, idd4r, idd4w, idd5ab, idd5pb; /* mA */
    int devices_per_rank;
    double act_pj_per_bit, rdwr_pj_per_bit, io_pj_per_bit, mac_pj_per_bit;
} dr_energy;

typedef struct dr_spec {
    char name[64];
    char file[256];       /* where it was read from ("" if built in code) */
    double tck_ns;
    dr_org org;
    dr_timing t;
    dr_energy e;
    dr_row_policy policy;
    dr_refresh_mode refresh;
    int queue_depth;          /* per read and per write queue, per channel */
    int write_high, write_low; /* write-drain watermarks (entries) */
    dr_field map_order[DR_NFIELDS]; /* address mapping, most significant first */
} dr_spec;

/* Read a timing set: NAME (bundled sim/dram/NAME.yaml) or a path.  Every
 * error is located ("file:line:col: key 'timing.tRC': ...").  Checks: no
 * negative value, tRC >= tRAS + tRP, banks/rows/channels > 0, row_bytes a
 * multiple of burst_bytes, mapping a permutation of the six fields. */
int dr_spec_load(const char *name_or_path, dr_spec *out, es_err *e);
int dr_spec_parse_string(const char *name, const char *text, dr_spec *out, es_err *e);
/* Peak data rate of the whole memory: channels * burst_bytes / (nBL * tCK). */
double dr_peak_bytes_per_s(const dr_spec *s);

/* ---- addresses and the command stream ---- */

typedef struct dr_addr {
    int ch, rank, bg, bank; /* bank within its group */
    int64_t row, col;       /* col: burst index in the row */
} dr_addr;

/* Byte address -> (ch, rank, bg, bank, row, col) by the spec's map_order
 * (burst offset bits below everything). */
dr_addr dr_map_address(const dr_spec *s, uint64_t byte_addr);

typedef struct dr_cmd {
    uint64_t t;      /* issue cycle */
    uint8_t kind;    /* dr_cmd_kind */
    uint8_t ch, rank, bg, bank;
    uint32_t row, col;
} dr_cmd;

typedef struct dr_stream {
    dr_cmd *v;
    size_t n, cap;
} dr_stream;
void dr_stream_push(dr_stream *s, dr_cmd c);
void dr_stream_free(dr_stream *s);

/* ---- one channel's device state ---- */

typedef struct dr_channel dr_channel;

/* stream: where issued commands are appended (may be NULL: not recorded). */
dr_channel *dr_channel_new(const dr_spec *s, int ch, dr_stream *stream);
void dr_channel_free(dr_channel *c);
/* Commands of a channel issue in time order: never before the last one.
 * Earliest cycle >= now at which command k to `a` (ch ignored; for ACT16,
 * PREA, REFAB, MAC16, WRGB, RDMAC16 only rank counts; ACT4: rank, bg) is
 * legal, or DR_NEVER when the bank state forbids it (RD to a closed bank,
 * ACT to an open one, MAC16 with a bank closed, ...). */
uint64_t dr_earliest(const dr_channel *c, dr_cmd_kind k, const dr_addr *a, uint64_t now);
/* Issue k at cycle t (t >= dr_earliest(...)): updates bank state, counters
 * and energy, and appends to the stream.  -1 with e set if illegal. */
int dr_issue(dr_channel *c, dr_cmd_kind k, const dr_addr *a, uint64_t t, es_err *e);
/* Open row of a bank, or -1 when precharged. */
int64_t dr_open_row(const dr_channel *c, int rank, int bg, int bank);
/* Cycle at which the data of a RD/RDA/RDMAC16 issued at t has fully arrived
 * (t + CL + nBL); of a WR/WRA/WRGB, when its data has been taken
 * (t + CWL + nBL). */
uint64_t dr_data_done(const dr_channel *c, dr_cmd_kind k, uint64_t t);

typedef struct dr_stats {
    uint64_t cmds[DR_NCMD];
    uint64_t bytes_read, bytes_written;
    uint64_t row_hits, row_misses, row_conflicts; /* per RD/WR request */
    uint64_t reads_done, writes_done;
    uint64_t read_latency_sum; /* cycles, arrival -> last data */
    uint64_t read_latency_max;
    uint64_t active_cycles, precharged_cycles; /* background (per rank, summed) */
    double energy_idd_pj, energy_pjbit_pj;
} dr_stats;
const dr_stats *dr_channel_stats(const dr_channel *c);
/* Background energy up to cycle t (called once at the end of a run). */
void dr_channel_close(dr_channel *c, uint64_t t);

/* ---- the memory system: mapping + per-channel FR-FCFS controllers ---- */

typedef struct dr_mem dr_mem;
/* Completion callback: request `id` (as submitted) finished at cycle t. */
typedef void (*dr_done_fn)(void *ctx, uint64_t id, uint64_t t);

dr_mem *dr_mem_new(const dr_spec *s, int record_stream);
void dr_mem_free(dr_mem *m);
void dr_mem_on_done(dr_mem *m, dr_done_fn fn, void *ctx);
/* Queue a burst-sized request arriving at cycle `arrival` (>= the last
 * arrival).  Returns 0, or 1 when the channel's queue is full (submit again
 * after dr_mem_advance has made room). */
int dr_mem_submit(dr_mem *m, uint64_t byte_addr, int is_write, uint64_t arrival, uint64_t id);
/* Run the controllers until cycle `until` (DR_NEVER: until every queue is
 * empty).  Returns the cycle reached.  Idle stretches cost nothing. */
uint64_t dr_mem_advance(dr_mem *m, uint64_t until);
/* Cycle the next event would happen at (DR_NEVER when idle). */
uint64_t dr_mem_next_event(const dr_mem *m);
int dr_mem_pending(const dr_mem *m); /* requests queued or in flight */
/* Cycle the data of the last served request completed (0 if none). */
uint64_t dr_mem_last_done(const dr_mem *m);
/* Summed over channels (after dr_mem_finish). */
void dr_mem_finish(dr_mem *m, uint64_t end_cycle);
dr_stats dr_mem_stats(const dr_mem *m);
const dr_stream *dr_mem_stream(const dr_mem *m); /* every channel's commands, issue order per channel */
dr_channel *dr_mem_channel(dr_mem *m, int ch);

/* ---- the independent checker ---- */

typedef struct dr_violation {
    size_t index;          /* offending command in the stream */
    char constraint[24];   /* "tRCD", "tFAW", "bank-closed", ... */
    uint64_t earliest;     /* the cycle the constraint allowed (0 for state errors) */
    char what[160];        /* "RD ch0 r0 bg1 b2 at 105: tRCD from ACT at 80 needs 116" */
} dr_violation;

/* Replay `n` commands (in non-decreasing t per channel) and check every
 * constraint of s's timing table and the bank state.  Fills up to max_out
 * violations into out (may be NULL) and returns the total count. */
size_t dr_check(const dr_spec *s, const dr_cmd *cmds, size_t n, dr_violation *out, size_t max_out);

#endif
