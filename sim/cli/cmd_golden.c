/* einsim golden: the golden C reference from the command line.
 *   einsim golden forward  --model M [--weights F | --seed S] (--tokens ".." | --text "..") [--dump-logits F]
 *   einsim golden generate ... --gen N
 * Model sizes come from a bundled model YAML (models/) or, without --model,
 * from the Hugging Face config.json beside --weights. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "base/io.h"
#include "cli.h"
#include "golden/kernels.h"
#include "golden/model.h"
#include "golden/tokenizer.h"
#include "models/models.h"

static const char *usage_text =
    "usage: einsim golden forward  --model M [--weights F.safetensors | --seed S]\n"
    "                              (--tokens \"17 531 2\" | --text \"...\") [--dump-logits F]\n"
    "       einsim golden generate --model M [--weights F.safetensors | --seed S]\n"
    "                              (--tokens ... | --text ...) --gen N\n"
    "\n"
    "Runs the golden fp32 reference of a GPT-2, BERT or Llama-style model.\n"
    "  --model M        bundled model name (gpt2-small, bert-base, llama-1b, ...) or a model YAML;\n"
    "                   without it, sizes come from config.json beside --weights\n"
    "  --weights F      .safetensors with Hugging Face tensor names (F32, F16 or BF16)\n"
    "  --seed S         synthetic weights from seed S (default 1 when no --weights)\n"
    "  --tokens \"..\"    token ids, separated by spaces or commas\n"
    "  --text \"..\"      text, encoded with the GPT-2 tokenizer (data/gpt2, fetched by make deps)\n"
    "  --dump-logits F  write fp32 little-endian logits [tokens x vocab] (BERT: last hidden\n"
    "                   state [tokens x d_model]), row-major, atomically; '-' = stdout (the\n"
    "                   summary then goes to stderr)\n"
    "  --gen N          generate: N new tokens, greedy, with the KV cache\n"
    "  --save-weights F write the model's weights (e.g. synthetic ones) as F32 .safetensors with\n"
    "                   Hugging Face names, atomically\n"
    "  --ref-gemm       use the defined-order reference GEMM instead of OpenBLAS (slow, exact)\n"
    "  --threads N      OpenBLAS threads (default 1)\n"
    "  --time           also print wall-clock times (left out by default so the output is\n"
    "                   byte-identical from run to run)\n";

static void die(const es_err *e) { es_fatal(ES_EXIT_BADINPUT, "%s", e->msg); }

/* models/ struct -> golden config; golden implements each family's standard
 * choices, so a YAML that asks for something else is refused by key. */
