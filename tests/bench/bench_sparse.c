/* bench_sparse: block-sparse (BSR) SpMM speedup over the same kernel run
 * dense (every block kept, 0 % sparsity), one thread, at 70/80/90 %
 * sparsity, for 4x1 and 1x4 blocks, fp32 and int8; GPT-2-small c_fc shape
 * (3072 outputs x 768 inputs) times 128 activation columns.  Also the 2:4
 * and CSR kernels at their sparsity, and the defined-order dense GEMM
 * (gd_gemm_ref) for scale.  Best of 3; printed, never asserted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "golden/base/rng.h"
#include "golden/sparse.h"

enum { M = 3072, K = 768, N = 128, REPS = 3 };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static float *W0, *B;
static int8_t *B8;
static float *C;
static int32_t *C32;

static void gemm_ref(const void *a) { (void)a, gd_gemm_ref(M, N, K, W0, B, C, 0); }
static void spmm_bsr(const void *a) { gd_spmm_bsr(a, N, B, C); }
static void spmm_bsr_i8(const void *a) { gd_spmm_bsr_i8(a, N, B8, C32); }
static void spmm_24(const void *a) { gd_spmm_24(a, N, B, C); }
static void spmm_csr(const void *a) { gd_spmm_csr(a, N, B, C); }

static double best_of(void (*run)(const void *), const void *a)
{
    double best = 1e30;
    for (int r = 0; r < REPS; r++) {
        double t = now();
        run(a);
        t = now() - t;
        best = t < best ? t : best;
    }
    return best;
}

static double time_bsr(const gd_bsr *s, int int8) { return best_of(int8 ? spmm_bsr_i8 : spmm_bsr, s); }

static void make_bsr(int br, int bc, double level, int int8, gd_bsr *s)
{
    float *W = malloc((size_t)M * K * sizeof *W);
    memcpy(W, W0, (size_t)M * K * sizeof *W);
    es_err e;
    if (gd_prune_blocks(M, K, W, K, 1, br, bc, level, &e) || gd_bsr_from_dense(M, K, W, br, bc, int8, "w", s, &e)) {
        fprintf(stderr, "bench_sparse: %s\n", e.msg);
        exit(1);
    }
    free(W);
}

int main(void)
{
    es_rng r;
    es_rng_seed(&r, 1);
    W0 = malloc((size_t)M * K * sizeof *W0), B = malloc((size_t)K * N * sizeof *B);
    B8 = malloc((size_t)K * N), C = malloc((size_t)M * N * sizeof *C), C32 = malloc((size_t)M * N * sizeof *C32);
    for (size_t i = 0; i < (size_t)M * K; i++)
        W0[i] = (float)es_rng_normal(&r);
    for (size_t i = 0; i < (size_t)K * N; i++)
        B[i] = (float)es_rng_normal(&r), B8[i] = (int8_t)((int)es_rng_below(&r, 255) - 127);
    printf("SpMM C[%d x %d] = W[%d x %d] . X[%d x %d], one thread, best of %d\n", M, N, M, K, K, N, REPS);
    double tref = best_of(gemm_ref, NULL);
    printf("  gd_gemm_ref dense fp32: %.4f s (%.2f GMAC/s)\n", tref, (double)M * K * N / tref * 1e-9);
    static const int shapes[][2] = {{4, 1}, {1, 4}};
    static const double levels[] = {0.7, 0.8, 0.9};
    for (int int8 = 0; int8 < 2; int8++)
        for (int si = 0; si < 2; si++) {
            int br = shapes[si][0], bc = shapes[si][1];
            gd_bsr d;
            make_bsr(br, bc, 0.0, int8, &d);
            double td = time_bsr(&d, int8);
            printf("  BSR %dx%d %s: dense (0 %%) %.4f s (%.2f GMAC/s)", br, bc, int8 ? "int8" : "fp32", td,
                   (double)M * K * N / td * 1e-9);
            gd_bsr_free(&d);
            for (int li = 0; li < 3; li++) {
                gd_bsr s;
                make_bsr(br, bc, levels[li], int8, &s);
                double t = time_bsr(&s, int8);
                printf("; %.0f %%: %.4f s, %.2fx", levels[li] * 100, t, td / t);
                gd_bsr_free(&s);
            }
            printf("\n");
        }
    /* 2:4 (50 %) and CSR (80 %) against the BSR fp32 dense run's kernel family */
    float *W = malloc((size_t)M * K * sizeof *W);
    memcpy(W, W0, (size_t)M * K * sizeof *W);
    es_err e;
    gd_sp24 s24;
    if (gd_prune_24(M, K, W, K, 1, &e) || gd_sp24_compress(M, K, W, "w", &s24, &e))
        return fprintf(stderr, "bench_sparse: %s\n", e.msg), 1;
    double t24 = best_of(spmm_24, &s24);
    gd_sp24_free(&s24);
    memcpy(W, W0, (size_t)M * K * sizeof *W);
    gd_csr csr;
    if (gd_prune_unstructured(M, K, W, K, 1, 0.8, &e))
        return fprintf(stderr, "bench_sparse: %s\n", e.msg), 1;
    gd_csr_from_dense(M, K, W, &csr);
    double tc = best_of(spmm_csr, &csr);
    gd_csr_free(&csr);
    printf("  2:4 fp32 (50 %%): %.4f s; CSR fp32 80 %%: %.4f s\n", t24, tc);
    free(W), free(W0), free(B), free(B8), free(C), free(C32);
    return 0;
}
