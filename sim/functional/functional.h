/* sim/functional/functional.h: functional mode (`einsim run --functional`).
 * Every Einsum tile op the executor starts also computes its values, in the
 * order the simulated schedule runs them, so a schedule that reads a value
 * before it is written computes a wrong answer.  At the end the attention
 * output is compared with golden's gd_attention_naive (fp32, unscaled as in
 * FuseMax).  Supported cascade: attention-1pass (one cascade in the mapping).
 * Inputs are seeded uniform values in [-1, 1). */
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
/* Compare with golden; max abs / max relative (to max |golden|) error. */
int sim_functional_finish(sim_functional *f, double *max_abs, double *max_rel, es_err *e);
void sim_functional_free(sim_functional *f);

#endif
