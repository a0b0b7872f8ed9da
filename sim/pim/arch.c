/* sim/pim/arch.c: PIM systems in the component registry: the unit kinds
 * pim-banks (the bank MAC units and their DRAM timing set) and vector-asic,
 * and the pim_arch view of an arch that has them (docs/pim.md). */
#include <stdlib.h>
#include <string.h>

#include "golden/base/io.h"
#include "golden/base/yaml.h"
#include "sim/comp/comp.h"
#include "sim/pim/pim.h"
#include "sim/sim.h"

/* Parameters of a pim-banks unit (its record's params block). */
typedef struct pim_bank_params {
    char dram_name[64];
    dr_spec dram;
    int channels;
    pim_mapping mapping;
} pim_bank_params;

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

static int banks_fields(const es_ynode *v, const mp_arch *a, const mp_unit *u, pim_bank_params *p, es_err *e)
{
    const char *s;
    if (es_y_str(v, "dram", 1, &s, e) || es_y_name(es_y_get(v, "dram"), s, p->dram_name, sizeof p->dram_name, 0, e))
        return -1;
    es_err de;
    if (dr_spec_load(p->dram_name, &p->dram, &de))
        return es_y_fail(es_y_get(v, "dram"), e, "timing set '%s': %s", p->dram_name, de.msg);
    if (pos_int(v, "channels", 1024, &p->channels, e))
        return -1;
    es_ynode *mp = es_y_child(v, "mapping", ES_Y_MAP, "split_k, pack_rows, kv_in_pim, overlap", e);
    if (!mp || read_mapping(mp, &p->mapping, e))
        return -1;
    const dr_spec *d = &p->dram;
    if (strcmp(a->number_format, "bf16") || a->word_bytes != 2)
        return es_y_fail(v, e, "PIM bank MAC units are BF16: the arch needs number_format bf16 and word_bytes 2");
    if ((int64_t)u->cols * a->word_bytes != d->org.burst_bytes)
        return es_y_fail(es_y_get(v, "cols"), e,
                         "%d lanes x %d B must equal the timing set's burst of %lld B (one column per MAC)", u->cols,
                         a->word_bytes, (long long)d->org.burst_bytes);
    if (d->t.tRCDMAC <= 0 || d->t.tCCD_MAC <= 0)
        return es_y_fail(es_y_get(v, "dram"), e, "timing set '%s' has no PIM timing (pim.tRCDMAC, pim.tCCD_MAC)",
                         p->dram_name);
    if (d->org.ranks != 1)
        return es_y_fail(es_y_get(v, "dram"), e, "timing set '%s': PIM needs one rank per channel", p->dram_name);
    if (!mp_unit_op(u, MP_OP_MAC))
        return es_y_fail(es_y_get(v, "ops"), e, "a pim-banks unit needs op mac (one column per tCCD_MAC)");
    return 0;
}

static int banks_parse(const es_ynode *v, const mp_arch *a, void *rec, es_err *e)
{
    mp_unit *u = rec;
    pim_bank_params *p = es_xcalloc(1, sizeof *p);
    if (banks_fields(v, a, u, p, e)) {
        free(p);
        return -1;
    }
    u->params = p;
    return 0;
}

static int asic_fields(const es_ynode *v, const mp_unit *u, pim_asic *A, es_err *e)
{
    int sram = 0;
    if (es_y_double(v, "clock_hz", 1, &A->clock_hz, e))
        return -1;
    if (!(A->clock_hz > 0))
        return es_y_fail(es_y_get(v, "clock_hz"), e, "expected a clock > 0 Hz");
    if (pos_int(v, "sram_bytes", INT32_MAX, &sram, e) || pos_int(v, "exp_terms", 32, &A->exp_terms, e) ||
        pos_int(v, "recip_iters", 8, &A->recip_iters, e) || pos_int(v, "rsqrt_iters", 8, &A->rsqrt_iters, e))
        return -1;
    int64_t lat = 0;
    if (es_y_int(v, "latency", 1, &lat, e))
        return -1;
    if (lat < 0 || lat > 1000000)
        return es_y_fail(es_y_get(v, "latency"), e, "expected 0 to 1000000 cycles, got %lld", (long long)lat);
    A->latency = (int)lat;
    A->sram_bytes = sram;
    A->lanes = u->cols;
    return 0;
}

