/* mapper/catalog.h: what the cost model needs to know about each Einsum of
 * the cascades it maps: its op (for binding checks and per-point cost), its
 * iteration space, the tensors it reads and writes, and each tensor's role
 * (how long it lives, which decides whether it occupies the global buffer).
 * Derived from the Einsum-cascade IR (mapper/cascade.h): mp_catalog_find
 * loads mapper/cascades/NAME.ein (or a path), checks it, and converts its
 * einsums, tensors and pass analysis by the rules in catalog.c and
 * docs/mapper.md ("Catalogue").  Descriptions are built once per name and
 * thread (each thread keeps its own cache, so runs on different threads
 * share nothing) and live until that thread ends; names and ranks follow
 * the .ein files. */
#ifndef MP_CATALOG_H
#define MP_CATALOG_H

#include <string.h>

#include "mapper/arch.h"

#define MP_CAT_RANKS 8 /* ranks of a tensor or space, NULL included */
#define MP_CAT_INS 6   /* inputs of an einsum, NULL included */

typedef enum {
    MP_T_INPUT,   /* read from off-chip memory */
    MP_T_OUTPUT,  /* written to off-chip memory */
    MP_T_WEIGHT,  /* input shared by every repeat (linear weights) */
    MP_T_TILE,    /* per-tile intermediate, consumed within the tile step (PE RFs / staging) */
    MP_T_RUNNING, /* carried across the iterative rank (RM, RD, RNV): lives in the buffer */
    MP_T_FIBRE    /* multi-pass intermediate: its whole key fibre must stay live (3-pass) */
} mp_tensor_role;

typedef struct mp_tensor_desc {
    const char *name;
    const char *ranks[MP_CAT_RANKS]; /* NULL-terminated; RUNNING: without the iterative rank */
    mp_tensor_role role;
} mp_tensor_desc;

typedef struct mp_einsum_desc {
    const char *name;
    mp_op op;
    const char *space[MP_CAT_RANKS]; /* iteration space ranks, NULL-terminated */
    const char *out;
    const char *in[MP_CAT_INS];      /* NULL-terminated */
    const char *prev;                /* input read at the previous step of the iterative rank, or NULL */
} mp_einsum_desc;

typedef struct mp_cascade_desc {
    const char *name;
    int n_tensors;
    const mp_tensor_desc *tensors;
    int n_einsums;
    const mp_einsum_desc *einsums;
    int passes; /* IR pass count over the key rank m (fusemax.md §3); 0 = no key rank */
} mp_cascade_desc;

#define MP_CAT_MAX_T 24
#define MP_CAT_MAX_E 24

/* Index form of a cascade description (built once): tensor indices of each
 * einsum's output and inputs, and the producing einsum of each tensor. */
typedef struct mp_cat_index {
    int out[MP_CAT_MAX_E];
    int nin[MP_CAT_MAX_E];
    int in[MP_CAT_MAX_E][MP_CAT_INS];
    int prev[MP_CAT_MAX_E];      /* tensor index of `prev`, or -1 */
    int producer[MP_CAT_MAX_T];  /* einsum index, -1 for cascade inputs */
} mp_cat_index;

/* The description of a cascade (bundled name or .ein path), built on first
 * use and kept; NULL + e (why: the IR loader's or checker's located message,
 * or the limit above it exceeds) when it cannot be built.  Failures are not
 * cached. */
const mp_cascade_desc *mp_catalog_load(const char *cascade, es_err *e);
/* mp_catalog_load for callers that have checked the cascade already (a
 * parsed mapping names only cascades that load): NULL when it cannot. */
const mp_cascade_desc *mp_catalog_find(const char *cascade);
/* Do two cascades have the same description (einsums, ops, spaces, tensors,
 * roles)?  attention-decode and attention-1pass do: one template maps both. */
int mp_catalog_same(const char *c1, const char *c2);
const mp_cat_index *mp_catalog_index(const mp_cascade_desc *c);
int mp_catalog_einsum_index(const mp_cascade_desc *c, const char *name);
const mp_einsum_desc *mp_catalog_einsum(const mp_cascade_desc *c, const char *name);
const mp_tensor_desc *mp_catalog_tensor(const mp_cascade_desc *c, const char *name);
/* Does Einsum d read or write the tensor named `tensor`? */
int mp_einsum_touches(const mp_einsum_desc *d, const char *tensor);
/* Does tensor t use rank r (compared by base name: m1, m0 and m share "m")? */
int mp_tensor_uses(const mp_tensor_desc *t, const char *rank);
/* Base name of a rank: trailing digits stripped ("m1" -> "m"). */
void mp_rank_base(const char *rank, char *out, size_t n);
/* Do two rank names denote the same rank: equal, or one is the unsplit
 * parent of the other ("m" matches m1 and m0; m1 and m0 do not match)? */
int mp_rank_match(const char *a, const char *b);

/* Is a cascade (by name) an attention variant (attention-1pass, -3pass,
 * -decode...: the name starts with "attention")? */
static inline int mp_cascade_is_attention(const char *cascade)
{
    return !strncmp(cascade, "attention", 9);
}
/* Is it a decode attention (attention-decode, attention-decode-split: one
 * query per request and head against its KV cache)? */
static inline int mp_cascade_is_decode(const char *cascade)
{
    return !strncmp(cascade, "attention-decode", 16);
}
/* Is it the split-key decode cascade (attention-decode-split: the key rank
 * m cut into s partitions of mr keys, each tiled m1 x m0, then merged)?  A
 * mapping may choose it for a decode instance; the split count is the
 * mapping's (mp_cmap_split_keys in resolve.h). */
static inline int mp_cascade_is_split_decode(const char *cascade)
{
    return !strcmp(cascade, "attention-decode-split");
}
/* Is it one the search explores (attention or linear), rather than a norm,
 * residual or activation that keeps a bundled template? */
static inline int mp_cascade_is_core(const char *cascade)
{
    return !strcmp(cascade, "linear") || mp_cascade_is_attention(cascade);
}

#endif
