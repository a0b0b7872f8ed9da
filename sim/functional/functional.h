/* sim/functional/functional.h: functional mode (`einsim run --functional`).
 * Every Einsum tile op the executor starts also computes its values, with
 * the cascade interpreter (mapper/cascade.h) over the tile's part of the
 * Einsum's iteration space, in the order the simulated schedule runs them,
 * so a schedule that reads a value before it is written computes a wrong
 * answer.  At the end every cascade instance's output is compared with its
 * golden reference (cas_golden: attention, linear layers, norms,
 * activations...).  Any mapping of bundled (or .ein) cascades, any scope;
 * sizes are bounded by the interpreter's dense tensors.  Inputs are seeded
 * (cas_fill_inputs).
 * With --quant int8 the linear cascades (their weights in the format) run
 * differently: every tile op of their GEMM computes its int32 partial
 * product with golden's int8 kernel (gd_gemm_i8) on the tile's slice of the
 * quantized activations (absmax per token over the whole row, as golden
 * quantizes) and weights (absmax per output), partials along k add in
 * int32, and an output is dequantized (gd_i8_dequant) once its k range is
 * complete and compared bit for bit with golden's gd_int8_linear of the
 * same inputs.  q8_0 and q4_0 do the same with golden's ggml block dots
 * (Q8_0 activations), the blocks of a tile's k range added to an fp32 sum
 * in k order as golden's dot adds them (gd_ggml_linear).  Weight-only
 * formats (fp16, bf16, RTN, MXFP4)
 * replace W by golden's quantize-dequantize of it (per output row, along k)
 * and compute in fp32 like every other cascade.  With --sparsity 2:4, W is
 * pruned 2:4 along k (gd_prune_24) and each GEMM tile compresses its slice
 * of W and runs golden's 2:4 SpMM (gd_spmm_24), partials along k added in
 * fp32, compared within the tolerance.  Test hook:
 * EINSIM_TEST_PERTURB_TILE=N adds 1 to the first value of the N-th int8,
 * ggml or 2:4 tile's partial (1-based), so a test can show the check fails. */
#ifndef SIM_FUNCTIONAL_H
#define SIM_FUNCTIONAL_H

#include <stdint.h>

#include "golden/base/err.h"
#include "mapper/arch.h"
#include "mapper/mapping.h"
#include "sim/prog/prog.h"

typedef struct sim_functional sim_functional;

sim_functional *sim_functional_create(const mp_arch *a, const mp_mapping *m, const sp_prog *p, uint64_t seed,
                                      es_err *e);
/* sp_fn_cb: op of group g runs on tile x. */
int sim_functional_op(void *ctx, int g, const sp_op *op, int64_t x, es_err *e);
/* What the comparison with golden found.  fp32 cascades, and linear layers
 * whose weights are in a weight-only format (computed in fp32 on golden's
 * dequantized weights): the worst instance's max abs error and its max
 * relative error (to the instance's max |golden|).  --quant int8 linear
 * layers: their outputs compared bit for bit with golden's int8 linear, and
 * the first difference (`mismatch`, "" when bit_exact). */
typedef struct sim_fn_result {
    double max_abs, max_rel;
    char worst[160];         /* the cascade instance with max_rel: "LABEL (CASCADE) instance R" */
    char quant[32];          /* the linear weights' format; "" when no cascade ran quantized */
    char sparsity[8];        /* "2:4" when linear tiles ran golden's 2:4 SpMM, else "" */
    int exact;               /* 1: int8 or ggml-block tiles, checked bit for bit */
    char kernel[24];         /* "int8", "ggml-blocks", "fp32-dequantized" ("" when none) */
    int64_t tiles_checked;   /* GEMM tile ops of the quantized (or 2:4-sparse) linear layers */
    int64_t elems_checked;   /* their outputs compared with golden */
    int bit_exact;           /* exact: every output equal to golden's; else 1 */
    double weight_rel_err;   /* weight-only: ||Wq - W|| / ||W|| over the quantized matrices */
    char mismatch[256];
} sim_fn_result;
int sim_functional_finish(sim_functional *f, sim_fn_result *res, es_err *e);
void sim_functional_free(sim_functional *f);

#endif
