/* golden's ggml blocks against ggml itself: tests/golden/data/ggml-blocks.txt
 * holds ggml's reference quantization (quantize_row_*_ref, dequantize_row_*,
 * the generic vec_dot kernels) of 10 rows of 512 inputs chosen for the
 * rounding edges (ties on a grid, zero and tiny blocks, fp16-subnormal
 * scales, outliers, a block whose extreme is negative), produced by
 * tests/golden/data/ggml-gen.c built against ggml-org/ggml.  golden must give
 * the same bytes, the same dequantized floats and the same dot products. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/quant.h"

#define N 512

typedef struct {
    FILE *f;
    char *line;
    size_t cap;
} vec_file;

/* Reads the next line, which must start with `tag `, as hex into out (n bytes). */
static void read_hex(vec_file *v, const char *tag, void *out, size_t n)
{
    assert_true(getline(&v->line, &v->cap, v->f) > 0);
    size_t tl = strlen(tag);
    if (strncmp(v->line, tag, tl) || v->line[tl] != ' ')
        fail_msg("ggml-blocks.txt: expected '%s', got '%.20s'", tag, v->line);
    const char *h = v->line + tl + 1;
    uint8_t *b = out;
    for (size_t i = 0; i < n; i++) {
        unsigned x;
        assert_int_equal(sscanf(h + 2 * i, "%2x", &x), 1);
        b[i] = (uint8_t)x;
    }
    assert_true(h[2 * n] == '\n' || h[2 * n] == 0);
}

static void test_against_ggml(void **st)
{
    (void)st;
    vec_file v = {fopen(EINSIM_SRCDIR "/tests/golden/data/ggml-blocks.txt", "r"), NULL, 0};
    assert_non_null(v.f);
    int rows = 0, n = 0;
    while (getline(&v.line, &v.cap, v.f) > 0 && v.line[0] == '#')
        ;
    assert_int_equal(sscanf(v.line, "rows %d n %d", &rows, &n), 2);
    assert_int_equal(n, N);
    static float x[16][N];
    static gd_block_q8_0 q8[16][N / 32];
    static gd_block_q8_k k8[16][N / 256];
    int checked = 0;
    for (int r = 0; r < rows && r < 16; r++) {
        assert_true(getline(&v.line, &v.cap, v.f) > 0); /* "row r" */
        static gd_block_q8_0 w8[N / 32];
        static gd_block_q4_0 w4[N / 32], g4[N / 32];
        static gd_block_q4_k wk[N / 256], gk[N / 256];
        static gd_block_q8_k wk8[N / 256];
        static float want[N], got[N];
        read_hex(&v, "x", x[r], sizeof x[r]);
        read_hex(&v, "q8_0", w8, sizeof w8);
        gd_q8_0_quantize(N, x[r], q8[r]);
        assert_memory_equal(q8[r], w8, sizeof w8);
        read_hex(&v, "q4_0", w4, sizeof w4);
        gd_q4_0_quantize(N, x[r], g4);
        assert_memory_equal(g4, w4, sizeof w4);
        read_hex(&v, "q4_k", wk, sizeof wk);
        gd_q4_k_quantize(N, x[r], gk);
        assert_memory_equal(gk, wk, sizeof wk);
        read_hex(&v, "q8_k", wk8, sizeof wk8);
        gd_q8_k_quantize(N, x[r], k8[r]);
        for (int b = 0; b < N / 256; b++) {
            assert_memory_equal(&k8[r][b].d, &wk8[b].d, sizeof wk8[b].d);
            assert_memory_equal(k8[r][b].qs, wk8[b].qs, sizeof wk8[b].qs);
            /* ggml leaves an all-zero block's bsums unwritten (the file has
             * whatever its buffer held); golden zeroes them */
            if (wk8[b].d != 0)
                assert_memory_equal(k8[r][b].bsums, wk8[b].bsums, sizeof wk8[b].bsums);
        }
        read_hex(&v, "dq8_0", want, sizeof want);
        gd_q8_0_dequantize(N, q8[r], got);
        assert_memory_equal(got, want, sizeof want);
        read_hex(&v, "dq4_0", want, sizeof want);
        gd_q4_0_dequantize(N, g4, got);
        assert_memory_equal(got, want, sizeof want);
        read_hex(&v, "dq4_k", want, sizeof want);
        gd_q4_k_dequantize(N, gk, got);
        assert_memory_equal(got, want, sizeof want);
        /* dots against the next row's activations: keep this row's weights */
        float d8, d4, dk;
        read_hex(&v, "dot_q8_0", &d8, 4);
        read_hex(&v, "dot_q4_0", &d4, 4);
        read_hex(&v, "dot_q4_k", &dk, 4);
        static gd_block_q4_0 keep4[16][N / 32];
        static gd_block_q4_k keepk[16][N / 256];
        static float dots[16][3];
        memcpy(keep4[r], g4, sizeof g4), memcpy(keepk[r], gk, sizeof gk);
        dots[r][0] = d8, dots[r][1] = d4, dots[r][2] = dk;
        if (r == rows - 1)
            for (int i = 0; i < rows; i++) {
                int j = (i + 1) % rows;
                float g8 = gd_q8_0_dot(N, q8[i], q8[j]), g40 = gd_q4_0_dot(N, keep4[i], q8[j]),
                      gkk = gd_q4_k_dot(N, keepk[i], k8[j]);
                if (memcmp(&g8, &dots[i][0], 4) || memcmp(&g40, &dots[i][1], 4) || memcmp(&gkk, &dots[i][2], 4))
                    print_message("row %d: q8_0 %a %a  q4_0 %a %a  q4_k %a %a\n", i, g8, dots[i][0], g40, dots[i][1], gkk, dots[i][2]);
                assert_memory_equal(&g8, &dots[i][0], 4);
                assert_memory_equal(&g40, &dots[i][1], 4);
                assert_memory_equal(&gkk, &dots[i][2], 4);
            }
        checked++;
    }
    assert_int_equal(checked, rows);
    free(v.line);
    fclose(v.f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_against_ggml)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
