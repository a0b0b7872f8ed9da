/* golden/quant.h: weight quantization formats, their storage, and the
 * quantized kernels (int8 vector-wise / LLM.int8(), GPTQ and RTN, ggml
 * blocks, FP8, MXFP4).  docs/golden-quant.md states every rounding and
 * zero-scale rule with its source.
 *
 * Conventions.  A weight matrix is W[rows x cols] in nn.Linear layout:
 * rows = output features, cols = input features (the reduction dimension,
 * contiguous).  Groups and blocks run along cols, inside one row.  The
 * format table below is stable: downstream rooms size DRAM traffic with
 * gd_quant_weight_bytes(). */
#ifndef GOLDEN_QUANT_H
#define GOLDEN_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "golden/base/err.h"
#include "golden/numfmt.h"

typedef enum gd_qfamily {
    GD_QF_FLOAT,    /* unquantized: fp32 / fp16 / bf16 elements, no scales */
    GD_QF_INT8,     /* vector-wise int8: int8 W, one fp32 absmax scale per row */
    GD_QF_LLM_INT8, /* LLM.int8(): int8 storage of GD_QF_INT8 + fp16 outlier path at run time */
    GD_QF_GPTQ,     /* GPTQ, stored in the AutoGPTQ v1 packed layout */
    GD_QF_RTN,      /* round-to-nearest, same quantizer and layout as GPTQ */
    GD_QF_Q8_0,     /* ggml block_q8_0: 32 elems, fp16 d + 32 int8 */
    GD_QF_Q4_0,     /* ggml block_q4_0: 32 elems, fp16 d + 16 bytes of nibbles */
    GD_QF_Q4_K,     /* ggml block_q4_K: 256 elems, fp16 d, dmin, 12 scale bytes, 128 qs */
    GD_QF_FP8,      /* FP8 E4M3 / E5M2 elements, fp32 scale per row or per tensor */
    GD_QF_MXFP4     /* OCP MX: E2M1 elements, one E8M0 scale per 32 */
} gd_qfamily;

/* Where the scales of a format live. */
typedef enum gd_qscope {
    GD_QS_NONE,    /* no scale (unquantized) */
    GD_QS_TENSOR,  /* one scale for the matrix */
    GD_QS_ROW,     /* one per output row (per channel) */
    GD_QS_GROUP    /* one per `group` consecutive inputs of a row */
} gd_qscope;

typedef struct gd_qformat {
    char name[32];         /* CLI name, e.g. "gptq4-g128" */
    gd_qfamily family;
    int bits;              /* bits of one stored weight element */
    int group;             /* elements per scale (GD_QS_GROUP), else 0 */
    gd_qscope scope;
    gd_dtype elem;         /* element format for GD_QF_FLOAT and GD_QF_FP8 (fp32, fp16,
                              bf16, e4m3, e5m2); GD_I8 for the integer and MXFP4 codes,
                              whose width is `bits` */
    int scale_bits;        /* bits of one stored scale (fp16 16, fp32 32, E8M0 8) */
    int zero_bits;         /* bits of one stored zero point or min (0: none) */
    int sym;               /* GPTQ/RTN: 1 symmetric, 0 asymmetric (storage is the same) */
    const char *what;      /* one line for --help and docs */
} gd_qformat;

/* The table of named formats (stable order, NULL-terminated by count):
 *   fp32 fp16 bf16
 *   int8 llm.int8
 *   gptq4-g128 gptq3-g128 gptq4-g32 gptq3-g32 rtn4-g128 rtn3-g128 rtn4-g32 rtn3-g32
 *   q8_0 q4_0 q4_k
 *   fp8-e4m3 fp8-e5m2 (per-row fp32 scales) fp8-e4m3-t fp8-e5m2-t (per tensor)
 *   mxfp4 */
int gd_qformat_count(void);
const gd_qformat *gd_qformat_at(int i);
/* A table name, or the general GPTQ/RTN forms {gptq,rtn}B-gG and
 * {gptq,rtn}B-row (one group per row), each with an optional "-asym"
 * suffix: B in {2,3,4,8}, G a multiple of 32 (the packed layout's word
 * boundary).  Fills *out.  0, or -1 with e = "--quant 'NAME': what is
 * wrong; expected ...". */
int gd_qformat_parse(const char *name, gd_qformat *out, es_err *e);
/* Table entry by exact name; NULL if none. */
const gd_qformat *gd_qformat_find(const char *name);

/* Stored bytes of a rows x cols weight matrix in format f, everything
 * included: elements, scales, zero points / mins, GPTQ's g_idx.
 *   fp32/fp16/bf16  rows*cols*size
 *   int8, llm.int8  rows*cols + 4*rows             (int8 CB + fp32 SCB, bitsandbytes)
 *   gptq, rtn       AutoGPTQ v1: qweight int32 [ceil(cols/32)*bits, rows]
 *                   + scales fp16 [ng, rows] + qzeros int32 [ng, ceil(rows/32)*bits]
 *                   + g_idx int32 [cols];  ng = ceil(cols/group) (per-row: 1)
 *   q8_0 / q4_0     rows * ceil(cols/32) * 34 / 18
 *   q4_k            rows * ceil(cols/256) * 144
 *   fp8             rows*cols + 4*rows (per row) or + 4 (per tensor)
 *   mxfp4           rows * ceil(cols/32) * 17
 * A partial last block is counted as a whole (padded) block. */
int64_t gd_quant_weight_bytes(const gd_qformat *f, int64_t rows, int64_t cols);
/* Average stored bits per weight of a rows x cols matrix. */
double gd_quant_bits_per_weight(const gd_qformat *f, int64_t rows, int64_t cols);

#endif
