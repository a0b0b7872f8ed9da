/* golden number formats and tensors: every rounding mode and overflow policy
 * of every format against an independent brute-force oracle, round trips,
 * subnormals, NaN/inf, and the verified vectors of golden.md Appendix 0. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/numfmt.h"
#include "golden/tensor.h"

static const gd_dtype FLOATS[] = {GD_F16, GD_BF16, GD_E4M3, GD_E5M2};
static const gd_round ROUNDS[] = {GD_RND_NEAREST_EVEN, GD_RND_NEAREST_AWAY, GD_RND_TOWARD_ZERO};

static float f_of(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static uint32_t bits_of(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static int width_of(gd_dtype t) { return t == GD_F16 || t == GD_BF16 ? 16 : 8; }

/* ---- brute-force oracle ------------------------------------------------
 * All non-negative finite values of a format, in bit-pattern order (which is
 * value order), found by decoding every pattern.  Rounding then means picking
 * a neighbour in that list: no shifting, no exponent arithmetic, so it shares
 * nothing with the encoder but the decoder (which the round-trip test pins). */
typedef struct oracle {
    gd_dtype t;
    int n;          /* finite non-negative values: patterns 0..n-1 */
    double v[1 << 15];
    uint32_t inf_or_nan; /* pattern for GD_OVF_INF overflow */
} oracle;

static oracle *oracle_new(gd_dtype t)
{
    oracle *o = calloc(1, sizeof *o);
    o->t = t;
    uint32_t half = 1u << (width_of(t) - 1);
    for (uint32_t b = 0; b < half; b++) {
        float f = gd_decode(t, b);
        if (!isfinite(f))
            break;
        o->v[o->n++] = f;
    }
    o->inf_or_nan = (uint32_t)o->n; /* first non-finite pattern: inf (IEEE) or 0x7F (E4M3 NaN) */
    return o;
}

static uint32_t oracle_round(const oracle *o, float x, gd_round r, gd_overflow ovf)
{
    uint32_t sign = signbit(x) ? 1u << (width_of(o->t) - 1) : 0;
    double a = fabs((double)x);
    int last = o->n - 1;
    double next_over = o->v[last] + (o->v[last] - o->v[last - 1]); /* successor of max, unbounded */
    uint32_t pick;
    if (a >= next_over) {
        pick = (uint32_t)o->n; /* overflow */
    } else {
        int lo = 0, hi;
        if (a > o->v[last]) {
            lo = last;
        } else {
            int l = 0, h = last; /* largest index with v <= a */
            while (l < h) {
                int m = (l + h + 1) / 2;
                if (o->v[m] <= a) l = m; else h = m - 1;
            }
            lo = l;
        }
        hi = lo + 1;
        double vlo = o->v[lo], vhi = hi <= last ? o->v[hi] : next_over;
        if (a == vlo) {
            pick = (uint32_t)lo;
        } else {
            double dl = a - vlo, dh = vhi - a;
            if (r == GD_RND_TOWARD_ZERO) pick = (uint32_t)lo;
            else if (dl < dh) pick = (uint32_t)lo;
            else if (dh < dl) pick = (uint32_t)hi;
            else if (r == GD_RND_NEAREST_AWAY) pick = (uint32_t)hi;
            else pick = (uint32_t)((lo % 2 == 0) ? lo : hi);
        }
    }
    if (pick == (uint32_t)o->n)
        pick = ovf == GD_OVF_SATURATE ? (uint32_t)last : o->inf_or_nan;
    return sign | pick;
}

static void check_against_oracle(const oracle *o, float x)
{
    for (int ri = 0; ri < 3; ri++)
        for (int ov = 0; ov < 2; ov++) {
            uint32_t want = oracle_round(o, x, ROUNDS[ri], (gd_overflow)ov);
            uint32_t got = gd_encode(o->t, x, ROUNDS[ri], (gd_overflow)ov);
            if (want != got)
                fail_msg("%s %s ovf=%d: x=%a (0x%08x): got 0x%x want 0x%x", gd_dtype_name(o->t),
                         gd_round_name(ROUNDS[ri]), ov, (double)x, (unsigned)bits_of(x), got, want);
        }
}

/* Every value of the format, every midpoint between neighbours (and one
 * fp32 ulp either side of it), and random fp32 patterns across the range. */
