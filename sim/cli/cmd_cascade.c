/* sim/cli/cmd_cascade.c: `einsim cascade show|check|passes|run NAME-or-FILE`.
 *
 *   show    the canonical text, then one line per einsum (class, reduction,
 *           iteration space with sizes, points, op cost, inputs)
 *   check   parse, check and bind; one summary line
 *   passes  pass count and live footprint per rank (FuseMax §III)
 *   run     interpret with seeded random inputs and compare the output with
 *           the cascade's golden reference; exit 1 beyond tolerance
 * --json F writes the same facts as JSON (atomically; "-" = stdout, and the
 * text then goes to stderr).  Bad input: one line, exit 2. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "golden/base/err.h"
#include "cli.h"
#include "mapper/cascade.h"

static const char usage[] =
    "usage: einsim cascade show|check|passes|run NAME-or-FILE [options]\n"
    "\n"
    "  NAME is a bundled cascade (mapper/cascades/NAME.ein: attention-1pass, attention-2pass,\n"
    "  attention-3pass, attention-decode, attention-decode-split, attention-masked, attention-gqa,\n"
    "  linear, linear-int8, linear-sparse, ffn-gelu, ffn-swiglu, layernorm, rmsnorm, residual,\n"
    "  layer-gpt2) or a path to a .ein file.\n"
    "\n"
    "  --ranks e=64,m=4096,...  rank sizes (override the file's defaults)\n"
    "  --rank R                 passes: analyse only rank R (default: every unsplit rank)\n"
    "  --json F                 also write JSON to F ('-' = stdout; text goes to stderr)\n"
    "  --seed S                 run: input seed (default 1)\n"
    "  --rtol X, --atol X       run: tolerance |got-ref| <= atol + rtol*|ref| (default 1e-4, 1e-5)\n";

static cJSON *json_ranks(const cas_cascade *c)
{
    cJSON *r = cJSON_CreateObject();
    for (int i = 0; i < c->nranks; i++)
        cJSON_AddNumberToObject(r, c->rank[i].name, (double)c->rank[i].size);
    return r;
}

static void space_text(const cas_cascade *c, const cas_einsum *E, char *buf, size_t n)
{
    buf[0] = 0;
    for (int i = 0; i < E->nspace; i++) {
        char one[64];
        snprintf(one, sizeof one, "%s%s%s=%lld", i ? "," : "", i == E->nout_space ? "|" : "",
                 c->rank[E->space[i]].name, (long long)c->rank[E->space[i]].size);
        strncat(buf, one, n - strlen(buf) - 1);
    }
}

static int do_show(const cas_cascade *c, FILE *tx, const char *json)
{
    cas_print(c, tx);
    fprintf(tx, "\n# %-6s %-6s %-6s %-40s %14s %14s  inputs\n", "einsum", "class", "reduce",
            "space (out|reduced)", "points", "op cost");
    cJSON *j = cJSON_CreateObject(), *arr = cJSON_CreateArray();
    cJSON_AddStringToObject(j, "cascade", c->name);
    cJSON_AddItemToObject(j, "ranks", json_ranks(c));
    for (int k = 0; k < c->neinsums; k++) {
        const cas_einsum *E = &c->einsum[k];
        char sp[256], ins[256] = "";
        space_text(c, E, sp, sizeof sp);
        cas_opcount oc;
        cas_einsum_ops(c, k, &oc);
        cJSON *o = cJSON_CreateObject(), *ji = cJSON_CreateArray(), *js = cJSON_CreateObject();
        for (int i = 0; i < E->ninputs; i++) {
            strncat(ins, i ? " " : "", sizeof ins - strlen(ins) - 1);
            strncat(ins, c->tensor[E->inputs[i]].name, sizeof ins - strlen(ins) - 1);
            cJSON_AddItemToArray(ji, cJSON_CreateString(c->tensor[E->inputs[i]].name));
        }
        fprintf(tx, "# %-6s %-6s %-6s %-40s %14lld %14.0f  %s\n", E->name, cas_class_name(E->klass),
                cas_reduce_name(E->reduce), sp, (long long)cas_einsum_points(c, k), oc.cost, ins);
        cJSON_AddStringToObject(o, "name", E->name);
        cJSON_AddStringToObject(o, "class", cas_class_name(E->klass));
        cJSON_AddStringToObject(o, "reduce", cas_reduce_name(E->reduce));
        for (int i = 0; i < E->nspace; i++)
            cJSON_AddNumberToObject(js, c->rank[E->space[i]].name, (double)c->rank[E->space[i]].size);
        cJSON_AddItemToObject(o, "space", js);
        cJSON_AddNumberToObject(o, "out_ranks", E->nout_space);
        cJSON_AddNumberToObject(o, "points", (double)cas_einsum_points(c, k));
        cJSON_AddNumberToObject(o, "out_elems", (double)cas_einsum_out_elems(c, k));
        cJSON_AddNumberToObject(o, "op_cost", oc.cost);
        cJSON *ops = cJSON_CreateObject();
        for (int i = 0; i < CAS_OP_COUNT; i++)
            if (oc.n[i])
                cJSON_AddNumberToObject(ops, cas_op_info((cas_op)i)->name, (double)oc.n[i]);
        cJSON_AddItemToObject(o, "ops", ops);
        cJSON_AddItemToObject(o, "inputs", ji);
        cJSON_AddStringToObject(o, "output", c->tensor[E->out].name);
        cJSON_AddItemToArray(arr, o);
    }
    cJSON_AddItemToObject(j, "einsums", arr);
    cJSON *tens = cJSON_CreateArray();
    for (int t = 0; t < c->ntensors; t++) {
        const cas_tensor *T = &c->tensor[t];
        cJSON *o = cJSON_CreateObject(), *rk = cJSON_CreateArray(), *ex = cJSON_CreateArray();
        static const char *kinds[] = {"input", "intermediate", "output"};
        cJSON_AddStringToObject(o, "name", T->name);
        cJSON_AddStringToObject(o, "kind", kinds[T->kind]);
        for (int i = 0; i < T->nranks; i++) {
            cJSON_AddItemToArray(rk, cJSON_CreateString(c->rank[T->rank[i]].name));
            cJSON_AddItemToArray(ex, cJSON_CreateNumber((double)cas_extent(c, t, i)));
        }
        cJSON_AddItemToObject(o, "ranks", rk);
        cJSON_AddItemToObject(o, "extents", ex);
        cJSON_AddNumberToObject(o, "elements", (double)cas_tensor_elems(c, t));
        if (T->iter_pos >= 0)
            cJSON_AddStringToObject(o, "iterative", c->rank[T->rank[T->iter_pos]].name);
        if (T->format[0])
            cJSON_AddStringToObject(o, "format", T->format);
        for (int i = 0; i < T->nranks; i++)
            if (T->sparse[i].compressed) {
                cJSON *sp = cJSON_CreateObject();
                cJSON_AddStringToObject(sp, "rank", c->rank[T->rank[i]].name);
                if (T->sparse[i].nm_m) {
                    cJSON_AddNumberToObject(sp, "n", T->sparse[i].nm_n);
                    cJSON_AddNumberToObject(sp, "m", T->sparse[i].nm_m);
                } else
                    cJSON_AddNumberToObject(sp, "density", T->sparse[i].density);
                cJSON_AddItemToObject(o, "sparse", sp);
            }
        cJSON_AddItemToArray(tens, o);
    }
    cJSON_AddItemToObject(j, "tensors", tens);
    if (json)
        cli_write_json(j, json);
    cJSON_Delete(j);
    return 0;
}

static int do_passes(const cas_cascade *c, const char *only, FILE *tx, const char *json)
{
    cJSON *j = cJSON_CreateObject(), *jp = cJSON_CreateObject(), *jf = cJSON_CreateObject();
    cJSON *je = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "cascade", c->name);
    cJSON_AddItemToObject(j, "ranks", json_ranks(c));
    for (int r = 0; r < c->nranks; r++) {
        if (only ? strcmp(c->rank[r].name, only) != 0 : c->rank[r].parent >= 0)
            continue;
        cas_passes ps;
        es_err e;
        if (cas_passes_analyze(c, c->rank[r].name, &ps, &e))
            es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
        fprintf(tx, "rank %s: %d pass%s\n", c->rank[r].name, ps.npasses, ps.npasses == 1 ? "" : "es");
        cJSON_AddNumberToObject(jp, c->rank[r].name, ps.npasses);
        cJSON *fa = cJSON_CreateArray(), *em = cJSON_CreateObject();
        for (int k = 0; k + 1 < ps.npasses; k++) {
            fprintf(tx, "  after pass %d: live fibre %lld elements (whole tensors %lld):", k + 1,
                    (long long)ps.fibre_footprint[k], (long long)ps.elem_footprint[k]);
            cJSON *b = cJSON_CreateObject(), *tl = cJSON_CreateArray();
            cJSON_AddNumberToObject(b, "after_pass", k + 1);
            cJSON_AddNumberToObject(b, "fibre_elements", (double)ps.fibre_footprint[k]);
            cJSON_AddNumberToObject(b, "elements", (double)ps.elem_footprint[k]);
            for (int i = 0; i < ps.nlive[k]; i++) {
                const cas_live *l = &ps.live[k][i];
                fprintf(tx, " %s(%lld)", c->tensor[l->tensor].name, (long long)l->fibre);
                cJSON *t = cJSON_CreateObject();
                cJSON_AddStringToObject(t, "tensor", c->tensor[l->tensor].name);
                cJSON_AddNumberToObject(t, "fibre", (double)l->fibre);
                cJSON_AddNumberToObject(t, "elements", (double)l->elems);
                cJSON_AddItemToArray(tl, t);
            }
            fputc('\n', tx);
            cJSON_AddItemToObject(b, "live", tl);
            cJSON_AddItemToArray(fa, b);
        }
        fprintf(tx, "  einsum passes:");
        for (int k = 0; k < c->neinsums; k++)
            if (ps.pass_of[k]) {
                fprintf(tx, " %s=%d", c->einsum[k].name, ps.pass_of[k]);
                cJSON_AddNumberToObject(em, c->einsum[k].name, ps.pass_of[k]);
            }
        fputc('\n', tx);
        cJSON_AddItemToObject(jf, c->rank[r].name, fa);
        cJSON_AddItemToObject(je, c->rank[r].name, em);
    }
    cJSON_AddItemToObject(j, "passes", jp);
    cJSON_AddItemToObject(j, "footprint", jf);
    cJSON_AddItemToObject(j, "einsum_pass", je);
    if (json)
        cli_write_json(j, json);
    cJSON_Delete(j);
    return 0;
}

static int do_run(const cas_cascade *c, uint64_t seed, double rtol, double atol, FILE *tx, const char *json)
{
    es_err e;
    cas_env v;
    if (cas_env_init(&v, c, &e) || cas_fill_inputs(&v, seed, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    if (cas_run(&v, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    cas_golden_cmp cmp;
    if (cas_golden_compare(&v, rtol, atol, &cmp, &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    int out = cmp.out, ok = cmp.pass;
    int64_t n = cmp.n;
    fprintf(tx, "cascade %s vs golden %s: output %s (%lld elements), seed %llu\n", c->name, c->golden,
            c->tensor[out].name, (long long)n, (unsigned long long)seed);
    fprintf(tx, "max abs diff %.3g, max rel diff %.3g (rel over |ref| > atol), tolerance atol %.3g + rtol %.3g*|ref|: "
                "%s\n",
            cmp.max_abs, cmp.max_rel, atol, rtol, ok ? "PASS" : "FAIL");
    if (!ok)
        fprintf(tx, "%lld elements beyond tolerance, %lld non-finite mismatches\n", (long long)cmp.bad,
                (long long)cmp.nonfinite);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "cascade", c->name);
    cJSON_AddStringToObject(j, "golden", c->golden);
    cJSON_AddItemToObject(j, "ranks", json_ranks(c));
    cJSON_AddStringToObject(j, "output", c->tensor[out].name);
    cJSON_AddNumberToObject(j, "elements", (double)n);
    cJSON_AddNumberToObject(j, "seed", (double)seed);
    cJSON_AddNumberToObject(j, "max_abs_diff", cmp.max_abs);
    cJSON_AddNumberToObject(j, "max_rel_diff", cmp.max_rel);
    cJSON_AddNumberToObject(j, "rtol", rtol);
    cJSON_AddNumberToObject(j, "atol", atol);
    cJSON_AddBoolToObject(j, "pass", ok);
    if (json)
        cli_write_json(j, json);
    cJSON_Delete(j);
    cas_env_free(&v);
    return ok ? 0 : 1;
}

int cmd_cascade(int argc, char **argv)
{
    cli_opt opts[] = {{"ranks", 1, NULL}, {"rank", 1, NULL}, {"json", 1, NULL}, {"seed", 1, NULL},
                      {"rtol", 1, NULL},  {"atol", 1, NULL}, {NULL, 0, NULL}};
    const char *pos[2];
    int np = cli_parse(argc, argv, 1, opts, pos, 2, "cascade", usage);
    if (np != 2)
        es_fatal(ES_EXIT_BADINPUT, "cascade: expected an action (show, check, passes, run) and a cascade "
                                   "NAME-or-FILE (see 'einsim cascade --help')");
    const char *act = pos[0];
    if (strcmp(act, "show") && strcmp(act, "check") && strcmp(act, "passes") && strcmp(act, "run"))
        es_fatal(ES_EXIT_BADINPUT, "cascade: unknown action '%s' (expected show, check, passes or run)", act);
    const char *json = cli_get(opts, "json");
    FILE *tx = json && !strcmp(json, "-") ? stderr : stdout;
    es_err e;
    cas_cascade *c = cas_load(pos[1], &e);
    if (!c)
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    if (cas_bind(c, cli_get(opts, "ranks"), &e))
        es_fatal(ES_EXIT_BADINPUT, "%s", e.msg);
    int rc = 0;
    if (!strcmp(act, "show"))
        rc = do_show(c, tx, json);
    else if (!strcmp(act, "check")) {
        int nin = 0;
        for (int t = 0; t < c->ntensors; t++)
            nin += c->tensor[t].kind == CAS_T_INPUT;
        fprintf(tx, "ok: cascade %s: %d einsums, %d tensors (%d inputs), %d ranks\n", c->name, c->neinsums,
                c->ntensors, nin, c->nranks);
        if (json) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "cascade", c->name);
            cJSON_AddBoolToObject(j, "ok", 1);
            cJSON_AddNumberToObject(j, "einsums", c->neinsums);
            cJSON_AddItemToObject(j, "ranks", json_ranks(c));
            cli_write_json(j, json);
            cJSON_Delete(j);
        }
    } else if (!strcmp(act, "passes")) {
        const char *only = cli_get(opts, "rank");
        if (only && cas_rank_find(c, only) < 0)
            es_fatal(ES_EXIT_BADINPUT, "--rank: cascade %s has no rank '%s'", c->name, only);
        rc = do_passes(c, only, tx, json);
    } else {
        uint64_t seed = (uint64_t)cli_int(opts, "seed", 1, 0, INT64_MAX);
        double rtol = cli_double(opts, "rtol", 1e-4), atol = cli_double(opts, "atol", 1e-5);
        /* NaN would make every comparison false and pass anything */
        if (!(rtol >= 0 && rtol < INFINITY))
            es_fatal(ES_EXIT_BADINPUT, "--rtol: expected a finite number >= 0, got '%s'", cli_get(opts, "rtol"));
        if (!(atol >= 0 && atol < INFINITY))
            es_fatal(ES_EXIT_BADINPUT, "--atol: expected a finite number >= 0, got '%s'", cli_get(opts, "atol"));
        rc = do_run(c, seed, rtol, atol, tx, json);
    }
    cas_free(c);
    return rc;
}
