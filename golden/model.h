/* golden/model.h: whole-model fp32 forward passes (the ground truth the
 * simulator's functional mode is compared with).
 *
 * Families:
 *   GPT-2  pre-LayerNorm decoder, learned positions, GELU (tanh form), fused
 *          QKV, Conv1D weights stored [in, out], LM head tied to wte.
 *   BERT   post-LayerNorm encoder, word + token-type + position embeddings
 *          then LayerNorm, GELU (erf form); output = last hidden state
 *          (no pooler).  Token types are all 0.
 *   Llama  pre-RMSNorm decoder, RoPE (rotate-half, as HF), SwiGLU, GQA,
 *          no biases, LM head untied unless `tied`.
 * Tensor names and layouts are Hugging Face's (docs/golden-models.md).
 *
 * Kernels: golden/kernels.h (GEMM fast path = OpenBLAS, or the defined-order
 * reference path when `ref_gemm` is set; naive multi-head attention).
 * Every row-wise step is computed per token, and attention per sequence, so a
 * packed variable-length batch gives each sequence exactly the values it
 * gets alone, as long as the GEMM is row-independent (the reference GEMM
 * is by construction; see docs/golden-models.md for the fast path). */
#ifndef GOLDEN_MODEL_H
#define GOLDEN_MODEL_H

#include <stdint.h>

#include "golden/base/err.h"
#include "golden/kernels.h"

typedef enum gd_family { GD_FAM_GPT2, GD_FAM_BERT, GD_FAM_LLAMA } gd_family;

typedef struct gd_config {
    gd_family family;
    int vocab;
    int d_model;
    int n_layers;
    int n_heads;
    int n_kv_heads; /* Llama GQA; GPT-2 and BERT: n_heads */
    int head_dim;   /* GPT-2 and BERT: d_model / n_heads */
    int ffn_dim;
    int max_seq;    /* position table size (GPT-2, BERT); Llama: context limit */
    int type_vocab; /* BERT token types */
    float norm_eps;
    /* Llama */
    double rope_theta;
    int rope_llama3; /* Llama 3 frequency scaling */
    double rope_factor, rope_low_freq_factor, rope_high_freq_factor;
    int rope_original_max_seq;
    int tied; /* LM head = token embedding (GPT-2 always) */
} gd_config;

const char *gd_family_name(gd_family f);
/* Sizes of Hugging Face's defaults for a family (GPT-2 small, BERT-base,
 * a small Llama) - a starting point for tests and tools. */
void gd_config_default(gd_config *c, gd_family f);
/* Check sizes are positive and consistent; 0 or -1 naming the field. */
int gd_config_check(const gd_config *c, es_err *e);
/* Read a Hugging Face config.json (model_type gpt2, bert or llama). */
int gd_config_from_hf_json(const char *path, gd_config *c, es_err *e);
/* The config.json that gd_config_from_hf_json reads back as c (malloc'd,
 * newline-terminated; the caller frees it). */
char *gd_config_to_hf_json(const gd_config *c);
/* Width of one output row: vocab (GPT-2, Llama) or d_model (BERT). */
int gd_out_dim(const gd_config *c);
/* Number of parameters held (tied head counted once). */
int64_t gd_param_count(const gd_config *c);

/* One named weight (HF name, shape) pointing into the model's storage. */
typedef struct gd_weight {
    char name[96];
    int ndim;
    int64_t shape[2];
    float *data;
    int init; /* 0: N(0, 0.02); 1: 1 + N(0, 0.02) (norm gains); 2: N(0, 0.02) bias */
} gd_weight;

typedef struct gd_layer {
    float *ln1_g, *ln1_b, *ln2_g, *ln2_b;
    float *wqkv, *bqkv;         /* GPT-2 c_attn [d, 3d], [3d] */
    float *wq, *bq, *wk, *bk, *wv, *bv; /* BERT, Llama: [out, in] */
    float *wo, *bo;             /* GPT-2 [d, d] in-out; others [d, H*hd] */
    float *w1, *b1;             /* c_fc [d, ff] / intermediate [ff, d] / gate [ff, d] */
    float *w3;                  /* Llama up_proj [ff, d] */
    float *w2, *b2;             /* c_proj [ff, d] / output [d, ff] / down [d, ff] */
} gd_layer;

