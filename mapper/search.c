/* mapper/search.c: mapspace enumeration and search (see search.h). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "golden/base/str.h"
#include "golden/base/rng.h"
#include "mapper/catalog.h"
#include "mapper/resolve.h"
#include "mapper/search.h"

int mp_objective_parse(const char *s, mp_objective *o)
{
    if (!strcmp(s, "latency"))
        *o = MP_OBJ_LATENCY;
    else if (!strcmp(s, "energy"))
        *o = MP_OBJ_ENERGY;
    else if (!strcmp(s, "edp"))
        *o = MP_OBJ_EDP;
    else
        return -1;
    return 0;
}

const char *mp_objective_name(mp_objective o)
{
    return o == MP_OBJ_LATENCY ? "latency" : o == MP_OBJ_ENERGY ? "energy" : "edp";
}

double mp_objective_value(mp_objective o, const mp_cost *c)
{
    switch (o) {
    case MP_OBJ_LATENCY:
        return c->cycles;
    case MP_OBJ_ENERGY:
        return c->energy_pj;
    default:
        return c->cycles * c->energy_pj;
    }
}

/* ------------------------------------------------------------ the genes */


enum { G_VARIANT, G_BIND0, G_PART = G_BIND0 + 12, G_SCHED, G_P0, G_P1, G_ORDER, G_SPILL, G_SPLIT, G_N };

/* Variants of an attention instance: 1-pass, 3-pass, and for decode the
 * split-key cascade (attention-decode-split) with G_SPLIT choosing the split
 * count.  Its first 11 Einsums are the 1-pass cascade's (BQK ... RNV) and
 * take the same binding genes; the merge (GM PS MD GD MNV GNV AV) takes AV's
 * gene: it runs where the 1-pass cascade divides. */
#define V_SPLIT 2
#define NV 3
#define MAX_SPLITS 16

typedef struct space {
    const mp_arch *a;
    const md_inst *in;
    int is_attn;
    const mp_cascade_desc *cd[NV]; /* attention: 1-pass, 3-pass, split-key decode; linear: [0] */
    int nunits[NV][12];            /* capable units per binding gene */
    int units[NV][12][MP_MAX_UNITS];
    int nsplit;                    /* split counts of V_SPLIT (split[k] = 2^(k+1)) */
    int split_only;                /* the instance fixes the split count: V_SPLIT only */
    int64_t split[MAX_SPLITS];
    int range[G_N];
    int64_t P, T, N, M, M0;       /* rank sizes */
    int64_t div[2][64];           /* divisors (descending) for p0 choices 0..2 of the tiled rank */
    int ndiv[3];
    int64_t divs[3][64];
    int64_t p0s[3];
    /* decode_explicit's start per variant: the map's header (cascade, label,
     * instance ranks, repeat) as a zeroed map gets it, built once */
    mp_cascade_map *head[NV + MAX_SPLITS]; /* [V_SPLIT + k]: split count split[k] */
    mp_cost_sizes *sizes[NV + MAX_SPLITS];  /* of head[...] */
    /* names as decode_explicit's zeroed fields get them, padded with zeros,
     * so one fixed-size copy writes the same bytes as es_strlcpy */
    char ename[NV][MP_CAT_MAX_E][MP_ENAME];
    char uname[MP_MAX_UNITS][MP_NAME];
    char store[3][MP_NAME]; /* dram, buffer (or pe), pe */
} space;

static void divisors(int64_t n, int64_t *out, int *cnt)
{
    *cnt = 0;
    for (int64_t d = n; d >= 1 && *cnt < 64; d--)
        if (n % d == 0)
            out[(*cnt)++] = d;
}

/* Divisors of n, descending, at most 64 (powers of two of large n are few;
 * for general n only the largest 64 are kept). */
