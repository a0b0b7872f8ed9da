/* golden attention: naive = explicit softmax_3pass pipeline (bit for bit);
 * tiled (FlashAttention-2) vs naive within a stated bound on several shapes
 * (lengths that do not divide the block, causal, padding masks, GQA, MQA);
 * fully masked rows; huge scores; decode against the last rows of a causal
 * prefill; packed variable-length batches against each sequence alone and
 * against a right-padded batch (memcmp).
 *
 * Tiled vs naive bound (u = 2^-24), per output element c of a query row; the
 * scores s_j are the same bits in both kernels, m = max visible s_j, p_j the
 * exact probabilities, A = sum_j p_j |v_jc|, B = sum_j p_j |v_jc| (m - s_j):
 *   naive: exp argument s_j - m rounded (relative u (m - s_j) on p_j, hence B),
 *          exp 1u, n-1 additions for l, one division, then n products and
 *          n-1 additions for P.V: <= (2n + 3) u A + u B;
 *   tiled: the same terms with the running max (|s_j - m_run| <= m - s_j), plus
 *          per block one rescale alpha = exp(m_old - m_new) applied to o and l
 *          (2u each) whose rounded arguments sum to (m - m_1) u, m_1 the first
 *          visible block's max, and the final division:
 *          <= (2n + 4 nb + 4 + (m - m_1)) u A + u B;
 *   |tiled - naive| <= the sum (nb = number of key blocks). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/rng.h"
#include "golden/kernels.h"

#define U 0x1p-24

static float *rand_buf(es_rng *r, size_t n, float lo, float hi)
{
    float *p = malloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; i < n; i++)
        p[i] = es_rng_uniform(r, lo, hi);
    return p;
}

/* The scores exactly as the kernels compute them (same expression, same
 * order), -inf where masked. */
static void scores(const gd_attn_shape *s, const float *Q, const float *K, float *S)
{
    for (int i = 0; i < s->n_q; i++)
        for (int j = 0; j < s->n_k; j++) {
            int vis = (!s->causal || j <= s->q_offset + i) && (!s->key_mask || s->key_mask[j]);
            float acc = 0.0f;
            for (int c = 0; c < s->d; c++)
                acc = acc + Q[i * s->d + c] * K[j * s->d + c];
            S[i * s->n_k + j] = vis ? s->scale * acc : -INFINITY;
        }
}

static double worst_ratio; /* largest |tiled - naive| / bound seen */

/* Tiled vs naive for one shape and block, with the bound stated above. */
static void check_tiled(const gd_attn_shape *s, const float *Q, const float *K, const float *V, int block)
{
    float *On = calloc((size_t)s->n_q * s->dv + 1, sizeof(float));
    float *Ot = calloc((size_t)s->n_q * s->dv + 1, sizeof(float));
    float *S = malloc(sizeof(float) * ((size_t)s->n_q * s->n_k + 1));
    gd_attention_naive(s, Q, K, V, On);
    gd_attention_tiled(s, Q, K, V, Ot, block);
    scores(s, Q, K, S);
    int bl = block > 0 ? block : (s->n_k > 0 ? s->n_k : 1);
    int nb = (s->n_k + bl - 1) / bl;
    for (int i = 0; i < s->n_q; i++) {
        const float *Si = S + (size_t)i * s->n_k;
        double m = -INFINITY, m1 = -INFINITY, l = 0;
        for (int j = 0; j < s->n_k; j++)
            if (Si[j] > m)
                m = Si[j];
        for (int b0 = 0; b0 < s->n_k && m1 == -INFINITY; b0 += bl)
            for (int j = b0; j < b0 + bl && j < s->n_k; j++)
                if (Si[j] > m1)
                    m1 = Si[j];
        for (int j = 0; j < s->n_k; j++)
            l += Si[j] == -INFINITY ? 0 : exp(Si[j] - m);
        for (int c = 0; c < s->dv; c++) {
            double A = 0, B = 0;
            for (int j = 0; j < s->n_k; j++) {
                if (Si[j] == -INFINITY)
                    continue;
                double p = exp(Si[j] - m) / l, av = fabs(V[(size_t)j * s->dv + c]);
                A += p * av;
                B += p * av * (m - Si[j]);
            }
            double n = s->n_k;
            double tol = ((2 * n + 3) + (2 * n + 4 * nb + 4 + (m - m1))) * U * A + 2 * U * B + FLT_MIN;
            double a = On[(size_t)i * s->dv + c], t = Ot[(size_t)i * s->dv + c];
            if (m == -INFINITY) {
                tol = 0;
                assert_true(a == 0 && t == 0 && !signbit(a) && !signbit(t));
            }
            double err = fabs(a - t);
            if (!(err <= tol)) {
                print_error("n_q=%d n_k=%d d=%d dv=%d block=%d causal=%d row %d col %d: naive %.9g tiled %.9g "
                            "err %.3g tol %.3g\n",
                            s->n_q, s->n_k, s->d, s->dv, block, s->causal, i, c, a, t, err, tol);
                fail();
            }
            if (tol > 0 && err / tol > worst_ratio)
                worst_ratio = err / tol;
        }
    }
    free(On);
    free(Ot);
    free(S);
}

