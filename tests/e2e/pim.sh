# PIM systems end to end: `einsim run` decode on pimgpt and pimgpt-hbm
# (report fields, fast-forward == --full, the command stream through the DRAM
# checker, determinism), `einsim map` on a PIM arch (search, -o round trip),
# and one-line errors for what a PIM arch does not run.
. "$(dirname "$0")/lib.sh"
if ! command -v jq >/dev/null 2>&1; then
    fail pim_needs_jq "jq is not installed (Debian package jq)"
    exit 0
fi
D=$TMPD/pim
mkdir -p "$D"
check() { n=$1; shift; if "$@" >/dev/null 2>&1; then pass "$n"; else fail "$n" "check failed: $*"; fi; }
R="$EINSIM run --phase decode"

expect_ok pim_run $R --arch pimgpt --model gpt2-small --prompt 128 --gen 3 --json "$D/a.json"
check pim_fields jq -e '.decode.tokens == 3 and .decode.s_per_token > 0 and .decode.tokens_per_s > 0
  and .decode.energy_pj_per_token > 0 and .dram.row_hit_rate >= 0.95 and .dram.commands.MAC16 > 0
  and .dram.commands.ACT16 > 0 and .dram.commands.WRGB > 0 and .dram.commands.RDMAC16 > 0
  and .dram.commands.REFab > 0 and .units.pim_mac.utilization > 0 and .run.mac_utilization > 0
  and (.time_breakdown_s | (.pim_mac > 0 and .data_movement > 0 and .refresh > 0 and .asic > 0))' "$D/a.json"
check pim_breakdown_sums jq -e '((.time_breakdown_s | add) - .latency_s | fabs) < 1e-12 * .latency_s' "$D/a.json"
check pim_above_bound jq -e '.run.bound_ratio >= 1 and .decode.s_per_token >= .run.bound_s_per_token' "$D/a.json"
"$EINSIM" run --phase decode --arch pimgpt --model gpt2-small --prompt 128 --gen 3 --json "$D/b.json" >/dev/null 2>&1
check pim_deterministic sh -c "[ \"\$(jq -S 'del(.simulation.wall_s)' $D/a.json)\" = \"\$(jq -S 'del(.simulation.wall_s)' $D/b.json)\" ]"
expect_ok pim_full_checked $R --arch pimgpt --model gpt2-small --prompt 128 --gen 3 --full --check --json "$D/f.json"
check pim_checker_clean jq -e '.run.timing_violations == 0' "$D/f.json"
F='del(.simulation, .run.simulated_commands, .run.fast_forwarded_commands, .run.timing_violations, .energy_pj,
  .energy_breakdown_pj, .run.energy_dram_idd_pj, .run.energy_dram_pj_per_bit_pj, .decode.energy_pj_per_token)'
check pim_ff_equals_full sh -c "[ \"\$(jq -S '$F' $D/a.json)\" = \"\$(jq -S '$F' $D/f.json)\" ]"
check pim_ff_energy jq -e -n --slurpfile a "$D/a.json" --slurpfile b "$D/f.json" \
    '(($a[0].energy_pj - $b[0].energy_pj) | fabs) <= 1e-12 * $b[0].energy_pj'
check pim_ff_skipped jq -e '.simulation.fast_forwarded_cycles > 0' "$D/a.json"
expect_ok pim_hbm $R --arch pimgpt-hbm --model gpt3-small --prompt 100 --gen 2 --check --json "$D/h.json"
check pim_hbm_clean jq -e '.run.timing_violations == 0 and .clock_hz == 1e9' "$D/h.json"
expect_ok pim_gqa $R --arch pimgpt --model llama-1b --prompt 64 --gen 1 --check --json "$D/l.json"
check pim_gqa_clean jq -e '.run.timing_violations == 0' "$D/l.json"
expect_ok pim_csv $R --arch pimgpt --model gpt2-small --prompt 16 --gen 1 --csv "$D/a.csv"
check pim_csv_decode grep -q 'decode.s_per_token' "$D/a.csv"

# decode reports on a spatial arch too
expect_ok decode_fields_fusemax $R --arch fusemax --model gpt2-small --prompt 100 --gen 4 --batch 2 --json "$D/x.json"
check decode_fields_fusemax_values jq -e '.decode.tokens == 8 and (.decode.s_per_token - .latency_s / 4 | fabs) < 1e-15
  and (.decode.energy_pj_per_token - .energy_pj / 8 | fabs) < 1e-6 * .energy_pj' "$D/x.json"

