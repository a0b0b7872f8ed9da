/* golden/quant_model.c: quantized whole models - calibration tokens,
 * quantizing every block linear of a gd_model in a format, the run-time
 * quantized linears (int8, LLM.int8, FP8), and GPTQ checkpoints in the
 * AutoGPTQ v1 layout (write, and read back through gd_model_load). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/err.h"
#include "golden/base/io.h"
#include "golden/base/rng.h"
#include "golden/quant.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "packed tensors are read in place: little-endian host");

/* ---- calibration ------------------------------------------------------------ */

int gd_calib_make(const char *spec, const gd_config *c, gd_calib *cal, es_err *e)
{
    memset(cal, 0, sizeof *cal);
    cal->seq_len = c->max_seq < GD_CALIB_LEN ? c->max_seq : GD_CALIB_LEN;
    int digits = *spec != 0;
    for (const char *p = spec; *p; p++)
        digits &= isdigit((unsigned char)*p) != 0;
    if (digits) {
        errno = 0;
        unsigned long long seed = strtoull(spec, NULL, 10);
        if (errno)
            return es_fail(e, "--calib '%s': seed out of range", spec);
        es_rng r;
        es_rng_seed(&r, seed);
        cal->n = GD_CALIB_SEQS * cal->seq_len;
        cal->tokens = es_xmalloc((size_t)cal->n * sizeof *cal->tokens);
        for (int i = 0; i < cal->n; i++)
            cal->tokens[i] = (int)es_rng_below(&r, (uint64_t)c->vocab);
        return 0;
    }
    char *buf;
    size_t len;
    if (es_read_file(spec, &buf, &len, e))
        return es_fail(e, "--calib '%s': not a seed (digits) and not a readable token file", spec);
    int cap = 256, line = 1;
    cal->tokens = es_xmalloc((size_t)cap * sizeof *cal->tokens);
    const char *p = buf, *end = buf + len, *bol = buf;
    while (p < end) {
        if (*p == '\n')
            line++, bol = p + 1;
        if (isspace((unsigned char)*p) || *p == ',') {
            p++;
            continue;
        }
        char *q;
        errno = 0;
        long v = strtol(p, &q, 10);
        if (q == p || errno || v < 0 || v >= c->vocab || (q < end && !isspace((unsigned char)*q) && *q != ',')) {
            int col = (int)(p - bol) + 1;
            free(buf);
            gd_calib_free(cal);
            return es_fail_at(e, spec, line, col, "expected a token id in [0, %d)", c->vocab);
        }
        if (cal->n == cap)
            cal->tokens = es_xrealloc(cal->tokens, (size_t)(cap *= 2) * sizeof *cal->tokens);
        cal->tokens[cal->n++] = (int)v;
        p = q;
    }
    free(buf);
    if (cal->n == 0) {
        gd_calib_free(cal);
        return es_fail(e, "%s: no token ids; expected calibration tokens separated by spaces", spec);
    }
    return 0;
}

void gd_calib_free(gd_calib *cal)
{
    free(cal->tokens);
    memset(cal, 0, sizeof *cal);
}

/* ---- block matrices --------------------------------------------------------- */

typedef struct mat {
    gd_weight *w;
    int layer;
    int rows, cols; /* nn.Linear view: rows = out, cols = in */
    int conv1d;     /* stored [in, out] (GPT-2) */
} mat;

static int layer_of(const gd_model *m, const float *p)
{
    for (int l = 0; l < m->c.n_layers; l++) {
        const gd_layer *L = &m->L[l];
        const float *ps[] = {L->wqkv, L->wq, L->wk, L->wv, L->wo, L->w1, L->w3, L->w2};
        for (size_t i = 0; i < sizeof ps / sizeof *ps; i++)
            if (ps[i] && ps[i] == p)
                return l;
    }
    return -1;
}

