/* golden quantization ops bit-exact against the ONNX backend node tests in
 * Debian's libonnx-testdata (ONNX 1.12): QuantizeLinear, DequantizeLinear
 * (per tensor and per axis), DynamicQuantizeLinear (3 cases),
 * MatMulInteger, QLinearMatMul (2D, 3D).  Every output element must equal
 * the expected one exactly (integers; fp32 bits for DequantizeLinear and the
 * dynamic scale).  Missing data is a failure that says to run `make deps`. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "golden/numfmt.h"
#include "tests/golden/onnx_pb.h"
#include "golden/quant.h"

static const char *data_dir(void)
{
    const char *d = getenv("EINSIM_ONNX_TESTDATA");
    return d && *d ? d : "/usr/share/libonnx-testdata/data/node";
}

static void load(const char *test, const char *name, gd_onnx_tensor *t)
{
    char path[1024];
    es_err e;
    struct stat st;
    if (stat(data_dir(), &st) != 0)
        fail_msg("ONNX node test data not found in %s: run `make deps` (it installs Debian's libonnx-testdata)",
                 data_dir());
    snprintf(path, sizeof path, "%s/%s/test_data_set_0/%s.pb", data_dir(), test, name);
    if (gd_onnx_read_tensor(path, t, &e))
        fail_msg("%s", e.msg);
}

static int64_t attr_axis(const char *test, int64_t dflt)
{
    char path[1024];
    gd_onnx_node n;
    es_err e;
    snprintf(path, sizeof path, "%s/%s/model.onnx", data_dir(), test);
    if (gd_onnx_read_node(path, &n, &e))
        fail_msg("%s", e.msg);
    const gd_onnx_attr *a = gd_onnx_attr_find(&n, "axis");
    return a ? a->i : dflt;
}

/* Integer tensor values widened to int32 (caller frees). */
static int32_t *ints(const gd_onnx_tensor *t)
{
    int32_t *v = malloc((size_t)(t->numel ? t->numel : 1) * sizeof *v);
    for (int64_t i = 0; i < t->numel; i++) {
        switch (t->data_type) {
        case GD_ONNX_UINT8: v[i] = ((const uint8_t *)t->data)[i]; break;
        case GD_ONNX_INT8: v[i] = ((const int8_t *)t->data)[i]; break;
        case GD_ONNX_INT32: v[i] = ((const int32_t *)t->data)[i]; break;
        default: fail_msg("%s: unexpected data type %d", t->name, t->data_type);
        }
    }
    return v;
}

static float *floats(const gd_onnx_tensor *t)
{
    assert_int_equal(t->data_type, GD_ONNX_FLOAT);
    return (float *)t->data;
}

static void qrange(int type, int32_t *lo, int32_t *hi)
{
    *lo = type == GD_ONNX_UINT8 ? 0 : -128;
    *hi = type == GD_ONNX_UINT8 ? 255 : 127;
}

/* Channel of flat element i along `axis` of t's shape. */
static int64_t channel_of(const gd_onnx_tensor *t, int64_t axis, int64_t i)
{
    if (axis < 0)
        axis += t->ndim;
    int64_t inner = 1;
    for (int d = (int)axis + 1; d < t->ndim; d++)
        inner *= t->dims[d];
    return (i / inner) % t->dims[axis];
}

static void check_quantize_linear(const char *test)
{
    gd_onnx_tensor x, s, z, y;
    load(test, "input_0", &x), load(test, "input_1", &s), load(test, "input_2", &z), load(test, "output_0", &y);
    int64_t axis = attr_axis(test, 1);
    int32_t *zp = ints(&z), *want = ints(&y), lo, hi;
    qrange(z.data_type, &lo, &hi);
    for (int64_t i = 0; i < x.numel; i++) {
        int64_t c = s.numel > 1 ? channel_of(&x, axis, i) : 0;
        int32_t got = gd_quantize_int(floats(&x)[i], floats(&s)[c], zp[c], lo, hi, GD_RND_NEAREST_EVEN);
        if (got != want[i])
            fail_msg("%s: element %lld: got %d, expected %d", test, (long long)i, got, want[i]);
    }
    free(zp), free(want);
    gd_onnx_tensor_free(&x), gd_onnx_tensor_free(&s), gd_onnx_tensor_free(&z), gd_onnx_tensor_free(&y);
}

static void check_dequantize_linear(const char *test)
{
    gd_onnx_tensor x, s, z, y;
    load(test, "input_0", &x), load(test, "input_1", &s), load(test, "input_2", &z), load(test, "output_0", &y);
    int64_t axis = attr_axis(test, 1);
    int32_t *xv = ints(&x), *zp = ints(&z);
    for (int64_t i = 0; i < x.numel; i++) {
        int64_t c = s.numel > 1 ? channel_of(&x, axis, i) : 0;
        float got = gd_onnx_dequantize_linear(xv[i], floats(&s)[c], zp[c]);
        float want = floats(&y)[i];
        if (memcmp(&got, &want, 4) != 0)
            fail_msg("%s: element %lld: got %.9g, expected %.9g", test, (long long)i, got, want);
    }
    free(xv), free(zp);
    gd_onnx_tensor_free(&x), gd_onnx_tensor_free(&s), gd_onnx_tensor_free(&z), gd_onnx_tensor_free(&y);
}

