#!/bin/bash
# SEQUENTIAL schedule (+Architecture, docs/cycles.md): an Einsum outside the
# innermost tile loop (AV, once per query tile) overlaps the next tile, in
# the simulator and the cost model alike.  fusemax-arch, BERT 4K, batch 64:
# T = 64*12*16*16 tiles of E + 2F + 11 + 256 cycles, plus the last AV's F;
# running AV inside its tile would add F per query tile (64*12*16 of them).
. "$(dirname "$0")/lib.sh"

E=64 F=64 T=$((64 * 12 * 16 * 16)) PT=$((64 * 12 * 16))
want=$(( (E + 2 * F + 11 + 256) * T + F ))
serial=$(( (E + 2 * F + 11 + 256) * T + F * PT ))
if "$EINSIM" run --arch fusemax-arch --model bert-base --seq 4096 --batch 64 --json "$TMPD/r.json" >/dev/null 2>"$TMPD/err" &&
   "$EINSIM" map --arch fusemax-arch --model bert-base --seq 4096 --batch 64 --budget 0 --json "$TMPD/m.json" >/dev/null 2>>"$TMPD/err"; then
    sim=$(jq .cycles "$TMPD/r.json"); model=$(jq .cycles "$TMPD/m.json")
    # the simulator adds pipeline start-up (a few hundred cycles)
    if awk -v s="$sim" -v w="$want" -v x="$serial" 'BEGIN { exit !(s >= w && s - w < 1e-5 * w && s < x) }'; then
        pass sequential_av_overlaps_sim
    else fail sequential_av_overlaps_sim "simulated $sim cycles, want $want (+ <1e-5), serial AV would be $serial"; fi
    if awk -v m="$model" -v w="$want" 'BEGIN { d = m - w; if (d < 0) d = -d; exit !(d <= 1e-9 * w) }'; then
        pass sequential_av_overlaps_model
    else fail sequential_av_overlaps_model "model $model cycles, want $want"; fi
else
    fail sequential_av_overlaps "$(head -c 200 "$TMPD/err")"
fi
