/* mapper/cascade_golden.c: golden references for `einsim cascade run`, and the
 * elementwise comparison of the interpreter's output with them.
 *
 * A cascade names its reference with `golden KIND`; each kind fixes the
 * names and ranks of the tensors it reads (listed in docs/cascades.md) and
 * computes the output with golden kernels, independently of the cascade:
 *   attention         AV[f,p] from Q[e,p], K[e,m], V[f,m]   gd_attention_naive, scale 1
 *   attention-causal  same + MASK[m,p] (causal, q_offset = M - P)
 *   attention-gqa     AV[h,g,f,p] from Q[e,h,g,p], K[e,h,m], V[f,h,m]  gd_attention_mh
 *   linear            Y[n,t] = X[k,t] W[k,n]                  gd_gemm_ref
 *   linear-int8       Y[n,t] from X[k,t], WQ[k,n] (int8), SW[n]: LLM.int8()-style
 *                     per-token absmax quantization, exact integer products
 *   gelu, relu        Y[t,s] = gelu_erf(H[t,s]) / relu(H[t,s])
 *   swiglu            Y[t,s] = silu(HG[t,s]) * HU[t,s]
 *   layernorm         Y[t,d] from X[t,d], G[d], B[d], eps 1e-5  gd_layernorm
 *   rmsnorm           Y[t,d] from X[t,d], G[d], eps 1e-5         gd_rmsnorm
 *   residual          Y[t,d] = X[t,d] + R[t,d]
 *   layer-gpt2        Y[t,d]: one pre-norm GPT-2 block (causal, gelu_tanh)
 *   layer-bert        Y[t,d]: one post-norm BERT layer (bidirectional, gelu erf)
 * Tensors are moved between the cascade's rank order and the kernels'
 * row-major layouts by rank name (permute()). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/rng.h"
#include "golden/kernels.h"
#include "mapper/cascade.h"

const char *cas_golden_kinds(void)
{
    return "attention attention-causal attention-gqa linear linear-int8 gelu relu swiglu layernorm rmsnorm "
           "residual layer-gpt2 layer-bert";
}

/* ---- layouts ---------------------------------------------------------------
 * permute(v, T, "p,e", buf, dir): dir 0 copies tensor T (its own rank order)
 * into buf laid out row-major over the listed ranks; dir 1 copies back.
 * The listed names must be T's ranks (or ranks declared `like` them). */
static int same_rank(const cas_cascade *c, int a, int b)
{
    return a == b || c->rank[a].like == b || c->rank[b].like == a;
}

static int permute(const cas_env *v, const char *tname, const char *order, float *buf, int dir, es_err *e)
{
    const cas_cascade *c = v->c;
    int t = cas_tensor_find(c, tname);
    if (t < 0)
        return es_fail(e, "%s: golden %s needs a tensor '%s'", c->file, c->golden, tname);
    const cas_tensor *T = &c->tensor[t];
    int map[CAS_MAX_TRANKS], n = 0; /* map[i] = tensor position of listed rank i */
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%s", order);
    char *save = NULL;
    for (char *tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int r = cas_rank_find(c, tok), pos = -1;
        for (int i = 0; r >= 0 && i < T->nranks; i++)
            if (same_rank(c, T->rank[i], r))
                pos = i;
        if (pos < 0 || n >= CAS_MAX_TRANKS)
            return es_fail(e, "%s: golden %s needs tensor %s over ranks [%s]", c->file, c->golden, tname, order);
        map[n++] = pos;
    }
    if (n != T->nranks || T->iter_pos >= 0)
        return es_fail(e, "%s: golden %s needs tensor %s over ranks [%s]", c->file, c->golden, tname, order);
    int64_t ext[CAS_MAX_TRANKS], stride[CAS_MAX_TRANKS], k[CAS_MAX_TRANKS] = {0};
    for (int i = T->nranks - 1, s = 1; i >= 0; i--) {
        ext[i] = cas_extent(c, t, i);
        stride[i] = s;
        s *= (int)ext[i];
    }
    int64_t total = v->n[t];
    float *data = v->data[t];
    for (int64_t j = 0; j < total; j++) {
        /* j walks buf in listed order; k holds the listed coordinates */
        int64_t off = 0;
        for (int i = 0; i < n; i++)
            off += k[i] * stride[map[i]];
        if (dir == 0)
            buf[j] = data[off];
        else
            data[off] = buf[j];
        for (int i = n - 1; i >= 0 && ++k[i] == ext[map[i]]; i--)
            k[i] = 0;
    }
    return 0;
}

