/* einsim map: choose a mapping of a workload onto an architecture (mapper/
 * search.h), cost it analytically (mapper/cost.h), print it beside its lower
 * bounds and the bundled hand mapping, and write it (-o, YAML) and a report
 * (--json).  Conventions: docs/mapper.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "golden/base/err.h"
#include "golden/base/io.h"
#include "cli.h"
#include "mapper/arch.h"
#include "mapper/cost.h"
#include "mapper/mapfile.h"
#include "sim/report/report.h"
#include "mapper/mapping.h"
#include "mapper/resolve.h"
#include "mapper/search.h"
#include "models/models.h"
#include "runopts.h"
#include "sim/pim/pim.h"

static const char usage[] =
    "usage: einsim map --arch A --model M (--seq N [--batch B] | --seqs 512,77,1024 | --prompt P)\n"
    "                  [--phase prefill|decode [--gen G] [--splits S]] [--scope attention|layer|model]\n"
    "                  [--objective latency|energy|edp] [--budget N] [--seed S] [--quant FMT] [--sparsity S]\n"
    "                  [--mapping F] [--set KEY.PATH=VALUE ...] [-o F] [--json F]\n"
    "  Searches mappings of the model's attention (and, with --scope layer, the\n"
    "  layer's linear layers) onto arch A and prints the best one's analytical\n"
    "  latency, energy, DRAM traffic, utilization and lower bounds, beside the\n"
    "  arch's bundled hand mapping (mapper/mappings/A.yaml) when there is one.\n"
    "  --budget N     candidates per cascade instance (default 20000); 0 = no\n"
    "                 search, report the bundled hand mapping\n"
    "  --mapping F    cost this mapping (file or bundled name) instead of searching\n"
    "  --set K=V      change one field of the arch spec (as einsim run --set)\n"
    "  --quant FMT    linear-layer weights stored in FMT (as einsim run --quant)\n"
    "  --sparsity S   block linears' weights sparse: 2:4, blockRxC:S, unstructured:S\n"
    "                 (as einsim run --sparsity)\n"
    "  -o F           write the chosen mapping as YAML (einsim run --mapping F)\n"
    "  --json F       JSON report ('-' = stdout; the text then goes to stderr)\n"
    "  Norms, residuals and activations are costed only where the arch's bundled\n"
    "  mapping has a template for them (the search keeps those templates).\n"
    "  PIM archs (pimgpt, pimgpt-hbm; --phase decode --prompt P [--gen G]): every\n"
    "  PIM mapping (weight split over channels, row packing, KV cache in the banks\n"
    "  or attention on the ASIC, ASIC overlap) is simulated at the command level;\n"
    "  the best is compared with PIM-GPT's (the arch's `mapping:`).\n";

/* PIM archs: exhaustive search of pim_mapping by simulation (docs/pim.md). */
static int map_pim(const cli_opt *o)
{
    es_err e;
    md_model model;
    pim_opts po;
    pim_arch *a = cli_pim_load(o, "map", &model, &po);
    if (cli_get(o, "mapping") || cli_get(o, "budget") || cli_get(o, "seed"))
        es_fatal(ES_EXIT_BADINPUT, "map: --mapping, --budget and --seed do not apply to PIM arch %s (the search is "
                                   "exhaustive)", a->name);
    int obj = 0;
    const char *ob = cli_get(o, "objective");
    if (ob)
        obj = !strcmp(ob, "latency") ? 0 : !strcmp(ob, "energy") ? 1 : !strcmp(ob, "edp") ? 2 : -1;
    if (obj < 0)
        es_fatal(ES_EXIT_BADINPUT, "map: --objective: expected latency, energy or edp, got '%s'", ob);
    pim_map_point pts[PIM_MAP_POINTS];
    int best;
    if (pim_map_search(a, &model, &po, obj, pts, &best, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    int hand = pim_mapping_index(&a->mapping);
    const char *json = cli_get(o, "json");
    FILE *tx = json && !strcmp(json, "-") ? stderr : stdout;
    static const char *const on[] = {"latency", "energy", "edp"};
    fprintf(tx, "einsim map: arch %s, model %s, decode, prompt %lld, gen %lld, objective %s (%d mappings simulated)\n",
            a->name, model.name, (long long)po.prompt, (long long)po.gen, on[obj], PIM_MAP_POINTS);
    fprintf(tx, "  split_k pack_rows kv_in_pim overlap   s/token      pJ/token     row-hit\n");
    for (int i = 0; i < PIM_MAP_POINTS; i++)
        fprintf(tx, "  %-7d %-9d %-9d %-7d   %-12.6g %-12.6g %.4f%s%s\n", pts[i].m.split_k, pts[i].m.pack_rows,
                pts[i].m.kv_in_pim, pts[i].m.overlap, pts[i].s_per_token, pts[i].pj_per_token, pts[i].row_hit_rate,
                i == best ? "  <- best" : "", i == hand ? "  <- PIM-GPT (bundled)" : "");
    double gain = pts[best].objective > 0 ? pts[hand].objective / pts[best].objective : 1;
    int dist = pim_mapping_distance(&pts[best].m, &a->mapping);
    fprintf(tx, "  searched vs PIM-GPT's mapping: %d of 4 choices differ; %s %.4gx better\n", dist, on[obj], gain);
    if (cli_get(o, "o")) {
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        pim_mapping_write(m, a->name, &pts[best].m);
        fclose(m);
        if (es_write_file(cli_get(o, "o"), buf, len, &e))
            es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
        free(buf);
    }
    if (json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "command", "map");
        cJSON_AddStringToObject(j, "arch", a->name);
        cJSON_AddStringToObject(j, "model", model.name);
        cJSON_AddStringToObject(j, "phase", "decode");
        cJSON_AddNumberToObject(j, "prompt", (double)po.prompt);
        cJSON_AddNumberToObject(j, "gen", (double)po.gen);
        cJSON_AddStringToObject(j, "objective", on[obj]);
        cJSON *ps = cJSON_AddArrayToObject(j, "points");
        for (int i = 0; i < PIM_MAP_POINTS; i++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddBoolToObject(x, "split_k", pts[i].m.split_k);
            cJSON_AddBoolToObject(x, "pack_rows", pts[i].m.pack_rows);
            cJSON_AddBoolToObject(x, "kv_in_pim", pts[i].m.kv_in_pim);
            cJSON_AddBoolToObject(x, "overlap", pts[i].m.overlap);
            cJSON_AddNumberToObject(x, "s_per_token", pts[i].s_per_token);
            cJSON_AddNumberToObject(x, "energy_pj_per_token", pts[i].pj_per_token);
            cJSON_AddNumberToObject(x, "row_hit_rate", pts[i].row_hit_rate);
            cJSON_AddItemToArray(ps, x);
        }
        cJSON_AddNumberToObject(j, "best", best);
        cJSON_AddNumberToObject(j, "bundled", hand);
        cJSON_AddNumberToObject(j, "choices_differing", dist);
        cJSON_AddNumberToObject(j, "bundled_over_best", gain);
        cli_write_json(j, json);
        cJSON_Delete(j);
    }
    free(a);
    return 0;
}

static cJSON *json_mapping(const mp_mapping *m)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "arch", m->arch);
    cJSON *cs = cJSON_AddArrayToObject(j, "cascades");
    for (int c = 0; c < m->n_cascades; c++) {
        const mp_cascade_map *C = &m->cascades[c];
        cJSON *jc = cJSON_CreateObject();
        cJSON_AddStringToObject(jc, "cascade", C->cascade);
        cJSON_AddStringToObject(jc, "label", C->label);
        cJSON *r = cJSON_AddObjectToObject(jc, "ranks");
        for (int i = 0; i < C->n_ranks; i++)
            cJSON_AddNumberToObject(r, C->ranks[i].rank, (double)C->ranks[i].size);
        cJSON_AddNumberToObject(jc, "repeat", (double)C->repeat);
        cJSON *b = cJSON_AddObjectToObject(jc, "bindings");
        for (int i = 0; i < C->n_bindings; i++)
            cJSON_AddStringToObject(b, C->bindings[i].einsum, C->bindings[i].unit);
        cJSON *gs = cJSON_AddArrayToObject(jc, "groups");
        for (int g = 0; g < C->n_groups; g++) {
            const mp_group *G = &C->groups[g];
            cJSON *jg = cJSON_CreateObject();
            cJSON_AddStringToObject(jg, "name", G->name);
            cJSON *es = cJSON_AddArrayToObject(jg, "einsums");
            for (int i = 0; i < G->n_einsums; i++)
                cJSON_AddItemToArray(es, cJSON_CreateString(G->einsums[i]));
            cJSON_AddStringToObject(jg, "schedule", mp_sched_name(G->schedule));
            cJSON_AddStringToObject(jg, "granularity", mp_gran_name(G->granularity));
            cJSON *sp = cJSON_AddArrayToObject(jg, "spill");
            for (int i = 0; i < G->n_spill; i++)
                cJSON_AddItemToArray(sp, cJSON_CreateString(G->spill[i]));
            cJSON *ns = cJSON_AddArrayToObject(jg, "nest");
            for (int l = 0; l < G->n_levels; l++) {
                cJSON *jl = cJSON_CreateObject();
                cJSON_AddStringToObject(jl, "level", G->levels[l].store);
                cJSON *lp = cJSON_AddArrayToObject(jl, "loops");
                for (int i = 0; i < G->levels[l].n; i++) {
                    cJSON *x = cJSON_CreateObject();
                    cJSON_AddStringToObject(x, "rank", G->levels[l].loops[i].rank);
                    cJSON_AddNumberToObject(x, "factor", (double)G->levels[l].loops[i].factor);
                    cJSON_AddStringToObject(x, "kind", mp_loop_kind_name(G->levels[l].loops[i].kind));
                    cJSON_AddItemToArray(lp, x);
                }
                cJSON_AddItemToArray(ns, jl);
            }
            cJSON_AddItemToArray(gs, jg);
        }
        cJSON_AddItemToArray(cs, jc);
    }
    return j;
}

