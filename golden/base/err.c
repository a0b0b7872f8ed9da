#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"

int es_vfail(es_err *e, const char *fmt, va_list ap)
{
    if (e)
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    return -1;
}

int es_fail(es_err *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    es_vfail(e, fmt, ap);
    va_end(ap);
    return -1;
}

int es_fail_at(es_err *e, const char *file, int line, int col, const char *fmt, ...)
{
    if (!e)
        return -1;
    char head[512];
    if (line > 0 && col > 0)
        snprintf(head, sizeof head, "%s:%d:%d: ", file ? file : "?", line, col);
    else if (line > 0)
        snprintf(head, sizeof head, "%s:%d: ", file ? file : "?", line);
    else
        snprintf(head, sizeof head, "%s: ", file ? file : "?");
    size_t n = strlen(head);
    if (n >= sizeof e->msg)
        n = sizeof e->msg - 1;
    memcpy(e->msg, head, n);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg + n, sizeof e->msg - n, fmt, ap);
    va_end(ap);
    return -1;
}

/* Write s on one line: a newline or other control byte inside a message
 * (from a quoted YAML string, a file name, a token) is shown escaped, so the
 * error stays one line whatever the input held. */
static void put_one_line(const char *s, FILE *fp)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\n')
            fputs("\\n", fp);
        else if (*p == '\t')
            fputs("\\t", fp);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(fp, "\\x%02x", *p);
        else
            fputc(*p, fp);
    }
}

/* Set once es_fatal has printed its line: the exit check below then adds
 * none (the one-line rule). */
static int g_fatal_reported;

void es_fatal(int status, const char *fmt, ...)
{
    g_fatal_reported = 1;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fflush(stdout);
    fputs("einsim: ", stderr);
    put_one_line(msg, stderr);
    fputc('\n', stderr);
    exit(status);
}

/* A full disk or a closed pipe behind stdout shows only when stdout is
 * flushed and closed, after the command returned: then exit 2 with a line
 * instead of 0 with a truncated table. */
static void check_stdout(void)
{
    if (g_fatal_reported)
        return;
    errno = 0;
    int bad = fflush(stdout) != 0 || ferror(stdout);
    int err = errno;
    if (fclose(stdout) != 0 && !bad) {
        bad = 1;
        err = errno;
    }
    if (bad) {
        fprintf(stderr, "einsim: standard output: write failed: %s\n", err ? strerror(err) : "I/O error");
        _exit(ES_EXIT_BADINPUT);
    }
}

void es_check_stdout_at_exit(void)
{
    atexit(check_stdout);
}

void *es_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        es_fatal(ES_EXIT_INTERNAL, "out of memory allocating %zu bytes", n);
    return p;
}

void *es_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        es_fatal(ES_EXIT_INTERNAL, "out of memory allocating %zu x %zu bytes", n, size);
    return p;
}

void *es_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        es_fatal(ES_EXIT_INTERNAL, "out of memory reallocating %zu bytes", n);
    return q;
}

char *es_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = es_xmalloc(n);
    memcpy(d, s, n);
    return d;
}
