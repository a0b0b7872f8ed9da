/* base/checked.h: overflow-checked size arithmetic.  Every product of sizes
 * read from a spec (loop factors, entries x word bytes, ...) goes through
 * es_mul_i64 so that a huge value is an error, never a wrapped number. */
#ifndef ES_CHECKED_H
#define ES_CHECKED_H

#include <stdint.h>

/* *out = a * b; returns -1 (and leaves *out unspecified) on int64 overflow. */
static inline int es_mul_i64(int64_t a, int64_t b, int64_t *out)
{
    return __builtin_mul_overflow(a, b, out) ? -1 : 0;
}

/* The largest size or loop factor a spec may give: 2^40, far above any
 * rank, buffer or tile of a real accelerator, and small enough that a
 * product of two stays inside 64 bits. */
#define ES_MAX_SPEC_SIZE ((int64_t)1 << 40)

#endif
