/* golden/numfmt.c: number format conversions (see numfmt.h for the rules).
 *
 * One generic encoder serves every floating format: the input (a double, so
 * fp32 and int32 inputs are exact) is split into an integer significand M and
 * a power of two, M is shifted right to the target's quantum with the chosen
 * rounding applied to the bits shifted out, and the result is assembled as
 * (exponent field << mbits) | mantissa.  That encoding is monotonic in the
 * magnitude, so overflow is a plain integer comparison with the largest
 * finite pattern, and a carry out of the mantissa (or from the largest
 * subnormal into the smallest normal) needs no special case. */
#include "golden/numfmt.h"

#include <float.h>
#include <math.h>
#include <string.h>

typedef struct fpfmt {
    int ebits, mbits, bias;
    int ieee; /* 1: all-ones exponent = inf/NaN; 0: E4M3 style, only all-ones = NaN */
} fpfmt;

static const fpfmt FMT_F32 = {8, 23, 127, 1};
static const fpfmt FMT_F16 = {5, 10, 15, 1};
static const fpfmt FMT_BF16 = {8, 7, 127, 1};
static const fpfmt FMT_E4M3 = {4, 3, 7, 0};
static const fpfmt FMT_E5M2 = {5, 2, 15, 1};

static const fpfmt *fmt_of(gd_dtype t)
{
    switch (t) {
    case GD_F32: return &FMT_F32;
    case GD_F16: return &FMT_F16;
    case GD_BF16: return &FMT_BF16;
    case GD_E4M3: return &FMT_E4M3;
    case GD_E5M2: return &FMT_E5M2;
    default: return NULL;
    }
}

static uint64_t inf_bits(const fpfmt *f) { return ((1ull << f->ebits) - 1) << f->mbits; }

static uint64_t max_bits(const fpfmt *f)
{
    if (f->ieee)
        return (((1ull << f->ebits) - 2) << f->mbits) | ((1ull << f->mbits) - 1);
    return inf_bits(f) | ((1ull << f->mbits) - 2); /* S.1111.110 for E4M3 */
}

static uint64_t nan_bits(const fpfmt *f)
{
    if (f->ieee)
        return inf_bits(f) | (1ull << (f->mbits - 1)); /* quiet NaN */
    return inf_bits(f) | ((1ull << f->mbits) - 1);
}

static uint64_t overflow_bits(const fpfmt *f, gd_overflow o)
{
    if (o == GD_OVF_SATURATE)
        return max_bits(f);
    return f->ieee ? inf_bits(f) : nan_bits(f);
}

static uint32_t encode(const fpfmt *f, double x, gd_round r, gd_overflow o)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    const int width = 1 + f->ebits + f->mbits;
    const uint64_t sign = (u >> 63) << (width - 1);
    const uint64_t a = u & ~(1ull << 63);
    const unsigned dexp = (unsigned)(a >> 52);
    const uint64_t dmant = a & ((1ull << 52) - 1);

    if (dexp == 0x7FF && dmant != 0) { /* NaN: keep the top payload bits */
        if (!f->ieee)
            return (uint32_t)(sign | nan_bits(f));
        return (uint32_t)(sign | nan_bits(f) | (dmant >> (52 - f->mbits)));
    }
    if (dexp == 0x7FF) /* inf */
        return (uint32_t)(sign | overflow_bits(f, o));
    if (a == 0)
        return (uint32_t)sign;

    /* |x| = M * 2^E with M an integer. */
    uint64_t M = dexp ? (dmant | (1ull << 52)) : dmant;
    int E = dexp ? (int)dexp - 1075 : -1074;
    int lg = 63 - __builtin_clzll(M) + E; /* floor(log2 |x|) */
    const int emin = 1 - f->bias;
    int q = (lg > emin ? lg : emin) - f->mbits; /* quantum exponent at |x| */
    int shift = q - E;                          /* >= 1 for every target (mbits <= 23) */

    uint64_t n = 0;
    if (shift < 64) {
        n = M >> shift;
        uint64_t rem = M & ((1ull << shift) - 1);
        uint64_t half = 1ull << (shift - 1);
        switch (r) {
        case GD_RND_NEAREST_EVEN: n += rem > half || (rem == half && (n & 1)); break;
        case GD_RND_NEAREST_AWAY: n += rem >= half; break;
        case GD_RND_TOWARD_ZERO: break;
        }
    } /* else |x| < half a quantum of the smallest subnormal: n = 0 in every mode */
    if (n == 0)
        return (uint32_t)sign;
    const uint64_t hidden = 1ull << f->mbits;
    if (n == 2 * hidden) { /* rounding carried into the next binade */
        n = hidden;
        q++;
    }
    uint64_t bits;
    if (n >= hidden)
        bits = ((uint64_t)(q + f->mbits - emin + 1) << f->mbits) | (n - hidden);
    else
        bits = n; /* subnormal; n == hidden above gives the smallest normal */
    if (bits > max_bits(f))
        bits = overflow_bits(f, o);
    return (uint32_t)(sign | bits);
}