/* Every block matrix, in table order. */
static int block_mats(gd_model *m, mat **out)
{
    int n = 0;
    mat *v = es_xcalloc((size_t)m->n_w, sizeof *v);
    for (int i = 0; i < m->n_w; i++) {
        gd_weight *w = &m->w[i];
        int l = w->ndim == 2 ? layer_of(m, w->data) : -1;
        if (l < 0)
            continue;
        int conv = m->c.family == GD_FAM_GPT2;
        v[n++] = (mat){w, l, (int)(conv ? w->shape[1] : w->shape[0]), (int)(conv ? w->shape[0] : w->shape[1]), conv};
    }
    *out = v;
    return n;
}

/* [rows x cols] nn.Linear copy of a matrix. */
static float *to_linear(const mat *x)
{
    float *W = es_xmalloc((size_t)x->rows * x->cols * sizeof *W);
    for (int r = 0; r < x->rows; r++)
        for (int c = 0; c < x->cols; c++)
            W[(size_t)r * x->cols + c] = x->conv1d ? x->w->data[(size_t)c * x->rows + r] : x->w->data[(size_t)r * x->cols + c];
    return W;
}

static void from_linear(const mat *x, const float *W)
{
    for (int r = 0; r < x->rows; r++)
        for (int c = 0; c < x->cols; c++)
            x->w->data[x->conv1d ? (size_t)c * x->rows + r : (size_t)r * x->cols + c] = W[(size_t)r * x->cols + c];
}

/* ---- run-time quantized linears --------------------------------------------- */

/* m->qmode: the mode in its low 4 bits, the mode's options above (QM_GGML:
 * the weights' gd_qfamily). */
enum { QM_NONE, QM_INT8, QM_LLM_INT8, QM_FP8, QM_GGML };

/* The blocks of every ggml-format matrix (m->qblocks), by the model's
 * weight pointer: rows of the nn.Linear [out x in] view. */
typedef struct ggml_mat {
    const float *W;
    void *blocks;
} ggml_mat;
typedef struct ggml_weights {
    int n;
    ggml_mat *mats;
} ggml_weights;

/* ggml's CPU matrix product (llama.cpp): the weights stay in their blocks,
 * each activation row is quantized to the format's dot partner (Q8_0 for
 * Q8_0 and Q4_0, Q8_K for Q4_K) and every output is the block dot, in
 * ggml's reference float order (golden/quant_ggml.c). */
static void ggml_linear(gd_qfamily fam, int T, int in, int out, const float *x, const void *blocks, const float *b, float *y)
{
    size_t nb32 = (size_t)in / 32, nbk = (size_t)in / GD_QK_K;
    gd_block_q8_0 *x8 = NULL;
    gd_block_q8_k *xk = NULL;
    if (fam == GD_QF_Q4_K) {
        xk = es_xmalloc((size_t)T * nbk * sizeof *xk);
        for (int t = 0; t < T; t++)
            gd_q8_k_quantize(in, x + (size_t)t * in, xk + (size_t)t * nbk);
    } else {
        x8 = es_xmalloc((size_t)T * nb32 * sizeof *x8);
        for (int t = 0; t < T; t++)
            gd_q8_0_quantize(in, x + (size_t)t * in, x8 + (size_t)t * nb32);
    }
    const gd_block_q8_0 *w8 = blocks;
    const gd_block_q4_0 *w4 = blocks;
    const gd_block_q4_k *wk = blocks;
    for (int t = 0; t < T; t++)
        for (int o = 0; o < out; o++) {
            float v = fam == GD_QF_Q4_K   ? gd_q4_k_dot(in, wk + (size_t)o * nbk, xk + (size_t)t * nbk)
                      : fam == GD_QF_Q8_0 ? gd_q8_0_dot(in, w8 + (size_t)o * nb32, x8 + (size_t)t * nb32)
                                            : gd_q4_0_dot(in, w4 + (size_t)o * nb32, x8 + (size_t)t * nb32);
            y[(size_t)t * out + o] = b ? v + b[o] : v;
        }
    free(x8), free(xk);
}

int gd_ggml_linear(const gd_qformat *f, int T, int in, int out, const float *x, const void *blocks, const float *b,
                   float *y)
{
    int be = gd_ggml_block_elems(f->family);
    if (!be || in % be)
        return -1;
    ggml_linear(f->family, T, in, out, x, blocks, b, y);
    return 0;
}

