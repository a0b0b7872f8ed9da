/* einsim golden: the golden C reference from the command line.
 *   einsim golden forward  --model M [--weights F | --seed S] (--tokens ".." | --text "..") [--dump-logits F]
 *   einsim golden generate ... --gen N
 *   einsim golden kernel NAME [sizes] [--seed S | --input F]  (golden/kcheck.h)
 *   einsim golden quantize --weights IN --quant gptq4-g128 --calib S -o OUT  (golden/quant.h)
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

#include <cJSON.h>

#include "golden/base/err.h"
#include "golden/base/io.h"
#include "cli.h"
#include "golden/kcheck.h"
#include "golden/kernels.h"
#include "golden/model.h"
#include "golden/numfmt.h"
#include "golden/quant.h"
#include "golden/sparse.h"
#include "golden/tokenizer.h"
#include "models/golden.h"
#include "models/models.h"

static const char *usage_text =
    "usage: einsim golden forward  --model M [--weights F.safetensors | --seed S]\n"
    "                              (--tokens \"17 531 2\" | --text \"...\") [--dump-logits F]\n"
    "       einsim golden generate --model M [--weights F.safetensors | --seed S]\n"
    "                              (--tokens ... | --text ...) --gen N\n"
    "       einsim golden kernel NAME [options]   (see 'einsim golden kernel --help')\n"
    "       einsim golden quantize --weights IN.safetensors --quant FMT [--calib S|FILE] -o OUT.safetensors\n"
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
    "                   Hugging Face names, and config.json beside F (replaced), atomically;\n"
    "                   F's folder must exist\n"
    "  --ref-gemm       use the defined-order reference GEMM instead of OpenBLAS (slow, exact)\n"
    "  --threads N      OpenBLAS threads (default 1)\n"
    "  --time           also print wall-clock times (left out by default so the output is\n"
    "                   byte-identical from run to run)\n"
    "  --quant FMT      quantize the block linear weights (not embeddings or the LM head) and run;\n"
    "                   prints the error against the fp32 model (max |diff|, relative, top-1\n"
    "                   agreement) and the weight bytes.  FMT: int8 llm.int8 gptqB-gG rtnB-gG\n"
    "                   (B 2|3|4|8, G multiple of 32, or -row; -asym suffix) q8_0 q4_0 q4_k\n"
    "                   fp8-e4m3 fp8-e5m2 (-t: per-tensor scale) mxfp4 fp16 bf16 (docs/golden-quant.md)\n"
    "  --calib S|FILE   GPTQ calibration: a seed (random tokens) or a file of token ids\n"
    "  --act-order      GPTQ: quantize columns by descending Hessian diagonal\n"
    "  --sparsity S     run sparse and print the error against the dense fp32 model and the\n"
    "                   weight bytes (values + indices).  S: 2:4, blockRxC:F (block4x1:0.8 =\n"
    "                   4x1 blocks pruned to 80 %), unstructured:F, topk-attn:K (each query's K\n"
    "                   best keys), kv-h2o:B, kv-keyformer:B (KV cache held at B tokens per\n"
    "                   head; forward then feeds the tokens one at a time) (docs/golden-sparse.md)\n"
    "quantize: writes a GPTQ/RTN checkpoint (AutoGPTQ v1 tensors NAME.qweight/.qzeros/.scales/\n"
    "  .g_idx, the rest F32) that 'forward --weights OUT' reads back; -o OUT is required.\n";

static void die(const es_err *e) { es_fatal(ES_EXIT_BADINPUT, "%s", e->msg); }

static int parse_tokens(const char *s, int **out)
{
    int n = 0, cap = 16;
    int *t = es_xmalloc((size_t)cap * sizeof *t);
    const char *p = s;
    for (;;) {
        int commas = 0; /* one between two ids; none first, last or doubled */
        while (*p == ' ' || *p == ',' || *p == '\t' || *p == '\n')
            commas += *p++ == ',';
        if (commas > 1 || (commas && (n == 0 || !*p)))
            es_fatal(ES_EXIT_BADINPUT, "--tokens: expected token ids separated by one comma or spaces, got '%s'", s);
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
        unsigned char b[4];
        gd_f32_store_le(b, x[i]);
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


