/* sim/functional/functional.c: tile computations of the 1-pass attention
 * cascade (fusemax.md §5, Einsums 44-55), run in simulated order.
 *
 * Layout (per instance r of the B x H repeat): Q[e][p], K[e][m], V[f][m],
 * running RM[p], RD[p], RNV[f][p], output O[f][p].  Per-tile intermediates
 * live in a ring of slots indexed by tile % FN_SLOTS (the pipeline keeps at
 * most max_stage + window tiles in flight, far below FN_SLOTS). */
#include "sim/functional/functional.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/rng.h"
#include "golden/kernels.h"

#define FN_SLOTS 32

typedef struct slot {
    float *bqk, *sln;         /* [m0][p0] */
    float *lm, *rm_old, *rm_new, *sld, *prm, *spd; /* [p0] */
    float *slnv, *spnv;       /* [f][p0] */
} slot;

struct sim_functional {
    const sp_group *g;
    int64_t R, E, F, P, M, P0, M0;
    float *Q, *K, *V, *RM, *RD, *RNV, *O;
    float *pa, *pb; /* packed GEMM operands (golden gd_gemm_ref) */
    slot s[FN_SLOTS];
};

static float *fz(int64_t n) { return es_xcalloc((size_t)n, sizeof(float)); }

sim_functional *sim_functional_create(const mp_arch *a, const mp_mapping *m, const sp_prog *p, uint64_t seed,
                                      es_err *e)
{
    (void)a;
    if (m->n_cascades != 1 || strcmp(m->cascades[0].cascade, "attention-1pass") || p->ngroups < 1) {
        es_fail(e, "functional mode: supported for a mapping of one attention-1pass cascade (scope attention)");
        return NULL;
    }
    const mp_cascade_map *c = &m->cascades[0];
    sim_functional *f = es_xcalloc(1, sizeof *f);
    f->R = c->repeat;
    f->E = mp_cmap_rank(c, "e"), f->F = mp_cmap_rank(c, "f"), f->P = mp_cmap_rank(c, "p");
    f->M = mp_cmap_rank(c, "m");
    if (f->M <= 0) {
        int64_t m1 = mp_cmap_rank(c, "m1"), m0 = mp_cmap_rank(c, "m0");
        f->M = m1 > 0 && m0 > 0 ? m1 * m0 : -1;
    }
    f->g = p->g[0];
    if (f->E <= 0 || f->F <= 0 || f->P <= 0 || f->M <= 0) {
        es_fail(e, "functional mode: the mapping lacks a size for e, f, p or m");
        sim_functional_free(f);
        return NULL;
    }
    /* tile extents of p and m: sizes over the tile-loop factors */
    int64_t fp = 1, fm = 1;
    for (int l = 0; l < f->g->nloops; l++) {
        if (f->g->loop_rank[l][0] == 'p')
            fp *= f->g->factor[l];
        if (f->g->loop_rank[l][0] == 'm')
            fm *= f->g->factor[l];
    }
    f->P0 = f->P / fp, f->M0 = (f->M + fm - 1) / fm;
    double bytes = 4.0 * (double)f->R * (double)(f->E * f->P + (f->E + f->F) * f->M + (f->F + 2) * f->P * 2);
    if (bytes > 1.5e9 || f->P0 * fp != f->P) {
        es_fail(e, "functional mode: too large (%.3g bytes; use a few heads and seq <= 16K) or p not tiled evenly",
                bytes);
        sim_functional_free(f);
        return NULL;
    }
    int64_t R = f->R;
    f->Q = fz(R * f->E * f->P), f->K = fz(R * f->E * f->M), f->V = fz(R * f->F * f->M);
    f->RM = fz(R * f->P), f->RD = fz(R * f->P), f->RNV = fz(R * f->F * f->P), f->O = fz(R * f->F * f->P);
    es_rng rng;
    es_rng_seed(&rng, seed);
    for (int64_t i = 0; i < R * f->E * f->P; i++)
        f->Q[i] = (float)(2 * es_rng_double(&rng) - 1);
    for (int64_t i = 0; i < R * f->E * f->M; i++)
        f->K[i] = (float)(2 * es_rng_double(&rng) - 1);
    for (int64_t i = 0; i < R * f->F * f->M; i++)
        f->V[i] = (float)(2 * es_rng_double(&rng) - 1);
    for (int64_t i = 0; i < R * f->P; i++)
        f->RM[i] = -INFINITY;
    int64_t big = f->E > f->F ? f->E : f->F;
    f->pa = fz(big * (f->M0 > f->P0 ? f->M0 : f->P0)), f->pb = fz(big * f->P0);
    for (int k = 0; k < FN_SLOTS; k++) {
        slot *s = &f->s[k];
        s->bqk = fz(f->M0 * f->P0), s->sln = fz(f->M0 * f->P0);
        s->lm = fz(f->P0), s->rm_old = fz(f->P0), s->rm_new = fz(f->P0), s->sld = fz(f->P0);
        s->prm = fz(f->P0), s->spd = fz(f->P0);
        s->slnv = fz(f->F * f->P0), s->spnv = fz(f->F * f->P0);
    }
    return f;
}

