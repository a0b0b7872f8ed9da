/* golden/kcheck.c: named kernels against each other and against an exact
 * reference, with the bounds of docs/golden-kernels.md (see kcheck.h). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/rng.h"
#include "golden/kcheck.h"
#include "golden/kernels.h"

#define U 0x1p-24L /* fp32 unit roundoff */

void gd_kc_opts_init(gd_kc_opts *o)
{
    memset(o, 0, sizeof *o);
    o->spread = 10;
    o->eps = 1e-5;
    o->seed = 1;
    o->block = 16;
    o->heads = o->kv_heads = 1;
    o->fmt = GD_F16;
    o->round = GD_RND_NEAREST_EVEN;
    o->ovf = GD_OVF_SATURATE;
}

const char *gd_kc_names(void) { return "gemm, softmax, attention, layernorm, rmsnorm, cast"; }

double gd_ulp_distance(float a, float b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b) ? 0 : INFINITY;
    /* map the bit patterns onto a line where neighbouring floats differ by 1 */
    int32_t ia, ib;
    memcpy(&ia, &a, 4);
    memcpy(&ib, &b, 4);
    int64_t la = ia < 0 ? -(int64_t)(ia & 0x7fffffff) : ia, lb = ib < 0 ? -(int64_t)(ib & 0x7fffffff) : ib;
    return (double)llabs(la - lb);
}

long double gd_ulp_of(long double v)
{
    long double a = fabsl(v);
    if (a < FLT_MIN)
        return 0x1p-149L;
    int ex;
    frexpl(a, &ex);
    return ldexpl(1.0L, ex - 24);
}

double gd_kc_worst(const gd_kc_result *r)
{
    double w = 0;
    for (int i = 0; i < r->n_lines; i++)
        if (r->line[i].bound_ratio > w)
            w = r->line[i].bound_ratio;
    return w;
}

/* ---- measuring ----------------------------------------------------------- */
static gd_kc_line *new_line(gd_kc_result *r, const char *what, const char *bound)
{
    gd_kc_line *l = &r->line[r->n_lines++];
    memset(l, 0, sizeof *l);
    snprintf(l->what, sizeof l->what, "%s", what);
    snprintf(l->bound, sizeof l->bound, "%s", bound ? bound : "none stated");
    l->bound_ratio = bound ? 0 : -1;
    return l;
}

/* One element: got against want, with bound (absolute; < 0: none). */
static void measure(gd_kc_line *l, float got, long double want, long double bound, int want_is_float)
{
    long double d = fabsl((long double)got - want);
    if (d > l->max_abs)
        l->max_abs = (double)d;
    if (want != 0 && d / fabsl(want) > l->max_rel)
        l->max_rel = (double)(d / fabsl(want));
    double ulp = want_is_float ? gd_ulp_distance(got, (float)want) : (double)(d / gd_ulp_of(want));
    if (ulp > l->max_ulp)
        l->max_ulp = ulp;
    if (bound >= 0 && l->bound_ratio >= 0) {
        double q = d == 0 ? 0 : bound > 0 ? (double)(d / bound) : INFINITY;
        if (q > l->bound_ratio)
            l->bound_ratio = q;
    }
}

static float *random_values(es_rng *g, size_t n, double spread)
{
    float *x = es_xmalloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = es_rng_uniform(g, (float)-spread, (float)spread);
    return x;
}

/* Inputs of the row kernels: given values or seeded random ones. */
static float *row_input(const gd_kc_opts *o, es_rng *g, es_err *e)
{
    size_t n = (size_t)(o->m * o->n);
    if (!o->input)
        return random_values(g, n, o->spread);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(o->input[i])) {
            es_fail(e, "input value %zu (row %zu, column %zu) is %g; expected finite values", i, i / (size_t)o->n,
                    i % (size_t)o->n, o->input[i]);
            return NULL;
        }
    float *x = es_xmalloc(n * sizeof *x);
    memcpy(x, o->input, n * sizeof *x);
    return x;
}

