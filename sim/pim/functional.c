/* sim/pim/functional.c: PIM decode with values (pim.h, pim_functional).
 *
 * A GPT-2-family model with golden's synthetic weights runs its decode
 * steps through the PIM dataflow of the mapping: each GEMV's weights sit in
 * bank rows as BF16, the input vector in the global buffer as BF16, a bank's
 * MAC unit (pim_mac_column) accumulates one dot product (or one row-chunk /
 * channel slice of it) in fp32, RD_MAC returns it as BF16, and the ASIC adds
 * the partial sums and the bias in fp32.  The KV cache is BF16 in the banks
 * (kv_in_pim) or read by the ASIC (otherwise, fp32 products of the BF16
 * cache).  LayerNorm, softmax, GELU and residual adds are the ASIC's own
 * arithmetic (pim_asic_*).  The prompt's cache comes from golden's forward
 * (as the timing model takes it as present), rounded to BF16.  Each step's
 * logits are compared with gd_forward's; both continue with golden's
 * argmax, so the sequences stay the same. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "golden/kernels.h"
#include "golden/model.h"
#include "golden/numfmt.h"
#include "sim/pim/pim.h"

static float bf(float x)
{
    uint16_t h = gd_f32_to_bf16(x, GD_RND_NEAREST_EVEN, GD_OVF_INF);
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint16_t bfbits(float x)
{
    return gd_f32_to_bf16(x, GD_RND_NEAREST_EVEN, GD_OVF_INF);
}

typedef struct fctx {
    const pim_arch *a;
    const pim_mapping *mp;
    int row_e, lanes;
    uint16_t *wrow, *xg; /* staging of one dot product's operands */
} fctx;

/* One bank dot product over [lo, hi) of w (stride ws) and x: columns of
 * `lanes` BF16 values (a short last column zero-padded), RD_MAC as BF16. */
static float bank_dot(fctx *f, const float *w, size_t ws, const float *x, int lo, int hi)
{
    float acc = 0;
    for (int c = lo; c < hi; c += f->lanes) {
        for (int i = 0; i < f->lanes; i++) {
            int k = c + i;
            f->wrow[i] = k < hi ? bfbits(w[(size_t)k * ws]) : 0;
            f->xg[i] = k < hi ? bfbits(x[k]) : 0;
        }
        acc = pim_mac_column(acc, f->wrow, f->xg, f->lanes);
    }
    return bf(acc);
}

/* Partial-sum boundaries of a k-long dot product under the mapping: channel
 * slices (split_k) cut into row-size chunks; every piece is one RD_MAC. */
static float pim_dot(fctx *f, const float *w, size_t ws, const float *x, int k)
{
    int slice = f->mp->split_k ? (k + f->a->channels - 1) / f->a->channels : k;
    float s = 0;
    for (int lo = 0; lo < k; lo += slice) {
        int shi = lo + slice < k ? lo + slice : k;
        for (int c = lo; c < shi; c += f->row_e)
            s += bank_dot(f, w + (size_t)c * ws, ws, x + c, 0, (c + f->row_e < shi ? c + f->row_e : shi) - c);
    }
    return s;
}

/* y[n] = x[k] W (+ b).  in_out: W is [k, n] (GPT-2 Conv1D), else [n, k]. */
static void gemv(fctx *f, const float *W, int in_out, int k, int n, const float *x, const float *b, float *y)
{
    for (int j = 0; j < n; j++) {
        const float *w = in_out ? W + j : W + (size_t)j * k;
        y[j] = pim_dot(f, w, in_out ? (size_t)n : 1, x, k) + (b ? b[j] : 0.0f);
    }
}

static int gpt2_config(const md_model *m, gd_config *c, es_err *e)
{
    if (m->family != MD_FAM_GPT2)
        return es_fail(e, "functional PIM decode runs the GPT-2 family (GPT-2, GPT-3 sizes); %s is %s", m->name,
                       md_family_name(m->family));
    gd_config_default(c, GD_FAM_GPT2);
    c->vocab = (int)m->vocab;
    c->d_model = (int)m->d_model;
    c->n_layers = (int)m->n_layers;
    c->n_heads = c->n_kv_heads = (int)m->n_heads;
    c->head_dim = (int)m->head_dim;
    c->ffn_dim = (int)m->ffn_dim;
    c->max_seq = (int)m->max_seq;
    c->norm_eps = (float)m->norm_eps;
    c->tied = 1;
    return gd_config_check(c, e);
}