static void test_naive_is_softmax_pipeline(void **state)
{
    (void)state;
    es_rng r;
    es_rng_seed(&r, 21);
    enum { NQ = 9, NK = 23, D = 16, DV = 8 };
    float *Q = rand_buf(&r, NQ * D, -1, 1), *K = rand_buf(&r, NK * D, -1, 1), *V = rand_buf(&r, NK * DV, -1, 1);
    uint8_t mask[NK];
    for (int j = 0; j < NK; j++)
        mask[j] = j % 5 != 2;
    for (int variant = 0; variant < 3; variant++) {
        gd_attn_shape s = {NQ, NK, D, DV, 0.25f, variant >= 1, variant == 2 ? -2 : NK - NQ,
                           variant == 2 ? mask : NULL};
        float S[NQ * NK], P[NQ * NK], O[NQ * DV], W[NQ * DV];
        scores(&s, Q, K, S);
        gd_softmax_3pass(NQ, NK, S, P);
        for (int i = 0; i < NQ; i++)
            for (int c = 0; c < DV; c++) {
                float acc = 0.0f;
                for (int j = 0; j < NK; j++)
                    acc += P[i * NK + j] * V[j * DV + c];
                W[i * DV + c] = acc;
            }
        gd_attention_naive(&s, Q, K, V, O);
        assert_memory_equal(O, W, sizeof O);
    }
    free(Q);
    free(K);
    free(V);
}

static void test_tiled_vs_naive(void **state)
{
    (void)state;
    es_rng r;
    es_rng_seed(&r, 22);
    /* n_q, n_k, d, dv: includes lengths that do not divide the blocks */
    static const int shapes[][4] = {
        {1, 1, 4, 4}, {5, 37, 16, 8}, {64, 64, 32, 32}, {33, 100, 8, 12}, {17, 129, 64, 64},
    };
    static const int blocks[] = {1, 7, 16, 32, 64, 0};
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
        int nq = shapes[k][0], nk = shapes[k][1], d = shapes[k][2], dv = shapes[k][3];
        float *Q = rand_buf(&r, (size_t)nq * d, -2, 2), *K = rand_buf(&r, (size_t)nk * d, -2, 2);
        float *V = rand_buf(&r, (size_t)nk * dv, -1, 1);
        uint8_t *mask = malloc(nk);
        for (int j = 0; j < nk; j++)
            mask[j] = es_rng_float(&r) < 0.7f;
        for (int variant = 0; variant < 4; variant++) {
            gd_attn_shape s = {nq, nk, d, dv, variant == 3 ? 1.0f : 1.0f / sqrtf((float)d), variant & 1,
                               nk - nq, variant >= 2 ? mask : NULL};
            for (size_t b = 0; b < sizeof blocks / sizeof *blocks; b++)
                check_tiled(&s, Q, K, V, blocks[b]);
        }
        free(Q);
        free(K);
        free(V);
        free(mask);
    }
    print_message("attention tiled vs naive: largest |diff| / bound = %.4f\n", worst_ratio);
}

