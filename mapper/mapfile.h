/* mapper/mapfile.h: a mapping file made ready for a workload -- the one
 * path `einsim map --mapping F` and `einsim run [--mapping F]` share, so both
 * make the same checks. */
#ifndef MP_MAPFILE_H
#define MP_MAPFILE_H

#include "golden/base/err.h"
#include "mapper/arch.h"
#include "mapper/mapping.h"
#include "models/models.h"

/* Load mapping NAME (a bundled name or a path) for workload w on arch a into
 * m (empty on entry; empty again on failure).  Checks, each an error naming
 * the file: its `arch:` is a's name (FILE:LINE:COL: key 'arch'); a template
 * (no rank sizes) is resolved against w (*skipped: instances left unmapped),
 * a resolved mapping must have w's attention key lengths; then
 * mp_mapping_check (units, ops, storage levels the arch has, bypasses,
 * epochs, rows per tile), whose faults are located at the file's
 * `cascades:` item. */
int mp_mapping_for(const mp_arch *a, const char *name, const md_workload *w, mp_mapping *m, int *skipped,
                   es_err *e);

#endif
