/* mapper/cascade_check.c: the op table, the checker, rank binding and the
 * size/op-count queries of the cascade IR.
 *
 * The checker resolves what the parser left open and rejects, each with
 * FILE:LINE:COL and the tensor or rank at fault:
 *   - a tensor read but neither an input nor defined by an einsum;
 *   - a tensor used with ranks inconsistent with its declaration/definition;
 *   - a dependency cycle that is not carried by an iterative rank (r -> r+1);
 *   - malformed left-hand sides, reductions whose listed ranks differ from
 *     the ranks actually reduced, iterative tensors without an initial value.
 * Derived per einsum: the iteration space (output ranks first, then the
 * reduced ones; a split parent used beside its children is replaced by them),
 * the distinct inputs, the iterative rank and a class (MAC/REDUCE/MAP/COPY).
 * A dependency order is stored in c->order. */
#include <errno.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/checked.h"
#include "mapper/cascade_int.h"

/* Default costs in op units: one add/mul/max = 1.  exp as FuseMax computes it
 * (6 MACs + 1 add, fusemax.md §2.1) = 7; the named non-linearities are given
 * the cost of a comparable polynomial evaluation and may be overridden per
 * cascade with `op NAME cost X`. */
static const cas_opinfo op_table[CAS_OP_COUNT] = {
    [CAS_OP_ADD] = {"+", NULL, 2, 1},
    [CAS_OP_SUB] = {"-", NULL, 2, 1},
    [CAS_OP_MUL] = {"*", NULL, 2, 1},
    [CAS_OP_DIV] = {"/", NULL, 2, 1},
    [CAS_OP_MAX] = {"max", "max", 2, 1},
    [CAS_OP_MIN] = {"min", "min", 2, 1},
    [CAS_OP_NEG] = {"neg", "neg", 1, 1},
    [CAS_OP_EXP] = {"exp", "exp", 1, 7},
    [CAS_OP_GELU] = {"gelu", "gelu", 1, 8},
    [CAS_OP_GELU_TANH] = {"gelu_tanh", "gelu_tanh", 1, 8},
    [CAS_OP_SILU] = {"silu", "silu", 1, 8},
    [CAS_OP_RELU] = {"relu", "relu", 1, 1},
    [CAS_OP_SIGMOID] = {"sigmoid", "sigmoid", 1, 8},
    [CAS_OP_TANH] = {"tanh", "tanh", 1, 8},
    [CAS_OP_RSQRT] = {"rsqrt", "rsqrt", 1, 4},
    [CAS_OP_SQRT] = {"sqrt", "sqrt", 1, 4},
    [CAS_OP_RECIP] = {"recip", "recip", 1, 1},
    [CAS_OP_QUANTIZE] = {"quantize", "quantize", 2, 3},
    [CAS_OP_DEQUANTIZE] = {"dequantize", "dequantize", 2, 1},
};

const cas_opinfo *cas_op_info(cas_op op) { return &op_table[op]; }

int cas_op_find(const char *fname)
{
    for (int i = 0; i < CAS_OP_COUNT; i++)
        if (op_table[i].fname && !strcmp(op_table[i].fname, fname))
            return i;
    return -1;
}

const char *cas_reduce_name(cas_reduce r)
{
    static const char *n[] = {"none", "sum", "max", "min"};
    return n[r];
}

const char *cas_class_name(cas_ekclass k)
{
    static const char *n[] = {"mac", "reduce", "map", "copy"};
    return n[k];
}

int cas_rank_find(const cas_cascade *c, const char *name)
{
    for (int i = 0; i < c->nranks; i++)
        if (!strcmp(c->rank[i].name, name))
            return i;
    return -1;
}

int cas_tensor_find(const cas_cascade *c, const char *name)
{
    for (int i = 0; i < c->ntensors; i++)
        if (!strcmp(c->tensor[i].name, name))
            return i;
    return -1;
}

int cas_einsum_find(const cas_cascade *c, const char *name)
{
    for (int i = 0; i < c->neinsums; i++)
        if (!strcmp(c->einsum[i].name, name))
            return i;
    return -1;
}

/* ---- helpers -------------------------------------------------------------- */