# einsim map on a PIM arch: the 16 mappings simulated, PIM-GPT's marked, -o runs back
expect_ok pim_map "$EINSIM" map --arch pimgpt --model gpt2-small --phase decode --prompt 64 -o "$D/m.yaml" --json "$D/m.json"
check pim_map_points jq -e '(.points | length) == 16 and .bundled == 6 and .bundled_over_best >= 1
  and .points[.best].s_per_token <= .points[.bundled].s_per_token' "$D/m.json"
expect_ok pim_map_roundtrip $R --arch pimgpt --model gpt2-small --prompt 64 --mapping "$D/m.yaml" --json "$D/r.json"
check pim_map_same jq -e -n --slurpfile m "$D/m.json" --slurpfile r "$D/r.json" \
    '$m[0].points[$m[0].best].s_per_token == $r[0].decode.s_per_token'

expect_err pim_prefill 2 "PIM system: it runs --phase decode" "$EINSIM" run --arch pimgpt --model gpt2-small --seq 10
expect_err pim_batch 2 "decodes one request" $R --arch pimgpt --model gpt2-small --prompt 10 --batch 2
expect_err pim_scope 2 "whole model" $R --arch pimgpt --model gpt2-small --prompt 10 --scope layer
expect_err pim_encoder 2 "encoder" $R --arch pimgpt --model bert-base --prompt 10
expect_err pim_too_long 2 "ASIC SRAM .* cannot hold" $R --arch pimgpt --model gpt3-xl --prompt 1000000
printf 'kind: pim-mapping\nsplit_k: false\npack_rows: yes please\nkv_in_pim: true\noverlap: false\n' >"$D/bad.yaml"
expect_err pim_bad_mapping 2 "bad.yaml:3:12: key 'pack_rows'" $R --arch pimgpt --model gpt2-small --prompt 10 --mapping "$D/bad.yaml"
sed 's/^    channels: 8 /    channels: -1 /' "$(dirname "$0")/../../sim/arch/pimgpt.yaml" >"$D/neg.yaml"
expect_err pim_bad_arch 2 "neg.yaml:[0-9]+:[0-9]+: key 'units.banks.channels'" $R --arch "$D/neg.yaml" --model gpt2-small --prompt 10
expect_err check_needs_pim 2 "PIM archs" $R --arch fusemax --model gpt2-small --prompt 10 --check

# Done-means of the PIM-GPT study on all 8 GPT models, at a 128-token prompt
# and at 1024 context: row hits >= 95 %, never below the physical bound
for m in gpt2-small gpt2-medium gpt2-large gpt2-xl gpt3-small gpt3-medium gpt3-large gpt3-xl; do
    for p in 128 1023; do
        "$EINSIM" run --phase decode --arch pimgpt --model $m --prompt $p --gen 1 --json "$D/$m-$p.json" >/dev/null 2>&1
        check "pim_${m}_p${p}_hits_and_bound" jq -e '.dram.row_hit_rate >= 0.95 and .run.bound_ratio >= 1
          and .decode.energy_pj_per_token > 0' "$D/$m-$p.json"
    done
done

# functional mode through the CLI on a small GPT-2-shaped model
sed -e 's/^name: gpt2-small/name: gpt2-tiny/' -e 's/^d_model: 768/d_model: 128/' -e 's/^n_layers: 12/n_layers: 1/' \
    -e 's/^n_heads: 12/n_heads: 2/' -e 's/^ffn_dim: 3072/ffn_dim: 512/' -e 's/^vocab: 50257/vocab: 300/' \
    "$(dirname "$0")/../../models/gpt2-small.yaml" >"$D/gpt2-tiny.yaml"
expect_ok pim_functional $R --arch pimgpt --model "$D/gpt2-tiny.yaml" --prompt 20 --gen 2 --functional --json "$D/fn.json"
check pim_functional_match jq -e '.functional.match == true and .functional.max_rel_err > 0
  and .run.functional_argmax_agree == 2' "$D/fn.json"

# a sweep over PIM archs goes through the same point runner
cat >"$D/sw.yaml" <<'SW'
name: pimsweep
run: {phase: decode, gen: 2}
grid:
  arch: [pimgpt, pimgpt-hbm]
  prompt: [64, 512]
  model: [gpt2-small]
SW
expect_ok pim_sweep "$EINSIM" sweep "$D/sw.yaml" --out "$D/sw"
check pim_sweep_rows sh -c "[ \$(tail -n +2 $D/sw/results.csv | wc -l) -eq 4 ] && grep -q pimgpt-hbm $D/sw/results.csv"
