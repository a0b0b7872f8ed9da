/* sim/lower/lower.c: mapping -> tile program (see lower.h and
 * docs/simulator.md for the conventions).  Sizes: tensor bytes are elements
 * x bytes per element (mp_tensor_elem_bytes: the arch's word_bytes, or
 * the workload's weight storage format); `rep` (the repeat instances, B x H for attention) is a
 * rank of every tensor except weights. */
#include "sim/lower/lower.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mapper/bound.h"
#include "mapper/catalog.h"
#include "mapper/cost.h"
#include "sim/buf/buffer.h"

/* DRAM reads are issued this many steps (epochs) before the first Einsum
 * that needs them: double-buffered prefetch, deep enough that a buffer
 * block of Q (FuseMax: P1 x 256 x E values) loads behind the epochs of the
 * previous block. */
#define SIM_PREFETCH_STEPS 4

/* An Einsum of the group being lowered: its binding and its tile op. */
typedef struct eop {
    const mp_bound_einsum *be;
    const mp_einsum_desc *d;
    int op; /* index in sg->ops */
    int stage, phase, order, cat;
} eop;

typedef struct gctx {
    const mp_arch *a;
    const mp_cascade_map *c;
    const mp_group *g;
    const mp_cascade_desc *cd;
    const mp_bound_group *b; /* the group, names bound to indices (mapper/bound.h) */
    int nl;                  /* tile loops (b->l) */
    sim_lowered *lw;
    sp_group *sg;
    es_err *e;
    int ne;                   /* Einsums lowered so far, in issue order */
    eop ev[MP_MAX_EINSUMS];
} gctx;

static const mp_bound_tensor *btensor(const gctx *x, int t) { return &x->b->t[t]; }

/* Inputs of Einsum v (catalogue tensor indices) and its output. */
static int n_in(const gctx *x, const eop *v) { return x->b->ix->nin[v->cat]; }
static int in_t(const gctx *x, const eop *v, int k) { return x->b->ix->in[v->cat][k]; }
static int out_t(const gctx *x, const eop *v) { return x->b->ix->out[v->cat]; }

/* Einsum i reads tensor t. */
static int reads(const gctx *x, const eop *i, int t)
{
    for (int k = 0; k < n_in(x, i); k++)
        if (in_t(x, i, k) == t)
            return 1;
    return 0;
}

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

/* The component of arch unit ui, bound through the registry on first use;
 * -1 + e. */
static int comp_of_unit(sim_lowered *lw, const mp_arch *a, int ui, es_err *e)
{
    sp_prog *p = &lw->prog;
    if (lw->unit_comp[ui])
        return lw->unit_comp[ui] - 1;
    if (p->ncomps == SP_MAX_COMPS)
        return es_fail(e, "arch %s: more than %d simulated components (units + memory, SP_MAX_COMPS)", a->name,
                       SP_MAX_COMPS);
    int i = p->ncomps;
    const mp_unit *u = &a->units[ui];
    if (sim_comp_bind(&lw->comps[i], u->name, u->def, a, u, e))
        return -1;
    p->ncomps++;
    snprintf(p->comp_names[i], sizeof p->comp_names[i], "%s", u->name);
    lw->unit_comp[ui] = i + 1;
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
    snprintf(lw->einsum_format[i], sizeof lw->einsum_format[i], "%s", mp_einsum_format(x->a, x->c, name));
    return i;
}

/* ---- loops ---------------------------------------------------------------- */
/* The group's tile loops (bound by the mapper) into the program group. */
static int collect_loops(gctx *x)
{
    const mp_bound_group *b = x->b;
    if (b->nl > SP_MAX_LOOPS)
        return es_fail(x->e, "invalid mapping: group %s: more than %d tile loops (SP_MAX_LOOPS)", x->g->name,
                       SP_MAX_LOOPS);
    x->nl = b->nl;
    sp_group *sg = x->sg;
    sg->nloops = x->nl;
    for (int i = 0; i < x->nl; i++) {
        snprintf(sg->loop_rank[i], sizeof sg->loop_rank[i], "%s", b->l[i].rank);
        sg->factor[i] = b->l[i].f;
    }
    return 0;
}

