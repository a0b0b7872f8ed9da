# einsim run and map beyond the FuseMax grid (DESIGN §9): ragged lengths,
# variable-length batches, decode, scope model, norms/activations on tpu's
# vector unit.  Every path runs, its report is deterministic (identical
# JSON but simulation.wall_s), fast-forward equals --full, and invalid
# combinations give one line and status 2.
. "$(dirname "$0")/lib.sh"
if ! command -v jq >/dev/null 2>&1; then
    fail general_needs_jq "jq is not installed (Debian package jq)"
    exit 0
fi
D=$TMPD/gen
mkdir -p "$D"
check() { n=$1; shift; if "$@" >/dev/null 2>&1; then pass "$n"; else fail "$n" "check failed: $*"; fi; }

# run_case NAME ARGS...: run twice (deterministic) and with --full (fast-forward == full)
run_case() {
    rc_n=$1; shift
    expect_ok "run_$rc_n" "$EINSIM" run "$@" --json "$D/$rc_n.a.json"
    "$EINSIM" run "$@" --json "$D/$rc_n.b.json" >/dev/null 2>&1
    "$EINSIM" run "$@" --full --json "$D/$rc_n.f.json" >/dev/null 2>&1
    check "run_${rc_n}_deterministic" sh -c "[ \"\$(jq -S 'del(.simulation.wall_s)' $D/$rc_n.a.json)\" = \"\$(jq -S 'del(.simulation.wall_s)' $D/$rc_n.b.json)\" ]"
    check "run_${rc_n}_ff_equals_full" sh -c "[ \"\$(jq -S 'del(.simulation, .run.steps_issued, .run.ops_started)' $D/$rc_n.a.json)\" = \"\$(jq -S 'del(.simulation, .run.steps_issued, .run.ops_started)' $D/$rc_n.f.json)\" ]"
}
# map_case NAME ARGS...: map twice (bundled and searched), deterministic JSON but timings
map_case() {
    mc_n=$1; shift
    expect_ok "map_$mc_n" "$EINSIM" map "$@" --budget 500 --json "$D/$mc_n.m1.json"
    "$EINSIM" map "$@" --budget 500 --json "$D/$mc_n.m2.json" >/dev/null 2>&1
    check "map_${mc_n}_deterministic" sh -c "[ \"\$(jq -S 'del(.search.wall_s, .search.mappings_per_s)' $D/$mc_n.m1.json)\" = \"\$(jq -S 'del(.search.wall_s, .search.mappings_per_s)' $D/$mc_n.m2.json)\" ]"
}

run_case ragged --arch fusemax --model bert-base --seq 1000 --batch 2
check ragged_real_ops jq -e '[.einsums[] | select(.name == "BQK")][0].ops == 2*12*1000*1000*64' "$D/ragged.a.json"
run_case ragged_flat_layer --arch flat --model bert-base --seq 777 --scope layer
run_case varlen --arch fusemax --model gpt2-small --seqs 512,77,1024 --scope layer
check varlen_seqs jq -e '.seq == [512,77,1024] and .batch == 3' "$D/varlen.a.json"
run_case decode --arch fusemax --model gpt2-small --phase decode --prompt 1000 --gen 4 --batch 4
check decode_memory_bound jq -e '.run.memory_bound == 1 and .run.decode_gen == 4 and .phase == "decode"' "$D/decode.a.json"
run_case decode_layer --arch fusemax --model gpt2-small --phase decode --seq 500 --gen 2 --batch 2 --scope layer
run_case tpu --arch tpu --model gpt2-small --seq 1000
run_case tpu_layer --arch tpu --model gpt2-small --seq 1000 --scope layer
check tpu_layer_norms jq -e '[.einsums[].name] | (index("norm_attn.RS") != null and index("ffn_act.Y") != null)' "$D/tpu_layer.a.json"
run_case tpu_model --arch tpu --model t5-small --seq 128 --scope model
run_case tpu_decode --arch tpu --model llama-1b --phase decode --prompt 300 --gen 2 --scope layer
check fusemax_skips_norms jq -e '.run.instances_not_costed == 5' "$D/varlen.a.json"

