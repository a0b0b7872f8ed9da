/* mapper/cascade_parse.c: text -> cas_cascade (grammar in docs/cascades.md).
 *
 * One statement per line; '#' starts a comment.  The parser only builds the
 * structures and resolves names it can resolve locally (ranks, ops); tensor
 * references are created on first use and checked afterwards by cas_check()
 * (cascade_check.c), which is where undefined tensors, rank mismatches and
 * cycles are reported.  Every error is "FILE:LINE:COL: ...". */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/io.h"
#include "mapper/cascade_int.h"

/* ---- lexer ---------------------------------------------------------------- */

typedef enum { TK_EOL, TK_ID, TK_NUM, TK_PUNCT, TK_ARROW } tk_kind;

typedef struct tok {
    tk_kind kind;
    char text[64];
    double num;
    int line, col;
} tok;

typedef struct parser {
    const char *src, *p;
    const char *file;
    int line;
    const char *linestart;
    tok t;         /* current token */
    int nest;      /* parse_expr/parse_unary calls now active */
    cas_cascade *c;
    es_err *e;
} parser;

/* A parse error at line:col, or at the current token. */
#define PERR_AT(ps, line, col, ...) cas_fail_at((ps)->e, (ps)->file, line, col, __VA_ARGS__)
#define PERR(ps, ...) PERR_AT(ps, (ps)->t.line, (ps)->t.col, __VA_ARGS__)

/* Advance to the next token of the current line (TK_EOL at '\n', '#', end). */
static int lex(parser *ps)
{
    const char *p = ps->p;
    while (*p == ' ' || *p == '\t' || *p == '\r')
        p++;
    tok *t = &ps->t;
    t->line = ps->line;
    t->col = (int)(p - ps->linestart) + 1;
    t->text[0] = 0;
    if (*p == 0 || *p == '\n' || *p == '#') {
        t->kind = TK_EOL;
        ps->p = p;
        return 0;
    }
    if (isalpha((unsigned char)*p) || *p == '_') {
        size_t n = 0;
        while (isalnum((unsigned char)p[n]) || p[n] == '_')
            n++;
        if (n >= sizeof t->text)
            return PERR(ps, "name too long (at most %d characters)", (int)sizeof ps->t.text - 1);
        memcpy(t->text, p, n);
        t->text[n] = 0;
        t->kind = TK_ID;
        ps->p = p + n;
        return 0;
    }
    if (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1]))) {
        char *end;
        t->num = strtod(p, &end);
        size_t n = (size_t)(end - p);
        if (n >= sizeof t->text)
            n = sizeof t->text - 1;
        memcpy(t->text, p, n);
        t->text[n] = 0;
        t->kind = TK_NUM;
        ps->p = end;
        return 0;
    }
    if (p[0] == '-' && p[1] == '>') {
        strcpy(t->text, "->");
        t->kind = TK_ARROW;
        ps->p = p + 2;
        return 0;
    }
    if (strchr("[](),=+-*/:", *p)) {
        t->text[0] = *p;
        t->text[1] = 0;
        t->kind = TK_PUNCT;
        ps->p = p + 1;
        return 0;
    }
    char ch[2] = {*p, 0};
    return PERR(ps, "unexpected character '%s'", ch);
}

static int is_punct(const parser *ps, char ch)
{
    return ps->t.kind == TK_PUNCT && ps->t.text[0] == ch;
}

static int expect_punct(parser *ps, char ch, const char *what)
{
    if (!is_punct(ps, ch)) {
        char want[2] = {ch, 0};
        return PERR(ps, "expected '%s' %s", want, what);
    }
    return lex(ps);
}

/* A raw word up to whitespace (cascade names contain '-'). */
static int raw_word(parser *ps, char *out, size_t outsz)
{
    const char *p = ps->p;
    while (*p == ' ' || *p == '\t')
        p++;
    int col = (int)(p - ps->linestart) + 1;
    size_t n = 0;
    while (p[n] && !isspace((unsigned char)p[n]) && p[n] != '#')
        n++;
    if (n == 0 || n >= outsz)
        return PERR_AT(ps, ps->line, col, "expected a name%s", n ? " (too long)" : "");
    memcpy(out, p, n);
    out[n] = 0;
    ps->p = p + n;
    return lex(ps);
}

/* ---- name tables ---------------------------------------------------------- */

static void set_loc(cas_loc *l, const tok *t)
{
    l->line = t->line;
    l->col = t->col;
}

