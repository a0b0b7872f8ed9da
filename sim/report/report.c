/* sim/report/report.c: text, JSON and CSV writers of sim_report, and the
 * trace-event writer.  The JSON key set is the schema of docs/reports.md;
 * keys are emitted in a fixed order so reports diff cleanly. */
#include "sim/report/report.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/io.h"

void sim_report_init(sim_report *r, const char *command)
{
    memset(r, 0, sizeof *r);
    snprintf(r->command, sizeof r->command, "%s", command);
    snprintf(r->phase, sizeof r->phase, "prefill");
}

/* A table of the report is full: remember the first refused entry. */
static void refuse(sim_report *r, const char *table, int cap, const char *macro, const char *name)
{
    if (!r->overflow[0])
        snprintf(r->overflow, sizeof r->overflow, "report: more than %d %s (%s); '%s' does not fit", cap, table,
                 macro, name);
}

sim_rep_unit *sim_report_unit(sim_report *r, const char *name)
{
    for (int i = 0; i < r->n_units; i++)
        if (!strcmp(r->units[i].name, name))
            return &r->units[i];
    if (r->n_units == SIM_REP_UNITS) {
        refuse(r, "units", SIM_REP_UNITS, "SIM_REP_UNITS", name);
        return NULL;
    }
    sim_rep_unit *u = &r->units[r->n_units++];
    snprintf(u->name, sizeof u->name, "%s", name);
    return u;
}

void sim_report_energy_add(sim_report *r, const char *component, double pj)
{
    for (int i = 0; i < r->n_energy; i++)
        if (!strcmp(r->energy[i].key, component)) {
            r->energy[i].v += pj;
            return;
        }
    if (r->n_energy == SIM_REP_ENERGY) {
        refuse(r, "energy components", SIM_REP_ENERGY, "SIM_REP_ENERGY", component);
        return;
    }
    snprintf(r->energy[r->n_energy].key, SIM_REP_NAME, "%s", component);
    r->energy[r->n_energy++].v = pj;
}

void sim_report_decode(sim_report *r, double batch, double gen)
{
    r->has_decode = 1;
    r->decode_tokens = batch * gen;
    r->decode_s_per_token = gen > 0 ? r->latency_s / gen : 0;
    r->decode_tokens_per_s = r->latency_s > 0 ? r->decode_tokens / r->latency_s : 0;
    r->decode_energy_pj_per_token = r->decode_tokens > 0 ? r->energy_pj / r->decode_tokens : 0;
}

static void kv_put(sim_rep_kv *v, int *n, int cap, const char *key, double x)
{
    if (*n == cap)
        return;
    snprintf(v[*n].key, SIM_REP_NAME, "%s", key);
    v[(*n)++].v = x;
}

void sim_report_command(sim_report *r, const char *cmd, double count)
{
    kv_put(r->cmds, &r->n_cmds, (int)(sizeof r->cmds / sizeof r->cmds[0]), cmd, count);
}

void sim_report_time(sim_report *r, const char *cls, double seconds)
{
    kv_put(r->time_breakdown, &r->n_time, (int)(sizeof r->time_breakdown / sizeof r->time_breakdown[0]), cls,
           seconds);
}

void sim_report_extra(sim_report *r, const char *key, double v)
{
    if (r->n_extra == SIM_REP_EXTRA) {
        refuse(r, "extra figures", SIM_REP_EXTRA, "SIM_REP_EXTRA", key);
        return;
    }
    snprintf(r->extra[r->n_extra].key, SIM_REP_NAME, "%s", key);
    r->extra[r->n_extra++].v = v;
}

int sim_report_check(const sim_report *r, es_err *e)
{
    return r->overflow[0] ? es_fail(e, "%s", r->overflow) : 0;
}

