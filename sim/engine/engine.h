/* sim/engine/engine.h: the discrete-event engine (DESIGN §5).
 *
 * A time-ordered queue of events (binary heap keyed on (cycle, insertion
 * sequence)): events at the same cycle fire in the order they were posted,
 * so a run is deterministic.  There is no per-cycle tick: time jumps from one
 * event to the next, idle time costs nothing.
 *
 * Contract: time is in cycles of the one chip clock.  A handler may post new
 * events at times >= now (never in the past).  The engine owns nothing but
 * its heap; `obj` pointers belong to the components.  sim_engine_shift moves
 * now and every pending event by the same amount (exact fast-forward keeps
 * the heap order, so it is a plain add). */
#ifndef SIM_ENGINE_H
#define SIM_ENGINE_H

#include <stddef.h>
#include <stdint.h>

typedef struct sim_engine sim_engine;
typedef void (*sim_handler)(sim_engine *en, void *obj, int64_t arg);

typedef struct sim_event {
    uint64_t t, seq;
    sim_handler fn;
    void *obj;
    int64_t arg;
} sim_event;

struct sim_engine {
    uint64_t now;
    uint64_t seq;      /* next insertion sequence number (tie-break) */
    uint64_t n_events; /* events fired so far */
    sim_event *heap;
    size_t n, cap;
};

void sim_engine_init(sim_engine *en);
void sim_engine_free(sim_engine *en);
/* Post fn(obj, arg) at absolute cycle t (t < now is clamped to now). */
void sim_at(sim_engine *en, uint64_t t, sim_handler fn, void *obj, int64_t arg);
/* Fire the earliest event; 0 when the queue is empty. */
int sim_step(sim_engine *en);
/* Fire events until the queue is empty. */
void sim_run_all(sim_engine *en);
/* Fast-forward: now += dt and every pending event's time += dt. */
void sim_engine_shift(sim_engine *en, uint64_t dt);
size_t sim_pending(const sim_engine *en);

#endif
