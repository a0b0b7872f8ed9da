/* models/expand.c: model + run options -> workload (a list of cascade
 * instances with concrete rank sizes, DESIGN §2).
 *
 * Layers of a model are identical, so a layer is expanded once and, at
 * scope model, every layer instance stands for n_layers layers (`layers`)
 * and its repeat count is multiplied by n_layers.  Batch and heads are not
 * ranks: they go into the repeat count.  A variable-length batch gives one
 * attention instance per distinct length (repeat = requests of that length x
 * heads); linear and elementwise instances run over the packed token count,
 * with no padding.  Rank letters are the contract with mapper/cascades
 * (docs/models.md): attention e f m p m0 (+ s for split decode); linear
 * t k n; activations t s; norms and residual t d. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "golden/quant.h"
#include "models/models.h"

/* Decode steps of a whole batch stay below this many distinct cache
 * lengths, so a typo like --gen 1e9 is an error, not an OOM. */
#define MD_MAX_INST 1000000
/* Lengths and decode steps stay far from int64 limits (2^48 tokens). */
#define MD_MAX_LEN (INT64_C(1) << 48)

void md_run_init(md_run *r)
{
    memset(r, 0, sizeof *r);
    r->phase = MD_PHASE_PREFILL;
    r->scope = MD_SCOPE_MODEL;
    r->batch = 1;
    r->gen = 1;
    r->attention = "attention-1pass";
    r->m0 = 256;
    r->splits = 1;
    r->elem_bytes = 2;
}

const char *md_phase_name(md_phase p) { return p == MD_PHASE_DECODE ? "decode" : "prefill"; }

const char *md_scope_name(md_scope s)
{
    return s == MD_SCOPE_ATTENTION ? "attention" : s == MD_SCOPE_LAYER ? "layer" : "model";
}

int md_phase_parse(const char *s, md_phase *p, es_err *e)
{
    if (!strcmp(s, "prefill"))
        *p = MD_PHASE_PREFILL;
    else if (!strcmp(s, "decode"))
        *p = MD_PHASE_DECODE;
    else
        return es_fail(e, "unknown phase '%s'; expected prefill or decode", s);
    return 0;
}

int md_scope_parse(const char *s, md_scope *sc, es_err *e)
{
    if (!strcmp(s, "attention"))
        *sc = MD_SCOPE_ATTENTION;
    else if (!strcmp(s, "layer"))
        *sc = MD_SCOPE_LAYER;
    else if (!strcmp(s, "model"))
        *sc = MD_SCOPE_MODEL;
    else
        return es_fail(e, "unknown scope '%s'; expected attention, layer or model", s);
    return 0;
}

/* ------------------------------------------------------------ building */

typedef struct {
    const md_model *m;
    const md_run *r;
    md_workload *w;
    es_err *e;
    int overflow;        /* set by mul() */
    int failed;          /* a linear's weight storage failed; e holds why */
    const char *part;    /* part of the instances being added */
    int64_t layers;      /* layers they stand for */
    const gd_qformat *quant; /* linear weights' storage format (NULL: word size) */
} ctx;

static int64_t sum(ctx *c, int64_t a, int64_t b)
{
    int64_t p;
    if (__builtin_add_overflow(a, b, &p)) {
        c->overflow = 1;
        return 0;
    }
    return p;
}

static int64_t mul(ctx *c, int64_t a, int64_t b)
{
    int64_t p;
    if (__builtin_mul_overflow(a, b, &p)) {
        c->overflow = 1;
        return 0;
    }
    return p;
}

