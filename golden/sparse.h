/* golden/sparse.h: sparse weight formats and their SpMM kernels (2:4
 * structured, block-sparse BSR in fp32 and int8, unstructured CSR), and
 * sparse attention (per-query top-k keys; KV-cache pruning with H2O and
 * Keyformer scores).  docs/golden-sparse.md states every pruning and tie
 * rule with its source.
 *
 * Conventions.  A sparse matrix A is [rows x cols] = [M x K]: in nn.Linear
 * terms rows = output features, cols = input features (the reduction
 * dimension), as in NVIDIA's sparse tensor cores (operand A) and Intel's
 * 4x1 kernels (weight x activation).  Every SpMM computes
 * C[M x N] = A . B with B dense [K x N] row-major, and sums each C[i][j] over
 * the stored entries of row i in increasing k with one accumulator (fp32:
 * acc = acc + a*b, no fma; int8: exact int32).  A stored entry that is zero
 * adds an exact zero, so every SpMM equals gd_gemm_ref (or an exact int32
 * loop) on the decompressed matrix bit for bit.
 *
 * Validation: every "check" returns 0 or -1 with e = "tensor NAME: what is
 * wrong (where); expected ...". */
#ifndef GOLDEN_SPARSE_H
#define GOLDEN_SPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "golden/base/err.h"
#include "golden/base/rng.h"
#include "golden/kernels.h"
#include "golden/model.h"

/* ======================================================================
 * 2:4 structured sparsity (NVIDIA Ampere sparse tensor cores; Mishra et
 * al., arXiv 2104.08378).  At most 2 non-zeros in every group of 4
 * consecutive elements along a row (K).  cols must be a multiple of 4.
 * ====================================================================== */
/* Magnitude pruning: in each group of 4 keep the 2 largest |w| and zero the
 * other 2; ties keep the lower index (a stable order by |w| descending, then
 * index ascending).  A NaN counts as the largest magnitude.  Element (r, c)
 * of the logical matrix is W[r*rs + c*cs], so a Conv1D [in, out] weight is
 * pruned along `in` with rs = 1, cs = out.  In place. */
int gd_prune_24(int rows, int cols, float *W, size_t rs, size_t cs, es_err *e);

typedef struct gd_sp24 {
    int rows, cols;
    float *val;   /* [rows x cols/2]: the 2 kept values of each group, ascending index */
    uint8_t *idx; /* [rows x cols/2]: their positions 0..3 in the group (2 bits each) */
} gd_sp24;

/* Compress a row-major dense matrix declared 2:4.  A group with more than 2
 * non-zeros is an error naming the tensor, row and columns.  A group with
 * fewer than 2 non-zeros stores explicit zeros at the lowest free positions
 * so the two indices stay ascending and distinct (PTX declares equal
 * indices invalid).  Allocates; gd_sp24_free. */
int gd_sp24_compress(int rows, int cols, const float *W, const char *name, gd_sp24 *out, es_err *e);
/* Every index pair in 0..3, strictly ascending. */
int gd_sp24_check(const gd_sp24 *s, const char *name, es_err *e);
void gd_sp24_decompress(const gd_sp24 *s, float *W); /* W [rows x cols] */
void gd_sp24_free(gd_sp24 *s);
/* Stored bytes: values (elem_bytes each) + 2 bits per index. */
int64_t gd_sp24_bytes(int64_t rows, int64_t cols, int elem_bytes);
/* C = A . B (see the conventions above); C [rows x N] is overwritten. */
void gd_spmm_24(const gd_sp24 *A, int N, const float *B, float *C);

/* ======================================================================
 * Block-sparse rows (BSR): blocks of br x bc, a block is kept or all zero
 * (Intel's 4x1 "constant block" int8 kernels: Shen et al., arXiv
 * 2306.16601).  br must divide rows and bc cols.
 * ====================================================================== */
typedef struct gd_bsr {
    int rows, cols, br, bc;
    int nnzb;      /* kept blocks */
    int *row_ptr;  /* [rows/br + 1]: blocks of block row b are row_ptr[b] .. row_ptr[b+1]-1 */
    int *col_idx;  /* [nnzb]: block column, strictly ascending within a block row */
    float *val;    /* fp32: [nnzb x br x bc], each block row-major; NULL for int8 */
    int8_t *qval;  /* int8: same layout; NULL for fp32 */
    float *scale;  /* int8: [rows] per-row absmax/127 scales (0 for an all-zero row) */
} gd_bsr;

/* Block magnitude pruning: score each block by the sum of |w| (in double),
 * zero the floor(sparsity * nblocks) blocks of least score; ties prune the
 * higher block index first (blocks numbered row-major), i.e. keep the
 * lower.  sparsity in [0, 1).  In place, strides as gd_prune_24. */
