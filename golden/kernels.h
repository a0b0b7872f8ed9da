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

#include "golden/base/err.h"

/* ---- GEMM: C[M x N] = A[M x K] . B[K x N] (+ C if accumulate) ------------ */
/* Reference path: for each (i, j) the sum over k runs in increasing k with one
 * fp32 accumulator (fmaf-free: acc = acc + a*b), then added to C. */
void gd_gemm_ref(int M, int N, int K, const float *A, const float *B, float *C, int accumulate);
/* Fast path: golden's own AVX-512 kernels when the CPU has AVX-512F and
 * OpenBLAS is set to one thread (EINSIM_NO_AVX512_GEMM=1 turns them off),
 * else cblas_sgemm (OpenBLAS).  Both agree with gd_gemm_ref within
 * gd_gemm_fast_bound(K) * sum_k |a_ik b_kj| (with accumulate: K+1 terms and
 * |c_ij| added to the sum); GD_GEMM_FAST_REL_TOL is that bound for every
 * K <= 8192.  Why: both paths are fp32 sums of K rounded products, each
 * within gamma_K = K u / (1 - K u) of the exact sum relative to
 * sum |a b| whatever the order (Higham, Accuracy and Stability of Numerical
 * Algorithms, 2nd ed., eq. 3.5; u = 2^-24), so they differ by at most
 * 2 gamma_K.  See docs/golden-numerics.md.  The AVX-512 kernels' order is
 * fixed: c_ij = one fma chain over k = 0..K-1 from 0 (gd_gemm_fast with
 * accumulate: from c_ij; gd_gemm_fast_bt with accumulate: c_ij + chain), the
 * same bits on every AVX-512 machine.  Threads: whatever OpenBLAS is set to
 * (OPENBLAS_NUM_THREADS or gd_gemm_fast_set_threads); more than one selects
 * OpenBLAS.  Only the reference path is bit-reproducible on every machine. */
void gd_gemm_fast(int M, int N, int K, const float *A, const float *B, float *C, int accumulate);
/* Same with B given transposed (Bt [N x K]), as in x . W^T for nn.Linear. */
void gd_gemm_ref_bt(int M, int N, int K, const float *A, const float *Bt, float *C, int accumulate);
void gd_gemm_fast_bt(int M, int N, int K, const float *A, const float *Bt, float *C, int accumulate);
#define GD_GEMM_FAST_REL_TOL 1e-3f
double gd_gemm_fast_bound(int K); /* 2 gamma_K */
/* "avx512" or "openblas": what gd_gemm_fast runs now (bt: the same for
 * M >= 8; below that OpenBLAS). */
const char *gd_gemm_fast_kernel(void);
/* Set OpenBLAS's thread count (so callers need not include cblas.h). */
void gd_gemm_fast_set_threads(int n);

/* o[c] += p * v[c] for c = 0..n-1, each o[c] one rounded product added
 * (no fma), written so -O2 vectorizes it (the attention P.V step and the
 * sparse kernels' rows); v and o must not overlap (the definition says
 * restrict; the header omits it so C++ harnesses can include it). */
void gd_axpy_f32(int n, float p, const float *v, float *o);

/* ---- softmax over rows of x [rows x n] into y (y may equal x) ------------ */
/* A row of all -INFINITY (fully masked) gives all zeros, never NaN; huge
 * finite logits (up to FLT_MAX) never overflow; a row holding +INFINITY shares
 * the mass equally among its +INFINITY entries; a NaN makes the row NaN.
 * Reduction order j = 0..n-1, fp32 accumulators, final step e_j / sum.
 * Bounds between the three: docs/golden-kernels.md. */
void gd_softmax_3pass(int rows, int n, const float *x, float *y);
void gd_softmax_2pass(int rows, int n, const float *x, float *y);  /* Dukhan & Ablavatski (m, 2^n) */
void gd_softmax_online(int rows, int n, const float *x, float *y); /* Milakov & Gimelshein */

/* ---- normalisation and activations (x, y: [rows x n]; y may equal x) ---- */
/* layernorm: y = ((x - mean) * rstd) * gamma + beta, rstd = 1/sqrtf(var + eps),
 * population variance (ONNX/torch).  rmsnorm: y = (x * rstd) * gamma, rstd =
 * 1/sqrtf(mean(x^2) + eps) (HF Llama).  gamma, beta may be NULL (1, 0).
 * Activations are evaluated in double and rounded once (within 1 ulp). */
void gd_layernorm(int rows, int n, const float *x, const float *gamma, const float *beta, float eps,
                  float *y);
void gd_rmsnorm(int rows, int n, const float *x, const float *gamma, float eps, float *y);
float gd_gelu_erf(float x);
float gd_gelu_tanh(float x);
float gd_silu(float x);
/* y[i] = gd_gelu_tanh(x[i]) for i < n (y may equal x), vectorised where the
 * CPU allows; within 1 ulp of the exact value like the scalar (golden/norm.c
 * says when the two can differ in the last bit). */
void gd_gelu_tanh_rows(size_t n, const float *x, float *y);
/* Rotary embedding on x [n_tok x n_heads x head_dim] in place; pos[t] is the
 * absolute position of token t; `neox` selects the rotate-half pairing (HF
 * Llama) rather than interleaved pairs. theta is the base (10000). */
