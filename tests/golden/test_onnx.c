/* golden kernels against the ONNX backend node tests (Debian libonnx-testdata,
 * ONNX 1.12): softmax (all three algorithms), layer normalization, Gemm,
 * MatMul, Cast to FLOAT16 / BFLOAT16; plus the .pb reader on corrupt and
 * truncated input.  Expected outputs in those files were computed by ONNX's
 * numpy reference in fp32, so the comparisons use tolerances stated per op.
 *
 * The data must be there: a missing directory is a FAILURE that says to run
 * `make deps`, never a skip.  EINSIM_ONNX_TESTDATA overrides the location. */
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
#include <unistd.h>

#include "golden/base/err.h"
#include "golden/base/io.h"
#include "golden/base/rng.h"
#include "golden/kernels.h"
#include "golden/numfmt.h"
#include "tests/golden/onnx_pb.h"

static const char *data_dir(void)
{
    const char *d = getenv("EINSIM_ONNX_TESTDATA");
    return d && *d ? d : "/usr/share/libonnx-testdata/data/node";
}

static void require_data(void)
{
    struct stat st;
    if (stat(data_dir(), &st) != 0 || !S_ISDIR(st.st_mode))
        fail_msg("ONNX node test data not found in %s: run `make deps` (it installs Debian's libonnx-testdata)",
                 data_dir());
}

static int file_exists(const char *test, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/test_data_set_0/%s.pb", data_dir(), test, name);
    return access(path, R_OK) == 0;
}

/* Load tensor `name` (input_0, output_0, ...) of a node test; fail the test
 * with the reader's message if it cannot. */
static void load(const char *test, const char *name, gd_onnx_tensor *t)
{
    char path[1024];
    es_err e;
    require_data();
    snprintf(path, sizeof path, "%s/%s/test_data_set_0/%s.pb", data_dir(), test, name);
    if (gd_onnx_read_tensor(path, t, &e))
        fail_msg("%s", e.msg);
}

static float *load_f32(const char *test, const char *name, gd_onnx_tensor *t)
{
    es_err e;
    load(test, name, t);
    assert_int_equal(t->data_type, GD_ONNX_FLOAT);
    float *v = gd_onnx_tensor_f32(t, &e);
    assert_non_null(v);
    return v;
}

static void load_node(const char *test, gd_onnx_node *n)
{
    char path[1024];
    es_err e;
    require_data();
    snprintf(path, sizeof path, "%s/%s/model.onnx", data_dir(), test);
    if (gd_onnx_read_node(path, n, &e))
        fail_msg("%s", e.msg);
}

static int64_t attr_i(const gd_onnx_node *n, const char *name, int64_t dflt)
{
    const gd_onnx_attr *a = gd_onnx_attr_find(n, name);
    return a ? a->i : dflt;
}

static float attr_f(const gd_onnx_node *n, const char *name, float dflt)
{
    const gd_onnx_attr *a = gd_onnx_attr_find(n, name);
    return a ? a->f : dflt;
}

/* Units in the last place of fp32 at |w| (subnormal spacing below 2^-126). */
static double ulp_of(double w)
{
    w = fabs(w);
    if (w < 0x1p-126)
        return 0x1p-149;
    return ldexp(1.0, (int)floor(log2(w)) - 23);
}

/* ---- softmax ------------------------------------------------------------ */
/* Bound: 8 ulp of the expected value, plus 2^-30 absolute for entries far
 * below the row's largest.  Why: each path is exp of an exactly computed
 * difference (x - max, exact by Sterbenz for nearby values) with expf good
 * to ~1 ulp, a sum of n <= 5 terms (n u relative) and one division: a few
 * ulp per side; numpy's np.exp is likewise within ~1 ulp. */
static const char *const SOFTMAX_TESTS[] = {"test_softmax_axis_0",       "test_softmax_axis_1",
                                            "test_softmax_axis_2",       "test_softmax_default_axis",
                                            "test_softmax_example",      "test_softmax_large_number",
                                            "test_softmax_negative_axis"};

typedef void (*softmax_fn)(int rows, int n, const float *x, float *y);

