/* einsim sweep: many points of a design space from one sweep file
 * (docs/sweep.md).  Points run in this process on a pool of -j threads
 * (each point owns its arch, model, workload and mapping: cli_point_run),
 * each report goes to DIR/points/<id>.json atomically, and DIR/results.csv
 * gathers them.  A rerun skips finished points, so a killed sweep resumes
 * where it stopped; beyond one machine the same command runs a chunk of the
 * points (--chunk I/K) under GNU parallel (--hosts) or a Slurm job array
 * (--slurm), and --collect builds the CSV afterwards. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "golden/base/err.h"
#include "golden/base/io.h"
#include "cli.h"
#include "diff.h"
#include "point.h"
#include "sweep.h"

static const char usage[] =
    "usage: einsim sweep SWEEP.yaml --out DIR [-j N] [--set K=V ...] [--check EXPECTED_DIR [--tolerance X]]\n"
    "                    [--hosts FILE | --slurm [--chunks K]] [--chunk I/K]\n"
    "       einsim sweep --collect DIR\n"
    "       einsim sweep --pareto X,Y DIR\n"
    "  Runs every point of the sweep file (format: docs/sweep.md) in this process on\n"
    "  N threads (-j, default 1).  Each point's JSON report (as einsim run --json)\n"
    "  goes to DIR/points/<id>.json, written atomically; DIR/results.csv has one row\n"
    "  per finished point.  Rerunning skips finished points, so a killed sweep\n"
    "  resumes.  Progress goes to stderr when it is a terminal.\n"
    "  --set K=V       an arch override for every point (as einsim run --set)\n"
    "  --check DIR     compare every point with DIR/points/<id>.json (or DIR/<id>.json)\n"
    "                  as compare --diff does; exit 1 when any regresses, listing them\n"
    "  --tolerance X   relative tolerance of --check (default 0)\n"
    "  --chunk I/K     run only the points whose index mod K is I (no CSV)\n"
    "  --hosts FILE    run the chunks with GNU parallel --sshloginfile FILE (DIR and\n"
    "                  this binary must be at the same paths on every host), then the CSV\n"
    "  --slurm         write DIR/slurm-job.sh (a job array, one task per chunk) and\n"
    "                  submit it with sbatch; then run einsim sweep --collect DIR\n"
    "  --chunks K      chunks for --hosts/--slurm (default: min(points, 64))\n"
    "  --collect DIR   write DIR/results.csv from the points finished so far\n"
    "  --pareto X,Y    mark the Pareto-optimal points of DIR/results.csv per workload\n"
    "                  (lower is better for latency, cycles, energy, bytes; higher for\n"
    "                  utilization) in a 'pareto' column and plot DIR/pareto.png\n";

#define MAX_SETS SIM_REP_SETS

typedef struct sweep_run {
    const sw_spec *s;
    const char *dir;
    const char *const *extra_sets; /* --set on the command line */
    int n_extra;
    int64_t *todo;
    int64_t n_todo;
    int64_t next; /* next index into todo (under lock) */
    int64_t done, failed;
    pthread_mutex_t lock;
    int progress; /* stderr is a terminal */
    double t0;
} sweep_run;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A point's einsim run options, as cli_run_options reads them.  Exits 2 on
 * a bad combination (the sweep checks every point this way before any runs). */
static void point_setup(const sw_spec *s, int64_t i, const char *const *extra, int n_extra, cli_point *p,
                        cli_run *cr, char (*setbuf)[SW_VAL + 160])
{
    cli_opt o[] = {CLI_RUN_OPTS, {NULL, 0, 0}};
    memset(p, 0, sizeof *p);
    for (int k = 0; k < s->n_keys; k++) {
        const char *name = s->keys[k].name, *v = sw_value(s, i, k);
        if (!strcmp(name, "arch"))
            p->arch = v;
        else if (!strcmp(name, "model"))
            p->model = v;
        else if (!strncmp(name, "set.", 4)) {
            if (p->n_sets == MAX_SETS)
                es_fatal(ES_EXIT_BADINPUT, "%s: at most %d set.* keys per point", s->file, MAX_SETS);
            snprintf(setbuf[p->n_sets], SW_VAL + 160, "%s=%s", name + 4, v);
            p->sets[p->n_sets] = setbuf[p->n_sets];
            p->n_sets++;
        } else
            for (cli_opt *x = o; x->name; x++)
                if (!strcmp(x->name, name))
                    x->value = v;
    }
    for (int j = 0; j < n_extra; j++) {
        if (p->n_sets == MAX_SETS)
            es_fatal(ES_EXIT_BADINPUT, "sweep: at most %d overrides per point", MAX_SETS);
        p->sets[p->n_sets++] = extra[j];
    }
    cli_run_options(o, "sweep", 1024, cr);
    p->run = cr;
    p->search = s->search;
    p->mapping = s->mapping[0] ? s->mapping : NULL;
    p->so = s->so;
}

