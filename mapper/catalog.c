/* mapper/catalog.c: the mapper's view of a cascade (see catalog.h), derived
 * from the Einsum-cascade IR: mapper/cascades/NAME.ein is parsed and checked
 * (cas_load), its einsum structs give ops, iteration spaces and tensors, and
 * the pass analysis over the key rank gives the pass count and the
 * multi-pass (FIBRE) role.  Conversion rules (docs/mapper.md "Catalogue"):
 *   - op: a MAC-class einsum is MP_OP_MAC; a reduction its combining op (sum
 *     -> add); a map the costliest op of its expression (exp, gelu, silu,
 *     rsqrt > div > mul+add as mac > mul > sub > add/max/min by the root).
 *   - tensor ranks: an iterative tensor (RM[m1+1,p]) drops its iterative
 *     rank (the catalogue keeps the running value, one slice live: RM[p]; the
 *     IR's M1+1 slices are the interpreter's history); a split parent read
 *     through its split view (K[e,m], m -> m1, m0) carries the children
 *     (K[e,m1,m0]) so loops over m1 and m0 index it.
 *   - roles: cascade outputs OUTPUT; inputs without an activation rank (the
 *     per-repeat ranks t, p, m of docs/models.md and their split children)
 *     WEIGHT, the other inputs INPUT; intermediates that are iterative, or
 *     that drop the key rank their producer iterates (3-pass GM, SD: carried
 *     across m), RUNNING; intermediates carrying the key rank of a cascade
 *     with more than one pass over it FIBRE; the rest TILE.
 *   - prev: the iterative tensor an einsum reads at the plain index r (the
 *     previous step) and not at r+1 or the final slice.
 *   - key rank: "m" (the key rank of docs/models.md); passes = the IR's pass
 *     count over it, 0 for cascades without it (linear, norms). */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mapper/cascade.h"
#include "mapper/catalog.h"

#define CAT_MAX 32

typedef struct cat_store {
    char key[512];
    mp_cascade_desc d;
    mp_tensor_desc t[MP_CAT_MAX_T];
    mp_einsum_desc e[MP_CAT_MAX_E];
    char names[MP_CAT_MAX_T + MP_CAT_MAX_E + 1][CAS_NAME];
    char ranks[MP_CAT_MAX_T + MP_CAT_MAX_E][MP_CAT_RANKS][CAS_NAME];
    mp_cat_index ix;
} cat_store;

/* The cache of built descriptions belongs to the thread that runs (one run
 * at a time per thread: a sweep's workers are threads, docs/sweep.md), so
 * concurrent runs share no mutable state and take no lock.  It lives on the
 * heap under a pthread key whose destructor frees it when the thread ends;
 * descriptions stay valid until then. */
typedef struct cat_cache {
    int n;
    cat_store *s[CAT_MAX];
} cat_cache;

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_free(void *p)
{
    cat_cache *c = p;
    for (int i = 0; i < c->n; i++)
        free(c->s[i]);
    free(c);
}

static void cache_key_make(void) { (void)pthread_key_create(&cache_key, cache_free); }

static cat_cache *thread_cache(void)
{
    (void)pthread_once(&cache_once, cache_key_make);
    cat_cache *c = pthread_getspecific(cache_key);
    if (!c) {
        c = es_xcalloc(1, sizeof *c);
        (void)pthread_setspecific(cache_key, c);
    }
    return c;
}

/* ---- op of an einsum ------------------------------------------------------ */

enum { H_NONE, H_ADD, H_SUB, H_MUL, H_MAC, H_DIV, H_TRANS };

