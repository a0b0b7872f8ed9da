/* sim/cli/sweep_dist.c: a sweep beyond one machine (--hosts: GNU parallel,
 * --slurm: a Slurm job array) and its Pareto fronts (--pareto).  Points go
 * to existing engines only; each engine task runs `einsim sweep --chunk
 * I/K`, which writes its points atomically, so retries and kills never
 * corrupt or duplicate a point (docs/sweep.md). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "golden/base/err.h"
#include "golden/base/io.h"
#include "diff.h"
#include "sweep.h"


/* Run argv (argv[0] looked up on PATH); its exit status, or -1 if it could
 * not start. */
static int run_cmd(char *const *argv)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static int on_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path)
        return 0;
    char buf[PATH_MAX];
    for (const char *p = path; *p;) {
        const char *c = strchr(p, ':');
        size_t l = c ? (size_t)(c - p) : strlen(p);
        snprintf(buf, sizeof buf, "%.*s/%s", (int)l, p, prog);
        if (access(buf, X_OK) == 0)
            return 1;
        p = c ? c + 1 : p + l;
    }
    return 0;
}

/* 'text' quoted for sh. */
static void sh_quote(FILE *fp, const char *s)
{
    fputc('\'', fp);
    for (; *s; s++)
        if (*s == '\'')
            fputs("'\\''", fp);
        else
            fputc(*s, fp);
    fputc('\'', fp);
}

int sweep_distribute(const char *sweep_file, const sw_spec *s, const char *dir, const char *hosts, int slurm,
                     int64_t chunks, const char *const *sets, int n_sets)
{
    char exe[PATH_MAX], adir[PATH_MAX], afile[PATH_MAX], chunk[64];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k <= 0)
        es_fatal(1, "sweep: cannot find this binary's path (/proc/self/exe)");
    exe[k] = '\0';
    if (!realpath(dir, adir) || !realpath(sweep_file, afile))
        es_fatal(ES_EXIT_BADINPUT, "%s: cannot resolve the path", dir);
    if (chunks > s->n_points)
        chunks = s->n_points;
    if (slurm) {
        if (!on_path("sbatch"))
            es_fatal(ES_EXIT_BADINPUT, "sweep --slurm: sbatch not found on PATH (Debian: apt-get install slurm-wlm)");
        char script[PATH_MAX + 32];
        snprintf(script, sizeof script, "%s/slurm-job.sh", adir);
        es_out o;
        es_err e;
        if (es_out_open(&o, script, &e))
            es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
        fprintf(o.fp, "#!/bin/sh\n# einsim sweep %s: one array task per chunk of points (written by einsim sweep --slurm)\n",
                s->name);
        fprintf(o.fp, "#SBATCH --job-name=einsim-sweep\n#SBATCH --array=0-%lld\n#SBATCH --ntasks=1\n",
                (long long)chunks - 1);
        fprintf(o.fp, "#SBATCH --output=%s/slurm-%%A_%%a.out\n", adir);
        fputs("exec ", o.fp);
        sh_quote(o.fp, exe);
        fputs(" sweep ", o.fp);
        sh_quote(o.fp, afile);
        fputs(" --out ", o.fp);
        sh_quote(o.fp, adir);
        fprintf(o.fp, " --chunk \"$SLURM_ARRAY_TASK_ID/%lld\"", (long long)chunks);
        for (int i = 0; i < n_sets; i++) {
            fputs(" --set ", o.fp);
            sh_quote(o.fp, sets[i]);
        }
        fputc('\n', o.fp);
        if (es_out_commit(&o, &e))
            es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
        char *argv[] = {"sbatch", script, NULL};
        int rc = run_cmd(argv);
        if (rc)
            es_fatal(1, "sweep --slurm: sbatch %s failed (exit %d)", script, rc);
        fprintf(stderr, "sweep %s: submitted %lld array tasks (%lld points); when they finish: einsim sweep --collect %s\n",
                s->name, (long long)chunks, (long long)s->n_points, dir);
        return 0;
    }
    if (!on_path("parallel"))
        es_fatal(ES_EXIT_BADINPUT, "sweep --hosts: GNU parallel not found on PATH (Debian: apt-get install parallel)");
    /* parallel -q: the command's words are quoted for the remote shell */
    int n = 0;
    char **argv = es_xcalloc((size_t)(32 + 2 * n_sets + chunks), sizeof *argv);
    char **chunk_txt = es_xcalloc((size_t)chunks, sizeof *chunk_txt);
    argv[n++] = "parallel";
    argv[n++] = "-q";
    argv[n++] = "--will-cite";
    argv[n++] = "--sshloginfile";
    argv[n++] = (char *)hosts;
    argv[n++] = "--halt";
    argv[n++] = "never";
    argv[n++] = exe;
    argv[n++] = "sweep";
    argv[n++] = afile;
    argv[n++] = "--out";
    argv[n++] = adir;
    argv[n++] = "--chunk";
    snprintf(chunk, sizeof chunk, "{}/%lld", (long long)chunks);
    argv[n++] = chunk;
    for (int i = 0; i < n_sets; i++) {
        argv[n++] = "--set";
        argv[n++] = (char *)sets[i];
    }
    argv[n++] = ":::";
    for (int64_t c = 0; c < chunks; c++) {
        chunk_txt[c] = es_xcalloc(24, 1);
        snprintf(chunk_txt[c], 24, "%lld", (long long)c);
        argv[n++] = chunk_txt[c];
    }
    argv[n] = NULL;
    int rc = run_cmd(argv);
    for (int64_t c = 0; c < chunks; c++)
        free(chunk_txt[c]);
    free(chunk_txt);
    free(argv);
    int64_t missing = sweep_collect(s, dir);
    fprintf(stderr, "sweep %s: GNU parallel over %s ran %lld chunks (exit %d); %lld of %lld points in %s/results.csv\n",
            s->name, hosts, (long long)chunks, rc, (long long)(s->n_points - missing), (long long)s->n_points, dir);
    return rc || missing ? 1 : 0;
}

