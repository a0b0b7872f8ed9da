/* golden/sparse.c: 2:4, BSR and CSR formats with their SpMM kernels, and
 * sparse attention (top-k keys, H2O / Keyformer KV-cache pruning).
 * Contract and rules: golden/sparse.h, docs/golden-sparse.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "golden/quant.h"
#include "golden/sparse.h"

/* |w| for ranking; a NaN ranks above everything so it is never silently
 * pruned away. */
static double mag(float w) { return isnan(w) ? INFINITY : fabs((double)w); }

/* ---- 2:4 --------------------------------------------------------------------- */

int gd_prune_24(int rows, int cols, float *W, size_t rs, size_t cs, es_err *e)
{
    if (rows < 0 || cols < 0 || cols % 4)
        return es_fail(e, "2:4 pruning: %d columns is not a multiple of 4; expected groups of 4 along K", cols);
    for (int r = 0; r < rows; r++)
        for (int g = 0; g < cols; g += 4) {
            float *p[4];
            for (int t = 0; t < 4; t++)
                p[t] = W + (size_t)r * rs + (size_t)(g + t) * cs;
            /* rank of each element: how many others beat it (larger |w|, or
             * equal |w| at a lower index); keep ranks 0 and 1 */
            for (int t = 0; t < 4; t++) {
                int beat = 0;
                for (int u = 0; u < 4; u++)
                    if (u != t && (mag(*p[u]) > mag(*p[t]) || (mag(*p[u]) == mag(*p[t]) && u < t)))
                        beat++;
                if (beat >= 2)
                    *p[t] = 0.0f;
            }
        }
    return 0;
}

int gd_sp24_compress(int rows, int cols, const float *W, const char *name, gd_sp24 *out, es_err *e)
{
    memset(out, 0, sizeof *out);
    if (rows < 0 || cols < 0 || cols % 4)
        return es_fail(e, "tensor %s: %d columns is not a multiple of 4; expected groups of 4 along K for 2:4", name,
                       cols);
    size_t n = (size_t)rows * (cols / 2);
    float *val = es_xmalloc(n * sizeof *val + 1);
    uint8_t *idx = es_xmalloc(n + 1);
    for (int r = 0; r < rows; r++)
        for (int g = 0; g < cols; g += 4) {
            const float *w = W + (size_t)r * cols + g;
            int nz = 0, pos[4];
            for (int t = 0; t < 4; t++)
                if (w[t] != 0.0f)
                    pos[nz++] = t;
            if (nz > 2) {
                free(val), free(idx);
                return es_fail(e, "tensor %s: row %d, columns %d..%d hold %d non-zeros; 2:4 allows at most 2 per group of 4",
                               name, r, g, g + 3, nz);
            }
            /* fill to two distinct ascending positions with explicit zeros */
            for (int t = 0; nz < 2 && t < 4; t++)
                if (!(nz >= 1 && pos[0] == t)) {
                    if (nz == 1 && t < pos[0])
                        pos[1] = pos[0], pos[0] = t;
                    else
                        pos[nz] = t;
                    nz++;
                }
            size_t o = (size_t)r * (cols / 2) + g / 2;
            for (int t = 0; t < 2; t++)
                idx[o + t] = (uint8_t)pos[t], val[o + t] = w[pos[t]];
        }
    out->rows = rows, out->cols = cols, out->val = val, out->idx = idx;
    return 0;
}

int gd_sp24_check(const gd_sp24 *s, const char *name, es_err *e)
{
    if (s->cols % 4)
        return es_fail(e, "tensor %s: %d columns is not a multiple of 4; expected groups of 4", name, s->cols);
    int half = s->cols / 2;
    for (int r = 0; r < s->rows; r++)
        for (int g = 0; g < half; g += 2) {
            const uint8_t *ix = s->idx + (size_t)r * half + g;
            if (ix[0] > 3 || ix[1] > 3 || ix[0] >= ix[1])
                return es_fail(e, "tensor %s: row %d, group %d has indices %d,%d; expected two distinct ascending "
                                  "positions in 0..3",
                               name, r, g / 2, ix[0], ix[1]);
        }
    return 0;
}

