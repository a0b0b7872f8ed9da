/* bench_quant: (1) int8 GEMM GMAC/s of gd_gemm_i8 (AVX-512 VNNI when the CPU
 * has it) and of the portable path, beside the VNNI peak measured in the
 * same run by a register-resident vpdpbusd loop (golden.md §C: about
 * 210-230 GMAC/s per Zen 4 core); (2) weight bytes and logit error of every
 * --quant format on GPT-2-small-shaped synthetic weights (12 layers,
 * d_model 768, 32 prompt tokens).  Printed, never asserted.  The machine is
 * shared: the int8 figures are timed in this thread's CPU time (so time
 * slices lost to other processes do not count; cache and core sharing
 * still do), and the run prints other processes' CPU use meanwhile. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "golden/base/rng.h"
#include "golden/model.h"
#include "golden/quant.h"
#include "tests/bench/bench_common.h"

/* CPU seconds of this thread. */
static double cpu_thread(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
/* 12 independent accumulators of vpdpbusd zmm (64 MAC each); returns GMAC/s. */
__attribute__((target("avx512f,avx512vnni"))) static double vnni_peak(long iters)
{
    __m512i a = _mm512_set1_epi32(0x01010101), b = _mm512_set1_epi32(0x01FF01FF);
    __m512i c0 = _mm512_setzero_si512(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0,
            c9 = c0, c10 = c0, c11 = c0;
    double t0 = cpu_thread();
    for (long i = 0; i < iters; i++) {
        c0 = _mm512_dpbusd_epi32(c0, a, b), c1 = _mm512_dpbusd_epi32(c1, a, b);
        c2 = _mm512_dpbusd_epi32(c2, a, b), c3 = _mm512_dpbusd_epi32(c3, a, b);
        c4 = _mm512_dpbusd_epi32(c4, a, b), c5 = _mm512_dpbusd_epi32(c5, a, b);
        c6 = _mm512_dpbusd_epi32(c6, a, b), c7 = _mm512_dpbusd_epi32(c7, a, b);
        c8 = _mm512_dpbusd_epi32(c8, a, b), c9 = _mm512_dpbusd_epi32(c9, a, b);
        c10 = _mm512_dpbusd_epi32(c10, a, b), c11 = _mm512_dpbusd_epi32(c11, a, b);
        __asm__ volatile("" : "+v"(c0), "+v"(c1), "+v"(c2), "+v"(c3), "+v"(c4), "+v"(c5));
        __asm__ volatile("" : "+v"(c6), "+v"(c7), "+v"(c8), "+v"(c9), "+v"(c10), "+v"(c11));
    }
    double t = cpu_thread() - t0;
    __m512i s = _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(c0, c1), _mm512_add_epi32(c2, c3)),
                                 _mm512_add_epi32(_mm512_add_epi32(c4, c5), _mm512_add_epi32(c6, c7)));
    s = _mm512_add_epi32(s, _mm512_add_epi32(_mm512_add_epi32(c8, c9), _mm512_add_epi32(c10, c11)));
    volatile int sink = _mm512_reduce_add_epi32(s);
    (void)sink;
    return 12.0 * 64.0 * (double)iters / t / 1e9;
}
static int have_vnni(void) { return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512f"); }
#else
static double vnni_peak(long iters) { (void)iters; return 0; }
static int have_vnni(void) { return 0; }
#endif

typedef void (*i8gemm)(int, int, int, const int8_t *, const int8_t *, int32_t *);

/* gd_gemm_i8_packed on B packed once, outside the timing (weights reused). */
static gd_i8_packed_b prepacked;
static void gemm_prepacked(int M, int N, int K, const int8_t *A, const int8_t *B, int32_t *C)
{
    (void)N, (void)K, (void)B;
    gd_gemm_i8_packed(M, A, &prepacked, C);
}

/* Best seconds per call, repeated until >= 3 calls and >= 0.3 s. */
static double best_time(i8gemm f, int M, int N, int K, const int8_t *A, const int8_t *B, int32_t *C)
{
    f(M, N, K, A, B, C);
    double best = 1e30, start = cpu_thread();
    for (int r = 0; r < 3 || cpu_thread() - start < 0.3; r++) {
        double t0 = cpu_thread();
        f(M, N, K, A, B, C);
        double t = cpu_thread() - t0;
        best = t < best ? t : best;
    }
    return best;
}

static void bench_int8(void)
{
    double m0 = bench_cpu_machine(), s0 = bench_cpu_self(), w0 = bench_now();
    double peak = 0;
    if (have_vnni()) {
        /* warm up the clock first (golden.md §C2: otherwise the first loop reads low) */
        vnni_peak(20000000);
        for (int r = 0; r < 3; r++) {
            double p = vnni_peak(20000000);
            peak = p > peak ? p : peak;
        }
        printf("VNNI vpdpbusd zmm peak, measured now: %.1f GMAC/s (anchor, measured earlier on a Zen 4 core of this class: 210-230 GMAC/s)\n",
               peak);
    } else
        printf("this CPU has no AVX-512 VNNI; gd_gemm_i8 takes the portable path\n");
    printf("gd_gemm_i8 path: %s\n", gd_gemm_i8_path());
    static const int shapes[][3] = {{128, 3072, 768}, {128, 768, 3072}, {512, 512, 512}, {1024, 1024, 1024}, {1, 3072, 768}};
    printf("%-18s %12s %10s %12s %10s %10s\n", "M x N x K", "gd_gemm_i8", "/peak", "B prepacked", "/peak",
           "portable");
    es_rng r;
    es_rng_seed(&r, 1);
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        int M = shapes[i][0], N = shapes[i][1], K = shapes[i][2];
        int8_t *A = malloc((size_t)M * K), *B = malloc((size_t)N * K);
        int32_t *C = malloc((size_t)M * N * 4);
        for (size_t k = 0; k < (size_t)M * K; k++)
            A[k] = (int8_t)(es_rng_below(&r, 255) - 127);
        for (size_t k = 0; k < (size_t)N * K; k++)
            B[k] = (int8_t)(es_rng_below(&r, 255) - 127);
        double macs = (double)M * N * K;
        double tf = best_time(gd_gemm_i8, M, N, K, A, B, C);
        double tp = best_time(gd_gemm_i8_portable, M, N, K, A, B, C);
        double tk = 0;
        if (gd_i8_pack_b(N, K, B, &prepacked) == 0) {
            tk = best_time(gemm_prepacked, M, N, K, A, B, C);
            gd_i8_packed_b_free(&prepacked);
        }
        char shape[32], r1[16] = "-", r2[16] = "-", pk[16] = "-";
        snprintf(shape, sizeof shape, "%dx%dx%d", M, N, K);
        if (peak > 0)
            snprintf(r1, sizeof r1, "%.0f%%", 100 * macs / tf / 1e9 / peak);
        if (tk > 0) {
            snprintf(pk, sizeof pk, "%.1f", macs / tk / 1e9);
            if (peak > 0)
                snprintf(r2, sizeof r2, "%.0f%%", 100 * macs / tk / 1e9 / peak);
        }
        printf("%-18s %12.1f %10s %12s %10s %10.1f\n", shape, macs / tf / 1e9, r1, pk, r2, macs / tp / 1e9);
        free(A), free(B), free(C);
    }
    double wall = bench_now() - w0, other = bench_cpu_machine() - m0 - (bench_cpu_self() - s0);
    printf("(other processes used %.2f CPU-s during these %.2f s: %s)\n", other, wall,
           other > 0.1 * wall ? "figures may read low" : "clean");
}

