/* golden/quant_gptq.c: GPTQ (Frantar et al., arXiv 2210.17323; algorithm as
 * in IST-DASLab/gptq gptq.py and quant.py), round-to-nearest with the same
 * quantizer, and the AutoGPTQ v1 packed layout (qlinear_cuda_old.py).
 * Restated from the paper and the sources' behaviour, not copied. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* cblas_dgemm comes from gsl_cblas.h (same ABI); OpenBLAS, linked first, provides it. */
#include <gsl/gsl_cblas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>

#include "golden/base/err.h"
#include "golden/quant.h"

void gd_gptq_opts_default(gd_gptq_opts *o, int bits, int group)
{
    o->bits = bits;
    o->group = group;
    o->sym = 1;
    o->act_order = 0;
    o->percdamp = 0.01f;
    o->block = 128;
}

void gd_qweight_free(gd_qweight *w)
{
    free(w->q), free(w->scale), free(w->zero), free(w->g_idx);
    memset(w, 0, sizeof *w);
}

void gd_qweight_dequant(const gd_qweight *w, float *W)
{
    for (int r = 0; r < w->rows; r++)
        for (int c = 0; c < w->cols; c++) {
            int g = w->g_idx[c];
            size_t k = (size_t)r * w->n_groups + g;
            W[(size_t)r * w->cols + c] = w->scale[k] * (float)((int)w->q[(size_t)r * w->cols + c] - w->zero[k]);
        }
}

static int check_opts(int rows, int cols, const gd_gptq_opts *o, es_err *e)
{
    if (o->bits != 2 && o->bits != 3 && o->bits != 4 && o->bits != 8)
        return es_fail(e, "gptq: bits %d out of range; expected 2, 3, 4 or 8", o->bits);
    if (o->group < 0 || (o->group > 0 && o->group % 32 != 0))
        return es_fail(e, "gptq: group size %d; expected 0 (per row) or a multiple of 32", o->group);
    if (rows <= 0 || cols <= 0)
        return es_fail(e, "gptq: empty weight matrix [%d x %d]", rows, cols);
    return 0;
}

static void alloc_qweight(gd_qweight *w, int rows, int cols, const gd_gptq_opts *o)
{
    w->rows = rows, w->cols = cols, w->bits = o->bits, w->group = o->group;
    w->n_groups = o->group > 0 ? (cols + o->group - 1) / o->group : 1;
    w->q = es_xcalloc((size_t)rows * cols, 1);
    w->scale = es_xcalloc((size_t)rows * w->n_groups, sizeof *w->scale);
    w->zero = es_xcalloc((size_t)rows * w->n_groups, sizeof *w->zero);
    w->g_idx = es_xcalloc((size_t)cols, sizeof *w->g_idx);
}

/* GPTQ's find_params for one row over x[0..n) (stride 1): min/max with 0
 * included, symmetric widening, (-1, +1) for an all-zero range; scale to
 * fp16; zero RNE(-xmin/scale) or 2^(bits-1). */
static void find_params(const double *x, int n, int bits, int sym, float *scale, int32_t *zero)
{
    int maxq = (1 << bits) - 1;
    float xmin = 0, xmax = 0;
    for (int i = 0; i < n; i++) {
        float v = (float)x[i];
        xmin = fminf(xmin, v), xmax = fmaxf(xmax, v);
    }
    if (sym) {
        xmax = fmaxf(fabsf(xmin), xmax);
        if (xmin < 0)
            xmin = -xmax;
    }
    if (xmin == 0 && xmax == 0)
        xmin = -1, xmax = 1;
    float s = (xmax - xmin) / (float)maxq;
    s = gd_quantize_float(GD_F16, s, GD_RND_NEAREST_EVEN, GD_OVF_SATURATE);
    if (s == 0)
        s = 0x1p-24f;
    *scale = s;
    if (sym)
        *zero = (maxq + 1) / 2;
    else {
        float z = gd_round_integral(-xmin / s, GD_RND_NEAREST_EVEN);
        *zero = (int32_t)(z < 0 ? 0 : z > maxq ? maxq : z);
    }
}

/* q = clamp(RNE(x / scale) + zero, 0, maxq) in fp32, as GPTQ's quantize(). */
static int quant_code(double x, float scale, int32_t zero, int maxq)
{
    float v = gd_round_integral((float)x / scale, GD_RND_NEAREST_EVEN) + (float)zero;
    return v < 0 ? 0 : v > maxq ? maxq : (int)v;
}

