/* sim/dram/traffic.c: traffic for the memory system alone (traffic.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/io.h"
#include "golden/base/rng.h"
#include "sim/engine/engine.h"
#include "sim/dram/traffic.h"

static void trace_push(dr_trace *t, dr_req_rec r)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 1024;
        t->v = es_xrealloc(t->v, t->cap * sizeof *t->v);
    }
    t->v[t->n++] = r;
}

void dr_trace_free(dr_trace *t)
{
    free(t->v);
    memset(t, 0, sizeof *t);
}

/* One unsigned number at *p (decimal, or hex with 0x); advances *p. */
static int parse_u64(const char **p, uint64_t *out)
{
    const char *s = *p;
    if (!isdigit((unsigned char)*s))
        return -1;
    int base = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10;
    if (base == 16 && !isxdigit((unsigned char)s[2]))
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, base);
    if (errno == ERANGE)
        return -1;
    if (*end && !isspace((unsigned char)*end) && *end != '#')
        return -1;
    *out = v;
    *p = end;
    return 0;
}

int dr_trace_parse(const char *name, const char *text, dr_trace *t, es_err *e)
{
    memset(t, 0, sizeof *t);
    int line = 1;
    uint64_t last = 0;
    const char *p = text;
    while (*p) {
        const char *ls = p;
        const char *le = strchr(p, '\n');
        if (!le)
            le = p + strlen(p);
#define COL(q) ((int)((q) - ls) + 1)
        while (p < le && (*p == ' ' || *p == '\t' || *p == '\r'))
            p++;
        if (p < le && *p != '#') {
            dr_req_rec r = {0, 0, 0};
            const char *q = p;
            if (parse_u64(&q, &r.arrival)) {
                dr_trace_free(t);
                return es_fail_at(e, name, line, COL(p), "expected an arrival cycle (unsigned integer), got '%.*s'",
                                  (int)strcspn(p, " \t\r\n"), p);
            }
            if (r.arrival > ((uint64_t)1 << 50)) {
                dr_trace_free(t);
                return es_fail_at(e, name, line, COL(p), "arrival cycle %llu is too large; expected at most 2^50",
                                  (unsigned long long)r.arrival);
            }
            if (r.arrival < last) {
                dr_trace_free(t);
                return es_fail_at(e, name, line, COL(p), "arrival cycle %llu is before the previous line's %llu; expected non-decreasing cycles",
                                  (unsigned long long)r.arrival, (unsigned long long)last);
            }
            last = r.arrival;
            while (q < le && (*q == ' ' || *q == '\t'))
                q++;
            if (q >= le || !(*q == 'R' || *q == 'W' || *q == 'r' || *q == 'w') ||
                (q + 1 < le && !isspace((unsigned char)q[1]))) {
                dr_trace_free(t);
                return es_fail_at(e, name, line, COL(q), "expected R or W, got '%.*s'", (int)strcspn(q, " \t\r\n"), q);
            }
            r.write = (*q == 'W' || *q == 'w');
            q++;
            while (q < le && (*q == ' ' || *q == '\t'))
                q++;
            const char *a = q;
            if (q >= le || parse_u64(&q, &r.addr)) {
                dr_trace_free(t);
                return es_fail_at(e, name, line, COL(a), "expected a byte address (decimal or 0x hex), got '%.*s'",
                                  (int)strcspn(a, " \t\r\n"), a);
            }
            while (q < le && (*q == ' ' || *q == '\t' || *q == '\r'))
                q++;
            if (q < le && *q != '#') {
                dr_trace_free(t);
                return es_fail_at(e, name, line, COL(q), "unexpected '%.*s' after the address; expected end of line",
                                  (int)strcspn(q, "\r\n"), q);
            }
            trace_push(t, r);
        }
#undef COL
        p = *le ? le + 1 : le;
        line++;
    }
    return 0;
}

