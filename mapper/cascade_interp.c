/* mapper/cascade_interp.c: execute a bound cascade on fp32 tensors.
 *
 * Representation: every tensor is a dense float array, rank order as
 * declared (first rank outermost), extents from cas_extent() (an iterative
 * position has size+1 slices: slice r holds the value before iteration r).
 *
 * Schedule: einsums run in the checker's dependency order.  When the cascade
 * has an iterative rank L, the einsums whose iteration space contains L run
 * inside one loop over L (slice by slice, in dependency order), those that
 * feed the loop run before it and those that need it finished run after it:
 * this is what lets RD[m1+1] = SLD[m1] + RD[m1]*PRM[m1] refer to itself.
 *
 * One einsum: an odometer over its iteration space; a split parent's value is
 * derived from its children (m = m1*M0 + m0) and points with m >= M are
 * skipped (the last tile of a length that M0 does not divide).  Reductions
 * start from their identity (0, -inf, +inf) and combine in increasing
 * odometer order (last rank fastest), which fixes the fp32 summation order.
 *
 * Conventions (docs/cascades.md): (-inf) - (-inf) = -inf, so a fully masked
 * row stays -inf through the running max and exp gives 0, not NaN; x / 0 = 0,
 * so a fully masked row of attention is all zeros as in golden. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "golden/kernels.h"
#include "mapper/cascade_int.h"

int cas_env_init(cas_env *v, const cas_cascade *c, es_err *e)
{
    memset(v, 0, sizeof *v);
    v->c = c;
    for (int t = 0; t < c->ntensors; t++) {
        int64_t n = cas_tensor_elems(c, t);
        if (n <= 0 || n > ((int64_t)1 << 31)) {
            cas_env_free(v);
            return es_fail(e, "%s: tensor %s would have %lld elements; the interpreter takes at most 2^31 per tensor",
                           c->file, c->tensor[t].name, (long long)n);
        }
        v->data[t] = es_xcalloc((size_t)n, sizeof(float));
        v->n[t] = n;
    }
    return 0;
}

void cas_env_free(cas_env *v)
{
    for (int t = 0; t < CAS_MAX_TENSORS; t++) {
        free(v->data[t]);
        v->data[t] = NULL;
    }
}

float *cas_env_get(cas_env *v, const char *tensor, int64_t *n)
{
    int t = cas_tensor_find(v->c, tensor);
    if (t < 0)
        return NULL;
    if (n)
        *n = v->n[t];
    return v->data[t];
}

/* ---- evaluation of one einsum ------------------------------------------- */

typedef struct evalctx {
    const cas_cascade *c;
    cas_env *v;
    int64_t val[CAS_MAX_RANKS]; /* current value of every rank variable */
    int present[CAS_MAX_RANKS]; /* rank has a value at this point */
    es_err *e;
    int bad;                    /* an index fell outside its tensor */
} evalctx;

/* Value of an affine index at the current point; -1 (out of range) when the
 * arithmetic overflows. */
static int64_t index_value(const evalctx *x, const cas_index *ix)
{
    int64_t s = 0;
    for (int i = 0; i < ix->nterm; i++) {
        const cas_term *t = &ix->term[i];
        int64_t v = t->lit;
        if (t->size_rank >= 0 && __builtin_mul_overflow(v, x->c->rank[t->size_rank].size, &v))
            return -1;
        if (t->var >= 0 && __builtin_mul_overflow(v, x->val[t->var], &v))
            return -1;
        if (__builtin_add_overflow(s, v, &s))
            return -1;
    }
    return s;
}

/* Offset of T[idx...] at the current point; -1 if out of range. */
static int64_t offset(evalctx *x, int tensor, const cas_index *idx)
{
    const cas_tensor *t = &x->c->tensor[tensor];
    int64_t off = 0;
    for (int i = 0; i < t->nranks; i++) {
        int64_t ext = cas_extent(x->c, tensor, i);
        int64_t k = index_value(x, &idx[i]);
        if (k < 0 || k >= ext)
            return -1;
        off = off * ext + k;
    }
    return off;
}

static float apply(cas_op op, float a, float b)
{
    switch (op) {
    case CAS_OP_ADD: return a + b;
    case CAS_OP_SUB: return (isinf(a) && isinf(b) && a < 0 && b < 0) ? -INFINITY : a - b;
    case CAS_OP_MUL: return a * b;
    case CAS_OP_DIV: return b == 0.0f ? 0.0f : a / b;
    case CAS_OP_MAX: return fmaxf(a, b);
    case CAS_OP_MIN: return fminf(a, b);
    case CAS_OP_NEG: return -a;
    case CAS_OP_EXP: return expf(a);
    case CAS_OP_GELU: return gd_gelu_erf(a);
    case CAS_OP_GELU_TANH: return gd_gelu_tanh(a);
    case CAS_OP_SILU: return gd_silu(a);
    case CAS_OP_RELU: return a > 0 ? a : 0.0f;
    case CAS_OP_SIGMOID: return 1.0f / (1.0f + expf(-a));
    case CAS_OP_TANH: return tanhf(a);
    case CAS_OP_RSQRT: return 1.0f / sqrtf(a);
    case CAS_OP_SQRT: return sqrtf(a);
    case CAS_OP_RECIP: return 1.0f / a;
    case CAS_OP_QUANTIZE: {
        /* symmetric int8 grid: round half to even, saturate to +-127 */
        float q = b == 0.0f ? 0.0f : rintf(a / b);
        return q > 127.0f ? 127.0f : q < -127.0f ? -127.0f : q;
    }
    case CAS_OP_DEQUANTIZE: return a * b;
    case CAS_OP_COUNT: break;
    }
    return NAN;
}