/* ---- gemm ------------------------------------------------------------------ */
static int check_gemm(const gd_kc_opts *o, es_rng *g, gd_kc_result *r)
{
    int M = (int)o->m, N = (int)o->n, K = (int)o->k;
    float *A = random_values(g, (size_t)M * K, o->spread), *B = random_values(g, (size_t)K * N, o->spread);
    float *Cr = es_xcalloc((size_t)M * N, sizeof *Cr), *Cf = es_xcalloc((size_t)M * N, sizeof *Cf);
    gd_gemm_ref(M, N, K, A, B, Cr, 0);
    gd_gemm_fast(M, N, K, A, B, Cf, 0);
    snprintf(r->shape, sizeof r->shape, "C[%d x %d] = A[%d x %d] . B[%d x %d], A and B uniform in [-%g, %g)", M, N,
             M, K, K, N, o->spread, o->spread);
    long double gk = gd_gemm_fast_bound(K) / 2; /* gamma_K */
    gd_kc_line *lr = new_line(r, "ref vs exact", "gamma_K sum|a b| (Higham eq. 3.5)");
    gd_kc_line *lf = new_line(r, "fast vs exact", "gamma_K sum|a b|");
    gd_kc_line *lp = new_line(r, "fast vs ref", "2 gamma_K sum|a b| (gd_gemm_fast_bound)");
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            long double exact = 0, mag = 0;
            for (int k = 0; k < K; k++) {
                long double p = (long double)A[(size_t)i * K + k] * B[(size_t)k * N + j];
                exact += p, mag += fabsl(p);
            }
            size_t x = (size_t)i * N + j;
            measure(lr, Cr[x], exact, gk * mag + FLT_MIN, 0);
            measure(lf, Cf[x], exact, gk * mag + FLT_MIN, 0);
            measure(lp, Cf[x], Cr[x], 2 * gk * mag + FLT_MIN, 1);
        }
    free(A), free(B), free(Cr), free(Cf);
    return 0;
}

/* ---- softmax --------------------------------------------------------------- */
static int check_softmax(const gd_kc_opts *o, es_rng *g, gd_kc_result *r, es_err *e)
{
    int rows = (int)o->m, n = (int)o->n;
    float *x = row_input(o, g, e);
    if (!x)
        return -1;
    size_t sz = (size_t)rows * n;
    float *y[3];
    for (int a = 0; a < 3; a++)
        y[a] = es_xmalloc(sz * sizeof(float));
    gd_softmax_3pass(rows, n, x, y[0]);
    gd_softmax_2pass(rows, n, x, y[1]);
    gd_softmax_online(rows, n, x, y[2]);
    if (o->input)
        snprintf(r->shape, sizeof r->shape, "%d rows x %d, given input", rows, n);
    else
        snprintf(r->shape, sizeof r->shape, "%d rows x %d, x uniform in [-%g, %g)", rows, n, o->spread, o->spread);
    static const char *name[3] = {"3pass", "2pass", "online"};
    static const char *bnd[3] = {"(|x_j - m| + n + 3) u y*", "(n + 3) u y*", "(|x_j - m| + (m - x_0) + 3n + 4) u y*"};
    gd_kc_line *ex[3], *pair[3];
    char what[64];
    for (int a = 0; a < 3; a++) {
        snprintf(what, sizeof what, "%s vs exact", name[a]);
        ex[a] = new_line(r, what, bnd[a]);
    }
    static const int pa[3][2] = {{1, 0}, {2, 0}, {2, 1}};
    for (int p = 0; p < 3; p++) {
        snprintf(what, sizeof what, "%s vs %s", name[pa[p][0]], name[pa[p][1]]);
        pair[p] = new_line(r, what, "sum of the two bounds");
    }
    for (int i = 0; i < rows; i++) {
        const float *xr = x + (size_t)i * n;
        long double m = xr[0], s = 0;
        for (int j = 1; j < n; j++)
            m = xr[j] > m ? xr[j] : m;
        for (int j = 0; j < n; j++)
            s += expl(xr[j] - m);
        for (int j = 0; j < n; j++) {
            long double want = expl(xr[j] - m) / s, dx = m - xr[j];
            long double b[3] = {(dx + n + 3) * U, (n + 3) * U, (dx + (m - xr[0]) + 3.0L * n + 4) * U};
            size_t k = (size_t)i * n + j;
            for (int a = 0; a < 3; a++)
                measure(ex[a], y[a][k], want, b[a] * want + FLT_MIN, 0);
            for (int p = 0; p < 3; p++)
                measure(pair[p], y[pa[p][0]][k], y[pa[p][1]][k], (b[pa[p][0]] + b[pa[p][1]]) * want + 2 * FLT_MIN,
                        1);
        }
    }
    for (int a = 0; a < 3; a++)
        free(y[a]);
    free(x);
    return 0;
}

