/* Weight storage formats through the path (--quant): a gpt2-small decode
 * layer on fusemax reads its linear weights at gd_quant_weight_bytes() of
 * each matrix (scales and zero points included) instead of n x k x
 * word_bytes, in the simulator and in the cost model alike; every other
 * tensor is unchanged.  No --quant: the instances carry no format. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "golden/quant.h"
#include "mapper/arch.h"
#include "mapper/cost.h"
#include "mapper/resolve.h"
#include "models/models.h"
#include "sim/sim.h"

/* |x - y| <= tol */
#define assert_near(x, y, tol) assert_true(fabs((double)(x) - (double)(y)) <= (tol))

static sim_report rep;
static mp_cost cost;

/* Expand gpt2-small (decode, scope layer) with storage format q ("": none),
 * simulate and cost fusemax's bundled mapping.  *wdense / *wquant: the
 * linear weights' bytes at word size and in format q (gd_quant_weight_bytes). */
static void layer_run(mp_arch *a, const char *q, double *rd_sim, double *rd_cost, double *wr_sim, double *wdense,
                      double *wquant)
{
    es_err e;
    md_model m;
    if (md_model_load("gpt2-small", &m, &e))
        fail_msg("%s", e.msg);
    md_run r;
    md_run_init(&r);
    r.phase = MD_PHASE_DECODE;
    r.scope = MD_SCOPE_LAYER;
    r.seq = 256;
    snprintf(r.quant, sizeof r.quant, "%s", q);
    md_workload w;
    if (md_expand(&m, &r, &w, &e))
        fail_msg("%s", e.msg);
    gd_qformat f;
    if (q[0] && gd_qformat_parse(q, &f, &e))
        fail_msg("%s", e.msg);
    *wdense = *wquant = 0;
    int linears = 0;
    for (int i = 0; i < w.n_inst; i++) {
        const md_inst *in = &w.inst[i];
        if (strcmp(in->cascade, "linear")) {
            assert_true(in->weight_elem_bytes == 0); /* only linear weights change */
            continue;
        }
        linears++;
        int64_t k = md_inst_rank(in, "k"), n = md_inst_rank(in, "n");
        *wdense += (double)in->repeat * (double)(k * n * a->word_bytes);
        if (!q[0]) {
            assert_true(in->weight_elem_bytes == 0);
            assert_string_equal(in->format, "");
            continue;
        }
        assert_string_equal(in->format, q);
        *wquant += (double)in->repeat * (double)gd_quant_weight_bytes(&f, n, k);
    }
    assert_true(linears >= 4);
    mp_mapping t, mm;
    int skipped = 0;
    if (mp_mapping_load("fusemax", &t, &e) || mp_resolve(a, &t, &w, &mm, &skipped, &e))
        fail_msg("%s", e.msg);
    mp_mapping_free(&t);
    sim_run_opts o;
    sim_run_opts_init(&o);
    sim_report_init(&rep, "run");
    if (sim_run_mapping(a, &mm, &o, &rep, &e))
        fail_msg("%s", e.msg);
    if (mp_cost_eval(a, &mm, &cost, &e))
        fail_msg("%s", e.msg);
    *rd_sim = rep.dram_bytes_read;
    *wr_sim = rep.dram_bytes_written;
    *rd_cost = cost.dram_read_bytes;
    mp_mapping_free(&mm);
    md_workload_free(&w);
}

static void test_weight_bytes(void **state)
{
    (void)state;
    es_err e;
    mp_arch *a = sim_arch_load("fusemax", &e);
    if (!a)
        fail_msg("%s", e.msg);
    double rd0, c0, wr0, dense, none;
    layer_run(a, "", &rd0, &c0, &wr0, &dense, &none);
    assert_true(dense > 0);
    static const char *const fmts[] = {"int8", "q4_0", "gptq4-g128", "mxfp4", "fp32"};
    for (size_t i = 0; i < sizeof fmts / sizeof *fmts; i++) {
        double rd, c, wr, d, qb;
        layer_run(a, fmts[i], &rd, &c, &wr, &d, &qb);
        /* the weights are read once per decode step: the read bytes change
         * by exactly the weights' change, the writes not at all */
        assert_near(rd0 - rd, dense - qb, 0.5);
        assert_near(c0 - c, dense - qb, 0.5);
        assert_near(wr, wr0, 0);
    }
    /* fp16 on a 2-byte arch: the same bytes as no format */
    double rd, c, wr, d, qb;
    layer_run(a, "fp16", &rd, &c, &wr, &d, &qb);
    assert_near(rd, rd0, 0);
    assert_near(qb, dense, 0);
    mp_arch_free(a);
}

static void test_bad_format(void **state)
{
    (void)state;
    es_err e;
    md_model m;
    if (md_model_load("gpt2-small", &m, &e))
        fail_msg("%s", e.msg);
    md_run r;
    md_run_init(&r);
    r.seq = 16;
    r.scope = MD_SCOPE_LAYER;
    snprintf(r.quant, sizeof r.quant, "int7");
    md_workload w;
    assert_int_equal(md_expand(&m, &r, &w, &e), -1);
    assert_non_null(strstr(e.msg, "--quant 'int7'"));
    md_workload_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weight_bytes),
        cmocka_unit_test(test_bad_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