void gd_sp24_decompress(const gd_sp24 *s, float *W)
{
    memset(W, 0, (size_t)s->rows * s->cols * sizeof *W);
    int half = s->cols / 2;
    for (int r = 0; r < s->rows; r++)
        for (int t = 0; t < half; t++) {
            size_t o = (size_t)r * half + t;
            W[(size_t)r * s->cols + (t / 2) * 4 + s->idx[o]] = s->val[o];
        }
}

void gd_sp24_free(gd_sp24 *s)
{
    free(s->val), free(s->idx);
    memset(s, 0, sizeof *s);
}

int64_t gd_sp24_bytes(int64_t rows, int64_t cols, int elem_bytes)
{
    int64_t kept = rows * (cols / 2);
    return kept * elem_bytes + (kept * 2 + 7) / 8;
}

/* c[0..N) += a * b[0..N): each c[j] keeps its own order over k. */
#define axpy gd_axpy_f32

void gd_spmm_24(const gd_sp24 *A, int N, const float *B, float *C)
{
    int half = A->cols / 2;
    memset(C, 0, (size_t)A->rows * N * sizeof *C);
    for (int r = 0; r < A->rows; r++)
        for (int t = 0; t < half; t++) {
            size_t o = (size_t)r * half + t;
            int k = (t / 2) * 4 + A->idx[o];
            axpy(N, A->val[o], B + (size_t)k * N, C + (size_t)r * N);
        }
}

/* ---- BSR --------------------------------------------------------------------- */

typedef struct ranked {
    double key;
    int i;
} ranked;

/* ascending score; equal scores: higher index first (pruned first) */
static int by_score_then_high_index(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->i < y->i) - (x->i > y->i);
}

int gd_prune_blocks(int rows, int cols, float *W, size_t rs, size_t cs, int br, int bc, double sparsity, es_err *e)
{
    if (br < 1 || bc < 1 || rows % br || cols % bc)
        return es_fail(e, "block pruning: block %dx%d does not divide the %dx%d matrix", br, bc, rows, cols);
    if (!(sparsity >= 0.0 && sparsity < 1.0))
        return es_fail(e, "block pruning: sparsity %g outside [0, 1)", sparsity);
    int nbr = rows / br, nbc = cols / bc, nb = nbr * nbc;
    ranked *rk = es_xmalloc((size_t)nb * sizeof *rk + 1);
    for (int b = 0; b < nb; b++) {
        int r0 = (b / nbc) * br, c0 = (b % nbc) * bc;
        double s = 0;
        for (int r = 0; r < br; r++)
            for (int c = 0; c < bc; c++)
                s += mag(W[(size_t)(r0 + r) * rs + (size_t)(c0 + c) * cs]);
        rk[b].key = s, rk[b].i = b;
    }
    qsort(rk, (size_t)nb, sizeof *rk, by_score_then_high_index);
    int drop = (int)floor(sparsity * nb);
    for (int k = 0; k < drop; k++) {
        int b = rk[k].i, r0 = (b / nbc) * br, c0 = (b % nbc) * bc;
        for (int r = 0; r < br; r++)
            for (int c = 0; c < bc; c++)
                W[(size_t)(r0 + r) * rs + (size_t)(c0 + c) * cs] = 0.0f;
    }
    free(rk);
    return 0;
}

