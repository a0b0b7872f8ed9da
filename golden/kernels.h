/* golden/kernels.h: dense fp32 reference kernels.  The contract shared by
 * golden's own models, the cascade interpreter (mapper/) and the simulator's
 * functional mode (sim/).
 *
 * Conventions: plain row-major float arrays with explicit sizes; outputs never
 * alias inputs unless a function says so; nothing allocates except where the
 * comment says so (caller frees with free()).  Reduction order is fixed and
 * documented per function so results are reproducible bit for bit.
 * Attention: Q [n_q x d], K [n_k x d], V [n_k x dv], O [n_q x dv]; `scale`
 * multiplies Q.K (pass 1/sqrt(d) for the usual attention, 1.0f for FuseMax's
 * unscaled form). */
#ifndef GOLDEN_KERNELS_H
#define GOLDEN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* ---- GEMM: C[M x N] = A[M x K] . B[K x N] (+ C if accumulate) ------------ */
/* Reference path: for each (i, j) the sum over k runs in increasing k with one
 * fp32 accumulator (fmaf-free: acc = acc + a*b), then added to C. */
void gd_gemm_ref(int M, int N, int K, const float *A, const float *B, float *C, int accumulate);
/* Fast path: cblas_sgemm (OpenBLAS).  Agrees with gd_gemm_ref within
 * GD_GEMM_FAST_REL_TOL * sum_k |a_ik b_kj| (bound documented in docs/golden.md). */
void gd_gemm_fast(int M, int N, int K, const float *A, const float *B, float *C, int accumulate);
/* Same with B given transposed (Bt [N x K]), as in x . W^T for nn.Linear. */
void gd_gemm_ref_bt(int M, int N, int K, const float *A, const float *Bt, float *C, int accumulate);
void gd_gemm_fast_bt(int M, int N, int K, const float *A, const float *Bt, float *C, int accumulate);

/* ---- softmax over rows of x [rows x n] into y (y may equal x) ------------ */
/* A row of all -INFINITY (fully masked) gives all zeros, never NaN. */
void gd_softmax_3pass(int rows, int n, const float *x, float *y);
void gd_softmax_2pass(int rows, int n, const float *x, float *y);  /* Dukhan & Ablavatski (m, 2^n) */
void gd_softmax_online(int rows, int n, const float *x, float *y); /* Milakov & Gimelshein */

/* ---- normalisation and activations (x, y: [rows x n]; y may equal x) ---- */
void gd_layernorm(int rows, int n, const float *x, const float *gamma, const float *beta, float eps,
                  float *y);
void gd_rmsnorm(int rows, int n, const float *x, const float *gamma, float eps, float *y);
float gd_gelu_erf(float x);
float gd_gelu_tanh(float x);
float gd_silu(float x);
/* Rotary embedding on x [n_tok x n_heads x head_dim] in place; pos[t] is the
 * absolute position of token t; `neox` selects the rotate-half pairing (HF
 * Llama) rather than interleaved pairs. theta is the base (10000). */
void gd_rope(float *x, int n_tok, int n_heads, int head_dim, const int *pos, float theta, int neox);

/* ---- attention (one head group) ------------------------------------------ */
typedef struct gd_attn_shape {
    int n_q, n_k;   /* query and key rows */
    int d, dv;      /* key and value widths */
    float scale;    /* multiplies Q.K */
    int causal;     /* query i (absolute position q_offset+i) sees keys 0..q_offset+i */
    int q_offset;   /* absolute position of query row 0 (decode: n_k - n_q) */
    const uint8_t *key_mask; /* optional [n_k]: 0 = padded key, masked out */
} gd_attn_shape;

/* Naive: S = scale*Q.K^T (+mask), P = softmax_3pass(S), O = P.V. */
void gd_attention_naive(const gd_attn_shape *s, const float *Q, const float *K, const float *V, float *O);
/* Tiled online softmax (FlashAttention-2): key blocks of `block` rows, running
 * max/sum/numerator, division deferred to the end. */
void gd_attention_tiled(const gd_attn_shape *s, const float *Q, const float *K, const float *V, float *O,
                        int block);
/* Multi-head wrapper: Q [n_q x n_heads*d], K [n_k x n_kv_heads*d], V
 * [n_k x n_kv_heads*dv], O [n_q x n_heads*dv]; query head h uses kv head
 * h / (n_heads/n_kv_heads) (MHA: equal; GQA; MQA: n_kv_heads = 1).
 * block = 0 selects the naive kernel. */
void gd_attention_mh(const gd_attn_shape *s, int n_heads, int n_kv_heads, const float *Q, const float *K,
                     const float *V, float *O, int block);

#endif
