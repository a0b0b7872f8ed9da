/* mapper/cascade.h: the Einsum-cascade IR (DESIGN §3; syntax and semantics in
 * docs/cascades.md).
 *
 * A cascade is a list of extended Einsums over named ranks, written as text
 * (mapper/cascades/NAME.ein):
 *
 *     cascade attention-1pass
 *     rank e = 64, f = 64, p = 256, m = 4096
 *     split m -> m1, m0 = 256          # m = m1*M0 + m0, M1 = ceil(M/M0)
 *     input Q[e,p], K[e,m], V[f,m]
 *     output AV[f,p]
 *     RM[m1=0,p] = -inf                # initial value of an iterative tensor
 *     BQK[m1,m0,p] = Q[e,p] * K[e,m]   # implicit sum over e
 *     LM[m1,p]     = max(m0) BQK[m1,m0,p]
 *     RM[m1+1,p]   = max(RM[m1,p], LM[m1,p])
 *     AV[f,p]      = RNV[f,M1,p] / RD[M1,p]
 *
 * The structs are public and read-only for users (mapper, sim): after
 * cas_parse() succeeds every index below is resolved and checked; after
 * cas_bind() succeeds every rank has a size.  Library code never prints:
 * errors come back in es_err as "FILE:LINE:COL: ..." naming the tensor or
 * rank at fault. */
#ifndef MAPPER_CASCADE_H
#define MAPPER_CASCADE_H

#include <stdint.h>
#include <stdio.h>

#include "golden/base/err.h"

#define CAS_NAME 32        /* tensor, rank and einsum names (NUL included) */
#define CAS_MAX_RANKS 32   /* ranks of one cascade */
#define CAS_MAX_TRANKS 8   /* ranks of one tensor */
#define CAS_MAX_TENSORS 128
#define CAS_MAX_EINSUMS 96
#define CAS_MAX_SPACE 12   /* ranks in one einsum's iteration space */
#define CAS_MAX_TERMS 4    /* terms of one index expression */
#define CAS_MAX_PASSES 8
/* Nesting of one expression (parentheses, unary minus, op calls, and the
 * length of an operator chain, which builds a left-deep tree): every pass
 * over an expression recurses, so its depth is bounded here. */
#define CAS_MAX_EXPR_DEPTH 256

typedef struct cas_loc {
    int line, col; /* 1-based; 0 = unknown */
} cas_loc;

/* ---- operators ------------------------------------------------------------
 * Maps (binary + - * / max min, unary exp and named ops) and reductions.
 * Every op has a declared cost in "op units" (1 = one add/mul/max): the
 * defaults are in cas_op_info(); a cascade may override them with
 * `op NAME cost X` (e.g. FuseMax's exp = 6 MAC + 1 add = 7). */
typedef enum cas_op {
    CAS_OP_ADD, CAS_OP_SUB, CAS_OP_MUL, CAS_OP_DIV, CAS_OP_MAX, CAS_OP_MIN,
    CAS_OP_NEG, CAS_OP_EXP,
    CAS_OP_GELU,       /* gd_gelu_erf */
    CAS_OP_GELU_TANH,  /* gd_gelu_tanh */
    CAS_OP_SILU,       /* gd_silu */
    CAS_OP_RELU, CAS_OP_SIGMOID, CAS_OP_TANH,
    CAS_OP_RSQRT, CAS_OP_SQRT, CAS_OP_RECIP,
    CAS_OP_QUANTIZE,   /* quantize(x, s): clamp(rint(x/s), -127, 127), int8 grid */
    CAS_OP_DEQUANTIZE, /* dequantize(q, s): q * s */
    CAS_OP_COUNT
} cas_op;

typedef struct cas_opinfo {
    const char *name;   /* spelling in a cascade ("+" for add, "gelu" ...) */
    const char *fname;  /* function-call spelling ("max", "exp"); NULL if infix only */
    int arity;          /* 1 or 2 */
    double cost;        /* default cost in op units */
} cas_opinfo;

const cas_opinfo *cas_op_info(cas_op op);
/* Look a function-call name up ("gelu", "max"); -1 when unknown. */
int cas_op_find(const char *fname);

typedef enum cas_reduce {
    CAS_RED_NONE, /* no rank is reduced (a pure map or copy) */
    CAS_RED_SUM,  /* implicit, or sum(r,...) */
    CAS_RED_MAX,
    CAS_RED_MIN
} cas_reduce;
const char *cas_reduce_name(cas_reduce r);