int gd_bsr_from_dense(int rows, int cols, const float *W, int br, int bc, int int8, const char *name, gd_bsr *out,
                      es_err *e)
{
    memset(out, 0, sizeof *out);
    if (br < 1 || bc < 1 || rows % br || cols % bc)
        return es_fail(e, "tensor %s: block %dx%d does not divide its %dx%d shape", name, br, bc, rows, cols);
    int nbr = rows / br, nbc = cols / bc;
    int8_t *q = NULL;
    float *absmax = NULL;
    if (int8) {
        q = es_xmalloc((size_t)rows * cols + 1);
        absmax = es_xmalloc((size_t)rows * sizeof *absmax + 1);
        gd_i8_absmax_rows(rows, cols, W, cols, q, absmax);
    }
    int *row_ptr = es_xcalloc((size_t)nbr + 1, sizeof *row_ptr);
    int *col_idx = es_xmalloc((size_t)nbr * nbc * sizeof *col_idx + 1);
    size_t bsz = (size_t)br * bc;
    float *val = int8 ? NULL : es_xmalloc((size_t)nbr * nbc * bsz * sizeof *val + 1);
    int8_t *qval = int8 ? es_xmalloc((size_t)nbr * nbc * bsz + 1) : NULL;
    int nnzb = 0;
    for (int b = 0; b < nbr; b++) {
        for (int bcol = 0; bcol < nbc; bcol++) {
            int any = 0;
            for (int r = 0; r < br && !any; r++)
                for (int c = 0; c < bc; c++)
                    if (W[(size_t)(b * br + r) * cols + bcol * bc + c] != 0.0f) {
                        any = 1;
                        break;
                    }
            if (!any)
                continue;
            col_idx[nnzb] = bcol;
            for (int r = 0; r < br; r++)
                for (int c = 0; c < bc; c++) {
                    size_t src = (size_t)(b * br + r) * cols + bcol * bc + c, dst = (size_t)nnzb * bsz + r * bc + c;
                    if (int8)
                        qval[dst] = q[src];
                    else
                        val[dst] = W[src];
                }
            nnzb++;
        }
        row_ptr[b + 1] = nnzb;
    }
    if (int8) {
        out->scale = es_xmalloc((size_t)rows * sizeof *out->scale + 1);
        for (int r = 0; r < rows; r++)
            out->scale[r] = absmax[r] / 127.0f;
    }
    free(q), free(absmax);
    out->rows = rows, out->cols = cols, out->br = br, out->bc = bc, out->nnzb = nnzb;
    out->row_ptr = row_ptr, out->col_idx = col_idx, out->val = val, out->qval = qval;
    return 0;
}

int gd_bsr_check(const gd_bsr *s, const char *name, es_err *e)
{
    if (s->br < 1 || s->bc < 1 || s->rows % s->br || s->cols % s->bc)
        return es_fail(e, "tensor %s: block %dx%d does not divide its %dx%d shape", name, s->br, s->bc, s->rows,
                       s->cols);
    int nbr = s->rows / s->br, nbc = s->cols / s->bc;
    if (s->row_ptr[0] != 0)
        return es_fail(e, "tensor %s: row_ptr[0] is %d; expected 0", name, s->row_ptr[0]);
    for (int b = 0; b < nbr; b++) {
        if (s->row_ptr[b + 1] < s->row_ptr[b])
            return es_fail(e, "tensor %s: row_ptr decreases at block row %d (%d -> %d)", name, b, s->row_ptr[b],
                           s->row_ptr[b + 1]);
        for (int k = s->row_ptr[b]; k < s->row_ptr[b + 1] && k < s->nnzb; k++) {
            if (s->col_idx[k] < 0 || s->col_idx[k] >= nbc)
                return es_fail(e, "tensor %s: block %d has column %d; expected 0..%d", name, k, s->col_idx[k],
                               nbc - 1);
            if (k > s->row_ptr[b] && s->col_idx[k] <= s->col_idx[k - 1])
                return es_fail(e, "tensor %s: block row %d: block columns %d then %d; expected strictly ascending",
                               name, b, s->col_idx[k - 1], s->col_idx[k]);
        }
    }
    if (s->row_ptr[nbr] != s->nnzb)
        return es_fail(e, "tensor %s: row_ptr ends at %d but %d blocks are stored; expected equal", name,
                       s->row_ptr[nbr], s->nnzb);
    return 0;
}

void gd_bsr_to_dense(const gd_bsr *s, float *W)
{
    memset(W, 0, (size_t)s->rows * s->cols * sizeof *W);
    size_t bsz = (size_t)s->br * s->bc;
    for (int b = 0; b < s->rows / s->br; b++)
        for (int k = s->row_ptr[b]; k < s->row_ptr[b + 1]; k++)
            for (int r = 0; r < s->br; r++)
                for (int c = 0; c < s->bc; c++) {
                    int row = b * s->br + r;
                    size_t v = (size_t)k * bsz + r * s->bc + c;
                    W[(size_t)row * s->cols + s->col_idx[k] * s->bc + c] =
                        s->qval ? (float)s->qval[v] * s->scale[row] : s->val[v];
                }
}

