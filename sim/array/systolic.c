/* sim/array/systolic.c: fold-by-fold GEMM on a systolic array.
 *
 * The GEMM's spatial dimensions (Sr x Sc, see systolic.h) are cut into
 * ceil(Sr/R) x ceil(Sc/C) folds, walked row-fold outer.  Each fold is one
 * event pair on the engine (start, end); the array holds one fold at a time
 * (SA_NATIVE_FOLD_OVERLAP cycles of overlap).  Fast-forward: at the end of a
 * fold, if the engine holds no other event and the next folds are identical
 * to the one just done (same r x c), the state at their starts is the same
 * (an idle array), so all but the last of the run are skipped exactly: time
 * and counters advance by (skipped x one fold). */
#include "sim/array/systolic.h"

#include <string.h>

#include "sim/array/timing.h"
#include "sim/engine/engine.h"

int sa_parse_dataflow(const char *s, sa_dataflow *out)
{
    if (!strcmp(s, "os"))
        *out = SA_OS;
    else if (!strcmp(s, "ws"))
        *out = SA_WS;
    else if (!strcmp(s, "is"))
        *out = SA_IS;
    else
        return -1;
    return 0;
}

const char *sa_dataflow_name(sa_dataflow d) { return d == SA_OS ? "os" : d == SA_WS ? "ws" : "is"; }

/* Spatial rows, spatial cols and streamed length of the GEMM for a dataflow. */
static void dims(const sa_gemm *g, int64_t *sr, int64_t *sc, int64_t *t)
{
    switch (g->df) {
    case SA_OS: *sr = g->M, *sc = g->N, *t = g->K; break;
    case SA_WS: *sr = g->K, *sc = g->N, *t = g->M; break;
    default: *sr = g->K, *sc = g->M, *t = g->N; break;
    }
}

uint64_t sa_fold_cycles(const sa_gemm *g, int64_t r, int64_t c)
{
    int64_t sr, sc, t;
    dims(g, &sr, &sc, &t);
    if (g->timing == SA_TIMING_SCALESIM)
        return g->df == SA_OS ? SA_SCALESIM_OS_WINDOW(g->R, g->C, t) : SA_SCALESIM_WS_WINDOW(g->R, g->C, t);
    if (g->df == SA_OS)
        return SA_NATIVE_SKEW(r, c) + t + SA_NATIVE_OS_DRAIN(g->R, r);
    return SA_NATIVE_PRELOAD(g->R, r) + SA_NATIVE_SKEW(r, c) + t + SA_NATIVE_WS_DRAIN(g->R, r);
}

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

uint64_t sa_closed_form_cycles(const sa_gemm *g)
{
    int64_t sr, sc, t;
    dims(g, &sr, &sc, &t);
    int64_t fr = cdiv(sr, g->R), fc = cdiv(sc, g->C);
    if (g->timing == SA_TIMING_SCALESIM)
        return (uint64_t)(fr * fc) * sa_fold_cycles(g, g->R, g->C) + SA_SCALESIM_TAIL;
    /* native: four fold shapes (full/partial rows x full/partial cols) */
    int64_t rl = sr - (fr - 1) * g->R, cl = sc - (fc - 1) * g->C;
    uint64_t tot = 0;
    tot += (uint64_t)((fr - 1) * (fc - 1)) * sa_fold_cycles(g, g->R, g->C);
    tot += (uint64_t)(fr - 1) * sa_fold_cycles(g, g->R, cl);
    tot += (uint64_t)(fc - 1) * sa_fold_cycles(g, rl, g->C);
    tot += sa_fold_cycles(g, rl, cl);
    tot -= (uint64_t)(fr * fc - 1) * SA_NATIVE_FOLD_OVERLAP;
    return tot;
}

typedef struct sa_run {
    const sa_gemm *g;
    int64_t sr, sc, t, fr, fc;
    uint64_t idx, nfolds; /* next fold to start */
    sa_result *res;
    sa_fold_cb cb;
    void *ctx;
    int64_t last_r, last_c;
    uint64_t last_dur; /* duration of the last fold started */
    int failed;        /* the fold source reported an error (in err) */
    es_err err;
} sa_run;

/* Duration of a fold of r x c: the C model, or the fold source (asked once
 * per fold it simulates; a skipped fold repeats the last one's). */
static uint64_t fold_dur(sa_run *s, int64_t r, int64_t c)
{
    if (!s->g->fold_source)
        return sa_fold_cycles(s->g, r, c);
    if (s->failed)
        return 0;
    uint64_t d = s->g->fold_source(s->g->fold_ctx, s->g->df, r, c, s->t, &s->err);
    if (d == 0)
        s->failed = 1;
    return d;
}

static void fold_rc(const sa_run *s, uint64_t idx, int64_t *r, int64_t *c)
{
    int64_t i = (int64_t)idx / s->fc, j = (int64_t)idx % s->fc;
    *r = s->sr - i * s->g->R < s->g->R ? s->sr - i * s->g->R : s->g->R;
    *c = s->sc - j * s->g->C < s->g->C ? s->sc - j * s->g->C : s->g->C;
}

