/* golden/attention.c: naive and tiled (FlashAttention-2) attention, the
 * multi-head wrapper (MHA/GQA/MQA) and packed variable-length batches.
 *
 * Fixed order, shared by both kernels so they differ only in the softmax:
 * - score s_j = scale * (sum_c q_c k_jc), the dot product in increasing c with
 *   one fp32 accumulator (acc = acc + q*k, no fma), then one multiply;
 * - keys run j = 0..n_k-1 in increasing order; a masked key (causal or
 *   key_mask) is skipped entirely: it is never added, not even as a zero, so
 *   a right-padded sequence gives the same bits as the unpadded one;
 * - a query row whose keys are all masked gives +0.0 everywhere;
 * - the tiled kernel does not allocate (scores are recomputed where a pass
 *   needs them again: same code, same bits); the naive kernel keeps one row of
 *   scores per call (each score computed once, the same bits as recomputing);
 *   the output row is the accumulator.
 * Scores must be finite (or masked); the kernels do not guard +inf/NaN scores.
 * Bounds between naive and tiled: docs/golden-kernels.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "golden/kernels.h"

/* One head's operands: row strides let the multi-head wrapper and the
 * KV-cache layout [n_k x n_kv_heads*d] be read in place. */
typedef struct head_view {
    const float *q, *k, *v;
    float *o;
    size_t ldq, ldk, ldv, ldo;
    float *row; /* naive kernel: n_k scratch values (scores, then exps) */
    float *kt;  /* naive kernel, AVX-512: K^T [d x ldkt] (NULL: not used) */
    size_t ldkt;
} head_view;

static float score(const float *q, const float *k, int d, float scale)
{
    float acc = 0.0f;
    for (int c = 0; c < d; c++)
        acc = acc + q[c] * k[c];
    return scale * acc;
}

/* Scores of KEYS_AT_ONCE consecutive keys: each lane is score()'s own loop
 * (one accumulator per key, increasing c, no fma: C11 does not contract
 * across statements and GCC keeps -ffp-contract=off in ISO mode), so every
 * value has score()'s bits; the lanes only hide the add latency that a
 * single accumulator chain waits on. */
enum { KEYS_AT_ONCE = 8 };
static void scores_block(const float *q, const float *k, size_t ldk, int d, float scale, float *out)
{
    const float *k0 = k, *k1 = k + ldk, *k2 = k + 2 * ldk, *k3 = k + 3 * ldk;
    const float *k4 = k + 4 * ldk, *k5 = k + 5 * ldk, *k6 = k + 6 * ldk, *k7 = k + 7 * ldk;
    float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f, a4 = 0.0f, a5 = 0.0f, a6 = 0.0f, a7 = 0.0f;
    for (int c = 0; c < d; c++) {
        float qc = q[c];
        a0 = a0 + qc * k0[c];
        a1 = a1 + qc * k1[c];
        a2 = a2 + qc * k2[c];
        a3 = a3 + qc * k3[c];
        a4 = a4 + qc * k4[c];
        a5 = a5 + qc * k5[c];
        a6 = a6 + qc * k6[c];
        a7 = a7 + qc * k7[c];
    }
    out[0] = scale * a0, out[1] = scale * a1, out[2] = scale * a2, out[3] = scale * a3;
    out[4] = scale * a4, out[5] = scale * a5, out[6] = scale * a6, out[7] = scale * a7;
}