static int rank_add(parser *ps, const char *name, cas_loc loc)
{
    cas_cascade *c = ps->c;
    if (!islower((unsigned char)name[0]))
        return PERR_AT(ps, loc.line, loc.col, "rank '%s': rank names start with a lower-case letter", name);
    int old = cas_rank_find(c, name);
    if (old >= 0) {
        return PERR_AT(ps, loc.line, loc.col, "rank '%s' declared twice (first declared at %d:%d)", name,
                       c->rank[old].loc.line, c->rank[old].loc.col);
    }
    if (c->nranks >= CAS_MAX_RANKS)
        return PERR_AT(ps, loc.line, loc.col, "too many ranks (at most %d)", CAS_MAX_RANKS);
    if (strlen(name) >= CAS_NAME)
        return PERR_AT(ps, loc.line, loc.col, "rank name '%s' too long", name);
    cas_rank *r = &c->rank[c->nranks];
    memset(r, 0, sizeof *r);
    strcpy(r->name, name);
    r->loc = loc;
    r->parent = r->outer = r->inner = r->like = -1;
    return c->nranks++;
}

/* Upper-case spelling of a rank ("M1" for m1): its size.  -1 when none. */
static int size_rank_find(const cas_cascade *c, const char *name)
{
    for (int i = 0; i < c->nranks; i++) {
        const char *a = c->rank[i].name, *b = name;
        while (*a && *b && toupper((unsigned char)*a) == *b)
            a++, b++;
        if (!*a && !*b && isupper((unsigned char)name[0]))
            return i;
    }
    return -1;
}

/* Find or create the tensor NAME (created as an undefined intermediate; the
 * checker reports it if nothing defines it). */
static int tensor_ref(parser *ps, const char *name, cas_loc loc)
{
    cas_cascade *c = ps->c;
    int t = cas_tensor_find(c, name);
    if (t >= 0)
        return t;
    if (c->ntensors >= CAS_MAX_TENSORS)
        return PERR_AT(ps, loc.line, loc.col, "too many tensors (at most %d)", CAS_MAX_TENSORS);
    if (strlen(name) >= CAS_NAME)
        return PERR_AT(ps, loc.line, loc.col, "tensor name '%s' too long", name);
    cas_tensor *x = &c->tensor[c->ntensors];
    memset(x, 0, sizeof *x);
    strcpy(x->name, name);
    x->loc = loc;
    x->kind = CAS_T_INTERMEDIATE;
    x->iter_pos = -1;
    x->producer = -1;
    x->nranks = -1; /* unknown until declared or defined */
    return c->ntensors++;
}

/* ---- declarations --------------------------------------------------------- */

static int parse_int(parser *ps, int64_t *out, const char *what)
{
    if (ps->t.kind != TK_NUM || ps->t.num != floor(ps->t.num) || ps->t.num < 0 || ps->t.num > 1099511627776.0)
        return PERR(ps, "expected an integer in [0, 2^40] %s, got '%s'", what, ps->t.text);
    *out = (int64_t)ps->t.num;
    return lex(ps);
}

/* rank NAME [= SIZE | like OTHER] {, ...} */
static int decl_rank(parser *ps)
{
    for (;;) {
        if (ps->t.kind != TK_ID)
            return PERR(ps, "expected a rank name, got '%s'", ps->t.text);
        cas_loc loc;
        set_loc(&loc, &ps->t);
        int r = rank_add(ps, ps->t.text, loc);
        if (r < 0 || lex(ps))
            return -1;
        if (is_punct(ps, '=')) {
            if (lex(ps) || parse_int(ps, &ps->c->rank[r].dflt, "(rank size)"))
                return -1;
            if (ps->c->rank[r].dflt == 0)
                return PERR_AT(ps, loc.line, loc.col, "rank '%s': size must be positive", ps->c->rank[r].name);
        } else if (ps->t.kind == TK_ID && !strcmp(ps->t.text, "like")) {
            if (lex(ps))
                return -1;
            int o = cas_rank_find(ps->c, ps->t.text);
            if (ps->t.kind != TK_ID || o < 0)
                return PERR(ps, "'like' needs a declared rank, got '%s'", ps->t.text);
            ps->c->rank[r].like = o;
            if (lex(ps))
                return -1;
        }
        if (ps->t.kind == TK_EOL)
            return 0;
        if (expect_punct(ps, ',', "between rank declarations"))
            return -1;
    }
}

