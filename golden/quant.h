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
#include "golden/model.h"
#include "golden/numfmt.h"
#include "golden/safetensors.h"

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
/* The part of gd_quant_weight_bytes that is not element codes: scales,
 * zero points / mins, g_idx (fp32/fp16/bf16: 0; int8, fp8: 4 per row or per
 * tensor; gptq/rtn: scales + qzeros + g_idx; q8_0/q4_0: 2 per block of 32;
 * q4_k: 16 per super-block of 256 (d, dmin, 12 scale bytes); mxfp4: 1 per
 * 32).  A sparse layout of the same matrix keeps all of it and stores only
 * the kept elements' codes (f->bits each). */
int64_t gd_quant_side_bytes(const gd_qformat *f, int64_t rows, int64_t cols);
/* Average stored bits per weight of a rows x cols matrix. */
double gd_quant_bits_per_weight(const gd_qformat *f, int64_t rows, int64_t cols);

/* ======================================================================
 * int8 vector-wise GEMM and LLM.int8()  (golden/quant_int8.c)
 * Dettmers et al., arXiv 2208.07339; bitsandbytes backends/default/ops.py.
 * Rounding: round half to even (torch.round).  Zero scale: a row whose
 * absmax is 0 quantizes to all zeros and dequantizes to 0 (never x/0).
 * ====================================================================== */
/* q[r][c] = RNE(x[r][c] * (127 / absmax_r)), absmax[r] = max_c |x[r][c]|
 * (fp32, the division 127/absmax once per row as bitsandbytes does);
 * x has row stride ld.  Values land in [-127, 127]. */
void gd_i8_absmax_rows(int rows, int cols, const float *x, int ld, int8_t *q, float *absmax);
/* Exact int32 GEMM C[M x N] = A[M x K] . Bt[N x K]^T: naive loops
 * (the oracle) and the fast path (AVX-512 VNNI when the CPU has it, chosen
 * at run time, else a portable blocked loop).  Both exact (int32 sums of
 * |a|,|b| <= 128 products; K < 2^17 cannot overflow). */
void gd_gemm_i8_ref(int M, int N, int K, const int8_t *A, const int8_t *Bt, int32_t *C);
void gd_gemm_i8(int M, int N, int K, const int8_t *A, const int8_t *Bt, int32_t *C);
void gd_gemm_i8_portable(int M, int N, int K, const int8_t *A, const int8_t *Bt, int32_t *C);
/* Which path gd_gemm_i8 takes on this CPU: "avx512-vnni", "avx-vnni" or
 * "portable".  EINSIM_NO_VNNI=1 in the environment forces the portable one. */
const char *gd_gemm_i8_path(void);
/* The VNNI kernel itself; returns -1 (C untouched) when the CPU lacks it. */
int gd_gemm_i8_vnni(int M, int N, int K, const int8_t *A, const int8_t *Bt, int32_t *C);
/* The AVX-VNNI (VEX, 256-bit) kernel; -1 (C untouched) without avxvnni. */
int gd_gemm_i8_avxvnni(int M, int N, int K, const int8_t *A, const int8_t *Bt, int32_t *C);
/* B packed once for the VNNI kernel (weights reused across calls): 16-column
 * panels, 4 k per int32 lane, and 128 * sum_k b per column.  gd_i8_pack_b
 * returns -1 (nothing allocated) when the CPU lacks VNNI or N, K < 1;
 * gd_gemm_i8_packed then must not be called.  Same exact results. */
typedef struct gd_i8_packed_b {
    int N, K, K4, Np;
    int32_t *panels, *colsum;
} gd_i8_packed_b;
int gd_i8_pack_b(int N, int K, const int8_t *Bt, gd_i8_packed_b *p);
void gd_gemm_i8_packed(int M, const int8_t *A, const gd_i8_packed_b *p, int32_t *C);
void gd_i8_packed_b_free(gd_i8_packed_b *p);

/* Y[T x out] = X[T x in] . W^T (+ bias) with W [out x in] (nn.Linear):
 * activations absmax per row of X, weights absmax per row of W (the
 * paper's "column-wise" for W [in x out]), exact int32 accumulate, then
 * Y = C * (cx_t * cw_o / (127*127)) in fp32: (C * cx) * cw / 16129. */