static void test_onnx_softmax(void **state)
{
    (void)state;
    const softmax_fn fns[3] = {gd_softmax_3pass, gd_softmax_2pass, gd_softmax_online};
    const char *names[3] = {"3pass", "2pass", "online"};
    double worst = 0;
    for (size_t ti = 0; ti < sizeof SOFTMAX_TESTS / sizeof *SOFTMAX_TESTS; ti++) {
        const char *test = SOFTMAX_TESTS[ti];
        gd_onnx_node node;
        gd_onnx_tensor tx, ty;
        load_node(test, &node);
        assert_string_equal(node.op_type, "Softmax");
        float *x = load_f32(test, "input_0", &tx);
        float *want = load_f32(test, "output_0", &ty);
        assert_int_equal(tx.numel, ty.numel);
        /* opset 13 semantics: softmax along one axis (default -1); move that
         * axis last, run over rows, move it back */
        int axis = (int)attr_i(&node, "axis", -1);
        if (axis < 0)
            axis += tx.ndim;
        assert_true(axis >= 0 && axis < tx.ndim);
        int64_t outer = 1, n = tx.dims[axis], inner = 1;
        for (int d = 0; d < axis; d++)
            outer *= tx.dims[d];
        for (int d = axis + 1; d < tx.ndim; d++)
            inner *= tx.dims[d];
        size_t nb = (size_t)tx.numel * sizeof(float);
        float *rows = malloc(nb), *out = malloc(nb);
        for (int64_t o = 0; o < outer; o++)
            for (int64_t i = 0; i < inner; i++)
                for (int64_t j = 0; j < n; j++)
                    rows[(o * inner + i) * n + j] = x[(o * n + j) * inner + i];
        for (int f = 0; f < 3; f++) {
            fns[f]((int)(outer * inner), (int)n, rows, out);
            for (int64_t o = 0; o < outer; o++)
                for (int64_t i = 0; i < inner; i++)
                    for (int64_t j = 0; j < n; j++) {
                        double w = want[(o * n + j) * inner + i], g = out[(o * inner + i) * n + j];
                        double d = fabs(g - w);
                        if (d > 8 * ulp_of(w) + 0x1p-30)
                            fail_msg("%s (%s): element %lld: got %.9g, expected %.9g", test, names[f],
                                     (long long)((o * n + j) * inner + i), g, w);
                        worst = fmax(worst, d / ulp_of(w));
                    }
        }
        free(rows), free(out), free(x), free(want);
        gd_onnx_tensor_free(&tx);
        gd_onnx_tensor_free(&ty);
    }
    print_message("softmax: %zu node tests x 3 algorithms, worst %.2f ulp\n",
                  sizeof SOFTMAX_TESTS / sizeof *SOFTMAX_TESTS, worst);
}

/* ---- layer normalization ----------------------------------------------- */
/* LayerNormalization normalises over dims[axis..] flattened, which is
 * contiguous, so every axis maps to gd_layernorm(rows = prod(dims[..axis)),
 * n = prod(dims[axis..])).  Bound: |got - want| <= 16 ulp(max(|want|, 1)),
 * i.e. 9.5e-7 at unit scale: mean and variance are sums of up to 120 terms
 * (numpy pairwise, ours sequential), then a sqrt, a division and the affine
 * step; the largest seen is printed (3 ulp with ONNX 1.12's data). */
static const char *const LN_TESTS[] = {
    "test_layer_normalization_2d_axis0",          "test_layer_normalization_2d_axis1",
    "test_layer_normalization_2d_axis_negative_1", "test_layer_normalization_2d_axis_negative_2",
    "test_layer_normalization_3d_axis0_epsilon",  "test_layer_normalization_3d_axis1_epsilon",
    "test_layer_normalization_3d_axis2_epsilon",  "test_layer_normalization_3d_axis_negative_1_epsilon",
    "test_layer_normalization_3d_axis_negative_2_epsilon", "test_layer_normalization_3d_axis_negative_3_epsilon",
    "test_layer_normalization_4d_axis0",          "test_layer_normalization_4d_axis1",
    "test_layer_normalization_4d_axis2",          "test_layer_normalization_4d_axis3",
    "test_layer_normalization_4d_axis_negative_1", "test_layer_normalization_4d_axis_negative_2",
    "test_layer_normalization_4d_axis_negative_3", "test_layer_normalization_4d_axis_negative_4",
    "test_layer_normalization_default_axis"};