int gd_prune_blocks(int rows, int cols, float *W, size_t rs, size_t cs, int br, int bc, double sparsity,
                    es_err *e);
/* Dense row-major -> BSR keeping every block with a non-zero element.
 * int8 != 0 quantizes kept values per row: scale = absmax/127, q =
 * RNE(w/scale) in [-127, 127] (an all-zero row has scale 0 and q 0).
 * Allocates; gd_bsr_free. */
int gd_bsr_from_dense(int rows, int cols, const float *W, int br, int bc, int int8, const char *name, gd_bsr *out,
                      es_err *e);
/* Structure: block size divides the shape, row_ptr starts at 0, does not
 * decrease and ends at nnzb, block columns strictly ascending and in range. */
int gd_bsr_check(const gd_bsr *s, const char *name, es_err *e);
/* Dense fp32 (int8: the dequantized q*scale) or the int8 codes. */
void gd_bsr_to_dense(const gd_bsr *s, float *W);
void gd_bsr_to_dense_i8(const gd_bsr *s, int8_t *Q);
void gd_bsr_free(gd_bsr *s);
/* values + 4-byte block column per block + 4-byte row pointers (+ 4-byte
 * scale per row for int8). */
int64_t gd_bsr_bytes(const gd_bsr *s);
/* fp32: C = A . B.  int8: C32 [rows x N] = Q . B8 with B8 int8 [K x N],
 * exact int32. */
void gd_spmm_bsr(const gd_bsr *A, int N, const float *B, float *C);
void gd_spmm_bsr_i8(const gd_bsr *A, int N, const int8_t *B, int32_t *C);

/* ======================================================================
 * Unstructured CSR (fp32).
 * ====================================================================== */
typedef struct gd_csr {
    int rows, cols, nnz;
    int *row_ptr; /* [rows + 1] */
    int *col;     /* [nnz], strictly ascending within a row */
    float *val;   /* [nnz] */
} gd_csr;

/* Magnitude pruning: zero the floor(sparsity * rows*cols) elements of least
 * |w| in the whole matrix; ties prune the higher (row-major) index first. */
int gd_prune_unstructured(int rows, int cols, float *W, size_t rs, size_t cs, double sparsity, es_err *e);
int gd_csr_from_dense(int rows, int cols, const float *W, gd_csr *out);
int gd_csr_check(const gd_csr *s, const char *name, es_err *e);
void gd_csr_to_dense(const gd_csr *s, float *W);
void gd_csr_free(gd_csr *s);
int64_t gd_csr_bytes(const gd_csr *s); /* 4-byte values + 4-byte columns + 4-byte row pointers */
void gd_spmm_csr(const gd_csr *A, int N, const float *B, float *C);

/* ======================================================================
 * Sparse attention.
 * ====================================================================== */
/* Per-query top-k: each query row (each head) attends to the k visible keys
 * of highest score s_j = scale * q.k_j (gd_attention_naive's score bits);
 * ties keep the lower key index.  The kept keys then go through
 * gd_attention_naive unchanged, so k >= the visible count gives dense
 * attention bit for bit.  Layouts as gd_attention_mh.  Allocates scratch. */
void gd_attention_topk(const gd_attn_shape *s, int n_heads, int n_kv_heads, const float *Q, const float *K,
                       const float *V, float *O, int k);

/* KV-cache pruning during generation.  Per layer and query head, a score
 * per cached token is accumulated over every query row that attends to it:
 *   H2O (Zhang et al., NeurIPS 2023): the attention probabilities;
 *   Keyformer (Adnan et al., MLSys 2024): softmax((z + g) / tau_t) of the
 *     raw logits z over the kept keys, g ~ Gumbel(0, 1) = -log(-log U) with U
 *     = (u + 0.5) / 2^24, u the top 24 bits of es_rng_u64 (seeded by `seed`;
 *     one draw per (layer, head, query row, kept key) in that nesting, keys
 *     increasing), tau_t = 1 + t / gen_len (tau from 1 to 2; t = decode
 *     step, 0 for the prompt).
 * After each forward step, a head holding more than `budget` tokens keeps
 * the `recent` most recent ones plus the (budget - recent) others of highest
 * score (ties keep the older token) and drops the rest for good; the
 * dropped tokens' scores are cleared.  The attention output itself is plain
 * softmax attention (no noise) over the kept tokens, via
 * gd_attention_naive, so budget >= context gives dense attention bit for
 * bit.  Tokens keep their positions (no re-numbering). */
typedef enum gd_kvprune_kind { GD_KVP_H2O, GD_KVP_KEYFORMER } gd_kvprune_kind;