/* Append an instance; ranks are given as "name", size pairs ending in NULL. */
static md_inst *add(ctx *c, const char *cascade, const char *name, int64_t repeat, ...)
{
    md_workload *w = c->w;
    if (w->n_inst == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 32;
        w->inst = es_xrealloc(w->inst, (size_t)w->cap * sizeof *w->inst);
    }
    md_inst *in = &w->inst[w->n_inst++];
    memset(in, 0, sizeof *in);
    snprintf(in->cascade, sizeof in->cascade, "%s", cascade);
    snprintf(in->name, sizeof in->name, "%s", name);
    snprintf(in->part, sizeof in->part, "%s", c->part);
    in->layers = c->layers;
    in->repeat = mul(c, repeat, c->layers);
    va_list ap;
    va_start(ap, repeat);
    const char *rk;
    while ((rk = va_arg(ap, const char *)) != NULL && in->n_ranks < MD_MAX_RANKS) {
        md_rank *k = &in->ranks[in->n_ranks++];
        snprintf(k->name, sizeof k->name, "%s", rk);
        k->size = va_arg(ap, int64_t);
    }
    va_end(ap);
    return in;
}

/* Y[n,t] = X[k,t] * W[k,n] (+ bias[n]). */
static void linear(ctx *c, const char *name, int64_t t, int64_t k, int64_t n, int bias, int64_t repeat)
{
    md_inst *in = add(c, "linear", name, repeat, "t", t, "k", k, "n", n, (const char *)NULL);
    in->macs = mul(c, mul(c, t, k), n);
    in->weights = mul(c, k, n) + (bias ? n : 0);
    in->out_elems = mul(c, t, n);
    /* --sparsity prunes the block linears only, as golden's does (not the
     * embeddings, the LM head or a classifier) */
    const char *sp = !strcmp(c->part, "layer") ? c->r->sparsity : "";
    if ((c->quant || sp[0]) && k > 0 && n > 0 && !c->failed) {
        /* W is nn.Linear's [out x in] = [n x k]: groups and 2:4 run along k */
        md_wstore ws;
        if (md_weight_store(c->r->quant, sp, name, n, k, &ws, c->e)) {
            c->failed = 1;
            return;
        }
        double nk = (double)n * (double)k;
        if (c->quant) { /* the value width is the format's: every byte known here */
            in->weight_elem_bytes = (double)md_wstore_bytes(&ws, 0) / nk;
            snprintf(in->format, sizeof in->format, "%s", c->quant->name);
        }
        if (sp[0]) {
            in->weight_kept = (double)ws.kept / nk;
            in->weight_side_bytes = (double)ws.side_bytes / nk;
            snprintf(in->sparsity, sizeof in->sparsity, "%s", sp);
            md_sparsity_pattern(sp, in->sparse_pattern, sizeof in->sparse_pattern);
        }
    }
}

/* Elementwise instance over [t, x]: norms and residual (x = d), activations (x = s). */
static void elementwise(ctx *c, const char *cascade, const char *name, const char *xr, int64_t t, int64_t x,
                        int64_t weights, int64_t repeat)
{
    md_inst *in = add(c, cascade, name, repeat, "t", t, xr, x, (const char *)NULL);
    in->elems = in->out_elems = mul(c, t, x);
    in->weights = weights;
}

static void norm(ctx *c, const char *name, int64_t t, int64_t repeat)
{
    const md_model *m = c->m;
    int ln = m->norm == MD_NORM_LAYERNORM;
    elementwise(c, ln ? "layernorm" : "rmsnorm", name, "d", t, m->d_model,
                m->d_model * (m->norm_bias ? 2 : 1), repeat);
}

static void residual(ctx *c, const char *name, int64_t t, int64_t repeat)
{
    elementwise(c, "residual", name, "d", t, c->m->d_model, 0, repeat);
}

/* ----------------------------------------------------------- attention */

/* Distinct values and how often each occurs (sorted ascending). */
typedef struct {
    int64_t len, count;
} lenc;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int group(int64_t *v, size_t n, lenc **out)
{
    qsort(v, n, sizeof *v, cmp_i64);
    *out = es_xmalloc((n ? n : 1) * sizeof **out);
    int k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && (*out)[k - 1].len == v[i])
            (*out)[k - 1].count++;
        else
            (*out)[k++] = (lenc){v[i], 1};
    }
    return k;
}