/* split PARENT -> OUTER, INNER [= SIZE] */
static int decl_split(parser *ps)
{
    cas_cascade *c = ps->c;
    int p = cas_rank_find(c, ps->t.text);
    if (ps->t.kind != TK_ID || p < 0)
        return PERR(ps, "split: '%s' is not a declared rank", ps->t.text);
    if (c->rank[p].outer >= 0)
        return PERR(ps, "split: rank '%s' is already split", ps->t.text);
    if (lex(ps))
        return -1;
    if (ps->t.kind != TK_ARROW)
        return PERR(ps, "split: expected '->' after the rank, got '%s'", ps->t.text);
    cas_loc lo, li;
    if (lex(ps))
        return -1;
    set_loc(&lo, &ps->t);
    if (ps->t.kind != TK_ID)
        return PERR(ps, "split: expected the outer rank name, got '%s'", ps->t.text);
    int o = rank_add(ps, ps->t.text, lo);
    if (o < 0 || lex(ps))
        return -1;
    if (is_punct(ps, '=')) { /* sized by its outer part: `split m -> s = 4, mr` */
        if (lex(ps) || parse_int(ps, &c->rank[o].dflt, "(outer rank size)"))
            return -1;
        if (c->rank[o].dflt == 0)
            return PERR_AT(ps, lo.line, lo.col, "rank '%s': size must be positive", c->rank[o].name);
    }
    if (expect_punct(ps, ',', "between the outer and inner ranks"))
        return -1;
    set_loc(&li, &ps->t);
    if (ps->t.kind != TK_ID)
        return PERR(ps, "split: expected the inner rank name, got '%s'", ps->t.text);
    int i = rank_add(ps, ps->t.text, li);
    if (i < 0 || lex(ps))
        return -1;
    if (is_punct(ps, '=')) {
        if (lex(ps) || parse_int(ps, &c->rank[i].dflt, "(inner rank size)"))
            return -1;
        if (c->rank[i].dflt == 0)
            return PERR_AT(ps, li.line, li.col, "rank '%s': size must be positive", c->rank[i].name);
        if (c->rank[o].dflt)
            return PERR_AT(ps, li.line, li.col,
                           "split: give the size of the outer rank or of the inner one, not both (%s, %s)",
                           c->rank[o].name, c->rank[i].name);
    }
    c->rank[p].outer = o;
    c->rank[p].inner = i;
    c->rank[o].parent = p;
    c->rank[i].parent = p;
    return 0;
}

/* input T[r,...] [: fmt] {, ...} */
static int decl_input(parser *ps)
{
    cas_cascade *c = ps->c;
    for (;;) {
        if (ps->t.kind != TK_ID)
            return PERR(ps, "input: expected a tensor name, got '%s'", ps->t.text);
        cas_loc loc;
        set_loc(&loc, &ps->t);
        int t = cas_tensor_find(c, ps->t.text);
        if (t >= 0)
            return PERR(ps, "tensor '%s' declared twice (or used before its input line)", ps->t.text);
        t = tensor_ref(ps, ps->t.text, loc);
        if (t < 0 || lex(ps) || expect_punct(ps, '[', "after the input tensor name"))
            return -1;
        cas_tensor *x = &c->tensor[t];
        x->kind = CAS_T_INPUT;
        x->nranks = 0;
        for (;;) {
            int r = cas_rank_find(c, ps->t.text);
            if (ps->t.kind != TK_ID || r < 0)
                return PERR(ps, "input %s: '%s' is not a declared rank", x->name, ps->t.text);
            if (x->nranks >= CAS_MAX_TRANKS)
                return PERR(ps, "input %s: too many ranks", x->name);
            x->rank[x->nranks++] = r;
            if (lex(ps))
                return -1;
            if (is_punct(ps, ']'))
                break;
            if (expect_punct(ps, ',', "between ranks"))
                return -1;
        }
        if (lex(ps))
            return -1;
        if (is_punct(ps, ':')) {
            if (lex(ps))
                return -1;
            if (ps->t.kind != TK_ID || strlen(ps->t.text) >= sizeof x->format)
                return PERR(ps, "input %s: expected a number format after ':', got '%s'", x->name, ps->t.text);
            strcpy(x->format, ps->t.text);
            if (lex(ps))
                return -1;
        }
        if (ps->t.kind == TK_EOL)
            return 0;
        if (expect_punct(ps, ',', "between input tensors"))
            return -1;
    }
}

/* output T {, T} */
static int decl_output(parser *ps)
{
    for (;;) {
        if (ps->t.kind != TK_ID)
            return PERR(ps, "output: expected a tensor name, got '%s'", ps->t.text);
        cas_loc loc;
        set_loc(&loc, &ps->t);
        int t = tensor_ref(ps, ps->t.text, loc);
        if (t < 0)
            return -1;
        if (ps->c->tensor[t].kind == CAS_T_INPUT)
            return PERR(ps, "tensor '%s' is an input; it cannot also be an output", ps->t.text);
        if (ps->c->tensor[t].kind == CAS_T_OUTPUT)
            return PERR(ps, "tensor '%s' is declared an output twice", ps->t.text);
        ps->c->tensor[t].kind = CAS_T_OUTPUT;
        if (lex(ps))
            return -1;
        if (ps->t.kind == TK_EOL)
            return 0;
        if (expect_punct(ps, ',', "between output tensors"))
            return -1;
    }
}

