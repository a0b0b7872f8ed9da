/* mapper/mapping.h: a mapping of a workload's cascades onto an architecture
 * (DESIGN §4).  Written by `einsim map -o F`, read back unchanged by
 * `einsim run --mapping F`.  This comment is the contract between the mapper
 * (which produces and costs mappings) and the simulator (which runs them).
 *
 * Shape
 *   mp_mapping            one file: arch name, workload label, a list of
 *                         cascade mappings (attention, linear layers, ...).
 *   mp_cascade_map        one cascade instance: the cascade name (IR name,
 *                         e.g. "attention-1pass", or "gemm" for a linear
 *                         layer), its rank sizes, `repeat` (how many
 *                         identical instances, e.g. B*H heads), the binding
 *                         of every Einsum to a unit, and its fusion groups.
 *   mp_group              a set of Einsums fused under one loop nest; they
 *                         exchange intermediates on chip.  Groups run one
 *                         after another (in file order); tensors passed
 *                         between groups go through off-chip memory unless
 *                         `keep_onchip` lists them.  A group is also the
 *                         unit of the latency rule (see cost.h).
 *   nest                  the group's loop nest, one mp_level per storage
 *                         level, OUTERMOST FIRST ("dram", then the global
 *                         buffer, then the PE level).  Each level lists its
 *                         loops outer to inner.  A loop is (rank, factor,
 *                         kind): kind TEMPORAL iterates; SPATIAL_ROWS /
 *                         SPATIAL_COLS spread the rank over the rows / cols
 *                         of the unit the group's 2D Einsums are bound to
 *                         (a 1D/vector unit spreads the product of the
 *                         spatial factors of the Einsum's ranks over its
 *                         cols, at most cols).
 *                         For each rank, the product of its factors over all
 *                         levels equals the rank size; `rep` is the pseudo
 *                         rank of the `repeat` instances (batch x heads).
 *                         Split ranks (m -> m1,m0) appear as m1 and m0.
 *                         factor 0 in a hand-written file means "auto"; it
 *                         is resolved against the workload before use (see
 *                         mp_mapping_resolve) and never appears in a resolved
 *                         mapping.  MP_FACTOR_UNIT ("unit", spatial loops
 *                         only) is the size of the arch's unit along that
 *                         dimension, resolved against the arch (resolve.h),
 *                         so a template follows the array it runs on.
 *   schedule              how the group's Einsums share units over tiles:
 *     SEQUENTIAL   one tile (one iteration of the temporal loops above the
 *                  PE level) at a time: it is fully produced and consumed
 *                  before the next starts; inside it each Einsum starts when
 *                  its unit is free and its producers are done, and the tile
 *                  pays the largest fill_cycles of the group's units once
 *                  (FuseMax "+Architecture").  An Einsum outside the
 *                  innermost tile loop (AV) is part of no tile: the next
 *                  tile may start while it runs (docs/cycles.md).
 *     PIPELINED    different units work on different tiles at once
 *                  (producer/consumer overlap); on one unit, Einsums run in
 *                  order with fill/drain hidden by back-to-back tiles.
 *     INTERLEAVED  FuseMax epochs.  One epoch = one tile step; `epoch` is a
 *                  list of PHASES run one after another.  In a phase, each
 *                  unit runs its slots in order, units run concurrently, and
 *                  the phase ends when every unit is done (phase time = max
 *                  over units of the sum of their slot times).  A slot holds
 *                  one Einsum or several written "A|B": those alternate cycle
 *                  by cycle on the unit, so neither pays fill/drain (slot
 *                  time = sum of theirs).  Every Einsum of the group has a
 *                  `lag` (default 0): in epoch i it works on tile i - lag
 *                  (software pipelining across epochs).  A producer's output
 *                  for tile x must be complete before its consumer's slot for
 *                  tile x: either an earlier epoch (smaller epoch index
 *                  x + lag) or the same epoch in an earlier phase (or earlier
 *                  slot on the same unit); mp_mapping_check verifies this.
 *                  An Einsum whose nest lacks the innermost tiled rank (AV,
 *                  outside the m1 loop) runs once per completed outer tile,
 *                  in its slot of the epoch after its producers' last tile.
 *                  The cost model charges, per phase, max over units of the
 *                  units' total cycles in that phase (FuseMax artifact's
 *                  "waterfall": max(QK+LM, RD+RNV+AV) + RM + max(SLN+SLD,
 *                  PRM+SPD) + max(SLNV, SPNV)).
 *   Per-group `granularity` (FLAT's fusion granularity: "head" = the whole
 *   P x M score matrix of one head is live, "row" = a block of rows) and
 *   `spill` (tensors whose live fibre does not fit and go off chip) are
 *   what the 3-pass baselines need; for the 1-pass cascade they are "tile"
 *   and empty.
 *
 * Ownership: everything below mp_mapping (mp_cascade_map and its parts) is
 * a plain value struct with fixed arrays (their caps are structural: Einsums
 * of one cascade, loop levels, phases); copy those freely.  mp_mapping owns a
 * heap array of cascade maps sized to the workload (a decode has one
 * attention instance per cache length): start from mp_mapping_init (or a
 * zeroed struct), grow with mp_mapping_add, release with mp_mapping_free,
 * and never assign one mp_mapping to another (that aliases the array): use
 * mp_mapping_copy.  Functions that fill an mp_mapping (load, parse,
 * mp_resolve, mp_search) overwrite it without freeing it, so pass an empty
 * one; on failure they leave it empty.  The
 * mapping names units and einsums by string; mp_mapping_check validates the
 * names against an arch (unit exists, unit supports every op of the Einsum,
 * tiles fit the buffer). */
