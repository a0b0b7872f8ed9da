/* golden/quant_formats.c: the table of weight quantization formats and their
 * stored sizes (golden/quant.h).  Layout sources: bitsandbytes Int8Params
 * (CB int8 + SCB fp32 per row), AutoGPTQ qlinear_cuda_old (v1 packing), ggml
 * ggml-common.h (block sizes), OCP MX v1.0 (MXFP4). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden/quant.h"

#define GPTQ_ROW(nm, fam, b, g, what) \
    {nm, fam, b, g, GD_QS_GROUP, GD_I8, 16, 32, 1, what}

static const gd_qformat FORMATS[] = {
    {"fp32", GD_QF_FLOAT, 32, 0, GD_QS_NONE, GD_F32, 0, 0, 0, "unquantized fp32"},
    {"fp16", GD_QF_FLOAT, 16, 0, GD_QS_NONE, GD_F16, 0, 0, 0, "fp16 weights (round to nearest even)"},
    {"bf16", GD_QF_FLOAT, 16, 0, GD_QS_NONE, GD_BF16, 0, 0, 0, "bf16 weights (round to nearest even)"},
    {"int8", GD_QF_INT8, 8, 0, GD_QS_ROW, GD_I8, 32, 0, 1,
     "vector-wise int8: absmax per weight row and per activation row, int32 accumulate"},
    {"llm.int8", GD_QF_LLM_INT8, 8, 0, GD_QS_ROW, GD_I8, 32, 0, 1,
     "LLM.int8(): int8 vector-wise plus fp16 outlier columns (|x| >= 6.0)"},
    GPTQ_ROW("gptq4-g128", GD_QF_GPTQ, 4, 128, "GPTQ 4-bit, groups of 128, symmetric, AutoGPTQ v1 layout"),
    GPTQ_ROW("gptq3-g128", GD_QF_GPTQ, 3, 128, "GPTQ 3-bit, groups of 128, symmetric, AutoGPTQ v1 layout"),
    GPTQ_ROW("gptq4-g32", GD_QF_GPTQ, 4, 32, "GPTQ 4-bit, groups of 32, symmetric, AutoGPTQ v1 layout"),
    GPTQ_ROW("gptq3-g32", GD_QF_GPTQ, 3, 32, "GPTQ 3-bit, groups of 32, symmetric, AutoGPTQ v1 layout"),
    GPTQ_ROW("rtn4-g128", GD_QF_RTN, 4, 128, "round-to-nearest 4-bit, groups of 128 (GPTQ layout)"),
    GPTQ_ROW("rtn3-g128", GD_QF_RTN, 3, 128, "round-to-nearest 3-bit, groups of 128 (GPTQ layout)"),
    GPTQ_ROW("rtn4-g32", GD_QF_RTN, 4, 32, "round-to-nearest 4-bit, groups of 32 (GPTQ layout)"),
    GPTQ_ROW("rtn3-g32", GD_QF_RTN, 3, 32, "round-to-nearest 3-bit, groups of 32 (GPTQ layout)"),
    {"q8_0", GD_QF_Q8_0, 8, 32, GD_QS_GROUP, GD_I8, 16, 0, 1, "ggml Q8_0: 32 int8 + fp16 scale (8.5 bits/weight)"},
    {"q4_0", GD_QF_Q4_0, 4, 32, GD_QS_GROUP, GD_I8, 16, 0, 1, "ggml Q4_0: 32 nibbles + fp16 scale (4.5 bits/weight)"},
    {"q4_k", GD_QF_Q4_K, 4, 32, GD_QS_GROUP, GD_I8, 6, 6, 0,
     "ggml Q4_K: 256-element super-blocks, 6-bit scale and min per 32, fp16 d and dmin (4.5 bits/weight)"},
    {"fp8-e4m3", GD_QF_FP8, 8, 0, GD_QS_ROW, GD_E4M3, 32, 0, 1, "FP8 E4M3 weights, fp32 scale per output row"},
    {"fp8-e5m2", GD_QF_FP8, 8, 0, GD_QS_ROW, GD_E5M2, 32, 0, 1, "FP8 E5M2 weights, fp32 scale per output row"},
    {"fp8-e4m3-t", GD_QF_FP8, 8, 0, GD_QS_TENSOR, GD_E4M3, 32, 0, 1, "FP8 E4M3 weights, one fp32 scale"},
    {"fp8-e5m2-t", GD_QF_FP8, 8, 0, GD_QS_TENSOR, GD_E5M2, 32, 0, 1, "FP8 E5M2 weights, one fp32 scale"},
    {"mxfp4", GD_QF_MXFP4, 4, 32, GD_QS_GROUP, GD_I8, 8, 0, 1, "OCP MXFP4: E2M1 elements, E8M0 scale per 32"},
};
#define N_FORMATS ((int)(sizeof FORMATS / sizeof FORMATS[0]))

int gd_qformat_count(void) { return N_FORMATS; }

const gd_qformat *gd_qformat_at(int i) { return i >= 0 && i < N_FORMATS ? &FORMATS[i] : NULL; }

const gd_qformat *gd_qformat_find(const char *name)
{
    for (int i = 0; i < N_FORMATS; i++)
        if (strcmp(FORMATS[i].name, name) == 0)
            return &FORMATS[i];
    return NULL;
}

static int parse_uint(const char *s, const char **end, int *v)
{
    if (*s < '0' || *s > '9')
        return -1;
    long x = 0;
    while (*s >= '0' && *s <= '9') {
        x = x * 10 + (*s++ - '0');
        if (x > 1 << 20)
            return -1;
    }
    *v = (int)x;
    *end = s;
    return 0;
}

int gd_qformat_parse(const char *name, gd_qformat *out, es_err *e)
{
    const gd_qformat *f = gd_qformat_find(name);
    if (f) {
        *out = *f;
        return 0;
    }
    gd_qfamily fam;
    const char *p;
    if (strncmp(name, "gptq", 4) == 0)
        fam = GD_QF_GPTQ, p = name + 4;
    else if (strncmp(name, "rtn", 3) == 0)
        fam = GD_QF_RTN, p = name + 3;
    else
        return es_fail(e,
                       "--quant '%s': unknown format; expected fp32, fp16, bf16, int8, llm.int8, gptqB-gG, rtnB-gG, "
                       "q8_0, q4_0, q4_k, fp8-e4m3, fp8-e5m2, fp8-e4m3-t, fp8-e5m2-t or mxfp4",
                       name);
    int bits, group = 0;
    if (parse_uint(p, &p, &bits) < 0 || (bits != 2 && bits != 3 && bits != 4 && bits != 8))
        return es_fail(e, "--quant '%s': bits out of range; expected 2, 3, 4 or 8 after '%s'", name,
                       fam == GD_QF_GPTQ ? "gptq" : "rtn");
    if (strncmp(p, "-row", 4) == 0)
        p += 4, group = 0;
    else if (strncmp(p, "-g", 2) == 0) {
        if (parse_uint(p + 2, &p, &group) < 0 || group < 32 || group % 32 != 0)
            return es_fail(e, "--quant '%s': bad group size; expected -g followed by a multiple of 32 (32, 64, 128, ...)",
                           name);
    } else
        return es_fail(e, "--quant '%s': expected -gG (group size) or -row after the bits", name);
    int sym = 1;
    if (strcmp(p, "-asym") == 0)
        sym = 0;
    else if (*p)
        return es_fail(e, "--quant '%s': unexpected '%s'; expected nothing or -asym", name, p);
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", name);
    out->family = fam;
    out->bits = bits;
    out->group = group;
    out->scope = group ? GD_QS_GROUP : GD_QS_ROW;
    out->elem = GD_I8;
    out->scale_bits = 16;
    out->zero_bits = 32;
    out->sym = sym;
    out->what = fam == GD_QF_GPTQ ? "GPTQ, AutoGPTQ v1 layout" : "round-to-nearest, GPTQ layout";
    return 0;
}

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* AutoGPTQ v1 qweight: int32 [ceil(cols/32)*bits, rows] */
static int64_t gptq_qweight_bytes(const gd_qformat *f, int64_t rows, int64_t cols)
{
    return ceil_div(cols, 32) * f->bits * rows * 4;
}

