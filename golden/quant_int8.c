/* golden/quant_int8.c: int8 vector-wise quantization and GEMM, LLM.int8()
 * (paper and bitsandbytes modes), the ONNX integer ops, and the fast int8
 * GEMM (AVX-512 VNNI, chosen at run time).  Rules: golden/quant.h,
 * docs/golden-quant.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/err.h"
#include "golden/base/io.h"
#include "golden/quant.h"

static float rne(float x) { return gd_round_integral(x, GD_RND_NEAREST_EVEN); }

/* Round half to even in double without the FPU's rounding mode. */
static double rne_d(double v)
{
    double f = floor(v), d = v - f;
    if (d > 0.5 || (d == 0.5 && fmod(f, 2.0) != 0))
        f += 1;
    return f;
}

void gd_i8_absmax_rows(int rows, int cols, const float *x, int ld, int8_t *q, float *absmax)
{
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * ld;
        float m = 0;
        for (int c = 0; c < cols; c++)
            m = fmaxf(m, fabsf(xr[c]));
        absmax[r] = m;
        float inv = m > 0 ? 127.0f / m : 0.0f;
        for (int c = 0; c < cols; c++) {
            float v = rne(xr[c] * inv);
            q[(size_t)r * cols + c] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
        }
    }
}

void gd_gemm_i8_ref(int M, int N, int K, const int8_t *A, const int8_t *Bt, int32_t *C)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            int32_t acc = 0;
            for (int k = 0; k < K; k++)
                acc += (int32_t)A[(size_t)i * K + k] * Bt[(size_t)j * K + k];
            C[(size_t)i * N + j] = acc;
        }
}

/* Portable: 4 rows of A against one row of Bt at a time, int32 sums the
 * compiler vectorises (the optimize attribute asks GCC for -O3's
 * vectoriser on this one function; the project builds with -O2). */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("O3")))
#endif
void gd_gemm_i8_portable(int M, int N, int K, const int8_t *A, const int8_t *Bt, int32_t *C)
{
    int i = 0;
    for (; i + 4 <= M; i += 4) {
        const int8_t *a0 = A + (size_t)i * K, *a1 = a0 + K, *a2 = a1 + K, *a3 = a2 + K;
        for (int j = 0; j < N; j++) {
            const int8_t *b = Bt + (size_t)j * K;
            int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (int k = 0; k < K; k++) {
                int32_t bk = b[k];
                s0 += a0[k] * bk;
                s1 += a1[k] * bk;
                s2 += a2[k] * bk;
                s3 += a3[k] * bk;
            }
            C[(size_t)i * N + j] = s0;
            C[(size_t)(i + 1) * N + j] = s1;
            C[(size_t)(i + 2) * N + j] = s2;
            C[(size_t)(i + 3) * N + j] = s3;
        }
    }
    if (i < M)
        gd_gemm_i8_ref(M - i, N, K, A + (size_t)i * K, Bt, C + (size_t)i * N);
}

/* ---- AVX-512 VNNI ---------------------------------------------------------
 * vpdpbusd multiplies unsigned bytes by signed bytes, 4 per int32 lane.  A
 * is shifted to unsigned (a + 128) and 128 * sum_k b[k] is subtracted per
 * output column: exact.  Bt is repacked per call into 16-column panels,
 * 4 consecutive k per int32 lane; the micro-kernel keeps a 6 x 32 tile of C
 * in 12 zmm accumulators. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_VNNI_KERNEL 1

#define VNNI_MR 6
#define VNNI_NR 32

/* The 6-row micro-kernel body, once for both vector widths: a 6 x 2W tile
 * of C (W int32 lanes per vector V) over nq k-quads, B0 and B1 the two
 * W-column halves of the panel data at each k-quad (16 int32 apart).  The
 * 12 accumulators are named variables (not an array) so they stay in
 * registers at -O2.  Rows past mr read row 0 again (valid memory); their
 * sums are dropped.  acc gets the tile, row stride 2W. */
