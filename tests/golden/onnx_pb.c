/* tests/golden/onnx_pb.c: ONNX TensorProto / model.onnx reader (see onnx_pb.h). */
#include "tests/golden/onnx_pb.h"

#include <stdlib.h>
#include <string.h>

#include "golden/base/io.h"
#include "golden/numfmt.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "onnx_pb.c copies little-endian raw_data directly: little-endian hosts only"
#endif

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

/* A cursor over one message; base is the start of the whole file so error
 * offsets are file offsets. */
typedef struct pb {
    const uint8_t *p, *end, *base;
    const char *label;
    es_err *e;
} pb;

static int pb_fail(pb *r, const char *what, unsigned field)
{
    if (field)
        return es_fail(r->e, "%s: byte %zu: %s (field %u)", r->label, (size_t)(r->p - r->base), what, field);
    return es_fail(r->e, "%s: byte %zu: %s", r->label, (size_t)(r->p - r->base), what);
}

static int rd_varint(pb *r, uint64_t *v, unsigned field)
{
    uint64_t x = 0;
    for (int i = 0; i < 10; i++) {
        if (r->p >= r->end)
            return pb_fail(r, "truncated varint", field);
        uint8_t b = *r->p++;
        x |= (uint64_t)(b & 0x7F) << (7 * i);
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return pb_fail(r, "varint longer than 10 bytes", field);
}

static int rd_fixed(pb *r, int nbytes, uint64_t *v, unsigned field)
{
    if (r->end - r->p < nbytes)
        return pb_fail(r, "truncated fixed-width value", field);
    uint64_t x = 0;
    for (int i = 0; i < nbytes; i++)
        x |= (uint64_t)r->p[i] << (8 * i);
    r->p += nbytes;
    *v = x;
    return 0;
}

/* A length-delimited value: a sub-cursor over its bytes. */
static int rd_len(pb *r, pb *sub, unsigned field)
{
    uint64_t n;
    if (rd_varint(r, &n, field))
        return -1;
    if (n > (uint64_t)(r->end - r->p))
        return pb_fail(r, "length runs past the end of the data", field);
    *sub = *r;
    sub->end = r->p + n;
    r->p += n;
    return 0;
}

static int rd_key(pb *r, unsigned *field, int *wt)
{
    uint64_t k;
    if (rd_varint(r, &k, 0))
        return -1;
    *field = (unsigned)(k >> 3);
    *wt = (int)(k & 7);
    if (*field == 0 || k >> 32)
        return pb_fail(r, "invalid field number", 0);
    return 0;
}

static int skip(pb *r, int wt, unsigned field)
{
    uint64_t v;
    pb sub;
    switch (wt) {
    case WT_VARINT: return rd_varint(r, &v, field);
    case WT_I64: return rd_fixed(r, 8, &v, field);
    case WT_LEN: return rd_len(r, &sub, field);
    case WT_I32: return rd_fixed(r, 4, &v, field);
    default: return pb_fail(r, "unsupported wire type (group or invalid)", field);
    }
}

static int wrong_type(pb *r, unsigned field) { return pb_fail(r, "unexpected wire type", field); }

static void copy_str(char *dst, size_t cap, const pb *s)
{
    size_t n = (size_t)(s->end - s->p);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s->p, n);
    dst[n] = 0;
}

/* ---- repeated scalar fields -------------------------------------------- */

typedef struct vec {
    uint64_t *v;
    size_t n, cap;
} vec;

static void vec_push(vec *a, uint64_t x)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 16;
        a->v = es_xrealloc(a->v, a->cap * sizeof *a->v);
    }
    a->v[a->n++] = x;
}

/* A repeated scalar field, packed (wire type 2) or one element (wire type
 * elem_wt).  elem_wt is WT_VARINT, WT_I32 or WT_I64. */
static int rd_repeated(pb *r, int wt, int elem_wt, unsigned field, vec *out)
{
    int fixed = elem_wt == WT_I32 ? 4 : elem_wt == WT_I64 ? 8 : 0;
    uint64_t x = 0;
    if (wt == elem_wt) {
        if (fixed ? rd_fixed(r, fixed, &x, field) : rd_varint(r, &x, field))
            return -1;
        vec_push(out, x);
        return 0;
    }
    if (wt != WT_LEN)
        return wrong_type(r, field);
    pb sub;
    if (rd_len(r, &sub, field))
        return -1;
    if (fixed && (sub.end - sub.p) % fixed)
        return pb_fail(&sub, "packed field length is not a multiple of the element size", field);
    while (sub.p < sub.end) {
        if (fixed ? rd_fixed(&sub, fixed, &x, field) : rd_varint(&sub, &x, field))
            return -1;
        vec_push(out, x);
    }
    return 0;
}

/* ---- TensorProto ------------------------------------------------------- */

