/* sim/cli/point.c: see point.h. */
#include "point.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "golden/base/io.h"
#include "mapper/catalog.h"
#include "mapper/cost.h"
#include "mapper/mapfile.h"
#include "mapper/resolve.h"
#include "sim/pim/pim.h"

/* The named (or bundled) mapping resolved for w into *m (empty on failure),
 * with the checks `einsim map` makes (mp_mapping_for). */
static int bundled_mapping(const mp_arch *a, const char *name, const md_workload *w, mp_mapping *m, int *skipped,
                           es_err *e)
{
    return mp_mapping_for(a, name, w, m, skipped, e);
}

int cli_point_searched_mapping(const mp_arch *a, const md_workload *w, const mp_search_opts *so, mp_mapping *m,
                               es_err *e)
{
    mp_cost cost;
    mp_search_stats st;
    memset(&st, 0, sizeof st);
    mp_mapping_init(m);
    if (mp_search(a, w, so, m, &cost, &st, e))
        return -1;
    /* the search explores attention and linear layers; norms, residuals and
     * activations keep the bundled templates (as einsim map) */
    mp_mapping hand;
    int skipped;
    es_err he;
    char path[4096];
    if (es_find_bundled("mappings", a->mapping_name, ".yaml", path, sizeof path, &he) ||
        bundled_mapping(a, a->mapping_name, w, &hand, &skipped, &he))
        return 0;
    for (int i = 0; i < hand.n_cascades; i++)
        if (!mp_cascade_is_core(hand.cascades[i].cascade))
            *mp_mapping_add(m) = hand.cascades[i];
    /* never slower than the bundled mapping where that one is valid */
    mp_cost c1, c0;
    if (!mp_cost_eval(a, m, &c1, &he) && !mp_cost_eval(a, &hand, &c0, &he) && c0.valid &&
        (!c1.valid || mp_objective_value(so->objective, &c0) < mp_objective_value(so->objective, &c1))) {
        mp_mapping_free(m);
        *m = hand; /* a move */
        return 0;
    }
    mp_mapping_free(&hand);
    return 0;
}

/* A PIM system (sim/pim): the whole model's decode at the DRAM-command
 * level, with values too in functional mode (docs/pim.md). */