static void test_encode_matches_oracle(void **state)
{
    (void)state;
    for (size_t fi = 0; fi < sizeof FLOATS / sizeof *FLOATS; fi++) {
        oracle *o = oracle_new(FLOATS[fi]);
        int last = o->n - 1;
        double next_over = o->v[last] + (o->v[last] - o->v[last - 1]);
        for (int i = 0; i <= last; i++) {
            double hi = i < last ? o->v[i + 1] : next_over;
            double mid = (o->v[i] + hi) / 2;
            float fm = (float)mid;
            float pts[5] = {(float)o->v[i], fm, nextafterf(fm, 0), nextafterf(fm, INFINITY), (float)hi};
            for (int k = 0; k < 5; k++) {
                if (!isfinite(pts[k]) || (k == 1 && (double)fm != mid))
                    continue;
                check_against_oracle(o, pts[k]);
                check_against_oracle(o, -pts[k]);
            }
        }
        es_rng rng;
        es_rng_seed(&rng, 1234 + fi);
        for (int i = 0; i < 200000; i++) {
            /* exponent field uniform over 1..254 plus fp32 subnormals */
            uint32_t u = (uint32_t)es_rng_u64(&rng);
            if ((u & 0x7F800000u) == 0x7F800000u)
                u &= ~0x40000000u; /* keep it finite */
            check_against_oracle(o, f_of(u));
        }
        /* random values concentrated in the format's own range */
        for (int i = 0; i < 200000; i++) {
            double lo = log2(o->v[1]) - 3, hi = log2(next_over) + 1;
            double e = lo + (hi - lo) * es_rng_double(&rng);
            float x = (float)exp2(e);
            check_against_oracle(o, (es_rng_u64(&rng) & 1) ? -x : x);
        }
        free(o);
    }
}

/* decode then encode gives back every pattern, in every mode and policy;
 * NaN patterns stay NaN. */
static void test_round_trip_every_pattern(void **state)
{
    (void)state;
    for (size_t fi = 0; fi < sizeof FLOATS / sizeof *FLOATS; fi++) {
        gd_dtype t = FLOATS[fi];
        uint32_t n = 1u << width_of(t);
        for (uint32_t b = 0; b < n; b++) {
            float f = gd_decode(t, b);
            for (int ri = 0; ri < 3; ri++) {
                uint32_t back = gd_encode(t, f, ROUNDS[ri], GD_OVF_INF);
                if (isnan(f))
                    assert_true(isnan(gd_decode(t, back)));
                else if (back != b)
                    fail_msg("%s: pattern 0x%x -> %g -> 0x%x", gd_dtype_name(t), b, (double)f, back);
            }
        }
    }
}

/* golden.md Appendix 0: fp32 -> bf16, RNE and truncation columns. */
static void test_bf16_appendix0(void **state)
{
    (void)state;
    struct { float x; uint16_t rne, trunc; } v[] = {
        {1.00390625f, 0x3F80, 0x3F80}, {1.01171875f, 0x3F82, 0x3F81}, {-2.71828f, 0xC02E, 0xC02D},
        {0.1f, 0x3DCD, 0x3DCC},        {65504.0f, 0x4780, 0x477F},    {3.4e38f, 0x7F80, 0x7F7F},
        {1e-40f, 0x0001, 0x0001},      {5.877472e-39f, 0x0040, 0x0040},
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        assert_int_equal(gd_f32_to_bf16(v[i].x, GD_RND_NEAREST_EVEN, GD_OVF_INF), v[i].rne);
        assert_int_equal(gd_f32_to_bf16(v[i].x, GD_RND_TOWARD_ZERO, GD_OVF_INF), v[i].trunc);
    }
    assert_int_equal(gd_f32_to_bf16(NAN, GD_RND_NEAREST_EVEN, GD_OVF_INF), 0x7FC0);
    assert_int_equal(gd_f32_to_bf16(NAN, GD_RND_TOWARD_ZERO, GD_OVF_INF), 0x7FC0);
    /* the software formula of §A7 on a signalling NaN: (u >> 16) | 0x0040 */
    assert_int_equal(gd_f32_to_bf16(f_of(0xFF812345u), GD_RND_NEAREST_EVEN, GD_OVF_INF), 0xFFC1);
    /* the x86 vcvtneps2bf16 column: RNE with fp32 subnormal inputs flushed */
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        uint16_t x86 = fpclassify(v[i].x) == FP_SUBNORMAL ? 0x0000 : v[i].rne;
        assert_int_equal(gd_encode_ex(GD_BF16, v[i].x, GD_RND_NEAREST_EVEN, GD_OVF_INF, GD_SUB_FLUSH), x86);
        assert_int_equal(gd_encode_ex(GD_BF16, v[i].x, GD_RND_NEAREST_EVEN, GD_OVF_INF, GD_SUB_KEEP), v[i].rne);
    }
    /* 3.4e38 rounds past bf16's max (0x7F7F): saturate keeps it finite */
    assert_int_equal(gd_f32_to_bf16(3.4e38f, GD_RND_NEAREST_EVEN, GD_OVF_SATURATE), 0x7F7F);
}