static size_t elem_size_of(int dt)
{
    switch (dt) {
    case GD_ONNX_FLOAT: case GD_ONNX_INT32: case GD_ONNX_UINT32: return 4;
    case GD_ONNX_UINT8: case GD_ONNX_INT8: case GD_ONNX_BOOL: return 1;
    case GD_ONNX_UINT16: case GD_ONNX_INT16: case GD_ONNX_FLOAT16: case GD_ONNX_BFLOAT16: return 2;
    case GD_ONNX_INT64: case GD_ONNX_DOUBLE: case GD_ONNX_UINT64: return 8;
    default: return 0; /* string, complex, undefined, newer types */
    }
}

enum { F_FLOAT = 0, F_INT32, F_INT64, F_DOUBLE, F_UINT64, F_COUNT };

/* Which typed field carries a data type, per onnx.proto's comments. */
static int typed_field_of(int dt)
{
    switch (dt) {
    case GD_ONNX_FLOAT: return F_FLOAT;
    case GD_ONNX_INT64: return F_INT64;
    case GD_ONNX_DOUBLE: return F_DOUBLE;
    case GD_ONNX_UINT32: case GD_ONNX_UINT64: return F_UINT64;
    default: return F_INT32;
    }
}

static const char *const TYPED_FIELD_NAMES[F_COUNT] = {"float_data", "int32_data", "int64_data", "double_data",
                                                       "uint64_data"};

static int finish_tensor(pb *r, gd_onnx_tensor *t, int have_type, const pb *raw, vec *typed)
{
    if (!have_type || t->data_type == 0)
        return pb_fail(r, "tensor has no data_type", 0);
    t->elem_size = elem_size_of(t->data_type);
    if (!t->elem_size)
        return es_fail(r->e, "%s: tensor '%s': data_type %d is not supported (numeric types only)", r->label,
                       t->name, t->data_type);
    int64_t numel = 1;
    for (int d = 0; d < t->ndim; d++) {
        if (t->dims[d] < 0 || (t->dims[d] > 0 && numel > ((int64_t)1 << 40) / t->dims[d]))
            return es_fail(r->e, "%s: tensor '%s': dimension %d is %lld; expected 0..2^40 elements", r->label,
                           t->name, d, (long long)t->dims[d]);
        numel *= t->dims[d];
    }
    t->numel = numel;
    size_t nbytes = (size_t)numel * t->elem_size;
    t->data = es_xmalloc(nbytes ? nbytes : 1);
    if (raw) {
        size_t have = (size_t)(raw->end - raw->p);
        if (have != nbytes)
            return es_fail(r->e, "%s: tensor '%s': raw_data has %zu bytes; expected %lld elements of %zu bytes",
                           r->label, t->name, have, (long long)numel, t->elem_size);
        memcpy(t->data, raw->p, nbytes);
        return 0;
    }
    int f = typed_field_of(t->data_type);
    for (int g = 0; g < F_COUNT; g++)
        if (g != f && typed[g].n)
            return es_fail(r->e, "%s: tensor '%s': %s present for data_type %d", r->label, t->name,
                           TYPED_FIELD_NAMES[g], t->data_type);
    if ((int64_t)typed[f].n != numel)
        return es_fail(r->e, "%s: tensor '%s': %s has %zu values; expected %lld", r->label, t->name,
                       TYPED_FIELD_NAMES[f], typed[f].n, (long long)numel);
    /* int32_data carries the narrow types too: a value outside the type's
     * range (an int8 of 300) is corrupt, not something to truncate. */
    int64_t lo = 0, hi = -1;
    switch (t->data_type) {
    case GD_ONNX_INT8: lo = -128, hi = 127; break;
    case GD_ONNX_UINT8: lo = 0, hi = 255; break;
    case GD_ONNX_INT16: lo = -32768, hi = 32767; break;
    case GD_ONNX_UINT16: case GD_ONNX_FLOAT16: case GD_ONNX_BFLOAT16: lo = 0, hi = 65535; break;
    case GD_ONNX_BOOL: lo = 0, hi = 1; break;
    case GD_ONNX_INT32: lo = INT32_MIN, hi = INT32_MAX; break;
    default: break;
    }
    uint8_t *out = t->data;
    for (int64_t i = 0; i < numel; i++) {
        uint64_t x = typed[f].v[i];
        int64_t sx = (int64_t)x;
        if (hi >= lo && (sx < lo || sx > hi))
            return es_fail(r->e, "%s: tensor '%s': %s value %lld out of range for data_type %d (expected %lld..%lld)",
                           r->label, t->name, TYPED_FIELD_NAMES[f], (long long)sx, t->data_type, (long long)lo,
                           (long long)hi);
        memcpy(out + (size_t)i * t->elem_size, &x, t->elem_size); /* low bytes: little-endian */
    }
    return 0;
}

