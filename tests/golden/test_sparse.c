/* golden/sparse.h: pruning rules on hand-checked cases, every SpMM bit for
 * bit against gd_gemm_ref (fp32) or an exact int32 loop on the
 * decompressed matrix, round trips, malformed structures, and sparse
 * attention against dense attention and a hand-checked kept set. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/rng.h"
#include "golden/sparse.h"

static float *randm(int n, uint64_t seed)
{
    es_rng r;
    es_rng_seed(&r, seed);
    float *x = malloc((size_t)n * sizeof *x);
    for (int i = 0; i < n; i++)
        x[i] = (float)es_rng_normal(&r);
    return x;
}

static void test_prune_24_rule(void **st)
{
    (void)st;
    /* ties keep the lower index; a NaN ranks largest; strides: columns */
    float w[8] = {1, -3, 2, 3, 0.5f, 0.5f, 0.5f, 0.5f};
    es_err e;
    assert_int_equal(gd_prune_24(1, 8, w, 8, 1, &e), 0);
    float want[8] = {0, -3, 0, 3, 0.5f, 0.5f, 0, 0};
    assert_memory_equal(w, want, sizeof w);
    /* the same matrix stored transposed [8 x 1] (Conv1D layout) */
    float t[8] = {1, -3, 2, 3, 0.5f, 0.5f, 0.5f, 0.5f};
    assert_int_equal(gd_prune_24(1, 8, t, 1, 1, &e), 0);
    assert_memory_equal(t, want, sizeof t);
    float odd[6] = {0};
    assert_int_equal(gd_prune_24(1, 6, odd, 6, 1, &e), -1);
    assert_non_null(strstr(e.msg, "multiple of 4"));
}

static void test_sp24_roundtrip_and_spmm(void **st)
{
    (void)st;
    int M = 12, K = 32, N = 7;
    float *W = randm(M * K, 1), *B = randm(K * N, 2);
    es_err e;
    W[5] = 0, W[6] = 0, W[7] = 0; /* a group with one non-zero: padded */
    assert_int_equal(gd_prune_24(M, K, W, K, 1, &e), 0);
    gd_sp24 s;
    assert_int_equal(gd_sp24_compress(M, K, W, "w", &s, &e), 0);
    assert_int_equal(gd_sp24_check(&s, "w", &e), 0);
    float *D = malloc((size_t)M * K * sizeof *D);
    gd_sp24_decompress(&s, D);
    assert_memory_equal(D, W, (size_t)M * K * sizeof *D);
    float *C = malloc((size_t)M * N * sizeof *C), *R = malloc((size_t)M * N * sizeof *R);
    gd_spmm_24(&s, N, B, C);
    gd_gemm_ref(M, N, K, W, B, R, 0);
    assert_memory_equal(C, R, (size_t)M * N * sizeof *C);
    assert_int_equal(gd_sp24_bytes(M, K, 4), M * K / 2 * 4 + M * K / 2 * 2 / 8);
    /* malformed indices: equal, then descending */
    s.idx[2] = 1, s.idx[3] = 1;
    assert_int_equal(gd_sp24_check(&s, "w", &e), -1);
    assert_non_null(strstr(e.msg, "tensor w: row 0, group 1"));
    s.idx[2] = 3, s.idx[3] = 0;
    assert_int_equal(gd_sp24_check(&s, "w", &e), -1);
    gd_sp24_free(&s);
    /* a dense tensor declared 2:4 */
    float *Wd = randm(M * K, 3);
    assert_int_equal(gd_sp24_compress(M, K, Wd, "layer.0.w", &s, &e), -1);
    assert_non_null(strstr(e.msg, "tensor layer.0.w: row 0, columns 0..3"));
    free(W), free(B), free(D), free(C), free(R), free(Wd);
}

