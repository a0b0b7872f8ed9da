/* golden/safetensors.c: see safetensors.h. */
#include "golden/safetensors.h"

#include <cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "golden/base/io.h"
#include "golden/base/json.h"
#include "golden/numfmt.h"

/* A header larger than this is certainly corrupt (the reference
 * implementation caps it at 100 MB as well). */
#define ST_MAX_HEADER (100u * 1024u * 1024u)

static const struct {
    const char *name;
    size_t size;
} dtypes[] = {
    [GD_ST_F32] = {"F32", 4}, [GD_ST_F16] = {"F16", 2}, [GD_ST_BF16] = {"BF16", 2},
    [GD_ST_F64] = {"F64", 8}, [GD_ST_I64] = {"I64", 8}, [GD_ST_I32] = {"I32", 4},
    [GD_ST_I16] = {"I16", 2}, [GD_ST_I8] = {"I8", 1},   [GD_ST_U8] = {"U8", 1},
    [GD_ST_BOOL] = {"BOOL", 1},
};
#define N_DTYPES ((int)(sizeof dtypes / sizeof dtypes[0]))

const char *gd_st_dtype_name(gd_st_dtype d) { return (int)d >= 0 && (int)d < N_DTYPES ? dtypes[d].name : "?"; }
size_t gd_st_dtype_size(gd_st_dtype d) { return (int)d >= 0 && (int)d < N_DTYPES ? dtypes[d].size : 0; }