/* The cascade map labelled `label` in m (its first one), or NULL. */
static const mp_cascade_map *cmap_of(const mp_mapping *m, const char *label)
{
    for (int i = 0; i < m->n_cascades; i++)
        if (!strcmp(m->cascades[i].label, label))
            return &m->cascades[i];
    return NULL;
}

static void json_cost(cJSON *j, const mp_arch *a, const mp_cost *c, const mp_mapping *m)
{
    cJSON_AddNumberToObject(j, "latency_s", c->latency_s);
    cJSON_AddNumberToObject(j, "cycles", round(c->cycles));
    cJSON_AddNumberToObject(j, "energy_pj", c->energy_pj);
    cJSON_AddNumberToObject(j, "dram_bytes", c->dram_read_bytes + c->dram_write_bytes);
    cJSON_AddNumberToObject(j, "dram_read_bytes", c->dram_read_bytes);
    cJSON_AddNumberToObject(j, "dram_write_bytes", c->dram_write_bytes);
    cJSON_AddNumberToObject(j, "compute_s", c->compute_s);
    cJSON_AddNumberToObject(j, "memory_s", c->memory_s);
    cJSON_AddNumberToObject(j, "buffer_peak_bytes", c->buffer_peak_bytes);
    cJSON *u = cJSON_AddObjectToObject(j, "utilization");
    for (int i = 0; i < a->n_units; i++)
        cJSON_AddNumberToObject(u, a->units[i].name, c->util[i]);
    cJSON *eb = cJSON_AddObjectToObject(j, "energy_breakdown_pj");
    cJSON_AddNumberToObject(eb, "compute", c->e_compute_pj);
    cJSON_AddNumberToObject(eb, "regfile", c->e_rf_pj);
    cJSON_AddNumberToObject(eb, "buffer", c->e_buffer_pj);
    cJSON_AddNumberToObject(eb, "dram", c->e_dram_pj);
    cJSON *lb = cJSON_AddObjectToObject(j, "lower_bounds");
    cJSON_AddNumberToObject(lb, "compute_cycles", round(c->lb_compute_cycles));
    cJSON_AddNumberToObject(lb, "compute_ratio", c->lb_compute_cycles > 0 ? c->cycles / c->lb_compute_cycles : 0);
    if (c->lb_io_bytes > 0) {
        cJSON_AddNumberToObject(lb, "attention_io_bytes", c->lb_io_bytes);
        cJSON_AddNumberToObject(lb, "attention_dram_bytes", c->attn_dram_bytes);
        cJSON_AddNumberToObject(lb, "attention_io_ratio", c->attn_dram_bytes / c->lb_io_bytes);
    }
    cJSON *es = cJSON_AddArrayToObject(j, "einsums");
    for (int i = 0; i < c->n_einsums; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "cascade", c->einsums[i].cascade_label);
        cJSON_AddStringToObject(x, "name", c->einsums[i].name);
        cJSON_AddStringToObject(x, "unit", a->units[c->einsums[i].unit].name);
        cJSON_AddNumberToObject(x, "cycles", c->einsums[i].cycles);
        cJSON_AddNumberToObject(x, "ops", c->einsums[i].points);
        cJSON_AddNumberToObject(x, "energy_pj", c->einsums[i].energy_pj);
        const mp_cascade_map *cm = cmap_of(m, c->einsums[i].cascade_label);
        cJSON_AddStringToObject(x, "format", cm ? mp_einsum_format(a, cm, c->einsums[i].name) : a->number_format);
        cJSON_AddStringToObject(x, "sparsity",
                                cm ? mp_einsum_sparsity(&a->units[c->einsums[i].unit], cm, c->einsums[i].name) : "dense");
        cJSON_AddItemToArray(es, x);
    }
}

