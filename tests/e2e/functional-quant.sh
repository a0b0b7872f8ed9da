#!/bin/bash
# Functional mode with --quant int8: every tile of a linear layer's GEMM
# computes its int32 partial product with golden's int8 kernel, partials
# along k add in int32, and each output is compared bit for bit with
# golden's int8 linear (docs/simulator.md, "Functional mode").  Tiles along
# t, n and k (a mapping that splits k in four, a 16x16 array, a partial last
# token tile), decode, the whole model; a perturbed partial must fail.
# Weight-only formats compute in fp32 on golden's dequantized weights;
# q8_0 and q4_0 run golden's ggml block dots, bit-exact; --sparsity 2:4 tiles
# run golden's 2:4 SpMM; llm.int8, fp8, gptq, q4_k and --quant with
# --sparsity are refused.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
tiny_gpt2 "$TMPD/tiny.yaml" gpt2-tiny 64 2 2 128 256
# the bundled tpu mapping with the linear layers' k split in four at hbm
sed -e 's/loops: \[\[rep, auto\], \[t, auto\], \[n, auto\]\]/loops: [[rep, auto], [t, auto], [n, auto], [k, 4]]/' \
    -e 's/loops: \[\[t, unit, cols\], \[n, unit, rows\]\]/loops: [[t, unit, cols], [n, unit, rows], [k, auto]]/' \
    "$ROOT/mapper/mappings/tpu.yaml" >"$TMPD/ksplit.yaml"
n=0
# fq NAME OUTPUTS MINTILES ARGS...: bit-exact against golden's linear in
# format QF (default int8; kernel QK), OUTPUTS outputs compared (sum of tokens
# x outputs over the run's linear layers) in at least MINTILES tiles
fq() {
    name=$1 outs=$2 mint=$3; shift 3; n=$((n + 1))
    qf=${QF:-int8} qk=${QK:-int8}
    if "$EINSIM" run --model "$TMPD/tiny.yaml" --arch tpu --functional --quant "$qf" --json "$TMPD/q$n.json" "$@" \
        >"$TMPD/out" 2>"$TMPD/err" &&
        jq -e --argjson o "$outs" --argjson m "$mint" --arg f "$qf" --arg k "$qk" '.functional.match == true and
            .functional.max_rel_err < 1e-4 and
            .functional.quant == {format: $f, kernel: $k, tiles_checked: .functional.quant.tiles_checked,
                                  elements_checked: $o, bit_exact: true} and
            .functional.quant.tiles_checked >= $m' "$TMPD/q$n.json" >/dev/null &&
        grep -q "functional  $qf linear layers: .* bit-exact" "$TMPD/out"; then
        pass "functional_quant_$name"
    else fail "functional_quant_$name" "$(head -c 300 "$TMPD/err") $(jq -c .functional "$TMPD/q$n.json" 2>/dev/null)"; fi
}
# a layer at t = 48: q, k, v, o (64 outputs), ffn up (128), ffn down (64)
L48=$((48 * (4 * 64 + 128 + 64)))
fq layer "$L48" 6 --seq 48 --scope layer
fq ksplit "$L48" 24 --seq 48 --scope layer --mapping "$TMPD/ksplit.yaml"
fq ksplit_small_array $((50 * (4 * 64 + 128 + 64))) 100 --seq 50 --scope layer --mapping "$TMPD/ksplit.yaml" \
    --set units.mxu.rows=16 --set units.mxu.cols=16
fq decode $((3 * (4 * 64 + 128 + 64))) 6 --seq 40 --phase decode --batch 3 --scope layer
# a resolved mapping (einsim map -o) takes --quant from the workload, as the
# bundled template does: int8 tiles checked, and the same DRAM bytes
"$EINSIM" map --model "$TMPD/tiny.yaml" --arch tpu --seq 48 --scope layer --quant int8 --budget 0 \
    -o "$TMPD/resolved.yaml" >/dev/null 2>&1