/* ---- layernorm / rmsnorm --------------------------------------------------- */
static int check_norm(const gd_kc_opts *o, int rms, es_rng *g, gd_kc_result *r, es_err *e)
{
    int rows = (int)o->m, n = (int)o->n;
    float *x = row_input(o, g, e);
    if (!x)
        return -1;
    float *gam = es_xmalloc((size_t)n * sizeof *gam), *bet = es_xmalloc((size_t)n * sizeof *bet);
    for (int j = 0; j < n; j++) {
        gam[j] = es_rng_uniform(g, 0.5f, 1.5f);
        bet[j] = rms ? 0 : es_rng_uniform(g, -1, 1);
    }
    float *y = es_xmalloc((size_t)rows * n * sizeof *y);
    float eps = (float)o->eps;
    if (rms)
        gd_rmsnorm(rows, n, x, gam, eps, y);
    else
        gd_layernorm(rows, n, x, gam, bet, eps, y);
    snprintf(r->shape, sizeof r->shape, "%d rows x %d, eps %g, %s; gamma uniform in [0.5, 1.5)%s", rows, n, o->eps,
             o->input ? "given input" : "x uniform", rms ? "" : ", beta in [-1, 1)");
    gd_kc_line *l = new_line(r, rms ? "rmsnorm vs exact" : "layernorm vs exact",
                             rms ? "((n + 2)/2 + 3) u |y*|"
                                 : "(n + 8) u (mean|x| rstd + |z|) |g| + 2u (|z g| + |b|)");
    for (int i = 0; i < rows; i++) {
        const float *xr = x + (size_t)i * n;
        long double mu = 0, a = 0, var = 0, ms = 0;
        for (int j = 0; j < n; j++)
            mu += xr[j], a += fabsl((long double)xr[j]), ms += (long double)xr[j] * xr[j];
        mu /= n, a /= n, ms /= n;
        for (int j = 0; j < n; j++)
            var += (xr[j] - mu) * (xr[j] - mu);
        var /= n;
        long double rs = 1.0L / sqrtl((rms ? ms : var) + eps);
        for (int j = 0; j < n; j++) {
            long double want, tol;
            if (rms) {
                want = xr[j] * rs * gam[j];
                tol = ((n + 2) / 2.0L + 3) * U * fabsl(want) + FLT_MIN;
            } else {
                long double z = (xr[j] - mu) * rs;
                want = z * gam[j] + bet[j];
                tol = (n + 8) * U * (a * rs + fabsl(z)) * fabsf(gam[j]) + 2 * U * (fabsl(z * gam[j]) + fabsf(bet[j])) +
                      FLT_MIN;
            }
            measure(l, y[(size_t)i * n + j], want, tol, 0);
        }
    }
    free(x), free(gam), free(bet), free(y);
    return 0;
}

/* ---- attention ------------------------------------------------------------- */
/* Per output element, the bound tiled vs naive of docs/golden-kernels.md:
 * (2n + 3) u A + u B (naive) plus (2n + 4nb + 4 + (m - m_1)) u A + u B
 * (tiled), from the fp32 scores both kernels share. */
