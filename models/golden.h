/* models/golden.h: a zoo model (md_model) as the config of golden's fp32
 * reference model (golden/model.h). */
#ifndef MD_GOLDEN_H
#define MD_GOLDEN_H

#include "golden/base/err.h"
#include "golden/model.h"
#include "models/models.h"

/* Fills c from md.  Golden implements each family's standard choices, so a
 * model that asks for something else is refused by key.  Returns 0, or -1
 * with e set to a one-line message WITHOUT the file name (callers prefix
 * md->file and ": ", as einsim golden does). */
int md_golden_config(const md_model *md, gd_config *c, es_err *e);

#endif