void sim_report_finish(sim_report *r)
{
    for (int i = 0; i < r->n_units; i++)
        r->units[i].utilization = r->cycles ? (double)r->units[i].busy_cycles / (double)r->cycles : 0;
    r->latency_s = r->clock_hz > 0 ? (double)r->cycles / r->clock_hz : 0;
    r->energy_pj = 0;
    for (int i = 0; i < r->n_energy; i++)
        r->energy_pj += r->energy[i].v;
}

static const char *si(double v, char *buf, size_t n, const char *unit)
{
    const char *p[] = {"", "k", "M", "G", "T", "P", "E"};
    int k = 0;
    while (v >= 1000 && k < 6)
        v /= 1000, k++;
    snprintf(buf, n, "%.4g %s%s", v, p[k], unit);
    return buf;
}

/* Energy in the largest unit that keeps the mantissa >= 1: pJ .. kJ. */
static const char *si_energy(double pj, char *buf, size_t n)
{
    static const struct { double scale; const char *unit; } u[] = {
        {1e15, "kJ"}, {1e12, "J"}, {1e9, "mJ"}, {1e6, "uJ"}, {1e3, "nJ"}, {1, "pJ"}};
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
        if (pj >= u[i].scale || i + 1 == sizeof u / sizeof u[0]) {
            snprintf(buf, n, "%.4g %s", pj / u[i].scale, u[i].unit);
            break;
        }
    return buf;
}