static void attn_bound(const gd_attn_shape *s, int i, const float *q, const float *K, size_t ldk, const float *V,
                       size_t ldv, int block, long double *bound)
{
    int nk = s->n_k, bl = block < 1 ? nk : block;
    long double m = -INFINITY, m1 = -INFINITY, l = 0;
    int nvis = 0, nb = 0, cur_blk = -1;
    float *sc = es_xmalloc((size_t)(nk ? nk : 1) * sizeof *sc);
    for (int j = 0; j < nk; j++) {
        int vis = (!s->causal || j <= s->q_offset + i) && (!s->key_mask || s->key_mask[j]);
        sc[j] = NAN;
        if (!vis)
            continue;
        float acc = 0;
        for (int c = 0; c < s->d; c++)
            acc = acc + q[c] * K[(size_t)j * ldk + c];
        sc[j] = s->scale * acc;
        nvis++;
        if (j / bl != cur_blk) {
            cur_blk = j / bl, nb++;
        }
        if (nb == 1 && sc[j] > m1)
            m1 = sc[j];
        if (sc[j] > m)
            m = sc[j];
    }
    for (int c = 0; c < s->dv; c++)
        bound[c] = FLT_MIN;
    if (nvis) {
        for (int j = 0; j < nk; j++)
            if (!isnan(sc[j]))
                l += expl(sc[j] - m);
        for (int c = 0; c < s->dv; c++) {
            long double A = 0, B = 0;
            for (int j = 0; j < nk; j++) {
                if (isnan(sc[j]))
                    continue;
                long double p = expl(sc[j] - m) / l, v = fabsl((long double)V[(size_t)j * ldv + c]);
                A += p * v, B += p * v * (m - sc[j]);
            }
            bound[c] = ((2.0L * nvis + 3) + (2.0L * nvis + 4.0L * nb + 4 + (m - m1))) * U * A + 2 * U * B + FLT_MIN;
        }
    }
    free(sc);
}

