/* sim/engine/engine.c: binary min-heap of events keyed on (t, seq).  The seq
 * tie-break makes same-cycle events fire in posting order (deterministic). */
#include "sim/engine/engine.h"

#include <stdlib.h>
#include <string.h>

#include "golden/base/err.h"

void sim_engine_init(sim_engine *en) { memset(en, 0, sizeof *en); }

void sim_engine_free(sim_engine *en)
{
    free(en->heap);
    memset(en, 0, sizeof *en);
}

static int ev_less(const sim_event *a, const sim_event *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

void sim_at(sim_engine *en, uint64_t t, sim_handler fn, void *obj, int64_t arg)
{
    if (en->n == en->cap) {
        en->cap = en->cap ? en->cap * 2 : 64;
        en->heap = es_xrealloc(en->heap, en->cap * sizeof *en->heap);
    }
    sim_event ev = {t < en->now ? en->now : t, en->seq++, fn, obj, arg};
    size_t i = en->n++;
    while (i > 0) { /* sift up */
        size_t p = (i - 1) / 2;
        if (!ev_less(&ev, &en->heap[p]))
            break;
        en->heap[i] = en->heap[p];
        i = p;
    }
    en->heap[i] = ev;
}

static sim_event pop(sim_engine *en)
{
    sim_event top = en->heap[0];
    sim_event last = en->heap[--en->n];
    size_t i = 0;
    for (;;) { /* sift down */
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const sim_event *best = &last;
        if (l < en->n && ev_less(&en->heap[l], best))
            m = l, best = &en->heap[l];
        if (r < en->n && ev_less(&en->heap[r], best))
            m = r;
        if (m == i)
            break;
        en->heap[i] = en->heap[m];
        i = m;
    }
    if (en->n)
        en->heap[i] = last;
    return top;
}

int sim_step(sim_engine *en)
{
    if (!en->n)
        return 0;
    sim_event ev = pop(en);
    en->now = ev.t;
    en->n_events++;
    ev.fn(en, ev.obj, ev.arg);
    return 1;
}

void sim_run_all(sim_engine *en)
{
    while (sim_step(en))
        ;
}

void sim_engine_shift(sim_engine *en, uint64_t dt)
{
    en->now += dt;
    for (size_t i = 0; i < en->n; i++)
        en->heap[i].t += dt;
}

size_t sim_pending(const sim_engine *en) { return en->n; }