void gd_int8_linear(int T, int in, int out, const float *X, const float *W, const float *bias, float *Y);
/* One output of gd_int8_linear before the bias: the exact int32 sum c of a
 * row of X and a row of W, dequantized with their absmax scales in fp32,
 * (c * cx) * cw / 16129 (127 * 127).  Exposed so a caller that forms c in
 * pieces (the simulator's functional mode, tile by tile) dequantizes with
 * golden's own expression. */
float gd_i8_dequant(int32_t c, float cx, float cw);

typedef struct gd_llm_int8_opts {
    float threshold; /* outlier magnitude; 6.0 by default; <= 0: no outliers */
    int bnb_compat;  /* 0: the paper's decomposition; 1: bitsandbytes' steps */
} gd_llm_int8_opts;
/* LLM.int8() linear.  Outlier columns O = {k : some |X[t][k]| >= threshold}.
 * Paper (bnb_compat 0): int8 vector-wise product over k not in O (row and
 * weight absmax taken over those k only), plus the outlier part
 * sum_{k in O} fp16(X[t][k]) * fp16(W[o][k]) accumulated in fp32.
 * bitsandbytes (bnb_compat 1): W quantized per row over all k (CB, SCB);
 * outlier elements of X set to 0 before the row absmax and quantization,
 * outlier columns of the int8 X zeroed; Y = C * cx * SCB * 6.200124e-05
 * (bnb's literal) + sum_{k in O} fp16(X[t][k]) * fp16(CB[o][k] * SCB/127).
 * Returns the number of outlier columns. */
int gd_llm_int8_linear(int T, int in, int out, const float *X, const float *W, const float *bias,
                       const gd_llm_int8_opts *o, float *Y);

/* ONNX integer ops (opset 13 semantics, checked against libonnx-testdata).
 * QuantizeLinear is gd_quantize_int (numfmt.h).  Y = (x - zp) * scale. */
float gd_onnx_dequantize_linear(int32_t x, float scale, int32_t zp);
/* DynamicQuantizeLinear, uint8: scale = (max(0, max x) - min(0, min x)) / 255
 * (fp32); zp = clamp(RNE(0 - min(0, min x) / scale), 0, 255); y =
 * clamp(RNE(x / scale) + zp).  An all-zero x gives scale 0, zp 0, y 0. */
void gd_onnx_dynamic_quantize(int n, const float *x, uint8_t *y, float *scale, uint8_t *zp);
/* MatMulInteger: Y[M x N] = (A - a_zp) . (B - b_zp), A [M x K], B [K x N],
 * values already widened to int32; exact. */
void gd_onnx_matmul_integer(int M, int N, int K, const int32_t *A, int32_t a_zp, const int32_t *B, int32_t b_zp,
                            int32_t *Y);
/* QLinearMatMul: y = clamp(RNE(acc * (a_scale * b_scale / y_scale)) + y_zp,
 * qmin, qmax) with acc from gd_onnx_matmul_integer; the multiplier is
 * formed and applied in double (ONNX's numpy reference promotes to
 * float64). */
void gd_onnx_qlinear_matmul(int M, int N, int K, const int32_t *A, float a_scale, int32_t a_zp, const int32_t *B,
                            float b_scale, int32_t b_zp, float y_scale, int32_t y_zp, int32_t qmin, int32_t qmax,
                            int32_t *Y);

/* ======================================================================
 * GPTQ and RTN  (golden/quant_gptq.c)
 * Frantar et al., arXiv 2210.17323; IST-DASLab/gptq gptq.py/quant.py;
 * AutoGPTQ qlinear_cuda_old.py (v1 packing).
 * ====================================================================== */
typedef struct gd_gptq_opts {
    int bits;        /* 2, 3, 4 or 8 */
    int group;       /* inputs per group (multiple of 32), 0 = one group per row */
    int sym;         /* 1 symmetric (zero = 2^(bits-1)), 0 asymmetric */
    int act_order;   /* quantize columns by descending diag(H) */
    float percdamp;  /* dampening as a fraction of mean diag(H); 0.01 */
    int block;       /* lazy-update block; 128 */
} gd_gptq_opts;
void gd_gptq_opts_default(gd_gptq_opts *o, int bits, int group);

