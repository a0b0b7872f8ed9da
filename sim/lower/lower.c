/* sim/lower/lower.c: mapping -> tile program (see lower.h and
 * docs/simulator.md for the conventions).  Sizes: tensor bytes are elements
 * x arch word_bytes; `rep` (the repeat instances, B x H for attention) is a
 * rank of every tensor except weights. */
#include "sim/lower/lower.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mapper/catalog.h"
#include "mapper/cost.h"
#include "mapper/resolve.h"
#include "sim/buf/buffer.h"

/* DRAM reads are issued this many steps (epochs) before the first Einsum
 * that needs them: double-buffered prefetch, deep enough that a buffer
 * block of Q (FuseMax: P1 x 256 x E values) loads behind the epochs of the
 * previous block. */
#define SIM_PREFETCH_STEPS 4

typedef struct tloop {
    char rank[MP_ENAME], base[MP_ENAME];
    int64_t f;
    int dram; /* at the off-chip level */
} tloop;

/* An Einsum of the group being lowered. */
typedef struct eop {
    const mp_einsum_desc *d;
    int op; /* index in sg->ops */
    int stage, phase, order, cat;
} eop;

typedef struct gctx {
    const mp_arch *a;
    const mp_cascade_map *c;
    const mp_group *g;
    const mp_cascade_desc *cd;
    int nl;
    tloop l[SP_MAX_LOOPS];
    const mp_loop *rows, *cols; /* PE-level spatial loops */
    sim_lowered *lw;
    sp_group *sg;
    es_err *e;
    int ne;                   /* Einsums lowered so far, in issue order */
    eop ev[MP_MAX_EINSUMS];
} gctx;

static void base_of(const char *r, char *b) { mp_rank_base(r, b, MP_ENAME); }

/* Same rank, or one is the unsplit parent of the other ("m" covers the
 * loops m1 and m0; "m1" and "m0" are different ranks). */
static int rank_match(const char *a, const char *b)
{
    if (!strcmp(a, b))
        return 1;
    char ba[MP_ENAME], bb[MP_ENAME];
    base_of(a, ba), base_of(b, bb);
    if (strcmp(ba, bb))
        return 0;
    return !strcmp(a, ba) || !strcmp(b, bb);
}

static int64_t rank_size(const mp_cascade_map *c, const char *base)
{
    int64_t s = mp_cmap_rank(c, base);
    if (s > 0)
        return s;
    int64_t p = 1, found = 0;
    char b[MP_ENAME];
    for (int i = 0; i < c->n_ranks; i++) {
        base_of(c->ranks[i].rank, b);
        if (!strcmp(b, base))
            p *= c->ranks[i].size, found = 1;
    }
    return found ? p : 1;
}

/* Tile extent of a base rank: its size over the factors of the tile loops. */
static int64_t extent(const gctx *x, const char *rank)
{
    if (!strcmp(rank, "rep"))
        return 1;
    int64_t s = mp_cmap_rank(x->c, rank), f = 1;
    if (s <= 0)
        s = rank_size(x->c, rank);
    for (int i = 0; i < x->nl; i++)
        if (rank_match(x->l[i].rank, rank) && (strcmp(x->l[i].rank, rank) == 0 || strchr("0123456789", rank[strlen(rank) - 1]) == NULL))
            f *= x->l[i].f;
    return (s + f - 1) / f;
}

static int in_list(const char *const *list, const char *rank)
{
    for (int i = 0; list[i]; i++)
        if (rank_match(list[i], rank))
            return 1;
    return 0;
}

static int is_rel(const mp_tensor_desc *t, const char *rank)
{
    if (!strcmp(rank, "rep"))
        return t->role != MP_T_WEIGHT;
    return in_list(t->ranks, rank);
}

/* Elements of a tensor: per tile (its ranks at their tile extents), or the
 * whole tensor over all instances (full). */
static double elems(const gctx *x, const mp_tensor_desc *t, int full)
{
    double n = full && t->role != MP_T_WEIGHT ? (double)x->c->repeat : 1;
    for (int i = 0; t->ranks[i]; i++) {
        int dup = 0;
        for (int j = 0; j < i; j++)
            dup |= !strcmp(t->ranks[j], t->ranks[i]);
        if (dup)
            continue;
        if (!full)
            n *= (double)extent(x, t->ranks[i]);
        else {
            int64_t sz = mp_cmap_rank(x->c, t->ranks[i]);
            n *= (double)(sz > 0 ? sz : rank_size(x->c, t->ranks[i]));
        }
    }
    return n;
}
static double tile_elems(const gctx *x, const mp_tensor_desc *t) { return elems(x, t, 0); }
static double full_elems(const gctx *x, const mp_tensor_desc *t) { return elems(x, t, 1); }

/* Structural caps hit while building ops (where no es_err is at hand):
 * the first is kept and sim_lower fails with it. */