static float decode(const fpfmt *f, uint32_t b)
{
    const int width = 1 + f->ebits + f->mbits;
    const uint32_t neg = (b >> (width - 1)) & 1;
    const uint32_t efield = (b >> f->mbits) & ((1u << f->ebits) - 1);
    const uint32_t mant = b & ((1u << f->mbits) - 1);
    const uint32_t emax_field = (1u << f->ebits) - 1;
    float v;
    if (f->ieee && efield == emax_field) {
        uint32_t u = (neg << 31) | 0x7F800000u | (mant << (23 - f->mbits));
        memcpy(&v, &u, sizeof v);
        return v;
    }
    if (!f->ieee && efield == emax_field && mant == (1u << f->mbits) - 1) {
        uint32_t u = (neg << 31) | 0x7FC00000u;
        memcpy(&v, &u, sizeof v);
        return v;
    }
    if (efield == 0)
        v = ldexpf((float)mant, 1 - f->bias - f->mbits);
    else
        v = ldexpf((float)((1u << f->mbits) | mant), (int)efield - f->bias - f->mbits);
    return neg ? -v : v;
}

uint32_t gd_encode_f64(gd_dtype t, double x, gd_round r, gd_overflow o)
{
    const fpfmt *f = fmt_of(t);
    return f ? encode(f, x, r, o) : 0;
}

uint32_t gd_encode(gd_dtype t, float x, gd_round r, gd_overflow o)
{
    if (t == GD_F32) {
        uint32_t u;
        memcpy(&u, &x, sizeof u);
        return u;
    }
    return gd_encode_f64(t, (double)x, r, o);
}

uint32_t gd_encode_ex(gd_dtype t, float x, gd_round r, gd_overflow o, gd_subnormal s)
{
    if (s == GD_SUB_FLUSH && fpclassify(x) == FP_SUBNORMAL)
        x = copysignf(0.0f, x); /* DAZ */
    uint32_t b = gd_encode(t, x, r, o);
    const fpfmt *f = fmt_of(t);
    if (s == GD_SUB_FLUSH && f) { /* FTZ: exponent field 0, mantissa non-zero */
        uint32_t mag = b & ((1u << (f->ebits + f->mbits)) - 1);
        if (mag != 0 && mag < (1u << f->mbits))
            b &= 1u << (f->ebits + f->mbits);
    }
    return b;
}

float gd_decode(gd_dtype t, uint32_t bits)
{
    if (t == GD_F32) {
        float v;
        memcpy(&v, &bits, sizeof v);
        return v;
    }
    const fpfmt *f = fmt_of(t);
    return f ? decode(f, bits) : NAN;
}

float gd_quantize_float(gd_dtype t, float x, gd_round r, gd_overflow o)
{
    return gd_decode(t, gd_encode(t, x, r, o));
}

uint16_t gd_f32_to_f16(float x, gd_round r, gd_overflow o) { return (uint16_t)encode(&FMT_F16, x, r, o); }
uint16_t gd_f32_to_bf16(float x, gd_round r, gd_overflow o) { return (uint16_t)encode(&FMT_BF16, x, r, o); }
uint8_t gd_f32_to_e4m3(float x, gd_round r, gd_overflow o) { return (uint8_t)encode(&FMT_E4M3, x, r, o); }
uint8_t gd_f32_to_e5m2(float x, gd_round r, gd_overflow o) { return (uint8_t)encode(&FMT_E5M2, x, r, o); }
float gd_f16_to_f32(uint16_t h) { return decode(&FMT_F16, h); }
float gd_bf16_to_f32(uint16_t h) { return decode(&FMT_BF16, h); }
float gd_e4m3_to_f32(uint8_t b) { return decode(&FMT_E4M3, b); }
float gd_e5m2_to_f32(uint8_t b) { return decode(&FMT_E5M2, b); }

