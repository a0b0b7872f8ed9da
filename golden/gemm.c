/* golden/gemm.c: GEMM, reference and fast paths (contract in kernels.h).
 *
 * The reference path's result is defined per element: acc = 0, then
 * acc = acc + a_ik * b_kj for k = 0..K-1 in fp32, then c = acc (or c + acc).
 * The loops below run i, k, j over a block of up to REF_JBLOCK accumulators
 * so B is read along rows; that changes the order in which elements are
 * computed, never the order of any one element's sum, so the result is the
 * same bit for bit as the plain i, j, k loop (test_gemm checks this).
 * No fused multiply-add: -std=c11 makes GCC default to -ffp-contract=off, so
 * every product is rounded before it is added. */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "golden/kernels.h"

#define REF_JBLOCK 256

static int degenerate(int M, int N, int K, float *C, int accumulate)
{
    if (M <= 0 || N <= 0)
        return 1;
    if (K <= 0) { /* empty sum: 0, or C unchanged */
        if (!accumulate)
            memset(C, 0, (size_t)M * (size_t)N * sizeof *C);
        return 1;
    }
    return 0;
}

void gd_gemm_ref(int M, int N, int K, const float *A, const float *B, float *C, int accumulate)
{
    if (degenerate(M, N, K, C, accumulate))
        return;
    float acc[REF_JBLOCK];
    for (int i = 0; i < M; i++) {
        const float *a = A + (size_t)i * K;
        float *c = C + (size_t)i * N;
        for (int j0 = 0; j0 < N; j0 += REF_JBLOCK) {
            int nj = N - j0 < REF_JBLOCK ? N - j0 : REF_JBLOCK;
            for (int j = 0; j < nj; j++)
                acc[j] = 0.0f;
            for (int k = 0; k < K; k++) {
                const float aik = a[k];
                const float *b = B + (size_t)k * N + j0;
                for (int j = 0; j < nj; j++)
                    acc[j] = acc[j] + aik * b[j];
            }
            for (int j = 0; j < nj; j++)
                c[j0 + j] = accumulate ? c[j0 + j] + acc[j] : acc[j];
        }
    }
}

void gd_gemm_ref_bt(int M, int N, int K, const float *A, const float *Bt, float *C, int accumulate)
{
    if (degenerate(M, N, K, C, accumulate))
        return;
    for (int i = 0; i < M; i++) {
        const float *a = A + (size_t)i * K;
        for (int j = 0; j < N; j++) {
            const float *b = Bt + (size_t)j * K;
            float acc = 0.0f;
            for (int k = 0; k < K; k++)
                acc = acc + a[k] * b[k];
            float *c = C + (size_t)i * N + j;
            *c = accumulate ? *c + acc : acc;
        }
    }
}

void gd_gemm_fast(int M, int N, int K, const float *A, const float *B, float *C, int accumulate)
{
    if (degenerate(M, N, K, C, accumulate))
        return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N,
                accumulate ? 1.0f : 0.0f, C, N);
}

void gd_gemm_fast_bt(int M, int N, int K, const float *A, const float *Bt, float *C, int accumulate)
{
    if (degenerate(M, N, K, C, accumulate))
        return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, A, K, Bt, K,
                accumulate ? 1.0f : 0.0f, C, N);
}

double gd_gemm_fast_bound(int K)
{
    const double u = ldexp(1.0, -24);
    double ku = (K > 0 ? K : 0) * u;
    return 2.0 * ku / (1.0 - ku);
}

void gd_gemm_fast_set_threads(int n) { openblas_set_num_threads(n > 0 ? n : 1); }
