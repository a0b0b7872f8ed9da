/* golden/model.c: GPT-2, BERT and Llama forward passes; see model.h. */
#include "golden/model.h"

#include <cJSON.h>
#include <cblas.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/io.h"
#include "golden/base/json.h"
#include "golden/base/rng.h"
#include "golden/kernels.h"
#include "golden/quant.h"
#include "golden/safetensors.h"

#define INIT_STD 0.02

const char *gd_family_name(gd_family f)
{
    return f == GD_FAM_GPT2 ? "gpt2" : f == GD_FAM_BERT ? "bert" : f == GD_FAM_LLAMA ? "llama" : "?";
}

void gd_config_default(gd_config *c, gd_family f)
{
    memset(c, 0, sizeof *c);
    c->family = f;
    c->n_layers = 12;
    c->d_model = 768;
    c->n_heads = c->n_kv_heads = 12;
    c->head_dim = 64;
    c->ffn_dim = 3072;
    c->rope_theta = 10000.0;
    switch (f) {
    case GD_FAM_GPT2:
        c->vocab = 50257, c->max_seq = 1024, c->norm_eps = 1e-5f, c->tied = 1;
        break;
    case GD_FAM_BERT:
        c->vocab = 30522, c->max_seq = 512, c->type_vocab = 2, c->norm_eps = 1e-12f;
        break;
    case GD_FAM_LLAMA:
        c->vocab = 32000, c->max_seq = 2048, c->norm_eps = 1e-5f, c->n_kv_heads = 4;
        c->ffn_dim = 2048;
        break;
    }
}

int gd_out_dim(const gd_config *c) { return c->family == GD_FAM_BERT ? c->d_model : c->vocab; }

int gd_config_check(const gd_config *c, es_err *e)
{
    const struct {
        const char *name;
        int v;
    } pos[] = {{"vocab", c->vocab},     {"d_model", c->d_model}, {"n_layers", c->n_layers},
               {"n_heads", c->n_heads}, {"n_kv_heads", c->n_kv_heads}, {"head_dim", c->head_dim},
               {"ffn_dim", c->ffn_dim}, {"max_seq", c->max_seq}};
    for (size_t i = 0; i < sizeof pos / sizeof pos[0]; i++)
        if (pos[i].v <= 0)
            return es_fail(e, "golden %s config: %s must be positive, got %d", gd_family_name(c->family),
                           pos[i].name, pos[i].v);
    if (c->family != GD_FAM_LLAMA && (c->n_kv_heads != c->n_heads || c->n_heads * c->head_dim != c->d_model))
        return es_fail(e, "golden %s config: needs n_kv_heads == n_heads and n_heads * head_dim == d_model "
                          "(%d heads x %d != %d)",
                       gd_family_name(c->family), c->n_heads, c->head_dim, c->d_model);
    if (c->n_heads % c->n_kv_heads)
        return es_fail(e, "golden config: n_heads (%d) must be a multiple of n_kv_heads (%d)", c->n_heads,
                       c->n_kv_heads);
    if (c->family == GD_FAM_LLAMA && c->head_dim % 2)
        return es_fail(e, "golden llama config: head_dim (%d) must be even for RoPE", c->head_dim);
    if (c->family == GD_FAM_BERT && c->type_vocab <= 0)
        return es_fail(e, "golden bert config: type_vocab must be positive, got %d", c->type_vocab);
    if (!(c->norm_eps >= 0))
        return es_fail(e, "golden config: norm_eps must be >= 0");
    if (c->family == GD_FAM_LLAMA && !(c->rope_theta > 0))
        return es_fail(e, "golden llama config: rope_theta must be positive");
    /* Every weight must be addressable with an int row count times width. */
    double big = (double)c->vocab * c->d_model;
    if (big > 2e9 || (double)c->ffn_dim * c->d_model > 2e9)
        return es_fail(e, "golden config: a weight matrix exceeds 2e9 elements");
    return 0;
}

/* ---- config.json -------------------------------------------------------- */
/* What a wrong-typed value is, for messages. */
static const char *js_what(const cJSON *v)
{
    return cJSON_IsNumber(v) ? "a number" : cJSON_IsString(v) ? "a string" : cJSON_IsBool(v) ? "a boolean"
         : cJSON_IsArray(v) ? "an array" : cJSON_IsObject(v) ? "an object" : "null";
}

static int js_int(const cJSON *o, const char *path, const char *key, int dflt, int required, int *out, es_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v)) {
        if (required)
            return es_fail(e, "%s: missing key '%s'", path, key);
        *out = dflt;
        return 0;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || fabs(v->valuedouble) > 2e9)
        return es_fail(e, "%s: key '%s': expected an integer, got %s", path, key, js_what(v));
    *out = (int)v->valuedouble;
    return 0;
}

/* A number in [lo, hi] (es_json_parse already refused non-finite ones). */
static int js_num(const cJSON *o, const char *path, const char *key, double dflt, double lo, double hi, double *out,
                  es_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v)) {
        *out = dflt;
        return 0;
    }
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi))
        return es_fail(e, "%s: key '%s': expected a number in [%g, %g], got %s", path, key, lo, hi, js_what(v));
    *out = v->valuedouble;
    return 0;
}

/* An optional true/false (absent or null: false). */
static int js_bool(const cJSON *o, const char *path, const char *key, int *out, es_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (v && !cJSON_IsBool(v) && !cJSON_IsNull(v))
        return es_fail(e, "%s: key '%s': expected true or false, got %s", path, key, js_what(v));
    *out = cJSON_IsTrue(v);
    return 0;
}

