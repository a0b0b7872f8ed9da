/* sim/pim: the all-bank MAC row time, the bank MAC unit's arithmetic, the
 * ASIC's approximations against golden's kernels, fast-forward == full
 * simulation, every decode stream through the DRAM checker, spec errors. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "golden/base/io.h"
#include "golden/base/rng.h"
#include "golden/kernels.h"
#include "golden/numfmt.h"
#include "sim/pim/ctl.h"
#include "sim/pim/pim.h"

static pim_arch *load(const char *name)
{
    static pim_arch a;
    es_err e;
    if (pim_arch_load(name, &a, &e))
        fail_msg("%s", e.msg);
    return &a;
}

/* AiM timing: ACT16 -> MAC16 after tRCDMAC 56, 64 MAC16 at tCCD 2, PREA
 * after tRTP 12, next ACT16 after tRP 32: 56 + 63 x 2 + 12 + 32 = 226. */
static void test_allbank_row_226(void **state)
{
    (void)state;
    pim_arch *a = load("pimgpt");
    pim_ctl c;
    es_err e;
    assert_int_equal(pim_ctl_init(&c, a, 0, 1, &e), 0);
    pim_row_cmd row[66];
    int n = 0;
    row[n++] = (pim_row_cmd){DR_ACT16, 0, PIM_T_MAC, 0};
    for (int k = 0; k < 64; k++)
        row[n++] = (pim_row_cmd){DR_MAC16, 0, PIM_T_MAC, (uint16_t)k};
    row[n++] = (pim_row_cmd){DR_PREA, 0, PIM_T_MAC, 0};
    assert_int_equal(pim_ctl_rows(&c, 3, row, n, 0, &e), 0);
    const dr_stream *s = c.stream;
    assert_int_equal(s->n, 3 * 66);
    assert_int_equal(s->v[0].kind, DR_ACT16);
    assert_int_equal(s->v[1].t, 56);                 /* first MAC16: tRCDMAC */
    assert_int_equal(s->v[64].t, 56 + 63 * 2);       /* last MAC16: one per tCCD */
    assert_int_equal(s->v[65].t, 56 + 63 * 2 + 12);  /* PREA: tRTP */
    assert_int_equal(s->v[66].t, 226);               /* next ACT16: tRP */
    assert_int_equal(s->v[132].t, 2 * 226);
    dr_spec one = a->dram;
    one.org.channels = 1;
    assert_int_equal(dr_check(&one, s->v, s->n, NULL, 0), 0);
    pim_ctl_free(&c);
}

/* Many identical rows across refreshes: fast-forward == full. */
static void test_rows_fast_forward(void **state)
{
    (void)state;
    pim_arch *a = load("pimgpt");
    pim_row_cmd row[80];
    int n = 0;
    row[n++] = (pim_row_cmd){DR_ACT16, 0, PIM_T_MAC, 0};
    for (int s = 0; s < 2; s++) {
        for (int k = 0; k < 24; k++)
            row[n++] = (pim_row_cmd){DR_MAC16, 0, PIM_T_MAC, (uint16_t)(s * 24 + k)};
        row[n++] = (pim_row_cmd){DR_RDMAC16, 0, PIM_T_MOVE, 0};
    }
    row[n++] = (pim_row_cmd){DR_PREA, 0, PIM_T_MAC, 0};
    uint64_t now[2], cmds[2][DR_NCMD], ff = 0;
    dr_stats st[2];
    for (int f = 0; f < 2; f++) {
        pim_ctl c;
        es_err e;
        assert_int_equal(pim_ctl_init(&c, a, f, 0, &e), 0);
        assert_int_equal(pim_ctl_write_gb(&c, 48, &e), 0);
        assert_int_equal(pim_ctl_rows(&c, 997, row, n, 0, &e), 0);
        now[f] = c.now;
        memcpy(cmds[f], c.cmds, sizeof cmds[f]);
        if (f)
            ff = c.ff_cmds;
        pim_ctl_finish(&c, c.now + 100, &st[f]);
        pim_ctl_free(&c);
    }
    assert_true(ff > 0);
    assert_int_equal(now[0], now[1]);
    assert_memory_equal(cmds[0], cmds[1], sizeof cmds[0]);
    assert_true(cmds[0][DR_REFAB] > 10);
    assert_int_equal(st[0].active_cycles, st[1].active_cycles);
    assert_true(fabs(st[0].energy_idd_pj - st[1].energy_idd_pj) <= 1e-12 * st[0].energy_idd_pj);
}

static uint16_t bf16(float x)
{
    return gd_f32_to_bf16(x, GD_RND_NEAREST_EVEN, GD_OVF_INF);
}