static void test_fp16_edges(void **state)
{
    (void)state;
    const gd_round RNE = GD_RND_NEAREST_EVEN, RNA = GD_RND_NEAREST_AWAY, RTZ = GD_RND_TOWARD_ZERO;
    assert_int_equal(gd_f32_to_f16(1.0f, RNE, GD_OVF_INF), 0x3C00);
    assert_int_equal(gd_f32_to_f16(-2.0f, RNE, GD_OVF_INF), 0xC000);
    assert_int_equal(gd_f32_to_f16(-0.0f, RNE, GD_OVF_INF), 0x8000);
    assert_int_equal(gd_f32_to_f16(65504.0f, RNE, GD_OVF_INF), 0x7BFF);
    /* 65520 is the tie between 65504 and 2^16: even side is 2^16 -> overflow */
    assert_int_equal(gd_f32_to_f16(65520.0f, RNE, GD_OVF_INF), 0x7C00);
    assert_int_equal(gd_f32_to_f16(65520.0f, RNE, GD_OVF_SATURATE), 0x7BFF);
    assert_int_equal(gd_f32_to_f16(65519.996f, RNE, GD_OVF_INF), 0x7BFF);
    assert_int_equal(gd_f32_to_f16(65520.0f, RTZ, GD_OVF_INF), 0x7BFF);
    /* round first, then check: truncating 1e6 still overflows */
    assert_int_equal(gd_f32_to_f16(1e6f, RTZ, GD_OVF_INF), 0x7C00);
    assert_int_equal(gd_f32_to_f16(-1e6f, RTZ, GD_OVF_SATURATE), 0xFBFF);
    assert_int_equal(gd_f32_to_f16(INFINITY, RNE, GD_OVF_INF), 0x7C00);
    assert_int_equal(gd_f32_to_f16(-INFINITY, RNE, GD_OVF_SATURATE), 0xFBFF);
    assert_int_equal(gd_f32_to_f16(NAN, RNE, GD_OVF_SATURATE) & 0x7E00, 0x7E00);
    /* subnormals: 2^-24 is the smallest; 2^-25 is a tie with zero */
    assert_int_equal(gd_f32_to_f16(0x1p-24f, RNE, GD_OVF_INF), 0x0001);
    assert_int_equal(gd_f32_to_f16(0x1p-25f, RNE, GD_OVF_INF), 0x0000);
    assert_int_equal(gd_f32_to_f16(0x1p-25f, RNA, GD_OVF_INF), 0x0001);
    assert_int_equal(gd_f32_to_f16(-0x1p-25f, RNA, GD_OVF_INF), 0x8001);
    assert_int_equal(gd_f32_to_f16(0x1.8p-24f, RNE, GD_OVF_INF), 0x0002); /* 1.5 ulp tie -> even 2 */
    assert_int_equal(gd_f32_to_f16(0x1.8p-24f, RTZ, GD_OVF_INF), 0x0001);
    assert_int_equal(gd_f32_to_f16(1e-30f, RNA, GD_OVF_INF), 0x0000);
    assert_int_equal(gd_f32_to_f16(-1e-30f, RNE, GD_OVF_INF), 0x8000); /* signed underflow */
    /* largest subnormal + half ulp carries into the smallest normal */
    assert_int_equal(gd_f32_to_f16(1023.5f * 0x1p-24f, RNE, GD_OVF_INF), 0x0400);
    /* flush: subnormal results become signed zeros; one that rounds up to
     * the smallest normal is kept */
    assert_int_equal(gd_encode_ex(GD_F16, -0x1p-20f, RNE, GD_OVF_INF, GD_SUB_FLUSH), 0x8000);
    assert_int_equal(gd_encode_ex(GD_F16, 1023.5f * 0x1p-24f, RNE, GD_OVF_INF, GD_SUB_FLUSH), 0x0400);
    assert_int_equal(gd_encode_ex(GD_F16, 0x1p-14f, RNE, GD_OVF_INF, GD_SUB_FLUSH), 0x0400);
    assert_int_equal(gd_encode_ex(GD_E4M3, 0x1p-7f, RNE, GD_OVF_INF, GD_SUB_FLUSH), 0x00);
    assert_int_equal(gd_encode_ex(GD_E4M3, NAN, RNE, GD_OVF_INF, GD_SUB_FLUSH), 0x7F);
    assert_true(gd_f16_to_f32(0x0001) == 0x1p-24f);
    assert_true(gd_f16_to_f32(0x03FF) == 1023 * 0x1p-24f);
    assert_true(gd_f16_to_f32(0x7BFF) == 65504.0f);
    assert_true(isinf(gd_f16_to_f32(0xFC00)) && gd_f16_to_f32(0xFC00) < 0);
    assert_true(isnan(gd_f16_to_f32(0x7C01)));
    assert_true(gd_dtype_max(GD_F16) == 65504.0);
}

