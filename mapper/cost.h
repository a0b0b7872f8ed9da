/* mapper/cost.h: the analytical cost model, the simulator's fast estimate
 * (conventions in docs/mapper.md; the simulator is the arbiter).
 *
 * Workload view: each mp_cascade_map already carries its rank sizes and
 * repeat count (resolved against a workload instance by mp_resolve).
 * Everything is a closed form over the loop nest; nothing is simulated.
 *
 *   cycles(einsum)  = ceil(points / parallel) * op.cycles, where points is
 *                     the size of its iteration space times repeat, and
 *                     parallel the product of the group's PE-level spatial
 *                     factors over ranks of that space (capped by the unit's
 *                     rows / cols; 1D units use at most cols); on a
 *                     fold-timed 2D array (timing: systolic) tiles x the
 *                     unit's cycles of one tile as GEMM folds
 *                     (mp_fold_tile_of, as the simulator).
 *   group compute   SEQUENTIAL: per tile step, the list schedule of the
 *                               einsums (unit free and producers done) with
 *                               per-step times total/steps, + max fill_cycles
 *                   PIPELINED:  max over units of the unit's einsum sum
 *                   INTERLEAVED: sum over epoch phases of max over units
 *   group memory    DRAM bytes / bandwidth (reads and writes share it)
 *   latency         sum over groups of max(compute / clock, memory)
 * The FuseMax rules of fusemax.md §6 (P1 sizing, DRAM traffic = Q + AV +
 * (K+V) * P2, per-tile Einsum costs) are what these give for the bundled
 * FuseMax mapping; tests/mapper/test_cost.c checks them in closed form. */
#ifndef MP_COST_H
#define MP_COST_H

#include "mapper/arch.h"
#include "mapper/catalog.h"
#include "mapper/mapping.h"

typedef struct mp_einsum_cost {
    char name[MP_ENAME];
    char cascade_label[MP_NAME];
    int unit;            /* index in arch->units */
    double points;       /* point-ops (iteration space x repeat) */
    double cycles;       /* busy cycles on its unit */
    double energy_pj;    /* compute + RF energy */
} mp_einsum_cost;

#define MP_MAX_EC 64

typedef struct mp_cost {
    int valid;                 /* 0: violates a constraint (why in `why`) */
    char why[256];
    double cycles;             /* latency in cycles of the clock */
    double latency_s;
    double compute_s, memory_s;/* sums over groups (for reporting) */
    double dram_read_bytes, dram_write_bytes;
    double energy_pj;
    double e_compute_pj, e_rf_pj, e_buffer_pj, e_dram_pj;
    double buffer_peak_bytes;  /* largest group footprint in the buffer */
    double busy[MP_MAX_UNITS]; /* busy cycles per unit */
    double util[MP_MAX_UNITS]; /* busy / cycles */
    double lb_compute_cycles;  /* roofline: max over units of (all cascades' ops on it) / peak */
    double lb_unit[MP_MAX_UNITS]; /* per-unit roofline cycles (accumulated) */
    double lb_io_bytes;        /* attention: FlashAttention I/O bound (order), 0 if n/a */
    double attn_dram_bytes;    /* DRAM bytes of the attention cascades (compared with lb_io_bytes) */
    int n_einsums;
    mp_einsum_cost einsums[MP_MAX_EC];
} mp_cost;

/* Cost a resolved mapping on an arch.  Returns 0, or -1 with e set when the
 * mapping is malformed for this arch (unknown unit, op not supported,
 * factors that do not multiply to the rank size, unknown cascade/einsum).
 * A well-formed mapping that does not fit the buffer returns 0 with
 * c->valid = 0 and the reason (the search skips it; the CLI reports it). */
int mp_cost_eval(const mp_arch *a, const mp_mapping *m, mp_cost *c, es_err *e);
/* The same for one cascade map, accumulated into c (c zeroed by caller or
 * mp_cost_eval).  Used by the search's inner loop. */
int mp_cost_cascade(const mp_arch *a, const mp_cascade_map *cm, mp_cost *c, es_err *e);
/* Per-instance invariants of the costing: real elements of each tensor and
 * real points of each einsum of cm's cascade (they depend only on its
 * cascade, ranks and repeat).  A search computes them once per instance and
 * variant; cd is NULL for an unknown cascade. */
