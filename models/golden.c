/* models/golden.c: md_model -> gd_config (see golden.h). */
#include "models/golden.h"

#include <limits.h>

int md_golden_config(const md_model *md, gd_config *c, es_err *e)
{
    gd_family fam;
    switch (md->family) {
    case MD_FAM_GPT2:
        fam = GD_FAM_GPT2;
        break;
    case MD_FAM_BERT:
        fam = GD_FAM_BERT;
        break;
    case MD_FAM_LLAMA:
        fam = GD_FAM_LLAMA;
        break;
    default:
        return es_fail(e, "golden forward supports the gpt2, bert and llama families, not '%s'",
                       md_family_name(md->family));
    }
    static const md_act want_act[] = {MD_ACT_GELU_TANH, MD_ACT_GELU, MD_ACT_SWIGLU};
    static const md_norm want_norm[] = {MD_NORM_LAYERNORM, MD_NORM_LAYERNORM, MD_NORM_RMSNORM};
    static const md_normpos want_np[] = {MD_NORMPOS_PRE, MD_NORMPOS_POST, MD_NORMPOS_PRE};
    static const md_pos want_pos[] = {MD_POS_LEARNED, MD_POS_LEARNED, MD_POS_ROPE};
    if (md->ffn_act != want_act[fam])
        return es_fail(e, "key 'ffn_act': golden %s uses %s, the model says %s", gd_family_name(fam),
                       md_act_name(want_act[fam]), md_act_name(md->ffn_act));
    if (md->norm != want_norm[fam] || md->norm_pos != want_np[fam])
        return es_fail(e, "key 'norm': golden %s uses %s-%s, the model differs", gd_family_name(fam),
                       want_np[fam] == MD_NORMPOS_PRE ? "pre" : "post", md_norm_name(want_norm[fam]));
    if (md->pos != want_pos[fam])
        return es_fail(e, "key 'pos': golden %s uses %s positions, the model says %s", gd_family_name(fam),
                       md_pos_name(want_pos[fam]), md_pos_name(md->pos));
    if (fam == GD_FAM_LLAMA && (md->qkv_bias || md->o_bias || md->ffn_bias))
        return es_fail(e, "key 'bias': golden llama has no biases");
    if (fam == GD_FAM_GPT2 && !md->tied_embeddings)
        return es_fail(e, "key 'tied_embeddings': golden gpt2 ties the LM head to wte");
    if (md->d_model > INT_MAX || md->vocab > INT_MAX || md->max_seq > INT_MAX || md->ffn_dim > INT_MAX)
        return es_fail(e, "sizes too large for the golden model");
    gd_config_default(c, fam);
    c->vocab = (int)md->vocab;
    c->d_model = (int)md->d_model;
    c->n_layers = (int)md->n_layers;
    c->n_heads = (int)md->n_heads;
    c->n_kv_heads = (int)(md->n_kv_heads > 0 ? md->n_kv_heads : md->n_heads);
    c->head_dim = (int)(md->head_dim > 0 ? md->head_dim : md->d_model / md->n_heads);
    c->ffn_dim = (int)md->ffn_dim;
    c->max_seq = (int)md->max_seq;
    c->type_vocab = (int)md->type_vocab;
    c->norm_eps = (float)md->norm_eps;
    c->tied = md->tied_embeddings;
    if (fam == GD_FAM_LLAMA) {
        c->rope_theta = md->rope_theta;
        if (md->rope_scaling == MD_ROPE_SCALING_LLAMA3) {
            c->rope_llama3 = 1;
            c->rope_factor = md->rope_factor;
            c->rope_low_freq_factor = md->rope_low_freq_factor;
            c->rope_high_freq_factor = md->rope_high_freq_factor;
            c->rope_original_max_seq = (int)md->rope_original_max_seq;
        }
    }
    return gd_config_check(c, e) != 0 ? -1 : 0;
}