/* The scores of keys [0, lim) from K^T, 16 keys per vector: each lane is
 * score()'s loop (acc = acc + q*k, a multiply then an add, increasing c, then
 * one multiply by scale), so every value has score()'s bits; the vector only
 * runs 16 of those chains side by side. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX512_SCORES 1
__attribute__((target("avx512f"))) static void scores_avx512(const float *q, const float *kt, size_t ldkt, int d,
                                                             float scale, int lim, float *out)
{
    for (int j = 0; j < lim; j += 16) {
        __m512 acc = _mm512_setzero_ps();
        for (int c = 0; c < d; c++)
            acc = _mm512_add_ps(acc, _mm512_mul_ps(_mm512_set1_ps(q[c]), _mm512_loadu_ps(kt + (size_t)c * ldkt + j)));
        __mmask16 m = lim - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (lim - j)) - 1);
        _mm512_mask_storeu_ps(out + j, m, _mm512_mul_ps(_mm512_set1_ps(scale), acc));
    }
}

static int cpu_has_avx512(void)
{
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f");
    }
    return cached;
}
#else
#define HAVE_AVX512_SCORES 0
#endif

/* o += p v over dv values; restrict lets the compiler vectorize across c
 * (each o[c] keeps its own order over keys, so the bits do not change). */
void gd_axpy_f32(int dv, float p, const float *restrict v, float *restrict o)
{
    int c = 0;
    for (; c + 4 <= dv; c += 4) { /* four statements: one SIMD op at -O2 */
        o[c] += p * v[c];
        o[c + 1] += p * v[c + 1];
        o[c + 2] += p * v[c + 2];
        o[c + 3] += p * v[c + 3];
    }
    for (; c < dv; c++)
        o[c] += p * v[c];
}

/* Keys visible to query row i: 0..limit-1, minus those key_mask zeroes. */
static int key_limit(const gd_attn_shape *s, int i)
{
    if (!s->causal)
        return s->n_k;
    long lim = (long)s->q_offset + i + 1;
    return lim < 0 ? 0 : (lim > s->n_k ? s->n_k : (int)lim);
}

static int key_on(const gd_attn_shape *s, int j)
{
    return !s->key_mask || s->key_mask[j];
}

static void zero_row(float *o, int dv)
{
    for (int c = 0; c < dv; c++)
        o[c] = 0.0f;
}

/* Naive = 3-pass softmax over the scores, then P.V:
 *   m = max_j s_j;  l = sum_j exp(s_j - m);  o = sum_j (exp(s_j - m) / l) v_j.
 * Bit-identical to materialising S, gd_softmax_3pass(S) and a sequential P.V
 * (masked entries there add exact zeros, which change no bits). */
static void naive_row(const gd_attn_shape *s, const head_view *hv, int i)
{
    const float *q = hv->q + (size_t)i * hv->ldq;
    float *o = hv->o + (size_t)i * hv->ldo;
    float *sc = hv->row;
    int lim = key_limit(s, i);
    int j = 0;
#if HAVE_AVX512_SCORES
    if (hv->kt) {
        scores_avx512(q, hv->kt, hv->ldkt, s->d, s->scale, lim, sc);
        j = lim;
    }
#endif
    for (; j + KEYS_AT_ONCE <= lim; j += KEYS_AT_ONCE)
        scores_block(q, hv->k + (size_t)j * hv->ldk, hv->ldk, s->d, s->scale, sc + j);
    for (; j < lim; j++)
        sc[j] = score(q, hv->k + (size_t)j * hv->ldk, s->d, s->scale);
    float m = -INFINITY;
    for (j = 0; j < lim; j++)
        if (key_on(s, j) && sc[j] > m)
            m = sc[j];
    zero_row(o, s->dv);
    if (m == -INFINITY)
        return;
    float l = 0.0f;
    for (j = 0; j < lim; j++)
        if (key_on(s, j)) {
            sc[j] = expf(sc[j] - m);
            l += sc[j];
        }
    for (j = 0; j < lim; j++) {
        if (!key_on(s, j))
            continue;
        gd_axpy_f32(s->dv, sc[j] / l, hv->v + (size_t)j * hv->ldv, o);
    }
}

/* FlashAttention-2 (Dao 2023) for one query row over keys [k0, k1), in key
 * blocks [b0, b0+block) counted from k0:
 *   bm = max_j s_j over the block (a block with no visible key is skipped);
 *   m' = max(m, bm);  alpha = exp(m - m');  l = alpha*l;  o = alpha*o;
 *   for j in block: p = exp(s_j - m');  l += p;  o += p*v_j;
 *   m = m'.
 * The accumulate-into-rescaled-o order is the one FA-2's kernels use (rescale
 * acc_o, then the P.V product accumulates into it).  The division by l is
 * left to gd_attn_finish. */
