/* sim/pim/pim.h: DRAM processing-in-memory systems (DESIGN §6): per-bank
 * MAC units fed by the open row, a per-channel global buffer, AiM-like PIM
 * commands issued on the command-level DRAM (sim/dram), a vector ASIC, and
 * the PIM-GPT decode mapping.  User guide: docs/pim.md.
 *
 * Units: DRAM time in cycles of the timing set's tCK (the report's clock);
 * ASIC time in cycles of its own clock, converted (rounded up) to DRAM
 * cycles where the two meet.  Energy in pJ.
 *
 * Layers, bottom up:
 *   pim_mac_column   one bank MAC unit step: 16 BF16 lanes x the global
 *                    buffer's column, an adder tree, an fp32 accumulator;
 *   pim_ctl          one channel's PIM controller: PIM instructions (WR_GB,
 *                    an all-bank MAC row, RD_MAC, KV writes, copies) ->
 *                    DRAM commands through dr_earliest / dr_issue, with
 *                    all-bank refresh when due; channels run lock-step
 *                    (PIM-GPT broadcasts the command stream), so one
 *                    representative channel is simulated command by command
 *                    and its counts are multiplied by the channel count;
 *   pim_asic_*       the vector ASIC: timing per op and the approximations
 *                    it computes (Taylor exp, Newton-Raphson reciprocal,
 *                    fast inverse square root);
 *   pim_decode       the PIM-GPT decode of a GPT model over a prompt.
 *
 * Library code: never prints, never exits; errors come back in es_err. */
#ifndef SIM_PIM_H
#define SIM_PIM_H

#include <stdint.h>
#include <stdio.h>

#include "golden/base/err.h"
#include "models/models.h"
#include "sim/dram/dram.h"

/* ------------------------------------------------------------ the arch */

typedef struct pim_asic {
    double clock_hz;
    int lanes;            /* vector lanes: elementwise ops per cycle */
    int64_t sram_bytes;   /* on-chip SRAM (activations, partial sums) */
    int latency;          /* pipeline fill per op, cycles */
    int exp_terms;        /* Taylor terms of e^x after range reduction */
    int recip_iters;      /* Newton-Raphson iterations of 1/x */
    int rsqrt_iters;      /* Newton steps after the fast inverse square root */
    double pj_per_op;     /* one lane op (add, mul or fma) */
    double pj_per_sram_byte;
} pim_asic;

/* What a mapping chooses (einsim map searches these; PIM-GPT's is the
 * bundled one, the arch's `mapping:`). */
typedef struct pim_mapping {
    int split_k;   /* 0: a weight matrix's outputs over channels then banks
                    * (PIM-GPT); 1: its inputs (k) over channels, outputs
                    * over banks, channel partial sums reduced on the ASIC */
    int pack_rows; /* 1: several outputs (heads) share a DRAM row when one
                    * output's k (or a head's keys) fills less than a row */
    int kv_in_pim; /* 1: the KV cache lives in reserved bank regions and
                    * q.K^T, softmax.V run as bank-local GEMVs; 0: the ASIC
                    * streams the cache over the channels and computes them */
    int overlap;   /* 1: the ASIC reduces partial sums while the banks go on
                    * (only the last row's reduction is exposed); 0: every
                    * instruction waits for the ASIC (PIM-GPT's simulator) */
} pim_mapping;

typedef struct pim_arch {
    char name[48];
    char file[512];
    char description[256];
    char dram_name[64];   /* timing set (sim/dram/NAME.yaml) */
    dr_spec dram;
    int channels;         /* PIM channels (overrides the timing set's) */
    int banks;            /* banks per channel with a MAC unit (all of them) */
    int mac_lanes;        /* BF16 multipliers per bank MAC unit */
    int word_bytes;       /* 2 (BF16) */
    double mac_pj;        /* one lane MAC in a bank unit */
    pim_asic asic;
    pim_mapping mapping;  /* bundled (PIM-GPT) mapping */
} pim_arch;