#ifndef MP_MAPPING_H
#define MP_MAPPING_H

#include <stdint.h>

#include "golden/base/err.h"
#include "mapper/arch.h"

#define MP_MAX_EINSUMS 20 /* attention-decode-split has 18 */
#define MP_MAX_GROUPS 8
#define MP_MAX_LEVELS 4
#define MP_MAX_LOOPS 12
#define MP_MAX_RANKS 12
#define MP_MAX_SLOTS 20 /* one phase may hold every Einsum (attention-decode-split: 18) */
#define MP_MAX_SLOT_EINSUMS 4
#define MP_MAX_PHASES 8
#define MP_ENAME 16 /* einsum / tensor / rank names */

typedef enum { MP_LOOP_TEMPORAL, MP_LOOP_SPATIAL_ROWS, MP_LOOP_SPATIAL_COLS } mp_loop_kind;

#define MP_FACTOR_UNIT (-1)

typedef struct mp_loop {
    char rank[MP_ENAME];
    int64_t factor; /* 0 = auto, MP_FACTOR_UNIT = the unit's rows/cols (both unresolved) */
    mp_loop_kind kind;
    int line, col; /* where the template wrote it (0: not from a file) */
} mp_loop;

typedef struct mp_level {
    char store[MP_NAME]; /* "dram" (arch mem name), buffer name, or "pe" */
    int n;
    mp_loop loops[MP_MAX_LOOPS]; /* outer to inner */
} mp_level;

typedef enum { MP_SCHED_SEQUENTIAL, MP_SCHED_PIPELINED, MP_SCHED_INTERLEAVED } mp_sched_kind;
/* FLAT's fusion granularity (see above); AUTO only in templates (the
 * resolver picks ROW or HEAD). */
typedef enum { MP_GRAN_TILE, MP_GRAN_ROW, MP_GRAN_HEAD, MP_GRAN_AUTO } mp_gran_kind;

typedef struct mp_slot {
    int n;
    char einsums[MP_MAX_SLOT_EINSUMS][MP_ENAME]; /* n > 1: alternate cycle by cycle */
} mp_slot;

typedef struct mp_phase_slot {
    char unit[MP_NAME];
    mp_slot slot;
} mp_phase_slot;

typedef struct mp_phase {
    int n;
    mp_phase_slot slots[MP_MAX_SLOTS]; /* same unit: in order; units concurrent */
} mp_phase;

typedef struct mp_group {
    char name[MP_NAME];
    int n_einsums;
    char einsums[MP_MAX_EINSUMS][MP_ENAME];
    int lag[MP_MAX_EINSUMS];  /* INTERLEAVED: tile offset per einsum (index as einsums) */
    mp_sched_kind schedule;
    int n_phases;             /* INTERLEAVED: phases of one epoch */
    mp_phase phases[MP_MAX_PHASES];
    mp_gran_kind granularity;
    /* row granularity: at most this many rows of p per tile (all levels
     * below DRAM); 0 = unbounded.  Head granularity is not bounded. */
    int64_t max_rows;
    int n_spill;
    char spill[MP_MAX_EINSUMS][MP_ENAME]; /* intermediate tensors sent off chip */
    int n_keep;
    char keep_onchip[MP_MAX_EINSUMS][MP_ENAME]; /* group outputs kept for the next group */
    int n_bypass;
    /* DRAM inputs/outputs not staged in the global buffer: streamed between
     * DRAM and the units per tile step of the loops above the PE level */
    char bypass[MP_MAX_EINSUMS][MP_ENAME];
    int n_levels;
    mp_level levels[MP_MAX_LEVELS]; /* outermost first */
} mp_group;

typedef struct mp_binding {
    char einsum[MP_ENAME];
    char unit[MP_NAME];
} mp_binding;

