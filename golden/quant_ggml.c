/* golden/quant_ggml.c: ggml's Q8_0, Q4_0, Q4_K weight blocks and Q8_K
 * activation blocks, with the rounding of ggml-quants.c's reference
 * (quantize_row_*_ref) restated: Q8_0 roundf (half away from zero), Q4_0
 * truncation of x*id + 8.5, K-quants nearest_int (half to even), fp16 scales
 * RNE.  Dot products: exact integer sums per block, fp32 across blocks in
 * block order. */
#include <math.h>
#include <string.h>

#include "golden/quant.h"

static uint16_t f16(float x) { return gd_f32_to_f16(x, GD_RND_NEAREST_EVEN, GD_OVF_INF); }
static float f32(uint16_t h) { return gd_f16_to_f32(h); }
/* ggml's nearest_int, as ggml computes it: add 1.5 * 2^23 so the fp32 sum's
 * mantissa holds the rounded integer (the FPU's default round-to-nearest-even;
 * nothing in einsim changes the rounding mode), valid for |f| < 2^22, which
 * every caller stays far inside. */
static int nearest_int(float f)
{
    float v = f + 12582912.f;
    int32_t i;
    memcpy(&i, &v, 4);
    return (i & 0x007fffff) - 0x00400000;
}

void gd_q8_0_quantize(int n, const float *x, gd_block_q8_0 *y)
{
    for (int b = 0; b < n / GD_QK8_0; b++, x += GD_QK8_0) {
        float amax = 0;
        for (int j = 0; j < GD_QK8_0; j++)
            amax = fmaxf(amax, fabsf(x[j]));
        float d = amax / 127.0f, id = d != 0 ? 1.0f / d : 0.0f;
        y[b].d = f16(d);
        for (int j = 0; j < GD_QK8_0; j++)
            y[b].qs[j] = (int8_t)gd_round_integral(x[j] * id, GD_RND_NEAREST_AWAY);
    }
}

void gd_q8_0_dequantize(int n, const gd_block_q8_0 *x, float *y)
{
    for (int b = 0; b < n / GD_QK8_0; b++) {
        float d = f32(x[b].d);
        for (int j = 0; j < GD_QK8_0; j++)
            y[b * GD_QK8_0 + j] = (float)x[b].qs[j] * d;
    }
}

void gd_q4_0_quantize(int n, const float *x, gd_block_q4_0 *y)
{
    for (int b = 0; b < n / GD_QK4_0; b++, x += GD_QK4_0) {
        float amax = 0, max = 0;
        for (int j = 0; j < GD_QK4_0; j++)
            if (amax < fabsf(x[j]))
                amax = fabsf(x[j]), max = x[j];
        float d = max / -8.0f, id = d != 0 ? 1.0f / d : 0.0f;
        y[b].d = f16(d);
        for (int j = 0; j < 16; j++) {
            /* (int8_t)(v + 8.5f): v + 8.5 lies in [0.5, 16.5] so the cast truncates. */
            int lo = (int)(int8_t)(x[j] * id + 8.5f), hi = (int)(int8_t)(x[16 + j] * id + 8.5f);
            lo = lo > 15 ? 15 : lo, hi = hi > 15 ? 15 : hi;
            y[b].qs[j] = (uint8_t)(lo | hi << 4);
        }
    }
}

void gd_q4_0_dequantize(int n, const gd_block_q4_0 *x, float *y)
{
    for (int b = 0; b < n / GD_QK4_0; b++) {
        float d = f32(x[b].d);
        for (int j = 0; j < 16; j++) {
            y[b * 32 + j] = (float)((x[b].qs[j] & 0xF) - 8) * d;
            y[b * 32 + 16 + j] = (float)((x[b].qs[j] >> 4) - 8) * d;
        }
    }
}

/* ggml's make_qkx2_quants: weighted (scale, min) fit of n values to
 * [0, nmax] codes, trying nstep+1 candidate inverse scales. Returns the
 * scale; *the_min gets -min (>= 0). */