int gd_onnx_parse_tensor(const char *label, const uint8_t *buf, size_t n, gd_onnx_tensor *t, es_err *e)
{
    memset(t, 0, sizeof *t);
    pb r = {buf, buf + n, buf, label, e};
    vec typed[F_COUNT] = {{0}};
    vec dims = {0};
    pb raw;
    int have_raw = 0, have_type = 0, rc = -1;
    while (r.p < r.end) {
        unsigned field;
        int wt;
        uint64_t v = 0;
        pb sub;
        if (rd_key(&r, &field, &wt))
            goto out;
        switch (field) {
        case 1: if (rd_repeated(&r, wt, WT_VARINT, field, &dims)) goto out; break;
        case 2:
            if (wt != WT_VARINT) { wrong_type(&r, field); goto out; }
            if (rd_varint(&r, &v, field)) goto out;
            t->data_type = (int)v;
            have_type = 1;
            break;
        case 3: pb_fail(&r, "segmented tensors are not supported", field); goto out;
        case 4: if (rd_repeated(&r, wt, WT_I32, field, &typed[F_FLOAT])) goto out; break;
        case 5: if (rd_repeated(&r, wt, WT_VARINT, field, &typed[F_INT32])) goto out; break;
        case 7: if (rd_repeated(&r, wt, WT_VARINT, field, &typed[F_INT64])) goto out; break;
        case 10: if (rd_repeated(&r, wt, WT_I64, field, &typed[F_DOUBLE])) goto out; break;
        case 11: if (rd_repeated(&r, wt, WT_VARINT, field, &typed[F_UINT64])) goto out; break;
        case 8:
            if (wt != WT_LEN) { wrong_type(&r, field); goto out; }
            if (rd_len(&r, &sub, field)) goto out;
            copy_str(t->name, sizeof t->name, &sub);
            break;
        case 9:
            if (wt != WT_LEN) { wrong_type(&r, field); goto out; }
            if (rd_len(&r, &raw, field)) goto out;
            have_raw = 1;
            break;
        case 14:
            if (wt != WT_VARINT) { wrong_type(&r, field); goto out; }
            if (rd_varint(&r, &v, field)) goto out;
            if (v != 0) { pb_fail(&r, "external data is not supported", field); goto out; }
            break;
        default:
            if (skip(&r, wt, field)) goto out;
        }
    }
    if (dims.n > GD_ONNX_MAX_DIMS) {
        es_fail(e, "%s: tensor '%s': %zu dimensions; at most %d supported", label, t->name, dims.n,
                GD_ONNX_MAX_DIMS);
        goto out;
    }
    t->ndim = (int)dims.n;
    for (size_t d = 0; d < dims.n; d++)
        t->dims[d] = (int64_t)dims.v[d];
    rc = finish_tensor(&r, t, have_type, have_raw ? &raw : NULL, typed);
out:
    free(dims.v);
    for (int g = 0; g < F_COUNT; g++)
        free(typed[g].v);
    if (rc)
        gd_onnx_tensor_free(t);
    return rc;
}

/* Read a whole file and hand it to a parser; the path labels the errors. */
typedef int (*parse_fn)(const char *label, const uint8_t *buf, size_t n, void *out, es_err *e);

static int read_and_parse(const char *path, parse_fn parse, void *out, es_err *e)
{
    char *buf;
    size_t n;
    if (es_read_file(path, &buf, &n, e))
        return -1;
    int rc = parse(path, (const uint8_t *)buf, n, out, e);
    free(buf);
    return rc;
}

static int parse_tensor_any(const char *label, const uint8_t *buf, size_t n, void *out, es_err *e)
{
    return gd_onnx_parse_tensor(label, buf, n, out, e);
}

int gd_onnx_read_tensor(const char *path, gd_onnx_tensor *t, es_err *e)
{
    memset(t, 0, sizeof *t);
    return read_and_parse(path, parse_tensor_any, t, e);
}

void gd_onnx_tensor_free(gd_onnx_tensor *t)
{
    free(t->data);
    memset(t, 0, sizeof *t);
}