static void divisors_fast(int64_t n, int64_t *out, int *cnt)
{
    if (n <= 4096) {
        divisors(n, out, cnt);
        return;
    }
    int64_t small[64];
    int ns = 0;
    for (int64_t d = 1; d * d <= n && ns < 32; d++)
        if (n % d == 0)
            small[ns++] = d;
    *cnt = 0;
    for (int i = 0; i < ns; i++)
        out[(*cnt)++] = n / small[i];
    for (int i = ns - 1; i >= 0 && *cnt < 64; i--)
        if (small[i] != n / small[i])
            out[(*cnt)++] = small[i];
}

/* Binding gene of einsum i of variant v (see V_SPLIT). */
static int gene_of(int v, int i)
{
    return v == V_SPLIT && i > 11 ? G_BIND0 + 11 : G_BIND0 + i;
}

/* Units able to run every einsum that binding gene i of variant v binds. */
static void capable(const mp_arch *a, const mp_cascade_desc *cd, int v, int n[12], int u[12][MP_MAX_UNITS])
{
    for (int i = 0; i < cd->n_einsums && i < 12; i++) {
        n[i] = 0;
        for (int k = 0; k < a->n_units; k++) {
            int ok = 1;
            for (int j = i; j < cd->n_einsums; j++)
                if (gene_of(v, j) == G_BIND0 + i && !mp_unit_op(&a->units[k], cd->einsums[j].op))
                    ok = 0;
            if (ok)
                u[i][n[i]++] = k;
        }
    }
}

/* The split-key variant applies to a decode instance whose split cascade
 * begins with the 1-pass cascade's first 11 einsums. */
static int split_usable(const mp_cascade_desc *one, const mp_cascade_desc *sp)
{
    if (!one || !sp || one->n_einsums != 12 || sp->n_einsums > MP_MAX_EINSUMS || sp->n_einsums < 12)
        return 0;
    for (int i = 0; i < 11; i++)
        if (strcmp(one->einsums[i].name, sp->einsums[i].name))
            return 0;
    return 1;
}

static mp_cascade_map *make_head(const mp_cascade_desc *cd, const md_inst *in)
{
    mp_cascade_map *h = es_xmalloc(sizeof *h); /* only the header is used */
    memset(h, 0, offsetof(mp_cascade_map, groups));
    es_strlcpy(h->cascade, cd->name, MP_NAME);
    es_strlcpy(h->label, in->name, MP_NAME);
    mp_cmap_set_instance(h, in);
    return h;
}

/* head / sizes index of the genes' variant (and split count) */
static int head_index(const space *s, const int *gn)
{
    int v = s->is_attn ? gn[G_VARIANT] : 0;
    return v == V_SPLIT ? V_SPLIT + gn[G_SPLIT] : v;
}