static void points_path(const char *dir, char *out, size_t n) { snprintf(out, n, "%s/points", dir); }

static void point_path(const char *dir, const char *id, char *out, size_t n)
{
    snprintf(out, n, "%s/points/%s.json", dir, id);
}

/* A finished point: its file parses as a whole einsim report.  (Writes are
 * atomic, so a partial file should not exist; a damaged one is rerun.) */
static cJSON *read_report(const char *path)
{
    char *txt;
    size_t n;
    es_err e;
    if (es_read_file(path, &txt, &n, &e))
        return NULL;
    cJSON *j = cJSON_Parse(txt);
    free(txt);
    if (j && !(cJSON_IsObject(j) && cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, "cycles")))) {
        cJSON_Delete(j);
        j = NULL;
    }
    return j;
}

static int point_finished(const char *dir, const char *id)
{
    char path[4096];
    point_path(dir, id, path, sizeof path);
    cJSON *j = read_report(path);
    cJSON_Delete(j);
    return j != NULL;
}

static void show_progress(sweep_run *w)
{
    double el = now_s() - w->t0, rate = el > 0 ? (double)w->done / el : 0;
    double eta = rate > 0 ? (double)(w->n_todo - w->done) / rate : 0;
    fprintf(stderr, "\rsweep %s: %lld/%lld points, %.1f/s, ETA %.0f s%s   ", w->s->name[0] ? w->s->name : "",
            (long long)w->done, (long long)w->n_todo, rate, eta, w->failed ? " (some failed)" : "");
    fflush(stderr);
}

static void *worker(void *arg)
{
    sweep_run *w = arg;
    cli_run *cr = es_xcalloc(1, sizeof *cr);
    sim_report *r = es_xcalloc(1, sizeof *r);
    char(*setbuf)[SW_VAL + 160] = es_xcalloc(MAX_SETS, sizeof *setbuf);
    for (;;) {
        pthread_mutex_lock(&w->lock);
        int64_t t = w->next < w->n_todo ? w->next++ : -1;
        pthread_mutex_unlock(&w->lock);
        if (t < 0)
            break;
        int64_t i = w->todo[t];
        cli_point p;
        point_setup(w->s, i, w->extra_sets, w->n_extra, &p, cr, setbuf);
        char id[17], path[4096];
        sw_point_id(w->s, i, id);
        point_path(w->dir, id, path, sizeof path);
        es_err e;
        int rc = cli_point_run(&p, NULL, r, &e);
        if (!rc)
            rc = sim_report_write_json(r, path, &e);
        pthread_mutex_lock(&w->lock);
        w->done++;
        if (rc) {
            char desc[1024];
            sw_point_desc(w->s, i, desc, sizeof desc);
            w->failed++;
            fprintf(stderr, "%seinsim: sweep: point %s (%s): %s\n", w->progress ? "\n" : "", id, desc, e.msg);
        }
        if (w->progress)
            show_progress(w);
        pthread_mutex_unlock(&w->lock);
    }
    free(setbuf);
    free(r);
    free(cr);
    return NULL;
}