static int js_act(const cJSON *o, const char *path, const char *key, const char *want, es_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (v && !cJSON_IsString(v) && !cJSON_IsNull(v))
        return es_fail(e, "%s: key '%s': expected an activation name, got %s", path, key, js_what(v));
    if (v && cJSON_IsString(v) && strcmp(v->valuestring, want) &&
        !(!strcmp(want, "gelu_new") && !strcmp(v->valuestring, "gelu_pytorch_tanh")))
        return es_fail(e, "%s: key '%s': activation '%s' not supported (golden implements '%s')", path, key,
                       v->valuestring, want);
    return 0;
}

/* config.json keys of each family: integer sizes (dflt -1: required, -2:
 * derived after reading), then the epsilon and activation keys. */
typedef struct hf_int {
    const char *key;
    size_t off; /* into gd_config */
    int dflt;
} hf_int;

typedef struct hf_family {
    const char *model_type;
    gd_family fam;
    hf_int ints[8];
    const char *eps_key;
    double eps_dflt;
    const char *act_key, *act;
} hf_family;

#define F(k, field, d) {k, offsetof(gd_config, field), d}
static const hf_family hf_families[] = {
    {"gpt2",
     GD_FAM_GPT2,
     {F("n_embd", d_model, -1), F("n_layer", n_layers, -1), F("n_head", n_heads, -1), F("vocab_size", vocab, -1),
      F("n_positions", max_seq, 1024), F("n_inner", ffn_dim, -2)},
     "layer_norm_epsilon",
     1e-5,
     "activation_function",
     "gelu_new"},
    {"bert",
     GD_FAM_BERT,
     {F("hidden_size", d_model, -1), F("num_hidden_layers", n_layers, -1), F("num_attention_heads", n_heads, -1),
      F("intermediate_size", ffn_dim, -1), F("vocab_size", vocab, -1), F("max_position_embeddings", max_seq, 512),
      F("type_vocab_size", type_vocab, 2)},
     "layer_norm_eps",
     1e-12,
     "hidden_act",
     "gelu"},
    {"llama",
     GD_FAM_LLAMA,
     {F("hidden_size", d_model, -1), F("num_hidden_layers", n_layers, -1), F("num_attention_heads", n_heads, -1),
      F("intermediate_size", ffn_dim, -1), F("vocab_size", vocab, -1), F("max_position_embeddings", max_seq, 2048),
      F("num_key_value_heads", n_kv_heads, -2), F("head_dim", head_dim, -2)},
     "rms_norm_eps",
     1e-6,
     "hidden_act",
     "silu"},
};
#undef F

/* Llama-only keys: tied head, no biases, RoPE theta and scaling. */
static int hf_llama_extras(const cJSON *o, const char *path, gd_config *c, es_err *e)
{
    int attn_bias, mlp_bias;
    if (js_bool(o, path, "tie_word_embeddings", &c->tied, e) || js_bool(o, path, "attention_bias", &attn_bias, e) ||
        js_bool(o, path, "mlp_bias", &mlp_bias, e))
        return -1;
    if (attn_bias || mlp_bias)
        return es_fail(e, "%s: attention_bias/mlp_bias true is not supported (golden Llama has no biases)", path);
    /* Published Llama thetas are 1e4 to 5e5; anything up to 1e12 is kept. */
    if (js_num(o, path, "rope_theta", 10000.0, 1.0, 1e12, &c->rope_theta, e))
        return -1;
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(o, "rope_scaling");
    if (!rs || cJSON_IsNull(rs))
        return 0;
    const cJSON *ty = cJSON_GetObjectItemCaseSensitive(rs, "rope_type");
    if (!ty)
        ty = cJSON_GetObjectItemCaseSensitive(rs, "type");
    if (!cJSON_IsObject(rs))
        return es_fail(e, "%s: key 'rope_scaling': expected an object or null, got %s", path, js_what(rs));
    if (!cJSON_IsString(ty) || strcmp(ty->valuestring, "llama3"))
        return es_fail(e, "%s: key 'rope_scaling': only rope_type 'llama3' is supported", path);
    double orig = 0;
    c->rope_llama3 = 1;
    if (js_num(rs, path, "factor", 8, 1e-6, 1e6, &c->rope_factor, e) ||
        js_num(rs, path, "low_freq_factor", 1, 1e-6, 1e6, &c->rope_low_freq_factor, e) ||
        js_num(rs, path, "high_freq_factor", 4, 1e-6, 1e6, &c->rope_high_freq_factor, e) ||
        js_num(rs, path, "original_max_position_embeddings", 8192, 1, 1 << 24, &orig, e))
        return -1;
    if (orig != floor(orig))
        return es_fail(e, "%s: key 'original_max_position_embeddings': expected an integer", path);
    if (c->rope_high_freq_factor <= c->rope_low_freq_factor)
        return es_fail(e, "%s: key 'rope_scaling': high_freq_factor must exceed low_freq_factor", path);
    c->rope_original_max_seq = (int)orig;
    return 0;
}