/* op NAME cost X */
static int decl_op(parser *ps)
{
    cas_loc loc;
    set_loc(&loc, &ps->t);
    int op = -1;
    if (ps->t.kind == TK_ID)
        op = cas_op_find(ps->t.text);
    else if (ps->t.kind == TK_PUNCT)
        for (int i = 0; i < CAS_OP_COUNT; i++)
            if (!strcmp(cas_op_info((cas_op)i)->name, ps->t.text) && cas_op_info((cas_op)i)->arity == 2)
                op = i;
    if (op < 0)
        return PERR(ps,
                    "unknown op '%s' (known: + - * / max min exp gelu gelu_tanh silu relu sigmoid tanh rsqrt sqrt "
                    "recip quantize dequantize)", ps->t.text);
    if (lex(ps))
        return -1;
    if (ps->t.kind != TK_ID || strcmp(ps->t.text, "cost"))
        return PERR(ps, "op: expected 'cost', got '%s'", ps->t.text);
    if (lex(ps))
        return -1;
    if (ps->t.kind != TK_NUM || ps->t.num < 0)
        return PERR(ps, "op: expected a non-negative cost, got '%s'", ps->t.text);
    ps->c->opcost[op] = ps->t.num;
    ps->c->opcost_set[op] = 1;
    ps->c->opcost_loc[op] = loc;
    return lex(ps);
}

/* sparse T[r] density X | sparse T[r] nm N:M */
static int decl_sparse(parser *ps)
{
    cas_cascade *c = ps->c;
    int t = cas_tensor_find(c, ps->t.text);
    if (ps->t.kind != TK_ID || t < 0 || c->tensor[t].kind != CAS_T_INPUT)
        return PERR(ps, "sparse: '%s' is not a declared input tensor", ps->t.text);
    cas_tensor *x = &c->tensor[t];
    if (lex(ps) || expect_punct(ps, '[', "after the tensor name"))
        return -1;
    int r = cas_rank_find(c, ps->t.text), pos = -1;
    for (int i = 0; r >= 0 && i < x->nranks; i++)
        if (x->rank[i] == r)
            pos = i;
    if (ps->t.kind != TK_ID || pos < 0)
        return PERR(ps, "sparse %s: '%s' is not one of its ranks", x->name, ps->t.text);
    if (lex(ps) || expect_punct(ps, ']', "after the compressed rank"))
        return -1;
    cas_sparse *s = &x->sparse[pos];
    s->compressed = 1;
    if (ps->t.kind == TK_ID && !strcmp(ps->t.text, "density")) {
        if (lex(ps))
            return -1;
        if (ps->t.kind != TK_NUM || !(ps->t.num > 0 && ps->t.num <= 1))
            return PERR(ps, "sparse %s: density must be in (0, 1], got '%s'", x->name, ps->t.text);
        s->density = ps->t.num;
        return lex(ps);
    }
    if (ps->t.kind == TK_ID && !strcmp(ps->t.text, "nm")) {
        int64_t n, m;
        if (lex(ps) || parse_int(ps, &n, "(N of N:M)") || expect_punct(ps, ':', "in N:M") ||
            parse_int(ps, &m, "(M of N:M)"))
            return -1;
        if (n < 1 || m < n || m > 64)
            return PERR_AT(ps, ps->t.line, ps->t.col, "sparse %s: N:M needs 1 <= N <= M <= 64", x->name);
        s->nm_n = (int)n;
        s->nm_m = (int)m;
        return 0;
    }
    return PERR(ps, "sparse %s: expected 'density X' or 'nm N:M', got '%s'", x->name, ps->t.text);
}

/* ---- index expressions ---------------------------------------------------- */

/* index := term {(+|-) term}; term := factor {* factor}; factor := INT |
 * rank (a variable) | RANK (its size). */