static void scan_ops(const cas_expr *x, int *has_add, int *has_mul, int *best, mp_op *bop)
{
    if (x->kind == CAS_E_OP) {
        int h = H_NONE;
        mp_op o = MP_OP_ADD;
        switch (x->op) {
        case CAS_OP_ADD: *has_add = 1; break;
        case CAS_OP_SUB:
        case CAS_OP_NEG: h = H_SUB; o = MP_OP_SUB; break;
        case CAS_OP_MUL:
        case CAS_OP_DEQUANTIZE: *has_mul = 1; break;
        case CAS_OP_DIV:
        case CAS_OP_RECIP:
        case CAS_OP_QUANTIZE: h = H_DIV; o = MP_OP_DIV; break;
        case CAS_OP_EXP:
        case CAS_OP_SIGMOID:
        case CAS_OP_TANH: h = H_TRANS; o = MP_OP_EXP; break;
        case CAS_OP_GELU:
        case CAS_OP_GELU_TANH: h = H_TRANS; o = MP_OP_GELU; break;
        case CAS_OP_SILU: h = H_TRANS; o = MP_OP_SILU; break;
        case CAS_OP_RSQRT:
        case CAS_OP_SQRT: h = H_TRANS; o = MP_OP_RSQRT; break;
        default: break;
        }
        if (h > *best) {
            *best = h;
            *bop = o;
        }
    }
    for (int i = 0; i < x->nargs; i++)
        scan_ops(x->arg[i], has_add, has_mul, best, bop);
}

static mp_op root_op(const cas_expr *x)
{
    if (x->kind != CAS_E_OP)
        return MP_OP_ADD; /* a copy: one pass through an adder */
    switch (x->op) {
    case CAS_OP_MAX:
    case CAS_OP_RELU: return MP_OP_MAX;
    case CAS_OP_MIN: return MP_OP_MIN;
    case CAS_OP_MUL: return MP_OP_MUL;
    case CAS_OP_SUB: return MP_OP_SUB;
    default: return MP_OP_ADD;
    }
}

static mp_op einsum_op(const cas_einsum *E)
{
    if (E->klass == CAS_K_MAC)
        return MP_OP_MAC;
    if (E->klass == CAS_K_REDUCE) {
        int a = 0, m = 0, best = H_NONE;
        mp_op o = MP_OP_ADD;
        scan_ops(E->rhs, &a, &m, &best, &o);
        if (best >= H_DIV)
            return o;
        return E->reduce == CAS_RED_MAX ? MP_OP_MAX : E->reduce == CAS_RED_MIN ? MP_OP_MIN : MP_OP_ADD;
    }
    int a = 0, m = 0, best = H_NONE;
    mp_op o = MP_OP_ADD;
    scan_ops(E->rhs, &a, &m, &best, &o);
    if (best >= H_DIV)
        return o;
    if (m && a)
        return MP_OP_MAC;
    if (m)
        return MP_OP_MUL;
    if (best == H_SUB)
        return MP_OP_SUB;
    return root_op(E->rhs);
}

/* ---- previous-step reads -------------------------------------------------- */

/* Marks, per tensor, reads at the plain iterative index (bit 1: a carried
 * read, cas_read_carried) and at any other index of the iterative position
 * (bit 2: r+1, the final slice). */
static void scan_iter_reads(const cas_cascade *c, const cas_expr *x, int *mark)
{
    if (x->kind == CAS_E_REF) {
        const cas_tensor *t = &c->tensor[x->tensor];
        if (t->iter_pos >= 0 && t->iter_pos < x->nidx)
            mark[x->tensor] |= cas_read_carried(c, x) ? 1 : 2;
    }
    for (int i = 0; i < x->nargs; i++)
        scan_iter_reads(c, x->arg[i], mark);
}

/* ---- ranks ---------------------------------------------------------------- */

/* Activation (per-repeat) ranks: tokens t, queries p, keys m (docs/models.md);
 * a weight carries none of them. */
static int activation_rank(const cas_cascade *c, int r)
{
    for (; r >= 0; r = c->rank[r].parent) {
        const char *n = c->rank[r].name;
        if (!strcmp(n, "t") || !strcmp(n, "p") || !strcmp(n, "m"))
            return 1;
    }
    return 0;
}