static float eval(evalctx *x, const cas_expr *ex)
{
    switch (ex->kind) {
    case CAS_E_NUM:
        return (float)ex->num;
    case CAS_E_SIZE:
        return (float)x->c->rank[ex->rank].size;
    case CAS_E_REF: {
        int64_t off = offset(x, ex->tensor, ex->idx);
        if (off < 0) {
            x->bad = 1;
            return 0;
        }
        return x->v->data[ex->tensor][off];
    }
    case CAS_E_OP:
        break;
    }
    float a = eval(x, ex->arg[0]);
    float b = ex->nargs > 1 ? eval(x, ex->arg[1]) : 0.0f;
    return apply(ex->op, a, b);
}

static float identity(cas_reduce r)
{
    return r == CAS_RED_MAX ? -INFINITY : r == CAS_RED_MIN ? INFINITY : 0.0f;
}

/* Derive split parents from their children (deepest first: children are
 * declared after their parent, so walk ranks from the last) and reject
 * points past the parent's size. */
static int derive_valid(evalctx *x)
{
    const cas_cascade *c = x->c;
    for (int r = c->nranks - 1; r >= 0; r--) {
        const cas_rank *R = &c->rank[r];
        if (R->outer < 0 || !x->present[R->outer] || !x->present[R->inner])
            continue;
        x->present[r] = 1;
        x->val[r] = x->val[R->outer] * c->rank[R->inner].size + x->val[R->inner];
        if (x->val[r] >= R->size)
            return 0;
    }
    return 1;
}

/* mode 0: accumulate/assign; mode 1: set the touched outputs to the identity.
 * fixed >= 0 pins that rank to fixed_val (one slice of the loop); box (may
 * be NULL) bounds every rank of the space to [lo, hi). */
static int run_einsum_in(evalctx *x, int ei, int fixed, int64_t fixed_val, const cas_box *box, int mode)
{
    const cas_cascade *c = x->c;
    const cas_einsum *E = &c->einsum[ei];
    int64_t lo[CAS_MAX_SPACE], hi[CAS_MAX_SPACE], k[CAS_MAX_SPACE];
    for (int i = 0; i < E->nspace; i++) {
        lo[i] = 0;
        hi[i] = c->rank[E->space[i]].size;
        if (E->space[i] == fixed)
            lo[i] = fixed_val, hi[i] = fixed_val + 1;
        if (box) {
            if (box->lo[E->space[i]] > lo[i])
                lo[i] = box->lo[E->space[i]];
            if (box->hi[E->space[i]] < hi[i])
                hi[i] = box->hi[E->space[i]];
        }
        if (lo[i] >= hi[i])
            return 0;
        k[i] = lo[i];
    }
    float *out = x->v->data[E->out];
    float id = identity(E->reduce);
    for (;;) {
        memset(x->present, 0, sizeof x->present);
        for (int i = 0; i < E->nspace; i++) {
            x->val[E->space[i]] = k[i];
            x->present[E->space[i]] = 1;
        }
        if (derive_valid(x)) {
            int64_t off = offset(x, E->out, E->lhs);
            if (off < 0)
                return es_fail_at(x->e, c->file, E->loc.line, E->loc.col,
                                  "einsum %s: output index out of range while interpreting", E->name);
            if (mode == 1)
                out[off] = id;
            else {
                float r = eval(x, E->rhs);
                if (x->bad)
                    return es_fail_at(x->e, c->file, E->loc.line, E->loc.col,
                                      "einsum %s: an input index fell outside its tensor while interpreting",
                                      E->name);
                switch (E->reduce) {
                case CAS_RED_NONE: out[off] = r; break;
                case CAS_RED_SUM: out[off] += r; break;
                case CAS_RED_MAX: out[off] = fmaxf(out[off], r); break;
                case CAS_RED_MIN: out[off] = fminf(out[off], r); break;
                }
            }
        }
        int i = E->nspace - 1;
        while (i >= 0 && ++k[i] == hi[i]) {
            k[i] = lo[i];
            i--;
        }
        if (i < 0)
            return 0;
    }
}

static int run_einsum(evalctx *x, int ei, int fixed, int64_t fixed_val, int mode)
{
    return run_einsum_in(x, ei, fixed, fixed_val, NULL, mode);
}