static int parse_index(parser *ps, cas_index *ix)
{
    memset(ix, 0, sizeof *ix);
    set_loc(&ix->loc, &ps->t);
    int sign = 1;
    if (is_punct(ps, '-')) {
        sign = -1;
        if (lex(ps))
            return -1;
    }
    for (;;) {
        if (ix->nterm >= CAS_MAX_TERMS)
            return PERR(ps, "index expression has too many terms (at most %d)", CAS_MAX_TERMS);
        cas_term *tm = &ix->term[ix->nterm++];
        tm->lit = sign;
        tm->var = tm->size_rank = -1;
        for (;;) {
            if (ps->t.kind == TK_NUM) {
                if (ps->t.num != floor(ps->t.num) || ps->t.num > 1e9)
                    return PERR(ps, "index: expected an integer up to 1e9, got '%s'", ps->t.text);
                if (__builtin_mul_overflow(tm->lit, (int64_t)ps->t.num, &tm->lit))
                    return PERR(ps, "index: literal product too large at '%s'", ps->t.text);
            } else if (ps->t.kind == TK_ID) {
                int r = cas_rank_find(ps->c, ps->t.text);
                int s = r < 0 ? size_rank_find(ps->c, ps->t.text) : -1;
                if (r >= 0) {
                    if (tm->var >= 0)
                        return PERR(ps, "index: a term may use one rank variable, '%s' is a second", ps->t.text);
                    tm->var = r;
                } else if (s >= 0) {
                    if (tm->size_rank >= 0)
                        return PERR(ps, "index: a term may use one rank size, '%s' is a second", ps->t.text);
                    tm->size_rank = s;
                } else
                    return PERR(ps, "index: '%s' is not a declared rank (or a rank size like M1)", ps->t.text);
            } else
                return PERR(ps, "index: expected a rank, a rank size or an integer, got '%s'",
                            ps->t.kind == TK_EOL ? "end of line" : ps->t.text);
            if (lex(ps))
                return -1;
            if (!is_punct(ps, '*'))
                break;
            if (lex(ps))
                return -1;
        }
        if (is_punct(ps, '+'))
            sign = 1;
        else if (is_punct(ps, '-'))
            sign = -1;
        else
            return 0;
        if (lex(ps))
            return -1;
    }
}

/* T[idx, ...] with the current token at '['. */
static int parse_indices(parser *ps, cas_index *idx, int *nidx, const char *tname, int allow_pin)
{
    if (expect_punct(ps, '[', "after the tensor name"))
        return -1;
    *nidx = 0;
    for (;;) {
        if (*nidx >= CAS_MAX_TRANKS)
            return PERR(ps, "tensor %s: too many indices", tname);
        cas_index *ix = &idx[(*nidx)++];
        if (parse_index(ps, ix))
            return -1;
        if (is_punct(ps, '=')) {
            /* `m1=0`: an initial-value slice */
            if (!allow_pin || ix->nterm != 1 || ix->term[0].var < 0 || ix->term[0].lit != 1 ||
                ix->term[0].size_rank >= 0)
                return PERR(ps, "tensor %s: 'rank=value' is only allowed on the left of an initial value", tname);
            if (lex(ps))
                return -1;
            int64_t v;
            cas_loc vl = {ps->t.line, ps->t.col};
            if (parse_int(ps, &v, "(initial slice)"))
                return -1;
            if (v != 0)
                return PERR_AT(ps, vl.line, vl.col, "tensor %s: the initial slice is r=0", tname);
            ix->pinned = 1;
            ix->nterm = 2;
            ix->term[1].lit = v;
            ix->term[1].var = ix->term[1].size_rank = -1;
        }
        if (is_punct(ps, ']'))
            return lex(ps);
        if (expect_punct(ps, ',', "between indices"))
            return -1;
    }
}

/* ---- expressions ---------------------------------------------------------- */

static cas_expr *enew(parser *ps, cas_ekind k)
{
    cas_expr *x = es_xcalloc(1, sizeof *x);
    x->kind = k;
    set_loc(&x->loc, &ps->t);
    x->tensor = -1;
    x->rank = -1;
    x->depth = 1;
    return x;
}

void cas_expr_free(cas_expr *x)
{
    if (!x)
        return;
    for (int i = 0; i < x->nargs; i++)
        cas_expr_free(x->arg[i]);
    free(x);
}

static cas_expr *parse_expr(parser *ps);

static cas_expr *eop(parser *ps, cas_op op, cas_loc loc, cas_expr *a, cas_expr *b)
{
    int depth = 1 + (b && b->depth > a->depth ? b->depth : a->depth);
    if (depth > CAS_MAX_EXPR_DEPTH) {
        cas_expr_free(a);
        cas_expr_free(b);
        PERR_AT(ps, loc.line, loc.col, "expression too deep (more than %d operators on one path; split it into several Einsums)",
                CAS_MAX_EXPR_DEPTH);
        return NULL;
    }
    cas_expr *x = enew(ps, CAS_E_OP);
    x->loc = loc;
    x->op = op;
    x->nargs = b ? 2 : 1;
    x->arg[0] = a;
    x->arg[1] = b;
    x->depth = depth;
    return x;
}

/* Entered by parse_expr and parse_unary, the two that recurse on nested
 * input ('(', '-', op calls): a bound, not the stack, ends a deep nest. */
static int nest_enter(parser *ps)
{
    if (++ps->nest > CAS_MAX_EXPR_DEPTH)
        return PERR(ps, "expression nested too deeply (at most %d levels)", CAS_MAX_EXPR_DEPTH);
    return 0;
}