void gd_attn_partial(const gd_attn_shape *s, int i, const float *q, const float *K, size_t ldk, const float *V,
                     size_t ldv, int k0, int k1, int block, float *m_out, float *l_out, float *o)
{
    int lim = key_limit(s, i);
    if (k1 > lim)
        k1 = lim;
    if (block < 1)
        block = k1 - k0 > 0 ? k1 - k0 : 1;
    float m = -INFINITY, l = 0.0f;
    zero_row(o, s->dv);
    for (int b0 = k0; b0 < k1; b0 += block) {
        int b1 = k1 - b0 > block ? b0 + block : k1;
        float bm = -INFINITY;
        for (int j = b0; j < b1; j++) {
            if (!key_on(s, j))
                continue;
            float sc = score(q, K + (size_t)j * ldk, s->d, s->scale);
            if (sc > bm)
                bm = sc;
        }
        if (bm == -INFINITY)
            continue;
        float mn = bm > m ? bm : m;
        float alpha = expf(m - mn); /* first visible block: exp(-inf) = 0 */
        l = l * alpha;
        for (int c = 0; c < s->dv; c++)
            o[c] = o[c] * alpha;
        for (int j = b0; j < b1; j++) {
            if (!key_on(s, j))
                continue;
            float p = expf(score(q, K + (size_t)j * ldk, s->d, s->scale) - mn);
            const float *v = V + (size_t)j * ldv;
            l += p;
            for (int c = 0; c < s->dv; c++)
                o[c] += p * v[c];
        }
        m = mn;
    }
    *m_out = m;
    *l_out = l;
}

/* (m, l, o) (+) (m2, l2, o2) = (M, l e^(m-M) + l2 e^(m2-M), o e^(m-M) + o2 e^(m2-M)),
 * M = max(m, m2); an empty partial (m2 = -inf) changes nothing. */
void gd_attn_merge(int dv, float *m, float *l, float *o, float m2, float l2, const float *o2)
{
    if (m2 == -INFINITY)
        return;
    float M = m2 > *m ? m2 : *m;
    float a = expf(*m - M), b = expf(m2 - M);
    *l = *l * a + l2 * b;
    for (int c = 0; c < dv; c++)
        o[c] = o[c] * a + o2[c] * b;
    *m = M;
}

void gd_attn_finish(int dv, float m, float l, float *o)
{
    if (m == -INFINITY) {
        zero_row(o, dv); /* no visible key */
        return;
    }
    for (int c = 0; c < dv; c++)
        o[c] = o[c] / l;
}

static void tiled_row(const gd_attn_shape *s, const head_view *hv, int i, int block)
{
    float m, l;
    float *o = hv->o + (size_t)i * hv->ldo;
    gd_attn_partial(s, i, hv->q + (size_t)i * hv->ldq, hv->k, hv->ldk, hv->v, hv->ldv, 0, s->n_k, block, &m, &l,
                    o);
    gd_attn_finish(s->dv, m, l, o);
}

static void attend(const gd_attn_shape *s, head_view *hv, int block)
{
    if (block > 0) {
        for (int i = 0; i < s->n_q; i++)
            tiled_row(s, hv, i, block);
        return;
    }
    hv->row = es_xmalloc((size_t)(s->n_k > 0 ? s->n_k : 1) * sizeof *hv->row);
    hv->kt = NULL;
#if HAVE_AVX512_SCORES
    /* K^T once per head when enough query rows share it (padded to 16 keys
     * so whole vectors can be read; the pad lanes are never stored). */
    if (s->n_q >= 4 && s->n_k >= 16 && cpu_has_avx512()) {
        hv->ldkt = ((size_t)s->n_k + 15) / 16 * 16;
        hv->kt = es_xcalloc((size_t)s->d * hv->ldkt, sizeof *hv->kt);
        for (int j = 0; j < s->n_k; j++)
            for (int c = 0; c < s->d; c++)
                hv->kt[(size_t)c * hv->ldkt + j] = hv->k[(size_t)j * hv->ldk + c];
    }
#endif
    for (int i = 0; i < s->n_q; i++)
        naive_row(s, hv, i);
    free(hv->row);
    free(hv->kt);
    hv->row = hv->kt = NULL;
}

