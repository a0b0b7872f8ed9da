/* golden room: whole-model forward passes (GPT-2, BERT, Llama) on tiny
 * synthetic configs: a hand-computed case, an independent double-precision
 * reference, KV-cache decode vs prefill, packed variable-length batches vs
 * each sequence alone, safetensors save/load, config.json, generation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "golden/base/io.h"
#include "golden/model.h"

static void tiny(gd_config *c, gd_family f)
{
    gd_config_default(c, f);
    c->vocab = 53;
    c->d_model = 16;
    c->n_layers = 2;
    c->n_heads = 4;
    c->n_kv_heads = f == GD_FAM_LLAMA ? 2 : 4;
    c->head_dim = 4;
    c->ffn_dim = 24;
    c->max_seq = 40;
    c->type_vocab = 2;
    c->rope_theta = 10000.0;
}

static const gd_family fams[3] = {GD_FAM_GPT2, GD_FAM_BERT, GD_FAM_LLAMA};

static void tokens(int *t, int n, int vocab, int salt)
{
    for (int i = 0; i < n; i++)
        t[i] = (i * 17 + salt * 5 + 3) % vocab;
}

/* A tiny model of family f with synthetic weights from seed. */
static void tiny_model(gd_model *m, gd_config *c, gd_family f, uint64_t seed)
{
    es_err e;
    tiny(c, f);
    assert_int_equal(gd_model_init_synthetic(m, c, seed, &e), 0);
}

/* ---- hand-computed GPT-2 ----------------------------------------------------
 * d = 2, one head, one layer; wte = [[1,0],[0,1]], wpe = 0, every bias 0,
 * gains 1, c_attn maps to q = k = 0 and v = LN(x), c_proj = I, MLP = 0.
 * LN([1,0]) = [1,-1], LN([0,1]) = [-1,1] (up to eps).  Tokens [0, 1]:
 * equal scores, so token 0 attends to itself: a0 = [1,-1]; token 1 averages
 * both values: a1 = [0,0].  x0 = [2,-1], x1 = [0,1]; ln_f gives [1,-1] and
 * [-1,1]; tied head: logits0 = [1,-1], logits1 = [-1,1]. */
static void test_gpt2_by_hand(void **state)
{
    (void)state;
    gd_config c;
    gd_config_default(&c, GD_FAM_GPT2);
    c.vocab = 2, c.d_model = 2, c.n_layers = 1, c.n_heads = c.n_kv_heads = 1, c.head_dim = 2;
    c.ffn_dim = 2, c.max_seq = 4;
    gd_model m;
    es_err e;
    assert_int_equal(gd_model_init_synthetic(&m, &c, 1, &e), 0);
    for (int i = 0; i < m.n_w; i++) {
        gd_weight *w = &m.w[i];
        int64_t n = w->shape[0] * (w->ndim > 1 ? w->shape[1] : 1);
        for (int64_t j = 0; j < n; j++)
            w->data[j] = w->init == 1 ? 1.0f : 0.0f;
    }
    float wte[4] = {1, 0, 0, 1};
    memcpy(m.tok_emb, wte, sizeof wte);
    /* c_attn [in=2, out=6]: columns 4,5 (v) = identity. */
    m.L[0].wqkv[0 * 6 + 4] = 1, m.L[0].wqkv[1 * 6 + 5] = 1;
    m.L[0].wo[0] = 1, m.L[0].wo[3] = 1;
    int tok[2] = {0, 1};
    float out[4];
    assert_int_equal(gd_forward(&m, NULL, tok, 2, 0, out, &e), 0);
    const float want[4] = {1, -1, -1, 1};
    for (int i = 0; i < 4; i++)
        assert_true(fabsf(out[i] - want[i]) < 1e-4f);
    gd_model_free(&m);
}

/* ---- independent reference (double, plain loops, HF formulas) ------------- */
static void ref_norm(const double *x, int n, const float *g, const float *b, double eps, int rms, double *y)
{
    double mean = 0, var = 0;
    for (int j = 0; j < n; j++)
        mean += x[j];
    mean = rms ? 0 : mean / n;
    for (int j = 0; j < n; j++)
        var += (x[j] - mean) * (x[j] - mean);
    var /= n;
    for (int j = 0; j < n; j++)
        y[j] = (x[j] - mean) / sqrt(var + eps) * g[j] + (b ? b[j] : 0);
}