int gd_config_from_hf_json(const char *path, gd_config *c, es_err *e)
{
    cJSON *o = es_json_load(path, e);
    if (!o)
        return -1;
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return es_fail(e, "%s: not a JSON object", path);
    }
    int rc = -1;
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(o, "model_type");
    const hf_family *hf = NULL;
    for (size_t i = 0; cJSON_IsString(mt) && i < sizeof hf_families / sizeof hf_families[0]; i++)
        if (!strcmp(mt->valuestring, hf_families[i].model_type))
            hf = &hf_families[i];
    if (!hf) {
        if (cJSON_IsString(mt))
            es_fail(e, "%s: model_type '%s' not supported (expected gpt2, bert or llama)", path, mt->valuestring);
        else
            es_fail(e, "%s: missing key 'model_type' (expected gpt2, bert or llama)", path);
        goto out;
    }
    gd_config_default(c, hf->fam);
    for (int i = 0; i < 8 && hf->ints[i].key; i++)
        if (js_int(o, path, hf->ints[i].key, hf->ints[i].dflt, hf->ints[i].dflt == -1,
                   (int *)((char *)c + hf->ints[i].off), e))
            goto out;
    double eps;
    /* Published norm epsilons are 1e-12 to 1e-5; 1 is far above any. */
    if (js_num(o, path, hf->eps_key, hf->eps_dflt, 0.0, 1.0, &eps, e) || js_act(o, path, hf->act_key, hf->act, e))
        goto out;
    c->norm_eps = (float)eps;
    if (c->ffn_dim == -2)
        c->ffn_dim = 4 * c->d_model;
    if (hf->fam != GD_FAM_LLAMA || c->n_kv_heads == -2)
        c->n_kv_heads = c->n_heads;
    if (hf->fam != GD_FAM_LLAMA || c->head_dim == -2)
        c->head_dim = c->n_heads > 0 ? c->d_model / c->n_heads : 0;
    if (hf->fam == GD_FAM_LLAMA && hf_llama_extras(o, path, c, e) != 0)
        goto out;
    rc = gd_config_check(c, e);
    if (rc) {
        char m[1024];
        snprintf(m, sizeof m, "%s", e->msg);
        es_fail(e, "%s: %s", path, m);
    }
out:
    cJSON_Delete(o);
    return rc;
}

char *gd_config_to_hf_json(const gd_config *c)
{
    const hf_family *hf = NULL;
    for (size_t i = 0; i < sizeof hf_families / sizeof hf_families[0]; i++)
        if (hf_families[i].fam == c->family)
            hf = &hf_families[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "model_type", hf->model_type);
    for (int i = 0; i < 8 && hf->ints[i].key; i++)
        cJSON_AddNumberToObject(o, hf->ints[i].key, *(const int *)((const char *)c + hf->ints[i].off));
    cJSON_AddNumberToObject(o, hf->eps_key, c->norm_eps);
    cJSON_AddStringToObject(o, hf->act_key, hf->act);
    if (c->family == GD_FAM_LLAMA) {
        cJSON_AddNumberToObject(o, "rope_theta", c->rope_theta);
        cJSON_AddBoolToObject(o, "tie_word_embeddings", c->tied);
        if (c->rope_llama3) {
            cJSON *rs = cJSON_AddObjectToObject(o, "rope_scaling");
            cJSON_AddStringToObject(rs, "rope_type", "llama3");
            cJSON_AddNumberToObject(rs, "factor", c->rope_factor);
            cJSON_AddNumberToObject(rs, "low_freq_factor", c->rope_low_freq_factor);
            cJSON_AddNumberToObject(rs, "high_freq_factor", c->rope_high_freq_factor);
            cJSON_AddNumberToObject(rs, "original_max_position_embeddings", c->rope_original_max_seq);
        }
    }
    char *s = cJSON_Print(o);
    cJSON_Delete(o);
    size_t n = strlen(s);
    char *out = es_xmalloc(n + 2);
    memcpy(out, s, n);
    memcpy(out + n, "\n", 2);
    cJSON_free(s);
    return out;
}

/* ---- weight table --------------------------------------------------------- */
typedef struct table {
    gd_weight *w;
    float ***slot; /* where each weight's pointer goes */
    int n, cap;
} table;

static void add(table *t, float **slot, int init, int ndim, int64_t s0, int64_t s1, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
static void add(table *t, float **slot, int init, int ndim, int64_t s0, int64_t s1, const char *fmt, ...)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 64;
        t->w = es_xrealloc(t->w, (size_t)t->cap * sizeof *t->w);
        t->slot = es_xrealloc(t->slot, (size_t)t->cap * sizeof *t->slot);
    }
    gd_weight *w = &t->w[t->n];
    memset(w, 0, sizeof *w);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->name, sizeof w->name, fmt, ap);
    va_end(ap);
    w->ndim = ndim;
    w->shape[0] = s0;
    w->shape[1] = ndim > 1 ? s1 : 0;
    w->init = init;
    t->slot[t->n++] = slot;
}

enum { MAT = 0, GAIN = 1, BIAS = 2 };