static void config_from_md(const md_model *md, gd_config *c)
{
    const char *f = md->file;
    gd_family fam;
    switch (md->family) {
    case MD_FAM_GPT2:
        fam = GD_FAM_GPT2;
        break;
    case MD_FAM_BERT:
        fam = GD_FAM_BERT;
        break;
    case MD_FAM_LLAMA:
        fam = GD_FAM_LLAMA;
        break;
    default:
        es_fatal(ES_EXIT_BADINPUT, "%s: golden forward supports the gpt2, bert and llama families, not '%s'", f,
                 md_family_name(md->family));
    }
    static const md_act want_act[] = {MD_ACT_GELU_TANH, MD_ACT_GELU, MD_ACT_SWIGLU};
    static const md_norm want_norm[] = {MD_NORM_LAYERNORM, MD_NORM_LAYERNORM, MD_NORM_RMSNORM};
    static const md_normpos want_np[] = {MD_NORMPOS_PRE, MD_NORMPOS_POST, MD_NORMPOS_PRE};
    static const md_pos want_pos[] = {MD_POS_LEARNED, MD_POS_LEARNED, MD_POS_ROPE};
    if (md->ffn_act != want_act[fam])
        es_fatal(ES_EXIT_BADINPUT, "%s: key 'ffn_act': golden %s uses %s, the model says %s", f,
                 gd_family_name(fam), md_act_name(want_act[fam]), md_act_name(md->ffn_act));
    if (md->norm != want_norm[fam] || md->norm_pos != want_np[fam])
        es_fatal(ES_EXIT_BADINPUT, "%s: key 'norm': golden %s uses %s-%s, the model differs", f,
                 gd_family_name(fam), want_np[fam] == MD_NORMPOS_PRE ? "pre" : "post", md_norm_name(want_norm[fam]));
    if (md->pos != want_pos[fam])
        es_fatal(ES_EXIT_BADINPUT, "%s: key 'pos': golden %s uses %s positions, the model says %s", f,
                 gd_family_name(fam), md_pos_name(want_pos[fam]), md_pos_name(md->pos));
    if (fam == GD_FAM_LLAMA && (md->qkv_bias || md->o_bias || md->ffn_bias))
        es_fatal(ES_EXIT_BADINPUT, "%s: key 'bias': golden llama has no biases", f);
    if (fam == GD_FAM_GPT2 && !md->tied_embeddings)
        es_fatal(ES_EXIT_BADINPUT, "%s: key 'tied_embeddings': golden gpt2 ties the LM head to wte", f);
    if (md->d_model > INT_MAX || md->vocab > INT_MAX || md->max_seq > INT_MAX || md->ffn_dim > INT_MAX)
        es_fatal(ES_EXIT_BADINPUT, "%s: sizes too large for the golden model", f);
    gd_config_default(c, fam);
    c->vocab = (int)md->vocab;
    c->d_model = (int)md->d_model;
    c->n_layers = (int)md->n_layers;
    c->n_heads = (int)md->n_heads;
    c->n_kv_heads = (int)(md->n_kv_heads > 0 ? md->n_kv_heads : md->n_heads);
    c->head_dim = (int)(md->head_dim > 0 ? md->head_dim : md->d_model / md->n_heads);
    c->ffn_dim = (int)md->ffn_dim;
    c->max_seq = (int)md->max_seq;
    c->type_vocab = (int)md->type_vocab;
    c->norm_eps = (float)md->norm_eps;
    c->tied = md->tied_embeddings;
    if (fam == GD_FAM_LLAMA) {
        c->rope_theta = md->rope_theta;
        if (md->rope_scaling == MD_ROPE_SCALING_LLAMA3) {
            c->rope_llama3 = 1;
            c->rope_factor = md->rope_factor;
            c->rope_low_freq_factor = md->rope_low_freq_factor;
            c->rope_high_freq_factor = md->rope_high_freq_factor;
            c->rope_original_max_seq = (int)md->rope_original_max_seq;
        }
    }
    es_err e;
    if (gd_config_check(c, &e) != 0)
        es_fatal(ES_EXIT_BADINPUT, "%s: %s", f, e.msg);
}

static int parse_tokens(const char *s, int **out)
{
    int n = 0, cap = 16;
    int *t = es_xmalloc((size_t)cap * sizeof *t);
    const char *p = s;
    for (;;) {
        while (*p == ' ' || *p == ',' || *p == '\t' || *p == '\n')
            p++;
        if (!*p)
            break;
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 0 || v > INT_MAX || (*end && *end != ' ' && *end != ',' && *end != '\t' && *end != '\n'))
            es_fatal(ES_EXIT_BADINPUT, "--tokens: expected non-negative integer token ids, got '%s'", s);
        if (n == cap)
            t = es_xrealloc(t, (size_t)(cap *= 2) * sizeof *t);
        t[n++] = (int)v;
        p = end;
    }
    if (n == 0)
        es_fatal(ES_EXIT_BADINPUT, "--tokens: expected at least one token id");
    *out = t;
    return n;
}

/* Raw fp32 little-endian, whatever the host order. */
static void write_rows(es_out *o, const float *x, size_t n, es_err *e)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], 4);
        unsigned char b[4] = {(unsigned char)u, (unsigned char)(u >> 8), (unsigned char)(u >> 16),
                              (unsigned char)(u >> 24)};
        fwrite(b, 1, 4, o->fp);
    }
    if (es_out_commit(o, e) != 0)
        die(e);
}

/* Where the text summary goes: stderr when the logits go to stdout. */
static FILE *info;

