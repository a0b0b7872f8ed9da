/* models/wstore.c: the stored form of a linear layer's weight under --quant
 * and --sparsity (see models.h, md_weight_store).  Layouts are golden's:
 * golden/quant.h (formats), golden/sparse.h (2:4, BSR, CSR); the byte
 * formulas are stated in docs/reports.md. */
#include <math.h>
#include <string.h>

#include "golden/quant.h"
#include "golden/sparse.h"
#include "models/models.h"

static const char weight_forms[] = "expected a weight form: 2:4, blockRxC:S (e.g. block4x1:0.8) or unstructured:S";

int md_sparsity_check(const char *s, es_err *e)
{
    gd_sparsity sp;
    if (gd_sparsity_parse(s, &sp, e))
        return -1;
    if (!gd_sparsity_is_weight(&sp))
        return es_fail(e, "--sparsity '%s': attention and KV-cache sparsity are not modelled on the path; %s", s,
                       weight_forms);
    return 0;
}

int md_sparsity_pattern(const char *s, char *pattern, size_t size)
{
    gd_sparsity sp;
    es_err e;
    if (gd_sparsity_parse(s, &sp, &e) || !gd_sparsity_is_weight(&sp))
        return -1;
    if (sp.kind == GD_SP_BLOCK)
        snprintf(pattern, size, "block%dx%d", sp.br, sp.bc);
    else
        snprintf(pattern, size, "%s", sp.kind == GD_SP_24 ? "2:4" : "unstructured");
    return 0;
}

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

int md_weight_store(const char *quant, const char *sparsity, const char *tensor, int64_t n, int64_t k,
                    md_wstore *w, es_err *e)
{
    memset(w, 0, sizeof *w);
    gd_qformat qf;
    const gd_qformat *q = NULL;
    if (quant && quant[0]) {
        if (gd_qformat_parse(quant, &qf, e))
            return -1;
        q = &qf;
    }
    gd_sparsity sp = {.kind = GD_SP_NONE};
    if (sparsity && sparsity[0]) {
        if (md_sparsity_check(sparsity, e) || gd_sparsity_parse(sparsity, &sp, e))
            return -1;
    }
    if (n < 1 || k < 1)
        return es_fail(e, "linear %s: weight %lld x %lld; expected positive sizes", tensor, (long long)n,
                       (long long)k);
    w->has_codes = q != NULL;
    w->side_bytes = q ? gd_quant_side_bytes(q, n, k) : 0;
    if (sp.kind == GD_SP_NONE) {
        w->kept = n * k;
        w->code_bytes = q ? gd_quant_weight_bytes(q, n, k) - w->side_bytes : 0;
        return 0;
    }
    if (sp.kind == GD_SP_24) {
        if (k % 4)
            return es_fail(e, "--sparsity '%s': linear %s's weight is %lld x %lld (outputs x inputs); 2:4 needs the "
                              "inputs to be a multiple of 4",
                           sparsity, tensor, (long long)n, (long long)k);
        w->kept = n * (k / 2);
        w->side_bytes += ceil_div(2 * w->kept, 8); /* a 2-bit position per kept value (gd_sp24_bytes) */
    } else if (sp.kind == GD_SP_BLOCK) {
        if (n % sp.br || k % sp.bc)
            return es_fail(e, "--sparsity '%s': linear %s's weight is %lld x %lld (outputs x inputs); block %dx%d "
                              "does not divide it",
                           sparsity, tensor, (long long)n, (long long)k, sp.br, sp.bc);
        /* golden's block pruning zeroes floor(S x blocks) blocks (gd_prune_blocks) */
        int64_t nb = (n / sp.br) * (k / sp.bc), kept_blocks = nb - (int64_t)floor(sp.level * (double)nb);
        w->kept = kept_blocks * sp.br * sp.bc;
        w->side_bytes += 4 * kept_blocks + 4 * (n / sp.br + 1); /* block columns, row pointers (gd_bsr_bytes) */
    } else {
        int64_t nk = n * k, nnz = nk - (int64_t)floor(sp.level * (double)nk); /* gd_prune_unstructured */
        w->kept = nnz;
        w->side_bytes += 4 * nnz + 4 * (n + 1); /* columns, row pointers (gd_csr_bytes) */
    }
    /* the kept values' codes, packed at the format's width; its scales
     * (side bytes above) stay whole */
    w->code_bytes = q ? ceil_div(w->kept * q->bits, 8) : 0;
    return 0;
}

int64_t md_wstore_bytes(const md_wstore *w, int64_t word_bytes)
{
    return (w->has_codes ? w->code_bytes : w->kept * word_bytes) + w->side_bytes;
}