static void build_table(gd_model *m, table *t)
{
    const gd_config *c = &m->c;
    int64_t d = c->d_model, V = c->vocab, P = c->max_seq, F = c->ffn_dim;
    int64_t qd = (int64_t)c->n_heads * c->head_dim, kvd = (int64_t)c->n_kv_heads * c->head_dim;
    m->L = es_xcalloc((size_t)c->n_layers, sizeof *m->L);
    switch (c->family) {
    case GD_FAM_GPT2:
        add(t, &m->tok_emb, MAT, 2, V, d, "wte.weight");
        add(t, &m->pos_emb, MAT, 2, P, d, "wpe.weight");
        for (int i = 0; i < c->n_layers; i++) {
            gd_layer *L = &m->L[i];
            add(t, &L->ln1_g, GAIN, 1, d, 0, "h.%d.ln_1.weight", i);
            add(t, &L->ln1_b, BIAS, 1, d, 0, "h.%d.ln_1.bias", i);
            add(t, &L->wqkv, MAT, 2, d, 3 * d, "h.%d.attn.c_attn.weight", i);
            add(t, &L->bqkv, BIAS, 1, 3 * d, 0, "h.%d.attn.c_attn.bias", i);
            add(t, &L->wo, MAT, 2, d, d, "h.%d.attn.c_proj.weight", i);
            add(t, &L->bo, BIAS, 1, d, 0, "h.%d.attn.c_proj.bias", i);
            add(t, &L->ln2_g, GAIN, 1, d, 0, "h.%d.ln_2.weight", i);
            add(t, &L->ln2_b, BIAS, 1, d, 0, "h.%d.ln_2.bias", i);
            add(t, &L->w1, MAT, 2, d, F, "h.%d.mlp.c_fc.weight", i);
            add(t, &L->b1, BIAS, 1, F, 0, "h.%d.mlp.c_fc.bias", i);
            add(t, &L->w2, MAT, 2, F, d, "h.%d.mlp.c_proj.weight", i);
            add(t, &L->b2, BIAS, 1, d, 0, "h.%d.mlp.c_proj.bias", i);
        }
        add(t, &m->lnf_g, GAIN, 1, d, 0, "ln_f.weight");
        add(t, &m->lnf_b, BIAS, 1, d, 0, "ln_f.bias");
        break;
    case GD_FAM_BERT:
        add(t, &m->tok_emb, MAT, 2, V, d, "embeddings.word_embeddings.weight");
        add(t, &m->pos_emb, MAT, 2, P, d, "embeddings.position_embeddings.weight");
        add(t, &m->type_emb, MAT, 2, c->type_vocab, d, "embeddings.token_type_embeddings.weight");
        add(t, &m->emb_ln_g, GAIN, 1, d, 0, "embeddings.LayerNorm.weight");
        add(t, &m->emb_ln_b, BIAS, 1, d, 0, "embeddings.LayerNorm.bias");
        for (int i = 0; i < c->n_layers; i++) {
            gd_layer *L = &m->L[i];
            const char *p = "encoder.layer";
            add(t, &L->wq, MAT, 2, qd, d, "%s.%d.attention.self.query.weight", p, i);
            add(t, &L->bq, BIAS, 1, qd, 0, "%s.%d.attention.self.query.bias", p, i);
            add(t, &L->wk, MAT, 2, qd, d, "%s.%d.attention.self.key.weight", p, i);
            add(t, &L->bk, BIAS, 1, qd, 0, "%s.%d.attention.self.key.bias", p, i);
            add(t, &L->wv, MAT, 2, qd, d, "%s.%d.attention.self.value.weight", p, i);
            add(t, &L->bv, BIAS, 1, qd, 0, "%s.%d.attention.self.value.bias", p, i);
            add(t, &L->wo, MAT, 2, d, qd, "%s.%d.attention.output.dense.weight", p, i);
            add(t, &L->bo, BIAS, 1, d, 0, "%s.%d.attention.output.dense.bias", p, i);
            add(t, &L->ln1_g, GAIN, 1, d, 0, "%s.%d.attention.output.LayerNorm.weight", p, i);
            add(t, &L->ln1_b, BIAS, 1, d, 0, "%s.%d.attention.output.LayerNorm.bias", p, i);
            add(t, &L->w1, MAT, 2, F, d, "%s.%d.intermediate.dense.weight", p, i);
            add(t, &L->b1, BIAS, 1, F, 0, "%s.%d.intermediate.dense.bias", p, i);
            add(t, &L->w2, MAT, 2, d, F, "%s.%d.output.dense.weight", p, i);
            add(t, &L->b2, BIAS, 1, d, 0, "%s.%d.output.dense.bias", p, i);
            add(t, &L->ln2_g, GAIN, 1, d, 0, "%s.%d.output.LayerNorm.weight", p, i);
            add(t, &L->ln2_b, BIAS, 1, d, 0, "%s.%d.output.LayerNorm.bias", p, i);
        }
        break;
    case GD_FAM_LLAMA:
        add(t, &m->tok_emb, MAT, 2, V, d, "model.embed_tokens.weight");
        for (int i = 0; i < c->n_layers; i++) {
            gd_layer *L = &m->L[i];
            const char *p = "model.layers";
            add(t, &L->ln1_g, GAIN, 1, d, 0, "%s.%d.input_layernorm.weight", p, i);
            add(t, &L->wq, MAT, 2, qd, d, "%s.%d.self_attn.q_proj.weight", p, i);
            add(t, &L->wk, MAT, 2, kvd, d, "%s.%d.self_attn.k_proj.weight", p, i);
            add(t, &L->wv, MAT, 2, kvd, d, "%s.%d.self_attn.v_proj.weight", p, i);
            add(t, &L->wo, MAT, 2, d, qd, "%s.%d.self_attn.o_proj.weight", p, i);
            add(t, &L->ln2_g, GAIN, 1, d, 0, "%s.%d.post_attention_layernorm.weight", p, i);
            add(t, &L->w1, MAT, 2, F, d, "%s.%d.mlp.gate_proj.weight", p, i);
            add(t, &L->w3, MAT, 2, F, d, "%s.%d.mlp.up_proj.weight", p, i);
            add(t, &L->w2, MAT, 2, d, F, "%s.%d.mlp.down_proj.weight", p, i);
        }
        add(t, &m->lnf_g, GAIN, 1, d, 0, "model.norm.weight");
        if (!c->tied)
            add(t, &m->lm_head, MAT, 2, V, d, "lm_head.weight");
        break;
    }
}

