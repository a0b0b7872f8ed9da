/* golden/safetensors.h: read and write .safetensors weight files.
 *
 * Format (huggingface/safetensors): 8-byte little-endian header length N, a
 * JSON object of N bytes {"name": {"dtype": "F32", "shape": [..],
 * "data_offsets": [begin, end]}, "__metadata__": {..}}, then the byte buffer
 * the offsets index (relative to the end of the header).
 *
 * Opening validates everything once: header length within the file, JSON
 * well-formed, known dtype, shape non-negative, end - begin == elements x
 * dtype size, every range inside the buffer, no two ranges overlapping.
 * Every error names the file (and the tensor where there is one).
 * Loading converts F32, F16, BF16 (and F64) to fp32 exactly (F64 rounds to
 * nearest), with golden/numfmt.h; integer dtypes are listed but not
 * loadable as weights. */
#ifndef GOLDEN_SAFETENSORS_H
#define GOLDEN_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "golden/base/err.h"

#define GD_ST_MAX_DIMS 8

typedef enum gd_st_dtype {
    GD_ST_F32,
    GD_ST_F16,
    GD_ST_BF16,
    GD_ST_F64,
    GD_ST_I64,
    GD_ST_I32,
    GD_ST_I16,
    GD_ST_I8,
    GD_ST_U8,
    GD_ST_BOOL,
} gd_st_dtype;

typedef struct gd_st_tensor {
    char *name;
    gd_st_dtype dtype;
    int ndim;
    int64_t shape[GD_ST_MAX_DIMS];
    int64_t numel;
    size_t begin, end; /* byte range inside the data buffer */
} gd_st_tensor;

typedef struct gd_safetensors {
    char path[4096];
    unsigned char *map; /* whole file (mmap) */
    size_t map_size;
    const unsigned char *data; /* start of the byte buffer */
    size_t data_size;
    gd_st_tensor *t;
    int n;
} gd_safetensors;

const char *gd_st_dtype_name(gd_st_dtype d);
size_t gd_st_dtype_size(gd_st_dtype d);

/* Open and validate.  Returns 0, or -1 with e = "FILE: what is wrong". */
int gd_st_open(gd_safetensors *st, const char *path, es_err *e);
void gd_st_close(gd_safetensors *st);
/* NULL if absent. */
const gd_st_tensor *gd_st_find(const gd_safetensors *st, const char *name);

/* Copy tensor `name` into out as fp32, checking that its shape equals
 * shape[0..ndim).  Errors: "FILE: tensor 'NAME' not found",
 * "FILE: tensor 'NAME': shape [a, b], expected [c, d]", unsupported dtype. */
int gd_st_read_f32(const gd_safetensors *st, const char *name, int ndim, const int64_t *shape, float *out,
                   es_err *e);

/* One tensor to write: fp32 values stored as `dtype` (F32, F16 or BF16;
 * narrowing rounds to nearest even, overflow to inf as IEEE does). */
typedef struct gd_st_write_entry {
    const char *name;
    gd_st_dtype dtype;
    int ndim;
    int64_t shape[GD_ST_MAX_DIMS];
    const float *data;
} gd_st_write_entry;

/* Write atomically (temp file + rename via es_out).  Tensors are laid out in
 * the given order; the header is padded with spaces to a multiple of 8. */
int gd_st_write(const char *path, const gd_st_write_entry *t, int n, es_err *e);
/* The same where raw[i], when raw and raw[i] are non-NULL, gives tensor i's
 * elements already in the file's little-endian form, in any dtype (I32
 * packed weights, F16 scales); t[i].data is then ignored. */
int gd_st_write_raw(const char *path, const gd_st_write_entry *t, const void *const *raw, int n, es_err *e);

#endif