void sim_report_text(const sim_report *r, FILE *fp)
{
    char b1[32], b2[32], b3[32];
    if (!strcmp(r->command, "gemm"))
        fprintf(fp, "einsim gemm: %s\n", r->arch);
    else {
        fprintf(fp, "einsim run: arch %s, model %s, %s, scope %s, batch %lld, seq", r->arch, r->model, r->phase,
                r->scope, (long long)r->batch);
        for (int i = 0; i < r->n_seqs; i++)
            fprintf(fp, "%s%lld", i ? "," : " ", (long long)r->seqs[i]);
        fprintf(fp, ", schedule %s", r->schedule);
        if (r->quant[0] || r->sparsity[0]) /* only then: plain runs print as before */
            fprintf(fp, ", quant %s, sparsity %s", r->quant[0] ? r->quant : "none",
                    r->sparsity[0] ? r->sparsity : "none");
        fputc('\n', fp);
    }
    fprintf(fp, "  cycles      %llu", (unsigned long long)r->cycles);
    if (r->clock_hz > 0) {
        double l = r->latency_s;
        const char *u = l >= 1 ? "s" : l >= 1e-3 ? "ms" : l >= 1e-6 ? "us" : "ns";
        double k = l >= 1 ? 1 : l >= 1e-3 ? 1e3 : l >= 1e-6 ? 1e6 : 1e9;
        fprintf(fp, "   latency %.4g %s", l * k, u);
    }
    if (r->energy_pj > 0)
        fprintf(fp, "   energy %s", si_energy(r->energy_pj, b2, sizeof b2));
    fputc('\n', fp);
    for (int i = 0; i < r->n_units; i++) {
        fprintf(fp, "  unit %-10s busy %llu cycles, utilization %.2f%%", r->units[i].name,
                (unsigned long long)r->units[i].busy_cycles, 100 * r->units[i].utilization);
        if (r->units[i].pe_utilization > 0)
            fprintf(fp, ", PE utilization %.2f%%", 100 * r->units[i].pe_utilization);
        fputc('\n', fp);
    }
    if (strcmp(r->command, "gemm"))
        fprintf(fp, "  dram        read %s, written %s\n", si(r->dram_bytes_read, b1, sizeof b1, "B"),
                si(r->dram_bytes_written, b2, sizeof b2, "B"));
    if (r->has_device) {
        fprintf(fp, "  dram        row-hit rate %.2f%%, commands", 100 * r->dram_row_hit_rate);
        for (int i = 0; i < r->n_cmds; i++)
            fprintf(fp, " %s %s", r->cmds[i].key, si(r->cmds[i].v, b1, sizeof b1, ""));
        fputc('\n', fp);
        for (int i = 0; i < r->n_time; i++)
            fprintf(fp, "  time %-14s %.4g s (%.1f%%)\n", r->time_breakdown[i].key, r->time_breakdown[i].v,
                    r->latency_s > 0 ? 100 * r->time_breakdown[i].v / r->latency_s : 0);
    }
    if (r->has_decode)
        fprintf(fp, "  decode      %.0f tokens, %.4g s/token, %.4g tokens/s, %s/token\n", r->decode_tokens,
                r->decode_s_per_token, r->decode_tokens_per_s, si_energy(r->decode_energy_pj_per_token, b1, sizeof b1));
    for (int i = 0; i < r->n_energy; i++)
        fprintf(fp, "  energy %-12s %s (%.1f%%)\n", r->energy[i].key, si_energy(r->energy[i].v, b1, sizeof b1),
                r->energy_pj > 0 ? 100 * r->energy[i].v / r->energy_pj : 0);
    for (int i = 0; i < r->n_einsums; i++) {
        fprintf(fp, "  einsum %-6s on %-9s %llu cycles, %s ops", r->einsums[i].name, r->einsums[i].unit,
                (unsigned long long)r->einsums[i].cycles, si(r->einsums[i].ops, b1, sizeof b1, ""));
        if (r->quant[0] || r->sparsity[0])
            fprintf(fp, ", %s, %s", r->einsums[i].format, r->einsums[i].sparsity);
        fputc('\n', fp);
    }
    for (int i = 0; i < r->n_extra; i++)
        fprintf(fp, "  %-22s %.10g\n", r->extra[i].key, r->extra[i].v);
    if (r->functional)
        fprintf(fp, "  functional  max |err| %.3g, max rel err %.3g (tolerance %.3g): %s\n", r->func_max_abs_err,
                r->func_max_rel_err, r->func_tol, r->func_max_rel_err <= r->func_tol ? "match" : "MISMATCH");
    if (r->functional && r->func_quant[0] && r->func_exact)
        fprintf(fp, "  functional  %s linear layers: %lld tiles, %lld outputs vs golden's %s linear: %s\n", r->func_quant,
                (long long)r->func_tiles_checked, (long long)r->func_elems_checked, r->func_quant,
                r->func_bit_exact ? "bit-exact" : "DIFFER");
    else if (r->functional && r->func_sparsity[0])
        fprintf(fp, "  functional  %s linear layers: %lld tiles on golden's 2:4 SpMM, %lld outputs (in the error above)\n",
                r->func_sparsity, (long long)r->func_tiles_checked, (long long)r->func_elems_checked);
    else if (r->functional && r->func_quant[0])
        fprintf(fp, "  functional  %s linear layers: %lld tiles, %lld outputs in fp32 on golden's dequantized weights "
                    "(||Wq - W|| / ||W|| %.3g; in the error above)\n",
                r->func_quant, (long long)r->func_tiles_checked, (long long)r->func_elems_checked,
                r->func_weight_rel_err);
    fprintf(fp, "  simulation  wall %.3f s, simulated %s cycles, fast-forwarded %s cycles, %s events\n", sim_report_wall_s(r),
            si((double)r->simulated_cycles, b1, sizeof b1, ""), si((double)r->fast_forwarded_cycles, b2, sizeof b2, ""),
            si((double)r->events, b3, sizeof b3, ""));
}

int sim_report_reproducible(void)
{
    const char *v = getenv("EINSIM_REPRODUCIBLE");
    return v && *v && strcmp(v, "0") != 0;
}

/* An object `name` of key: number pairs under parent, in table order. */
static void json_kv(cJSON *parent, const char *name, const sim_rep_kv *v, int n)
{
    cJSON *x = cJSON_AddObjectToObject(parent, name);
    for (int i = 0; i < n; i++)
        cJSON_AddNumberToObject(x, v[i].key, v[i].v);
}

double sim_report_wall_s(const sim_report *r) { return sim_report_reproducible() ? 0.0 : r->wall_s; }