int64_t gd_param_count(const gd_config *c)
{
    gd_model m;
    memset(&m, 0, sizeof m);
    m.c = *c;
    table t = {0};
    build_table(&m, &t);
    int64_t n = 0;
    for (int i = 0; i < t.n; i++)
        n += t.w[i].shape[0] * (t.w[i].ndim > 1 ? t.w[i].shape[1] : 1);
    free(t.w);
    free(t.slot);
    free(m.L);
    return n;
}

/* Lay the table out in one allocation and set the model's pointers. */
static int alloc_model(gd_model *m, const gd_config *c, es_err *e)
{
    memset(m, 0, sizeof *m);
    if (gd_config_check(c, e) != 0)
        return -1;
    m->c = *c;
    if (c->family == GD_FAM_GPT2)
        m->c.tied = 1;
    table t = {0};
    build_table(m, &t);
    size_t total = 0;
    for (int i = 0; i < t.n; i++)
        total += (size_t)(t.w[i].shape[0] * (t.w[i].ndim > 1 ? t.w[i].shape[1] : 1));
    m->mem = malloc(total * sizeof(float));
    if (!m->mem) {
        free(t.w);
        free(t.slot);
        free(m->L);
        m->L = NULL;
        return es_fail(e, "golden model: cannot allocate %.1f GB of fp32 weights", total * 4.0 / 1e9);
    }
    size_t off = 0;
    for (int i = 0; i < t.n; i++) {
        t.w[i].data = m->mem + off;
        *t.slot[i] = t.w[i].data;
        off += (size_t)(t.w[i].shape[0] * (t.w[i].ndim > 1 ? t.w[i].shape[1] : 1));
    }
    if (m->c.tied)
        m->lm_head = m->tok_emb;
    m->w = t.w;
    m->n_w = t.n;
    free(t.slot);
    return 0;
}

void gd_model_free(gd_model *m)
{
    gd_model_quant_free(m);
    free(m->mem);
    free(m->w);
    free(m->L);
    memset(m, 0, sizeof *m);
}

int gd_model_init_synthetic(gd_model *m, const gd_config *c, uint64_t seed, es_err *e)
{
    if (alloc_model(m, c, e) != 0)
        return -1;
    es_normal_gen g = {.have = 0};
    es_rng_seed(&g.r, seed);
    for (int i = 0; i < m->n_w; i++) {
        gd_weight *w = &m->w[i];
        int64_t n = w->shape[0] * (w->ndim > 1 ? w->shape[1] : 1);
        float base = w->init == GAIN ? 1.0f : 0.0f;
        for (int64_t j = 0; j < n; j++)
            w->data[j] = base + (float)(INIT_STD * es_rng_normal_polar(&g));
    }
    return 0;
}

/* Try the HF name, then with the family's wrapper prefix, then LayerNorm's
 * old gamma/beta spelling. */
static const char *resolve_name(const gd_safetensors *st, const gd_model *m, const char *name, char *buf, size_t n)
{
    if (gd_st_find(st, name))
        return name;
    const char *prefix = m->c.family == GD_FAM_GPT2 ? "transformer." : m->c.family == GD_FAM_BERT ? "bert." : "";
    const char *tries[2] = {"", prefix};
    for (int k = 0; k < 2; k++) {
        snprintf(buf, n, "%s%s", tries[k], name);
        if (gd_st_find(st, buf))
            return buf;
        size_t l = strlen(buf);
        if (l > 16 && !strcmp(buf + l - 16, "LayerNorm.weight")) {
            snprintf(buf + l - 6, n - (l - 6), "gamma");
            if (gd_st_find(st, buf))
                return buf;
        } else if (l > 14 && !strcmp(buf + l - 14, "LayerNorm.bias")) {
            snprintf(buf + l - 4, n - (l - 4), "beta");
            if (gd_st_find(st, buf))
                return buf;
        }
    }
    return name; /* absent: the error names the canonical name */
}

int gd_model_load(gd_model *m, const gd_config *c, const char *path, es_err *e)
{
    gd_safetensors st;
    if (gd_st_open(&st, path, e) != 0)
        return -1;
    if (alloc_model(m, c, e) != 0) {
        gd_st_close(&st);
        return -1;
    }
    for (int i = 0; i < m->n_w; i++) {
        char buf[160];
        const char *nm = resolve_name(&st, m, m->w[i].name, buf, sizeof buf);
        int packed = gd_gptq_is_packed(&st, nm);
        if (packed ? gd_gptq_read_f32(&st, nm, m->c.family == GD_FAM_GPT2, m->w[i].shape, m->w[i].data, e)
                   : gd_st_read_f32(&st, nm, m->w[i].ndim, m->w[i].shape, m->w[i].data, e)) {
            gd_st_close(&st);
            gd_model_free(m);
            return -1;
        }
    }
    gd_st_close(&st);
    return 0;
}