/* mkdir -p */
static void mkdir_or_die(const char *d)
{
    char part[4096];
    snprintf(part, sizeof part, "%s", d);
    for (char *p = part + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(part, 0777) && errno != EEXIST)
                es_fatal(ES_EXIT_BADINPUT, "%s: cannot create directory: %s", part, strerror(errno));
            *p = '/';
        }
    if (mkdir(d, 0777) && errno != EEXIST)
        es_fatal(ES_EXIT_BADINPUT, "%s: cannot create directory: %s", d, strerror(errno));
    struct stat st;
    if (stat(d, &st) || !S_ISDIR(st.st_mode))
        es_fatal(ES_EXIT_BADINPUT, "%s: exists and is not a directory", d);
}

/* Temp files of a killed run (NAME.tmp.PID) whose process is gone. */
static void remove_stale_temps(const char *dir)
{
    char pd[4096];
    points_path(dir, pd, sizeof pd);
    DIR *d = opendir(pd);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *t = strstr(de->d_name, ".tmp.");
        if (!t)
            continue;
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/%s", t + 5);
        if (access(proc, F_OK) == 0)
            continue; /* its writer still runs (another process on this sweep) */
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", pd, de->d_name);
        remove(path);
    }
    closedir(d);
}

/* ---- results.csv ------------------------------------------------------------ */

typedef struct csv_cols {
    int n;
    char (*name)[160];
    const sw_spec *spec;
    int (*skip)(const sw_spec *, const char *); /* a report field the grid already gives (seq) */
} csv_cols;

static int is_grid_key(const sw_spec *s, const char *name)
{
    for (int k = 0; k < s->n_keys; k++)
        if (s->keys[k].axis >= 0 && !strcmp(s->keys[k].name, name))
            return 1;
    return 0;
}

static void col_add(csv_cols *c, const char *name)
{
    if (c->skip && c->skip(c->spec, name))
        return;
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->name[i], name))
            return;
    c->name = es_xrealloc(c->name, (size_t)(c->n + 1) * sizeof *c->name);
    snprintf(c->name[c->n++], sizeof c->name[0], "%s", name);
}

/* The report's fields the CSV keeps: labels, the main figures, per unit,
 * DRAM, energy breakdown (docs/sweep.md "results.csv"). */
static void report_cols(const cJSON *j, csv_cols *c)
{
    static const char *const top[] = {"arch", "model", "phase", "batch", "seq", "scope", "schedule",
                                      "cycles", "latency_s", "energy_pj"};
    for (size_t i = 0; i < sizeof top / sizeof *top; i++)
        col_add(c, top[i]);
    char b[160];
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(j, "units");
    for (const cJSON *x = u ? u->child : NULL; x; x = x->next)
        for (const cJSON *f = x->child; f; f = f->next) {
            snprintf(b, sizeof b, "units.%s.%s", x->string, f->string);
            col_add(c, b);
        }
    col_add(c, "dram.bytes_read");
    col_add(c, "dram.bytes_written");
    const cJSON *eb = cJSON_GetObjectItemCaseSensitive(j, "energy_breakdown_pj");
    for (const cJSON *x = eb ? eb->child : NULL; x; x = x->next) {
        snprintf(b, sizeof b, "energy_breakdown_pj.%s", x->string);
        col_add(c, b);
    }
}

static const cJSON *field(const cJSON *j, const char *path)
{
    char buf[160];
    snprintf(buf, sizeof buf, "%s", path);
    /* unit and component names have no dots; the path splits at most twice */
    char *a = buf, *b = strchr(a, '.'), *c = NULL;
    if (b) {
        *b++ = '\0';
        c = strchr(b, '.');
        if (c && strcmp(a, "units") == 0)
            *c++ = '\0';
        else
            c = NULL;
    }
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, a);
    if (x && b)
        x = cJSON_GetObjectItemCaseSensitive(x, b);
    if (x && c)
        x = cJSON_GetObjectItemCaseSensitive(x, c);
    return x;
}

static void csv_value(FILE *fp, const cJSON *x)
{
    if (cJSON_IsNumber(x))
        fprintf(fp, "%.17g", x->valuedouble);
    else if (cJSON_IsString(x))
        csv_text(fp, x->valuestring);
    else if (cJSON_IsArray(x)) { /* seq of a variable-length batch */
        char b[4096] = "";
        for (const cJSON *y = x->child; y; y = y->next)
            snprintf(b + strlen(b), sizeof b - strlen(b), "%s%.17g", y != x->child ? ";" : "", y->valuedouble);
        csv_text(fp, b);
    }
}