/* A quantized weight W [rows x cols] (rows = out features): integer codes
 * q [rows x cols] in [0, 2^bits), per-group scale (fp16 value held as fp32)
 * and zero [rows x n_groups], g_idx[cols] = group of each input column.
 * W ~= scale[r][g_idx[c]] * (q[r][c] - zero[r][g_idx[c]]). */
typedef struct gd_qweight {
    int rows, cols, bits, group, n_groups;
    uint8_t *q;
    float *scale;
    int32_t *zero;
    int32_t *g_idx;
} gd_qweight;
void gd_qweight_free(gd_qweight *w);
/* Dequantize into W [rows x cols] (fp32, exact: scale * (q - zero)). */
void gd_qweight_dequant(const gd_qweight *w, float *W);

/* Hessian of a layer's input, H = (2/N) sum_n x_n x_n^T (GPTQ): _add
 * accumulates X^T X over the n rows of X [n x cols] into H [cols x cols]
 * (double); _finish multiplies by 2 / n_total. */
void gd_gptq_hessian_add(int cols, int n, const float *X, double *H);
void gd_gptq_hessian_finish(int cols, int64_t n_total, double *H);
/* Round-to-nearest with GPTQ's quantizer (per row and group, from W itself;
 * same fp16 scales). */
int gd_rtn_quantize(int rows, int cols, const float *W, const gd_gptq_opts *o, gd_qweight *out, es_err *e);
/* GPTQ with Hessian H [cols x cols] (double, not modified): dead inputs
 * (H_ii = 0) zeroed, optional act-order, dampening, H^-1 = U^T U by
 * Cholesky (GSL), blocked columns with lazy updates, group parameters
 * found on the updated W as each group starts (GPTQ's non-static groups).
 * Scales are rounded to fp16 (RNE, saturating) as soon as they are found,
 * so the error feedback sees the scale the checkpoint stores; a scale that
 * rounds to 0 becomes 2^-24 (the smallest fp16).  Errors: bad bits or
 * group, H not positive definite after dampening. */
int gd_gptq_quantize(int rows, int cols, const float *W, const double *H, const gd_gptq_opts *o, gd_qweight *out,
                     es_err *e);

/* AutoGPTQ v1 packed tensors of a gd_qweight (caller frees each array):
 *   qweight int32 [cols*bits/32, rows]: along each output column, input
 *     values packed LSB-first as one continuous bit stream (value k at bit
 *     bits*k; 3-bit values straddle words, as AutoGPTQ's pack does).
 *   qzeros  int32 [n_groups, rows*bits/32]: zero - 1, same stream along rows.
 *   scales  fp16  [n_groups, rows];  g_idx int32 [cols].
 * Requires rows and cols multiples of 32. */
typedef struct gd_gptq_packed {
    int rows, cols, bits, n_groups;
    int32_t *qweight, *qzeros, *g_idx;
    uint16_t *scales;
} gd_gptq_packed;
int gd_gptq_pack(const gd_qweight *w, gd_gptq_packed *p, es_err *e);
/* Inverse of gd_gptq_pack.  Zeros read back as (stored + 1) mod 2^bits, which
 * equals AutoGPTQ's stored + 1 for every zero >= 1 and also recovers zero 0
 * (which AutoGPTQ's v1 kernels misread as 2^bits).  Checks shapes, g_idx
 * range, scale finiteness; `what` names the tensor in errors. */
int gd_gptq_unpack(const gd_gptq_packed *p, gd_qweight *w, const char *what, es_err *e);
void gd_gptq_packed_free(gd_gptq_packed *p);

/* ======================================================================
 * ggml blocks  (golden/quant_ggml.c)  ggml-common.h / ggml-quants.c
 * ====================================================================== */
#define GD_QK8_0 32
#define GD_QK4_0 32
#define GD_QK_K 256
typedef struct { uint16_t d; int8_t qs[32]; } gd_block_q8_0;
typedef struct { uint16_t d; uint8_t qs[16]; } gd_block_q4_0;
typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[128]; } gd_block_q4_k;
typedef struct { float d; int8_t qs[256]; int16_t bsums[16]; } gd_block_q8_k;
/* n must be a multiple of the block size.  Rounding exactly as ggml's
 * reference: Q8_0 roundf (half away), Q4_0 (int8)(x*id + 8.5) truncation,
 * Q4_K/Q8_K nearest_int (half even); scales fp16 RNE. */