/* ---- ranks ---------------------------------------------------------------- */
typedef struct cas_rank {
    char name[CAS_NAME]; /* lower case; its size is written upper case (M1) */
    cas_loc loc;         /* declaration */
    int64_t dflt;        /* size given in the file, 0 = none */
    int64_t size;        /* bound size (cas_bind), 0 = unbound */
    int parent;          /* split child: the rank it was split from, else -1 */
    int outer, inner;    /* split parent: its children (m1 outer, m0 inner), else -1 */
    int like;            /* `rank m like p`: same size, may index a p position; else -1 */
} cas_rank;

/* ---- sparse operands (stored for the cost model; the interpreter computes
 * dense) ---------------------------------------------------------------------*/
typedef struct cas_sparse {
    int compressed;      /* 1: this rank of the tensor is stored compressed */
    double density;      /* fraction of nonzeros (0 < d <= 1); 0 when given as N:M */
    int nm_n, nm_m;      /* N:M structured sparsity (2:4), 0 when not */
} cas_sparse;

/* ---- tensors -------------------------------------------------------------- */
typedef enum cas_tkind { CAS_T_INPUT, CAS_T_INTERMEDIATE, CAS_T_OUTPUT } cas_tkind;

typedef struct cas_tensor {
    char name[CAS_NAME];
    cas_loc loc;                  /* declaration or first definition */
    cas_tkind kind;
    int nranks;
    int rank[CAS_MAX_TRANKS];     /* rank of each position, outermost first */
    int iter_pos;                 /* position written as r+1 (iterative), else -1;
                                     that position has extent size(r)+1 */
    char format[16];              /* declared number format ("int8"), "" = fp32 */
    cas_sparse sparse[CAS_MAX_TRANKS];
    int producer;                 /* einsum writing it, -1 for inputs */
    int has_init;                 /* iterative: value of the r=0 slice given */
    double init;                  /* may be +-INFINITY */
    cas_loc init_loc;
} cas_tensor;

/* ---- index expressions ----------------------------------------------------
 * An affine expression over iteration ranks and rank sizes:
 *     sum of terms  lit * SIZE(size_rank) * var
 * e.g. m1+1 = {1*m1} + {1};  M1 = {1*SIZE(m1)};  m1*M0+m0 = {SIZE(m0)*m1} + {m0}.
 * A bare split parent `m` used where its children are iterated means
 * m1*M0+m0 (the interpreter derives the parent's value from its children). */
typedef struct cas_term {
    int64_t lit;
    int var;        /* iteration rank, or -1 */
    int size_rank;  /* rank whose size multiplies the term, or -1 */
} cas_term;

typedef struct cas_index {
    int nterm;
    cas_term term[CAS_MAX_TERMS];
    int pinned;     /* init statement `m1=0`: var is the rank, value term[1].lit */
    cas_loc loc;
} cas_index;

/* ---- expressions ---------------------------------------------------------- */
typedef enum cas_ekind {
    CAS_E_NUM,   /* literal (may be inf) */
    CAS_E_SIZE,  /* upper-case rank name used as a number: D in X/D */
    CAS_E_REF,   /* tensor reference T[i,j] */
    CAS_E_OP     /* map op applied to 1 or 2 arguments */
} cas_ekind;

typedef struct cas_expr {
    cas_ekind kind;
    cas_loc loc;
    double num;                  /* CAS_E_NUM */
    int rank;                    /* CAS_E_SIZE */
    cas_op op;                   /* CAS_E_OP */
    int nargs;
    struct cas_expr *arg[2];
    int depth;                   /* nodes on the longest path down to a leaf */
    int tensor;                  /* CAS_E_REF: tensor index */
    int nidx;
    cas_index idx[CAS_MAX_TRANKS];
} cas_expr;

/* ---- einsums -------------------------------------------------------------- */
typedef enum cas_ekclass {
    CAS_K_MAC,      /* sum-reduction of a product of two tensors (GEMM-like) */
    CAS_K_REDUCE,   /* reduction (sum/max/min) of a single-tensor expression */
    CAS_K_MAP,      /* elementwise, no reduction (includes iterative updates) */
    CAS_K_COPY      /* a plain re-layout/copy (BK = K) */
} cas_ekclass;
const char *cas_class_name(cas_ekclass k);

typedef struct cas_einsum {
    char name[CAS_NAME];         /* = the output tensor's name (QK, RM, AV) */
    cas_loc loc;
    int out;                     /* output tensor */
    int nidx;
    cas_index lhs[CAS_MAX_TRANKS];
    cas_reduce reduce;           /* NONE when no rank is reduced */
    int reduce_explicit;         /* written as max(m0) / sum(m0) */
    int nlisted;                 /* ranks listed in the explicit operator */
    int listed[CAS_MAX_SPACE];
    cas_expr *rhs;
    /* derived by the checker */
    int nspace;                  /* iteration space: output ranks first, then reduced */
    int space[CAS_MAX_SPACE];
    int nout_space;              /* the first nout_space ranks index the output */
    int iter_rank;               /* rank written r+1 on the left (iterative), else -1 */
    int ninputs;
    int inputs[CAS_MAX_SPACE];   /* distinct tensors read, first-use order */
    cas_ekclass klass;
} cas_einsum;

