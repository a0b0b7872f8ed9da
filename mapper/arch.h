/* mapper/arch.h: architecture specs of the spatial-array family (DESIGN §4),
 * loaded from sim/arch/NAME.yaml.  The mapper's cost model and the
 * simulator (sim/) both read these structs; this comment is the contract.
 *
 * Units of measure (everywhere in this header):
 *   time      cycles of the one chip clock `clock_hz` (there is one clock);
 *   sizes     bytes, except register files, which count entries of
 *             `word_bytes` each (capacity_bytes is derived and filled in);
 *   bandwidth bytes per second for off-chip memory, bytes per cycle for links;
 *   energy    picojoules, looked up by action name in the energy table.
 *
 * Units (compute):
 *   MP_UNIT_ARRAY2D  rows x cols PEs.  A "tile" of an Einsum bound here is
 *                    rows x cols output points computed in parallel, one per
 *                    PE; an op with `cycles` c takes c cycles per point of
 *                    the tile (throughput, pipelined: the fill/drain latency
 *                    `fill_cycles` is paid once per tile only when the
 *                    schedule does not hide it, see mapping.h).
 *   MP_UNIT_ARRAY1D  1 x cols PEs (rows == 1).  Same convention, cols points
 *                    in parallel.
 *   MP_UNIT_VECTOR   `cols` lanes, no inter-PE network (reductions across
 *                    lanes cost log2(cols) extra cycles, see docs/mapper.md).
 * An op is supported by a unit only if listed in its `ops`; binding an
 * Einsum whose op a unit lacks is an error (mp_unit_op returns NULL).
 * Per-op `actions` name energy-table actions and how many of each one
 * point-op costs (FuseMax exp = 6 x "mac" + 1 x "add"); `cycles` is the
 * number of cycles one PE is busy per point (FuseMax exp = 7).
 *
 * Storage levels, innermost first as listed in the YAML:
 *   MP_STORE_REGFILE per-PE register file of `unit`; capacity is per PE.
 *   MP_STORE_BUFFER  shared global buffer: capacity, banks, width_bits per
 *                    bank row, read/write ports.
 * Off-chip memory (`mem`) is the outermost level.  Its analytical class is
 * MP_MEM_BANDWIDTH (a bandwidth figure, no latency, as FuseMax's artifact)
 * or MP_MEM_DEVICE (a command-level model); either way `bandwidth_Bps` is the
 * sustained figure the analytical model (cost.c) uses.
 *
 * Kinds.  The names a spec accepts under units.*.kind, memory.kind and
 * links[].kind are not the mapper's: they come from a kind table the caller
 * passes to mp_arch_load (mp_arch_kinds; the simulator's component registry,
 * sim/comp/registry.c, is the one the product uses).  An entry gives the
 * analytical class the mapper costs the kind as, the keys of its own it
 * accepts beside the common ones, and a parse callback that validates them
 * (located errors) and keeps what it needs in the record's `params`.  The
 * record remembers its entry (`def`), so the simulator finds its model
 * without a second lookup by name.
 *
 * Lifetime: mp_arch_load returns a struct owned by the caller (free with
 * mp_arch_free, which also frees every record's params).  Strings are copied
 * into fixed arrays; nothing points into the YAML document; `def` points into
 * the caller's (static) kind table. */
#ifndef MP_ARCH_H
#define MP_ARCH_H

#include <stdint.h>

#include "golden/base/err.h"
#include "golden/base/yaml.h"
#include "mapper/energy.h"

#define MP_NAME 48
#define MP_MAX_UNITS 8
#define MP_MAX_OPS 16
#define MP_MAX_ACTIONS 4
#define MP_MAX_STORES 8
#define MP_MAX_LINKS 8
#define MP_MAX_SPARSE 8 /* sparse patterns one unit declares */

/* Element-wise operations of the extended Einsums (the IR's maps and
 * reductions).  mac is a multiply feeding an accumulating add (GEMM-like
 * Einsums); exp is e^x; sub is served by the same hardware as add. */
typedef enum {
    MP_OP_ADD,
    MP_OP_SUB,
    MP_OP_MUL,
    MP_OP_MAC,
    MP_OP_MAX,
    MP_OP_MIN,
    MP_OP_DIV,
    MP_OP_EXP,
    MP_OP_RSQRT,
    MP_OP_GELU,
    MP_OP_SILU,
    MP_OP__COUNT
} mp_op;

const char *mp_op_name(mp_op op);
/* -1 when unknown. */
int mp_op_parse(const char *s);

typedef struct mp_action_count {
    char action[MP_NAME]; /* energy-table action, e.g. "mac", "add" */
    double count;         /* how many per point-op */
} mp_action_count;

