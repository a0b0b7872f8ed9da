/* sim/comp/array.c: 2D arrays, 1D arrays and vector units.  A tile op's busy
 * time was computed by the lowering from the unit's timing conventions
 * (docs/cycles.md, sim/array/timing.h); the unit keeps no other state.  The
 * three kinds differ only in the analytical class the mapper costs them as
 * (mapper/arch.h): the spec keys rows/cols/fill_cycles/spatial_reduce/ops are
 * common to every unit. */
#include "sim/comp/comp.h"

#include <stdio.h>
#include <string.h>

#include "golden/base/yaml.h"

static uint64_t array_service(sim_comp *c, const sp_op *op, uint64_t now)
{
    (void)c, (void)now;
    return op->cycles ? op->cycles : 1;
}

const sim_comp_ops sim_array_ops = {.kind = "array", .service = array_service};

/* `sparse: {PATTERN: F, ...}`: the array skips the zeros of weights sparse
 * in PATTERN, gaining at most F in MAC throughput (mp_einsum_speedup:
 * min(F, 1 / the stored fraction)).  "2:4": F in [1, 2] (sparse tensor
 * cores: 2, half the multiplies skipped; 2:4 keeps half the values).
 * "blockRxC" (R, C in 1..64: all-zero R x C weight blocks skipped) and
 * "unstructured": F >= 1, the most zero-skipping gains on this array. */
static int sparse_pattern_ok(const char *k)
{
    int r, c;
    char canon[32];
    if (!strcmp(k, "2:4") || !strcmp(k, "unstructured"))
        return 1;
    if (sscanf(k, "block%dx%d", &r, &c) != 2 || r < 1 || r > 64 || c < 1 || c > 64)
        return 0;
    snprintf(canon, sizeof canon, "block%dx%d", r, c);
    return !strcmp(canon, k); /* no signs, spaces, leading zeros or trailing text */
}

static int array2d_parse(const es_ynode *v, const mp_arch *a, void *rec, es_err *e)
{
    (void)a;
    mp_unit *u = rec;
    u->n_sparse = 0;
    const es_ynode *sp = es_y_get(v, "sparse");
    if (!sp)
        return 0;
    if (es_y_expect(sp, ES_Y_MAP, e))
        return -1;
    for (size_t i = 0; i < sp->n; i++) {
        const char *k = sp->keys[i];
        if (!sparse_pattern_ok(k) || strlen(k) >= sizeof u->sparse[0].pattern)
            return es_y_fail(sp->keylocs[i], e,
                             "unknown sparse format '%s'; expected 2:4, blockRxC (R, C in 1..64, e.g. block4x1) or "
                             "unstructured",
                             k);
        if (u->n_sparse >= MP_MAX_SPARSE)
            return es_y_fail(sp->keylocs[i], e, "more than %d sparse formats", MP_MAX_SPARSE);
        double f;
        if (es_y_as_double(sp->items[i], &f, e))
            return -1;
        if (!strcmp(k, "2:4") && !(f >= 1 && f <= 2))
            return es_y_fail(sp->items[i], e, "expected a MAC-throughput factor in [1, 2] (2:4 skips at most half)");
        if (!(f >= 1 && f <= 1e6))
            return es_y_fail(sp->items[i], e, "expected a MAC-throughput factor of at least 1 (at most 1e6)");
        snprintf(u->sparse[u->n_sparse].pattern, sizeof u->sparse[0].pattern, "%s", k);
        u->sparse[u->n_sparse++].factor = f;
    }
    return 0;
}

static const char *const array2d_keys[] = {"sparse", NULL};
const mp_kind sim_array2d_kind = {
    .name = "array2d", .cls = MP_UNIT_ARRAY2D, .keys = array2d_keys, .parse = array2d_parse, .impl = &sim_array_ops};
const mp_kind sim_array1d_kind = {.name = "array1d", .cls = MP_UNIT_ARRAY1D, .impl = &sim_array_ops};
const mp_kind sim_vector_kind = {.name = "vector", .cls = MP_UNIT_VECTOR, .impl = &sim_array_ops};