/* ---- --pareto ------------------------------------------------------------- */

typedef struct csv_table {
    int ncols, nrows;
    char **head;
    char ***rows;
} csv_table;

/* One CSV record from *p (RFC 4180 quotes); NULL at the end. */
static char **read_record(const char **p, int *nf)
{
    if (!**p)
        return NULL;
    char **f = NULL;
    int n = 0;
    const char *s = *p;
    for (;;) {
        size_t cap = 64, len = 0;
        char *v = es_xcalloc(cap, 1);
        int q = *s == '"';
        if (q)
            s++;
        for (; *s; s++) {
            if (q && *s == '"') {
                if (s[1] == '"') {
                    s++;
                } else {
                    q = 0;
                    continue;
                }
            } else if (!q && (*s == ',' || *s == '\n'))
                break;
            if (len + 2 > cap)
                v = es_xrealloc(v, cap *= 2);
            v[len++] = *s;
        }
        v[len] = '\0';
        f = es_xrealloc(f, (size_t)(n + 1) * sizeof *f);
        f[n++] = v;
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s == '\n')
            s++;
        break;
    }
    *p = s;
    *nf = n;
    return f;
}

static void free_record(char **f, int n)
{
    for (int i = 0; i < n; i++)
        free(f[i]);
    free(f);
}

static int col_of(const csv_table *t, const char *name)
{
    for (int i = 0; i < t->ncols; i++)
        if (!strcmp(t->head[i], name))
            return i;
    return -1;
}