void gd_rope(float *x, int n_tok, int n_heads, int head_dim, const int *pos, float theta, int neox);
/* The same with explicit inverse frequencies inv_freq[head_dim/2] (for
 * scaled variants such as Llama 3's); gd_rope uses theta^(-2i/head_dim).
 * Angles pos*inv_freq and their cos/sin in double, rounded once to fp32; the
 * rotation a' = a*c - b*s, b' = a*s + b*c in fp32 without fma. */
void gd_rope_freq(float *x, int n_tok, int n_heads, int head_dim, const int *pos, const double *inv_freq, int neox);

/* ---- attention (one head group) ------------------------------------------ */
typedef struct gd_attn_shape {
    int n_q, n_k;   /* query and key rows */
    int d, dv;      /* key and value widths */
    float scale;    /* multiplies Q.K */
    int causal;     /* query i (absolute position q_offset+i) sees keys 0..q_offset+i */
    int q_offset;   /* absolute position of query row 0 (decode: n_k - n_q) */
    const uint8_t *key_mask; /* optional [n_k]: 0 = padded key, masked out */
} gd_attn_shape;

/* Both kernels: score = scale * (q.k summed over c increasing, one fp32
 * accumulator), keys in increasing order, masked keys skipped entirely (a
 * right-padded sequence gives the bits of the unpadded one), a query row with
 * no visible key gives zeros.  Scores must be finite or masked.  Nothing
 * allocates.  Order and bounds: golden/attention.c, docs/golden-kernels.md. */
/* Naive: S = scale*Q.K^T (+mask), P = softmax_3pass(S), O = P.V (bit for bit
 * that sequence, with P.V summed over keys in increasing order). */
void gd_attention_naive(const gd_attn_shape *s, const float *Q, const float *K, const float *V, float *O);
/* Tiled online softmax (FlashAttention-2): key blocks of `block` rows, running
 * max/sum/numerator, division deferred to the end; block < 1 means one block
 * over all keys. */
void gd_attention_tiled(const gd_attn_shape *s, const float *Q, const float *K, const float *V, float *O,
                        int block);
/* Multi-head wrapper: Q [n_q x n_heads*d], K [n_k x n_kv_heads*d], V
 * [n_k x n_kv_heads*dv], O [n_q x n_heads*dv]; query head h uses kv head
 * h / (n_heads/n_kv_heads) (MHA: equal; GQA; MQA: n_kv_heads = 1).
 * block = 0 selects the naive kernel. */
void gd_attention_mh(const gd_attn_shape *s, int n_heads, int n_kv_heads, const float *Q, const float *K,
                     const float *V, float *O, int block);
/* (n_heads must be a multiple of n_kv_heads >= 1; otherwise O is set to NaN.)
 * Decode: n_q = 1 (or a few), causal, q_offset = n_k - n_q, K/V the KV cache
 * [n_k x n_kv_heads*d] read in place (a cache allocated for more rows works:
 * only the first n_k rows are read). */

/* Split-key building blocks (the associativity FlashDecoding / Lean
 * Attention use; also the state of gd_attention_tiled).  For query row i
 * (visibility from s: causal with s->q_offset, s->key_mask) with q its d
 * values, gd_attn_partial runs the tiled kernel over keys [k0, k1) only (K, V
 * point at key row 0, row strides ldk, ldv; block < 1: one block) and returns
 * the running max m, the sum l and the unnormalised numerator o (dv floats,
 * overwritten); m = -INFINITY when no key in the range is visible.
 * gd_attn_merge folds (m2, l2, o2) into (m, l, o): M = max(m, m2),
 * l = l e^(m-M) + l2 e^(m2-M), o likewise; start from the first partial or
 * from (-INFINITY, 0, zeros).  gd_attn_finish divides o by l (zeros when
 * m = -INFINITY).  partial over [0, n_k) + finish == gd_attention_tiled, bit
 * for bit. */
void gd_attn_partial(const gd_attn_shape *s, int i, const float *q, const float *K, size_t ldk, const float *V,
                     size_t ldv, int k0, int k1, int block, float *m, float *l, float *o);
void gd_attn_merge(int dv, float *m, float *l, float *o, float m2, float l2, const float *o2);
void gd_attn_finish(int dv, float m, float l, float *o);

/* Packed variable-length batch (ByteTransformer style): the tokens of n_seq
 * sequences lie back to back, sequence b owning query rows
 * q_off[b]..q_off[b+1]-1 of Q/O and key rows k_off[b]..k_off[b+1]-1 of K/V
 * (layouts as gd_attention_mh; k_off NULL means k_off = q_off).  Each
 * sequence attends to its own keys only, with n_q, n_k from the offsets and
 * q_offset = n_k - n_q (so causal prefill and decode both work); s->n_q,
 * s->n_k, s->q_offset are ignored; s->key_mask, if set, indexes packed key
 * rows.  No work is done for padding since there is none.  Equals running
 * gd_attention_mh on each sequence alone, bit for bit.  Returns -1 with e
 * filled on bad offsets or head counts. */
int gd_attention_varlen(const gd_attn_shape *s, int n_seq, const int *q_off, const int *k_off, int n_heads,
                        int n_kv_heads, const float *Q, const float *K, const float *V, float *O, int block,
                        es_err *e);

#endif