static void test_onnx_layernorm(void **state)
{
    (void)state;
    double worst = 0;
    for (size_t ti = 0; ti < sizeof LN_TESTS / sizeof *LN_TESTS; ti++) {
        const char *test = LN_TESTS[ti];
        gd_onnx_node node;
        gd_onnx_tensor tx, tw, tb, ty;
        load_node(test, &node);
        assert_string_equal(node.op_type, "LayerNormalization");
        float *x = load_f32(test, "input_0", &tx);
        float *w = load_f32(test, "input_1", &tw);
        float *b = NULL;
        if (file_exists(test, "input_2"))
            b = load_f32(test, "input_2", &tb);
        float *want = load_f32(test, "output_0", &ty);
        int axis = (int)attr_i(&node, "axis", -1);
        float eps = attr_f(&node, "epsilon", 1e-5f);
        if (axis < 0)
            axis += tx.ndim;
        int64_t rows = 1, n = 1;
        for (int d = 0; d < tx.ndim; d++)
            *(d < axis ? &rows : &n) *= tx.dims[d];
        assert_int_equal(tw.numel, n);
        float *y = malloc((size_t)tx.numel * sizeof *y);
        gd_layernorm((int)rows, (int)n, x, w, b, eps, y);
        for (int64_t i = 0; i < tx.numel; i++) {
            double d = fabs((double)y[i] - want[i]), u = ulp_of(fmax(fabs(want[i]), 1.0));
            if (d > 16 * u)
                fail_msg("%s: element %lld: got %.9g, expected %.9g (axis %d, eps %g)", test, (long long)i,
                         (double)y[i], (double)want[i], axis, (double)eps);
            worst = fmax(worst, d / u);
        }
        free(x), free(w), free(b), free(want), free(y);
        gd_onnx_tensor_free(&tx);
        gd_onnx_tensor_free(&tw);
        if (b)
            gd_onnx_tensor_free(&tb);
        gd_onnx_tensor_free(&ty);
    }
    print_message("layernorm: %zu node tests, worst %.2f ulp (at max(|y|,1))\n", sizeof LN_TESTS / sizeof *LN_TESTS,
                  worst);
}

/* ---- Gemm and MatMul ---------------------------------------------------- */
/* Y = alpha * A'.B' + beta * C as ONNX's numpy reference computes it (fp32
 * product, then the scalings and the broadcast add).  Bound: the GEMM bound
 * of kernels.h, 2 gamma_K * |alpha| * sum_k |a b| (numpy's BLAS and ours are
 * two fp32 sums), plus 2 ulp of |y| for the scalings and the add. */
static void check_gemm_result(const char *test, const char *path_name, int M, int N, int K, const float *A,
                              const float *B, float alpha, const float *y, const float *want)
{
    double bound = gd_gemm_fast_bound(K);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double mag = 0;
            for (int k = 0; k < K; k++)
                mag += fabs((double)A[(size_t)i * K + k] * B[(size_t)k * N + j]);
            double w = want[(size_t)i * N + j], d = fabs((double)y[(size_t)i * N + j] - w);
            if (d > bound * fabs(alpha) * mag + 2 * ulp_of(w))
                fail_msg("%s (%s): (%d,%d): got %.9g, expected %.9g", test, path_name, i, j,
                         (double)y[(size_t)i * N + j], w);
        }
}

static float *transpose(const float *X, int rows, int cols)
{
    float *T = malloc((size_t)rows * cols * sizeof *T + 1);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            T[(size_t)c * rows + r] = X[(size_t)r * cols + c];
    return T;
}

static const char *const GEMM_TESTS[] = {
    "test_gemm_all_attributes",     "test_gemm_alpha",       "test_gemm_beta",
    "test_gemm_default_matrix_bias", "test_gemm_default_no_bias", "test_gemm_default_scalar_bias",
    "test_gemm_default_single_elem_vector_bias", "test_gemm_default_vector_bias", "test_gemm_default_zero_bias",
    "test_gemm_transposeA",         "test_gemm_transposeB"};

