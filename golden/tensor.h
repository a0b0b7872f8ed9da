/* golden/tensor.h: a small owned tensor (up to 4-D) tagged with a number
 * format, for the places that store values in a narrow format (quantized
 * weights, fp16/bf16/fp8 activations).  Kernels take plain float arrays; this
 * type is the container plus the conversions, nothing more.
 *
 * Storage per dtype: fp32 float; fp16/bf16 uint16_t bit patterns; e4m3/e5m2
 * uint8_t bit patterns; int8 int8_t; int4 int8_t holding -8..7 (one value per
 * byte: packing two per byte is a memory-layout question for the simulator,
 * not a numeric one); int32 int32_t.  Data is row-major and contiguous;
 * strides are in elements and always the row-major ones. */
#ifndef GOLDEN_TENSOR_H
#define GOLDEN_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "golden/base/err.h"
#include "golden/base/rng.h"
#include "golden/numfmt.h"

#define GD_TENSOR_MAX_DIM 4

typedef struct gd_tensor {
    gd_dtype dtype;
    int ndim;                          /* 0 (scalar) .. 4 */
    int64_t shape[GD_TENSOR_MAX_DIM];  /* unused dims are 1 */
    int64_t stride[GD_TENSOR_MAX_DIM]; /* elements */
    int64_t numel;
    void *data;                        /* owned, numel * gd_dtype_size(dtype) bytes, zeroed */
} gd_tensor;

/* New zero-filled tensor.  NULL with e set on a bad shape (ndim outside
 * 0..4, a negative dimension, or a size that overflows). */
gd_tensor *gd_tensor_new(gd_dtype t, int ndim, const int64_t *shape, es_err *e);
void gd_tensor_free(gd_tensor *t);

/* Element i (flat, row-major) as fp32 (exact for every format except int32
 * beyond 2^24, which is rounded to nearest-even). */
float gd_tensor_get(const gd_tensor *t, int64_t i);
/* Store v at flat index i, converted with r / o (integers: round and clamp). */
void gd_tensor_set(gd_tensor *t, int64_t i, float v, gd_round r, gd_overflow o);

/* Fill with uniform [lo, hi) or normal(mean, std) fp32 draws from rng (one
 * draw per element in flat order), each converted with r / o. */
void gd_tensor_fill_uniform(gd_tensor *t, es_rng *rng, float lo, float hi, gd_round r, gd_overflow o);
void gd_tensor_fill_normal(gd_tensor *t, es_rng *rng, float mean, float std, gd_round r, gd_overflow o);

/* New tensor of the same shape in dtype `to`.  Float -> float goes through
 * the exact fp32 value with one rounding; int -> int clamps exactly;
 * float -> int rounds with r and clamps (NaN -> 0); int32 -> fp32 and other
 * narrower floats round once from the exact integer. */
gd_tensor *gd_tensor_convert(const gd_tensor *src, gd_dtype to, gd_round r, gd_overflow o, es_err *e);

/* Copy out as fp32 into out[numel] / load from fp32 (converted with r / o). */
void gd_tensor_to_f32(const gd_tensor *t, float *out);
void gd_tensor_from_f32(gd_tensor *t, const float *in, gd_round r, gd_overflow o);

#endif