void gd_model_quant_free(gd_model *m)
{
    ggml_weights *gw = m->qblocks;
    if (!gw)
        return;
    for (int i = 0; i < gw->n; i++)
        free(gw->mats[i].blocks);
    free(gw->mats);
    free(gw);
    m->qblocks = NULL;
}

static void run_qlinear(const gd_model *m, int T, int in, int out, const float *x, const float *W, int in_out,
                        const float *b, float *y)
{
    if ((m->qmode & 0xF) == QM_GGML) {
        const ggml_weights *gw = m->qblocks;
        for (int i = 0; i < gw->n; i++)
            if (gw->mats[i].W == W) {
                ggml_linear((gd_qfamily)(m->qmode >> 4), T, in, out, x, gw->mats[i].blocks, b, y);
                return;
            }
        es_fatal(ES_EXIT_INTERNAL, "golden: a block linear without its ggml blocks");
    }
    float *tmp = NULL;
    if (in_out) {
        tmp = es_xmalloc((size_t)in * out * sizeof *tmp);
        for (int k = 0; k < in; k++)
            for (int o = 0; o < out; o++)
                tmp[(size_t)o * in + k] = W[(size_t)k * out + o];
        W = tmp;
    }
    int mode = m->qmode & 0xF;
    if (mode == QM_INT8)
        gd_int8_linear(T, in, out, x, W, b, y);
    else if (mode == QM_LLM_INT8) {
        gd_llm_int8_opts o = {m->qthreshold, (m->qmode >> 4) & 1};
        gd_llm_int8_linear(T, in, out, x, W, b, &o, y);
    } else {
        /* FP8: activations one scale per tensor, weights per row or tensor. */
        gd_dtype t = (m->qmode >> 4) & 1 ? GD_E5M2 : GD_E4M3;
        int per_row = !((m->qmode >> 5) & 1);
        uint8_t *xc = es_xmalloc((size_t)T * in), *wc = es_xmalloc((size_t)out * in);
        float xs, *ws = es_xmalloc((size_t)out * sizeof *ws);
        gd_fp8_quantize(t, T, in, x, 0, xc, &xs);
        gd_fp8_quantize(t, out, in, W, per_row, wc, ws);
        gd_fp8_gemm(t, T, out, in, xc, &xs, 0, wc, ws, per_row, y);
        if (b)
            for (int i = 0; i < T; i++)
                for (int o = 0; o < out; o++)
                    y[(size_t)i * out + o] += b[o];
        free(xc), free(wc), free(ws);
    }
    free(tmp);
}

/* ---- GPTQ calibration hook ---------------------------------------------------- */

typedef struct hess_ctx {
    int n;
    const float *W[16];
    double *H[16];
    int in[16];
    int64_t rows[16];
} hess_ctx;

static void hess_hook(void *ctx, const float *W, int T, int in, const float *x)
{
    hess_ctx *h = ctx;
    for (int i = 0; i < h->n; i++)
        if (h->W[i] == W) {
            gd_gptq_hessian_add(in, T, x, h->H[i]);
            h->rows[i] += T;
        }
}

static int calib_forward(gd_model *m, const gd_calib *cal, es_err *e)
{
    float *out = es_xmalloc((size_t)gd_out_dim(&m->c) * sizeof *out);
    int rc = 0;
    for (int s = 0; rc == 0 && s < cal->n; s += cal->seq_len) {
        int len = cal->n - s < cal->seq_len ? cal->n - s : cal->seq_len;
        rc = gd_forward(m, NULL, cal->tokens + s, len, 1, out, e);
    }
    free(out);
    return rc;
}

/* ---- quantizing one matrix ---------------------------------------------------- */

static int block_multiple(const gd_qformat *f)
{
    if (f->family == GD_QF_MXFP4)
        return 32;
    int be = gd_ggml_block_elems(f->family);
    return be ? be : 1;
}

/* Weight-only quantize-dequantize of W [rows x cols] in place. keep (GPTQ/RTN)
 * receives the codes when non-NULL. */