int cas_fail_at(es_err *e, const char *file, int line, int col, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return es_fail_at(e, file, line, col, "%s", msg);
}

/* A check error at location l of cascade c. */
#define FAIL_AT(c, e, l, ...) cas_fail_at(e, (c)->file, (l).line, (l).col, __VA_ARGS__)

/* The rank variable of an index that names its position: the first term with
 * a variable, else the rank whose size it uses (M1), else -1 (a literal). */
static int index_base(const cas_index *ix)
{
    for (int i = 0; i < ix->nterm; i++)
        if (ix->term[i].var >= 0)
            return ix->term[i].var;
    for (int i = 0; i < ix->nterm; i++)
        if (ix->term[i].size_rank >= 0)
            return ix->term[i].size_rank;
    return -1;
}

/* May an index whose base rank is b address a position of rank r? */
static int rank_compatible(const cas_cascade *c, int b, int r)
{
    if (b < 0 || b == r || cas_rank_descends(c, b, r))
        return 1;
    if (c->rank[b].like == r || c->rank[r].like == b)
        return 1;
    if (c->rank[b].like >= 0 && c->rank[b].like == c->rank[r].like)
        return 1;
    return 0;
}

/* LHS index forms: r, r+1 (iterative), r=K (initial slice). Returns the rank. */
static int lhs_rank(const cas_index *ix, int *plus_one)
{
    *plus_one = 0;
    if (ix->nterm < 1 || ix->term[0].var < 0 || ix->term[0].lit != 1 || ix->term[0].size_rank >= 0)
        return -1;
    if (ix->nterm == 1)
        return ix->term[0].var;
    if (ix->nterm == 2 && ix->term[1].var < 0 && ix->term[1].size_rank < 0) {
        if (ix->pinned)
            return ix->term[0].var;
        if (ix->term[1].lit == 1) {
            *plus_one = 1;
            return ix->term[0].var;
        }
    }
    return -1;
}

static int cmp_ranks(const cas_cascade *c, const cas_tensor *x, int pos, int r)
{
    return x->rank[pos] == r || rank_compatible(c, r, x->rank[pos]);
}

/* ---- einsum-level checks -------------------------------------------------- */

static void add_unique(int *set, int *n, int v, int max)
{
    for (int i = 0; i < *n; i++)
        if (set[i] == v)
            return;
    if (*n < max)
        set[(*n)++] = v;
}

static void collect_vars(const cas_index *idx, int n, int *set, int *ns)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < idx[i].nterm; j++)
            if (idx[i].term[j].var >= 0)
                add_unique(set, ns, idx[i].term[j].var, CAS_MAX_RANKS);
}

static void collect_expr(const cas_expr *x, int *set, int *ns, int *ins, int *nins)
{
    if (x->kind == CAS_E_REF) {
        collect_vars(x->idx, x->nidx, set, ns);
        add_unique(ins, nins, x->tensor, CAS_MAX_SPACE);
    }
    for (int i = 0; i < x->nargs; i++)
        collect_expr(x->arg[i], set, ns, ins, nins);
}

/* Check every reference in x against its tensor's ranks. */
static int check_refs(cas_cascade *c, const cas_expr *x, es_err *e)
{
    if (x->kind == CAS_E_REF) {
        const cas_tensor *t = &c->tensor[x->tensor];
        if (t->kind != CAS_T_INPUT && t->producer < 0)
            return FAIL_AT(c, e, x->loc, "undefined tensor '%s' (not an input and no einsum defines it)", t->name);
        if (x->nidx != t->nranks)
            return FAIL_AT(c, e, x->loc, "rank mismatch: tensor '%s' used with %d indices but it has %d ranks",
                           t->name, x->nidx, t->nranks);
        for (int i = 0; i < x->nidx; i++) {
            int b = index_base(&x->idx[i]);
            if (!cmp_ranks(c, t, i, b))
                return FAIL_AT(c, e, x->idx[i].loc,
                               "rank mismatch: tensor '%s': index %d is over rank '%s' but the tensor's rank there "
                               "is '%s'",
                               t->name, i + 1, c->rank[b].name, c->rank[t->rank[i]].name);
        }
    }
    for (int i = 0; i < x->nargs; i++)
        if (check_refs(c, x->arg[i], e))
            return -1;
    return 0;
}