static void test_onnx_gemm(void **state)
{
    (void)state;
    for (size_t ti = 0; ti < sizeof GEMM_TESTS / sizeof *GEMM_TESTS; ti++) {
        const char *test = GEMM_TESTS[ti];
        gd_onnx_node node;
        gd_onnx_tensor ta, tb, tc, ty;
        load_node(test, &node);
        assert_string_equal(node.op_type, "Gemm");
        float alpha = attr_f(&node, "alpha", 1.0f), beta = attr_f(&node, "beta", 1.0f);
        int transA = (int)attr_i(&node, "transA", 0), transB = (int)attr_i(&node, "transB", 0);
        float *a = load_f32(test, "input_0", &ta);
        float *b = load_f32(test, "input_1", &tb);
        float *c = NULL;
        if (file_exists(test, "input_2"))
            c = load_f32(test, "input_2", &tc);
        float *want = load_f32(test, "output_0", &ty);
        assert_int_equal(ta.ndim, 2);
        assert_int_equal(tb.ndim, 2);
        int M = (int)ta.dims[transA], K = (int)ta.dims[1 - transA], N = (int)tb.dims[1 - transB];
        assert_int_equal(tb.dims[transB], K);
        float *A = transA ? transpose(a, K, M) : a;  /* A' [M x K] */
        float *Bn = transB ? transpose(b, N, K) : b; /* B' [K x N], for the bound and the plain paths */
        size_t cb = (size_t)M * N * sizeof(float);
        float *p[2] = {malloc(cb), malloc(cb)};
        if (transB) { /* the _bt variants take B as given */
            gd_gemm_ref_bt(M, N, K, A, b, p[0], 0);
            gd_gemm_fast_bt(M, N, K, A, b, p[1], 0);
        } else {
            gd_gemm_ref(M, N, K, A, Bn, p[0], 0);
            gd_gemm_fast(M, N, K, A, Bn, p[1], 0);
        }
        const char *pname[2] = {"ref", "fast"};
        for (int q = 0; q < 2; q++) {
            float *y = p[q];
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) {
                    float v = alpha * y[(size_t)i * N + j];
                    if (c) { /* unidirectional broadcast of C to [M, N] */
                        int64_t ci = 0;
                        if (tc.ndim == 2)
                            ci = (tc.dims[0] == 1 ? 0 : i) * tc.dims[1] + (tc.dims[1] == 1 ? 0 : j);
                        else if (tc.ndim == 1)
                            ci = tc.dims[0] == 1 ? 0 : j;
                        v = v + beta * c[ci];
                    }
                    y[(size_t)i * N + j] = v;
                }
            check_gemm_result(test, pname[q], M, N, K, A, Bn, alpha, y, want);
        }
        if (A != a)
            free(A);
        if (Bn != b)
            free(Bn);
        free(p[0]), free(p[1]), free(a), free(b), free(c), free(want);
        gd_onnx_tensor_free(&ta);
        gd_onnx_tensor_free(&tb);
        if (c)
            gd_onnx_tensor_free(&tc);
        gd_onnx_tensor_free(&ty);
    }
}

static void test_onnx_matmul(void **state)
{
    (void)state;
    const char *tests[] = {"test_matmul_2d", "test_matmul_3d", "test_matmul_4d"};
    for (size_t ti = 0; ti < 3; ti++) {
        gd_onnx_tensor ta, tb, ty;
        float *a = load_f32(tests[ti], "input_0", &ta);
        float *b = load_f32(tests[ti], "input_1", &tb);
        float *want = load_f32(tests[ti], "output_0", &ty);
        assert_int_equal(ta.ndim, tb.ndim);
        int nd = ta.ndim;
        int64_t batch = 1;
        for (int d = 0; d < nd - 2; d++) {
            assert_int_equal(ta.dims[d], tb.dims[d]); /* these tests do not broadcast */
            batch *= ta.dims[d];
        }
        int M = (int)ta.dims[nd - 2], K = (int)ta.dims[nd - 1], N = (int)tb.dims[nd - 1];
        assert_int_equal(tb.dims[nd - 2], K);
        assert_int_equal(ty.numel, batch * M * N);
        float *y = malloc((size_t)ty.numel * sizeof *y);
        for (int q = 0; q < 2; q++) {
            for (int64_t bi = 0; bi < batch; bi++) {
                const float *A = a + bi * M * K, *B = b + bi * K * N;
                float *Y = y + bi * M * N;
                (q ? gd_gemm_fast : gd_gemm_ref)(M, N, K, A, B, Y, 0);
                check_gemm_result(tests[ti], q ? "fast" : "ref", M, N, K, A, B, 1.0f, Y, want + bi * M * N);
            }
        }
        free(a), free(b), free(want), free(y);
        gd_onnx_tensor_free(&ta);
        gd_onnx_tensor_free(&tb);
        gd_onnx_tensor_free(&ty);
    }
}

/* ---- Cast --------------------------------------------------------------- */
/* Bit-exact.  FLOAT16: round to nearest even, overflow to inf (numpy
 * astype(float16)).  BFLOAT16: ONNX 1.12 generated its expected output by
 * TRUNCATING the fp32 bits (golden.md §A7: 12/12 match truncation, 7/12
 * match RNE), so it is compared with our toward-zero mode; the test also
 * checks that RNE really would disagree, so the choice stays visible. */