void gd_attention_naive(const gd_attn_shape *s, const float *Q, const float *K, const float *V, float *O)
{
    head_view hv = {Q, K, V, O, (size_t)s->d, (size_t)s->d, (size_t)s->dv, (size_t)s->dv, NULL, NULL, 0};
    attend(s, &hv, 0);
}

void gd_attention_tiled(const gd_attn_shape *s, const float *Q, const float *K, const float *V, float *O,
                        int block)
{
    head_view hv = {Q, K, V, O, (size_t)s->d, (size_t)s->d, (size_t)s->dv, (size_t)s->dv, NULL, NULL, 0};
    attend(s, &hv, block > 0 ? block : (s->n_k > 0 ? s->n_k : 1));
}

void gd_attention_mh(const gd_attn_shape *s, int n_heads, int n_kv_heads, const float *Q, const float *K,
                     const float *V, float *O, int block)
{
    if (n_heads < 1 || n_kv_heads < 1 || n_heads % n_kv_heads) {
        /* Broken precondition: NaN rather than plausible numbers. */
        for (size_t i = 0; i < (size_t)s->n_q * (n_heads > 0 ? n_heads : 0) * s->dv; i++)
            O[i] = NAN;
        return;
    }
    int group = n_heads / n_kv_heads;
    for (int h = 0; h < n_heads; h++) {
        int g = h / group;
        head_view hv = {Q + (size_t)h * s->d,
                        K + (size_t)g * s->d,
                        V + (size_t)g * s->dv,
                        O + (size_t)h * s->dv,
                        (size_t)n_heads * s->d,
                        (size_t)n_kv_heads * s->d,
                        (size_t)n_kv_heads * s->dv,
                        (size_t)n_heads * s->dv,
                        NULL,
                        NULL,
                        0};
        attend(s, &hv, block);
    }
}

int gd_attention_varlen(const gd_attn_shape *s, int n_seq, const int *q_off, const int *k_off, int n_heads,
                        int n_kv_heads, const float *Q, const float *K, const float *V, float *O, int block,
                        es_err *e)
{
    if (!k_off)
        k_off = q_off;
    if (n_heads < 1 || n_kv_heads < 1 || n_heads % n_kv_heads)
        return es_fail(e, "attention: %d query heads do not split into %d kv-head groups", n_heads, n_kv_heads);
    if (n_seq < 0 || q_off[0] != 0 || k_off[0] != 0)
        return es_fail(e, "attention varlen: offsets must start at 0 (got q %d, k %d)", q_off[0], k_off[0]);
    for (int b = 0; b < n_seq; b++)
        if (q_off[b + 1] < q_off[b] || k_off[b + 1] < k_off[b])
            return es_fail(e, "attention varlen: offsets decrease at sequence %d", b);
    for (int b = 0; b < n_seq; b++) {
        gd_attn_shape sb = *s;
        sb.n_q = q_off[b + 1] - q_off[b];
        sb.n_k = k_off[b + 1] - k_off[b];
        sb.q_offset = sb.n_k - sb.n_q;
        sb.key_mask = s->key_mask ? s->key_mask + k_off[b] : NULL;
        gd_attention_mh(&sb, n_heads, n_kv_heads, Q + (size_t)q_off[b] * n_heads * s->d,
                        K + (size_t)k_off[b] * n_kv_heads * s->d, V + (size_t)k_off[b] * n_kv_heads * s->dv,
                        O + (size_t)q_off[b] * n_heads * s->dv, block);
    }
    return 0;
}