static void attention_instance(ctx *c, int64_t m_len, int64_t p_len, int64_t requests)
{
    const md_model *m = c->m;
    const md_run *r = c->r;
    int64_t hd = m->head_dim, m0 = r->m0 < m_len ? r->m0 : m_len;
    int64_t repeat = mul(c, requests, m->n_heads);
    /* Decode with grouped-query attention: the G = n_heads / n_kv_heads query
     * heads of a group attend to the same K and V, so one instance per KV head
     * takes them as its G queries (p = G) and the cache is read once per KV
     * head, not once per query head.  MACs are unchanged. */
    int64_t group = 1;
    if (r->phase == MD_PHASE_DECODE && m->n_kv_heads > 0 && m->n_kv_heads < m->n_heads &&
        m->n_heads % m->n_kv_heads == 0) {
        group = m->n_heads / m->n_kv_heads;
        repeat = mul(c, requests, m->n_kv_heads);
        p_len = group;
    }
    md_inst *in;
    if (r->phase == MD_PHASE_PREFILL)
        in = add(c, r->attention, "attention", repeat, "e", hd, "f", hd, "m", m_len, "p", p_len, "m0", m0,
                 (const char *)NULL);
    else if (r->splits > 1)
        in = add(c, "attention-decode-split", "attention", repeat, "e", hd, "f", hd, "m", m_len, "p", p_len,
                 "m0", m0, "s", r->splits, (const char *)NULL);
    else
        in = add(c, "attention-decode", "attention", repeat, "e", hd, "f", hd, "m", m_len, "p", p_len, "m0",
                 m0, (const char *)NULL);
    /* QK (e*m*p) and AV (f*m*p), dense: a causal mask does not remove work here */
    in->macs = mul(c, mul(c, 2 * hd, m_len), p_len);
    in->out_elems = mul(c, hd, p_len);
    in->causal = m->causal && r->phase == MD_PHASE_PREFILL;
}

/* Per-request lengths (prefill: tokens; decode: cache before the first step). */
static int request_lengths(ctx *c, int64_t **out, int64_t *n)
{
    const md_run *r = c->r;
    if (r->n_seqs > 0) {
        if (r->batch != 1 && r->batch != r->n_seqs)
            return es_fail(c->e, "batch %lld disagrees with the %d sequence lengths given",
                           (long long)r->batch, r->n_seqs);
        *n = r->n_seqs;
        *out = es_xmalloc((size_t)*n * sizeof **out);
        memcpy(*out, r->seqs, (size_t)*n * sizeof **out);
    } else {
        int64_t len = r->seq ? r->seq : r->prompt ? r->prompt : md_vit_tokens(c->m);
        if (len <= 0)
            return es_fail(c->e, "no sequence length: give seq, seqs or prompt");
        *n = r->batch;
        *out = es_xmalloc((size_t)*n * sizeof **out);
        for (int64_t i = 0; i < *n; i++)
            (*out)[i] = len;
    }
    for (int64_t i = 0; i < *n; i++)
        if ((*out)[i] <= 0 || (*out)[i] > MD_MAX_LEN)
            return es_fail(c->e, "sequence length %lld of request %lld: expected 1 to 2^48",
                           (long long)(*out)[i], (long long)i);
    /* A ViT's token count is fixed by its image geometry. */
    const md_model *m = c->m;
    for (int64_t i = 0; m->family == MD_FAM_VIT && i < *n; i++)
        if ((*out)[i] != md_vit_tokens(m))
            return es_fail(c->e,
                           "model %s: a %lldx%lld image in %lldx%lld patches%s is %lld tokens, the request has %lld; leave "
                           "the length out or give %lld",
                           m->name, (long long)m->image_size, (long long)m->image_size, (long long)m->patch_size,
                           (long long)m->patch_size,
                           m->cls_token ? " plus a class token" : "", (long long)md_vit_tokens(m),
                           (long long)(*out)[i], (long long)md_vit_tokens(m));
    return 0;
}

/* Attention of one layer over every request: one instance per distinct
 * (query count, key count). */