static void test_bsr_fp32(void **st)
{
    (void)st;
    static const int shapes[][2] = {{4, 1}, {1, 4}, {2, 2}};
    int M = 16, K = 24, N = 9;
    for (int si = 0; si < 3; si++) {
        int br = shapes[si][0], bc = shapes[si][1];
        float *W = randm(M * K, 10 + si), *B = randm(K * N, 20 + si);
        es_err e;
        assert_int_equal(gd_prune_blocks(M, K, W, K, 1, br, bc, 0.75, &e), 0);
        int zero = 0;
        for (int i = 0; i < M * K; i++)
            zero += W[i] == 0.0f;
        assert_int_equal(zero, (int)floor(0.75 * (M * K / (br * bc))) * br * bc);
        gd_bsr s;
        assert_int_equal(gd_bsr_from_dense(M, K, W, br, bc, 0, "w", &s, &e), 0);
        assert_int_equal(gd_bsr_check(&s, "w", &e), 0);
        assert_int_equal(s.nnzb, M * K / (br * bc) - (int)floor(0.75 * (M * K / (br * bc))));
        float *D = malloc((size_t)M * K * sizeof *D);
        gd_bsr_to_dense(&s, D);
        assert_memory_equal(D, W, (size_t)M * K * sizeof *D);
        float *C = malloc((size_t)M * N * sizeof *C), *R = malloc((size_t)M * N * sizeof *R);
        gd_spmm_bsr(&s, N, B, C);
        gd_gemm_ref(M, N, K, W, B, R, 0);
        assert_memory_equal(C, R, (size_t)M * N * sizeof *C);
        /* malformed: columns not ascending, nnz mismatch */
        if (s.row_ptr[1] >= 2) {
            int t = s.col_idx[0];
            s.col_idx[0] = s.col_idx[1], s.col_idx[1] = t;
            assert_int_equal(gd_bsr_check(&s, "w", &e), -1);
            assert_non_null(strstr(e.msg, "strictly ascending"));
            s.col_idx[1] = s.col_idx[0], s.col_idx[0] = t;
        }
        s.nnzb++;
        assert_int_equal(gd_bsr_check(&s, "w", &e), -1);
        assert_non_null(strstr(e.msg, "expected equal"));
        s.nnzb--;
        gd_bsr_free(&s);
        free(W), free(B), free(D), free(C), free(R);
    }
    /* block size not dividing */
    float w[15] = {0};
    gd_bsr s;
    es_err e;
    assert_int_equal(gd_bsr_from_dense(5, 3, w, 4, 1, 0, "odd", &s, &e), -1);
    assert_non_null(strstr(e.msg, "tensor odd: block 4x1 does not divide its 5x3 shape"));
    assert_int_equal(gd_prune_blocks(5, 3, w, 3, 1, 4, 1, 0.5, &e), -1);
}

static void test_block_prune_ties(void **st)
{
    (void)st;
    /* 4x2 matrix, 4x1 blocks: column sums |w| 4 and 4: a tie prunes the
     * higher block (column 1) */
    float w[8] = {1, -1, 1, 1, -1, 1, 1, -1};
    es_err e;
    assert_int_equal(gd_prune_blocks(4, 2, w, 2, 1, 4, 1, 0.5, &e), 0);
    float want[8] = {1, 0, 1, 0, -1, 0, 1, 0};
    assert_memory_equal(w, want, sizeof w);
}

static void test_bsr_int8(void **st)
{
    (void)st;
    int M = 16, K = 32, N = 5;
    float *W = randm(M * K, 30);
    es_err e;
    assert_int_equal(gd_prune_blocks(M, K, W, K, 1, 4, 1, 0.8, &e), 0);
    gd_bsr s;
    assert_int_equal(gd_bsr_from_dense(M, K, W, 4, 1, 1, "w8", &s, &e), 0);
    assert_int_equal(gd_bsr_check(&s, "w8", &e), 0);
    int8_t *Q = malloc((size_t)M * K), *B = malloc((size_t)K * N);
    gd_bsr_to_dense_i8(&s, Q);
    es_rng r;
    es_rng_seed(&r, 31);
    for (int i = 0; i < K * N; i++)
        B[i] = (int8_t)((int)es_rng_below(&r, 255) - 127);
    int32_t *C = malloc((size_t)M * N * sizeof *C);
    gd_spmm_bsr_i8(&s, N, B, C);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            int32_t acc = 0;
            for (int k = 0; k < K; k++)
                acc += (int32_t)Q[i * K + k] * B[k * N + j];
            assert_int_equal(C[i * N + j], acc);
        }
    /* pruned positions stay zero, kept ones quantize within half a step */
    float *D = malloc((size_t)M * K * sizeof *D);
    gd_bsr_to_dense(&s, D);
    for (int i = 0; i < M * K; i++) {
        if (W[i] == 0.0f)
            assert_true(D[i] == 0.0f);
        assert_true(fabsf(D[i] - W[i]) <= 0.5f * s.scale[i / K] * 1.0001f);
    }
    assert_int_equal(gd_bsr_bytes(&s), (int64_t)s.nnzb * 4 + 4 * s.nnzb + 4 * (M / 4 + 1) + 4 * M);
    gd_bsr_free(&s);
    free(W), free(Q), free(B), free(C), free(D);
}

