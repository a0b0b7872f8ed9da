#!/bin/bash
# Split-key decode (attention-decode-split) as a mapping choice: `einsim map`
# searches it (and its split count) for decode and picks it where decode is
# compute-bound; `einsim run` accepts the result and agrees with the model;
# `--splits S` runs the bundled split template.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# FuseMax with 8x the DRAM bandwidth (3.2 TiB/s, HBM3-class): decode of one
# query per head is then bound by the array, where the unsplit mapping uses
# one column of 256.
sed 's/^name: fusemax$/name: fusemax-hbm/; s/bandwidth_Bps: 429496729600/bandwidth_Bps: 3435973836800/' \
    "$ROOT/sim/arch/fusemax.yaml" >"$TMPD/fusemax-hbm.yaml"
sed 's/^arch: fusemax$/arch: fusemax-hbm/' "$ROOT/mapper/mappings/fusemax.yaml" >"$TMPD/fm-hbm.yaml"
A="--model gpt2-small --phase decode --seq 8192 --batch 1"
expect_ok split_map_search "$EINSIM" map --arch "$TMPD/fusemax-hbm.yaml" $A -o "$TMPD/m.yaml" --json "$TMPD/m.json"
if grep -q "cascade: attention-decode-split" "$TMPD/m.yaml" && grep -Eq "s: (2|4|8|16|32)[,}]" "$TMPD/m.yaml"; then
    pass split_map_picks_split
else fail split_map_picks_split "$(grep -E 'cascade:|ranks' "$TMPD/m.yaml" | head -4)"; fi
expect_ok split_map_unsplit "$EINSIM" map --arch "$TMPD/fusemax-hbm.yaml" $A --mapping "$TMPD/fm-hbm.yaml" --json "$TMPD/u.json"
su=$(jq '.latency_s' "$TMPD/u.json" 2>/dev/null); ss=$(jq '.latency_s' "$TMPD/m.json" 2>/dev/null)
if awk -v a="$ss" -v b="$su" 'BEGIN { exit !(a > 0 && b > 0 && a < 0.5 * b) }'; then pass split_map_faster
else fail split_map_faster "split $ss s, unsplit $su s: expected the split under half"; fi
expect_ok split_run_mapping "$EINSIM" run --arch "$TMPD/fusemax-hbm.yaml" $A --mapping "$TMPD/m.yaml" --json "$TMPD/r.json"
sr=$(jq '.latency_s' "$TMPD/r.json" 2>/dev/null)
if awk -v a="$sr" -v b="$ss" 'BEGIN { d = a / b - 1; if (d < 0) d = -d; exit !(b > 0 && d < 0.15) }'; then
    pass split_run_matches_model
else fail split_run_matches_model "simulated $sr s, model $ss s"; fi
# the bundled split template, by --splits
expect_ok split_run_splits "$EINSIM" run --arch fusemax $A --splits 4 --json "$TMPD/s.json"
if jq -e '[.einsums[].name] | index("GNV") != null' "$TMPD/s.json" >/dev/null; then pass split_run_splits_merges
else fail split_run_splits_merges "no merge Einsum GNV in the report"; fi
expect_ok split_map_splits "$EINSIM" map --arch fusemax $A --splits 4 --budget 0
expect_err split_needs_decode 2 "--splits needs --phase decode" "$EINSIM" run --arch fusemax --model gpt2-small --seq 64 --splits 4
expect_err split_prefill_template 2 "maps decode attention only|mapping was made for seq 257 .*the workload has 1024" "$EINSIM" run --arch "$TMPD/fusemax-hbm.yaml" --model gpt2-small \
    --seq 1024 --mapping "$TMPD/m.yaml"
expect_ok split_run_tpu "$EINSIM" run --arch tpu $A --splits 4
expect_err split_no_template 2 "has no split-key decode template" "$EINSIM" run --arch flat $A --splits 4