static int check_attention(const gd_kc_opts *o, es_rng *g, gd_kc_result *r, es_err *e)
{
    int H = (int)o->heads, Hk = (int)o->kv_heads, d = (int)o->d, dv = (int)o->dv, block = (int)o->block;
    if (H % Hk)
        return es_fail(e, "--heads %d is not a multiple of --kv-heads %d", H, Hk);
    int nseq = o->n_seqs ? o->n_seqs : 1;
    int qoff[GD_KC_SEQS + 1], koff[GD_KC_SEQS + 1];
    qoff[0] = koff[0] = 0;
    for (int b = 0; b < nseq; b++) {
        int lq = o->n_seqs ? (int)o->seqs[b] : (int)o->nq, lk = o->n_seqs ? (int)o->seqs[b] : (int)o->nk;
        qoff[b + 1] = qoff[b] + lq, koff[b + 1] = koff[b] + lk;
    }
    int NQ = qoff[nseq], NK = koff[nseq];
    float *Q = random_values(g, (size_t)NQ * H * d, o->spread), *K = random_values(g, (size_t)NK * Hk * d, o->spread);
    float *V = random_values(g, (size_t)NK * Hk * dv, o->spread);
    size_t osz = (size_t)NQ * H * dv;
    float *On = es_xmalloc(osz * sizeof(float)), *Ot = es_xmalloc(osz * sizeof(float));
    float *Ovn = es_xmalloc(osz * sizeof(float)), *Ovt = es_xmalloc(osz * sizeof(float));
    gd_attn_shape s = {.d = d, .dv = dv, .scale = 1.0f / sqrtf((float)d), .causal = o->causal};
    /* naive and tiled: each sequence on its own through the multi-head kernel */
    for (int b = 0; b < nseq; b++) {
        s.n_q = qoff[b + 1] - qoff[b], s.n_k = koff[b + 1] - koff[b], s.q_offset = s.n_k - s.n_q;
        gd_attention_mh(&s, H, Hk, Q + (size_t)qoff[b] * H * d, K + (size_t)koff[b] * Hk * d,
                        V + (size_t)koff[b] * Hk * dv, On + (size_t)qoff[b] * H * dv, 0);
        gd_attention_mh(&s, H, Hk, Q + (size_t)qoff[b] * H * d, K + (size_t)koff[b] * Hk * d,
                        V + (size_t)koff[b] * Hk * dv, Ot + (size_t)qoff[b] * H * dv, block);
    }
    /* varlen: the packed batch in one call, naive and tiled */
    if (gd_attention_varlen(&s, nseq, qoff, koff, H, Hk, Q, K, V, Ovn, 0, e) ||
        gd_attention_varlen(&s, nseq, qoff, koff, H, Hk, Q, K, V, Ovt, block, e)) {
        free(Q), free(K), free(V), free(On), free(Ot), free(Ovn), free(Ovt);
        return -1;
    }
    char seqs[64] = "";
    if (o->n_seqs) {
        size_t u = 0;
        for (int b = 0; b < nseq && u < sizeof seqs - 12; b++)
            u += (size_t)snprintf(seqs + u, sizeof seqs - u, "%s%d", b ? "," : "", qoff[b + 1] - qoff[b]);
        snprintf(r->shape, sizeof r->shape, "%d packed sequences (%s), d %d, dv %d, %d heads (%d kv), %s, block %d", nseq,
                 seqs, d, dv, H, Hk, o->causal ? "causal" : "not causal", block);
    } else
        snprintf(r->shape, sizeof r->shape, "n_q %d, n_k %d, d %d, dv %d, %d heads (%d kv), %s, block %d", NQ, NK, d, dv,
                 H, Hk, o->causal ? "causal" : "not causal", block);
    gd_kc_line *lt = new_line(r, "tiled vs naive", "(4n + 4nb + 7 + (m - m_1)) u A + 2u B (A = sum p|v|)");
    gd_kc_line *lvn = new_line(r, "varlen naive vs naive", "0 (bit for bit)");
    gd_kc_line *lvt = new_line(r, "varlen tiled vs tiled", "0 (bit for bit)");
    long double *bound = es_xmalloc((size_t)dv * sizeof *bound);
    int grp = H / Hk;
    for (int b = 0; b < nseq; b++) {
        s.n_q = qoff[b + 1] - qoff[b], s.n_k = koff[b + 1] - koff[b], s.q_offset = s.n_k - s.n_q;
        for (int i = 0; i < s.n_q; i++)
            for (int h = 0; h < H; h++) {
                size_t qi = (size_t)(qoff[b] + i);
                const float *q = Q + qi * H * d + (size_t)h * d;
                const float *kb = K + (size_t)koff[b] * Hk * d + (size_t)(h / grp) * d;
                const float *vb = V + (size_t)koff[b] * Hk * dv + (size_t)(h / grp) * dv;
                attn_bound(&s, i, q, kb, (size_t)Hk * d, vb, (size_t)Hk * dv, block, bound);
                for (int c = 0; c < dv; c++) {
                    size_t x = qi * H * dv + (size_t)h * dv + c;
                    measure(lt, Ot[x], On[x], bound[c], 1);
                    measure(lvn, Ovn[x], On[x], 0, 1);
                    measure(lvt, Ovt[x], Ot[x], 0, 1);
                }
            }
    }
    free(bound);
    free(Q), free(K), free(V), free(On), free(Ot), free(Ovn), free(Ovt);
    return 0;
}

