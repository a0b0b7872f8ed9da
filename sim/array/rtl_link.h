/* sim/array/rtl_link.h: a Verilated RTL unit standing in for a C timing
 * model (`einsim gemm --rtl array2d`, docs/rtl.md).
 *
 * einsim starts the unit's SystemC harness (sim/sc/, built by `make rtl`)
 * as a child process and talks to it over two pipes, one line per message:
 *   harness -> einsim, once:  "einsim-rtl <unit> <rows> <cols>"
 *   einsim -> harness:        "fold <os|ws> <r> <c> <t>"
 *   harness -> einsim:        "cycles <n>"   (the fold ran, values matched golden)
 *                          or "error <message>"
 * Every read waits at most SA_RTL_TIMEOUT_S seconds (or $EINSIM_RTL_TIMEOUT_S),
 * so a stuck harness is an error, never a hang. */
#ifndef SIM_ARRAY_RTL_LINK_H
#define SIM_ARRAY_RTL_LINK_H

#include <stdint.h>

#include "golden/base/err.h"
#include "sim/array/systolic.h"

#define SA_RTL_TIMEOUT_S 120

typedef struct sa_rtl sa_rtl;

/* Names of the units that have an RTL harness (NULL-terminated). */
extern const char *const sa_rtl_units[];
/* Is `unit` one of them? */
int sa_rtl_is_unit(const char *unit);
/* Path of a unit's harness binary: $EINSIM_RTL_DIR/<unit>/harness, default
 * <source dir>/build/rtl/<unit>/harness. */
void sa_rtl_harness_path(const char *unit, char *out, size_t n);
/* Start the harness of `unit` (checks the name and the banner); *rows x
 * *cols: the array size it was built for. */
int sa_rtl_start(const char *unit, int64_t *rows, int64_t *cols, sa_rtl **out, es_err *e);
/* sa_rtl_start for gemm g (einsim gemm --rtl): also checks that the harness
 * was built for g's rows x cols and supports its dataflow. */
int sa_rtl_open(const char *unit, const sa_gemm *g, sa_rtl **out, es_err *e);
/* From now on each distinct fold (dataflow, r, c, t) runs on the RTL once
 * and its answer is reused (einsim run --rtl: a fold of an idle array takes
 * the same cycles whatever ran before it, as the sweep checks). */
void sa_rtl_cache_folds(sa_rtl *h);
/* sa_fold_source for sa_gemm.fold_source (ctx: the sa_rtl). */
uint64_t sa_rtl_fold_cycles(void *ctx, sa_dataflow df, int64_t r, int64_t c, int64_t t, es_err *e);
/* Stop the harness and free; returns its number of folds run. */
uint64_t sa_rtl_close(sa_rtl *h);

#endif
