/* sim/comp/array.c: 2D arrays, 1D arrays and vector units.  A tile op's busy
 * time was computed by the lowering from the unit's timing conventions
 * (docs/cycles.md, sim/array/timing.h); the unit keeps no other state.  The
 * three kinds differ only in the analytical class the mapper costs them as
 * (mapper/arch.h): the spec keys rows/cols/fill_cycles/spatial_reduce/ops are
 * common to every unit.  array2d's own keys: `sparse` and `timing` (fold
 * timing: the unit's fold_tile_cycles, which the cost model calls too). */
#include "sim/comp/comp.h"

#include <stdio.h>
#include <string.h>

#include "golden/base/yaml.h"
#include "sim/array/systolic.h"

static uint64_t array_service(sim_comp *c, const sp_op *op, uint64_t now)
{
    (void)c, (void)now;
    return op->cycles ? op->cycles : 1;
}

const sim_comp_ops sim_array_ops = {.kind = "array", .service = array_service};

/* One GEMM of a fold-timed tile op (mp_fold_tile) on u, native timing:
 * OS rows <- M, cols <- N, streams K; WS rows <- K, cols <- N, streams M
 * (sim/array/systolic.h). */
static sa_gemm fold_gemm(const mp_unit *u, const mp_fold_tile *t)
{
    sa_gemm g = {.R = u->rows, .C = u->cols, .N = t->cols, .timing = SA_TIMING_NATIVE, .fast_forward = 1};
    if (t->ws)
        g.df = SA_WS, g.K = t->rows, g.M = t->t;
    else
        g.df = SA_OS, g.M = t->rows, g.K = t->t;
    return g;
}

/* The C model of a fold-timed tile op (mp_unit.fold_tile_cycles): n GEMMs
 * back to back, each the native closed form (equal to sa_simulate). */
static uint64_t fold_tile_native(const mp_unit *u, const mp_fold_tile *t, es_err *e)
{
    if (t->rows < 1 || t->cols < 1 || t->t < 1 || t->n < 1) {
        es_fail(e, "internal: empty fold tile %lldx%lld streaming %lld on unit %s", (long long)t->rows,
                (long long)t->cols, (long long)t->t, u->name);
        return 0;
    }
    sa_gemm g = fold_gemm(u, t);
    return (uint64_t)t->n * sa_closed_form_cycles(&g);
}

uint64_t sim_fold_tile_cycles(const mp_unit *u, const mp_fold_tile *t, sa_fold_source src, void *ctx, es_err *e)
{
    if (!src)
        return u->fold_tile_cycles(u, t, e);
    if (t->rows < 1 || t->cols < 1 || t->t < 1 || t->n < 1)
        return fold_tile_native(u, t, e);
    sa_gemm g = fold_gemm(u, t);
    g.fold_source = src, g.fold_ctx = ctx;
    sa_result r;
    if (sa_simulate(&g, &r, NULL, NULL, e))
        return 0;
    return (uint64_t)t->n * r.cycles;
}

/* `timing: tile | systolic` (default tile).  systolic: a tile op is costed
 * as the GEMM folds it runs, with the native fold conventions
 * (sim/array/timing.h, equal to the RTL array); the unit then runs only
 * MACs, one per PE per cycle, and its fill/drain is in every fold (so no
 * fill_cycles) and it has no sparse mode: what the RTL array does. */
static int array2d_timing(const es_ynode *v, mp_unit *u, es_err *e)
{
    const char *tm = NULL;
    if (es_y_str(v, "timing", 0, &tm, e))
        return -1;
    if (!tm || !strcmp(tm, "tile"))
        return 0;
    if (strcmp(tm, "systolic"))
        return es_y_fail(es_y_get(v, "timing"), e, "unknown timing '%s'; expected tile or systolic", tm);
    if (u->fill_cycles)
        return es_y_fail(es_y_get(v, "fill_cycles"), e,
                         "a unit with timing: systolic pays its fill and drain in every fold; expected fill_cycles: 0 "
                         "or none");
    if (es_y_get(v, "sparse"))
        return es_y_fail(es_y_get(v, "sparse"), e, "a unit with timing: systolic has no sparse mode");
    const es_ynode *ops = es_y_get(v, "ops");
    for (int i = 0; i < u->n_ops; i++)
        if (u->ops[i].op != MP_OP_MAC || u->ops[i].cycles != 1)
            return es_y_fail(ops && (size_t)i < ops->n ? ops->keylocs[i] : v, e,
                             "a unit with timing: systolic runs only mac with cycles: 1 (one MAC per PE per cycle); "
                             "got %s with cycles: %d",
                             mp_op_name(u->ops[i].op), u->ops[i].cycles);
    u->fold_tile_cycles = fold_tile_native;
    return 0;
}

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
    if (array2d_timing(v, u, e))
        return -1;
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

static const char *const array2d_keys[] = {"sparse", "timing", NULL};
const mp_kind sim_array2d_kind = {
    .name = "array2d", .cls = MP_UNIT_ARRAY2D, .keys = array2d_keys, .parse = array2d_parse, .impl = &sim_array_ops};
const mp_kind sim_array1d_kind = {.name = "array1d", .cls = MP_UNIT_ARRAY1D, .impl = &sim_array_ops};
const mp_kind sim_vector_kind = {.name = "vector", .cls = MP_UNIT_VECTOR, .impl = &sim_array_ops};