static int space_init(space *s, const mp_arch *a, const md_inst *in)
{
    memset(s, 0, sizeof *s);
    s->a = a;
    s->in = in;
    s->is_attn = mp_cascade_is_attention(in->cascade);
    for (int g = 0; g < G_N; g++)
        s->range[g] = 1;
    int cols = 0, rows = 0;
    for (int k = 0; k < a->n_units; k++)
        if (a->units[k].kind == MP_UNIT_ARRAY2D) {
            cols = a->units[k].cols;
            rows = a->units[k].rows;
            break;
        }
    if (!cols)
        cols = rows = a->units[0].cols;
    if (s->is_attn) {
        s->cd[0] = mp_catalog_find("attention-1pass");
        s->cd[1] = mp_catalog_find("attention-3pass");
        s->P = md_inst_rank(in, "p");
        s->M = md_inst_rank(in, "m");
        s->M0 = md_inst_rank(in, "m0");
        if (s->M0 > rows)
            s->M0 = rows;
        s->range[G_VARIANT] = 2;
        if (mp_cascade_is_decode(in->cascade)) {
            const mp_cascade_desc *sp = mp_catalog_find("attention-decode-split");
            int64_t tiles = s->M0 > 0 ? (s->M + s->M0 - 1) / s->M0 : 1;
            int64_t given = md_inst_rank(in, "s"); /* --splits: the count is the workload's */
            s->split_only = given > 0;
            if (split_usable(s->cd[0], sp) && given > 0)
                s->split[s->nsplit++] = given;
            else if (split_usable(s->cd[0], sp))
                for (int64_t k = 2; k <= cols && k <= tiles && s->nsplit < MAX_SPLITS; k *= 2)
                    s->split[s->nsplit++] = k;
            if (s->nsplit) {
                s->cd[V_SPLIT] = sp;
                s->range[G_VARIANT] = NV;
                s->range[G_SPLIT] = s->nsplit;
            }
        }
        for (int v = 0; v < NV; v++)
            if (s->cd[v])
                capable(a, s->cd[v], v, s->nunits[v], s->units[v]);
        for (int i = 0; i < 12; i++) {
            int r = 0;
            for (int v = 0; v < NV; v++)
                if (s->cd[v] && s->nunits[v][i] > r && (v != 1 || i < 6))
                    r = s->nunits[v][i];
            s->range[G_BIND0 + i] = r ? r : 1;
        }
        s->range[G_PART] = 32;
        s->range[G_SCHED] = 3;
        s->range[G_ORDER] = 2;
        s->range[G_SPILL] = 3; /* fibres on chip, crossing fibres spilled, overbooked buffer */
        s->T = s->P;
    } else {
        s->cd[0] = mp_catalog_find("linear");
        s->T = md_inst_rank(in, "t");
        s->N = md_inst_rank(in, "n");
        capable(a, s->cd[0], 0, s->nunits[0], s->units[0]);
        s->range[G_BIND0] = s->nunits[0][0] ? s->nunits[0][0] : 1;
        s->range[G_SCHED] = 2;
        s->range[G_ORDER] = 2;
        s->range[G_SPILL] = 2; /* reused: which rank the buffer tiles (t or n) */
    }
    /* spatial factor of the tiled rank (p or t) over the array columns */
    int np0 = 0;
    for (int k = 0; k < 3; k++) {
        int64_t p0 = cols >> k;
        if (p0 >= 1 && s->T % p0 == 0)
            s->p0s[np0++] = p0;
    }
    if (!np0) /* not a multiple of cols: whole-array tiles, the last one partial (docs/mapper.md) */
        for (int k = 0; k < 3; k++)
            if ((cols >> k) >= 1)
                s->p0s[np0++] = cols >> k;
    s->range[G_P0] = np0;
    int mx = 1;
    for (int k = 0; k < np0; k++) {
        divisors_fast((s->T + s->p0s[k] - 1) / s->p0s[k], s->divs[k], &s->ndiv[k]);
        if (s->ndiv[k] > mx)
            mx = s->ndiv[k];
    }
    s->range[G_P1] = mx + 1; /* 0 = the largest factor that fits the buffer */
    (void)rows;
    for (int v = 0; v < NV; v++) {
        if (!s->cd[v])
            continue;
        for (int k = 0; k < (v == V_SPLIT ? s->nsplit : 1); k++) {
            int hi = v == V_SPLIT ? V_SPLIT + k : v;
            s->head[hi] = make_head(s->cd[v], in);
            if (v == V_SPLIT)
                mp_cmap_split_keys(s->head[hi], s->split[k]);
            s->sizes[hi] = es_xmalloc(sizeof *s->sizes[hi]);
            mp_cost_sizes_init(s->sizes[hi], s->head[hi]);
        }
        for (int i = 0; i < s->cd[v]->n_einsums && i < MP_CAT_MAX_E; i++)
            es_strlcpy(s->ename[v][i], s->cd[v]->einsums[i].name, MP_ENAME);
    }
    for (int k = 0; k < a->n_units && k < MP_MAX_UNITS; k++)
        es_strlcpy(s->uname[k], a->units[k].name, MP_NAME);
    const mp_store *buf = mp_arch_buffer(a);
    es_strlcpy(s->store[0], a->mem.name, MP_NAME);
    es_strlcpy(s->store[1], buf ? buf->name : "pe", MP_NAME);
    es_strlcpy(s->store[2], "pe", MP_NAME);
    return 0;
}

static void space_free(space *s)
{
    for (int v = 0; v < NV + MAX_SPLITS; v++) {
        free(s->head[v]);
        free(s->sizes[v]);
    }
}