/* 1 when name_or_path is an arch (loaded through the component registry)
 * with a unit of kind pim-banks, so the CLI routes it here; 0 otherwise
 * (including specs that do not load: the regular loader reports them). */
int pim_arch_is(const char *name_or_path);
/* Load a bundled name (sim/arch/NAME.yaml) or a path through the registry
 * (sim_arch_load) and take its pim-banks and vector-asic units; located
 * errors. */
int pim_arch_load(const char *name_or_path, pim_arch *a, es_err *e);
int pim_arch_parse(const char *fname, const char *text, pim_arch *a, es_err *e);
/* Mapping files (`kind: pim-mapping`, the pim_mapping fields as booleans). */
int pim_mapping_load(const char *path, pim_mapping *m, es_err *e);
void pim_mapping_write(FILE *fp, const char *arch, const pim_mapping *m);

/* ------------------------------------------------------- bank MAC unit */

/* One MAC step of a bank unit: acc += sum over lanes of row[i] * gb[i]
 * (BF16 products exact in fp32, an adder tree in lane order pairs, the sum
 * added to the fp32 accumulator).  row and gb are BF16 bit patterns. */
float pim_mac_column(float acc, const uint16_t *row, const uint16_t *gb, int lanes);

/* --------------------------------------------------------------- ASIC */

/* The ASIC's arithmetic (what its units compute, in fp32). */
float pim_asic_exp(float x, int terms);         /* range reduction + Taylor */
float pim_asic_recip(float x, int iters);       /* Newton-Raphson 1/x */
float pim_asic_rsqrt(float x, int iters);       /* fast inverse square root */
float pim_asic_gelu_tanh(float x, int terms, int iters);
void pim_asic_softmax(const pim_asic *A, int n, const float *x, float *y);
void pim_asic_layernorm(const pim_asic *A, int n, const float *x, const float *g, const float *b, float eps,
                        float *y);

typedef enum {
    PIM_ASIC_LAYERNORM,
    PIM_ASIC_SOFTMAX,
    PIM_ASIC_GELU,
    PIM_ASIC_RESIDUAL,
    PIM_ASIC_REDUCE, /* partial-sum reduction: n adds */
    PIM_ASIC_ATTEND, /* kv_in_pim 0: q.K^T and softmax.V on the lanes (n MACs) */
    PIM_ASIC_NOPS
} pim_asic_op;
const char *pim_asic_op_name(pim_asic_op op);
/* Lane ops one element costs (the op's arithmetic, docs/pim.md). */
double pim_asic_ops_per_elem(const pim_asic *A, pim_asic_op op);
/* ASIC cycles of an op over n elements: ceil(n * ops / lanes) + lane
 * reductions (log2 lanes each) + latency. */
int64_t pim_asic_cycles(const pim_asic *A, pim_asic_op op, int64_t n);

/* ---------------------------------------------------------- the decode */

typedef enum { PIM_T_MAC, PIM_T_MOVE, PIM_T_REFRESH, PIM_T_ASIC, PIM_T_N } pim_time_class;