/* ---- cast ------------------------------------------------------------------ */
static int check_cast(const gd_kc_opts *o, es_rng *g, gd_kc_result *r, es_err *e)
{
    int rows = (int)o->m, n = (int)o->n;
    size_t sz = (size_t)rows * n;
    float *x = row_input(o, g, e);
    if (!x)
        return -1;
    gd_dtype t = o->fmt;
    int is_int = t == GD_I8 || t == GD_I4;
    if (!is_int && (t == GD_F32 || !gd_dtype_is_float(t)))
        return free(x), es_fail(e, "cast: format %s is not a narrower format; expected fp16, bf16, e4m3, e5m2, int8 "
                                   "or int4",
                                gd_dtype_name(t));
    int mant = gd_dtype_mant_bits(t); /* stored mantissa bits; 0 for int8/int4 */
    double minn = gd_dtype_min_normal(t);
    double qmax = t == GD_I8 ? 127 : 7, scale = o->scale;
    if (is_int && scale <= 0) {
        double mx = 0;
        for (size_t i = 0; i < sz; i++)
            mx = fmax(mx, fabs((double)x[i]));
        scale = mx > 0 ? mx / qmax : 1;
    }
    snprintf(r->shape, sizeof r->shape, "%zu values %s to %s, rounding %s, overflow %s", sz,
             o->input ? "(given input)" : "uniform in [-spread, spread)", gd_dtype_name(t), gd_round_name(o->round),
             gd_overflow_name(o->ovf));
    if (!o->input)
        snprintf(r->shape + strlen(r->shape), sizeof r->shape - strlen(r->shape), ", spread %g", o->spread);
    if (is_int)
        snprintf(r->shape + strlen(r->shape), sizeof r->shape - strlen(r->shape), ", scale %g", scale);
    char b[96];
    int nearest = o->round != GD_RND_TOWARD_ZERO;
    if (is_int)
        snprintf(b, sizeof b, "%s scale inside [-%g, %g] scale", nearest ? "0.5" : "1", qmax, qmax);
    else
        snprintf(b, sizeof b, "2^-%d |x| normal, 2^-%d x min normal below (%s)", nearest ? mant + 1 : mant,
                 nearest ? mant + 1 : mant, nearest ? "half ulp" : "one ulp");
    gd_kc_line *l = new_line(r, "cast vs exact", b);
    gd_kc_line *alt[3];
    int nalt = 0;
    for (int m = 0; m < 3; m++)
        if (m != (int)o->round) {
            char w[64];
            snprintf(w, sizeof w, "vs %s", gd_round_name((gd_round)m));
            alt[nalt++] = new_line(r, w, NULL);
        }
    long nover = 0, nsub = 0, nzero = 0;
    double steps = 0;
    double fmax_v = is_int ? qmax * scale : gd_dtype_max(t);
    /* Inputs at or beyond the point where rounding leaves the finite range
     * (max + half a step for nearest, max + a step for truncation) follow
     * the overflow policy and have no error bound. */
    double ovf_at;
    if (is_int)
        ovf_at = (qmax + (nearest ? 0.5 : 1)) * scale;
    else {
        int ex;
        frexp(fmax_v, &ex);
        ovf_at = fmax_v + ldexp(1, ex - 1 - mant - (nearest ? 1 : 0));
    }
    for (size_t i = 0; i < sz; i++) {
        float v;
        float w[3];
        for (int m = 0; m < 3; m++) {
            if (is_int)
                w[m] = (float)((t == GD_I8 ? gd_quantize_i8(x[i], (float)scale, (gd_round)m)
                                           : gd_quantize_i4(x[i], (float)scale, (gd_round)m)) *
                               scale);
            else
                w[m] = gd_quantize_float(t, x[i], (gd_round)m, o->ovf);
        }
        v = w[o->round];
        long double ax = fabsl((long double)x[i]), bound;
        if (ax >= ovf_at) {
            nover++;
            bound = -1; /* out of range: saturated or infinite by policy */
        } else if (is_int)
            bound = (nearest ? 0.5L : 1.0L) * scale * (1 + 1e-6L);
        else if (ax < minn) {
            nsub++;
            bound = ldexpl(minn, -(nearest ? mant + 1 : mant));
        } else
            bound = ldexpl(ax, -(nearest ? mant + 1 : mant));
        nzero += v == 0 && x[i] != 0;
        if (bound >= 0) {
            measure(l, v, (long double)x[i], bound, 0);
            /* ulps of the target format, not of fp32 */
            long double step = is_int ? scale : ldexpl(gd_ulp_of(fmaxl(ax, minn)), 23 - mant);
            long double d = fabsl((long double)v - x[i]);
            steps = fmax(steps, (double)(d / step));
        }
        for (int m = 0, k = 0; m < 3; m++)
            if (m != (int)o->round) {
                long double d = fabsl((long double)w[m] - v);
                gd_kc_line *a = alt[k++];
                if (d > a->max_abs)
                    a->max_abs = (double)d;
                if (v != 0 && d / fabsl((long double)v) > a->max_rel)
                    a->max_rel = (double)(d / fabsl((long double)v));
                /* differences counted in steps of the target format */
                long double step = is_int ? scale : ldexpl(gd_ulp_of(fmaxl(fabsl(v), minn)), 23 - mant);
                if (isfinite(d) && d / step > a->max_ulp)
                    a->max_ulp = (double)(d / step);
            }
    }
    l->max_ulp = steps;
    snprintf(r->note, sizeof r->note, "%ld out of range, %ld %s, %ld rounded to zero; ulps are %s steps", nover, nsub,
             is_int ? "below the step" : "subnormal", nzero, gd_dtype_name(t));
    free(x);
    return 0;
}