/* es_strlcpy into a name field that may hold stale bytes: the field ends
 * as it would in a zeroed struct */
static void set_name(char dst[MP_ENAME], const char *src)
{
    memset(dst, 0, MP_ENAME);
    es_strlcpy(dst, src, MP_ENAME);
}

static void add_loop(mp_level *l, const char *r, int64_t f, mp_loop_kind k)
{
    mp_loop *x = &l->loops[l->n++];
    set_name(x->rank, r);
    x->factor = f;
    x->kind = k;
}

/* Smallest lags that put every producer of a tile before its consumer:
 * a producer on another unit (or later in this unit's slot order) must
 * run in an earlier epoch; an input read at the previous step (`prev`) may
 * come one epoch later.  Group einsums are catalog einsums first..first+n-1. */
static int lag_fixpoint(const space *sp, const int *gn, int v, const mp_cascade_desc *cd, mp_group *g, int first)
{
    const mp_cat_index *ix = mp_catalog_index(cd);
    int unit[MP_CAT_MAX_E];
    for (int i = 0; i < cd->n_einsums; i++)
        unit[i] = sp->units[v][gene_of(v, i) - G_BIND0][gn[gene_of(v, i)]];
    for (int it = 0; it < 32; it++) {
        int changed = 0;
        for (int k = 0; k < g->n_einsums; k++) {
            int i = first + k;
            const mp_einsum_desc *c = &cd->einsums[i];
            if (mp_einsum_outside_inner(g, c))
                continue; /* AV: once per finished outer tile */
            for (int q = 0; q < ix->nin[i]; q++) {
                int t = ix->in[i][q];
                if (t == ix->out[i])
                    continue;
                int p = ix->producer[t];
                if (p < first || p >= first + g->n_einsums)
                    continue;
                int prev = ix->prev[i] == t;
                int need = g->lag[p - first] - prev + ((unit[p] != unit[i] || p > i) ? 1 : 0);
                if (g->lag[k] < need) {
                    g->lag[k] = need;
                    changed = 1;
                }
            }
        }
        if (!changed)
            return 0;
    }
    return -1;
}

/* One phase: each unit runs its einsums in catalog order; lags make it legal. */
static void make_epoch(const space *sp, const int *gn, int v, mp_group *g, int first)
{
    const mp_arch *a = sp->a;
    g->n_phases = 1;
    mp_phase *P = &g->phases[0];
    P->n = 0;
    for (int u = 0; u < a->n_units; u++)
        for (int k = 0; k < g->n_einsums && P->n < MP_MAX_SLOTS; k++)
            if (sp->units[v][gene_of(v, first + k) - G_BIND0][gn[gene_of(v, first + k)]] == u) {
                mp_phase_slot *ps = &P->slots[P->n++];
                es_strlcpy(ps->unit, a->units[u].name, MP_NAME);
                ps->slot.n = 1;
                es_strlcpy(ps->slot.einsums[0], g->einsums[k], MP_ENAME);
            }
}

/* Decode genes into a cascade map.  Returns 0, or -1 when the genes name
 * no distinct point (index beyond a per-variant range) or cannot tile. */
