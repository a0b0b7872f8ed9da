/* bench_gemm: GFLOP/s of golden's fast GEMM (gd_gemm_fast, gd_gemm_fast_bt)
 * beside OpenBLAS cblas_sgemm called directly in the same run, square
 * 512/1024/2048, one thread; plus the reference path at 512.  Figures are
 * printed, never asserted.  Method (as golden.md §C2): inputs uniform in
 * [-1, 1], one warm-up call, then the implementations alternate call by call
 * until each has run >= 3 times and >= 0.25 s; best time kept.  The machine
 * is shared, so the run also prints how much CPU other processes used
 * meanwhile (from /proc/stat): a high figure means the numbers are low. */
#include <cblas.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "golden/base/rng.h"
#include "golden/kernels.h"
#include "tests/bench/bench_common.h"

static void blas_sgemm(int M, int N, int K, const float *A, const float *B, float *C, int acc)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N, acc ? 1.0f : 0.0f, C, N);
}

typedef void (*gemm_fn)(int, int, int, const float *, const float *, float *, int);

/* Best seconds per call of each of n implementations, alternating. */
static void time_all(int n, const gemm_fn *fn, const float *const *B, int S, const float *A, float *C, double *best)
{
    int reps[8] = {0};
    double spent[8] = {0};
    for (int i = 0; i < n; i++) {
        fn[i](S, S, S, A, B[i], C, 0); /* warm-up */
        best[i] = 1e30;
    }
    for (int done = 0; !done;) {
        done = 1;
        for (int i = 0; i < n; i++) {
            if (reps[i] >= 3 && spent[i] >= 0.25)
                continue;
            done = 0;
            double t0 = bench_now();
            fn[i](S, S, S, A, B[i], C, 0);
            double t = bench_now() - t0;
            spent[i] += t;
            reps[i]++;
            if (t < best[i])
                best[i] = t;
        }
    }
}

int main(void)
{
    gd_gemm_fast_set_threads(1);
    es_rng r;
    es_rng_seed(&r, 1);
    const int sizes[3] = {512, 1024, 2048};
    double w0 = bench_now(), c0 = bench_cpu_self(), m0 = bench_cpu_machine();

    printf("single thread; %s; kernels: %s%s\n", openblas_get_config(), openblas_get_corename(),
           getenv("OPENBLAS_CORETYPE") ? " (set by OPENBLAS_CORETYPE)" : "");
    printf("%-6s %16s %16s %18s %10s\n", "size", "gd_gemm_fast", "gd_gemm_fast_bt", "cblas_sgemm (same", "fast/blas");
    printf("%-6s %16s %16s %18s %10s\n", "", "GFLOP/s", "GFLOP/s", "run) GFLOP/s", "");
    for (int si = 0; si < 3; si++) {
        int S = sizes[si];
        size_t nn = (size_t)S * S;
        float *A = malloc(nn * sizeof *A), *B = malloc(nn * sizeof *B), *Bt = malloc(nn * sizeof *Bt);
        float *C = malloc(nn * sizeof *C);
        for (size_t i = 0; i < nn; i++) {
            A[i] = es_rng_uniform(&r, -1, 1);
            B[i] = es_rng_uniform(&r, -1, 1);
        }
        for (int k = 0; k < S; k++)
            for (int j = 0; j < S; j++)
                Bt[(size_t)j * S + k] = B[(size_t)k * S + j];
        const gemm_fn fn[3] = {gd_gemm_fast, gd_gemm_fast_bt, blas_sgemm};
        const float *Bs[3] = {B, Bt, B};
        double best[3];
        time_all(3, fn, Bs, S, A, C, best);
        double flop = 2.0 * S * S * S;
        printf("%-6d %16.1f %16.1f %18.1f %10.2f\n", S, flop / best[0] * 1e-9, flop / best[1] * 1e-9,
               flop / best[2] * 1e-9, best[2] / best[0]);
        if (S == 512) { /* the reference path: two calls, best kept */
            double t = 1e30;
            for (int rep = 0; rep < 2; rep++) {
                double t0 = bench_now();
                gd_gemm_ref(S, S, S, A, B, C, 0);
                double d = bench_now() - t0;
                t = d < t ? d : t;
            }
            printf("%-6s %16.2f  (gd_gemm_ref, 512, defined order, scalar C)\n", "ref", flop / t * 1e-9);
        }
        free(A), free(B), free(Bt), free(C);
    }
    double wall = bench_now() - w0, self = bench_cpu_self() - c0, m1 = bench_cpu_machine();
    if (m0 >= 0 && m1 >= 0)
        printf("wall %.1f s; this process %.1f CPU s; other processes %.1f CPU s (%.0f%% of one core)\n", wall, self,
               m1 - m0 - self, 100 * (m1 - m0 - self) / wall);
    else
        printf("wall %.1f s; this process %.1f CPU s; /proc/stat unreadable\n", wall, self);
    bench_rerun_if_generic_openblas("bench_gemm");
    return 0;
}