#define I8_TILE_BODY(V, ZERO, LOAD, BCAST, DOT, STORE, W, B0, B1)                                                    \
    do {                                                                                                         \
        V c00 = ZERO(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00, c40 = c00,  \
          c41 = c00, c50 = c00, c51 = c00;                                                                       \
        const uint32_t *a0 = ap, *a1 = mr > 1 ? ap + lda4 : ap, *a2 = mr > 2 ? ap + 2 * lda4 : ap,               \
                       *a3 = mr > 3 ? ap + 3 * lda4 : ap, *a4 = mr > 4 ? ap + 4 * lda4 : ap,                     \
                       *a5 = mr > 5 ? ap + 5 * lda4 : ap;                                                        \
        for (int k = 0; k < nq; k++) {                                                                           \
            V b0 = LOAD((B0) + (size_t)k * 16), b1 = LOAD((B1) + (size_t)k * 16), a;                             \
            a = BCAST((int)a0[k]), c00 = DOT(c00, a, b0), c01 = DOT(c01, a, b1);                                 \
            a = BCAST((int)a1[k]), c10 = DOT(c10, a, b0), c11 = DOT(c11, a, b1);                                 \
            a = BCAST((int)a2[k]), c20 = DOT(c20, a, b0), c21 = DOT(c21, a, b1);                                 \
            a = BCAST((int)a3[k]), c30 = DOT(c30, a, b0), c31 = DOT(c31, a, b1);                                 \
            a = BCAST((int)a4[k]), c40 = DOT(c40, a, b0), c41 = DOT(c41, a, b1);                                 \
            a = BCAST((int)a5[k]), c50 = DOT(c50, a, b0), c51 = DOT(c51, a, b1);                                 \
        }                                                                                                        \
        STORE(acc + 0 * 2 * (W), c00), STORE(acc + 0 * 2 * (W) + (W), c01);                                     \
        STORE(acc + 1 * 2 * (W), c10), STORE(acc + 1 * 2 * (W) + (W), c11);                                     \
        STORE(acc + 2 * 2 * (W), c20), STORE(acc + 2 * 2 * (W) + (W), c21);                                     \
        STORE(acc + 3 * 2 * (W), c30), STORE(acc + 3 * 2 * (W) + (W), c31);                                     \
        STORE(acc + 4 * 2 * (W), c40), STORE(acc + 4 * 2 * (W) + (W), c41);                                     \
        STORE(acc + 5 * 2 * (W), c50), STORE(acc + 5 * 2 * (W) + (W), c51);                                     \
    } while (0)

#define ZMM_LOAD(p) _mm512_loadu_si512(p)
#define ZMM_STORE(p, v) _mm512_storeu_si512((p), (v))

/* AVX-512 VNNI: a 6 x 32 tile over two 16-column panels. */
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void vnni_tile(int mr, int nq, const uint32_t *ap,
                                                                             size_t lda4, const int32_t *bp0,
                                                                             const int32_t *bp1, int32_t *acc)
{
    I8_TILE_BODY(__m512i, _mm512_setzero_si512, ZMM_LOAD, _mm512_set1_epi32, _mm512_dpbusd_epi32, ZMM_STORE, 16, bp0,
                 bp1);
}

/* Few rows of A (decode): no repacking of Bt; 4 output columns at a time,
 * 64 k per step (masked tail), sum_k b[k] from a second vpdpbusd against
 * all-ones bytes. */
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void vnni_rows(int M, int N, int K, const int8_t *A,
                                                                             const int8_t *Bt, int32_t *C)
{
    const __m512i ones = _mm512_set1_epi8(1), shift = _mm512_set1_epi8((char)0x80);
    for (int i = 0; i < M; i++) {
        const int8_t *a = A + (size_t)i * K;
        int j = 0;
        for (; j < N; j += 4) {
            int nj = N - j < 4 ? N - j : 4;
            __m512i acc[4], sum[4];
            for (int q = 0; q < 4; q++)
                acc[q] = sum[q] = _mm512_setzero_si512();
            for (int k = 0; k < K; k += 64) {
                __mmask64 mk = K - k >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (K - k)) - 1);
                /* a + 128 as unsigned bytes: flip the sign bit */
                __m512i av = _mm512_xor_si512(_mm512_maskz_loadu_epi8(mk, a + k), shift);
                for (int q = 0; q < nj; q++) {
                    __m512i bv = _mm512_maskz_loadu_epi8(mk, Bt + (size_t)(j + q) * K + k);
                    acc[q] = _mm512_dpbusd_epi32(acc[q], av, bv);
                    sum[q] = _mm512_dpbusd_epi32(sum[q], ones, bv);
                }
            }
            for (int q = 0; q < nj; q++)
                C[(size_t)i * N + j + q] = _mm512_reduce_add_epi32(acc[q]) - 128 * _mm512_reduce_add_epi32(sum[q]);
        }
    }
}

