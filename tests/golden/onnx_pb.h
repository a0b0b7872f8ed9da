/* tests/golden/onnx_pb.h: a small reader for ONNX protobuf files, enough for the
 * ONNX backend node tests (Debian libonnx-testdata): TensorProto .pb files
 * (inputs and expected outputs) and the attributes of the node in model.onnx.
 *
 * Protobuf wire format (protobuf.dev/programming-guides/encoding): a message
 * is a sequence of (key, value) with key = field << 3 | wire type; wire type
 * 0 varint, 1 fixed64, 2 length-delimited (strings, sub-messages, packed
 * repeated scalars), 5 fixed32.  Unknown fields are skipped, as protobuf
 * requires; groups (wire types 3, 4) are rejected.
 *
 * TensorProto fields read (onnx/onnx.proto3, checked against the test files):
 *   1 dims (int64, packed or not)   2 data_type (DataType code below)
 *   4 float_data   5 int32_data (also carries int8/16, uint8/16, bool and the
 *   fp16/bf16 bit patterns)   7 int64_data   8 name   9 raw_data (little-
 *   endian element bytes)   10 double_data   11 uint64_data (uint32, uint64)
 *   3 segment and 14 data_location = EXTERNAL are rejected (not supported).
 * ModelProto 7 graph -> GraphProto 1 node -> NodeProto 4 op_type,
 *   5 attribute -> AttributeProto 1 name, 2 f, 3 i, 20 type.
 *
 * Every malformed input (truncated varint or field, length past the end,
 * element count that disagrees with dims, unknown data type) gives -1 and an
 * es_err "FILE: byte OFFSET: what"; nothing reads outside the buffer.
 * Assumes a little-endian host (checked at compile time). */
#ifndef TESTS_GOLDEN_ONNX_PB_H
#define TESTS_GOLDEN_ONNX_PB_H

#include <stddef.h>
#include <stdint.h>

#include "golden/base/err.h"

enum {
    GD_ONNX_FLOAT = 1,
    GD_ONNX_UINT8 = 2,
    GD_ONNX_INT8 = 3,
    GD_ONNX_UINT16 = 4,
    GD_ONNX_INT16 = 5,
    GD_ONNX_INT32 = 6,
    GD_ONNX_INT64 = 7,
    GD_ONNX_STRING = 8,
    GD_ONNX_BOOL = 9,
    GD_ONNX_FLOAT16 = 10,
    GD_ONNX_DOUBLE = 11,
    GD_ONNX_UINT32 = 12,
    GD_ONNX_UINT64 = 13,
    GD_ONNX_BFLOAT16 = 16
};

#define GD_ONNX_MAX_DIMS 8

typedef struct gd_onnx_tensor {
    char name[256];
    int data_type;                 /* GD_ONNX_* */
    int ndim;                      /* 0 for a scalar */
    int64_t dims[GD_ONNX_MAX_DIMS];
    int64_t numel;
    size_t elem_size;              /* bytes per element in data */
    void *data;                    /* numel elements in the type's C form
                                      (fp16/bf16: uint16_t bits; bool: uint8_t) */
} gd_onnx_tensor;

/* Parse a TensorProto from buf[0..n); label names the source in errors.
 * On success t owns data (gd_onnx_tensor_free); on failure t is empty. */
int gd_onnx_parse_tensor(const char *label, const uint8_t *buf, size_t n, gd_onnx_tensor *t, es_err *e);
int gd_onnx_read_tensor(const char *path, gd_onnx_tensor *t, es_err *e);
void gd_onnx_tensor_free(gd_onnx_tensor *t);
/* The values as a new fp32 array (caller frees): exact for float, fp16, bf16
 * and small integers; double and 64-bit integers rounded to nearest.  NULL
 * with e set for string tensors. */
float *gd_onnx_tensor_f32(const gd_onnx_tensor *t, es_err *e);

#define GD_ONNX_MAX_ATTRS 16

typedef struct gd_onnx_attr {
    char name[64];
    int type; /* AttributeProto.AttributeType: 1 FLOAT, 2 INT, others kept as type only */
    float f;
    int64_t i;
} gd_onnx_attr;

typedef struct gd_onnx_node {
    char op_type[64];
    int n_attr;
    gd_onnx_attr attr[GD_ONNX_MAX_ATTRS];
} gd_onnx_node;

/* The first node of the graph in a model.onnx file (the node tests have one). */
int gd_onnx_parse_node(const char *label, const uint8_t *buf, size_t n, gd_onnx_node *node, es_err *e);
int gd_onnx_read_node(const char *path, gd_onnx_node *node, es_err *e);
/* Attribute by name, or NULL. */
const gd_onnx_attr *gd_onnx_attr_find(const gd_onnx_node *node, const char *name);

#endif