int gd_model_save(const gd_model *m, const char *path, es_err *e)
{
    gd_st_write_entry *t = es_xcalloc((size_t)m->n_w, sizeof *t);
    for (int i = 0; i < m->n_w; i++) {
        t[i].name = m->w[i].name;
        t[i].dtype = GD_ST_F32;
        t[i].ndim = m->w[i].ndim;
        t[i].shape[0] = m->w[i].shape[0];
        t[i].shape[1] = m->w[i].shape[1];
        t[i].data = m->w[i].data;
    }
    int rc = gd_st_write(path, t, m->n_w, e);
    free(t);
    return rc;
}

/* ---- KV cache --------------------------------------------------------------- */
int gd_kv_init(gd_kv *kv, const gd_model *m, int cap, es_err *e)
{
    memset(kv, 0, sizeof *kv);
    if (m->c.family == GD_FAM_BERT)
        return es_fail(e, "golden: BERT is an encoder; it has no KV cache");
    if (cap <= 0)
        return es_fail(e, "golden: KV cache capacity must be positive");
    kv->cap = cap;
    kv->width = m->c.n_kv_heads * m->c.head_dim;
    kv->n_layers = m->c.n_layers;
    size_t n = (size_t)kv->n_layers * (size_t)cap * (size_t)kv->width;
    kv->k = malloc(n * sizeof(float));
    kv->v = malloc(n * sizeof(float));
    if (!kv->k || !kv->v) {
        gd_kv_free(kv);
        return es_fail(e, "golden: cannot allocate the KV cache (%d positions)", cap);
    }
    return 0;
}

void gd_kv_free(gd_kv *kv)
{
    free(kv->k);
    free(kv->v);
    memset(kv, 0, sizeof *kv);
}

/* ---- forward ----------------------------------------------------------------- */

/* y[T x out] = x[T x in] . W (+ b).  W is [in, out] (Conv1D) when in_out,
 * else [out, in] (nn.Linear). */
static void linear(const gd_model *m, int T, int in, int out, const float *x, const float *W, int in_out,
                   const float *b, float *y)
{
    if (W != m->lm_head) {
        if (m->linear_hook)
            m->linear_hook(m->hook_ctx, W, T, in, x);
        if (m->qlinear) {
            m->qlinear(m, T, in, out, x, W, in_out, b, y);
            return;
        }
    }
    if (T == 1 && !m->ref_gemm) {
        /* Decode: one row.  sgemm would repack the whole weight matrix on
         * every call (OpenBLAS 0.3.21: ~2.5x slower than sgemv here). */
        if (in_out)
            cblas_sgemv(CblasRowMajor, CblasTrans, in, out, 1.0f, W, out, x, 1, 0.0f, y, 1);
        else
            cblas_sgemv(CblasRowMajor, CblasNoTrans, out, in, 1.0f, W, in, x, 1, 0.0f, y, 1);
    } else if (in_out)
        (m->ref_gemm ? gd_gemm_ref : gd_gemm_fast)(T, out, in, x, W, y, 0);
    else
        (m->ref_gemm ? gd_gemm_ref_bt : gd_gemm_fast_bt)(T, out, in, x, W, y, 0);
    if (b)
        for (int t = 0; t < T; t++)
            for (int j = 0; j < out; j++)
                y[(size_t)t * out + j] += b[j];
}

static void add_into(float *x, const float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] += y[i];
}

/* Llama 3's RoPE frequency scaling (HF _compute_llama3_parameters): long
 * wavelengths divided by factor, short kept, a linear blend between.  Returns
 * head_dim/2 inverse frequencies for gd_rope_freq (caller frees). */
static double *rope_llama3_freq(const gd_config *c)
{
    int hd = c->head_dim, half = hd / 2;
    double orig = c->rope_original_max_seq;
    double low_wl = orig / c->rope_low_freq_factor, high_wl = orig / c->rope_high_freq_factor;
    double *inv_freq = es_xmalloc((size_t)(half > 0 ? half : 1) * sizeof *inv_freq);
    for (int i = 0; i < half; i++) {
        double f = pow(c->rope_theta, -2.0 * i / hd);
        double wl = 2.0 * M_PI / f;
        if (wl > low_wl)
            f = f / c->rope_factor;
        else if (wl >= high_wl) {
            double s = (orig / wl - c->rope_low_freq_factor) / (c->rope_high_freq_factor - c->rope_low_freq_factor);
            f = (1.0 - s) * f / c->rope_factor + s * f;
        }
        inv_freq[i] = f;
    }
    return inv_freq;
}

/* inv_freq: rope_llama3_freq's table when c->rope_llama3, else unused. */
static void rope(const gd_config *c, const double *inv_freq, float *x, int n_tok, int n_heads, const int *pos)
{
    if (c->rope_llama3)
        gd_rope_freq(x, n_tok, n_heads, c->head_dim, pos, inv_freq, 1);
    else
        gd_rope(x, n_tok, n_heads, c->head_dim, pos, (float)c->rope_theta, 1);
}

/* The shared body: nseq sequences packed in tokens (offsets), each starting
 * at position base (kv->len with a cache, which needs nseq == 1).
 * out rows: every token, or only the last when last_only. */