/* y[out] = x[in] . W (+b); W [in, out] when in_out else [out, in]. */
static void ref_lin(const double *x, int in, int out, const float *W, int in_out, const float *b, double *y)
{
    for (int j = 0; j < out; j++) {
        double s = b ? b[j] : 0;
        for (int i = 0; i < in; i++)
            s += x[i] * (in_out ? W[(size_t)i * out + j] : W[(size_t)j * in + i]);
        y[j] = s;
    }
}

static void ref_rope(double *v, int hd, int pos, double theta)
{
    for (int i = 0; i < hd / 2; i++) {
        double a = pos * pow(theta, -2.0 * i / hd), x = v[i], y = v[i + hd / 2];
        v[i] = x * cos(a) - y * sin(a);
        v[i + hd / 2] = x * sin(a) + y * cos(a);
    }
}

/* Full forward of one sequence; out [n x out_dim]. */
static void reference(const gd_model *m, const int *tok, int n, double *out)
{
    const gd_config *c = &m->c;
    int d = c->d_model, F = c->ffn_dim, H = c->n_heads, KV = c->n_kv_heads, hd = c->head_dim;
    int fam = c->family, rms = fam == GD_FAM_LLAMA;
    double *x = calloc((size_t)n * d, sizeof *x), *h = calloc((size_t)n * d, sizeof *h);
    double *q = calloc((size_t)n * H * hd, sizeof *q), *k = calloc((size_t)n * KV * hd, sizeof *k);
    double *v = calloc((size_t)n * KV * hd, sizeof *v), *a = calloc((size_t)n * H * hd, sizeof *a);
    double *f1 = calloc(F, sizeof *f1), *f3 = calloc(F, sizeof *f3), *tmp = calloc((size_t)3 * d, sizeof *tmp);
    double *sc = calloc(n, sizeof *sc);
    for (int t = 0; t < n; t++)
        for (int j = 0; j < d; j++)
            x[t * d + j] = m->tok_emb[(size_t)tok[t] * d + j] + (m->pos_emb ? m->pos_emb[t * d + j] : 0) +
                           (fam == GD_FAM_BERT ? m->type_emb[j] : 0);
    if (fam == GD_FAM_BERT)
        for (int t = 0; t < n; t++)
            ref_norm(x + t * d, d, m->emb_ln_g, m->emb_ln_b, c->norm_eps, 0, x + t * d);
    for (int l = 0; l < c->n_layers; l++) {
        const gd_layer *L = &m->L[l];
        for (int t = 0; t < n; t++) {
            double *in = x + t * d;
            if (fam != GD_FAM_BERT) {
                ref_norm(in, d, L->ln1_g, L->ln1_b, c->norm_eps, rms, h + t * d);
                in = h + t * d;
            }
            if (fam == GD_FAM_GPT2) {
                ref_lin(in, d, 3 * d, L->wqkv, 1, L->bqkv, tmp);
                memcpy(q + t * d, tmp, d * sizeof *tmp);
                memcpy(k + t * d, tmp + d, d * sizeof *tmp);
                memcpy(v + t * d, tmp + 2 * d, d * sizeof *tmp);
            } else {
                ref_lin(in, d, H * hd, L->wq, 0, L->bq, q + t * H * hd);
                ref_lin(in, d, KV * hd, L->wk, 0, L->bk, k + t * KV * hd);
                ref_lin(in, d, KV * hd, L->wv, 0, L->bv, v + t * KV * hd);
            }
            if (rms) {
                for (int hh = 0; hh < H; hh++)
                    ref_rope(q + (t * H + hh) * hd, hd, t, c->rope_theta);
                for (int hh = 0; hh < KV; hh++)
                    ref_rope(k + (t * KV + hh) * hd, hd, t, c->rope_theta);
            }
        }
        for (int t = 0; t < n; t++)
            for (int hh = 0; hh < H; hh++) {
                int g = hh / (H / KV), nk = fam == GD_FAM_BERT ? n : t + 1;
                double mx = -INFINITY, sum = 0;
                for (int s = 0; s < nk; s++) {
                    double dot = 0;
                    for (int j = 0; j < hd; j++)
                        dot += q[(t * H + hh) * hd + j] * k[(s * KV + g) * hd + j];
                    sc[s] = dot / sqrt(hd);
                    mx = fmax(mx, sc[s]);
                }
                for (int s = 0; s < nk; s++)
                    sum += (sc[s] = exp(sc[s] - mx));
                for (int j = 0; j < hd; j++) {
                    double o = 0;
                    for (int s = 0; s < nk; s++)
                        o += sc[s] / sum * v[(s * KV + g) * hd + j];
                    a[(t * H + hh) * hd + j] = o;
                }
            }
        for (int t = 0; t < n; t++) {
            double *xt = x + t * d;
            ref_lin(a + t * H * hd, H * hd, d, L->wo, fam == GD_FAM_GPT2, L->bo, tmp);
            for (int j = 0; j < d; j++)
                xt[j] += tmp[j];
            if (fam == GD_FAM_BERT)
                ref_norm(xt, d, L->ln1_g, L->ln1_b, c->norm_eps, 0, xt);
            double *in = xt;
            if (fam != GD_FAM_BERT) {
                ref_norm(xt, d, L->ln2_g, L->ln2_b, c->norm_eps, rms, h);
                in = h;
            }
            ref_lin(in, d, F, L->w1, fam == GD_FAM_GPT2, L->b1, f1);
            if (rms)
                ref_lin(in, d, F, L->w3, 0, NULL, f3);
            for (int j = 0; j < F; j++) {
                double z = f1[j];
                if (fam == GD_FAM_GPT2)
                    f1[j] = 0.5 * z * (1 + tanh(sqrt(2 / M_PI) * (z + 0.044715 * z * z * z)));
                else if (fam == GD_FAM_BERT)
                    f1[j] = 0.5 * z * (1 + erf(z / sqrt(2.0)));
                else
                    f1[j] = z / (1 + exp(-z)) * f3[j];
            }
            ref_lin(f1, F, d, L->w2, fam == GD_FAM_GPT2, L->b2, tmp);
            for (int j = 0; j < d; j++)
                xt[j] += tmp[j];
            if (fam == GD_FAM_BERT)
                ref_norm(xt, d, L->ln2_g, L->ln2_b, c->norm_eps, 0, xt);
        }
    }
    for (int t = 0; t < n; t++) {
        if (fam == GD_FAM_BERT) {
            memcpy(out + (size_t)t * d, x + t * d, d * sizeof *x);
            continue;
        }
        ref_norm(x + t * d, d, m->lnf_g, m->lnf_b, c->norm_eps, rms, h);
        ref_lin(h, d, c->vocab, m->lm_head, 0, NULL, out + (size_t)t * c->vocab);
    }
    free(x), free(h), free(q), free(k), free(v), free(a), free(f1), free(f3), free(tmp), free(sc);
}