static void lw_overflow(sim_lowered *lw, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void lw_overflow(sim_lowered *lw, const char *fmt, ...)
{
    if (lw->overflow[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lw->overflow, sizeof lw->overflow, fmt, ap);
    va_end(ap);
}

static void add_dep(sim_lowered *lw, sp_group *sg, int op, int on, int lag)
{
    if (sp_group_add_dep(sg, op, on, lag))
        lw_overflow(lw, "invalid mapping: op %s of group %s has more than %d dependencies (SP_MAX_DEPS)",
                    sg->ops[op].name, sg->name, SP_MAX_DEPS);
}

/* The energy action `action` on `component`, charged as class cls (the
 * caller knows whether it charges compute, a register file, the buffer or
 * DRAM), registered on first use. */
static int act_index(sim_lowered *lw, const mp_arch *a, const char *action, const char *component,
                     mp_acct_class cls)
{
    sp_prog *p = &lw->prog;
    for (int i = 0; i < p->nacts; i++)
        if (lw->act_cls[i] == cls && !strcmp(p->act_names[i], action) && !strcmp(lw->act_component[i], component))
            return i;
    if (p->nacts == (int)(sizeof p->act_names / sizeof *p->act_names)) {
        lw_overflow(lw, "arch %s: more than %d distinct energy actions in one run (SP_MAX_ACTS; at %s on %s)", a->name,
                    (int)(sizeof p->act_names / sizeof *p->act_names), action, component);
        return p->nacts - 1;
    }
    int i = p->nacts++;
    snprintf(p->act_names[i], sizeof p->act_names[i], "%s", action);
    snprintf(lw->act_component[i], sizeof lw->act_component[i], "%s", component);
    double pj = mp_energy_of(&a->energy, action);
    lw->act_pj[i] = pj > 0 ? pj : 0;
    /* counts stay raw (words, bytes); mp_energy_charge turns them into actions */
    lw->act_cls[i] = cls;
    return i;
}

static void op_act(sim_lowered *lw, const mp_arch *a, sp_op *op, mp_acct_class cls, const char *action,
                   const char *comp, double n)
{
    if (!action[0] || n <= 0)
        return;
    int k = act_index(lw, a, action, comp, cls);
    for (int i = 0; i < op->n_act; i++)
        if (op->act[i] == k) {
            op->act_n[i] += n;
            return;
        }
    if (op->n_act == SP_MAX_ACT) {
        lw_overflow(lw, "arch %s: op %s charges more than %d energy actions (SP_MAX_ACT)", a->name, op->name,
                    SP_MAX_ACT);
        return;
    }
    op->act[op->n_act] = k;
    op->act_n[op->n_act++] = n;
}

/* The component of a unit, bound through the registry on first use; -1 + e. */
static int comp_of_unit(sim_lowered *lw, const mp_arch *a, const mp_unit *u, es_err *e)
{
    sp_prog *p = &lw->prog;
    for (int i = 0; i < p->ncomps; i++)
        if (!strcmp(p->comp_names[i], u->name))
            return i;
    if (p->ncomps == SP_MAX_COMPS)
        return es_fail(e, "arch %s: more than %d simulated components (units + memory, SP_MAX_COMPS)", a->name,
                       SP_MAX_COMPS);
    int i = p->ncomps;
    if (sim_comp_bind(&lw->comps[i], u->name, u->def, a, u, e))
        return -1;
    p->ncomps++;
    snprintf(p->comp_names[i], sizeof p->comp_names[i], "%s", u->name);
    return i;
}

static int report_einsum(sim_lowered *lw, const gctx *x, const char *name, int comp)
{
    sp_prog *p = &lw->prog;
    char full[24];
    if (!mp_cascade_is_attention(x->c->cascade)) /* several linear layers, norms...: name each */
        snprintf(full, sizeof full, "%s.%s", x->c->label, name);
    else
        snprintf(full, sizeof full, "%s", name);
    for (int i = 0; i < p->neinsums; i++)
        if (!strcmp(p->einsum_names[i], full) && p->einsum_comp[i] == comp)
            return i;
    if (p->neinsums == (int)(sizeof p->einsum_names / sizeof *p->einsum_names)) {
        lw_overflow(lw, "workload has more than %d distinct Einsum names to report (SP_MAX_EINSUMS; at %s)",
                    (int)(sizeof p->einsum_names / sizeof *p->einsum_names), full);
        return p->neinsums - 1;
    }
    int i = p->neinsums++;
    snprintf(p->einsum_names[i], sizeof p->einsum_names[i], "%s", full);
    p->einsum_comp[i] = comp;
    return i;
}

/* ---- loops ---------------------------------------------------------------- */
static int collect_loops(gctx *x)
{
    const mp_group *g = x->g;
    int pe = -1;
    for (int i = 0; i < g->n_levels; i++)
        if (!strcmp(g->levels[i].store, "pe"))
            pe = i;
    if (pe < 0)
        pe = g->n_levels - 1;
    int64_t rep = 1;
    for (int li = 0; li < g->n_levels; li++) {
        const mp_level *lv = &g->levels[li];
        for (int k = 0; k < lv->n; k++) {
            const mp_loop *lp = &lv->loops[k];
            if (lp->factor <= 0)
                return es_fail(x->e, "invalid mapping: group %s: loop %s has an unresolved factor (auto)", g->name,
                               lp->rank);
            if (li == pe) {
                if (lp->kind == MP_LOOP_SPATIAL_ROWS && !x->rows)
                    x->rows = lp;
                if (lp->kind == MP_LOOP_SPATIAL_COLS && !x->cols)
                    x->cols = lp;
                continue;
            }
            char b[MP_ENAME];
            base_of(lp->rank, b);
            if (!strcmp(b, "rep"))
                rep *= lp->factor;
            if (lp->factor == 1)
                continue;
            if (x->nl == SP_MAX_LOOPS - 1)
                return es_fail(x->e, "invalid mapping: group %s: more than %d tile loops", g->name, SP_MAX_LOOPS - 1);
            tloop *t = &x->l[x->nl++];
            snprintf(t->rank, sizeof t->rank, "%s", lp->rank);
            snprintf(t->base, sizeof t->base, "%s", b);
            t->f = lp->factor;
            t->dram = li == 0;
        }
    }
    if (x->c->repeat > rep) {
        if (x->c->repeat % rep)
            return es_fail(x->e, "invalid mapping: group %s: rep loops cover %lld of %lld instances", g->name,
                           (long long)rep, (long long)x->c->repeat);
        memmove(&x->l[1], &x->l[0], (size_t)x->nl * sizeof x->l[0]);
        snprintf(x->l[0].rank, MP_ENAME, "rep");
        snprintf(x->l[0].base, MP_ENAME, "rep");
        x->l[0].f = x->c->repeat / rep, x->l[0].dram = 1;
        x->nl++;
    }
    sp_group *sg = x->sg;
    sg->nloops = x->nl;
    for (int i = 0; i < x->nl; i++) {
        snprintf(sg->loop_rank[i], sizeof sg->loop_rank[i], "%s", x->l[i].rank);
        sg->factor[i] = x->l[i].f;
    }
    return 0;
}

/* Loops (bit mask) that an Einsum with this space runs only the last
 * iteration of: loops over ranks absent from its space. */
static uint32_t last_mask_of(const gctx *x, const char *const *space)
{
    uint32_t m = 0;
    for (int i = 0; i < x->nl; i++)
        if (strcmp(x->l[i].base, "rep") && !in_list(space, x->l[i].rank))
            m |= 1u << i;
    return m;
}

static int name_in(char (*list)[MP_ENAME], int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(list[i], s))
            return 1;
    return 0;
}

/* DRAM transfer activity of a tensor: index of the innermost loop of its
 * refetch set (relevant DRAM loops, and irrelevant DRAM loops enclosing a
 * relevant one); -1 when the set is empty. */
static int refetch_inner(const gctx *x, const mp_tensor_desc *t, double *dram_tiles)
{
    int inner = -1, any_rel_inside = 0;
    *dram_tiles = 1;
    for (int i = x->nl - 1; i >= 0; i--) {
        if (!x->l[i].dram)
            continue;
        int rel = is_rel(t, x->l[i].rank);
        if (rel)
            *dram_tiles *= (double)x->l[i].f;
        if (rel || any_rel_inside) {
            if (inner < 0)
                inner = i;
        }
        any_rel_inside |= rel;
    }
    return inner;
}


/* Distance in tile steps between an iteration of the iterative loop and the
 * next (the innermost tile loop over a rank of the Einsum's space that the
 * running tensor lacks: m1 for RM, RD, RNV); 0 when there is none. */
static int64_t carried_len(const gctx *x, const mp_tensor_desc *t, const char *const *space)
{
    int64_t len = 1;
    for (int l = x->nl - 1; l >= 0; l--) {
        if (!is_rel(t, x->l[l].rank) && in_list(space, x->l[l].rank))
            return len;
        len *= x->l[l].f;
    }
    return 0;
}

/* ---- one group ------------------------------------------------------------- */
/* Issue order of the group's Einsums, per schedule: every Einsum once, with
 * its interleaved phase (0 for the other schedules).  Returns the count. */
static int order_group(const gctx *x, const char **order, int *phase_of)
{
    (void)phase_of;
    for (int i = 0; i < x->g->n_einsums; i++)
        order[i] = x->g->einsums[i];
    return x->g->n_einsums;
}

static int order_phases(const gctx *x, const char **order, int *phase_of)
{
    const mp_group *g = x->g;
    int n = 0;
    for (int p = 0; p < g->n_phases; p++)
        for (int s = 0; s < g->phases[p].n; s++)
            for (int k = 0; k < g->phases[p].slots[s].slot.n; k++) {
                phase_of[n] = p;
                order[n++] = g->phases[p].slots[s].slot.einsums[k];
            }
    return n;
}

static int einsum_comp(const gctx *x, const eop *v) { return x->sg->ops[v->op].comp; }

/* Same-step rule of a schedule: may Einsum j (earlier in the cascade) hand
 * its value to Einsum i within one step?  Any order within a step works
 * when the step's ops wait for their inputs; interleaved epochs run phase
 * after phase, and within a phase only the slot order of one unit. */
static int any_same_step(const gctx *x, const eop *j, const eop *i)
{
    (void)x, (void)j, (void)i;
    return 1;
}

static int interleaved_same_step(const gctx *x, const eop *j, const eop *i)
{
    return j->phase < i->phase || (j->phase == i->phase && j->order < i->order && einsum_comp(x, j) == einsum_comp(x, i));
}

typedef struct sched_ops sched_ops;
/* Does Einsum j's write precede Einsum i's read of the same tile? */
static int runs_before(const gctx *x, const sched_ops *s, const eop *j, const eop *i);

/* Einsum i reads Einsum j's output. */
static int reads_output_of(const eop *i, const eop *j)
{
    for (int k = 0; i->d->in[k]; k++)
        if (!strcmp(i->d->in[k], j->d->out))
            return 1;
    return 0;
}

/* Einsum i reads tensor `tn`. */
static int reads(const eop *i, const char *tn)
{
    for (int k = 0; i->d->in[k]; k++)
        if (!strcmp(i->d->in[k], tn))
            return 1;
    return 0;
}

/* Stages per schedule.  Sequential: every Einsum at stage 0 (one tile at a
 * time).  Interleaved: the mapping's lag per Einsum; an Einsum outside an
 * inner tile loop (AV after the last m1) runs in the epoch after its
 * producers' last tile when its slot would precede them (mapping.h). */
static void stages_none(gctx *x, const sched_ops *s)
{
    (void)x, (void)s;
}

static void stages_interleaved(gctx *x, const sched_ops *s)
{
    eop *ev = x->ev;
    for (int i = 0; i < x->ne; i++) {
        int gi = -1;
        for (int k = 0; k < x->g->n_einsums; k++)
            if (!strcmp(x->g->einsums[k], ev[i].d->name))
                gi = k;
        ev[i].stage = gi >= 0 ? x->g->lag[gi] : 0;
    }
    for (int i = 0; i < x->ne; i++) {
        if (!mp_einsum_outside_inner(x->g, ev[i].d))
            continue;
        for (int j = 0; j < x->ne; j++)
            if (ev[j].cat < ev[i].cat && reads_output_of(&ev[i], &ev[j]) && !runs_before(x, s, &ev[j], &ev[i]))
                ev[i].stage = ev[j].stage + 1;
    }
}

/* Pipelined: producers first, +1 stage across units; then a consumer of a
 * previous iteration's value (SPNV reads RNV of m1-1) starts late enough
 * that the value exists (the distance in steps of the iterative loop must
 * exceed the stage difference); repeat until stable. */
static void stages_pipelined(gctx *x, const sched_ops *s)
{
    (void)s;
    eop *ev = x->ev;
    int ne = x->ne;
    for (int round = 0; round < 16; round++) {
        int changed = 0;
        for (int i = 0; i < ne; i++)
            for (int j = 0; j < ne; j++) {
                if (ev[j].cat >= ev[i].cat)
                    continue;
                for (int k = 0; ev[i].d->in[k]; k++)
                    if (!strcmp(ev[i].d->in[k], ev[j].d->out)) {
                        int st = ev[j].stage + (einsum_comp(x, &ev[j]) != einsum_comp(x, &ev[i]));
                        if (st > ev[i].stage)
                            ev[i].stage = st, changed = 1;
                    }
            }
        for (int i = 0; i < ne; i++)
            for (int j = 0; j < ne; j++) {
                if (ev[j].cat < ev[i].cat)
                    continue;
                for (int k = 0; ev[i].d->in[k]; k++) {
                    const mp_tensor_desc *t = mp_catalog_tensor(x->cd, ev[i].d->in[k]);
                    if (strcmp(ev[i].d->in[k], ev[j].d->out) || !t || t->role != MP_T_RUNNING)
                        continue;
                    int64_t len = carried_len(x, t, ev[i].d->space);
                    if (len > 0 && len + ev[i].stage - ev[j].stage <= 0)
                        ev[i].stage = (int)(ev[j].stage - len + 1), changed = 1;
                }
            }
        if (!changed)
            break;
    }
}

/* After the data dependencies.  Interleaved: a barrier between phases. */
static int finish_interleaved(gctx *x)
{
    for (int i = 0; i < x->ne; i++)
        for (int j = 0; j < x->ne; j++)
            if (x->ev[j].phase == x->ev[i].phase - 1 && sp_group_add_dep(x->sg, x->ev[i].op, x->ev[j].op, 0))
                return es_fail(x->e, "invalid mapping: group %s: Einsum %s has more than %d dependencies",
                               x->g->name, x->ev[i].d->name, SP_MAX_DEPS);
    return 0;
}

/* Sequential: one tile at a time (window 1): the tile is produced and
 * consumed before the next one enters, its Einsums start when their inputs
 * are ready (units work concurrently inside the tile), and it pays the
 * fill/drain of its arrays once (the largest fill_cycles among its units).
 * An Einsum outside the innermost tile loop (AV, once its m1 fibre is
 * complete) belongs to no single tile: the next tile may enter while it
 * runs, subject to its unit (FIFO) and its dependencies, so it does not
 * hold the step open (docs/cycles.md). */
static int finish_sequential(gctx *x)
{
    sp_group *sg = x->sg;
    if (!x->ne)
        return 0;
    int fill = 0;
    for (int i = 0; i < x->ne; i++) {
        const mp_unit *u = mp_arch_unit(x->a, x->lw->prog.comp_names[sg->ops[x->ev[i].op].comp]);
        if (u && u->fill_cycles > fill)
            fill = u->fill_cycles;
    }
    sg->ops[x->ev[0].op].cycles += (uint64_t)fill;
    for (int i = 0; i < x->ne; i++)
        if (mp_einsum_outside_inner(x->g, x->ev[i].d))
            sg->ops[x->ev[i].op].async = 1;
    return 0;
}

/* The schedules of mapping.h, one entry per mp_sched_kind. */
struct sched_ops {
    mp_sched_kind kind;
    int (*order)(const gctx *x, const char **order, int *phase_of);
    void (*stages)(gctx *x, const sched_ops *s);
    int (*same_step)(const gctx *x, const eop *j, const eop *i);
    int (*finish)(gctx *x); /* NULL: nothing */
    int window;             /* steps in flight */
};

static const sched_ops schedules[] = {
    {MP_SCHED_SEQUENTIAL, order_group, stages_none, any_same_step, finish_sequential, 1},
    {MP_SCHED_PIPELINED, order_group, stages_pipelined, any_same_step, NULL, 2},
    {MP_SCHED_INTERLEAVED, order_phases, stages_interleaved, interleaved_same_step, finish_interleaved, 1},
};

static const sched_ops *sched_of(mp_sched_kind k)
{
    for (size_t i = 0; i < sizeof schedules / sizeof *schedules; i++)
        if (schedules[i].kind == k)
            return &schedules[i];
    return NULL;
}

static int runs_before(const gctx *x, const sched_ops *s, const eop *j, const eop *i)
{
    return j->stage < i->stage || (j->stage == i->stage && s->same_step(x, j, i));
}

/* ---- one Einsum's tile op ---------------------------------------------------- */
/* Points of one tile of Einsum d (extents padded to the spatial factors rf
 * on rank rb and cf on cb: a ragged tile costs the array a whole tile), and
 * the ratio of real points to padded ones over the whole group (ops and
 * compute energy count real points). */
static double tile_points(const gctx *x, const mp_einsum_desc *d, const char *rb, int64_t rf, const char *cb,
                          int64_t cf, double *real_ratio)
{
    char seen[MP_CAT_RANKS][MP_ENAME];
    int ns = 0;
    for (int k = 0; d->space[k]; k++) {
        const char *b = d->space[k];
        int dup = 0;
        for (int j = 0; j < ns; j++)
            dup |= !strcmp(seen[j], b);
        if (!dup)
            snprintf(seen[ns++], MP_ENAME, "%s", b);
    }
    double tiles = 1, pts = 1;
    for (int k = 0; k < ns; k++) {
        double ext = (double)extent(x, seen[k]);
        int64_t sf = (rf > 1 && !strcmp(seen[k], rb)) ? rf : (cf > 1 && !strcmp(seen[k], cb)) ? cf : 1;
        pts *= ceil(ext / (double)sf) * (double)sf;
    }
    for (int l = 0; l < x->nl; l++)
        if (!strcmp(x->l[l].base, "rep") || in_list(d->space, x->l[l].rank))
            tiles *= (double)x->l[l].f;
    double real = mp_einsum_real_points(x->c, d);
    *real_ratio = real != pts * tiles && pts * tiles > 0 ? real / (pts * tiles) : 1;
    return pts;
}

/* Busy cycles of one tile on unit u: points over the PEs the tile spans,
 * times the op's cycles, plus log2 of a reduction along a spatial rank the
 * unit has no inter-PE network for. */
static uint64_t tile_cycles(const mp_unit *u, const mp_op_cost *oc, const mp_tensor_desc *to, double pts,
                            const char *rb, int64_t rf, const char *cb, int64_t cf)
{
    double pes;
    if (u->kind == MP_UNIT_ARRAY2D)
        pes = (double)(rf < u->rows ? rf : u->rows) * (double)(cf < u->cols ? cf : u->cols);
    else {
        int64_t f = cf * rf; /* both spatial ranks spread over the lanes, as the cost model */
        pes = (double)(f < u->cols ? f : u->cols);
    }
    uint64_t cyc = (uint64_t)ceil(pts / pes) * (uint64_t)oc->cycles;
    if (!u->spatial_reduce && to) {
        int64_t sp = 1;
        if (rf > 1 && !in_list(to->ranks, rb))
            sp *= rf;
        if (cf > 1 && !in_list(to->ranks, cb) && u->kind == MP_UNIT_ARRAY2D)
            sp *= cf;
        if (sp > 1)
            cyc += (uint64_t)ceil(log2((double)sp));
    }
    return cyc;
}

/* Energy actions of one tile (compute, register file, global buffer) and
 * the buffer's port time, which bounds the tile when it exceeds the array's. */
static void charge_tile(gctx *x, sp_op *op, const mp_einsum_desc *d, const mp_unit *u, const mp_op_cost *oc,
                        const mp_tensor_desc *to, double real_pts)
{
    const mp_arch *a = x->a;
    sim_lowered *lw = x->lw;
    for (int k = 0; k < oc->n_actions; k++)
        op_act(lw, a, op, MP_ACCT_COMPUTE, oc->actions[k].action, u->name, real_pts * oc->actions[k].count);
    const mp_store *rf_s = mp_arch_regfile(a, u->name);
    int nin = 0;
    for (int k = 0; d->in[k]; k++)
        nin++;
    if (rf_s) {
        op_act(lw, a, op, MP_ACCT_REGFILE, rf_s->read_action, rf_s->name, real_pts * nin);
        op_act(lw, a, op, MP_ACCT_REGFILE, rf_s->write_action, rf_s->name, real_pts);
    }
    const mp_store *gb = mp_arch_buffer(a);
    if (!gb)
        return;
    /* energy counts words (mapper/account.h converts); a port moves one row
     * of width_bits per cycle */
    double wpr = gb->width_bits > 0 ? gb->width_bits / (8.0 * a->word_bytes) : 1;
    double rw = 0, ww = 0, rrows = 0, wrows = 0;
    for (int k = 0; d->in[k]; k++) {
        const mp_tensor_desc *t = mp_catalog_tensor(x->cd, d->in[k]);
        if (t && t->role != MP_T_TILE && !mp_group_bypasses(x->cd, x->g, t->name, 1))
            rw += tile_elems(x, t), rrows += ceil(tile_elems(x, t) / wpr);
    }
    if (to && to->role != MP_T_TILE && !mp_group_bypasses(x->cd, x->g, to->name, 0))
        ww += tile_elems(x, to), wrows += ceil(tile_elems(x, to) / wpr);
    op_act(lw, a, op, MP_ACCT_BUFFER, gb->read_action, gb->name, rw);
    op_act(lw, a, op, MP_ACCT_BUFFER, gb->write_action, gb->name, ww);
    uint64_t port = sim_buf_port_cycles(gb, rrows, wrows);
    if (port > op->cycles) /* the buffer's ports, not the array, bound this tile */
        op->cycles = port;
}

/* A new op of the group, zeroed; NULL + e when the group is full. */
static sp_op *new_op(gctx *x)
{
    if (x->sg->nops == SP_MAX_OPS) {
        es_fail(x->e, "invalid mapping: group %s (cascade %s) lowers to more than %d ops", x->g->name, x->c->label,
                SP_MAX_OPS);
        return NULL;
    }
    sp_op *op = &x->sg->ops[x->sg->nops++];
    memset(op, 0, sizeof *op);
    return op;
}

/* The tile op of Einsum `name` (the order-th in issue order, in `phase`),
 * appended to the group and to x->ev. */
static int einsum_tile_op(gctx *x, const char *name, int phase, int order)
{
    const mp_group *g = x->g;
    const mp_arch *a = x->a;
    es_err *e = x->e;
    const mp_einsum_desc *d = mp_catalog_einsum(x->cd, name);
    if (!d)
        return es_fail(e, "invalid mapping: cascade %s has no Einsum %s (group %s)", x->c->cascade, name, g->name);
    const char *uname = mp_cmap_unit_of(x->c, name);
    if (!uname)
        return es_fail(e, "invalid mapping: Einsum %s (group %s) is not bound to a unit", name, g->name);
    const mp_unit *u = mp_arch_unit(a, uname);
    if (!u)
        return es_fail(e, "invalid mapping: Einsum %s is bound to unit '%s', which arch %s does not have", name,
                       uname, a->name);
    const mp_op_cost *oc = mp_unit_op(u, d->op);
    if (!oc)
        return es_fail(e, "invalid mapping: Einsum %s (tile 0) is bound to %s, which lacks op %s", name, uname,
                       mp_op_name(d->op));
    int comp = comp_of_unit(x->lw, a, u, e);
    if (comp < 0)
        return -1;
    const char *rb = x->rows ? x->rows->rank : "", *cb = x->cols ? x->cols->rank : "";
    int64_t rf = x->rows && in_list(d->space, rb) ? x->rows->factor : 1;
    int64_t cf = x->cols && in_list(d->space, cb) ? x->cols->factor : 1;
    double real_ratio;
    double pts = tile_points(x, d, rb, rf, cb, cf, &real_ratio);
    const mp_tensor_desc *to = mp_catalog_tensor(x->cd, d->out);
    int oi = x->sg->nops;
    sp_op *op = new_op(x);
    if (!op)
        return -1;
    snprintf(op->name, sizeof op->name, "%s", name);
    op->comp = comp;
    op->einsum = report_einsum(x->lw, x, name, comp);
    op->cycles = tile_cycles(u, oc, to, pts, rb, rf, cb, cf);
    op->ops = pts * real_ratio;
    op->last_mask = last_mask_of(x, d->space);
    charge_tile(x, op, d, u, oc, to, pts * real_ratio);
    x->ev[x->ne++] = (eop){d, oi, 0, phase, order, mp_catalog_einsum_index(x->cd, name)};
    return 0;
}

/* ---- dependencies ------------------------------------------------------------ */
/* Every read of a value an Einsum of the group writes: within the tile (the
 * producer must run before the consumer under the schedule), or of the
 * previous iteration of the iterative loop (a running tensor: the value
 * must exist by then).  Violations are errors naming the Einsums. */
static int data_deps(gctx *x, const sched_ops *s)
{
    eop *ev = x->ev;
    const mp_group *g = x->g;
    es_err *e = x->e;
    for (int i = 0; i < x->ne; i++) {
        for (int k = 0; ev[i].d->in[k]; k++) {
            const char *tn = ev[i].d->in[k];
            const mp_tensor_desc *t = mp_catalog_tensor(x->cd, tn);
            for (int j = 0; j < x->ne; j++) {
                if (strcmp(ev[j].d->out, tn))
                    continue;
                int same_tile = ev[j].cat < ev[i].cat; /* else: reads the previous iteration's value */
                if (same_tile) {
                    if (!runs_before(x, s, &ev[j], &ev[i]))
                        return es_fail(e, "invalid mapping: dependency violation in group %s: Einsum %s (tile 0, "
                                          "epoch %d) reads %s before Einsum %s writes it (epoch %d)",
                                       g->name, ev[i].d->name, ev[i].stage, tn, ev[j].d->name, ev[j].stage);
                    if (sp_group_add_dep(x->sg, ev[i].op, ev[j].op, ev[i].stage - ev[j].stage))
                        return es_fail(e, "invalid mapping: group %s: Einsum %s has more than %d dependencies",
                                       g->name, ev[i].d->name, SP_MAX_DEPS);
                } else if (t && t->role == MP_T_RUNNING) {
                    /* loop-carried: the previous iteration of the iterative
                     * loop (the innermost tile loop over a rank of the
                     * Einsum's space that the tensor lacks) */
                    int64_t len = carried_len(x, t, ev[i].d->space);
                    if (len > 0 && len + ev[i].stage - ev[j].stage <= 0)
                        return es_fail(e, "invalid mapping: dependency violation in group %s: Einsum %s (tile %lld) "
                                          "needs %s of the previous iteration, which Einsum %s has not written yet",
                                       g->name, ev[i].d->name, (long long)len, tn, ev[j].d->name);
                }
            }
        }
    }
    return 0;
}

/* ---- DRAM transfers ---------------------------------------------------------- */
/* Every tensor the group's Einsums read or write, once, in first-use order. */
static int group_tensors(const gctx *x, const char **seen)
{
    int nt = 0;
    for (int i = 0; i < x->ne; i++) {
        const char *names[MP_CAT_INS + 2];
        int nn = 0;
        for (int k = 0; x->ev[i].d->in[k]; k++)
            names[nn++] = x->ev[i].d->in[k];
        names[nn++] = x->ev[i].d->out;
        for (int k = 0; k < nn; k++) {
            int dup = 0;
            for (int j = 0; j < nt; j++)
                dup |= !strcmp(seen[j], names[k]);
            if (!dup && nt < 64)
                seen[nt++] = names[k];
        }
    }
    return nt;
}

/* How tensor t crosses the DRAM boundary in this group. */
typedef struct traffic {
    const mp_tensor_desc *t;
    int prod;           /* index in x->ev of its producer here, -1 */
    int cons_min_stage; /* earliest stage of a reader here (1 << 20: none) */
    int rd, wr, spilled;
    int inner;          /* innermost loop of its refetch set (refetch_inner) */
    double step_b;      /* bytes one tile step moves (scaled to the real tensor) */
    uint32_t irr_in;    /* loops inside `inner` the tensor does not use */
} traffic;

static void traffic_of(const gctx *x, const mp_tensor_desc *t, traffic *tr, double *tile_b)
{
    const mp_group *g = x->g;
    const eop *ev = x->ev;
    memset(tr, 0, sizeof *tr);
    tr->t = t;
    tr->prod = -1;
    tr->cons_min_stage = 1 << 20;
    for (int i = 0; i < x->ne; i++) {
        if (!strcmp(ev[i].d->out, t->name))
            tr->prod = i;
        for (int k = 0; ev[i].d->in[k]; k++)
            if (!strcmp(ev[i].d->in[k], t->name) && x->sg->ops[ev[i].op].stage < tr->cons_min_stage)
                tr->cons_min_stage = x->sg->ops[ev[i].op].stage;
    }
    int consumed = tr->cons_min_stage < (1 << 20);
    int prod_elsewhere = mp_catalog_index(x->cd)->producer[t - x->cd->tensors] >= 0 && tr->prod < 0;
    int cons_elsewhere = 0, kept = name_in((char(*)[MP_ENAME])g->keep_onchip, g->n_keep, t->name);
    for (int gi = 0; gi < x->c->n_groups; gi++) {
        const mp_group *og = &x->c->groups[gi];
        if (og == g)
            continue;
        for (int k = 0; k < og->n_einsums; k++) {
            const mp_einsum_desc *od = mp_catalog_einsum(x->cd, og->einsums[k]);
            for (int q = 0; od && od->in[q]; q++)
                if (!strcmp(od->in[q], t->name))
                    cons_elsewhere = 1;
        }
        if (prod_elsewhere && name_in((char(*)[MP_ENAME])og->keep_onchip, og->n_keep, t->name))
            kept = 1;
    }
    tr->spilled = name_in((char(*)[MP_ENAME])g->spill, g->n_spill, t->name);
    tr->rd = consumed && (t->role == MP_T_INPUT || t->role == MP_T_WEIGHT || (prod_elsewhere && !kept) ||
                          (tr->spilled && tr->prod >= 0));
    tr->wr = tr->prod >= 0 && (t->role == MP_T_OUTPUT || (cons_elsewhere && !kept) || tr->spilled);
    double dram_tiles, wb = x->a->word_bytes;
    tr->inner = refetch_inner(x, t, &dram_tiles);
    *tile_b = full_elems(x, t) / dram_tiles * wb;
    tr->step_b = tile_elems(x, t) * wb;
    /* ragged: every step moves a whole tile slice in the program, but the
     * bytes are scaled so that the total is the real tensor */
    double padded = t->role == MP_T_WEIGHT ? 1 : (double)x->c->repeat;
    for (int k = 0; t->ranks[k]; k++) {
        int64_t f = 1;
        for (int l = 0; l < x->nl; l++)
            if (rank_match(x->l[l].rank, t->ranks[k]) && strcmp(x->l[l].base, "rep"))
                f *= x->l[l].f;
        padded *= (double)extent(x, t->ranks[k]) * (double)f;
    }
    double real = mp_tensor_real_elems(x->c, t);
    if (padded > 0 && real != padded)
        tr->step_b *= real / padded;
    for (int l = tr->inner + 1; l < x->nl; l++)
        if (!is_rel(t, x->l[l].rank))
            tr->irr_in |= 1u << l;
}

/* Each reader of t here depends on transfer op oi. */
static void readers_wait_for(gctx *x, const char *tn, int oi)
{
    for (int i = 0; i < x->ne; i++)
        if (reads(&x->ev[i], tn))
            add_dep(x->lw, x->sg, x->ev[i].op, oi, x->sg->ops[x->ev[i].op].stage - x->sg->ops[oi].stage);
}

/* A read is a DRAM read plus, unless the group bypasses the buffer for t, a
 * buffer fill (a buffer write). */
static void charge_read(gctx *x, sp_op *op, const char *tn, double bytes)
{
    const mp_store *gb = mp_arch_buffer(x->a);
    op_act(x->lw, x->a, op, MP_ACCT_DRAM, x->a->mem.read_action, "dram", bytes);
    if (gb && !mp_group_bypasses(x->cd, x->g, tn, 1))
        op_act(x->lw, x->a, op, MP_ACCT_BUFFER, gb->write_action, gb->name, bytes / x->a->word_bytes);
}

/* Reads of t: the slice one tile step uses (streamed behind the compute by
 * the prefetch distance), the first time a step touches it since the
 * tensor's DRAM tile was (re)loaded: when every irrelevant loop inside the
 * innermost refetch loop is at its first iteration. */
static int read_ops(gctx *x, const traffic *tr)
{
    const mp_tensor_desc *t = tr->t;
    sp_group *sg = x->sg;
    int oi = sg->nops;
    sp_op *op = new_op(x);
    if (!op)
        return -1;
    snprintf(op->name, sizeof op->name, "rd %s", t->name);
    op->comp = x->lw->mem_comp;
    op->einsum = -1;
    op->bytes_rd = tr->step_b;
    op->async = 1;
    op->stage = tr->cons_min_stage - SIM_PREFETCH_STEPS;
    op->first_mask = tr->spilled && tr->prod >= 0 ? 0 : tr->irr_in;
    if (mp_group_bypasses(x->cd, x->g, t->name, 1)) {
        /* streamed to its readers on every tile step one of them runs (one
         * transfer serves all readers of a step) */
        op->first_mask = 0;
        op->last_mask = ~0u;
        for (int i = 0; i < x->ne; i++)
            if (reads(&x->ev[i], t->name))
                op->last_mask &= sg->ops[x->ev[i].op].last_mask;
    }
    readers_wait_for(x, t->name, oi);
    charge_read(x, op, t->name, tr->step_b);
    /* Double buffering: the group's first DRAM tile of t is loaded in a
     * burst ahead of its use (the op above, now limited to that tile); every
     * later tile streams in while the previous one is in use, spread evenly
     * over the tile steps (the op below), so a refetch no longer bursts at
     * the start of its sweep.  Bytes and energy totals are unchanged. */
    double f_irr = 1, steps = 1, period = 1;
    for (int l = 0; l < x->nl; l++) {
        steps *= (double)x->l[l].f;
        if (l > tr->inner)
            period *= (double)x->l[l].f;
        if (tr->irr_in >> l & 1)
            f_irr *= (double)x->l[l].f;
    }
    if (!op->first_mask || tr->inner < 0 || steps <= period)
        return 0;
    if (sg->nops == SP_MAX_OPS)
        return es_fail(x->e, "invalid mapping: group %s (cascade %s) lowers to more than %d ops", x->g->name,
                       x->c->label, SP_MAX_OPS);
    for (int l = 0; l <= tr->inner; l++)
        op->first_mask |= 1u << l;
    int oj = sg->nops++;
    sp_op *os = &sg->ops[oj];
    *os = *op;
    snprintf(os->name, sizeof os->name, "rd %s (stream)", t->name);
    os->first_mask = 0;
    os->n_act = 0;
    os->bytes_rd = tr->step_b / f_irr * (1 - period / steps);
    readers_wait_for(x, t->name, oj);
    charge_read(x, os, t->name, os->bytes_rd);
    return 0;
}

/* The write of t after its producer's tile (when every irrelevant loop
 * inside the innermost refetch loop is at its last iteration); a drain is a
 * buffer read unless the group bypasses the buffer for t. */
static int write_op(gctx *x, const traffic *tr)
{
    const mp_tensor_desc *t = tr->t;
    sp_group *sg = x->sg;
    int oi = sg->nops;
    sp_op *op = new_op(x);
    if (!op)
        return -1;
    snprintf(op->name, sizeof op->name, "wr %s", t->name);
    op->comp = x->lw->mem_comp;
    op->einsum = -1;
    const eop *p = &x->ev[tr->prod];
    const sp_op *po = &sg->ops[p->op];
    op->bytes_wr = tr->step_b;
    op->async = 1;
    op->stage = po->stage + 1;
    op->last_mask = tr->spilled || mp_group_bypasses(x->cd, x->g, t->name, 0) ? po->last_mask
                                                                               : tr->irr_in | po->last_mask;
    add_dep(x->lw, sg, oi, p->op, 1);
    op_act(x->lw, x->a, op, MP_ACCT_DRAM, x->a->mem.write_action, "dram", tr->step_b);
    const mp_store *gb = mp_arch_buffer(x->a);
    if (gb && !mp_group_bypasses(x->cd, x->g, t->name, 0))
        op_act(x->lw, x->a, op, MP_ACCT_BUFFER, gb->read_action, gb->name, tr->step_b / x->a->word_bytes);
    return 0;
}

/* Transfer ops of every tensor crossing the DRAM boundary; *big / *big_name:
 * the largest DRAM tile the buffer holds (for the overflow message). */
static int dram_transfers(gctx *x, double *big, const char **big_name)
{
    const char *seen[64];
    int nt = group_tensors(x, seen);
    for (int ti = 0; ti < nt; ti++) {
        const mp_tensor_desc *t = mp_catalog_tensor(x->cd, seen[ti]);
        if (!t)
            continue;
        traffic tr;
        double tile_b;
        traffic_of(x, t, &tr, &tile_b);
        if (t->role != MP_T_TILE && !tr.spilled && tile_b > *big)
            *big = tile_b, *big_name = t->name;
        if ((tr.rd && read_ops(x, &tr)) || (tr.wr && write_op(x, &tr)))
            return -1;
    }
    return 0;
}

/* ---- capacity ------------------------------------------------------------------ */
/* The footprint definition shared with the cost model (fibres of a
 * multi-pass cascade overwrite each other in one region; a fibre streamed to
 * or from another group is never whole here).  An overbooked buffer (spill:
 * [overflow], FLAT) spills that fraction of every Einsum's buffer traffic of
 * on-chip fibres to DRAM, on the Einsum's own tile steps (mp_group_fits; the
 * cost model's rule); one that does not fit otherwise is an error. */
static int buffer_capacity(gctx *x, double big, const char *big_name)
{
    const mp_group *g = x->g;
    const mp_arch *a = x->a;
    double foot = mp_group_footprint(a, x->c, g), wb = a->word_bytes;
    if (mp_group_bypass_check(x->c, g, x->e)) /* the cost model's rule */
        return -1;
    double spill_frac = 0;
    int fits = mp_group_fits(a, x->c, g, &spill_frac);
    for (int i = 0; spill_frac > 0 && i < x->ne; i++) {
        const eop *v = &x->ev[i];
        double rwds = 0, wwds = 0;
        for (int k = 0; v->d->in[k]; k++) {
            const mp_tensor_desc *t = mp_catalog_tensor(x->cd, v->d->in[k]);
            if (t && t->role == MP_T_FIBRE && !name_in((char(*)[MP_ENAME])g->spill, g->n_spill, t->name))
                rwds += tile_elems(x, t);
        }
        const mp_tensor_desc *to = mp_catalog_tensor(x->cd, v->d->out);
        if (to && to->role == MP_T_FIBRE && !name_in((char(*)[MP_ENAME])g->spill, g->n_spill, to->name))
            wwds += tile_elems(x, to);
        if (rwds == 0 && wwds == 0)
            continue;
        if (x->sg->nops == SP_MAX_OPS)
            return es_fail(x->e, "internal: group %s has too many ops", g->name);
        const sp_op *eo = &x->sg->ops[v->op];
        sp_op *op = &x->sg->ops[x->sg->nops++];
        memset(op, 0, sizeof *op);
        snprintf(op->name, sizeof op->name, "spill %s", v->d->name);
        op->comp = x->lw->mem_comp;
        op->einsum = -1;
        op->async = 1;
        op->stage = eo->stage;
        op->first_mask = eo->first_mask;
        op->last_mask = eo->last_mask;
        op->bytes_rd = spill_frac * rwds * wb;
        op->bytes_wr = spill_frac * wwds * wb;
        op_act(x->lw, a, op, MP_ACCT_DRAM, a->mem.read_action, "dram", op->bytes_rd);
        op_act(x->lw, a, op, MP_ACCT_DRAM, a->mem.write_action, "dram", op->bytes_wr);
    }
    const mp_store *gb = mp_arch_buffer(a);
    if (gb && !fits)
        return es_fail(x->e, "invalid mapping: buffer %s overflows in group %s: the tiles it holds need %.0f B "
                             "(largest: %s, %.0f B), capacity %lld B (tile 0)",
                       gb->name, g->name, foot, big_name, big, (long long)gb->capacity_bytes);
    return 0;
}

/* ---- the group -------------------------------------------------------------- */
static int lower_group(gctx *x)
{
    const mp_group *g = x->g;
    sp_group *sg = x->sg;
    snprintf(sg->name, sizeof sg->name, "%s/%s", x->c->label, g->name);
    const sched_ops *s = sched_of(g->schedule);
    if (!s)
        return es_fail(x->e, "internal: group %s has an unknown schedule %d", g->name, (int)g->schedule);
    if (collect_loops(x))
        return -1;
    const char *order[MP_MAX_EINSUMS];
    int phase_of[MP_MAX_EINSUMS] = {0};
    int n_order = s->order(x, order, phase_of);
    for (int i = 0; i < n_order; i++)
        if (einsum_tile_op(x, order[i], phase_of[i], i))
            return -1;
    s->stages(x, s);
    if (data_deps(x, s) || (s->finish && s->finish(x)))
        return -1;
    for (int i = 0; i < x->ne; i++) /* room for prefetch at stage 0 */
        sg->ops[x->ev[i].op].stage = x->ev[i].stage + SIM_PREFETCH_STEPS;
    double big = 0;
    const char *big_name = "";
    if (dram_transfers(x, &big, &big_name) || buffer_capacity(x, big, big_name))
        return -1;
    sg->window = s->window;
    sg->max_stage = 0;
    for (int i = 0; i < sg->nops; i++)
        if (sg->ops[i].stage > sg->max_stage)
            sg->max_stage = sg->ops[i].stage;
    return 0;
}

int sim_lower(const mp_arch *a, const mp_mapping *m, sim_lowered *lw, es_err *e)
{
    memset(lw, 0, sizeof *lw);
    sp_prog *p = &lw->prog;
    /* the memory component first, so its index is stable */
    lw->mem_comp = p->ncomps;
    snprintf(p->comp_names[0], sizeof p->comp_names[0], "%s", a->mem.name[0] ? a->mem.name : "dram");
    if (sim_comp_bind(&lw->comps[0], p->comp_names[0], a->mem.def, a, &a->mem, e))
        return -1;
    p->ncomps++;
    for (int ci = 0; ci < m->n_cascades; ci++) {
        const mp_cascade_map *c = &m->cascades[ci];
        es_err why;
        const mp_cascade_desc *cd = mp_catalog_load(c->cascade, &why);
        if (!cd)
            return es_fail(e, "invalid mapping: cascade '%s' is not one the simulator can lower: %s", c->cascade,
                           why.msg);
        for (int gi = 0; gi < c->n_groups; gi++) {
            sp_group *sg = sp_prog_add_group(p);
            gctx x = {.a = a, .c = c, .g = &c->groups[gi], .cd = cd, .lw = lw, .sg = sg, .e = e};
            if (lower_group(&x))
                return -1;
            if (lw->overflow[0])
                return es_fail(e, "%s", lw->overflow);
        }
    }
    for (int i = 0; i < p->ncomps; i++)
        lw->comp_ptr[i] = &lw->comps[i];
    return 0;
}

void sim_lower_free(sim_lowered *lw)
{
    for (int i = 0; i < lw->prog.ncomps; i++)
        sim_comp_release(&lw->comps[i]);
    sp_prog_free(&lw->prog);
}