static cas_expr *parse_primary(parser *ps)
{
    tok t = ps->t;
    cas_loc loc = {t.line, t.col};
    if (t.kind == TK_NUM) {
        cas_expr *x = enew(ps, CAS_E_NUM);
        x->num = t.num;
        if (lex(ps)) {
            cas_expr_free(x);
            return NULL;
        }
        return x;
    }
    if (is_punct(ps, '(')) {
        if (lex(ps))
            return NULL;
        cas_expr *x = parse_expr(ps);
        if (x && expect_punct(ps, ')', "to close '('")) {
            cas_expr_free(x);
            return NULL;
        }
        return x;
    }
    if (t.kind != TK_ID) {
        PERR(ps, "expected a tensor, a number or an op, got '%s'", t.kind == TK_EOL ? "end of line" : t.text);
        return NULL;
    }
    if (lex(ps))
        return NULL;
    if (!strcmp(t.text, "inf")) {
        cas_expr *x = enew(ps, CAS_E_NUM);
        x->loc = loc;
        x->num = INFINITY;
        return x;
    }
    if (is_punct(ps, '[')) {
        cas_expr *x = enew(ps, CAS_E_REF);
        x->loc = loc;
        x->tensor = tensor_ref(ps, t.text, loc);
        if (x->tensor < 0 || parse_indices(ps, x->idx, &x->nidx, t.text, 0)) {
            cas_expr_free(x);
            return NULL;
        }
        return x;
    }
    if (is_punct(ps, '(')) {
        int op = cas_op_find(t.text);
        if (op < 0) {
            PERR_AT(ps, loc.line, loc.col,
                    "unknown op '%s' (known: max min exp gelu gelu_tanh silu relu sigmoid tanh rsqrt sqrt recip "
                    "quantize dequantize)", t.text);
            return NULL;
        }
        if (lex(ps))
            return NULL;
        cas_expr *a = parse_expr(ps), *b = NULL;
        if (!a)
            return NULL;
        if (is_punct(ps, ',')) {
            if (lex(ps) || !(b = parse_expr(ps))) {
                cas_expr_free(a);
                return NULL;
            }
        }
        cas_expr *x = eop(ps, (cas_op)op, loc, a, b);
        if (!x)
            return NULL;
        int want = cas_op_info((cas_op)op)->arity;
        if (x->nargs != want) {
            cas_expr_free(x);
            PERR_AT(ps, loc.line, loc.col, "op '%s' takes %d argument(s)", t.text, want);
            return NULL;
        }
        if (expect_punct(ps, ')', "to close the op's arguments")) {
            cas_expr_free(x);
            return NULL;
        }
        return x;
    }
    int s = size_rank_find(ps->c, t.text);
    if (s >= 0) {
        cas_expr *x = enew(ps, CAS_E_SIZE);
        x->loc = loc;
        x->rank = s;
        return x;
    }
    if (cas_rank_find(ps->c, t.text) >= 0)
        PERR_AT(ps, loc.line, loc.col,
                "rank '%s' used as a value (write its size upper case, or index a tensor)", t.text);
    else
        PERR_AT(ps, loc.line, loc.col, "'%s' is neither a tensor (missing '[') nor a rank size", t.text);
    return NULL;
}

/* A run of unary minus is read in a loop: on a number it folds (-3, - -inf),
 * on anything else each minus is a node, and eop bounds their depth. */
static cas_expr *parse_unary(parser *ps)
{
    cas_loc neg[CAS_MAX_EXPR_DEPTH];
    long nneg = 0;
    while (is_punct(ps, '-')) {
        cas_loc loc = {ps->t.line, ps->t.col};
        if (nneg < CAS_MAX_EXPR_DEPTH)
            neg[nneg] = loc;
        nneg++;
        if (lex(ps))
            return NULL;
    }
    if (nest_enter(ps))
        return NULL;
    cas_expr *a = parse_primary(ps);
    ps->nest--;
    if (!a || !nneg)
        return a;
    if (a->kind == CAS_E_NUM) {
        if (nneg % 2)
            a->num = -a->num;
        a->loc = neg[0];
        return a;
    }
    if (nneg >= CAS_MAX_EXPR_DEPTH) {
        cas_expr_free(a);
        PERR_AT(ps, neg[0].line, neg[0].col, "expression nested too deeply (%ld unary minus in a row; at most %d)",
                nneg, CAS_MAX_EXPR_DEPTH - 1);
        return NULL;
    }
    for (long i = nneg - 1; a && i >= 0; i--)
        a = eop(ps, CAS_OP_NEG, neg[i], a, NULL);
    return a;
}