int64_t gd_quant_weight_bytes(const gd_qformat *f, int64_t rows, int64_t cols)
{
    int64_t n = rows * cols;
    switch (f->family) {
    case GD_QF_FLOAT:
        return n * (int64_t)gd_dtype_size(f->elem);
    case GD_QF_INT8:
    case GD_QF_LLM_INT8:
        return n + 4 * rows;
    case GD_QF_GPTQ:
    case GD_QF_RTN: {
        int64_t ng = f->group > 0 ? ceil_div(cols, f->group) : 1;
        int64_t qweight = gptq_qweight_bytes(f, rows, cols);
        int64_t scales = ng * rows * 2;
        int64_t qzeros = ng * ceil_div(rows, 32) * f->bits * 4;
        int64_t g_idx = cols * 4;
        return qweight + scales + qzeros + g_idx;
    }
    case GD_QF_Q8_0:
        return rows * ceil_div(cols, 32) * 34;
    case GD_QF_Q4_0:
        return rows * ceil_div(cols, 32) * 18;
    case GD_QF_Q4_K:
        return rows * ceil_div(cols, 256) * 144;
    case GD_QF_FP8:
        return n + (f->scope == GD_QS_TENSOR ? 4 : 4 * rows);
    case GD_QF_MXFP4:
        return rows * ceil_div(cols, 32) * 17;
    }
    return 0;
}

int64_t gd_quant_side_bytes(const gd_qformat *f, int64_t rows, int64_t cols)
{
    switch (f->family) {
    case GD_QF_FLOAT:
        return 0;
    case GD_QF_INT8:
    case GD_QF_LLM_INT8:
        return 4 * rows;
    case GD_QF_GPTQ:
    case GD_QF_RTN:
        return gd_quant_weight_bytes(f, rows, cols) - gptq_qweight_bytes(f, rows, cols);
    case GD_QF_Q8_0:
    case GD_QF_Q4_0:
        return rows * ceil_div(cols, 32) * 2;
    case GD_QF_Q4_K:
        return rows * ceil_div(cols, 256) * 16;
    case GD_QF_FP8:
        return f->scope == GD_QS_TENSOR ? 4 : 4 * rows;
    case GD_QF_MXFP4:
        return rows * ceil_div(cols, 32);
    }
    return 0;
}

double gd_quant_bits_per_weight(const gd_qformat *f, int64_t rows, int64_t cols)
{
    if (rows <= 0 || cols <= 0)
        return 0;
    return 8.0 * (double)gd_quant_weight_bytes(f, rows, cols) / ((double)rows * (double)cols);
}