/* fp32 golden vs the double reference: every output within 1e-5 + 1e-4 |ref|
 * (fp32 rounding over a few hundred operations per value at these sizes). */
static void test_matches_reference(void **state)
{
    (void)state;
    for (int fi = 0; fi < 3; fi++) {
        gd_config c;
        tiny(&c, fams[fi]);
        gd_model m;
        es_err e;
        assert_int_equal(gd_model_init_synthetic(&m, &c, 7 + fi, &e), 0);
        /* Larger weights than the 0.02 init so attention is far from uniform. */
        for (int i = 0; i < m.n_w; i++)
            if (m.w[i].init != 1)
                for (int64_t j = 0; j < m.w[i].shape[0] * (m.w[i].ndim > 1 ? m.w[i].shape[1] : 1); j++)
                    m.w[i].data[j] *= 25.0f;
        int n = 11, tok[11], od = gd_out_dim(&c);
        tokens(tok, n, c.vocab, fi);
        float *got = malloc((size_t)n * od * sizeof *got);
        double *want = malloc((size_t)n * od * sizeof *want);
        for (int rg = 0; rg < 2; rg++) {
            m.ref_gemm = rg;
            assert_int_equal(gd_forward(&m, NULL, tok, n, 0, got, &e), 0);
            reference(&m, tok, n, want);
            double worst = 0;
            for (int i = 0; i < n * od; i++) {
                double err = fabs(got[i] - want[i]) / (1e-5 + 1e-4 * fabs(want[i]));
                worst = fmax(worst, err);
            }
            if (worst > 1 || getenv("GD_TEST_VERBOSE"))
                fprintf(stderr, "%s ref_gemm=%d: worst error %.3g of the bound\n", gd_family_name(c.family), rg, worst);
            assert_true(worst <= 1);
        }
        free(got);
        free(want);
        gd_model_free(&m);
    }
}