/* ---- einsim golden kernel ------------------------------------------------ */
static const char kernel_usage[] =
    "usage: einsim golden kernel NAME [options]\n"
    "\n"
    "Runs a golden kernel with every algorithm golden has for it on seeded random\n"
    "inputs (or --input), and prints how far the algorithms are from each other and\n"
    "from an exact (long double) reference, against the bounds of docs/golden-kernels.md.\n"
    "Exit 0 when every difference is within its bound, 1 otherwise.\n"
    "\n"
    "kernels:\n"
    "  gemm       gd_gemm_ref vs gd_gemm_fast (OpenBLAS)          --m --n --k (default 64)\n"
    "  softmax    3pass vs 2pass vs online (ULP between them)     --rows (default 4) --n (default 1000)\n"
    "  attention  naive vs tiled vs packed varlen                 --nq --nk --d --dv --heads --kv-heads\n"
    "                                                             --block --causal --seqs L1,L2,...\n"
    "  layernorm  fp32 kernel vs exact                            --rows --n --eps\n"
    "  rmsnorm    fp32 kernel vs exact                            --rows --n --eps\n"
    "  cast       to a number format with a rounding mode         --format fp16|bf16|e4m3|e5m2|int8|int4\n"
    "             (and the other two modes beside it)             --round nearest-even|nearest-away|toward-zero\n"
    "                                                             --overflow saturate|inf --scale S (int)\n"
    "options:\n"
    "  --seed S      input seed (default 1)\n"
    "  --spread X    inputs uniform in [-X, X) (default 10; attention and gemm 1)\n"
    "  --input F     softmax, norms, cast: raw fp32 little-endian values (rows x n of them;\n"
    "                without --rows: one row of all of them)\n"
    "  --json F      also write the table as JSON ('-' = stdout; the text then goes to stderr)\n";

static float *read_f32(const char *path, size_t *count)
{
    char *buf;
    size_t n;
    es_err e;
    if (es_read_file(path, &buf, &n, &e))
        die(&e);
    if (n == 0 || n % 4)
        es_fatal(ES_EXIT_BADINPUT, "%s: %zu bytes; expected a non-empty multiple of 4 (raw fp32 little-endian)", path, n);
    float *x = es_xmalloc(n);
    for (size_t i = 0; i < n / 4; i++)
        x[i] = gd_f32_load_le((const unsigned char *)buf + 4 * i);
    free(buf);
    *count = n / 4;
    return x;
}