static int asic_parse(const es_ynode *v, const mp_arch *a, void *rec, es_err *e)
{
    (void)a;
    mp_unit *u = rec;
    pim_asic *A = es_xcalloc(1, sizeof *A);
    if (asic_fields(v, u, A, e)) {
        free(A);
        return -1;
    }
    u->params = A;
    return 0;
}

static const char *const banks_keys[] = {"dram", "channels", "mapping", NULL};
static const char *const asic_keys[] = {"clock_hz",  "sram_bytes",  "latency",
                                        "exp_terms", "recip_iters", "rsqrt_iters", NULL};
/* The banks have no tile-level model (sim/pim simulates them by command);
 * the ASIC is a vector unit to the tile engine too. */
const mp_kind sim_pim_banks_kind = {.name = "pim-banks", .cls = MP_UNIT_VECTOR, .keys = banks_keys,
                                    .parse = banks_parse};
const mp_kind sim_vector_asic_kind = {.name = "vector-asic", .cls = MP_UNIT_VECTOR, .keys = asic_keys,
                                      .parse = asic_parse, .impl = &sim_array_ops};

/* The pim_arch view of a loaded arch: -1 + e when it has no pim-banks or
 * no vector-asic unit. */
static int from_arch(const mp_arch *m, pim_arch *a, es_err *e)
{
    memset(a, 0, sizeof *a);
    const mp_unit *banks = NULL, *asic = NULL;
    for (int i = 0; i < m->n_units; i++) {
        if (m->units[i].def == &sim_pim_banks_kind)
            banks = &m->units[i];
        else if (m->units[i].def == &sim_vector_asic_kind)
            asic = &m->units[i];
    }
    if (!banks || !asic)
        return es_fail(e, "%s: a PIM system needs one unit of kind pim-banks and one of kind vector-asic", m->file);
    const pim_bank_params *p = banks->params;
    snprintf(a->name, sizeof a->name, "%s", m->name);
    snprintf(a->file, sizeof a->file, "%s", m->file);
    snprintf(a->description, sizeof a->description, "%s", m->description);
    snprintf(a->dram_name, sizeof a->dram_name, "%s", p->dram_name);
    a->dram = p->dram;
    a->channels = p->channels;
    a->banks = p->dram.org.bankgroups * p->dram.org.banks_per_group;
    a->mac_lanes = banks->cols;
    a->word_bytes = m->word_bytes;
    a->mapping = p->mapping;
    a->asic = *(const pim_asic *)asic->params;
    /* energy per action from the arch's table (the loader checked they exist) */
    a->mac_pj = mp_unit_op(banks, MP_OP_MAC)->energy_pj;
    const mp_op_cost *op = mp_unit_op(asic, MP_OP_ADD);
    a->asic.pj_per_op = op ? op->energy_pj : 0;
    double sram = mp_energy_of(&m->energy, "asic_sram");
    a->asic.pj_per_sram_byte = sram > 0 ? sram : 0;
    return 0;
}

int pim_arch_is(const char *name_or_path)
{
    es_err e;
    mp_arch *m = sim_arch_load(name_or_path, &e);
    if (!m)
        return 0;
    int is = 0;
    for (int i = 0; i < m->n_units; i++)
        is |= m->units[i].def == &sim_pim_banks_kind;
    mp_arch_free(m);
    return is;
}

int pim_arch_load(const char *name_or_path, pim_arch *a, es_err *e)
{
    mp_arch *m = sim_arch_load(name_or_path, e);
    if (!m)
        return -1;
    int rc = from_arch(m, a, e);
    mp_arch_free(m);
    return rc;
}

int pim_arch_parse(const char *fname, const char *text, pim_arch *a, es_err *e)
{
    mp_arch *m = sim_arch_parse(fname, text, e);
    if (!m)
        return -1;
    int rc = from_arch(m, a, e);
    mp_arch_free(m);
    return rc;
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
