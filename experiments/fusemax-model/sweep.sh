#!/bin/sh
# FuseMax reproduction with the analytical cost model (issue 4 "Done means";
# fusemax.md §1, §6).  For the four FuseMax models x 1K..1M tokens at batch
# 64, runs `einsim map --json` on every configuration: the bundled hand
# mapping (--budget 0) on unfused, flat, fusemax-cascade, fusemax-arch and
# fusemax, and the searched mapping on fusemax and flat.  Writes
# results.tsv (one row per point) and summary.txt (averages vs the paper).
# Usage: sh experiments/fusemax-model/sweep.sh [EINSIM] [OUTDIR] [SCOPE]
set -eu
EINSIM=${1:-build/bin/einsim}
OUT=${2:-experiments/fusemax-model}
SCOPE=${3:-attention}
BUDGET=${BUDGET:-20000}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
get() { # get FILE KEY -> top-level number
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(repr(d[sys.argv[2]]))" "$1" "$2"
}
printf 'model\tseq\tscope' >"$TMP/t"
for c in unfused flat fusemax-cascade fusemax-arch fusemax fusemax_search flat_search; do
    printf '\t%s_lat_s\t%s_energy_pj\t%s_dram_B' $c $c $c >>"$TMP/t"
done
printf '\n' >>"$TMP/t"
for m in bert-base trxl-wt103 t5-small xlm; do
    for n in 1024 4096 16384 65536 262144 1048576; do
        printf '%s\t%s\t%s' $m $n $SCOPE >>"$TMP/t"
        for c in unfused flat fusemax-cascade fusemax-arch fusemax fusemax_search flat_search; do
            case $c in
            *_search) a=${c%_search}; b=$BUDGET ;;
            *) a=$c; b=0 ;;
            esac
            "$EINSIM" map --arch $a --model $m --seq $n --batch 64 --scope $SCOPE --budget $b --json "$TMP/j.json" >/dev/null
            printf '\t%s\t%s\t%s' "$(get "$TMP/j.json" latency_s)" "$(get "$TMP/j.json" energy_pj)" \
                "$(get "$TMP/j.json" dram_bytes)" >>"$TMP/t"
        done
        printf '\n' >>"$TMP/t"
    done
done
cp "$TMP/t" "$OUT/results-$SCOPE.tsv"
python3 "$(dirname "$0")/summarize.py" "$OUT/results-$SCOPE.tsv" >"$OUT/summary-$SCOPE.txt"
cat "$OUT/summary-$SCOPE.txt"