static void test_fully_masked_rows(void **state)
{
    (void)state;
    es_rng r;
    es_rng_seed(&r, 23);
    enum { NQ = 6, NK = 10, D = 8 };
    float *Q = rand_buf(&r, NQ * D, -1, 1), *K = rand_buf(&r, NK * D, -1, 1), *V = rand_buf(&r, NK * D, -1, 1);
    uint8_t none[NK] = {0};
    float O[NQ * D];
    /* every key padded */
    gd_attn_shape s = {NQ, NK, D, D, 0.3f, 0, 0, none};
    for (int block = 0; block <= 4; block += 4) {
        memset(O, 0xff, sizeof O); /* NaN pattern: every element must be written */
        if (block)
            gd_attention_tiled(&s, Q, K, V, O, block);
        else
            gd_attention_naive(&s, Q, K, V, O);
        for (int i = 0; i < NQ * D; i++)
            assert_true(O[i] == 0.0f && !signbit(O[i]));
    }
    /* causal with q_offset = -3: the first three query rows see no key */
    gd_attn_shape c = {NQ, NK, D, D, 0.3f, 1, -3, NULL};
    check_tiled(&c, Q, K, V, 3);
    gd_attention_tiled(&c, Q, K, V, O, 3);
    for (int i = 0; i < 3 * D; i++)
        assert_true(O[i] == 0.0f);
    for (int i = 3 * D; i < NQ * D; i++)
        assert_true(isfinite(O[i]));
    free(Q);
    free(K);
    free(V);
}

static void test_huge_scores(void **state)
{
    (void)state;
    /* Scores near 1e30 do not overflow: the largest key takes all the
     * weight, so O equals that key's V row exactly, in both kernels and with
     * the maximum in the first, middle or last block. */
    enum { NK = 9, D = 2 };
    for (int where = 0; where < NK; where += 4) {
        float Q[D] = {1e15f, 1e15f}, K[NK * D], V[NK * D];
        for (int j = 0; j < NK; j++) {
            K[j * D] = K[j * D + 1] = (j == where ? 5e14f : -1e14f + 1e13f * j);
            V[j * D] = (float)j;
            V[j * D + 1] = -(float)(j + 1) * 0.5f; /* no -0.0: o starts at +0 */
        }
        gd_attn_shape s = {1, NK, D, D, 1.0f, 0, 0, NULL};
        float On[D], Ot[D];
        gd_attention_naive(&s, Q, K, V, On);
        gd_attention_tiled(&s, Q, K, V, Ot, 4);
        assert_memory_equal(On, V + where * D, sizeof On);
        assert_memory_equal(Ot, V + where * D, sizeof Ot);
    }
}

/* Copies head h's columns (width w) out of a [rows x heads*w] matrix. */
static void head_slice(const float *X, int rows, int heads, int w, int h, float *out)
{
    for (int i = 0; i < rows; i++)
        memcpy(out + (size_t)i * w, X + ((size_t)i * heads + h) * w, sizeof(float) * w);
}

static void test_multihead_mapping(void **state)
{
    (void)state;
    es_rng r;
    es_rng_seed(&r, 24);
    enum { NQ = 7, NK = 19, H = 8, D = 8, DV = 4 };
    static const int kvs[] = {8, 2, 1}; /* MHA, GQA, MQA */
    for (size_t t = 0; t < 3; t++) {
        int KV = kvs[t];
        float *Q = rand_buf(&r, NQ * H * D, -1, 1), *K = rand_buf(&r, (size_t)NK * KV * D, -1, 1);
        float *V = rand_buf(&r, (size_t)NK * KV * DV, -1, 1);
        gd_attn_shape s = {NQ, NK, D, DV, 0.35f, 1, NK - NQ, NULL};
        for (int block = 0; block <= 5; block += 5) {
            float O[NQ * H * DV];
            gd_attention_mh(&s, H, KV, Q, K, V, O, block);
            for (int h = 0; h < H; h++) {
                int g = h / (H / KV); /* the documented mapping */
                float q[NQ * D], k[NK * D], v[NK * DV], o[NQ * DV], want[NQ * DV];
                head_slice(Q, NQ, H, D, h, q);
                head_slice(K, NK, KV, D, g, k);
                head_slice(V, NK, KV, DV, g, v);
                head_slice(O, NQ, H, DV, h, o);
                if (block)
                    gd_attention_tiled(&s, q, k, v, want, block);
                else
                    gd_attention_naive(&s, q, k, v, want);
                assert_memory_equal(o, want, sizeof o);
                if (block)
                    check_tiled(&s, q, k, v, block);
            }
        }
        free(Q);
        free(K);
        free(V);
    }
    float O[4];
    gd_attn_shape s = {1, 1, 1, 1, 1.0f, 0, 0, NULL};
    float one = 1;
    gd_attention_mh(&s, 3, 2, &one, &one, &one, O, 0); /* 3 heads do not split into 2 groups */
    assert_true(isnan(O[0]));
}