static void test_fp8_edges(void **state)
{
    (void)state;
    const gd_round RNE = GD_RND_NEAREST_EVEN, RTZ = GD_RND_TOWARD_ZERO;
    /* E4M3 (OCP): max 448 = S.1111.110, NaN = S.1111.111, no inf */
    assert_int_equal(gd_f32_to_e4m3(448.0f, RNE, GD_OVF_INF), 0x7E);
    assert_int_equal(gd_f32_to_e4m3(464.0f, RNE, GD_OVF_INF), 0x7E); /* tie -> even (448) */
    assert_int_equal(gd_f32_to_e4m3(470.0f, RNE, GD_OVF_INF), 0x7F); /* rounds to 480: NaN */
    assert_int_equal(gd_f32_to_e4m3(470.0f, RNE, GD_OVF_SATURATE), 0x7E);
    assert_int_equal(gd_f32_to_e4m3(470.0f, RTZ, GD_OVF_INF), 0x7E);
    assert_int_equal(gd_f32_to_e4m3(-1000.0f, RNE, GD_OVF_INF), 0xFF);
    assert_int_equal(gd_f32_to_e4m3(-1000.0f, RNE, GD_OVF_SATURATE), 0xFE);
    assert_int_equal(gd_f32_to_e4m3(INFINITY, RNE, GD_OVF_INF), 0x7F);
    assert_int_equal(gd_f32_to_e4m3(INFINITY, RNE, GD_OVF_SATURATE), 0x7E);
    assert_int_equal(gd_f32_to_e4m3(NAN, RNE, GD_OVF_SATURATE), 0x7F);
    assert_int_equal(gd_f32_to_e4m3(-NAN, RNE, GD_OVF_SATURATE), 0xFF);
    assert_int_equal(gd_f32_to_e4m3(0x1p-9f, RNE, GD_OVF_INF), 0x01); /* min subnormal */
    assert_int_equal(gd_f32_to_e4m3(0x1p-6f, RNE, GD_OVF_INF), 0x08); /* min normal */
    assert_true(gd_e4m3_to_f32(0x7E) == 448.0f);
    assert_true(gd_e4m3_to_f32(0x78) == 256.0f); /* exponent 15 holds finite values */
    assert_true(isnan(gd_e4m3_to_f32(0x7F)) && isnan(gd_e4m3_to_f32(0xFF)));
    assert_true(gd_e4m3_to_f32(0x01) == 0x1p-9f);
    assert_true(gd_e4m3_to_f32(0x80) == 0.0f && signbit(gd_e4m3_to_f32(0x80)));
    /* E5M2: IEEE-like, max 57344, 61440 is the tie with 2^16 */
    assert_int_equal(gd_f32_to_e5m2(57344.0f, RNE, GD_OVF_INF), 0x7B);
    assert_int_equal(gd_f32_to_e5m2(61440.0f, RNE, GD_OVF_INF), 0x7C);
    assert_int_equal(gd_f32_to_e5m2(61440.0f, RNE, GD_OVF_SATURATE), 0x7B);
    assert_int_equal(gd_f32_to_e5m2(-INFINITY, RNE, GD_OVF_INF), 0xFC);
    assert_int_equal(gd_f32_to_e5m2(NAN, RNE, GD_OVF_INF), 0x7E);
    assert_int_equal(gd_f32_to_e5m2(0x1p-16f, RNE, GD_OVF_INF), 0x01);
    assert_true(isinf(gd_e5m2_to_f32(0x7C)) && isnan(gd_e5m2_to_f32(0x7D)));
    assert_true(gd_e5m2_to_f32(0x7B) == 57344.0f);
    assert_true(gd_dtype_max(GD_E4M3) == 448.0 && gd_dtype_max(GD_E5M2) == 57344.0);
    assert_true(gd_dtype_max(GD_BF16) == (double)gd_bf16_to_f32(0x7F7F));
}