typedef struct mp_cost_sizes {
    const mp_cascade_desc *cd;
    double tsize[MP_CAT_MAX_T], epts[MP_CAT_MAX_E];
    double trank[MP_CAT_MAX_T][MP_CAT_RANKS]; /* size of each rank of each tensor */
    double p_size, m_size;                     /* of ranks p and m (1 when absent) */
    int64_t esize[MP_CAT_MAX_E][MP_CAT_RANKS]; /* mp_cmap_rank of each rank of each einsum's space */
} mp_cost_sizes;
void mp_cost_sizes_init(mp_cost_sizes *z, const mp_cascade_map *cm);
/* Does every group of cm fit (mp_group_fits of each, names resolved once)?
 * z as for mp_cost_cascade_sized, or NULL. */
int mp_cascade_fits(const mp_arch *a, const mp_cascade_map *cm, const mp_cost_sizes *z);
/* mp_cost_cascade with z from mp_cost_sizes_init of a map with the same
 * cascade, ranks and repeat as cm (NULL: computed here). */
int mp_cost_cascade_sized(const mp_arch *a, const mp_cascade_map *cm, const mp_cost_sizes *z, mp_cost *c,
                          es_err *e);
/* The same, but first checks that every group fits the buffer (what
 * mp_cascade_fits answers): 1, c untouched, when one does not. */
int mp_cost_cascade_fit(const mp_arch *a, const mp_cascade_map *cm, const mp_cost_sizes *z, mp_cost *c, es_err *e);
/* Finish: latency, utilization and energy totals from the accumulators. */
void mp_cost_finish(const mp_arch *a, mp_cost *c);

/* Buffer footprint (bytes) of one group as tiled (0 if it has no levels). */
double mp_group_footprint(const mp_arch *a, const mp_cascade_map *cm, const mp_group *g);
/* Largest group footprint of a cascade map (bytes). */
double mp_cascade_max_footprint(const mp_arch *a, const mp_cascade_map *cm);
/* The spill-list entry of an overbooked group (`spill: [overflow]`): its
 * multi-pass fibres stay on chip and the part of their region beyond the
 * buffer goes off chip, as FLAT runs (fusemax.md §7: the artifact's L3 is
 * overbooked and charges proportion_spilled of the fibres' buffer traffic
 * as DRAM traffic, cascade.py collect_mem_traffic). */
#define MP_SPILL_OVERFLOW "overflow"
/* Does group g fit the buffer?  1 yes, 0 no.  *frac (may be NULL) gets the
 * fraction of the fibre region that an overbooked group spills (0 when it
 * fits); an overbooked group fits while its other tiles do. */
int mp_group_fits(const mp_arch *a, const mp_cascade_map *cm, const mp_group *g, double *frac);
/* Is group g's `bypass` list valid: no output whose producer iterates a tile
 * loop over a rank the output lacks (its partial sums would leave the array
 * per step)?  0, or -1 with a one-line message.  The cost model's check and
 * the simulator's lowering both call it. */
int mp_group_bypass_check(const mp_cascade_map *cm, const mp_group *g, es_err *e);
/* Does tensor `tensor` of cascade cd bypass group g's buffer when an Einsum
 * of g reads (in = 1) or writes it (in = 0)?  Listed in g's `bypass`, or a
 * spilled fibre that is written, or read by only one Einsum of the group;
 * 0 for a name the cascade lacks.  The cost model's rule (group_traffic);
 * the simulator's lowering asks it by name. */
int mp_group_bypasses(const mp_cascade_desc *cd, const mp_group *g, const char *tensor, int in);
/* A per-tile intermediate (role MP_T_TILE) passed between two units that no
 * `link` connects goes through the global buffer: its producer writes every
 * element there once, and every reader on another unlinked unit reads it
 * once (a reader on the producer's unit keeps it in the PEs).  Is `tensor`
 * staged for the reader bound to unit `reader` (reader NULL: is it written
 * to the buffer, i.e. does some reader need it there)?  Cost model and
 * simulator charge these accesses alike. */