static void test_decode_matches_prefill(void **state)
{
    (void)state;
    es_rng r;
    es_rng_seed(&r, 25);
    enum { N = 29, CAP = 40, H = 4, KV = 2, D = 16 };
    /* KV cache allocated for CAP rows, N filled; the rest NaN to prove the
     * kernels read only the first n_k rows. */
    float *Q = rand_buf(&r, N * H * D, -1, 1);
    float *K = rand_buf(&r, CAP * KV * D, -1, 1), *V = rand_buf(&r, CAP * KV * D, -1, 1);
    for (int i = N * KV * D; i < CAP * KV * D; i++)
        K[i] = V[i] = NAN;
    float *Of = malloc(sizeof(float) * N * H * D);
    for (int block = 0; block <= 8; block += 8) {
        gd_attn_shape pre = {N, N, D, D, 0.25f, 1, 0, NULL};
        gd_attention_mh(&pre, H, KV, Q, K, V, Of, block);
        for (int nq = 1; nq <= 3; nq++) {
            gd_attn_shape dec = {nq, N, D, D, 0.25f, 1, N - nq, NULL};
            float Od[3 * H * D];
            gd_attention_mh(&dec, H, KV, Q + (size_t)(N - nq) * H * D, K, V, Od, block);
            assert_memory_equal(Od, Of + (size_t)(N - nq) * H * D, sizeof(float) * nq * H * D);
        }
    }
    free(Q);
    free(K);
    free(V);
    free(Of);
}

/* Split-key decode: keys cut into n_split contiguous ranges, each range a
 * tiled partial (block 16), merged in range order, then divided.  Bound vs
 * naive: the tiled bound with every range's blocks counted, one extra rescale
 * per merge (4u on A each), and each merge's rounded exp arguments adding at
 * most (m - m_b) u for range b (rescaling the incoming partial) plus (m - m_1)
 * u for the running state, so (m - m_1) becomes sum_b (m - m_b) + (m - m_1). */