static float *take(const cas_env *v, const char *tname, const char *order, es_err *e)
{
    int t = cas_tensor_find(v->c, tname);
    if (t < 0) {
        es_fail(e, "%s: golden %s needs a tensor '%s'", v->c->file, v->c->golden, tname);
        return NULL;
    }
    float *buf = es_xmalloc(sizeof(float) * (size_t)v->n[t]);
    if (permute(v, tname, order, buf, 0, e)) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int size_of(const cas_env *v, const char *rank)
{
    int r = cas_rank_find(v->c, rank);
    return r < 0 ? 0 : (int)v->c->rank[r].size;
}

/* Write buf (row-major over order) into `out` laid out like tensor oname. */
static int give(const cas_env *v, const char *oname, const char *order, float *buf, float *out, es_err *e)
{
    int t = cas_tensor_find(v->c, oname);
    if (t < 0)
        return es_fail(e, "%s: golden %s: no output tensor %s", v->c->file, v->c->golden, oname);
    /* permute into a scratch env slot: reuse permute's logic on a shallow copy */
    cas_env tmp = *v;
    tmp.data[t] = out;
    return permute(&tmp, oname, order, buf, 1, e);
}

/* ---- kinds ----------------------------------------------------------------- */

#define NEED(x) \
    do {        \
        if (!(x)) \
            goto fail; \
    } while (0)

static int ref_attention(const cas_env *v, const char *oname, float *out, int causal, es_err *e)
{
    int P = size_of(v, "p"), M = size_of(v, "m"), E = size_of(v, "e"), F = size_of(v, "f");
    float *q = NULL, *k = NULL, *vv = NULL, *o = es_xcalloc((size_t)P * F, sizeof(float));
    int rc = -1;
    NEED(q = take(v, "Q", "p,e", e));
    NEED(k = take(v, "K", "m,e", e));
    NEED(vv = take(v, "V", "m,f", e));
    gd_attn_shape s = {.n_q = P, .n_k = M, .d = E, .dv = F, .scale = 1.0f, .causal = causal, .q_offset = M - P};
    gd_attention_naive(&s, q, k, vv, o);
    rc = give(v, oname, "p,f", o, out, e);
fail:
    free(q), free(k), free(vv), free(o);
    return rc;
}

static int ref_attention_gqa(const cas_env *v, const char *oname, float *out, es_err *e)
{
    int P = size_of(v, "p"), M = size_of(v, "m"), E = size_of(v, "e"), F = size_of(v, "f");
    int H = size_of(v, "h"), G = size_of(v, "g");
    float *q = NULL, *k = NULL, *vv = NULL, *o = es_xcalloc((size_t)P * H * G * F, sizeof(float));
    int rc = -1;
    /* query head h*G+g uses kv head h: gd_attention_mh's grouping */
    NEED(q = take(v, "Q", "p,h,g,e", e));
    NEED(k = take(v, "K", "m,h,e", e));
    NEED(vv = take(v, "V", "m,h,f", e));
    gd_attn_shape s = {.n_q = P, .n_k = M, .d = E, .dv = F, .scale = 1.0f, .q_offset = M - P};
    gd_attention_mh(&s, H * G, H, q, k, vv, o, 0);
    rc = give(v, oname, "p,h,g,f", o, out, e);
fail:
    free(q), free(k), free(vv), free(o);
    return rc;
}

static int ref_linear(const cas_env *v, const char *oname, float *out, es_err *e)
{
    int T = size_of(v, "t"), K = size_of(v, "k"), N = size_of(v, "n");
    float *x = NULL, *w = NULL, *y = es_xcalloc((size_t)T * N, sizeof(float));
    int rc = -1;
    NEED(x = take(v, "X", "t,k", e));
    NEED(w = take(v, "W", "k,n", e));
    gd_gemm_ref(T, N, K, x, w, y, 0);
    rc = give(v, oname, "t,n", y, out, e);
fail:
    free(x), free(w), free(y);
    return rc;
}

static float q8(float x, float s)
{
    float q = s == 0.0f ? 0.0f : rintf(x / s);
    return q > 127.0f ? 127.0f : q < -127.0f ? -127.0f : q;
}

static int ref_linear_int8(const cas_env *v, const char *oname, float *out, es_err *e)
{
    int T = size_of(v, "t"), K = size_of(v, "k"), N = size_of(v, "n");
    float *x = NULL, *w = NULL, *sw = NULL, *y = es_xcalloc((size_t)T * N, sizeof(float));
    int rc = -1;
    NEED(x = take(v, "X", "t,k", e));
    NEED(w = take(v, "WQ", "k,n", e));
    NEED(sw = take(v, "SW", "n", e));
    for (int t = 0; t < T; t++) {
        float amax = 0;
        for (int k = 0; k < K; k++)
            amax = fmaxf(amax, fabsf(x[t * K + k]));
        float sx = amax / 127.0f;
        for (int n = 0; n < N; n++) {
            int64_t acc = 0; /* exact integer accumulation */
            for (int k = 0; k < K; k++)
                acc += (int64_t)q8(x[t * K + k], sx) * (int64_t)w[k * N + n];
            y[t * N + n] = (float)acc * (sx * sw[n]);
        }
    }
    rc = give(v, oname, "t,n", y, out, e);
fail:
    free(x), free(w), free(sw), free(y);
    return rc;
}

static void add_bias(float *y, const float *b, int rows, int n)
{
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < n; j++)
            y[(size_t)i * n + j] += b[j];
}

