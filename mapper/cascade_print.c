/* mapper/cascade_print.c: cas_cascade -> canonical text.
 *
 * Canonical form: header lines (cascade, golden, rank, split, input, sparse,
 * output, op), then for each einsum in file order its initial value (if
 * iterative) and the einsum.  Comments are not kept.  Parsing the printed
 * text and printing again gives the same bytes (tests check this on every
 * bundled cascade).  Expressions get the fewest parentheses that keep the
 * tree: + - bind looser than * /, both left-associative. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mapper/cascade.h"

static void upper(FILE *fp, const char *s)
{
    for (; *s; s++)
        fputc(*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s, fp);
}

static void print_num(FILE *fp, double v)
{
    if (isinf(v))
        fputs(v < 0 ? "-inf" : "inf", fp);
    else
        fprintf(fp, "%.9g", v);
}

static void print_index(const cas_cascade *c, const cas_index *ix, FILE *fp)
{
    if (ix->pinned) {
        fprintf(fp, "%s=%lld", c->rank[ix->term[0].var].name, (long long)ix->term[1].lit);
        return;
    }
    for (int i = 0; i < ix->nterm; i++) {
        const cas_term *t = &ix->term[i];
        int64_t lit = t->lit;
        if (lit < 0) {
            fputs("-", fp);
            lit = -lit;
        } else if (i)
            fputs("+", fp);
        int any = 0;
        if (t->var >= 0) {
            fputs(c->rank[t->var].name, fp);
            any = 1;
        }
        if (t->size_rank >= 0) {
            if (any)
                fputc('*', fp);
            upper(fp, c->rank[t->size_rank].name);
            any = 1;
        }
        if (lit != 1 || !any) {
            if (any)
                fputc('*', fp);
            fprintf(fp, "%lld", (long long)lit);
        }
    }
}

static void print_ref_head(const cas_cascade *c, const char *name, const cas_index *idx, int n, FILE *fp)
{
    fprintf(fp, "%s[", name);
    for (int i = 0; i < n; i++) {
        if (i)
            fputc(',', fp);
        print_index(c, &idx[i], fp);
    }
    fputc(']', fp);
}

static int prec(const cas_expr *x)
{
    if (x->kind != CAS_E_OP)
        return x->kind == CAS_E_NUM && x->num < 0 ? 3 : 4;
    switch (x->op) {
    case CAS_OP_ADD:
    case CAS_OP_SUB:
        return 1;
    case CAS_OP_MUL:
    case CAS_OP_DIV:
        return 2;
    case CAS_OP_NEG:
        return 3;
    default:
        return 4; /* function call */
    }
}

static void print_expr(const cas_cascade *c, const cas_expr *x, FILE *fp)
{
    switch (x->kind) {
    case CAS_E_NUM:
        print_num(fp, x->num);
        return;
    case CAS_E_SIZE:
        upper(fp, c->rank[x->rank].name);
        return;
    case CAS_E_REF:
        print_ref_head(c, c->tensor[x->tensor].name, x->idx, x->nidx, fp);
        return;
    case CAS_E_OP:
        break;
    }
    int p = prec(x);
    if (p == 4) {
        fprintf(fp, "%s(", cas_op_info(x->op)->fname);
        print_expr(c, x->arg[0], fp);
        if (x->nargs == 2) {
            fputs(", ", fp);
            print_expr(c, x->arg[1], fp);
        }
        fputc(')', fp);
        return;
    }
    if (p == 3) {
        fputc('-', fp);
        int paren = prec(x->arg[0]) < 3;
        fputs(paren ? "(" : "", fp);
        print_expr(c, x->arg[0], fp);
        fputs(paren ? ")" : "", fp);
        return;
    }
    int pl = prec(x->arg[0]) < p, pr = prec(x->arg[1]) <= p;
    fputs(pl ? "(" : "", fp);
    print_expr(c, x->arg[0], fp);
    fputs(pl ? ")" : "", fp);
    fprintf(fp, " %s ", cas_op_info(x->op)->name);
    fputs(pr ? "(" : "", fp);
    print_expr(c, x->arg[1], fp);
    fputs(pr ? ")" : "", fp);
}