char *sim_report_json(const sim_report *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "schema", "einsim-report-1");
    cJSON_AddStringToObject(o, "command", r->command);
    cJSON_AddStringToObject(o, "arch", r->arch);
    if (r->n_sets) {
        cJSON *ov = cJSON_AddObjectToObject(o, "overrides");
        for (int i = 0; i < r->n_sets; i++) {
            char k[256];
            const char *eq = strchr(r->sets[i], '=');
            size_t kl = eq ? (size_t)(eq - r->sets[i]) : strlen(r->sets[i]);
            snprintf(k, sizeof k, "%.*s", (int)kl, r->sets[i]);
            cJSON_AddStringToObject(ov, k, eq ? eq + 1 : "");
        }
    }
    cJSON_AddStringToObject(o, "model", r->model);
    cJSON_AddStringToObject(o, "phase", r->phase);
    cJSON_AddNumberToObject(o, "batch", (double)r->batch);
    if (r->n_seqs <= 1)
        cJSON_AddNumberToObject(o, "seq", r->n_seqs ? (double)r->seqs[0] : 0);
    else {
        cJSON *a = cJSON_AddArrayToObject(o, "seq");
        for (int i = 0; i < r->n_seqs; i++)
            cJSON_AddItemToArray(a, cJSON_CreateNumber((double)r->seqs[i]));
    }
    cJSON_AddStringToObject(o, "scope", r->scope);
    cJSON_AddStringToObject(o, "schedule", r->schedule);
    cJSON_AddStringToObject(o, "quant", r->quant[0] ? r->quant : "none");
    cJSON_AddStringToObject(o, "sparsity", r->sparsity[0] ? r->sparsity : "none");
    cJSON_AddNumberToObject(o, "clock_hz", r->clock_hz);
    cJSON_AddNumberToObject(o, "cycles", (double)r->cycles);
    cJSON_AddNumberToObject(o, "latency_s", r->latency_s);
    cJSON_AddNumberToObject(o, "energy_pj", r->energy_pj);
    cJSON *u = cJSON_AddObjectToObject(o, "units");
    for (int i = 0; i < r->n_units; i++) {
        cJSON *x = cJSON_AddObjectToObject(u, r->units[i].name);
        cJSON_AddNumberToObject(x, "utilization", r->units[i].utilization);
        if (r->units[i].pe_utilization > 0) /* units that computed (not memory) */
            cJSON_AddNumberToObject(x, "pe_utilization", r->units[i].pe_utilization);
        cJSON_AddNumberToObject(x, "busy_cycles", (double)r->units[i].busy_cycles);
    }
    cJSON *d = cJSON_AddObjectToObject(o, "dram");
    cJSON_AddNumberToObject(d, "bytes_read", r->dram_bytes_read);
    cJSON_AddNumberToObject(d, "bytes_written", r->dram_bytes_written);
    if (r->has_device) {
        cJSON_AddNumberToObject(d, "row_hit_rate", r->dram_row_hit_rate);
        json_kv(d, "commands", r->cmds, r->n_cmds);
        json_kv(o, "time_breakdown_s", r->time_breakdown, r->n_time);
    }
    if (r->has_decode) {
        cJSON *x = cJSON_AddObjectToObject(o, "decode");
        cJSON_AddNumberToObject(x, "tokens", r->decode_tokens);
        cJSON_AddNumberToObject(x, "s_per_token", r->decode_s_per_token);
        cJSON_AddNumberToObject(x, "tokens_per_s", r->decode_tokens_per_s);
        cJSON_AddNumberToObject(x, "energy_pj_per_token", r->decode_energy_pj_per_token);
    }
    json_kv(o, "energy_breakdown_pj", r->energy, r->n_energy);
    cJSON *es = cJSON_AddArrayToObject(o, "einsums");
    for (int i = 0; i < r->n_einsums; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", r->einsums[i].name);
        cJSON_AddStringToObject(x, "unit", r->einsums[i].unit);
        cJSON_AddNumberToObject(x, "cycles", (double)r->einsums[i].cycles);
        cJSON_AddNumberToObject(x, "ops", r->einsums[i].ops);
        cJSON_AddStringToObject(x, "format", r->einsums[i].format);
        cJSON_AddStringToObject(x, "sparsity", r->einsums[i].sparsity);
        cJSON_AddItemToArray(es, x);
    }
    if (r->n_extra)
        json_kv(o, r->command, r->extra, r->n_extra);
    if (r->functional) {
        cJSON *f = cJSON_AddObjectToObject(o, "functional");
        cJSON_AddNumberToObject(f, "max_abs_err", r->func_max_abs_err);
        cJSON_AddNumberToObject(f, "max_rel_err", r->func_max_rel_err);
        cJSON_AddNumberToObject(f, "tolerance", r->func_tol);
        cJSON_AddBoolToObject(f, "match", r->func_max_rel_err <= r->func_tol && (!r->func_exact || r->func_bit_exact));
        if (r->func_quant[0]) {
            cJSON *q = cJSON_AddObjectToObject(f, "quant");
            cJSON_AddStringToObject(q, "format", r->func_quant);
            cJSON_AddStringToObject(q, "kernel", r->func_kernel);
            cJSON_AddNumberToObject(q, "tiles_checked", (double)r->func_tiles_checked);
            cJSON_AddNumberToObject(q, "elements_checked", (double)r->func_elems_checked);
            if (r->func_exact)
                cJSON_AddBoolToObject(q, "bit_exact", r->func_bit_exact);
            else
                cJSON_AddNumberToObject(q, "weight_rel_err", r->func_weight_rel_err);
        }
        if (r->func_sparsity[0]) {
            cJSON *q = cJSON_AddObjectToObject(f, "sparse");
            cJSON_AddStringToObject(q, "pattern", r->func_sparsity);
            cJSON_AddStringToObject(q, "kernel", "spmm-2:4");
            cJSON_AddNumberToObject(q, "tiles_checked", (double)r->func_tiles_checked);
            cJSON_AddNumberToObject(q, "elements_checked", (double)r->func_elems_checked);
        }
    }
    cJSON *s = cJSON_AddObjectToObject(o, "simulation");
    cJSON_AddNumberToObject(s, "wall_s", sim_report_wall_s(r));
    cJSON_AddNumberToObject(s, "simulated_cycles", (double)r->simulated_cycles);
    cJSON_AddNumberToObject(s, "fast_forwarded_cycles", (double)r->fast_forwarded_cycles);
    cJSON_AddNumberToObject(s, "events", (double)r->events);
    char *txt = cJSON_Print(o);
    cJSON_Delete(o);
    return txt;
}