static int cmd_golden_kernel(int argc, char **argv)
{
    cli_opt o[] = {{"m", 1, 0},      {"n", 1, 0},        {"k", 1, 0},      {"rows", 1, 0},    {"nq", 1, 0},
                   {"nk", 1, 0},     {"d", 1, 0},        {"dv", 1, 0},     {"heads", 1, 0},   {"kv-heads", 1, 0},
                   {"block", 1, 0},  {"causal", 0, 0},   {"seqs", 1, 0},   {"spread", 1, 0},  {"eps", 1, 0},
                   {"seed", 1, 0},   {"input", 1, 0},    {"format", 1, 0}, {"round", 1, 0},   {"overflow", 1, 0},
                   {"scale", 1, 0},  {"json", 1, 0},     {NULL, 0, 0}};
    const char *pos[1];
    int np = cli_parse(argc, argv, 2, o, pos, 1, "golden kernel", kernel_usage);
    if (np < 1)
        es_fatal(ES_EXIT_BADINPUT, "golden kernel: expected a kernel name (one of: %s)", gd_kc_names());
    const char *name = pos[0];
    int is_row = !strcmp(name, "softmax") || !strcmp(name, "layernorm") || !strcmp(name, "rmsnorm") ||
                 !strcmp(name, "cast");
    gd_kc_opts ko;
    gd_kc_opts_init(&ko);
    const int64_t big = (int64_t)1 << 24;
    ko.seed = (uint64_t)cli_int(o, "seed", 1, 0, INT64_MAX);
    ko.spread = cli_double(o, "spread", is_row ? 10 : 1);
    ko.eps = cli_double(o, "eps", 1e-5);
    ko.m = cli_int(o, is_row ? "rows" : "m", is_row ? 4 : 64, 1, big);
    ko.n = cli_int(o, "n", is_row ? 1000 : 64, 1, big);
    ko.k = cli_int(o, "k", 64, 1, big);
    ko.nq = cli_int(o, "nq", 37, 1, big);
    ko.nk = cli_int(o, "nk", 100, 1, big);
    ko.d = cli_int(o, "d", 32, 1, big);
    ko.dv = cli_int(o, "dv", 32, 1, big);
    ko.heads = cli_int(o, "heads", 1, 1, 256);
    ko.kv_heads = cli_int(o, "kv-heads", ko.heads, 1, 256);
    ko.block = cli_int(o, "block", 16, 1, big);
    ko.causal = cli_flag(o, "causal");
    ko.scale = cli_double(o, "scale", 0);
    if (!(ko.scale >= 0 && ko.scale < INFINITY))
        es_fatal(ES_EXIT_BADINPUT, "--scale: expected a finite number >= 0, got '%s'", cli_get(o, "scale"));
    const char *s;
    if ((s = cli_get(o, "seqs")))
        ko.n_seqs = cli_int_list("seqs", s, ko.seqs, GD_KC_SEQS);
    if ((s = cli_get(o, "format")) && (gd_dtype_parse(s, &ko.fmt) || ko.fmt == GD_F32 || ko.fmt == GD_I32))
        es_fatal(ES_EXIT_BADINPUT, "--format: expected fp16, bf16, e4m3, e5m2, int8 or int4, got '%s'", s);
    if ((s = cli_get(o, "round")) && gd_round_parse(s, &ko.round))
        es_fatal(ES_EXIT_BADINPUT, "--round: expected nearest-even, nearest-away or toward-zero, got '%s'", s);
    if ((s = cli_get(o, "overflow")) && gd_overflow_parse(s, &ko.ovf))
        es_fatal(ES_EXIT_BADINPUT, "--overflow: expected saturate or inf, got '%s'", s);
    /* options that the kernel would ignore are errors, not silent no-ops */
    static const struct { const char *opt, *kernels; } only[] = {
        {"m", "gemm"}, {"k", "gemm"}, {"rows", "softmax layernorm rmsnorm cast"},
        {"n", "gemm softmax layernorm rmsnorm cast"}, {"nq", "attention"}, {"nk", "attention"}, {"d", "attention"},
        {"dv", "attention"}, {"heads", "attention"}, {"kv-heads", "attention"}, {"block", "attention"},
        {"causal", "attention"}, {"seqs", "attention"}, {"eps", "layernorm rmsnorm"}, {"format", "cast"},
        {"round", "cast"}, {"overflow", "cast"}, {"scale", "cast"}, {"input", "softmax layernorm rmsnorm cast"}};
    for (size_t i = 0; i < sizeof only / sizeof *only; i++)
        if (cli_get(o, only[i].opt) && !strstr(only[i].kernels, name))
            es_fatal(ES_EXIT_BADINPUT, "golden kernel %s: --%s applies only to: %s", name, only[i].opt,
                     only[i].kernels);
    if (ko.n_seqs && (cli_get(o, "nq") || cli_get(o, "nk")))
        es_fatal(ES_EXIT_BADINPUT, "golden kernel attention: give --seqs or --nq/--nk, not both");
    float *input = NULL;
    if ((s = cli_get(o, "input"))) {
        if (cli_get(o, "seed") || cli_get(o, "spread"))
            es_fatal(ES_EXIT_BADINPUT, "golden kernel: --input replaces --seed/--spread; give one");
        size_t cnt;
        input = read_f32(s, &cnt);
        if (!cli_get(o, "rows") && !cli_get(o, "n"))
            ko.m = 1, ko.n = (int64_t)cnt;
        if ((size_t)(ko.m * ko.n) != cnt)
            es_fatal(ES_EXIT_BADINPUT, "%s: %zu values; expected rows x n = %lld x %lld = %lld", s, cnt,
                     (long long)ko.m, (long long)ko.n, (long long)(ko.m * ko.n));
        ko.input = input;
    }
    const char *json = cli_get(o, "json");
    es_out jo;
    es_err e;
    if (json && es_out_open(&jo, json, &e))
        die(&e);
    gd_kc_result r;
    if (gd_kernel_check(name, &ko, &r, &e))
        die(&e);
    FILE *tx = json && !strcmp(json, "-") ? stderr : stdout;
    fprintf(tx, "golden kernel %s: %s", name, r.shape);
    if (!input)
        fprintf(tx, ", seed %llu", (unsigned long long)ko.seed);
    fprintf(tx, "\n  %-24s %11s %11s %11s %8s  %s\n", "comparison", "max |diff|", "max rel", "max ulp", "/bound",
            "bound");
    for (int i = 0; i < r.n_lines; i++) {
        const gd_kc_line *l = &r.line[i];
        char ratio[16] = "-";
        if (l->bound_ratio >= 0)
            snprintf(ratio, sizeof ratio, "%.3g", l->bound_ratio);
        fprintf(tx, "  %-24s %11.4g %11.4g %11.4g %8s  %s\n", l->what, l->max_abs, l->max_rel, l->max_ulp, ratio,
                l->bound);
    }
    if (r.note[0])
        fprintf(tx, "  %s\n", r.note);
    double worst = gd_kc_worst(&r);
    int ok = worst <= 1;
    fprintf(tx, "worst |diff|/bound %.3g: %s (docs/golden-kernels.md)\n", worst,
            ok ? "every difference within its stated bound" : "A BOUND IS EXCEEDED");
    if (json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "kernel", name);
        cJSON_AddStringToObject(j, "shape", r.shape);
        cJSON_AddNumberToObject(j, "seed", input ? 0 : (double)ko.seed);
        cJSON *a = cJSON_AddArrayToObject(j, "comparisons");
        for (int i = 0; i < r.n_lines; i++) {
            const gd_kc_line *l = &r.line[i];
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "what", l->what);
            cJSON_AddNumberToObject(x, "max_abs", l->max_abs);
            cJSON_AddNumberToObject(x, "max_rel", l->max_rel);
            cJSON_AddNumberToObject(x, "max_ulp", isfinite(l->max_ulp) ? l->max_ulp : -1);
            if (l->bound_ratio >= 0)
                cJSON_AddNumberToObject(x, "bound_ratio", isfinite(l->bound_ratio) ? l->bound_ratio : 1e308);
            cJSON_AddStringToObject(x, "bound", l->bound);
            cJSON_AddItemToArray(a, x);
        }
        if (r.note[0])
            cJSON_AddStringToObject(j, "note", r.note);
        cJSON_AddBoolToObject(j, "within_bounds", ok);
        char *t = cJSON_Print(j);
        fputs(t, jo.fp);
        fputc('\n', jo.fp);
        free(t);
        cJSON_Delete(j);
        if (es_out_commit(&jo, &e))
            die(&e);
    }
    free(input);
    return ok ? 0 : 1;
}