int dr_trace_load(const char *path, dr_trace *t, es_err *e)
{
    char *text;
    size_t n;
    if (es_read_file(path, &text, &n, e))
        return -1;
    if (memchr(text, 0, n)) {
        free(text);
        return es_fail(e, "%s: binary file (NUL byte); expected a text trace", path);
    }
    int rc = dr_trace_parse(path, text, t, e);
    free(text);
    return rc;
}

uint64_t dr_capacity_bytes(const dr_spec *s)
{
    return (uint64_t)s->org.channels * (uint64_t)s->org.ranks * (uint64_t)(s->org.bankgroups * s->org.banks_per_group) *
           (uint64_t)s->org.rows * (uint64_t)s->org.row_bytes;
}

/* Completion times of the requests in flight, earliest first: the event
 * engine's queue (sim/engine), with a handler that does nothing (the driver
 * reads the popped time from en->now). */
static void completed(sim_engine *en, void *obj, int64_t arg)
{
    (void)en, (void)obj, (void)arg;
}

static void on_done(void *ctx, uint64_t id, uint64_t t)
{
    (void)id;
    sim_at(ctx, t, completed, NULL, 0);
}

int dr_run(const dr_spec *s, const dr_traffic *tr, dr_run_result *out, es_err *e)
{
    memset(out, 0, sizeof *out);
    dr_mem *m = dr_mem_new(s, tr->check);
    sim_engine inflight_done; /* only with an outstanding limit */
    sim_engine_init(&inflight_done);
    if (tr->outstanding > 0)
        dr_mem_on_done(m, on_done, &inflight_done);
    es_rng rng;
    es_rng_seed(&rng, tr->seed);
    uint64_t n = tr->kind == DR_TRAFFIC_TRACE ? tr->trace->n : tr->requests;
    uint64_t cap = dr_capacity_bytes(s), bursts = cap / (uint64_t)s->org.burst_bytes;
    uint64_t now = 0, inflight = 0;
    uint64_t addr = 0, arrival = 0, made = UINT64_MAX; /* request i, generated once */
    int write = 0;
    for (uint64_t i = 0; i < n;) {
        if (made != i) {
            if (tr->kind == DR_TRAFFIC_TRACE) {
                addr = tr->trace->v[i].addr % cap;
                write = tr->trace->v[i].write;
                arrival = tr->trace->v[i].arrival;
            } else {
                uint64_t burst = tr->kind == DR_TRAFFIC_STREAM ? i % bursts : es_rng_below(&rng, bursts);
                addr = burst * (uint64_t)s->org.burst_bytes;
                write = es_rng_double(&rng) >= tr->read_ratio;
            }
            made = i;
        }
        /* completions free the in-flight slots */
        while (tr->outstanding > 0 && inflight >= (uint64_t)tr->outstanding && sim_pending(&inflight_done)) {
            sim_step(&inflight_done);
            if (inflight_done.now > now)
                now = inflight_done.now;
            inflight--;
        }
        if (tr->outstanding > 0 && inflight >= (uint64_t)tr->outstanding) {
            dr_mem_advance(m, dr_mem_next_event(m)); /* the request in flight gets its column command */
            continue;
        }
        if (tr->kind != DR_TRAFFIC_TRACE)
            arrival = now;
        if (dr_mem_submit(m, addr, write, arrival, i)) {
            uint64_t t = dr_mem_next_event(m); /* queue full: wait for the next command */
            dr_mem_advance(m, t);
            if (t > now)
                now = t;
            continue;
        }
        inflight++;
        i++;
    }
    dr_mem_advance(m, DR_NEVER);
    out->cycles = dr_mem_last_done(m);
    dr_mem_finish(m, out->cycles);
    out->st = dr_mem_stats(m);
    for (int k = 0; k < DR_NCMD; k++)
        out->commands += out->st.cmds[k];
    if (tr->check) {
        const dr_stream *cs = dr_mem_stream(m);
        out->violations = dr_check(s, cs->v, cs->n, out->first, 4);
        out->checked = 1;
    }
    sim_engine_free(&inflight_done);
    dr_mem_free(m);
    (void)e;
    return 0;
}