/* Decode tile x into instance, p-tile and m1 (mixed radix over the loops). */
static void decode(const sim_functional *f, int64_t x, int64_t *r, int64_t *pt, int64_t *m1)
{
    *r = 0, *pt = 0, *m1 = 0;
    int64_t div = 1;
    for (int l = f->g->nloops - 1; l >= 0; l--) {
        int64_t d = (x / div) % f->g->factor[l];
        div *= f->g->factor[l];
        char c = f->g->loop_rank[l][0];
        int64_t w = 1; /* weight of this digit among loops of the same rank (inner first) */
        for (int k = l + 1; k < f->g->nloops; k++)
            if (f->g->loop_rank[k][0] == c)
                w *= f->g->factor[k];
        if (c == 'r')
            *r += d * w;
        else if (c == 'p')
            *pt += d * w;
        else if (c == 'm')
            *m1 += d * w;
    }
}

int sim_functional_op(void *ctx, int g, const sp_op *op, int64_t x, es_err *e)
{
    sim_functional *f = ctx;
    (void)g;
    int64_t r, pt, m1;
    decode(f, x, &r, &pt, &m1);
    slot *s = &f->s[x % FN_SLOTS];
    int64_t P0 = f->P0, M0 = f->M0, E = f->E, F = f->F, P = f->P, M = f->M;
    int64_t p_base = pt * P0, m_base = m1 * M0;
    int64_t mv = M - m_base < M0 ? M - m_base : M0; /* valid keys in this tile */
    const float *Q = f->Q + r * E * P, *K = f->K + r * E * M, *V = f->V + r * F * M;
    float *RM = f->RM + r * P + p_base, *RD = f->RD + r * P + p_base, *RNV = f->RNV + r * F * P;
    const char *n = op->name;
    if (!strcmp(n, "BQK")) { /* BQK[m0][p0] = K^T[m0][e] . Q[e][p0] on golden's GEMM */
        for (int64_t m0 = 0; m0 < mv; m0++)
            for (int64_t k = 0; k < E; k++)
                f->pa[m0 * E + k] = K[k * M + m_base + m0];
        for (int64_t k = 0; k < E; k++)
            memcpy(f->pb + k * P0, Q + k * P + p_base, (size_t)P0 * sizeof(float));
        gd_gemm_ref((int)mv, (int)P0, (int)E, f->pa, f->pb, s->bqk, 0);
        for (int64_t i = mv * P0; i < M0 * P0; i++)
            s->bqk[i] = -INFINITY; /* keys past the end of m */
    } else if (!strcmp(n, "LM")) {
        for (int64_t p0 = 0; p0 < P0; p0++) {
            float mx = -INFINITY;
            for (int64_t m0 = 0; m0 < M0; m0++)
                mx = fmaxf(mx, s->bqk[m0 * P0 + p0]);
            s->lm[p0] = mx;
        }
    } else if (!strcmp(n, "RM")) {
        for (int64_t p0 = 0; p0 < P0; p0++) {
            s->rm_old[p0] = RM[p0];
            s->rm_new[p0] = fmaxf(RM[p0], s->lm[p0]);
            RM[p0] = s->rm_new[p0];
        }
    } else if (!strcmp(n, "SLN")) {
        for (int64_t i = 0; i < M0 * P0; i++)
            s->sln[i] = expf(s->bqk[i] - s->rm_new[i % P0]);
    } else if (!strcmp(n, "SLD")) {
        for (int64_t p0 = 0; p0 < P0; p0++) {
            float acc = 0;
            for (int64_t m0 = 0; m0 < M0; m0++)
                acc += s->sln[m0 * P0 + p0];
            s->sld[p0] = acc;
        }
    } else if (!strcmp(n, "SLNV")) { /* SLNV[f][p0] = V[f][m0] . SLN[m0][p0] */
        for (int64_t ff = 0; ff < F; ff++)
            memcpy(f->pa + ff * mv, V + ff * M + m_base, (size_t)mv * sizeof(float));
        gd_gemm_ref((int)F, (int)P0, (int)mv, f->pa, s->sln, s->slnv, 0);
    } else if (!strcmp(n, "PRM")) {
        for (int64_t p0 = 0; p0 < P0; p0++)
            s->prm[p0] = s->rm_old[p0] == -INFINITY ? 0.0f : expf(s->rm_old[p0] - s->rm_new[p0]);
    } else if (!strcmp(n, "SPD")) {
        for (int64_t p0 = 0; p0 < P0; p0++)
            s->spd[p0] = RD[p0] * s->prm[p0];
    } else if (!strcmp(n, "RD")) {
        for (int64_t p0 = 0; p0 < P0; p0++)
            RD[p0] = s->sld[p0] + s->spd[p0];
    } else if (!strcmp(n, "SPNV")) {
        for (int64_t ff = 0; ff < F; ff++)
            for (int64_t p0 = 0; p0 < P0; p0++)
                s->spnv[ff * P0 + p0] = RNV[ff * P + p_base + p0] * s->prm[p0];
    } else if (!strcmp(n, "RNV")) {
        for (int64_t ff = 0; ff < F; ff++)
            for (int64_t p0 = 0; p0 < P0; p0++)
                RNV[ff * P + p_base + p0] = s->slnv[ff * P0 + p0] + s->spnv[ff * P0 + p0];
    } else if (!strcmp(n, "AV")) {
        float *O = f->O + r * F * P;
        for (int64_t ff = 0; ff < F; ff++)
            for (int64_t p0 = 0; p0 < P0; p0++)
                O[ff * P + p_base + p0] = RNV[ff * P + p_base + p0] / RD[p0];
    } else {
        return es_fail(e, "functional mode: no tile computation for Einsum %s", n);
    }
    return 0;
}