/* Rank list of a tensor as the mapper sees it (see the header comment). */
static int tensor_ranks(const cas_cascade *c, const cas_tensor *t, int out[CAS_MAX_TRANKS * 2])
{
    int n = 0;
    for (int i = 0; i < t->nranks; i++) {
        if (i == t->iter_pos)
            continue;
        int r = t->rank[i];
        if (c->rank[r].outer >= 0 && c->rank[r].inner >= 0) {
            /* recursively expand nested splits (m -> s, mr; mr -> m1, m0) */
            int stack[8], sp = 0;
            stack[sp++] = r;
            while (sp > 0) {
                int q = stack[--sp];
                if (c->rank[q].outer >= 0 && c->rank[q].inner >= 0 && sp + 2 <= 8) {
                    stack[sp++] = c->rank[q].inner;
                    stack[sp++] = c->rank[q].outer;
                } else
                    out[n++] = q;
            }
        } else
            out[n++] = r;
    }
    return n;
}

/* ---- conversion ----------------------------------------------------------- */

static const char *keep(cat_store *s, int *nn, const char *name)
{
    if (*nn >= (int)(sizeof s->names / sizeof s->names[0]))
        return NULL;
    snprintf(s->names[*nn], CAS_NAME, "%s", name);
    return s->names[(*nn)++];
}

static int set_ranks(cat_store *s, int *nr, const char **dst, const cas_cascade *c, const int *ranks, int n)
{
    if (n > MP_CAT_RANKS - 1)
        return -1;
    int slot = (*nr)++;
    for (int i = 0; i < n; i++) {
        snprintf(s->ranks[slot][i], CAS_NAME, "%s", c->rank[ranks[i]].name);
        dst[i] = s->ranks[slot][i];
    }
    dst[n] = NULL;
    return 0;
}

static int convert(cat_store *s, const cas_cascade *c)
{
    if (c->ntensors > MP_CAT_MAX_T || c->neinsums > MP_CAT_MAX_E)
        return -1;
    int nn = 0, nr = 0;
    int key = cas_rank_find(c, "m");
    int npasses = 0;
    if (key >= 0) {
        cas_passes ps;
        es_err e;
        if (cas_passes_analyze(c, "m", &ps, &e))
            return -1;
        npasses = ps.npasses;
    }
    /* tensor order: inputs, outputs, then intermediates by producer order */
    int order[CAS_MAX_TENSORS], no = 0;
    for (int k = 0; k < 2; k++)
        for (int t = 0; t < c->ntensors; t++)
            if ((k == 0 && c->tensor[t].kind == CAS_T_INPUT) || (k == 1 && c->tensor[t].kind == CAS_T_OUTPUT))
                order[no++] = t;
    for (int ei = 0; ei < c->neinsums; ei++) {
        int t = c->einsum[ei].out;
        if (c->tensor[t].kind != CAS_T_INTERMEDIATE)
            continue;
        int seen = 0;
        for (int j = 0; j < no; j++)
            seen |= order[j] == t;
        if (!seen)
            order[no++] = t;
    }
    int cat_of[CAS_MAX_TENSORS];
    for (int i = 0; i < no; i++) {
        const cas_tensor *t = &c->tensor[order[i]];
        mp_tensor_desc *d = &s->t[i];
        cat_of[order[i]] = i;
        d->name = keep(s, &nn, t->name);
        int rk[CAS_MAX_TRANKS * 2];
        int n = tensor_ranks(c, t, rk);
        if (!d->name || set_ranks(s, &nr, d->ranks, c, rk, n))
            return -1;
        int act = 0, has_key = 0;
        for (int j = 0; j < n; j++) {
            act |= activation_rank(c, rk[j]);
            has_key |= key >= 0 && cas_rank_descends(c, rk[j], key);
        }
        if (t->kind == CAS_T_OUTPUT)
            d->role = MP_T_OUTPUT;
        else if (t->kind == CAS_T_INPUT)
            d->role = act ? MP_T_INPUT : MP_T_WEIGHT;
        else if (t->iter_pos >= 0)
            d->role = MP_T_RUNNING;
        else {
            const cas_einsum *P = &c->einsum[t->producer];
            if (cas_einsum_iterates(c, P, key) && !has_key)
                d->role = MP_T_RUNNING;
            else if (has_key && npasses > 1)
                d->role = MP_T_FIBRE;
            else
                d->role = MP_T_TILE;
        }
    }
    for (int ei = 0; ei < c->neinsums; ei++) {
        const cas_einsum *E = &c->einsum[ei];
        mp_einsum_desc *d = &s->e[ei];
        d->name = keep(s, &nn, E->name);
        d->out = s->t[cat_of[E->out]].name;
        d->op = einsum_op(E);
        if (!d->name || set_ranks(s, &nr, d->space, c, E->space, E->nspace))
            return -1;
        if (E->ninputs > MP_CAT_INS - 1)
            return -1;
        for (int k = 0; k < E->ninputs; k++)
            d->in[k] = s->t[cat_of[E->inputs[k]]].name;
        d->in[E->ninputs] = NULL;
        int mark[CAS_MAX_TENSORS] = {0};
        scan_iter_reads(c, E->rhs, mark);
        d->prev = NULL;
        for (int k = 0; k < E->ninputs && !d->prev; k++)
            if (mark[E->inputs[k]] == 1)
                d->prev = s->t[cat_of[E->inputs[k]]].name;
    }
    s->d.name = keep(s, &nn, c->name);
    if (!s->d.name)
        return -1;
    s->d.n_tensors = no;
    s->d.tensors = s->t;
    s->d.n_einsums = c->neinsums;
    s->d.einsums = s->e;
    s->d.passes = npasses;
    /* index form */
    mp_cat_index *x = &s->ix;
    for (int t = 0; t < MP_CAT_MAX_T; t++)
        x->producer[t] = -1;
    for (int i = 0; i < c->neinsums; i++) {
        x->out[i] = cat_of[c->einsum[i].out];
        x->producer[x->out[i]] = i;
        x->nin[i] = 0;
        for (int j = 0; s->e[i].in[j]; j++)
            x->in[i][x->nin[i]++] = cat_of[c->einsum[i].inputs[j]];
        x->prev[i] = -1;
        for (int j = 0; s->e[i].prev && j < no; j++)
            if (!strcmp(s->t[j].name, s->e[i].prev))
                x->prev[i] = j;
    }
    return 0;
}