void gd_q8_0_quantize(int n, const float *x, gd_block_q8_0 *y);
void gd_q8_0_dequantize(int n, const gd_block_q8_0 *x, float *y);
void gd_q4_0_quantize(int n, const float *x, gd_block_q4_0 *y);
void gd_q4_0_dequantize(int n, const gd_block_q4_0 *x, float *y);
void gd_q4_k_quantize(int n, const float *x, gd_block_q4_k *y);
void gd_q4_k_dequantize(int n, const gd_block_q4_k *x, float *y);
void gd_q8_k_quantize(int n, const float *x, gd_block_q8_k *y);
/* Dot products: integer sums per block (exact), fp32 across blocks in
 * block order (golden's fixed order; ggml's SIMD paths sum differently). */
/* The ggml weight formats (GD_QF_Q8_0, GD_QF_Q4_0, GD_QF_Q4_K) by family:
 * elements and bytes per block (0 for any other family), and a row of n
 * values (a multiple of the block) to / from its blocks. */
int gd_ggml_block_elems(gd_qfamily fam);
size_t gd_ggml_block_bytes(gd_qfamily fam);
void gd_ggml_quantize(gd_qfamily fam, int n, const float *x, void *blocks);
void gd_ggml_dequantize(gd_qfamily fam, int n, const void *blocks, float *y);
float gd_q8_0_dot(int n, const gd_block_q8_0 *w, const gd_block_q8_0 *x);
float gd_q4_0_dot(int n, const gd_block_q4_0 *w, const gd_block_q8_0 *x);
float gd_q4_k_dot(int n, const gd_block_q4_k *w, const gd_block_q8_k *x);

/* ======================================================================
 * FP8 and MXFP4  (golden/quant_fp.c)
 * ====================================================================== */
/* Scale s = absmax / max_finite (448 E4M3, 57344 E5M2) per row (per_row)
 * or over the tensor; codes = RNE(x / s) saturating; absmax 0 gives s = 0
 * and all codes +0.  scales: rows entries (per_row) or 1. */
void gd_fp8_quantize(gd_dtype t, int rows, int cols, const float *x, int per_row, uint8_t *codes, float *scales);
void gd_fp8_dequantize(gd_dtype t, int rows, int cols, const uint8_t *codes, const float *scales, int per_row,
                       float *x);
/* C[M x N] = (A . Bt^T) with FP8 codes: products of decoded values summed
 * in fp32 over k increasing, then * a_scale * b_scale (A scales per row of A
 * or per tensor, B scales per row of Bt or per tensor). */
void gd_fp8_gemm(gd_dtype t, int M, int N, int K, const uint8_t *A, const float *a_scales, int a_per_row,
                 const uint8_t *Bt, const float *b_scales, int b_per_row, float *C);
/* OCP MX v1.0 MXFP4: blocks of 32, shared exponent e = floor(log2(absmax))
 * - 2 clamped to [-127, 127] stored as E8M0 (e + 127); elements E2M1 codes
 * (sign << 3 | index into {0, .5, 1, 1.5, 2, 3, 4, 6}) = RNE(x / 2^e),
 * saturating at 6.  absmax 0 (or no finite value) gives E8M0 0 and zeros.
 * n multiple of 32; codes one per byte; scales n/32 bytes. */
void gd_mxfp4_quantize(int n, const float *x, uint8_t *codes, uint8_t *scales);
void gd_mxfp4_dequantize(int n, const uint8_t *codes, const uint8_t *scales, float *x);
float gd_e2m1_to_f32(uint8_t code);
uint8_t gd_f32_to_e2m1(float x); /* RNE, saturating at +-6, NaN -> +0 */

/* ======================================================================
 * Whole models  (golden/quant_model.c)
 * ====================================================================== */
/* Calibration tokens for GPTQ: spec "SEED" (decimal digits) draws
 * GD_CALIB_SEQS sequences of min(GD_CALIB_LEN, max_seq) tokens uniformly
 * from the vocabulary with es_rng(SEED); otherwise spec is a file of token
 * ids separated by white space or commas, cut into sequences of
 * min(GD_CALIB_LEN, max_seq).  Errors name the file and the bad token. */