typedef struct cas_cascade {
    char name[64];               /* `cascade NAME`, else the file's base name */
    char file[512];              /* for messages */
    char golden[32];             /* `golden KIND`: reference for `cascade run` */
    int nranks;
    cas_rank rank[CAS_MAX_RANKS];
    int ntensors;
    cas_tensor tensor[CAS_MAX_TENSORS];
    int neinsums;
    cas_einsum einsum[CAS_MAX_EINSUMS]; /* in file order (a valid execution order
                                          is cas_order()) */
    double opcost[CAS_OP_COUNT];        /* effective costs (defaults + `op` lines) */
    int opcost_set[CAS_OP_COUNT];       /* 1 where an `op` line set it */
    cas_loc opcost_loc[CAS_OP_COUNT];
    int order[CAS_MAX_EINSUMS];         /* checker: a dependency order */
} cas_cascade;

/* ---- parse, print, check --------------------------------------------------
 * cas_parse parses and checks (undefined tensor, rank mismatch, cyclic
 * dependency, unknown op, bad split...).  `file` is used in messages only.
 * The cascade is heap-allocated; free with cas_free.  NULL + e on error. */
cas_cascade *cas_parse(const char *text, const char *file, es_err *e);
/* A bundled name (mapper/cascades/NAME.ein) or a path. */
cas_cascade *cas_load(const char *name_or_path, es_err *e);
void cas_free(cas_cascade *c);
/* Canonical text; parse(print(c)) prints identically (round trip). */
int cas_print(const cas_cascade *c, FILE *fp);
char *cas_to_string(const cas_cascade *c); /* malloc'd */
/* Re-run the checker (cas_parse already did). */
int cas_check(cas_cascade *c, es_err *e);

/* ---- binding rank sizes ---------------------------------------------------
 * spec: "e=64,m=4096,m0=256" (NULL or "" = file defaults only).  Unknown rank
 * names are errors; a split child's outer size is ceil(parent/inner).  Fails
 * with the rank's declaration location when a rank is left without a size. */
int cas_bind(cas_cascade *c, const char *spec, es_err *e);
int cas_bind_rank(cas_cascade *c, const char *rank, int64_t size, es_err *e); /* before cas_bind */

/* ---- lookups and sizes (after cas_bind) ---------------------------------- */
int cas_rank_find(const cas_cascade *c, const char *name);     /* -1 absent */
int cas_tensor_find(const cas_cascade *c, const char *name);   /* -1 absent */
int cas_einsum_find(const cas_cascade *c, const char *name);   /* by output name */
/* 1 if rank a is rank anc or split from it, at any depth (anc's family:
 * m, m1, m0). */
static inline int cas_rank_descends(const cas_cascade *c, int a, int anc)
{
    for (; a >= 0; a = c->rank[a].parent)
        if (a == anc)
            return 1;
    return 0;
}
/* A read of an iterative tensor at exactly its iterative rank `r`: the value
 * of the previous iteration, carried around the loop. */
int cas_read_carried(const cas_cascade *c, const cas_expr *ref);
int64_t cas_rank_size(const cas_cascade *c, int rank);
int64_t cas_extent(const cas_cascade *c, int tensor, int pos); /* +1 on the iterative position */
int64_t cas_tensor_elems(const cas_cascade *c, int tensor);
/* Points of the iteration space actually visited (a split rank whose inner
 * size does not divide the parent is trimmed: m1*M0+m0 < M). */
int64_t cas_einsum_points(const cas_cascade *c, int einsum);
int64_t cas_einsum_out_elems(const cas_cascade *c, int einsum);

typedef struct cas_opcount {
    int64_t n[CAS_OP_COUNT];  /* applications of each map op and reduction combine */
    int64_t total;            /* sum of n */
    double cost;              /* sum of n * opcost */
} cas_opcount;
/* Map ops count once per visited point; a reduction combines once per point. */
void cas_einsum_ops(const cas_cascade *c, int einsum, cas_opcount *oc);

/* ---- interpreter -----------------------------------------------------------
 * Every tensor is a dense fp32 array in its declared rank order (row-major,
 * first rank outermost) with cas_extent() per position. */
typedef struct cas_env {
    const cas_cascade *c;
    float *data[CAS_MAX_TENSORS];
    int64_t n[CAS_MAX_TENSORS];
} cas_env;

