/* base/io.h: files.  Outputs are written atomically (temp file in the same
 * directory, then rename), so a failed run never leaves a half-written
 * report.  "-" means stdout. */
#ifndef ES_IO_H
#define ES_IO_H

#include <stdio.h>
#include <stddef.h>

#include "err.h"

typedef struct es_out {
    FILE *fp;
    char path[4096];
    char tmp[4096];
    int is_stdout;
    int is_stream; /* a terminal, pipe or /dev/null: written in place */
} es_out;

/* Open path for writing (binary).  Returns 0 or -1 with e set: an empty
 * path, a directory, a symbolic link (other than to a terminal or pipe) or
 * a device other than a terminal, pipe or /dev/null. */
int es_out_open(es_out *o, const char *path, es_err *e);
/* Flush, close and rename into place.  Returns 0 or -1 (temp file removed). */
int es_out_commit(es_out *o, es_err *e);
/* Close and remove the temp file without publishing it. */
void es_out_abort(es_out *o);
/* Write a whole buffer atomically. */
int es_write_file(const char *path, const void *buf, size_t n, es_err *e);

/* Every file einsim reads whole goes through es_read_file: a regular file
 * or a pipe of at most this many bytes (specs and reports are kilobytes,
 * the GPT-2 tokenizer files 1 MB; weights are mapped, not read). */
#define ES_MAX_INPUT_BYTES ((size_t)256 << 20)

/* Read a whole file; *out is NUL-terminated (n excludes the NUL).  A
 * directory, a device (/dev/zero) or more than ES_MAX_INPUT_BYTES is an
 * error naming the file. */
int es_read_file(const char *path, char **out, size_t *n, es_err *e);

/* Bundled specs.  kind is one of "models", "arch", "energy", "cascades",
 * "mappings", "data".  NAME may already be a path (contains '/' or ends in
 * ext and exists); otherwise it is looked up in, in order: $EINSIM_HOME/KIND,
 * <dir of the einsim binary>/../share/einsim/KIND, and the source tree.
 * Returns 0 and fills out, or -1 with e listing where it looked. */
int es_find_bundled(const char *kind, const char *name, const char *ext, char *out, size_t outsz,
                    es_err *e);
/* Directory holding bundled files of a kind (first that exists), or NULL. */
const char *es_bundled_dir(const char *kind, char *out, size_t outsz);
/* The bundled files of a kind: their names less ext (NULL ext: every file
 * not starting with '.'), from the first candidate directory holding any,
 * sorted so listings are deterministic.  Returns a NULL-terminated malloc'd
 * array (free with es_names_free; empty when none) and sets *n and, when
 * dir is not NULL, the directory (empty when none). */
char **es_bundled_names(const char *kind, const char *ext, int *n, char *dir, size_t dirsz);
void es_names_free(char **names);
/* Record argv[0] so bundled files can be found relative to the binary. */
void es_set_argv0(const char *argv0);
/* A switch in the environment (EINSIM_NO_VNNI=1 and the like): 1 when
 * $name is set to anything but "" or "0". */
int es_env_flag(const char *name);

#endif
