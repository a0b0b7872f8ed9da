/* mapper/resolve.h: turn a mapping template (a bundled hand mapping with
 * sizes left out and factors written `auto`) into a concrete mapping for a
 * workload (models/ expansion).  Rules, in order, per group and rank:
 *   - `rep` auto = the instance's repeat count;
 *   - one auto factor for a rank = the rank size over the other factors;
 *   - two autos (an outer and an inner one, e.g. p at dram and at gb) = the
 *     inner one is the LARGEST divisor of what is left whose group footprint
 *     fits the global buffer (FuseMax's P1 rule, fusemax.md §6), the outer
 *     one the rest;
 *   - `spill: [auto]` = no spill if some divisor fits; otherwise the fibre
 *     tensors that cross units (QK produced on the 2D array for the 1D
 *     softmax, A going back) go off chip and the rule is applied again;
 *   - granularity auto = head when the whole p rank is below the DRAM
 *     level, else row.
 * Templates are matched to workload instances by label (the instance name,
 * e.g. "attention", "q_proj"), then by a template labelled with the
 * cascade name ("linear").  Instances the scope does not cost (norms,
 * residuals, activations: fusemax.md §3 ignores them) are skipped and
 * counted in *skipped.  *out is overwritten (pass an empty mapping) and,
 * on success, owns its cascade array (mp_mapping_free); on failure it is
 * left empty. */
#ifndef MP_RESOLVE_H
#define MP_RESOLVE_H

#include "mapper/arch.h"
#include "mapper/catalog.h"
#include "mapper/mapping.h"
#include "models/models.h"

int mp_resolve(const mp_arch *a, const mp_mapping *tmpl, const md_workload *w, mp_mapping *out, int *skipped,
               es_err *e);
/* Resolve one cascade map in place (ranks and repeat already set). */
int mp_resolve_cascade(const mp_arch *a, mp_cascade_map *cm, es_err *e);
/* Ragged tiles (docs/mapper.md): real points of an einsum (repeat x its
 * space, a split pair m1, m0 counted as m), real elements of a tensor, and
 * the padded points the array spends time on (each rank at the product of
 * its loop factors in g when that exceeds its size; g NULL = unpadded). */
double mp_einsum_real_points(const mp_cascade_map *cm, const mp_einsum_desc *ed);
double mp_tensor_real_elems(const mp_cascade_map *cm, const mp_tensor_desc *t);
double mp_einsum_padded_points(const mp_cascade_map *cm, const mp_group *g, const mp_einsum_desc *ed);
/* The same with size[i] = mp_cmap_rank(cm, ed->space[i]) looked up by the
 * caller (the search's cost model, once per instance); NULL: looked up. */
double mp_einsum_padded_points_sized(const mp_cascade_map *cm, const mp_group *g, const mp_einsum_desc *ed,
                                     const int64_t *size);
/* Do the loop factors of `rank` in g cover `size` with at most one partial
 * (last) tile of the outermost factor > 1?  Equal products always do. */
int mp_rank_covered(const mp_group *g, const char *rank, int64_t size);
/* Fill ranks + repeat of cm from a workload instance (adds m1 = ceil(m/m0)). */
void mp_cmap_set_instance(mp_cascade_map *cm, const md_inst *in);
/* Only the instance's weight storage (format, sparsity, bytes per element):
 * they follow the workload, so a mapping file written by `einsim map -o`
 * takes them from the workload it runs (mapfile.c). */
void mp_cmap_set_storage(mp_cascade_map *cm, const md_inst *in);
/* Split-key decode (attention-decode-split), S splits of a cm set from a
 * decode instance (ranks e f m p m0 m1): s = S, mr = ceil(M/S), m0 =
 * min(m0, mr), m1 = ceil(mr/m0), and m becomes mr.  In a split-key map the
 * rank m is the keys of one partition, so that the split pair m1, m0 counts
 * mr real keys and s x (m1, m0) counts S x mr (= M when S divides M; else
 * the last partition is padded, as the hardware pads it).  Returns -1 when
 * cm lacks m or m0, or S < 1. */
int mp_cmap_split_keys(mp_cascade_map *cm, int64_t S);
/* Keys of a split-key map (S x mr), else rank m; -1 when absent. */
int64_t mp_cmap_keys(const mp_cascade_map *cm);
/* Was cm made for an attention over `keys` keys?  Its m equals them, or it
 * is a split-key map whose S partitions of mr keys cover them
 * (ceil(keys / S) = mr, as mp_cmap_split_keys makes it). */
int mp_cmap_fits_keys(const mp_cascade_map *cm, int64_t keys);

#endif
