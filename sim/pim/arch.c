/* sim/pim/arch.c: PIM system arch specs (sim/arch/NAME.yaml with `kind:
 * pim`; schema in docs/pim.md). */
#include <stdlib.h>
#include <string.h>

#include "golden/base/io.h"
#include "golden/base/yaml.h"
#include "sim/pim/pim.h"

int pim_arch_is(const char *name_or_path)
{
    char path[1024];
    es_err e;
    if (es_find_bundled("arch", name_or_path, ".yaml", path, sizeof path, &e))
        return 0;
    es_ydoc *d = es_yaml_load(path, &e);
    if (!d)
        return 0;
    int is = 0;
    if (d->root && d->root->kind == ES_Y_MAP) {
        es_ynode *k = es_y_get(d->root, "kind");
        is = k && k->kind == ES_Y_SCALAR && !strcmp(k->value, "pim");
    }
    es_yaml_free(d);
    return is;
}

static int pos_int(const es_ynode *m, const char *key, int64_t max, int *out, es_err *e)
{
    int64_t v = *out;
    if (es_y_int(m, key, 1, &v, e))
        return -1;
    if (v < 1 || v > max)
        return es_y_fail(es_y_get(m, key), e, "expected an integer from 1 to %lld, got %lld", (long long)max,
                         (long long)v);
    *out = (int)v;
    return 0;
}

static int nonneg(const es_ynode *m, const char *key, double *out, es_err *e)
{
    if (es_y_double(m, key, 1, out, e))
        return -1;
    if (!(*out >= 0))
        return es_y_fail(es_y_get(m, key), e, "expected a number >= 0, got %g", *out);
    return 0;
}

static int read_asic(const es_ynode *v, pim_asic *A, es_err *e)
{
    static const char *const keys[] = {"clock_hz", "lanes", "sram_bytes", "latency", "exp_terms", "recip_iters",
                                       "rsqrt_iters", "pj_per_op", "pj_per_sram_byte", NULL};
    if (es_y_expect(v, ES_Y_MAP, e) || es_y_check_keys(v, keys, e))
        return -1;
    int sram = 0;
    if (nonneg(v, "clock_hz", &A->clock_hz, e) || pos_int(v, "lanes", 1 << 16, &A->lanes, e) ||
        pos_int(v, "sram_bytes", INT32_MAX, &sram, e) || pos_int(v, "exp_terms", 32, &A->exp_terms, e) ||
        pos_int(v, "recip_iters", 8, &A->recip_iters, e) || pos_int(v, "rsqrt_iters", 8, &A->rsqrt_iters, e) ||
        nonneg(v, "pj_per_op", &A->pj_per_op, e) || nonneg(v, "pj_per_sram_byte", &A->pj_per_sram_byte, e))
        return -1;
    int64_t lat = 0;
    if (es_y_int(v, "latency", 1, &lat, e))
        return -1;
    if (lat < 0 || lat > 1000000)
        return es_y_fail(es_y_get(v, "latency"), e, "expected 0 to 1000000 cycles, got %lld", (long long)lat);
    A->latency = (int)lat;
    A->sram_bytes = sram;
    if (A->clock_hz <= 0)
        return es_y_fail(es_y_get(v, "clock_hz"), e, "expected a clock > 0 Hz");
    return 0;
}

static int read_mapping(const es_ynode *v, pim_mapping *m, es_err *e)
{
    static const char *const keys[] = {"split_k", "pack_rows", "kv_in_pim", "overlap", NULL};
    if (es_y_expect(v, ES_Y_MAP, e) || es_y_check_keys(v, keys, e))
        return -1;
    return es_y_bool(v, "split_k", 1, &m->split_k, e) || es_y_bool(v, "pack_rows", 1, &m->pack_rows, e) ||
                   es_y_bool(v, "kv_in_pim", 1, &m->kv_in_pim, e) || es_y_bool(v, "overlap", 1, &m->overlap, e)
               ? -1
               : 0;
}

