/* golden/sparse_model.c: --sparsity names and whole-model weight pruning
 * (contract in golden/sparse.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/sparse.h"

static const char sparsity_expected[] =
    "expected 2:4, blockRxC:S (e.g. block4x1:0.8, block1x4:0.9; S in [0, 1)), unstructured:S, topk-attn:K, "
    "kv-h2o:BUDGET or kv-keyformer:BUDGET";

static int parse_level(const char *v, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !(x >= 0.0 && x < 1.0))
        return -1;
    *out = x;
    return 0;
}

static int parse_count(const char *v, int *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v || *end || errno || x < 1 || x > 1000000000)
        return -1;
    *out = (int)x;
    return 0;
}

int gd_sparsity_parse(const char *s, gd_sparsity *out, es_err *e)
{
    memset(out, 0, sizeof *out);
    if (strlen(s) >= sizeof out->name)
        return es_fail(e, "--sparsity '%.40s...': too long; %s", s, sparsity_expected);
    snprintf(out->name, sizeof out->name, "%s", s);
    const char *colon = strchr(s, ':');
    if (!strcmp(s, "2:4")) {
        out->kind = GD_SP_24;
        return 0;
    }
    if (!colon)
        return es_fail(e, "--sparsity '%s': unknown form; %s", s, sparsity_expected);
    const char *v = colon + 1;
    size_t hl = (size_t)(colon - s);
    int br, bc, used = 0;
    if (hl > 5 && !strncmp(s, "block", 5) && sscanf(s + 5, "%dx%d%n", &br, &bc, &used) == 2 && 5 + used == (int)hl) {
        if (br < 1 || bc < 1 || br > 64 || bc > 64)
            return es_fail(e, "--sparsity '%s': block %dx%d; expected sides 1..64", s, br, bc);
        if (parse_level(v, &out->level))
            return es_fail(e, "--sparsity '%s': sparsity '%s'; expected a fraction in [0, 1), e.g. 0.8", s, v);
        out->kind = GD_SP_BLOCK, out->br = br, out->bc = bc;
        return 0;
    }
    if (hl == 12 && !strncmp(s, "unstructured", 12)) {
        if (parse_level(v, &out->level))
            return es_fail(e, "--sparsity '%s': sparsity '%s'; expected a fraction in [0, 1), e.g. 0.8", s, v);
        out->kind = GD_SP_UNSTRUCT;
        return 0;
    }
    static const struct { const char *head; gd_sp_kind kind; const char *what; } counted[] = {
        {"topk-attn", GD_SP_TOPK, "keys per query"},
        {"kv-h2o", GD_SP_KV_H2O, "tokens per head"},
        {"kv-keyformer", GD_SP_KV_KEYFORMER, "tokens per head"}};
    for (size_t i = 0; i < sizeof counted / sizeof *counted; i++)
        if (hl == strlen(counted[i].head) && !strncmp(s, counted[i].head, hl)) {
            if (parse_count(v, &out->k))
                return es_fail(e, "--sparsity '%s': '%s'; expected a positive integer (%s)", s, v, counted[i].what);
            out->kind = counted[i].kind;
            return 0;
        }
    return es_fail(e, "--sparsity '%s': unknown form; %s", s, sparsity_expected);
}

int gd_sparsity_is_weight(const gd_sparsity *sp)
{
    return sp->kind == GD_SP_24 || sp->kind == GD_SP_BLOCK || sp->kind == GD_SP_UNSTRUCT;
}

/* The table entry holding p (its name and shape). */
static const gd_weight *weight_of(const gd_model *m, const float *p)
{
    for (int i = 0; i < m->n_w; i++)
        if (m->w[i].data == p)
            return &m->w[i];
    return NULL;
}

/* One compressed block matrix, found by the address of its dense weight. */
typedef struct sparse_mat {
    const float *W;
    gd_sp_kind kind;
    gd_sp24 s24;
    gd_bsr bsr;
    gd_csr csr;
} sparse_mat;

typedef struct sparse_weights {
    int n;
    sparse_mat *mats;
} sparse_weights;

/* y[T x out] = x[T x in] . W^T + b as the SpMM C[out x T] = W . x^T. */
static void sparse_linear(const gd_model *m, int T, int in, int out, const float *x, const float *W, int in_out,
                          const float *b, float *y)
{
    (void)in_out; /* the compressed form is always the nn.Linear [out x in] view */
    const sparse_weights *sw = m->sparse_w;
    const sparse_mat *sm = NULL;
    for (int i = 0; i < sw->n && !sm; i++)
        if (sw->mats[i].W == W)
            sm = &sw->mats[i];
    float *xt = es_xmalloc((size_t)in * T * sizeof *xt + 1), *c = es_xmalloc((size_t)out * T * sizeof *c + 1);
    for (int t = 0; t < T; t++)
        for (int k = 0; k < in; k++)
            xt[(size_t)k * T + t] = x[(size_t)t * in + k];
    if (sm->kind == GD_SP_24)
        gd_spmm_24(&sm->s24, T, xt, c);
    else if (sm->kind == GD_SP_BLOCK)
        gd_spmm_bsr(&sm->bsr, T, xt, c);
    else
        gd_spmm_csr(&sm->csr, T, xt, c);
    for (int t = 0; t < T; t++)
        for (int o = 0; o < out; o++)
            y[(size_t)t * out + o] = b ? c[(size_t)o * T + t] + b[o] : c[(size_t)o * T + t];
    free(xt), free(c);
}