static int run(const gd_model *m, gd_kv *kv, const int *tokens, const int *offsets, int nseq, int last_only,
               float *out, es_err *e)
{
    const gd_config *c = &m->c;
    int T = offsets[nseq];
    int d = c->d_model, F = c->ffn_dim, H = c->n_heads, KV = c->n_kv_heads, hd = c->head_dim;
    int qd = H * hd, kvd = KV * hd;
    int base = kv ? kv->len : 0;
    if (T <= 0)
        return es_fail(e, "golden: no tokens to run");
    for (int s = 0; s < nseq; s++)
        if (offsets[s + 1] < offsets[s] || offsets[0] != 0)
            return es_fail(e, "golden: sequence offsets must start at 0 and not decrease");
    for (int t = 0; t < T; t++)
        if (tokens[t] < 0 || tokens[t] >= c->vocab)
            return es_fail(e, "golden: token id %d outside the vocabulary [0, %d)", tokens[t], c->vocab);
    for (int s = 0; s < nseq; s++) {
        int len = offsets[s + 1] - offsets[s];
        if (base + len > c->max_seq)
            return es_fail(e, "golden: sequence of %d tokens exceeds the model's %d positions", base + len,
                           c->max_seq);
        if (kv && base + len > kv->cap)
            return es_fail(e, "golden: KV cache full (%d + %d tokens, capacity %d)", base, len, kv->cap);
    }
    if (kv && c->family == GD_FAM_BERT)
        return es_fail(e, "golden: BERT is an encoder; it has no KV cache");
    if (m->attention && nseq != 1)
        return es_fail(e, "golden: sparse attention runs one sequence at a time, not a packed batch of %d", nseq);
    if (kv && (kv->width != kvd || kv->n_layers != c->n_layers || (nseq != 1)))
        return es_fail(e, "golden: the KV cache was made for another model (or a packed batch was given one)");

    int *pos = es_xmalloc((size_t)T * sizeof *pos);
    for (int s = 0; s < nseq; s++)
        for (int t = offsets[s]; t < offsets[s + 1]; t++)
            pos[t] = base + t - offsets[s];
    size_t Td = (size_t)T * d;
    float *x = es_xmalloc(Td * sizeof *x), *h = es_xmalloc(Td * sizeof *h);
    float *q = es_xmalloc((size_t)T * (c->family == GD_FAM_GPT2 ? 3 * d : qd) * sizeof *q);
    float *kb = es_xmalloc((size_t)T * kvd * sizeof *kb), *vb = es_xmalloc((size_t)T * kvd * sizeof *vb);
    float *att = es_xmalloc((size_t)T * qd * sizeof *att);
    float *f1 = es_xmalloc((size_t)T * F * sizeof *f1);
    float *f3 = c->family == GD_FAM_LLAMA ? es_xmalloc((size_t)T * F * sizeof *f3) : NULL;
    float *qh = c->family == GD_FAM_GPT2 ? es_xmalloc((size_t)T * qd * sizeof *qh) : NULL;
    double *inv_freq = c->family == GD_FAM_LLAMA && c->rope_llama3 ? rope_llama3_freq(c) : NULL;

    /* Embeddings. */
    for (int t = 0; t < T; t++) {
        const float *te = m->tok_emb + (size_t)tokens[t] * d;
        float *xr = x + (size_t)t * d;
        for (int j = 0; j < d; j++) {
            float v = te[j];
            if (c->family == GD_FAM_BERT)
                v = v + m->type_emb[j]; /* token type 0; HF adds it before positions */
            if (m->pos_emb)
                v = v + m->pos_emb[(size_t)pos[t] * d + j];
            xr[j] = v;
        }
    }
    if (c->family == GD_FAM_BERT)
        gd_layernorm(T, d, x, m->emb_ln_g, m->emb_ln_b, c->norm_eps, x);

    int rc = 0;
    gd_attn_shape as;
    memset(&as, 0, sizeof as);
    as.d = as.dv = hd;
    as.scale = 1.0f / sqrtf((float)hd);
    as.causal = c->family != GD_FAM_BERT;

    for (int l = 0; l < c->n_layers; l++) {
        const gd_layer *L = &m->L[l];
        const float *Q;
        float *kdst = kv ? kv->k + ((size_t)l * kv->cap + base) * kvd : kb;
        float *vdst = kv ? kv->v + ((size_t)l * kv->cap + base) * kvd : vb;
        /* Q, K, V [T x width] */
        if (c->family == GD_FAM_GPT2) {
            gd_layernorm(T, d, x, L->ln1_g, L->ln1_b, c->norm_eps, h);
            linear(m, T, d, 3 * d, h, L->wqkv, 1, L->bqkv, q);
            for (int t = 0; t < T; t++) {
                memcpy(qh + (size_t)t * d, q + (size_t)t * 3 * d, (size_t)d * sizeof *q);
                memcpy(kdst + (size_t)t * d, q + (size_t)t * 3 * d + d, (size_t)d * sizeof *q);
                memcpy(vdst + (size_t)t * d, q + (size_t)t * 3 * d + 2 * d, (size_t)d * sizeof *q);
            }
            Q = qh;
        } else {
            const float *in = x;
            if (c->family == GD_FAM_LLAMA) {
                gd_rmsnorm(T, d, x, L->ln1_g, c->norm_eps, h);
                in = h;
            }
            linear(m, T, d, qd, in, L->wq, 0, L->bq, q);
            linear(m, T, d, kvd, in, L->wk, 0, L->bk, kdst);
            linear(m, T, d, kvd, in, L->wv, 0, L->bv, vdst);
            if (c->family == GD_FAM_LLAMA) {
                rope(c, inv_freq, q, T, H, pos);
                rope(c, inv_freq, kdst, T, KV, pos);
            }
            Q = q;
        }
        /* Attention: each sequence sees only its own keys. */
        if (kv || m->attention) {
            as.n_q = T;
            as.n_k = base + T;
            as.q_offset = base;
            const float *K = kv ? kv->k + (size_t)l * kv->cap * kvd : kb;
            const float *V = kv ? kv->v + (size_t)l * kv->cap * kvd : vb;
            if (m->attention)
                m->attention(m->attn_ctx, l, &as, H, KV, Q, K, V, att);
            else
                gd_attention_mh(&as, H, KV, Q, K, V, att, 0);
        } else if (gd_attention_varlen(&as, nseq, offsets, NULL, H, KV, Q, kb, vb, att, 0, e) != 0) {
            rc = -1;
            break;
        }
        /* Output projection, residual, FFN. */
        if (c->family == GD_FAM_BERT) {
            linear(m, T, qd, d, att, L->wo, 0, L->bo, h);
            add_into(h, x, Td); /* HF: LayerNorm(dense(attn) + input) */
            gd_layernorm(T, d, h, L->ln1_g, L->ln1_b, c->norm_eps, x);
            linear(m, T, d, F, x, L->w1, 0, L->b1, f1);
            for (size_t i = 0; i < (size_t)T * F; i++)
                f1[i] = gd_gelu_erf(f1[i]);
            linear(m, T, F, d, f1, L->w2, 0, L->b2, h);
            add_into(h, x, Td);
            gd_layernorm(T, d, h, L->ln2_g, L->ln2_b, c->norm_eps, x);
        } else if (c->family == GD_FAM_GPT2) {
            linear(m, T, d, d, att, L->wo, 1, L->bo, h);
            add_into(x, h, Td);
            gd_layernorm(T, d, x, L->ln2_g, L->ln2_b, c->norm_eps, h);
            linear(m, T, d, F, h, L->w1, 1, L->b1, f1);
            for (size_t i = 0; i < (size_t)T * F; i++)
                f1[i] = gd_gelu_tanh(f1[i]);
            linear(m, T, F, d, f1, L->w2, 1, L->b2, h);
            add_into(x, h, Td);
        } else {
            linear(m, T, qd, d, att, L->wo, 0, NULL, h);
            add_into(x, h, Td);
            gd_rmsnorm(T, d, x, L->ln2_g, c->norm_eps, h);
            linear(m, T, d, F, h, L->w1, 0, NULL, f1);
            linear(m, T, d, F, h, L->w3, 0, NULL, f3);
            for (size_t i = 0; i < (size_t)T * F; i++)
                f1[i] = gd_silu(f1[i]) * f3[i];
            linear(m, T, F, d, f1, L->w2, 0, NULL, h);
            add_into(x, h, Td);
        }
    }

    /* Final norm and head, on the rows asked for. */
    if (rc != 0)
        goto done;
    int r0 = last_only ? T - 1 : 0, nr = T - r0;
    const float *xr = x + (size_t)r0 * d;
    if (c->family == GD_FAM_BERT)
        memcpy(out, xr, (size_t)nr * d * sizeof *out);
    else {
        if (c->family == GD_FAM_GPT2)
            gd_layernorm(nr, d, xr, m->lnf_g, m->lnf_b, c->norm_eps, h);
        else
            gd_rmsnorm(nr, d, xr, m->lnf_g, c->norm_eps, h);
        linear(m, nr, d, c->vocab, h, m->lm_head, 0, NULL, out);
    }
    if (kv)
        kv->len += T;
done:
    free(pos);
    free(x);
    free(h);
    free(q);
    free(kb);
    free(vb);
    free(att);
    free(f1);
    free(f3);
    free(qh);
    free(inv_freq);
    return rc;
}