int gd_rtn_quantize(int rows, int cols, const float *W, const gd_gptq_opts *o, gd_qweight *out, es_err *e)
{
    if (check_opts(rows, cols, o, e))
        return -1;
    alloc_qweight(out, rows, cols, o);
    int G = o->group > 0 ? o->group : cols, maxq = (1 << o->bits) - 1;
    double *row = es_xmalloc((size_t)cols * sizeof *row);
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++)
            row[c] = W[(size_t)r * cols + c];
        for (int g = 0; g < out->n_groups; g++) {
            int c0 = g * G, n = cols - c0 < G ? cols - c0 : G;
            size_t k = (size_t)r * out->n_groups + g;
            find_params(row + c0, n, o->bits, o->sym, &out->scale[k], &out->zero[k]);
            for (int c = c0; c < c0 + n; c++)
                out->q[(size_t)r * cols + c] = (uint8_t)quant_code(row[c], out->scale[k], out->zero[k], maxq);
        }
    }
    for (int c = 0; c < cols; c++)
        out->g_idx[c] = c / G;
    free(row);
    return 0;
}

void gd_gptq_hessian_add(int cols, int n, const float *X, double *H)
{
    enum { CHUNK = 256 };
    double *xd = es_xmalloc((size_t)CHUNK * cols * sizeof *xd);
    for (int r0 = 0; r0 < n; r0 += CHUNK) {
        int nr = n - r0 < CHUNK ? n - r0 : CHUNK;
        for (size_t i = 0; i < (size_t)nr * cols; i++)
            xd[i] = X[(size_t)r0 * cols + i];
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, cols, cols, nr, 1.0, xd, cols, xd, cols, 1.0, H, cols);
    }
    free(xd);
}

void gd_gptq_hessian_finish(int cols, int64_t n_total, double *H)
{
    double f = n_total > 0 ? 2.0 / (double)n_total : 0.0;
    for (size_t i = 0; i < (size_t)cols * cols; i++)
        H[i] *= f;
}

static const double *diag_key;
static int cmp_diag_desc(const void *a, const void *b)
{
    int i = *(const int *)a, j = *(const int *)b;
    if (diag_key[i] != diag_key[j])
        return diag_key[i] > diag_key[j] ? -1 : 1;
    return i - j; /* stable: ties keep column order */
}