typedef struct gd_model {
    gd_config c;
    int ref_gemm; /* 1: gd_gemm_ref* (defined order), 0: OpenBLAS */
    int n_w;
    gd_weight *w;
    float *mem;
    float *tok_emb, *pos_emb, *type_emb, *emb_ln_g, *emb_ln_b;
    float *lnf_g, *lnf_b, *lm_head;
    gd_layer *L;
    /* Quantized execution (golden/quant.h; NULL/0 unless gd_model_quantize
     * set them): every block linear (all but the LM head) runs through
     * qlinear when set, and linear_hook, when set, sees its input first
     * (GPTQ calibration). */
    void (*qlinear)(const struct gd_model *m, int T, int in, int out, const float *x, const float *W, int in_out,
                    const float *b, float *y);
    int qmode;
    float qthreshold;
    void *qblocks; /* ggml formats: the weights' blocks (gd_model_quant_free) */
    void (*linear_hook)(void *ctx, const float *W, int T, int in, const float *x);
    void *hook_ctx;
    /* Sparse attention (golden/sparse.h; NULL unless set): replaces the
     * dense multi-head attention of every layer, with the same layouts as
     * gd_attention_mh (K, V: the cache rows, or the sequence's own).  One
     * sequence at a time: a packed batch with it set is an error. */
    void (*attention)(void *ctx, int layer, const gd_attn_shape *s, int n_heads, int n_kv_heads, const float *Q,
                      const float *K, const float *V, float *O);
    void *attn_ctx;
    /* Sparse weights (golden/sparse.h gd_model_sparsify): the compressed
     * block matrices qlinear runs; freed by gd_model_sparse_free. */
    void *sparse_w;
} gd_model;

/* Deterministic synthetic weights from a seed (es_rng, weights in table
 * order): matrices and embeddings N(0, 0.02), norm gains 1 + N(0, 0.02),
 * biases N(0, 0.02). */
int gd_model_init_synthetic(gd_model *m, const gd_config *c, uint64_t seed, es_err *e);
/* Weights from a .safetensors file with HF names (GPT-2 names with or
 * without "transformer.", BERT with or without "bert.", LayerNorm
 * gamma/beta accepted for weight/bias).  A matrix stored GPTQ-packed
 * (NAME.qweight, .qzeros, .scales, .g_idx in place of NAME.weight, the
 * AutoGPTQ v1 layout) is dequantized to fp32 (golden/quant.h).  Errors name
 * file and tensor. */
int gd_model_load(gd_model *m, const gd_config *c, const char *path, es_err *e);
/* Write every weight as F32 under its HF name (atomic). */
int gd_model_save(const gd_model *m, const char *path, es_err *e);
void gd_model_free(gd_model *m);

/* KV cache for decoding (decoders only). */
typedef struct gd_kv {
    int cap, len, width; /* width = n_kv_heads * head_dim */
    int n_layers;
    float *k, *v; /* [layer][cap][width] */
} gd_kv;
int gd_kv_init(gd_kv *kv, const gd_model *m, int cap, es_err *e);
void gd_kv_free(gd_kv *kv);

/* Run n tokens of one sequence.  With kv (decoders), the tokens continue
 * the cached sequence (positions kv->len ...) and are appended to it.
 * out: [n x gd_out_dim] when last_only == 0, else [gd_out_dim] for the last
 * token only.  Errors: token id outside the vocabulary, position beyond
 * max_seq, cache full. */
int gd_forward(const gd_model *m, gd_kv *kv, const int *tokens, int n, int last_only, float *out, es_err *e);
/* Variable-length batch packed without padding: sequence s is
 * tokens[offsets[s] .. offsets[s+1]), positions from 0, no cache.
 * out: [offsets[nseq] x gd_out_dim]. */
int gd_forward_packed(const gd_model *m, const int *tokens, const int *offsets, int nseq, float *out,
                      es_err *e);
/* Greedy generation with the KV cache: out[0..gen) are the generated ids
 * (argmax, lowest id on ties). */
int gd_generate(const gd_model *m, const int *prompt, int n, int gen, int *out, es_err *e);

#endif