static void test_split_key_decode(void **state)
{
    (void)state;
    es_rng r;
    es_rng_seed(&r, 27);
    enum { NK = 100, D = 32, DV = 16 };
    float *q = rand_buf(&r, D, -2, 2), *K = rand_buf(&r, NK * D, -2, 2), *V = rand_buf(&r, NK * DV, -1, 1);
    uint8_t mask[NK];
    for (int j = 0; j < NK; j++)
        mask[j] = j < 30 || j > 45; /* a whole split can be masked */
    for (int masked = 0; masked <= 1; masked++) {
        gd_attn_shape s = {1, NK, D, DV, 1.0f / sqrtf(D), 1, NK - 1, masked ? mask : NULL};
        float On[DV], Ot[DV], O1[DV], m, l;
        gd_attention_naive(&s, q, K, V, On);
        gd_attention_tiled(&s, q, K, V, Ot, 16);
        gd_attn_partial(&s, 0, q, K, D, V, DV, 0, NK, 16, &m, &l, O1);
        gd_attn_finish(DV, m, l, O1);
        assert_memory_equal(O1, Ot, sizeof Ot); /* the tiled kernel is partial + finish */
        float S[NK];
        scores(&s, q, K, S);
        double mx = -INFINITY, lsum = 0;
        for (int j = 0; j < NK; j++)
            if (S[j] > mx)
                mx = S[j];
        for (int j = 0; j < NK; j++)
            lsum += S[j] == -INFINITY ? 0 : exp(S[j] - mx);
        static const int splits[] = {1, 2, 3, 7};
        for (size_t t = 0; t < 4; t++) {
            int ns = splits[t], nb = 0;
            float M = -INFINITY, L = 0, O[DV] = {0};
            double mgap = 0, m1 = NAN;
            for (int b = 0; b < ns; b++) {
                int k0 = NK * b / ns, k1 = NK * (b + 1) / ns;
                float mb, lb, ob[DV];
                gd_attn_partial(&s, 0, q, K, D, V, DV, k0, k1, 16, &mb, &lb, ob);
                nb += (k1 - k0 + 15) / 16 + 1;
                if (mb != -INFINITY) {
                    mgap += mx - mb;
                    if (isnan(m1))
                        m1 = mb;
                }
                gd_attn_merge(DV, &M, &L, O, mb, lb, ob);
            }
            gd_attn_finish(DV, M, L, O);
            for (int c = 0; c < DV; c++) {
                double A = 0, B = 0;
                for (int j = 0; j < NK; j++) {
                    if (S[j] == -INFINITY)
                        continue;
                    double p = exp(S[j] - mx) / lsum, av = fabs(V[j * DV + c]);
                    A += p * av;
                    B += p * av * (mx - S[j]);
                }
                double coef = (2.0 * NK + 3) + (2.0 * NK + 4 * nb + 4 + mgap + (mx - m1));
                double tol = coef * U * A + 2 * U * B + FLT_MIN;
                assert_true(fabs((double)O[c] - On[c]) <= tol);
            }
        }
    }
    /* an empty partial merges as a no-op; finishing nothing gives zeros */
    float m = -INFINITY, l = 0, o[2] = {0, 0}, junk[2] = {NAN, NAN};
    gd_attn_merge(2, &m, &l, o, -INFINITY, 0, junk);
    gd_attn_finish(2, m, l, o);
    assert_true(o[0] == 0 && o[1] == 0);
    free(q);
    free(K);
    free(V);
}

/* Runs each packed sequence alone (copied out) and compares bit for bit. */
static void check_varlen(int n_seq, const int *q_off, const int *k_off, int causal, const uint8_t *mask,
                         int block, es_rng *r)
{
    enum { H = 4, KV = 2, D = 8, DV = 8 };
    const int *k_arg = k_off; /* NULL is passed on to the kernel */
    if (!k_off)
        k_off = q_off;
    int tq = q_off[n_seq], tk = k_off[n_seq];
    float *Q = rand_buf(r, (size_t)tq * H * D, -1, 1), *K = rand_buf(r, (size_t)tk * KV * D, -1, 1);
    float *V = rand_buf(r, (size_t)tk * KV * DV, -1, 1), *O = malloc(sizeof(float) * (tq * H * DV + 1));
    gd_attn_shape s = {-1, -1, D, DV, 0.3f, causal, 12345, mask}; /* n_q, n_k, q_offset ignored */
    es_err e;
    assert_int_equal(gd_attention_varlen(&s, n_seq, q_off, k_arg, H, KV, Q, K, V, O, block, &e), 0);
    for (int b = 0; b < n_seq; b++) {
        int nq = q_off[b + 1] - q_off[b], nk = k_off[b + 1] - k_off[b];
        float *q = malloc(sizeof(float) * (nq * H * D + 1)), *k = malloc(sizeof(float) * (nk * KV * D + 1));
        float *v = malloc(sizeof(float) * (nk * KV * DV + 1)), *o = malloc(sizeof(float) * (nq * H * DV + 1));
        uint8_t *m = malloc(nk + 1);
        memcpy(q, Q + (size_t)q_off[b] * H * D, sizeof(float) * nq * H * D);
        memcpy(k, K + (size_t)k_off[b] * KV * D, sizeof(float) * nk * KV * D);
        memcpy(v, V + (size_t)k_off[b] * KV * DV, sizeof(float) * nk * KV * DV);
        if (mask)
            memcpy(m, mask + k_off[b], nk);
        gd_attn_shape sb = {nq, nk, D, DV, 0.3f, causal, nk - nq, mask ? m : NULL};
        gd_attention_mh(&sb, H, KV, q, k, v, o, block);
        assert_memory_equal(o, O + (size_t)q_off[b] * H * DV, sizeof(float) * nq * H * DV + 0);

        /* The same sequence right-padded to 40 rows, padding keys masked:
         * real query rows give the same bits (masked keys are never added). */
        enum { L = 40 };
        if (nq == nk && !mask) {
            float *qp = calloc(L * H * D, sizeof(float)), *kp = calloc(L * KV * D, sizeof(float));
            float *vp = calloc(L * KV * DV, sizeof(float)), *op = malloc(sizeof(float) * L * H * DV);
            uint8_t pm[L];
            for (int j = 0; j < L; j++) {
                pm[j] = j < nk;
                if (j >= nk) /* padding holds junk, not zeros */
                    for (int c = 0; c < KV * D; c++)
                        kp[j * KV * D + c] = vp[j * KV * DV + c] = 1e3f;
            }
            memcpy(qp, q, sizeof(float) * nq * H * D);
            memcpy(kp, k, sizeof(float) * nk * KV * D);
            memcpy(vp, v, sizeof(float) * nk * KV * DV);
            gd_attn_shape sp = {L, L, D, DV, 0.3f, causal, 0, pm};
            gd_attention_mh(&sp, H, KV, qp, kp, vp, op, block);
            assert_memory_equal(op, o, sizeof(float) * nq * H * DV + 0);
            free(qp);
            free(kp);
            free(vp);
            free(op);
        }
        free(q);
        free(k);
        free(v);
        free(o);
        free(m);
    }
    free(Q);
    free(K);
    free(V);
    free(O);
}