static void bench_formats(void)
{
    gd_config c;
    gd_config_default(&c, GD_FAM_GPT2);
    c.max_seq = 128;
    es_err e;
    gd_model ref, m;
    if (gd_model_init_synthetic(&ref, &c, 1, &e)) {
        printf("(cannot build the model: %s)\n", e.msg);
        return;
    }
    enum { T = 32 };
    int tok[T];
    es_rng r;
    es_rng_seed(&r, 2);
    for (int i = 0; i < T; i++)
        tok[i] = (int)es_rng_below(&r, (uint64_t)c.vocab);
    float *y32 = malloc((size_t)T * c.vocab * 4), *y = malloc((size_t)T * c.vocab * 4);
    if (gd_forward(&ref, NULL, tok, T, 0, y32, &e)) {
        printf("(forward failed: %s)\n", e.msg);
        return;
    }
    gd_calib cal;
    if (gd_calib_make("1", &c, &cal, &e))
        return;
    printf("\nGPT-2-small shapes (synthetic N(0, 0.02) weights, seed 1), %d tokens, calibration %d x %d random "
           "tokens:\n",
           T, GD_CALIB_SEQS, cal.seq_len);
    printf("%-12s %14s %10s %12s %12s %8s %10s\n", "format", "block bytes", "bits/w", "max|dlogit|", "relative",
           "top-1", "q+fwd s");
    static const char *fmts[] = {"fp32", "fp16", "bf16", "int8", "llm.int8", "fp8-e4m3", "fp8-e5m2", "q8_0",
                                 "q4_0", "q4_k", "mxfp4", "gptq4-g128", "rtn4-g128", "gptq4-g32", "rtn4-g32",
                                 "gptq3-g128", "rtn3-g128", "gptq3-g32", "rtn3-g32"};
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        gd_qformat f;
        gd_quant_stats st;
        gd_qformat_parse(fmts[i], &f, &e);
        if (gd_model_init_synthetic(&m, &c, 1, &e))
            return;
        double t0 = bench_now();
        if (gd_model_quantize(&m, &f, &cal, 0, &st, &e) || gd_forward(&m, NULL, tok, T, 0, y, &e)) {
            printf("%-12s (failed: %s)\n", fmts[i], e.msg);
            gd_model_free(&m);
            continue;
        }
        double tq = bench_now() - t0;
        double mx = 0, num = 0, den = 0;
        int agree = 0;
        for (int t = 0; t < T; t++) {
            int a = 0, b = 0;
            for (int j = 0; j < c.vocab; j++) {
                size_t k = (size_t)t * c.vocab + j;
                double d = fabs((double)y[k] - y32[k]);
                mx = d > mx ? d : mx, num += d * d, den += (double)y32[k] * y32[k];
                if (y[k] > y[(size_t)t * c.vocab + a])
                    a = j;
                if (y32[k] > y32[(size_t)t * c.vocab + b])
                    b = j;
            }
            agree += a == b;
        }
        printf("%-12s %14lld %10.3f %12.4g %12.4g %5d/%d %10.2f\n", fmts[i], (long long)st.q_bytes,
               8.0 * st.q_bytes / (double)st.q_params, mx, sqrt(num / den), agree, T, tq);
        gd_model_free(&m);
    }
    printf("(block bytes: the 48 block matrices in the format, scales/zeros/g_idx included; embeddings, norms, "
           "biases stay fp32.  q+fwd s: wall seconds to quantize and run the %d tokens)\n",
           T);
    gd_calib_free(&cal);
    gd_model_free(&ref);
    free(y32), free(y);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    bench_int8();
    if (!(argc > 1 && !strcmp(argv[1], "--int8-only")))
        bench_formats();
    return 0;
}