/* ---- dispatch -------------------------------------------------------------- */
static int need(int64_t v, const char *opt, int64_t max, es_err *e)
{
    if (v < 1 || v > max)
        return es_fail(e, "--%s: expected an integer in [1, %lld], got %lld", opt, (long long)max, (long long)v);
    return 0;
}

int gd_kernel_check(const char *name, const gd_kc_opts *o, gd_kc_result *r, es_err *e)
{
    memset(r, 0, sizeof *r);
    snprintf(r->kernel, sizeof r->kernel, "%s", name);
    es_rng g;
    es_rng_seed(&g, o->seed);
    /* Sizes are capped so one check stays interactive (seconds). */
    const int64_t big = 1 << 24;
    if (!(o->spread > 0 && o->spread <= 1e30))
        return es_fail(e, "--spread: expected a number in (0, 1e30], got %g", o->spread);
    if (!strcmp(name, "gemm")) {
        if (need(o->m, "m", 4096, e) || need(o->n, "n", 4096, e) || need(o->k, "k", 8192, e))
            return -1;
        if (o->m * o->n * o->k > (int64_t)1 << 31)
            return es_fail(e, "gemm: m x n x k = %lld; expected at most 2^31 (the exact reference is slow)",
                           (long long)(o->m * o->n * o->k));
        return check_gemm(o, &g, r);
    }
    if (!strcmp(name, "softmax") || !strcmp(name, "layernorm") || !strcmp(name, "rmsnorm") || !strcmp(name, "cast")) {
        if (need(o->m, "rows", big, e) || need(o->n, "n", big, e))
            return -1;
        if (o->m * o->n > big)
            return es_fail(e, "%s: rows x n = %lld; expected at most %lld values", name, (long long)(o->m * o->n),
                           (long long)big);
        if (!strcmp(name, "softmax"))
            return check_softmax(o, &g, r, e);
        if (!strcmp(name, "cast"))
            return check_cast(o, &g, r, e);
        if (!(o->eps >= 0 && o->eps < 1e30))
            return es_fail(e, "--eps: expected a finite number >= 0, got %g", o->eps);
        return check_norm(o, !strcmp(name, "rmsnorm"), &g, r, e);
    }
    if (!strcmp(name, "attention")) {
        if (need(o->d, "d", 4096, e) || need(o->dv, "dv", 4096, e) || need(o->heads, "heads", 256, e) ||
            need(o->kv_heads, "kv-heads", 256, e) || need(o->block, "block", big, e))
            return -1;
        int64_t tq = 0, tk = 0;
        if (o->n_seqs) {
            for (int b = 0; b < o->n_seqs; b++)
                tq += o->seqs[b], tk += o->seqs[b];
        } else {
            if (need(o->nq, "nq", 65536, e) || need(o->nk, "nk", 65536, e))
                return -1;
            tq = o->nq, tk = o->nk;
        }
        if (tq > 65536)
            return es_fail(e, "attention: %lld query rows in all; expected at most 65536", (long long)tq);
        if (tq * tk * o->heads * (o->d + o->dv) > (int64_t)1 << 31)
            return es_fail(e, "attention: n_q x n_k x heads x (d + dv) = %lld; expected at most 2^31",
                           (long long)(tq * tk * o->heads * (o->d + o->dv)));
        return check_attention(o, &g, r, e);
    }
    return es_fail(e, "unknown kernel '%s'; expected one of: %s", name, gd_kc_names());
}