static float from_bf16(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* A bank's dot product of a 2 KB row (64 columns of 16 BF16) with the
 * global buffer equals golden's GEMM on the same BF16 values. */
static void test_mac_unit_vs_golden(void **state)
{
    (void)state;
    es_rng r;
    es_rng_seed(&r, 7);
    uint16_t row[1024], gb[1024];
    float fr[1024], fg[1024];
    for (int i = 0; i < 1024; i++) {
        row[i] = bf16(es_rng_uniform(&r, -1, 1));
        gb[i] = bf16(es_rng_uniform(&r, -1, 1));
        fr[i] = from_bf16(row[i]);
        fg[i] = from_bf16(gb[i]);
    }
    float acc = 0;
    for (int c = 0; c < 64; c++)
        acc = pim_mac_column(acc, row + 16 * c, gb + 16 * c, 16);
    float ref = 0;
    gd_gemm_ref(1, 1, 1024, fr, fg, &ref, 0);
    assert_true(fabsf(acc - ref) <= 1e-5f * 32);
    /* exact on values whose sums are exact */
    for (int i = 0; i < 16; i++)
        row[i] = bf16((float)(i + 1)), gb[i] = bf16(2.0f);
    assert_true(pim_mac_column(1.0f, row, gb, 16) == 1.0f + 2.0f * 136.0f);
}

/* The ASIC's Taylor exp, Newton-Raphson reciprocal, fast inverse square
 * root, softmax, LayerNorm and GELU against golden's kernels. */
static void test_asic_vs_golden(void **state)
{
    (void)state;
    pim_arch *a = load("pimgpt");
    const pim_asic *A = &a->asic;
    es_rng r;
    es_rng_seed(&r, 3);
    for (int i = 0; i < 2000; i++) {
        float x = es_rng_uniform(&r, -20, 20);
        assert_true(fabsf(pim_asic_exp(x, A->exp_terms) - expf(x)) <= 4e-6f * expf(x));
        float p = es_rng_uniform(&r, 1e-3f, 1e4f);
        assert_true(fabsf(pim_asic_recip(p, A->recip_iters) * p - 1) < 1e-6f);
        assert_true(fabsf(pim_asic_rsqrt(p, A->rsqrt_iters) * sqrtf(p) - 1) < 5e-6f);
        float g = es_rng_uniform(&r, -8, 8);
        assert_true(fabsf(pim_asic_gelu_tanh(g, A->exp_terms, A->recip_iters) - gd_gelu_tanh(g)) < 1e-5f);
    }
    enum { N = 1537 };
    static float x[N], y[N], ref[N], gam[N], bet[N];
    for (int i = 0; i < N; i++) {
        x[i] = (float)es_rng_normal(&r) * 3;
        gam[i] = es_rng_uniform(&r, 0.5f, 1.5f);
        bet[i] = es_rng_uniform(&r, -0.5f, 0.5f);
    }
    pim_asic_softmax(A, N, x, y);
    gd_softmax_3pass(1, N, x, ref);
    for (int i = 0; i < N; i++)
        assert_true(fabsf(y[i] - ref[i]) <= 1e-5f * ref[i] + 1e-12f);
    pim_asic_layernorm(A, N, x, gam, bet, 1e-5f, y);
    gd_layernorm(1, N, x, gam, bet, 1e-5f, ref);
    for (int i = 0; i < N; i++)
        assert_true(fabsf(y[i] - ref[i]) < 1e-4f);
    /* timing: ceil(n ops / lanes) + reductions + latency */
    assert_int_equal(pim_asic_cycles(A, PIM_ASIC_RESIDUAL, 2048), 2048 / A->lanes + A->latency);
    assert_int_equal(pim_asic_cycles(A, PIM_ASIC_LAYERNORM, 2048), 5 * 2048 / A->lanes + 2 * 8 + A->latency);
}

/* Whole decodes: fast-forward == full, and the full stream passes the
 * independent DRAM checker, on both bundled PIM archs and every mapping. */
static void test_decode_ff_and_checker(void **state)
{
    (void)state;
    const char *archs[] = {"pimgpt", "pimgpt-hbm"};
    for (int ai = 0; ai < 2; ai++) {
        pim_arch *a = load(archs[ai]);
        md_model m;
        es_err e;
        assert_int_equal(md_model_load("gpt2-small", &m, &e), 0);
        m.n_layers = 2;
        for (int mi = 0; mi < 16; mi++) {
            pim_mapping mp = {mi & 1, (mi >> 1) & 1, (mi >> 2) & 1, (mi >> 3) & 1};
            pim_result x[2];
            for (int f = 0; f < 2; f++) {
                pim_opts o = {.prompt = 100 + 300 * (mi & 1), .gen = 2, .fast_forward = f, .record = !f,
                              .mapping = &mp};
                if (pim_decode(a, &m, &o, &x[f], &e))
                    fail_msg("%s mapping %d: %s", archs[ai], mi, e.msg);
            }
            assert_true(x[0].check_violations == 0);
            assert_int_equal(x[0].cycles, x[1].cycles);
            assert_memory_equal(x[0].cmds, x[1].cmds, sizeof x[0].cmds);
            assert_memory_equal(x[0].time_cycles, x[1].time_cycles, sizeof x[0].time_cycles);
            assert_true(fabs(x[0].energy_pj - x[1].energy_pj) <= 1e-12 * x[0].energy_pj);
            if (x[0].row_hit_rate <= 0.5)
                fail_msg("%s mapping %d: row-hit rate %g", archs[ai], mi, x[0].row_hit_rate);
            /* never faster than the in-bank MAC bandwidth allows */
            assert_true(x[0].seconds / 2 >= x[0].bound_s_per_token);
            uint64_t sum = 0;
            for (int k = 0; k < PIM_T_N; k++)
                sum += x[0].time_cycles[k];
            assert_int_equal(sum, x[0].cycles);
        }
    }
}

/* Functional mode: the decode with values through the banks and the ASIC
 * against golden's forward, on a small GPT-2-shaped model, for mappings
 * that change the arithmetic (chunks, channel slices, cache on the ASIC). */
static void test_functional(void **state)
{
    (void)state;
    pim_arch *a = load("pimgpt");
    md_model m;
    es_err e;
    assert_int_equal(md_model_load("gpt2-small", &m, &e), 0);
    m.n_layers = 2, m.d_model = 256, m.n_heads = m.n_kv_heads = 4, m.head_dim = 64, m.ffn_dim = 1280;
    m.vocab = 700, m.max_seq = 2048;
    pim_mapping maps[3] = {a->mapping, {1, 1, 1, 0}, {0, 1, 0, 0}};
    for (int i = 0; i < 3; i++) {
        pim_opts o = {.prompt = 1030, .gen = 2, .mapping = &maps[i]}; /* context > one 1024-element row */
        pim_func_result fr;
        if (pim_functional(a, &m, &o, 5, &fr, &e))
            fail_msg("%s", e.msg);
        assert_int_equal(fr.tokens, 2);
        assert_true(fr.max_rel_err > 0);                  /* BF16 is not fp32 */
        assert_true(fr.max_rel_err < PIM_FUNC_TOLERANCE); /* but close */
        assert_int_equal(fr.argmax_agree, 2);
    }
    m.family = MD_FAM_LLAMA;
    pim_opts o = {.prompt = 4, .gen = 1};
    pim_func_result fr;
    assert_int_equal(pim_functional(a, &m, &o, 5, &fr, &e), -1);
    assert_non_null(strstr(e.msg, "GPT-2 family"));
}

static void expect_bad(const char *from, const char *to, const char *msg)
{
    char path[1024];
    es_err e;
    assert_int_equal(es_find_bundled("arch", "pimgpt", ".yaml", path, sizeof path, &e), 0);
    char *text;
    size_t n;
    assert_int_equal(es_read_file(path, &text, &n, &e), 0);
    char *p = strstr(text, from);
    assert_non_null(p);
    size_t lf = strlen(from), lt = strlen(to);
    char *t = malloc(n + lt + 1);
    memcpy(t, text, (size_t)(p - text));
    memcpy(t + (p - text), to, lt);
    strcpy(t + (p - text) + lt, p + lf);
    pim_arch a;
    assert_int_equal(pim_arch_parse("bad.yaml", t, &a, &e), -1);
    if (!strstr(e.msg, msg) || !strstr(e.msg, "bad.yaml:"))
        fail_msg("'%s' lacks '%s'", e.msg, msg);
    free(t);
    free(text);
}

static void test_arch_errors(void **state)
{
    (void)state;
    expect_bad("channels: 8", "channels: 0", "channels");
    expect_bad("cols: 16 ", "cols: 8 ", "must equal the timing set's burst");
    expect_bad("dram: gddr6-aim", "dram: gddr6", "no PIM timing");
    expect_bad("dram: gddr6-aim", "dram: nosuch", "timing set 'nosuch'");
    expect_bad("  overlap: false", "  overlapp: false", "did you mean");
    expect_bad("number_format: bf16", "number_format: fp16", "MAC units are BF16");
    expect_bad("kind: vector-asic", "kind: vector", "key 'units.asic.clock_hz': unknown key 'clock_hz'");
    expect_bad("kind: pim-banks", "kind: pim-bank", "expected array2d, array1d, vector, pim-banks or vector-asic");
    assert_true(pim_arch_is("pimgpt"));
    assert_false(pim_arch_is("fusemax"));
    assert_false(pim_arch_is("no-such-arch"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allbank_row_226),      cmocka_unit_test(test_rows_fast_forward),
        cmocka_unit_test(test_mac_unit_vs_golden),   cmocka_unit_test(test_asic_vs_golden),
        cmocka_unit_test(test_decode_ff_and_checker), cmocka_unit_test(test_arch_errors),
        cmocka_unit_test(test_functional),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
