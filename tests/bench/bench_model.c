/* Benchmark: GPT-2 small (synthetic weights, seed 1) on one thread
 * (OpenBLAS 1 thread): prefill tokens/s at 128 tokens and decode tokens/s
 * with the KV cache.  Figures are printed, never asserted.  The CPU-time /
 * wall-time ratio is printed beside each figure: well below 1.00 means
 * another process took the core and the figure reads low.  As bench_gemm
 * does, when OpenBLAS falls back to its generic Prescott kernels on an
 * AVX-512 CPU it does not know (0.3.21 on Sapphire Rapids), the run is repeated
 * once with OPENBLAS_CORETYPE=SkylakeX and both are printed. */
#include <cblas.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "golden/kernels.h"
#include "tests/bench/bench_common.h"
#include "golden/model.h"

int main(void)
{
    gd_gemm_fast_set_threads(1);
    gd_config c;
    gd_config_default(&c, GD_FAM_GPT2); /* GPT-2 small: 12 x 768, vocab 50257 */
    gd_model m;
    es_err e;
    double t0 = bench_now();
    if (gd_model_init_synthetic(&m, &c, 1, &e) != 0) {
        fprintf(stderr, "bench_model: %s\n", e.msg);
        return 1;
    }
    printf("GPT-2 small, synthetic weights (seed 1), %lld parameters, init %.2f s, 1 thread, GEMM: %s\n",
           (long long)gd_param_count(&c), bench_now() - t0,
           strcmp(gd_gemm_fast_kernel(), "avx512") == 0 ? "golden's AVX-512 kernels (EINSIM_NO_AVX512_GEMM=1: OpenBLAS)"
                                                      : "OpenBLAS");
    printf("OpenBLAS %s kernels (single-row products, and the GEMMs when golden's are off)\n",
           openblas_get_corename());
    enum { N = 128, DEC = 32 };
    int tok[N + DEC];
    for (int i = 0; i < N + DEC; i++)
        tok[i] = (i * 7919 + 13) % c.vocab;
    float *logits = malloc((size_t)N * c.vocab * sizeof *logits);
    /* Warm-up (page in weights, OpenBLAS buffers). */
    if (gd_forward(&m, NULL, tok, 16, 1, logits, &e) != 0) {
        fprintf(stderr, "bench_model: %s\n", e.msg);
        return 1;
    }
    /* Best wall time (with its cpu/wall) and, apart, the least CPU time of
     * the repeats: on a shared machine the CPU figure is the steadier one
     * (one thread: it counts only the time this process ran). */
    for (int last = 0; last < 2; last++) {
        double best = 1e30, ratio = 0, best_cpu = 1e30;
        for (int rep = 0; rep < 5; rep++) {
            double w0 = bench_now(), c0 = bench_cpu_self();
            gd_forward(&m, NULL, tok, N, last, logits, &e);
            double w = bench_now() - w0, cc = bench_cpu_self() - c0;
            if (w < best)
                best = w, ratio = cc / w;
            if (cc < best_cpu)
                best_cpu = cc;
        }
        printf("prefill %d tokens (%s): %.3f s = %.1f tokens/s  (cpu/wall %.2f, best of 5; by CPU time %.3f s = "
               "%.1f tokens/s)\n",
               N, last ? "logits of the last token" : "logits of every token", best, N / best, ratio, best_cpu,
               N / best_cpu);
    }
    /* The anchor, same shapes and thread count, in the same run: Debian's
     * python3-torch where it is installed (make bench does not install it). */
    fflush(stdout);
    if (system("for py in python3 /usr/bin/python3; do"
               "  if \"$py\" -c 'import torch' 2>/dev/null; then exec \"$py\" tests/bench/torch_gpt2.py 128; fi; "
               "done; echo 'PyTorch: not installed (apt-get install python3-torch), no anchor'") != 0)
        printf("PyTorch anchor failed\n");
    gd_kv kv;
    if (gd_kv_init(&kv, &m, N + DEC, &e) != 0 || gd_forward(&m, &kv, tok, N, 1, logits, &e) != 0) {
        fprintf(stderr, "bench_model: %s\n", e.msg);
        return 1;
    }
    double w0 = bench_now(), c0 = bench_cpu_self();
    for (int i = 0; i < DEC; i++)
        gd_forward(&m, &kv, tok + N + i, 1, 1, logits, &e);
    double w = bench_now() - w0, cc = bench_cpu_self() - c0;
    printf("decode %d tokens after a %d-token prompt (KV cache, logits every step): %.1f ms/token = %.1f tokens/s  "
           "(cpu/wall %.2f)\n",
           DEC, N, 1e3 * w / DEC, DEC / w, cc / w);
    gd_kv_free(&kv);
    free(logits);
    gd_model_free(&m);
    bench_rerun_if_generic_openblas("bench_model");
    return 0;
}