float *gd_onnx_tensor_f32(const gd_onnx_tensor *t, es_err *e)
{
    float *out = es_xmalloc(t->numel ? (size_t)t->numel * sizeof *out : 1);
    const uint8_t *p = t->data;
    for (int64_t i = 0; i < t->numel; i++) {
        const uint8_t *q = p + (size_t)i * t->elem_size;
        union { float f; double d; int8_t i8; uint8_t u8; int16_t i16; uint16_t u16; int32_t i32; uint32_t u32;
                int64_t i64; uint64_t u64; } u;
        memcpy(&u, q, t->elem_size);
        switch (t->data_type) {
        case GD_ONNX_FLOAT: out[i] = u.f; break;
        case GD_ONNX_DOUBLE: out[i] = (float)u.d; break;
        case GD_ONNX_INT8: out[i] = u.i8; break;
        case GD_ONNX_UINT8: case GD_ONNX_BOOL: out[i] = u.u8; break;
        case GD_ONNX_INT16: out[i] = u.i16; break;
        case GD_ONNX_UINT16: out[i] = u.u16; break;
        case GD_ONNX_INT32: out[i] = (float)u.i32; break;
        case GD_ONNX_UINT32: out[i] = (float)u.u32; break;
        case GD_ONNX_INT64: out[i] = (float)u.i64; break;
        case GD_ONNX_UINT64: out[i] = (float)u.u64; break;
        case GD_ONNX_FLOAT16: out[i] = gd_f16_to_f32(u.u16); break;
        case GD_ONNX_BFLOAT16: out[i] = gd_bf16_to_f32(u.u16); break;
        default:
            free(out);
            es_fail(e, "tensor '%s': data_type %d has no fp32 form", t->name, t->data_type);
            return NULL;
        }
    }
    return out;
}

/* ---- model.onnx: the first node's attributes --------------------------- */

static int parse_attr(pb *r, gd_onnx_attr *a)
{
    memset(a, 0, sizeof *a);
    while (r->p < r->end) {
        unsigned field;
        int wt;
        uint64_t v = 0;
        pb sub;
        if (rd_key(r, &field, &wt))
            return -1;
        if (field == 1 && wt == WT_LEN) {
            if (rd_len(r, &sub, field)) return -1;
            copy_str(a->name, sizeof a->name, &sub);
        } else if (field == 2 && wt == WT_I32) {
            if (rd_fixed(r, 4, &v, field)) return -1;
            uint32_t u32 = (uint32_t)v;
            memcpy(&a->f, &u32, 4);
        } else if (field == 3 && wt == WT_VARINT) {
            if (rd_varint(r, &v, field)) return -1;
            a->i = (int64_t)v;
        } else if (field == 20 && wt == WT_VARINT) {
            if (rd_varint(r, &v, field)) return -1;
            a->type = (int)v;
        } else if (skip(r, wt, field)) {
            return -1;
        }
    }
    return 0;
}

static int parse_node(pb *r, gd_onnx_node *node)
{
    while (r->p < r->end) {
        unsigned field;
        int wt;
        pb sub;
        if (rd_key(r, &field, &wt))
            return -1;
        if (field == 4 && wt == WT_LEN) {
            if (rd_len(r, &sub, field)) return -1;
            copy_str(node->op_type, sizeof node->op_type, &sub);
        } else if (field == 5 && wt == WT_LEN) {
            if (rd_len(r, &sub, field)) return -1;
            if (node->n_attr == GD_ONNX_MAX_ATTRS)
                return pb_fail(r, "too many attributes", field);
            if (parse_attr(&sub, &node->attr[node->n_attr++])) return -1;
        } else if (skip(r, wt, field)) {
            return -1;
        }
    }
    return 0;
}

int gd_onnx_parse_node(const char *label, const uint8_t *buf, size_t n, gd_onnx_node *node, es_err *e)
{
    memset(node, 0, sizeof *node);
    pb r = {buf, buf + n, buf, label, e};
    int found = 0;
    while (r.p < r.end) {
        unsigned field;
        int wt;
        pb graph;
        if (rd_key(&r, &field, &wt))
            return -1;
        if (field != 7 || wt != WT_LEN || found) {
            if (skip(&r, wt, field))
                return -1;
            continue;
        }
        if (rd_len(&r, &graph, field))
            return -1;
        while (graph.p < graph.end) {
            pb nd;
            if (rd_key(&graph, &field, &wt))
                return -1;
            if (field == 1 && wt == WT_LEN && !found) {
                if (rd_len(&graph, &nd, field) || parse_node(&nd, node))
                    return -1;
                found = 1;
            } else if (skip(&graph, wt, field)) {
                return -1;
            }
        }
    }
    if (!found)
        return es_fail(e, "%s: model has no graph node", label);
    return 0;
}

static int parse_node_any(const char *label, const uint8_t *buf, size_t n, void *out, es_err *e)
{
    return gd_onnx_parse_node(label, buf, n, out, e);
}

int gd_onnx_read_node(const char *path, gd_onnx_node *node, es_err *e)
{
    memset(node, 0, sizeof *node);
    return read_and_parse(path, parse_node_any, node, e);
}

const gd_onnx_attr *gd_onnx_attr_find(const gd_onnx_node *node, const char *name)
{
    for (int i = 0; i < node->n_attr; i++)
        if (strcmp(node->attr[i].name, name) == 0)
            return &node->attr[i];
    return NULL;
}