/* Prefill k tokens into the cache, decode the rest one at a time; each row
 * equals the full-prefill row within 1e-5 + 1e-5 |x| (different GEMM shapes
 * round differently; the attention kernel sums keys in the same order). */
static void test_kv_decode_matches_prefill(void **state)
{
    (void)state;
    for (int fi = 0; fi < 3; fi += 2) {
        gd_config c;
        gd_model m;
        es_err e;
        tiny_model(&m, &c, fams[fi], 11);
        int n = 13, k = 5, tok[13], V = c.vocab;
        tokens(tok, n, V, 3);
        float *full = malloc((size_t)n * V * sizeof *full), *step = malloc((size_t)n * V * sizeof *step);
        assert_int_equal(gd_forward(&m, NULL, tok, n, 0, full, &e), 0);
        gd_kv kv;
        assert_int_equal(gd_kv_init(&kv, &m, n, &e), 0);
        assert_int_equal(gd_forward(&m, &kv, tok, k, 0, step, &e), 0);
        for (int t = k; t < n; t++)
            assert_int_equal(gd_forward(&m, &kv, tok + t, 1, 1, step + (size_t)t * V, &e), 0);
        assert_int_equal(kv.len, n);
        for (int i = 0; i < n * V; i++)
            assert_true(fabsf(full[i] - step[i]) <= 1e-5f + 1e-5f * fabsf(full[i]));
        /* Cache full. */
        assert_int_equal(gd_forward(&m, &kv, tok, 1, 1, step, &e), -1);
        assert_non_null(strstr(e.msg, "KV cache full"));
        gd_kv_free(&kv);
        free(full);
        free(step);
        gd_model_free(&m);
    }
}

/* A packed batch gives each sequence exactly its logits alone with the
 * defined-order GEMM (ref_gemm): every row-wise step and the attention are
 * per token / per sequence, and gd_gemm_ref computes each row the same way
 * whatever the row count.  OpenBLAS picks kernels by matrix size, so with the
 * fast GEMM the two agree within 1e-5 + 1e-5 |x| instead (documented). */
static void test_packed_equals_alone(void **state)
{
    (void)state;
    const int lens[4] = {6, 1, 9, 3};
    int off[5] = {0};
    for (int s = 0; s < 4; s++)
        off[s + 1] = off[s] + lens[s];
    int T = off[4], tok[19];
    for (int fi = 0; fi < 3; fi++)
        for (int rg = 0; rg < 2; rg++) {
            gd_config c;
            tiny(&c, fams[fi]);
            gd_model m;
            es_err e;
            assert_int_equal(gd_model_init_synthetic(&m, &c, 5, &e), 0);
            m.ref_gemm = rg;
            int od = gd_out_dim(&c);
            for (int s = 0; s < 4; s++)
                tokens(tok + off[s], lens[s], c.vocab, s);
            float *packed = malloc((size_t)T * od * sizeof *packed), *alone = malloc((size_t)T * od * sizeof *alone);
            assert_int_equal(gd_forward_packed(&m, tok, off, 4, packed, &e), 0);
            for (int s = 0; s < 4; s++)
                assert_int_equal(gd_forward(&m, NULL, tok + off[s], lens[s], 0, alone + (size_t)off[s] * od, &e), 0);
            if (rg)
                assert_memory_equal(packed, alone, (size_t)T * od * sizeof *packed);
            else
                for (int i = 0; i < T * od; i++)
                    assert_true(fabsf(packed[i] - alone[i]) <= 1e-5f + 1e-5f * fabsf(alone[i]));
            free(packed);
            free(alone);
            gd_model_free(&m);
        }
}