static int fail_file(es_err *e, gd_safetensors *st, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_file(es_err *e, gd_safetensors *st, const char *path, const char *fmt, ...)
{
    char buf[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    es_fail(e, "%s: %s", path, buf);
    if (st)
        gd_st_close(st);
    return -1;
}

static int parse_dtype(const char *s)
{
    for (int i = 0; i < N_DTYPES; i++)
        if (!strcmp(s, dtypes[i].name))
            return i;
    return -1;
}

static int cmp_begin(const void *a, const void *b)
{
    const gd_st_tensor *x = *(const gd_st_tensor *const *)a, *y = *(const gd_st_tensor *const *)b;
    return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : (x->end > y->end) - (x->end < y->end);
}

int gd_st_open(gd_safetensors *st, const char *path, es_err *e)
{
    memset(st, 0, sizeof *st);
    snprintf(st->path, sizeof st->path, "%s", path);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return fail_file(e, NULL, path, "cannot open: %s", strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return fail_file(e, NULL, path, "not a regular file");
    }
    size_t fsize = (size_t)sb.st_size;
    if (fsize < 8) {
        close(fd);
        return fail_file(e, NULL, path, "truncated safetensors file: %zu bytes, the 8-byte header length is missing",
                         fsize);
    }
    void *m = mmap(NULL, fsize, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return fail_file(e, NULL, path, "cannot map: %s", strerror(errno));
    st->map = m;
    st->map_size = fsize;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = (hlen << 8) | st->map[i];
    if (hlen > ST_MAX_HEADER || hlen > fsize - 8)
        return fail_file(e, st, path,
                         "corrupt or truncated safetensors file: header length %llu exceeds the %zu bytes after it",
                         (unsigned long long)hlen, fsize - 8);
    st->data = st->map + 8 + hlen;
    st->data_size = fsize - 8 - (size_t)hlen;

    /* The whole declared header is the document: junk after the object
     * inside it is an error, not ignored (the format allows space padding). */
    es_err je;
    cJSON *root = es_json_parse("header", (const char *)st->map + 8, (size_t)hlen, &je);
    if (!root)
        return fail_file(e, st, path, "corrupt safetensors header: %s", je.msg);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return fail_file(e, st, path, "corrupt safetensors header: not a JSON object");
    }
    int cap = cJSON_GetArraySize(root);
    st->t = es_xcalloc((size_t)(cap ? cap : 1), sizeof *st->t);
    for (cJSON *it = root->child; it; it = it->next) {
        /* A copy: the messages below are formatted after cJSON_Delete. */
        char nm[256];
        snprintf(nm, sizeof nm, "%s", it->string ? it->string : "");
        if (!strcmp(nm, "__metadata__"))
            continue;
        gd_st_tensor *t = &st->t[st->n];
        t->name = es_xstrdup(it->string ? it->string : "");
        st->n++;
        cJSON *dt = cJSON_GetObjectItemCaseSensitive(it, "dtype");
        cJSON *sh = cJSON_GetObjectItemCaseSensitive(it, "shape");
        cJSON *of = cJSON_GetObjectItemCaseSensitive(it, "data_offsets");
        int bad = !cJSON_IsObject(it) || !cJSON_IsString(dt) || !cJSON_IsArray(sh) || !cJSON_IsArray(of) ||
                  cJSON_GetArraySize(of) != 2;
        if (bad) {
            cJSON_Delete(root);
            return fail_file(e, st, path, "tensor '%s': header entry needs \"dtype\", \"shape\" and two \"data_offsets\"",
                             nm);
        }
        int d = parse_dtype(dt->valuestring);
        if (d < 0) {
            fail_file(e, st, path, "tensor '%s': unknown dtype '%s'", nm, dt->valuestring);
            cJSON_Delete(root);
            return -1;
        }
        t->dtype = (gd_st_dtype)d;
        t->ndim = cJSON_GetArraySize(sh);
        if (t->ndim > GD_ST_MAX_DIMS) {
            cJSON_Delete(root);
            return fail_file(e, st, path, "tensor '%s': %d dimensions, at most %d supported", nm, t->ndim,
                             GD_ST_MAX_DIMS);
        }
        /* numel in double first so an absurd shape cannot overflow int64. */
        double numel_d = 1;
        int k = 0;
        for (cJSON *x = sh->child; x; x = x->next, k++) {
            if (!cJSON_IsNumber(x) || x->valuedouble < 0 || x->valuedouble != floor(x->valuedouble) ||
                x->valuedouble > 9e15) {
                cJSON_Delete(root);
                return fail_file(e, st, path, "tensor '%s': shape entries must be non-negative integers", nm);
            }
            t->shape[k] = (int64_t)x->valuedouble;
            numel_d *= x->valuedouble;
        }
        double b = of->child->valuedouble, en = of->child->next->valuedouble;
        if (!cJSON_IsNumber(of->child) || !cJSON_IsNumber(of->child->next) || b < 0 || en < b ||
            b != floor(b) || en != floor(en)) {
            cJSON_Delete(root);
            return fail_file(e, st, path, "tensor '%s': data_offsets must be integers with 0 <= begin <= end", nm);
        }
        if (numel_d * (double)dtypes[d].size != en - b) {
            cJSON_Delete(root);
            return fail_file(e, st, path, "tensor '%s': %s shape needs %.0f bytes but data_offsets span %.0f", nm,
                             dtypes[d].name, numel_d * (double)dtypes[d].size, en - b);
        }
        if (en > (double)st->data_size) {
            cJSON_Delete(root);
            return fail_file(e, st, path,
                             "truncated safetensors file: tensor '%s' ends at byte %.0f of the data, which has %zu",
                             nm, en, st->data_size);
        }
        t->numel = (int64_t)numel_d;
        t->begin = (size_t)b;
        t->end = (size_t)en;
    }
    cJSON_Delete(root);
    /* Overlap check on the ranges sorted by start. */
    if (st->n > 1) {
        gd_st_tensor **ord = es_xmalloc((size_t)st->n * sizeof *ord);
        for (int i = 0; i < st->n; i++)
            ord[i] = &st->t[i];
        qsort(ord, (size_t)st->n, sizeof *ord, cmp_begin);
        for (int i = 1; i < st->n; i++)
            if (ord[i]->begin < ord[i - 1]->end && ord[i]->begin != ord[i]->end) {
                char a[256], bname[256];
                snprintf(a, sizeof a, "%s", ord[i - 1]->name);
                snprintf(bname, sizeof bname, "%s", ord[i]->name);
                free(ord);
                return fail_file(e, st, path, "corrupt safetensors header: tensors '%s' and '%s' overlap", a, bname);
            }
        free(ord);
    }
    return 0;
}

void gd_st_close(gd_safetensors *st)
{
    if (st->map)
        munmap(st->map, st->map_size);
    for (int i = 0; i < st->n; i++)
        free(st->t[i].name);
    free(st->t);
    st->map = NULL;
    st->t = NULL;
    st->n = 0;
}

const gd_st_tensor *gd_st_find(const gd_safetensors *st, const char *name)
{
    for (int i = 0; i < st->n; i++)
        if (!strcmp(st->t[i].name, name))
            return &st->t[i];
    return NULL;
}

static void fmt_shape(char *buf, size_t n, int ndim, const int64_t *shape)
{
    size_t u = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < ndim && u < n; i++)
        u += (size_t)snprintf(buf + u, n - u, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (u < n)
        snprintf(buf + u, n - u, "]");
}

int gd_st_read_f32(const gd_safetensors *st, const char *name, int ndim, const int64_t *shape, float *out,
                   es_err *e)
{
    const gd_st_tensor *t = gd_st_find(st, name);
    if (!t)
        return es_fail(e, "%s: tensor '%s' not found", st->path, name);
    int same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++)
        same = t->shape[i] == shape[i];
    if (!same) {
        char got[160], want[160];
        fmt_shape(got, sizeof got, t->ndim, t->shape);
        fmt_shape(want, sizeof want, ndim, shape);
        return es_fail(e, "%s: tensor '%s': shape %s, expected %s", st->path, name, got, want);
    }
    const unsigned char *p = st->data + t->begin;
    int64_t n = t->numel;
    switch (t->dtype) {
    case GD_ST_F32:
        for (int64_t i = 0; i < n; i++)
            out[i] = gd_f32_load_le(p + 4 * i);
        return 0;
    case GD_ST_F16:
        for (int64_t i = 0; i < n; i++)
            out[i] = gd_f16_to_f32((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
        return 0;
    case GD_ST_BF16:
        for (int64_t i = 0; i < n; i++)
            out[i] = gd_bf16_to_f32((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
        return 0;
    case GD_ST_F64:
        for (int64_t i = 0; i < n; i++) {
            uint64_t u = 0;
            for (int b = 7; b >= 0; b--)
                u = (u << 8) | p[8 * i + b];
            double d;
            memcpy(&d, &u, 8);
            out[i] = (float)d;
        }
        return 0;
    default:
        return es_fail(e, "%s: tensor '%s': dtype %s is not a floating-point weight type (F32, F16, BF16, F64)",
                       st->path, name, gd_st_dtype_name(t->dtype));
    }
}

int gd_st_write(const char *path, const gd_st_write_entry *t, int n, es_err *e)
{
    return gd_st_write_raw(path, t, NULL, n, e);
}

int gd_st_write_raw(const char *path, const gd_st_write_entry *t, const void *const *raw, int n, es_err *e)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(root, "__metadata__");
    cJSON_AddStringToObject(meta, "format", "pt");
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        if (!(raw && raw[i]) && t[i].dtype != GD_ST_F32 && t[i].dtype != GD_ST_F16 && t[i].dtype != GD_ST_BF16) {
            cJSON_Delete(root);
            return es_fail(e, "%s: tensor '%s': can only write F32, F16 or BF16", path, t[i].name);
        }
        if (cJSON_GetObjectItemCaseSensitive(root, t[i].name)) {
            cJSON_Delete(root);
            return es_fail(e, "%s: tensor '%s' given twice", path, t[i].name);
        }
        int64_t numel = 1;
        cJSON *o = cJSON_AddObjectToObject(root, t[i].name);
        cJSON_AddStringToObject(o, "dtype", gd_st_dtype_name(t[i].dtype));
        cJSON *sh = cJSON_AddArrayToObject(o, "shape");
        for (int k = 0; k < t[i].ndim; k++) {
            cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)t[i].shape[k]));
            numel *= t[i].shape[k];
        }
        size_t bytes = (size_t)numel * gd_st_dtype_size(t[i].dtype);
        cJSON *of = cJSON_AddArrayToObject(o, "data_offsets");
        cJSON_AddItemToArray(of, cJSON_CreateNumber((double)off));
        cJSON_AddItemToArray(of, cJSON_CreateNumber((double)(off + bytes)));
        off += bytes;
    }
    char *hdr = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    size_t hl = strlen(hdr), padded = (hl + 7) / 8 * 8;
    es_out o;
    if (es_out_open(&o, path, e) != 0) {
        free(hdr);
        return -1;
    }
    unsigned char len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    fwrite(len8, 1, 8, o.fp);
    fwrite(hdr, 1, hl, o.fp);
    for (size_t i = hl; i < padded; i++)
        fputc(' ', o.fp);
    free(hdr);
    unsigned char buf[4096];
    for (int i = 0; i < n; i++) {
        int64_t numel = 1;
        for (int k = 0; k < t[i].ndim; k++)
            numel *= t[i].shape[k];
        if (raw && raw[i]) {
            fwrite(raw[i], gd_st_dtype_size(t[i].dtype), (size_t)numel, o.fp);
            continue;
        }
        size_t used = 0;
        for (int64_t j = 0; j < numel; j++) {
            float f = t[i].data[j];
            if (t[i].dtype == GD_ST_F32) {
                gd_f32_store_le(buf + used, f);
                used += 4;
            } else {
                uint16_t h = t[i].dtype == GD_ST_F16 ? gd_f32_to_f16(f, GD_RND_NEAREST_EVEN, GD_OVF_INF)
                                                : gd_f32_to_bf16(f, GD_RND_NEAREST_EVEN, GD_OVF_INF);
                buf[used++] = (unsigned char)h;
                buf[used++] = (unsigned char)(h >> 8);
            }
            if (used + 4 > sizeof buf) {
                fwrite(buf, 1, used, o.fp);
                used = 0;
            }
        }
        fwrite(buf, 1, used, o.fp);
    }
    return es_out_commit(&o, e);
}