static int quant_matrix(const gd_qformat *f, int rows, int cols, const char *name, float *W, const double *H,
                        int act_order, gd_qweight *keep, void **blocks, es_err *e)
{
    size_t n = (size_t)rows * cols;
    int bm = block_multiple(f);
    if (cols % bm)
        return es_fail(e, "--quant %s: tensor '%s' has %d inputs per row; the format needs a multiple of %d", f->name,
                       name, cols, bm);
    switch (f->family) {
    case GD_QF_FLOAT:
        for (size_t i = 0; i < n; i++)
            W[i] = gd_quantize_float(f->elem, W[i], GD_RND_NEAREST_EVEN, GD_OVF_INF);
        return 0;
    case GD_QF_GPTQ:
    case GD_QF_RTN: {
        gd_gptq_opts o;
        gd_gptq_opts_default(&o, f->bits, f->group);
        o.sym = f->sym;
        o.act_order = act_order;
        gd_qweight q;
        int rc = f->family == GD_QF_GPTQ ? gd_gptq_quantize(rows, cols, W, H, &o, &q, e)
                                         : gd_rtn_quantize(rows, cols, W, &o, &q, e);
        if (rc)
            return es_fail(e, "tensor '%s': %s", name, e->msg);
        gd_qweight_dequant(&q, W);
        if (keep)
            *keep = q;
        else
            gd_qweight_free(&q);
        return 0;
    }
    case GD_QF_Q8_0:
    case GD_QF_Q4_0:
    case GD_QF_Q4_K: {
        size_t row_bytes = (size_t)cols / gd_ggml_block_elems(f->family) * gd_ggml_block_bytes(f->family);
        uint8_t *b = es_xmalloc((size_t)rows * row_bytes);
        for (int r = 0; r < rows; r++) {
            gd_ggml_quantize(f->family, cols, W + (size_t)r * cols, b + (size_t)r * row_bytes);
            gd_ggml_dequantize(f->family, cols, b + (size_t)r * row_bytes, W + (size_t)r * cols);
        }
        if (blocks)
            *blocks = b;
        else
            free(b);
        return 0;
    }
    case GD_QF_MXFP4: {
        uint8_t *codes = es_xmalloc((size_t)cols), *sc = es_xmalloc((size_t)cols / 32);
        for (int r = 0; r < rows; r++) {
            gd_mxfp4_quantize(cols, W + (size_t)r * cols, codes, sc);
            gd_mxfp4_dequantize(cols, codes, sc, W + (size_t)r * cols);
        }
        free(codes), free(sc);
        return 0;
    }
    default:
        return 0; /* run-time formats: nothing to do to the stored fp32 */
    }
}

int gd_quant_dequant_weight(const gd_qformat *f, int rows, int cols, float *W, void **blocks, const char *name,
                            es_err *e)
{
    switch (f->family) {
    case GD_QF_GPTQ:
        return es_fail(e, "--quant %s: GPTQ needs calibration through the model (a Hessian per matrix)", f->name);
    case GD_QF_INT8:
    case GD_QF_LLM_INT8:
    case GD_QF_FP8:
        return es_fail(e, "--quant %s: activations are quantized at run time, not a weight-only format", f->name);
    default:
        return quant_matrix(f, rows, cols, name, W, NULL, 0, NULL, blocks, e);
    }
}

static void add_stats(gd_quant_stats *st, const gd_qformat *f, const mat *x)
{
    st->n_mats++;
    st->q_params += (int64_t)x->rows * x->cols;
    st->q_bytes += gd_quant_weight_bytes(f, x->rows, x->cols);
    st->fp32_bytes += 4 * (int64_t)x->rows * x->cols;
}

/* Quantize every block matrix; keep[i] (when keep is set) gets matrix i's
 * codes (GPTQ/RTN). */