/* AVX-VNNI (the VEX form, ymm: Alder Lake, Sapphire Rapids, Zen 5): one
 * 6 x 16 tile of one 16-column panel (bp1 unused), 12 ymm accumulators.
 * This CPU (Zen 4) has AVX-512 VNNI but not AVX-VNNI, and QEMU 7.2 does not
 * emulate it; so a test build (-DEINSIM_EMULATE_AVXVNNI,
 * tests/golden/test_quant_avxvnni.c) runs this same path with vpdpbusd
 * computed exactly from AVX2 ops, which checks everything but the
 * instruction itself. */
#ifdef EINSIM_EMULATE_AVXVNNI
#define AVXVNNI_TARGET "avx2"
/* vpdpbusd: c + sum over the 4 bytes of each int32 lane of u8(a) * s8(b),
 * no saturation.  Even and odd bytes widened to 16 bits, each pair summed
 * by vpmaddwd (|u8 * s8| <= 32640, so a pair fits int32 exactly). */
__attribute__((target("avx2"))) static inline __m256i dpbusd256(__m256i c, __m256i a, __m256i b)
{
    __m256i a_even = _mm256_and_si256(a, _mm256_set1_epi16(0xff)), a_odd = _mm256_srli_epi16(a, 8);
    __m256i b_even = _mm256_srai_epi16(_mm256_slli_epi16(b, 8), 8), b_odd = _mm256_srai_epi16(b, 8);
    return _mm256_add_epi32(c, _mm256_add_epi32(_mm256_madd_epi16(a_even, b_even), _mm256_madd_epi16(a_odd, b_odd)));
}
#else
#define AVXVNNI_TARGET "avx2,avxvnni"
#define dpbusd256 _mm256_dpbusd_avx_epi32
#endif
#define YMM_LOAD(p) _mm256_loadu_si256((const __m256i *)(p))
#define YMM_STORE(p, v) _mm256_storeu_si256((__m256i *)(p), (v))
__attribute__((target(AVXVNNI_TARGET))) static void avxvnni_tile(int mr, int nq, const uint32_t *ap, size_t lda4,
                                                                 const int32_t *bp, const int32_t *bp1, int32_t *acc)
{
    (void)bp1;
    I8_TILE_BODY(__m256i, _mm256_setzero_si256, YMM_LOAD, _mm256_set1_epi32, dpbusd256, YMM_STORE, 8, bp, bp + 8);
}

static int cpu_has_avxvnni(void)
{
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = !es_env_flag("EINSIM_NO_VNNI") && __builtin_cpu_supports("avx2") &&
#ifdef EINSIM_EMULATE_AVXVNNI
                 1;
#else
                 __builtin_cpu_supports("avxvnni");
#endif
    }
    return cached;
}