static cas_expr *parse_term(parser *ps)
{
    cas_expr *x = parse_unary(ps);
    while (x && (is_punct(ps, '*') || is_punct(ps, '/'))) {
        cas_op op = is_punct(ps, '*') ? CAS_OP_MUL : CAS_OP_DIV;
        cas_loc loc = {ps->t.line, ps->t.col};
        cas_expr *b;
        if (lex(ps) || !(b = parse_unary(ps))) {
            cas_expr_free(x);
            return NULL;
        }
        x = eop(ps, op, loc, x, b);
    }
    return x;
}

static cas_expr *parse_expr(parser *ps)
{
    if (nest_enter(ps))
        return NULL;
    cas_expr *x = parse_term(ps);
    while (x && (is_punct(ps, '+') || is_punct(ps, '-'))) {
        cas_op op = is_punct(ps, '+') ? CAS_OP_ADD : CAS_OP_SUB;
        cas_loc loc = {ps->t.line, ps->t.col};
        cas_expr *b;
        if (lex(ps) || !(b = parse_term(ps))) {
            cas_expr_free(x);
            return NULL;
        }
        x = eop(ps, op, loc, x, b);
    }
    ps->nest--;
    return x;
}

/* ---- statements ----------------------------------------------------------- */

/* Is the text at ps->p (just after "max"/"sum"/"min" and its '(') a list of
 * bare rank names closed by ')' and followed by an expression?  Then it is a
 * reduction operator, not the binary map max(a, b). */
static int looks_like_reduction(parser *ps)
{
    const char *p = ps->p;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        size_t n = 0;
        while (isalnum((unsigned char)p[n]) || p[n] == '_')
            n++;
        if (n == 0 || n >= CAS_NAME)
            return 0;
        char name[CAS_NAME];
        memcpy(name, p, n);
        name[n] = 0;
        if (cas_rank_find(ps->c, name) < 0)
            return 0;
        p += n;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p != ')')
            return 0;
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        return *p && *p != '\n' && *p != '#' && !strchr("+*/,)", *p);
    }
}

static int stmt_einsum(parser *ps)
{
    cas_cascade *c = ps->c;
    tok name = ps->t;
    cas_loc loc = {name.line, name.col};
    cas_index lhs[CAS_MAX_TRANKS];
    int nidx;
    if (lex(ps))
        return -1;
    int t = tensor_ref(ps, name.text, loc);
    if (t < 0 || parse_indices(ps, lhs, &nidx, name.text, 1))
        return -1;
    if (expect_punct(ps, '=', "after the left-hand side"))
        return -1;
    int pinned = 0;
    for (int i = 0; i < nidx; i++)
        pinned += lhs[i].pinned;
    cas_tensor *x = &c->tensor[t];
    if (pinned) {
        /* initial value: T[r=0, ...] = CONST */
        if (pinned > 1)
            return PERR_AT(ps, loc.line, loc.col, "tensor %s: an initial value pins exactly one rank", name.text);
        cas_expr *v = parse_unary(ps);
        if (!v)
            return -1;
        int is_num = v->kind == CAS_E_NUM;
        double val = v->num;
        cas_loc vl = v->loc;
        cas_expr_free(v);
        if (!is_num)
            return PERR_AT(ps, vl.line, vl.col,
                           "tensor %s: an initial value must be a number (or -inf/inf)", name.text);
        if (x->has_init)
            return PERR_AT(ps, loc.line, loc.col, "tensor %s: initial value given twice", name.text);
        x->has_init = 1;
        x->init = val;
        x->init_loc = loc;
        /* the index pattern is checked against the defining einsum in cas_check */
        return 0;
    }
    if (c->neinsums >= CAS_MAX_EINSUMS)
        return PERR_AT(ps, loc.line, loc.col, "too many einsums (at most %d)", CAS_MAX_EINSUMS);
    if (x->producer >= 0) {
        return PERR_AT(ps, loc.line, loc.col, "tensor %s defined twice (first at %d:%d)", name.text,
                       c->einsum[x->producer].loc.line, c->einsum[x->producer].loc.col);
    }
    if (x->kind == CAS_T_INPUT)
        return PERR_AT(ps, loc.line, loc.col, "tensor %s is an input; an einsum cannot write it", name.text);
    cas_einsum *E = &c->einsum[c->neinsums];
    memset(E, 0, sizeof *E);
    strcpy(E->name, name.text);
    E->loc = loc;
    E->out = t;
    E->nidx = nidx;
    memcpy(E->lhs, lhs, sizeof lhs);
    E->iter_rank = -1;
    /* explicit reduction operator: max(m0) EXPR */
    if (ps->t.kind == TK_ID &&
        (!strcmp(ps->t.text, "sum") || !strcmp(ps->t.text, "max") || !strcmp(ps->t.text, "min")) &&
        ps->p[0] == '(' && (ps->p++, looks_like_reduction(ps) ? 1 : (ps->p--, 0))) {
        E->reduce_explicit = 1;
        E->reduce = !strcmp(ps->t.text, "sum") ? CAS_RED_SUM : !strcmp(ps->t.text, "max") ? CAS_RED_MAX : CAS_RED_MIN;
        if (lex(ps))
            return -1;
        for (;;) {
            if (E->nlisted >= CAS_MAX_SPACE)
                return PERR(ps, "too many reduced ranks");
            E->listed[E->nlisted++] = cas_rank_find(c, ps->t.text);
            if (lex(ps))
                return -1;
            if (is_punct(ps, ')'))
                break;
            if (expect_punct(ps, ',', "between reduced ranks"))
                return -1;
        }
        if (lex(ps))
            return -1;
    }
    E->rhs = parse_expr(ps);
    if (!E->rhs)
        return -1;
    x->producer = c->neinsums++;
    if (x->loc.line == 0 || x->nranks < 0)
        x->loc = loc;
    return 0;
}

