#!/bin/bash
# FLAT's tiling (mapper/resolve.c search_fibres, docs/validation.md "FLAT"):
# the simulator runs the mapping the resolver picks -- fibres in the buffer,
# in an overbooked buffer whose overflow spills, or QK and A off chip
# bypassing the buffer; Q, K, V streamed past the buffer (bypass) or staged
# in it -- with the cost model's energy and DRAM bytes.
. "$(dirname "$0")/lib.sh"

close() { # close A B: relative difference below 1e-9
    awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-9 * (a > b ? a : b)) }'
}

# model|seq|spill|bypass (- : no bypass key written)
for pt in "bert-base|1024|[]|[Q, K, V]" "bert-base|16384|[]|[Q, K, V]" "bert-base|262144|[QK, A]|-" \
          "xlm|65536|[overflow]|[Q, K, V]"; do
    IFS='|' read -r m s want wantb <<<"$pt"
    n="flat_$m-$s"
    if ! "$EINSIM" map --arch flat --model $m --seq $s --batch 64 --budget 0 --json "$TMPD/m.json" \
         -o "$TMPD/m.yaml" >/dev/null 2>"$TMPD/err" ||
       ! "$EINSIM" run --arch flat --model $m --seq $s --batch 64 --json "$TMPD/r.json" >/dev/null 2>>"$TMPD/err"; then
        fail "$n" "$(head -c 200 "$TMPD/err")"; continue
    fi
    got=$(grep -m1 'spill:' "$TMPD/m.yaml" | sed 's/.*spill: //')
    if [ "$got" = "$want" ]; then pass "${n}_spill"; else fail "${n}_spill" "spill $got, want $want"; fi
    gotb=$(grep -m1 'bypass:' "$TMPD/m.yaml" | sed 's/.*bypass: //'); gotb=${gotb:--}
    if [ "$gotb" = "$wantb" ]; then pass "${n}_bypass"; else fail "${n}_bypass" "bypass $gotb, want $wantb"; fi
    em=$(jq .energy_pj "$TMPD/m.json"); es=$(jq .energy_pj "$TMPD/r.json")
    dm=$(jq '.dram_read_bytes + .dram_write_bytes' "$TMPD/m.json")
    ds=$(jq '.dram.bytes_read + .dram.bytes_written' "$TMPD/r.json")
    if close "$em" "$es" && close "$dm" "$ds"; then pass "${n}_model_equals_sim"
    else fail "${n}_model_equals_sim" "energy model $em sim $es, DRAM model $dm sim $ds"; fi
done

# The written mapping runs back unchanged (the overbooked spill list round-trips).
expect_ok flat_overflow_mapping_runs "$EINSIM" run --arch flat --model xlm --seq 65536 --batch 64 --mapping "$TMPD/m.yaml"

# bypass is checked like every other key: a tensor the group does not read or
# write from DRAM, and an output whose partial sums would leave the array
sed 's/bypass: \[Q, K, V\]/bypass: [Q, QK]/' "$TMPD/m.yaml" >"$TMPD/bad.yaml"
expect_err flat_bypass_not_dram_tensor 2 "bypass: 'QK' is not an input" \
    "$EINSIM" run --arch flat --model xlm --seq 65536 --batch 64 --mapping "$TMPD/bad.yaml"
sed 's/bypass: \[Q, K, V\]/bypass: [Q, K, V, AV]/' "$TMPD/m.yaml" >"$TMPD/bad.yaml"
expect_err flat_bypass_partial_sums 2 "bypass AV: its partial sums would leave" \
    "$EINSIM" run --arch flat --model xlm --seq 65536 --batch 64 --mapping "$TMPD/bad.yaml"

# max_rows (FLAT's row granularity bound) is checked: a positive count, only
# with row/head/auto granularity, and a resolved mapping must keep to it.
FT=$(dirname "$0")/../../mapper/mappings/flat.yaml
sed 's/max_rows: 1024/max_rows: 0/' "$FT" >"$TMPD/bad.yaml"
expect_err flat_max_rows_positive 2 "bad.yaml:[0-9]+:[0-9]+: .*expected a positive number of rows, got 0" \
    "$EINSIM" run --arch flat --model xlm --seq 4096 --batch 64 --mapping "$TMPD/bad.yaml"
sed 's/granularity: auto/granularity: tile/' "$FT" >"$TMPD/bad.yaml"
expect_err flat_max_rows_tile 2 "bad.yaml:[0-9]+:[0-9]+: .*max_rows bounds row granularity; group 'fused' has granularity tile" \
    "$EINSIM" run --arch flat --model xlm --seq 4096 --batch 64 --mapping "$TMPD/bad.yaml"
if grep -q 'max_rows: 1024' "$TMPD/m.yaml"; then pass flat_max_rows_written; else fail flat_max_rows_written "resolved mapping lacks max_rows"; fi
sed 's/max_rows: 1024/max_rows: 128/' "$TMPD/m.yaml" >"$TMPD/bad.yaml"
expect_err flat_max_rows_resolved 2 "256 rows of p per tile exceed max_rows 128" \
    "$EINSIM" run --arch flat --model xlm --seq 65536 --batch 64 --mapping "$TMPD/bad.yaml"

# Fast-forward stays exact with bypassed tensors (streamed reads every step).
if "$EINSIM" run --arch flat --model bert-base --seq 4096 --batch 2 --full --json "$TMPD/full.json" >/dev/null 2>"$TMPD/err" &&
   "$EINSIM" run --arch flat --model bert-base --seq 4096 --batch 2 --json "$TMPD/ff.json" >/dev/null 2>>"$TMPD/err"; then
    a=$(jq -c '[.cycles, .energy_pj, .dram.bytes_read, .dram.bytes_written]' "$TMPD/full.json")
    b=$(jq -c '[.cycles, .energy_pj, .dram.bytes_read, .dram.bytes_written]' "$TMPD/ff.json")
    ffc=$(jq .simulation.fast_forwarded_cycles "$TMPD/ff.json")
    if [ "$a" = "$b" ] && [ "$ffc" -gt 0 ]; then pass flat_bypass_fastforward_exact
    else fail flat_bypass_fastforward_exact "full $a, fast-forward $b ($ffc cycles skipped)"; fi
else
    fail flat_bypass_fastforward_exact "$(head -c 200 "$TMPD/err")"
fi