static void test_csr(void **st)
{
    (void)st;
    int M = 9, K = 13, N = 6;
    float *W = randm(M * K, 40), *B = randm(K * N, 41);
    es_err e;
    assert_int_equal(gd_prune_unstructured(M, K, W, K, 1, 0.7, &e), 0);
    gd_csr s;
    gd_csr_from_dense(M, K, W, &s);
    assert_int_equal(s.nnz, M * K - (int)floor(0.7 * M * K));
    assert_int_equal(gd_csr_check(&s, "c", &e), 0);
    float *D = malloc((size_t)M * K * sizeof *D), *C = malloc((size_t)M * N * sizeof *C),
          *R = malloc((size_t)M * N * sizeof *R);
    gd_csr_to_dense(&s, D);
    assert_memory_equal(D, W, (size_t)M * K * sizeof *D);
    gd_spmm_csr(&s, N, B, C);
    gd_gemm_ref(M, N, K, W, B, R, 0);
    assert_memory_equal(C, R, (size_t)M * N * sizeof *C);
    s.row_ptr[M]--;
    assert_int_equal(gd_csr_check(&s, "c", &e), -1);
    assert_non_null(strstr(e.msg, "nnz"));
    s.row_ptr[M]++;
    int r = 0;
    while (s.row_ptr[r + 1] - s.row_ptr[r] < 2)
        r++;
    s.col[s.row_ptr[r] + 1] = s.col[s.row_ptr[r]];
    assert_int_equal(gd_csr_check(&s, "c", &e), -1);
    assert_non_null(strstr(e.msg, "strictly ascending"));
    gd_csr_free(&s);
    free(W), free(B), free(D), free(C), free(R);
}

static void test_topk_attention(void **st)
{
    (void)st;
    int nq = 5, nk = 9, H = 4, KVH = 2, d = 8;
    float *Q = randm(nq * H * d, 50), *K = randm(nk * KVH * d, 51), *V = randm(nk * KVH * d, 52);
    float *O = malloc((size_t)nq * H * d * sizeof *O), *R = malloc((size_t)nq * H * d * sizeof *R);
    gd_attn_shape s = {nq, nk, d, d, 1.0f / sqrtf((float)d), 1, nk - nq, NULL};
    gd_attention_mh(&s, H, KVH, Q, K, V, R, 0);
    gd_attention_topk(&s, H, KVH, Q, K, V, O, nk);
    assert_memory_equal(O, R, (size_t)nq * H * d * sizeof *O);
    /* k = 1: each row is the value of its single best visible key */
    gd_attention_topk(&s, H, KVH, Q, K, V, O, 1);
    int differs = 0;
    for (int i = 0; i < nq; i++)
        for (int h = 0; h < H; h++) {
            const float *q = Q + ((size_t)i * H + h) * d;
            int g = h / (H / KVH), best = 0;
            float bs = -INFINITY;
            for (int j = 0; j <= nk - nq + i; j++) {
                float acc = 0;
                for (int c = 0; c < d; c++)
                    acc = acc + q[c] * K[((size_t)j * KVH + g) * d + c];
                if (s.scale * acc > bs)
                    bs = s.scale * acc, best = j;
            }
            assert_memory_equal(O + ((size_t)i * H + h) * d, V + ((size_t)best * KVH + g) * d, d * sizeof(float));
            differs |= memcmp(O + ((size_t)i * H + h) * d, R + ((size_t)i * H + h) * d, d * sizeof(float)) != 0;
        }
    assert_true(differs);
    /* ties keep the lower index: two identical keys, k = 1 */
    float q1[2] = {1, 0}, k2[4] = {1, 0, 1, 0}, v2[4] = {1, 2, 3, 4}, o1[2];
    gd_attn_shape s2 = {1, 2, 2, 2, 1.0f, 0, 0, NULL};
    gd_attention_topk(&s2, 1, 1, q1, k2, v2, o1, 1);
    assert_true(o1[0] == 1 && o1[1] == 2);
    free(Q), free(K), free(V), free(O), free(R);
}

/* Decode with a KV cache: prompt of n_p rows at once, then single rows;
 * returns the outputs of every step [n_tot x H x d]. */
static void run_kv(gd_kvprune *p, int n_p, int n_tot, int H, int d, const float *Q, const float *K, const float *V,
                   float *O, int dense)
{
    gd_attn_shape s = {n_p, n_p, d, d, 1.0f / sqrtf((float)d), 1, 0, NULL};
    for (int t = n_p; t <= n_tot; t++) {
        int q0 = t == n_p ? 0 : t - 1;
        s.n_q = t - q0, s.n_k = t, s.q_offset = q0;
        if (dense)
            gd_attention_mh(&s, H, H, Q + (size_t)q0 * H * d, K, V, O + (size_t)q0 * H * d, 0);
        else
            gd_kvprune_attention(p, 0, &s, H, H, Q + (size_t)q0 * H * d, K, V, O + (size_t)q0 * H * d);
    }
}

