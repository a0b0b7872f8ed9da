/* sim/run.c: mapping -> lowered tile program -> executor -> report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/functional/functional.h"
#include "sim/lower/lower.h"
#include "sim/sim.h"

void sim_run_opts_init(sim_run_opts *o)
{
    memset(o, 0, sizeof *o);
    o->fast_forward = 1;
    o->func_seed = 1;
    o->func_tol = 1e-3;
}

_Static_assert(SIM_REP_EINSUMS >= SP_MAX_EINSUMS, "the report holds every reported Einsum of a program");
_Static_assert(SIM_REP_UNITS >= SP_MAX_COMPS, "the report (and trace) hold every component of a program");
_Static_assert(SP_MAX_COMPS >= MP_MAX_UNITS + 1, "a program holds every unit of an arch and its memory");
_Static_assert(SIM_REP_ENERGY >= MP_MAX_UNITS + MP_MAX_STORES + 1,
               "the report holds every component an action is charged to (units, storage levels, dram)");

/* A full units table is refused and flagged (sim_report_check). */
static void report_busy(sim_report *r, const char *name, uint64_t busy)
{
    sim_rep_unit *u = sim_report_unit(r, name);
    if (u)
        u->busy_cycles = busy;
}

int sim_run_mapping(const mp_arch *a, const mp_mapping *m, const sim_run_opts *o, sim_report *r, es_err *e)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sim_lowered *lw = es_xcalloc(1, sizeof *lw);
    int rc = sim_lower(a, m, o->fold_source, o->fold_ctx, lw, e);
    sim_functional *fn = NULL;
    sp_stats st;
    memset(&st, 0, sizeof st);
    if (!rc && o->functional) {
        fn = sim_functional_create(a, m, &lw->prog, o->func_seed, e);
        if (!fn)
            rc = -1;
    }
    if (!rc) {
        if (o->trace)
            for (int i = 0; i < lw->prog.ncomps; i++)
                sim_trace_unit(o->trace, lw->prog.comp_names[i]);
        sp_exec_opts xo = {.fast_forward = o->fast_forward && !o->functional, .trace = o->trace,
                           .fn = fn ? sim_functional_op : NULL, .fn_ctx = fn};
        rc = sp_exec(&lw->prog, lw->comp_ptr, &xo, &st, e);
    }
    if (!rc) {
        r->clock_hz = a->clock_hz;
        r->cycles = st.cycles;
        for (int i = 0; i < lw->prog.ncomps; i++)
            if (i != lw->mem_comp)
                report_busy(r, lw->prog.comp_names[i], st.comp_busy[i]);
        report_busy(r, lw->prog.comp_names[lw->mem_comp], st.comp_busy[lw->mem_comp]); /* memory last */
        r->dram_bytes_read = st.dram_rd;
        r->dram_bytes_written = st.dram_wr;
        for (int i = 0; i < lw->prog.nacts; i++)
            sim_report_energy_add(r, lw->act_component[i], mp_energy_charge(a, lw->act_cls[i], lw->act_pj[i], st.act[i]));
        r->n_einsums = 0;
        for (int i = 0; i < lw->prog.neinsums && r->n_einsums < SIM_REP_EINSUMS; i++) {
            sim_rep_einsum *x = &r->einsums[r->n_einsums++];
            snprintf(x->name, sizeof x->name, "%s", lw->prog.einsum_names[i]);
            snprintf(x->unit, sizeof x->unit, "%s", lw->prog.comp_names[lw->prog.einsum_comp[i]]);
            x->cycles = st.einsum_cycles[i];
            x->ops = st.einsum_ops[i];
            snprintf(x->format, sizeof x->format, "%s", lw->einsum_format[i]);
            snprintf(x->sparsity, sizeof x->sparsity, "%s", lw->einsum_sparsity[i][0] ? lw->einsum_sparsity[i] : "dense");
            /* PE utilization counts the PEs a tile leaves idle: point ops x
             * PE cycles each, over every PE of the unit for the whole run */
            const mp_unit *u = mp_arch_unit(a, x->unit);
            if (u && st.cycles)
                sim_report_unit(r, x->unit)->pe_utilization +=
                    x->ops * lw->prog.einsum_pe_cycles[i] / ((double)u->rows * u->cols * (double)st.cycles);
        }
        r->simulated_cycles = st.simulated_cycles;
        r->fast_forwarded_cycles = st.ff_cycles;
        r->events = st.events;
        sim_report_extra(r, "steps_issued", (double)st.steps_issued);
        sim_report_extra(r, "ops_started", (double)st.ops_started);
        sim_report_finish(r);
        rc = sim_report_check(r, e);
    }
    if (!rc && fn) {
        r->functional = 1;
        r->func_tol = o->func_tol;
        sim_fn_result fr;
        rc = sim_functional_finish(fn, &fr, e);
        r->func_max_abs_err = fr.max_abs;
        r->func_max_rel_err = fr.max_rel;
        snprintf(r->func_quant, sizeof r->func_quant, "%s", fr.quant);
        snprintf(r->func_sparsity, sizeof r->func_sparsity, "%s", fr.sparsity);
        r->func_tiles_checked = fr.tiles_checked;
        r->func_elems_checked = fr.elems_checked;
        r->func_exact = fr.exact;
        snprintf(r->func_kernel, sizeof r->func_kernel, "%s", fr.kernel);
        r->func_weight_rel_err = fr.weight_rel_err;
        r->func_bit_exact = fr.bit_exact;
        if (!rc && !fr.bit_exact)
            rc = es_fail(e, "%s", fr.mismatch);
        else if (!rc && r->func_max_rel_err > o->func_tol)
            rc = es_fail(e, "functional mode: a cascade output differs from its golden reference: max relative "
                            "error %.3g > tolerance %.3g (%s)",
                         r->func_max_rel_err, o->func_tol, fr.worst);
    }
    sim_functional_free(fn);
    sim_lower_free(lw);
    free(lw);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    r->wall_s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    return rc;
}