/* Elementwise activations over [t, s]: gelu (erf), relu, swiglu. */
static int ref_act(const cas_env *v, const char *oname, float *out, const char *kind, es_err *e)
{
    int T = size_of(v, "t"), S = size_of(v, "s");
    float *h = NULL, *u = NULL;
    int rc = -1;
    int swiglu = !strcmp(kind, "swiglu");
    NEED(h = take(v, swiglu ? "HG" : "H", "t,s", e));
    if (swiglu)
        NEED(u = take(v, "HU", "t,s", e));
    for (size_t i = 0; i < (size_t)T * S; i++)
        h[i] = swiglu ? gd_silu(h[i]) * u[i] : !strcmp(kind, "gelu") ? gd_gelu_erf(h[i]) : (h[i] > 0 ? h[i] : 0.0f);
    rc = give(v, oname, "t,s", h, out, e);
fail:
    free(h), free(u);
    return rc;
}

static int ref_norm(const cas_env *v, const char *oname, float *out, int rms, es_err *e)
{
    int T = size_of(v, "t"), D = size_of(v, "d");
    float *x = NULL, *g = NULL, *b = NULL, *y = es_xcalloc((size_t)T * D, sizeof(float));
    int rc = -1;
    NEED(x = take(v, "X", "t,d", e));
    NEED(g = take(v, "G", "d", e));
    if (rms)
        gd_rmsnorm(T, D, x, g, 1e-5f, y);
    else {
        NEED(b = take(v, "B", "d", e));
        gd_layernorm(T, D, x, g, b, 1e-5f, y);
    }
    rc = give(v, oname, "t,d", y, out, e);
fail:
    free(x), free(g), free(b), free(y);
    return rc;
}