static void test_kvprune_equals_dense_with_room(void **st)
{
    (void)st;
    int n_p = 6, n = 14, H = 2, d = 8;
    float *Q = randm(n * H * d, 60), *K = randm(n * H * d, 61), *V = randm(n * H * d, 62);
    float *O = malloc((size_t)n * H * d * sizeof *O), *R = malloc((size_t)n * H * d * sizeof *R);
    run_kv(NULL, n_p, n, H, d, Q, K, V, R, 1);
    for (int kind = 0; kind < 2; kind++) {
        gd_kvprune p;
        es_err e;
        assert_int_equal(gd_kvprune_init(&p, (gd_kvprune_kind)kind, n, -1, n - n_p, 7, 1, H, n, &e), 0);
        run_kv(&p, n_p, n, H, d, Q, K, V, O, 0);
        assert_memory_equal(O, R, (size_t)n * H * d * sizeof *O);
        assert_int_equal(p.evicted, 0);
        gd_kvprune_free(&p);
        /* a small budget changes the answer and holds the cache at budget */
        assert_int_equal(gd_kvprune_init(&p, (gd_kvprune_kind)kind, 4, 1, n - n_p, 7, 1, H, n, &e), 0);
        run_kv(&p, n_p, n, H, d, Q, K, V, O, 0);
        assert_int_equal(gd_kvprune_kept(&p, 0, 0, n), 4);
        assert_int_equal(gd_kvprune_kept(&p, 0, 1, n), 4);
        assert_true(memcmp(O, R, (size_t)n * H * d * sizeof *O) != 0);
        gd_kvprune_free(&p);
    }
    es_err e;
    gd_kvprune p;
    assert_int_equal(gd_kvprune_init(&p, GD_KVP_H2O, 3, 3, 1, 0, 1, 1, 4, &e), -1);
    free(Q), free(K), free(V), free(O), free(R);
}

static void test_h2o_hand_case(void **st)
{
    (void)st;
    /* One head, d = 1, scale 1, 4 prompt tokens at once; keys 0, 3, 0, 0
     * (token 1 is the heavy hitter), values irrelevant.  Budget 2, recent 1:
     * after the prompt the cache keeps token 3 (recent) and, of tokens 0..2,
     * the highest accumulated probability: token 1 (query rows 1..3 all put
     * most mass on it). */
    float Q[5] = {1, 1, 1, 1, 1}, K[5] = {0, 3, 0, 0, 0}, V[5] = {1, 2, 3, 4, 5}, O[5];
    gd_kvprune p;
    es_err e;
    assert_int_equal(gd_kvprune_init(&p, GD_KVP_H2O, 2, 1, 1, 0, 1, 1, 5, &e), 0);
    gd_attn_shape s = {4, 4, 1, 1, 1.0f, 1, 0, NULL};
    gd_kvprune_attention(&p, 0, &s, 1, 1, Q, K, V, O);
    assert_int_equal(p.keep[0], 0);
    assert_int_equal(p.keep[1], 1);
    assert_int_equal(p.keep[2], 0);
    assert_int_equal(p.keep[3], 1);
    /* token 0's score by hand: row 0 gives it 1; rows 1..3 give
     * 1/(1+e^3), 1/(2+e^3), 1/(3+e^3) -- but evicted scores are cleared */
    assert_true(p.score[0] == 0.0);
    double s1 = 0 + exp(3) / (1 + exp(3)) + exp(3) / (2 + exp(3)) + exp(3) / (3 + exp(3));
    assert_true(fabs(p.score[1] - s1) < 1e-12);
    /* decode token 4: it attends to {1, 3, 4}, then the cache keeps 4
     * (recent) and the best of {1, 3}: token 1 */
    gd_attn_shape s2 = {1, 5, 1, 1, 1.0f, 1, 4, NULL};
    gd_kvprune_attention(&p, 0, &s2, 1, 1, Q + 4, K, V, O + 4);
    double e3 = exp(3), want = (2 * e3 + 4 + 5) / (e3 + 2);
    assert_true(fabs(O[4] - want) < 1e-5);
    assert_int_equal(p.keep[1] + p.keep[3] * 2 + p.keep[4] * 4, 1 + 4);
    gd_kvprune_free(&p);
}