static void print_ids(const char *label, const int *t, int n)
{
    fprintf(info, "%s (%d):", label, n);
    for (int i = 0; i < n; i++)
        fprintf(info, " %d", t[i]);
    fprintf(info, "\n");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int cmd_golden(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "forward") && strcmp(argv[1], "generate"))) {
        if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
            fputs(usage_text, stdout);
            return 0;
        }
        es_fatal(ES_EXIT_BADINPUT, "golden: expected 'forward' or 'generate'%s%s%s (see 'einsim golden --help')",
                 argc >= 2 ? ", got '" : "", argc >= 2 ? argv[1] : "", argc >= 2 ? "'" : "");
    }
    int generate = !strcmp(argv[1], "generate");
    cli_opt opts[] = {{"model", 1, NULL},       {"weights", 1, NULL}, {"seed", 1, NULL},
                      {"tokens", 1, NULL},      {"text", 1, NULL},    {"dump-logits", 1, NULL},
                      {"gen", 1, NULL},         {"ref-gemm", 0, NULL}, {"threads", 1, NULL},
                      {"save-weights", 1, NULL}, {"time", 0, NULL},
                      {NULL, 0, NULL}};
    cli_parse(argc, argv, 2, opts, NULL, 0, generate ? "golden generate" : "golden forward", usage_text);
    const char *model = cli_get(opts, "model"), *weights = cli_get(opts, "weights");
    const char *tokens_s = cli_get(opts, "tokens"), *text = cli_get(opts, "text");
    const char *dump = cli_get(opts, "dump-logits");
    info = dump && !strcmp(dump, "-") ? stderr : stdout;
    int timing = cli_flag(opts, "time");
    if (weights && cli_get(opts, "seed"))
        es_fatal(ES_EXIT_BADINPUT, "golden: give --weights or --seed, not both");
    if (!!tokens_s == !!text)
        es_fatal(ES_EXIT_BADINPUT, "golden: give exactly one of --tokens and --text");
    if (!model && !weights)
        es_fatal(ES_EXIT_BADINPUT, "golden: --model is needed unless --weights has a config.json beside it");
    if (generate && !cli_get(opts, "gen"))
        es_fatal(ES_EXIT_BADINPUT, "golden generate: --gen N is required");
    if (!generate && cli_get(opts, "gen"))
        es_fatal(ES_EXIT_BADINPUT, "golden forward: --gen belongs to 'einsim golden generate'");
    if (generate && dump)
        es_fatal(ES_EXIT_BADINPUT, "golden generate: --dump-logits belongs to 'einsim golden forward'");
    int64_t seed = cli_int(opts, "seed", 1, 0, INT64_MAX);
    int gen = (int)cli_int(opts, "gen", 0, 1, 1000000);
    gd_gemm_fast_set_threads((int)cli_int(opts, "threads", 1, 1, 256));

    es_err e;
    gd_config c;
    char name[1100];
    if (model) {
        md_model md;
        if (md_model_load(model, &md, &e) != 0)
            die(&e);
        config_from_md(&md, &c);
        snprintf(name, sizeof name, "%s", md.name);
    } else {
        char dirbuf[4096], cfg[4200];
        snprintf(dirbuf, sizeof dirbuf, "%s", weights);
        snprintf(cfg, sizeof cfg, "%s/config.json", dirname(dirbuf));
        if (gd_config_from_hf_json(cfg, &c, &e) != 0)
            die(&e);
        snprintf(name, sizeof name, "%s", cfg);
    }

    /* Tokens. */
    int *tok = NULL, n = 0;
    gd_tokenizer *tz = NULL;
    if (text) {
        if (!(tz = gd_tok_load_gpt2(&e)))
            die(&e);
        if (gd_tok_encode(tz, text, strlen(text), &tok, &n, &e) != 0)
            die(&e);
        if (n == 0)
            es_fatal(ES_EXIT_BADINPUT, "--text: the text is empty");
        if (gd_tok_vocab_size(tz) > c.vocab)
            es_fatal(ES_EXIT_BADINPUT,
                     "--text: the GPT-2 tokenizer has %d tokens but model %s has a vocabulary of %d; use --tokens",
                     gd_tok_vocab_size(tz), name, c.vocab);
    } else
        n = parse_tokens(tokens_s, &tok);
    for (int i = 0; i < n; i++)
        if (tok[i] >= c.vocab)
            es_fatal(ES_EXIT_BADINPUT, "--tokens: token id %d outside the vocabulary [0, %d) of %s", tok[i], c.vocab,
                     name);
    if (n + gen > c.max_seq)
        es_fatal(ES_EXIT_BADINPUT, "golden: %d tokens exceed the %d positions of %s", n + gen, c.max_seq, name);

    /* Try the output path first so a bad one fails before the work; the
     * file itself is written (atomically) at the end, so an error in between
     * leaves no temp file behind. */
    es_out dump_out;
    if (dump) {
        if (es_out_open(&dump_out, dump, &e) != 0)
            die(&e);
        es_out_abort(&dump_out);
    }

    /* Weights. */
    gd_model m;
    double t0 = now_s();
    if (weights ? gd_model_load(&m, &c, weights, &e) : gd_model_init_synthetic(&m, &c, (uint64_t)seed, &e))
        die(&e);
    m.ref_gemm = cli_flag(opts, "ref-gemm");
    double t1 = now_s();
    fprintf(info, "model %s: %s, %d layers, d_model %d, %d heads (%d kv), ffn %d, vocab %d, %lld parameters\n", name,
           gd_family_name(c.family), c.n_layers, c.d_model, c.n_heads, c.n_kv_heads, c.ffn_dim, c.vocab,
           (long long)gd_param_count(&c));
    if (weights)
        fprintf(info, "weights: %s\n", weights);
    else
        fprintf(info, "weights: synthetic, seed %lld\n", (long long)seed);
    if (timing)
        fprintf(info, "time: weights %.3f s\n", t1 - t0);
    const char *save = cli_get(opts, "save-weights");
    if (save) {
        if (gd_model_save(&m, save, &e) != 0)
            die(&e);
        fprintf(info, "weights written to %s (%d tensors, F32)\n", save, m.n_w);
    }
    print_ids("tokens", tok, n);

    if (!generate) {
        int od = gd_out_dim(&c);
        float *out = malloc((size_t)n * od * sizeof *out);
        if (!out)
            es_fatal(ES_EXIT_BADINPUT, "golden: cannot allocate %d x %d outputs", n, od);
        double t2 = now_s();
        if (gd_forward(&m, NULL, tok, n, 0, out, &e) != 0)
            die(&e);
        double t3 = now_s();
        fprintf(info, "forward: %d tokens%s\n", n, m.ref_gemm ? " (reference GEMM)" : "");
        if (timing)
            fprintf(info, "time: forward %.3f s\n", t3 - t2);
        for (int t = 0; t < n; t++) {
            const float *r = out + (size_t)t * od;
            if (c.family == GD_FAM_BERT) {
                double ss = 0;
                for (int j = 0; j < od; j++)
                    ss += (double)r[j] * r[j];
                fprintf(info, "  %3d  token %6d  hidden[0..2] %+.6f %+.6f %+.6f  rms %.6f\n", t, tok[t], r[0],
                       od > 1 ? r[1] : 0.0f, od > 2 ? r[2] : 0.0f, sqrt(ss / od));
            } else {
                int best = 0;
                for (int j = 1; j < od; j++)
                    if (r[j] > r[best])
                        best = j;
                fprintf(info, "  %3d  token %6d  argmax %6d  logit %+.6f\n", t, tok[t], best, r[best]);
            }
        }
        if (dump) {
            if (es_out_open(&dump_out, dump, &e) != 0)
                die(&e);
            write_rows(&dump_out, out, (size_t)n * od, &e);
            fprintf(info, "%s [%d x %d] fp32 little-endian written to %s\n",
                   c.family == GD_FAM_BERT ? "last hidden state" : "logits", n, od, dump);
        }
        free(out);
    } else {
        if (c.family == GD_FAM_BERT)
            es_fatal(ES_EXIT_BADINPUT, "golden generate: %s is an encoder (bert); it cannot generate", name);
        int *g = es_xmalloc((size_t)gen * sizeof *g);
        double t2 = now_s();
        if (gd_generate(&m, tok, n, gen, g, &e) != 0)
            die(&e);
        double t3 = now_s();
        fprintf(info, "generate: %d tokens (greedy, KV cache)\n", gen);
        if (timing)
            fprintf(info, "time: generate %.3f s\n", t3 - t2);
        print_ids("generated", g, gen);
        if (!tz) {
            es_err te;
            tz = gd_tok_load_gpt2(&te); /* optional: text only when the files are there */
        }
        if (tz && gd_tok_vocab_size(tz) == c.vocab) {
            size_t len;
            char *s = gd_tok_decode(tz, g, gen, &len, &e);
            char *p = gd_tok_decode(tz, tok, n, NULL, &e);
            if (s && p)
                fprintf(info, "text: \"%s\" + \"%s\"\n", p, s);
            free(s);
            free(p);
        }
        free(g);
    }
    gd_tok_free(tz);
    gd_model_free(&m);
    free(tok);
    return 0;
}