float gd_f32_load_le(const unsigned char *p)
{
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

void gd_f32_store_le(unsigned char *p, float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    for (int b = 0; b < 4; b++)
        p[b] = (unsigned char)(u >> (8 * b));
}

/* ---- integers ---------------------------------------------------------- */

float gd_round_integral(float x, gd_round r)
{
    if (!isfinite(x) || fabsf(x) >= 8388608.0f) /* 2^23: already integral */
        return x;
    float t = truncf(x);
    float frac = fabsf(x - t); /* exact: x and t share the binade or t == 0 */
    float step = x < 0 ? -1.0f : 1.0f;
    switch (r) {
    case GD_RND_NEAREST_EVEN:
        if (frac > 0.5f || (frac == 0.5f && fmodf(t, 2.0f) != 0.0f))
            return t + step;
        return t;
    case GD_RND_NEAREST_AWAY:
        return frac >= 0.5f ? t + step : t;
    case GD_RND_TOWARD_ZERO:
        return t;
    }
    return t;
}

static int32_t clamp_i32(double v, int32_t lo, int32_t hi)
{
    if (v <= (double)lo)
        return lo;
    if (v >= (double)hi)
        return hi;
    return (int32_t)v;
}

int32_t gd_quantize_int(float x, float scale, int32_t zero_point, int32_t qmin, int32_t qmax, gd_round r)
{
    if (scale == 0.0f || isnan(x))
        return clamp_i32(zero_point, qmin, qmax);
    float s = x / scale;
    if (isnan(s)) /* inf / inf */
        return clamp_i32(zero_point, qmin, qmax);
    return clamp_i32((double)gd_round_integral(s, r) + zero_point, qmin, qmax);
}

int8_t gd_quantize_i8(float x, float scale, gd_round r) { return (int8_t)gd_quantize_int(x, scale, 0, -128, 127, r); }
int8_t gd_quantize_i4(float x, float scale, gd_round r) { return (int8_t)gd_quantize_int(x, scale, 0, -8, 7, r); }

int32_t gd_f32_to_i32(float x, gd_round r)
{
    if (isnan(x))
        return 0;
    return clamp_i32(gd_round_integral(x, r), INT32_MIN, INT32_MAX);
}

/* ---- dtype table ------------------------------------------------------- */

static const char *const DTYPE_NAMES[GD_DTYPE_COUNT] = {"fp32", "fp16", "bf16", "e4m3", "e5m2", "int8", "int4", "int32"};

const char *gd_dtype_name(gd_dtype t) { return (unsigned)t < GD_DTYPE_COUNT ? DTYPE_NAMES[t] : "?"; }

int gd_dtype_parse(const char *s, gd_dtype *t)
{
    for (int i = 0; i < GD_DTYPE_COUNT; i++)
        if (strcmp(s, DTYPE_NAMES[i]) == 0) {
            *t = (gd_dtype)i;
            return 0;
        }
    return -1;
}

size_t gd_dtype_size(gd_dtype t)
{
    switch (t) {
    case GD_F32: case GD_I32: return 4;
    case GD_F16: case GD_BF16: return 2;
    default: return 1;
    }
}

int gd_dtype_is_float(gd_dtype t) { return fmt_of(t) != NULL; }

const char *gd_round_name(gd_round r)
{
    switch (r) {
    case GD_RND_NEAREST_EVEN: return "nearest-even";
    case GD_RND_NEAREST_AWAY: return "nearest-away";
    case GD_RND_TOWARD_ZERO: return "toward-zero";
    }
    return "?";
}

int gd_round_parse(const char *s, gd_round *r)
{
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, gd_round_name((gd_round)i))) {
            *r = (gd_round)i;
            return 0;
        }
    return -1;
}

const char *gd_overflow_name(gd_overflow o)
{
    return o == GD_OVF_SATURATE ? "saturate" : "inf"; /* as overflow_bits: anything else is inf */
}

int gd_overflow_parse(const char *s, gd_overflow *o)
{
    for (int i = 0; i < 2; i++)
        if (!strcmp(s, gd_overflow_name((gd_overflow)i))) {
            *o = (gd_overflow)i;
            return 0;
        }
    return -1;
}

double gd_dtype_max(gd_dtype t)
{
    switch (t) {
    case GD_I8: return 127;
    case GD_I4: return 7;
    case GD_I32: return 2147483647.0;
    default: {
        const fpfmt *f = fmt_of(t);
        return f ? (double)decode(f, (uint32_t)max_bits(f)) : 0;
    }
    }
}

int gd_dtype_mant_bits(gd_dtype t)
{
    const fpfmt *f = fmt_of(t);
    return f ? f->mbits : 0;
}

double gd_dtype_min_normal(gd_dtype t)
{
    const fpfmt *f = fmt_of(t);
    return f ? ldexp(1.0, 1 - f->bias) : 0;
}