static int has_desc_in(const cas_cascade *c, int r, const int *set, int n)
{
    for (int i = 0; i < n; i++)
        if (set[i] != r && cas_rank_descends(c, set[i], r))
            return 1;
    return 0;
}

/* Replace split parents that appear beside their descendants by their
 * children (recursively), so each point of the space is a leaf tuple. */
static void expand_splits(const cas_cascade *c, int *set, int *n)
{
    for (int changed = 1; changed;) {
        changed = 0;
        for (int i = 0; i < *n; i++) {
            int r = set[i];
            if (c->rank[r].outer >= 0 && has_desc_in(c, r, set, *n)) {
                set[i] = set[--(*n)];
                add_unique(set, n, c->rank[r].outer, CAS_MAX_RANKS);
                add_unique(set, n, c->rank[r].inner, CAS_MAX_RANKS);
                changed = 1;
                break;
            }
        }
    }
}

static int check_einsum(cas_cascade *c, int ei, es_err *e)
{
    cas_einsum *E = &c->einsum[ei];
    cas_tensor *out = &c->tensor[E->out];
    E->iter_rank = -1;
    out->iter_pos = -1;
    /* left-hand side: each index r, r+1 or (init only) r=K */
    int lranks[CAS_MAX_TRANKS];
    for (int i = 0; i < E->nidx; i++) {
        int plus;
        int r = lhs_rank(&E->lhs[i], &plus);
        if (r < 0 || E->lhs[i].pinned)
            return FAIL_AT(c, e, E->lhs[i].loc,
                           "einsum %s: a left-hand index must be a rank or rank+1 (iterative)", E->name);
        for (int j = 0; j < i; j++)
            if (lranks[j] == r)
                return FAIL_AT(c, e, E->lhs[i].loc,
                               "einsum %s: rank '%s' appears twice on the left", E->name, c->rank[r].name);
        lranks[i] = r;
        if (plus) {
            if (E->iter_rank >= 0)
                return FAIL_AT(c, e, E->lhs[i].loc, "einsum %s: at most one iterative rank per tensor", E->name);
            E->iter_rank = r;
            out->iter_pos = i;
        }
    }
    out->nranks = E->nidx;
    memcpy(out->rank, lranks, sizeof(int) * (size_t)E->nidx);
    /* iteration space */
    int set[CAS_MAX_RANKS], n = 0;
    collect_vars(E->lhs, E->nidx, set, &n);
    int nlhs = n;
    E->ninputs = 0;
    collect_expr(E->rhs, set, &n, E->inputs, &E->ninputs);
    /* a parent on the left with its children used on the right is a mismatch */
    for (int i = 0; i < nlhs; i++)
        if (c->rank[set[i]].outer >= 0 && has_desc_in(c, set[i], set, n))
            return FAIL_AT(c, e, E->lhs[i].loc,
                           "rank mismatch: einsum %s writes rank '%s' unsplit but reads its split ranks",
                           E->name, c->rank[set[i]].name);
    expand_splits(c, set, &n);
    if (n > CAS_MAX_SPACE)
        return FAIL_AT(c, e, E->loc, "einsum %s: iteration space has too many ranks (at most %d)", E->name,
                       CAS_MAX_SPACE);
    E->nspace = 0;
    for (int i = 0; i < E->nidx; i++)
        E->space[E->nspace++] = lranks[i];
    E->nout_space = E->nspace;
    for (int i = 0; i < n; i++) {
        int dup = 0;
        for (int j = 0; j < E->nspace; j++)
            dup |= E->space[j] == set[i];
        if (!dup)
            E->space[E->nspace++] = set[i];
    }
    int nred = E->nspace - E->nout_space;
    if (E->reduce_explicit) {
        for (int i = 0; i < E->nlisted; i++) {
            int found = 0;
            for (int j = E->nout_space; j < E->nspace; j++)
                found |= E->space[j] == E->listed[i] || cas_rank_descends(c, E->space[j], E->listed[i]);
            if (!found)
                return FAIL_AT(c, e, E->loc, "einsum %s: rank '%s' is listed in the reduction but is not reduced",
                               E->name, c->rank[E->listed[i]].name);
        }
        for (int j = E->nout_space; j < E->nspace; j++) {
            int found = 0;
            for (int i = 0; i < E->nlisted; i++)
                found |= E->space[j] == E->listed[i] || cas_rank_descends(c, E->space[j], E->listed[i]);
            if (!found)
                return FAIL_AT(c, e, E->loc, "einsum %s: rank '%s' is reduced but not listed in the reduction operator",
                               E->name, c->rank[E->space[j]].name);
        }
    } else
        E->reduce = nred ? CAS_RED_SUM : CAS_RED_NONE;
    /* class */
    const cas_expr *r = E->rhs;
    if (E->reduce == CAS_RED_SUM && r->kind == CAS_E_OP && r->op == CAS_OP_MUL && r->arg[0]->kind == CAS_E_REF &&
        r->arg[1]->kind == CAS_E_REF)
        E->klass = CAS_K_MAC;
    else if (E->reduce != CAS_RED_NONE)
        E->klass = CAS_K_REDUCE;
    else if (r->kind == CAS_E_REF)
        E->klass = CAS_K_COPY;
    else
        E->klass = CAS_K_MAP;
    return 0;
}