static void test_round_integral(void **state)
{
    (void)state;
    const float x[] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 2.4999998f, -3.7f, 8388609.0f};
    const float rne[] = {0, 2, 2, -0.0f, -2, -2, 2, -4, 8388609.0f};
    const float rna[] = {1, 2, 3, -1, -2, -3, 2, -4, 8388609.0f};
    const float rtz[] = {0, 1, 2, -0.0f, -1, -2, 2, -3, 8388609.0f};
    for (size_t i = 0; i < sizeof x / sizeof *x; i++) {
        assert_true(gd_round_integral(x[i], GD_RND_NEAREST_EVEN) == rne[i]);
        assert_true(gd_round_integral(x[i], GD_RND_NEAREST_AWAY) == rna[i]);
        assert_true(gd_round_integral(x[i], GD_RND_TOWARD_ZERO) == rtz[i]);
    }
    assert_true(signbit(gd_round_integral(-0.4f, GD_RND_NEAREST_EVEN)));
    /* against the C library on random values (rintf is RNE in the default mode) */
    es_rng rng;
    es_rng_seed(&rng, 7);
    for (int i = 0; i < 100000; i++) {
        float v = es_rng_uniform(&rng, -1000, 1000);
        if (i % 3 == 0)
            v = roundf(v * 2) / 2; /* many exact ties */
        assert_true(gd_round_integral(v, GD_RND_NEAREST_EVEN) == rintf(v));
        assert_true(gd_round_integral(v, GD_RND_NEAREST_AWAY) == roundf(v));
        assert_true(gd_round_integral(v, GD_RND_TOWARD_ZERO) == truncf(v));
    }
}

/* golden.md Appendix 0: ONNX QuantizeLinear and DynamicQuantizeLinear. */
static void test_int_quantize_appendix0(void **state)
{
    (void)state;
    const float x[] = {0, 2, 3, 1000, -254, -1000};
    const int32_t want[] = {128, 129, 130, 255, 1, 0};
    for (int i = 0; i < 6; i++)
        assert_int_equal(gd_quantize_int(x[i], 2.0f, 128, 0, 255, GD_RND_NEAREST_EVEN), want[i]);
    /* 5 / 2 = 2.5: the three modes differ */
    assert_int_equal(gd_quantize_int(5, 2.0f, 128, 0, 255, GD_RND_NEAREST_EVEN), 130);
    assert_int_equal(gd_quantize_int(5, 2.0f, 128, 0, 255, GD_RND_NEAREST_AWAY), 131);
    assert_int_equal(gd_quantize_int(-5, 2.0f, 128, 0, 255, GD_RND_NEAREST_AWAY), 125);
    assert_int_equal(gd_quantize_int(-5, 2.0f, 128, 0, 255, GD_RND_TOWARD_ZERO), 126);

    const float dx[] = {0, 2, -3, -2.5f, 1.34f, 0.5f};
    const int32_t dwant[] = {153, 255, 0, 26, 221, 179};
    float xmax = 0, xmin = 0;
    for (int i = 0; i < 6; i++) {
        xmax = fmaxf(xmax, dx[i]);
        xmin = fminf(xmin, dx[i]);
    }
    float scale = (xmax - xmin) / 255.0f;
    assert_true(fabsf(scale - 0.019607844f) < 1e-9f);
    int32_t zp = gd_quantize_int(-xmin, scale, 0, 0, 255, GD_RND_NEAREST_EVEN);
    assert_int_equal(zp, 153);
    for (int i = 0; i < 6; i++)
        assert_int_equal(gd_quantize_int(dx[i], scale, zp, 0, 255, GD_RND_NEAREST_EVEN), dwant[i]);
}