static void test_save_load_exact(void **state)
{
    (void)state;
    char path[] = "/tmp/einsim-test-model-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    for (int fi = 0; fi < 3; fi++) {
        gd_config c;
        tiny(&c, fams[fi]);
        if (fi == 2)
            c.tied = 0;
        gd_model a, b;
        es_err e;
        assert_int_equal(gd_model_init_synthetic(&a, &c, 99, &e), 0);
        assert_int_equal(gd_model_save(&a, path, &e), 0);
        assert_int_equal(gd_model_load(&b, &c, path, &e), 0);
        int n = 7, tok[7], od = gd_out_dim(&c);
        tokens(tok, n, c.vocab, 1);
        float *la = malloc((size_t)n * od * sizeof *la), *lb = malloc((size_t)n * od * sizeof *lb);
        assert_int_equal(gd_forward(&a, NULL, tok, n, 0, la, &e), 0);
        assert_int_equal(gd_forward(&b, NULL, tok, n, 0, lb, &e), 0);
        assert_memory_equal(la, lb, (size_t)n * od * sizeof *la);
        gd_model_free(&b);
        /* A different seed gives different weights; the same seed the same. */
        gd_model s2;
        assert_int_equal(gd_model_init_synthetic(&s2, &c, 99, &e), 0);
        assert_memory_equal(s2.mem, a.mem, (size_t)gd_param_count(&c) * sizeof(float));
        gd_model_free(&s2);
        assert_int_equal(gd_model_init_synthetic(&s2, &c, 100, &e), 0);
        assert_true(memcmp(s2.mem, a.mem, (size_t)gd_param_count(&c) * sizeof(float)) != 0);
        gd_model_free(&s2);
        /* Loading with another config names the tensor whose shape differs. */
        gd_config c2 = c;
        c2.ffn_dim = 20;
        assert_int_equal(gd_model_load(&b, &c2, path, &e), -1);
        assert_non_null(strstr(e.msg, path));
        assert_non_null(strstr(e.msg, "expected ["));
        free(la);
        free(lb);
        gd_model_free(&a);
        if (fi == 0) {
            /* One more layer than the file has: the missing tensor is named. */
            c2 = c;
            c2.n_layers = 3;
            assert_int_equal(gd_model_load(&b, &c2, path, &e), -1);
            assert_non_null(strstr(e.msg, "tensor 'h.2.ln_1.weight' not found"));
        }
    }
    unlink(path);
}

/* Known parameter counts: GPT-2 small 124,439,808 (HF GPT2LMHeadModel);
 * BERT-base without pooler 109,482,240 - 590,592 = 108,891,648. */
static void test_param_counts(void **state)
{
    (void)state;
    gd_config c;
    gd_config_default(&c, GD_FAM_GPT2);
    assert_int_equal(gd_param_count(&c), 124439808);
    gd_config_default(&c, GD_FAM_BERT);
    assert_int_equal(gd_param_count(&c), 108891648);
}