static void check_cast(const char *test, int want_type, gd_dtype to, gd_round r, int *rne_mismatches)
{
    gd_onnx_tensor tx, ty;
    float *x = load_f32(test, "input_0", &tx);
    load(test, "output_0", &ty);
    assert_int_equal(ty.data_type, want_type);
    assert_int_equal(tx.numel, ty.numel);
    const uint16_t *want = ty.data;
    *rne_mismatches = 0;
    for (int64_t i = 0; i < tx.numel; i++) {
        uint32_t got = gd_encode(to, x[i], r, GD_OVF_INF);
        if (got != want[i])
            fail_msg("%s: element %lld (%a): got 0x%04x, expected 0x%04x", test, (long long)i, (double)x[i], got,
                     want[i]);
        *rne_mismatches += gd_encode(to, x[i], GD_RND_NEAREST_EVEN, GD_OVF_INF) != want[i];
    }
    free(x);
    gd_onnx_tensor_free(&tx);
    gd_onnx_tensor_free(&ty);
}

static void test_onnx_cast(void **state)
{
    (void)state;
    int rne_mis;
    check_cast("test_cast_FLOAT_to_FLOAT16", GD_ONNX_FLOAT16, GD_F16, GD_RND_NEAREST_EVEN, &rne_mis);
    assert_int_equal(rne_mis, 0);
    /* ONNX 1.12 stores this expected bf16 output as UINT16 bit patterns */
    check_cast("test_cast_FLOAT_to_BFLOAT16", GD_ONNX_UINT16, GD_BF16, GD_RND_TOWARD_ZERO, &rne_mis);
    assert_true(rne_mis > 0); /* truncation, not RNE, is what the file holds */
}

/* ---- the reader itself -------------------------------------------------- */

static void read_bytes(const char *test, const char *name, uint8_t **buf, size_t *n)
{
    char path[1024];
    es_err e;
    require_data();
    snprintf(path, sizeof path, "%s/%s/test_data_set_0/%s.pb", data_dir(), test, name);
    char *b;
    if (es_read_file(path, &b, n, &e))
        fail_msg("%s", e.msg);
    *buf = (uint8_t *)b;
}