static int attention(ctx *c, const int64_t *len, int64_t n)
{
    int64_t steps = c->r->phase == MD_PHASE_DECODE ? c->r->gen : 1;
    if (n * steps > MD_MAX_INST)
        return es_fail(c->e, "%lld requests x %lld decode steps: more than %d attention shapes",
                       (long long)n, (long long)steps, MD_MAX_INST);
    int64_t *keys = es_xmalloc((size_t)(n * steps) * sizeof *keys);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < steps; j++) /* decode step j: cache holds len + j, plus the new token */
            keys[i * steps + j] = c->r->phase == MD_PHASE_DECODE ? len[i] + j + 1 : len[i];
    lenc *g;
    int k = group(keys, (size_t)(n * steps), &g);
    for (int i = 0; i < k; i++)
        attention_instance(c, g[i].len, c->r->phase == MD_PHASE_DECODE ? 1 : g[i].len, g[i].count);
    free(g);
    free(keys);
    return 0;
}

/* --------------------------------------------------------------- layers */

static void ffn(ctx *c, int64_t t, int64_t repeat)
{
    const md_model *m = c->m;
    int64_t d = m->d_model, s = m->ffn_dim;
    linear(c, "ffn_up", t, d, s, m->ffn_bias, repeat);
    if (m->ffn_act == MD_ACT_SWIGLU)
        linear(c, "ffn_gate", t, d, s, m->ffn_bias, repeat);
    const char *act = m->ffn_act == MD_ACT_SWIGLU ? "ffn-swiglu" : m->ffn_act == MD_ACT_RELU ? "ffn-relu"
                                                                                              : "ffn-gelu";
    elementwise(c, act, "ffn_act", "s", t, s, 0, repeat);
    linear(c, "ffn_down", t, s, d, m->ffn_bias, repeat);
}

/* One transformer layer in execution order; t tokens per execution,
 * repeated `repeat` times (decode steps). */
static int layer(ctx *c, const int64_t *len, int64_t n, int64_t t, int64_t repeat)
{
    const md_model *m = c->m;
    int64_t d = m->d_model, q = m->n_heads * m->head_dim, kvd = m->n_kv_heads * m->head_dim;
    int pre = m->norm_pos == MD_NORMPOS_PRE;
    if (pre)
        norm(c, "norm_attn", t, repeat);
    linear(c, "q_proj", t, d, q, m->qkv_bias, repeat);
    linear(c, "k_proj", t, d, kvd, m->qkv_bias, repeat);
    linear(c, "v_proj", t, d, kvd, m->qkv_bias, repeat);
    if (attention(c, len, n))
        return -1;
    linear(c, "o_proj", t, q, d, m->o_bias, repeat);
    residual(c, "residual_attn", t, repeat);
    if (!pre)
        norm(c, "norm_attn", t, repeat);
    if (pre)
        norm(c, "norm_ffn", t, repeat);
    ffn(c, t, repeat);
    residual(c, "residual_ffn", t, repeat);
    if (!pre)
        norm(c, "norm_ffn", t, repeat);
    return 0;
}

/* Embedding side: the gathers themselves are not cascades (no MACs); what
 * is computed on them is. */
static void embed(ctx *c, int64_t n, int64_t t, int64_t repeat)
{
    const md_model *m = c->m;
    c->part = "embed";
    if (m->family == MD_FAM_VIT) {
        int64_t patches = m->cls_token ? t - n : t;
        linear(c, "patch_embed", patches, m->channels * m->patch_size * m->patch_size, m->d_model, 1, repeat);
    }
    if (m->pos == MD_POS_LEARNED || m->pos == MD_POS_SINUSOIDAL)
        residual(c, "pos_add", t, repeat);
    if (m->type_vocab)
        residual(c, "type_add", t, repeat);
    if (m->embed_norm)
        norm(c, "norm_embed", t, repeat);
}

/* Adaptive softmax (Transformer-XL): a head cluster over the frequent
 * tokens plus one logit per tail cluster, and per tail a projection to its
 * smaller embedding then its logits; all clusters are evaluated. */
