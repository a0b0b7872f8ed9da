/* base/json.h: strict JSON documents (on cJSON) for every JSON input einsim
 * reads: config.json, encoder.json, safetensors headers, reports. */
#ifndef ES_JSON_H
#define ES_JSON_H

#include <cJSON.h>
#include <stddef.h>

#include "err.h"

/* Parse text[n] as one JSON document.  Besides cJSON's syntax errors these
 * are refused, each as "NAME:LINE:COL: ..." (or "NAME: key 'K': ..."):
 * bytes other than whitespace after the document, a NUL byte, a number
 * that does not fit a double (1e999 would read as infinity), and a key
 * given twice in one object.  Returns the tree (cJSON_Delete it) or NULL. */
cJSON *es_json_parse(const char *name, const char *text, size_t n, es_err *e);
/* es_read_file, then es_json_parse. */
cJSON *es_json_load(const char *path, es_err *e);

#endif