static int quantize_all(gd_model *m, const gd_qformat *f, const gd_calib *cal, int act_order, gd_quant_stats *st,
                        mat *mats, int nm, gd_qweight *keep, es_err *e)
{
    memset(st, 0, sizeof *st);
    int64_t all = 0;
    for (int i = 0; i < m->n_w; i++)
        all += m->w[i].shape[0] * (m->w[i].ndim > 1 ? m->w[i].shape[1] : 1);
    for (int i = 0; i < nm; i++)
        add_stats(st, f, &mats[i]);
    st->other_bytes = 4 * (all - st->q_params);
    if (f->family == GD_QF_INT8 || f->family == GD_QF_LLM_INT8 || f->family == GD_QF_FP8) {
        m->qlinear = run_qlinear;
        m->qthreshold = 6.0f;
        if (f->family == GD_QF_INT8)
            m->qmode = QM_INT8;
        else if (f->family == GD_QF_LLM_INT8)
            m->qmode = QM_LLM_INT8;
        else
            m->qmode = QM_FP8 | (f->elem == GD_E5M2 ? 0x10 : 0) | (f->scope == GD_QS_TENSOR ? 0x20 : 0);
        return 0;
    }
    int gptq = f->family == GD_QF_GPTQ;
    /* ggml formats keep their blocks for the forward (ggml_linear) */
    ggml_weights *gw = NULL;
    if (f->family == GD_QF_Q8_0 || f->family == GD_QF_Q4_0 || f->family == GD_QF_Q4_K) {
        gd_model_quant_free(m);
        gw = es_xcalloc(1, sizeof *gw);
        gw->mats = es_xcalloc((size_t)nm, sizeof *gw->mats);
        m->qblocks = gw;
    }
    if (gptq && (!cal || cal->n == 0))
        return es_fail(e, "--quant %s: GPTQ needs calibration data (--calib SEED or --calib TOKEN-FILE)", f->name);
    for (int l = 0; l < (gptq ? m->c.n_layers : 1); l++) {
        hess_ctx h = {0};
        if (gptq) {
            for (int i = 0; i < nm; i++)
                if (mats[i].layer == l && h.n < 16) {
                    h.W[h.n] = mats[i].w->data;
                    h.in[h.n] = mats[i].cols;
                    h.H[h.n] = es_xcalloc((size_t)mats[i].cols * mats[i].cols, sizeof(double));
                    h.n++;
                }
            m->linear_hook = hess_hook;
            m->hook_ctx = &h;
            m->stop_after_layers = l + 1; /* layers past l do not reach its Hessians */
            int rc = calib_forward(m, cal, e);
            m->linear_hook = NULL;
            m->hook_ctx = NULL;
            m->stop_after_layers = 0;
            if (rc) {
                for (int i = 0; i < h.n; i++)
                    free(h.H[i]);
                return -1;
            }
            for (int i = 0; i < h.n; i++)
                gd_gptq_hessian_finish(h.in[i], h.rows[i], h.H[i]);
        }
        int rc = 0;
        for (int i = 0; rc == 0 && i < nm; i++) {
            if (gptq && mats[i].layer != l)
                continue;
            const double *H = NULL;
            for (int k = 0; k < h.n; k++)
                if (h.W[k] == mats[i].w->data)
                    H = h.H[k];
            float *W = to_linear(&mats[i]);
            void **blocks = NULL;
            if (gw) {
                gw->mats[gw->n].W = mats[i].w->data;
                blocks = &gw->mats[gw->n++].blocks;
            }
            rc = quant_matrix(f, mats[i].rows, mats[i].cols, mats[i].w->name, W, H, act_order, keep ? &keep[i] : NULL,
                              blocks, e);
            if (!rc)
                from_linear(&mats[i], W);
            free(W);
        }
        for (int i = 0; i < h.n; i++)
            free(h.H[i]);
        if (rc)
            return -1;
    }
    if (gw) {
        m->qlinear = run_qlinear;
        m->qmode = QM_GGML | (int)f->family << 4;
    }
    return 0;
}

int gd_model_quantize(gd_model *m, const gd_qformat *f, const gd_calib *cal, int act_order, gd_quant_stats *st,
                      es_err *e)
{
    mat *mats;
    int nm = block_mats(m, &mats);
    int rc = quantize_all(m, f, cal, act_order, st, mats, nm, NULL, e);
    free(mats);
    return rc;
}

/* ---- GPTQ checkpoints --------------------------------------------------------- */

static char *base_name(const char *name)
{
    char *b = es_xstrdup(name);
    size_t l = strlen(b);
    if (l > 7 && !strcmp(b + l - 7, ".weight"))
        b[l - 7] = 0;
    return b;
}