static int sparsify_one(const gd_model *m, const gd_weight *w, const gd_sparsity *sp, gd_sparse_stats *st,
                        sparse_mat *sm, es_err *e)
{
    int conv = m->c.family == GD_FAM_GPT2; /* Conv1D [in, out] */
    int rows = (int)(conv ? w->shape[1] : w->shape[0]), cols = (int)(conv ? w->shape[0] : w->shape[1]);
    size_t rs = conv ? 1 : (size_t)cols, cs = conv ? (size_t)rows : 1;
    int rc;
    if (sp->kind == GD_SP_24)
        rc = gd_prune_24(rows, cols, w->data, rs, cs, e);
    else if (sp->kind == GD_SP_BLOCK)
        rc = gd_prune_blocks(rows, cols, w->data, rs, cs, sp->br, sp->bc, sp->level, e);
    else
        rc = gd_prune_unstructured(rows, cols, w->data, rs, cs, sp->level, e);
    if (rc) {
        es_err in = *e;
        return es_fail(e, "tensor %s (%d outputs x %d inputs): %s", w->name, rows, cols, in.msg);
    }
    /* the nn.Linear view, compressed and checked */
    float *W = es_xmalloc((size_t)rows * cols * sizeof *W);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            W[(size_t)r * cols + c] = w->data[(size_t)r * rs + (size_t)c * cs];
    int64_t nnz = 0;
    for (size_t i = 0; i < (size_t)rows * cols; i++)
        nnz += W[i] != 0.0f;
    memset(sm, 0, sizeof *sm);
    sm->W = w->data, sm->kind = sp->kind;
    if (sp->kind == GD_SP_24) {
        rc = gd_sp24_compress(rows, cols, W, w->name, &sm->s24, e) || gd_sp24_check(&sm->s24, w->name, e);
        st->bytes += gd_sp24_bytes(rows, cols, 4);
    } else if (sp->kind == GD_SP_BLOCK) {
        rc = gd_bsr_from_dense(rows, cols, W, sp->br, sp->bc, 0, w->name, &sm->bsr, e) ||
             gd_bsr_check(&sm->bsr, w->name, e);
        st->bytes += gd_bsr_bytes(&sm->bsr);
    } else {
        rc = gd_csr_from_dense(rows, cols, W, &sm->csr) || gd_csr_check(&sm->csr, w->name, e);
        st->bytes += gd_csr_bytes(&sm->csr);
    }
    free(W);
    st->n_mats++;
    st->params += (int64_t)rows * cols;
    st->nnz += nnz;
    st->fp32_bytes += 4 * (int64_t)rows * cols;
    return rc ? -1 : 0;
}

int gd_model_sparsify(gd_model *m, const gd_sparsity *sp, gd_sparse_stats *st, es_err *e)
{
    memset(st, 0, sizeof *st);
    if (!gd_sparsity_is_weight(sp))
        return 0;
    sparse_weights *sw = es_xcalloc(1, sizeof *sw);
    sw->mats = es_xcalloc((size_t)m->c.n_layers * 8, sizeof *sw->mats);
    m->sparse_w = sw;
    for (int l = 0; l < m->c.n_layers; l++) {
        const gd_layer *L = &m->L[l];
        const float *ps[] = {L->wqkv, L->wq, L->wk, L->wv, L->wo, L->w1, L->w3, L->w2};
        for (size_t i = 0; i < sizeof ps / sizeof *ps; i++) {
            const gd_weight *w = ps[i] ? weight_of(m, ps[i]) : NULL;
            if (w && sparsify_one(m, w, sp, st, &sw->mats[sw->n++], e)) {
                gd_model_sparse_free(m);
                return -1;
            }
        }
    }
    m->qlinear = sparse_linear;
    return 0;
}

void gd_model_sparse_free(gd_model *m)
{
    sparse_weights *sw = m->sparse_w;
    if (!sw)
        return;
    for (int i = 0; i < sw->n; i++) {
        gd_sp24_free(&sw->mats[i].s24);
        gd_bsr_free(&sw->mats[i].bsr);
        gd_csr_free(&sw->mats[i].csr);
    }
    free(sw->mats);
    free(sw);
    m->sparse_w = NULL;
    if (m->qlinear == sparse_linear)
        m->qlinear = NULL;
}