static void test_keyformer_seeded(void **st)
{
    (void)st;
    int n_p = 8, n = 16, H = 2, d = 4;
    float *Q = randm(n * H * d, 70), *K = randm(n * H * d, 71), *V = randm(n * H * d, 72);
    float *O1 = malloc((size_t)n * H * d * sizeof *O1), *O2 = malloc((size_t)n * H * d * sizeof *O2);
    gd_kvprune a, b;
    es_err e;
    assert_int_equal(gd_kvprune_init(&a, GD_KVP_KEYFORMER, 5, -1, n - n_p, 99, 1, H, n, &e), 0);
    assert_int_equal(gd_kvprune_init(&b, GD_KVP_KEYFORMER, 5, -1, n - n_p, 99, 1, H, n, &e), 0);
    run_kv(&a, n_p, n, H, d, Q, K, V, O1, 0);
    run_kv(&b, n_p, n, H, d, Q, K, V, O2, 0);
    assert_memory_equal(O1, O2, (size_t)n * H * d * sizeof *O1);
    assert_memory_equal(a.keep, b.keep, (size_t)H * n);
    assert_int_equal(a.recent, 1);
    gd_kvprune_free(&a), gd_kvprune_free(&b);
    free(Q), free(K), free(V), free(O1), free(O2);
}

/* A model run through the SpMM kernels equals the same pruned model run by
 * the dense reference GEMM, bit for bit (GPT-2's Conv1D and Llama's
 * nn.Linear layouts, every weight form). */
static void test_model_spmm_equals_pruned_dense(void **st)
{
    (void)st;
    static const char *forms[] = {"2:4", "block4x1:0.5", "block1x4:0.75", "unstructured:0.6"};
    for (int fam = 0; fam < 2; fam++)
        for (size_t fi = 0; fi < sizeof forms / sizeof *forms; fi++) {
            gd_config c;
            gd_config_default(&c, fam ? GD_FAM_LLAMA : GD_FAM_GPT2);
            c.vocab = 50, c.d_model = 32, c.n_layers = 2, c.n_heads = 4, c.n_kv_heads = fam ? 2 : 4;
            c.head_dim = 8, c.ffn_dim = 64, c.max_seq = 16;
            gd_sparsity sp;
            gd_sparse_stats ss;
            es_err e;
            gd_model a, b;
            assert_int_equal(gd_sparsity_parse(forms[fi], &sp, &e), 0);
            assert_int_equal(gd_model_init_synthetic(&a, &c, 5, &e), 0);
            assert_int_equal(gd_model_init_synthetic(&b, &c, 5, &e), 0);
            assert_int_equal(gd_model_sparsify(&a, &sp, &ss, &e), 0);
            assert_int_equal(gd_model_sparsify(&b, &sp, &ss, &e), 0);
            gd_model_sparse_free(&b); /* b: the pruned weights, dense GEMM */
            assert_null(b.qlinear);
            assert_non_null(a.qlinear);
            a.ref_gemm = b.ref_gemm = 1; /* the LM head stays dense in both */
            int tok[5] = {1, 7, 3, 49, 0};
            float *ya = malloc(5 * 50 * sizeof *ya), *yb = malloc(5 * 50 * sizeof *yb);
            assert_int_equal(gd_forward(&a, NULL, tok, 5, 0, ya, &e), 0);
            assert_int_equal(gd_forward(&b, NULL, tok, 5, 0, yb, &e), 0);
            assert_memory_equal(ya, yb, 5 * 50 * sizeof *ya);
            /* and the pruning changed the model */
            gd_model d;
            assert_int_equal(gd_model_init_synthetic(&d, &c, 5, &e), 0);
            d.ref_gemm = 1;
            assert_int_equal(gd_forward(&d, NULL, tok, 5, 0, yb, &e), 0);
            assert_true(memcmp(ya, yb, 5 * 50 * sizeof *ya) != 0);
            assert_true(ss.nnz < ss.params);
            gd_model_sparse_free(&a);
            gd_model_free(&a), gd_model_free(&b), gd_model_free(&d);
            free(ya), free(yb);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prune_24_rule),       cmocka_unit_test(test_sp24_roundtrip_and_spmm),
        cmocka_unit_test(test_bsr_fp32),            cmocka_unit_test(test_block_prune_ties),
        cmocka_unit_test(test_bsr_int8),            cmocka_unit_test(test_csr),
        cmocka_unit_test(test_topk_attention),      cmocka_unit_test(test_kvprune_equals_dense_with_room),
        cmocka_unit_test(test_h2o_hand_case),       cmocka_unit_test(test_keyformer_seeded),
        cmocka_unit_test(test_model_spmm_equals_pruned_dense),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