int cas_env_init(cas_env *v, const cas_cascade *c, es_err *e); /* after cas_bind; zeroed */
void cas_env_free(cas_env *v);
float *cas_env_get(cas_env *v, const char *tensor, int64_t *n); /* NULL when absent */
/* Evaluate every einsum (inputs must be filled).  Iterative ranks run
 * sequentially; conventions (masked -inf - -inf = -inf, x/0 = 0) in
 * docs/cascades.md. */
int cas_run(cas_env *v, es_err *e);
/* Tile by tile (the simulator's functional mode runs each tile op as the
 * schedule starts it): reset the computed tensors as cas_run starts (zero,
 * the r=0 slices of iterative tensors set), then run one einsum over the
 * points of its space inside a box, per rank [lo, hi) (cas_box_all: every
 * rank whole).  A reducing einsum's touched outputs start from the
 * reduction's identity unless `accumulate` (a later tile of a reduced
 * rank). */
typedef struct cas_box {
    int64_t lo[CAS_MAX_RANKS], hi[CAS_MAX_RANKS];
} cas_box;
void cas_env_reset(cas_env *v);
void cas_box_all(const cas_cascade *c, cas_box *b);
int cas_run_einsum_box(cas_env *v, int ei, const cas_box *box, int accumulate, es_err *e);

/* ---- pass analysis (FuseMax §III) -----------------------------------------
 * For rank r (a split parent stands for its children): an einsum that reads
 * a tensor depending on a complete reduction over r, while itself iterating
 * r, starts a new pass.  npasses = the largest pass among einsums iterating
 * r (0 when none does).  live[k] lists the tensors with an r rank produced in
 * passes <= k+1 and read in a later pass: they must stay on chip (or spill)
 * across the pass boundary; fibre = elements along r, elems = whole tensor. */
typedef struct cas_live {
    int tensor;
    int64_t fibre;
    int64_t elems;
} cas_live;

typedef struct cas_passes {
    int rank;
    int npasses;
    int pass_of[CAS_MAX_EINSUMS];  /* 1-based; 0 when the einsum does not iterate r */
    int nlive[CAS_MAX_PASSES];
    cas_live live[CAS_MAX_PASSES][16];
    int64_t fibre_footprint[CAS_MAX_PASSES]; /* sum of live fibres after pass k+1 */
    int64_t elem_footprint[CAS_MAX_PASSES];  /* sum of live whole tensors */
} cas_passes;

int cas_passes_analyze(const cas_cascade *c, const char *rank, cas_passes *ps, es_err *e);
/* 1 if the einsum iterates rank r: its iteration space holds r or a rank
 * split from it (0 for r < 0). */
int cas_einsum_iterates(const cas_cascade *c, const cas_einsum *E, int r);

/* ---- golden references for `cascade run` ---------------------------------
 * Computes the output named by the cascade's `golden KIND` line from the
 * env's inputs with golden kernels (attention: gd_attention_naive).  out has
 * cas_tensor_elems() of that output.  -1 + e when KIND is unknown or absent. */
int cas_golden(const cas_env *v, const char *out_tensor, float *out, es_err *e);
/* Fill every input from a seeded normal(0,1) stream (in tensor order), then
 * give the inputs the golden kind constrains their pattern: MASK[m,p] causal
 * (0 / -inf), int8 weights integer in [-127,127], scales positive, norm
 * gains near 1; an input declared N:M sparse keeps the N largest magnitudes
 * of every M along that rank.  Deterministic for a seed. */
int cas_fill_inputs(cas_env *v, uint64_t seed, es_err *e);
/* The golden kinds cas_golden knows, space-separated. */
const char *cas_golden_kinds(void);

/* ---- interpreter vs golden (`cascade run`) --------------------------------
 * Compares the cascade's first output tensor, as cas_run() left it in v,
 * with cas_golden() element by element: an element passes when
 * |got - ref| <= atol + rtol*|ref|; pairs with a non-finite side pass only
 * when equal.  -1 + e when the cascade declares no output or has no golden
 * reference for it. */
typedef struct cas_golden_cmp {
    int out;           /* tensor index of the compared output */
    int64_t n;         /* its elements */
    double max_abs;    /* max |got - ref| over finite pairs */
    double max_rel;    /* max |got - ref| / |ref| over finite pairs with |ref| > atol */
    int64_t bad;       /* finite pairs beyond atol + rtol*|ref| */
    int64_t nonfinite; /* pairs with a non-finite side that differ */
    int pass;          /* bad == 0 && nonfinite == 0 */
} cas_golden_cmp;

int cas_golden_compare(const cas_env *v, double rtol, double atol, cas_golden_cmp *r, es_err *e);

#endif