static int read_arch(const es_ynode *root, void *out, es_err *e)
{
    pim_arch *a = out;
    static const char *const keys[] = {"name", "kind", "description", "dram", "channels", "number_format",
                                       "word_bytes", "mac", "asic", "mapping", NULL};
    if (es_y_expect(root, ES_Y_MAP, e) || es_y_check_keys(root, keys, e))
        return -1;
    const char *s;
    if (es_y_str(root, "name", 1, &s, e) || es_y_name(es_y_get(root, "name"), s, a->name, sizeof a->name, 0, e))
        return -1;
    if (es_y_str(root, "kind", 1, &s, e))
        return -1;
    if (strcmp(s, "pim"))
        return es_y_fail(es_y_get(root, "kind"), e, "expected 'pim', got '%s'", s);
    if (!es_y_str(root, "description", 0, &s, e) && es_y_get(root, "description"))
        snprintf(a->description, sizeof a->description, "%s", s);
    if (es_y_str(root, "dram", 1, &s, e) || es_y_name(es_y_get(root, "dram"), s, a->dram_name, sizeof a->dram_name, 0, e))
        return -1;
    es_err de;
    if (dr_spec_load(a->dram_name, &a->dram, &de))
        return es_y_fail(es_y_get(root, "dram"), e, "timing set '%s': %s", a->dram_name, de.msg);
    if (pos_int(root, "channels", 1024, &a->channels, e) || pos_int(root, "word_bytes", 8, &a->word_bytes, e))
        return -1;
    if (es_y_str(root, "number_format", 1, &s, e))
        return -1;
    if (strcmp(s, "bf16"))
        return es_y_fail(es_y_get(root, "number_format"), e, "expected bf16 (the bank MAC units are BF16), got '%s'", s);
    if (a->word_bytes != 2)
        return es_y_fail(es_y_get(root, "word_bytes"), e, "expected 2 (bf16)");
    es_ynode *mac = es_y_child(root, "mac", ES_Y_MAP, "lanes, pj_per_mac", e);
    if (!mac)
        return -1;
    static const char *const mkeys[] = {"lanes", "pj_per_mac", NULL};
    if (es_y_check_keys(mac, mkeys, e) || pos_int(mac, "lanes", 1024, &a->mac_lanes, e) ||
        nonneg(mac, "pj_per_mac", &a->mac_pj, e))
        return -1;
    const dr_spec *d = &a->dram;
    if ((int64_t)a->mac_lanes * a->word_bytes != d->org.burst_bytes)
        return es_y_fail(es_y_get(mac, "lanes"), e,
                         "%d lanes x %d B must equal the timing set's burst of %lld B (one column per MAC)",
                         a->mac_lanes, a->word_bytes, (long long)d->org.burst_bytes);
    if (d->t.tRCDMAC <= 0 || d->t.tCCD_MAC <= 0)
        return es_y_fail(es_y_get(root, "dram"), e, "timing set '%s' has no PIM timing (pim.tRCDMAC, pim.tCCD_MAC)",
                         a->dram_name);
    if (d->org.ranks != 1)
        return es_y_fail(es_y_get(root, "dram"), e, "timing set '%s': PIM needs one rank per channel", a->dram_name);
    a->banks = d->org.bankgroups * d->org.banks_per_group;
    es_ynode *as = es_y_child(root, "asic", ES_Y_MAP, NULL, e);
    if (!as || read_asic(as, &a->asic, e))
        return -1;
    es_ynode *mp = es_y_child(root, "mapping", ES_Y_MAP, "split_k, pack_rows, kv_in_pim, overlap", e);
    if (!mp || read_mapping(mp, &a->mapping, e))
        return -1;
    return 0;
}

int pim_arch_load(const char *name_or_path, pim_arch *a, es_err *e)
{
    memset(a, 0, sizeof *a);
    char path[1024];
    if (es_find_bundled("arch", name_or_path, ".yaml", path, sizeof path, e))
        return -1;
    snprintf(a->file, sizeof a->file, "%s", path);
    return es_yaml_read_file(path, read_arch, a, e);
}

int pim_arch_parse(const char *fname, const char *text, pim_arch *a, es_err *e)
{
    memset(a, 0, sizeof *a);
    snprintf(a->file, sizeof a->file, "%s", fname);
    return es_yaml_read_string(fname, text, read_arch, a, e);
}

/* A mapping file (einsim map -o F on a PIM arch): `kind: pim-mapping` and
 * the four choices of pim_mapping. */
static int read_mapping_file(const es_ynode *root, void *out, es_err *e)
{
    static const char *const keys[] = {"kind", "arch", "split_k", "pack_rows", "kv_in_pim", "overlap", NULL};
    if (es_y_expect(root, ES_Y_MAP, e) || es_y_check_keys(root, keys, e))
        return -1;
    const char *s;
    if (es_y_str(root, "kind", 1, &s, e))
        return -1;
    if (strcmp(s, "pim-mapping"))
        return es_y_fail(es_y_get(root, "kind"), e, "expected 'pim-mapping', got '%s'", s);
    pim_mapping *m = out;
    return es_y_bool(root, "split_k", 1, &m->split_k, e) || es_y_bool(root, "pack_rows", 1, &m->pack_rows, e) ||
                   es_y_bool(root, "kv_in_pim", 1, &m->kv_in_pim, e) || es_y_bool(root, "overlap", 1, &m->overlap, e)
               ? -1
               : 0;
}

int pim_mapping_load(const char *path, pim_mapping *m, es_err *e)
{
    return es_yaml_read_file(path, read_mapping_file, m, e);
}

void pim_mapping_write(FILE *fp, const char *arch, const pim_mapping *m)
{
    fprintf(fp,
            "# einsim PIM mapping (docs/pim.md)\nkind: pim-mapping\narch: %s\nsplit_k: %s\npack_rows: %s\n"
            "kv_in_pim: %s\noverlap: %s\n",
            arch, m->split_k ? "true" : "false", m->pack_rows ? "true" : "false", m->kv_in_pim ? "true" : "false",
            m->overlap ? "true" : "false");
}