int gd_forward(const gd_model *m, gd_kv *kv, const int *tokens, int n, int last_only, float *out, es_err *e)
{
    int off[2] = {0, n};
    return run(m, kv, tokens, off, 1, last_only, out, e);
}

int gd_forward_packed(const gd_model *m, const int *tokens, const int *offsets, int nseq, float *out,
                      es_err *e)
{
    if (nseq <= 0)
        return es_fail(e, "golden: a packed batch needs at least one sequence");
    return run(m, NULL, tokens, offsets, nseq, 0, out, e);
}

int gd_generate(const gd_model *m, const int *prompt, int n, int gen, int *out, es_err *e)
{
    if (m->c.family == GD_FAM_BERT)
        return es_fail(e, "golden: BERT is an encoder; it cannot generate");
    if (n <= 0)
        return es_fail(e, "golden: generation needs at least one prompt token");
    if (gen < 0 || n + gen > m->c.max_seq)
        return es_fail(e, "golden: %d prompt + %d generated tokens exceed the model's %d positions", n, gen,
                       m->c.max_seq);
    if (gen == 0)
        return 0;
    gd_kv kv;
    if (gd_kv_init(&kv, m, n + gen, e) != 0)
        return -1;
    float *logits = es_xmalloc((size_t)m->c.vocab * sizeof *logits);
    int rc = gd_forward(m, &kv, prompt, n, 1, logits, e);
    for (int g = 0; rc == 0 && g < gen; g++) {
        int best = 0;
        for (int j = 1; j < m->c.vocab; j++)
            if (logits[j] > logits[best])
                best = j;
        out[g] = best;
        if (g + 1 < gen)
            rc = gd_forward(m, &kv, &best, 1, 1, logits, e);
    }
    free(logits);
    gd_kv_free(&kv);
    return rc;
}