/* ---- dependencies ----------------------------------------------------------
 * E depends on producer(T) for every T it reads, except a carried read: T is
 * iterative on rank r and E reads it at exactly `r` (the previous iteration)
 * while iterating r. */
int cas_read_carried(const cas_cascade *c, const cas_expr *x)
{
    const cas_tensor *t = &c->tensor[x->tensor];
    if (t->iter_pos < 0)
        return 0;
    const cas_index *ix = &x->idx[t->iter_pos];
    return ix->nterm == 1 && ix->term[0].var == t->rank[t->iter_pos] && ix->term[0].lit == 1 &&
           ix->term[0].size_rank < 0;
}

static void deps_of(const cas_cascade *c, const cas_expr *x, int *dep, int *nd, int *via)
{
    if (x->kind == CAS_E_REF) {
        int p = c->tensor[x->tensor].producer;
        if (p >= 0 && !cas_read_carried(c, x)) {
            for (int i = 0; i < *nd; i++)
                if (dep[i] == p)
                    goto args;
            via[*nd] = x->tensor;
            dep[(*nd)++] = p;
        }
    }
args:
    for (int i = 0; i < x->nargs; i++)
        deps_of(c, x->arg[i], dep, nd, via);
}

int cas_einsum_deps(const cas_cascade *c, int ei, int *dep, int *via)
{
    int nd = 0;
    deps_of(c, c->einsum[ei].rhs, dep, &nd, via);
    return nd;
}

static int order_einsums(cas_cascade *c, es_err *e)
{
    int state[CAS_MAX_EINSUMS] = {0}; /* 0 new, 1 on stack, 2 done */
    int no = 0;
    int stack[CAS_MAX_EINSUMS], it[CAS_MAX_EINSUMS];
    int dep[CAS_MAX_EINSUMS][CAS_MAX_SPACE], via[CAS_MAX_EINSUMS][CAS_MAX_SPACE], nd[CAS_MAX_EINSUMS];
    for (int i = 0; i < c->neinsums; i++)
        nd[i] = cas_einsum_deps(c, i, dep[i], via[i]);
    for (int s = 0; s < c->neinsums; s++) {
        if (state[s])
            continue;
        int sp = 0;
        stack[sp] = s;
        it[sp++] = 0;
        state[s] = 1;
        while (sp) {
            int u = stack[sp - 1];
            if (it[sp - 1] < nd[u]) {
                int k = it[sp - 1]++;
                int v = dep[u][k];
                if (state[v] == 1) {
                    /* cycle: v ... u -> v; name the path */
                    char path[400] = "";
                    int from = sp - 1;
                    while (stack[from] != v)
                        from--;
                    for (int i = from; i < sp; i++) {
                        if (strlen(path) + 8 > sizeof path)
                            break; /* full: the bound below would wrap and overflow path */
                        strncat(path, c->einsum[stack[i]].name, sizeof path - strlen(path) - 8);
                        strcat(path, " <- ");
                    }
                    strncat(path, c->einsum[v].name, sizeof path - strlen(path) - 1);
                    return FAIL_AT(c, e, c->einsum[v].loc,
                                   "cyclic dependency through tensor '%s': %s (only an iterative rank r -> r+1 may "
                                   "carry a value around a loop)", c->tensor[via[u][k]].name, path);
                }
                if (state[v] == 0) {
                    state[v] = 1;
                    stack[sp] = v;
                    it[sp++] = 0;
                }
            } else {
                state[u] = 2;
                c->order[no++] = u;
                sp--;
            }
        }
    }
    return 0;
}