void gd_bsr_to_dense_i8(const gd_bsr *s, int8_t *Q)
{
    memset(Q, 0, (size_t)s->rows * s->cols);
    size_t bsz = (size_t)s->br * s->bc;
    for (int b = 0; b < s->rows / s->br; b++)
        for (int k = s->row_ptr[b]; k < s->row_ptr[b + 1]; k++)
            for (int r = 0; r < s->br; r++)
                for (int c = 0; c < s->bc; c++)
                    Q[(size_t)(b * s->br + r) * s->cols + s->col_idx[k] * s->bc + c] =
                        s->qval[(size_t)k * bsz + r * s->bc + c];
}

void gd_bsr_free(gd_bsr *s)
{
    free(s->row_ptr), free(s->col_idx), free(s->val), free(s->qval), free(s->scale);
    memset(s, 0, sizeof *s);
}

int64_t gd_bsr_bytes(const gd_bsr *s)
{
    int64_t vals = (int64_t)s->nnzb * s->br * s->bc * (s->qval ? 1 : 4);
    return vals + 4 * (int64_t)s->nnzb + 4 * (int64_t)(s->rows / s->br + 1) + (s->qval ? 4 * (int64_t)s->rows : 0);
}

void gd_spmm_bsr(const gd_bsr *A, int N, const float *B, float *C)
{
    memset(C, 0, (size_t)A->rows * N * sizeof *C);
    size_t bsz = (size_t)A->br * A->bc;
    for (int b = 0; b < A->rows / A->br; b++)
        for (int k = A->row_ptr[b]; k < A->row_ptr[b + 1]; k++) {
            const float *blk = A->val + (size_t)k * bsz;
            /* within a block, columns in increasing order per row keep each
             * C[i][j]'s sum in increasing k */
            for (int r = 0; r < A->br; r++)
                for (int c = 0; c < A->bc; c++)
                    axpy(N, blk[r * A->bc + c], B + (size_t)(A->col_idx[k] * A->bc + c) * N,
                         C + (size_t)(b * A->br + r) * N);
        }
}

void gd_spmm_bsr_i8(const gd_bsr *A, int N, const int8_t *B, int32_t *C)
{
    memset(C, 0, (size_t)A->rows * N * sizeof *C);
    size_t bsz = (size_t)A->br * A->bc;
    for (int b = 0; b < A->rows / A->br; b++)
        for (int k = A->row_ptr[b]; k < A->row_ptr[b + 1]; k++) {
            const int8_t *blk = A->qval + (size_t)k * bsz;
            for (int r = 0; r < A->br; r++)
                for (int c = 0; c < A->bc; c++) {
                    int32_t a = blk[r * A->bc + c];
                    const int8_t *restrict brow = B + (size_t)(A->col_idx[k] * A->bc + c) * N;
                    int32_t *restrict crow = C + (size_t)(b * A->br + r) * N;
                    int j = 0;
                    for (; j + 4 <= N; j += 4) { /* four statements: one SIMD op at -O2 */
                        crow[j] += a * brow[j];
                        crow[j + 1] += a * brow[j + 1];
                        crow[j + 2] += a * brow[j + 2];
                        crow[j + 3] += a * brow[j + 3];
                    }
                    for (; j < N; j++)
                        crow[j] += a * brow[j];
                }
        }
}

/* ---- CSR --------------------------------------------------------------------- */

int gd_prune_unstructured(int rows, int cols, float *W, size_t rs, size_t cs, double sparsity, es_err *e)
{
    if (!(sparsity >= 0.0 && sparsity < 1.0))
        return es_fail(e, "unstructured pruning: sparsity %g outside [0, 1)", sparsity);
    size_t n = (size_t)rows * cols;
    ranked *rk = es_xmalloc(n * sizeof *rk + 1);
    for (size_t i = 0; i < n; i++)
        rk[i].key = mag(W[(i / cols) * rs + (i % cols) * cs]), rk[i].i = (int)i;
    qsort(rk, n, sizeof *rk, by_score_then_high_index);
    size_t drop = (size_t)floor(sparsity * (double)n);
    for (size_t k = 0; k < drop; k++)
        W[((size_t)rk[k].i / cols) * rs + ((size_t)rk[k].i % cols) * cs] = 0.0f;
    free(rk);
    return 0;
}