int sim_functional_finish(sim_functional *f, double *max_abs, double *max_rel, es_err *e)
{
    (void)e;
    int64_t E = f->E, F = f->F, P = f->P, M = f->M;
    float *q = fz(P * E), *k = fz(M * E), *v = fz(M * F), *o = fz(P * F);
    double ma = 0, mref = 0;
    for (int64_t r = 0; r < f->R; r++) {
        for (int64_t p = 0; p < P; p++)
            for (int64_t i = 0; i < E; i++)
                q[p * E + i] = f->Q[r * E * P + i * P + p];
        for (int64_t m = 0; m < M; m++) {
            for (int64_t i = 0; i < E; i++)
                k[m * E + i] = f->K[r * E * M + i * M + m];
            for (int64_t i = 0; i < F; i++)
                v[m * F + i] = f->V[r * F * M + i * M + m];
        }
        gd_attn_shape sh = {.n_q = (int)P, .n_k = (int)M, .d = (int)E, .dv = (int)F, .scale = 1.0f};
        gd_attention_naive(&sh, q, k, v, o);
        for (int64_t p = 0; p < P; p++)
            for (int64_t i = 0; i < F; i++) {
                double g = o[p * F + i], s = f->O[r * F * P + i * P + p];
                double d = fabs(g - s);
                if (!(d <= ma)) /* NaN counts as a mismatch */
                    ma = isnan(d) ? INFINITY : d;
                if (fabs(g) > mref)
                    mref = fabs(g);
            }
    }
    free(q), free(k), free(v), free(o);
    *max_abs = ma;
    *max_rel = mref > 0 ? ma / mref : ma;
    return 0;
}

void sim_functional_free(sim_functional *f)
{
    if (!f)
        return;
    free(f->Q), free(f->K), free(f->V), free(f->RM), free(f->RD), free(f->RNV), free(f->O);
    free(f->pa), free(f->pb);
    for (int k = 0; k < FN_SLOTS; k++) {
        slot *s = &f->s[k];
        free(s->bqk), free(s->sln), free(s->lm), free(s->rm_old), free(s->rm_new), free(s->sld), free(s->prm);
        free(s->spd), free(s->slnv), free(s->spnv);
    }
    free(f);
}
