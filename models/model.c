/* models/model.c: load a model YAML (models/NAME.yaml) into md_model and
 * count its parameters.
 *
 * The schema is flat (one key per field, docs/models.md).  Every key is
 * checked against the allowed list; keys that do not apply to the chosen
 * family or positional encoding are errors too, so a model file never
 * carries a value that nothing reads.  Defaults exist only where the
 * architecture implies the value (n_kv_heads = n_heads, head_dim =
 * d_model / n_heads, the bias flags follow `bias`). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "golden/base/io.h"
#include "golden/base/yaml.h"
#include "models/models.h"

/* ---------------------------------------------------------------- enums */

typedef struct {
    const char *name;
    int value;
} kv;

static const kv FAMILIES[] = {{"gpt2", MD_FAM_GPT2}, {"bert", MD_FAM_BERT}, {"llama", MD_FAM_LLAMA},
                              {"t5", MD_FAM_T5},     {"trxl", MD_FAM_TRXL}, {"xlm", MD_FAM_XLM},
                              {"vit", MD_FAM_VIT},   {NULL, 0}};
static const kv ACTS[] = {{"gelu", MD_ACT_GELU}, {"gelu_tanh", MD_ACT_GELU_TANH},
                          {"swiglu", MD_ACT_SWIGLU}, {"relu", MD_ACT_RELU}, {NULL, 0}};
static const kv NORMS[] = {{"layernorm", MD_NORM_LAYERNORM}, {"rmsnorm", MD_NORM_RMSNORM}, {NULL, 0}};
static const kv NORMPOS[] = {{"pre", MD_NORMPOS_PRE}, {"post", MD_NORMPOS_POST}, {NULL, 0}};
static const kv POSS[] = {{"learned", MD_POS_LEARNED},
                          {"rope", MD_POS_ROPE},
                          {"sinusoidal", MD_POS_SINUSOIDAL},
                          {"relative_bucket", MD_POS_REL_BUCKET},
                          {"relative_xl", MD_POS_REL_XL},
                          {NULL, 0}};
static const kv HEADS[] = {{"none", MD_HEAD_NONE}, {"lm", MD_HEAD_LM}, {"pooler", MD_HEAD_POOLER},
                           {"classifier", MD_HEAD_CLASSIFIER}, {NULL, 0}};
static const kv ARCHS[] = {{"encoder", 0}, {"decoder", 1}, {NULL, 0}};
static const kv SCALINGS[] = {{"llama3", MD_ROPE_SCALING_LLAMA3}, {NULL, 0}};

static const char *kv_name(const kv *t, int v)
{
    for (; t->name; t++)
        if (t->value == v)
            return t->name;
    return "?";
}

/* Read an enum-valued key; an unknown value lists the valid ones. */
static int y_enum(const es_ynode *map, const char *key, int required, const kv *t, int *out, es_err *e)
{
    const char *s = NULL;
    if (es_y_str(map, key, required, &s, e))
        return -1;
    if (!s)
        return 0;
    char list[256] = "";
    size_t used = 0;
    for (const kv *p = t; p->name; p++) {
        if (!strcmp(p->name, s)) {
            *out = p->value;
            return 0;
        }
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", p->name);
    }
    return es_y_fail(es_y_get(map, key), e, "unknown value '%s'; expected one of: %s", s, list);
}

const char *md_family_name(md_family f) { return kv_name(FAMILIES, (int)f); }
const char *md_act_name(md_act a) { return kv_name(ACTS, (int)a); }
const char *md_norm_name(md_norm n) { return kv_name(NORMS, (int)n); }
const char *md_pos_name(md_pos p) { return kv_name(POSS, (int)p); }

/* ---------------------------------------------------------------- loading */

static const char *const KEYS[] = {
    "name", "family", "arch", "d_model", "n_layers", "n_heads", "n_kv_heads", "head_dim", "ffn_dim",
    "ffn_act", "vocab", "max_seq", "type_vocab", "norm", "norm_pos", "norm_eps", "embed_norm",
    "final_norm", "bias", "qkv_bias", "o_bias", "ffn_bias", "norm_bias", "pos", "rope_theta",
    "rope_scaling", "rel_buckets", "rel_max_distance", "attn_scaled", "tied_embeddings", "head",
    "head_bias", "adaptive_cutoffs", "adaptive_div", "image_size", "patch_size", "channels",
    "num_classes", "cls_token", NULL};
