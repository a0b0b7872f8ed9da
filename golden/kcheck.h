/* golden/kcheck.h: run a named golden kernel on seeded random inputs (or
 * given ones) with every algorithm golden has for it, and measure how far the
 * algorithms are from each other and from an exact (long double) reference,
 * against the bounds stated in docs/golden-kernels.md.  Library code: fills
 * a result, prints nothing (einsim golden kernel prints it).
 *
 * Kernels: gemm (ref vs fast), softmax (3pass, 2pass, online), attention
 * (naive vs tiled vs packed varlen), layernorm, rmsnorm, cast (to a number
 * format with a rounding mode). */
#ifndef GOLDEN_KCHECK_H
#define GOLDEN_KCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "golden/base/err.h"
#include "golden/numfmt.h"

#define GD_KC_LINES 12
#define GD_KC_SEQS 16

/* One comparison: algorithm a against b (b may be "exact"). */
typedef struct gd_kc_line {
    char what[64];
    double max_abs;     /* max |a - b| */
    double max_rel;     /* max |a - b| / |b| over b != 0 */
    double max_ulp;     /* max distance in fp32 ulps (of the fp32 grid; for cast: of the format) */
    double bound_ratio; /* max over elements of |a - b| / bound; < 0: no bound stated */
    char bound[96];     /* the bound, in words */
} gd_kc_line;

typedef struct gd_kc_result {
    char kernel[16];
    char shape[160]; /* sizes and input, in words */
    int n_lines;
    gd_kc_line line[GD_KC_LINES];
    char note[160]; /* extra facts (e.g. cast: overflowed / subnormal counts) */
} gd_kc_result;

typedef struct gd_kc_opts {
    int64_t m, n, k;         /* gemm sizes; softmax/norm/cast: rows = m, row length = n */
    int64_t nq, nk, d, dv;   /* attention */
    int64_t heads, kv_heads, block;
    int causal;
    int n_seqs;              /* attention: packed sequence lengths (varlen) */
    int64_t seqs[GD_KC_SEQS];
    double spread;           /* inputs uniform in [-spread, spread) */
    double eps;              /* norms */
    uint64_t seed;
    const float *input;      /* optional values instead of random ones (m*n of them) */
    gd_dtype fmt;            /* cast */
    gd_round round;
    gd_overflow ovf;
    double scale;            /* cast to int8/int4: quantization step (0: max|x|/qmax) */
} gd_kc_opts;

void gd_kc_opts_init(gd_kc_opts *o);
/* Names, for --help and errors: "gemm, softmax, attention, layernorm, rmsnorm, cast". */
const char *gd_kc_names(void);
/* 0, or -1 with e set (unknown kernel, bad sizes, non-finite input). */
int gd_kernel_check(const char *name, const gd_kc_opts *o, gd_kc_result *r, es_err *e);
/* Largest bound ratio over the lines (<= 1: every stated bound holds). */
double gd_kc_worst(const gd_kc_result *r);

/* Distance between two floats in fp32 ulps (0 for equal bits or +0/-0;
 * infinite when exactly one is NaN). */
double gd_ulp_distance(float a, float b);
/* One fp32 ulp at the magnitude of v (the subnormal spacing below FLT_MIN). */
long double gd_ulp_of(long double v);

#endif