static void json_to(const sim_report *r, FILE *fp)
{
    char *txt = sim_report_json(r);
    fputs(txt, fp);
    fputc('\n', fp);
    free(txt);
}

int sim_report_write_json(const sim_report *r, const char *path, es_err *e)
{
    es_out o;
    if (sim_report_check(r, e) || es_out_open(&o, path, e) < 0)
        return -1;
    json_to(r, o.fp);
    return es_out_commit(&o, e);
}

/* CSV columns: the fixed fields, then units/energy/einsums/extra of the
 * first report (every row of one command shares them). */
static void csv_to(const sim_report *const *rs, int n, FILE *fp)
{
    const sim_report *h = rs[0];
    fputs("arch,model,phase,batch,seq,scope,schedule,cycles,latency_s,energy_pj", fp);
    for (int i = 0; i < h->n_units; i++)
        fprintf(fp, ",units.%s.utilization,units.%s.busy_cycles", h->units[i].name, h->units[i].name);
    fputs(",dram.bytes_read,dram.bytes_written", fp);
    if (h->has_device)
        fputs(",dram.row_hit_rate", fp);
    if (h->has_decode)
        fputs(",decode.tokens,decode.s_per_token,decode.tokens_per_s,decode.energy_pj_per_token", fp);
    for (int i = 0; i < h->n_energy; i++)
        fprintf(fp, ",energy_breakdown_pj.%s", h->energy[i].key);
    for (int i = 0; i < h->n_einsums; i++)
        fprintf(fp, ",einsums.%s.cycles,einsums.%s.ops", h->einsums[i].name, h->einsums[i].name);
    for (int i = 0; i < h->n_extra; i++)
        fprintf(fp, ",%s.%s", h->command, h->extra[i].key);
    fputs(",simulation.wall_s,simulation.simulated_cycles,simulation.fast_forwarded_cycles\n", fp);
    for (int k = 0; k < n; k++) {
        const sim_report *r = rs[k];
        fprintf(fp, "%s,%s,%s,%lld,", r->arch, r->model, r->phase, (long long)r->batch);
        for (int i = 0; i < r->n_seqs; i++)
            fprintf(fp, "%s%lld", i ? ";" : "", (long long)r->seqs[i]);
        fprintf(fp, ",%s,%s,%llu,%.10g,%.10g", r->scope, r->schedule, (unsigned long long)r->cycles, r->latency_s,
                r->energy_pj);
        for (int i = 0; i < h->n_units; i++)
            fprintf(fp, ",%.10g,%llu", i < r->n_units ? r->units[i].utilization : 0,
                    (unsigned long long)(i < r->n_units ? r->units[i].busy_cycles : 0));
        fprintf(fp, ",%.17g,%.17g", r->dram_bytes_read, r->dram_bytes_written);
        if (h->has_device)
            fprintf(fp, ",%.10g", r->dram_row_hit_rate);
        if (h->has_decode)
            fprintf(fp, ",%.17g,%.10g,%.10g,%.10g", r->decode_tokens, r->decode_s_per_token, r->decode_tokens_per_s,
                    r->decode_energy_pj_per_token);
        for (int i = 0; i < h->n_energy; i++)
            fprintf(fp, ",%.10g", i < r->n_energy ? r->energy[i].v : 0);
        for (int i = 0; i < h->n_einsums; i++)
            fprintf(fp, ",%llu,%.17g", (unsigned long long)(i < r->n_einsums ? r->einsums[i].cycles : 0),
                    i < r->n_einsums ? r->einsums[i].ops : 0);
        for (int i = 0; i < h->n_extra; i++)
            fprintf(fp, ",%.10g", i < r->n_extra ? r->extra[i].v : 0);
        fprintf(fp, ",%.6f,%llu,%llu\n", sim_report_wall_s(r), (unsigned long long)r->simulated_cycles,
                (unsigned long long)r->fast_forwarded_cycles);
    }
}

