#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"

#ifndef EINSIM_SRCDIR
#define EINSIM_SRCDIR "."
#endif

/* Temp files of outputs opened and not yet committed or aborted.  An exit
 * in between (es_fatal on a later error) removes them, so a failed run
 * never leaves a half-written file or a stray temp file behind. */
#define ES_MAX_PENDING 16
static char g_pending[ES_MAX_PENDING][4096];
static int g_cleanup_registered;
/* Outputs are opened and committed from a sweep's worker threads too. */
static pthread_mutex_t g_pending_lock = PTHREAD_MUTEX_INITIALIZER;

static void remove_pending(void)
{
    for (int i = 0; i < ES_MAX_PENDING; i++)
        if (g_pending[i][0]) {
            remove(g_pending[i]);
            g_pending[i][0] = '\0';
        }
}

/* Ctrl-C or a kill during a long run: remove the temp files (unlink is
 * async-signal-safe), then die of the same signal as before. */
static void on_signal(int sig)
{
    for (int i = 0; i < ES_MAX_PENDING; i++)
        if (g_pending[i][0])
            unlink(g_pending[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void pending_add(const char *tmp)
{
    pthread_mutex_lock(&g_pending_lock);
    if (!g_cleanup_registered) {
        atexit(remove_pending);
        static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
        for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
            if (signal(sigs[i], on_signal) == SIG_IGN) /* keep an inherited "ignore" (nohup) */
                signal(sigs[i], SIG_IGN);
        g_cleanup_registered = 1;
    }
    for (int i = 0; i < ES_MAX_PENDING; i++)
        if (!g_pending[i][0]) {
            snprintf(g_pending[i], sizeof g_pending[i], "%s", tmp);
            break;
        }
    pthread_mutex_unlock(&g_pending_lock);
}

static void pending_drop(const char *tmp)
{
    pthread_mutex_lock(&g_pending_lock);
    for (int i = 0; i < ES_MAX_PENDING; i++)
        if (g_pending[i][0] && !strcmp(g_pending[i], tmp))
            g_pending[i][0] = '\0';
    pthread_mutex_unlock(&g_pending_lock);
}

int es_out_open(es_out *o, const char *path, es_err *e)
{
    memset(o, 0, sizeof *o);
    if (!path[0])
        return es_fail(e, "output path is empty; expected a file name or '-' for stdout");
    if (strcmp(path, "-") == 0) {
        o->fp = stdout;
        o->is_stdout = 1;
        return 0;
    }
    if (strlen(path) + 16 >= sizeof o->path)
        return es_fail(e, "%s: path too long", path);
    snprintf(o->path, sizeof o->path, "%s", path);
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp.%ld", path, (long)getpid());
    /* A regular file (or a new name) is replaced atomically.  A terminal,
     * pipe or /dev/null (also through a link such as /dev/stdout) is written
     * in place: renaming over it would replace the device with a file.
     * Anything else is refused rather than replaced. */
    struct stat st, target;
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        int is_link = S_ISLNK(st.st_mode);
        if (is_link && stat(path, &target) == 0)
            st = target;
        if (S_ISDIR(st.st_mode))
            return es_fail(e, "%s: cannot write: it is a directory; expected a file name", path);
        if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
            o->fp = fopen(path, "wb");
            if (!o->fp)
                return es_fail(e, "%s: cannot open for writing: %s", path, strerror(errno));
            o->is_stream = 1;
            return 0;
        }
        return es_fail(e, "%s: cannot write: it is %s; expected a regular file or a new name (outputs are "
                          "replaced by rename, which would replace it)",
                       path, is_link ? "a symbolic link" : "a device or socket");
    }
    o->fp = fopen(o->tmp, "wb");
    if (!o->fp && errno == ENOENT) {
        /* outputs never create folders: a typo would scatter them */
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        return es_fail(e, "%s: cannot write: folder '%s' does not exist; create it first", path, slash ? dir : ".");
    }
    if (!o->fp)
        return es_fail(e, "%s: cannot open for writing: %s", path, strerror(errno));
    pending_add(o->tmp);
    return 0;
}

int es_out_commit(es_out *o, es_err *e)
{
    if (o->is_stdout) {
        errno = 0;
        if (fflush(stdout) != 0 || ferror(stdout))
            return es_fail(e, "standard output: write failed: %s", errno ? strerror(errno) : "I/O error");
        return 0;
    }
    if (o->is_stream) {
        errno = 0;
        int bad = fflush(o->fp) != 0 || ferror(o->fp);
        int err = errno;
        if (fclose(o->fp) != 0 && !bad) {
            bad = 1;
            err = errno;
        }
        o->fp = NULL;
        return bad ? es_fail(e, "%s: write failed: %s", o->path, err ? strerror(err) : "I/O error") : 0;
    }
    int bad = ferror(o->fp);
    if (fclose(o->fp) != 0)
        bad = 1;
    o->fp = NULL;
    pending_drop(o->tmp);
    if (bad) {
        remove(o->tmp);
        return es_fail(e, "%s: write failed", o->path);
    }
    if (rename(o->tmp, o->path) != 0) {
        int err = errno;
        remove(o->tmp);
        return es_fail(e, "%s: cannot rename temp file into place: %s", o->path, strerror(err));
    }
    return 0;
}

void es_out_abort(es_out *o)
{
    if (o->is_stdout || !o->fp)
        return;
    fclose(o->fp);
    o->fp = NULL;
    if (o->is_stream)
        return;
    remove(o->tmp);
    pending_drop(o->tmp);
}

int es_write_file(const char *path, const void *buf, size_t n, es_err *e)
{
    es_out o;
    if (es_out_open(&o, path, e))
        return -1;
    if (n && fwrite(buf, 1, n, o.fp) != n) {
        es_out_abort(&o);
        return es_fail(e, "%s: write failed", path);
    }
    return es_out_commit(&o, e);
}

int es_read_file(const char *path, char **out, size_t *n, es_err *e)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return es_fail(e, "%s: cannot open: %s", path, strerror(errno));
    /* A regular file or a pipe (<(cmd), /dev/stdin); a device such as
     * /dev/zero or /dev/urandom never ends, so it is refused up front, and
     * anything longer than the cap is refused while reading. */
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || S_ISDIR(st.st_mode) || !(S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode))) {
        fclose(fp);
        return es_fail(e, "%s: %s; expected a regular file", path,
                       S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file (a device or socket)");
    }
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > ES_MAX_INPUT_BYTES) {
        fclose(fp);
        return es_fail(e, "%s: %lld bytes; expected at most %llu (no einsim input is that large)", path,
                       (long long)st.st_size, (unsigned long long)ES_MAX_INPUT_BYTES);
    }
    /* One byte more than the cap fits, so reading it tells "too long". */
    size_t cap = 1 << 16, len = 0;
    char *buf = es_xmalloc(cap);
    for (;;) {
        if (len + 1 >= cap) {
            cap = cap * 2 > ES_MAX_INPUT_BYTES + 2 ? ES_MAX_INPUT_BYTES + 2 : cap * 2;
            buf = es_xrealloc(buf, cap);
        }
        size_t got = fread(buf + len, 1, cap - len - 1, fp);
        len += got;
        if (len > ES_MAX_INPUT_BYTES) {
            free(buf);
            fclose(fp);
            return es_fail(e, "%s: longer than %llu bytes; expected a smaller input", path,
                           (unsigned long long)ES_MAX_INPUT_BYTES);
        }
        if (got == 0)
            break;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad) {
        free(buf);
        return es_fail(e, "%s: read error", path);
    }
    buf[len] = '\0';
    *out = buf;
    if (n)
        *n = len;
    return 0;
}

