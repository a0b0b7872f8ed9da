#!/bin/bash
# FLAT's tiling (mapper/resolve.c search_fibres, docs/validation.md "FLAT"):
# the simulator runs the mapping the resolver picks -- fibres in the buffer,
# in an overbooked buffer whose overflow spills, or QK and A off chip
# bypassing the buffer -- with the cost model's energy and DRAM bytes.
. "$(dirname "$0")/lib.sh"

close() { # close A B: relative difference below 1e-9
    awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-9 * (a > b ? a : b)) }'
}

for pt in "bert-base 1024 []" "bert-base 16384 [overflow]" "bert-base 262144 [QK, A]" "xlm 65536 [overflow]"; do
    set -- $pt
    m=$1 s=$2
    shift 2
    want="$*"
    n="flat_$m-$s"
    if ! "$EINSIM" map --arch flat --model $m --seq $s --batch 64 --budget 0 --json "$TMPD/m.json" \
         -o "$TMPD/m.yaml" >/dev/null 2>"$TMPD/err" ||
       ! "$EINSIM" run --arch flat --model $m --seq $s --batch 64 --json "$TMPD/r.json" >/dev/null 2>>"$TMPD/err"; then
        fail "$n" "$(head -c 200 "$TMPD/err")"; continue
    fi
    got=$(grep -m1 'spill:' "$TMPD/m.yaml" | sed 's/.*spill: //')
    if [ "$got" = "$want" ]; then pass "${n}_spill"; else fail "${n}_spill" "spill $got, want $want"; fi
    em=$(jq .energy_pj "$TMPD/m.json"); es=$(jq .energy_pj "$TMPD/r.json")
    dm=$(jq '.dram_read_bytes + .dram_write_bytes' "$TMPD/m.json")
    ds=$(jq '.dram.bytes_read + .dram.bytes_written' "$TMPD/r.json")
    if close "$em" "$es" && close "$dm" "$ds"; then pass "${n}_model_equals_sim"
    else fail "${n}_model_equals_sim" "energy model $em sim $es, DRAM model $dm sim $ds"; fi
done

# The written mapping runs back unchanged (the overbooked spill list round-trips).
expect_ok flat_overflow_mapping_runs "$EINSIM" run --arch flat --model xlm --seq 65536 --batch 64 --mapping "$TMPD/m.yaml"