static int decode_explicit(const space *s, const int *gn, mp_cascade_map *cm)
{
    const mp_arch *a = s->a;
    int v = s->is_attn ? gn[G_VARIANT] : 0;
    const mp_cascade_desc *cd = s->cd[v];
    /* the checks that fail a point before anything is written (a failed
     * decode leaves cm unspecified) */
    if (gn[G_P1] < 1 || gn[G_P1] > s->ndiv[gn[G_P0]])
        return -1;
    /* the split-key variant tiles no p (p = 1): the p genes are ignored */
    for (int i = 0; i < cd->n_einsums; i++)
        if (gn[gene_of(v, i)] >= s->nunits[v][gene_of(v, i) - G_BIND0])
            return -1;
    if (!(s->is_attn && v == 1) && gn[G_PART])
        return -1;
    if (s->is_attn && v == 0 && gn[G_SPILL])
        return -1;
    if (v == V_SPLIT && gn[G_SPILL])
        return -1;
    if (v != V_SPLIT && (gn[G_SPLIT] || s->split_only))
        return -1;
    /* all but the (large) epoch arrays, which only interleaved groups use */
    memcpy(cm, s->head[head_index(s, gn)], offsetof(mp_cascade_map, groups));
    int64_t p0 = s->p0s[gn[G_P0]];
    int64_t p1 = s->divs[gn[G_P0]][gn[G_P1] - 1];
    int64_t p2 = (s->T + p0 - 1) / p0 / p1;
    for (int i = 0; i < cd->n_einsums; i++) {
        int gi = gene_of(v, i);
        mp_binding *b = &cm->bindings[cm->n_bindings++];
        memcpy(b->einsum, s->ename[v][i], MP_ENAME);
        memcpy(b->unit, s->uname[s->units[v][gi - G_BIND0][gn[gi]]], MP_NAME);
    }
    /* fusion groups: 1-pass and linear fuse everything; 3-pass splits the
     * einsum list where the partition mask has a bit */
    int cut = s->is_attn && v == 1 ? gn[G_PART] : 0;
    int start = 0;
    for (int i = 0; i < cd->n_einsums; i++) {
        if (i + 1 < cd->n_einsums && !(cut & (1 << i)))
            continue;
        mp_group *g = &cm->groups[cm->n_groups++];
        memset(g, 0, offsetof(mp_group, phases));
        /* of the rest, what this decode fills starts as in a zeroed group
         * (names written whole below); entries past the counts, which
         * nothing reads, are not cleared: clearing them took a fifth of
         * the decode */
        g->granularity = MP_GRAN_TILE;
        g->max_rows = 0;
        g->n_spill = g->n_keep = g->n_bypass = 0;
        for (int l = 0; l < 3; l++)
            g->levels[l].n = 0;
        g->name[0] = 'g';
        g->name[1] = (char)('0' + cm->n_groups - 1);
        g->name[2] = 0;
        for (int k = start; k <= i; k++)
            memcpy(g->einsums[g->n_einsums++], s->ename[v][k], MP_ENAME);
        start = i + 1;
        g->schedule = (mp_sched_kind)(s->is_attn ? gn[G_SCHED] : gn[G_SCHED] ? MP_SCHED_SEQUENTIAL : MP_SCHED_PIPELINED);
        g->n_levels = 3;
        for (int l = 0; l < 3; l++)
            memcpy(g->levels[l].store, s->store[l], MP_NAME);
        mp_level *D = &g->levels[0], *B = &g->levels[1], *E = &g->levels[2];
        add_loop(D, "rep", cm->repeat, MP_LOOP_TEMPORAL);
        if (v == V_SPLIT) {
            /* the splits across the columns (S beyond them at DRAM), key
             * tiles over m1; the merge runs once per instance */
            int64_t S = mp_cmap_rank(cm, "s"), cols = 1, m0 = mp_cmap_rank(cm, "m0");
            for (int k = 0; k < a->n_units; k++)
                if (!strcmp(a->units[k].name, mp_cmap_unit_of(cm, "BQK")))
                    cols = a->units[k].cols;
            int64_t s0 = S < cols ? S : cols;
            if (m0 > s->M0 && m0 % s->M0)
                return -1;
            if (gn[G_ORDER] == 0 && S > s0)
                add_loop(D, "s", S / s0, MP_LOOP_TEMPORAL);
            add_loop(D, "m1", mp_cmap_rank(cm, "m1"), MP_LOOP_TEMPORAL);
            if (gn[G_ORDER] == 1 && S > s0)
                add_loop(D, "s", S / s0, MP_LOOP_TEMPORAL);
            if (gn[G_ORDER] == 1 && S == s0)
                return -1; /* the same point as order 0 */
            add_loop(E, "s", s0, MP_LOOP_SPATIAL_COLS);
            add_loop(E, "m0", m0 < s->M0 ? m0 : s->M0, MP_LOOP_SPATIAL_ROWS);
            if (m0 > s->M0)
                add_loop(E, "m0", m0 / s->M0, MP_LOOP_TEMPORAL);
            g->granularity = MP_GRAN_TILE;
        } else if (s->is_attn) {
            const char *mr = v == 0 ? "m1" : "m";
            int64_t mo = v == 0 ? mp_cmap_rank(cm, "m1") : s->M / s->M0;
            if (v == 1 && s->M % s->M0)
                return -1;
            int64_t m0in = v == 0 ? mp_cmap_rank(cm, "m0") : s->M0;
            if (m0in % s->M0)
                return -1;
            if (gn[G_ORDER] == 0) {
                add_loop(D, "p", p2, MP_LOOP_TEMPORAL);
                add_loop(D, mr, mo, MP_LOOP_TEMPORAL);
            } else {
                add_loop(D, mr, mo, MP_LOOP_TEMPORAL);
                add_loop(D, "p", p2, MP_LOOP_TEMPORAL);
            }
            add_loop(B, "p", p1, MP_LOOP_TEMPORAL);
            add_loop(E, "p", p0, MP_LOOP_SPATIAL_COLS);
            add_loop(E, v == 0 ? "m0" : "m", s->M0, MP_LOOP_SPATIAL_ROWS);
            if (m0in > s->M0) /* the key tile is taller than the array: fold it */
                add_loop(E, "m0", m0in / s->M0, MP_LOOP_TEMPORAL);
            g->granularity = v == 0 ? MP_GRAN_TILE : mp_group_whole_head(g) ? MP_GRAN_HEAD : MP_GRAN_ROW;
            if (v == 1 && gn[G_SPILL] == 2) /* FLAT's overbooked buffer */
                set_name(g->spill[g->n_spill++], MP_SPILL_OVERFLOW);
            if (v == 1 && gn[G_SPILL] == 1) {
                /* spill the fibres that cross units */
                for (int t = 0; t < cd->n_tensors; t++) {
                    if (cd->tensors[t].role != MP_T_FIBRE)
                        continue;
                    int touched = 0;
                    for (int k = 0; k < g->n_einsums; k++)
                        touched |= !strcmp(g->einsums[k], cd->tensors[t].name);
                    if (touched && strcmp(cd->tensors[t].name, "SN"))
                        set_name(g->spill[g->n_spill++], cd->tensors[t].name);
                }
            }
        } else {
            int64_t n0 = 256;
            for (int k = 0; k < a->n_units; k++)
                if (a->units[k].kind == MP_UNIT_ARRAY2D)
                    n0 = a->units[k].rows;
            int64_t rows0 = n0;
            while (n0 > 1 && s->N % n0)
                n0 /= 2;
            if (n0 < rows0 / 4) /* no power-of-two tile divides n (vocab 50257): ragged full tiles */
                n0 = rows0;
            int64_t n2 = (s->N + n0 - 1) / n0;
            int buffer_n = gn[G_SPILL];
            int64_t tb = buffer_n ? 1 : p1, t2 = buffer_n ? (s->T + p0 - 1) / p0 : p2, nb = 1;
            if (buffer_n) {
                /* reuse the P1 gene as an index into divisors of n2 */
                int64_t dv[64];
                int nd;
                divisors_fast(n2, dv, &nd);
                if (gn[G_P1] > nd)
                    return -1;
                nb = dv[gn[G_P1] - 1];
                n2 /= nb;
            }
            if (gn[G_ORDER] == 0) {
                add_loop(D, "t", t2, MP_LOOP_TEMPORAL);
                add_loop(D, "n", n2, MP_LOOP_TEMPORAL);
            } else {
                add_loop(D, "n", n2, MP_LOOP_TEMPORAL);
                add_loop(D, "t", t2, MP_LOOP_TEMPORAL);
            }
            if (buffer_n)
                add_loop(B, "n", nb, MP_LOOP_TEMPORAL);
            else
                add_loop(B, "t", tb, MP_LOOP_TEMPORAL);
            add_loop(E, "t", p0, MP_LOOP_SPATIAL_COLS);
            add_loop(E, "n", n0, MP_LOOP_SPATIAL_ROWS);
            g->granularity = MP_GRAN_TILE;
        }
        if (g->schedule == MP_SCHED_INTERLEAVED) {
            make_epoch(s, gn, v, g, start - g->n_einsums);
            if (lag_fixpoint(s, gn, v, cd, g, start - g->n_einsums))
                return -1;
        }
    }
    /* 3-pass fibres cross groups through DRAM: keep nothing on chip */
    return 0;
}