static void test_varlen_packed(void **state)
{
    (void)state;
    es_rng r;
    es_rng_seed(&r, 26);
    /* prefill: lengths 5, 1, 0, 17, 33 packed back to back */
    const int off[6] = {0, 5, 6, 6, 23, 56};
    for (int block = 0; block <= 16; block += 16) {
        check_varlen(5, off, off, 1, NULL, block, &r);
        check_varlen(5, off, off, 0, NULL, block, &r);
        check_varlen(5, off, NULL, 0, NULL, block, &r); /* k_off NULL = q_off */
        uint8_t mask[56];
        for (int j = 0; j < 56; j++)
            mask[j] = es_rng_float(&r) < 0.8f;
        check_varlen(5, off, off, 0, mask, block, &r);
        /* decode against per-sequence caches: 1-2 new queries each */
        const int qo[4] = {0, 1, 3, 4}, ko[4] = {0, 12, 13, 40};
        check_varlen(3, qo, ko, 1, NULL, block, &r);
    }
    /* bad offsets and head counts: -1 with a message, nothing computed */
    es_err e;
    gd_attn_shape s = {0, 0, 8, 8, 1.0f, 0, 0, NULL};
    const int bad[3] = {0, 5, 3};
    float x = 0;
    assert_int_equal(gd_attention_varlen(&s, 2, bad, NULL, 1, 1, &x, &x, &x, &x, 0, &e), -1);
    assert_non_null(strstr(e.msg, "offsets decrease at sequence 1"));
    const int start1[2] = {1, 2};
    assert_int_equal(gd_attention_varlen(&s, 1, start1, NULL, 1, 1, &x, &x, &x, &x, 0, &e), -1);
    assert_int_equal(gd_attention_varlen(&s, 1, off, NULL, 3, 2, &x, &x, &x, &x, 0, &e), -1);
    assert_non_null(strstr(e.msg, "3 query heads"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_naive_is_softmax_pipeline),
        cmocka_unit_test(test_tiled_vs_naive),
        cmocka_unit_test(test_fully_masked_rows),
        cmocka_unit_test(test_huge_scores),
        cmocka_unit_test(test_multihead_mapping),
        cmocka_unit_test(test_decode_matches_prefill),
        cmocka_unit_test(test_split_key_decode),
        cmocka_unit_test(test_varlen_packed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
