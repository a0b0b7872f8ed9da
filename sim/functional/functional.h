/* sim/functional/functional.h: functional mode (`einsim run --functional`).
 * Every Einsum tile op the executor starts also computes its values, with
 * the cascade interpreter (mapper/cascade.h) over the tile's part of the
 * Einsum's iteration space, in the order the simulated schedule runs them,
 * so a schedule that reads a value before it is written computes a wrong
 * answer.  At the end every cascade instance's output is compared with its
 * golden reference (cas_golden: attention, linear layers, norms,
 * activations...).  Any mapping of bundled (or .ein) cascades, any scope;
 * sizes are bounded by the interpreter's dense tensors.  Inputs are seeded
 * (cas_fill_inputs). */
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
/* Compare with golden: the worst instance's max abs error and its max
 * relative error (to the instance's max |golden|). */
int sim_functional_finish(sim_functional *f, double *max_abs, double *max_rel, es_err *e);
void sim_functional_free(sim_functional *f);

#endif