static int fits_all(const space *s, const int *gn, const mp_cascade_map *cm)
{
    return mp_cascade_fits(s->a, cm, s->sizes[head_index(s, gn)]);
}

/* Gene G_P1 = 0 means "the largest tile factor that fits" (the P1 rule).
 * Factors are listed largest first and the footprint grows with the factor,
 * so a binary search finds the first that fits. */
/* *fits is set when the decoded map is known to fit (the P1 rule checked it). */
static int decode(const space *s, const int *gn, mp_cascade_map *cm, int *fits)
{
    *fits = 0;
    if (gn[G_P1] > 0)
        return decode_explicit(s, gn, cm);
    int g2[G_N];
    memcpy(g2, gn, sizeof g2);
    int lo = 1, hi = s->range[G_P1] - 1, found = -1, last = -1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        g2[G_P1] = mid;
        int rc = decode_explicit(s, g2, cm);
        last = mid;
        if (rc == 0 && fits_all(s, g2, cm)) {
            found = mid;
            hi = mid - 1;
        } else if (rc == 0) {
            lo = mid + 1;
        } else {
            hi = mid - 1; /* index beyond this p0's list: look at larger factors */
        }
    }
    if (found < 0)
        return -1;
    *fits = 1;
    if (last == found) /* cm already holds it */
        return 0;
    g2[G_P1] = found;
    return decode_explicit(s, g2, cm);
}