/* Inside the loop over the iterative rank L, an einsum may read a tensor
 * produced in the loop only at the current slice (L, or L+1 for an iterative
 * tensor, which the loop has just written): a final slice (M1), a later one,
 * or a tensor that reduces L away exist only once the loop is over. */
static int check_loop_reads(const cas_cascade *c, const cas_einsum *E, const cas_expr *x, int L, es_err *e)
{
    for (int i = 0; i < x->nargs; i++)
        if (check_loop_reads(c, E, x->arg[i], L, e))
            return -1;
    if (x->kind != CAS_E_REF)
        return 0;
    const cas_tensor *t = &c->tensor[x->tensor];
    if (t->producer < 0 || !cas_space_has(&c->einsum[t->producer], L))
        return 0;
    int pos = -1;
    for (int i = 0; i < t->nranks; i++)
        if (t->rank[i] == L)
            pos = i;
    char who[96];
    snprintf(who, sizeof who, "einsum %s iterates '%s'", E->name, c->rank[L].name);
    if (pos < 0)
        return FAIL_AT(c, e, x->loc, "%s but reads %s, which is complete only after that iteration", who, t->name);
    const cas_index *ix = &x->idx[pos];
    int ok = ix->nterm >= 1 && ix->term[0].var == L && ix->term[0].lit == 1 && ix->term[0].size_rank < 0 &&
             (ix->nterm == 1 || (ix->nterm == 2 && t->iter_pos == pos && ix->term[1].var < 0 &&
                                 ix->term[1].size_rank < 0 && ix->term[1].lit == 1));
    if (!ok)
        return FAIL_AT(c, e, ix->loc, "%s but reads %s at another slice than the current one", who, t->name);
    return 0;
}

int cas_check(cas_cascade *c, es_err *e)
{
    /* split sanity: inner ranks of a split need their size from somewhere */
    for (int i = 0; i < c->neinsums; i++)
        if (check_einsum(c, i, e))
            return -1;
    /* second pass: references may precede definitions, and definitions fix
     * ranks, so references are checked once all einsums are in */
    for (int i = 0; i < c->neinsums; i++)
        if (check_refs(c, c->einsum[i].rhs, e))
            return -1;
    for (int t = 0; t < c->ntensors; t++) {
        cas_tensor *x = &c->tensor[t];
        if (x->kind == CAS_T_OUTPUT && x->producer < 0)
            return FAIL_AT(c, e, x->loc, "undefined tensor '%s': declared output but no einsum defines it", x->name);
        if (x->kind != CAS_T_INPUT && x->producer < 0)
            return FAIL_AT(c, e, x->loc, "undefined tensor '%s'", x->name);
        if (x->iter_pos >= 0 && !x->has_init)
            return FAIL_AT(c, e, c->einsum[x->producer].loc,
                           "tensor '%s' is iterative (written at %s+1) but has no initial value; add a line like "
                           "T[r=0,...] = 0", x->name, c->rank[x->rank[x->iter_pos]].name);
        if (x->has_init && x->iter_pos < 0)
            return FAIL_AT(c, e, x->init_loc,
                           "tensor '%s' has an initial value but is not iterative (no r+1 on the left of its einsum)",
                           x->name);
    }
    /* at most one iterative rank family: the interpreter runs one loop */
    int it = -1;
    for (int i = 0; i < c->neinsums; i++) {
        int r = c->einsum[i].iter_rank;
        if (r >= 0 && it >= 0 && r != it)
            return FAIL_AT(c, e, c->einsum[i].loc,
                           "einsum %s iterates over '%s' but another einsum iterates over '%s'; one iterative rank "
                           "per cascade",
                           c->einsum[i].name, c->rank[r].name, c->rank[it].name);
        if (r >= 0)
            it = r;
    }
    if (order_einsums(c, e))
        return -1;
    for (int i = 0; it >= 0 && i < c->neinsums; i++)
        if (cas_space_has(&c->einsum[i], it) && check_loop_reads(c, &c->einsum[i], c->einsum[i].rhs, it, e))
            return -1;
    return 0;
}

