/* Weight storage formats through the path (--quant): a gpt2-small decode
 * layer on fusemax reads its linear weights at gd_quant_weight_bytes() of
 * each matrix (scales and zero points included) instead of n x k x
 * word_bytes, in the simulator and in the cost model alike; every other
 * tensor is unchanged.  No --quant: the instances carry no format.
 * --sparsity 2:4: fusemax-sparse (2:4-capable array) runs the linear
 * layers in fewer cycles, fusemax at the dense cycles; both read the
 * compressed weights. */
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

/* gpt2-small expanded at scope layer: prefill (decode 0) or decode over
 * seq tokens, with storage format q and sparsity sp ("": none). */
static void expand_layer(int decode, int64_t seq, const char *q, const char *sp, md_workload *w)
{
    es_err e;
    md_model m;
    if (md_model_load("gpt2-small", &m, &e))
        fail_msg("%s", e.msg);
    md_run r;
    md_run_init(&r);
    r.phase = decode ? MD_PHASE_DECODE : MD_PHASE_PREFILL;
    r.scope = MD_SCOPE_LAYER;
    r.seq = seq;
    snprintf(r.quant, sizeof r.quant, "%s", q);
    snprintf(r.sparsity, sizeof r.sparsity, "%s", sp);
    if (md_expand(&m, &r, w, &e))
        fail_msg("%s", e.msg);
}

/* Expand gpt2-small (decode, scope layer) with storage format q ("": none),
 * simulate and cost fusemax's bundled mapping.  *wdense / *wquant: the
 * linear weights' bytes at word size and in format q (gd_quant_weight_bytes). */
static void layer_run(mp_arch *a, const char *q, double *rd_sim, double *rd_cost, double *wr_sim, double *wdense,
                      double *wquant)
{
    es_err e;
    md_workload w;
    expand_layer(1, 256, q, "", &w);
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

/* Simulate gpt2-small (prefill 512, scope layer) with --sparsity sp ("":
 * dense) on arch `arch` through its bundled mapping; the cost model's
 * cycles in *cost_cycles. */
static void sparse_run(const char *arch, const char *sp, sim_report *r, double *cost_cycles)
{
    es_err e;
    mp_arch *a = sim_arch_load(arch, &e);
    if (!a)
        fail_msg("%s", e.msg);
    md_workload w;
    expand_layer(0, 512, "", sp, &w);
    mp_mapping t, mm;
    int skipped = 0;
    if (mp_mapping_load(a->mapping_name, &t, &e) || mp_resolve(a, &t, &w, &mm, &skipped, &e))
        fail_msg("%s", e.msg);
    sim_run_opts o;
    sim_run_opts_init(&o);
    sim_report_init(r, "run");
    if (sim_run_mapping(a, &mm, &o, r, &e) || mp_cost_eval(a, &mm, &cost, &e))
        fail_msg("%s", e.msg);
    *cost_cycles = cost.cycles;
    mp_mapping_free(&t);
    mp_mapping_free(&mm);
    md_workload_free(&w);
    mp_arch_free(a);
}

/* Cycles of the report's linear-layer Einsums (named LABEL.Y) */
static uint64_t linear_cycles(const sim_report *r)
{
    uint64_t c = 0;
    for (int i = 0; i < r->n_einsums; i++)
        if (strstr(r->einsums[i].name, ".Y"))
            c += r->einsums[i].cycles;
    return c;
}

static void test_sparse_2_4(void **state)
{
    (void)state;
    static sim_report dense, dense_sp, sparse_arch_dense, sparse;
    double cd, cds, csd, cs;
    sparse_run("fusemax", "", &dense, &cd);
    sparse_run("fusemax", "2:4", &dense_sp, &cds);
    sparse_run("fusemax-sparse", "", &sparse_arch_dense, &csd);
    sparse_run("fusemax-sparse", "2:4", &sparse, &cs);
    uint64_t lin = linear_cycles(&dense);
    assert_true(lin > 0);
    /* fusemax has no sparse MACs: its linear Einsums take the dense cycles */
    assert_int_equal(linear_cycles(&dense_sp), lin);
    /* fusemax-sparse without --sparsity is fusemax */
    assert_int_equal(sparse_arch_dense.cycles, dense.cycles);
    assert_true(csd == cd);
    /* with 2:4 weights its array runs the linear layers twice as fast
     * (each tile's points / 2, rounded up per tile) */
    assert_true(linear_cycles(&sparse) < lin);
    assert_true(linear_cycles(&sparse) * 2 >= lin);
    assert_true(sparse.cycles < dense_sp.cycles);
    assert_true(cs < cds);
    for (int i = 0; i < sparse.n_einsums; i++)
        assert_string_equal(sparse.einsums[i].sparsity, strstr(sparse.einsums[i].name, ".Y") ? "2:4" : "dense");
    /* both read the compressed weights: values x 0.5 + 2-bit indices, i.e.
     * 2 -> 1.125 bytes per dense element; 6 linear layers of gpt2-small */
    double w = 4.0 * 768 * 768 + 2.0 * 768 * 3072;
    assert_near(dense.dram_bytes_read - dense_sp.dram_bytes_read, w * (2 - 1.125), 0.5);
    assert_near(sparse.dram_bytes_read, dense_sp.dram_bytes_read, 0);
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
        cmocka_unit_test(test_sparse_2_4),
        cmocka_unit_test(test_bad_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
