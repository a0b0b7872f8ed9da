/* models/models.h: the model zoo (models/NAME.yaml) as a C struct, and the
 * expansion of a model + run options into a workload (DESIGN §2, §4).
 *
 * A model file holds sizes and architecture choices only; run options
 * (batch, sequence lengths, phase, scope, ...) come from the command line and
 * live in md_run.  The workload is a list of cascade instances named by
 * cascade NAME (mapper/cascades/NAME.ein) with concrete rank sizes: models/
 * is upstream of mapper/ and never includes its headers.  Schema, rank
 * conventions and what every total counts: docs/models.md. */
#ifndef MD_MODELS_H
#define MD_MODELS_H

#include <stdint.h>
#include <stdio.h>

#include "golden/base/err.h"

#define MD_SPARSITY_NAME 48 /* a --sparsity name with its NUL (golden's gd_sparsity.name) */

/* ------------------------------------------------------------------ model */

typedef enum {
    MD_FAM_GPT2,  /* GPT-2 / GPT-3: pre-norm decoder, learned positions */
    MD_FAM_BERT,  /* post-norm encoder, token-type embeddings, pooler */
    MD_FAM_LLAMA, /* pre-RMSNorm decoder, RoPE, SwiGLU, GQA */
    MD_FAM_T5,    /* T5 stack (here: encoder), relative position buckets */
    MD_FAM_TRXL,  /* Transformer-XL: post-norm decoder, XL relative positions */
    MD_FAM_XLM,   /* XLM: post-norm encoder (MLM), learned positions */
    MD_FAM_VIT    /* ViT: pre-norm encoder over image patches */
} md_family;

typedef enum { MD_ACT_GELU, MD_ACT_GELU_TANH, MD_ACT_SWIGLU, MD_ACT_RELU } md_act;
typedef enum { MD_NORM_LAYERNORM, MD_NORM_RMSNORM } md_norm;
typedef enum { MD_NORMPOS_PRE, MD_NORMPOS_POST } md_normpos;
typedef enum {
    MD_POS_LEARNED,    /* absolute table [max_seq, d_model] added to the input */
    MD_POS_ROPE,       /* rotary on Q and K (rope_* fields) */
    MD_POS_SINUSOIDAL, /* fixed absolute sinusoids, no parameters */
    MD_POS_REL_BUCKET, /* T5: learned bias [rel_buckets, heads] in layer 0 */
    MD_POS_REL_XL      /* Transformer-XL: sinusoids through r_proj + 2 biases */
} md_pos;
typedef enum { MD_ROPE_SCALING_NONE, MD_ROPE_SCALING_LLAMA3 } md_rope_scaling;
typedef enum {
    MD_HEAD_NONE,      /* last hidden state is the output */
    MD_HEAD_LM,        /* logits over vocab (tied or not: tied_embeddings) */
    MD_HEAD_POOLER,    /* BERT pooler: dense d->d + tanh on the first token */
    MD_HEAD_CLASSIFIER /* ViT: dense d->num_classes on the class token */
} md_head;

#define MD_NAME_MAX 64
#define MD_MAX_CUTOFFS 8

typedef struct md_model {
    char name[MD_NAME_MAX];  /* "gpt2-small" */
    char file[1024];         /* the YAML it came from */
    md_family family;
    int causal;              /* 1: decoder (causal mask, can decode); 0: encoder */

    /* sizes */
    int64_t d_model;         /* hidden size */
    int64_t n_layers;
    int64_t n_heads;         /* query heads */
    int64_t n_kv_heads;      /* key/value heads (== n_heads for MHA, 1 for MQA) */
    int64_t head_dim;        /* e = f; n_heads*head_dim need not equal d_model */
    int64_t ffn_dim;         /* FFN inner size (per matrix for SwiGLU) */
    md_act ffn_act;
    int64_t vocab;           /* 0 for ViT */
    int64_t max_seq;         /* positions the model was trained for */
    int64_t type_vocab;      /* BERT token types (0: none) */

    /* norms */
    md_norm norm;
    md_normpos norm_pos;
    double norm_eps;
    int embed_norm;          /* a norm right after the embeddings (BERT, XLM) */
    int final_norm;          /* a norm after the last layer (pre-norm models) */

    /* biases */
    int qkv_bias, o_bias, ffn_bias;
    int norm_bias;           /* layernorm has beta (rmsnorm never has) */

    /* positions */
    md_pos pos;
    double rope_theta;
    md_rope_scaling rope_scaling;
    double rope_factor, rope_low_freq_factor, rope_high_freq_factor;
    int64_t rope_original_max_seq;
    int64_t rel_buckets, rel_max_distance; /* MD_POS_REL_BUCKET */
    int attn_scaled;         /* scores scaled by 1/sqrt(head_dim) (T5: 0) */

    /* embeddings and head */
    int tied_embeddings;     /* LM head weight is the token embedding */
    md_head head;
    int head_bias;           /* LM head / classifier has a bias */
    int n_cutoffs;           /* adaptive input/softmax (Transformer-XL) */
    int64_t cutoffs[MD_MAX_CUTOFFS];
    int64_t adaptive_div;    /* cluster i embeds in d_model / div^i */

    /* ViT */
    int64_t image_size, patch_size, channels, num_classes;
    int cls_token;           /* a learned class token prepended */
} md_model;