static void test_int_helpers(void **state)
{
    (void)state;
    assert_int_equal(gd_quantize_i8(1000, 1, GD_RND_NEAREST_EVEN), 127);
    assert_int_equal(gd_quantize_i8(-1000, 1, GD_RND_NEAREST_EVEN), -128);
    assert_int_equal(gd_quantize_i8(-12.5f, 0.5f, GD_RND_NEAREST_EVEN), -25);
    assert_int_equal(gd_quantize_i8(2.5f, 1, GD_RND_NEAREST_EVEN), 2);
    assert_int_equal(gd_quantize_i8(2.5f, 1, GD_RND_NEAREST_AWAY), 3);
    assert_int_equal(gd_quantize_i8(2.9f, 1, GD_RND_TOWARD_ZERO), 2);
    assert_int_equal(gd_quantize_i8(NAN, 1, GD_RND_NEAREST_EVEN), 0);
    assert_int_equal(gd_quantize_i8(INFINITY, 1, GD_RND_NEAREST_EVEN), 127);
    assert_int_equal(gd_quantize_i8(5, 0, GD_RND_NEAREST_EVEN), 0); /* zero scale: no x/0 */
    assert_int_equal(gd_quantize_i4(7.5f, 1, GD_RND_NEAREST_EVEN), 7);
    assert_int_equal(gd_quantize_i4(6.5f, 1, GD_RND_NEAREST_EVEN), 6);
    assert_int_equal(gd_quantize_i4(6.5f, 1, GD_RND_NEAREST_AWAY), 7);
    assert_int_equal(gd_quantize_i4(-8.5f, 1, GD_RND_NEAREST_AWAY), -8);
    assert_int_equal(gd_quantize_i4(-3.0f, 0.5f, GD_RND_NEAREST_EVEN), -6);
    assert_int_equal(gd_f32_to_i32(3e9f, GD_RND_NEAREST_EVEN), INT32_MAX);
    assert_int_equal(gd_f32_to_i32(-3e9f, GD_RND_NEAREST_EVEN), INT32_MIN);
    assert_int_equal(gd_f32_to_i32(-2147483648.0f, GD_RND_NEAREST_EVEN), INT32_MIN);
    assert_int_equal(gd_f32_to_i32(2147483520.0f, GD_RND_NEAREST_EVEN), 2147483520);
    assert_int_equal(gd_f32_to_i32(NAN, GD_RND_NEAREST_EVEN), 0);
    assert_int_equal(gd_f32_to_i32(-7.5f, GD_RND_NEAREST_EVEN), -8);
}

static void test_dtype_names(void **state)
{
    (void)state;
    for (int t = 0; t < GD_DTYPE_COUNT; t++) {
        gd_dtype back;
        assert_int_equal(gd_dtype_parse(gd_dtype_name((gd_dtype)t), &back), 0);
        assert_int_equal(back, t);
    }
    gd_dtype d;
    assert_int_equal(gd_dtype_parse("fp8", &d), -1);
}

/* ---- tensors ------------------------------------------------------------ */