/* Model sizes from a bundled model (or YAML) or the config.json beside the
 * weights; name gets what to call the model in messages. */
static void resolve_config(const char *model, const char *weights, gd_config *c, char *name, size_t nsz)
{
    es_err e;
    if (model) {
        md_model md;
        if (md_model_load(model, &md, &e) != 0)
            die(&e);
        if (md_golden_config(&md, c, &e) != 0)
            es_fatal(ES_EXIT_BADINPUT, "%s: %s", md.file, e.msg);
        snprintf(name, nsz, "%s", md.name);
    } else {
        char dirbuf[4096], cfg[4200];
        snprintf(dirbuf, sizeof dirbuf, "%s", weights);
        snprintf(cfg, sizeof cfg, "%s/config.json", dirname(dirbuf));
        if (gd_config_from_hf_json(cfg, c, &e) != 0)
            die(&e);
        snprintf(name, nsz, "%s", cfg);
    }
}

/* --quant / --calib / --act-order, shared by forward, generate, quantize. */
typedef struct quant_args {
    int on;
    gd_qformat fmt;
    gd_calib cal;
    int act_order;
} quant_args;

static void parse_quant(const cli_opt *o, const gd_config *c, quant_args *q)
{
    memset(q, 0, sizeof *q);
    const char *f = cli_get(o, "quant"), *cal = cli_get(o, "calib");
    es_err e;
    q->act_order = cli_flag(o, "act-order");
    if (!f) {
        if (cal || q->act_order)
            es_fatal(ES_EXIT_BADINPUT, "golden: --%s applies only with --quant gptq...", cal ? "calib" : "act-order");
        return;
    }
    if (gd_qformat_parse(f, &q->fmt, &e))
        die(&e);
    q->on = 1;
    if (q->fmt.family == GD_QF_GPTQ) {
        if (!cal)
            es_fatal(ES_EXIT_BADINPUT, "--quant %s: GPTQ needs --calib SEED or --calib TOKEN-FILE", f);
        if (gd_calib_make(cal, c, &q->cal, &e))
            die(&e);
    } else if (cal || q->act_order)
        es_fatal(ES_EXIT_BADINPUT, "--%s applies only to gptq formats, not --quant %s", cal ? "calib" : "act-order", f);
}

