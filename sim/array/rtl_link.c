/* sim/array/rtl_link.c: spawn a unit's Verilated harness and ask it for
 * fold durations over pipes (protocol in rtl_link.h). */
#include "sim/array/rtl_link.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef EINSIM_SRCDIR
#define EINSIM_SRCDIR "."
#endif

const char *const sa_rtl_units[] = {"array2d", NULL};

/* Answers kept by sa_rtl_cache_folds, one per distinct fold. */
#define SA_RTL_CACHE 256

typedef struct rtl_fold {
    sa_dataflow df;
    int64_t r, c, t;
    uint64_t cycles;
} rtl_fold;

struct sa_rtl {
    pid_t pid;
    int to_fd, from_fd;
    char buf[4096];
    size_t len;
    uint64_t folds;
    int timeout_s;
    int cache; /* sa_rtl_cache_folds */
    int ncached;
    rtl_fold cached[SA_RTL_CACHE];
};

void sa_rtl_harness_path(const char *unit, char *out, size_t n)
{
    const char *dir = getenv("EINSIM_RTL_DIR");
    if (dir && *dir)
        snprintf(out, n, "%s/%s/harness", dir, unit);
    else
        snprintf(out, n, "%s/build/rtl/%s/harness", EINSIM_SRCDIR, unit);
}

/* One line from the harness (without the newline), waiting at most
 * SA_RTL_TIMEOUT_S; -1 on EOF, error or timeout. */
static int read_line(sa_rtl *h, char *line, size_t n, es_err *e)
{
    for (;;) {
        char *nl = memchr(h->buf, '\n', h->len);
        if (nl) {
            size_t k = (size_t)(nl - h->buf);
            size_t c = k < n - 1 ? k : n - 1;
            memcpy(line, h->buf, c);
            line[c] = 0;
            memmove(h->buf, nl + 1, h->len - k - 1);
            h->len -= k + 1;
            return 0;
        }
        if (h->len == sizeof h->buf)
            return es_fail(e, "rtl: harness line longer than %zu bytes", sizeof h->buf);
        struct pollfd p = {.fd = h->from_fd, .events = POLLIN};
        int r = poll(&p, 1, h->timeout_s * 1000);
        if (r == 0)
            return es_fail(e, "rtl: harness gave no answer within %d s", h->timeout_s);
        if (r < 0 && errno == EINTR)
            continue;
        ssize_t got = r < 0 ? -1 : read(h->from_fd, h->buf + h->len, sizeof h->buf - h->len);
        if (got <= 0)
            return es_fail(e, "rtl: harness exited without answering");
        h->len += (size_t)got;
    }
}

static int write_all(int fd, const char *s, es_err *e)
{
    size_t n = strlen(s);
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return es_fail(e, "rtl: harness closed its input");
        s += w, n -= (size_t)w;
    }
    return 0;
}

int sa_rtl_is_unit(const char *unit)
{
    for (int i = 0; sa_rtl_units[i]; i++)
        if (!strcmp(unit, sa_rtl_units[i]))
            return 1;
    return 0;
}

