/* golden room: .safetensors reader/writer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "golden/base/io.h"
#include "golden/numfmt.h"
#include "golden/safetensors.h"

static char path[64];

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof path, "/tmp/einsim-st-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

/* Write a file from a header text and raw data bytes. */
static void write_raw(const char *hdr, const void *data, size_t n)
{
    size_t hl = strlen(hdr);
    unsigned char *buf = malloc(8 + hl + n);
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(buf + 8, hdr, hl);
    memcpy(buf + 8 + hl, data, n);
    es_err e;
    assert_int_equal(es_write_file(path, buf, 8 + hl + n, &e), 0);
    free(buf);
}

static void expect_open_error(const char *needle)
{
    gd_safetensors st;
    es_err e;
    assert_int_equal(gd_st_open(&st, path, &e), -1);
    if (!strstr(e.msg, needle))
        fprintf(stderr, "message '%s' lacks '%s'\n", e.msg, needle);
    assert_non_null(strstr(e.msg, needle));
    assert_non_null(strstr(e.msg, path));
    assert_null(strchr(e.msg, '\n'));
}

static void test_round_trip(void **state)
{
    (void)state;
    float a[6] = {1.5f, -2.25f, 0.1f, 3e-6f, 65504.0f, -0.0f};
    float b[4] = {1e-8f, 7.0f, -1.0f / 3.0f, 1e30f};
    float c[3] = {0.1f, 1.01171875f, -2.71828f};
    gd_st_write_entry ent[3] = {
        {"model.a", GD_ST_F32, 2, {2, 3}, a},
        {"b", GD_ST_F16, 1, {4}, b},
        {"c.weight", GD_ST_BF16, 3, {1, 3, 1}, c},
    };
    es_err e;
    assert_int_equal(gd_st_write(path, ent, 3, &e), 0);
    gd_safetensors st;
    assert_int_equal(gd_st_open(&st, path, &e), 0);
    assert_int_equal(st.n, 3);
    const gd_st_tensor *t = gd_st_find(&st, "b");
    assert_non_null(t);
    assert_int_equal(t->dtype, GD_ST_F16);
    assert_int_equal(t->end - t->begin, 8);
    float got[6];
    assert_int_equal(gd_st_read_f32(&st, "model.a", 2, (int64_t[]){2, 3}, got, &e), 0);
    assert_memory_equal(got, a, sizeof a);
    assert_int_equal(gd_st_read_f32(&st, "b", 1, (int64_t[]){4}, got, &e), 0);
    for (int i = 0; i < 4; i++) {
        float want = gd_f16_to_f32(gd_f32_to_f16(b[i], GD_RND_NEAREST_EVEN, GD_OVF_INF));
        assert_memory_equal(&got[i], &want, 4);
    }
    assert_true(got[1] == 7.0f);
    assert_true(isinf(got[3])); /* 1e30 overflows fp16 */
    assert_int_equal(gd_st_read_f32(&st, "c.weight", 3, (int64_t[]){1, 3, 1}, got, &e), 0);
    assert_true(got[0] == gd_bf16_to_f32(0x3DCD)); /* RNE values from golden.md appendix */
    assert_true(got[1] == gd_bf16_to_f32(0x3F82));
    assert_true(got[2] == gd_bf16_to_f32(0xC02E));
    gd_st_close(&st);
    /* The header is padded to 8 bytes, so the data starts aligned. */
    char *raw;
    size_t n;
    assert_int_equal(es_read_file(path, &raw, &n, &e), 0);
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--)
        hl = (hl << 8) | (unsigned char)raw[i];
    assert_int_equal(hl % 8, 0);
    assert_int_equal(n, 8 + hl + 24 + 8 + 6);
    free(raw);
}

/* Hand-written bytes: F16 1.0 = 0x3C00, -2.0 = 0xC000; BF16 pi-ish 0x4049. */
static void test_known_bytes(void **state)
{
    (void)state;
    const unsigned char data[] = {0x00, 0x3C, 0x00, 0xC0, 0x49, 0x40, 0, 0, 0x80, 0x3F};
    write_raw("{\"__metadata__\":{\"format\":\"pt\"},"
              "\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
              "\"g\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[4,6]},"
              "\"f\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[6,10]}}",
              data, sizeof data);
    gd_safetensors st;
    es_err e;
    assert_int_equal(gd_st_open(&st, path, &e), 0);
    float v[2];
    assert_int_equal(gd_st_read_f32(&st, "h", 1, (int64_t[]){2}, v, &e), 0);
    assert_true(v[0] == 1.0f && v[1] == -2.0f);
    assert_int_equal(gd_st_read_f32(&st, "g", 1, (int64_t[]){1}, v, &e), 0);
    assert_true(v[0] == 3.140625f);
    assert_int_equal(gd_st_read_f32(&st, "f", 0, NULL, v, &e), 0);
    assert_true(v[0] == 1.0f);
    gd_st_close(&st);
}