static int point_pim(const cli_point *p, const sim_run_opts *ro, sim_report *r, es_err *e)
{
    const md_run *run = &p->run->run;
    if (p->n_sets || p->heads > 0 || p->search || (ro && ro->trace))
        return es_fail(e, "arch %s is a PIM system: --set, --heads, --trace and a searched mapping do not apply "
                          "(einsim map searches PIM mappings)",
                       p->arch);
    if (run->phase != MD_PHASE_DECODE)
        return es_fail(e, "arch %s is a PIM system: it runs --phase decode (got %s)", p->arch,
                       md_phase_name(run->phase));
    if (run->batch != 1 || p->run->nseqs)
        return es_fail(e, "arch %s decodes one request (batch 1, as PIM-GPT)", p->arch);
    pim_arch *a = es_xcalloc(1, sizeof *a);
    md_model model;
    pim_mapping mp;
    int rc = -1;
    if (pim_arch_load(p->arch, a, e) || md_model_load(p->model, &model, e))
        goto out;
    mp = a->mapping;
    if (p->mapping && pim_mapping_load(p->mapping, &mp, e))
        goto out;
    pim_opts po = {.prompt = run->seq ? run->seq : run->prompt,
                   .gen = run->gen,
                   .fast_forward = ro ? ro->fast_forward : 1,
                   .record = p->check,
                   .mapping = &mp};
    snprintf(r->arch, sizeof r->arch, "%s", a->name);
    snprintf(r->model, sizeof r->model, "%s", model.name);
    snprintf(r->phase, sizeof r->phase, "decode");
    snprintf(r->scope, sizeof r->scope, "model");
    snprintf(r->schedule, sizeof r->schedule, "%s", p->mapping ? p->mapping : a->name);
    r->batch = 1;
    r->n_seqs = 1, r->seqs[0] = po.prompt;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pim_result x;
    if (pim_decode(a, &model, &po, &x, e))
        goto out;
    pim_fill_report(a, &x, r);
    sim_report_extra(r, "decode_gen", (double)po.gen);
    rc = 0;
    if (ro && ro->functional) {
        /* the same decode with values: BF16 banks and the ASIC's arithmetic
         * against golden's forward; a mismatch is -1 with the report filled */
        pim_func_result fr;
        if (pim_functional(a, &model, &po, ro->func_seed, &fr, e)) {
            rc = -1;
            goto out;
        }
        r->functional = 1;
        r->func_max_abs_err = fr.max_abs_err;
        r->func_max_rel_err = fr.max_rel_err;
        r->func_tol = PIM_FUNC_TOLERANCE;
        sim_report_extra(r, "functional_argmax_agree", fr.argmax_agree);
        if (fr.max_rel_err > PIM_FUNC_TOLERANCE)
            rc = es_fail(e, "functional mode: PIM logits differ from golden's forward: max relative error %.3g > "
                            "tolerance %.3g",
                         fr.max_rel_err, PIM_FUNC_TOLERANCE);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    r->wall_s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
out:
    free(a);
    return rc;
}

int cli_point_run(const cli_point *p, const sim_run_opts *ro, sim_report *r, es_err *e)
{
    sim_report_init(r, "run");
    if (pim_arch_is(p->arch))
        return point_pim(p, ro, r, e);
    mp_arch *a = sim_arch_load_set(p->arch, p->sets, p->n_sets, e);
    if (!a)
        return -1;
    md_model model;
    md_workload w;
    mp_mapping m;
    mp_mapping_init(&m);
    int rc = -1, skipped = 0;
    if (md_model_load(p->model, &model, e)) {
        mp_arch_free(a);
        return -1;
    }
    if (p->heads > 0)
        model.n_heads = model.n_kv_heads = p->heads;
    md_run fitted = p->run->run;
    cli_run_fit_arch(&fitted, a);
    const md_run *run = &fitted;
    if (md_expand(&model, run, &w, e))
        goto out;
    if (p->search ? cli_point_searched_mapping(a, &w, &p->so, &m, e)
                  : bundled_mapping(a, p->mapping ? p->mapping : a->mapping_name, &w, &m, &skipped, e))
        goto out;
    sim_run_opts dflt;
    sim_run_opts_init(&dflt);
    mp_arch_label(a->name, p->sets, p->n_sets, r->arch, sizeof r->arch);
    r->n_sets = p->n_sets;
    for (int i = 0; i < p->n_sets; i++)
        snprintf(r->sets[i], sizeof r->sets[i], "%s", p->sets[i]);
    snprintf(r->model, sizeof r->model, "%s", model.name);
    snprintf(r->phase, sizeof r->phase, "%s", md_phase_name(run->phase));
    snprintf(r->scope, sizeof r->scope, "%s", md_scope_name(run->scope));
    snprintf(r->schedule, sizeof r->schedule, "%s", p->search ? "searched" : p->mapping ? p->mapping : a->mapping_name);
    snprintf(r->quant, sizeof r->quant, "%s", run->quant);
    snprintf(r->sparsity, sizeof r->sparsity, "%s", run->sparsity);
    r->batch = run->batch;
    if (p->run->nseqs) {
        r->n_seqs = p->run->nseqs;
        memcpy(r->seqs, p->run->seqs, (size_t)p->run->nseqs * sizeof *p->run->seqs);
    } else {
        r->n_seqs = 1, r->seqs[0] = run->seq ? run->seq : run->prompt;
    }
    rc = sim_run_mapping(a, &m, ro ? ro : &dflt, r, e);
    if (rc && !r->functional)
        goto out;
    if (skipped)
        sim_report_extra(r, "instances_not_costed", skipped);
    if (run->phase == MD_PHASE_DECODE) {
        sim_report_extra(r, "decode_gen", (double)run->gen);
        if (!rc)
            sim_report_decode(r, (double)run->batch, (double)run->gen);
    }
    if (!rc) {
        /* which resource bounds the run: off-chip memory when its busy time
         * is the largest of all units (decode streams the KV cache) */
        double mem = 0, comp = 0;
        for (int i = 0; i < r->n_units; i++) {
            double b = (double)r->units[i].busy_cycles;
            if (!strcmp(r->units[i].name, a->mem.name))
                mem = b;
            else if (b > comp)
                comp = b;
        }
        sim_report_extra(r, "memory_bound", mem >= comp && mem > 0 ? 1 : 0);
        /* Area of the units that take it from synthesized RTL (arch key
         * rtl_area; docs/rtl.md) and of the storage levels whose area the
         * energy table gives (the global buffer, scaled to its geometry;
         * mapper/sram.h): the total, then each. */
        double area_um2 = 0;
        for (int i = 0; i < a->n_units; i++)
            area_um2 += a->units[i].area_um2;
        for (int i = 0; i < a->n_stores; i++)
            area_um2 += a->stores[i].area_um2;
        if (area_um2 > 0) {
            sim_report_extra(r, "area_mm2", area_um2 * 1e-6);
            char key[SIM_REP_NAME];
            for (int i = 0; i < a->n_units; i++)
                if (a->units[i].area_um2 > 0) {
                    snprintf(key, sizeof key, "area_mm2.%s", a->units[i].name);
                    sim_report_extra(r, key, a->units[i].area_um2 * 1e-6);
                }
            for (int i = 0; i < a->n_stores; i++)
                if (a->stores[i].area_um2 > 0) {
                    snprintf(key, sizeof key, "area_mm2.%s", a->stores[i].name);
                    sim_report_extra(r, key, a->stores[i].area_um2 * 1e-6);
                }
        }
    }
out:
    mp_mapping_free(&m);
    md_workload_free(&w);
    mp_arch_free(a);
    return rc;
}