static void print_cost(FILE *tx, const char *what, const mp_arch *a, const mp_cost *c)
{
    fprintf(tx, "%s: latency %.6g s (%.0f cycles), energy %.6g pJ, DRAM %.6g B\n", what, c->latency_s, c->cycles,
            c->energy_pj, c->dram_read_bytes + c->dram_write_bytes);
    fprintf(tx, "  utilization:");
    for (int i = 0; i < a->n_units; i++)
        fprintf(tx, " %s %.1f%%", a->units[i].name, 100 * c->util[i]);
    fprintf(tx, "; buffer peak %.0f B\n", c->buffer_peak_bytes);
    fprintf(tx, "  lower bounds: compute %.0f cycles (mapping %.3fx)", c->lb_compute_cycles,
            c->lb_compute_cycles > 0 ? c->cycles / c->lb_compute_cycles : 0);
    if (c->lb_io_bytes > 0)
        fprintf(tx, ", attention I/O %.4g B, order N^2 d^2 / M (attention traffic %.3fx)", c->lb_io_bytes,
                c->attn_dram_bytes / c->lb_io_bytes);
    fprintf(tx, "\n");
}

/* A mapping from a file: resolve it when it is a template (no sizes).  *m
 * is overwritten; it owns its cascades on success and is empty on failure. */