int pim_functional(const pim_arch *a, const md_model *md, const pim_opts *o, uint64_t seed, pim_func_result *fr,
                   es_err *e)
{
    memset(fr, 0, sizeof *fr);
    gd_config c;
    if (gpt2_config(md, &c, e))
        return -1;
    if (c.n_heads * c.head_dim != c.d_model)
        return es_fail(e, "functional PIM decode: %s has heads x head_dim != d_model (golden's GPT-2 needs equal)",
                       md->name);
    if (o->prompt < 1 || o->prompt + o->gen > c.max_seq)
        return es_fail(e, "functional PIM decode: prompt %lld + gen %lld must fit 1..%d positions",
                       (long long)o->prompt, (long long)o->gen, c.max_seq);
    gd_model m;
    if (gd_model_init_synthetic(&m, &c, seed, e))
        return -1;
    m.ref_gemm = 0; /* OpenBLAS: golden's fast path (the prompt prefill dominates otherwise) */
    int d = c.d_model, H = c.n_heads, hd = c.head_dim, F = c.ffn_dim, V = c.vocab;
    int P = (int)o->prompt, G = (int)o->gen, cap = P + G;
    gd_kv kv;
    if (gd_kv_init(&kv, &m, cap, e)) {
        gd_model_free(&m);
        return -1;
    }
    fctx f = {a, o->mapping ? o->mapping : &a->mapping, (int)(a->dram.org.row_bytes / a->word_bytes), a->mac_lanes,
              NULL, NULL};
    f.wrow = es_xmalloc((size_t)f.lanes * sizeof *f.wrow);
    f.xg = es_xmalloc((size_t)f.lanes * sizeof *f.xg);
    size_t kvn = (size_t)c.n_layers * cap * d;
    float *K = es_xcalloc(kvn, sizeof *K), *Vc = es_xcalloc(kvn, sizeof *Vc); /* BF16 values */
    float *x = es_xmalloc((size_t)d * sizeof *x), *h = es_xmalloc((size_t)d * sizeof *h);
    float *qkv = es_xmalloc((size_t)3 * d * sizeof *qkv), *att = es_xmalloc((size_t)d * sizeof *att);
    float *f1 = es_xmalloc((size_t)F * sizeof *f1), *t = es_xmalloc((size_t)d * sizeof *t);
    float *sc = es_xmalloc((size_t)cap * sizeof *sc), *p = es_xmalloc((size_t)cap * sizeof *p);
    float *logits = es_xmalloc((size_t)V * sizeof *logits), *ref = es_xmalloc((size_t)V * sizeof *ref);
    int *tok = es_xmalloc((size_t)cap * sizeof *tok);
    for (int i = 0; i < P; i++)
        tok[i] = (int)((seed * 2654435761u + (uint64_t)i * 40503u) % (uint64_t)V);
    int rc = gd_forward(&m, &kv, tok, P, 1, ref, e);
    for (size_t i = 0; !rc && i < (size_t)c.n_layers; i++)
        for (size_t r = 0; r < (size_t)P; r++)
            for (size_t j = 0; j < (size_t)d; j++) {
                K[(i * cap + r) * d + j] = bf(kv.k[(i * kv.cap + r) * d + j]);
                Vc[(i * cap + r) * d + j] = bf(kv.v[(i * kv.cap + r) * d + j]);
            }
    /* the next token: golden's argmax after the prompt */
    int next = 0;
    for (int j = 1; j < V; j++)
        if (ref[j] > ref[next])
            next = j;
    double max_err = 0, max_ref = 0;
    int agree = 0;
    const pim_asic *A = &a->asic;
    float scale = 1.0f / sqrtf((float)hd);
    for (int s = 0; s < G && !rc; s++) {
        int pos = P + s, L = pos + 1;
        for (int j = 0; j < d; j++)
            x[j] = m.tok_emb[(size_t)next * d + j] + m.pos_emb[(size_t)pos * d + j];
        for (int l = 0; l < c.n_layers; l++) {
            const gd_layer *Ly = &m.L[l];
            pim_asic_layernorm(A, d, x, Ly->ln1_g, Ly->ln1_b, c.norm_eps, h);
            gemv(&f, Ly->wqkv, 1, d, 3 * d, h, Ly->bqkv, qkv);
            float *Kl = K + (size_t)l * cap * d, *Vl = Vc + (size_t)l * cap * d;
            for (int j = 0; j < d; j++) { /* the new token's K, V written into the banks */
                Kl[(size_t)pos * d + j] = bf(qkv[d + j]);
                Vl[(size_t)pos * d + j] = bf(qkv[2 * d + j]);
            }
            for (int hh = 0; hh < H; hh++) {
                const float *q = qkv + hh * hd;
                for (int r = 0; r < L; r++) {
                    const float *kr = Kl + (size_t)r * d + hh * hd;
                    if (f.mp->kv_in_pim)
                        sc[r] = bank_dot(&f, kr, 1, q, 0, hd) * scale;
                    else {
                        float acc = 0; /* the ASIC reads the BF16 cache */
                        for (int i = 0; i < hd; i++)
                            acc += bf(q[i]) * kr[i];
                        sc[r] = acc * scale;
                    }
                }
                pim_asic_softmax(A, L, sc, p);
                for (int fo = 0; fo < hd; fo++) {
                    const float *vcol = Vl + hh * hd + fo; /* stride d: V column-major in the banks */
                    if (f.mp->kv_in_pim) {
                        float sum = 0;
                        for (int lo = 0; lo < L; lo += f.row_e)
                            sum += bank_dot(&f, vcol + (size_t)lo * d, (size_t)d, p + lo, 0,
                                            (lo + f.row_e < L ? lo + f.row_e : L) - lo);
                        att[hh * hd + fo] = sum;
                    } else {
                        float acc = 0;
                        for (int r = 0; r < L; r++)
                            acc += p[r] * vcol[(size_t)r * d];
                        att[hh * hd + fo] = acc;
                    }
                }
            }
            gemv(&f, Ly->wo, 1, d, d, att, Ly->bo, t);
            for (int j = 0; j < d; j++)
                x[j] += t[j];
            pim_asic_layernorm(A, d, x, Ly->ln2_g, Ly->ln2_b, c.norm_eps, h);
            gemv(&f, Ly->w1, 1, d, F, h, Ly->b1, f1);
            for (int j = 0; j < F; j++)
                f1[j] = pim_asic_gelu_tanh(f1[j], A->exp_terms, A->recip_iters);
            gemv(&f, Ly->w2, 1, F, d, f1, Ly->b2, t);
            for (int j = 0; j < d; j++)
                x[j] += t[j];
        }
        pim_asic_layernorm(A, d, x, m.lnf_g, m.lnf_b, c.norm_eps, h);
        gemv(&f, m.tok_emb, 0, d, V, h, NULL, logits); /* tied LM head: [vocab, d] */
        if ((rc = gd_forward(&m, &kv, &next, 1, 1, ref, e)))
            break;
        int pa = 0, ga = 0;
        for (int j = 0; j < V; j++) {
            double err = fabs((double)logits[j] - ref[j]);
            max_err = err > max_err ? err : max_err;
            max_ref = fabs(ref[j]) > max_ref ? fabs(ref[j]) : max_ref;
            if (logits[j] > logits[pa])
                pa = j;
            if (ref[j] > ref[ga])
                ga = j;
        }
        agree += pa == ga;
        next = ga;
    }
    fr->tokens = G;
    fr->max_abs_err = max_err;
    fr->max_rel_err = max_ref > 0 ? max_err / max_ref : 0;
    fr->argmax_agree = agree;
    free(f.wrow), free(f.xg), free(K), free(Vc), free(x), free(h), free(qkv), free(att), free(f1), free(t);
    free(sc), free(p), free(logits), free(ref), free(tok);
    gd_kv_free(&kv);
    gd_model_free(&m);
    return rc;
}