map_case ragged --arch fusemax --model bert-base --seq 1000 --batch 2
map_case varlen --arch fusemax --model gpt2-small --seqs 512,77,1024 --scope layer
check map_varlen_skips jq -e '.instances_not_costed == 5 and .seqs == [512,77,1024]' "$D/varlen.m1.json"
map_case decode --arch fusemax --model gpt2-small --phase decode --prompt 1000 --gen 4 --batch 4
check map_decode_bundled jq -e '.phase == "decode" and .gen == 4 and .bundled.mapping.cascades[0].cascade == "attention-decode"' "$D/decode.m1.json"
map_case tpu_model --arch tpu --model gpt2-small --seq 1000 --scope model
check map_tpu_model_all jq -e '.instances_not_costed == 0' "$D/tpu_model.m1.json"
expect_ok map_mapping_roundtrip "$EINSIM" map --arch tpu --model gpt2-small --seq 1000 --scope layer --budget 0 -o "$D/tpu.yaml"
expect_ok run_mapping_roundtrip "$EINSIM" run --arch tpu --model gpt2-small --seq 1000 --scope layer --mapping "$D/tpu.yaml" --json "$D/rt.json"
check run_mapping_roundtrip_same sh -c "[ \"\$(jq -S 'del(.simulation, .schedule)' $D/rt.json)\" = \"\$(jq -S 'del(.simulation, .schedule)' $D/tpu_layer.a.json)\" ]"
expect_ok map_varlen_out "$EINSIM" map --arch fusemax --model gpt2-small --seqs 512,77,1024 --scope layer --budget 300 -o "$D/v.yaml"
expect_ok map_varlen_given "$EINSIM" map --arch fusemax --model gpt2-small --seqs 512,77,1024 --scope layer --mapping "$D/v.yaml"
expect_ok run_varlen_given "$EINSIM" run --arch fusemax --model gpt2-small --seqs 512,77,1024 --scope layer --mapping "$D/v.yaml"
expect_err map_varlen_other_lengths 2 "made for seq 77 .*the workload has 78" "$EINSIM" map --arch fusemax --model gpt2-small --seqs 512,78,1024 --scope layer --mapping "$D/v.yaml"
expect_err run_varlen_other_lengths 2 "does not cover its size 78|made for seq 77 .*the workload has 78" "$EINSIM" run --arch fusemax --model gpt2-small --seqs 512,78,1024 --scope layer --mapping "$D/v.yaml"

# invalid combinations: one line, status 2
expect_err gen_without_decode 2 "gen needs --phase decode" "$EINSIM" run --arch fusemax --model gpt2-small --seq 100 --gen 4
expect_err seq_and_prompt 2 "one of --seq, --seqs and --prompt" "$EINSIM" run --arch fusemax --model gpt2-small --seq 100 --prompt 100
expect_err seqs_and_batch 2 "leave out --batch" "$EINSIM" run --arch fusemax --model gpt2-small --seqs 100,200 --batch 2
expect_err decode_encoder 2 "decode" "$EINSIM" run --arch fusemax --model bert-base --phase decode --seq 100
expect_err bad_phase 2 "phase" "$EINSIM" map --arch fusemax --model gpt2-small --seq 100 --phase generate
expect_err map_no_length 2 "missing --seq, --seqs or --prompt" "$EINSIM" map --arch fusemax --model gpt2-small
# (a decode with more steps than the former cap of 24 instances: tests/e2e/decode-long.sh)
expect_err bad_seqs 2 "seqs" "$EINSIM" run --arch fusemax --model gpt2-small --seqs 100,0
# A variable-length batch larger than the old 16-request limit.
SEQS64=$(awk 'BEGIN { s = 7; for (i = 0; i < 64; i++) { s = (s * 1103515245 + 12345) % 2147483648; printf "%s%d", (i ? "," : ""), 20 + s % 1980 } }')
expect_ok varlen_64_requests "$EINSIM" run --arch fusemax --model gpt2-small --seqs "$SEQS64" --scope layer

# Grouped-query attention reads each KV head once in decode: Llama-3.2-1B
# has 8 KV heads for 32 query heads.  One layer's cache reads over 128 steps
# of 2049..2176 keys, 8 requests: 8 requests x 8 KV heads x (K + V) x 64 x
# 2 B x sum(2049..2176) = 4,430,233,600 B (32 heads' worth would be 4x);
# plus the queries (4,194,304 B).
run_case gqa_decode --arch fusemax --model llama-1b --phase decode --prompt 2048 --gen 128 --batch 8 --scope attention
check gqa_reads_kv_once jq -e '.dram.bytes_read == 4430233600 + 4194304' "$D/gqa_decode.a.json"