/* w[j] -= err * u[j] for j < n: one rounded product, then one rounded
 * subtraction per element (no fma), so the vector form has the scalar's bits;
 * it is the inner loop of GPTQ's per-column error propagation. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
__attribute__((target("avx512f"))) static void sub_scaled_avx512(int n, double err, const double *u, double *w)
{
    const __m512d e8 = _mm512_set1_pd(err);
    int j = 0;
    for (; j + 8 <= n; j += 8)
        _mm512_storeu_pd(w + j, _mm512_sub_pd(_mm512_loadu_pd(w + j), _mm512_mul_pd(e8, _mm512_loadu_pd(u + j))));
    if (j < n) {
        __mmask8 m = (__mmask8)((1u << (n - j)) - 1);
        _mm512_mask_storeu_pd(w + j, m,
                              _mm512_sub_pd(_mm512_maskz_loadu_pd(m, w + j), _mm512_mul_pd(e8, _mm512_maskz_loadu_pd(m, u + j))));
    }
}
#endif

static void sub_scaled(int n, double err, const double *u, double *w)
{
#if defined(__x86_64__) && defined(__GNUC__)
    static int avx512 = -1;
    if (avx512 < 0) {
        __builtin_cpu_init();
        avx512 = __builtin_cpu_supports("avx512f");
    }
    if (avx512) {
        sub_scaled_avx512(n, err, u, w);
        return;
    }
#endif
    for (int j = 0; j < n; j++)
        w[j] -= err * u[j];
}

int gd_gptq_quantize(int rows, int cols, const float *W, const double *H, const gd_gptq_opts *o, gd_qweight *out,
                     es_err *e)
{
    if (check_opts(rows, cols, o, e))
        return -1;
    int n = cols, maxq = (1 << o->bits) - 1, B = o->block > 0 ? o->block : 128;
    double *Hp = es_xmalloc((size_t)n * n * sizeof *Hp), *Wd = es_xmalloc((size_t)rows * n * sizeof *Wd);
    int *perm = es_xmalloc((size_t)n * sizeof *perm);
    double *diag = es_xmalloc((size_t)n * sizeof *diag);
    for (int i = 0; i < n; i++) {
        perm[i] = i;
        diag[i] = H[(size_t)i * n + i] == 0 ? 1.0 : H[(size_t)i * n + i];
    }
    if (o->act_order) {
        diag_key = diag;
        qsort(perm, (size_t)n, sizeof *perm, cmp_diag_desc);
    }
    /* Permuted copies; dead inputs: H_ii = 1, W[:, i] = 0. */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            Hp[(size_t)i * n + j] = i == j ? diag[perm[i]] : H[(size_t)perm[i] * n + perm[j]];
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < n; j++)
            Wd[(size_t)r * n + j] = H[(size_t)perm[j] * n + perm[j]] == 0 ? 0.0 : W[(size_t)r * n + perm[j]];
    double mean = 0;
    for (int i = 0; i < n; i++)
        mean += Hp[(size_t)i * n + i];
    double damp = o->percdamp * mean / n;
    for (int i = 0; i < n; i++)
        Hp[(size_t)i * n + i] += damp;
    /* H^-1 = U^T U: Cholesky of H, its inverse, Cholesky of that. */
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    gsl_matrix_view hv = gsl_matrix_view_array(Hp, (size_t)n, (size_t)n);
    int rc = gsl_linalg_cholesky_decomp1(&hv.matrix);
    if (!rc)
        rc = gsl_linalg_cholesky_invert(&hv.matrix);
    if (!rc)
        rc = gsl_linalg_cholesky_decomp1(&hv.matrix);
    gsl_set_error_handler(old);
    if (rc) {
        free(Hp), free(Wd), free(perm), free(diag);
        return es_fail(e, "gptq: the Hessian is not positive definite after %.3g%% dampening (%s)",
                       100.0 * o->percdamp, gsl_strerror(rc));
    }
    /* U[i][j] (j >= i) = L[j][i]: copy into the upper triangle. */
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            Hp[(size_t)i * n + j] = Hp[(size_t)j * n + i];
    const double *U = Hp;
    alloc_qweight(out, rows, cols, o);
    int G = o->group > 0 ? o->group : 0;
    double *Err = es_xmalloc((size_t)rows * B * sizeof *Err);
    double *col = es_xmalloc((size_t)n * sizeof *col);
    if (!G)
        for (int r = 0; r < rows; r++)
            find_params(Wd + (size_t)r * n, n, o->bits, o->sym, &out->scale[r], &out->zero[r]);
    for (int i1 = 0; i1 < n; i1 += B) {
        int i2 = i1 + B < n ? i1 + B : n, nb = i2 - i1;
        for (int p = i1; p < i2; p++) {
            int g = G ? p / G : 0;
            if (G && p % G == 0)
                for (int r = 0; r < rows; r++) {
                    int len = n - p < G ? n - p : G;
                    size_t k = (size_t)r * out->n_groups + g;
                    find_params(Wd + (size_t)r * n + p, len, o->bits, o->sym, &out->scale[k], &out->zero[k]);
                }
            double d = U[(size_t)p * n + p];
            for (int r = 0; r < rows; r++) {
                double *wr = Wd + (size_t)r * n;
                size_t k = (size_t)r * out->n_groups + g;
                int q = quant_code(wr[p], out->scale[k], out->zero[k], maxq);
                double deq = (double)(out->scale[k] * (float)(q - out->zero[k]));
                double err = (wr[p] - deq) / d;
                out->q[(size_t)r * n + perm[p]] = (uint8_t)q;
                sub_scaled(i2 - p - 1, err, U + (size_t)p * n + p + 1, wr + p + 1);
                Err[(size_t)r * nb + (p - i1)] = err;
            }
        }
        if (i2 < n)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, n - i2, nb, -1.0, Err, nb,
                        U + (size_t)i1 * n + i2, n, 1.0, Wd + i2, n);
    }
    for (int p = 0; p < n; p++)
        out->g_idx[perm[p]] = G ? p / G : 0;
    free(Hp), free(Wd), free(perm), free(diag), free(Err), free(col);
    return 0;
}

/* ---- AutoGPTQ v1 packing --------------------------------------------------- */

/* Value i of a bits-wide stream in 32-bit words w (LSB first). */
static void stream_put(uint32_t *w, int64_t i, int bits, uint32_t v)
{
    int64_t bit = i * bits;
    int64_t word = bit / 32;
    int off = (int)(bit % 32);
    w[word] |= v << off;
    if (off + bits > 32)
        w[word + 1] |= v >> (32 - off);
}

static uint32_t stream_get(const uint32_t *w, int64_t i, int bits)
{
    int64_t bit = i * bits;
    int64_t word = bit / 32;
    int off = (int)(bit % 32);
    uint64_t v = w[word] >> off;
    if (off + bits > 32)
        v |= (uint64_t)w[word + 1] << (32 - off);
    return (uint32_t)v & ((1u << bits) - 1);
}

void gd_gptq_packed_free(gd_gptq_packed *p)
{
    free(p->qweight), free(p->qzeros), free(p->g_idx), free(p->scales);
    memset(p, 0, sizeof *p);
}

