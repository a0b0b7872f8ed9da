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

/* ---- AVX-512 fast path -------------------------------------------------------
 * OpenBLAS 0.3.21 repacks the weight operand on every sgemm call and reads
 * the transposed LM head through the same packing; for golden's shapes (a
 * prompt of ~100 rows against 768..50257 weight columns) that costs 10-20 %.
 * These kernels keep OpenBLAS's order-free contract (the bound above) with a
 * fixed order of their own: each c_ij is one fused multiply-add chain over
 * k = 0..K-1 (acc = fma(a_ik, b_kj, acc)) starting from 0, or from c_ij when
 * accumulating in the B [K x N] form; the Bt form adds the finished chain to
 * c_ij as the reference does.  Blocking only splits the chain into pieces that
 * are stored and reloaded exactly, so the bits depend on neither the block
 * sizes nor the tile a value falls in: the same on every AVX-512 machine.
 * Used when the CPU has AVX-512F and OpenBLAS is set to one thread (these
 * kernels are single-threaded); EINSIM_NO_AVX512_GEMM=1 forces OpenBLAS. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#include <stdlib.h>

#include "golden/base/err.h"
#include "golden/base/io.h"

#define HAVE_AVX512_GEMM 1
#define AVX512 __attribute__((target("avx512f")))

/* B form: 8 x 48 tiles of C (24 zmm accumulators), B repacked per call into
 * 48-column panels of KC rows, NC_PANELS panels at a time (about 590 KB, so
 * a block stays in L2 while every row tile of A passes over it). */
enum { NN_MR = 8, NN_NR = 48, NN_KC = 384, NN_NC_PANELS = 8 };

static __mmask16 lane_mask(int n) /* the first n (clamped to 0..16) lanes */
{
    return n >= 16 ? (__mmask16)0xffff : n <= 0 ? 0 : (__mmask16)((1u << n) - 1);
}

/* Prefetch plan: while one block of B is multiplied, the next block's rows
 * are fetched into cache a cache line at a time (one line every 4 k), so the
 * next packing copies from cache instead of waiting on memory.  A tile takes
 * rows [row, row_end) of the next block, `lines` 16-float lines per row. */
typedef struct nn_prefetch {
    const float *base; /* row 0 of the next block (NULL: nothing) */
    size_t ld;
    int row, row_end, lines;
} nn_prefetch;

/* C[mr x nc] (+)= A[mr x kc] . panel[kc x 48]; rows past mr reread row 0 and
 * are not stored, columns past nc are zero in the panel and not stored. */