static uint32_t all_loops(const gctx *x) { return x->nl >= 32 ? ~0u : (1u << x->nl) - 1; }

/* Loops (bit mask) that an Einsum runs only the last iteration of: loops
 * over ranks absent from its space (never rep). */
static uint32_t last_mask_of(const gctx *x, const mp_bound_einsum *be)
{
    uint32_t rep = 0;
    for (int i = 0; i < x->nl; i++)
        rep |= (uint32_t)x->b->l[i].rep << i;
    return ~be->space & ~rep & all_loops(x);
}

/* DRAM transfer activity of a tensor: index of the innermost loop of its
 * refetch set (relevant DRAM loops, and irrelevant DRAM loops enclosing a
 * relevant one); -1 when the set is empty. */
static int refetch_inner(const gctx *x, int t, double *dram_tiles)
{
    int inner = -1, any_rel_inside = 0;
    *dram_tiles = 1;
    for (int i = x->nl - 1; i >= 0; i--) {
        if (!x->b->l[i].dram)
            continue;
        int rel = btensor(x, t)->rel >> i & 1;
        if (rel)
            *dram_tiles *= (double)x->b->l[i].f;
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
static int64_t carried_len(const gctx *x, int t, const mp_bound_einsum *be)
{
    int64_t len = 1;
    for (int l = x->nl - 1; l >= 0; l--) {
        if (!(btensor(x, t)->rel >> l & 1) && (be->space >> l & 1))
            return len;
        len *= x->b->l[l].f;
    }
    return 0;
}

/* ---- schedules ------------------------------------------------------------- */
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
    for (int i = 0; i < x->ne; i++)
        ev[i].stage = ev[i].be->lag;
    for (int i = 0; i < x->ne; i++) {
        if (!ev[i].be->outside_inner)
            continue;
        for (int j = 0; j < x->ne; j++)
            if (ev[j].cat < ev[i].cat && reads(x, &ev[i], out_t(x, &ev[j])) && !runs_before(x, s, &ev[j], &ev[i]))
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
                for (int k = 0; k < n_in(x, &ev[i]); k++)
                    if (in_t(x, &ev[i], k) == out_t(x, &ev[j])) {
                        int st = ev[j].stage + (einsum_comp(x, &ev[j]) != einsum_comp(x, &ev[i]));
                        if (st > ev[i].stage)
                            ev[i].stage = st, changed = 1;
                    }
            }
        for (int i = 0; i < ne; i++)
            for (int j = 0; j < ne; j++) {
                if (ev[j].cat < ev[i].cat)
                    continue;
                for (int k = 0; k < n_in(x, &ev[i]); k++) {
                    int t = in_t(x, &ev[i], k);
                    if (t != out_t(x, &ev[j]) || x->cd->tensors[t].role != MP_T_RUNNING)
                        continue;
                    int64_t len = carried_len(x, t, ev[i].be);
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
    for (int i = 0; i < x->ne; i++)
        if (x->ev[i].be->u->fill_cycles > fill)
            fill = x->ev[i].be->u->fill_cycles;
    sg->ops[x->ev[0].op].cycles += (uint64_t)fill;
    for (int i = 0; i < x->ne; i++)
        if (x->ev[i].be->outside_inner)
            sg->ops[x->ev[i].op].async = 1;
    return 0;
}

/* The schedules of mapping.h, one entry per mp_sched_kind (the issue order
 * of the Einsums is the bound group's: mapper/bound.h). */
struct sched_ops {
    mp_sched_kind kind;
    void (*stages)(gctx *x, const sched_ops *s);
    int (*same_step)(const gctx *x, const eop *j, const eop *i);
    int (*finish)(gctx *x); /* NULL: nothing */
    int window;             /* steps in flight */
};

static const sched_ops schedules[] = {
    {MP_SCHED_SEQUENTIAL, stages_none, any_same_step, finish_sequential, 1},
    {MP_SCHED_PIPELINED, stages_pipelined, any_same_step, NULL, 2},
    {MP_SCHED_INTERLEAVED, stages_interleaved, interleaved_same_step, finish_interleaved, 1},
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
/* Extent of rank r in one tile, padded to the spatial factor rf (cf) when r
 * is the rows (cols) rank: a ragged tile costs the array a whole tile. */
static int64_t padded_ext(const mp_bound_group *b, int r, int64_t rf, int64_t cf)
{
    int64_t sf = (rf > 1 && r == b->rows_rank) ? rf : (cf > 1 && r == b->cols_rank) ? cf : 1;
    return (b->ranks[r].ext + sf - 1) / sf * sf;
}

/* Points of one tile of Einsum be (extents padded to the spatial factors rf
 * on the rows rank and cf on the cols rank: a ragged tile costs the array a
 * whole tile), and the ratio of real points to padded ones over the whole
 * group (ops and compute energy count real points). */
static double tile_points(const gctx *x, const mp_bound_einsum *be, int64_t rf, int64_t cf, double *real_ratio)
{
    const mp_bound_group *b = x->b;
    double tiles = 1, pts = 1;
    for (int k = 0; k < be->n_space; k++)
        pts *= (double)padded_ext(b, be->space_rank[k], rf, cf);
    for (int l = 0; l < x->nl; l++)
        if (b->l[l].rep || (be->space >> l & 1))
            tiles *= (double)b->l[l].f;
    double real = be->real_points;
    *real_ratio = real != pts * tiles && pts * tiles > 0 ? real / (pts * tiles) : 1;
    return pts;
}

/* Busy cycles of one tile on unit u: points over the PEs the tile spans,
 * divided by the unit's sparse speedup, times the op's cycles, plus log2 of a reduction along a spatial rank the
 * unit has no inter-PE network for (the output lacks that rank). */
static uint64_t tile_cycles(const mp_unit *u, const mp_op_cost *oc, const mp_bound_tensor *to, double pts,
                            int64_t rf, int64_t cf, double speed)
{
    double pes;
    if (u->kind == MP_UNIT_ARRAY2D)
        pes = (double)(rf < u->rows ? rf : u->rows) * (double)(cf < u->cols ? cf : u->cols);
    else {
        int64_t f = cf * rf; /* both spatial ranks spread over the lanes, as the cost model */
        pes = (double)(f < u->cols ? f : u->cols);
    }
    uint64_t cyc = (uint64_t)ceil(pts / pes / speed) * (uint64_t)oc->cycles; /* speed: mp_einsum_speedup */
    if (!u->spatial_reduce) {
        int64_t sp = 1;
        if (rf > 1 && !to->rows_in)
            sp *= rf;
        if (cf > 1 && !to->cols_in && u->kind == MP_UNIT_ARRAY2D)
            sp *= cf;
        if (sp > 1)
            cyc += (uint64_t)ceil(log2((double)sp));
    }
    return cyc;
}

/* Busy cycles of one tile of Einsum be on a fold-timed 2D array (timing:
 * systolic): the tile as GEMM folds (mp_fold_tile_of, the cost model's
 * rule), each fold from the C model or the run's fold source (--rtl). */
static int fold_tile_op(gctx *x, const mp_bound_einsum *be, int64_t rf, int64_t cf, uint64_t *cycles)
{
    const mp_bound_group *b = x->b;
    const char *names[MP_CAT_RANKS];
    int64_t ext[MP_CAT_RANKS];
    int n = 0;
    for (int k = 0; k < be->n_space && n < MP_CAT_RANKS; k++, n++) {
        names[n] = b->ranks[be->space_rank[k]].name;
        ext[n] = padded_ext(b, be->space_rank[k], rf, cf);
    }
    mp_fold_tile t;
    const mp_tensor_desc *out = &x->cd->tensors[b->ix->out[be->cat]];
    if (mp_fold_tile_of(be->d, out, names, ext, n, be->rows_in ? b->rows->rank : NULL, rf,
                        be->cols_in ? b->cols->rank : NULL, cf, &t, x->e))
        return -1;
    *cycles = sim_fold_tile_cycles(be->u, &t, x->lw->fold_src, x->lw->fold_ctx, x->e);
    return *cycles ? 0 : -1;
}

/* Energy actions of one tile (compute, register file, global buffer) and
 * the buffer's port time, which bounds the tile when it exceeds the array's. */
static void charge_tile(gctx *x, sp_op *op, const eop *v, double real_pts)
{
    const mp_arch *a = x->a;
    sim_lowered *lw = x->lw;
    const mp_unit *u = v->be->u;
    const mp_op_cost *oc = v->be->oc;
    for (int k = 0; k < oc->n_actions; k++)
        op_act(lw, a, op, MP_ACCT_COMPUTE, oc->actions[k].action, u->name, real_pts * oc->actions[k].count);
    const mp_store *rf_s = v->be->regfile;
    if (rf_s) {
        op_act(lw, a, op, MP_ACCT_REGFILE, rf_s->read_action, rf_s->name, real_pts * n_in(x, v));
        op_act(lw, a, op, MP_ACCT_REGFILE, rf_s->write_action, rf_s->name, real_pts);
    }
    const mp_store *gb = x->b->buffer;
    if (!gb)
        return;
    /* energy counts words (mapper/account.h converts); a port moves one row
     * of width_bits per cycle */
    double wpr = gb->width_bits > 0 ? gb->width_bits / (8.0 * a->word_bytes) : 1;
    double rw = 0, ww = 0, rrows = 0, wrows = 0;
    for (int k = 0; k < n_in(x, v); k++) {
        int t = in_t(x, v, k);
        const mp_bound_tensor *bt = btensor(x, t);
        /* a per-tile intermediate crosses the buffer between unlinked units */
        const mp_tensor_desc *td = &x->cd->tensors[t];
        if (td->role == MP_T_TILE ? mp_tile_staged(a, x->c, x->cd, td->name, u->name) : !bt->bypass_rd)
            rw += bt->tile_elems, rrows += ceil(bt->tile_elems / wpr);
    }
    const mp_bound_tensor *bo = btensor(x, out_t(x, v));
    const mp_tensor_desc *tdo = &x->cd->tensors[out_t(x, v)];
    if (tdo->role == MP_T_TILE ? mp_tile_staged(a, x->c, x->cd, tdo->name, NULL) : !bo->bypass_wr)
        ww += bo->tile_elems, wrows += ceil(bo->tile_elems / wpr);
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

/* The tile op of bound Einsum `order` (issue order), appended to the group
 * and to x->ev. */
static int einsum_tile_op(gctx *x, int order)
{
    const mp_bound_group *b = x->b;
    const mp_bound_einsum *be = &b->e[order];
    int comp = comp_of_unit(x->lw, x->a, be->unit, x->e);
    if (comp < 0)
        return -1;
    int64_t rf = be->rows_in ? b->rows->factor : 1;
    int64_t cf = be->cols_in ? b->cols->factor : 1;
    double real_ratio;
    double pts = tile_points(x, be, rf, cf, &real_ratio);
    eop *v = &x->ev[x->ne];
    *v = (eop){be, be->d, x->sg->nops, 0, be->phase, order, be->cat};
    sp_op *op = new_op(x);
    if (!op)
        return -1;
    snprintf(op->name, sizeof op->name, "%s", be->d->name);
    op->comp = comp;
    op->einsum = report_einsum(x->lw, x, be->d->name, comp);
    x->lw->prog.einsum_pe_cycles[op->einsum] = be->oc->cycles;
    double speed = mp_einsum_speedup(be->u, x->c, x->cd, be->d);
    if (be->u->fold_tile_cycles) {
        if (fold_tile_op(x, be, rf, cf, &op->cycles))
            return -1;
    } else {
        op->cycles = tile_cycles(be->u, be->oc, btensor(x, out_t(x, v)), pts, rf, cf, speed);
    }
    snprintf(x->lw->einsum_sparsity[op->einsum], sizeof x->lw->einsum_sparsity[0], "%s", speed > 1 ? x->c->weight_sparsity : "dense");
    op->ops = pts * real_ratio;
    op->last_mask = last_mask_of(x, be);
    charge_tile(x, op, v, pts * real_ratio);
    x->ne++;
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
        for (int k = 0; k < n_in(x, &ev[i]); k++) {
            int t = in_t(x, &ev[i], k);
            const char *tn = x->cd->tensors[t].name;
            for (int j = 0; j < x->ne; j++) {
                if (out_t(x, &ev[j]) != t)
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
                } else if (x->cd->tensors[t].role == MP_T_RUNNING) {
                    /* loop-carried: the previous iteration of the iterative
                     * loop (the innermost tile loop over a rank of the
                     * Einsum's space that the tensor lacks) */
                    int64_t len = carried_len(x, t, ev[i].be);
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
/* Every tensor the group's Einsums read or write, once, in first-use order
 * (an Einsum's inputs, then its output). */
static int group_tensors(const gctx *x, int *seen)
{
    int nt = 0;
    for (int i = 0; i < x->ne; i++)
        for (int k = 0; k <= n_in(x, &x->ev[i]); k++) {
            int t = k < n_in(x, &x->ev[i]) ? in_t(x, &x->ev[i], k) : out_t(x, &x->ev[i]);
            int dup = 0;
            for (int j = 0; j < nt; j++)
                dup |= seen[j] == t;
            if (!dup)
                seen[nt++] = t;
        }
    return nt;
}

/* How tensor t crosses the DRAM boundary in this group. */
typedef struct traffic {
    int t;
    const char *name;
    int prod;           /* index in x->ev of its producer here, -1 */
    int cons_min_stage; /* earliest stage of a reader here (1 << 20: none) */
    int rd, wr, spilled;
    int inner;          /* innermost loop of its refetch set (refetch_inner) */
    double step_b;      /* bytes one tile step moves (scaled to the real tensor) */
    uint32_t irr_in;    /* loops inside `inner` the tensor does not use */
} traffic;

static void traffic_of(const gctx *x, int t, traffic *tr, double *tile_b)
{
    const eop *ev = x->ev;
    const mp_bound_tensor *bt = btensor(x, t);
    mp_tensor_role role = x->cd->tensors[t].role;
    memset(tr, 0, sizeof *tr);
    tr->t = t;
    tr->name = x->cd->tensors[t].name;
    tr->prod = -1;
    tr->cons_min_stage = 1 << 20;
    for (int i = 0; i < x->ne; i++) {
        if (out_t(x, &ev[i]) == t)
            tr->prod = i;
        for (int k = 0; k < n_in(x, &ev[i]); k++)
            if (in_t(x, &ev[i], k) == t && x->sg->ops[ev[i].op].stage < tr->cons_min_stage)
                tr->cons_min_stage = x->sg->ops[ev[i].op].stage;
    }
    int consumed = tr->cons_min_stage < (1 << 20);
    tr->spilled = bt->spill;
    tr->rd = consumed && (role == MP_T_INPUT || role == MP_T_WEIGHT || (bt->produced_elsewhere && !bt->kept) ||
                          (tr->spilled && tr->prod >= 0));
    tr->wr = tr->prod >= 0 && (role == MP_T_OUTPUT || (bt->read_elsewhere && !bt->kept) || tr->spilled);
    double dram_tiles, wb = mp_tensor_elem_bytes(x->a, x->c, &x->cd->tensors[t]);
    tr->inner = refetch_inner(x, t, &dram_tiles);
    *tile_b = bt->full_elems / dram_tiles * wb;
    tr->step_b = bt->tile_elems * wb;
    /* ragged: every step moves a whole tile slice in the program, but the
     * bytes are scaled so that the total is the real tensor */
    if (bt->padded_elems > 0 && bt->real_elems != bt->padded_elems)
        tr->step_b *= bt->real_elems / bt->padded_elems;
    for (int l = tr->inner + 1; l < x->nl; l++)
        if (!(bt->rel >> l & 1))
            tr->irr_in |= 1u << l;
}

/* A new transfer op on the memory component, named "WHAT NAME"; async:
 * only the ops that depend on it wait for it.  NULL + e. */
static sp_op *mem_op(gctx *x, const char *what, const char *name)
{
    sp_op *op = new_op(x);
    if (!op)
        return NULL;
    snprintf(op->name, sizeof op->name, "%s %s", what, name);
    op->comp = x->lw->mem_comp;
    op->einsum = -1;
    op->async = 1;
    return op;
}

/* Each reader of t here depends on transfer op oi. */
static void readers_wait_for(gctx *x, int t, int oi)
{
    for (int i = 0; i < x->ne; i++)
        if (reads(x, &x->ev[i], t))
            add_dep(x->lw, x->sg, x->ev[i].op, oi, x->sg->ops[x->ev[i].op].stage - x->sg->ops[oi].stage);
}

/* A read is a DRAM read plus, unless the group bypasses the buffer for t, a
 * buffer fill (a buffer write). */
static void charge_read(gctx *x, sp_op *op, int t, double bytes)
{
    const mp_store *gb = x->b->buffer;
    op_act(x->lw, x->a, op, MP_ACCT_DRAM, x->a->mem.read_action, "dram", bytes);
    if (gb && !btensor(x, t)->bypass_rd)
        op_act(x->lw, x->a, op, MP_ACCT_BUFFER, gb->write_action, gb->name, bytes / x->a->word_bytes);
}

/* Reads of t: the slice one tile step uses (streamed behind the compute by
 * the prefetch distance), the first time a step touches it since the
 * tensor's DRAM tile was (re)loaded: when every irrelevant loop inside the
 * innermost refetch loop is at its first iteration. */
static int read_ops(gctx *x, const traffic *tr)
{
    sp_group *sg = x->sg;
    int oi = sg->nops;
    sp_op *op = mem_op(x, "rd", tr->name);
    if (!op)
        return -1;
    op->bytes_rd = tr->step_b;
    op->stage = tr->cons_min_stage - SIM_PREFETCH_STEPS;
    op->first_mask = tr->spilled && tr->prod >= 0 ? 0 : tr->irr_in;
    if (btensor(x, tr->t)->bypass_rd) {
        /* streamed to its readers on every tile step one of them runs (one
         * transfer serves all readers of a step) */
        op->first_mask = 0;
        op->last_mask = ~0u;
        for (int i = 0; i < x->ne; i++)
            if (reads(x, &x->ev[i], tr->t))
                op->last_mask &= sg->ops[x->ev[i].op].last_mask;
    }
    readers_wait_for(x, tr->t, oi);
    charge_read(x, op, tr->t, tr->step_b);
    /* Double buffering: the group's first DRAM tile of t is loaded in a
     * burst ahead of its use (the op above, now limited to that tile); every
     * later tile streams in while the previous one is in use, spread evenly
     * over the tile steps (the op below), so a refetch no longer bursts at
     * the start of its sweep.  Bytes and energy totals are unchanged. */
    double f_irr = 1, steps = 1, period = 1;
    for (int l = 0; l < x->nl; l++) {
        steps *= (double)x->b->l[l].f;
        if (l > tr->inner)
            period *= (double)x->b->l[l].f;
        if (tr->irr_in >> l & 1)
            f_irr *= (double)x->b->l[l].f;
    }
    if (!op->first_mask || tr->inner < 0 || steps <= period)
        return 0;
    int oj = sg->nops;
    sp_op *os = new_op(x);
    if (!os)
        return -1;
    for (int l = 0; l <= tr->inner; l++)
        op->first_mask |= 1u << l;
    *os = *op;
    snprintf(os->name, sizeof os->name, "rd %s (stream)", tr->name);
    os->first_mask = 0;
    os->n_act = 0;
    os->bytes_rd = tr->step_b / f_irr * (1 - period / steps);
    readers_wait_for(x, tr->t, oj);
    charge_read(x, os, tr->t, os->bytes_rd);
    return 0;
}

/* The write of t after its producer's tile (when every irrelevant loop
 * inside the innermost refetch loop is at its last iteration); a drain is a
 * buffer read unless the group bypasses the buffer for t. */
static int write_op(gctx *x, const traffic *tr)
{
    sp_group *sg = x->sg;
    int oi = sg->nops;
    sp_op *op = mem_op(x, "wr", tr->name);
    if (!op)
        return -1;
    const eop *p = &x->ev[tr->prod];
    const sp_op *po = &sg->ops[p->op];
    int bypass = btensor(x, tr->t)->bypass_wr;
    op->bytes_wr = tr->step_b;
    op->stage = po->stage + 1;
    op->last_mask = tr->spilled || bypass ? po->last_mask : tr->irr_in | po->last_mask;
    add_dep(x->lw, sg, oi, p->op, 1);
    op_act(x->lw, x->a, op, MP_ACCT_DRAM, x->a->mem.write_action, "dram", tr->step_b);
    const mp_store *gb = x->b->buffer;
    if (gb && !bypass)
        op_act(x->lw, x->a, op, MP_ACCT_BUFFER, gb->read_action, gb->name, tr->step_b / x->a->word_bytes);
    return 0;
}

/* Transfer ops of every tensor crossing the DRAM boundary; *big / *big_name:
 * the largest DRAM tile the buffer holds (for the overflow message). */
static int dram_transfers(gctx *x, double *big, const char **big_name)
{
    int seen[MP_CAT_MAX_T];
    int nt = group_tensors(x, seen);
    for (int ti = 0; ti < nt; ti++) {
        int t = seen[ti];
        traffic tr;
        double tile_b;
        traffic_of(x, t, &tr, &tile_b);
        if (x->cd->tensors[t].role != MP_T_TILE && !tr.spilled && tile_b > *big)
            *big = tile_b, *big_name = tr.name;
        if ((tr.rd && read_ops(x, &tr)) || (tr.wr && write_op(x, &tr)))
            return -1;
    }
    return 0;
}

/* ---- capacity ------------------------------------------------------------------ */
/* Words of on-chip multi-pass fibres an Einsum reads (*r) and writes (*w)
 * per tile (spilled tensors excluded: they are already off chip). */
static void fibre_words(const gctx *x, const eop *v, double *r, double *w)
{
    *r = *w = 0;
    for (int k = 0; k < n_in(x, v); k++) {
        int t = in_t(x, v, k);
        if (x->cd->tensors[t].role == MP_T_FIBRE && !btensor(x, t)->spill)
            *r += btensor(x, t)->tile_elems;
    }
    int o = out_t(x, v);
    if (x->cd->tensors[o].role == MP_T_FIBRE && !btensor(x, o)->spill)
        *w += btensor(x, o)->tile_elems;
}

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
        double rwds, wwds;
        fibre_words(x, v, &rwds, &wwds);
        if (rwds == 0 && wwds == 0)
            continue;
        sp_op *op = mem_op(x, "spill", v->d->name);
        if (!op)
            return -1;
        const sp_op *eo = &x->sg->ops[v->op];
        op->stage = eo->stage;
        op->first_mask = eo->first_mask;
        op->last_mask = eo->last_mask;
        op->bytes_rd = spill_frac * rwds * wb;
        op->bytes_wr = spill_frac * wwds * wb;
        op_act(x->lw, a, op, MP_ACCT_DRAM, a->mem.read_action, "dram", op->bytes_rd);
        op_act(x->lw, a, op, MP_ACCT_DRAM, a->mem.write_action, "dram", op->bytes_wr);
    }
    const mp_store *gb = x->b->buffer;
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
    for (int i = 0; i < x->b->ne; i++)
        if (einsum_tile_op(x, i))
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

int sim_lower(const mp_arch *a, const mp_mapping *m, sa_fold_source src, void *src_ctx, sim_lowered *lw, es_err *e)
{
    memset(lw, 0, sizeof *lw);
    lw->fold_src = src, lw->fold_ctx = src_ctx;
    sp_prog *p = &lw->prog;
    /* the memory component first, so its index is stable */
    lw->mem_comp = p->ncomps;
    snprintf(p->comp_names[0], sizeof p->comp_names[0], "%s", a->mem.name[0] ? a->mem.name : "dram");
    if (sim_comp_bind(&lw->comps[0], p->comp_names[0], a->mem.def, a, &a->mem, e))
        return -1;
    p->ncomps++;
    mp_bound_group *b = es_xcalloc(1, sizeof *b);
    int rc = 0;
    for (int ci = 0; ci < m->n_cascades && !rc; ci++) {
        const mp_cascade_map *c = &m->cascades[ci];
        for (int gi = 0; gi < c->n_groups && !rc; gi++) {
            if (mp_bind_group(a, c, &c->groups[gi], b, e)) {
                rc = -1;
                break;
            }
            sp_group *sg = sp_prog_add_group(p);
            gctx x = {.a = a, .c = c, .g = &c->groups[gi], .cd = b->cd, .b = b, .lw = lw, .sg = sg, .e = e};
            if (lower_group(&x))
                rc = -1;
            else if (lw->overflow[0])
                rc = es_fail(e, "%s", lw->overflow);
        }
    }
    free(b);
    if (rc)
        return -1;
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