static int ref_residual(const cas_env *v, const char *oname, float *out, es_err *e)
{
    int T = size_of(v, "t"), D = size_of(v, "d");
    float *x = NULL, *r = NULL;
    int rc = -1;
    NEED(x = take(v, "X", "t,d", e));
    NEED(r = take(v, "R", "t,d", e));
    for (size_t i = 0; i < (size_t)T * D; i++)
        x[i] += r[i];
    rc = give(v, oname, "t,d", x, out, e);
fail:
    free(x), free(r);
    return rc;
}

/* One transformer block from golden kernels.  GPT-2 (pre-norm, causal,
 * tanh GELU): r = x + attn(ln1(x)); y = r + mlp(ln2(r)).  BERT (post-norm,
 * bidirectional, erf GELU): r = ln1(x + attn(x)); y = ln2(r + mlp(r)). */
static int ref_layer(const cas_env *v, const char *oname, float *out, int bert, es_err *e)
{
    int T = size_of(v, "t"), D = size_of(v, "d"), H = size_of(v, "h"), E = size_of(v, "e"), S = size_of(v, "s");
    int HE = H * E;
    enum { X, G1, B1N, WQ, BQ, WK, BK, WV, BV, WO, BO, G2, B2N, W1, B1, W2, B2, NW };
    static const char *nm[NW][2] = {
        {"X", "t,d"},      {"LN1G", "d"},     {"LN1B", "d"}, {"WQ", "d,h,e"}, {"BQ", "h,e"},   {"WK", "d,h,e"},
        {"BK", "h,e"},     {"WV", "d,h,f"},   {"BV", "h,f"}, {"WO", "h,f,d"}, {"BO", "d"},     {"LN2G", "d"},
        {"LN2B", "d"},     {"W1", "d,s"},     {"B1", "s"},   {"W2", "s,d"},   {"B2", "d"},
    };
    float *w[NW] = {0};
    int rc = -1;
    float *xn = es_xcalloc((size_t)T * D, sizeof(float)), *q = es_xcalloc((size_t)T * HE, sizeof(float));
    float *k = es_xcalloc((size_t)T * HE, sizeof(float)), *vv = es_xcalloc((size_t)T * HE, sizeof(float));
    float *a = es_xcalloc((size_t)T * HE, sizeof(float)), *r = es_xcalloc((size_t)T * D, sizeof(float));
    float *h = es_xcalloc((size_t)T * S, sizeof(float)), *y = es_xcalloc((size_t)T * D, sizeof(float));
    if (size_of(v, "f") != E) {
        es_fail(e, "%s: golden %s needs f = e", v->c->file, v->c->golden);
        goto fail;
    }
    for (int i = 0; i < NW; i++)
        NEED(w[i] = take(v, nm[i][0], nm[i][1], e));
    const float *ain = w[X]; /* attention input */
    if (!bert) {
        gd_layernorm(T, D, w[X], w[G1], w[B1N], 1e-5f, xn);
        ain = xn;
    }
    gd_gemm_ref(T, HE, D, ain, w[WQ], q, 0);
    gd_gemm_ref(T, HE, D, ain, w[WK], k, 0);
    gd_gemm_ref(T, HE, D, ain, w[WV], vv, 0);
    add_bias(q, w[BQ], T, HE);
    add_bias(k, w[BK], T, HE);
    add_bias(vv, w[BV], T, HE);
    gd_attn_shape s = {.n_q = T, .n_k = T, .d = E, .dv = E, .scale = 1.0f / sqrtf((float)E), .causal = !bert};
    gd_attention_mh(&s, H, H, q, k, vv, a, 0);
    gd_gemm_ref(T, D, HE, a, w[WO], r, 0);
    add_bias(r, w[BO], T, D);
    for (size_t i = 0; i < (size_t)T * D; i++)
        r[i] += w[X][i];
    if (bert)
        gd_layernorm(T, D, r, w[G1], w[B1N], 1e-5f, r); /* in place is allowed (kernels.h) */
    gd_layernorm(T, D, r, w[G2], w[B2N], 1e-5f, xn);
    gd_gemm_ref(T, S, D, bert ? r : xn, w[W1], h, 0);
    add_bias(h, w[B1], T, S);
    for (size_t i = 0; i < (size_t)T * S; i++)
        h[i] = bert ? gd_gelu_erf(h[i]) : gd_gelu_tanh(h[i]);
    gd_gemm_ref(T, D, S, h, w[W2], y, 0);
    add_bias(y, w[B2], T, D);
    for (size_t i = 0; i < (size_t)T * D; i++)
        y[i] += r[i];
    if (bert)
        gd_layernorm(T, D, y, w[G2], w[B2N], 1e-5f, y);
    rc = give(v, oname, "t,d", y, out, e);
fail:
    for (int i = 0; i < NW; i++)
        free(w[i]);
    free(xn), free(q), free(k), free(vv), free(a), free(r), free(h), free(y);
    return rc;
}