int mp_tile_staged(const mp_arch *a, const mp_cascade_map *cm, const mp_cascade_desc *cd, const char *tensor,
                   const char *reader);
/* Does Einsum ed run outside group g's innermost tile loop: does its space
 * lack the rank of a temporal loop above the PE level (rep aside; factor-1
 * loops count: AV after the last m1 even when M1 = 1)?  Such an Einsum runs
 * once per `lacked` tiles and is exempt from the epoch lag rules.  Returns
 * that product of the lacked loops' factors, 0 when it is inside.  The cost
 * model, the search's lag fixpoint and the simulator's lowering all use it. */
double mp_einsum_outside_inner(const mp_group *g, const mp_einsum_desc *ed);
/* Check a mapping against an arch: bindings name existing units that have
 * the Einsum's op, loop ranks exist, epochs respect lags (producers first).
 * Returns 0 or -1 with a one-line message naming cascade, einsum/unit. */
int mp_mapping_check(const mp_arch *a, const mp_mapping *m, es_err *e);
/* Bytes one element of tensor t occupies in DRAM: for its weight tensors
 * the cascade's weight_elem_bytes when a format (--quant) gave the value
 * width (sparse indices included), else word_bytes x weight_kept +
 * weight_side_bytes for sparse weights (--sparsity), else the arch's
 * word_bytes.  Every DRAM byte count (cost model and lowering) goes
 * through this. */
double mp_tensor_elem_bytes(const mp_arch *a, const mp_cascade_map *cm, const mp_tensor_desc *t);
/* The MAC-throughput factor unit u declares for sparse pattern `pattern`
 * ("2:4", "block4x1", ...), 0 when it declares none. */
double mp_unit_sparse_factor(const mp_unit *u, const char *pattern);
/* MAC-throughput factor of Einsum ed of cm on unit u: when the Einsum reads
 * the cascade's weights and they are sparse in a pattern u declares with
 * factor F, min(F, 1 / weight_kept) (the zeros skipped, no more); else 1
 * (a unit without support runs them dense).  The cost model's Einsum cycles
 * and the lowering's tile cycles both use it. */
double mp_einsum_speedup(const mp_unit *u, const mp_cascade_map *cm, const mp_cascade_desc *cd,
                         const mp_einsum_desc *ed);
/* The tile op of Einsum ed on a fold-timed 2D array (array2d `timing:
 * systolic`) as GEMM folds.  space[k] / ext[k] (k < n): the ranks of its
 * space and their padded extents in one tile; rows_rank / cols_rank: the
 * ranks of the PE-level rows and cols loops, with rf / cf the spatial
 * factors the Einsum spans (NULL and 1 when it spans none).  The fold is
 * output-stationary when the output has the rows rank (or rf = 1): rows x
 * cols outputs, streaming the tile's reduction points, once per temporal
 * output point; weight-stationary when the output lacks the rows rank (a
 * reduction across the rows): rows x cols stationary weights, streaming
 * the temporal output points, once per temporal reduction point.  The
 * array's columns are output columns in both, so an Einsum whose cols rank
 * is reduced is refused ("invalid mapping: ...", -1 + e).  The cost model
 * and the simulator's lowering both build the tile here, then cost it with
 * the unit's fold_tile_cycles (mapper/arch.h). */
int mp_fold_tile_of(const mp_einsum_desc *ed, const mp_tensor_desc *out, const char *const *space,
                    const int64_t *ext, int n, const char *rows_rank, int64_t rf, const char *cols_rank, int64_t cf,
                    mp_fold_tile *t, es_err *e);
/* The storage format Einsum `einsum` of cm runs with, for reports: the
 * weights' format (cm->weight_format) when it reads a weight tensor stored
 * in one, else the arch's number_format. */
const char *mp_einsum_format(const mp_arch *a, const mp_cascade_map *cm, const char *einsum);
/* The sparsity Einsum `einsum` of cm runs with on unit u, for reports: the
 * weights' --sparsity form when u runs it faster (mp_einsum_speedup > 1),
 * else "dense". */
const char *mp_einsum_sparsity(const mp_unit *u, const mp_cascade_map *cm, const char *einsum);

#endif