static void print_quant_stats(FILE *fp, const gd_qformat *f, const gd_quant_stats *st)
{
    fprintf(fp, "quant %s: %d block matrices, %lld weights: %lld bytes (%.3f bits/weight; fp32 %lld bytes, %.2fx "
                "smaller); other parameters fp32 %lld bytes\n",
            f->name, st->n_mats, (long long)st->q_params, (long long)st->q_bytes,
            st->q_params ? 8.0 * (double)st->q_bytes / (double)st->q_params : 0.0, (long long)st->fp32_bytes,
            st->q_bytes ? (double)st->fp32_bytes / (double)st->q_bytes : 0.0, (long long)st->other_bytes);
}

/* Error of rows x od outputs y against the fp32 ones: max |diff|, relative
 * L2 (||y - ref|| / ||ref||), top-1 (argmax) agreement per row. */
static void print_quant_error(FILE *fp, int rows, int od, const float *y, const float *ref, int top1)
{
    double mx = 0, num = 0, den = 0;
    int agree = 0;
    for (int t = 0; t < rows; t++) {
        const float *a = y + (size_t)t * od, *b = ref + (size_t)t * od;
        int ba = 0, bb = 0;
        for (int j = 0; j < od; j++) {
            double d = fabs((double)a[j] - b[j]);
            mx = d > mx ? d : mx;
            num += d * d, den += (double)b[j] * b[j];
            if (a[j] > a[ba])
                ba = j;
            if (b[j] > b[bb])
                bb = j;
        }
        agree += ba == bb;
    }
    fprintf(fp, "error vs fp32: max |diff| %.6g, relative %.6g", mx, den > 0 ? sqrt(num / den) : 0.0);
    if (top1)
        fprintf(fp, ", top-1 agreement %d/%d\n", agree, rows);
    else
        fprintf(fp, " (encoder output: no top-1)\n");
}

static void print_sparse_stats(FILE *fp, const gd_sparsity *sp, const gd_sparse_stats *st)
{
    fprintf(fp, "sparsity %s: %d block matrices, %lld weights, %lld non-zero (%.2f %% zero): %lld bytes "
                "(values + indices; fp32 dense %lld bytes, %.2fx smaller)\n",
            sp->name, st->n_mats, (long long)st->params, (long long)st->nnz,
            st->params ? 100.0 * (double)(st->params - st->nnz) / (double)st->params : 0.0, (long long)st->bytes,
            (long long)st->fp32_bytes, st->bytes ? (double)st->fp32_bytes / (double)st->bytes : 0.0);
}

/* Fresh KV-pruning state for one decoding run (Keyformer's noise restarts
 * from the seed, so a rerun repeats the same choices). */
static void kvprune_start(gd_kvprune *p, const gd_sparsity *sp, const gd_config *c, int cap, int gen_len,
                          uint64_t seed)
{
    es_err e;
    gd_kvprune_free(p);
    if (gd_kvprune_init(p, sp->kind == GD_SP_KV_H2O ? GD_KVP_H2O : GD_KVP_KEYFORMER, sp->k, -1, gen_len, seed,
                        c->n_layers, c->n_heads, cap, &e))
        es_fatal(ES_EXIT_BADINPUT, "--sparsity %s: %s", sp->name, e.msg);
}

/* Last-token logits after the prompt (n tokens at once) and after each of
 * next[0 .. steps-2] fed one at a time through the KV cache: out [steps x
 * vocab]. */