int sim_report_write_csv(const sim_report *const *rs, int n, const char *path, es_err *e)
{
    es_out o;
    for (int i = 0; i < n; i++)
        if (sim_report_check(rs[i], e))
            return -1;
    if (es_out_open(&o, path, e) < 0)
        return -1;
    csv_to(rs, n, o.fp);
    return es_out_commit(&o, e);
}

/* ---- trace ---------------------------------------------------------------- */
void sim_trace_init(sim_trace *t, uint64_t cap)
{
    memset(t, 0, sizeof *t);
    t->enabled = 1;
    t->cap = cap;
}

int sim_trace_unit(sim_trace *t, const char *name)
{
    for (int i = 0; i < t->n_units; i++)
        if (!strcmp(t->unit_names[i], name))
            return i;
    if (t->n_units == SIM_REP_UNITS)
        return SIM_REP_UNITS - 1;
    snprintf(t->unit_names[t->n_units], SIM_REP_NAME, "%s", name);
    return t->n_units++;
}

void sim_trace_add(sim_trace *t, int unit, const char *name, uint64_t ts, uint64_t dur)
{
    if (!t || !t->enabled)
        return;
    if (t->n == t->cap) {
        t->dropped++;
        return;
    }
    if ((t->n & (t->n - 1)) == 0 || !t->ev) /* grow at powers of two */
        t->ev = es_xrealloc(t->ev, (t->n ? 2 * t->n : 1024) * sizeof *t->ev);
    struct sim_trace_ev *v = &t->ev[t->n++];
    v->ts = ts, v->dur = dur, v->unit = (uint16_t)unit;
    snprintf(v->name, sizeof v->name, "%s", name);
}