typedef struct mp_op_cost {
    mp_op op;
    int cycles; /* PE busy cycles per point (throughput) */
    int n_actions;
    mp_action_count actions[MP_MAX_ACTIONS];
    double energy_pj; /* filled at load: sum of actions x table energies */
} mp_op_cost;

typedef enum { MP_UNIT_ARRAY2D, MP_UNIT_ARRAY1D, MP_UNIT_VECTOR } mp_unit_kind;
typedef enum { MP_MEM_BANDWIDTH, MP_MEM_DEVICE } mp_mem_kind;

typedef struct mp_arch mp_arch;

/* One kind a spec may name (see "Kinds" above). */
typedef struct mp_kind {
    const char *name;        /* the spec's `kind:` value */
    int cls;                 /* units: mp_unit_kind; memories: mp_mem_kind; links: 0 */
    const char *const *keys; /* kind-specific keys (NULL-terminated); NULL: none */
    /* Validates the kind-specific keys of `node` (the unit, memory or link
     * map) and fills `rec` (mp_unit *, mp_mem *, mp_link *): its params (one
     * heap block, freed with free()) and, for a memory, bandwidth_Bps.
     * Called after the common keys are read.  NULL: nothing to do. */
    int (*parse)(const es_ynode *node, const mp_arch *a, void *rec, es_err *e);
    const void *impl; /* the simulator's model of the kind (opaque here) */
} mp_kind;

/* The kinds a loader accepts, per interface; table order is the order
 * messages list them in.  Links may leave `kind` out: the first link kind. */
typedef struct mp_arch_kinds {
    const mp_kind *const *units;
    int n_units;
    const mp_kind *const *mems;
    int n_mems;
    const mp_kind *const *links;
    int n_links;
} mp_arch_kinds;

/* One tile op on a fold-timed 2D array (array2d `timing: systolic`) as the
 * GEMM folds it runs (mp_fold_tile_of, mapper/cost.h): n times a GEMM of
 * `rows` x `cols` outputs (OS) or stationary weights (WS) on the array,
 * streaming t; rows and cols may exceed the array (then it is folded). */
typedef struct mp_fold_tile {
    int64_t rows, cols; /* the tile's extents on the PE-level rows and cols ranks */
    int64_t t;          /* streamed: reduction points (OS) or output points (WS) per PE */
    int64_t n;          /* such GEMMs per tile, back to back */
    int ws;             /* 1: the rows rank is reduced (weight-stationary); 0: output-stationary */
} mp_fold_tile;

typedef struct mp_unit mp_unit;
/* Busy cycles of one tile op on a fold-timed unit (0 + e when the tile does
 * not fit the model). */
typedef uint64_t (*mp_fold_tile_fn)(const mp_unit *u, const mp_fold_tile *t, es_err *e);

struct mp_unit {
    char name[MP_NAME];
    mp_unit_kind kind;   /* analytical class of its kind (def->cls) */
    const mp_kind *def;  /* its kind's entry */
    void *params;        /* kind-specific (def->parse), owned; NULL if none */
    int rows, cols;  /* ARRAY1D and VECTOR: rows == 1 */
    int fill_cycles; /* fill+drain of one tile through the array (FuseMax: 256) */
    int spatial_reduce; /* 1: inter-PE network reduces along a spatial rank for free */
    char rtl_area[MP_NAME]; /* RTL unit of one PE in sim/energy/rtl-area.yaml ("" = none) */
    double area_um2;    /* rtl_area x PEs, scaled to the arch's node (0 = unknown) */
    /* Sparse weight patterns the unit skips zeros of (kind key `sparse:
     * {PATTERN: F}`, e.g. {"2:4": 2, "block4x1": 4}): F is the most MAC
     * throughput it gains on them (mp_einsum_speedup).  None: runs dense. */
    int n_sparse;
    struct {
        char pattern[16]; /* "2:4", "blockRxC", "unstructured" */
        double factor;
    } sparse[MP_MAX_SPARSE];
    /* Fold-level timing (array2d `timing: systolic`): the simulator's fold
     * model (sim/array/timing.h), set by the kind's parse, so that the cost
     * model and the simulator's lowering cost a tile op with the same
     * function; NULL: the tile model (ceil(points / PEs) x op cycles). */
    mp_fold_tile_fn fold_tile_cycles;
    int n_ops;
    mp_op_cost ops[MP_MAX_OPS];
};

typedef enum { MP_STORE_REGFILE, MP_STORE_BUFFER } mp_store_kind;