static void decode_logits(const gd_model *m, const int *prompt, int n, const int *next, int steps, float *out)
{
    es_err e;
    gd_kv kv;
    int od = gd_out_dim(&m->c);
    if (gd_kv_init(&kv, m, n + steps, &e) || gd_forward(m, &kv, prompt, n, 1, out, &e))
        die(&e);
    for (int s = 1; s < steps; s++)
        if (gd_forward(m, &kv, &next[s - 1], 1, 1, out + (size_t)s * od, &e))
            die(&e);
    gd_kv_free(&kv);
}

static void print_kv_kept(FILE *fp, const gd_kvprune *p, int n_k)
{
    int lo = n_k, hi = 0;
    for (int l = 0; l < p->n_layers; l++)
        for (int h = 0; h < p->n_heads; h++) {
            int k = gd_kvprune_kept(p, l, h, n_k);
            lo = k < lo ? k : lo, hi = k > hi ? k : hi;
        }
    fprintf(fp, "kv cache: %d..%d of %d tokens kept per head (budget %d, recent window %d), %d evictions\n", lo, hi,
            n_k, p->budget, p->recent, p->evicted);
}

/* ---- einsim golden quantize ---------------------------------------------- */
static int cmd_golden_quantize(int argc, char **argv)
{
    cli_opt o[] = {{"model", 1, 0}, {"weights", 1, 0}, {"seed", 1, 0}, {"quant", 1, 0}, {"calib", 1, 0},
                   {"act-order", 0, 0}, {"o", 1, 0}, {NULL, 0, 0}};
    cli_parse(argc, argv, 2, o, NULL, 0, "golden quantize", usage_text);
    const char *model = cli_get(o, "model"), *weights = cli_get(o, "weights"), *outp = cli_get(o, "o");
    if (!!weights == !!cli_get(o, "seed"))
        es_fatal(ES_EXIT_BADINPUT, "golden quantize: give exactly one of --weights IN.safetensors and --seed S");
    if (!model && !weights)
        es_fatal(ES_EXIT_BADINPUT, "golden quantize: --model is needed unless --weights has a config.json beside it");
    if (!outp)
        es_fatal(ES_EXIT_BADINPUT, "golden quantize: -o OUT.safetensors is required");
    if (!cli_get(o, "quant"))
        es_fatal(ES_EXIT_BADINPUT, "golden quantize: --quant gptqB-gG or rtnB-gG is required");
    gd_config c;
    char name[1100];
    resolve_config(model, weights, &c, name, sizeof name);
    quant_args q;
    parse_quant(o, &c, &q);
    es_err e;
    gd_model m;
    if (weights ? gd_model_load(&m, &c, weights, &e)
                : gd_model_init_synthetic(&m, &c, (uint64_t)cli_int(o, "seed", 1, 0, INT64_MAX), &e))
        die(&e);
    gd_quant_stats st;
    if (gd_model_save_quantized(&m, &q.fmt, &q.cal, q.act_order, outp, &st, &e))
        die(&e);
    printf("model %s: %s, %d layers, d_model %d\n", name, gd_family_name(c.family), c.n_layers, c.d_model);
    print_quant_stats(stdout, &q.fmt, &st);
    printf("checkpoint written to %s (AutoGPTQ v1 tensors for %d matrices, the rest F32)\n", outp, st.n_mats);
    gd_calib_free(&q.cal);
    gd_model_free(&m);
    return 0;
}

