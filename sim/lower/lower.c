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

static int comp_of_unit(sim_lowered *lw, const mp_arch *a, const char *unit)
{
    sp_prog *p = &lw->prog;
    for (int i = 0; i < p->ncomps; i++)
        if (!strcmp(p->comp_names[i], unit))
            return i;
    int ui = mp_arch_unit_index(a, unit);
    if (ui < 0 || p->ncomps == SP_MAX_COMPS)
        return -1;
    int i = p->ncomps++;
    snprintf(p->comp_names[i], sizeof p->comp_names[i], "%s", unit);
    sim_comp *c = &lw->comps[i];
    memset(c, 0, sizeof *c);
    c->ops = &sim_array_ops;
    snprintf(c->name, sizeof c->name, "%s", unit);
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
typedef struct eop {
    const mp_einsum_desc *d;
    int op; /* index in sg->ops */
    int stage, phase, order, cat;
} eop;

static int lower_group(gctx *x)
{
    const mp_group *g = x->g;
    const mp_arch *a = x->a;
    sim_lowered *lw = x->lw;
    sp_group *sg = x->sg;
    es_err *e = x->e;
    snprintf(sg->name, sizeof sg->name, "%s/%s", x->c->label, g->name);
    if (collect_loops(x))
        return -1;
    eop ev[MP_MAX_EINSUMS];
    int ne = 0;

    /* Einsum order: interleaved = phase, then slot order; else group order. */
    const char *order[MP_MAX_EINSUMS];
    int phase_of[MP_MAX_EINSUMS] = {0}, n_order = 0;
    if (g->schedule == MP_SCHED_INTERLEAVED) {
        for (int p = 0; p < g->n_phases; p++)
            for (int s = 0; s < g->phases[p].n; s++)
                for (int k = 0; k < g->phases[p].slots[s].slot.n; k++) {
                    phase_of[n_order] = p;
                    order[n_order++] = g->phases[p].slots[s].slot.einsums[k];
                }
    } else {
        for (int i = 0; i < g->n_einsums; i++)
            order[n_order++] = g->einsums[i];
    }
    for (int i = 0; i < n_order; i++) {
        const char *name = order[i];
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
        int comp = comp_of_unit(lw, a, uname);
        if (comp < 0)
            return es_fail(e, "arch %s: more than %d simulated components (units + memory, SP_MAX_COMPS)", a->name,
                           SP_MAX_COMPS);
        /* points of one tile, PEs it spans */
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
        const char *rb = x->rows ? x->rows->rank : "", *cb = x->cols ? x->cols->rank : "";
        int64_t rf = x->rows && in_list(d->space, rb) ? x->rows->factor : 1;
        int64_t cf = x->cols && in_list(d->space, cb) ? x->cols->factor : 1;
        /* ragged tiles: the array spends a whole tile (extents padded to
         * the spatial factors); ops and compute energy count real points */
        double real_ratio = 1, pts = 1;
        {
            double tiles = 1;
            for (int k = 0; k < ns; k++) {
                double ext = (double)extent(x, seen[k]);
                int64_t sf = (rf > 1 && !strcmp(seen[k], rb)) ? rf : (cf > 1 && !strcmp(seen[k], cb)) ? cf : 1;
                pts *= ceil(ext / (double)sf) * (double)sf;
            }
            for (int l = 0; l < x->nl; l++)
                if (!strcmp(x->l[l].base, "rep") || in_list(d->space, x->l[l].rank))
                    tiles *= (double)x->l[l].f;
            double real = mp_einsum_real_points(x->c, d);
            if (real != pts * tiles && pts * tiles > 0)
                real_ratio = real / (pts * tiles);
        }
        double pes;
        if (u->kind == MP_UNIT_ARRAY2D)
            pes = (double)(rf < u->rows ? rf : u->rows) * (double)(cf < u->cols ? cf : u->cols);
        else {
            int64_t f = cf * rf; /* both spatial ranks spread over the lanes, as the cost model */
            pes = (double)(f < u->cols ? f : u->cols);
        }
        uint64_t cyc = (uint64_t)ceil(pts / pes) * (uint64_t)oc->cycles;
        /* a reduction over a spatial rank without an inter-PE network */
        const mp_tensor_desc *to = mp_catalog_tensor(x->cd, d->out);
        if (!u->spatial_reduce && to) {
            int64_t sp = 1;
            if (rf > 1 && !in_list(to->ranks, rb))
                sp *= rf;
            if (cf > 1 && !in_list(to->ranks, cb) && u->kind == MP_UNIT_ARRAY2D)
                sp *= cf;
            if (sp > 1)
                cyc += (uint64_t)ceil(log2((double)sp));
        }
        if (sg->nops == SP_MAX_OPS)
            return es_fail(e, "invalid mapping: group %s (cascade %s) lowers to more than %d ops", g->name,
                       x->c->label, SP_MAX_OPS);
        sp_op *op = &sg->ops[sg->nops];
        memset(op, 0, sizeof *op);
        snprintf(op->name, sizeof op->name, "%s", name);
        op->comp = comp;
        op->einsum = report_einsum(lw, x, name, comp);
        op->cycles = cyc;
        op->ops = pts * real_ratio;
        op->last_mask = last_mask_of(x, d->space);
        for (int k = 0; k < oc->n_actions; k++)
            op_act(lw, a, op, MP_ACCT_COMPUTE, oc->actions[k].action, uname, pts * real_ratio * oc->actions[k].count);
        const mp_store *rf_s = mp_arch_regfile(a, uname);
        int nin = 0;
        for (int k = 0; d->in[k]; k++)
            nin++;
        if (rf_s) {
            op_act(lw, a, op, MP_ACCT_REGFILE, rf_s->read_action, rf_s->name, pts * real_ratio * nin);
            op_act(lw, a, op, MP_ACCT_REGFILE, rf_s->write_action, rf_s->name, pts * real_ratio);
        }
        const mp_store *gb = mp_arch_buffer(a);
        if (gb) {
            /* energy counts words (mapper/account.h converts); a port
             * moves one row of width_bits per cycle */
            double wpr = gb->width_bits > 0 ? gb->width_bits / (8.0 * a->word_bytes) : 1;
            double rw = 0, ww = 0, rrows = 0, wrows = 0;
            for (int k = 0; d->in[k]; k++) {
                const mp_tensor_desc *t = mp_catalog_tensor(x->cd, d->in[k]);
                if (t && (t->role == MP_T_TILE ? mp_tile_staged(a, x->c, x->cd, t->name, uname)
                                               : !mp_group_bypasses(x->cd, x->g, t->name, 1)))
                    rw += tile_elems(x, t), rrows += ceil(tile_elems(x, t) / wpr);
            }
            if (to && (to->role == MP_T_TILE ? mp_tile_staged(a, x->c, x->cd, to->name, NULL)
                                             : !mp_group_bypasses(x->cd, x->g, to->name, 0)))
                ww += tile_elems(x, to), wrows += ceil(tile_elems(x, to) / wpr);
            op_act(lw, a, op, MP_ACCT_BUFFER, gb->read_action, gb->name, rw);
            op_act(lw, a, op, MP_ACCT_BUFFER, gb->write_action, gb->name, ww);
            uint64_t port = sim_buf_port_cycles(gb, rrows, wrows);
            if (port > op->cycles) /* the buffer's ports, not the array, bound this tile */
                op->cycles = port;
        }
        ev[ne] = (eop){d, sg->nops, 0, phase_of[i], i, mp_catalog_einsum_index(x->cd, name)};
        ne++, sg->nops++;
    }

    /* stages */
    if (g->schedule == MP_SCHED_INTERLEAVED) {
        for (int i = 0; i < ne; i++) {
            int gi = -1;
            for (int k = 0; k < g->n_einsums; k++)
                if (!strcmp(g->einsums[k], ev[i].d->name))
                    gi = k;
            ev[i].stage = gi >= 0 ? g->lag[gi] : 0;
        }
    } else if (g->schedule == MP_SCHED_PIPELINED) {
        /* producers first: +1 stage across units; then a consumer of a
         * previous iteration's value (SPNV reads RNV of m1-1) starts late
         * enough that the value exists (the distance in steps of the
         * iterative loop must exceed the stage difference); repeat until
         * stable */
        for (int round = 0; round < 16; round++) {
            int changed = 0;
            for (int i = 0; i < ne; i++)
                for (int j = 0; j < ne; j++) {
                    if (ev[j].cat >= ev[i].cat)
                        continue;
                    for (int k = 0; ev[i].d->in[k]; k++)
                        if (!strcmp(ev[i].d->in[k], ev[j].d->out)) {
                            int s = ev[j].stage + (sg->ops[ev[j].op].comp != sg->ops[ev[i].op].comp);
                            if (s > ev[i].stage)
                                ev[i].stage = s, changed = 1;
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
    /* An Einsum outside an inner tile loop (AV after the last m1) runs in the
     * epoch after its producers' last tile when its slot would precede them
     * (mapping.h, INTERLEAVED). */
    if (g->schedule == MP_SCHED_INTERLEAVED)
        for (int i = 0; i < ne; i++) {
            if (!mp_einsum_outside_inner(x->g, ev[i].d))
                continue;
            for (int j = 0; j < ne; j++) {
                if (ev[j].cat >= ev[i].cat)
                    continue;
                for (int k = 0; ev[i].d->in[k]; k++)
                    if (!strcmp(ev[i].d->in[k], ev[j].d->out)) {
                        int ok = ev[j].stage < ev[i].stage ||
                                 (ev[j].stage == ev[i].stage &&
                                  (ev[j].phase < ev[i].phase ||
                                   (ev[j].phase == ev[i].phase && ev[j].order < ev[i].order &&
                                    sg->ops[ev[j].op].comp == sg->ops[ev[i].op].comp)));
                        if (!ok)
                            ev[i].stage = ev[j].stage + 1;
                    }
            }
        }
    /* data dependencies and their checks */
    for (int i = 0; i < ne; i++) {
        for (int k = 0; ev[i].d->in[k]; k++) {
            const char *tn = ev[i].d->in[k];
            const mp_tensor_desc *t = mp_catalog_tensor(x->cd, tn);
            for (int j = 0; j < ne; j++) {
                if (strcmp(ev[j].d->out, tn))
                    continue;
                int same_tile = ev[j].cat < ev[i].cat; /* else: reads the previous iteration's value */
                if (same_tile) {
                    int ok = ev[j].stage < ev[i].stage ||
                             (ev[j].stage == ev[i].stage &&
                              (g->schedule != MP_SCHED_INTERLEAVED || ev[j].phase < ev[i].phase ||
                               (ev[j].phase == ev[i].phase && ev[j].order < ev[i].order &&
                                sg->ops[ev[j].op].comp == sg->ops[ev[i].op].comp)));
                    if (!ok)
                        return es_fail(e, "invalid mapping: dependency violation in group %s: Einsum %s (tile 0, "
                                          "epoch %d) reads %s before Einsum %s writes it (epoch %d)",
                                       g->name, ev[i].d->name, ev[i].stage, tn, ev[j].d->name, ev[j].stage);
                    if (sp_group_add_dep(sg, ev[i].op, ev[j].op, ev[i].stage - ev[j].stage))
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
    if (g->schedule == MP_SCHED_INTERLEAVED) /* phase barrier */
        for (int i = 0; i < ne; i++)
            for (int j = 0; j < ne; j++)
                if (ev[j].phase == ev[i].phase - 1 && sp_group_add_dep(sg, ev[i].op, ev[j].op, 0))
                    return es_fail(e, "invalid mapping: group %s: Einsum %s has more than %d dependencies",
                                   g->name, ev[i].d->name, SP_MAX_DEPS);
    if (g->schedule == MP_SCHED_SEQUENTIAL && ne) {
        /* one tile at a time (window 1): the tile is produced and consumed
         * before the next one enters, its Einsums start when their inputs
         * are ready (units work concurrently inside the tile), and it pays
         * the fill/drain of its arrays once (the largest fill_cycles among
         * its units) */
        int fill = 0;
        for (int i = 0; i < ne; i++) {
            const mp_unit *u = mp_arch_unit(a, lw->prog.comp_names[sg->ops[ev[i].op].comp]);
            if (u && u->fill_cycles > fill)
                fill = u->fill_cycles;
        }
        sg->ops[ev[0].op].cycles += (uint64_t)fill;
        /* An Einsum outside the innermost tile loop (AV, once its m1 fibre
         * is complete) belongs to no single tile: the next tile may enter
         * while it runs, subject to its unit (FIFO) and its dependencies, so
         * it does not hold the step open (docs/cycles.md). */
        for (int i = 0; i < ne; i++)
            if (mp_einsum_outside_inner(x->g, ev[i].d))
                sg->ops[ev[i].op].async = 1;
    }
    for (int i = 0; i < ne; i++) /* room for prefetch at stage 0 */
        sg->ops[ev[i].op].stage = ev[i].stage + SIM_PREFETCH_STEPS;

    /* transfers and the buffer footprint */
    const mp_store *gb = mp_arch_buffer(a);
    double wb = a->word_bytes, big = 0;
    const char *big_name = "";
    int mem = lw->mem_comp;
    const char *seen_t[64];
    int nt = 0;
    for (int i = 0; i < ne; i++) {
        const char *names[MP_CAT_INS + 2];
        int nn = 0;
        for (int k = 0; ev[i].d->in[k]; k++)
            names[nn++] = ev[i].d->in[k];
        names[nn++] = ev[i].d->out;
        for (int k = 0; k < nn; k++) {
            int dup = 0;
            for (int j = 0; j < nt; j++)
                dup |= !strcmp(seen_t[j], names[k]);
            if (!dup && nt < 64)
                seen_t[nt++] = names[k];
        }
    }
    for (int ti = 0; ti < nt; ti++) {
        const mp_tensor_desc *t = mp_catalog_tensor(x->cd, seen_t[ti]);
        if (!t)
            continue;
        int prod = -1, cons_min_stage = 1 << 20;
        for (int i = 0; i < ne; i++) {
            if (!strcmp(ev[i].d->out, t->name))
                prod = i;
            for (int k = 0; ev[i].d->in[k]; k++)
                if (!strcmp(ev[i].d->in[k], t->name) && sg->ops[ev[i].op].stage < cons_min_stage)
                    cons_min_stage = sg->ops[ev[i].op].stage;
        }
        int consumed = cons_min_stage < (1 << 20);
        int prod_elsewhere = mp_catalog_index(x->cd)->producer[t - x->cd->tensors] >= 0 && prod < 0;
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
        int spilled = name_in((char(*)[MP_ENAME])g->spill, g->n_spill, t->name);
        int rd = consumed && (t->role == MP_T_INPUT || t->role == MP_T_WEIGHT || (prod_elsewhere && !kept) ||
                              (spilled && prod >= 0));
        int wr = prod >= 0 && (t->role == MP_T_OUTPUT || (cons_elsewhere && !kept) || spilled);
        double dram_tiles;
        int inner = refetch_inner(x, t, &dram_tiles);
        double tile_b = full_elems(x, t) / dram_tiles * wb;
        double step_b = tile_elems(x, t) * wb;
        {
            /* ragged: every step moves a whole tile slice in the program, but
             * the bytes are scaled so that the total is the real tensor */
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
                step_b *= real / padded;
        }
        if (t->role != MP_T_TILE && !spilled && tile_b > big)
            big = tile_b, big_name = t->name;
        for (int dir = 0; dir < 2; dir++) {
            if ((dir == 0 && !rd) || (dir == 1 && !wr))
                continue;
            if (sg->nops == SP_MAX_OPS)
                return es_fail(e, "invalid mapping: group %s (cascade %s) lowers to more than %d ops", g->name,
                       x->c->label, SP_MAX_OPS);
            int oi = sg->nops++;
            sp_op *op = &sg->ops[oi];
            memset(op, 0, sizeof *op);
            snprintf(op->name, sizeof op->name, "%s %s", dir ? "wr" : "rd", t->name);
            op->comp = mem;
            op->einsum = -1;
            /* Transfers move the slice one tile step uses (streamed behind
             * the compute by the prefetch distance), the first time a step
             * touches it since the tensor's DRAM tile was (re)loaded: when
             * every irrelevant loop inside the innermost refetch loop is at
             * its first iteration (reads) or last (writes). */
            double b = step_b;
            uint32_t irr_in = 0;
            for (int l = inner + 1; l < x->nl; l++)
                if (!is_rel(t, x->l[l].rank))
                    irr_in |= 1u << l;
            if (dir == 0) {
                op->bytes_rd = b;
                op->async = 1;
                op->stage = cons_min_stage - SIM_PREFETCH_STEPS;
                op->first_mask = spilled && prod >= 0 ? 0 : irr_in;
                if (mp_group_bypasses(x->cd, x->g, t->name, 1)) {
                    /* streamed to its readers on every tile step one of
                     * them runs (one transfer serves all readers of a step) */
                    op->first_mask = 0;
                    op->last_mask = ~0u;
                    for (int i = 0; i < ne; i++)
                        for (int k = 0; ev[i].d->in[k]; k++)
                            if (!strcmp(ev[i].d->in[k], t->name))
                                op->last_mask &= sg->ops[ev[i].op].last_mask;
                }
                for (int i = 0; i < ne; i++)
                    for (int k = 0; ev[i].d->in[k]; k++)
                        if (!strcmp(ev[i].d->in[k], t->name))
                            add_dep(lw, sg, ev[i].op, oi, sg->ops[ev[i].op].stage - op->stage);
                op_act(lw, a, op, MP_ACCT_DRAM, a->mem.read_action, "dram", b);
                if (gb && !mp_group_bypasses(x->cd, x->g, t->name, 1)) /* a fill is a buffer write */
                    op_act(lw, a, op, MP_ACCT_BUFFER, gb->write_action, gb->name, b / wb);
                /* Double buffering: the group's first DRAM tile of t is
                 * loaded in a burst ahead of its use (the op above, now
                 * limited to that tile); every later tile streams in while
                 * the previous one is in use, spread evenly over the tile
                 * steps (the op below), so a refetch no longer bursts at the
                 * start of its sweep.  Bytes and energy totals are unchanged. */
                double f_irr = 1, steps = 1, period = 1;
                for (int l = 0; l < x->nl; l++) {
                    steps *= (double)x->l[l].f;
                    if (l > inner)
                        period *= (double)x->l[l].f;
                    if (irr_in >> l & 1)
                        f_irr *= (double)x->l[l].f;
                }
                if (op->first_mask && inner >= 0 && steps > period) {
                    if (sg->nops == SP_MAX_OPS)
                        return es_fail(e, "invalid mapping: group %s (cascade %s) lowers to more than %d ops", g->name,
                       x->c->label, SP_MAX_OPS);
                    for (int l = 0; l <= inner; l++)
                        op->first_mask |= 1u << l;
                    int oj = sg->nops++;
                    sp_op *os = &sg->ops[oj];
                    *os = *op;
                    snprintf(os->name, sizeof os->name, "rd %s (stream)", t->name);
                    os->first_mask = 0;
                    os->n_act = 0;
                    os->bytes_rd = b / f_irr * (1 - period / steps);
                    for (int i = 0; i < ne; i++)
                        for (int k = 0; ev[i].d->in[k]; k++)
                            if (!strcmp(ev[i].d->in[k], t->name))
                                add_dep(lw, sg, ev[i].op, oj, sg->ops[ev[i].op].stage - os->stage);
                    op_act(lw, a, os, MP_ACCT_DRAM, a->mem.read_action, "dram", os->bytes_rd);
                    if (gb && !mp_group_bypasses(x->cd, x->g, t->name, 1))
                        op_act(lw, a, os, MP_ACCT_BUFFER, gb->write_action, gb->name, os->bytes_rd / wb);
                }
            } else {
                sp_op *po = &sg->ops[ev[prod].op];
                op->bytes_wr = b;
                op->async = 1;
                op->stage = po->stage + 1;
                op->last_mask =
                    spilled || mp_group_bypasses(x->cd, x->g, t->name, 0) ? po->last_mask : irr_in | po->last_mask;
                add_dep(lw, sg, oi, ev[prod].op, 1);
                op_act(lw, a, op, MP_ACCT_DRAM, a->mem.write_action, "dram", b);
                if (gb && !mp_group_bypasses(x->cd, x->g, t->name, 0)) /* a drain is a buffer read */
                    op_act(lw, a, op, MP_ACCT_BUFFER, gb->read_action, gb->name, b / wb);
            }
        }
    }
    /* capacity: the footprint definition shared with the cost model (fibres
     * of a multi-pass cascade overwrite each other in one region; a fibre
     * streamed to or from another group is never whole here) */
    double foot = mp_group_footprint(a, x->c, g);
    if (mp_group_bypass_check(x->c, g, e)) /* the cost model's rule */
        return -1;
    /* an overbooked buffer (spill: [overflow], FLAT) spills that fraction of
     * every Einsum's buffer traffic of on-chip fibres to DRAM, on the
     * Einsum's own tile steps (mp_group_fits; the cost model's rule) */
    double spill_frac = 0;
    int fits = mp_group_fits(a, x->c, g, &spill_frac);
    for (int i = 0; spill_frac > 0 && i < ne; i++) {
        double rwds = 0, wwds = 0;
        for (int k = 0; ev[i].d->in[k]; k++) {
            const mp_tensor_desc *t = mp_catalog_tensor(x->cd, ev[i].d->in[k]);
            if (t && t->role == MP_T_FIBRE && !name_in((char(*)[MP_ENAME])g->spill, g->n_spill, t->name))
                rwds += tile_elems(x, t);
        }
        const mp_tensor_desc *to = mp_catalog_tensor(x->cd, ev[i].d->out);
        if (to && to->role == MP_T_FIBRE && !name_in((char(*)[MP_ENAME])g->spill, g->n_spill, to->name))
            wwds += tile_elems(x, to);
        if (rwds == 0 && wwds == 0)
            continue;
        if (sg->nops == SP_MAX_OPS)
            return es_fail(e, "internal: group %s has too many ops", g->name);
        const sp_op *eo = &sg->ops[ev[i].op];
        sp_op *op = &sg->ops[sg->nops++];
        memset(op, 0, sizeof *op);
        snprintf(op->name, sizeof op->name, "spill %s", ev[i].d->name);
        op->comp = mem;
        op->einsum = -1;
        op->async = 1;
        op->stage = eo->stage;
        op->first_mask = eo->first_mask;
        op->last_mask = eo->last_mask;
        op->bytes_rd = spill_frac * rwds * wb;
        op->bytes_wr = spill_frac * wwds * wb;
        op_act(lw, a, op, MP_ACCT_DRAM, a->mem.read_action, "dram", op->bytes_rd);
        op_act(lw, a, op, MP_ACCT_DRAM, a->mem.write_action, "dram", op->bytes_wr);
    }
    if (gb && !fits)
        return es_fail(e, "invalid mapping: buffer %s overflows in group %s: the tiles it holds need %.0f B (largest: "
                          "%s, %.0f B), capacity %lld B (tile 0)",
                       gb->name, g->name, foot, big_name, big, (long long)gb->capacity_bytes);
    sg->window = g->schedule == MP_SCHED_PIPELINED ? 2 : 1;
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
    lw->mem_comp = p->ncomps++;
    snprintf(p->comp_names[0], sizeof p->comp_names[0], "%s", a->mem.name[0] ? a->mem.name : "dram");
    lw->comps[0].ops = &sim_membw_ops;
    snprintf(lw->comps[0].name, sizeof lw->comps[0].name, "%s", p->comp_names[0]);
    lw->comps[0].bytes_per_cycle = a->mem.bandwidth_Bps / a->clock_hz;
    if (a->mem.kind != MP_MEM_BANDWIDTH)
        return es_fail(e, "arch %s: off-chip memory kind 'device' is not simulated yet (only bandwidth)", a->name);
    for (int ci = 0; ci < m->n_cascades; ci++) {
        const mp_cascade_map *c = &m->cascades[ci];
        const mp_cascade_desc *cd = mp_catalog_find(c->cascade);
        if (!cd)
            return es_fail(e, "invalid mapping: cascade '%s' is not one the simulator can lower (a bundled name "
                              "of mapper/cascades/ or a .ein path that parses and checks)",
                           c->cascade);
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
    sp_prog_free(&lw->prog);
}