static const char *const SCALING_KEYS[] = {"type", "factor", "low_freq_factor", "high_freq_factor",
                                           "original_max_seq", NULL};

/* A key that only makes sense under some condition is an error otherwise. */
static int only_if(const es_ynode *root, const char *key, int allowed, const char *when, es_err *e)
{
    es_ynode *n = es_y_get(root, key);
    if (n && !allowed)
        return es_y_fail(n, e, "only allowed %s", when);
    return 0;
}

/* Largest accepted model size per key.  Far above any published model
 * (GPT-3: d_model 12288, 96 layers, vocab 50257) yet small enough that
 * parameter counts and Einsum sizes (products of a few of them with batch
 * and sequence) stay inside 64 bits. */
static int64_t size_limit(const char *key)
{
    if (!strcmp(key, "n_layers") || !strcmp(key, "n_heads") || !strcmp(key, "n_kv_heads"))
        return (int64_t)1 << 12;
    if (!strcmp(key, "vocab") || !strcmp(key, "max_seq") || !strcmp(key, "original_max_seq"))
        return (int64_t)1 << 24;
    return (int64_t)1 << 20;
}

static int y_pos_int(const es_ynode *map, const char *key, int required, int64_t *out, es_err *e)
{
    int64_t v = *out;
    if (es_y_int(map, key, required, &v, e))
        return -1;
    es_ynode *n = es_y_get(map, key);
    if (n && v <= 0)
        return es_y_fail(n, e, "expected a positive integer, got '%s'", n->value);
    if (n && v > size_limit(key))
        return es_y_fail(n, e, "expected a positive integer <= %lld, got '%s'", (long long)size_limit(key),
                         n->value);
    *out = v;
    return 0;
}

static int load_sizes(const es_ynode *r, md_model *m, es_err *e)
{
    int vit = m->family == MD_FAM_VIT;
    if (y_pos_int(r, "d_model", 1, &m->d_model, e) || y_pos_int(r, "n_layers", 1, &m->n_layers, e) ||
        y_pos_int(r, "n_heads", 1, &m->n_heads, e) || y_pos_int(r, "ffn_dim", 1, &m->ffn_dim, e) ||
        y_pos_int(r, "max_seq", !vit, &m->max_seq, e) || y_pos_int(r, "vocab", !vit, &m->vocab, e) ||
        only_if(r, "vocab", !vit, "for text models (family vit has no vocabulary)", e) ||
        only_if(r, "max_seq", !vit, "for text models (vit: image_size/patch_size)", e))
        return -1;
    m->n_kv_heads = m->n_heads;
    if (y_pos_int(r, "n_kv_heads", 0, &m->n_kv_heads, e))
        return -1;
    if (m->n_heads % m->n_kv_heads)
        return es_y_fail(es_y_get(r, "n_kv_heads"), e, "n_heads (%lld) must be a multiple of n_kv_heads",
                         (long long)m->n_heads);
    es_ynode *hd = es_y_get(r, "head_dim");
    if (!hd && m->d_model % m->n_heads)
        return es_y_fail(es_y_get(r, "n_heads"), e,
                         "d_model %lld is not a multiple of n_heads; give head_dim", (long long)m->d_model);
    m->head_dim = m->d_model / m->n_heads;
    if (y_pos_int(r, "head_dim", 0, &m->head_dim, e))
        return -1;
    m->type_vocab = 0;
    int64_t tv = 0;
    if (es_y_int(r, "type_vocab", 0, &tv, e))
        return -1;
    if (tv < 0)
        return es_y_fail(es_y_get(r, "type_vocab"), e, "expected an integer >= 0");
    m->type_vocab = tv;
    return 0;
}