int gd_gptq_pack(const gd_qweight *w, gd_gptq_packed *p, es_err *e)
{
    memset(p, 0, sizeof *p);
    if (w->rows % 32 || w->cols % 32)
        return es_fail(e, "gptq pack: weight [%d x %d]: the AutoGPTQ layout needs rows and columns that are multiples of 32",
                       w->rows, w->cols);
    int rows = w->rows, cols = w->cols, bits = w->bits, ng = w->n_groups;
    uint32_t mask = (1u << bits) - 1;
    int kw = cols / 32 * bits, zw = rows / 32 * bits;
    p->rows = rows, p->cols = cols, p->bits = bits, p->n_groups = ng;
    p->qweight = es_xcalloc((size_t)kw * rows, 4);
    p->qzeros = es_xcalloc((size_t)ng * zw, 4);
    p->scales = es_xcalloc((size_t)ng * rows, 2);
    p->g_idx = es_xmalloc((size_t)cols * 4);
    /* qweight [kw, rows]: gather one output column's stream, then scatter. */
    uint32_t *colw = es_xmalloc((size_t)kw * 4);
    for (int r = 0; r < rows; r++) {
        memset(colw, 0, (size_t)kw * 4);
        for (int c = 0; c < cols; c++)
            stream_put(colw, c, bits, w->q[(size_t)r * cols + c]);
        for (int k = 0; k < kw; k++)
            p->qweight[(size_t)k * rows + r] = (int32_t)colw[k];
    }
    free(colw);
    for (int g = 0; g < ng; g++)
        for (int r = 0; r < rows; r++) {
            size_t k = (size_t)r * ng + g;
            stream_put((uint32_t *)p->qzeros + (size_t)g * zw, r, bits, (uint32_t)(w->zero[k] - 1) & mask);
            p->scales[(size_t)g * rows + r] = gd_f32_to_f16(w->scale[k], GD_RND_NEAREST_EVEN, GD_OVF_SATURATE);
        }
    memcpy(p->g_idx, w->g_idx, (size_t)cols * 4);
    return 0;
}

int gd_gptq_unpack(const gd_gptq_packed *p, gd_qweight *w, const char *what, es_err *e)
{
    memset(w, 0, sizeof *w);
    int rows = p->rows, cols = p->cols, bits = p->bits, ng = p->n_groups;
    if (bits != 2 && bits != 3 && bits != 4 && bits != 8)
        return es_fail(e, "%s: bits %d out of range; expected 2, 3, 4 or 8", what, bits);
    if (rows <= 0 || cols <= 0 || rows % 32 || cols % 32)
        return es_fail(e, "%s: weight [%d x %d]; expected rows and columns that are multiples of 32", what, rows, cols);
    if (ng <= 0 || ng > cols)
        return es_fail(e, "%s: %d groups for %d input columns; expected 1 to %d", what, ng, cols, cols);
    for (int c = 0; c < cols; c++)
        if (p->g_idx[c] < 0 || p->g_idx[c] >= ng)
            return es_fail(e, "%s: g_idx[%d] = %d; expected 0 to %d", what, c, p->g_idx[c], ng - 1);
    for (size_t i = 0; i < (size_t)ng * rows; i++) {
        float s = gd_f16_to_f32(p->scales[i]);
        if (!isfinite(s))
            return es_fail(e, "%s: scales element %zu is not finite", what, i);
    }
    gd_gptq_opts o;
    gd_gptq_opts_default(&o, bits, 0);
    alloc_qweight(w, rows, cols, &o);
    w->n_groups = ng;
    free(w->scale), free(w->zero);
    w->scale = es_xmalloc((size_t)rows * ng * sizeof *w->scale);
    w->zero = es_xmalloc((size_t)rows * ng * sizeof *w->zero);
    int kw = cols / 32 * bits, zw = rows / 32 * bits;
    uint32_t mask = (1u << bits) - 1;
    uint32_t *colw = es_xmalloc((size_t)kw * 4);
    for (int r = 0; r < rows; r++) {
        for (int k = 0; k < kw; k++)
            colw[k] = (uint32_t)p->qweight[(size_t)k * rows + r];
        for (int c = 0; c < cols; c++)
            w->q[(size_t)r * cols + c] = (uint8_t)stream_get(colw, c, bits);
    }
    free(colw);
    for (int g = 0; g < ng; g++)
        for (int r = 0; r < rows; r++) {
            size_t k = (size_t)r * ng + g;
            w->zero[k] = (int32_t)((stream_get((const uint32_t *)p->qzeros + (size_t)g * zw, r, bits) + 1) & mask);
            w->scale[k] = gd_f16_to_f32(p->scales[(size_t)g * rows + r]);
        }
    memcpy(w->g_idx, p->g_idx, (size_t)cols * 4);
    /* Group size for information: members per group when they are equal. */
    w->group = ng == 1 ? 0 : (cols + ng - 1) / ng;
    return 0;
}
