/* base/yaml.h: a small YAML document tree (on libyaml's event parser) that
 * remembers the line and column of every node, so every spec error can name
 * file, line, column and key path.
 *
 * Ownership: es_yaml_load returns a tree owned by the caller; free it with
 * es_yaml_free.  Node pointers stay valid until then.  Strings are NUL
 * terminated and owned by the tree. */
#ifndef ES_YAML_H
#define ES_YAML_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef enum { ES_Y_SCALAR, ES_Y_MAP, ES_Y_SEQ } es_ykind;

typedef struct es_ynode es_ynode;
struct es_ynode {
    es_ykind kind;
    int line, col;         /* 1-based */
    const char *file;      /* shared, owned by the document */
    char *value;           /* SCALAR */
    int quoted;            /* SCALAR written in quotes (never a number) */
    size_t n;              /* MAP: pairs; SEQ: items */
    char **keys;           /* MAP */
    es_ynode **keylocs;    /* MAP: scalar nodes of the keys (for locations) */
    es_ynode **items;      /* MAP values / SEQ items */
    char path[256];        /* key path from the root, e.g. "units.array2d.rows" */
};

typedef struct es_ydoc {
    char *file;
    es_ynode *root;
} es_ydoc;

/* Parse a file (or, with es_yaml_parse_string, a buffer named `name`). */
es_ydoc *es_yaml_load(const char *path, es_err *e);
es_ydoc *es_yaml_parse_string(const char *name, const char *text, size_t len, es_err *e);
void es_yaml_free(es_ydoc *d);

/* Every spec loader's shape: parse, hand the root to read(root, out, e),
 * free the tree.  es_yaml_read_bundled finds NAME as es_find_bundled(kind,
 * NAME, ".yaml") does.  Returns read's result, or -1 with e set. */
typedef int (*es_y_reader)(const es_ynode *root, void *out, es_err *e);
int es_yaml_read_string(const char *name, const char *text, es_y_reader read, void *out, es_err *e);
int es_yaml_read_file(const char *path, es_y_reader read, void *out, es_err *e);
int es_yaml_read_bundled(const char *kind, const char *name_or_path, es_y_reader read, void *out, es_err *e);

/* Override one scalar of a loaded tree by its key path ("units.array2d.rows";
 * a sequence item by its index, "links.0.bytes_per_cycle") with `value`, as
 * if it had been written there, so the reader checks it like any other.  A
 * missing last key of an existing mapping is added (the reader's key check
 * then judges it); a missing middle key, a path into a scalar, or a path
 * ending on a mapping or sequence is an error naming `origin` and the keys
 * that exist.  The new value's location is `origin` (e.g. "--set K=V"),
 * which the caller keeps alive as long as the tree. */
int es_y_set(es_ydoc *d, const char *path, const char *value, const char *origin, es_err *e);

/* Lookups: NULL when absent (no error). */
es_ynode *es_y_get(const es_ynode *map, const char *key);

/* Typed accessors.  `required`: absence is an error; otherwise *out is left
 * untouched when the key is absent and 0 is returned.  Every error is
 * located: "file:line:col: key 'a.b': expected ..., got '...'". */
int es_y_int(const es_ynode *map, const char *key, int required, int64_t *out, es_err *e);
int es_y_double(const es_ynode *map, const char *key, int required, double *out, es_err *e);
int es_y_str(const es_ynode *map, const char *key, int required, const char **out, es_err *e);
int es_y_bool(const es_ynode *map, const char *key, int required, int *out, es_err *e);
/* Scalar node conversions (for sequence items). */
int es_y_as_int(const es_ynode *n, int64_t *out, es_err *e);
int es_y_as_double(const es_ynode *n, double *out, es_err *e);

/* Require map/seq kind. */
int es_y_expect(const es_ynode *n, es_ykind kind, es_err *e);
/* A required child of `map` of the given kind: NULL with e set when absent
 * ("missing key 'KEY' (HINT)", or without the parenthesis when hint is NULL)
 * or of another kind (as es_y_expect). */
es_ynode *es_y_child(const es_ynode *map, const char *key, es_ykind kind, const char *hint, es_err *e);
/* Copy name `s` (a scalar's value or a map key; `at` gives the location)
 * into dst[sz].  Too long (and, unless allow_empty, empty) is an error:
 * "name 'S' too long (at most N characters)", or with !allow_empty
 * "name 'S' is empty or too long (at most N characters)". */
int es_y_name(const es_ynode *at, const char *s, char *dst, size_t sz, int allow_empty, es_err *e);
/* Reject keys not in `allowed` (NULL-terminated): misspellings are errors,
 * with the closest allowed key suggested. */
int es_y_check_keys(const es_ynode *map, const char *const *allowed, es_err *e);
/* Located error at a node: "file:line:col: key 'path': msg". */
int es_y_fail(const es_ynode *n, es_err *e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