int gd_csr_from_dense(int rows, int cols, const float *W, gd_csr *out)
{
    memset(out, 0, sizeof *out);
    size_t nnz = 0, n = (size_t)rows * cols;
    for (size_t i = 0; i < n; i++)
        nnz += W[i] != 0.0f;
    out->rows = rows, out->cols = cols, out->nnz = (int)nnz;
    out->row_ptr = es_xcalloc((size_t)rows + 1, sizeof *out->row_ptr);
    out->col = es_xmalloc(nnz * sizeof *out->col + 1);
    out->val = es_xmalloc(nnz * sizeof *out->val + 1);
    int k = 0;
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++)
            if (W[(size_t)r * cols + c] != 0.0f)
                out->col[k] = c, out->val[k++] = W[(size_t)r * cols + c];
        out->row_ptr[r + 1] = k;
    }
    return 0;
}

int gd_csr_check(const gd_csr *s, const char *name, es_err *e)
{
    if (s->row_ptr[0] != 0)
        return es_fail(e, "tensor %s: row_ptr[0] is %d; expected 0", name, s->row_ptr[0]);
    for (int r = 0; r < s->rows; r++) {
        if (s->row_ptr[r + 1] < s->row_ptr[r])
            return es_fail(e, "tensor %s: row_ptr decreases at row %d (%d -> %d)", name, r, s->row_ptr[r],
                           s->row_ptr[r + 1]);
        for (int k = s->row_ptr[r]; k < s->row_ptr[r + 1] && k < s->nnz; k++) {
            if (s->col[k] < 0 || s->col[k] >= s->cols)
                return es_fail(e, "tensor %s: entry %d has column %d; expected 0..%d", name, k, s->col[k],
                               s->cols - 1);
            if (k > s->row_ptr[r] && s->col[k] <= s->col[k - 1])
                return es_fail(e, "tensor %s: row %d: columns %d then %d; expected strictly ascending", name, r,
                               s->col[k - 1], s->col[k]);
        }
    }
    if (s->row_ptr[s->rows] != s->nnz)
        return es_fail(e, "tensor %s: row_ptr ends at %d but nnz is %d; expected equal", name, s->row_ptr[s->rows],
                       s->nnz);
    return 0;
}

void gd_csr_to_dense(const gd_csr *s, float *W)
{
    memset(W, 0, (size_t)s->rows * s->cols * sizeof *W);
    for (int r = 0; r < s->rows; r++)
        for (int k = s->row_ptr[r]; k < s->row_ptr[r + 1]; k++)
            W[(size_t)r * s->cols + s->col[k]] = s->val[k];
}

void gd_csr_free(gd_csr *s)
{
    free(s->row_ptr), free(s->col), free(s->val);
    memset(s, 0, sizeof *s);
}

int64_t gd_csr_bytes(const gd_csr *s) { return 8 * (int64_t)s->nnz + 4 * ((int64_t)s->rows + 1); }

void gd_spmm_csr(const gd_csr *A, int N, const float *B, float *C)
{
    memset(C, 0, (size_t)A->rows * N * sizeof *C);
    for (int r = 0; r < A->rows; r++)
        for (int k = A->row_ptr[r]; k < A->row_ptr[r + 1]; k++)
            axpy(N, A->val[k], B + (size_t)A->col[k] * N, C + (size_t)r * N);
}

/* ---- sparse attention ---------------------------------------------------------- */

/* gd_attention_naive's score: increasing c, one accumulator, then scale. */
static float attn_score(const float *q, const float *k, int d, float scale)
{
    float acc = 0.0f;
    for (int c = 0; c < d; c++)
        acc = acc + q[c] * k[c];
    return scale * acc;
}

static int visible_limit(const gd_attn_shape *s, int i)
{
    if (!s->causal)
        return s->n_k;
    long lim = (long)s->q_offset + i + 1;
    return lim < 0 ? 0 : (lim > s->n_k ? s->n_k : (int)lim);
}

/* Head h's keys and values copied contiguous [n_k x d] so
 * gd_attention_naive reads them (copies: same values, same bits). */
static void gather_head(const gd_attn_shape *s, int n_heads, int n_kv_heads, int h, const float *K, const float *V,
                        float *Kh, float *Vh)
{
    int g = h / (n_heads / n_kv_heads);
    for (int j = 0; j < s->n_k; j++) {
        memcpy(Kh + (size_t)j * s->d, K + ((size_t)j * n_kv_heads + g) * s->d, (size_t)s->d * sizeof *Kh);
        memcpy(Vh + (size_t)j * s->dv, V + ((size_t)j * n_kv_heads + g) * s->dv, (size_t)s->dv * sizeof *Vh);
    }
}

