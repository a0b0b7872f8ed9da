/* mapper/catalog.c: Einsum descriptions of the cascades the mapper maps
 * (see catalog.h).  Transcribed from fusemax.md §5 (Cascades 4 and 5). */
#include <ctype.h>
#include <string.h>

#include "mapper/catalog.h"

#define R(...) {__VA_ARGS__, NULL}

static const mp_tensor_desc t1[] = {
    {"Q", R("e", "p"), MP_T_INPUT},        {"BK", R("e", "m1", "m0"), MP_T_INPUT},
    {"BV", R("f", "m1", "m0"), MP_T_INPUT}, {"AV", R("f", "p"), MP_T_OUTPUT},
    {"BQK", R("m1", "m0", "p"), MP_T_TILE}, {"LM", R("m1", "p"), MP_T_TILE},
    {"RM", R("p"), MP_T_RUNNING},           {"SLN", R("m1", "m0", "p"), MP_T_TILE},
    {"SLD", R("m1", "p"), MP_T_TILE},       {"SLNV", R("f", "m1", "p"), MP_T_TILE},
    {"PRM", R("m1", "p"), MP_T_TILE},       {"SPD", R("m1", "p"), MP_T_TILE},
    {"RD", R("p"), MP_T_RUNNING},           {"SPNV", R("f", "m1", "p"), MP_T_TILE},
    {"RNV", R("f", "p"), MP_T_RUNNING},
};

static const mp_einsum_desc e1[] = {
    {"BQK", MP_OP_MAC, R("m1", "m0", "p", "e"), "BQK", R("Q", "BK"), NULL},
    {"LM", MP_OP_MAX, R("m1", "m0", "p"), "LM", R("BQK"), NULL},
    {"RM", MP_OP_MAX, R("m1", "p"), "RM", R("RM", "LM"), "RM"},
    {"SLN", MP_OP_EXP, R("m1", "m0", "p"), "SLN", R("BQK", "RM"), NULL},
    {"SLD", MP_OP_ADD, R("m1", "m0", "p"), "SLD", R("SLN"), NULL},
    {"SLNV", MP_OP_MAC, R("f", "m1", "m0", "p"), "SLNV", R("SLN", "BV"), NULL},
    {"PRM", MP_OP_EXP, R("m1", "p"), "PRM", R("RM"), NULL},
    {"SPD", MP_OP_MUL, R("m1", "p"), "SPD", R("RD", "PRM"), "RD"},
    {"RD", MP_OP_ADD, R("m1", "p"), "RD", R("SLD", "SPD"), NULL},
    {"SPNV", MP_OP_MUL, R("f", "m1", "p"), "SPNV", R("RNV", "PRM"), "RNV"},
    {"RNV", MP_OP_ADD, R("f", "m1", "p"), "RNV", R("SLNV", "SPNV"), NULL},
    {"AV", MP_OP_DIV, R("f", "p"), "AV", R("RNV", "RD"), NULL},
};

static const mp_tensor_desc t3[] = {
    {"Q", R("e", "p"), MP_T_INPUT},   {"K", R("e", "m"), MP_T_INPUT},   {"V", R("f", "m"), MP_T_INPUT},
    {"AV", R("f", "p"), MP_T_OUTPUT}, {"QK", R("m", "p"), MP_T_FIBRE},  {"GM", R("p"), MP_T_RUNNING},
    {"SN", R("m", "p"), MP_T_FIBRE},  {"SD", R("p"), MP_T_RUNNING},     {"A", R("m", "p"), MP_T_FIBRE},
};

static const mp_einsum_desc e3[] = {
    {"QK", MP_OP_MAC, R("m", "p", "e"), "QK", R("Q", "K"), NULL},
    {"GM", MP_OP_MAX, R("m", "p"), "GM", R("QK"), NULL},
    {"SN", MP_OP_EXP, R("m", "p"), "SN", R("QK", "GM"), NULL},
    {"SD", MP_OP_ADD, R("m", "p"), "SD", R("SN"), NULL},
    {"A", MP_OP_DIV, R("m", "p"), "A", R("SN", "SD"), NULL},
    {"AV", MP_OP_MAC, R("f", "m", "p"), "AV", R("A", "V"), NULL},
};