static void test_missing_and_wrong_shape(void **state)
{
    (void)state;
    float a[6] = {0};
    gd_st_write_entry ent = {"h.0.attn.c_attn.weight", GD_ST_F32, 2, {2, 3}, a};
    es_err e;
    assert_int_equal(gd_st_write(path, &ent, 1, &e), 0);
    gd_safetensors st;
    assert_int_equal(gd_st_open(&st, path, &e), 0);
    float got[6];
    assert_int_equal(gd_st_read_f32(&st, "h.0.attn.c_attn.weight", 2, (int64_t[]){3, 2}, got, &e), -1);
    char want[256];
    snprintf(want, sizeof want, "%s: tensor 'h.0.attn.c_attn.weight': shape [2, 3], expected [3, 2]", path);
    assert_string_equal(e.msg, want);
    assert_int_equal(gd_st_read_f32(&st, "wte.weight", 2, (int64_t[]){2, 3}, got, &e), -1);
    snprintf(want, sizeof want, "%s: tensor 'wte.weight' not found", path);
    assert_string_equal(e.msg, want);
    gd_st_close(&st);
    /* Integer tensors are not weights. */
    const unsigned char d8[2] = {1, 2};
    write_raw("{\"ids\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[0,2]}}", d8, 2);
    assert_int_equal(gd_st_open(&st, path, &e), 0);
    assert_int_equal(gd_st_read_f32(&st, "ids", 1, (int64_t[]){2}, got, &e), -1);
    assert_non_null(strstr(e.msg, "tensor 'ids': dtype I8"));
    gd_st_close(&st);
}

static void test_corrupt_and_truncated(void **state)
{
    (void)state;
    float a[6] = {1, 2, 3, 4, 5, 6};
    gd_st_write_entry ent = {"w", GD_ST_F32, 2, {2, 3}, a};
    es_err e;
    assert_int_equal(gd_st_write(path, &ent, 1, &e), 0);
    char *raw;
    size_t n;
    assert_int_equal(es_read_file(path, &raw, &n, &e), 0);
    /* Truncated inside the data. */
    assert_int_equal(es_write_file(path, raw, n - 5, &e), 0);
    expect_open_error("truncated safetensors file: tensor 'w' ends at byte 24");
    /* Truncated inside the header. */
    assert_int_equal(es_write_file(path, raw, 20, &e), 0);
    expect_open_error("header length");
    /* Shorter than the length field. */
    assert_int_equal(es_write_file(path, raw, 5, &e), 0);
    expect_open_error("truncated safetensors file: 5 bytes");
    /* Garbage header length. */
    raw[7] = 0x7f;
    assert_int_equal(es_write_file(path, raw, n, &e), 0);
    expect_open_error("header length");
    free(raw);
    /* Not JSON, unknown dtype, offsets inconsistent with shape, overlap. */
    static const unsigned char z[48];
    write_raw("{\"w\": {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0, 24]", z, 24);
    expect_open_error("corrupt safetensors header: header:1:63: not valid JSON");
    write_raw("{\"w\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", z, 8);
    expect_open_error("tensor 'w': unknown dtype 'Q4'");
    write_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", z, 24);
    expect_open_error("tensor 'w': F32 shape needs 24 bytes but data_offsets span 20");
    write_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[-2,3],\"data_offsets\":[0,24]}}", z, 24);
    expect_open_error("tensor 'w': shape entries");
    write_raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
              "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}",
              z, 24);
    expect_open_error("tensors 'a' and 'b' overlap");
    write_raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[4]}}", z, 16);
    expect_open_error("tensor 'a': header entry needs");
    write_raw("[1, 2]", z, 0);
    expect_open_error("not a JSON object");
    /* Missing file. */
    gd_safetensors st;
    assert_int_equal(gd_st_open(&st, "/nonexistent/x.safetensors", &e), -1);
    assert_non_null(strstr(e.msg, "/nonexistent/x.safetensors: cannot open"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_known_bytes),
        cmocka_unit_test(test_missing_and_wrong_shape),
        cmocka_unit_test(test_corrupt_and_truncated),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
