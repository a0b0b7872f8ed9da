/* base/err.h: error reporting shared by every room.
 *
 * Contract: library code never prints and never exits; it fills an es_err and
 * returns -1 (or NULL).  Only the CLI (sim/cli) turns an es_err into a
 * one-line message on stderr and exit status 2 (bad input) via es_fatal().
 * Messages follow "FILE:LINE:COL: what was wrong; what was expected". */
#ifndef ES_ERR_H
#define ES_ERR_H

#include <stdarg.h>
#include <stddef.h>

#define ES_EXIT_BADINPUT 2 /* bad input or bad spec: one-line error */
#define ES_EXIT_INTERNAL 3 /* internal invariant broken (a bug) */

typedef struct es_err {
    char msg[1024];
} es_err;

/* Format into e->msg (if e is non-NULL); always returns -1 so callers can
 * write `return es_fail(e, ...)`. */
int es_fail(es_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int es_vfail(es_err *e, const char *fmt, va_list ap);

/* Located variant: "file:line:col: message".  line/col are 1-based; 0 means
 * unknown and is left out. */
int es_fail_at(es_err *e, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Print "einsim: msg" on stderr and exit with status. */
void es_fatal(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* Register (once, first thing in main) an exit hook that flushes and closes
 * stdout and turns a write error into "einsim: standard output: write
 * failed: ..." and exit status 2, unless es_fatal already printed a line. */
void es_check_stdout_at_exit(void);

/* Allocation that never returns NULL (aborts with a message on OOM). */
void *es_xmalloc(size_t n);
void *es_xcalloc(size_t n, size_t size);
void *es_xrealloc(void *p, size_t n);
char *es_xstrdup(const char *s);

#endif