static const mp_tensor_desc tl[] = {
    {"X", R("t", "k"), MP_T_INPUT},
    {"W", R("k", "n"), MP_T_WEIGHT},
    {"Z", R("t", "n"), MP_T_OUTPUT},
};

static const mp_einsum_desc el[] = {
    {"Z", MP_OP_MAC, R("t", "n", "k"), "Z", R("X", "W"), NULL},
};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
static const mp_cascade_desc cats[] = {
    {"attention-1pass", N(t1), t1, N(e1), e1, 1},
    {"attention-3pass", N(t3), t3, N(e3), e3, 3},
    {"linear", N(tl), tl, N(el), el, 0},
};

const mp_cascade_desc *mp_catalog_find(const char *cascade)
{
    for (int i = 0; i < N(cats); i++)
        if (!strcmp(cats[i].name, cascade))
            return &cats[i];
    return NULL;
}

static mp_cat_index idx[N(cats)];
static int idx_built;

static int tindex(const mp_cascade_desc *c, const char *name)
{
    for (int i = 0; name && i < c->n_tensors; i++)
        if (!strcmp(c->tensors[i].name, name))
            return i;
    return -1;
}

static void build_index(void)
{
    for (int k = 0; k < N(cats); k++) {
        const mp_cascade_desc *c = &cats[k];
        mp_cat_index *x = &idx[k];
        for (int t = 0; t < MP_CAT_MAX_T; t++)
            x->producer[t] = -1;
        for (int i = 0; i < c->n_einsums; i++) {
            x->out[i] = tindex(c, c->einsums[i].out);
            x->producer[x->out[i]] = i;
            x->nin[i] = 0;
            for (int j = 0; c->einsums[i].in[j]; j++)
                x->in[i][x->nin[i]++] = tindex(c, c->einsums[i].in[j]);
            x->prev[i] = tindex(c, c->einsums[i].prev);
        }
    }
    idx_built = 1;
}

const mp_cat_index *mp_catalog_index(const mp_cascade_desc *c)
{
    if (!idx_built)
        build_index();
    return &idx[c - cats];
}

int mp_catalog_einsum_index(const mp_cascade_desc *c, const char *name)
{
    for (int i = 0; i < c->n_einsums; i++)
        if (!strcmp(c->einsums[i].name, name))
            return i;
    return -1;
}

const mp_einsum_desc *mp_catalog_einsum(const mp_cascade_desc *c, const char *name)
{
    for (int i = 0; i < c->n_einsums; i++)
        if (!strcmp(c->einsums[i].name, name))
            return &c->einsums[i];
    return NULL;
}

const mp_tensor_desc *mp_catalog_tensor(const mp_cascade_desc *c, const char *name)
{
    for (int i = 0; i < c->n_tensors; i++)
        if (!strcmp(c->tensors[i].name, name))
            return &c->tensors[i];
    return NULL;
}

void mp_rank_base(const char *rank, char *out, size_t n)
{
    size_t k = strlen(rank);
    while (k > 1 && isdigit((unsigned char)rank[k - 1]))
        k--;
    if (k >= n)
        k = n - 1;
    memcpy(out, rank, k);
    out[k] = 0;
}

/* Length of a rank's base name (trailing digits dropped, at least 1). */
static size_t base_len(const char *r)
{
    size_t k = strlen(r);
    while (k > 1 && isdigit((unsigned char)r[k - 1]))
        k--;
    return k;
}

int mp_tensor_uses(const mp_tensor_desc *t, const char *rank)
{
    size_t b = base_len(rank);
    if (b == 3 && !memcmp(rank, "rep", 3))
        return t->role != MP_T_WEIGHT;
    for (int i = 0; t->ranks[i]; i++)
        if (t->ranks[i][0] == rank[0] && base_len(t->ranks[i]) == b && !memcmp(t->ranks[i], rank, b))
            return 1;
    return 0;
}