static int64_t space_size(const space *s)
{
    double n = 1;
    for (int g = 0; g < G_N; g++)
        n *= s->range[g];
    return n > 9e15 ? INT64_MAX : (int64_t)n;
}

typedef struct best_t {
    double obj, sec;
    mp_cascade_map cm;
    mp_cost cost;
    int have;
} best_t;

static int try_genes(const space *s, const int *gn, mp_objective ob, best_t *b, mp_search_stats *st, double *val)
{
    mp_cascade_map cm;
    *val = INFINITY;
    int fits;
    if (decode(s, gn, &cm, &fits)) {
        st->pruned++;
        return 0;
    }
    mp_cost c;
    memset(&c, 0, offsetof(mp_cost, einsums)); /* the cost zeroes the entries it adds */
    c.valid = 1;
    es_err e;
    /* decode_explicit starts every map of variant v from head[v] */
    const mp_cost_sizes *z = s->sizes[head_index(s, gn)];
    /* the P1 rule checked the fit already; otherwise one that does not fit
     * is pruned (the cost model checks the fit first) */
    int rc = fits ? mp_cost_cascade_sized(s->a, &cm, z, &c, &e) : mp_cost_cascade_fit(s->a, &cm, z, &c, &e);
    if (rc == 1) {
        st->pruned++;
        return 0;
    }
    st->evaluated++;
    if (rc || !c.valid)
        return 0;
    mp_cost_finish(s->a, &c);
    st->valid++;
    *val = mp_objective_value(ob, &c);
    /* ties on the objective (a compute-bound latency) go to the lower
     * secondary figure: energy, or latency for the energy objective */
    double sec = ob == MP_OBJ_ENERGY ? c.cycles : c.energy_pj;
    int better = !b->have || *val < b->obj * (1 - 1e-12) ||
                 (*val <= b->obj * (1 + 1e-12) && sec < b->sec);
    if (better) {
        b->sec = sec;
        b->have = 1;
        b->obj = *val;
        /* the header and the used groups (the rest is never read) */
        memcpy(&b->cm, &cm, offsetof(mp_cascade_map, groups) + (size_t)cm.n_groups * sizeof cm.groups[0]);
        b->cost = c;
        return 1;
    }
    return 0;
}