/* DIR/results.csv from every finished point, in point order; returns the
 * number of points missing (not finished). */
static int64_t write_csv(const sw_spec *s, const char *dir)
{
    cJSON **rep = es_xcalloc((size_t)s->n_points, sizeof *rep);
    csv_cols cols = {0, NULL, s, is_grid_key};
    int64_t missing = 0;
    for (int64_t i = 0; i < s->n_points; i++) {
        char id[17], path[4096];
        sw_point_id(s, i, id);
        point_path(dir, id, path, sizeof path);
        rep[i] = read_report(path);
        if (rep[i])
            report_cols(rep[i], &cols);
        else
            missing++;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    es_out o;
    es_err e;
    if (es_out_open(&o, path, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    fputs("id", o.fp);
    for (int k = 0; k < s->n_keys; k++)
        if (s->keys[k].axis >= 0) {
            fputc(',', o.fp);
            csv_text(o.fp, s->keys[k].name);
        }
    for (int c = 0; c < cols.n; c++)
        fprintf(o.fp, ",%s", cols.name[c]);
    fputc('\n', o.fp);
    for (int64_t i = 0; i < s->n_points; i++) {
        if (!rep[i])
            continue;
        char id[17];
        sw_point_id(s, i, id);
        fputs(id, o.fp);
        for (int k = 0; k < s->n_keys; k++)
            if (s->keys[k].axis >= 0) {
                fputc(',', o.fp);
                csv_text(o.fp, sw_value(s, i, k));
            }
        for (int c = 0; c < cols.n; c++) {
            fputc(',', o.fp);
            csv_value(o.fp, field(rep[i], cols.name[c]));
        }
        fputc('\n', o.fp);
        cJSON_Delete(rep[i]);
    }
    if (es_out_commit(&o, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    free(rep);
    free(cols.name);
    return missing;
}

int64_t sweep_collect(const sw_spec *s, const char *dir) { return write_csv(s, dir); }

/* ---- --check ---------------------------------------------------------------- */

static int check_points(const sw_spec *s, const char *dir, const char *expected, double tol)
{
    diff_opts o = {tol, 0};
    int bad = 0;
    for (int64_t i = 0; i < s->n_points; i++) {
        char id[17], path[4096], want[4096], desc[1024];
        sw_point_id(s, i, id);
        sw_point_desc(s, i, desc, sizeof desc);
        point_path(dir, id, path, sizeof path);
        snprintf(want, sizeof want, "%s/points/%s.json", expected, id);
        if (access(want, F_OK))
            snprintf(want, sizeof want, "%s/%s.json", expected, id);
        cJSON *a = read_report(want), *b = read_report(path);
        if (!a || !b) {
            printf("point %s (%s): %s\n", id, desc, !a ? "no expected report" : "did not finish");
            bad = 1;
        } else {
            diff_result d;
            diff_reports(a, b, &o, &d);
            if (d.regressed || d.changed) {
                printf("point %s (%s): %d regressed, %d changed, %d improved\n", id, desc, d.regressed, d.changed,
                       d.improved);
                diff_print(stdout, &d);
                bad = 1;
            } else if (d.improved) {
                printf("point %s (%s): %d improved\n", id, desc, d.improved);
                diff_print(stdout, &d);
            }
            diff_free(&d);
        }
        cJSON_Delete(a);
        cJSON_Delete(b);
    }
    printf("check against %s: %s (tolerance %g)\n", expected, bad ? "REGRESSED" : "ok", tol);
    return bad;
}

/* ---- main ------------------------------------------------------------------- */

/* -j N / -jN become --jobs N (cli_parse knows long options only). */
static char **long_jobs(int argc, char **argv)
{
    char **v = es_xcalloc((size_t)argc * 2 + 1, sizeof *v);
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-j"))
            v[n++] = "--jobs";
        else if (!strncmp(argv[i], "-j", 2) && argv[i][2] >= '0' && argv[i][2] <= '9') {
            v[n++] = "--jobs";
            v[n++] = argv[i] + 2;
        } else
            v[n++] = argv[i];
    }
    v[n] = NULL;
    return v;
}


static int parse_chunk(const char *v, int64_t *ci, int64_t *ck)
{
    long long a, b;
    char tail;
    if (!v || sscanf(v, "%lld/%lld%c", &a, &b, &tail) != 2 || b < 1 || a < 0 || a >= b)
        return -1;
    *ci = a, *ck = b;
    return 0;
}

int cmd_sweep(int argc0, char **argv0)
{
    char **argv = long_jobs(argc0, argv0);
    int argc = 0;
    while (argv[argc])
        argc++;
    cli_opt o[] = {{"out", 1, 0},       {"jobs", 1, 0},   {"check", 1, 0}, {"tolerance", 1, 0}, {"chunk", 1, 0},
                   {"hosts", 1, 0},     {"slurm", 0, 0},  {"chunks", 1, 0}, {"collect", 1, 0},  {"pareto", 1, 0},
                   {"set", 1, 0},       {NULL, 0, 0}};
    const char *pos[1];
    int npos = cli_parse(argc, argv, 1, o, pos, 1, "sweep", usage);
    const char *sets[MAX_SETS];
    int n_sets = cli_get_all(argc, argv, 1, o, "set", sets, MAX_SETS);
    es_err e;
    if (cli_get(o, "pareto")) {
        if (npos != 1)
            es_fatal(ES_EXIT_BADINPUT, "sweep --pareto X,Y DIR: expected the sweep's output folder");
        int rc = sweep_pareto(cli_get(o, "pareto"), pos[0]);
        free(argv);
        return rc;
    }
    const char *dir = cli_get(o, "collect") ? cli_get(o, "collect") : cli_get(o, "out");
    char copy[4096];
    const char *file = npos ? pos[0] : NULL;
    if (cli_get(o, "collect")) {
        if (npos)
            es_fatal(ES_EXIT_BADINPUT, "sweep --collect DIR: the sweep file is DIR/sweep.yaml; give no other file");
        snprintf(copy, sizeof copy, "%s/sweep.yaml", dir);
        file = copy;
    }
    if (!file)
        es_fatal(ES_EXIT_BADINPUT, "sweep: expected a sweep file (see 'einsim sweep --help')");
    if (!dir)
        es_fatal(ES_EXIT_BADINPUT, "sweep: --out DIR is required (see 'einsim sweep --help')");
    sw_spec s;
    if (sw_load(file, !cli_get(o, "collect"), &s, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    if (cli_get(o, "collect")) {
        int64_t missing = write_csv(&s, dir);
        fprintf(stderr, "sweep %s: %lld of %lld points in %s/results.csv%s\n", s.name,
                (long long)(s.n_points - missing), (long long)s.n_points, dir, missing ? " (some not finished)" : "");
        sw_free(&s);
        free(argv);
        return missing ? 1 : 0;
    }
    int64_t jobs = cli_int(o, "jobs", 1, 1, 1024);
    double tol = cli_double(o, "tolerance", 0);
    if (tol < 0)
        es_fatal(ES_EXIT_BADINPUT, "--tolerance: expected a relative tolerance >= 0, got '%s'", cli_get(o, "tolerance"));
    if (cli_get(o, "tolerance") && !cli_get(o, "check"))
        es_fatal(ES_EXIT_BADINPUT, "sweep: --tolerance goes with --check");
    int64_t ci = 0, ck = 1;
    if (cli_get(o, "chunk") && parse_chunk(cli_get(o, "chunk"), &ci, &ck))
        es_fatal(ES_EXIT_BADINPUT, "--chunk: expected I/K with 0 <= I < K, got '%s'", cli_get(o, "chunk"));
    if (cli_get(o, "hosts") && cli_flag(o, "slurm"))
        es_fatal(ES_EXIT_BADINPUT, "sweep: give one of --hosts and --slurm");

    /* Every point's options are checked before any point runs, and no two
     * points may be the same (a value repeated in the grid). */
    {
        cli_run *cr = es_xcalloc(1, sizeof *cr);
        char(*setbuf)[SW_VAL + 160] = es_xcalloc(MAX_SETS, sizeof *setbuf);
        char(*ids)[17] = es_xcalloc((size_t)s.n_points, sizeof *ids);
        for (int64_t i = 0; i < s.n_points; i++) {
            cli_point p;
            point_setup(&s, i, sets, n_sets, &p, cr, setbuf);
            sw_point_id(&s, i, ids[i]);
        }
        qsort(ids, (size_t)s.n_points, sizeof *ids, (int (*)(const void *, const void *))strcmp);
        for (int64_t i = 1; i < s.n_points; i++)
            if (!strcmp(ids[i], ids[i - 1]))
                es_fatal(ES_EXIT_BADINPUT, "%s: two points have the same settings (a value repeated in the grid?)",
                         file);
        free(ids);
        free(setbuf);
        free(cr);
        /* --set overrides of the command line, on every arch of the sweep */
        for (int k = 0; n_sets && k < s.n_keys; k++)
            for (int v = 0; !strcmp(s.keys[k].name, "arch") && v < s.keys[k].n; v++) {
                mp_arch *a = sim_arch_load_set(s.keys[k].vals[v], sets, n_sets, &e);
                if (!a)
                    es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
                mp_arch_free(a);
            }
    }
    mkdir_or_die(dir);
    char pd[4096];
    points_path(dir, pd, sizeof pd);
    mkdir_or_die(pd);
    /* the sweep file beside its results: --collect and the job scripts read it */
    char dst[4096];
    snprintf(dst, sizeof dst, "%s/sweep.yaml", dir);
    char *txt;
    size_t tn;
    if (es_read_file(file, &txt, &tn, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    if (strcmp(file, dst) && es_write_file(dst, txt, tn, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    free(txt);

    if (cli_get(o, "hosts") || cli_flag(o, "slurm")) {
        int64_t chunks = cli_int(o, "chunks", s.n_points < 64 ? s.n_points : 64, 1, 1 << 20);
        /* the tasks read the sweep file itself: a mapping file it names
         * resolves against its folder (shared by every host) */
        int rc = sweep_distribute(file, &s, dir, cli_get(o, "hosts"), cli_flag(o, "slurm"), chunks, sets, n_sets);
        sw_free(&s);
        free(argv);
        return rc;
    }
    if (!cli_get(o, "chunk"))
        remove_stale_temps(dir);

    sweep_run w = {0};
    w.s = &s;
    w.dir = dir;
    w.extra_sets = sets;
    w.n_extra = n_sets;
    w.todo = es_xcalloc((size_t)s.n_points + 1, sizeof *w.todo);
    int64_t skipped = 0;
    for (int64_t i = 0; i < s.n_points; i++) {
        if (i % ck != ci)
            continue;
        char id[17];
        sw_point_id(&s, i, id);
        if (point_finished(dir, id))
            skipped++;
        else
            w.todo[w.n_todo++] = i;
    }
    pthread_mutex_init(&w.lock, NULL);
    w.progress = isatty(2);
    w.t0 = now_s();
    int nt = (int)(jobs < w.n_todo ? jobs : w.n_todo);
    pthread_t *th = es_xcalloc((size_t)nt + 1, sizeof *th);
    for (int t = 0; t < nt; t++)
        if (pthread_create(&th[t], NULL, worker, &w))
            es_fatal(1, "sweep: cannot start a thread");
    for (int t = 0; t < nt; t++)
        pthread_join(th[t], NULL);
    if (w.progress && w.n_todo)
        fputc('\n', stderr);
    double wall = now_s() - w.t0;
    free(th);
    pthread_mutex_destroy(&w.lock);
    int rc = 0;
    if (!cli_get(o, "chunk")) {
        int64_t missing = write_csv(&s, dir);
        fprintf(stderr, "sweep %s: %lld points ran in %.2f s on %d threads, %lld were already done, %lld failed; "
                            "%s/results.csv has %lld rows\n",
                    s.name, (long long)(w.n_todo - w.failed), wall, nt, (long long)skipped, (long long)w.failed, dir,
                    (long long)(s.n_points - missing));
        if (cli_get(o, "check"))
            rc = check_points(&s, dir, cli_get(o, "check"), tol);
    }
    if (w.failed)
        rc = 1;
    free(w.todo);
    sw_free(&s);
    free(argv);
    return rc;
}