AVX512 static void nn_tile(int kc, int mr, int nc, const float *A, size_t lda, const float *bp, float *C, size_t ldc,
                           int load_c, nn_prefetch pf)
{
    const float *pf_row = pf.base ? pf.base + (size_t)pf.row * pf.ld : NULL;
    int pf_line = 0;
    const __mmask16 m0 = lane_mask(nc), m1 = lane_mask(nc - 16), m2 = lane_mask(nc - 32);
    const float *a0 = A, *a1 = mr > 1 ? A + lda : A, *a2 = mr > 2 ? A + 2 * lda : A, *a3 = mr > 3 ? A + 3 * lda : A,
                *a4 = mr > 4 ? A + 4 * lda : A, *a5 = mr > 5 ? A + 5 * lda : A, *a6 = mr > 6 ? A + 6 * lda : A,
                *a7 = mr > 7 ? A + 7 * lda : A;
    float *r[NN_MR];
    for (int i = 0; i < NN_MR; i++)
        r[i] = C + (size_t)(i < mr ? i : 0) * ldc;
    __m512 c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32, c40, c41, c42, c50, c51, c52, c60, c61, c62,
        c70, c71, c72;
#define NN_LOAD(p, x0, x1, x2)                                                                                     \
    x0 = load_c ? _mm512_maskz_loadu_ps(m0, p) : _mm512_setzero_ps();                                              \
    x1 = load_c ? _mm512_maskz_loadu_ps(m1, p + 16) : _mm512_setzero_ps();                                         \
    x2 = load_c ? _mm512_maskz_loadu_ps(m2, p + 32) : _mm512_setzero_ps();
    NN_LOAD(r[0], c00, c01, c02) NN_LOAD(r[1], c10, c11, c12) NN_LOAD(r[2], c20, c21, c22)
    NN_LOAD(r[3], c30, c31, c32) NN_LOAD(r[4], c40, c41, c42) NN_LOAD(r[5], c50, c51, c52)
    NN_LOAD(r[6], c60, c61, c62) NN_LOAD(r[7], c70, c71, c72)
    for (int k = 0; k < kc; k++) {
        if ((k & 3) == 0 && pf_row && pf.row < pf.row_end) {
            _mm_prefetch((const char *)(pf_row + 16 * pf_line), _MM_HINT_T0);
            if (++pf_line == pf.lines)
                pf_line = 0, pf.row++, pf_row += pf.ld;
        }
        const float *b = bp + (size_t)k * NN_NR;
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16), b2 = _mm512_loadu_ps(b + 32), a;
#define NN_ROW(ap, x0, x1, x2)                                                                                     \
    a = _mm512_set1_ps(ap[k]);                                                                                     \
    x0 = _mm512_fmadd_ps(a, b0, x0), x1 = _mm512_fmadd_ps(a, b1, x1), x2 = _mm512_fmadd_ps(a, b2, x2);
        NN_ROW(a0, c00, c01, c02) NN_ROW(a1, c10, c11, c12) NN_ROW(a2, c20, c21, c22) NN_ROW(a3, c30, c31, c32)
        NN_ROW(a4, c40, c41, c42) NN_ROW(a5, c50, c51, c52) NN_ROW(a6, c60, c61, c62) NN_ROW(a7, c70, c71, c72)
    }
    /* Highest row first: rows past mr alias row 0, whose store comes last. */
#define NN_STORE(p, x0, x1, x2)                                                                                    \
    _mm512_mask_storeu_ps(p, m0, x0), _mm512_mask_storeu_ps(p + 16, m1, x1), _mm512_mask_storeu_ps(p + 32, m2, x2);
    NN_STORE(r[7], c70, c71, c72) NN_STORE(r[6], c60, c61, c62) NN_STORE(r[5], c50, c51, c52)
    NN_STORE(r[4], c40, c41, c42) NN_STORE(r[3], c30, c31, c32) NN_STORE(r[2], c20, c21, c22)
    NN_STORE(r[1], c10, c11, c12) NN_STORE(r[0], c00, c01, c02)
#undef NN_LOAD
#undef NN_ROW
#undef NN_STORE
}

AVX512 static void gemm_avx512(int M, int N, int K, const float *A, const float *B, float *C, int accumulate)
{
    const int NC = NN_NC_PANELS * NN_NR, tiles_m = (M + NN_MR - 1) / NN_MR;
    float *buf = es_xmalloc((size_t)NN_KC * NC * sizeof *buf);
    for (int k0 = 0; k0 < K; k0 += NN_KC) {
        int kc = K - k0 < NN_KC ? K - k0 : NN_KC;
        for (int j0 = 0; j0 < N; j0 += NC) {
            int nc = N - j0 < NC ? N - j0 : NC, np = (nc + NN_NR - 1) / NN_NR;
            for (int k = 0; k < kc; k++) { /* pack: panel p holds columns j0+48p.., kc rows of 48 */
                const float *b = B + (size_t)(k0 + k) * N + j0;
                for (int p = 0; p < np; p++) {
                    float *d = buf + ((size_t)p * kc + k) * NN_NR;
                    int w = nc - p * NN_NR;
                    _mm512_storeu_ps(d, _mm512_maskz_loadu_ps(lane_mask(w), b + p * NN_NR));
                    _mm512_storeu_ps(d + 16, _mm512_maskz_loadu_ps(lane_mask(w - 16), b + p * NN_NR + 16));
                    _mm512_storeu_ps(d + 32, _mm512_maskz_loadu_ps(lane_mask(w - 32), b + p * NN_NR + 32));
                }
            }
            /* The next block in loop order, its rows shared out over this block's tiles. */
            int nj0 = j0 + NC, nk0 = k0;
            if (nj0 >= N)
                nj0 = 0, nk0 = k0 + NN_KC;
            nn_prefetch pf = {NULL, (size_t)N, 0, 0, 0};
            int next_kc = K - nk0 < NN_KC ? K - nk0 : NN_KC, per_tile = 0;
            if (nk0 < K) {
                int next_nc = N - nj0 < NC ? N - nj0 : NC;
                pf.base = B + (size_t)nk0 * N + nj0;
                pf.lines = (next_nc + 15) / 16;
                per_tile = (next_kc + np * tiles_m - 1) / (np * tiles_m);
            }
            for (int p = 0; p < np; p++) {
                int w = nc - p * NN_NR < NN_NR ? nc - p * NN_NR : NN_NR;
                for (int t = 0; t < tiles_m; t++) {
                    int i0 = t * NN_MR;
                    pf.row = (p * tiles_m + t) * per_tile;
                    pf.row_end = pf.row + per_tile < next_kc ? pf.row + per_tile : next_kc;
                    nn_tile(kc, M - i0 < NN_MR ? M - i0 : NN_MR, w, A + (size_t)i0 * K + k0, (size_t)K,
                            buf + (size_t)p * kc * NN_NR, C + (size_t)i0 * N + j0 + p * NN_NR, (size_t)N,
                            k0 > 0 || accumulate, pf);
                }
            }
        }
    }
    free(buf);
}