static void test_tensor_basics(void **state)
{
    (void)state;
    es_err e;
    int64_t shape[3] = {2, 3, 4};
    gd_tensor *t = gd_tensor_new(GD_BF16, 3, shape, &e);
    assert_non_null(t);
    assert_int_equal(t->numel, 24);
    assert_int_equal(t->stride[0], 12);
    assert_int_equal(t->stride[2], 1);
    assert_int_equal(t->shape[3], 1);
    es_rng a, b;
    es_rng_seed(&a, 42);
    es_rng_seed(&b, 42);
    gd_tensor *u = gd_tensor_new(GD_BF16, 3, shape, &e);
    gd_tensor_fill_normal(t, &a, 0, 1, GD_RND_NEAREST_EVEN, GD_OVF_INF);
    gd_tensor_fill_normal(u, &b, 0, 1, GD_RND_NEAREST_EVEN, GD_OVF_INF);
    assert_memory_equal(t->data, u->data, 24 * 2); /* same seed, same bits */
    gd_tensor_free(u);

    /* fp32 source, converted two ways */
    gd_tensor *f = gd_tensor_new(GD_F32, 3, shape, &e);
    gd_tensor_fill_uniform(f, &a, -3, 3, GD_RND_NEAREST_EVEN, GD_OVF_INF);
    gd_tensor *tr = gd_tensor_convert(f, GD_BF16, GD_RND_TOWARD_ZERO, GD_OVF_INF, &e);
    for (int64_t i = 0; i < 24; i++) {
        float x = ((float *)f->data)[i];
        assert_int_equal(((uint16_t *)tr->data)[i], gd_f32_to_bf16(x, GD_RND_TOWARD_ZERO, GD_OVF_INF));
        assert_true(gd_tensor_get(tr, i) == gd_quantize_float(GD_BF16, x, GD_RND_TOWARD_ZERO, GD_OVF_INF));
    }
    gd_tensor *i4 = gd_tensor_convert(f, GD_I4, GD_RND_NEAREST_EVEN, GD_OVF_SATURATE, &e);
    for (int64_t i = 0; i < 24; i++)
        assert_int_equal(((int8_t *)i4->data)[i], gd_quantize_i4(((float *)f->data)[i], 1, GD_RND_NEAREST_EVEN));
    float back[24];
    gd_tensor_to_f32(i4, back);
    assert_true(back[0] == (float)((int8_t *)i4->data)[0]);
    gd_tensor_free(f);
    gd_tensor_free(tr);
    gd_tensor_free(i4);
    gd_tensor_free(t);

    /* int32 -> fp32 rounds once from the exact integer; int32 -> int8 clamps */
    int64_t n3 = 3;
    gd_tensor *ii = gd_tensor_new(GD_I32, 1, &n3, &e);
    ((int32_t *)ii->data)[0] = 16777217;
    ((int32_t *)ii->data)[1] = -300;
    ((int32_t *)ii->data)[2] = 2147483647;
    gd_tensor *fe = gd_tensor_convert(ii, GD_F32, GD_RND_NEAREST_EVEN, GD_OVF_INF, &e);
    gd_tensor *fa = gd_tensor_convert(ii, GD_F32, GD_RND_NEAREST_AWAY, GD_OVF_INF, &e);
    assert_true(((float *)fe->data)[0] == 16777216.0f);
    assert_true(((float *)fa->data)[0] == 16777218.0f);
    gd_tensor *h = gd_tensor_convert(ii, GD_F16, GD_RND_NEAREST_EVEN, GD_OVF_SATURATE, &e);
    assert_int_equal(((uint16_t *)h->data)[2], 0x7BFF);
    gd_tensor *i8 = gd_tensor_convert(ii, GD_I8, GD_RND_NEAREST_EVEN, GD_OVF_SATURATE, &e);
    assert_int_equal(((int8_t *)i8->data)[1], -128);
    assert_int_equal(((int8_t *)i8->data)[2], 127);
    gd_tensor_free(ii);
    gd_tensor_free(fe);
    gd_tensor_free(fa);
    gd_tensor_free(h);
    gd_tensor_free(i8);

    /* bad shapes are errors, not crashes */
    int64_t bad[5] = {1, 2, 3, 4, 5};
    assert_null(gd_tensor_new(GD_F32, 5, bad, &e));
    assert_non_null(strstr(e.msg, "dimensions"));
    int64_t neg[2] = {3, -1};
    assert_null(gd_tensor_new(GD_F32, 2, neg, &e));
    assert_non_null(strstr(e.msg, "-1"));
    int64_t huge[4] = {1 << 20, 1 << 20, 1 << 20, 1};
    assert_null(gd_tensor_new(GD_F32, 4, huge, &e));
    gd_tensor *s = gd_tensor_new(GD_E4M3, 0, NULL, &e); /* scalar */
    assert_non_null(s);
    assert_int_equal(s->numel, 1);
    gd_tensor_set(s, 0, 1000.0f, GD_RND_NEAREST_EVEN, GD_OVF_SATURATE);
    assert_true(gd_tensor_get(s, 0) == 448.0f);
    gd_tensor_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_matches_oracle),
        cmocka_unit_test(test_round_trip_every_pattern),
        cmocka_unit_test(test_bf16_appendix0),
        cmocka_unit_test(test_fp16_edges),
        cmocka_unit_test(test_fp8_edges),
        cmocka_unit_test(test_round_integral),
        cmocka_unit_test(test_int_quantize_appendix0),
        cmocka_unit_test(test_int_helpers),
        cmocka_unit_test(test_dtype_names),
        cmocka_unit_test(test_tensor_basics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
