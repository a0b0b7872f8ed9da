# Long decodes: one attention instance per cache length, so the mapping and
# the lowered program grow with --gen (no fixed cap).  A 128-token decode at
# layer and model scope runs, its report is deterministic (identical JSON
# but simulation.wall_s), and on a small decode with more steps than the
# former cap of 24 fast-forward equals --full; a mapping written by `map -o`
# for such a decode reads back and runs.
. "$(dirname "$0")/lib.sh"
if ! command -v jq >/dev/null 2>&1; then
    fail decode_long_needs_jq "jq is not installed (Debian package jq)"
    exit 0
fi
D=$TMPD/dl
mkdir -p "$D"
check() { n=$1; shift; if "$@" >/dev/null 2>&1; then pass "$n"; else fail "$n" "check failed: $*"; fi; }
same_json() { # same_json NAME A B JQ-FILTER
    check "$1" sh -c "[ \"\$(jq -S '$4' $2)\" = \"\$(jq -S '$4' $3)\" ]"
}

G="--arch fusemax --model gpt2-small --phase decode --prompt 1000 --batch 4"
for sc in layer model; do
    expect_ok "decode128_$sc" "$EINSIM" run $G --gen 128 --scope $sc --json "$D/$sc.a.json"
    "$EINSIM" run $G --gen 128 --scope $sc --json "$D/$sc.b.json" >/dev/null 2>&1
    same_json "decode128_${sc}_deterministic" "$D/$sc.a.json" "$D/$sc.b.json" 'del(.simulation.wall_s)'
    check "decode128_${sc}_gen" jq -e '.run.decode_gen == 128 and .phase == "decode"' "$D/$sc.a.json"
done
# model scope = the layer's work x 12 layers (+ the head), so strictly more
check decode128_model_gt_layer sh -c "[ \$(jq '.cycles' $D/model.a.json) -gt \$(jq '.cycles' $D/layer.a.json) ]"
# 128 steps cost more than 64 (the cache grows): the instances are all simulated
expect_ok decode64_layer "$EINSIM" run $G --gen 64 --scope layer --json "$D/l64.json"
check decode128_more_than_64 sh -c "[ \$(jq '.cycles' $D/layer.a.json) -gt \$(jq '.cycles' $D/l64.json) ]"

# fast-forward == --full beyond 24 instances (small: 2 heads, short prompt)
S="--arch fusemax --model gpt2-small --phase decode --prompt 200 --gen 40 --batch 2 --heads 2"
for sc in layer model; do
    expect_ok "decode40_${sc}_ff" "$EINSIM" run $S --scope $sc --json "$D/s$sc.ff.json"
    expect_ok "decode40_${sc}_full" "$EINSIM" run $S --scope $sc --full --json "$D/s$sc.full.json"
    same_json "decode40_${sc}_ff_equals_full" "$D/s$sc.ff.json" "$D/s$sc.full.json" \
        'del(.simulation, .run.steps_issued, .run.ops_started)'
done

# a resolved mapping with 40+ cascades: written, read back, same report
M="--arch fusemax --model gpt2-small --phase decode --prompt 200 --gen 40 --batch 2 --scope layer"
expect_ok decode40_map_out "$EINSIM" map $M --budget 0 -o "$D/d40.yaml"
check decode40_map_cascades sh -c "[ \$(grep -c '^  - cascade:' $D/d40.yaml) -gt 40 ]"
expect_ok decode40_run_bundled "$EINSIM" run $M --json "$D/d40b.json"
expect_ok decode40_run_mapping "$EINSIM" run $M --mapping "$D/d40.yaml" --json "$D/d40.json"
same_json decode40_mapping_same "$D/d40.json" "$D/d40b.json" 'del(.simulation, .schedule)'

# a decode too long to hold its mappings in memory: one line naming the limit, not an OOM
expect_err decode_too_long 2 "20000 cascade instances.*MP_MAPPING_MAX_BYTES" "$EINSIM" run --arch fusemax --model gpt2-small --phase decode --prompt 100 --gen 20000 --scope attention --heads 1