static void test_reader_fields(void **state)
{
    (void)state;
    gd_onnx_tensor t;
    es_err e;
    load("test_layer_normalization_4d_axis1", "input_0", &t);
    assert_string_equal(t.name, "X");
    assert_int_equal(t.ndim, 4);
    assert_int_equal(t.numel, t.dims[0] * t.dims[1] * t.dims[2] * t.dims[3]);
    gd_onnx_tensor_free(&t);
    load("test_gemm_default_scalar_bias", "input_2", &t); /* a 0-d tensor */
    assert_int_equal(t.ndim, 0);
    assert_int_equal(t.numel, 1);
    gd_onnx_tensor_free(&t);
    gd_onnx_node node;
    load_node("test_gemm_all_attributes", &node);
    assert_string_equal(node.op_type, "Gemm");
    assert_int_equal(attr_i(&node, "transA", 0), 1);
    assert_int_equal(attr_i(&node, "transB", 0), 1);
    assert_int_equal(gd_onnx_attr_find(&node, "alpha")->type, 1); /* FLOAT */

    /* typed fields (the test files use raw_data): float_data packed, then
     * fp16 bit patterns and a negative int32 in unpacked int32_data */
    const uint8_t fl[] = {0x08, 0x02, 0x10, 0x01, 0x22, 0x08, 0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0};
    assert_int_equal(gd_onnx_parse_tensor("fl", fl, sizeof fl, &t, &e), 0);
    float *v = gd_onnx_tensor_f32(&t, &e);
    assert_true(v[0] == 1.0f && v[1] == -2.0f);
    free(v);
    gd_onnx_tensor_free(&t);
    const uint8_t h[] = {0x08, 0x02, 0x10, 0x0A, 0x28, 0x80, 0x78, 0x28, 0x80, 0x80, 0x03};
    assert_int_equal(gd_onnx_parse_tensor("h", h, sizeof h, &t, &e), 0);
    v = gd_onnx_tensor_f32(&t, &e);
    assert_true(v[0] == 1.0f && v[1] == -2.0f);
    free(v);
    gd_onnx_tensor_free(&t);
    const uint8_t i32[] = {0x08, 0x01, 0x10, 0x06, 0x28, 0xFB, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
    assert_int_equal(gd_onnx_parse_tensor("i", i32, sizeof i32, &t, &e), 0);
    assert_int_equal(((int32_t *)t.data)[0], -5);
    gd_onnx_tensor_free(&t);
    /* int8 in int32_data: -5 is read, 300 is out of range (not truncated to 44) */
    const uint8_t i8[] = {0x08, 0x01, 0x10, 0x03, 0x28, 0xFB, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
    assert_int_equal(gd_onnx_parse_tensor("i8", i8, sizeof i8, &t, &e), 0);
    assert_int_equal(((int8_t *)t.data)[0], -5);
    gd_onnx_tensor_free(&t);
    const uint8_t i8big[] = {0x08, 0x01, 0x10, 0x03, 0x28, 0xAC, 0x02};
    assert_int_equal(gd_onnx_parse_tensor("i8big", i8big, sizeof i8big, &t, &e), -1);
    assert_non_null(strstr(e.msg, "value 300 out of range"));
    assert_null(t.data);
}

/* Every strict prefix of a real file is an error naming the source, random
 * corruptions never crash (run under ASan in the sanitizer build), and a
 * truncated file on disk and a missing file are errors naming the path. */
static void test_reader_corrupt_and_truncated(void **state)
{
    (void)state;
    uint8_t *buf;
    size_t n;
    es_err e;
    gd_onnx_tensor t;
    read_bytes("test_gemm_default_vector_bias", "input_0", &buf, &n);
    assert_int_equal(gd_onnx_parse_tensor("whole.pb", buf, n, &t, &e), 0);
    gd_onnx_tensor_free(&t);
    for (size_t len = 0; len < n; len++) {
        uint8_t *cut = malloc(len + 1); /* exact size, so ASan sees any overread */
        memcpy(cut, buf, len);
        if (gd_onnx_parse_tensor("cut.pb", cut, len, &t, &e) == 0)
            fail_msg("prefix of %zu of %zu bytes accepted", len, n);
        assert_true(strncmp(e.msg, "cut.pb:", 7) == 0);
        assert_null(t.data);
        free(cut);
    }
    es_rng r;
    es_rng_seed(&r, 99);
    int rejected = 0;
    for (int trial = 0; trial < 2000; trial++) {
        uint8_t *bad = malloc(n);
        memcpy(bad, buf, n);
        int flips = 1 + (int)es_rng_below(&r, 3);
        for (int f = 0; f < flips; f++)
            bad[es_rng_below(&r, n)] ^= (uint8_t)(1u << es_rng_below(&r, 8));
        if (gd_onnx_parse_tensor("bad.pb", bad, n, &t, &e) == 0)
            gd_onnx_tensor_free(&t);
        else {
            rejected++;
            assert_true(strncmp(e.msg, "bad.pb:", 7) == 0);
        }
        free(bad);
    }
    assert_true(rejected > 0);
    /* a length that points past the end, and an endless varint */
    const uint8_t longlen[] = {0x4A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00};
    assert_int_equal(gd_onnx_parse_tensor("len.pb", longlen, sizeof longlen, &t, &e), -1);
    assert_non_null(strstr(e.msg, "past the end"));
    const uint8_t endless[] = {0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    assert_int_equal(gd_onnx_parse_tensor("v.pb", endless, sizeof endless, &t, &e), -1);
    assert_non_null(strstr(e.msg, "varint"));

    char path[] = "/tmp/es_onnx_truncXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, n / 2), (ssize_t)(n / 2));
    close(fd);
    assert_int_equal(gd_onnx_read_tensor(path, &t, &e), -1);
    assert_non_null(strstr(e.msg, path));
    unlink(path);
    assert_int_equal(gd_onnx_read_tensor("/nonexistent/input_0.pb", &t, &e), -1);
    assert_non_null(strstr(e.msg, "/nonexistent/input_0.pb"));
    gd_onnx_node node;
    assert_int_equal(gd_onnx_parse_node("m.onnx", buf, n, &node, &e), -1); /* a tensor is not a model */
    assert_non_null(strstr(e.msg, "m.onnx"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_onnx_softmax),
        cmocka_unit_test(test_onnx_layernorm),
        cmocka_unit_test(test_onnx_gemm),
        cmocka_unit_test(test_onnx_matmul),
        cmocka_unit_test(test_onnx_cast),
        cmocka_unit_test(test_reader_fields),
        cmocka_unit_test(test_reader_corrupt_and_truncated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