static void test_config_json(void **state)
{
    (void)state;
    char path[] = "/tmp/einsim-test-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    es_err e;
    gd_config c;
    const char *js = "{\"model_type\": \"llama\", \"hidden_size\": 64, \"num_hidden_layers\": 2, "
                     "\"num_attention_heads\": 8, \"num_key_value_heads\": 2, \"intermediate_size\": 96, "
                     "\"vocab_size\": 100, \"max_position_embeddings\": 128, \"rms_norm_eps\": 1e-6, "
                     "\"rope_theta\": 500000.0, \"tie_word_embeddings\": false, \"hidden_act\": \"silu\"}";
    assert_int_equal(es_write_file(path, js, strlen(js), &e), 0);
    assert_int_equal(gd_config_from_hf_json(path, &c, &e), 0);
    assert_int_equal(c.family, GD_FAM_LLAMA);
    assert_int_equal(c.head_dim, 8);
    assert_int_equal(c.n_kv_heads, 2);
    assert_int_equal(c.tied, 0);
    assert_true(c.rope_theta == 500000.0);
    assert_int_equal(c.rope_llama3, 0);
    js = "{\"model_type\": \"llama\", \"hidden_size\": 64, \"num_hidden_layers\": 2, \"num_attention_heads\": 8, "
         "\"intermediate_size\": 96, \"vocab_size\": 100, \"tie_word_embeddings\": true, "
         "\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 32.0, \"low_freq_factor\": 1.0, "
         "\"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}}";
    assert_int_equal(es_write_file(path, js, strlen(js), &e), 0);
    assert_int_equal(gd_config_from_hf_json(path, &c, &e), 0);
    assert_int_equal(c.rope_llama3, 1);
    assert_true(c.rope_factor == 32.0 && c.rope_original_max_seq == 8192);
    assert_int_equal(c.n_kv_heads, 8);
    assert_int_equal(c.tied, 1);
    js = "{\"model_type\": \"llama\", \"hidden_size\": 64, \"num_hidden_layers\": 2, \"num_attention_heads\": 8, "
         "\"intermediate_size\": 96, \"vocab_size\": 100, \"rope_scaling\": {\"rope_type\": \"yarn\"}}";
    assert_int_equal(es_write_file(path, js, strlen(js), &e), 0);
    assert_int_equal(gd_config_from_hf_json(path, &c, &e), -1);
    assert_non_null(strstr(e.msg, "rope_scaling"));
    js = "{\"model_type\": \"gpt2\", \"n_embd\": 32, \"n_layer\": 1, \"n_head\": 4, \"vocab_size\": 10, "
         "\"n_positions\": 16, \"activation_function\": \"relu\"}";
    assert_int_equal(es_write_file(path, js, strlen(js), &e), 0);
    assert_int_equal(gd_config_from_hf_json(path, &c, &e), -1);
    assert_non_null(strstr(e.msg, "activation_function"));
    js = "{\"model_type\": \"t5\"}";
    assert_int_equal(es_write_file(path, js, strlen(js), &e), 0);
    assert_int_equal(gd_config_from_hf_json(path, &c, &e), -1);
    assert_non_null(strstr(e.msg, "model_type 't5'"));
    unlink(path);
}

static void test_generate_and_errors(void **state)
{
    (void)state;
    for (int fi = 0; fi < 3; fi += 2) {
        gd_config c;
        gd_model m;
        es_err e;
        tiny_model(&m, &c, fams[fi], 3);
        int prompt[3] = {4, 8, 15}, gen[6];
        assert_int_equal(gd_generate(&m, prompt, 3, 6, gen, &e), 0);
        /* Greedy by construction: each generated id is the argmax of a full
         * forward over the sequence so far (within the decode bound, ties
         * aside, so compare the chosen logit with the best one). */
        int seq[9];
        memcpy(seq, prompt, sizeof prompt);
        memcpy(seq + 3, gen, sizeof gen);
        float *lg = malloc((size_t)9 * c.vocab * sizeof *lg);
        assert_int_equal(gd_forward(&m, NULL, seq, 9, 0, lg, &e), 0);
        for (int g = 0; g < 6; g++) {
            const float *row = lg + (size_t)(2 + g) * c.vocab;
            float best = row[0];
            for (int j = 1; j < c.vocab; j++)
                best = fmaxf(best, row[j]);
            assert_true(row[gen[g]] >= best - 1e-5f);
        }
        free(lg);
        int bad = c.vocab;
        float out[64 * 53];
        assert_int_equal(gd_forward(&m, NULL, &bad, 1, 0, out, &e), -1);
        assert_non_null(strstr(e.msg, "outside the vocabulary"));
        int many[41] = {0};
        assert_int_equal(gd_forward(&m, NULL, many, 41, 1, out, &e), -1);
        assert_non_null(strstr(e.msg, "exceeds the model's 40 positions"));
        gd_model_free(&m);
    }
    gd_config c;
    tiny(&c, GD_FAM_GPT2);
    c.n_heads = 3;
    gd_model m;
    es_err e;
    assert_int_equal(gd_model_init_synthetic(&m, &c, 1, &e), -1);
    assert_non_null(strstr(e.msg, "n_heads"));
}

/* Llama 3 RoPE scaling: with factor 1 every frequency is kept, so the logits
 * equal unscaled RoPE bit for bit; with factor 32 the long wavelengths
 * (head_dim 16, theta 10000, original context 64: pairs whose wavelength
 * exceeds 64 / low_freq_factor) are divided and the logits change. */