static int cost_mapping_file(const mp_arch *a, const char *name, const md_workload *w, mp_mapping *m, mp_cost *c,
                             es_err *e)
{
    int skipped;
    if (mp_mapping_for(a, name, w, m, &skipped, e))
        return -1;
    int rc = mp_cost_eval(a, m, c, e);
    if (!rc && !c->valid)
        rc = es_fail(e, "mapping '%s' is infeasible: %s", name, c->why);
    if (rc)
        mp_mapping_free(m);
    return rc;
}

int cmd_map(int argc, char **argv)
{
    cli_opt o[] = {{"arch", 1, 0},     {"model", 1, 0}, {"objective", 1, 0}, {"budget", 1, 0},
                   {"seed", 1, 0},     {"mapping", 1, 0}, {"o", 1, 0},       {"json", 1, 0},
                   {"set", 1, 0},      CLI_RUN_OPTS,     {NULL, 0, 0}};
    cli_parse(argc, argv, 1, o, NULL, 0, "map", usage);
    const char *sets[SIM_REP_SETS];
    int n_sets = cli_get_all(argc, argv, 1, o, "set", sets, SIM_REP_SETS);
    const char *need[] = {"arch", "model"};
    for (size_t i = 0; i < sizeof need / sizeof *need; i++)
        if (!cli_get(o, need[i]))
            es_fatal(ES_EXIT_BADINPUT, "map: missing --%s (see 'einsim map --help')", need[i]);
    if (pim_arch_is(cli_get(o, "arch")))
        return map_pim(o);
    es_err e;
    md_model model;
    mp_arch *a = cli_load_arch_model(o, sets, n_sets, &model);
    char label[512];
    mp_arch_label(a->name, sets, n_sets, label, sizeof label);
    static cli_run cr; /* run.seqs points into it */
    cli_run_options(o, "map", model.family == MD_FAM_VIT ? md_vit_tokens(&model) : 0, &cr); /* ViT: its tokens */
    md_run run = cr.run;
    cli_run_fit_arch(&run, a);
    mp_search_opts so = {MP_OBJ_LATENCY, cli_int(o, "budget", 20000, 0, (int64_t)1 << 40),
                         (uint64_t)cli_int(o, "seed", 1, 0, INT64_MAX)};
    if (cli_get(o, "objective") && mp_objective_parse(cli_get(o, "objective"), &so.objective))
        es_fatal(ES_EXIT_BADINPUT, "map: --objective: expected latency, energy or edp, got '%s'",
                 cli_get(o, "objective"));
    md_workload w;
    if (md_expand(&model, &run, &w, &e)) {
        md_workload_free(&w);
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    }
    const char *json = cli_get(o, "json");
    FILE *tx = json && !strcmp(json, "-") ? stderr : stdout;
    /* Both outputs open before the search: a bad --json path must not
     * leave the -o file behind, nor cost a search first. */
    es_out mapping_out, json_out;
    if (cli_get(o, "o"))
        cli_out_open(&mapping_out, "-o", cli_get(o, "o"));
    if (json)
        cli_out_open(&json_out, "--json", json);

    mp_mapping chosen = {0}, hand = {0};
    static mp_cost cost, hcost;
    mp_search_stats st;
    memset(&st, 0, sizeof st);
    int have_hand = 0;
    char hand_path[4096];
    es_err he;
    char hand_note[1100] = "";
    if (!cli_get(o, "mapping") &&
        !es_find_bundled("mappings", a->mapping_name, ".yaml", hand_path, sizeof hand_path, &he)) {
        if (cost_mapping_file(a, a->mapping_name, &w, &hand, &hcost, &e)) {
            if (so.budget == 0)
                es_fatal(ES_EXIT_BADINPUT, "bundled mapping: %s", e.msg);
            /* the search still runs; say why there is nothing to compare with */
            snprintf(hand_note, sizeof hand_note, "bundled mapping does not apply: %s", e.msg);
        } else {
            have_hand = 1;
        }
    }
    const char *source;
    if (cli_get(o, "mapping")) {
        if (cost_mapping_file(a, cli_get(o, "mapping"), &w, &chosen, &cost, &e))
            es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
        source = "given";
    } else if (so.budget == 0) {
        if (!have_hand)
            es_fatal(ES_EXIT_BADINPUT, "map: --budget 0 needs a bundled mapping for arch '%s'", a->name);
        mp_mapping_copy(&chosen, &hand);
        cost = hcost;
        source = "bundled";
    } else {
        if (mp_search(a, &w, &so, &chosen, &cost, &st, &e))
            es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
        /* the search explores attention and linear layers; norms, residuals
         * and activations keep the bundled mapping's templates */
        int added = 0;
        for (int i = 0; have_hand && i < hand.n_cascades; i++) {
            const char *cn = hand.cascades[i].cascade;
            if (mp_cascade_is_core(cn))
                continue;
            *mp_mapping_add(&chosen) = hand.cascades[i];
            added = 1;
        }
        if (added && mp_cost_eval(a, &chosen, &cost, &e))
            es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
        source = "searched";
        /* never return something worse than the bundled mapping where it is
         * valid: the search samples, the bundled mapping is a known point */
        if (have_hand && hcost.valid &&
            (!cost.valid || mp_objective_value(so.objective, &hcost) < mp_objective_value(so.objective, &cost))) {
            mp_mapping_free(&chosen);
            mp_mapping_copy(&chosen, &hand);
            cost = hcost;
            source = "bundled (the search found nothing better)";
        }
    }
    char seqtxt[256] = "";
    if (cr.nseqs)
        for (int i = 0; i < cr.nseqs; i++)
            snprintf(seqtxt + strlen(seqtxt), sizeof seqtxt - strlen(seqtxt), "%s%lld", i ? "," : "",
                     (long long)cr.seqs[i]);
    else
        snprintf(seqtxt, sizeof seqtxt, "%lld", (long long)(run.seq ? run.seq : run.prompt));
    fprintf(tx, "einsim map: arch %s, model %s, seq %s, batch %lld, scope %s, objective %s", label, model.name,
            seqtxt, (long long)run.batch, md_scope_name(run.scope), mp_objective_name(so.objective));
    if (run.phase == MD_PHASE_DECODE)
        fprintf(tx, ", decode gen %lld", (long long)run.gen);
    fprintf(tx, "\n");
    int skipped = 0;
    int *unmapped = es_xcalloc((size_t)w.n_inst + 1, sizeof *unmapped); /* instance indices */
    for (int i = 0; i < w.n_inst; i++) {
        int mapped = 0;
        for (int k = 0; k < chosen.n_cascades; k++)
            mapped |= !strcmp(chosen.cascades[k].label, w.inst[i].name);
        if (!mapped)
            unmapped[skipped++] = i;
    }
    if (skipped) {
        fprintf(tx, "not costed (no template in the mapping):");
        for (int u = 0; u < skipped; u++)
            fprintf(tx, " %s (%s)", w.inst[unmapped[u]].name, w.inst[unmapped[u]].cascade);
        fprintf(tx, "\n");
    }
    free(unmapped);
    if (st.evaluated)
    {
        /* Timings vary run to run; EINSIM_REPRODUCIBLE leaves them out. */
        fprintf(tx, "search: %lld costed, %lld pruned, %lld valid, %s", (long long)st.evaluated,
                (long long)st.pruned, (long long)st.valid, st.exhaustive ? "exhaustive" : "random + local search");
        if (!sim_report_reproducible())
            fprintf(tx, ", %.3g mappings/s, %.3f s", st.per_s, st.wall_s);
        fprintf(tx, "\n");
    }
    print_cost(tx, source, a, &cost);
    if (hand_note[0])
        fprintf(tx, "%s\n", hand_note);
    if (have_hand && strcmp(source, "bundled")) {
        print_cost(tx, "bundled", a, &hcost);
        fprintf(tx, "%s / bundled: latency %.4f, energy %.4f\n", source, cost.cycles / hcost.cycles,
                cost.energy_pj / hcost.energy_pj);
    }
    if (cli_get(o, "o")) {
        char *yaml = mp_mapping_to_yaml(&chosen);
        cli_out_commit(&mapping_out, yaml);
        free(yaml);
    }
    if (json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "arch", label);
        cJSON_AddStringToObject(j, "model", model.name);
        cJSON_AddNumberToObject(j, "seq", (double)(run.seq ? run.seq : cr.nseqs ? 0 : run.prompt));
        if (cr.nseqs) {
            cJSON *sq = cJSON_AddArrayToObject(j, "seqs");
            for (int i = 0; i < cr.nseqs; i++)
                cJSON_AddItemToArray(sq, cJSON_CreateNumber((double)cr.seqs[i]));
        }
        cJSON_AddNumberToObject(j, "batch", (double)run.batch);
        cJSON_AddStringToObject(j, "phase", md_phase_name(run.phase));
        if (run.phase == MD_PHASE_DECODE)
            cJSON_AddNumberToObject(j, "gen", (double)run.gen);
        cJSON_AddNumberToObject(j, "instances_not_costed", skipped);
        cJSON_AddStringToObject(j, "scope", md_scope_name(run.scope));
        cJSON_AddStringToObject(j, "objective", mp_objective_name(so.objective));
        cJSON_AddStringToObject(j, "quant", run.quant[0] ? run.quant : "none");
        cJSON_AddStringToObject(j, "sparsity", run.sparsity[0] ? run.sparsity : "none");
        cJSON_AddStringToObject(j, "source", source);
        json_cost(j, a, &cost, &chosen);
        cJSON *s = cJSON_AddObjectToObject(j, "search");
        cJSON_AddNumberToObject(s, "budget", (double)so.budget);
        cJSON_AddNumberToObject(s, "seed", (double)so.seed);
        cJSON_AddNumberToObject(s, "evaluated", (double)st.evaluated);
        cJSON_AddNumberToObject(s, "pruned", (double)st.pruned);
        cJSON_AddNumberToObject(s, "valid", (double)st.valid);
        cJSON_AddBoolToObject(s, "exhaustive", st.exhaustive);
        cJSON_AddNumberToObject(s, "mappings_per_s", sim_report_reproducible() ? 0 : st.per_s);
        cJSON_AddNumberToObject(s, "wall_s", sim_report_reproducible() ? 0 : st.wall_s);
        if (have_hand) {
            cJSON *h = cJSON_AddObjectToObject(j, "bundled");
            json_cost(h, a, &hcost, &hand);
            cJSON_AddItemToObject(h, "mapping", json_mapping(&hand));
        }
        cJSON_AddItemToObject(j, "mapping", json_mapping(&chosen));
        cli_write_json_to(j, &json_out);
        cJSON_Delete(j);
    }
    mp_mapping_free(&chosen);
    mp_mapping_free(&hand);
    md_workload_free(&w);
    mp_arch_free(a);
    return 0;
}