int gd_model_save_quantized(gd_model *m, const gd_qformat *f, const gd_calib *cal, int act_order, const char *path,
                            gd_quant_stats *st, es_err *e)
{
    if (f->family != GD_QF_GPTQ && f->family != GD_QF_RTN)
        return es_fail(e, "--quant %s: only gptq and rtn formats have a checkpoint layout (AutoGPTQ v1)", f->name);
    mat *mats;
    int nm = block_mats(m, &mats);
    gd_qweight *keep = es_xcalloc((size_t)(nm ? nm : 1), sizeof *keep);
    int rc = quantize_all(m, f, cal, act_order, st, mats, nm, keep, e);
    gd_gptq_packed *pk = es_xcalloc((size_t)(nm ? nm : 1), sizeof *pk);
    for (int i = 0; rc == 0 && i < nm; i++)
        if (gd_gptq_pack(&keep[i], &pk[i], e))
            rc = es_fail(e, "tensor '%s': %s", mats[i].w->name, e->msg);
    gd_st_write_entry *t = es_xcalloc((size_t)m->n_w + 3 * (size_t)nm, sizeof *t);
    const void **raw = es_xcalloc((size_t)m->n_w + 3 * (size_t)nm, sizeof *raw);
    char **names = es_xcalloc((size_t)4 * (nm ? nm : 1), sizeof *names);
    int nt = 0;
    for (int i = 0; rc == 0 && i < m->n_w; i++) {
        gd_weight *w = &m->w[i];
        int k = -1;
        for (int j = 0; j < nm; j++)
            if (mats[j].w == w)
                k = j;
        if (k < 0) {
            t[nt++] = (gd_st_write_entry){w->name, GD_ST_F32, w->ndim, {w->shape[0], w->shape[1]}, w->data};
            continue;
        }
        const gd_gptq_packed *p = &pk[k];
        char *b = base_name(w->name);
        static const char *sfx[4] = {"qweight", "qzeros", "scales", "g_idx"};
        for (int s = 0; s < 4; s++) {
            size_t len = strlen(b) + 10;
            names[4 * k + s] = es_xmalloc(len);
            snprintf(names[4 * k + s], len, "%s.%s", b, sfx[s]);
        }
        free(b);
        int kw = p->cols / 32 * p->bits, zw = p->rows / 32 * p->bits;
        raw[nt] = p->qweight;
        t[nt++] = (gd_st_write_entry){names[4 * k], GD_ST_I32, 2, {kw, p->rows}, NULL};
        raw[nt] = p->qzeros;
        t[nt++] = (gd_st_write_entry){names[4 * k + 1], GD_ST_I32, 2, {p->n_groups, zw}, NULL};
        raw[nt] = p->scales;
        t[nt++] = (gd_st_write_entry){names[4 * k + 2], GD_ST_F16, 2, {p->n_groups, p->rows}, NULL};
        raw[nt] = p->g_idx;
        t[nt++] = (gd_st_write_entry){names[4 * k + 3], GD_ST_I32, 1, {p->cols}, NULL};
    }
    if (rc == 0)
        rc = gd_st_write_raw(path, t, raw, nt, e);
    for (int i = 0; i < nm; i++) {
        gd_qweight_free(&keep[i]);
        gd_gptq_packed_free(&pk[i]);
        for (int s = 0; s < 4; s++)
            free(names[4 * i + s]);
    }
    free(keep), free(pk), free(t), free(raw), free(names), free(mats);
    return rc;
}

static const gd_st_tensor *packed_part(const gd_safetensors *st, const char *base, const char *sfx)
{
    char nm[256];
    snprintf(nm, sizeof nm, "%s.%s", base, sfx);
    return gd_st_find(st, nm);
}

int gd_gptq_is_packed(const gd_safetensors *st, const char *name)
{
    if (gd_st_find(st, name))
        return 0;
    char *b = base_name(name);
    int yes = packed_part(st, b, "qweight") != NULL;
    free(b);
    return yes;
}