static int load_norm_bias(const es_ynode *r, md_model *m, es_err *e)
{
    int v;
    if (y_enum(r, "norm", 1, NORMS, &v, e))
        return -1;
    m->norm = (md_norm)v;
    if (y_enum(r, "norm_pos", 1, NORMPOS, &v, e))
        return -1;
    m->norm_pos = (md_normpos)v;
    if (es_y_double(r, "norm_eps", 1, &m->norm_eps, e))
        return -1;
    if (!(m->norm_eps > 0))
        return es_y_fail(es_y_get(r, "norm_eps"), e, "expected a positive number");
    m->embed_norm = 0;
    m->final_norm = m->norm_pos == MD_NORMPOS_PRE;
    int bias = 0;
    if (es_y_bool(r, "embed_norm", 0, &m->embed_norm, e) || es_y_bool(r, "final_norm", 0, &m->final_norm, e) ||
        es_y_bool(r, "bias", 1, &bias, e))
        return -1;
    m->qkv_bias = m->o_bias = m->ffn_bias = bias;
    m->norm_bias = bias && m->norm == MD_NORM_LAYERNORM;
    if (es_y_bool(r, "qkv_bias", 0, &m->qkv_bias, e) || es_y_bool(r, "o_bias", 0, &m->o_bias, e) ||
        es_y_bool(r, "ffn_bias", 0, &m->ffn_bias, e) || es_y_bool(r, "norm_bias", 0, &m->norm_bias, e))
        return -1;
    if (m->norm == MD_NORM_RMSNORM && m->norm_bias)
        return es_y_fail(es_y_get(r, "norm_bias") ? es_y_get(r, "norm_bias") : es_y_get(r, "bias"), e,
                         "rmsnorm has no bias; set norm_bias: false");
    return 0;
}

static int load_rope_scaling(const es_ynode *r, md_model *m, es_err *e)
{
    es_ynode *s = es_y_get(r, "rope_scaling");
    m->rope_scaling = MD_ROPE_SCALING_NONE;
    if (!s)
        return 0;
    if (es_y_expect(s, ES_Y_MAP, e) || es_y_check_keys(s, SCALING_KEYS, e))
        return -1;
    int v;
    if (y_enum(s, "type", 1, SCALINGS, &v, e))
        return -1;
    m->rope_scaling = (md_rope_scaling)v;
    if (es_y_double(s, "factor", 1, &m->rope_factor, e) ||
        es_y_double(s, "low_freq_factor", 1, &m->rope_low_freq_factor, e) ||
        es_y_double(s, "high_freq_factor", 1, &m->rope_high_freq_factor, e) ||
        y_pos_int(s, "original_max_seq", 1, &m->rope_original_max_seq, e))
        return -1;
    if (!(m->rope_factor > 0) || !(m->rope_low_freq_factor > 0) ||
        !(m->rope_high_freq_factor > m->rope_low_freq_factor))
        return es_y_fail(s, e, "expected factor > 0 and high_freq_factor > low_freq_factor > 0");
    return 0;
}

static int load_pos(const es_ynode *r, md_model *m, es_err *e)
{
    int v;
    if (y_enum(r, "pos", 1, POSS, &v, e))
        return -1;
    m->pos = (md_pos)v;
    int rope = m->pos == MD_POS_ROPE, bucket = m->pos == MD_POS_REL_BUCKET;
    if (only_if(r, "rope_theta", rope, "with pos: rope", e) ||
        only_if(r, "rope_scaling", rope, "with pos: rope", e) ||
        only_if(r, "rel_buckets", bucket, "with pos: relative_bucket", e) ||
        only_if(r, "rel_max_distance", bucket, "with pos: relative_bucket", e))
        return -1;
    if (rope) {
        if (es_y_double(r, "rope_theta", 1, &m->rope_theta, e))
            return -1;
        if (!(m->rope_theta > 0))
            return es_y_fail(es_y_get(r, "rope_theta"), e, "expected a positive number");
        if (m->head_dim % 2)
            return es_y_fail(es_y_get(r, "pos"), e, "rope needs an even head_dim (got %lld)",
                             (long long)m->head_dim);
        if (load_rope_scaling(r, m, e))
            return -1;
    }
    if (bucket && (y_pos_int(r, "rel_buckets", 1, &m->rel_buckets, e) ||
                   y_pos_int(r, "rel_max_distance", 1, &m->rel_max_distance, e)))
        return -1;
    m->attn_scaled = 1;
    return es_y_bool(r, "attn_scaled", 0, &m->attn_scaled, e);
}