static float make_qkx2_quants(int n, int nmax, const float *x, const float *w, uint8_t *L, float *the_min,
                              uint8_t *Laux, float rmin, float rdelta, int nstep)
{
    float min = x[0], max = x[0], sum_w = w[0], sum_x = sum_w * x[0];
    for (int i = 1; i < n; i++) {
        if (x[i] < min)
            min = x[i];
        if (x[i] > max)
            max = x[i];
        sum_w += w[i];
        sum_x += w[i] * x[i];
    }
    if (min > 0)
        min = 0;
    if (max == min) {
        memset(L, 0, (size_t)n);
        *the_min = -min;
        return 0.f;
    }
    float iscale = nmax / (max - min), scale = 1 / iscale, best = 0;
    for (int i = 0; i < n; i++) {
        int l = nearest_int(iscale * (x[i] - min));
        L[i] = (uint8_t)(l < 0 ? 0 : l > nmax ? nmax : l);
        float diff = scale * L[i] + min - x[i];
        best += w[i] * diff * diff;
    }
    for (int is = 0; is <= nstep; is++) {
        iscale = (rmin + rdelta * is + nmax) / (max - min);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; i++) {
            int l = nearest_int(iscale * (x[i] - min));
            l = l < 0 ? 0 : l > nmax ? nmax : l;
            Laux[i] = (uint8_t)l;
            sum_l += w[i] * l;
            sum_l2 += w[i] * l * l;
            sum_xl += w[i] * l * x[i];
        }
        float D = sum_w * sum_l2 - sum_l * sum_l;
        if (D > 0) {
            float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
            float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
            if (this_min > 0) {
                this_min = 0;
                this_scale = sum_xl / sum_l2;
            }
            float mad = 0;
            for (int i = 0; i < n; i++) {
                float diff = this_scale * Laux[i] + this_min - x[i];
                mad += w[i] * diff * diff;
            }
            if (mad < best) {
                memcpy(L, Laux, (size_t)n);
                best = mad;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    *the_min = -min;
    return scale;
}

static void get_scale_min_k4(int j, const uint8_t *q, uint8_t *d, uint8_t *m)
{
    if (j < 4) {
        *d = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *d = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        *m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

void gd_q4_k_quantize(int n, const float *x, gd_block_q4_k *y)
{
    uint8_t L[GD_QK_K], Laux[32];
    float weights[32], mins[8], scales[8];
    for (int b = 0; b < n / GD_QK_K; b++, x += GD_QK_K) {
        float max_scale = 0, max_min = 0;
        for (int j = 0; j < 8; j++) {
            float sum_x2 = 0;
            for (int l = 0; l < 32; l++)
                sum_x2 += x[32 * j + l] * x[32 * j + l];
            float av_x = sqrtf(sum_x2 / 32);
            for (int l = 0; l < 32; l++)
                weights[l] = av_x + fabsf(x[32 * j + l]);
            scales[j] = make_qkx2_quants(32, 15, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, -1.f, 0.1f, 20);
            if (scales[j] > max_scale)
                max_scale = scales[j];
            if (mins[j] > max_min)
                max_min = mins[j];
        }
        float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f, inv_min = max_min > 0 ? 63.f / max_min : 0.f;
        memset(y[b].scales, 0, 12);
        for (int j = 0; j < 8; j++) {
            int ls = nearest_int(inv_scale * scales[j]), lm = nearest_int(inv_min * mins[j]);
            ls = ls > 63 ? 63 : ls, lm = lm > 63 ? 63 : lm;
            if (j < 4) {
                y[b].scales[j] = (uint8_t)ls;
                y[b].scales[j + 4] = (uint8_t)lm;
            } else {
                y[b].scales[j + 4] = (uint8_t)((ls & 0xF) | ((lm & 0xF) << 4));
                y[b].scales[j - 4] |= (uint8_t)((ls >> 4) << 6);
                y[b].scales[j] |= (uint8_t)((lm >> 4) << 6);
            }
        }
        y[b].d = f16(max_scale / 63.f);
        y[b].dmin = f16(max_min / 63.f);
        for (int j = 0; j < 8; j++) {
            uint8_t sc, m;
            get_scale_min_k4(j, y[b].scales, &sc, &m);
            float d = f32(y[b].d) * sc;
            if (d == 0)
                continue; /* keep the codes of the fit (ggml does the same) */
            float dm = f32(y[b].dmin) * m;
            for (int ii = 0; ii < 32; ii++) {
                int l = nearest_int((x[32 * j + ii] + dm) / d);
                L[32 * j + ii] = (uint8_t)(l < 0 ? 0 : l > 15 ? 15 : l);
            }
        }
        uint8_t *q = y[b].qs;
        for (int j = 0; j < GD_QK_K; j += 64, q += 32)
            for (int l = 0; l < 32; l++)
                q[l] = (uint8_t)(L[j + l] | (L[j + l + 32] << 4));
    }
}

void gd_q4_k_dequantize(int n, const gd_block_q4_k *x, float *y)
{
    for (int b = 0; b < n / GD_QK_K; b++) {
        float d = f32(x[b].d), min = f32(x[b].dmin);
        const uint8_t *q = x[b].qs;
        int is = 0;
        for (int j = 0; j < GD_QK_K; j += 64, q += 32, is += 2) {
            uint8_t sc, m;
            get_scale_min_k4(is, x[b].scales, &sc, &m);
            float d1 = d * sc, m1 = min * m;
            get_scale_min_k4(is + 1, x[b].scales, &sc, &m);
            float d2 = d * sc, m2 = min * m;
            for (int l = 0; l < 32; l++)
                *y++ = d1 * (q[l] & 0xF) - m1;
            for (int l = 0; l < 32; l++)
                *y++ = d2 * (q[l] >> 4) - m2;
        }
    }
}

void gd_q8_k_quantize(int n, const float *x, gd_block_q8_k *y)
{
    for (int b = 0; b < n / GD_QK_K; b++, x += GD_QK_K) {
        float max = 0, amax = 0;
        for (int j = 0; j < GD_QK_K; j++)
            if (fabsf(x[j]) > amax)
                amax = fabsf(x[j]), max = x[j];
        if (amax == 0) {
            y[b].d = 0;
            memset(y[b].qs, 0, sizeof y[b].qs);
            memset(y[b].bsums, 0, sizeof y[b].bsums);
            continue;
        }
        float iscale = -127.f / max;
        for (int j = 0; j < GD_QK_K; j++) {
            int v = nearest_int(iscale * x[j]);
            y[b].qs[j] = (int8_t)(v > 127 ? 127 : v);
        }
        for (int j = 0; j < 16; j++) {
            int s = 0;
            for (int i = 0; i < 16; i++)
                s += y[b].qs[j * 16 + i];
            y[b].bsums[j] = (int16_t)s;
        }
        y[b].d = 1 / iscale;
    }
}

int gd_ggml_block_elems(gd_qfamily fam)
{
    return fam == GD_QF_Q8_0 ? GD_QK8_0 : fam == GD_QF_Q4_0 ? GD_QK4_0 : fam == GD_QF_Q4_K ? GD_QK_K : 0;
}

size_t gd_ggml_block_bytes(gd_qfamily fam)
{
    return fam == GD_QF_Q8_0   ? sizeof(gd_block_q8_0)
           : fam == GD_QF_Q4_0 ? sizeof(gd_block_q4_0)
           : fam == GD_QF_Q4_K ? sizeof(gd_block_q4_k)
                               : 0;
}

void gd_ggml_quantize(gd_qfamily fam, int n, const float *x, void *blocks)
{
    if (fam == GD_QF_Q8_0)
        gd_q8_0_quantize(n, x, blocks);
    else if (fam == GD_QF_Q4_0)
        gd_q4_0_quantize(n, x, blocks);
    else if (fam == GD_QF_Q4_K)
        gd_q4_k_quantize(n, x, blocks);
}

void gd_ggml_dequantize(gd_qfamily fam, int n, const void *blocks, float *y)
{
    if (fam == GD_QF_Q8_0)
        gd_q8_0_dequantize(n, blocks, y);
    else if (fam == GD_QF_Q4_0)
        gd_q4_0_dequantize(n, blocks, y);
    else if (fam == GD_QF_Q4_K)
        gd_q4_k_dequantize(n, blocks, y);
}

float gd_q8_0_dot(int n, const gd_block_q8_0 *w, const gd_block_q8_0 *x)
{
    float sum = 0;
    for (int b = 0; b < n / GD_QK8_0; b++) {
        int s = 0;
        for (int j = 0; j < 32; j++)
            s += w[b].qs[j] * x[b].qs[j];
        sum += (float)s * (f32(w[b].d) * f32(x[b].d));
    }
    return sum;
}

float gd_q4_0_dot(int n, const gd_block_q4_0 *w, const gd_block_q8_0 *x)
{
    float sum = 0;
    for (int b = 0; b < n / GD_QK4_0; b++) {
        int s = 0;
        for (int j = 0; j < 16; j++)
            s += ((w[b].qs[j] & 0xF) - 8) * x[b].qs[j] + ((w[b].qs[j] >> 4) - 8) * x[b].qs[j + 16];
        sum += (float)s * f32(w[b].d) * f32(x[b].d);
    }
    return sum;
}

float gd_q4_k_dot(int n, const gd_block_q4_k *w, const gd_block_q8_k *x)
{
    /* ggml's float order (ggml_vec_dot_q4_K_q8_K_generic): the scaled code
     * products go to 8 integer lanes (element e to lane e % 8), each lane is
     * scaled into its own float sum across superblocks, the mins term is
     * subtracted per superblock, and the 8 lane sums are added last.  The
     * integer parts are exact in any order; this makes the float result
     * bit-equal to ggml's (tests/golden/test_quant_ggml_vectors.c). */
    float lane_sum[8] = {0}, sum = 0;
    for (int b = 0; b < n / GD_QK_K; b++) {
        const uint8_t *q = w[b].qs;
        const int8_t *a = x[b].qs;
        int32_t lane[8] = {0}, msum = 0;
        for (int j = 0; j < 8; j++) {
            uint8_t sc, m;
            get_scale_min_k4(j, w[b].scales, &sc, &m);
            for (int l = 0; l < 32; l++) {
                int code = (j & 1) ? q[(j / 2) * 32 + l] >> 4 : q[(j / 2) * 32 + l] & 0xF;
                lane[l % 8] += sc * (code * a[32 * j + l]);
            }
            msum += m * (x[b].bsums[2 * j] + x[b].bsums[2 * j + 1]);
        }
        const float d = f32(w[b].d) * x[b].d, dmin = f32(w[b].dmin) * x[b].d;
        for (int l = 0; l < 8; l++)
            lane_sum[l] += d * (float)lane[l];
        sum -= dmin * (float)msum;
    }
    for (int l = 0; l < 8; l++)
        sum += lane_sum[l];
    return sum;
}