static char g_exe_dir[PATH_MAX];

void es_set_argv0(const char *argv0)
{
    char buf[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (k > 0) {
        buf[k] = '\0';
    } else if (argv0 && realpath(argv0, buf)) {
        /* fall through with buf */
    } else {
        return;
    }
    char *slash = strrchr(buf, '/');
    if (slash)
        *slash = '\0';
    snprintf(g_exe_dir, sizeof g_exe_dir, "%s", buf);
}

/* Source-tree folder of each kind of bundled file. */
static const char *src_subdir(const char *kind)
{
    static const struct { const char *kind, *dir; } map[] = {
        {"models", "models"},          {"arch", "sim/arch"},
        {"energy", "sim/energy"},      {"cascades", "mapper/cascades"},
        {"mappings", "mapper/mappings"}, {"data", "build/share/einsim/data"},
        {"dram", "sim/dram"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].kind, kind) == 0)
            return map[i].dir;
    return kind;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int es_env_flag(const char *name)
{
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0") != 0;
}

/* Candidate directories for a kind, in search order. */
static int candidate_dirs(const char *kind, char dirs[4][PATH_MAX])
{
    int n = 0;
    const char *home = getenv("EINSIM_HOME");
    if (home && *home)
        snprintf(dirs[n++], PATH_MAX, "%s/%s", home, kind);
    if (g_exe_dir[0])
        snprintf(dirs[n++], PATH_MAX, "%s/../share/einsim/%s", g_exe_dir, kind);
    snprintf(dirs[n++], PATH_MAX, "%s/%s", EINSIM_SRCDIR, src_subdir(kind));
    return n;
}

const char *es_bundled_dir(const char *kind, char *out, size_t outsz)
{
    char dirs[4][PATH_MAX];
    int n = candidate_dirs(kind, dirs);
    for (int i = 0; i < n; i++)
        if (is_dir(dirs[i])) {
            snprintf(out, outsz, "%s", dirs[i]);
            return out;
        }
    return NULL;
}

int es_find_bundled(const char *kind, const char *name, const char *ext, char *out, size_t outsz,
                    es_err *e)
{
    size_t nl = strlen(name), el = ext ? strlen(ext) : 0;
    int looks_like_path = strchr(name, '/') != NULL || (el && nl > el && !strcmp(name + nl - el, ext));
    if (looks_like_path) {
        if (is_dir(name))
            return es_fail(e, "%s: is a directory; expected a %s file", name, ext ? ext : "spec");
        if (!is_file(name))
            return es_fail(e, "%s: no such file", name);
        snprintf(out, outsz, "%s", name);
        return 0;
    }
    char dirs[4][PATH_MAX];
    int n = candidate_dirs(kind, dirs);
    for (int i = 0; i < n; i++) {
        char p[PATH_MAX + 256];
        snprintf(p, sizeof p, "%s/%s%s", dirs[i], name, ext ? ext : "");
        if (is_file(p)) {
            snprintf(out, outsz, "%s", p);
            return 0;
        }
    }
    /* List the valid names so the user can fix a typo. */
    int nn;
    char **all = es_bundled_names(kind, ext, &nn, NULL, 0);
    char names[600] = "";
    size_t used = 0;
    for (int i = 0; i < nn; i++) {
        int w = snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "", all[i]);
        if (w < 0 || (size_t)w >= sizeof names - used) {
            snprintf(names + sizeof names - 5, 5, "...");
            break;
        }
        used += (size_t)w;
    }
    es_names_free(all);
    return es_fail(e, "unknown %s name '%s'; expected a path or one of: %s", kind, name,
                   names[0] ? names : "(none bundled)");
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **es_bundled_names(const char *kind, const char *ext, int *n, char *dir, size_t dirsz)
{
    char dirs[4][PATH_MAX];
    int nd = candidate_dirs(kind, dirs);
    size_t el = ext ? strlen(ext) : 0;
    char **v = es_xcalloc(1, sizeof *v);
    int cnt = 0, cap = 0;
    if (dir && dirsz)
        dir[0] = 0;
    for (int i = 0; i < nd && !cnt; i++) {
        DIR *d = opendir(dirs[i]);
        if (!d)
            continue;
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            size_t l = strlen(de->d_name);
            if (de->d_name[0] == '.' || (el && (l <= el || strcmp(de->d_name + l - el, ext))))
                continue;
            if (cnt + 1 >= cap) {
                cap = cap ? 2 * cap : 16;
                v = es_xrealloc(v, (size_t)cap * sizeof *v);
            }
            v[cnt] = es_xmalloc(l - el + 1);
            memcpy(v[cnt], de->d_name, l - el);
            v[cnt++][l - el] = 0;
        }
        closedir(d);
        if (cnt && dir && dirsz)
            snprintf(dir, dirsz, "%s", dirs[i]);
    }
    qsort(v, (size_t)cnt, sizeof *v, cmp_names);
    v[cnt] = NULL;
    *n = cnt;
    return v;
}

void es_names_free(char **names)
{
    for (int i = 0; names && names[i]; i++)
        free(names[i]);
    free(names);
}