static int load_adaptive(const es_ynode *r, md_model *m, es_err *e)
{
    es_ynode *c = es_y_get(r, "adaptive_cutoffs");
    if (only_if(r, "adaptive_div", c != NULL, "together with adaptive_cutoffs", e))
        return -1;
    if (!c)
        return 0;
    if (es_y_expect(c, ES_Y_SEQ, e))
        return -1;
    if (c->n == 0 || c->n > MD_MAX_CUTOFFS)
        return es_y_fail(c, e, "expected 1 to %d cutoffs", MD_MAX_CUTOFFS);
    int64_t prev = 0;
    for (size_t i = 0; i < c->n; i++) {
        int64_t v;
        if (es_y_as_int(c->items[i], &v, e))
            return -1;
        if (v <= prev || v >= m->vocab)
            return es_y_fail(c->items[i], e, "cutoffs must increase strictly and stay below vocab (%lld)",
                             (long long)m->vocab);
        m->cutoffs[i] = prev = v;
    }
    m->n_cutoffs = (int)c->n;
    if (y_pos_int(r, "adaptive_div", 1, &m->adaptive_div, e))
        return -1;
    int64_t dim = m->d_model;
    for (int i = 0; i < m->n_cutoffs; i++)
        dim /= m->adaptive_div;
    if (dim < 1)
        return es_y_fail(es_y_get(r, "adaptive_div"), e, "the last cluster's embedding size is below 1");
    return 0;
}

static int load_head(const es_ynode *r, md_model *m, es_err *e)
{
    int v, vit = m->family == MD_FAM_VIT;
    if (y_enum(r, "head", 1, HEADS, &v, e))
        return -1;
    m->head = (md_head)v;
    int lm = m->head == MD_HEAD_LM, cls = m->head == MD_HEAD_CLASSIFIER;
    if (only_if(r, "tied_embeddings", lm, "with head: lm", e) ||
        only_if(r, "head_bias", lm || cls, "with head: lm or classifier", e) ||
        only_if(r, "num_classes", cls, "with head: classifier", e))
        return -1;
    if (lm && es_y_bool(r, "tied_embeddings", 1, &m->tied_embeddings, e))
        return -1;
    if ((lm || cls) && es_y_bool(r, "head_bias", 0, &m->head_bias, e))
        return -1;
    if (lm && vit)
        return es_y_fail(es_y_get(r, "head"), e, "family vit has no vocabulary for an lm head");
    if (cls && y_pos_int(r, "num_classes", 1, &m->num_classes, e))
        return -1;
    if (load_adaptive(r, m, e))
        return -1;
    if (m->n_cutoffs && !(lm && m->tied_embeddings))
        return es_y_fail(es_y_get(r, "adaptive_cutoffs"), e,
                         "adaptive embeddings are only modelled with a tied lm head");
    return 0;
}

static int load_vit(const es_ynode *r, md_model *m, es_err *e)
{
    int vit = m->family == MD_FAM_VIT;
    const char *w = "with family: vit";
    if (only_if(r, "image_size", vit, w, e) || only_if(r, "patch_size", vit, w, e) ||
        only_if(r, "channels", vit, w, e) || only_if(r, "cls_token", vit, w, e))
        return -1;
    if (!vit)
        return 0;
    if (y_pos_int(r, "image_size", 1, &m->image_size, e) || y_pos_int(r, "patch_size", 1, &m->patch_size, e) ||
        y_pos_int(r, "channels", 1, &m->channels, e) || es_y_bool(r, "cls_token", 1, &m->cls_token, e))
        return -1;
    if (m->image_size % m->patch_size)
        return es_y_fail(es_y_get(r, "patch_size"), e, "image_size %lld is not a multiple of patch_size",
                         (long long)m->image_size);
    m->max_seq = md_vit_tokens(m);
    return 0;
}

static int load_root(const es_ynode *r, md_model *m, es_err *e)
{
    if (es_y_expect(r, ES_Y_MAP, e) || es_y_check_keys(r, KEYS, e))
        return -1;
    const char *name = NULL;
    if (es_y_str(r, "name", 1, &name, e))
        return -1;
    if (strlen(name) >= MD_NAME_MAX)
        return es_y_fail(es_y_get(r, "name"), e, "name longer than %d characters", MD_NAME_MAX - 1);
    snprintf(m->name, sizeof m->name, "%s", name);
    int v;
    if (y_enum(r, "family", 1, FAMILIES, &v, e))
        return -1;
    m->family = (md_family)v;
    if (y_enum(r, "arch", 1, ARCHS, &m->causal, e) || load_sizes(r, m, e))
        return -1;
    if (y_enum(r, "ffn_act", 1, ACTS, &v, e))
        return -1;
    m->ffn_act = (md_act)v;
    return load_norm_bias(r, m, e) || load_pos(r, m, e) || load_head(r, m, e) || load_vit(r, m, e) ? -1 : 0;
}