typedef struct pim_result {
    int64_t tokens;              /* generated tokens simulated */
    uint64_t cycles;             /* DRAM cycles for all generated tokens */
    double seconds;
    double energy_pj;
    double energy_dram_pj, energy_mac_pj, energy_asic_pj;
    double energy_dram_idd_pj, energy_dram_pjbit_pj; /* both forms, all channels */
    const char *energy_form;     /* "idd" or "pj_per_bit" (the timing set's) */
    uint64_t cmds[DR_NCMD];      /* all channels */
    uint64_t bank_acts;          /* banks activated (ACT16 = banks) */
    uint64_t bank_accesses;      /* per-bank column accesses (MAC16 = banks) */
    double row_hit_rate;         /* 1 - bank_acts / bank_accesses */
    uint64_t mac_lane_ops;       /* useful BF16 MACs (weights and cache, no padding) */
    double mac_utilization;      /* useful MACs / (banks x lanes x cycles / tCCD_MAC) */
    double mac_busy;             /* MAC16 issue slots used / available */
    uint64_t time_cycles[PIM_T_N];
    uint64_t asic_busy_cycles;   /* DRAM cycles the ASIC computed (exposed or hidden) */
    int64_t weight_bytes;        /* per token, every channel */
    double bound_s_per_token;    /* weight bytes / in-bank MAC bandwidth */
    uint64_t simulated_cmds, fast_forwarded_cmds;
    uint64_t simulated_cycles, fast_forwarded_cycles;
    double check_violations;     /* dr_check on the recorded stream (-1: not run) */
} pim_result;

typedef struct pim_opts {
    int64_t prompt, gen;  /* cache holds `prompt` tokens before the first step */
    int fast_forward;     /* 1: skip repeated identical rows exactly */
    int record;           /* 1: record the representative channel's command
                           * stream and run dr_check on it */
    const pim_mapping *mapping; /* NULL: the arch's */
} pim_opts;

/* Simulate `gen` decode tokens of model m on arch a. */
int pim_decode(const pim_arch *a, const md_model *m, const pim_opts *o, pim_result *r, es_err *e);

/* Functional mode: the decode with values (docs/pim.md).  A GPT-2-family
 * model with golden's synthetic weights (seed) runs o->gen steps after an
 * o->prompt-token cache through the mapping's dataflow: BF16 weights and
 * cache in the banks, bank MAC units, RD_MAC as BF16, the ASIC's own
 * arithmetic; every step's logits are compared with golden's gd_forward. */
typedef struct pim_func_result {
    int64_t tokens;
    double max_abs_err, max_rel_err; /* over all steps; rel: / max |golden logit| */
    int argmax_agree;                /* steps whose argmax equals golden's */
} pim_func_result;
/* BF16 weights, vectors, cache and RD_MAC results against golden's fp32:
 * logits within this fraction of the largest golden logit (measured errors
 * on the bundled archs: docs/pim.md). */
#define PIM_FUNC_TOLERANCE 0.05
int pim_functional(const pim_arch *a, const md_model *m, const pim_opts *o, uint64_t seed, pim_func_result *fr,
                   es_err *e);

/* "pim_mac", "data_movement", "refresh", "asic" (time_breakdown_s keys). */
const char *pim_time_class_name(pim_time_class c);

/* ------------------------------------------------------------ mapping search */

#define PIM_MAP_POINTS 16 /* every pim_mapping (4 binary choices) */
typedef struct pim_map_point {
    pim_mapping m;
    double s_per_token, pj_per_token, row_hit_rate;
    double objective; /* latency: s; energy: pJ; edp: s x pJ (per token) */
} pim_map_point;

/* Simulate every mapping (o's prompt and gen); obj 0 latency, 1 energy,
 * 2 EDP; *best = index of the lowest objective (first on ties, so the
 * order of pim_mapping_index decides).  pts has PIM_MAP_POINTS entries. */
int pim_map_search(const pim_arch *a, const md_model *m, const pim_opts *o, int obj, pim_map_point *pts, int *best,
                   es_err *e);
/* Index of a mapping in the search order (split_k bit 0, pack_rows 1,
 * kv_in_pim 2, overlap 3); choices in which two mappings differ. */
int pim_mapping_index(const pim_mapping *m);
int pim_mapping_distance(const pim_mapping *x, const pim_mapping *y);

/* A result as a simulation report (clock = the DRAM clock; units pim_mac
 * and asic; dram.*, time_breakdown_s.*, decode.*, run.* figures). */
struct sim_report;
void pim_fill_report(const pim_arch *a, const pim_result *x, struct sim_report *r);

#endif