void gd_attention_topk(const gd_attn_shape *s, int n_heads, int n_kv_heads, const float *Q, const float *K,
                       const float *V, float *O, int k)
{
    if (n_heads < 1 || n_kv_heads < 1 || n_heads % n_kv_heads) {
        gd_attention_mh(s, n_heads, n_kv_heads, Q, K, V, O, 0); /* its NaN answer */
        return;
    }
    float *Kh = es_xmalloc((size_t)s->n_k * s->d * sizeof *Kh + 1);
    float *Vh = es_xmalloc((size_t)s->n_k * s->dv * sizeof *Vh + 1);
    ranked *rk = es_xmalloc((size_t)s->n_k * sizeof *rk + 1);
    uint8_t *mask = es_xmalloc((size_t)s->n_k + 1);
    for (int h = 0; h < n_heads; h++) {
        gather_head(s, n_heads, n_kv_heads, h, K, V, Kh, Vh);
        for (int i = 0; i < s->n_q; i++) {
            const float *q = Q + ((size_t)i * n_heads + h) * s->d;
            int lim = visible_limit(s, i), nv = 0;
            memset(mask, 0, (size_t)s->n_k);
            for (int j = 0; j < lim; j++)
                if (!s->key_mask || s->key_mask[j])
                    rk[nv].key = attn_score(q, Kh + (size_t)j * s->d, s->d, s->scale), rk[nv++].i = j;
            /* ascending score, ties higher index first: the last k entries
             * are the top k with ties keeping the lower index */
            qsort(rk, (size_t)nv, sizeof *rk, by_score_then_high_index);
            for (int t = nv - k < 0 ? 0 : nv - k; t < nv; t++)
                mask[rk[t].i] = 1;
            gd_attn_shape s1 = *s;
            s1.n_q = 1;
            s1.q_offset = s->q_offset + i;
            s1.key_mask = mask;
            gd_attention_naive(&s1, q, Kh, Vh, O + ((size_t)i * n_heads + h) * s->dv);
        }
    }
    free(Kh), free(Vh), free(rk), free(mask);
}

void gd_topk_hook(void *ctx, int layer, const gd_attn_shape *s, int n_heads, int n_kv_heads, const float *Q,
                  const float *K, const float *V, float *O)
{
    (void)layer;
    gd_attention_topk(s, n_heads, n_kv_heads, Q, K, V, O, *(const int *)ctx);
}

int gd_kvprune_init(gd_kvprune *p, gd_kvprune_kind kind, int budget, int recent, int gen_len, uint64_t seed,
                    int n_layers, int n_heads, int cap, es_err *e)
{
    memset(p, 0, sizeof *p);
    if (budget < 1)
        return es_fail(e, "KV pruning: budget %d; expected at least 1 token", budget);
    if (recent < 0)
        recent = budget * 3 / 10;
    if (recent >= budget)
        return es_fail(e, "KV pruning: recent window %d must be below the budget %d", recent, budget);
    p->kind = kind, p->budget = budget, p->recent = recent, p->gen_len = gen_len < 1 ? 1 : gen_len;
    p->seed = seed, p->n_layers = n_layers, p->n_heads = n_heads, p->cap = cap;
    size_t n = (size_t)n_layers * n_heads * cap;
    p->keep = es_xcalloc(n + 1, 1);
    p->score = es_xcalloc(n + 1, sizeof *p->score);
    es_rng_seed(&p->rng, seed);
    return 0;
}

void gd_kvprune_free(gd_kvprune *p)
{
    free(p->keep), free(p->score);
    memset(p, 0, sizeof *p);
}

int gd_kvprune_kept(const gd_kvprune *p, int layer, int head, int n_k)
{
    const uint8_t *kp = p->keep + ((size_t)layer * p->n_heads + head) * p->cap;
    int n = 0;
    for (int j = 0; j < n_k; j++)
        n += kp[j];
    return n;
}

/* Gumbel(0, 1) from 24 uniform bits, U in (0, 1) so both logs are finite. */
static double gumbel(es_rng *r)
{
    double u = ((double)(es_rng_u64(r) >> 40) + 0.5) / 16777216.0;
    return -log(-log(u));
}