static int read_model(const es_ynode *root, void *out, es_err *e)
{
    md_model *m = out;
    memset(m, 0, sizeof *m);
    snprintf(m->file, sizeof m->file, "%s", root->file);
    return load_root(root, m, e);
}

int md_model_parse(const char *name, const char *text, md_model *m, es_err *e)
{
    return es_yaml_read_string(name, text, read_model, m, e);
}

int md_model_load(const char *name_or_path, md_model *m, es_err *e)
{
    return es_yaml_read_bundled("models", name_or_path, read_model, m, e);
}

/* ------------------------------------------------------------ parameters */

static int64_t norm_params(const md_model *m)
{
    return m->d_model * (m->norm_bias ? 2 : 1);
}

int64_t md_vit_tokens(const md_model *m)
{
    if (m->family != MD_FAM_VIT || m->patch_size <= 0)
        return 0;
    int64_t side = m->image_size / m->patch_size;
    return side * side + (m->cls_token ? 1 : 0);
}

int64_t md_layer_params(const md_model *m)
{
    int64_t d = m->d_model, q = m->n_heads * m->head_dim, kvd = m->n_kv_heads * m->head_dim;
    int64_t p = 2 * norm_params(m);
    p += d * q + (m->qkv_bias ? q : 0);             /* q_proj */
    p += 2 * (d * kvd + (m->qkv_bias ? kvd : 0));   /* k_proj, v_proj */
    p += q * d + (m->o_bias ? d : 0);               /* o_proj */
    int mats = m->ffn_act == MD_ACT_SWIGLU ? 2 : 1; /* up (+ gate) */
    p += mats * (d * m->ffn_dim + (m->ffn_bias ? m->ffn_dim : 0));
    p += m->ffn_dim * d + (m->ffn_bias ? d : 0);    /* down */
    if (m->pos == MD_POS_REL_XL)                    /* r_proj (no bias) + r_w_bias, r_r_bias */
        p += d * q + 2 * q;
    return p;
}

/* Token embedding; adaptive: cluster i has d_model/div^i columns and a
 * projection to d_model (Baevski & Auli 2019, as in the TrXL release). */
static int64_t token_embed_params(const md_model *m)
{
    if (m->family == MD_FAM_VIT)
        return 0;
    if (!m->n_cutoffs)
        return m->vocab * m->d_model;
    int64_t p = 0, lo = 0, dim = m->d_model;
    for (int i = 0; i <= m->n_cutoffs; i++) {
        int64_t hi = i < m->n_cutoffs ? m->cutoffs[i] : m->vocab;
        p += (hi - lo) * dim + dim * m->d_model;
        lo = hi;
        dim /= m->adaptive_div;
    }
    return p;
}

static int64_t embed_params(const md_model *m)
{
    int64_t d = m->d_model, p = token_embed_params(m);
    if (m->family == MD_FAM_VIT) {
        int64_t patch = m->channels * m->patch_size * m->patch_size;
        p += patch * d + d + (m->cls_token ? d : 0);
    }
    if (m->pos == MD_POS_LEARNED)
        p += (m->family == MD_FAM_VIT ? md_vit_tokens(m) : m->max_seq) * d;
    if (m->pos == MD_POS_REL_BUCKET) /* one bias table, shared by the layers of the stack */
        p += m->rel_buckets * m->n_heads;
    p += m->type_vocab * d;
    if (m->embed_norm)
        p += norm_params(m);
    return p;
}

static int64_t head_params(const md_model *m)
{
    int64_t d = m->d_model;
    switch (m->head) {
    case MD_HEAD_LM: {
        int64_t p = (m->tied_embeddings ? 0 : m->vocab * d) + (m->head_bias ? m->vocab : 0);
        if (m->n_cutoffs) /* adaptive softmax: cluster logits, and cluster 0's projection is
                           * not tied in the released wt103 model (tie_projs[0] = false) */
            p += m->n_cutoffs * d + m->n_cutoffs + d * d;
        return p;
    }
    case MD_HEAD_POOLER:
        return d * d + d;
    case MD_HEAD_CLASSIFIER:
        return d * m->num_classes + (m->head_bias ? m->num_classes : 0);
    case MD_HEAD_NONE:
        break;
    }
    return 0;
}