static int cpu_has_vnni(void)
{
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = !es_env_flag("EINSIM_NO_VNNI") && __builtin_cpu_supports("avx512f") &&
                 __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
#ifdef EINSIM_EMULATE_AVXVNNI
        cached = 0; /* the emulated build runs the AVX-VNNI path */
#endif
    }
    return cached;
}
#else
#define HAVE_VNNI_KERNEL 0
#define VNNI_NR 32
static int cpu_has_vnni(void) { return 0; }
static int cpu_has_avxvnni(void) { return 0; }
#endif

/* sum_k b[k]: the bytes flipped to unsigned (b + 128) summed 32 at a time by
 * vpsadbw, then 128 per byte taken off; exact.  (The scalar loop this
 * replaces was a third of a 128-row GEMM's time when B is packed per call.) */
#if HAVE_VNNI_KERNEL
__attribute__((target("avx2"))) static int32_t row_sum_i8(const int8_t *b, int K)
{
    const __m256i flip = _mm256_set1_epi8((char)0x80), zero = _mm256_setzero_si256();
    __m256i acc = zero;
    int k = 0;
    for (; k + 32 <= K; k += 32)
        acc = _mm256_add_epi64(acc, _mm256_sad_epu8(_mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(b + k)), flip), zero));
    int64_t s = _mm256_extract_epi64(acc, 0) + _mm256_extract_epi64(acc, 1) + _mm256_extract_epi64(acc, 2) +
                _mm256_extract_epi64(acc, 3) - 128 * (int64_t)k;
    for (; k < K; k++)
        s += b[k];
    return (int32_t)s;
}
#else
static int32_t row_sum_i8(const int8_t *b, int K)
{
    int32_t s = 0;
    for (int k = 0; k < K; k++)
        s += b[k];
    return s;
}
#endif

/* Pack Bt into 16-column panels (4 k per int32 lane) + 128 * column sums;
 * Np rounds N up to a multiple of np_mult. */
static void pack_panels(int N, int K, const int8_t *Bt, int np_mult, gd_i8_packed_b *p)
{
    int K4 = (K + 3) / 4, Np = (N + np_mult - 1) / np_mult * np_mult;
    p->N = N, p->K = K, p->K4 = K4, p->Np = Np;
    p->panels = es_xcalloc((size_t)(Np / 16) * K4 * 16, sizeof *p->panels);
    p->colsum = es_xcalloc((size_t)Np, sizeof *p->colsum);
    for (int j = 0; j < N; j++) {
        const int8_t *b = Bt + (size_t)j * K;
        int32_t *panel = p->panels + (size_t)(j / 16) * K4 * 16 + j % 16;
        int kq = 0;
        for (; kq < K / 4; kq++) /* whole quads: one 4-byte copy each */
            memcpy(panel + (size_t)kq * 16, b + 4 * kq, 4);
        if (K % 4) {
            int32_t last = 0;
            memcpy(&last, b + 4 * kq, (size_t)(K % 4));
            panel[(size_t)kq * 16] = last;
        }
        p->colsum[j] = 128 * row_sum_i8(b, K);
    }
}

/* A shifted to unsigned bytes, rows padded to K4 quads (caller frees). */
static uint32_t *shift_rows(int M, int K, int K4, const int8_t *A)
{
    uint32_t *ap = es_xcalloc((size_t)M * K4, sizeof *ap);
    for (int i = 0; i < M; i++) {
        uint8_t *row = (uint8_t *)(ap + (size_t)i * K4);
        const int8_t *a = A + (size_t)i * K;
        for (int k = 0; k < K; k++)
            row[k] = (uint8_t)(a[k] ^ 0x80);
    }
    return ap;
}

int gd_i8_pack_b(int N, int K, const int8_t *Bt, gd_i8_packed_b *p)
{
    memset(p, 0, sizeof *p);
    if (!cpu_has_vnni() || N <= 0 || K <= 0)
        return -1;
    pack_panels(N, K, Bt, VNNI_NR, p);
    return 0;
}