static int check_part(const gd_safetensors *st, const gd_st_tensor *t, const char *base, const char *sfx,
                      gd_st_dtype dt, int ndim, int64_t d0, int64_t d1, es_err *e)
{
    if (!t)
        return es_fail(e, "%s: tensor '%s.%s' not found (a GPTQ-packed matrix needs qweight, qzeros, scales, g_idx)",
                       st->path, base, sfx);
    if (t->dtype != dt || t->ndim != ndim || t->shape[0] != d0 || (ndim == 2 && t->shape[1] != d1)) {
        char want[64];
        if (ndim == 2)
            snprintf(want, sizeof want, "[%lld, %lld]", (long long)d0, (long long)d1);
        else
            snprintf(want, sizeof want, "[%lld]", (long long)d0);
        return es_fail(e, "%s: tensor '%s': %s %s, expected %s %s", st->path, t->name, gd_st_dtype_name(t->dtype),
                       t->ndim == 2 ? "2-D" : t->ndim == 1 ? "1-D" : "N-D", gd_st_dtype_name(dt), want);
    }
    return 0;
}

int gd_gptq_read_f32(const gd_safetensors *st, const char *name, int conv1d, const int64_t *shape, float *out,
                     es_err *e)
{
    int rows = (int)(conv1d ? shape[1] : shape[0]), cols = (int)(conv1d ? shape[0] : shape[1]);
    char *b = base_name(name);
    const gd_st_tensor *qw = packed_part(st, b, "qweight"), *qz = packed_part(st, b, "qzeros"),
                       *sc = packed_part(st, b, "scales"), *gi = packed_part(st, b, "g_idx");
    int rc = -1;
    gd_gptq_packed p = {0};
    gd_qweight w = {0};
    if (qw->dtype != GD_ST_I32 || qw->ndim != 2 || qw->shape[1] != rows || cols % 32 ||
        (qw->shape[0] * 32) % cols) {
        es_fail(e, "%s: tensor '%s': %s shape [%lld, %lld]; expected I32 [%d*bits/32, %d] for a %d x %d matrix",
                st->path, qw->name, gd_st_dtype_name(qw->dtype), (long long)qw->shape[0],
                (long long)(qw->ndim > 1 ? qw->shape[1] : 0), cols, rows, rows, cols);
        goto out;
    }
    int bits = (int)(qw->shape[0] * 32 / cols);
    if (bits != 2 && bits != 3 && bits != 4 && bits != 8) {
        es_fail(e, "%s: tensor '%s': %lld rows for %d inputs means %d bits; expected 2, 3, 4 or 8", st->path, qw->name,
                (long long)qw->shape[0], cols, bits);
        goto out;
    }
    if (rows % 32) {
        es_fail(e, "%s: tensor '%s': %d outputs; expected a multiple of 32", st->path, qw->name, rows);
        goto out;
    }
    int64_t ng = sc && sc->ndim == 2 ? sc->shape[0] : 1;
    if (check_part(st, sc, b, "scales", GD_ST_F16, 2, ng, rows, e) ||
        check_part(st, qz, b, "qzeros", GD_ST_I32, 2, ng, (int64_t)rows / 32 * bits, e) ||
        check_part(st, gi, b, "g_idx", GD_ST_I32, 1, cols, 0, e))
        goto out;
    p.rows = rows, p.cols = cols, p.bits = bits, p.n_groups = (int)ng;
    p.qweight = (int32_t *)(st->data + qw->begin);
    p.qzeros = (int32_t *)(st->data + qz->begin);
    p.scales = (uint16_t *)(st->data + sc->begin);
    p.g_idx = (int32_t *)(st->data + gi->begin);
    char what[600];
    snprintf(what, sizeof what, "%s: tensor '%s'", st->path, qw->name);
    if (gd_gptq_unpack(&p, &w, what, e))
        goto out;
    float *W = es_xmalloc((size_t)rows * cols * sizeof *W);
    gd_qweight_dequant(&w, W);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            out[conv1d ? (size_t)c * rows + r : (size_t)r * cols + c] = W[(size_t)r * cols + c];
    free(W);
    gd_qweight_free(&w);
    rc = 0;
out:
    free(b);
    return rc;
}
