/* golden/tensor.c: owned tensors of any gd_dtype (see tensor.h). */
#include "golden/tensor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

gd_tensor *gd_tensor_new(gd_dtype t, int ndim, const int64_t *shape, es_err *e)
{
    if ((unsigned)t >= GD_DTYPE_COUNT) {
        es_fail(e, "tensor: unknown dtype %d", (int)t);
        return NULL;
    }
    if (ndim < 0 || ndim > GD_TENSOR_MAX_DIM) {
        es_fail(e, "tensor: %d dimensions; expected 0..%d", ndim, GD_TENSOR_MAX_DIM);
        return NULL;
    }
    int64_t numel = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0) {
            es_fail(e, "tensor: dimension %d is %lld; expected >= 0", d, (long long)shape[d]);
            return NULL;
        }
        /* keep numel * 4 bytes well inside size_t and int64 */
        if (shape[d] > 0 && numel > ((int64_t)1 << 40) / shape[d]) {
            es_fail(e, "tensor: shape too large (over 2^40 elements)");
            return NULL;
        }
        numel *= shape[d];
    }
    gd_tensor *x = es_xcalloc(1, sizeof *x);
    x->dtype = t;
    x->ndim = ndim;
    for (int d = 0; d < GD_TENSOR_MAX_DIM; d++)
        x->shape[d] = d < ndim ? shape[d] : 1;
    int64_t s = 1;
    for (int d = GD_TENSOR_MAX_DIM - 1; d >= 0; d--) {
        x->stride[d] = s;
        s *= x->shape[d];
    }
    x->numel = numel;
    x->data = es_xcalloc(numel ? (size_t)numel : 1, gd_dtype_size(t));
    return x;
}

void gd_tensor_free(gd_tensor *t)
{
    if (!t)
        return;
    free(t->data);
    free(t);
}

static int64_t get_int(const gd_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case GD_I8: case GD_I4: return ((const int8_t *)t->data)[i];
    case GD_I32: return ((const int32_t *)t->data)[i];
    default: return 0;
    }
}

static void set_int(gd_tensor *t, int64_t i, int64_t v)
{
    int64_t lo = t->dtype == GD_I4 ? -8 : t->dtype == GD_I8 ? -128 : INT32_MIN;
    int64_t hi = t->dtype == GD_I4 ? 7 : t->dtype == GD_I8 ? 127 : INT32_MAX;
    v = v < lo ? lo : v > hi ? hi : v;
    if (t->dtype == GD_I32)
        ((int32_t *)t->data)[i] = (int32_t)v;
    else
        ((int8_t *)t->data)[i] = (int8_t)v;
}

static uint32_t get_bits(const gd_tensor *t, int64_t i)
{
    switch (gd_dtype_size(t->dtype)) {
    case 4: return ((const uint32_t *)t->data)[i];
    case 2: return ((const uint16_t *)t->data)[i];
    default: return ((const uint8_t *)t->data)[i];
    }
}

static void set_bits(gd_tensor *t, int64_t i, uint32_t b)
{
    switch (gd_dtype_size(t->dtype)) {
    case 4: ((uint32_t *)t->data)[i] = b; break;
    case 2: ((uint16_t *)t->data)[i] = (uint16_t)b; break;
    default: ((uint8_t *)t->data)[i] = (uint8_t)b; break;
    }
}

float gd_tensor_get(const gd_tensor *t, int64_t i)
{
    if (gd_dtype_is_float(t->dtype))
        return gd_decode(t->dtype, get_bits(t, i));
    return (float)get_int(t, i);
}

void gd_tensor_set(gd_tensor *t, int64_t i, float v, gd_round r, gd_overflow o)
{
    if (gd_dtype_is_float(t->dtype))
        set_bits(t, i, gd_encode(t->dtype, v, r, o));
    else
        set_int(t, i, gd_f32_to_i32(v, r)); /* then clamped to the narrow range */
}

void gd_tensor_fill_uniform(gd_tensor *t, es_rng *rng, float lo, float hi, gd_round r, gd_overflow o)
{
    for (int64_t i = 0; i < t->numel; i++)
        gd_tensor_set(t, i, es_rng_uniform(rng, lo, hi), r, o);
}

void gd_tensor_fill_normal(gd_tensor *t, es_rng *rng, float mean, float std, gd_round r, gd_overflow o)
{
    for (int64_t i = 0; i < t->numel; i++)
        gd_tensor_set(t, i, (float)(mean + std * es_rng_normal(rng)), r, o);
}

gd_tensor *gd_tensor_convert(const gd_tensor *src, gd_dtype to, gd_round r, gd_overflow o, es_err *e)
{
    gd_tensor *dst = gd_tensor_new(to, src->ndim, src->shape, e);
    if (!dst)
        return NULL;
    int from_float = gd_dtype_is_float(src->dtype), to_float = gd_dtype_is_float(to);
    for (int64_t i = 0; i < src->numel; i++) {
        if (from_float)
            gd_tensor_set(dst, i, gd_tensor_get(src, i), r, o);
        else if (!to_float)
            set_int(dst, i, get_int(src, i));
        else /* integer -> float: one rounding from the exact integer */
            set_bits(dst, i, gd_encode_f64(to, (double)get_int(src, i), r, o));
    }
    return dst;
}

void gd_tensor_to_f32(const gd_tensor *t, float *out)
{
    for (int64_t i = 0; i < t->numel; i++)
        out[i] = gd_tensor_get(t, i);
}

void gd_tensor_from_f32(gd_tensor *t, const float *in, gd_round r, gd_overflow o)
{
    for (int64_t i = 0; i < t->numel; i++)
        gd_tensor_set(t, i, in[i], r, o);
}