void gd_i8_packed_b_free(gd_i8_packed_b *p)
{
    free(p->panels), free(p->colsum);
    memset(p, 0, sizeof *p);
}

#if HAVE_VNNI_KERNEL
/* One micro-kernel: a VNNI_MR x nr tile of C (acc, row stride nr) over nq
 * k-quads of the shifted rows ap and the panels from p0 (p1: the next). */
typedef void (*i8_tile_fn)(int mr, int nq, const uint32_t *ap, size_t lda4, const int32_t *p0, const int32_t *p1,
                           int32_t *acc);

/* C = A . Bt over the packed panels p, nr (16 or 32) columns per tile.
 * Cache blocking: k in blocks of KQB quads (a 32-column panel of B is then
 * KQB * 128 bytes, 16 KiB, and stays in L1), rows of A in blocks of about
 * 192 KiB (L2) reused across every panel. */
static void gemm_panels(int M, const int8_t *A, const gd_i8_packed_b *p, int nr, i8_tile_fn tile, int32_t *C)
{
    int N = p->N, K = p->K, K4 = p->K4, Np = p->Np;
    /* A shifted to unsigned, rows padded to K4 quads (pad bytes meet zero b). */
    uint32_t *ap = shift_rows(M, K, K4, A);
    int32_t acc[VNNI_MR * VNNI_NR];
    enum { KQB = 128 };
    for (int kq0 = 0; kq0 < K4; kq0 += KQB) {
        int nq = K4 - kq0 < KQB ? K4 - kq0 : KQB;
        int mb = (int)((192 * 1024) / ((size_t)nq * 4) / VNNI_MR) * VNNI_MR;
        mb = mb < VNNI_MR ? VNNI_MR : mb;
        for (int ib = 0; ib < M; ib += mb) {
            int ie = M - ib < mb ? M : ib + mb;
            for (int j0 = 0; j0 < Np; j0 += nr) {
                const int32_t *p0 = p->panels + (size_t)(j0 / 16) * K4 * 16 + (size_t)kq0 * 16,
                              *p1 = p0 + (size_t)K4 * 16;
                int nc = N - j0 < nr ? N - j0 : nr;
                for (int i0 = ib; i0 < ie; i0 += VNNI_MR) {
                    int mr = ie - i0 < VNNI_MR ? ie - i0 : VNNI_MR;
                    tile(mr, nq, ap + (size_t)i0 * K4 + kq0, (size_t)K4, p0, p1, acc);
                    for (int r = 0; r < mr; r++) {
                        int32_t *c = C + (size_t)(i0 + r) * N + j0;
                        const int32_t *a = acc + (size_t)r * nr;
                        if (kq0 == 0)
                            for (int q = 0; q < nc; q++)
                                c[q] = a[q] - p->colsum[j0 + q];
                        else
                            for (int q = 0; q < nc; q++)
                                c[q] += a[q];
                    }
                }
            }
        }
    }
    free(ap);
}
#endif

void gd_gemm_i8_packed(int M, const int8_t *A, const gd_i8_packed_b *p, int32_t *C)
{
#if HAVE_VNNI_KERNEL
    gemm_panels(M, A, p, VNNI_NR, vnni_tile, C);
#else
    (void)M, (void)A, (void)p, (void)C;
#endif
}

int gd_gemm_i8_vnni(int M, int N, int K, const int8_t *A, const int8_t *Bt, int32_t *C)
{
#if HAVE_VNNI_KERNEL
    if (!cpu_has_vnni())
        return -1;
    if (M < 4) {
        vnni_rows(M, N, K, A, Bt, C);
        return 0;
    }
    gd_i8_packed_b p;
    if (gd_i8_pack_b(N, K, Bt, &p))
        return -1;
    gd_gemm_i8_packed(M, A, &p, C);
    gd_i8_packed_b_free(&p);
    return 0;
#else
    (void)M, (void)N, (void)K, (void)A, (void)Bt, (void)C;
    return -1;
#endif
}