typedef struct gd_kvprune {
    gd_kvprune_kind kind;
    int budget, recent; /* recent < budget; default recent = budget * 3 / 10 */
    int gen_len;        /* Keyformer's tau schedule length (>= 1) */
    uint64_t seed;
    /* state */
    int n_layers, n_heads, cap, prompt_len, evicted;
    uint8_t *keep;  /* [layer][head][cap] */
    double *score;  /* [layer][head][cap] */
    es_rng rng;     /* Keyformer's noise */
} gd_kvprune;

int gd_kvprune_init(gd_kvprune *p, gd_kvprune_kind kind, int budget, int recent, int gen_len, uint64_t seed,
                    int n_layers, int n_heads, int cap, es_err *e);
void gd_kvprune_free(gd_kvprune *p);
/* The gd_model attention hook (model.h) for each: ctx is the gd_kvprune,
 * or a pointer to the int k of gd_attention_topk. */
void gd_kvprune_hook(void *ctx, int layer, const gd_attn_shape *s, int n_heads, int n_kv_heads, const float *Q,
                     const float *K, const float *V, float *O);
void gd_topk_hook(void *ctx, int layer, const gd_attn_shape *s, int n_heads, int n_kv_heads, const float *Q,
                  const float *K, const float *V, float *O);
/* One layer's attention over the cache (s->n_k cached tokens, the last
 * s->n_q of them the new queries, s->q_offset = n_k - n_q), then score
 * accumulation and eviction for that layer. */
void gd_kvprune_attention(gd_kvprune *p, int layer, const gd_attn_shape *s, int n_heads, int n_kv_heads,
                          const float *Q, const float *K, const float *V, float *O);
/* Tokens currently kept by (layer, head). */
int gd_kvprune_kept(const gd_kvprune *p, int layer, int head, int n_k);

/* ======================================================================
 * Whole models (golden/sparse_model.c): the --sparsity option.
 * ====================================================================== */

typedef enum gd_sp_kind {
    GD_SP_NONE,
    GD_SP_24,        /* "2:4": every block linear pruned 2:4 along its input */
    GD_SP_BLOCK,     /* "blockRxC:S": R x C blocks (R outputs x C inputs) pruned to sparsity S */
    GD_SP_UNSTRUCT,  /* "unstructured:S": element magnitude pruning to sparsity S (CSR) */
    GD_SP_TOPK,      /* "topk-attn:K": each query attends to its K best keys */
    GD_SP_KV_H2O,    /* "kv-h2o:B": KV cache held at B tokens per head, H2O scores */
    GD_SP_KV_KEYFORMER /* "kv-keyformer:B": the same with Keyformer's scores */
} gd_sp_kind;

typedef struct gd_sparsity {
    char name[48];
    gd_sp_kind kind;
    int br, bc;      /* GD_SP_BLOCK */
    double level;    /* GD_SP_BLOCK, GD_SP_UNSTRUCT: fraction of weights zeroed */
    int k;           /* GD_SP_TOPK: keys; GD_SP_KV_*: budget */
} gd_sparsity;

/* 0, or -1 with e = "--sparsity 'S': what is wrong; expected ...". */
int gd_sparsity_parse(const char *s, gd_sparsity *out, es_err *e);
int gd_sparsity_is_weight(const gd_sparsity *sp); /* 2:4, block, unstructured */

typedef struct gd_sparse_stats {
    int n_mats;         /* block linear matrices pruned (not embeddings, not the LM head) */
    int64_t params;     /* their weights */
    int64_t nnz;        /* non-zeros left */
    int64_t bytes;      /* their stored bytes: fp32 values + indices (2:4: 2 bits per value;
                           BSR: block columns and row pointers; CSR: columns and row pointers) */
    int64_t fp32_bytes; /* the same matrices dense fp32 */
} gd_sparse_stats;

/* Prune every block linear of m in place (weight kinds) and fill st; each
 * pruned matrix is compressed to its format and checked (a matrix the
 * format cannot hold is an error naming the tensor, e.g. an input width
 * that is not a multiple of 4 for 2:4), and m->qlinear then runs every
 * block linear as the format's SpMM, Y^T = W . X^T (fp32; blocks in
 * fp32), plus the bias.  Its sums have gd_gemm_ref's order, so the result
 * equals the dense pruned model with ref_gemm set, bit for bit.  The dense
 * pruned weights stay in m (what --save-weights would write). */
int gd_model_sparsify(gd_model *m, const gd_sparsity *sp, gd_sparse_stats *st, es_err *e);
void gd_model_sparse_free(gd_model *m); /* the compressed matrices; then gd_model_free */

#endif