fq resolved_mapping "$L48" 6 --seq 48 --scope layer --mapping "$TMPD/resolved.yaml"
rd() { jq '.dram.bytes_read' "$1" 2>/dev/null; }
a=$(rd "$TMPD/q1.json"); b=$(rd "$TMPD/q$n.json")
if [ -n "$a" ] && [ "$a" = "$b" ]; then pass functional_quant_resolved_same_bytes
else fail functional_quant_resolved_same_bytes "template $a, resolved $b bytes read"; fi
# two layers of 53 tokens, and the LM head (vocab 256) on each request's last
# token, as the path quantizes it
fq model $((2 * 53 * (4 * 64 + 128 + 64) + 2 * 256)) 13 --seqs 20,33 --scope model
# perturbed NAME TILE REGEX JQ ARGS...: with tile TILE's partial perturbed
# (EINSIM_TEST_PERTURB_TILE) the run fails: status 2, one stderr line
# matching REGEX, the report written with JQ true
perturbed() {
    name=$1 tile=$2 re=$3 cond=$4; shift 4
    EINSIM_TEST_PERTURB_TILE=$tile "$EINSIM" run --model "$TMPD/tiny.yaml" --arch tpu --functional --seq 48 \
        --scope layer --json "$TMPD/bad.json" "$@" >/dev/null 2>"$TMPD/err"
    rc=$?
    if [ "$rc" = 2 ] && [ "$(wc -l <"$TMPD/err")" = 1 ] && grep -Eq -- "$re" "$TMPD/err" &&
        jq -e "$cond" "$TMPD/bad.json" >/dev/null; then pass "$name"
    else fail "$name" "exit $rc: $(head -c 300 "$TMPD/err")"; fi
}
# not vacuous: one int32 partial off by one fails, naming the Einsum and tile
perturbed functional_quant_perturbed_fails 5 \
    "^einsim: functional mode: [a-z_]+\.Y tile [0-9]+ \(instance 0\): int8 Y\[n=[0-9]+,t=[0-9]+\] = .*not bit-exact" \
    '.functional.match == false and .functional.quant.bit_exact == false' --quant int8 --mapping "$TMPD/ksplit.yaml"