int sa_rtl_start(const char *unit, int64_t *rows, int64_t *cols, sa_rtl **out, es_err *e)
{
    if (!sa_rtl_is_unit(unit))
        return es_fail(e, "--rtl: unknown unit '%s'; expected one of: array2d", unit);
    char path[1024];
    sa_rtl_harness_path(unit, path, sizeof path);
    if (access(path, X_OK) != 0)
        return es_fail(e, "--rtl %s: no harness at %s (build it with 'make rtl', or set EINSIM_RTL_DIR)", unit, path);
    int to[2], from[2];
    if (pipe(to) < 0)
        return es_fail(e, "rtl: pipe: %s", strerror(errno));
    if (pipe(from) < 0) {
        close(to[0]), close(to[1]);
        return es_fail(e, "rtl: pipe: %s", strerror(errno));
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(to[0]), close(to[1]), close(from[0]), close(from[1]);
        return es_fail(e, "rtl: fork: %s", strerror(errno));
    }
    if (pid == 0) {
        dup2(to[0], 0);
        dup2(from[1], 1);
        close(to[0]), close(to[1]), close(from[0]), close(from[1]);
        setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 1);
        execl(path, path, "serve", (char *)NULL);
        _exit(127);
    }
    close(to[0]), close(from[1]);
    signal(SIGPIPE, SIG_IGN); /* a dead harness is an error from write(), not a signal */
    sa_rtl *h = es_xcalloc(1, sizeof *h);
    h->pid = pid, h->to_fd = to[1], h->from_fd = from[0];
    const char *ts = getenv("EINSIM_RTL_TIMEOUT_S");
    h->timeout_s = ts && atoi(ts) > 0 ? atoi(ts) : SA_RTL_TIMEOUT_S;
    char line[256], name[64];
    long long R = 0, C = 0;
    if (read_line(h, line, sizeof line, e) < 0) {
        sa_rtl_close(h);
        return -1;
    }
    if (sscanf(line, "einsim-rtl %63s %lld %lld", name, &R, &C) != 3 || strcmp(name, unit)) {
        sa_rtl_close(h);
        return es_fail(e, "rtl: %s is not an einsim RTL harness for %s (it said '%.80s')", path, unit, line);
    }
    *rows = R, *cols = C;
    *out = h;
    return 0;
}

int sa_rtl_open(const char *unit, const sa_gemm *g, sa_rtl **out, es_err *e)
{
    if (sa_rtl_is_unit(unit) && g->df == SA_IS)
        return es_fail(e, "--rtl array2d: the RTL array is output- or weight-stationary; expected --dataflow os or ws, got is");
    int64_t R, C;
    if (sa_rtl_start(unit, &R, &C, out, e))
        return -1;
    if (R != g->R || C != g->C) {
        sa_rtl_close(*out);
        *out = NULL;
        return es_fail(e, "--rtl %s: the RTL was built for a %lldx%lld array; got --rows %lld --cols %lld", unit,
                       (long long)R, (long long)C, (long long)g->R, (long long)g->C);
    }
    return 0;
}

void sa_rtl_cache_folds(sa_rtl *h) { h->cache = 1; }

uint64_t sa_rtl_fold_cycles(void *ctx, sa_dataflow df, int64_t r, int64_t c, int64_t t, es_err *e)
{
    sa_rtl *h = ctx;
    for (int i = 0; h->cache && i < h->ncached; i++)
        if (h->cached[i].df == df && h->cached[i].r == r && h->cached[i].c == c && h->cached[i].t == t)
            return h->cached[i].cycles;
    char line[1100];
    snprintf(line, sizeof line, "fold %s %lld %lld %lld\n", sa_dataflow_name(df), (long long)r, (long long)c,
             (long long)t);
    if (write_all(h->to_fd, line, e) < 0 || read_line(h, line, sizeof line, e) < 0)
        return 0;
    unsigned long long n = 0;
    if (sscanf(line, "cycles %llu", &n) == 1 && n > 0) {
        h->folds++;
        if (h->cache && h->ncached < SA_RTL_CACHE)
            h->cached[h->ncached++] = (rtl_fold){df, r, c, t, n};
        return n;
    }
    if (!strncmp(line, "error ", 6))
        es_fail(e, "rtl array2d: %s", line + 6);
    else
        es_fail(e, "rtl: unexpected harness answer '%s'", line);
    return 0;
}

uint64_t sa_rtl_close(sa_rtl *h)
{
    if (!h)
        return 0;
    uint64_t n = h->folds;
    close(h->to_fd); /* EOF: the harness exits */
    close(h->from_fd);
    int st;
    for (int i = 0; i < 20; i++) { /* up to 2 s, then stop it */
        if (waitpid(h->pid, &st, WNOHANG) == h->pid)
            goto done;
        usleep(100000);
    }
    kill(h->pid, SIGKILL);
    waitpid(h->pid, &st, 0);
done:
    free(h);
    return n;
}
