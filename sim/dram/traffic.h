/* sim/dram/traffic.h: drive the memory system alone (`einsim dram`):
 * synthetic streaming or random traffic, or a trace file, with the issued
 * command stream checked by dr_check.
 *
 * Trace file format (docs/dram.md): one request per line,
 *   CYCLE  R|W  ADDRESS
 * CYCLE the arrival in DRAM cycles (non-decreasing), ADDRESS a byte address
 * (decimal or 0x hex; the burst containing it is accessed).  '#' starts a
 * comment; blank lines are ignored. */
#ifndef SIM_DRAM_TRAFFIC_H
#define SIM_DRAM_TRAFFIC_H

#include <stddef.h>
#include <stdint.h>

#include "sim/dram/dram.h"

typedef struct dr_req_rec {
    uint64_t arrival, addr;
    int write;
} dr_req_rec;

typedef struct dr_trace {
    dr_req_rec *v;
    size_t n, cap;
} dr_trace;

int dr_trace_load(const char *path, dr_trace *t, es_err *e);
int dr_trace_parse(const char *name, const char *text, dr_trace *t, es_err *e);
void dr_trace_free(dr_trace *t);

typedef enum { DR_TRAFFIC_STREAM, DR_TRAFFIC_RANDOM, DR_TRAFFIC_TRACE } dr_traffic_kind;

typedef struct dr_traffic {
    dr_traffic_kind kind;
    uint64_t requests;      /* stream / random */
    double read_ratio;      /* stream / random: fraction of reads */
    uint64_t seed;
    int outstanding;        /* at most this many requests in flight (0: as many as the queues take) */
    const dr_trace *trace;  /* DR_TRAFFIC_TRACE */
    int check;              /* record the command stream and run dr_check */
} dr_traffic;

typedef struct dr_run_result {
    uint64_t cycles;        /* last data transfer completed */
    dr_stats st;
    size_t commands;        /* commands issued */
    size_t violations;      /* from dr_check (0 when not checked) */
    dr_violation first[4];  /* the first few */
    int checked;
} dr_run_result;

/* Run traffic through a fresh memory system. */
int dr_run(const dr_spec *s, const dr_traffic *tr, dr_run_result *out, es_err *e);
/* Total capacity in bytes (every channel, rank, bank, row). */
uint64_t dr_capacity_bytes(const dr_spec *s);

#endif