static void search_instance(const space *s, const mp_search_opts *o, best_t *b, mp_search_stats *st)
{
    int gn[G_N] = {0};
    int64_t total = space_size(s);
    if (total <= o->budget) {
        for (int64_t i = 0; i < total; i++) {
            int64_t x = i;
            for (int g = 0; g < G_N; g++) {
                gn[g] = (int)(x % s->range[g]);
                x /= s->range[g];
            }
            double v;
            try_genes(s, gn, o->objective, b, st, &v);
        }
        return;
    }
    st->exhaustive = 0;
    es_rng r;
    es_rng_seed(&r, o->seed ^ (uint64_t)s->in->repeat * 0x9e3779b97f4a7c15ULL ^ (uint64_t)s->T);
    int64_t nrand = o->budget / 4, done = 0;
    int bestg[G_N] = {0};
    double bestv = INFINITY, v;
    for (; done < nrand; done++) {
        for (int g = 0; g < G_N; g++)
            gn[g] = (int)es_rng_below(&r, (uint64_t)s->range[g]);
        try_genes(s, gn, o->objective, b, st, &v);
        if (v < bestv) {
            bestv = v;
            memcpy(bestg, gn, sizeof gn);
        }
    }
    /* local search: first-improvement over single-gene moves; restart from a
     * random point when a sweep improves nothing */
    memcpy(gn, bestg, sizeof gn);
    double cur = bestv;
    while (done < o->budget) {
        int improved = 0;
        for (int g = 0; g < G_N && done < o->budget; g++)
            for (int k = 0; k < s->range[g] && done < o->budget; k++) {
                if (k == gn[g])
                    continue;
                int old = gn[g];
                gn[g] = k;
                try_genes(s, gn, o->objective, b, st, &v);
                done++;
                if (v < cur) {
                    cur = v;
                    improved = 1;
                } else {
                    gn[g] = old;
                }
            }
        if (!improved) {
            for (int g = 0; g < G_N; g++)
                gn[g] = (int)es_rng_below(&r, (uint64_t)s->range[g]);
            cur = INFINITY;
            try_genes(s, gn, o->objective, b, st, &cur);
            done++;
        }
    }
}

static int search_all(const mp_arch *a, const md_workload *w, const mp_search_opts *o, mp_mapping *best,
                      mp_cost *best_cost, mp_search_stats *st, es_err *e)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(st, 0, sizeof *st);
    st->exhaustive = 1;
    es_strlcpy(best->arch, a->name, sizeof best->arch);
    es_strlcpy(best->model, w->model, sizeof best->model);
    es_strlcpy(best->scope, md_scope_name(w->scope), sizeof best->scope);
    best->batch = w->batch;
    if (mp_mapping_reserve(best, w->n_inst, e)) /* at most one map per instance */
        return -1;
    for (int i = 0; i < w->n_inst; i++) {
        const md_inst *in = &w->inst[i];
        if (!mp_cascade_is_core(in->cascade))
            continue;
        if (!strcmp(in->name, "attention"))
            best->seq = md_inst_rank(in, "m");
        space s;
        space_init(&s, a, in);
        best_t b;
        memset(&b, 0, sizeof b);
        search_instance(&s, o, &b, st);
        space_free(&s);
        if (!b.have)
            return es_fail(e, "search: no valid mapping of '%s' on arch '%s' (every candidate overflows the buffer "
                              "or lacks a unit for some op)", in->name, a->name);
        *mp_mapping_add(best) = b.cm;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    st->wall_s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    st->per_s = st->wall_s > 0 ? (double)st->evaluated / st->wall_s : 0;
    if (!best->n_cascades)
        return es_fail(e, "workload has nothing the mapper can map");
    return mp_cost_eval(a, best, best_cost, e);
}

int mp_search(const mp_arch *a, const md_workload *w, const mp_search_opts *o, mp_mapping *best, mp_cost *best_cost,
              mp_search_stats *st, es_err *e)
{
    mp_mapping_init(best);
    int rc = search_all(a, w, o, best, best_cost, st, e);
    if (rc)
        mp_mapping_free(best);
    return rc;
}
