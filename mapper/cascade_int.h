/* mapper/cascade_int.h: helpers shared by the cascade_*.c files only (not
 * part of the public IR API in cascade.h). */
#ifndef MAPPER_CASCADE_INT_H
#define MAPPER_CASCADE_INT_H

#include "mapper/cascade.h"

/* Einsums that einsum ei depends on (carried reads excluded); via[i] is the
 * tensor through which dep[i] is reached.  Returns the count. */
int cas_einsum_deps(const cas_cascade *c, int ei, int *dep, int *via);
void cas_expr_free(cas_expr *x);
/* es_fail_at(e, file, line, col, fmt, ...) for the parser and the checker;
 * the message (without "FILE:LINE:COL: ") is cut at 511 characters. */
int cas_fail_at(es_err *e, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* 1 if rank r is in the einsum's iteration space. */
static inline int cas_space_has(const cas_einsum *E, int r)
{
    for (int i = 0; i < E->nspace; i++)
        if (E->space[i] == r)
            return 1;
    return 0;
}

#endif