/* Counters of one fold (the same whether simulated or skipped). */
static void account(sa_run *s, int64_t r, int64_t c, uint64_t n)
{
    sa_result *o = s->res;
    double t = (double)s->t;
    o->busy_pe_cycles += n * (uint64_t)(r * c * s->t);
    o->macs += (double)n * (double)(r * c) * t;
    if (s->g->df == SA_OS) {
        o->sram_a_reads += n * (double)r * t, o->sram_b_reads += n * (double)c * t;
        o->sram_c_writes += n * (double)(r * c);
    } else {
        o->sram_b_reads += n * (double)(r * c);  /* stationary operand, once */
        o->sram_a_reads += n * (double)r * t;    /* streamed operand */
        o->sram_c_writes += n * (double)c * t;   /* outputs leaving the columns */
    }
}

/* Length of the run of folds identical to fold s->idx, whose shape is r x c
 * (fold s->idx included; the grid is walked row-fold outer).  Exact: when
 * every col-fold of a row-fold has the same width, a run from col-fold 0
 * extends over whole row-folds up to the partial last row-fold (or the end);
 * otherwise it ends at the row-fold's last full-width col-fold. */
static uint64_t identical_run(const sa_run *s, int64_t r, int64_t c)
{
    int64_t j0 = (int64_t)s->idx % s->fc;
    uint64_t run;
    if (s->fc == 1 || (j0 == 0 && c == s->g->C && s->sc % s->g->C == 0)) {
        /* whole rows of folds are identical: extend over row-folds */
        uint64_t end = s->nfolds;
        if (s->sr % s->g->R && r == s->g->R)
            end = (uint64_t)((s->fr - 1) * s->fc); /* stop before the partial row-fold */
        run = end > s->idx ? end - s->idx : 1;
    } else {
        run = (uint64_t)(s->fc - j0);
        if (s->sc % s->g->C)
            run -= 1; /* the last col-fold is partial */
        if (run == 0)
            run = 1;
    }
    return run;
}

static void fold_start(sim_engine *en, void *obj, int64_t arg);

static void fold_end(sim_engine *en, void *obj, int64_t arg)
{
    (void)arg;
    sa_run *s = obj;
    if (s->idx >= s->nfolds)
        return;
    int64_t r, c;
    fold_rc(s, s->idx, &r, &c);
    if (s->g->fast_forward && r == s->last_r && c == s->last_c && sim_pending(en) == 0) {
        /* The array is idle and the next fold equals the last one: skip all
         * but the last of the run of identical folds. */
        uint64_t run = identical_run(s, r, c);
        if (run > 1) {
            uint64_t skip = run - 1, dur = s->last_dur - SA_NATIVE_FOLD_OVERLAP;
            sim_engine_shift(en, skip * dur);
            account(s, r, c, skip);
            s->res->fast_forwarded_cycles += skip * dur;
            s->idx += skip;
        }
    }
    fold_start(en, s, 0);
}

static void fold_start(sim_engine *en, void *obj, int64_t arg)
{
    (void)arg;
    sa_run *s = obj;
    int64_t r, c;
    fold_rc(s, s->idx, &r, &c);
    uint64_t dur = fold_dur(s, r, c);
    s->last_dur = dur;
    if (s->cb)
        s->cb(s->ctx, en->now, dur, r, c);
    account(s, r, c, 1);
    s->res->folds_simulated++;
    s->last_r = r, s->last_c = c;
    s->idx++;
    uint64_t step = s->idx < s->nfolds ? dur - SA_NATIVE_FOLD_OVERLAP : dur;
    s->res->simulated_cycles += step;
    sim_at(en, en->now + step, fold_end, s, 0);
}

int sa_simulate(const sa_gemm *g, sa_result *out, sa_fold_cb cb, void *ctx, es_err *e)
{
    if (g->R < 1 || g->C < 1 || g->M < 1 || g->N < 1 || g->K < 1)
        return es_fail(e, "gemm: every size must be >= 1 (rows %lld, cols %lld, m %lld, n %lld, k %lld)",
                       (long long)g->R, (long long)g->C, (long long)g->M, (long long)g->N, (long long)g->K);
    memset(out, 0, sizeof *out);
    sa_run s = {.g = g, .res = out, .cb = cb, .ctx = ctx, .last_r = -1, .last_c = -1};
    dims(g, &s.sr, &s.sc, &s.t);
    s.fr = cdiv(s.sr, g->R), s.fc = cdiv(s.sc, g->C);
    s.nfolds = (uint64_t)(s.fr * s.fc);
    out->folds = s.nfolds;
    sim_engine en;
    sim_engine_init(&en);
    sim_at(&en, 0, fold_start, &s, 0);
    sim_run_all(&en);
    out->events = en.n_events;
    out->cycles = en.now;
    if (s.failed) {
        sim_engine_free(&en);
        return es_fail(e, "%s", s.err.msg);
    }
    if (g->timing == SA_TIMING_SCALESIM)
        out->cycles += SA_SCALESIM_TAIL; /* SCALE-Sim counts the last cycle's index */
    sim_engine_free(&en);

    double pe = (double)(g->R * g->C);
    out->utilization = out->macs / (pe * (double)out->cycles);
    out->mapping_eff = (double)(s.sr * s.sc) / ((double)s.nfolds * pe);
    if (g->timing == SA_TIMING_SCALESIM) {
        double w = g->df == SA_OS ? SA_SCALESIM_OS_UTILWIN(g->R, g->C, s.t) : SA_SCALESIM_WS_UTILWIN(g->R, g->C, s.t);
        out->compute_util = out->macs / (pe * (double)s.nfolds * w);
    } else {
        out->compute_util = out->utilization;
    }
    return 0;
}