/* stop_after_layers: the linear hook sees exactly the first layer's inputs of
 * a full forward (same bits), nothing after it, and the output is untouched. */
typedef struct hook_log {
    int calls;
    float *x[16];
    size_t n[16];
} hook_log;

static void log_hook(void *ctx, const float *W, int T, int in, const float *x)
{
    (void)W;
    hook_log *h = ctx;
    if (h->calls < 16) {
        h->n[h->calls] = (size_t)T * in;
        h->x[h->calls] = malloc(h->n[h->calls] * sizeof(float));
        memcpy(h->x[h->calls], x, h->n[h->calls] * sizeof(float));
    }
    h->calls++;
}

static void test_stop_after_layers(void **state)
{
    (void)state;
    for (int fi = 0; fi < 3; fi++) {
        gd_model m;
        gd_config c;
        es_err e;
        tiny_model(&m, &c, fams[fi], 5);
        int tok[9];
        tokens(tok, 9, c.vocab, fi);
        float *out = malloc((size_t)9 * gd_out_dim(&c) * sizeof *out);
        hook_log full = {0}, part = {0};
        m.linear_hook = log_hook;
        m.hook_ctx = &full;
        assert_int_equal(gd_forward(&m, NULL, tok, 9, 0, out, &e), 0);
        out[0] = 12345.0f;
        m.hook_ctx = &part;
        m.stop_after_layers = 1;
        assert_int_equal(gd_forward(&m, NULL, tok, 9, 0, out, &e), 0);
        assert_true(out[0] == 12345.0f); /* head skipped */
        assert_int_equal(full.calls, c.n_layers * part.calls);
        assert_true(part.calls >= 3);
        for (int i = 0; i < part.calls; i++) {
            assert_int_equal(part.n[i], full.n[i]);
            assert_memory_equal(part.x[i], full.x[i], part.n[i] * sizeof(float));
        }
        for (int i = 0; i < 16; i++)
            free(full.x[i]), free(part.x[i]);
        free(out);
        gd_model_free(&m);
    }
}

static void test_rope_llama3(void **state)
{
    (void)state;
    gd_config c;
    tiny(&c, GD_FAM_LLAMA);
    c.n_heads = 2, c.n_kv_heads = 1, c.head_dim = 16;
    gd_model m;
    es_err e;
    assert_int_equal(gd_model_init_synthetic(&m, &c, 21, &e), 0);
    int n = 30, tok[30], V = c.vocab;
    tokens(tok, n, V, 2);
    float *plain = malloc((size_t)n * V * sizeof *plain), *scaled = malloc((size_t)n * V * sizeof *scaled);
    assert_int_equal(gd_forward(&m, NULL, tok, n, 0, plain, &e), 0);
    m.c.rope_llama3 = 1;
    m.c.rope_factor = 1.0;
    m.c.rope_low_freq_factor = 1.0;
    m.c.rope_high_freq_factor = 4.0;
    m.c.rope_original_max_seq = 64;
    assert_int_equal(gd_forward(&m, NULL, tok, n, 0, scaled, &e), 0);
    assert_memory_equal(plain, scaled, (size_t)n * V * sizeof *plain);
    m.c.rope_factor = 32.0;
    assert_int_equal(gd_forward(&m, NULL, tok, n, 0, scaled, &e), 0);
    assert_true(memcmp(plain, scaled, (size_t)n * V * sizeof *plain) != 0);
    /* Position 0 rotates nothing, whatever the frequencies. */
    assert_memory_equal(plain, scaled, (size_t)V * sizeof *plain);
    free(plain);
    free(scaled);
    gd_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gpt2_by_hand),        cmocka_unit_test(test_matches_reference),
        cmocka_unit_test(test_kv_decode_matches_prefill), cmocka_unit_test(test_packed_equals_alone),
        cmocka_unit_test(test_save_load_exact),     cmocka_unit_test(test_param_counts),
        cmocka_unit_test(test_config_json),         cmocka_unit_test(test_generate_and_errors),  cmocka_unit_test(test_rope_llama3),
        cmocka_unit_test(test_stop_after_layers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