/* Bt form (x . W^T with W [N x K], e.g. the LM head): the transposed product
 * C^T = Bt . A^T, so that Bt's rows, contiguous in k, are the broadcast
 * operand read once in order, and A^T (repacked per call, NT_MC rows of A at
 * a time, zero-padded to 64) is the vector operand.  Tiles: 6 rows of Bt x 64
 * rows of A (24 zmm accumulators), written back transposed. */
enum { NT_JR = 6, NT_IR = 64, NT_MC = 256 };

AVX512 static void nt_tile(int K, int nj, int ni, const float *Bt, size_t ldb, const float *atp, float *C, size_t ldc,
                           int accumulate, const float *pf, int pf_lines)
{
    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00,
           c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00, c40 = c00,
           c41 = c00, c42 = c00, c43 = c00, c50 = c00, c51 = c00, c52 = c00, c53 = c00;
    /* Rows past nj reread row 0; their sums are dropped. */
    const float *b0 = Bt, *b1 = nj > 1 ? Bt + ldb : Bt, *b2 = nj > 2 ? Bt + 2 * ldb : Bt,
                *b3 = nj > 3 ? Bt + 3 * ldb : Bt, *b4 = nj > 4 ? Bt + 4 * ldb : Bt, *b5 = nj > 5 ? Bt + 5 * ldb : Bt;
    for (int k = 0; k < K; k++) {
        if ((k & 3) == 0 && pf_lines > 0) /* the next rows of Bt (contiguous), one line every 4 k */
            _mm_prefetch((const char *)pf, _MM_HINT_T0), pf += 16, pf_lines--;
        const float *at = atp + (size_t)k * NT_IR;
        __m512 a0 = _mm512_loadu_ps(at), a1 = _mm512_loadu_ps(at + 16), a2 = _mm512_loadu_ps(at + 32),
               a3 = _mm512_loadu_ps(at + 48), b;
#define NT_ROW(bp, x0, x1, x2, x3)                                                                                 \
    b = _mm512_set1_ps(bp[k]);                                                                                     \
    x0 = _mm512_fmadd_ps(b, a0, x0), x1 = _mm512_fmadd_ps(b, a1, x1), x2 = _mm512_fmadd_ps(b, a2, x2),             \
    x3 = _mm512_fmadd_ps(b, a3, x3);
        NT_ROW(b0, c00, c01, c02, c03) NT_ROW(b1, c10, c11, c12, c13) NT_ROW(b2, c20, c21, c22, c23)
        NT_ROW(b3, c30, c31, c32, c33) NT_ROW(b4, c40, c41, c42, c43) NT_ROW(b5, c50, c51, c52, c53)
    }
#undef NT_ROW
    float t[NT_JR][NT_IR];
#define NT_SAVE(r, x0, x1, x2, x3)                                                                                 \
    _mm512_storeu_ps(t[r], x0), _mm512_storeu_ps(t[r] + 16, x1), _mm512_storeu_ps(t[r] + 32, x2),                  \
        _mm512_storeu_ps(t[r] + 48, x3);
    NT_SAVE(0, c00, c01, c02, c03) NT_SAVE(1, c10, c11, c12, c13) NT_SAVE(2, c20, c21, c22, c23)
    NT_SAVE(3, c30, c31, c32, c33) NT_SAVE(4, c40, c41, c42, c43) NT_SAVE(5, c50, c51, c52, c53)
#undef NT_SAVE
    for (int i = 0; i < ni; i++) {
        float *c = C + (size_t)i * ldc;
        for (int r = 0; r < nj; r++)
            c[r] = accumulate ? c[r] + t[r][i] : t[r][i];
    }
}