# weight-only formats: W is golden's quantize-dequantize, the tiles compute in
# fp32 and the outputs are held to the tolerance; the weight error shows the
# quantization took place (0 for fp32, small for fp16, large for 4 bits)
fw() { # fw NAME FORMAT MODEL OUTPUTS JQ-CONDITION-ON-weight_rel_err ARGS...
    name=$1 fmt=$2 model=$3 outs=$4 cond=$5; shift 5; n=$((n + 1))
    if "$EINSIM" run --model "$model" --arch tpu --functional --quant "$fmt" --json "$TMPD/w$n.json" "$@" \
        >"$TMPD/out" 2>"$TMPD/err" &&
        jq -e --argjson o "$outs" --arg f "$fmt" ".functional.match == true and .functional.max_rel_err < 1e-4 and
            .functional.quant.format == \$f and .functional.quant.kernel == \"fp32-dequantized\" and
            .functional.quant.elements_checked == \$o and .functional.quant.tiles_checked >= 6 and
            (.functional.quant | has(\"bit_exact\") | not) and
            (.functional.quant.weight_rel_err | $cond)" "$TMPD/w$n.json" >/dev/null; then
        pass "functional_quant_$name"
    else fail "functional_quant_$name" "$(head -c 300 "$TMPD/err") $(jq -c .functional "$TMPD/w$n.json" 2>/dev/null)"; fi
}
fw fp32 fp32 "$TMPD/tiny.yaml" "$L48" '. == 0' --seq 48 --scope layer
fw fp16 fp16 "$TMPD/tiny.yaml" "$L48" '. > 0 and . < 1e-3' --seq 48 --scope layer
fw mxfp4 mxfp4 "$TMPD/tiny.yaml" "$L48" '. > 0.02 and . < 0.3' --seq 48 --scope layer
fw rtn3 rtn3-g32 "$TMPD/tiny.yaml" "$L48" '. > 0.05 and . < 0.5' --seq 48 --scope layer --mapping "$TMPD/ksplit.yaml"
# q8_0, q4_0: golden's ggml path (Q8_0 activations, block dots summed in fp32
# in k order); k tiles of whole blocks keep it bit-exact
sed 's/\[k, 4\]\]/[k, 2]]/' "$TMPD/ksplit.yaml" >"$TMPD/k2.yaml"
QF=q8_0 QK=ggml-blocks fq q8_0_layer "$L48" 6 --seq 48 --scope layer
QF=q8_0 QK=ggml-blocks fq q8_0_ksplit_small_array $((50 * (4 * 64 + 128 + 64))) 200 --seq 50 --scope layer \
    --mapping "$TMPD/k2.yaml" --set units.mxu.rows=16 --set units.mxu.cols=16
QF=q4_0 QK=ggml-blocks fq q4_0_ksplit "$L48" 12 --seq 48 --scope layer --mapping "$TMPD/k2.yaml"
perturbed functional_quant_q4_0_perturbed_fails 7 \
    "^einsim: functional mode: [a-z_]+\.Y tile [0-9]+ \(instance 0\): q4_0 Y\[n=[0-9]+,t=[0-9]+\] = .*not bit-exact" \
    '.functional.match == false and .functional.quant.bit_exact == false' --quant q4_0 --mapping "$TMPD/k2.yaml"
expect_err functional_quant_q8_0_split_block 2 "^einsim: functional mode: q_proj.Y tile 0: k range \[0, 16\) splits a q8_0 block of 32" \
    "$EINSIM" run --model "$TMPD/tiny.yaml" --arch tpu --functional --quant q8_0 --seq 48 --scope layer --mapping "$TMPD/ksplit.yaml"
# q4_k's dot keeps lane sums across superblocks (no tile split reproduces it)
for q in llm.int8 fp8-e4m3 gptq4-g32 q4_k; do
    expect_err "functional_quant_${q}_refused" 2 "^einsim: functional mode: --quant $q is not computed functionally \(supported, bit-exact against golden.s linear: int8" \
        "$EINSIM" run --model "$TMPD/tiny.yaml" --arch tpu --functional --quant "$q" --seq 48 --scope layer
done
# --sparsity 2:4: W pruned 2:4 along k, each tile's slice compressed and run
# through golden's 2:4 SpMM, partials along k added in fp32, held to the tolerance
fs() { # fs NAME OUTPUTS MINTILES ARGS...: OUTPUTS is a count, or several allowed (comma-separated)
    name=$1 outs=$2 mint=$3; shift 3; n=$((n + 1))
    if "$EINSIM" run --model "$TMPD/tiny.yaml" --functional --sparsity 2:4 --json "$TMPD/s$n.json" "$@" \
        >"$TMPD/out" 2>"$TMPD/err" &&
        jq -e --argjson o "[$outs]" --argjson m "$mint" '.functional.match == true and .functional.max_rel_err < 1e-4 and
            .functional.sparse.pattern == "2:4" and .functional.sparse.kernel == "spmm-2:4" and
            (.functional.sparse.elements_checked as $e | $o | index($e) != null) and .functional.sparse.tiles_checked >= $m and
            (.functional | has("quant") | not)' "$TMPD/s$n.json" >/dev/null &&
        grep -q "functional  2:4 linear layers: .* tiles on golden's 2:4 SpMM" "$TMPD/out"; then
        pass "functional_sparse_$name"
    else fail "functional_sparse_$name" "$(head -c 300 "$TMPD/err") $(jq -c .functional "$TMPD/s$n.json" 2>/dev/null)"; fi
}
fs layer "$L48" 6 --arch tpu --seq 48 --scope layer
fs ksplit_small_array $((50 * (4 * 64 + 128 + 64))) 100 --arch tpu --seq 50 --scope layer --mapping "$TMPD/ksplit.yaml" \
    --set units.mxu.rows=16 --set units.mxu.cols=16
# the whole model: the block linears of both layers are 2:4 (the LM head is
# where the path marks it sparse: its outputs are then counted too)
fs model "$((2 * 53 * (4 * 64 + 128 + 64))), $((2 * 53 * (4 * 64 + 128 + 64) + 2 * 256))" 12 \
    --arch tpu --seqs 20,33 --scope model
fs fusemax_sparse "$L48" 6 --arch fusemax-sparse --seq 48 --scope layer
# not vacuous: one partial off by 1.0 exceeds the tolerance, naming the instance
perturbed functional_sparse_perturbed_fails 3 \
    "^einsim: functional mode: .*max relative error [0-9.e-]+ > tolerance 0.001 \(v_proj \(linear\) instance 0\)" \
    '.functional.match == false' --sparsity 2:4
# a k tile of 22 splits a group of four
sed 's/\[k, 4\]\]/[k, 3]]/' "$TMPD/ksplit.yaml" >"$TMPD/k3.yaml"
expect_err functional_sparse_split_group 2 "^einsim: functional mode: q_proj.Y tile 0: k range \[0, 22\) splits a 2:4 group of 4" \
    "$EINSIM" run --model "$TMPD/tiny.yaml" --arch tpu --functional --sparsity 2:4 --seq 48 --scope layer --mapping "$TMPD/k3.yaml"
expect_err functional_block_sparsity_refused 2 "^einsim: functional mode: --sparsity block4x1:0.8 is not computed functionally \(supported: 2:4\)" \
    "$EINSIM" run --model "$TMPD/tiny.yaml" --arch tpu --functional --sparsity block4x1:0.8 --seq 48 --scope layer
expect_err functional_quant_and_sparsity_refused 2 "^einsim: functional mode: --quant int8 with --sparsity 2:4 is not computed functionally" \
    "$EINSIM" run --model "$TMPD/tiny.yaml" --arch tpu --functional --quant int8 --sparsity 2:4 --seq 48 --scope layer
# without --quant the report has no quant entry
"$EINSIM" run --model "$TMPD/tiny.yaml" --arch tpu --functional --seq 48 --scope layer --json "$TMPD/f.json" >/dev/null 2>&1
if jq -e '.functional.match == true and (.functional | has("quant") | not)' "$TMPD/f.json" >/dev/null; then
    pass functional_fp32_no_quant_entry
else fail functional_fp32_no_quant_entry "$(jq -c .functional "$TMPD/f.json" 2>/dev/null)"; fi