int cas_golden(const cas_env *v, const char *oname, float *out, es_err *e)
{
    const char *g = v->c->golden;
    if (!g[0])
        return es_fail(e, "%s: cascade %s has no 'golden KIND' line, so there is nothing to compare with",
                       v->c->file, v->c->name);
    if (!strcmp(g, "attention"))
        return ref_attention(v, oname, out, 0, e);
    if (!strcmp(g, "attention-causal"))
        return ref_attention(v, oname, out, 1, e);
    if (!strcmp(g, "attention-gqa"))
        return ref_attention_gqa(v, oname, out, e);
    if (!strcmp(g, "linear"))
        return ref_linear(v, oname, out, e);
    if (!strcmp(g, "linear-int8"))
        return ref_linear_int8(v, oname, out, e);
    if (!strcmp(g, "gelu") || !strcmp(g, "swiglu") || !strcmp(g, "relu"))
        return ref_act(v, oname, out, g, e);
    if (!strcmp(g, "layernorm"))
        return ref_norm(v, oname, out, 0, e);
    if (!strcmp(g, "rmsnorm"))
        return ref_norm(v, oname, out, 1, e);
    if (!strcmp(g, "residual"))
        return ref_residual(v, oname, out, e);
    if (!strcmp(g, "layer-gpt2") || !strcmp(g, "layer-bert"))
        return ref_layer(v, oname, out, !strcmp(g, "layer-bert"), e);
    return es_fail(e, "%s: unknown golden kind '%s' (known: %s)", v->c->file, g, cas_golden_kinds());
}

/* ---- inputs ----------------------------------------------------------------- */

static void fill_causal(cas_env *v, int t)
{
    /* MASK[m,p]: key m visible to query p when m <= p + (M - P) */
    const cas_cascade *c = v->c;
    const cas_tensor *T = &c->tensor[t];
    int64_t M = cas_extent(c, t, 0), P = cas_extent(c, t, 1);
    int m_first = 1;
    if (T->nranks == 2 && (!strcmp(c->rank[T->rank[0]].name, "p") || !strcmp(c->rank[T->rank[0]].name, "t")))
        m_first = 0, M = cas_extent(c, t, 1), P = cas_extent(c, t, 0);
    for (int64_t m = 0; m < M; m++)
        for (int64_t p = 0; p < P; p++)
            v->data[t][m_first ? m * P + p : p * M + m] = m <= p + (M - P) ? 0.0f : -INFINITY;
}

/* N:M sparsity along position pos: in every group of M consecutive indices
 * keep the N largest magnitudes (magnitude pruning), zero the rest. */
static void apply_nm(cas_env *v, int t, int pos)
{
    const cas_cascade *c = v->c;
    const cas_sparse *sp = &c->tensor[t].sparse[pos];
    int64_t inner = 1, outer = 1, ext = cas_extent(c, t, pos);
    for (int i = pos + 1; i < c->tensor[t].nranks; i++)
        inner *= cas_extent(c, t, i);
    for (int i = 0; i < pos; i++)
        outer *= cas_extent(c, t, i);
    float *d = v->data[t];
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++)
            for (int64_t g = 0; g < ext; g += sp->nm_m) {
                int64_t len = ext - g < sp->nm_m ? ext - g : sp->nm_m;
                float *base = d + o * ext * inner + g * inner + in;
                /* zero the smallest len - N entries, one at a time (M <= 64) */
                for (int64_t z = 0; z < len - sp->nm_n; z++) {
                    int64_t arg = -1;
                    for (int64_t j = 0; j < len; j++) {
                        float a = fabsf(base[j * inner]);
                        if (base[j * inner] != 0.0f && (arg < 0 || a < fabsf(base[arg * inner])))
                            arg = j;
                    }
                    if (arg >= 0)
                        base[arg * inner] = 0.0f;
                }
            }
}