typedef struct mp_store {
    char name[MP_NAME];
    mp_store_kind kind;
    char unit[MP_NAME];     /* REGFILE: the unit whose PEs hold it */
    int64_t entries;        /* REGFILE: entries per PE */
    int64_t capacity_bytes; /* BUFFER: total; REGFILE: entries * word_bytes */
    int banks;              /* BUFFER */
    int width_bits;         /* BUFFER: bits per bank row */
    int read_ports, write_ports;
    char read_action[MP_NAME], write_action[MP_NAME]; /* energy actions */
    int words_per_access;   /* words moved per read/write action (buffer: row) */
    double read_pj, write_pj; /* filled at load from the energy table */
    double area_um2;          /* BUFFER: the energy table's area.gb scaled by the SRAM rule of
                               * mapper/sram.h (filled at load; 0 = the table gives none) */
} mp_store;

typedef struct mp_mem {
    char name[MP_NAME];
    mp_mem_kind kind;      /* analytical class of its kind (def->cls) */
    const mp_kind *def;    /* its kind's entry */
    void *params;          /* kind-specific (def->parse), owned; NULL if none */
    double bandwidth_Bps;  /* sustained bytes/s, reads+writes shared (set by the kind) */
    char read_action[MP_NAME], write_action[MP_NAME];
    int bytes_per_access;  /* bytes per DRAM energy action (FuseMax: 8) */
    double read_pj, write_pj; /* filled at load from the energy table */
} mp_mem;

typedef struct mp_link {
    char name[MP_NAME];
    const mp_kind *def;  /* its kind's entry */
    void *params;        /* kind-specific (def->parse), owned; NULL if none */
    char from[MP_NAME], to[MP_NAME]; /* unit or storage names, or the mem name */
    double bytes_per_cycle;
} mp_link;

struct mp_arch {
    char name[MP_NAME];
    char file[512];       /* where it was loaded from (for messages) */
    char description[256];
    double clock_hz;
    int word_bytes;       /* every tensor element (FuseMax: 2, fp16) */
    char number_format[16]; /* "fp16", "bf16", "fp32" (functional mode) */
    int n_units;
    mp_unit units[MP_MAX_UNITS];
    int n_stores;
    mp_store stores[MP_MAX_STORES];
    mp_mem mem;
    int n_links;
    mp_link links[MP_MAX_LINKS];
    char energy_name[MP_NAME]; /* sim/energy/NAME.yaml */
    char mapping_name[MP_NAME]; /* default mapping template (mapper/mappings/NAME.yaml); `mapping:`, else name */
    mp_energy energy;          /* loaded table */
};

/* Load a bundled name (sim/arch/NAME.yaml) or a path, accepting the kinds
 * of `kinds`.  Every key is checked; errors are one located line (an
 * unknown kind lists the valid ones).  Also loads the energy table it
 * references and checks that every action named by an op or store exists
 * there. */
mp_arch *mp_arch_load(const char *name_or_path, const mp_arch_kinds *kinds, es_err *e);
/* Same with overrides: sets[i] is "KEY.PATH=VALUE" (einsim --set), applied
 * to the YAML tree before it is read, so each value is checked as if it had
 * been written in the file (es_y_set); errors name the override.  The arch
 * keeps its name (bundled mappings are found by it); callers label reports
 * with mp_arch_label. */
mp_arch *mp_arch_load_set(const char *name_or_path, const mp_arch_kinds *kinds, const char *const *sets, int n_sets,
                          es_err *e);
/* "NAME[k1=v1;k2=v2]" (just NAME without overrides) into out[n]. */
void mp_arch_label(const char *name, const char *const *sets, int n_sets, char *out, size_t n);
/* Same from text (tests); energy table still looked up by name. */
mp_arch *mp_arch_parse(const char *fname, const char *text, const mp_arch_kinds *kinds, es_err *e);
void mp_arch_free(mp_arch *a);

/* Lookups: NULL/-1 when absent. */
const mp_unit *mp_arch_unit(const mp_arch *a, const char *name);
int mp_arch_unit_index(const mp_arch *a, const char *name);
const mp_store *mp_arch_store(const mp_arch *a, const char *name);
const mp_op_cost *mp_unit_op(const mp_unit *u, mp_op op);
/* The global buffer (first BUFFER level), NULL if none. */
const mp_store *mp_arch_buffer(const mp_arch *a);
/* The register file of a unit (store of kind regfile naming it), or NULL. */
const mp_store *mp_arch_regfile(const mp_arch *a, const char *unit);
/* Peak point-ops per cycle of a unit for an op (rows*cols / cycles). */
double mp_unit_peak(const mp_unit *u, mp_op op);
/* Energy of one point-op on a unit (sum of its actions), pJ; -1 if unsupported. */
double mp_unit_op_energy(const mp_arch *a, const mp_unit *u, mp_op op);

#endif