#define GD_CALIB_SEQS 4
#define GD_CALIB_LEN 64
typedef struct gd_calib {
    int *tokens;
    int n, seq_len;
} gd_calib;
int gd_calib_make(const char *spec, const gd_config *c, gd_calib *cal, es_err *e);
void gd_calib_free(gd_calib *cal);

/* What a quantized model stores. */
typedef struct gd_quant_stats {
    int n_mats;          /* block linear matrices quantized */
    int64_t q_params;    /* their weights */
    int64_t q_bytes;     /* their stored bytes in the format (gd_quant_weight_bytes) */
    int64_t fp32_bytes;  /* the same matrices at fp32 */
    int64_t other_bytes; /* every other parameter (embeddings, norms, biases, LM head) at fp32 */
} gd_quant_stats;

/* Quantize the block linear weights of m (not embeddings, not the LM head)
 * in format f.  Weight-only formats (fp16, bf16, gptq, rtn, mxfp4) replace
 * each matrix by its dequantized value; int8, llm.int8 and fp8 set
 * m->qlinear so each block linear quantizes its activations at run time and
 * runs the integer / FP8 kernel; q8_0, q4_0 and q4_k keep each matrix's
 * blocks (and its dequantized value in the model's weights) and run as
 * ggml's CPU path does: activations quantized to Q8_0 (Q8_K for q4_k) per
 * row, every output a block dot product.  GPTQ needs
 * cal and runs layer by layer (the paper's sequential order): the
 * calibration tokens go through the model with layers before l already
 * quantized, collecting each matrix's input Hessian for layer l.
 * act_order applies to GPTQ.  Errors name the tensor (e.g. an input width
 * that is not a multiple of the format's block). */
int gd_model_quantize(gd_model *m, const gd_qformat *f, const gd_calib *cal, int act_order, gd_quant_stats *st,
                      es_err *e);
/* Weight-only quantize-dequantize of one matrix W [rows x cols] (rows =
 * out features; groups and blocks run along cols) in place, the weights
 * gd_model_quantize leaves in the model: fp32/fp16/bf16 rounding, RTN,
 * q8_0, q4_0, q4_k, mxfp4.  For q8_0, q4_0 and q4_k, blocks (when not
 * NULL) receives the matrix's blocks, rows after rows (caller frees).
 * GPTQ (needs a Hessian) and the run-time formats (int8, llm.int8, fp8)
 * are errors, as is a row length that is not a multiple of the format's
 * block; `name` names the tensor. */
int gd_quant_dequant_weight(const gd_qformat *f, int rows, int cols, float *W, void **blocks, const char *name,
                            es_err *e);
/* The ggml formats' linear as golden's model runs it (llama.cpp's CPU
 * path): Y [T x out] from X [T x in], each row of X quantized to Q8_0
 * (Q8_K for q4_k), every output the block dot with the weight's blocks
 * (rows of gd_quant_dequant_weight's blocks), plus bias b when not NULL.
 * -1 for another format or in not a multiple of its block. */
int gd_ggml_linear(const gd_qformat *f, int T, int in, int out, const float *x, const void *blocks, const float *b,
                   float *y);
/* Frees what gd_model_quantize kept (m->qblocks); gd_model_free calls it. */
void gd_model_quant_free(gd_model *m);
/* Quantize with GPTQ or RTN and write a checkpoint: every block matrix as
 * NAME.qweight / .qzeros / .scales / .g_idx (AutoGPTQ v1, NAME without
 * ".weight"), everything else F32 under its name; atomic. m is left
 * holding the dequantized weights. */
int gd_model_save_quantized(gd_model *m, const gd_qformat *f, const gd_calib *cal, int act_order, const char *path,
                            gd_quant_stats *st, es_err *e);
/* Loader side (gd_model_load): is `name` (ending in ".weight") absent but
 * its GPTQ-packed tensors present?  Then read them, check shapes
 * (truncated or inconsistent tensors are errors naming file and tensor) and
 * dequantize into out, shaped [in, out] (conv1d, GPT-2) or [out, in]. */
int gd_gptq_is_packed(const gd_safetensors *st, const char *name);
int gd_gptq_read_f32(const gd_safetensors *st, const char *name, int conv1d, const int64_t *shape, float *out,
                     es_err *e);

#endif