/* ---- binding -------------------------------------------------------------- */

int cas_bind_rank(cas_cascade *c, const char *rank, int64_t size, es_err *e)
{
    int r = cas_rank_find(c, rank);
    if (r < 0) {
        char names[512] = "";
        for (int i = 0; i < c->nranks; i++) {
            strncat(names, i ? ", " : "", sizeof names - strlen(names) - 1);
            strncat(names, c->rank[i].name, sizeof names - strlen(names) - 1);
        }
        return es_fail(e, "%s: --ranks: cascade %s has no rank '%s' (its ranks: %s)", c->file, c->name, rank, names);
    }
    if (size <= 0 || size > ((int64_t)1 << 40))
        return es_fail(e, "--ranks: rank '%s' needs a size in [1, 2^40], got %lld", rank, (long long)size);
    /* a split is sized by its inner part or (e.g. s splits) by its outer
     * part: binding one forgets the other's default */
    int par = c->rank[r].parent;
    if (par >= 0)
        c->rank[c->rank[par].outer == r ? c->rank[par].inner : c->rank[par].outer].dflt = 0;
    c->rank[r].dflt = size;
    c->rank[r].size = 0;
    return 0;
}

int cas_bind(cas_cascade *c, const char *spec, es_err *e)
{
    if (spec && *spec) {
        const char *p = spec;
        char seen[CAS_MAX_RANKS][CAS_NAME];
        int nseen = 0;
        while (*p) {
            char name[CAS_NAME];
            size_t n = strcspn(p, "=,");
            if (n == 0 || n >= sizeof name || p[n] != '=')
                return es_fail(e, "--ranks: expected NAME=SIZE[,NAME=SIZE...], got '%s'", spec);
            memcpy(name, p, n);
            name[n] = 0;
            for (int i = 0; i < nseen; i++)
                if (!strcmp(seen[i], name))
                    return es_fail(e, "--ranks: rank '%s' given twice in '%s'; expected each rank once", name, spec);
            if (nseen < CAS_MAX_RANKS)
                strcpy(seen[nseen++], name);
            char *end;
            errno = 0;
            long long v = strtoll(p + n + 1, &end, 10);
            int64_t mul = *end == 'K' || *end == 'k' ? 1024 : *end == 'M' ? 1024 * 1024 : 1;
            if (mul > 1)
                end++;
            int64_t size;
            if (end == p + n + 1 || (*end && *end != ',') || (*end == ',' && !end[1]) || errno ||
                es_mul_i64(v, mul, &size))
                return es_fail(e, "--ranks: expected an integer size for '%s' in '%s'", name, spec);
            if (cas_bind_rank(c, name, size, e))
                return -1;
            p = *end ? end + 1 : end;
        }
    }
    for (int i = 0; i < c->nranks; i++)
        c->rank[i].size = c->rank[i].dflt;
    /* aliases take their target's size unless given; splits derive the outer */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < c->nranks; i++) {
            cas_rank *r = &c->rank[i];
            if (r->like >= 0 && !r->size)
                r->size = c->rank[r->like].size;
            cas_rank *ro = r->outer >= 0 ? &c->rank[r->outer] : NULL, *ri = ro ? &c->rank[r->inner] : NULL;
            if (ro && r->size && ro->dflt) /* outer bound (s splits): keep it, derive the inner */
                ri->size = (r->size + ro->size - 1) / ro->size;
            else if (ro && r->size && ri->size)
                ro->size = (r->size + ri->size - 1) / ri->size;
        }
    /* outer split parts last: they are unbound because their inner part is */
    for (int k = 0; k < 2 * c->nranks; k++) {
        int i = k % c->nranks;
        const cas_rank *r = &c->rank[i];
        int is_outer = r->parent >= 0 && c->rank[r->parent].outer == i;
        if ((k < c->nranks) == is_outer)
            continue;
        if (!r->size)
            return es_fail_at(e, c->file, r->loc.line, r->loc.col,
                              "rank '%s' has no size (give it in the file as 'rank %s = N' or with --ranks %s=N)",
                              r->name, r->name, r->name);
        if (r->like >= 0 && r->size != c->rank[r->like].size)
            return es_fail_at(e, c->file, r->loc.line, r->loc.col,
                              "rank '%s' is declared like '%s' but is bound to %lld, not %lld", r->name,
                              c->rank[r->like].name, (long long)r->size, (long long)c->rank[r->like].size);
    }
    return 0;
}

