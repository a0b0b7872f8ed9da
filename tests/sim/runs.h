/* tests/sim/runs.h: running a mapping with or without fast-forward and
 * comparing the two reports (included after <cmocka.h>). */
#ifndef TESTS_SIM_RUNS_H
#define TESTS_SIM_RUNS_H

#include <math.h>

#include "sim/sim.h"

static int run(const mp_arch *a, const mp_mapping *m, int ff, sim_report *r, es_err *e)
{
    sim_run_opts o;
    sim_run_opts_init(&o);
    o.fast_forward = ff;
    sim_report_init(r, "run");
    return sim_run_mapping(a, m, &o, r, e);
}

static int close_to(double x, double y, double tol)
{
    return fabs(x - y) <= tol * x;
}

/* Fast-forwarded and full runs agree: cycles and busy cycles exactly; ops
 * and DRAM bytes to a relative tol (0: exactly); energy to 1e-9. */
static void same(const sim_report *x, const sim_report *y, double tol)
{
    assert_int_equal(x->cycles, y->cycles);
    assert_int_equal(x->n_units, y->n_units);
    for (int i = 0; i < x->n_units; i++)
        assert_int_equal(x->units[i].busy_cycles, y->units[i].busy_cycles);
    assert_int_equal(x->n_einsums, y->n_einsums);
    for (int i = 0; i < x->n_einsums; i++) {
        assert_int_equal(x->einsums[i].cycles, y->einsums[i].cycles);
        assert_true(close_to(x->einsums[i].ops, y->einsums[i].ops, tol));
    }
    assert_true(close_to(x->dram_bytes_read, y->dram_bytes_read, tol));
    assert_true(close_to(x->dram_bytes_written, y->dram_bytes_written, tol));
    assert_true(close_to(x->energy_pj, y->energy_pj, 1e-9));
}

#endif