int cas_print(const cas_cascade *c, FILE *fp)
{
    fprintf(fp, "cascade %s\n", c->name);
    if (c->golden[0])
        fprintf(fp, "golden %s\n", c->golden);
    int first = 1;
    for (int i = 0; i < c->nranks; i++) {
        const cas_rank *r = &c->rank[i];
        if (r->parent >= 0)
            continue;
        fputs(first ? "rank " : ", ", fp);
        first = 0;
        fputs(r->name, fp);
        if (r->like >= 0)
            fprintf(fp, " like %s", c->rank[r->like].name);
        else if (r->dflt)
            fprintf(fp, " = %lld", (long long)r->dflt);
    }
    if (!first)
        fputc('\n', fp);
    for (int i = 0; i < c->nranks; i++) {
        const cas_rank *r = &c->rank[i];
        if (r->outer < 0)
            continue;
        const cas_rank *in = &c->rank[r->inner];
        const cas_rank *ou = &c->rank[r->outer];
        fprintf(fp, "split %s -> %s", r->name, ou->name);
        if (ou->dflt)
            fprintf(fp, " = %lld", (long long)ou->dflt);
        fprintf(fp, ", %s", in->name);
        if (in->dflt)
            fprintf(fp, " = %lld", (long long)in->dflt);
        fputc('\n', fp);
    }
    for (int t = 0; t < c->ntensors; t++) {
        const cas_tensor *x = &c->tensor[t];
        if (x->kind != CAS_T_INPUT)
            continue;
        fprintf(fp, "input %s[", x->name);
        for (int i = 0; i < x->nranks; i++)
            fprintf(fp, "%s%s", i ? "," : "", c->rank[x->rank[i]].name);
        fputc(']', fp);
        if (x->format[0])
            fprintf(fp, " : %s", x->format);
        fputc('\n', fp);
        for (int i = 0; i < x->nranks; i++) {
            const cas_sparse *s = &x->sparse[i];
            if (!s->compressed)
                continue;
            fprintf(fp, "sparse %s[%s] ", x->name, c->rank[x->rank[i]].name);
            if (s->nm_m)
                fprintf(fp, "nm %d:%d\n", s->nm_n, s->nm_m);
            else {
                fputs("density ", fp);
                print_num(fp, s->density);
                fputc('\n', fp);
            }
        }
    }
    first = 1;
    for (int t = 0; t < c->ntensors; t++)
        if (c->tensor[t].kind == CAS_T_OUTPUT) {
            fprintf(fp, "%s%s", first ? "output " : ", ", c->tensor[t].name);
            first = 0;
        }
    if (!first)
        fputc('\n', fp);
    for (int i = 0; i < CAS_OP_COUNT; i++)
        if (c->opcost_set[i]) {
            fprintf(fp, "op %s cost ", cas_op_info((cas_op)i)->name);
            print_num(fp, c->opcost[i]);
            fputc('\n', fp);
        }
    for (int i = 0; i < c->neinsums; i++) {
        const cas_einsum *E = &c->einsum[i];
        const cas_tensor *x = &c->tensor[E->out];
        if (x->has_init) {
            fprintf(fp, "%s[", x->name);
            for (int k = 0; k < x->nranks; k++)
                fprintf(fp, "%s%s%s", k ? "," : "", c->rank[x->rank[k]].name, k == x->iter_pos ? "=0" : "");
            fputs("] = ", fp);
            print_num(fp, x->init);
            fputc('\n', fp);
        }
        print_ref_head(c, E->name, E->lhs, E->nidx, fp);
        fputs(" = ", fp);
        if (E->reduce_explicit) {
            fprintf(fp, "%s(", cas_reduce_name(E->reduce));
            for (int k = 0; k < E->nlisted; k++)
                fprintf(fp, "%s%s", k ? "," : "", c->rank[E->listed[k]].name);
            fputs(") ", fp);
        }
        print_expr(c, E->rhs, fp);
        fputc('\n', fp);
    }
    return ferror(fp) ? -1 : 0;
}

char *cas_to_string(const cas_cascade *c)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *fp = open_memstream(&buf, &n);
    if (!fp)
        return NULL;
    cas_print(c, fp);
    fclose(fp);
    return buf;
}