static void adaptive_head(ctx *c, int64_t t, int64_t repeat)
{
    const md_model *m = c->m;
    int64_t d = m->d_model, dim = d;
    linear(c, "lm_head", t, d, m->cutoffs[0] + m->n_cutoffs, 1, repeat);
    for (int i = 0; i < m->n_cutoffs; i++) {
        int64_t hi = i + 1 < m->n_cutoffs ? m->cutoffs[i + 1] : m->vocab;
        char nm[32];
        dim /= m->adaptive_div;
        snprintf(nm, sizeof nm, "lm_tail%d_proj", i + 1);
        linear(c, nm, t, d, dim, 0, repeat);
        snprintf(nm, sizeof nm, "lm_tail%d", i + 1);
        linear(c, nm, t, dim, hi - m->cutoffs[i], 1, repeat);
    }
}

/* Final norm and head.  t_all: tokens; n: requests.  A decoder in prefill
 * needs logits for the last token of each request only (the next token);
 * an encoder's lm head (MLM) scores every token; pooler and classifier read
 * the first token of each request. */
static void head(ctx *c, int64_t n, int64_t t_all, int64_t repeat)
{
    const md_model *m = c->m;
    c->part = "head";
    if (m->final_norm)
        norm(c, "norm_final", t_all, repeat);
    int64_t t_lm = m->causal ? n : t_all;
    switch (m->head) {
    case MD_HEAD_LM:
        if (m->n_cutoffs)
            adaptive_head(c, t_lm, repeat);
        else
            linear(c, "lm_head", t_lm, m->d_model, m->vocab, m->head_bias, repeat);
        break;
    case MD_HEAD_POOLER:
        linear(c, "pooler", n, m->d_model, m->d_model, 1, repeat);
        break;
    case MD_HEAD_CLASSIFIER:
        linear(c, "classifier", n, m->d_model, m->num_classes, m->head_bias, repeat);
        break;
    case MD_HEAD_NONE:
        break;
    }
}

/* ---------------------------------------------------------------- totals */

static void totals(ctx *c, const int64_t *len, int64_t n)
{
    const md_model *m = c->m;
    md_workload *w = c->w;
    md_totals *tt = &w->tot;
    int64_t eb = c->r->elem_bytes, cached = 0;
    tt->params = md_model_params(m);
    for (int i = 0; i < w->n_inst; i++) {
        const md_inst *in = &w->inst[i];
        tt->scope_params = sum(c, tt->scope_params, mul(c, in->weights, in->layers));
        tt->macs = sum(c, tt->macs, mul(c, in->macs, in->repeat));
        tt->elem_ops = sum(c, tt->elem_ops, mul(c, in->elems, in->repeat));
        tt->act_bytes = sum(c, tt->act_bytes, mul(c, mul(c, in->out_elems, in->repeat), eb));
    }
    for (int64_t i = 0; i < n; i++)
        cached = sum(c, cached, len[i] + (c->r->phase == MD_PHASE_DECODE ? c->r->gen : 0));
    int64_t layers = c->r->scope == MD_SCOPE_MODEL ? m->n_layers : 1;
    tt->weight_bytes = mul(c, tt->scope_params, eb);
    tt->kv_bytes = mul(c, mul(c, mul(c, 2 * layers, m->n_kv_heads * m->head_dim), cached), eb);
}

static int check_run(const md_model *m, const md_run *r, es_err *e)
{
    if (r->phase == MD_PHASE_DECODE && !m->causal)
        return es_fail(e, "model %s is an encoder (arch: encoder); decode needs a decoder", m->name);
    if (r->batch < 1)
        return es_fail(e, "batch %lld: expected a positive integer", (long long)r->batch);
    if (r->phase == MD_PHASE_DECODE && (r->gen < 1 || r->gen > MD_MAX_LEN))
        return es_fail(e, "gen %lld: expected 1 to 2^48", (long long)r->gen);
    if (r->m0 < 1 || r->splits < 1 || r->elem_bytes < 1)
        return es_fail(e, "m0, splits and elem_bytes must be positive integers");
    if (!r->attention || !r->attention[0] || strlen(r->attention) >= sizeof(((md_inst *)0)->cascade))
        return es_fail(e, "attention cascade name missing or too long");
    if (r->seq < 0 || r->prompt < 0 || r->n_seqs < 0)
        return es_fail(e, "seq and prompt must not be negative");
    return 0;
}

