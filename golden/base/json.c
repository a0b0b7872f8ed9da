#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "json.h"

/* 1-based line and column of text[at]. */
static void locate(const char *text, size_t at, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < at; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

/* Duplicate keys and non-finite numbers anywhere under x.  Recursion is
 * bounded by cJSON's own nesting limit (CJSON_NESTING_LIMIT, 1000). */
static int check_tree(const char *name, const cJSON *x, es_err *e)
{
    if (cJSON_IsNumber(x) && !isfinite(x->valuedouble))
        return es_fail(e, "%s: key '%s': number out of range; expected a finite number", name,
                       x->string ? x->string : "(array item)");
    int n = 0;
    for (const cJSON *c = x->child; c; c = c->next) {
        if (check_tree(name, c, e))
            return -1;
        n++;
    }
    if (!cJSON_IsObject(x) || n < 2)
        return 0;
    cJSON **keys = es_xmalloc((size_t)n * sizeof *keys);
    int k = 0;
    for (cJSON *c = x->child; c; c = c->next)
        keys[k++] = c;
    qsort(keys, (size_t)n, sizeof *keys, cmp_key);
    for (int i = 1; i < n; i++)
        if (!strcmp(keys[i]->string, keys[i - 1]->string)) {
            es_fail(e, "%s: key '%s' appears twice in one object; expected each key once", name, keys[i]->string);
            free(keys);
            return -1;
        }
    free(keys);
    return 0;
}

cJSON *es_json_parse(const char *name, const char *text, size_t n, es_err *e)
{
    int line, col;
    const char *nul = memchr(text, '\0', n);
    if (nul) {
        locate(text, (size_t)(nul - text), &line, &col);
        es_fail_at(e, name, line, col, "NUL byte; expected a JSON text file");
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, n, &end, 0);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        size_t off = at && at >= text && at <= text + n ? (size_t)(at - text) : 0;
        locate(text, off, &line, &col);
        size_t rest = off;
        while (rest < n && strchr(" \t\r\n", text[rest]))
            rest++;
        es_fail_at(e, name, line, col, "%s", rest >= n ? "JSON ends too early (truncated?)" : "not valid JSON");
        return NULL;
    }
    size_t off = end && end >= text && end <= text + n ? (size_t)(end - text) : n;
    while (off < n && strchr(" \t\r\n", text[off]))
        off++;
    if (off < n) {
        cJSON_Delete(root);
        locate(text, off, &line, &col);
        es_fail_at(e, name, line, col, "unexpected text after the JSON document; expected the end of the file");
        return NULL;
    }
    if (check_tree(name, root, e)) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

cJSON *es_json_load(const char *path, es_err *e)
{
    char *txt;
    size_t n;
    if (es_read_file(path, &txt, &n, e))
        return NULL;
    cJSON *root = es_json_parse(path, txt, n, e);
    free(txt);
    return root;
}