void gd_kvprune_attention(gd_kvprune *p, int layer, const gd_attn_shape *s, int n_heads, int n_kv_heads,
                          const float *Q, const float *K, const float *V, float *O)
{
    if (s->q_offset == 0)
        p->prompt_len = s->n_q;
    int step = s->q_offset == 0 ? 0 : s->q_offset - p->prompt_len + 1;
    double tau = 1.0 + (double)step / p->gen_len;
    float *Kh = es_xmalloc((size_t)s->n_k * s->d * sizeof *Kh + 1);
    float *Vh = es_xmalloc((size_t)s->n_k * s->dv * sizeof *Vh + 1);
    float *Qh = es_xmalloc((size_t)s->n_q * s->d * sizeof *Qh + 1);
    float *Oh = es_xmalloc((size_t)s->n_q * s->dv * sizeof *Oh + 1);
    double *z = es_xmalloc((size_t)s->n_k * sizeof *z + 1);
    ranked *rk = es_xmalloc((size_t)s->n_k * sizeof *rk + 1);
    for (int h = 0; h < n_heads; h++) {
        uint8_t *keep = p->keep + ((size_t)layer * n_heads + h) * p->cap;
        double *score = p->score + ((size_t)layer * n_heads + h) * p->cap;
        for (int j = s->q_offset; j < s->n_k; j++) /* the new tokens join the cache */
            keep[j] = 1, score[j] = 0.0;
        gather_head(s, n_heads, n_kv_heads, h, K, V, Kh, Vh);
        for (int i = 0; i < s->n_q; i++)
            memcpy(Qh + (size_t)i * s->d, Q + ((size_t)i * n_heads + h) * s->d, (size_t)s->d * sizeof *Qh);
        gd_attn_shape s1 = *s;
        s1.key_mask = keep;
        gd_attention_naive(&s1, Qh, Kh, Vh, Oh);
        for (int i = 0; i < s->n_q; i++)
            memcpy(O + ((size_t)i * n_heads + h) * s->dv, Oh + (size_t)i * s->dv, (size_t)s->dv * sizeof *Oh);
        /* scores: softmax over the kept visible keys of each query row (in
         * double; Keyformer adds Gumbel noise and divides by tau) */
        for (int i = 0; i < s->n_q; i++) {
            int lim = visible_limit(s, i);
            double m = -INFINITY, sum = 0;
            for (int j = 0; j < lim; j++) {
                if (!keep[j])
                    continue;
                z[j] = attn_score(Qh + (size_t)i * s->d, Kh + (size_t)j * s->d, s->d, s->scale);
                if (p->kind == GD_KVP_KEYFORMER)
                    z[j] = (z[j] + gumbel(&p->rng)) / tau;
                m = z[j] > m ? z[j] : m;
            }
            for (int j = 0; j < lim; j++)
                if (keep[j])
                    sum += exp(z[j] - m);
            for (int j = 0; j < lim; j++)
                if (keep[j])
                    score[j] += exp(z[j] - m) / sum;
        }
        /* eviction: the last `recent` positions stay; of the older kept
         * tokens the (budget - recent) of highest score stay */
        int kept = 0;
        for (int j = 0; j < s->n_k; j++)
            kept += keep[j];
        if (kept <= p->budget)
            continue;
        int first_recent = s->n_k - p->recent, nc = 0;
        for (int j = 0; j < first_recent; j++)
            if (keep[j])
                rk[nc].key = score[j], rk[nc++].i = j;
        qsort(rk, (size_t)nc, sizeof *rk, by_score_then_high_index);
        int drop = kept - p->budget;
        for (int t = 0; t < drop && t < nc; t++)
            keep[rk[t].i] = 0, score[rk[t].i] = 0.0, p->evicted++;
    }
    free(Kh), free(Vh), free(Qh), free(Oh), free(z), free(rk);
}

void gd_kvprune_hook(void *ctx, int layer, const gd_attn_shape *s, int n_heads, int n_kv_heads, const float *Q,
                     const float *K, const float *V, float *O)
{
    gd_kvprune_attention(ctx, layer, s, n_heads, n_kv_heads, Q, K, V, O);
}
