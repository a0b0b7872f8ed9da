/* tests/bench/bench_common.h: helpers shared by the C benchmarks. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <time.h>

#include <cblas.h> /* openblas_get_corename */

/* Wall-clock seconds (monotonic). */
static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* CPU seconds of this process. */
static inline double bench_cpu_self(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Busy CPU seconds of the whole machine so far (all but idle and iowait,
 * from /proc/stat), or -1: other processes' use = its delta minus ours. */
static inline double bench_cpu_machine(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return -1;
    unsigned long long v[8] = {0};
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                   &v[6], &v[7]);
    fclose(f);
    if (n < 5)
        return -1;
    unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    return (double)busy / (double)sysconf(_SC_CLK_TCK);
}

/* OpenBLAS 0.3.21 does not know some newer CPUs (e.g. Sapphire Rapids) and
 * falls back to its SSE3 "Prescott" kernels at about a third of the speed.
 * When that happened, re-run this benchmark once with the library's AVX-512
 * kernels so both figures are printed in the same `make bench`.  Returns
 * only when no re-run is needed (or exec failed). */
static inline void bench_rerun_if_generic_openblas(const char *argv0)
{
#if defined(__x86_64__)
    if (!getenv("OPENBLAS_CORETYPE") && strcmp(openblas_get_corename(), "Prescott") == 0 &&
        __builtin_cpu_supports("avx512f")) {
        printf("\nOpenBLAS chose generic Prescott kernels on an AVX-512 CPU; the same run with "
               "OPENBLAS_CORETYPE=SkylakeX:\n");
        fflush(stdout);
        setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
        execl("/proc/self/exe", argv0, (char *)NULL);
        printf("(could not re-run: %s)\n", strerror(errno));
    }
#else
    (void)argv0;
#endif
}

#endif