int64_t md_model_params(const md_model *m)
{
    return embed_params(m) + m->n_layers * md_layer_params(m) + (m->final_norm ? norm_params(m) : 0) +
           head_params(m);
}

/* ---------------------------------------------------------------- printing */

/* The model in the file schema, every field explicit (so a user sees what
 * the defaults resolved to); md_model_parse reads it back unchanged. */
void md_model_write(FILE *fp, const md_model *m)
{
    fprintf(fp, "name: %s\nfamily: %s\narch: %s\n", m->name, md_family_name(m->family),
            m->causal ? "decoder" : "encoder");
    fprintf(fp, "d_model: %lld\nn_layers: %lld\nn_heads: %lld\nn_kv_heads: %lld\nhead_dim: %lld\n",
            (long long)m->d_model, (long long)m->n_layers, (long long)m->n_heads, (long long)m->n_kv_heads,
            (long long)m->head_dim);
    fprintf(fp, "ffn_dim: %lld\nffn_act: %s\n", (long long)m->ffn_dim, md_act_name(m->ffn_act));
    if (m->family != MD_FAM_VIT)
        fprintf(fp, "vocab: %lld\nmax_seq: %lld\n", (long long)m->vocab, (long long)m->max_seq);
    fprintf(fp, "type_vocab: %lld\nnorm: %s\nnorm_pos: %s\nnorm_eps: %.17g\n", (long long)m->type_vocab,
            md_norm_name(m->norm), kv_name(NORMPOS, (int)m->norm_pos), m->norm_eps);
    fprintf(fp, "embed_norm: %s\nfinal_norm: %s\n", m->embed_norm ? "true" : "false",
            m->final_norm ? "true" : "false");
    fprintf(fp, "bias: false\nqkv_bias: %s\no_bias: %s\nffn_bias: %s\nnorm_bias: %s\n", m->qkv_bias ? "true" : "false",
            m->o_bias ? "true" : "false", m->ffn_bias ? "true" : "false", m->norm_bias ? "true" : "false");
    fprintf(fp, "pos: %s\nattn_scaled: %s\n", md_pos_name(m->pos), m->attn_scaled ? "true" : "false");
    if (m->pos == MD_POS_ROPE)
        fprintf(fp, "rope_theta: %.17g\n", m->rope_theta);
    if (m->rope_scaling == MD_ROPE_SCALING_LLAMA3)
        fprintf(fp,
                "rope_scaling:\n  type: llama3\n  factor: %.17g\n  low_freq_factor: %.17g\n"
                "  high_freq_factor: %.17g\n  original_max_seq: %lld\n",
                m->rope_factor, m->rope_low_freq_factor, m->rope_high_freq_factor,
                (long long)m->rope_original_max_seq);
    if (m->pos == MD_POS_REL_BUCKET)
        fprintf(fp, "rel_buckets: %lld\nrel_max_distance: %lld\n", (long long)m->rel_buckets,
                (long long)m->rel_max_distance);
    fprintf(fp, "head: %s\n", kv_name(HEADS, (int)m->head));
    if (m->head == MD_HEAD_LM)
        fprintf(fp, "tied_embeddings: %s\n", m->tied_embeddings ? "true" : "false");
    if (m->head == MD_HEAD_LM || m->head == MD_HEAD_CLASSIFIER)
        fprintf(fp, "head_bias: %s\n", m->head_bias ? "true" : "false");
    if (m->head == MD_HEAD_CLASSIFIER)
        fprintf(fp, "num_classes: %lld\n", (long long)m->num_classes);
    if (m->n_cutoffs) {
        fprintf(fp, "adaptive_cutoffs: [");
        for (int i = 0; i < m->n_cutoffs; i++)
            fprintf(fp, "%s%lld", i ? ", " : "", (long long)m->cutoffs[i]);
        fprintf(fp, "]\nadaptive_div: %lld\n", (long long)m->adaptive_div);
    }
    if (m->family == MD_FAM_VIT)
        fprintf(fp, "image_size: %lld\npatch_size: %lld\nchannels: %lld\ncls_token: %s\n", (long long)m->image_size,
                (long long)m->patch_size, (long long)m->channels, m->cls_token ? "true" : "false");
}
