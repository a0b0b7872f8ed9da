#!/bin/bash
# Functional mode through the cascade interpreter: every tile op computes its
# values in simulated order and each cascade instance's output is compared
# with its golden reference, for several cascades, archs, scopes, phases and
# variable-length batches (a tiny GPT-2-shaped model keeps it to seconds).
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
sed -e 's/^name: gpt2-small/name: gpt2-tiny/; s/^d_model: 768/d_model: 64/; s/^n_layers: 12/n_layers: 2/' \
    -e 's/^n_heads: 12/n_heads: 2/; s/^ffn_dim: 3072/ffn_dim: 128/; s/^vocab: 50257/vocab: 256/' \
    "$ROOT/models/gpt2-small.yaml" >"$TMPD/tiny.yaml"
n=0
fn() { # fn NAME ARGS...: functional run matches golden
    name=$1; shift; n=$((n + 1))
    if "$EINSIM" run --model "$TMPD/tiny.yaml" --functional --json "$TMPD/f$n.json" "$@" >/dev/null 2>"$TMPD/err" &&
        jq -e '.functional.match == true and .functional.max_rel_err < 1e-4' "$TMPD/f$n.json" >/dev/null; then
        pass "functional_$name"
    else fail "functional_$name" "$(head -c 300 "$TMPD/err")"; fi
}
fn flat_3pass --arch flat --seq 200
fn unfused_groups --arch unfused --seq 128
fn cascade_ablation --arch fusemax-cascade --seq 256
fn arch_sequential --arch fusemax-arch --seq 256
fn varlen --arch fusemax --seqs 100,256,37
fn decode --arch fusemax --seq 300 --phase decode --gen 2
fn decode_split --arch fusemax --seq 300 --phase decode --splits 3
fn tpu_decode_split_layer --arch tpu --seq 300 --phase decode --splits 3 --scope layer
fn tpu_layer --arch tpu --seq 48 --scope layer
fn tpu_model_varlen --arch tpu --seqs 20,33 --scope model
fn tpu_decode_layer --arch tpu --seq 40 --phase decode --gen 2 --scope layer
fn fusemax_layer --arch fusemax --seq 64 --scope layer