int64_t cas_rank_size(const cas_cascade *c, int rank) { return c->rank[rank].size; }

int64_t cas_extent(const cas_cascade *c, int tensor, int pos)
{
    const cas_tensor *t = &c->tensor[tensor];
    return c->rank[t->rank[pos]].size + (pos == t->iter_pos ? 1 : 0);
}

/* Sizes saturate at INT64_MAX instead of overflowing (absurd --ranks). */
static int64_t smul(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_mul_overflow(a, b, &r) ? INT64_MAX : r;
}

int64_t cas_tensor_elems(const cas_cascade *c, int tensor)
{
    int64_t n = 1;
    for (int i = 0; i < c->tensor[tensor].nranks; i++)
        n = smul(n, cas_extent(c, tensor, i));
    return n;
}

/* Visited points along rank family root r within space: a leaf in the space
 * counts its size; a parent replaced by both children counts its own size
 * exactly (m1*M0+m0 < M has M solutions) when both subtrees are complete. */
static int64_t family_points(const cas_cascade *c, const cas_einsum *E, int r, int *complete)
{
    for (int i = 0; i < E->nspace; i++)
        if (E->space[i] == r) {
            *complete = 1;
            return c->rank[r].size;
        }
    if (c->rank[r].outer < 0) {
        *complete = 0;
        return 1;
    }
    int co, ci;
    int64_t po = family_points(c, E, c->rank[r].outer, &co);
    int64_t pi = family_points(c, E, c->rank[r].inner, &ci);
    *complete = co && ci;
    return *complete ? c->rank[r].size : smul(po, pi);
}

int64_t cas_einsum_points(const cas_cascade *c, int einsum)
{
    const cas_einsum *E = &c->einsum[einsum];
    int64_t n = 1;
    int seen_root[CAS_MAX_RANKS] = {0};
    for (int i = 0; i < E->nspace; i++) {
        int r = E->space[i];
        while (c->rank[r].parent >= 0)
            r = c->rank[r].parent;
        if (seen_root[r])
            continue;
        seen_root[r] = 1;
        int complete;
        n = smul(n, family_points(c, E, r, &complete));
    }
    return n;
}

int64_t cas_einsum_out_elems(const cas_cascade *c, int einsum)
{
    const cas_einsum *E = &c->einsum[einsum];
    int64_t n = 1;
    for (int i = 0; i < E->nidx; i++)
        n = smul(n, c->rank[E->space[i]].size);
    return n;
}

static void count_ops(const cas_expr *x, int64_t *n)
{
    if (x->kind == CAS_E_OP)
        n[x->op]++;
    for (int i = 0; i < x->nargs; i++)
        count_ops(x->arg[i], n);
}

void cas_einsum_ops(const cas_cascade *c, int einsum, cas_opcount *oc)
{
    const cas_einsum *E = &c->einsum[einsum];
    memset(oc, 0, sizeof *oc);
    int64_t per[CAS_OP_COUNT] = {0};
    count_ops(E->rhs, per);
    if (E->reduce == CAS_RED_SUM)
        per[CAS_OP_ADD]++;
    else if (E->reduce == CAS_RED_MAX)
        per[CAS_OP_MAX]++;
    else if (E->reduce == CAS_RED_MIN)
        per[CAS_OP_MIN]++;
    int64_t pts = cas_einsum_points(c, einsum);
    for (int i = 0; i < CAS_OP_COUNT; i++) {
        oc->n[i] = smul(per[i], pts);
        oc->total += oc->n[i];
        oc->cost += (double)oc->n[i] * c->opcost[i];
    }
}