static void test_quantize_dequantize(void **st)
{
    (void)st;
    check_quantize_linear("test_quantizelinear");
    check_quantize_linear("test_quantizelinear_axis");
    check_dequantize_linear("test_dequantizelinear");
    check_dequantize_linear("test_dequantizelinear_axis");
}

static void test_dynamic_quantize(void **st)
{
    (void)st;
    static const char *tests[] = {"test_dynamicquantizelinear", "test_dynamicquantizelinear_max_adjusted",
                                  "test_dynamicquantizelinear_min_adjusted"};
    for (int t = 0; t < 3; t++) {
        gd_onnx_tensor x, y, s, z;
        load(tests[t], "input_0", &x), load(tests[t], "output_0", &y), load(tests[t], "output_1", &s),
            load(tests[t], "output_2", &z);
        uint8_t *q = malloc((size_t)x.numel), zp;
        float scale;
        gd_onnx_dynamic_quantize((int)x.numel, floats(&x), q, &scale, &zp);
        int32_t *want = ints(&y), *wz = ints(&z);
        assert_memory_equal(&scale, floats(&s), 4);
        assert_int_equal(zp, wz[0]);
        for (int64_t i = 0; i < x.numel; i++)
            if (q[i] != want[i])
                fail_msg("%s: element %lld: got %d, expected %d", tests[t], (long long)i, q[i], want[i]);
        free(q), free(want), free(wz);
        gd_onnx_tensor_free(&x), gd_onnx_tensor_free(&y), gd_onnx_tensor_free(&s), gd_onnx_tensor_free(&z);
    }
}

static void test_matmul_integer(void **st)
{
    (void)st;
    gd_onnx_tensor a, b, az, bz, y;
    const char *t = "test_matmulinteger";
    load(t, "input_0", &a), load(t, "input_1", &b), load(t, "input_2", &az), load(t, "input_3", &bz),
        load(t, "output_0", &y);
    assert_int_equal(a.ndim, 2);
    int M = (int)a.dims[0], K = (int)a.dims[1], N = (int)b.dims[1];
    int32_t *A = ints(&a), *B = ints(&b), *za = ints(&az), *zb = ints(&bz), *want = ints(&y);
    int32_t *got = malloc((size_t)M * N * sizeof *got);
    gd_onnx_matmul_integer(M, N, K, A, za[0], B, zb[0], got);
    assert_memory_equal(got, want, (size_t)M * N * sizeof *got);
    /* golden.md Appendix 0: first row [-38, -83]. */
    assert_int_equal(got[0], -38);
    assert_int_equal(got[1], -83);
    free(A), free(B), free(za), free(zb), free(want), free(got);
    gd_onnx_tensor_free(&a), gd_onnx_tensor_free(&b), gd_onnx_tensor_free(&az), gd_onnx_tensor_free(&bz),
        gd_onnx_tensor_free(&y);
}

static void check_qlinear(const char *t)
{
    gd_onnx_tensor in[8], y;
    for (int i = 0; i < 8; i++) {
        char nm[16];
        snprintf(nm, sizeof nm, "input_%d", i);
        load(t, nm, &in[i]);
    }
    load(t, "output_0", &y);
    const gd_onnx_tensor *a = &in[0], *b = &in[3];
    int nd = a->ndim, batch = 1;
    for (int d = 0; d < nd - 2; d++)
        batch *= (int)a->dims[d];
    int M = (int)a->dims[nd - 2], K = (int)a->dims[nd - 1], N = (int)b->dims[b->ndim - 1];
    int32_t *A = ints(a), *B = ints(b), *za = ints(&in[2]), *zb = ints(&in[5]), *zy = ints(&in[7]);
    int32_t *want = ints(&y), lo, hi;
    qrange(y.data_type, &lo, &hi);
    int32_t *got = malloc((size_t)batch * M * N * sizeof *got);
    int b_batched = b->ndim > 2;
    for (int bi = 0; bi < batch; bi++)
        gd_onnx_qlinear_matmul(M, N, K, A + (size_t)bi * M * K, floats(&in[1])[0], za[0],
                               B + (b_batched ? (size_t)bi * K * N : 0), floats(&in[4])[0], zb[0],
                               floats(&in[6])[0], zy[0], lo, hi, got + (size_t)bi * M * N);
    for (int64_t i = 0; i < y.numel; i++)
        if (got[i] != want[i])
            fail_msg("%s: element %lld: got %d, expected %d", t, (long long)i, got[i], want[i]);
    free(A), free(B), free(za), free(zb), free(zy), free(want), free(got);
    for (int i = 0; i < 8; i++)
        gd_onnx_tensor_free(&in[i]);
    gd_onnx_tensor_free(&y);
}

static void test_qlinear_matmul(void **st)
{
    (void)st;
    check_qlinear("test_qlinearmatmul_2D");
    check_qlinear("test_qlinearmatmul_3D");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantize_dequantize),
        cmocka_unit_test(test_dynamic_quantize),
        cmocka_unit_test(test_matmul_integer),
        cmocka_unit_test(test_qlinear_matmul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
