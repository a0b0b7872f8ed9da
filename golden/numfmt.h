/* golden/numfmt.h: number formats and the conversions between them.
 *
 * Formats (golden.md §A7):
 *   fp32  1/8/23  IEEE binary32
 *   fp16  1/5/10  IEEE binary16, max 65504, inf and NaN
 *   bf16  1/8/7   max 0x7F7F = 3.3895e38, inf and NaN
 *   e4m3  1/4/3   OCP FP8 "E4M3" (torch float8_e4m3fn): bias 7, max 448,
 *                 no inf, NaN only S.1111.111 (0x7F / 0xFF)
 *   e5m2  1/5/2   OCP FP8 "E5M2": bias 15, max 57344, IEEE-like inf and NaN
 *   int8, int4 (stored one value per int8_t, sign-extended), int32
 *
 * Every conversion to a narrower format takes an explicit rounding mode and
 * overflow policy; nothing depends on the FPU's current rounding mode.
 *
 * Rounding: the exact input is rounded to the target's precision as if the
 * exponent range were unbounded below the format's minimum normal (so
 * subnormals keep what precision they have, gradual underflow), then:
 * Overflow: if the rounded magnitude exceeds the largest finite value,
 *   GD_OVF_SATURATE gives +-max finite, GD_OVF_INF gives +-inf, or NaN for
 *   E4M3 which has no inf.  "Round first, then check" means truncation of
 *   1e6 to fp16 with GD_OVF_INF gives inf (IEEE 754's round-toward-zero would
 *   give 65504; ask for GD_OVF_SATURATE to get that).
 * Specials: NaN stays NaN (sign and top payload bits kept, quiet bit set;
 *   E4M3: 0x7F|sign).  An infinite input is infinite under GD_OVF_INF (NaN
 *   for E4M3) and +-max finite under GD_OVF_SATURATE (as PTX cvt.satfinite).
 *   Signed zeros are kept; fp32 subnormal inputs are never flushed (no DAZ). */
#ifndef GOLDEN_NUMFMT_H
#define GOLDEN_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

typedef enum gd_dtype {
    GD_F32,
    GD_F16,
    GD_BF16,
    GD_E4M3,
    GD_E5M2,
    GD_I8,
    GD_I4,
    GD_I32,
    GD_DTYPE_COUNT
} gd_dtype;

typedef enum gd_round {
    GD_RND_NEAREST_EVEN, /* ties to even: IEEE default, PyTorch, ONNX, GPTQ */
    GD_RND_NEAREST_AWAY, /* ties away from zero: C roundf, ggml Q8_0, llama2.c */
    GD_RND_TOWARD_ZERO   /* truncate: ONNX 1.12's FLOAT->BFLOAT16 test vectors */
} gd_round;

typedef enum gd_overflow {
    GD_OVF_SATURATE, /* +-max finite (integers: clamp to the range) */
    GD_OVF_INF       /* +-inf, or NaN where the format has no inf (E4M3) */
} gd_overflow;

/* Subnormals are kept by default (gradual underflow, no DAZ/FTZ).  The flush
 * policy models hardware that does not keep them: an fp32 subnormal input
 * reads as a signed zero (DAZ, as x86 vcvtneps2bf16 does: golden.md
 * Appendix 0) and a result that rounds into the target's subnormal range is
 * written as a signed zero (FTZ, decided after rounding). */
typedef enum gd_subnormal {
    GD_SUB_KEEP,
    GD_SUB_FLUSH
} gd_subnormal;

const char *gd_dtype_name(gd_dtype t);     /* "fp32", "fp16", "bf16", "e4m3", ... */
int gd_dtype_parse(const char *s, gd_dtype *t); /* 0, or -1 if unknown */
size_t gd_dtype_size(gd_dtype t);          /* bytes per stored element (int4: 1) */
int gd_dtype_is_float(gd_dtype t);
const char *gd_round_name(gd_round r);
/* Parse "nearest-even" | "nearest-away" | "toward-zero": 0, or -1. */
int gd_round_parse(const char *s, gd_round *r);
const char *gd_overflow_name(gd_overflow o); /* "saturate", "inf" */
/* Parse "saturate" | "inf": 0, or -1. */
int gd_overflow_parse(const char *s, gd_overflow *o);
/* Largest finite value of a format (integers: the largest integer). */
double gd_dtype_max(gd_dtype t);
/* Stored mantissa bits and smallest normal value of a floating format
 * (0 for the integer formats). */
int gd_dtype_mant_bits(gd_dtype t);
double gd_dtype_min_normal(gd_dtype t);

/* ---- floating formats: bit patterns <-> fp32 -------------------------- */
uint16_t gd_f32_to_f16(float x, gd_round r, gd_overflow o);
uint16_t gd_f32_to_bf16(float x, gd_round r, gd_overflow o);
uint8_t gd_f32_to_e4m3(float x, gd_round r, gd_overflow o);
uint8_t gd_f32_to_e5m2(float x, gd_round r, gd_overflow o);
/* Decoding is exact (every value of these formats is an fp32 value). */
float gd_f16_to_f32(uint16_t h);
float gd_bf16_to_f32(uint16_t h);
float gd_e4m3_to_f32(uint8_t b);
float gd_e5m2_to_f32(uint8_t b);
/* fp32 as 4 little-endian bytes, whatever the host order (bits kept). */
float gd_f32_load_le(const unsigned char *p);
void gd_f32_store_le(unsigned char *p, float x);

/* Generic forms for a floating dtype t (GD_F32 is the identity on bits).
 * gd_encode_f64 rounds a double once, directly to t (used for int32 -> fp32
 * and anywhere a wider exact value exists: no double rounding). */
uint32_t gd_encode(gd_dtype t, float x, gd_round r, gd_overflow o);
uint32_t gd_encode_f64(gd_dtype t, double x, gd_round r, gd_overflow o);
uint32_t gd_encode_ex(gd_dtype t, float x, gd_round r, gd_overflow o, gd_subnormal s);
float gd_decode(gd_dtype t, uint32_t bits);
/* decode(encode(x)): the value x takes when stored in t ("fake quantize"). */
float gd_quantize_float(gd_dtype t, float x, gd_round r, gd_overflow o);

/* ---- integers ---------------------------------------------------------- */
/* x rounded to an integral value with mode r (exact; no fenv dependence). */
float gd_round_integral(float x, gd_round r);
/* Affine quantization as ONNX QuantizeLinear: clamp(round(x / scale) + zp,
 * qmin, qmax), the division in fp32.  NaN gives clamp(zp); scale == 0 gives
 * clamp(zp) (an all-zero group quantizes to its zero point, never x/0). */
int32_t gd_quantize_int(float x, float scale, int32_t zero_point, int32_t qmin, int32_t qmax, gd_round r);
/* Symmetric helpers: clamp(round(x / scale)) to [-128, 127] and [-8, 7]. */
int8_t gd_quantize_i8(float x, float scale, gd_round r);
int8_t gd_quantize_i4(float x, float scale, gd_round r);
/* fp32 -> int32: round with r, clamp to [INT32_MIN, INT32_MAX]; NaN -> 0. */
int32_t gd_f32_to_i32(float x, gd_round r);

#endif