static int statement(parser *ps)
{
    if (ps->t.kind == TK_EOL)
        return 0;
    if (ps->t.kind != TK_ID)
        return PERR(ps, "expected a declaration or an einsum, got '%s'", ps->t.text);
    const char *p = ps->p;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '[')
        return stmt_einsum(ps);
    char kw[64];
    strcpy(kw, ps->t.text);
    int kwcol = ps->t.col;
    if (!strcmp(kw, "cascade"))
        return raw_word(ps, ps->c->name, sizeof ps->c->name);
    if (!strcmp(kw, "golden"))
        return raw_word(ps, ps->c->golden, sizeof ps->c->golden);
    if (lex(ps))
        return -1;
    if (!strcmp(kw, "rank"))
        return decl_rank(ps);
    if (!strcmp(kw, "split"))
        return decl_split(ps);
    if (!strcmp(kw, "input"))
        return decl_input(ps);
    if (!strcmp(kw, "output"))
        return decl_output(ps);
    if (!strcmp(kw, "op"))
        return decl_op(ps);
    if (!strcmp(kw, "sparse"))
        return decl_sparse(ps);
    return PERR_AT(ps, ps->line, kwcol,
                   "unknown statement '%s' (expected cascade, golden, rank, split, input, output, op, sparse or an "
                   "einsum T[...] = ...)", kw);
}

cas_cascade *cas_parse(const char *text, const char *file, es_err *e)
{
    cas_cascade *c = es_xcalloc(1, sizeof *c);
    snprintf(c->file, sizeof c->file, "%s", file ? file : "<text>");
    for (int i = 0; i < CAS_OP_COUNT; i++)
        c->opcost[i] = cas_op_info((cas_op)i)->cost;
    parser ps = {.src = text, .p = text, .file = c->file, .line = 1, .linestart = text, .c = c, .e = e};
    for (;;) {
        if (lex(&ps) || statement(&ps))
            goto fail;
        if (ps.t.kind != TK_EOL) {
            PERR(&ps, "unexpected '%s' after the end of the statement", ps.t.text);
            goto fail;
        }
        const char *nl = strchr(ps.p, '\n');
        if (!nl)
            break;
        ps.p = nl + 1;
        ps.linestart = ps.p;
        ps.line++;
    }
    if (!c->name[0]) {
        /* base name of the file without .ein */
        const char *b = strrchr(c->file, '/');
        b = b ? b + 1 : c->file;
        snprintf(c->name, sizeof c->name, "%s", b);
        char *dot = strstr(c->name, ".ein");
        if (dot)
            *dot = 0;
    }
    if (cas_check(c, e))
        goto fail;
    if (c->neinsums == 0) { /* after the checker, whose faults name a line */
        es_fail_at(e, c->file, ps.line, 1, "no Einsum in the file; expected at least one line 'T[ranks] = ...'");
        goto fail;
    }
    return c;
fail:
    cas_free(c);
    return NULL;
}

cas_cascade *cas_load(const char *name_or_path, es_err *e)
{
    char path[4096];
    if (es_find_bundled("cascades", name_or_path, ".ein", path, sizeof path, e))
        return NULL;
    char *text;
    size_t n;
    if (es_read_file(path, &text, &n, e))
        return NULL;
    if (strlen(text) != n) {
        free(text);
        es_fail(e, "%s: not a text file (contains a NUL byte)", path);
        return NULL;
    }
    cas_cascade *c = cas_parse(text, path, e);
    free(text);
    return c;
}

void cas_free(cas_cascade *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->neinsums; i++)
        cas_expr_free(c->einsum[i].rhs);
    free(c);
}