int gd_gemm_i8_avxvnni(int M, int N, int K, const int8_t *A, const int8_t *Bt, int32_t *C)
{
#if HAVE_VNNI_KERNEL
    if (!cpu_has_avxvnni() || M <= 0 || N <= 0 || K <= 0)
        return -1;
    gd_i8_packed_b p;
    pack_panels(N, K, Bt, 16, &p);
    gemm_panels(M, A, &p, 16, avxvnni_tile, C);
    gd_i8_packed_b_free(&p);
    return 0;
#else
    (void)M, (void)N, (void)K, (void)A, (void)Bt, (void)C;
    return -1;
#endif
}

const char *gd_gemm_i8_path(void)
{
    return cpu_has_vnni() ? "avx512-vnni" : cpu_has_avxvnni() ? "avx-vnni" : "portable";
}

void gd_gemm_i8(int M, int N, int K, const int8_t *A, const int8_t *Bt, int32_t *C)
{
    if (M <= 0 || N <= 0)
        return;
    if (K <= 0) {
        memset(C, 0, (size_t)M * N * sizeof *C);
        return;
    }
    if (gd_gemm_i8_vnni(M, N, K, A, Bt, C) != 0 && gd_gemm_i8_avxvnni(M, N, K, A, Bt, C) != 0)
        gd_gemm_i8_portable(M, N, K, A, Bt, C);
}

/* ---- vector-wise int8 linear ------------------------------------------------ */

float gd_i8_dequant(int32_t c, float cx, float cw) { return (float)c * cx * cw / 16129.0f; }

void gd_int8_linear(int T, int in, int out, const float *X, const float *W, const float *bias, float *Y)
{
    int8_t *xq = es_xmalloc((size_t)T * in), *wq = es_xmalloc((size_t)out * in);
    float *cx = es_xmalloc((size_t)T * sizeof *cx), *cw = es_xmalloc((size_t)out * sizeof *cw);
    int32_t *C = es_xmalloc((size_t)T * out * sizeof *C);
    gd_i8_absmax_rows(T, in, X, in, xq, cx);
    gd_i8_absmax_rows(out, in, W, in, wq, cw);
    gd_gemm_i8(T, out, in, xq, wq, C);
    for (int t = 0; t < T; t++)
        for (int o = 0; o < out; o++) {
            float y = gd_i8_dequant(C[(size_t)t * out + o], cx[t], cw[o]);
            Y[(size_t)t * out + o] = bias ? y + bias[o] : y;
        }
    free(xq), free(wq), free(cx), free(cw), free(C);
}

static float to_f16(float x) { return gd_quantize_float(GD_F16, x, GD_RND_NEAREST_EVEN, GD_OVF_INF); }