typedef struct mp_rank_size {
    char rank[MP_ENAME];
    int64_t size;
} mp_rank_size;

typedef struct mp_cascade_map {
    char cascade[MP_NAME]; /* IR cascade name: attention-1pass, attention-3pass, gemm */
    char label[MP_NAME];   /* e.g. "attention", "ffn1" */
    int n_ranks;
    mp_rank_size ranks[MP_MAX_RANKS];
    int64_t repeat;
    /* Storage of the cascade's weight tensors (role MP_T_WEIGHT), from the
     * workload instance (md_inst): bytes per element in DRAM, 0 = the
     * arch's word_bytes, and the format's name ("" = the arch's number
     * format).  Sized per tensor by mp_tensor_elem_bytes (cost.h).  Not in
     * the YAML form: it follows the workload, not the mapping. */
    double weight_elem_bytes;
    char weight_format[32];
    /* Weight sparsity (md_inst): the --sparsity name ("" = dense), the arch
     * `sparse:` key it runs on ("2:4", "block4x1", "unstructured"), the
     * fraction of values stored and, when weight_elem_bytes is 0, the
     * index bytes per dense element (mp_tensor_elem_bytes). */
    char weight_sparsity[48];
    char weight_sparse_pattern[16];
    double weight_kept;
    double weight_side_bytes;
    int n_bindings;
    mp_binding bindings[MP_MAX_EINSUMS];
    int n_groups;
    mp_group groups[MP_MAX_GROUPS];
} mp_cascade_map;

typedef struct mp_mapping {
    char arch[MP_NAME];
    char model[MP_NAME];
    int64_t seq, batch;
    char scope[MP_ENAME]; /* attention | layer */
    int n_cascades, cap_cascades;
    mp_cascade_map *cascades; /* owned: n_cascades used of cap_cascades */
} mp_mapping;

void mp_mapping_init(mp_mapping *m);
/* Releases the cascade array; m is then empty (as after mp_mapping_init). */
void mp_mapping_free(mp_mapping *m);
/* Ensures room for n cascade maps in all (one allocation when the count is
 * known up front).  Fails, naming the count, when they would take more than
 * MP_MAPPING_MAX_BYTES (each map holds its fixed structural arrays, ~141 KiB):
 * a guard against a decode of hundreds of thousands of steps exhausting
 * memory. */
#define MP_MAPPING_MAX_BYTES ((int64_t)2 << 30)
int mp_mapping_reserve(mp_mapping *m, int64_t n, es_err *e);
/* Appends a zeroed cascade map and returns it (valid until the next add). */
mp_cascade_map *mp_mapping_add(mp_mapping *m);
/* Deep copy: dst (empty, or freed first by the caller) gets its own array. */
void mp_mapping_copy(mp_mapping *dst, const mp_mapping *src);

const char *mp_sched_name(mp_sched_kind k);
const char *mp_loop_kind_name(mp_loop_kind k);
const char *mp_gran_name(mp_gran_kind k);

/* Read / write the YAML form (docs/spec-arch.md lists every key).  Writing
 * then reading gives an identical struct; writing is deterministic. */
int mp_mapping_load(const char *name_or_path, mp_mapping *out, es_err *e);
int mp_mapping_parse(const char *fname, const char *text, mp_mapping *out, es_err *e);
int mp_mapping_write(const char *path, const mp_mapping *m, es_err *e);
/* Into a malloc'd string (caller frees). */
char *mp_mapping_to_yaml(const mp_mapping *m);

/* Lookups (NULL / -1 when absent). */
int64_t mp_cmap_rank(const mp_cascade_map *c, const char *rank); /* -1 absent */
const char *mp_cmap_unit_of(const mp_cascade_map *c, const char *einsum);
int mp_group_index_of(const mp_cascade_map *c, const char *einsum);
/* Product of a rank's factors over all levels of a group (0 if any auto). */
int64_t mp_group_rank_product(const mp_group *g, const char *rank);
/* Loop factor of rank at a level (1 if absent). */
int64_t mp_level_factor(const mp_level *l, const char *rank);
/* Does a tile of group g hold a whole head: is p's factor at the first
 * (DRAM) level 1, all of p below DRAM (also for a group with no levels)? */
int mp_group_whole_head(const mp_group *g);
/* Does group g keep to its max_rows (0: unbounded)?  max_rows bounds the
 * rows of p per tile (p's factors of every level below DRAM); a whole head
 * under granularity head or auto is not bounded. */
int mp_group_rows_allowed(const mp_group *g);
/* The same as a check: 0, or -1 with the message naming cascade, group,
 * rows and max_rows (mp_resolve and mp_mapping_check both use it). */
int mp_group_rows_check(const mp_cascade_map *cm, const mp_group *g, es_err *e);

#endif