const mp_cascade_desc *mp_catalog_load(const char *cascade, es_err *e)
{
    if (!cascade || strlen(cascade) >= sizeof ((cat_store *)0)->key) {
        es_fail(e, "cascade name '%.60s' is empty or too long (at most %d characters)", cascade ? cascade : "",
                (int)sizeof((cat_store *)0)->key - 1);
        return NULL;
    }
    cat_cache *cc = thread_cache();
    for (int i = 0; i < cc->n; i++)
        if (!strcmp(cc->s[i]->key, cascade))
            return &cc->s[i]->d;
    if (cc->n == CAT_MAX) {
        es_fail(e, "cascade %s: more than %d distinct cascades in one thread (CAT_MAX)", cascade, CAT_MAX);
        return NULL;
    }
    /* only a description that built is kept: a failure is reported again
     * (with its reason) on the next call, never served from the cache */
    cat_store *s = es_xcalloc(1, sizeof *s);
    snprintf(s->key, sizeof s->key, "%s", cascade);
    cas_cascade *c = cas_load(cascade, e);
    int ok = c && cas_bind(c, NULL, e) == 0;
    if (ok && convert(s, c)) {
        ok = 0;
        es_fail(e,
                "cascade %s exceeds the catalogue's limits (at most %d tensors, %d Einsums, %d inputs per Einsum, "
                "%d ranks per tensor)",
                cascade, MP_CAT_MAX_T, MP_CAT_MAX_E, MP_CAT_INS - 1, MP_CAT_RANKS - 1);
    }
    cas_free(c);
    if (!ok) {
        free(s);
        return NULL;
    }
    cc->s[cc->n++] = s;
    return &s->d;
}

const mp_cascade_desc *mp_catalog_find(const char *cascade)
{
    es_err e;
    return mp_catalog_load(cascade, &e);
}

static int same_list(const char *const *a, const char *const *b, int n)
{
    for (int i = 0; i < n; i++) {
        if (!a[i] || !b[i])
            return a[i] == b[i];
        if (strcmp(a[i], b[i]))
            return 0;
    }
    return 1;
}

static int same_str(const char *a, const char *b) { return a == b || (a && b && !strcmp(a, b)); }

