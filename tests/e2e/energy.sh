#!/bin/bash
# Energy conventions: the cost model and the simulator share one
# implementation of energy = action counts x table (mapper/account.h), so on
# every bundled mapping their energies agree to rounding, component by
# component; and the action rules are the FuseMax artifact's (buffer actions =
# words / 256, DRAM actions = bytes / 8).
. "$(dirname "$0")/lib.sh"

close() { # close A B: relative difference below 1e-9
    awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-9 * (a > b ? a : b)) }'
}

for arch in fusemax fusemax-arch fusemax-cascade flat unfused; do
    for pt in "bert-base 1024 attention" "t5-small 16384 layer" "xlm 65536 attention"; do
        set -- $pt
        n="model_equals_sim_$arch-$1-$2-$3"
        if ! "$EINSIM" map --arch $arch --model $1 --seq $2 --batch 64 --scope $3 --budget 0 --json "$TMPD/m.json" >/dev/null 2>"$TMPD/err" ||
           ! "$EINSIM" run --arch $arch --model $1 --seq $2 --batch 64 --scope $3 --json "$TMPD/r.json" >/dev/null 2>>"$TMPD/err"; then
            fail "$n" "$(head -c 200 "$TMPD/err")"; continue
        fi
        em=$(jq .energy_pj "$TMPD/m.json"); es=$(jq .energy_pj "$TMPD/r.json")
        bm=$(jq .energy_breakdown_pj.buffer "$TMPD/m.json"); bs=$(jq '.energy_breakdown_pj.gb // 0' "$TMPD/r.json")
        rm_=$(jq .energy_breakdown_pj.regfile "$TMPD/m.json"); rs=$(jq '(.energy_breakdown_pj.rf2d // 0) + (.energy_breakdown_pj.rf1d // 0)' "$TMPD/r.json")
        if close "$em" "$es" && close "$bm" "$bs" && close "$rm_" "$rs"; then pass "$n"
        else fail "$n" "model $em (buffer $bm, RF $rm_) vs simulator $es (buffer $bs, RF $rs)"; fi
    done
done

# FuseMax's DRAM energy = (Q + AV + (K+V) P2) bytes / 8 x 249.6 pJ (fusemax.md §6, §2.3):
# bert-base 4K: P1 = 16, P2 = 1, 64 x 12 heads x 4096 x 64 x 2 B per tensor.
"$EINSIM" run --arch fusemax --model bert-base --seq 4096 --batch 64 --scope attention --json "$TMPD/r.json" >/dev/null
d=$(jq .energy_breakdown_pj.dram "$TMPD/r.json")
want=$(awk 'BEGIN { printf "%.17g", 4 * 64 * 12 * 4096 * 64 * 2 / 8 * 249.6 }')
if close "$d" "$want"; then pass dram_bytes_per_8; else fail dram_bytes_per_8 "DRAM energy $d, want $want"; fi