/* Load a bundled model by name (models/NAME.yaml, via es_find_bundled) or a
 * path.  Every key is checked (unknown keys are errors with a suggestion),
 * every error is one line "file:line:col: key 'path': ...".  0 or -1. */
int md_model_load(const char *name_or_path, md_model *m, es_err *e);
/* The same from a YAML text (tests; `name` is used in messages). */
int md_model_parse(const char *name, const char *text, md_model *m, es_err *e);

/* Write the model as YAML in the file schema with every field explicit
 * (defaults resolved); md_model_parse reads it back to the same struct
 * except `file`. */
void md_model_write(FILE *fp, const md_model *m);

/* Parameter count of the whole model, as published counts do it (see
 * docs/models.md): embeddings (token, position, type), every layer, final
 * norm, head; a tied head counts once. */
int64_t md_model_params(const md_model *m);
/* Parameters of one layer. */
int64_t md_layer_params(const md_model *m);
/* Tokens per image for ViT (patches + class token); 0 for other families. */
int64_t md_vit_tokens(const md_model *m);

const char *md_family_name(md_family f);
const char *md_act_name(md_act a);
const char *md_norm_name(md_norm n);
const char *md_pos_name(md_pos p);

/* --------------------------------------------------------------- workload */

typedef enum { MD_PHASE_PREFILL, MD_PHASE_DECODE } md_phase;
typedef enum { MD_SCOPE_ATTENTION, MD_SCOPE_LAYER, MD_SCOPE_MODEL } md_scope;

typedef struct md_run {
    md_phase phase;
    md_scope scope;
    int64_t batch;         /* requests (used when n_seqs == 0) */
    int64_t seq;           /* tokens per request (0: prompt, or ViT's tokens) */
    int n_seqs;            /* >0: one length per request (variable-length batch) */
    const int64_t *seqs;   /* caller-owned, n_seqs entries */
    int64_t prompt;        /* prefill length when seq and seqs are unset */
    int64_t gen;           /* decode: tokens generated per request (default 1) */
    const char *attention; /* prefill cascade (default "attention-1pass") */
    int64_t m0;            /* inner key tile (default 256; clipped to m) */
    int64_t splits;        /* decode: >1 uses attention-decode-split, rank s */
    int64_t elem_bytes;    /* bytes per weight/activation element (default 2) */
    char quant[32];        /* storage format of linear-layer weights: a name of
                            * golden/quant.h's table (gd_qformat_parse); "" = none,
                            * every tensor at the arch's word size */
    char sparsity[MD_SPARSITY_NAME]; /* block linears' weight sparsity: a weight form of
                            * golden's --sparsity (2:4, blockRxC:S, unstructured:S); "" = dense */
    int64_t *seqs_owned;   /* set by md_run_load: storage behind seqs */
    char attention_owned[32]; /* md_run_load: `attention` may point here, so
                               * do not copy an md_run by value after loading */
} md_run;

/* Check a --sparsity value: a weight form of golden's --sparsity (2:4,
 * blockRxC:S, unstructured:S; gd_sparsity_parse); 0, or -1 with e naming
 * what is expected.  Attention and KV-cache forms are refused. */
int md_sparsity_check(const char *s, es_err *e);
/* The arch `sparse:` key a checked --sparsity value runs on: "2:4",
 * "blockRxC" (e.g. block4x1) or "unstructured"; 0, or -1 if s is not a
 * weight form. */
int md_sparsity_pattern(const char *s, char *pattern, size_t size);

/* Stored form of one linear weight of n outputs x k inputs (nn.Linear's
 * [n x k]) in format `quant` ("" or NULL: the arch's word size) with
 * weight sparsity `sparsity` ("" or NULL: dense).  Layouts are golden's:
 *   dense            the format's own (gd_quant_weight_bytes)
 *   2:4              n k/2 values + a 2-bit index per value (gd_sp24_bytes)
 *   blockRxC:S       BSR: (B - floor(S B)) kept blocks of R x C values, of B
 *                    blocks, + 4 bytes per block column + 4 per row pointer
 *                    (n/R + 1) (gd_bsr_bytes)
 *   unstructured:S   CSR: n k - floor(S n k) values + 4 bytes per column
 *                    index + 4 per row pointer (n + 1) (gd_csr_bytes)
 * With a format the kept values are codes of its width, packed
 * (ceil(kept x bits / 8)), and its scales, zero points and g_idx
 * (gd_quant_side_bytes) are kept whole.  0, or -1 with e naming the tensor
 * when the pattern does not divide its shape. */