int md_expand(const md_model *m, const md_run *r, md_workload *w, es_err *e)
{
    memset(w, 0, sizeof *w);
    snprintf(w->model, sizeof w->model, "%s", m->name);
    w->phase = r->phase;
    w->scope = r->scope;
    if (check_run(m, r, e))
        return -1;
    ctx c = {.m = m, .r = r, .w = w, .e = e, .part = "layer", .layers = 1};
    gd_qformat qf;
    if (r->quant[0]) {
        if (gd_qformat_parse(r->quant, &qf, e))
            return -1;
        c.quant = &qf;
    }
    if (r->sparsity[0] && md_sparsity_check(r->sparsity, e))
        return -1;
    int64_t *len = NULL, n = 0;
    if (request_lengths(&c, &len, &n)) {
        free(len);
        return -1;
    }
    w->batch = n;
    int decode = r->phase == MD_PHASE_DECODE;
    int64_t t = 0, steps = decode ? r->gen : 1;
    for (int64_t i = 0; i < n; i++)
        t = sum(&c, t, decode ? 1 : len[i]);
    w->tot.tokens = mul(&c, t, steps);
    int rc = 0;
    if (r->scope == MD_SCOPE_ATTENTION) {
        rc = attention(&c, len, n);
    } else if (r->scope == MD_SCOPE_LAYER) {
        rc = layer(&c, len, n, t, steps);
    } else {
        embed(&c, n, t, steps);
        c.part = "layer";
        c.layers = m->n_layers;
        rc = layer(&c, len, n, t, steps);
        c.layers = 1;
        if (!rc)
            head(&c, n, t, steps);
    }
    if (!rc)
        totals(&c, len, n);
    free(len);
    if (!rc && c.failed)
        rc = -1;
    if (!rc && c.overflow)
        rc = es_fail(e, "workload of model %s is too large: a count overflows 64 bits", m->name);
    return rc;
}

void md_workload_free(md_workload *w)
{
    free(w->inst);
    w->inst = NULL;
    w->n_inst = w->cap = 0;
}

int64_t md_inst_rank(const md_inst *in, const char *rank)
{
    for (int i = 0; i < in->n_ranks; i++)
        if (!strcmp(in->ranks[i].name, rank))
            return in->ranks[i].size;
    return -1;
}

void md_workload_write(FILE *fp, const md_workload *w)
{
    fprintf(fp, "workload model=%s phase=%s scope=%s batch=%lld instances=%d\n", w->model,
            md_phase_name(w->phase), md_scope_name(w->scope), (long long)w->batch, w->n_inst);
    for (int i = 0; i < w->n_inst; i++) {
        const md_inst *in = &w->inst[i];
        fprintf(fp, "inst %s name=%s part=%s layers=%lld repeat=%lld ranks=", in->cascade, in->name, in->part,
                (long long)in->layers, (long long)in->repeat);
        for (int k = 0; k < in->n_ranks; k++)
            fprintf(fp, "%s%s=%lld", k ? "," : "", in->ranks[k].name, (long long)in->ranks[k].size);
        fprintf(fp, " causal=%d macs=%lld elems=%lld weights=%lld out=%lld\n", in->causal, (long long)in->macs,
                (long long)in->elems, (long long)in->weights, (long long)in->out_elems);
    }
    const md_totals *t = &w->tot;
    fprintf(fp,
            "total params=%lld scope_params=%lld macs=%lld elem_ops=%lld tokens=%lld weight_bytes=%lld "
            "act_bytes=%lld kv_bytes=%lld\n",
            (long long)t->params, (long long)t->scope_params, (long long)t->macs, (long long)t->elem_ops,
            (long long)t->tokens, (long long)t->weight_bytes, (long long)t->act_bytes, (long long)t->kv_bytes);
}