/* Run einsum ei over its whole space: its reduction identity first (if it
 * reduces), then the einsum. */
static int run_whole(evalctx *x, int ei)
{
    if (x->c->einsum[ei].reduce != CAS_RED_NONE && run_einsum(x, ei, -1, 0, 1))
        return -1;
    return run_einsum(x, ei, -1, 0, 0);
}

static int out_has(const cas_einsum *E, int r)
{
    for (int i = 0; i < E->nout_space; i++)
        if (E->space[i] == r)
            return 1;
    return 0;
}

void cas_box_all(const cas_cascade *c, cas_box *b)
{
    for (int r = 0; r < CAS_MAX_RANKS; r++) {
        b->lo[r] = 0;
        b->hi[r] = r < c->nranks ? c->rank[r].size : 0;
    }
}

int cas_run_einsum_box(cas_env *v, int ei, const cas_box *box, int accumulate, es_err *e)
{
    evalctx x = {.c = v->c, .v = v, .e = e};
    if (ei < 0 || ei >= v->c->neinsums)
        return es_fail(e, "%s: no einsum %d", v->c->file, ei);
    if (v->c->einsum[ei].reduce != CAS_RED_NONE && !accumulate && run_einsum_in(&x, ei, -1, 0, box, 1))
        return -1;
    return run_einsum_in(&x, ei, -1, 0, box, 0);
}

void cas_env_reset(cas_env *v)
{
    const cas_cascade *c = v->c;
    /* reset everything computed; set the r=0 slices of iterative tensors */
    for (int t = 0; t < c->ntensors; t++) {
        const cas_tensor *T = &c->tensor[t];
        if (T->kind == CAS_T_INPUT)
            continue;
        memset(v->data[t], 0, sizeof(float) * (size_t)v->n[t]);
        if (T->has_init) {
            /* elements whose iterative coordinate is 0 */
            int64_t inner = 1, outer = 1;
            for (int i = T->iter_pos + 1; i < T->nranks; i++)
                inner *= cas_extent(c, t, i);
            for (int i = 0; i < T->iter_pos; i++)
                outer *= cas_extent(c, t, i);
            int64_t ext = cas_extent(c, t, T->iter_pos);
            for (int64_t o = 0; o < outer; o++)
                for (int64_t i = 0; i < inner; i++)
                    v->data[t][o * ext * inner + i] = (float)T->init;
        }
    }
}

int cas_run(cas_env *v, es_err *e)
{
    const cas_cascade *c = v->c;
    evalctx x = {.c = c, .v = v, .e = e};
    cas_env_reset(v);
    int L = -1;
    for (int i = 0; i < c->neinsums; i++)
        if (c->einsum[i].iter_rank >= 0)
            L = c->einsum[i].iter_rank;
    if (L < 0) {
        for (int k = 0; k < c->neinsums; k++)
            if (run_whole(&x, c->order[k]))
                return -1;
        return 0;
    }
    /* phase: 0 before the loop, 1 inside, 2 after (needs the loop finished) */
    int phase[CAS_MAX_EINSUMS];
    for (int k = 0; k < c->neinsums; k++) {
        int ei = c->order[k], dep[CAS_MAX_SPACE], via[CAS_MAX_SPACE];
        int nd = cas_einsum_deps(c, ei, dep, via);
        int after = 0;
        for (int j = 0; j < nd; j++)
            after |= phase[dep[j]] >= 1;
        if (cas_space_has(&c->einsum[ei], L)) {
            for (int j = 0; j < nd; j++)
                if (phase[dep[j]] == 2)
                    return es_fail_at(e, c->file, c->einsum[ei].loc.line, c->einsum[ei].loc.col,
                                      "einsum %s iterates '%s' but reads %s, which needs that iteration finished",
                                      c->einsum[ei].name, c->rank[L].name, c->tensor[via[j]].name);
            phase[ei] = 1;
        } else
            phase[ei] = after ? 2 : 0;
    }
    for (int k = 0; k < c->neinsums; k++) {
        int ei = c->order[k];
        if (phase[ei] == 0) {
            if (run_whole(&x, ei))
                return -1;
        } else if (phase[ei] == 1 && c->einsum[ei].reduce != CAS_RED_NONE && !out_has(&c->einsum[ei], L)) {
            /* reduces over the loop rank: its identity is set once */
            if (run_einsum(&x, ei, -1, 0, 1))
                return -1;
        }
    }
    for (int64_t it = 0; it < c->rank[L].size; it++)
        for (int k = 0; k < c->neinsums; k++) {
            int ei = c->order[k];
            if (phase[ei] != 1)
                continue;
            const cas_einsum *E = &c->einsum[ei];
            if (E->reduce != CAS_RED_NONE && out_has(E, L) && run_einsum(&x, ei, L, it, 1))
                return -1;
            if (run_einsum(&x, ei, L, it, 0))
                return -1;
        }
    for (int k = 0; k < c->neinsums; k++)
        if (phase[c->order[k]] == 2 && run_whole(&x, c->order[k]))
            return -1;
    return 0;
}