typedef struct md_wstore {
    int64_t kept;       /* weight values stored */
    int has_codes;      /* a format was given: code_bytes holds the values' bytes */
    int64_t code_bytes; /* the kept values' codes in the format */
    int64_t side_bytes; /* everything else: scales, zeros, g_idx, indices, row pointers */
} md_wstore;
int md_weight_store(const char *quant, const char *sparsity, const char *tensor, int64_t n, int64_t k,
                    md_wstore *w, es_err *e);
/* Total stored bytes: the codes, or kept x word_bytes without a format, +
 * side bytes. */
int64_t md_wstore_bytes(const md_wstore *w, int64_t word_bytes);
/* Fill defaults: prefill, scope model, batch 1, attention-1pass, m0 256,
 * gen 1, 2-byte elements. */
void md_run_init(md_run *r);
/* Free what md_run_load allocated (safe on an md_run_init'ed run). */
void md_run_free(md_run *r);
/* Read a run file (YAML; keys as md_run: phase, scope, batch, seq, seqs,
 * prompt, gen, attention, m0, splits, elem_bytes) over the values already in
 * r (so a caller can apply command-line options afterwards).  Located errors. */
int md_run_load(const char *path, md_run *r, es_err *e);
int md_run_parse(const char *name, const char *text, md_run *r, es_err *e);
const char *md_phase_name(md_phase p);
const char *md_scope_name(md_scope s);
/* Parse "prefill"/"decode", "attention"/"layer"/"model"; 0 or -1. */
int md_phase_parse(const char *s, md_phase *p, es_err *e);
int md_scope_parse(const char *s, md_scope *sc, es_err *e);

#define MD_MAX_RANKS 8

typedef struct md_rank {
    char name[8];          /* "e", "m0", "t", ... */
    int64_t size;
} md_rank;

typedef struct md_inst {
    char cascade[32];      /* cascade NAME: "attention-1pass", "linear", ... */
    char name[32];         /* role: "attention", "q_proj", "ffn_up", "lm_head" */
    char part[16];         /* "embed", "layer", "head" */
    int64_t layers;        /* layers it stands for (n_layers at scope model) */
    int n_ranks;
    md_rank ranks[MD_MAX_RANKS];
    int64_t repeat;        /* total executions in the workload (layers included) */
    int causal;            /* attention: a causal mask applies */
    int64_t macs;          /* multiply-accumulates of ONE execution */
    int64_t elems;         /* elementwise outputs of one execution (0 for MAC ops) */
    int64_t weights;       /* weight elements read by one execution */
    int64_t out_elems;     /* output elements of one execution */
    /* Weight storage (md_run.quant, md_run.sparsity; linear instances
     * only): bytes one dense weight element occupies in DRAM on average,
     * scales / zero points / sparse indices included
     * (md_wstore_bytes(md_weight_store(...)) / (n k)), when a format gives
     * the value width; 0 = the arch's word size.  `format` names it ("" when
     * none). */
    double weight_elem_bytes;
    char format[32];
    /* Weight sparsity (block linears): the --sparsity name, the arch key it
     * runs on (md_sparsity_pattern), the fraction of values stored (kept /
     * (n k); 0 = dense) and, for weight_elem_bytes 0, the index bytes per
     * dense element (the values then take the arch's word size). */
    char sparsity[MD_SPARSITY_NAME];
    char sparse_pattern[16];
    double weight_kept;
    double weight_side_bytes;
} md_inst;

typedef struct md_totals {
    int64_t params;        /* md_model_params(): the whole model, any scope */
    int64_t scope_params;  /* distinct weights the scope's instances use */
    int64_t macs;          /* sum of macs * repeat */
    int64_t elem_ops;      /* sum of elems * repeat */
    int64_t tokens;        /* tokens processed (prefill: sum of seqs; decode: batch*gen) */
    int64_t weight_bytes;  /* scope_params * elem_bytes */
    int64_t act_bytes;     /* sum of out_elems * repeat * elem_bytes */
    int64_t kv_bytes;      /* K and V cache at the end of the run, layers in scope */
} md_totals;

typedef struct md_workload {
    char model[MD_NAME_MAX];
    md_phase phase;
    md_scope scope;
    int64_t batch;         /* requests */
    int n_inst, cap;
    md_inst *inst;         /* owned */
    md_totals tot;
} md_workload;

/* Expand; w is initialised here (free with md_workload_free even on error). */
int md_expand(const md_model *m, const md_run *r, md_workload *w, es_err *e);
void md_workload_free(md_workload *w);
/* Rank size of an instance by name, or -1 when it has no such rank. */
int64_t md_inst_rank(const md_inst *in, const char *rank);
/* Text listing, one instance per line, then the totals (stable format). */
void md_workload_write(FILE *fp, const md_workload *w);

#endif