int gd_llm_int8_linear(int T, int in, int out, const float *X, const float *W, const float *bias,
                       const gd_llm_int8_opts *o, float *Y)
{
    float thr = o ? o->threshold : 6.0f;
    int bnb = o ? o->bnb_compat : 0;
    uint8_t *is_out = es_xcalloc((size_t)in, 1);
    int n_out = 0;
    if (thr > 0)
        for (int t = 0; t < T; t++)
            for (int k = 0; k < in; k++)
                if (fabsf(X[(size_t)t * in + k]) >= thr && !is_out[k])
                    is_out[k] = 1, n_out++;
    /* Int8 operands: X with outliers masked (paper: whole columns; bnb:
     * outlier elements for the absmax, then whole columns of the int8). */
    float *xm = es_xmalloc((size_t)T * in * sizeof *xm), *wm = es_xmalloc((size_t)out * in * sizeof *wm);
    for (int t = 0; t < T; t++)
        for (int k = 0; k < in; k++) {
            float v = X[(size_t)t * in + k];
            xm[(size_t)t * in + k] = bnb ? (fabsf(v) >= thr && thr > 0 ? 0.0f : v) : (is_out[k] ? 0.0f : v);
        }
    for (int r = 0; r < out; r++)
        for (int k = 0; k < in; k++)
            wm[(size_t)r * in + k] = (!bnb && is_out[k]) ? 0.0f : W[(size_t)r * in + k];
    int8_t *xq = es_xmalloc((size_t)T * in), *wq = es_xmalloc((size_t)out * in);
    float *cx = es_xmalloc((size_t)T * sizeof *cx), *cw = es_xmalloc((size_t)out * sizeof *cw);
    int32_t *C = es_xmalloc((size_t)T * out * sizeof *C);
    gd_i8_absmax_rows(T, in, xm, in, xq, cx);
    gd_i8_absmax_rows(out, in, wm, in, wq, cw);
    if (bnb)
        for (int t = 0; t < T; t++)
            for (int k = 0; k < in; k++)
                if (is_out[k])
                    xq[(size_t)t * in + k] = 0;
    gd_gemm_i8(T, out, in, xq, wq, C);
    for (int t = 0; t < T; t++)
        for (int r = 0; r < out; r++) {
            float y = bnb ? (float)C[(size_t)t * out + r] * cx[t] * cw[r] * 6.200124e-05f
                          : gd_i8_dequant(C[(size_t)t * out + r], cx[t], cw[r]);
            float acc = 0;
            if (n_out)
                for (int k = 0; k < in; k++)
                    if (is_out[k]) {
                        float w = bnb ? to_f16((float)wq[(size_t)r * in + k] * cw[r] / 127.0f)
                                      : to_f16(W[(size_t)r * in + k]);
                        acc += to_f16(X[(size_t)t * in + k]) * w;
                    }
            y += acc;
            Y[(size_t)t * out + r] = bias ? y + bias[r] : y;
        }
    free(is_out), free(xm), free(wm), free(xq), free(wq), free(cx), free(cw), free(C);
    return n_out;
}

/* ---- ONNX integer ops ------------------------------------------------------ */

float gd_onnx_dequantize_linear(int32_t x, float scale, int32_t zp) { return (float)(x - zp) * scale; }

void gd_onnx_dynamic_quantize(int n, const float *x, uint8_t *y, float *scale, uint8_t *zp)
{
    float lo = 0, hi = 0;
    for (int i = 0; i < n; i++)
        lo = fminf(lo, x[i]), hi = fmaxf(hi, x[i]);
    float s = (hi - lo) / 255.0f;
    int32_t z = s > 0 ? gd_quantize_int(0.0f - lo, s, 0, 0, 255, GD_RND_NEAREST_EVEN) : 0;
    for (int i = 0; i < n; i++)
        y[i] = (uint8_t)gd_quantize_int(x[i], s, z, 0, 255, GD_RND_NEAREST_EVEN);
    *scale = s;
    *zp = (uint8_t)z;
}

void gd_onnx_matmul_integer(int M, int N, int K, const int32_t *A, int32_t a_zp, const int32_t *B, int32_t b_zp,
                            int32_t *Y)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            int64_t acc = 0;
            for (int k = 0; k < K; k++)
                acc += (int64_t)(A[(size_t)i * K + k] - a_zp) * (B[(size_t)k * N + j] - b_zp);
            Y[(size_t)i * N + j] = (int32_t)acc;
        }
}

void gd_onnx_qlinear_matmul(int M, int N, int K, const int32_t *A, float a_scale, int32_t a_zp, const int32_t *B,
                            float b_scale, int32_t b_zp, float y_scale, int32_t y_zp, int32_t qmin, int32_t qmax,
                            int32_t *Y)
{
    gd_onnx_matmul_integer(M, N, K, A, a_zp, B, b_zp, Y);
    double mult = (double)a_scale * (double)b_scale / (double)y_scale;
    for (size_t i = 0; i < (size_t)M * N; i++) {
        double v = rne_d((double)Y[i] * mult) + y_zp;
        Y[i] = (int32_t)(v < qmin ? qmin : v > qmax ? qmax : v);
    }
}