AVX512 static void gemm_bt_avx512(int M, int N, int K, const float *A, const float *Bt, float *C, int accumulate)
{
    float *at = es_xmalloc((size_t)K * NT_MC * sizeof *at);
    for (int m0 = 0; m0 < M; m0 += NT_MC) {
        int mc = M - m0 < NT_MC ? M - m0 : NT_MC, nib = (mc + NT_IR - 1) / NT_IR;
        for (int ib = 0; ib < nib; ib++) /* A^T, 64 rows of A per block, k-major */
            for (int ii = 0; ii < NT_IR; ii++) {
                int i = ib * NT_IR + ii;
                const float *a = A + (size_t)(m0 + i) * K;
                float *d = at + (size_t)ib * K * NT_IR + ii;
                for (int k = 0; k < K; k++)
                    d[(size_t)k * NT_IR] = i < mc ? a[k] : 0.0f;
            }
        for (int j0 = 0; j0 < N; j0 += NT_JR) {
            int nj = N - j0 < NT_JR ? N - j0 : NT_JR;
            /* The next NT_JR rows of Bt, shared out over this block's tiles. */
            int next = N - j0 - nj < NT_JR ? N - j0 - nj : NT_JR;
            size_t lines = (size_t)next * K / 16, per_tile = (lines + nib - 1) / nib;
            const float *pf = Bt + (size_t)(j0 + nj) * K;
            for (int ib = 0; ib < nib; ib++) {
                int ni = mc - ib * NT_IR < NT_IR ? mc - ib * NT_IR : NT_IR;
                size_t first = ib * per_tile, n = first < lines ? (lines - first < per_tile ? lines - first : per_tile) : 0;
                nt_tile(K, nj, ni, Bt + (size_t)j0 * K, (size_t)K, at + (size_t)ib * K * NT_IR,
                        C + (size_t)(m0 + ib * NT_IR) * N + j0, (size_t)N, accumulate, pf + first * 16, (int)n);
            }
        }
    }
    free(at);
}

static int use_avx512(void)
{
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = !es_env_flag("EINSIM_NO_AVX512_GEMM") && __builtin_cpu_supports("avx512f");
    }
    return cached && openblas_get_num_threads() == 1;
}
#else
#define HAVE_AVX512_GEMM 0
#endif

const char *gd_gemm_fast_kernel(void)
{
#if HAVE_AVX512_GEMM
    if (use_avx512())
        return "avx512";
#endif
    return "openblas";
}

void gd_gemm_fast(int M, int N, int K, const float *A, const float *B, float *C, int accumulate)
{
    if (degenerate(M, N, K, C, accumulate))
        return;
#if HAVE_AVX512_GEMM
    if (use_avx512()) {
        gemm_avx512(M, N, K, A, B, C, accumulate);
        return;
    }
#endif
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N,
                accumulate ? 1.0f : 0.0f, C, N);
}

void gd_gemm_fast_bt(int M, int N, int K, const float *A, const float *Bt, float *C, int accumulate)
{
    if (degenerate(M, N, K, C, accumulate))
        return;
#if HAVE_AVX512_GEMM
    /* A^T's 64-row blocks would be mostly padding below 8 rows (decode uses
     * gemv in golden/model.c anyway). */
    if (M >= 8 && use_avx512()) {
        gemm_bt_avx512(M, N, K, A, Bt, C, accumulate);
        return;
    }
#endif
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