int cmd_golden(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "kernel"))
        return cmd_golden_kernel(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "quantize"))
        return cmd_golden_quantize(argc, argv);
    if (argc < 2 || (strcmp(argv[1], "forward") && strcmp(argv[1], "generate"))) {
        if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
            fputs(usage_text, stdout);
            return 0;
        }
        es_fatal(ES_EXIT_BADINPUT, "golden: expected 'forward', 'generate', 'quantize' or 'kernel NAME'%s%s%s (see 'einsim golden --help')",
                 argc >= 2 ? ", got '" : "", argc >= 2 ? argv[1] : "", argc >= 2 ? "'" : "");
    }
    int generate = !strcmp(argv[1], "generate");
    cli_opt opts[] = {{"model", 1, NULL},       {"weights", 1, NULL}, {"seed", 1, NULL},
                      {"tokens", 1, NULL},      {"text", 1, NULL},    {"dump-logits", 1, NULL},
                      {"gen", 1, NULL},         {"ref-gemm", 0, NULL}, {"threads", 1, NULL},
                      {"save-weights", 1, NULL}, {"time", 0, NULL}, {"quant", 1, NULL},
                      {"calib", 1, NULL},       {"act-order", 0, NULL}, {"sparsity", 1, NULL}, {NULL, 0, NULL}};
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
    resolve_config(model, weights, &c, name, sizeof name);

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

    quant_args qa;
    parse_quant(opts, &c, &qa);
    gd_sparsity sp = {.kind = GD_SP_NONE};
    if (cli_get(opts, "sparsity")) {
        if (qa.on)
            es_fatal(ES_EXIT_BADINPUT, "golden: give --quant or --sparsity, not both");
        if (gd_sparsity_parse(cli_get(opts, "sparsity"), &sp, &e))
            die(&e);
        if (c.family == GD_FAM_BERT && (sp.kind == GD_SP_KV_H2O || sp.kind == GD_SP_KV_KEYFORMER))
            es_fatal(ES_EXIT_BADINPUT, "--sparsity %s: %s is an encoder (bert); it has no KV cache to prune", sp.name,
                     name);
    }
    int sparse_on = sp.kind != GD_SP_NONE;
    int kv_prune = sp.kind == GD_SP_KV_H2O || sp.kind == GD_SP_KV_KEYFORMER;

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
        /* config.json beside the weights, so --weights F alone reads them
         * back; opened first so a bad folder fails before either is written */
        char dirbuf[4096], cfg[4200];
        snprintf(dirbuf, sizeof dirbuf, "%s", save);
        snprintf(cfg, sizeof cfg, "%s/config.json", dirname(dirbuf));
        es_out cfg_out;
        cli_out_open(&cfg_out, "--save-weights", cfg);
        if (gd_model_save(&m, save, &e) != 0)
            die(&e);
        char *cj = gd_config_to_hf_json(&c);
        cli_out_commit(&cfg_out, cj);
        free(cj);
        fprintf(info, "weights written to %s (%d tensors, F32) and its config to %s\n", save, m.n_w, cfg);
    }
    print_ids("tokens", tok, n);

    /* --quant: m becomes the quantized model, ref keeps the fp32 one. */
    gd_model ref;
    if (qa.on) {
        ref = m;
        if (weights ? gd_model_load(&m, &c, weights, &e) : gd_model_init_synthetic(&m, &c, (uint64_t)seed, &e))
            die(&e);
        m.ref_gemm = ref.ref_gemm;
        gd_quant_stats qs;
        double tq = now_s();
        if (gd_model_quantize(&m, &qa.fmt, &qa.cal, qa.act_order, &qs, &e))
            die(&e);
        print_quant_stats(info, &qa.fmt, &qs);
        if (timing)
            fprintf(info, "time: quantize %.3f s\n", now_s() - tq);
    }
    /* --sparsity: m becomes the sparse model, ref the dense one (the same
     * weights when only attention is sparse). */
    int top_k = sp.k;
    gd_kvprune kvp;
    memset(&kvp, 0, sizeof kvp);
    if (gd_sparsity_is_weight(&sp)) {
        ref = m;
        if (weights ? gd_model_load(&m, &c, weights, &e) : gd_model_init_synthetic(&m, &c, (uint64_t)seed, &e))
            die(&e);
        m.ref_gemm = ref.ref_gemm;
        gd_sparse_stats ss;
        if (gd_model_sparsify(&m, &sp, &ss, &e))
            die(&e);
        print_sparse_stats(info, &sp, &ss);
    } else if (sparse_on) {
        ref = m;
        m.attention = kv_prune ? gd_kvprune_hook : gd_topk_hook;
        m.attn_ctx = kv_prune ? (void *)&kvp : (void *)&top_k;
        fprintf(info, "sparsity %s: %s; weights dense\n", sp.name,
                kv_prune ? "KV cache pruned during decoding" : "per-query top-k keys");
    }

    if (!generate) {
        int od = gd_out_dim(&c);
        float *out = malloc((size_t)n * od * sizeof *out);
        if (!out)
            es_fatal(ES_EXIT_BADINPUT, "golden: cannot allocate %d x %d outputs", n, od);
        double t2 = now_s();
        if (kv_prune) {
            /* one token at a time, so each position attends to the pruned cache */
            kvprune_start(&kvp, &sp, &c, n, n, (uint64_t)seed);
            decode_logits(&m, tok, 1, tok + 1, n, out);
        } else if (gd_forward(&m, NULL, tok, n, 0, out, &e) != 0)
            die(&e);
        double t3 = now_s();
        fprintf(info, "forward: %d tokens%s%s\n", n, m.ref_gemm ? " (reference GEMM)" : "",
                kv_prune ? " (one at a time through the KV cache)" : "");
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
        if (qa.on || sparse_on) {
            float *r32 = es_xmalloc((size_t)n * od * sizeof *r32);
            if (kv_prune)
                decode_logits(&ref, tok, 1, tok + 1, n, r32);
            else if (gd_forward(&ref, NULL, tok, n, 0, r32, &e) != 0)
                die(&e);
            print_quant_error(info, n, od, out, r32, c.family != GD_FAM_BERT);
            if (kv_prune)
                print_kv_kept(info, &kvp, n);
            free(r32);
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
        if (kv_prune)
            kvprune_start(&kvp, &sp, &c, n + gen, gen, (uint64_t)seed);
        if (gd_generate(&m, tok, n, gen, g, &e) != 0)
            die(&e);
        double t3 = now_s();
        fprintf(info, "generate: %d tokens (greedy, KV cache)\n", gen);
        if (timing)
            fprintf(info, "time: generate %.3f s\n", t3 - t2);
        print_ids("generated", g, gen);
        if (qa.on) {
            /* Prompt logits and the greedy continuation against fp32. */
            int od = gd_out_dim(&c);
            float *y = es_xmalloc((size_t)n * od * sizeof *y), *r32 = es_xmalloc((size_t)n * od * sizeof *r32);
            int *g32 = es_xmalloc((size_t)gen * sizeof *g32);
            if (gd_forward(&m, NULL, tok, n, 0, y, &e) || gd_forward(&ref, NULL, tok, n, 0, r32, &e) ||
                gd_generate(&ref, tok, n, gen, g32, &e))
                die(&e);
            fprintf(info, "prompt ");
            print_quant_error(info, n, od, y, r32, 1);
            int same = 0;
            while (same < gen && g[same] == g32[same])
                same++;
            fprintf(info, "generated tokens equal to fp32's: first %d of %d\n", same, gen);
            free(y), free(r32), free(g32);
        }
        if (sparse_on) {
            /* Logits of every generation step, both models fed the sparse
             * model's tokens (teacher-forced, so the steps stay comparable
             * after the two greedy paths part); then the dense greedy path. */
            int od = gd_out_dim(&c);
            float *y = es_xmalloc((size_t)gen * od * sizeof *y), *r32 = es_xmalloc((size_t)gen * od * sizeof *r32);
            int *g32 = es_xmalloc((size_t)gen * sizeof *g32);
            if (kv_prune)
                kvprune_start(&kvp, &sp, &c, n + gen, gen, (uint64_t)seed);
            decode_logits(&m, tok, n, g, gen, y);
            decode_logits(&ref, tok, n, g, gen, r32);
            if (gd_generate(&ref, tok, n, gen, g32, &e))
                die(&e);
            fprintf(info, "generation steps ");
            print_quant_error(info, gen, od, y, r32, 1);
            if (kv_prune)
                print_kv_kept(info, &kvp, n + gen - 1);
            int same = 0;
            while (same < gen && g[same] == g32[same])
                same++;
            fprintf(info, "generated tokens equal to dense fp32's: first %d of %d\n", same, gen);
            free(y), free(r32), free(g32);
        }
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
    gd_model_sparse_free(&m);
    gd_model_free(&m);
    if (qa.on || gd_sparsity_is_weight(&sp))
        gd_model_free(&ref);
    gd_kvprune_free(&kvp);
    gd_calib_free(&qa.cal);
    free(tok);
    return 0;
}