int mp_catalog_same(const char *c1, const char *c2)
{
    const mp_cascade_desc *a = mp_catalog_find(c1), *b = mp_catalog_find(c2);
    if (!a || !b || a->n_tensors != b->n_tensors || a->n_einsums != b->n_einsums || a->passes != b->passes)
        return 0;
    for (int i = 0; i < a->n_tensors; i++)
        if (strcmp(a->tensors[i].name, b->tensors[i].name) || a->tensors[i].role != b->tensors[i].role ||
            !same_list(a->tensors[i].ranks, b->tensors[i].ranks, MP_CAT_RANKS))
            return 0;
    for (int i = 0; i < a->n_einsums; i++) {
        const mp_einsum_desc *x = &a->einsums[i], *y = &b->einsums[i];
        if (strcmp(x->name, y->name) || x->op != y->op || strcmp(x->out, y->out) || !same_str(x->prev, y->prev) ||
            !same_list(x->space, y->space, MP_CAT_RANKS) || !same_list(x->in, y->in, MP_CAT_INS))
            return 0;
    }
    return 1;
}

const mp_cat_index *mp_catalog_index(const mp_cascade_desc *c)
{
    return &((const cat_store *)((const char *)c - offsetof(cat_store, d)))->ix;
}

int mp_catalog_einsum_index(const mp_cascade_desc *c, const char *name)
{
    for (int i = 0; i < c->n_einsums; i++)
        if (!strcmp(c->einsums[i].name, name))
            return i;
    return -1;
}

int mp_einsum_touches(const mp_einsum_desc *d, const char *tensor)
{
    for (int k = 0; d->in[k]; k++)
        if (!strcmp(d->in[k], tensor))
            return 1;
    return !strcmp(d->out, tensor);
}

const mp_einsum_desc *mp_catalog_einsum(const mp_cascade_desc *c, const char *name)
{
    for (int i = 0; i < c->n_einsums; i++)
        if (!strcmp(c->einsums[i].name, name))
            return &c->einsums[i];
    return NULL;
}

const mp_tensor_desc *mp_catalog_tensor(const mp_cascade_desc *c, const char *name)
{
    for (int i = 0; i < c->n_tensors; i++)
        if (!strcmp(c->tensors[i].name, name))
            return &c->tensors[i];
    return NULL;
}

/* Length of a rank's base name (trailing digits dropped, at least 1; 0 for ""). */
static size_t base_len(const char *r)
{
    /* one pass: the length up to the last non-digit (at least 1) */
    size_t k = 0, b = 0;
    for (; r[k]; k++)
        if (r[k] < '0' || r[k] > '9') /* isdigit, without its table lookup */
            b = k + 1;
    return k == 0 ? 0 : b ? b : 1;
}

void mp_rank_base(const char *rank, char *out, size_t n)
{
    size_t k = base_len(rank);
    if (k >= n)
        k = n - 1;
    memcpy(out, rank, k);
    out[k] = 0;
}

int mp_rank_match(const char *a, const char *b)
{
    if (!strcmp(a, b))
        return 1;
    char ba[32], bb[32];
    mp_rank_base(a, ba, sizeof ba), mp_rank_base(b, bb, sizeof bb);
    if (strcmp(ba, bb))
        return 0;
    return !strcmp(a, ba) || !strcmp(b, bb);
}

int mp_tensor_uses(const mp_tensor_desc *t, const char *rank)
{
    size_t b = base_len(rank);
    if (b == 3 && !memcmp(rank, "rep", 3))
        return t->role != MP_T_WEIGHT;
    for (int i = 0; t->ranks[i]; i++) {
        /* base_len(q) == b && !memcmp(q, rank, b), in one pass: q starts
         * with rank's base (whose last char is no digit unless b == 1) and
         * has only digits after it */
        const char *q = t->ranks[i];
        if (q[0] != rank[0])
            continue;
        size_t k = b ? 1 : 0; /* b == 0: both empty */
        while (k < b && q[k] == rank[k])
            k++;
        if (k < b)
            continue;
        while (q[k] >= '0' && q[k] <= '9')
            k++;
        if (!q[k])
            return 1;
    }
    return 0;
}
