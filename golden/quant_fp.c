/* golden/quant_fp.c: FP8 (E4M3, E5M2) scaled quantization and GEMM, and
 * OCP MX v1.0 MXFP4 (E2M1 elements, E8M0 shared scale per 32). */
#include <math.h>
#include <string.h>

#include "golden/quant.h"

static float fmax_of(gd_dtype t) { return (float)gd_dtype_max(t); }

static uint8_t fp8_code(gd_dtype t, float v) { return (uint8_t)gd_encode(t, v, GD_RND_NEAREST_EVEN, GD_OVF_SATURATE); }

void gd_fp8_quantize(gd_dtype t, int rows, int cols, const float *x, int per_row, uint8_t *codes, float *scales)
{
    int ns = per_row ? rows : 1;
    for (int s = 0; s < ns; s++) {
        int r0 = per_row ? s : 0, r1 = per_row ? s + 1 : rows;
        float amax = 0;
        for (size_t i = (size_t)r0 * cols; i < (size_t)r1 * cols; i++)
            amax = fmaxf(amax, fabsf(x[i]));
        float sc = amax / fmax_of(t);
        scales[s] = sc;
        for (size_t i = (size_t)r0 * cols; i < (size_t)r1 * cols; i++)
            codes[i] = sc > 0 ? fp8_code(t, x[i] / sc) : 0;
    }
}

void gd_fp8_dequantize(gd_dtype t, int rows, int cols, const uint8_t *codes, const float *scales, int per_row,
                       float *x)
{
    for (int r = 0; r < rows; r++) {
        float sc = scales[per_row ? r : 0];
        for (int c = 0; c < cols; c++)
            x[(size_t)r * cols + c] = gd_decode(t, codes[(size_t)r * cols + c]) * sc;
    }
}

void gd_fp8_gemm(gd_dtype t, int M, int N, int K, const uint8_t *A, const float *a_scales, int a_per_row,
                 const uint8_t *Bt, const float *b_scales, int b_per_row, float *C)
{
    float lut[256];
    for (int i = 0; i < 256; i++)
        lut[i] = gd_decode(t, (uint32_t)i);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            /* Products of two FP8 values have at most 8 significant bits:
             * exact in fp32; only the sum rounds. */
            float acc = 0;
            for (int k = 0; k < K; k++)
                acc += lut[A[(size_t)i * K + k]] * lut[Bt[(size_t)j * K + k]];
            C[(size_t)i * N + j] = acc * a_scales[a_per_row ? i : 0] * b_scales[b_per_row ? j : 0];
        }
}

static const float E2M1[8] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6};

float gd_e2m1_to_f32(uint8_t code)
{
    float v = E2M1[code & 7];
    return (code & 8) ? -v : v;
}

uint8_t gd_f32_to_e2m1(float x)
{
    if (isnan(x))
        return 0;
    float a = fabsf(x);
    int best = 7;
    if (a < 6) {
        /* Nearest of the 8 magnitudes; on a tie the even index (mantissa
         * bit 0) wins, which is round half to even. */
        for (int i = 0; i < 7; i++) {
            float mid = (E2M1[i] + E2M1[i + 1]) / 2;
            if (a < mid || (a == mid && (i % 2) == 0)) {
                best = i;
                break;
            }
        }
    }
    return (uint8_t)((signbit(x) ? 8 : 0) | best);
}

void gd_mxfp4_quantize(int n, const float *x, uint8_t *codes, uint8_t *scales)
{
    for (int b = 0; b < n / 32; b++) {
        float amax = 0;
        for (int j = 0; j < 32; j++)
            if (isfinite(x[b * 32 + j]))
                amax = fmaxf(amax, fabsf(x[b * 32 + j]));
        if (amax == 0) {
            scales[b] = 0;
            memset(codes + b * 32, 0, 32);
            continue;
        }
        int e2;
        frexpf(amax, &e2); /* amax = f * 2^e2, f in [0.5, 1): floor(log2 amax) = e2 - 1 */
        int e = e2 - 1 - 2; /* emax of E2M1 is 2 */
        e = e < -127 ? -127 : e > 127 ? 127 : e;
        scales[b] = (uint8_t)(e + 127);
        for (int j = 0; j < 32; j++)
            codes[b * 32 + j] = gd_f32_to_e2m1(ldexpf(x[b * 32 + j], -e));
    }
}

void gd_mxfp4_dequantize(int n, const uint8_t *codes, const uint8_t *scales, float *x)
{
    for (int b = 0; b < n / 32; b++)
        for (int j = 0; j < 32; j++)
            x[b * 32 + j] = ldexpf(gd_e2m1_to_f32(codes[b * 32 + j]), (int)scales[b] - 127);
}