/* A name from a spec as a JSON string body: quotes, backslashes and
 * control bytes escaped. */
static void json_str(FILE *fp, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p == '"' || *p == '\\')
            fprintf(fp, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(fp, "\\u%04x", *p);
        else
            fputc(*p, fp);
}

static void trace_to(const sim_trace *t, double clock_hz, FILE *fp)
{
    /* ts/dur are microseconds in the trace-event format; one cycle is
     * 1e6/clock_hz us (cycles themselves when no clock is known). */
    double us = clock_hz > 0 ? 1e6 / clock_hz : 1.0;
    fprintf(fp, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"cycle_us\":%.10g,\"cap\":%llu,\"events\":%llu,"
                "\"dropped_events\":%llu,\"note\":\"at most cap events are kept; fast-forwarded work is not traced\"},"
                "\"traceEvents\":[\n",
            us, (unsigned long long)t->cap, (unsigned long long)t->n, (unsigned long long)t->dropped);
    const char *sep = "";
    for (int i = 0; i < t->n_units; i++, sep = ",\n") {
        fprintf(fp, "%s{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":0,\"tid\":%d,\"args\":{\"name\":\"", sep, i);
        json_str(fp, t->unit_names[i]);
        fputs("\"}}", fp);
    }
    for (uint64_t i = 0; i < t->n; i++, sep = ",\n") {
        fprintf(fp, "%s{\"name\":\"", sep);
        json_str(fp, t->ev[i].name);
        fprintf(fp, "\",\"ph\":\"X\",\"pid\":0,\"tid\":%u,\"ts\":%.6f,\"dur\":%.6f}", t->ev[i].unit,
                (double)t->ev[i].ts * us, (double)t->ev[i].dur * us);
    }
    fputs("]}\n", fp);
}

int sim_trace_write(const sim_trace *t, const char *path, double clock_hz, es_err *e)
{
    es_out o;
    if (es_out_open(&o, path, e) < 0)
        return -1;
    trace_to(t, clock_hz, o.fp);
    return es_out_commit(&o, e);
}

int sim_report_write_all(const sim_report *r, const char *json, const char *csv, const sim_trace *t,
                         const char *trace, double clock_hz, es_err *e)
{
    const char *path[3] = {json, csv, t && t->enabled ? trace : NULL};
    if (sim_report_check(r, e))
        return -1;
    es_out o[3];
    memset(o, 0, sizeof o);
    int opened = 0;
    for (; opened < 3; opened++) {
        if (!path[opened])
            continue;
        for (int j = 0; j < opened; j++)
            if (path[j] && strcmp(path[j], "-") && !strcmp(path[j], path[opened]))
                goto same;
        if (es_out_open(&o[opened], path[opened], e) < 0)
            goto fail;
    }
    if (json)
        json_to(r, o[0].fp);
    if (csv)
        csv_to(&r, 1, o[1].fp);
    if (path[2])
        trace_to(t, clock_hz, o[2].fp);
    for (int i = 0; i < 3; i++) {
        if (!path[i])
            continue;
        if (es_out_commit(&o[i], e) < 0) {
            for (int j = i + 1; j < 3; j++)
                if (path[j])
                    es_out_abort(&o[j]);
            return -1;
        }
    }
    return 0;
same:
    es_fail(e, "%s: given for two outputs; expected different files", path[opened]);
fail:
    for (int j = 0; j < opened; j++)
        if (path[j])
            es_out_abort(&o[j]);
    return -1;
}

void sim_trace_free(sim_trace *t)
{
    free(t->ev);
    t->ev = NULL;
    t->n = 0;
}