int cas_fill_inputs(cas_env *v, uint64_t seed, es_err *e)
{
    const cas_cascade *c = v->c;
    es_rng rng;
    es_rng_seed(&rng, seed);
    for (int t = 0; t < c->ntensors; t++) {
        const cas_tensor *T = &c->tensor[t];
        if (T->kind != CAS_T_INPUT)
            continue;
        float *d = v->data[t];
        int64_t n = v->n[t];
        const char *nm = T->name;
        if (!strcmp(nm, "MASK")) {
            if (T->nranks != 2)
                return es_fail_at(e, c->file, T->loc.line, T->loc.col, "MASK must have two ranks (keys, queries)");
            fill_causal(v, t);
        } else if (!strcmp(T->format, "int8")) {
            for (int64_t i = 0; i < n; i++)
                d[i] = (float)((int)es_rng_below(&rng, 255) - 127);
        } else if (nm[0] == 'S' && T->nranks == 1) { /* scales SW[n]: small, positive */
            for (int64_t i = 0; i < n; i++)
                d[i] = 0.002f + 0.01f * es_rng_float(&rng);
        } else if (strstr(nm, "G") == nm + strlen(nm) - 1 && T->nranks == 1) { /* norm gains */
            for (int64_t i = 0; i < n; i++)
                d[i] = 1.0f + 0.1f * (float)es_rng_normal(&rng);
        } else {
            /* weights scaled by 1/sqrt(fan-in) keep activations O(1) */
            float sc = 1.0f;
            if (nm[0] == 'W' && T->nranks >= 2)
                sc = 1.0f / sqrtf((float)cas_extent(c, t, 0));
            for (int64_t i = 0; i < n; i++)
                d[i] = sc * (float)es_rng_normal(&rng);
        }
        for (int pos = 0; pos < T->nranks; pos++)
            if (T->sparse[pos].nm_m)
                apply_nm(v, t, pos);
    }
    return 0;
}

/* ---- interpreter vs golden ------------------------------------------------ */
int cas_golden_compare(const cas_env *v, double rtol, double atol, cas_golden_cmp *r, es_err *e)
{
    const cas_cascade *c = v->c;
    memset(r, 0, sizeof *r);
    r->out = -1;
    for (int t = 0; t < c->ntensors; t++)
        if (c->tensor[t].kind == CAS_T_OUTPUT && r->out < 0)
            r->out = t;
    if (r->out < 0)
        return es_fail(e, "%s: cascade %s declares no output", c->file, c->name);
    int64_t n = r->n = v->n[r->out];
    float *ref = es_xcalloc((size_t)n, sizeof(float));
    if (cas_golden(v, c->tensor[r->out].name, ref, e)) {
        free(ref);
        return -1;
    }
    const float *got = v->data[r->out];
    for (int64_t i = 0; i < n; i++) {
        double g = got[i], rf = ref[i];
        if (!isfinite(g) || !isfinite(rf)) {
            r->nonfinite += !(g == rf);
            continue;
        }
        double d = fabs(g - rf);
        double rel = d / fmax(fabs(rf), 1e-30);
        if (d > r->max_abs)
            r->max_abs = d;
        if (fabs(rf) > atol && rel > r->max_rel)
            r->max_rel = rel;
        double lim = atol + rtol * fabs(rf);
        if (d > lim)
            r->bad++;
    }
    r->pass = r->bad == 0 && r->nonfinite == 0;
    free(ref);
    return 0;
}