int sweep_pareto(const char *axes, const char *dir)
{
    char xname[128], yname[128];
    const char *comma = strchr(axes, ',');
    if (!comma || comma == axes || !comma[1] || strchr(comma + 1, ',') || (size_t)(comma - axes) >= sizeof xname)
        es_fatal(ES_EXIT_BADINPUT, "--pareto: expected two result columns X,Y (e.g. latency_s,energy_pj), got '%s'",
                 axes);
    snprintf(xname, sizeof xname, "%.*s", (int)(comma - axes), axes);
    snprintf(yname, sizeof yname, "%s", comma + 1);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    char *txt;
    size_t len;
    es_err e;
    if (es_read_file(path, &txt, &len, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s (run the sweep first)", e.msg);
    const char *p = txt;
    csv_table t = {0};
    t.head = read_record(&p, &t.ncols);
    if (!t.head)
        es_fatal(ES_EXIT_BADINPUT, "%s: empty", path);
    char **r;
    int nf;
    while ((r = read_record(&p, &nf))) {
        if (nf != t.ncols)
            es_fatal(ES_EXIT_BADINPUT, "%s: row %d has %d fields, the header %d", path, t.nrows + 2, nf, t.ncols);
        t.rows = es_xrealloc(t.rows, (size_t)(t.nrows + 1) * sizeof *t.rows);
        t.rows[t.nrows++] = r;
    }
    free(txt);
    int cx = col_of(&t, xname), cy = col_of(&t, yname), cp = col_of(&t, "pareto");
    if (cx < 0 || cy < 0)
        es_fatal(ES_EXIT_BADINPUT, "--pareto: %s has no column '%s' (columns: id, the swept keys, arch, model, "
                                   "cycles, latency_s, energy_pj, units.*, dram.*, energy_breakdown_pj.*)",
                 path, cx < 0 ? xname : yname);
    int dx = diff_direction(xname), dy = diff_direction(yname);
    if (!dx || !dy)
        es_fatal(ES_EXIT_BADINPUT, "--pareto: '%s' has no better direction (expected latency, cycles, energy, bytes "
                                   "or utilization columns)",
                 !dx ? xname : yname);
    /* a workload: what was run, the design aside */
    static const char *const wl_cols[] = {"model", "phase", "scope", "batch", "seq", "seqs", "prompt", "gen"};
    char **wl = es_xcalloc((size_t)t.nrows + 1, sizeof *wl);
    double *x = es_xcalloc((size_t)t.nrows + 1, sizeof *x), *y = es_xcalloc((size_t)t.nrows + 1, sizeof *y);
    int *front = es_xcalloc((size_t)t.nrows + 1, sizeof *front);
    for (int i = 0; i < t.nrows; i++) {
        wl[i] = es_xcalloc(512, 1);
        for (size_t k = 0; k < sizeof wl_cols / sizeof *wl_cols; k++) {
            int c = col_of(&t, wl_cols[k]);
            if (c >= 0 && t.rows[i][c][0])
                snprintf(wl[i] + strlen(wl[i]), 512 - strlen(wl[i]), "%s%s%s%s", wl[i][0] ? " " : "",
                         k ? wl_cols[k] : "", k ? "=" : "", t.rows[i][c]);
        }
        char *end;
        x[i] = strtod(t.rows[i][cx], &end);
        y[i] = strtod(t.rows[i][cy], &end);
    }
    /* better(a, b): a at least as good in both, strictly in one */
    for (int i = 0; i < t.nrows; i++) {
        front[i] = 1;
        for (int j = 0; j < t.nrows && front[i]; j++) {
            if (j == i || strcmp(wl[i], wl[j]))
                continue;
            double gx = dx < 0 ? x[i] - x[j] : x[j] - x[i], gy = dy < 0 ? y[i] - y[j] : y[j] - y[i];
            if (gx >= 0 && gy >= 0 && (gx > 0 || gy > 0))
                front[i] = 0; /* j dominates i */
        }
    }
    /* results.csv with the pareto column (replaced when already there) */
    es_out o;
    if (es_out_open(&o, path, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    for (int i = -1; i < t.nrows; i++) {
        char **f = i < 0 ? t.head : t.rows[i];
        int first = 1;
        for (int c = 0; c < t.ncols; c++) {
            if (c == cp)
                continue;
            if (!first)
                fputc(',', o.fp);
            csv_text(o.fp, f[c]);
            first = 0;
        }
        if (i < 0)
            fputs(",pareto\n", o.fp);
        else
            fprintf(o.fp, ",%d\n", front[i]);
    }
    if (es_out_commit(&o, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    /* the plot: every point of a workload, its front as a line, one colour
     * per workload */
    char dat[PATH_MAX], gp[PATH_MAX], png[PATH_MAX];
    snprintf(dat, sizeof dat, "%s/pareto.dat", dir);
    snprintf(gp, sizeof gp, "%s/pareto.gp", dir);
    snprintf(png, sizeof png, "%s/pareto.png", dir);
    if (es_out_open(&o, dat, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    int nw = 0;
    char **wls = es_xcalloc((size_t)t.nrows + 1, sizeof *wls);
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {0, 0};
    for (int i = 0; i < t.nrows; i++) {
        int seen = 0;
        for (int w = 0; w < nw; w++)
            seen |= !strcmp(wls[w], wl[i]);
        if (!seen)
            wls[nw++] = wl[i];
        lo[0] = fmin(lo[0], x[i]), hi[0] = fmax(hi[0], x[i]);
        lo[1] = fmin(lo[1], y[i]), hi[1] = fmax(hi[1], y[i]);
    }
    int nfront = 0;
    for (int w = 0; w < nw; w++) {
        fprintf(o.fp, "# workload %s: all points\n", wls[w]);
        for (int i = 0; i < t.nrows; i++)
            if (!strcmp(wl[i], wls[w]))
                fprintf(o.fp, "%.10g %.10g\n", x[i], y[i]);
        fprintf(o.fp, "\n\n# workload %s: Pareto front, by %s\n", wls[w], xname);
        /* the front sorted by x (selection sort: fronts are short) */
        double last = -INFINITY;
        for (;;) {
            int best = -1;
            for (int i = 0; i < t.nrows; i++)
                if (front[i] && !strcmp(wl[i], wls[w]) && x[i] > last && (best < 0 || x[i] < x[best]))
                    best = i;
            if (best < 0)
                break;
            for (int i = 0; i < t.nrows; i++) /* equal x: one point each */
                if (front[i] && !strcmp(wl[i], wls[w]) && x[i] == x[best])
                    fprintf(o.fp, "%.10g %.10g\n", x[i], y[i]), nfront++;
            last = x[best];
        }
        fputs("\n\n", o.fp);
    }
    if (es_out_commit(&o, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    if (es_out_open(&o, gp, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    fprintf(o.fp, "# written by einsim sweep --pareto %s %s\n", axes, dir);
    fprintf(o.fp, "set terminal pngcairo size 1000,700 noenhanced\nset output '%s'\n", png);
    fprintf(o.fp, "set title 'Pareto fronts (%s, %s; %s better) - %d points'\n", xname, yname,
            dx < 0 && dy < 0 ? "lower" : "see directions", t.nrows);
    fprintf(o.fp, "set xlabel '%s'\nset ylabel '%s'\nset key below\nset grid\n", xname, yname);
    if (lo[0] > 0 && hi[0] / lo[0] > 30)
        fputs("set logscale x\n", o.fp);
    if (lo[1] > 0 && hi[1] / lo[1] > 30)
        fputs("set logscale y\n", o.fp);
    fputs("plot ", o.fp);
    for (int w = 0; w < nw; w++) {
        fprintf(o.fp, "%s'%s' index %d using 1:2 with points pt 7 ps 0.6 lc %d notitle, \\\n", w ? ", " : "", dat,
                2 * w, w + 1);
        fprintf(o.fp, "  '%s' index %d using 1:2 with linespoints pt 7 ps 1.2 lw 2 lc %d title '", dat, 2 * w + 1,
                w + 1);
        for (const char *c = wls[w]; *c; c++)
            fputc(*c == '\'' ? '"' : *c, o.fp);
        fputs("'", o.fp);
    }
    fputc('\n', o.fp);
    if (es_out_commit(&o, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    int rc = 0;
    if (!on_path("gnuplot")) {
        fprintf(stderr, "einsim: sweep --pareto: gnuplot not found; the plot script is %s\n", gp);
        rc = 1;
    } else {
        char *argv[] = {"gnuplot", gp, NULL};
        if (run_cmd(argv)) {
            fprintf(stderr, "einsim: sweep --pareto: gnuplot %s failed\n", gp);
            rc = 1;
        }
    }
    printf("%d of %d points are Pareto-optimal in %s x %s over %d workload%s: %s (column 'pareto'), %s\n", nfront,
           t.nrows, xname, yname, nw, nw == 1 ? "" : "s", path, png);
    for (int i = 0; i < t.nrows; i++) {
        free(wl[i]);
        free_record(t.rows[i], t.ncols);
    }
    free_record(t.head, t.ncols);
    free(t.rows);
    free(wl), free(wls), free(x), free(y), free(front);
    return rc;
}
